//! What an agent call produced: the outcomes a caller goes on with.

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::dialect::kept_body;
use crate::transport::ResponseMeta;
use crate::wire_enum::wire_enum;
use crate::{Error, reports};

/// Continues a plan's thread with a reply (set by the agent the plan came from, with that
/// handle's settings).
pub(crate) type Resume =
    Arc<dyn Fn(&Plan, String) -> BoxFuture<'static, Result<AgentOutcome, Error>> + Send + Sync>;

wire_enum! {
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
    AgentStatus {
        /// The run finished (but see [`Error::Server`]: also used on some 500s).
        Completed = "completed",
        /// The run paused for approval of a plan.
        Interrupted = "interrupted",
        /// The run failed.
        Error = "error",
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
            attempts: 1,
        }
    }

    /// What came back with the answer this outcome came from: status, headers, request id,
    /// attempts and time.
    ///
    /// ```
    /// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
    /// let outcome = client.financial().run("Analyse NVIDIA").await?;
    /// println!("{} after {} attempt(s)", outcome.meta().status(), outcome.meta().attempts());
    /// # Ok(()) }
    /// ```
    pub fn meta(&self) -> &ResponseMeta {
        match self {
            AgentOutcome::Completed(done) => &done.meta,
            AgentOutcome::Interrupted(plan) => &plan.meta,
            AgentOutcome::Html(report) => &report.meta,
            AgentOutcome::Unrecognized(other) => &other.meta,
        }
    }

    fn request_id(&self) -> Option<&str> {
        match self {
            AgentOutcome::Completed(done) => done.request_id.as_deref(),
            AgentOutcome::Interrupted(plan) => plan.request_id(),
            AgentOutcome::Html(report) => report.request_id.as_deref(),
            AgentOutcome::Unrecognized(other) => other.request_id.as_deref(),
        }
    }
}

/// A finished run.
///
/// Its [`result`](Completion::result) is text whose shape depends on the agent; the typed
/// views (see [`crate::reports`]) read the shapes that are stable:
///
/// - financial analysis: [`Completion::financial_report`], the server's own model;
/// - deep research: [`Completion::research_report`], derived from the markdown's headings
///   (as stable as the model's markdown, no more);
/// - any JSON result: [`Completion::parse`] into a type of your own;
/// - coding (a step log) and the main agent (the model's answer): free text with no stable
///   shape; read [`Completion::text`].
///
/// ```
/// use sambanova_agents::{Completion, ErrorKind};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Headline {
///     ticker: String,
///     company_name: String,
/// }
///
/// let done = Completion::from_result(r#"{"ticker": "NVDA", "company_name": "NVIDIA"}"#);
/// let headline: Headline = done.parse()?;
/// assert_eq!((headline.ticker.as_str(), headline.company_name.as_str()), ("NVDA", "NVIDIA"));
///
/// // The financial agent's `Error: …` text is not a report.
/// let failed = Completion::from_result("Error: no ticker found");
/// assert_eq!(failed.parse::<Headline>().unwrap_err().kind(), ErrorKind::Decode);
/// # Ok::<(), sambanova_agents::Error>(())
/// ```
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
    pub(crate) meta: ResponseMeta,
}

impl Completion {
    /// What came back with the answer that carried this result.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// A completion holding `result` and nothing else, not tied to a call: for tests, and to
    /// read a result kept from an earlier run with the typed views.
    pub fn from_result(result: impl Into<String>) -> Self {
        Completion {
            result: result.into(),
            artifacts: Vec::new(),
            thread_id: None,
            request_id: None,
            meta: ResponseMeta::detached(StatusCode::OK, None, None),
        }
    }

    /// The result text.
    pub fn text(&self) -> &str {
        &self.result
    }

    /// The result parsed as JSON (the financial agent's result is a JSON document in a
    /// string; it can also be `"Error: …"` text, which is an [`Error::UnexpectedResponse`]
    /// here; [`Completion::parse`] makes it an [`Error::Decode`]).
    pub fn json(&self) -> Result<Value, Error> {
        serde_json::from_str(&self.result).map_err(|error| Error::UnexpectedResponse {
            status: StatusCode::OK,
            content_type: Some("application/json".into()),
            reason: format!("the result is not JSON: {error}"),
            body: kept_body(&self.result),
            request_id: self.request_id.clone(),
            attempts: 1,
        })
    }

    /// The result decoded into `T`, from the JSON document it holds.
    ///
    /// Every failure is an [`Error::Decode`] with this completion's request id: a result
    /// whose shape does not fit `T` (its `path` says where decoding stopped, e.g. `risk.beta`),
    /// and a result that is not JSON at all (the financial agent's `Error: <reason>` text; its
    /// `path` is empty). Unlike [`Completion::json`], which answers
    /// [`Error::UnexpectedResponse`] for text that is not JSON: the HTTP answer was fine, it
    /// is the result that is not a `T`.
    ///
    /// ```
    /// use sambanova_agents::{Completion, Error};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Risk {
    ///     beta: f64,
    /// }
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Report {
    ///     risk: Risk,
    /// }
    ///
    /// let done = Completion::from_result(r#"{"risk": {"beta": "high"}}"#);
    /// match done.parse::<Report>() {
    ///     Err(Error::Decode { path, .. }) => assert_eq!(path, "risk.beta"),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let mut json = serde_json::Deserializer::from_str(&self.result);
        let decoded = serde_path_to_error::deserialize(&mut json)
            .map_err(|error| (error.path().to_string(), error.into_inner()))
            // Text after the document (`{…} trailing`) is not a `T` either.
            .and_then(|value| json.end().map(|()| value).map_err(|e| (String::new(), e)));
        decoded.map_err(|(path, error)| {
            let path = if path == "." { String::new() } else { path };
            let message = if error.is_syntax() || error.is_eof() {
                format!("the result is not JSON: {error}")
            } else {
                error.to_string()
            };
            self.decode_error::<T>(path, message)
        })
    }

    /// The financial analysis agent's report, typed: see [`reports::FinancialReport`].
    ///
    /// A result that does not fit the server's model is an [`Error::Decode`]; so is the
    /// `Error: <reason>` text the agent answers when its pipeline fails (the reason is in the
    /// error's message).
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
    /// let done = client.financial().run("Analyse NVDA").await?.into_completion()?;
    /// let report = done.financial_report()?;
    /// println!("{} ({}): beta {}", report.company_name, report.ticker, report.risk.beta);
    /// println!("{}", report.comprehensive_summary);
    /// # Ok(()) }
    /// ```
    pub fn financial_report(&self) -> Result<reports::FinancialReport, Error> {
        if let Some(reason) = self.result.trim_start().strip_prefix("Error:") {
            return Err(self.decode_error::<reports::FinancialReport>(
                String::new(),
                format!(
                    "the agent answered with an error instead of a report: {}",
                    reason.trim()
                ),
            ));
        }
        self.parse()
    }

    /// The deep research agent's report, read from its markdown: see
    /// [`reports::ResearchReport`] for how, and for what in it is not stable.
    ///
    /// A result with no markdown heading at all is not a report: an [`Error::Decode`].
    ///
    /// ```
    /// use sambanova_agents::Completion;
    ///
    /// let done = Completion::from_result("# Introduction\nWhy.\n\n# Conclusion\nSo.");
    /// let report = done.research_report()?;
    /// assert_eq!(report.sections.len(), 2);
    /// # Ok::<(), sambanova_agents::Error>(())
    /// ```
    pub fn research_report(&self) -> Result<reports::ResearchReport, Error> {
        let report = reports::ResearchReport::from_markdown(&self.result);
        if report.title.is_none() && report.sections.is_empty() {
            return Err(self.decode_error::<reports::ResearchReport>(
                String::new(),
                "the result has no markdown heading: not a research report".into(),
            ));
        }
        Ok(report)
    }

    fn decode_error<T>(&self, path: String, message: String) -> Error {
        Error::Decode {
            target: std::any::type_name::<T>(),
            path,
            message,
            body: kept_body(&self.result),
            request_id: self.request_id.clone(),
        }
    }
}

/// A run paused on a plan (deep research) or a hypothesis (data science): approve it, or
/// revise it with feedback.
///
/// Its parts are read with getters; a plan is made by an agent call (or [`Plan::detached`]).
pub struct Plan {
    pub(crate) text: String,
    pub(crate) thread_id: String,
    pub(crate) file_ids: Vec<String>,
    /// The answer that carried the plan (for a plan rebuilt from a token or made detached,
    /// none: an OK status, no headers).
    pub(crate) meta: ResponseMeta,
    pub(crate) resume: Option<Resume>,
    /// The agent the plan came from, and the code a coding thread works on: what a
    /// [`PlanToken`](super::PlanToken) keeps to resume it elsewhere.
    pub(crate) agent: Option<AgentKind>,
    pub(crate) code: Option<String>,
}

/// Which interactive agent a [`Plan`] came from.
///
/// ```
/// use sambanova_agents::AgentKind;
///
/// assert_eq!(serde_json::to_string(&AgentKind::DeepResearch).unwrap(), r#""deep_research""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentKind {
    /// [`crate::MainAgent`].
    Main,
    /// [`crate::Coding`].
    Coding,
    /// [`crate::DeepResearch`].
    DeepResearch,
    /// [`crate::Financial`].
    Financial,
    /// [`crate::DataScience`].
    DataScience,
}

impl AgentKind {
    /// The name the CLI and the token use (`deep_research`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            AgentKind::Main => "main",
            AgentKind::Coding => "coding",
            AgentKind::DeepResearch => "deep_research",
            AgentKind::Financial => "financial",
            AgentKind::DataScience => "data_science",
        }
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("text", &self.text)
            .field("thread_id", &self.thread_id)
            .field("file_ids", &self.file_ids)
            .field("meta", &self.meta)
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// The plan as the server sent it: text with `<b>` tags.
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

    /// The uploaded files the thread works on (data science only; empty for the others).
    pub fn file_ids(&self) -> &[String] {
        &self.file_ids
    }

    /// The server's `X-Request-ID` for the answer that carried the plan.
    pub fn request_id(&self) -> Option<&str> {
        self.meta.request_id()
    }

    /// What came back with the answer that carried the plan.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// A plan not tied to a client (for tests and for plans rebuilt from storage); it
    /// cannot be approved until resumed through an agent's `resume`.
    pub fn detached(text: impl Into<String>, thread_id: impl Into<String>) -> Self {
        Plan {
            text: text.into(),
            thread_id: thread_id.into(),
            file_ids: Vec::new(),
            meta: ResponseMeta::detached(StatusCode::OK, None, None),
            resume: None,
            agent: None,
            code: None,
        }
    }

    /// Approves the plan: sends exactly `approve` on its thread, and returns what the agent
    /// did next (the report, or another plan).
    ///
    /// The call reuses the agent handle the plan came from: its timeout, deadline and retry
    /// policy (the client's where the handle set none), and its client (key, headers,
    /// `on_retry` hook). The deadline counts from this call, not from the one that made the
    /// plan.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
    /// use std::time::Duration;
    ///
    /// let research = client.deep_research().deadline(Duration::from_secs(1800));
    /// let plan = research.interactive("Solid-state batteries").await?.into_plan()?;
    /// // Also bounded by 30 minutes, counted from here.
    /// let report = plan.approve().await?;
    /// # let _ = report;
    /// # Ok(()) }
    /// ```
    pub async fn approve(&self) -> Result<AgentOutcome, Error> {
        self.reply("approve").await
    }

    /// Sends feedback on the plan; the agent answers with a revised plan (deep research, data
    /// science) or goes on (see each agent's `resume`). Like [`Plan::approve`], the call reuses
    /// the timeout, deadline, retry policy and client of the handle the plan came from. Empty
    /// feedback is refused without a request.
    pub async fn revise(&self, feedback: &str) -> Result<AgentOutcome, Error> {
        if feedback.trim().is_empty() {
            return Err(Error::invalid_input(
                "feedback is empty: say what to change, or approve()",
            ));
        }
        self.reply(feedback).await
    }

    /// Sends any reply on the plan's thread, as is, with the settings [`Plan::approve`] uses.
    pub async fn reply(&self, text: &str) -> Result<AgentOutcome, Error> {
        match &self.resume {
            Some(resume) => resume(self, text.to_owned()).await,
            None => Err(Error::invalid_input(
                "this plan is not tied to a client: resume its thread with the agent's resume()",
            )),
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
    pub(crate) meta: ResponseMeta,
}

impl HtmlReport {
    /// What came back with the report.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

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
    pub(crate) meta: ResponseMeta,
}

impl Unrecognized {
    /// What came back with the answer.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
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
