//! Serves the router over HTTP/1.1 with the connection limits of docs/operations.md
//! ("Connections and client limits"): a header-read timeout that also ends idle keep-alive
//! connections, a request-head size limit (431), a cap on connections served at once, and
//! `Connection: close` after an answer sent before the request body was read.

mod early_answer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use crate::config::ConnectionSettings;

/// Pause after an accept error that is not about one connection (e.g. out of file descriptors),
/// so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

fn http1_builder(limits: ConnectionSettings) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs))
        .max_header_size(limits.max_header_bytes);
    builder
}

/// Serve until `shutdown` resolves; then stop accepting, let every open connection finish its
/// request in flight (idle ones close at once) and return when all are closed.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    limits: ConnectionSettings,
    shutdown: F,
) where
    F: Future<Output = ()> + Send,
{
    let builder = Arc::new(http1_builder(limits));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept_within_limit(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else {
            continue;
        };
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        let router = router.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection(TokioIo::new(stream), service(router, peer));
            if let Err(err) = watcher.watch(connection).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Wait for a free connection slot, then accept: while every slot is taken, new connections
/// stay in the listen backlog and the ones being served keep working.
async fn accept_within_limit(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let slot = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(err) if is_connection_error(&err) => None,
        Err(err) => {
            tracing::error!(error = %err, "accept failed");
            tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            None
        }
    }
}

fn is_connection_error(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// One request: the router, with the peer address it reads the client IP from, and the
/// request body watched for an answer sent before it was read.
fn service(
    router: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let (mut request, body_read) = early_answer::track_body(request);
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = router.oneshot(request).await?;
            Ok(early_answer::close_if_body_unread(response, &body_read))
        }
    })
}
