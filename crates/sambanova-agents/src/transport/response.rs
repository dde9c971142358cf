//! What comes back: a response's metadata, its body read within a limit, and transport
//! failures as the SDK's errors.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use compact_str::CompactString;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::Error;
use crate::redact::Secrets;

/// What came back with an answer: its status and headers, how many times the request was
/// sent to get it, and how long that took (every attempt and every wait between them, until
/// the answer's head arrived).
///
/// Every call can give it: an agent call's outcome ([`crate::AgentOutcome::meta`]), and any
/// Sessions or agent stream call with `.with_response()`.
///
/// ```
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// let outcome = client.deep_research().run("Compare the EU and US AI rules").await?;
/// let meta = outcome.meta();
/// println!(
///     "{} in {:?} after {} attempt(s), request {}",
///     meta.status(),
///     meta.elapsed(),
///     meta.attempts(),
///     meta.request_id().unwrap_or("-"),
/// );
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ResponseMeta {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    /// The `Content-Type`, when it is text: read once (inline up to 24 bytes, as
    /// `application/json` and most others are), for every rule that looks at it.
    content_type: Option<CompactString>,
    /// The `X-Request-ID`, with any secret this client holds redacted: a hostile server can
    /// echo a key as its request id.
    pub(crate) request_id: Option<String>,
    /// A 429's wait (only a 429's error reads it: a success pays no header parse for it).
    pub(crate) retry_after: Option<Duration>,
    /// The secrets to keep out of any error made from this answer.
    pub(crate) secrets: Secrets,
    pub(crate) attempts: u32,
    elapsed: Duration,
}

/// A call's result with what came back with it ([`ResponseMeta`]). It derefs to the result.
/// The Sessions and agent stream calls answer one with `.with_response()`
/// ([`crate::CallBuilder::with_response`]).
///
/// ```no_run
/// # async fn demo(sessions: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
/// let sandboxes = sessions.list_sandboxes().with_response().await?;
/// println!("{} sandboxes, request {}", sandboxes.len(), sandboxes.meta().request_id().unwrap_or("-"));
/// let (sandboxes, meta) = sandboxes.into_parts();
/// assert!(meta.status().is_success());
/// # let _ = sandboxes;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    value: T,
    meta: ResponseMeta,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, meta: ResponseMeta) -> Self {
        Response { value, meta }
    }

    /// What came back with the result.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The result alone.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The result and its metadata.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.value, self.meta)
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Response<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// One whole answer: its metadata and its body.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub meta: ResponseMeta,
    pub body: Bytes,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl ResponseMeta {
    /// The answer's head, taken from `response` (its headers move here: the body is read
    /// without them).
    pub(crate) fn of(
        response: &mut reqwest::Response,
        secrets: &Secrets,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        let headers = std::mem::take(response.headers_mut());
        let status = response.status();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(CompactString::from);
        let request_id = headers
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(|id| secrets.redacted(id.to_owned()));
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| crate::retry::retry_after(&headers, SystemTime::now()))
            .flatten();
        ResponseMeta {
            status,
            headers,
            content_type,
            request_id,
            retry_after,
            secrets: secrets.clone(),
            attempts,
            elapsed,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers, as the server sent them.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The server's `X-Request-ID` (the one to quote to support), with any secret this
    /// client holds redacted.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// How many times the request was sent to get this answer (1 without retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The time from the first attempt to this answer's head: every attempt, and every wait
    /// between them.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The `Content-Type`, when the server sent one that is text.
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Metadata for a response that came from elsewhere (a fuzzer, a test, a replay, a
    /// token), as if sent once.
    pub(crate) fn detached(
        status: StatusCode,
        content_type: Option<&str>,
        request_id: Option<&str>,
    ) -> Self {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        ResponseMeta {
            status,
            headers,
            content_type: content_type.map(CompactString::from),
            request_id: request_id.map(str::to_owned),
            retry_after: None,
            secrets: Secrets::default(),
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }
}

/// Shows the header names only: an answer's headers can carry a session cookie.
impl std::fmt::Debug for ResponseMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseMeta")
            .field("status", &self.status)
            .field("headers", &super::RedactedHeaders(&self.headers))
            .field("request_id", &self.request_id)
            .field("attempts", &self.attempts)
            .field("elapsed", &self.elapsed)
            .finish()
    }
}

/// The same answer: status, headers, attempts and time.
impl PartialEq for ResponseMeta {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.headers == other.headers
            && self.request_id == other.request_id
            && self.attempts == other.attempts
            && self.elapsed == other.elapsed
    }
}

/// Maps a failed exchange to the SDK's error, telling whether the handler can have seen it.
/// `attempts` counts this one.
pub(crate) fn transport_error(
    error: reqwest::Error,
    timeout: Duration,
    operation: &str,
    attempts: u32,
) -> Error {
    let mut error = error;
    // A URL's query may carry a secret (`?token=` on event streams): errors show the path.
    if let Some(url) = error.url_mut() {
        url.set_query(None);
    }
    if error.is_timeout() {
        return Error::timeout(timeout, operation, attempts);
    }
    Error::Connection {
        message: describe(&error),
        maybe_delivered: !error.is_connect(),
        attempts,
    }
}

/// The whole cause chain in one line (reqwest's own Display stops at the first level).
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Reads a whole body, within `limit` bytes (a declared length past it fails before a byte
/// is read).
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    timeout: Duration,
    operation: &str,
    meta: &ResponseMeta,
) -> Result<Bytes, Error> {
    let too_large = || Error::ResponseTooLarge {
        limit: limit as u64,
        request_id: meta.request_id.clone(),
        attempts: meta.attempts,
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_large());
    }
    let failed = |error: reqwest::Error| transport_error(error, timeout, operation, meta.attempts);
    // One chunk is the whole body of most answers: keep it without copying.
    let Some(first) = response.chunk().await.map_err(failed)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    let Some(second) = response.chunk().await.map_err(failed)? else {
        return Ok(first);
    };
    let mut body = Vec::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(body.into())
}

/// The media type of a `Content-Type`, without parameters, as sent: media types are
/// case-insensitive, so compare it with [`is_media_type`] (no copy is made for it: this runs
/// on every answer).
pub(crate) fn media_type(content_type: Option<&str>) -> &str {
    let value = content_type.unwrap_or("");
    let end = value
        .bytes()
        .position(|byte| byte == b';')
        .unwrap_or(value.len());
    // HTTP's whitespace is ASCII.
    value[..end].trim_ascii()
}

/// Whether a `Content-Type` names the media type `expected` (lower-case), any parameters.
pub(crate) fn is_media_type(content_type: Option<&str>, expected: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case(expected)
}

/// Whether a `Content-Type` names JSON (`application/json` or `…+json`, any parameters): the
/// one rule for every JSON answer of the three APIs.
pub(crate) fn is_json_content_type(content_type: Option<&str>) -> bool {
    let media = media_type(content_type).as_bytes();
    let suffix = b"+json";
    media.eq_ignore_ascii_case(b"application/json")
        || (media.len() >= suffix.len()
            && media[media.len() - suffix.len()..].eq_ignore_ascii_case(suffix))
}

/// Whether a `Content-Type` names an event stream (`text/event-stream`, any parameters): the
/// one rule for every event stream of the three APIs.
pub(crate) fn is_event_stream_content_type(content_type: Option<&str>) -> bool {
    is_media_type(content_type, "text/event-stream")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_match_case_insensitively_without_their_parameters() {
        // (Content-Type, JSON?, an event stream?)
        let cases = [
            (Some("application/json"), true, false),
            (Some("Application/JSON; charset=utf-8"), true, false),
            (Some("  application/problem+json ;q=1"), true, false),
            (Some("application/PROBLEM+JSON"), true, false),
            (Some("+json"), true, false),
            (Some("application/jsonx"), false, false),
            (Some("application/json-seq"), false, false),
            (Some("json"), false, false),
            (Some("text/event-stream"), false, true),
            (Some("TEXT/Event-Stream; charset=utf-8"), false, true),
            (Some("text/event-streams"), false, false),
            (Some("text/html"), false, false),
            (Some(""), false, false),
            (None, false, false),
        ];
        for (content_type, json, stream) in cases {
            assert_eq!(
                is_json_content_type(content_type),
                json,
                "{content_type:?} as JSON"
            );
            assert_eq!(
                is_event_stream_content_type(content_type),
                stream,
                "{content_type:?} as an event stream"
            );
        }
        assert!(is_media_type(Some("Text/HTML; charset=utf-8"), "text/html"));
        assert_eq!(media_type(Some(" text/html ; charset=utf-8")), "text/html");
        assert_eq!(media_type(None), "");
    }
}
