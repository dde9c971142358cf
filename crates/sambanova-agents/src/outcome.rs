//! What an agent call produced, decided from the HTTP status and `Content-Type` first, then
//! the body: the real server answers 500 with `status: "completed"`, 200 with `text/html`,
//! and bodies its spec does not describe (see `shared/notes/agents-server.md`).

use std::fmt;

use reqwest::StatusCode;
use sambanova_agents_raw::agents::types as raw;
use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::error::{ServerError, ValidationIssue};
use crate::thread::Resumer;
use crate::transport::ResponseMeta;

/// The `status` of an agent's JSON body. The real server uses `completed`, `interrupted` and
/// `error`; anything else is kept as [`AgentStatus::Unknown`] rather than rejected.
///
/// ```
/// use sambanova_agents::AgentStatus;
///
/// assert_eq!(AgentStatus::from("interrupted"), AgentStatus::Interrupted);
/// assert_eq!(AgentStatus::from("paused"), AgentStatus::Unknown("paused".into()));
/// assert_eq!(AgentStatus::Completed.as_str(), "completed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AgentStatus {
    /// The run finished (but see [`Error::Server`]: also used on some 500s).
    Completed,
    /// The run paused for approval of a plan.
    Interrupted,
    /// The run failed.
    Error,
    /// A value this SDK does not know.
    Unknown(String),
}

impl AgentStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            AgentStatus::Completed => "completed",
            AgentStatus::Interrupted => "interrupted",
            AgentStatus::Error => "error",
            AgentStatus::Unknown(other) => other,
        }
    }
}

impl From<&str> for AgentStatus {
    fn from(value: &str) -> Self {
        match value {
            "completed" => AgentStatus::Completed,
            "interrupted" => AgentStatus::Interrupted,
            "error" => AgentStatus::Error,
            other => AgentStatus::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an agent call produced.
///
/// Failures (a 500, a `status: "error"`, a proxy's HTML 504, …) are [`Error`]s, so `?` stops
/// at them; this enum holds the outcomes a caller goes on with.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// use sambanova_agents::AgentOutcome;
///
/// match client.deep_research().interactive("Solid-state batteries").await? {
///     AgentOutcome::Interrupted(plan) => println!("plan to approve:\n{}", plan.plain_text()),
///     AgentOutcome::Completed(done) => println!("{}", done.text()),
///     AgentOutcome::Html(report) => println!("{} bytes of HTML", report.html().len()),
///     other => println!("unrecognized: {other:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum AgentOutcome {
    /// The run finished with a result.
    Completed(Completion),
    /// The run paused: approve or revise the plan to go on.
    Interrupted(Plan),
    /// The data science agent's report, as HTML.
    Html(HtmlReport),
    /// A 2xx body whose `status` this SDK does not know; kept as it came.
    Unrecognized(Unrecognized),
}

impl AgentOutcome {
    /// The completion, or an error saying what arrived instead.
    pub fn into_completion(self) -> Result<Completion, Error> {
        match self {
            AgentOutcome::Completed(done) => Ok(done),
            other => Err(other.not("a completed result")),
        }
    }

    /// The plan, or an error saying what arrived instead.
    pub fn into_plan(self) -> Result<Plan, Error> {
        match self {
            AgentOutcome::Interrupted(plan) => Ok(plan),
            other => Err(other.not("a plan to approve")),
        }
    }

    /// The HTML report, or an error saying what arrived instead.
    pub fn into_html(self) -> Result<HtmlReport, Error> {
        match self {
            AgentOutcome::Html(report) => Ok(report),
            other => Err(other.not("an HTML report")),
        }
    }

    /// The thread this outcome belongs to, when the server named one.
    pub fn thread_id(&self) -> Option<&str> {
        match self {
            AgentOutcome::Completed(done) => done.thread_id.as_deref(),
            AgentOutcome::Interrupted(plan) => Some(&plan.thread_id),
            AgentOutcome::Html(report) => report.thread_id.as_deref(),
            AgentOutcome::Unrecognized(other) => other.thread_id.as_deref(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AgentOutcome::Completed(_) => "a completed result",
            AgentOutcome::Interrupted(_) => "a plan awaiting approval",
            AgentOutcome::Html(_) => "an HTML report",
            AgentOutcome::Unrecognized(_) => "an unrecognized status",
        }
    }

    fn not(self, wanted: &str) -> Error {
        let status = match &self {
            AgentOutcome::Unrecognized(other) => format!(" ({})", other.status),
            _ => String::new(),
        };
        Error::UnexpectedResponse {
            status: StatusCode::OK,
            content_type: None,
            reason: format!("expected {wanted}, got {}{status}", self.kind()),
            body: String::new(),
            request_id: self.request_id().map(str::to_owned),
        }
    }

    fn request_id(&self) -> Option<&str> {
        match self {
            AgentOutcome::Completed(done) => done.request_id.as_deref(),
            AgentOutcome::Interrupted(plan) => plan.request_id.as_deref(),
            AgentOutcome::Html(report) => report.request_id.as_deref(),
            AgentOutcome::Unrecognized(other) => other.request_id.as_deref(),
        }
    }
}

/// A finished run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Completion {
    /// The result text: markdown for deep research, a step log for coding, a JSON document
    /// (in a string) for financial analysis, the model's answer for the main agent.
    pub result: String,
    /// File ids of the artifacts the run produced (often none); see [`crate::Files`].
    pub artifacts: Vec<String>,
    /// The thread, for agents that keep one.
    pub thread_id: Option<String>,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
}

impl Completion {
    /// The result text.
    pub fn text(&self) -> &str {
        &self.result
    }

    /// The result parsed as JSON (the financial agent's result is a JSON document in a
    /// string; it can also be `"Error: …"` text, which is an [`Error::UnexpectedResponse`]).
    pub fn json(&self) -> Result<Value, Error> {
        serde_json::from_str(&self.result).map_err(|error| Error::UnexpectedResponse {
            status: StatusCode::OK,
            content_type: Some("application/json".into()),
            reason: format!("the result is not JSON: {error}"),
            body: truncate(&self.result),
            request_id: self.request_id.clone(),
        })
    }
}

/// A run paused on a plan (deep research) or a hypothesis (data science): approve it, or
/// revise it with feedback.
pub struct Plan {
    /// The plan as the server sent it: text with `<b>` tags.
    pub text: String,
    /// The thread to resume.
    pub thread_id: String,
    /// The uploaded files the thread works on (data science only).
    pub file_ids: Vec<String>,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
    pub(crate) resumer: Option<Resumer>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("text", &self.text)
            .field("thread_id", &self.thread_id)
            .field("file_ids", &self.file_ids)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// The plan as sent (with the server's `<b>` tags).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The plan without markup, for a terminal.
    ///
    /// ```
    /// # use sambanova_agents::Plan;
    /// let plan = Plan::detached("Please <b>provide feedback</b> or <b>type 'approve'.</b>", "t-1");
    /// assert_eq!(plan.plain_text(), "Please provide feedback or type 'approve'.");
    /// ```
    pub fn plain_text(&self) -> String {
        strip_tags(&self.text)
    }

    /// The thread to resume.
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// A plan not tied to a client (for tests and for plans rebuilt from storage); it
    /// cannot be approved until resumed through an agent's `resume`.
    pub fn detached(text: impl Into<String>, thread_id: impl Into<String>) -> Self {
        Plan {
            text: text.into(),
            thread_id: thread_id.into(),
            file_ids: Vec::new(),
            request_id: None,
            resumer: None,
        }
    }
}

/// The data science agent's report: an HTML fragment (no `<html>` wrapper) with its charts
/// inlined as `data:` images.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HtmlReport {
    /// The HTML as sent.
    pub html: String,
    /// The thread (interactive runs).
    pub thread_id: Option<String>,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
}

impl HtmlReport {
    /// The HTML fragment.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// A complete HTML document around the fragment, ready to save and open in a browser.
    pub fn to_document(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Data science report</title></head>\n<body>\n{}\n</body></html>\n",
            self.html
        )
    }
}

/// A 2xx JSON body with a `status` this SDK does not know.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Unrecognized {
    /// The status as sent.
    pub status: AgentStatus,
    /// The body's `result`, if any, as text.
    pub result: Option<String>,
    /// The body's `thread_id`, if any.
    pub thread_id: Option<String>,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
}

/// Every field any agent body has been seen to carry, all optional (the real bodies differ
/// from the spec's), unknown fields ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireReply {
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
    #[serde(default)]
    detail: Option<Value>,
}

impl From<raw::BaseAgentResponse> for WireReply {
    fn from(body: raw::BaseAgentResponse) -> Self {
        WireReply {
            status: Some(body.status),
            result: body.result.map(Value::String),
            artifacts: Some(body.artifacts),
            file_ids: Some(body.file_ids),
            thread_id: body.thread_id,
            error: body.error.map(Value::String),
            details: body.details,
            detail: None,
        }
    }
}

impl From<raw::AgentResponse> for WireReply {
    fn from(body: raw::AgentResponse) -> Self {
        WireReply {
            status: Some(body.status),
            result: body.result.map(Value::String),
            artifacts: Some(body.artifacts),
            file_ids: Some(body.file_ids),
            thread_id: body.thread_id,
            error: body.error.map(Value::String),
            details: body.details,
            detail: None,
        }
    }
}

impl From<raw::AgentErrorResponse> for WireReply {
    fn from(body: raw::AgentErrorResponse) -> Self {
        WireReply {
            status: body.status,
            result: body.result.map(Value::String),
            artifacts: None,
            file_ids: None,
            thread_id: body.thread_id,
            error: body.error.map(Value::String),
            details: body.details,
            detail: body.detail,
        }
    }
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
/// use sambanova_agents::outcome::{Expect, classify};
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
    let meta = ResponseMeta {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        content_type: content_type.map(str::to_owned),
        request_id: request_id.map(str::to_owned),
        retry_after: None,
    };
    classify_bytes(expect, &meta, body)
}

pub(crate) fn classify_bytes(
    expect: Expect,
    meta: &ResponseMeta,
    body: &[u8],
) -> Result<AgentOutcome, Error> {
    let media = media_type(meta.content_type.as_deref());
    if meta.status.is_success() {
        if media == "text/html" && expect == Expect::JsonOrHtml {
            return Ok(AgentOutcome::Html(HtmlReport {
                html: String::from_utf8_lossy(body).into_owned(),
                thread_id: None,
                request_id: meta.request_id.clone(),
            }));
        }
        if !is_json(&media) {
            return Err(unexpected(meta, body, "the body is not JSON"));
        }
        return match serde_json::from_slice::<WireReply>(body) {
            Ok(reply) => decide(meta, reply, body),
            Err(error) => Err(unexpected(
                meta,
                body,
                &format!("the JSON does not parse: {error}"),
            )),
        };
    }
    let reply = if is_json(&media) || media.is_empty() {
        serde_json::from_slice::<WireReply>(body).ok()
    } else {
        None
    };
    match reply {
        Some(reply) => decide(meta, reply, body),
        None => decide_text(meta, body),
    }
}

/// Decides from a parsed body (the generated client's, or ours).
pub(crate) fn decide(
    meta: &ResponseMeta,
    reply: WireReply,
    body: &[u8],
) -> Result<AgentOutcome, Error> {
    let request_id = meta.request_id.clone();
    let status = meta.status;
    let message = reply_message(&reply);
    match status.as_u16() {
        200..=299 => {}
        400 => {
            return Err(Error::BadRequest {
                message: message.unwrap_or_default(),
                request_id,
            });
        }
        401 => {
            return Err(Error::Authentication {
                message: message.unwrap_or_else(|| "unauthorized".into()),
                request_id,
            });
        }
        404 => {
            return Err(Error::NotFound {
                message: message.unwrap_or_default(),
                request_id,
            });
        }
        422 => {
            return Err(Error::Validation {
                detail: validation_detail(reply.detail),
                request_id,
            });
        }
        429 => {
            return Err(Error::RateLimited {
                retry_after: meta.retry_after,
                request_id,
            });
        }
        500..=599 => return Err(server_error(meta, reply, message)),
        _ => return Err(unexpected(meta, body, "undocumented status")),
    }
    let Some(status_text) = reply.status.as_deref() else {
        return Err(unexpected(meta, body, "the body has no status"));
    };
    match AgentStatus::from(status_text) {
        AgentStatus::Completed => Ok(AgentOutcome::Completed(Completion {
            result: reply.result.map(value_text).unwrap_or_default(),
            artifacts: reply.artifacts.unwrap_or_default(),
            thread_id: reply.thread_id,
            request_id,
        })),
        AgentStatus::Interrupted => match reply.thread_id {
            Some(thread_id) if !thread_id.is_empty() => Ok(AgentOutcome::Interrupted(Plan {
                text: reply.result.map(value_text).unwrap_or_default(),
                thread_id,
                file_ids: reply.file_ids.unwrap_or_default(),
                request_id,
                resumer: None,
            })),
            _ => Err(unexpected(
                meta,
                body,
                "interrupted without a thread_id to resume",
            )),
        },
        AgentStatus::Error => Err(server_error(meta, reply, message)),
        unknown => Ok(AgentOutcome::Unrecognized(Unrecognized {
            status: unknown,
            result: reply.result.map(value_text),
            thread_id: reply.thread_id,
            request_id,
        })),
    }
}

/// A non-JSON error body: a proxy's HTML page or Starlette's plain "Internal Server Error".
fn decide_text(meta: &ResponseMeta, body: &[u8]) -> Result<AgentOutcome, Error> {
    let text = String::from_utf8_lossy(body);
    let message = html_title(&text).unwrap_or_else(|| first_line(&text));
    let reply = WireReply {
        error: Some(Value::String(message)),
        ..WireReply::default()
    };
    match meta.status.as_u16() {
        400 | 401 | 404 | 429 | 500..=599 => decide(meta, reply, body),
        _ => Err(unexpected(
            meta,
            body,
            "undocumented status with a non-JSON body",
        )),
    }
}

fn server_error(meta: &ResponseMeta, reply: WireReply, message: Option<String>) -> Error {
    Error::Server(Box::new(ServerError {
        http_status: meta.status,
        agent_status: reply.status.as_deref().map(AgentStatus::from),
        message: message.unwrap_or_default(),
        thread_id: reply.thread_id,
        details: reply.details,
        content_type: meta.content_type.clone(),
        request_id: meta.request_id.clone(),
    }))
}

fn reply_message(reply: &WireReply) -> Option<String> {
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    reply
        .error
        .as_ref()
        .map(text)
        .or_else(|| match &reply.detail {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        })
        .or_else(|| reply.result.as_ref().map(text))
}

/// FastAPI's 422 `detail`: a list of issues, or (from some handlers) one message.
pub(crate) fn validation_detail(detail: Option<Value>) -> Vec<ValidationIssue> {
    match detail {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        Some(Value::String(msg)) => serde_json::from_value(serde_json::json!({ "msg": msg }))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn unexpected(meta: &ResponseMeta, body: &[u8], reason: &str) -> Error {
    Error::UnexpectedResponse {
        status: meta.status,
        content_type: meta.content_type.clone(),
        reason: reason.to_owned(),
        body: truncate(&String::from_utf8_lossy(body)),
        request_id: meta.request_id.clone(),
    }
}

fn value_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Whether a `Content-Type` names JSON (`application/json` or `…+json`, any parameters): the
/// one rule for every answer, whether the generated client or the SDK parsed its body.
pub(crate) fn is_json_content_type(content_type: Option<&str>) -> bool {
    is_json(&media_type(content_type))
}

/// Whether a `Content-Type` names an event stream (`text/event-stream`, any parameters).
pub(crate) fn is_event_stream_content_type(content_type: Option<&str>) -> bool {
    media_type(content_type) == "text/event-stream"
}

fn truncate(text: &str) -> String {
    if text.len() <= Error::KEPT_BODY_BYTES {
        return text.to_owned();
    }
    let mut end = Error::KEPT_BODY_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    truncate_chars(line, 200)
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.get(..text.len().min(64 * 1024))?.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text.get(start..end)?.trim();
    (!title.is_empty()).then(|| truncate_chars(title, 200))
}

fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Removes `<…>` tags (the server's plans carry `<b>`), keeping the text.
pub(crate) fn strip_tags(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
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
