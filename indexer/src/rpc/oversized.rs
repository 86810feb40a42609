//! Answers an oversized request only once its body has arrived. jsonrpsee refuses a body whose
//! declared length is over the cap before reading it, and the connection then closes under a client
//! that is still sending: the client sees a broken pipe instead of the 413 and its JSON-RPC error.
//! Like Go's `net/http` (which geth uses), the body is read and dropped first, up to a bound, so the
//! client gets the answer; a body larger still is refused at once.

use std::{future::Future, pin::Pin, task::Poll};

use http_body_util::{BodyExt, Limited};
use jsonrpsee::server::{HttpRequest, HttpResponse, http::response::too_large};
use tower::{BoxError, Service};

/// How many bytes beyond the cap are read and dropped to deliver the refusal.
pub(super) const DRAIN_BEYOND_CAP: u64 = 4 * 1024 * 1024;

/// The HTTP middleware, over jsonrpsee's service.
#[derive(Debug, Clone)]
pub(super) struct DrainOversized<S> {
    pub(super) service: S,
    /// The largest request body, as the server is configured.
    pub(super) max_request_body: u32,
}

/// The body length a request declares, when it declares one.
fn declared_length(request: &HttpRequest) -> Option<u64> {
    request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

impl<S> Service<HttpRequest> for DrainOversized<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), BoxError>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> <Self as Service<HttpRequest>>::Future {
        let cap = self.max_request_body;
        let over = declared_length(&request).filter(|&n| n > u64::from(cap));
        match over {
            Some(n) if n <= u64::from(cap) + DRAIN_BEYOND_CAP => Box::pin(async move {
                // Errors do not matter here: the answer is the refusal either way.
                let _ = Limited::new(request.into_body(), n as usize)
                    .collect()
                    .await;
                Ok(too_large(cap))
            }),
            _ => Box::pin(self.service.call(request)),
        }
    }
}
