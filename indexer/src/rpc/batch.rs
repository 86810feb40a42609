//! Runs the calls of one JSON-RPC batch side by side. jsonrpsee runs them one after another, so a
//! batch of transactions would wait for each one's mempool commit in turn; side by side, the
//! store commits them together (`sequencer::store`). Answers keep the batch's order, and the batch
//! stops as soon as the answers so far exceed the response limit.

use std::future::Future;

use futures_util::{StreamExt, stream::FuturesUnordered};
use jsonrpsee::{
    core::server::BatchResponseBuilder,
    server::middleware::rpc::{
        Batch, BatchEntry, MethodResponse, Notification, Request, RpcServiceT,
    },
};

/// The middleware, over the server's own service.
#[derive(Debug, Clone)]
pub(super) struct ConcurrentBatch<S> {
    pub(super) service: S,
    /// The largest response body, as the server is configured.
    pub(super) max_response_body: usize,
}

impl<S> RpcServiceT for ConcurrentBatch<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.call(request)
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.notification(notification)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let service = self.service.clone();
        let max_response_body = self.max_response_body;
        async move {
            // `None` for a notification, which gets no answer. Answers are kept as they arrive, and
            // once those kept are larger than the response may be, the calls still running are
            // dropped: a batch of heavy calls never holds more than one response's worth.
            let mut running: FuturesUnordered<_> = batch
                .into_iter()
                .enumerate()
                .map(|(position, entry)| {
                    let service = service.clone();
                    async move {
                        let answer = match entry {
                            Ok(BatchEntry::Call(request)) => Some(service.call(request).await),
                            Ok(BatchEntry::Notification(n)) => {
                                service.notification(n).await;
                                None
                            }
                            Err(e) => {
                                let (error, id) = e.into_parts();
                                Some(MethodResponse::error(id, error))
                            }
                        };
                        (position, answer)
                    }
                })
                .collect();
            let mut answers: Vec<(usize, Option<MethodResponse>)> =
                Vec::with_capacity(running.len());
            let mut kept = 0usize;
            while let Some((position, answer)) = running.next().await {
                kept += answer.as_ref().map_or(0, |a| a.as_json().get().len());
                answers.push((position, answer));
                if kept > max_response_body {
                    drop(running);
                    break;
                }
            }
            answers.sort_unstable_by_key(|(position, _)| *position);
            let answers: Vec<Option<MethodResponse>> =
                answers.into_iter().map(|(_, a)| a).collect();
            let notified = answers.iter().any(Option::is_none);
            let mut response = BatchResponseBuilder::new_with_limit(max_response_body);
            for answer in answers.into_iter().flatten() {
                if let Err(too_big) = response.append(answer) {
                    return too_big;
                }
            }
            if response.is_empty() && notified {
                MethodResponse::notification()
            } else {
                // An empty batch is an invalid request, as jsonrpsee answers it.
                MethodResponse::from_batch(response.finish())
            }
        }
    }
}
