//! The HTTP server: the REST API and the built web app.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use axum::{Router, http::HeaderValue};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::{
    cors::CorsLayer,
    services::{ServeDir, ServeFile},
    set_header::{SetResponseHeader, SetResponseHeaderLayer},
};

use crate::api::{self, ApiState};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The web app has not been built.
    #[error("the web app is not built: {} has no index.html (run `cargo xtask run`, which builds it, or pass --dist)", dist.display())]
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
    let app = app_files(dist);
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

/// The built app in `dist`, with `index.html` for every path that names no file.
///
/// A file is sent compressed when the build left a compressed copy beside it (`cargo xtask`
/// writes `NAME.br` and `NAME.gz`, docs/app.md) and the request accepts that encoding: brotli
/// first, then gzip, else the file itself. `Vary: Accept-Encoding` tells caches that the answer
/// depends on it, and `Cache-Control: no-cache` makes the browser revalidate each file before use.
fn app_files(
    dist: &Path,
) -> SetResponseHeader<SetResponseHeader<ServeDir<ServeFile>, HeaderValue>, HeaderValue> {
    let index = ServeFile::new(dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    let no_cache = SetResponseHeaderLayer::overriding(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    let vary = SetResponseHeaderLayer::appending(
        axum::http::header::VARY,
        HeaderValue::from_static("accept-encoding"),
    );
    vary.layer(no_cache.layer(files))
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

#[cfg(test)]
mod tests {
    use axum::{
        body::Body,
        http::{Request, StatusCode, header},
    };
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    /// What the app's files answer to `GET path` with the given `Accept-Encoding`.
    async fn get(
        dist: &Path,
        path: &str,
        accept: Option<&str>,
    ) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT_ENCODING, accept);
        }
        let response = app_files(dist)
            .oneshot(request.body(Body::empty()).expect("a valid request"))
            .await
            .expect("serving files is infallible");
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the file reads")
            .to_bytes();
        (status, headers, body.to_vec())
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[tokio::test]
    async fn app_files_are_sent_precompressed_when_the_request_accepts_it() {
        let dist = tempfile::tempdir().expect("a temporary folder");
        let d = dist.path();
        for (name, body) in [
            ("index.html", "<html>page</html>"),
            ("index.html.gz", "page as gzip"),
            ("app.wasm", "the module"),
            ("app.wasm.br", "module as brotli"),
            ("app.wasm.gz", "module as gzip"),
            ("plain.js", "no compressed copy"),
        ] {
            std::fs::write(d.join(name), body).expect("the file is written");
        }

        let (status, headers, body) = get(d, "/app.wasm", Some("gzip, deflate, br, zstd")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"module as brotli");
        assert_eq!(header(&headers, "content-encoding"), Some("br"));
        assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
        assert_eq!(header(&headers, "vary"), Some("accept-encoding"));
        assert_eq!(header(&headers, "cache-control"), Some("no-cache"));

        let (_, headers, body) = get(d, "/app.wasm", Some("gzip")).await;
        assert_eq!(body, b"module as gzip");
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
        assert_eq!(header(&headers, "content-type"), Some("application/wasm"));

        let (_, headers, body) = get(d, "/app.wasm", None).await;
        assert_eq!(body, b"the module");
        assert_eq!(header(&headers, "content-encoding"), None);
        assert_eq!(header(&headers, "vary"), Some("accept-encoding"));

        // No compressed copy: the file itself, whatever the request accepts.
        let (_, headers, body) = get(d, "/plain.js", Some("gzip, br")).await;
        assert_eq!(body, b"no compressed copy");
        assert_eq!(header(&headers, "content-encoding"), None);

        // A permalink is the page, compressed as the page's copies allow.
        let (status, headers, body) = get(d, "/blocks/7", Some("gzip, br")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"page as gzip");
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
        assert_eq!(header(&headers, "content-type"), Some("text/html"));
        let (_, _, body) = get(d, "/blocks/7", None).await;
        assert_eq!(body, b"<html>page</html>");
    }
}
