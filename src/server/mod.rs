//! Runs both doors on their listeners until shutdown, then lets in-flight
//! requests finish, for at most the shutdown grace.

mod grpc_conn;
mod rest;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;
use tower_http::catch_panic::CatchPanicLayer;

use crate::app::App;
use crate::grpc::pb::account_service_server::AccountServiceServer;
use crate::grpc::pb::api_key_service_server::ApiKeyServiceServer;
use crate::grpc::pb::assessment_service_server::AssessmentServiceServer;
use crate::grpc::pb::change_service_server::ChangeServiceServer;
use crate::grpc::pb::framework_service_server::FrameworkServiceServer;
use crate::grpc::pb::matrix_service_server::MatrixServiceServer;
use crate::grpc::pb::metric_service_server::MetricServiceServer;
use crate::grpc::pb::prioritization_service_server::PrioritizationServiceServer;
use crate::grpc::pb::qbr_service_server::QbrServiceServer;
use crate::grpc::pb::success_plan_service_server::SuccessPlanServiceServer;
use crate::grpc::pb::webhook_service_server::WebhookServiceServer;
use crate::grpc::pb::workspace_service_server::WorkspaceServiceServer;
use crate::grpc::{
    AccountGrpc, ApiKeyGrpc, AssessmentGrpc, ChangeGrpc, FrameworkGrpc, GrpcState, MatrixGrpc,
    MetricGrpc, PrioritizationGrpc, QbrGrpc, SuccessPlanGrpc, WebhookGrpc, WorkspaceGrpc, pb,
};
use crate::http::{self, HttpOptions, HttpState};
use crate::metrics::Metrics;

pub use rest::ConnectionLimits;

/// How often the gRPC health status follows the store's reachability.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// How often expired idempotency records and change events are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// The largest gRPC message either way: room for the largest REST batch
/// (10,000 observations) with their field names and refs.
const GRPC_MESSAGE_LIMIT: usize = 32 * 1024 * 1024;

/// How both doors run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub http: HttpOptions,
    pub connections: ConnectionLimits,
    /// After a stop, how long in-flight requests may take before their
    /// connections are closed regardless.
    pub shutdown_grace: Duration,
}

/// A started server: its addresses, and the handle to stop it.
pub struct Server {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    stop: watch::Sender<bool>,
    shutdown_grace: Duration,
    doors: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Serves REST on `http` and gRPC on `grpc` until [`Server::stop`].
    pub async fn start(
        app: App,
        http: TcpListener,
        grpc: TcpListener,
        options: ServeOptions,
    ) -> anyhow::Result<Self> {
        let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);
        let (stop, stopped) = watch::channel(false);
        let metrics = Metrics::default();
        let router = http::router(
            HttpState::new(app.clone(), metrics.clone(), options.http.body_limit),
            &options.http,
        )?;
        let rest = rest::serve(http, router, options.connections, stopped.clone());
        let grpc_routes = grpc_router(
            GrpcState {
                app: app.clone(),
                metrics,
            },
            options.http.request_timeout,
            stopped.clone(),
        )
        .await?;
        let rpc = grpc_routes.serve_with_incoming_shutdown(
            grpc_conn::incoming(grpc, options.connections.max_connections),
            until(stopped.clone()),
        );
        tokio::spawn(purge_expired(app.clone(), stopped.clone()));
        tokio::spawn(async move { app.run_webhooks(stopped).await });
        let doors = tokio::spawn(async move {
            let (a, b) = tokio::join!(rest, rpc);
            a?;
            b?;
            Ok(())
        });
        Ok(Self {
            http_addr,
            grpc_addr,
            stop,
            shutdown_grace: options.shutdown_grace,
            doors,
        })
    }

    /// Stops accepting; in-flight requests finish.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits until both doors have closed, or, once stopped, for the
    /// shutdown grace at most: connections still busy then are dropped.
    pub async fn wait(self) -> anyhow::Result<()> {
        let mut stopped = self.stop.subscribe();
        let _ = stopped.wait_for(|s| *s).await;
        let mut doors = self.doors;
        match tokio::time::timeout(self.shutdown_grace, &mut doors).await {
            Ok(done) => done?,
            Err(_) => {
                tracing::warn!(
                    grace = ?self.shutdown_grace,
                    "requests still running after the shutdown grace; closing their connections"
                );
                doors.abort();
                Ok(())
            }
        }
    }
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

async fn grpc_router(
    state: GrpcState,
    request_timeout: Duration,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<tonic::transport::server::Router<GrpcLayers>> {
    let (reporter, health) = tonic_health::server::health_reporter();
    // v1alpha beside v1: grpcurl, Postman and older clients still ask v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let (reflection, reflection_alpha) = (reflection().build_v1()?, reflection().build_v1alpha()?);
    report_store_health(&state.app, &reporter).await;
    tokio::spawn(follow_store_health(state.app.clone(), reporter, stopped));
    // `timeout` is the default deadline; a client's shorter `grpc-timeout` wins.
    Ok(tonic::transport::Server::builder()
        .timeout(request_timeout)
        .layer(CatchPanicLayer::custom(grpc_panic as fn(_) -> _))
        .add_service(health)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(limited!(AccountServiceServer, AccountGrpc(state.clone())))
        .add_service(limited!(ApiKeyServiceServer, ApiKeyGrpc(state.clone())))
        .add_service(limited!(ChangeServiceServer, ChangeGrpc(state.clone())))
        .add_service(limited!(
            FrameworkServiceServer,
            FrameworkGrpc(state.clone())
        ))
        .add_service(limited!(MatrixServiceServer, MatrixGrpc(state.clone())))
        .add_service(limited!(
            AssessmentServiceServer,
            AssessmentGrpc(state.clone())
        ))
        .add_service(limited!(
            PrioritizationServiceServer,
            PrioritizationGrpc(state.clone())
        ))
        .add_service(limited!(MetricServiceServer, MetricGrpc(state.clone())))
        .add_service(limited!(QbrServiceServer, QbrGrpc(state.clone())))
        .add_service(limited!(
            SuccessPlanServiceServer,
            SuccessPlanGrpc(state.clone())
        ))
        .add_service(limited!(WebhookServiceServer, WebhookGrpc(state.clone())))
        .add_service(limited!(WorkspaceServiceServer, WorkspaceGrpc(state))))
}

/// A generated service with the message limits of every csapi service.
macro_rules! limited {
    ($server:ident, $service:expr) => {
        $server::new($service)
            .max_decoding_message_size(GRPC_MESSAGE_LIMIT)
            .max_encoding_message_size(GRPC_MESSAGE_LIMIT)
    };
}
use limited;

type GrpcLayers = tower::layer::util::Stack<
    CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> axum::http::Response<String>>,
    tower::layer::util::Identity,
>;

/// A panic in a gRPC method answers INTERNAL, as REST answers 500.
fn grpc_panic(_: Box<dyn std::any::Any + Send>) -> axum::http::Response<String> {
    tracing::error!("a gRPC method panicked");
    let mut res = axum::http::Response::new(String::new());
    let headers = res.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", axum::http::HeaderValue::from_static("13"));
    headers.insert(
        "grpc-message",
        axum::http::HeaderValue::from_static("internal%20error"),
    );
    res
}

/// Reports SERVING while the store answers and NOT_SERVING while it does not.
async fn report_store_health(app: &App, reporter: &tonic_health::server::HealthReporter) {
    let status = if app.ready().await.is_ok() {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    for service in [
        "",
        "csapi.v1.AccountService",
        "csapi.v1.ApiKeyService",
        "csapi.v1.FrameworkService",
        "csapi.v1.MatrixService",
        "csapi.v1.AssessmentService",
        "csapi.v1.PrioritizationService",
        "csapi.v1.MetricService",
        "csapi.v1.QbrService",
        "csapi.v1.SuccessPlanService",
        "csapi.v1.WebhookService",
        "csapi.v1.WorkspaceService",
    ] {
        reporter.set_service_status(service, status).await;
    }
}

async fn follow_store_health(
    app: App,
    reporter: tonic_health::server::HealthReporter,
    stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(HEALTH_INTERVAL) => report_store_health(&app, &reporter).await,
            () = until(stopped.clone()) => return,
        }
    }
}

async fn purge_expired(app: App, stopped: watch::Receiver<bool>) {
    loop {
        if let Err(e) = app.purge_idempotency_keys().await {
            tracing::warn!(error = %e, "purging idempotency keys");
        }
        if let Err(e) = app.purge_events().await {
            tracing::warn!(error = %e, "purging change events");
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_INTERVAL) => {}
            () = until(stopped.clone()) => return,
        }
    }
}
