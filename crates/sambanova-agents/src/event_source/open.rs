//! Opening an event stream: one request, its answer's head checked (an error status read
//! with the API's dialect, a body that is not `text/event-stream` refused), the body handed
//! on.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use reqwest::Request;

use crate::Error;
use crate::dialect::{Dialect, unexpected};
use crate::retry::RetryPolicy;
use crate::transport::{
    CallOptions, CallSettings, ResponseMeta, Transport, is_event_stream_content_type,
};

/// An event stream's body.
pub(crate) type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// An open event stream: its body, and what came back with it.
pub(crate) struct Opened {
    pub body: Body,
    pub meta: ResponseMeta,
}

/// How much of an answer that is not an event stream is read, for its error.
const HEAD_BYTES: usize = 16 * 1024;

/// Sends the request `build` makes, each attempt waiting at most `header_timeout` for the
/// answer's head (the call's `options` over these and `retry`); the body then runs as long as
/// the caller reads it (the stall watchdog and the stream's own limits watch it).
pub(crate) async fn open_event_stream(
    transport: &Transport,
    operation: &'static str,
    build: impl FnMut() -> Result<Request, Error>,
    retry: RetryPolicy,
    header_timeout: Duration,
    options: &CallOptions,
    dialect: Dialect,
) -> Result<Opened, Error> {
    let call = CallSettings::merged(options, header_timeout, None, &retry, None);
    let opening = transport.open(operation, build, &call).await?;
    if !opening.meta.status.is_success() {
        let (meta, head) = opening.head(HEAD_BYTES).await;
        return Err(dialect.status_error(&meta, &head));
    }
    if !is_event_stream_content_type(opening.meta.content_type()) {
        let (meta, head) = opening.head(HEAD_BYTES).await;
        return Err(unexpected(
            &meta,
            &head,
            "the response is not an event stream",
        ));
    }
    Ok(Opened {
        meta: opening.meta,
        body: Box::pin(opening.response.bytes_stream()),
    })
}
