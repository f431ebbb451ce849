//! Runs both doors on their listeners until shutdown, then lets in-flight
//! requests finish.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::app::App;
use crate::grpc::pb::account_service_server::AccountServiceServer;
use crate::grpc::pb::api_key_service_server::ApiKeyServiceServer;
use crate::grpc::pb::assessment_service_server::AssessmentServiceServer;
use crate::grpc::pb::framework_service_server::FrameworkServiceServer;
use crate::grpc::pb::matrix_service_server::MatrixServiceServer;
use crate::grpc::pb::metric_service_server::MetricServiceServer;
use crate::grpc::pb::prioritization_service_server::PrioritizationServiceServer;
use crate::grpc::pb::qbr_service_server::QbrServiceServer;
use crate::grpc::pb::success_plan_service_server::SuccessPlanServiceServer;
use crate::grpc::pb::workspace_service_server::WorkspaceServiceServer;
use crate::grpc::{
    AccountGrpc, ApiKeyGrpc, AssessmentGrpc, FrameworkGrpc, GrpcState, MatrixGrpc, MetricGrpc,
    PrioritizationGrpc, QbrGrpc, SuccessPlanGrpc, WorkspaceGrpc, pb,
};
use crate::http::{self, HttpOptions, HttpState};
use crate::metrics::Metrics;

/// How often the gRPC health status follows the store's reachability.
const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// How often expired idempotency records are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// A started server: its addresses, and the handle to stop it.
pub struct Server {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    stop: watch::Sender<bool>,
    doors: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Serves REST on `http` and gRPC on `grpc` until [`Server::stop`].
    pub async fn start(
        app: App,
        http: TcpListener,
        grpc: TcpListener,
        options: HttpOptions,
    ) -> anyhow::Result<Self> {
        let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);
        let (stop, stopped) = watch::channel(false);
        let metrics = Metrics::default();
        let router = http::router(
            HttpState {
                app: app.clone(),
                metrics: metrics.clone(),
                body_limit: options.body_limit,
            },
            &options,
        );
        let rest = axum::serve(http, router).with_graceful_shutdown(until(stopped.clone()));
        let grpc_routes = grpc_router(
            GrpcState {
                app: app.clone(),
                metrics,
            },
            stopped.clone(),
        )
        .await?;
        let rpc = grpc_routes
            .serve_with_incoming_shutdown(TcpIncoming::from(grpc), until(stopped.clone()));
        tokio::spawn(purge_idempotency_keys(app, stopped));
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
            doors,
        })
    }

    /// Stops accepting; in-flight requests finish.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits until both doors have closed.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.doors.await?
    }
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

async fn grpc_router(
    state: GrpcState,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<tonic::transport::server::Router> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    report_store_health(&state.app, &reporter).await;
    tokio::spawn(follow_store_health(state.app.clone(), reporter, stopped));
    Ok(tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection)
        .add_service(AccountServiceServer::new(AccountGrpc(state.clone())))
        .add_service(ApiKeyServiceServer::new(ApiKeyGrpc(state.clone())))
        .add_service(FrameworkServiceServer::new(FrameworkGrpc(state.clone())))
        .add_service(MatrixServiceServer::new(MatrixGrpc(state.clone())))
        .add_service(AssessmentServiceServer::new(AssessmentGrpc(state.clone())))
        .add_service(PrioritizationServiceServer::new(PrioritizationGrpc(
            state.clone(),
        )))
        .add_service(MetricServiceServer::new(MetricGrpc(state.clone())))
        .add_service(QbrServiceServer::new(QbrGrpc(state.clone())))
        .add_service(SuccessPlanServiceServer::new(SuccessPlanGrpc(
            state.clone(),
        )))
        .add_service(WorkspaceServiceServer::new(WorkspaceGrpc(state))))
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

async fn purge_idempotency_keys(app: App, stopped: watch::Receiver<bool>) {
    loop {
        if let Err(e) = app.purge_idempotency_keys().await {
            tracing::warn!(error = %e, "purging idempotency keys");
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_INTERVAL) => {}
            () = until(stopped.clone()) => return,
        }
    }
}
