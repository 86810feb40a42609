//! The HTTP server: the REST API and the built web app.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use axum::Router;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::{
    cors::CorsLayer,
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

use crate::api::{self, ApiState};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The web app has not been built.
    #[error("the web app is not built: {} has no index.html (run `cargo xtask run`, which builds it with trunk, or pass --dist)", dist.display())]
    DistMissing {
        /// The folder that was checked.
        dist: PathBuf,
    },
    /// The HTTP port is taken.
    #[error("cannot listen on {addr}: address already in use (pass --http-addr to choose another)")]
    PortBusy {
        /// The requested address.
        addr: SocketAddr,
    },
    /// Any other socket error.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// The server stopped with an error.
    #[error("HTTP server failed: {0}")]
    Serve(#[source] io::Error),
}

/// Checks that `dist` holds a built app.
pub fn check_dist(dist: &Path) -> Result<(), ServerError> {
    if dist.join("index.html").is_file() {
        Ok(())
    } else {
        Err(ServerError::DistMissing {
            dist: dist.to_path_buf(),
        })
    }
}

/// Binds the HTTP listener, turning "address in use" into a clear error.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| match source.kind() {
            io::ErrorKind::AddrInUse => ServerError::PortBusy { addr },
            _ => ServerError::Bind { addr, source },
        })
}

/// The whole HTTP surface: `/api/v1/...`, Prometheus metrics at `/metrics`, and the app (with `index.html` for every other path, so the
/// app's own router resolves permalinks).
///
/// The app's files are sent with `Cache-Control: no-cache`: a browser may keep them but asks
/// (`If-Modified-Since`) before each use, so that it never runs the UI shell of one build with
/// page chunks of another (docs/app.md, loading on demand).
pub fn router(state: ApiState, dist: &Path) -> Router {
    let app = SetResponseHeaderLayer::overriding(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    )
    .layer(ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))));
    let index = state.index.clone();
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    index.metrics.render(),
                )
            }),
        )
        .nest("/api/v1", api::router(state))
        .fallback_service(app)
        .layer(CorsLayer::permissive())
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)
}
