//! Reading an error answer, for the three APIs alike: one table from an HTTP status to an
//! [`Error`], and per server a small *dialect* that says what its error bodies carry.
//!
//! - **Agents** (FastAPI): `{"error": …}`, FastAPI's `{"detail": …}`, or an agent body with
//!   `status: "error"`; proxies answer HTML, Starlette plain text.
//! - **Sessions** (axum): `{"error": {"code", "message"}}` from its handlers, plain text from
//!   its extractors, and an empty 404 for an unknown route.
//! - **Agent stream** (FastAPI): the envelope `{"code", "msg", "data", "trace_id"}`, with the
//!   422 issues in `data.errors`; FastAPI's own `{"detail"}` still accepted.
//!
//! Every message is cut by one rule ([`MESSAGE_CHARS`]), every kept body by another
//! ([`Error::KEPT_BODY_BYTES`]), and every secret the client holds is redacted from both.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::error::{AuthFailure, ServerError, ValidationIssue};
use crate::outcome::AgentStatus;
use crate::transport::{ResponseMeta, is_json_content_type, media_type};

/// The longest server message an error keeps, in characters.
pub(crate) const MESSAGE_CHARS: usize = 500;

/// Whose error bodies these are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Agents,
    Sessions,
    AgentStream,
}

/// What an error body says, whatever its server's envelope.
#[derive(Debug, Default)]
pub(crate) struct ErrorBody {
    pub message: Option<String>,
    pub code: Option<String>,
    pub details: Option<Value>,
    pub validation: Vec<ValidationIssue>,
    pub thread_id: Option<String>,
    pub agent_status: Option<AgentStatus>,
    /// A request id the body names (the agent stream's `trace_id`).
    pub request_id: Option<String>,
}

impl Dialect {
    /// Reads an error body.
    pub(crate) fn read(self, meta: &ResponseMeta, body: &[u8]) -> ErrorBody {
        let media = media_type(meta.content_type());
        let json = if is_json_content_type(meta.content_type()) || media.is_empty() {
            serde_json::from_slice::<Value>(body).ok()
        } else {
            None
        };
        let mut read = match json {
            Some(Value::Object(object)) => match self {
                Dialect::Agents => agents_body(object),
                Dialect::Sessions => sessions_body(object),
                Dialect::AgentStream => agent_stream_body(object),
            },
            _ => ErrorBody {
                message: text_message(body),
                ..ErrorBody::default()
            },
        };
        // The Sessions server answers an unknown route with an empty 404, and a missing
        // resource with its own envelope (which has a code): anything else is another server.
        if self == Dialect::Sessions && meta.status == StatusCode::NOT_FOUND && read.code.is_none()
        {
            let said = read.message.take().or_else(|| text_message(body));
            let answered = match said {
                Some(said) => format!(" (it answered {:?}: another API's URL?)", cut(&said)),
                None => String::new(),
            };
            read.message = Some(format!(
                "no such route: the base URL must be the Sessions server's root, e.g. \
                 http://127.0.0.1:8080{answered}"
            ));
        }
        read
    }

    /// The error for an answer whose status is not a success.
    pub(crate) fn status_error(self, meta: &ResponseMeta, body: &[u8]) -> Error {
        let read = self.read(meta, body);
        status_error(meta, read, body)
    }
}

/// The one table from a status to an [`Error`].
pub(crate) fn status_error(meta: &ResponseMeta, read: ErrorBody, body: &[u8]) -> Error {
    let secrets = &meta.secrets;
    let said_something = read.message.is_some();
    let request_id = meta.request_id.clone().or(read.request_id);
    let attempts = meta.attempts;
    let message = read
        .message
        .map(|message| cut(&secrets.redacted(message)))
        .unwrap_or_else(|| meta.status.canonical_reason().unwrap_or("").to_owned());
    let message_with_code = match &read.code {
        Some(code) if !message.contains(code.as_str()) => format!("{message} ({code})"),
        _ => message.clone(),
    };
    match meta.status.as_u16() {
        400 => Error::BadRequest {
            message: message_with_code,
            request_id,
            attempts,
        },
        401 | 403 => Error::Authentication {
            status: meta.status,
            failure: AuthFailure::read(meta.status, &message),
            message: message_with_code,
            request_id,
            attempts,
        },
        404 => Error::NotFound {
            message: message_with_code,
            request_id,
            attempts,
        },
        409 => Error::Conflict {
            message: message_with_code,
            request_id,
            attempts,
        },
        413 => Error::RequestTooLarge {
            message: message_with_code,
            request_id,
            attempts,
        },
        422 => {
            let mut detail = read.validation;
            if detail.is_empty() && said_something && !message.is_empty() {
                detail.push(ValidationIssue {
                    loc: vec![Value::String("body".into())],
                    msg: message.clone(),
                    kind: read.code.clone().unwrap_or_default(),
                    input: None,
                });
            }
            for issue in &mut detail {
                issue.msg = secrets.redacted(std::mem::take(&mut issue.msg));
                if let Some(input) = &mut issue.input {
                    redact_value(secrets, input);
                }
            }
            Error::Validation {
                detail,
                request_id,
                attempts,
            }
        }
        429 => Error::RateLimited {
            retry_after: meta.retry_after,
            request_id,
            attempts,
        },
        500..=599 => {
            let mut details = read.details.or(read.code.map(Value::String));
            if let Some(details) = &mut details {
                redact_value(secrets, details);
            }
            Error::Server(Box::new(ServerError {
                http_status: meta.status,
                agent_status: read.agent_status,
                message: message_with_code,
                thread_id: read.thread_id,
                details,
                content_type: meta.content_type().map(str::to_owned),
                request_id,
                attempts,
            }))
        }
        _ => unexpected(meta, body, "an undocumented status"),
    }
}

/// A response that is none of the documented shapes: keeps the body (cut, redacted).
pub(crate) fn unexpected(meta: &ResponseMeta, body: &[u8], reason: &str) -> Error {
    Error::UnexpectedResponse {
        status: meta.status,
        content_type: meta.content_type().map(str::to_owned),
        reason: reason.to_owned(),
        body: kept_body(&meta.secrets.redact(&String::from_utf8_lossy(body))),
        request_id: meta.request_id.clone(),
        attempts: meta.attempts,
    }
}

/// A body kept in an error: at most [`Error::KEPT_BODY_BYTES`], cut on a character boundary.
pub(crate) fn kept_body(text: &str) -> String {
    if text.len() <= Error::KEPT_BODY_BYTES {
        return text.to_owned();
    }
    let mut end = Error::KEPT_BODY_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A server message kept in an error: at most [`MESSAGE_CHARS`] characters.
fn cut(message: &str) -> String {
    let message = message.trim();
    match message.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &message[..end]),
        None => message.to_owned(),
    }
}

/// The message of a body that is not JSON: an HTML page's title, else its first line.
fn text_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    html_title(&text).or_else(|| {
        text.lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(str::to_owned)
    })
}

fn html_title(text: &str) -> Option<String> {
    let head = text.get(..text.len().min(64 * 1024)).unwrap_or(text);
    let lower = head.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = head.get(start..end)?.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn redact_value(secrets: &crate::redact::Secrets, value: &mut Value) {
    match value {
        Value::String(text) => *text = secrets.redacted(std::mem::take(text)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| redact_value(secrets, item)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| redact_value(secrets, field)),
        _ => {}
    }
}

/// FastAPI's 422 `detail` (or the agent stream's `data.errors`): a list of issues, or one
/// message.
pub(crate) fn validation_issues(detail: Option<&Value>) -> Vec<ValidationIssue> {
    match detail {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| ValidationIssue::deserialize(item).ok())
            .collect(),
        Some(Value::String(msg)) => vec![ValidationIssue {
            loc: Vec::new(),
            msg: msg.clone(),
            kind: String::new(),
            input: None,
        }],
        _ => Vec::new(),
    }
}

fn agents_body(mut object: serde_json::Map<String, Value>) -> ErrorBody {
    let detail = object.remove("detail");
    let message = object
        .get("error")
        .and_then(value_text)
        .or_else(|| match &detail {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        })
        .or_else(|| object.get("result").and_then(value_text));
    ErrorBody {
        message,
        code: None,
        details: object.remove("details").filter(|d| !d.is_null()),
        validation: validation_issues(detail.as_ref()),
        thread_id: object.get("thread_id").and_then(value_text),
        agent_status: object
            .get("status")
            .and_then(Value::as_str)
            .map(AgentStatus::from),
        request_id: None,
    }
}

fn sessions_body(object: serde_json::Map<String, Value>) -> ErrorBody {
    let error = object.get("error");
    let (message, code) = match error {
        Some(Value::Object(error)) => (
            error.get("message").and_then(value_text),
            error
                .get("code")
                .and_then(value_text)
                .filter(|code| !code.is_empty()),
        ),
        Some(other) => (value_text(other), None),
        None => (None, None),
    };
    ErrorBody {
        message,
        code,
        ..ErrorBody::default()
    }
}

fn agent_stream_body(mut object: serde_json::Map<String, Value>) -> ErrorBody {
    let detail = object.remove("detail");
    let data = object.remove("data").filter(|data| !data.is_null());
    let message = object
        .get("msg")
        .and_then(value_text)
        .filter(|msg| !msg.is_empty())
        .or_else(|| match &detail {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        });
    let mut validation = validation_issues(detail.as_ref());
    if validation.is_empty() {
        validation = validation_issues(data.as_ref().and_then(|data| data.get("errors")));
    }
    ErrorBody {
        message,
        code: None,
        details: data,
        validation,
        thread_id: None,
        agent_status: None,
        request_id: object.get("trace_id").and_then(value_text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Secrets;

    fn meta(status: u16, content_type: Option<&str>) -> ResponseMeta {
        ResponseMeta::detached(StatusCode::from_u16(status).unwrap(), content_type, None)
    }

    #[test]
    fn sessions_errors_keep_the_code_and_plain_text() {
        let error = |status, body: &[u8]| Dialect::Sessions.status_error(&meta(status, None), body);
        let conflict = error(
            409,
            br#"{"error":{"code":"session_invalid_state","message":"session in invalid state: no pending permission request with id nope"}}"#,
        );
        assert!(
            matches!(conflict, Error::Conflict { ref message, .. } if message.contains("session_invalid_state"))
        );
        let bad = error(400, b"Invalid URL: Cannot parse `sid`");
        assert!(
            matches!(bad, Error::BadRequest { ref message, .. } if message.starts_with("Invalid URL"))
        );
        let invalid = error(422, b"Failed to deserialize the JSON body");
        assert!(matches!(invalid, Error::Validation { .. }));
        assert!(invalid.to_string().contains("Failed to deserialize"));
        let server = error(
            500,
            br#"{"error":{"code":"database_error","message":"database error: FOREIGN KEY constraint failed"}}"#,
        );
        assert!(matches!(server, Error::Server(ref s) if s.message.contains("database_error")));
        let route = error(404, b"");
        assert!(route.to_string().contains("root"), "{route}");
        // The Agents API's (FastAPI's) 404: the client was pointed at the wrong server.
        let elsewhere = error(404, br#"{"detail":"Not Found"}"#);
        assert!(
            elsewhere.to_string().contains("Sessions server's root")
                && elsewhere.to_string().contains("another API"),
            "{elsewhere}"
        );
        let missing = error(
            404,
            br#"{"error":{"code":"session_not_found","message":"session not found"}}"#,
        );
        assert!(!missing.to_string().contains("root"), "{missing}");
        let media = error(
            415,
            b"Expected request with `Content-Type: application/json`",
        );
        assert!(matches!(media, Error::UnexpectedResponse { .. }));
    }

    #[test]
    fn messages_and_bodies_are_cut_by_one_rule_each() {
        let long = "x".repeat(10_000);
        for dialect in [Dialect::Agents, Dialect::Sessions, Dialect::AgentStream] {
            let error = dialect.status_error(&meta(400, Some("text/plain")), long.as_bytes());
            let Error::BadRequest { message, .. } = error else {
                panic!("{dialect:?}: {error:?}")
            };
            assert_eq!(message.chars().count(), MESSAGE_CHARS + 1, "{dialect:?}");
            let error = dialect.status_error(&meta(418, Some("text/plain")), long.as_bytes());
            let Error::UnexpectedResponse { body, .. } = error else {
                panic!("{dialect:?}: {error:?}")
            };
            assert_eq!(
                body.len(),
                Error::KEPT_BODY_BYTES + '…'.len_utf8(),
                "{dialect:?}"
            );
        }
    }

    #[test]
    fn secrets_are_redacted_from_every_server_text() {
        let mut meta = meta(401, Some("application/json"));
        meta.secrets = Secrets::default();
        meta.secrets.add("sk-live-123");
        for (dialect, body) in [
            (
                Dialect::Agents,
                r#"{"error":"Invalid API key: sk-live-123"}"#,
            ),
            (
                Dialect::Sessions,
                r#"{"error":{"code":"unauthorized","message":"bad key sk-live-123"}}"#,
            ),
            (
                Dialect::AgentStream,
                r#"{"code":401,"msg":"sk-live-123 is not valid","data":null}"#,
            ),
        ] {
            let shown = format!("{0} {0:?}", dialect.status_error(&meta, body.as_bytes()));
            assert!(!shown.contains("sk-live-123"), "{dialect:?}: {shown}");
            assert!(shown.contains("<redacted>"), "{dialect:?}: {shown}");
        }
        meta.status = StatusCode::IM_A_TEAPOT;
        let shown = format!("{:?}", unexpected(&meta, b"echo sk-live-123", "why"));
        assert!(!shown.contains("sk-live-123"), "{shown}");
    }
}
