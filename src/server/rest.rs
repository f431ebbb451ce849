//! The REST door's connections: HTTP/1.1 served by hyper with a bound on
//! how long a client may take to send its headers (and, since hyper runs
//! the same timer between requests, how long a keep-alive connection may sit
//! idle), and on how many connections are open at once.

use std::sync::Arc;
use std::time::Duration;

use std::convert::Infallible;

use axum::response::Response;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Service;

use super::until;

/// Limits on the connections of a door.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers, and how long
    /// a keep-alive connection may wait idle for the next request.
    pub header_timeout: Duration,
    /// Connections served at once, per door; more wait in the listen backlog.
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `stopped`; then asks every connection
/// to finish its request and close, and waits for them.
pub(super) async fn serve<S>(
    listener: TcpListener,
    door: S,
    limits: ConnectionLimits,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()>
where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit?,
            () = until(stopped.clone()) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection");
                    continue;
                }
            },
            () = until(stopped.clone()) => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(door.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
