//! What to ask the agent: the bodies of `POST /agent/agent/stream` and `POST /agent/chat/stream`.

use sambanova_agents_raw::agent_stream::types as raw;
use serde_json::{Map, Value};

use std::num::NonZeroU64;

use super::events::{DEFAULT_THREAD, Interrupt};
use crate::Error;

/// The agent's mode (the backend's `module`).
pub use raw::AgentModule;

/// What both endpoints' bodies share: the conversation and the run's settings.
#[derive(Debug, Clone, PartialEq, Default)]
struct Conversation {
    messages: Vec<(String, String)>,
    thread_id: Option<String>,
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

/// [`Conversation`] checked and converted, ready for either body.
struct CheckedConversation {
    messages: Vec<raw::ChatMessage>,
    thread_id: String,
    max_plan_iterations: Option<NonZeroU64>,
    max_step_num: Option<NonZeroU64>,
    max_search_results: Option<NonZeroU64>,
}

impl Conversation {
    /// Refuses what the server would reject (422), before anything is sent.
    fn check(&self) -> Result<CheckedConversation, Error> {
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
        check_id("thread_id", &self.thread_id)?;
        Ok(CheckedConversation {
            messages: self
                .messages
                .iter()
                .map(|(role, content)| raw::ChatMessage {
                    role: role.clone(),
                    content: content.clone(),
                })
                .collect(),
            // The server's own default, which means "start a new thread".
            thread_id: self
                .thread_id
                .clone()
                .unwrap_or_else(|| DEFAULT_THREAD.to_owned()),
            max_plan_iterations: bounded("max_plan_iterations", self.max_plan_iterations, 10)?,
            max_step_num: bounded("max_step_num", self.max_step_num, 10)?,
            max_search_results: bounded("max_search_results", self.max_search_results, 20)?,
        })
    }
}

fn check_id(name: &str, id: &Option<String>) -> Result<(), Error> {
    if id.as_deref().is_some_and(|id| id.trim().is_empty()) {
        return Err(Error::invalid_input(format!("{name} is empty")));
    }
    Ok(())
}

/// The setters of [`Conversation`], for both request types.
macro_rules! conversation_setters {
    () => {
        /// Appends a message (`role` is `user` or `assistant`).
        pub fn message(mut self, role: impl Into<String>, content: impl Into<String>) -> Self {
            self.conversation
                .messages
                .push((role.into(), content.into()));
            self
        }

        /// The thread to continue: the id the server named in the previous run's events (the
        /// server starts a new thread without it).
        pub fn thread_id(mut self, thread_id: impl Into<String>) -> Self {
            self.conversation.thread_id = Some(thread_id.into());
            self
        }

        /// A resource (document, URL) given to the agent, as the backend's JSON object.
        pub fn resource(mut self, resource: Map<String, Value>) -> Self {
            self.conversation.resources.push(resource);
            self
        }

        /// Research plan revisions allowed (1 to 10).
        pub fn max_plan_iterations(mut self, n: u64) -> Self {
            self.conversation.max_plan_iterations = Some(n);
            self
        }

        /// Steps in a research plan (1 to 10).
        pub fn max_step_num(mut self, n: u64) -> Self {
            self.conversation.max_step_num = Some(n);
            self
        }

        /// Search results per search (1 to 20).
        pub fn max_search_results(mut self, n: u64) -> Self {
            self.conversation.max_search_results = Some(n);
            self
        }

        /// Accept the research plan without an [`Interrupt`].
        pub fn auto_accepted_plan(mut self, accepted: bool) -> Self {
            self.conversation.auto_accepted_plan = Some(accepted);
            self
        }

        /// The answer to an [`Interrupt`] (see `answer`).
        pub fn interrupt_feedback(mut self, feedback: impl Into<String>) -> Self {
            self.conversation.interrupt_feedback = Some(feedback.into());
            self
        }

        /// Investigate the background before planning.
        pub fn background_investigation(mut self, enabled: bool) -> Self {
            self.conversation.enable_background_investigation = Some(enabled);
            self
        }

        /// Let the agent search the web.
        pub fn web_search(mut self, enabled: bool) -> Self {
            self.conversation.enable_web_search = Some(enabled);
            self
        }

        /// Use the model's deep thinking.
        pub fn deep_thinking(mut self, enabled: bool) -> Self {
            self.conversation.enable_deep_thinking = Some(enabled);
            self
        }

        /// The answer's locale (`en-US`).
        pub fn locale(mut self, locale: impl Into<String>) -> Self {
            self.conversation.locale = Some(locale.into());
            self
        }

        /// The thread this request continues, as [`Self::thread_id`] set it. A getter is named
        /// `get_` and its setter's name, as `std::process::Command`'s are: the setter has the
        /// plain name.
        pub fn get_thread_id(&self) -> Option<&str> {
            self.conversation.thread_id.as_deref()
        }

        /// The answer to an interrupt, as [`Self::interrupt_feedback`] set it.
        pub fn get_interrupt_feedback(&self) -> Option<&str> {
            self.conversation.interrupt_feedback.as_deref()
        }
    };
}

/// The request that answers `interrupt` with `feedback`, on its thread.
fn answering<R>(
    interrupt: &Interrupt,
    feedback: String,
    new: impl FnOnce(String) -> R,
    on_thread: impl FnOnce(R, &str) -> R,
) -> R {
    let request = new(feedback);
    match interrupt
        .thread_id
        .as_deref()
        .filter(|id| !id.trim().is_empty() && *id != DEFAULT_THREAD)
    {
        Some(thread_id) => on_thread(request, thread_id),
        None => request,
    }
}

/// A request to the agent stream (`POST /agent/agent/stream`, with a sandbox): the
/// conversation so far and the run's settings. Every setting but the messages is optional;
/// the server's defaults apply.
///
/// To continue a conversation (and reuse its sandbox), send the thread id the previous run
/// named ([`AgentEventStream::thread_id`](crate::agent_stream::AgentEventStream::thread_id)).
/// The guide calls that id `session_id`; the running server ignores that member and reads
/// `thread_id`. [`AgentRequest::conversation`] sets both.
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
/// assert_eq!(next.get_thread_id(), Some("thread-1"));
/// # let _ = first;
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
pub struct AgentRequest {
    conversation: Conversation,
    module: Option<AgentModule>,
    session_id: Option<String>,
}

impl AgentRequest {
    /// A request with one user message.
    pub fn new(prompt: impl Into<String>) -> Self {
        AgentRequest::default().message("user", prompt)
    }

    /// Answers an [`Interrupt`] on its thread: `feedback` is one of its options' values
    /// (`accepted`, `edit_plan`, …) or the user's own words, sent both as
    /// `interrupt_feedback` and as the user's message.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{AgentRequest, Interrupt};
    ///
    /// let interrupt: Interrupt = serde_json::from_str(
    ///     r#"{"thread_id":"t-7","content":"Plan…","options":[{"text":"Start","value":"accepted"}]}"#,
    /// ).unwrap();
    /// let answer = AgentRequest::answer(&interrupt, "accepted");
    /// assert_eq!(answer.get_thread_id(), Some("t-7"));
    /// assert_eq!(answer.get_interrupt_feedback(), Some("accepted"));
    /// ```
    pub fn answer(interrupt: &Interrupt, feedback: impl Into<String>) -> Self {
        answering(
            interrupt,
            feedback.into(),
            |feedback| AgentRequest::new(feedback.clone()).interrupt_feedback(feedback),
            |request, thread| request.conversation(thread),
        )
    }

    conversation_setters!();

    /// The agent's mode (default `general`). `podcast`, `ppt` and `prose` are refused by the
    /// server with a 501 before any stream.
    pub fn module(mut self, module: AgentModule) -> Self {
        self.module = Some(module);
        self
    }

    /// The guide's sandbox-reuse key; the running server ignores it (see
    /// [`AgentRequest::conversation`]).
    pub fn session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Continues the conversation `id` (and its sandbox) on any deployment: sets both
    /// `thread_id` and the guide's `session_id`.
    pub fn conversation(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.thread_id(id.clone()).session_id(id)
    }

    /// The body to send, after checking what the server would reject.
    pub(crate) fn to_wire(&self) -> Result<raw::AgentStreamRequest, Error> {
        let checked = self.conversation.check()?;
        check_id("session_id", &self.session_id)?;
        let c = &self.conversation;
        Ok(raw::AgentStreamRequest {
            messages: checked.messages,
            module: self.module,
            thread_id: checked.thread_id,
            session_id: self.session_id.clone(),
            resources: c.resources.clone(),
            max_plan_iterations: checked.max_plan_iterations,
            max_step_num: checked.max_step_num,
            max_search_results: checked.max_search_results,
            auto_accepted_plan: c.auto_accepted_plan,
            interrupt_feedback: c.interrupt_feedback.clone(),
            enable_background_investigation: c.enable_background_investigation,
            enable_web_search: c.enable_web_search,
            enable_deep_thinking: c.enable_deep_thinking,
            locale: c.locale.clone(),
        })
    }
}

/// A request to the chat stream (`POST /agent/chat/stream`, no sandbox): its own body, with
/// no `module`, and with the chat's own settings (clarification rounds, tools to ask about).
///
/// ```
/// use sambanova_agents::agent_stream::ChatRequest;
///
/// let request = ChatRequest::new("What does `?` do in Rust?")
///     .thread_id("d806acf8-a96b-4c81-add1-f4e2f21e956f")
///     .clarification(true)
///     .max_clarification_rounds(2)
///     .interrupt_before_tool("crawl_tool");
/// assert_eq!(request.get_thread_id(), Some("d806acf8-a96b-4c81-add1-f4e2f21e956f"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
pub struct ChatRequest {
    conversation: Conversation,
    mcp_settings: Map<String, Value>,
    enable_clarification: Option<bool>,
    max_clarification_rounds: Option<u64>,
    interrupt_before_tools: Vec<String>,
}

impl ChatRequest {
    /// A request with one user message.
    pub fn new(prompt: impl Into<String>) -> Self {
        ChatRequest::default().message("user", prompt)
    }

    /// Answers a chat [`Interrupt`] on its thread: `feedback` is one of its options' values
    /// (`accepted`, `feedback`) or the user's own words.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{ChatRequest, Interrupt};
    ///
    /// let interrupt: Interrupt = serde_json::from_str(
    ///     r#"{"thread_id":"hitl-1","options":[{"text":"Accept","value":"accepted"}],"context":{"questions":["Proceed with plan A?"]}}"#,
    /// ).unwrap();
    /// let answer = ChatRequest::answer(&interrupt, "accepted");
    /// assert_eq!((answer.get_thread_id(), answer.get_interrupt_feedback()), (Some("hitl-1"), Some("accepted")));
    /// ```
    pub fn answer(interrupt: &Interrupt, feedback: impl Into<String>) -> Self {
        answering(
            interrupt,
            feedback.into(),
            |feedback| ChatRequest::new(feedback.clone()).interrupt_feedback(feedback),
            |request, thread| request.thread_id(thread),
        )
    }

    conversation_setters!();

    /// MCP servers for the run, as the backend's JSON object (the server answers 403 unless
    /// it enables MCP).
    pub fn mcp_settings(mut self, settings: Map<String, Value>) -> Self {
        self.mcp_settings = settings;
        self
    }

    /// Let the agent ask clarifying questions before it answers.
    pub fn clarification(mut self, enabled: bool) -> Self {
        self.enable_clarification = Some(enabled);
        self
    }

    /// How many rounds of clarifying questions at most (1 or more).
    pub fn max_clarification_rounds(mut self, rounds: u64) -> Self {
        self.max_clarification_rounds = Some(rounds);
        self
    }

    /// A tool the agent must ask about (an [`Interrupt`]) before running it.
    pub fn interrupt_before_tool(mut self, tool: impl Into<String>) -> Self {
        self.interrupt_before_tools.push(tool.into());
        self
    }

    /// The body to send, after checking what the server would reject.
    pub(crate) fn to_wire(&self) -> Result<raw::ChatStreamRequest, Error> {
        let checked = self.conversation.check()?;
        let c = &self.conversation;
        if self
            .interrupt_before_tools
            .iter()
            .any(|tool| tool.trim().is_empty())
        {
            return Err(Error::invalid_input(
                "a tool to interrupt before has no name",
            ));
        }
        Ok(raw::ChatStreamRequest {
            messages: checked.messages,
            thread_id: checked.thread_id,
            resources: c.resources.clone(),
            max_plan_iterations: checked.max_plan_iterations,
            max_step_num: checked.max_step_num,
            max_search_results: checked.max_search_results,
            auto_accepted_plan: c.auto_accepted_plan,
            interrupt_feedback: c.interrupt_feedback.clone(),
            mcp_settings: self.mcp_settings.clone(),
            enable_background_investigation: c.enable_background_investigation,
            enable_web_search: c.enable_web_search,
            enable_deep_thinking: c.enable_deep_thinking,
            enable_clarification: self.enable_clarification,
            max_clarification_rounds: bounded(
                "max_clarification_rounds",
                self.max_clarification_rounds,
                u64::MAX,
            )?,
            interrupt_before_tools: self.interrupt_before_tools.clone(),
            locale: c.locale.clone(),
        })
    }
}

fn bounded(name: &str, value: Option<u64>, max: u64) -> Result<Option<NonZeroU64>, Error> {
    match value {
        None => Ok(None),
        Some(n) if (1..=max).contains(&n) => Ok(NonZeroU64::new(n)),
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
    fn the_chat_body_has_no_module_and_its_own_settings() {
        let body = ChatRequest::new("hi")
            .thread_id("t")
            .clarification(true)
            .max_clarification_rounds(2)
            .interrupt_before_tool("crawl_tool")
            .to_wire()
            .unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["thread_id"], "t");
        assert_eq!(json["enable_clarification"], true);
        assert_eq!(json["max_clarification_rounds"], 2);
        assert_eq!(json["interrupt_before_tools"][0], "crawl_tool");
        for absent in ["module", "session_id", "mcp_settings"] {
            assert!(json.get(absent).is_none(), "{absent}");
        }
        let fresh = serde_json::to_value(ChatRequest::new("hi").to_wire().unwrap()).unwrap();
        assert_eq!(fresh["thread_id"], "__default__");
        for bad in [
            ChatRequest::default(),
            ChatRequest::new("x").max_clarification_rounds(0),
            ChatRequest::new("x").interrupt_before_tool(" "),
            ChatRequest::new("x").thread_id(""),
        ] {
            assert!(
                matches!(bad.to_wire(), Err(Error::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_answer_without_a_real_thread_starts_none() {
        let interrupt: Interrupt =
            serde_json::from_str(r#"{"thread_id":"__default__","options":[]}"#).unwrap();
        assert_eq!(
            ChatRequest::answer(&interrupt, "accepted").get_thread_id(),
            None
        );
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
