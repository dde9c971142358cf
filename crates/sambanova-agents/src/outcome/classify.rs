//! From an agent call's answer to an [`AgentOutcome`]: the HTTP status and `Content-Type`
//! first, then the body. The real server answers 500 with `status: "completed"` when it could
//! not extract a result, 200 with `text/html` for data science reports, and bodies its spec
//! does not describe (`docs/agents-server.md`).

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::types::{AgentOutcome, AgentStatus, Completion, HtmlReport, Plan, Unrecognized};
use crate::Error;
use crate::dialect::{Dialect, ErrorBody, status_error, unexpected};
use crate::transport::{Exchange, ResponseMeta, is_json_content_type, is_media_type};

/// Every field any agent body has been seen to carry, all optional (the real bodies differ
/// from the spec's), unknown fields ignored.
#[derive(Debug, Default, Deserialize)]
struct WireReply {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    artifacts: Option<Vec<String>>,
    #[serde(default)]
    file_ids: Option<Vec<String>>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    details: Option<Value>,
}

/// Which bodies an operation can answer with besides JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// JSON only (every agent but data science).
    Json,
    /// JSON, or `text/html` for the report (data science).
    JsonOrHtml,
}

/// Classifies a whole response: status, `Content-Type`, body. Total: any input gives an
/// outcome or a typed error, never a panic (fuzzed in `fuzz/`).
///
/// ```
/// use sambanova_agents::{Expect, classify};
/// use sambanova_agents::{AgentOutcome, Error};
///
/// let done = classify(Expect::Json, 200, Some("application/json"), None,
///     br#"{"status":"completed","result":"42","thread_id":null}"#).unwrap();
/// assert!(matches!(done, AgentOutcome::Completed(ref c) if c.text() == "42"));
///
/// let failed = classify(Expect::Json, 500, Some("application/json"), Some("req-1"),
///     br#"{"status":"completed","result":"Unable to extract results from the agent"}"#);
/// assert!(matches!(failed, Err(Error::Server(ref e)) if e.message.contains("Unable")));
/// ```
pub fn classify(
    expect: Expect,
    status: u16,
    content_type: Option<&str>,
    request_id: Option<&str>,
    body: &[u8],
) -> Result<AgentOutcome, Error> {
    let meta = ResponseMeta::detached(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        content_type,
        request_id,
    );
    classify_bytes(expect, meta, body)
}

/// Classifies an agent call's whole answer.
pub(crate) fn classify_exchange(expect: Expect, exchange: Exchange) -> Result<AgentOutcome, Error> {
    let Exchange { meta, body } = exchange;
    classify_bytes(expect, meta, &body)
}

/// An outcome keeps `meta` (an error copies what it needs).
fn classify_bytes(expect: Expect, meta: ResponseMeta, body: &[u8]) -> Result<AgentOutcome, Error> {
    if !meta.status.is_success() {
        return Err(Dialect::Agents.status_error(&meta, body));
    }
    if expect == Expect::JsonOrHtml && is_media_type(meta.content_type(), "text/html") {
        return Ok(AgentOutcome::Html(HtmlReport {
            html: String::from_utf8_lossy(body).into_owned(),
            thread_id: None,
            request_id: meta.request_id.clone(),
            meta,
        }));
    }
    if !is_json_content_type(meta.content_type()) {
        return Err(unexpected(&meta, body, "the body is not JSON"));
    }
    let reply = serde_json::from_slice::<WireReply>(body)
        .map_err(|error| unexpected(&meta, body, &format!("the JSON does not parse: {error}")))?;
    decide(meta, reply, body)
}

/// A 2xx agent body: what its `status` says.
fn decide(meta: ResponseMeta, reply: WireReply, body: &[u8]) -> Result<AgentOutcome, Error> {
    let Some(status_text) = reply.status.as_deref() else {
        return Err(unexpected(&meta, body, "the body has no status"));
    };
    match AgentStatus::from(status_text) {
        AgentStatus::Completed => Ok(AgentOutcome::Completed(Completion {
            result: reply.result.map(value_text).unwrap_or_default(),
            artifacts: reply.artifacts.unwrap_or_default(),
            thread_id: reply.thread_id,
            request_id: meta.request_id.clone(),
            meta,
        })),
        AgentStatus::Interrupted => match reply.thread_id {
            Some(thread_id) if !thread_id.is_empty() => Ok(AgentOutcome::Interrupted(Plan {
                text: reply.result.map(value_text).unwrap_or_default(),
                thread_id,
                file_ids: reply.file_ids.unwrap_or_default(),
                meta,
                resume: None,
                agent: None,
                code: None,
            })),
            _ => Err(unexpected(
                &meta,
                body,
                "interrupted without a thread_id to resume",
            )),
        },
        // An agent that failed behind a 200: the same error as behind a 500.
        AgentStatus::Error => {
            let mut failed = meta.clone();
            failed.status = StatusCode::INTERNAL_SERVER_ERROR;
            let read = ErrorBody {
                message: reply
                    .error
                    .as_ref()
                    .or(reply.result.as_ref())
                    .cloned()
                    .map(value_text),
                details: reply.details,
                thread_id: reply.thread_id,
                agent_status: Some(AgentStatus::Error),
                ..ErrorBody::default()
            };
            match status_error(&failed, read, body) {
                Error::Server(mut server) => {
                    server.http_status = meta.status;
                    Err(Error::Server(server))
                }
                other => Err(other),
            }
        }
        unknown => Ok(AgentOutcome::Unrecognized(Unrecognized {
            status: unknown,
            result: reply.result.map(value_text),
            thread_id: reply.thread_id,
            request_id: meta.request_id.clone(),
            meta,
        })),
    }
}

fn value_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn json(status: u16, body: &str) -> Result<AgentOutcome, Error> {
        classify(
            Expect::Json,
            status,
            Some("application/json"),
            Some("rid"),
            body.as_bytes(),
        )
    }

    #[test]
    fn every_shape_in_the_server_notes() {
        // Financial: no artifacts; result is JSON in a string.
        let done = json(
            200,
            r#"{"thread_id":"t","status":"completed","result":"{\"a\":1}"}"#,
        )
        .unwrap()
        .into_completion()
        .unwrap();
        assert!(done.artifacts.is_empty());
        assert_eq!(done.json().unwrap()["a"], 1);
        // Unknown fields are ignored, unknown status kept.
        let other = json(200, r#"{"status":"paused","extra":true}"#).unwrap();
        assert!(
            matches!(other, AgentOutcome::Unrecognized(ref u) if u.status == AgentStatus::Unknown("paused".into()))
        );
        // Interrupted carries the plan and the thread.
        let plan = json(
            200,
            r#"{"thread_id":"t","status":"interrupted","result":"<b>Plan</b>"}"#,
        )
        .unwrap()
        .into_plan()
        .unwrap();
        assert_eq!(
            (plan.plain_text().as_str(), plan.thread_id()),
            ("Plan", "t")
        );
        // thread_id: null on a 500.
        let error = json(
            500,
            r#"{"thread_id":null,"status":"error","error":"An internal error occurred"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(error, Error::Server(ref e) if e.thread_id.is_none() && e.agent_status == Some(AgentStatus::Error))
        );
        assert_eq!(error.request_id(), Some("rid"));
        // 400 / 401 / 404 bodies are {"error"}.
        assert!(matches!(
            json(400, r#"{"error":"thread_id is required when resume=true"}"#),
            Err(Error::BadRequest { .. })
        ));
        assert!(
            matches!(json(401, r#"{"error":"Invalid API key"}"#), Err(Error::Authentication { ref message, .. }) if message == "Invalid API key")
        );
        assert!(matches!(
            json(404, r#"{"error":"File not found or access denied"}"#),
            Err(Error::NotFound { .. })
        ));
        // 422 FastAPI detail with pydantic v2 extras.
        let invalid = json(422, r#"{"detail":[{"type":"missing","loc":["body","prompt"],"msg":"Field required","input":{}}]}"#).unwrap_err();
        assert!(
            invalid.to_string().contains("body.prompt: Field required"),
            "{invalid}"
        );
    }

    #[test]
    fn proxies_and_wrong_content_types() {
        let gateway = classify(
            Expect::Json,
            504,
            Some("text/html"),
            None,
            b"<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>",
        )
        .unwrap_err();
        assert!(matches!(gateway, Error::Server(ref e) if e.message == "504 Gateway Time-out"));
        let plain = classify(
            Expect::Json,
            500,
            Some("text/plain"),
            None,
            b"Internal Server Error",
        )
        .unwrap_err();
        assert!(matches!(plain, Error::Server(ref e) if e.message == "Internal Server Error"));
        let html_on_json =
            classify(Expect::Json, 200, Some("text/html"), None, b"<p>hi</p>").unwrap_err();
        assert!(
            matches!(html_on_json, Error::UnexpectedResponse { ref body, .. } if body == "<p>hi</p>")
        );
        let report = classify(
            Expect::JsonOrHtml,
            200,
            Some("text/html; charset=utf-8"),
            None,
            b"<h1>R</h1>",
        )
        .unwrap();
        assert!(matches!(report, AgentOutcome::Html(ref r) if r.html() == "<h1>R</h1>"));
        let teapot = classify(Expect::Json, 418, None, None, b"").unwrap_err();
        assert!(matches!(teapot, Error::UnexpectedResponse { .. }));
        let broken = classify(
            Expect::Json,
            200,
            Some("application/json"),
            None,
            b"{\"status\":",
        )
        .unwrap_err();
        assert!(matches!(broken, Error::UnexpectedResponse { .. }));
    }

    #[test]
    fn an_interrupt_without_a_thread_cannot_be_resumed() {
        assert!(matches!(
            json(
                200,
                r#"{"status":"interrupted","thread_id":null,"result":"x"}"#
            ),
            Err(Error::UnexpectedResponse { .. })
        ));
    }
}
