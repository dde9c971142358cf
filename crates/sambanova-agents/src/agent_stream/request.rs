//! What to ask the agent: the body of `POST /agent/agent/stream`.

use sambanova_agents_raw::agent_stream::types as raw;
use serde_json::{Map, Value};

use super::events::Interrupt;
use crate::Error;

/// The agent's mode (the backend's `module`).
pub use raw::AgentModule;

/// A request to the agent: the conversation so far and the run's settings. Every setting but
/// the messages is optional; the server's defaults apply.
///
/// To continue a conversation (and reuse its sandbox), send the thread id the previous run
/// named ([`AgentEventStream::thread_id`](crate::agent_stream::AgentEventStream::thread_id)).
/// Older deployments read `session_id` for that instead: [`AgentRequest::conversation`] sets
/// both.
///
/// ```
/// use sambanova_agents::agent_stream::{AgentModule, AgentRequest};
///
/// let first = AgentRequest::new("Create hello.py that prints Hello World");
/// let next = AgentRequest::new("Run hello.py")
///     .conversation("thread-1")
///     .module(AgentModule::General)
///     .web_search(false)
///     .locale("en-US");
/// assert_eq!(next.thread(), Some("thread-1"));
/// # let _ = first;
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
pub struct AgentRequest {
    messages: Vec<(String, String)>,
    module: Option<AgentModule>,
    thread_id: Option<String>,
    session_id: Option<String>,
    resources: Vec<Map<String, Value>>,
    max_plan_iterations: Option<u64>,
    max_step_num: Option<u64>,
    max_search_results: Option<u64>,
    auto_accepted_plan: Option<bool>,
    interrupt_feedback: Option<String>,
    enable_background_investigation: Option<bool>,
    enable_web_search: Option<bool>,
    enable_deep_thinking: Option<bool>,
    locale: Option<String>,
}

impl AgentRequest {
    /// A request with one user message.
    pub fn new(prompt: impl Into<String>) -> Self {
        AgentRequest::default().message("user", prompt)
    }

    /// Answers an [`Interrupt`] on its thread: `feedback` is one of its options' values
    /// (`accepted`, `edit_plan`, …), sent both as `interrupt_feedback` and as the user's
    /// message.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{AgentRequest, Interrupt};
    ///
    /// let interrupt: Interrupt = serde_json::from_str(
    ///     r#"{"thread_id":"t-7","content":"Plan…","options":[{"text":"Start","value":"accepted"}]}"#,
    /// ).unwrap();
    /// let answer = AgentRequest::answer(&interrupt, "accepted");
    /// assert_eq!(answer.thread(), Some("t-7"));
    /// assert_eq!(answer.feedback(), Some("accepted"));
    /// ```
    pub fn answer(interrupt: &Interrupt, feedback: impl Into<String>) -> Self {
        let feedback = feedback.into();
        let request = AgentRequest::new(feedback.clone()).interrupt_feedback(feedback);
        match interrupt.thread_id.as_deref().filter(|id| !id.is_empty()) {
            Some(thread_id) => request.thread_id(thread_id),
            None => request,
        }
    }

    /// Appends a message (`role` is `user` or `assistant`).
    pub fn message(mut self, role: impl Into<String>, content: impl Into<String>) -> Self {
        self.messages.push((role.into(), content.into()));
        self
    }

    /// The agent's mode (default `general`).
    pub fn module(mut self, module: AgentModule) -> Self {
        self.module = Some(module);
        self
    }

    /// The thread to continue (the server starts a new one without it).
    pub fn thread_id(mut self, thread_id: impl Into<String>) -> Self {
        self.thread_id = Some(thread_id.into());
        self
    }

    /// The guide's sandbox-reuse key, which older deployments read instead of `thread_id`.
    pub fn session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Continues the conversation `id` on any deployment: sets both `thread_id` and
    /// `session_id`.
    pub fn conversation(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.thread_id(id.clone()).session_id(id)
    }

    /// A resource (document, URL) given to the agent, as the backend's JSON object.
    pub fn resource(mut self, resource: Map<String, Value>) -> Self {
        self.resources.push(resource);
        self
    }

    /// Research plan revisions allowed (1 to 10).
    pub fn max_plan_iterations(mut self, n: u64) -> Self {
        self.max_plan_iterations = Some(n);
        self
    }

    /// Steps in a research plan (1 to 10).
    pub fn max_step_num(mut self, n: u64) -> Self {
        self.max_step_num = Some(n);
        self
    }

    /// Search results per search (1 to 20).
    pub fn max_search_results(mut self, n: u64) -> Self {
        self.max_search_results = Some(n);
        self
    }

    /// Accept the research plan without an [`Interrupt`].
    pub fn auto_accepted_plan(mut self, accepted: bool) -> Self {
        self.auto_accepted_plan = Some(accepted);
        self
    }

    /// The answer to an [`Interrupt`] (see [`AgentRequest::answer`]).
    pub fn interrupt_feedback(mut self, feedback: impl Into<String>) -> Self {
        self.interrupt_feedback = Some(feedback.into());
        self
    }

    /// Investigate the background before planning.
    pub fn background_investigation(mut self, enabled: bool) -> Self {
        self.enable_background_investigation = Some(enabled);
        self
    }

    /// Let the agent search the web.
    pub fn web_search(mut self, enabled: bool) -> Self {
        self.enable_web_search = Some(enabled);
        self
    }

    /// Use the model's deep thinking.
    pub fn deep_thinking(mut self, enabled: bool) -> Self {
        self.enable_deep_thinking = Some(enabled);
        self
    }

    /// The answer's locale (`en-US`).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// The thread this request continues, if set.
    pub fn thread(&self) -> Option<&str> {
        self.thread_id.as_deref()
    }

    /// The interrupt feedback, if set.
    pub fn feedback(&self) -> Option<&str> {
        self.interrupt_feedback.as_deref()
    }

    /// The body to send, after checking what the server would reject.
    pub(crate) fn to_wire(&self) -> Result<raw::AgentStreamRequest, Error> {
        if self.messages.is_empty() {
            return Err(Error::invalid_input("the request has no message"));
        }
        if let Some((role, _)) = self
            .messages
            .iter()
            .find(|(role, _)| role.trim().is_empty())
        {
            return Err(Error::invalid_input(format!(
                "a message has an empty role {role:?}"
            )));
        }
        for (name, id) in [
            ("thread_id", &self.thread_id),
            ("session_id", &self.session_id),
        ] {
            if id.as_deref().is_some_and(|id| id.trim().is_empty()) {
                return Err(Error::invalid_input(format!("{name} is empty")));
            }
        }
        Ok(raw::AgentStreamRequest {
            messages: self
                .messages
                .iter()
                .map(|(role, content)| raw::ChatMessage {
                    role: role.clone(),
                    content: content.clone(),
                })
                .collect(),
            module: self.module,
            // The server's own default, which means "start a new thread".
            thread_id: self
                .thread_id
                .clone()
                .unwrap_or_else(|| "__default__".to_owned()),
            session_id: self.session_id.clone(),
            resources: self.resources.clone(),
            max_plan_iterations: bounded("max_plan_iterations", self.max_plan_iterations, 10)?,
            max_step_num: bounded("max_step_num", self.max_step_num, 10)?,
            max_search_results: bounded("max_search_results", self.max_search_results, 20)?,
            auto_accepted_plan: self.auto_accepted_plan,
            interrupt_feedback: self.interrupt_feedback.clone(),
            enable_background_investigation: self.enable_background_investigation,
            enable_web_search: self.enable_web_search,
            enable_deep_thinking: self.enable_deep_thinking,
            locale: self.locale.clone(),
        })
    }
}

fn bounded(
    name: &str,
    value: Option<u64>,
    max: u64,
) -> Result<Option<std::num::NonZeroU64>, Error> {
    match value {
        None => Ok(None),
        Some(n) if (1..=max).contains(&n) => Ok(std::num::NonZeroU64::new(n)),
        Some(n) => Err(Error::invalid_input(format!(
            "{name} must be between 1 and {max}, not {n}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_body_keeps_every_setting() {
        let body = AgentRequest::new("hi")
            .conversation("t")
            .max_step_num(3)
            .auto_accepted_plan(true)
            .to_wire()
            .unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["thread_id"], "t");
        assert_eq!(json["session_id"], "t");
        assert_eq!(json["max_step_num"], 3);
        assert_eq!(json["auto_accepted_plan"], true);
        assert_eq!(json["messages"][0]["role"], "user");
        assert!(json.get("module").is_none());
    }

    #[test]
    fn what_the_server_rejects_is_refused_before_sending() {
        for bad in [
            AgentRequest::default(),
            AgentRequest::new("x").max_plan_iterations(0),
            AgentRequest::new("x").max_search_results(21),
            AgentRequest::new("x").thread_id(" "),
            AgentRequest::default().message("", "x"),
        ] {
            assert!(
                matches!(bad.to_wire(), Err(Error::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }
}
