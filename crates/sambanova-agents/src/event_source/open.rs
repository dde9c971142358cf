//! Opening an event stream: one request, its answer's head checked (an error status read
//! with the API's dialect, a body that is not `text/event-stream` refused), the body handed
//! on.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::{Request, Response};

use crate::Error;
use crate::dialect::{Dialect, unexpected};
use crate::retry::RetryPolicy;
use crate::transport::{CallSettings, Transport, is_event_stream_content_type};

/// An event stream's body.
pub(crate) type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// An open event stream: its body, and the `X-Request-ID` of its answer.
pub(crate) struct Opened {
    pub body: Body,
    pub request_id: Option<String>,
}

/// How much of an answer that is not an event stream is read, for its error.
const HEAD_BYTES: usize = 16 * 1024;

/// Sends the request `build` makes and waits at most `header_timeout` for the answer's head;
/// the body may then run for `body_timeout` (a live stream's is as long as the caller keeps
/// it: the stall watchdog watches it instead).
pub(crate) async fn open_event_stream(
    transport: &Transport,
    operation: &'static str,
    build: impl FnMut() -> Result<Request, Error>,
    retry: RetryPolicy,
    header_timeout: Duration,
    body_timeout: Duration,
    dialect: Dialect,
) -> Result<Opened, Error> {
    let call = CallSettings {
        timeout: body_timeout,
        deadline: None,
        retry,
        max_body: None,
    };
    let (meta, response) =
        tokio::time::timeout(header_timeout, transport.send(operation, build, &call))
            .await
            .map_err(|_| Error::timeout(header_timeout, operation, 1))??;
    if !meta.status.is_success() {
        let head = head(response, header_timeout).await;
        return Err(dialect.status_error(&meta, &head));
    }
    if !is_event_stream_content_type(meta.content_type()) {
        let head = head(response, header_timeout).await;
        return Err(unexpected(
            &meta,
            &head,
            "the response is not an event stream",
        ));
    }
    Ok(Opened {
        body: Box::pin(response.bytes_stream()),
        request_id: meta.request_id,
    })
}

/// The first [`HEAD_BYTES`] of a body that is not what was expected, for its error (what a
/// broken body holds is lost, not waited for).
async fn head(response: Response, wait: Duration) -> Vec<u8> {
    let mut head = Vec::new();
    let mut body = response.bytes_stream();
    let read = async {
        while head.len() < HEAD_BYTES {
            match body.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(wait, read).await;
    head.truncate(HEAD_BYTES);
    head
}
