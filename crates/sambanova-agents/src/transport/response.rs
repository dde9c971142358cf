//! What comes back: a response's metadata, its body read within a limit, and transport
//! failures as the SDK's errors.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use compact_str::CompactString;
use reqwest::header::{self, HeaderName};
use reqwest::{Response, StatusCode};

use crate::Error;
use crate::redact::Secrets;

/// The status line and headers that matter, with the secrets to keep out of any error made
/// from this response.
#[derive(Debug, Clone)]
pub(crate) struct ResponseMeta {
    pub status: StatusCode,
    /// Read with [`Self::content_type`]. Inline up to 24 bytes (`application/json` and most
    /// others): no allocation for it on every answer.
    content_type: Option<CompactString>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub secrets: Secrets,
    /// How many times the request was sent to get this answer.
    pub attempts: u32,
}

/// One whole answer: its metadata and its body.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub meta: ResponseMeta,
    pub body: Bytes,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl ResponseMeta {
    pub(crate) fn of(response: &Response, secrets: &Secrets, attempts: u32) -> Self {
        let headers = response.headers();
        let text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        ResponseMeta {
            status: response.status(),
            content_type: text(&header::CONTENT_TYPE).map(CompactString::from),
            // A hostile server can echo a key as its request id: errors and logs show it.
            request_id: text(&REQUEST_ID).map(|id| secrets.redacted(id.to_owned())),
            // Only a 429's error reads it: a success pays no header parse for it.
            retry_after: (response.status() == StatusCode::TOO_MANY_REQUESTS)
                .then(|| crate::retry::retry_after(headers, SystemTime::now()))
                .flatten(),
            secrets: secrets.clone(),
            attempts,
        }
    }

    /// The `Content-Type`, when the server sent one that is text.
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Metadata for a response that came from elsewhere (a fuzzer, a test, a replay).
    pub(crate) fn detached(
        status: StatusCode,
        content_type: Option<&str>,
        request_id: Option<&str>,
    ) -> Self {
        ResponseMeta {
            status,
            content_type: content_type.map(CompactString::from),
            request_id: request_id.map(str::to_owned),
            retry_after: None,
            secrets: Secrets::default(),
            attempts: 1,
        }
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
    mut response: Response,
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
