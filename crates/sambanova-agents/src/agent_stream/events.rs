//! The typed events of both streams, decoded from server-sent events.
//!
//! The two endpoints speak different vocabularies. The agent stream sends `status`,
//! `message {"type":"chunk"}`, `tool_call_*`, `tool_result`, `warning`, `error` and a final
//! `complete` status. The chat stream sends every piece of text twice (as `message` and as
//! `message_chunk`, same `id`, same `content`), announces tool calls with `tool_call_start`,
//! `tool_call_args` (`delta`), `tool_call_end` and `tool_calls`, repeats each `tool_result` as
//! `tool_call_result`, asks with `interrupt`, fails with `error {thread_id, error}`, and has no
//! terminal event at all: the end of the body ends the turn.
//!
//! Decoding is lenient because the backend's guide and the running server disagree
//! (`docs/agent-stream-server.md`): every
//! member is optional, unknown `type`s are kept as text, and an event whose name is unknown or
//! whose data does not parse becomes [`AgentEvent::Unknown`] rather than an error.

use serde::Deserialize;
use serde_json::Value;

use crate::sse::Event;
use crate::wire_enum::wire_enum;

/// One event of an agent run.
///
/// ```
/// use sambanova_agents::agent_stream::{AgentEvent, StatusKind};
/// use sambanova_agents::sse::Event;
///
/// let event = AgentEvent::from_sse(&Event::new(
///     "status",
///     r#"{"type":"sandbox_ready","sandbox_id":"sbx-1"}"#,
///     "",
/// ));
/// match event {
///     AgentEvent::Status(status) => {
///         assert_eq!(status.kind, StatusKind::SandboxReady);
///         assert_eq!(status.sandbox_id.as_deref(), Some("sbx-1"));
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentEvent {
    /// `status`: progress of the run (the sandbox is ready, the agent started, the run is
    /// complete, …).
    Status(Status),
    /// `message` or `message_chunk`: a piece of the agent's answer. The chat stream sends each
    /// piece twice, once under each name ([`MessageChunk::source`]);
    /// [`TurnText`](crate::agent_stream::TurnText) counts it once.
    Message(MessageChunk),
    /// `tool`: a tool started or ended.
    Tool(ToolActivity),
    /// `warning`: a non-fatal problem (`mcp_timeout`, `tool_probe_error`, …).
    Warning(Notice),
    /// `error`: the run failed (`sandbox_error`, `stream_error`, …). The server usually ends
    /// the stream after it.
    Error(Notice),
    /// `reasoning_*`: the model's reasoning.
    Reasoning(Reasoning),
    /// `tool_call_start`: a tool call began.
    ToolCallStart(ToolCallStart),
    /// `tool_call_args`: (a piece of) a tool call's JSON arguments.
    ToolCallArgs(ToolCallArgs),
    /// `tool_call_end`: a tool call's arguments are complete.
    ToolCallEnd(ToolCallEnd),
    /// `tool_calls` (chat stream): the model's complete tool calls, arguments parsed.
    ToolCalls(ToolCalls),
    /// `tool_result`: a tool's output.
    ToolResult(ToolResult),
    /// `tool_call_result` (chat stream): the same output as the `tool_result` just before it,
    /// repeated by the server. Show one of the two ([`ToolResult::call_id`] pairs them).
    ToolCallResult(ToolResult),
    /// `interrupt`: the run waits for the user; answer with
    /// [`AgentRequest::answer`](crate::agent_stream::AgentRequest::answer).
    Interrupt(Interrupt),
    /// An event this SDK does not know, or a known one whose data does not have the expected
    /// shape: kept as it arrived.
    Unknown {
        /// The SSE event name.
        event: String,
        /// The SSE data, unparsed.
        data: String,
    },
}

impl AgentEvent {
    /// Decodes one server-sent event. Total: any input gives an event, never a panic.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::AgentEvent;
    /// use sambanova_agents::sse::Event;
    ///
    /// let odd = Event::new("status", "not json", "");
    /// assert!(matches!(AgentEvent::from_sse(&odd), AgentEvent::Unknown { .. }));
    /// ```
    pub fn from_sse(event: &Event) -> AgentEvent {
        decode(event.event_type(), event.data()).unwrap_or_else(|| AgentEvent::Unknown {
            event: event.event_type().to_owned(),
            data: event.data().to_owned(),
        })
    }

    /// The thread id the event names, if any: the id to send with a follow-up request. The
    /// placeholder `__default__` (which the server replaces with the id it generates) is no
    /// thread and is not returned.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{AgentEvent, MessageChunk};
    ///
    /// let chunk = AgentEvent::Message(MessageChunk::new("Hi", Some("t-1".into())));
    /// assert_eq!(chunk.thread_id(), Some("t-1"));
    /// ```
    pub fn thread_id(&self) -> Option<&str> {
        match self {
            AgentEvent::Message(m) => m.thread_id.as_deref(),
            AgentEvent::Reasoning(r) => r.thread_id.as_deref(),
            AgentEvent::ToolCallStart(c) => c.thread_id.as_deref(),
            AgentEvent::ToolCallArgs(c) => c.thread_id.as_deref(),
            AgentEvent::ToolCallEnd(c) => c.thread_id.as_deref(),
            AgentEvent::ToolCalls(c) => c.thread_id.as_deref(),
            AgentEvent::ToolResult(r) | AgentEvent::ToolCallResult(r) => r.thread_id.as_deref(),
            AgentEvent::Interrupt(i) => i.thread_id.as_deref(),
            AgentEvent::Warning(n) | AgentEvent::Error(n) => n.thread_id.as_deref(),
            _ => None,
        }
        .filter(|id| !id.trim().is_empty() && *id != DEFAULT_THREAD)
    }

    /// Whether the event ends the run: a `complete` status, an `error`, an `interrupt`, or
    /// (chat stream, which has no terminal event) a message the model finished with `stop`.
    /// Events may still follow a chat `stop` (an empty closing chunk, an `interrupt`); what it
    /// says is that the end of the body after it is the end of the turn, not a cut.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{AgentEvent, Notice};
    /// use sambanova_agents::sse::Event;
    ///
    /// assert!(AgentEvent::Error(Notice::default()).is_turn_end());
    /// assert!(!AgentEvent::Warning(Notice::default()).is_turn_end());
    /// let stop = Event::new("message_chunk", r#"{"id":"m1","finish_reason":"stop"}"#, "");
    /// assert!(AgentEvent::from_sse(&stop).is_turn_end());
    /// ```
    pub fn is_turn_end(&self) -> bool {
        match self {
            AgentEvent::Status(status) => status.kind == StatusKind::Complete,
            AgentEvent::Error(_) | AgentEvent::Interrupt(_) => true,
            AgentEvent::Message(chunk) => chunk.finish_reason.as_deref() == Some("stop"),
            _ => false,
        }
    }
}

/// The `thread_id` that asks the server for a new thread; it answers with one it generates.
pub(crate) const DEFAULT_THREAD: &str = "__default__";

fn decode(name: &str, data: &str) -> Option<AgentEvent> {
    let value: Value = serde_json::from_str(data).ok()?;
    if !value.is_object() {
        return None;
    }
    let event = match name {
        "status" => AgentEvent::Status(Status::from_wire(from_value(value)?)),
        "message" | "message_chunk" => {
            let wire: WireChunk = from_value(value)?;
            AgentEvent::Message(MessageChunk {
                kind: wire.kind.unwrap_or_else(|| "chunk".to_owned()),
                content: wire.content.unwrap_or_default(),
                thread_id: wire.thread_id,
                id: wire.id,
                agent: wire.agent,
                finish_reason: wire.finish_reason,
                reasoning_content: wire.reasoning_content,
                source: if name == "message" {
                    MessageSource::Message
                } else {
                    MessageSource::MessageChunk
                },
            })
        }
        "tool" => {
            let wire: WireTool = from_value(value)?;
            AgentEvent::Tool(ToolActivity {
                phase: ToolPhase::from(wire.kind.as_deref().unwrap_or_default()),
                name: wire.name,
            })
        }
        "warning" => AgentEvent::Warning(Notice::from_wire(from_value(value)?)),
        "error" => AgentEvent::Error(Notice::from_wire(from_value(value)?)),
        "reasoning_start"
        | "reasoning_message_start"
        | "reasoning_message_content"
        | "reasoning_message_end"
        | "reasoning_end" => {
            let wire: WireReasoning = from_value(value)?;
            AgentEvent::Reasoning(Reasoning {
                phase: ReasoningPhase::from_event(name)?,
                content: wire.content,
                thread_id: wire.thread_id,
            })
        }
        "tool_call_start" => AgentEvent::ToolCallStart(from_value(value)?),
        "tool_call_args" => AgentEvent::ToolCallArgs(from_value(value)?),
        "tool_call_end" => AgentEvent::ToolCallEnd(from_value(value)?),
        "tool_calls" => AgentEvent::ToolCalls(ToolCalls::from_wire(from_value(value)?)),
        "tool_result" => AgentEvent::ToolResult(from_value(value)?),
        "tool_call_result" => AgentEvent::ToolCallResult(from_value(value)?),
        "interrupt" => AgentEvent::Interrupt(from_value(value)?),
        _ => return None,
    };
    Some(event)
}

fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// A `status` event.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Status {
    /// What happened.
    pub kind: StatusKind,
    /// The sandbox, with [`StatusKind::SandboxReady`] and [`StatusKind::Complete`].
    pub sandbox_id: Option<String>,
    /// How many skills were loaded, with [`StatusKind::SkillsLoaded`].
    pub skill_count: Option<u64>,
    /// Which skills were loaded, with [`StatusKind::SkillsLoaded`].
    pub skill_names: Vec<String>,
    /// A human-readable message, when the server sends one.
    pub message: Option<String>,
    /// The module the run uses (`general`, `research`), with [`StatusKind::Processing`].
    pub module: Option<String>,
}

impl Status {
    fn from_wire(wire: WireStatus) -> Status {
        Status {
            kind: StatusKind::from(wire.kind.as_deref().unwrap_or_default()),
            sandbox_id: wire.sandbox_id.filter(|id| !id.is_empty()),
            skill_count: wire.skill_count,
            skill_names: wire.skill_names.unwrap_or_default(),
            message: wire.message,
            module: wire.module,
        }
    }
}

wire_enum! {
    /// The `type` of a `status` event.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::StatusKind;
    ///
    /// assert_eq!(StatusKind::from("mcp_waiting"), StatusKind::McpWaiting);
    /// assert_eq!(StatusKind::from("brand_new"), StatusKind::Unknown("brand_new".into()));
    /// assert_eq!(StatusKind::from("brand_new").as_str(), "brand_new");
    /// ```
    #[derive(Default)]
    StatusKind {
        /// `processing`: the request was accepted.
        #[default]
        Processing = "processing",
        /// `sandbox_ready` (with the sandbox id).
        SandboxReady = "sandbox_ready",
        /// `mcp_check`.
        McpCheck = "mcp_check",
        /// `mcp_waiting`: also sent as a keep-alive while the tools start.
        McpWaiting = "mcp_waiting",
        /// `mcp_ready`.
        McpReady = "mcp_ready",
        /// `tool_registration`.
        ToolRegistration = "tool_registration",
        /// `tool_probe`.
        ToolProbe = "tool_probe",
        /// `skills_loaded` (with the skills' count and names).
        SkillsLoaded = "skills_loaded",
        /// `agent_start`: the agent began working.
        AgentStart = "agent_start",
        /// `vscode_ready`.
        VscodeReady = "vscode_ready",
        /// `codex_ready`.
        CodexReady = "codex_ready",
        /// `complete`: the run finished (with the sandbox id to reuse).
        Complete = "complete",
    }
}

/// A `message` or `message_chunk` event: a piece of the agent's answer.
///
/// On the chat stream, pieces carry the model message's `id`; a piece without text (empty
/// `content`) opens or closes a message, with its `finish_reason` (`stop`, `tool_calls`).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MessageChunk {
    /// The `type` (`chunk`; `chunk` is assumed when the server leaves it out).
    pub kind: String,
    /// The text (empty when the server sent none).
    pub content: String,
    /// The thread the run belongs to: send it with the next request to continue.
    pub thread_id: Option<String>,
    /// The model message this piece belongs to (chat stream).
    pub id: Option<String>,
    /// The agent that wrote it (chat stream: `base`, `planner`, …).
    pub agent: Option<String>,
    /// Why the model stopped (`stop`, `tool_calls`), on the message's last piece.
    pub finish_reason: Option<String>,
    /// The model's reasoning, when it shows it.
    pub reasoning_content: Option<String>,
    /// Which event carried it: the chat stream sends each piece under both names.
    pub source: MessageSource,
}

/// The SSE event a [`MessageChunk`] came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MessageSource {
    /// `message`: the agent stream's only text event; on the chat stream, one copy.
    #[default]
    Message,
    /// `message_chunk`: the chat stream's other copy.
    MessageChunk,
}

impl MessageChunk {
    /// A `chunk` of text, as the server sends it (for tests and replays).
    ///
    /// ```
    /// use sambanova_agents::agent_stream::MessageChunk;
    ///
    /// let chunk = MessageChunk::new("Hi", Some("t-1".into()));
    /// assert_eq!((chunk.kind.as_str(), chunk.content.as_str()), ("chunk", "Hi"));
    /// ```
    pub fn new(content: impl Into<String>, thread_id: Option<String>) -> Self {
        MessageChunk {
            kind: "chunk".to_owned(),
            content: content.into(),
            thread_id,
            ..MessageChunk::default()
        }
    }
}

/// A `tool` event.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ToolActivity {
    /// Started or ended.
    pub phase: ToolPhase,
    /// The tool (`bash`, `str_replace_editor`, …).
    pub name: Option<String>,
}

wire_enum! {
    /// The `type` of a `tool` event: whether a tool started or ended.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::ToolPhase;
    ///
    /// assert_eq!(ToolPhase::from("end"), ToolPhase::End);
    /// assert_eq!(ToolPhase::from("paused"), ToolPhase::Unknown("paused".into()));
    /// assert_eq!(ToolPhase::Start.to_string(), "start");
    /// ```
    #[derive(Default)]
    ToolPhase {
        /// `start`.
        #[default]
        Start = "start",
        /// `end`.
        End = "end",
    }
}

/// A `warning` or `error` event: the agent stream's `{type, message}`, or the chat stream's
/// `{thread_id, error}` (its text becomes [`Notice::message`]).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Notice {
    /// The `type` (`mcp_timeout`, `sandbox_error`, `stream_error`, …), when given.
    pub kind: Option<String>,
    /// The message (`message`, else `error`), when given.
    pub message: Option<String>,
    /// The thread (chat stream).
    pub thread_id: Option<String>,
}

impl Notice {
    fn from_wire(wire: WireNotice) -> Notice {
        Notice {
            kind: wire.kind,
            message: wire.message.or(wire.error).map(|m| match m {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            thread_id: wire.thread_id,
        }
    }
}

/// A `reasoning_*` event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reasoning {
    /// Which of the five reasoning events this is.
    pub phase: ReasoningPhase,
    /// The text, with [`ReasoningPhase::Content`].
    pub content: Option<String>,
    /// The thread.
    pub thread_id: Option<String>,
}

/// Which reasoning event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReasoningPhase {
    /// `reasoning_start`.
    Start,
    /// `reasoning_message_start`.
    MessageStart,
    /// `reasoning_message_content`.
    Content,
    /// `reasoning_message_end`.
    MessageEnd,
    /// `reasoning_end`.
    End,
}

impl ReasoningPhase {
    fn from_event(name: &str) -> Option<ReasoningPhase> {
        Some(match name {
            "reasoning_start" => ReasoningPhase::Start,
            "reasoning_message_start" => ReasoningPhase::MessageStart,
            "reasoning_message_content" => ReasoningPhase::Content,
            "reasoning_message_end" => ReasoningPhase::MessageEnd,
            "reasoning_end" => ReasoningPhase::End,
            _ => return None,
        })
    }
}

/// A `tool_call_start` event (the chat stream names its members `toolCallId` and
/// `toolCallName`; both spellings are read).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolCallStart {
    /// The call's id.
    #[serde(default, alias = "toolCallId")]
    pub id: Option<String>,
    /// The tool.
    #[serde(default, alias = "toolCallName")]
    pub name: Option<String>,
    /// The thread.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// The model message that makes the call (chat stream).
    #[serde(default, rename = "parentMessageId")]
    pub parent_message_id: Option<String>,
}

/// A `tool_call_args` event (the chat stream sends `{toolCallId, delta}`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolCallArgs {
    /// The call's id.
    #[serde(default, alias = "toolCallId")]
    pub id: Option<String>,
    /// The arguments as JSON text, possibly one piece of them.
    #[serde(default, alias = "delta", deserialize_with = "text_or_json")]
    pub args: Option<String>,
    /// The thread.
    #[serde(default)]
    pub thread_id: Option<String>,
}

/// A `tool_call_end` event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolCallEnd {
    /// The call's id.
    #[serde(default, alias = "toolCallId")]
    pub id: Option<String>,
    /// The thread.
    #[serde(default)]
    pub thread_id: Option<String>,
}

/// A `tool_calls` event (chat stream): the calls a model message makes, complete.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ToolCalls {
    /// The calls, in order.
    pub calls: Vec<ToolCall>,
    /// The model message that makes them.
    pub message_id: Option<String>,
    /// The thread.
    pub thread_id: Option<String>,
}

impl ToolCalls {
    fn from_wire(wire: WireToolCalls) -> ToolCalls {
        ToolCalls {
            // A malformed call is dropped, not the event: the others are still worth showing.
            calls: wire
                .tool_calls
                .into_iter()
                .filter_map(|call| serde_json::from_value(call).ok())
                .collect(),
            message_id: wire.id,
            thread_id: wire.thread_id,
        }
    }
}

/// One complete tool call of a [`ToolCalls`] event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// The call's id (as in `tool_call_start` and the result's `tool_call_id`).
    #[serde(default)]
    pub id: Option<String>,
    /// The tool.
    #[serde(default)]
    pub name: Option<String>,
    /// The arguments, parsed (an object, usually).
    #[serde(default)]
    pub args: Value,
}

/// A `tool_result` (or `tool_call_result`) event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(from = "WireToolResult")]
#[non_exhaustive]
pub struct ToolResult {
    /// On the agent stream, the call's id; on the chat stream, the result message's own id
    /// (the call's is [`ToolResult::tool_call_id`]). [`ToolResult::call_id`] picks the right one.
    pub id: Option<String>,
    /// The call's id (chat stream: `tool_call_id`, and again as `toolCallId`).
    pub tool_call_id: Option<String>,
    /// The output: usually a string, kept as JSON since the server does not promise one.
    pub content: Value,
    /// The thread.
    pub thread_id: Option<String>,
}

/// The chat stream names the call twice, in two spellings: serde aliases would call that a
/// duplicate field, so both are read and the first present wins.
#[derive(Deserialize)]
struct WireToolResult {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    tool_call_id: Option<String>,
    #[serde(default, rename = "toolCallId")]
    tool_call_id_camel: Option<String>,
    #[serde(default)]
    content: Value,
    #[serde(default)]
    thread_id: Option<String>,
}

impl From<WireToolResult> for ToolResult {
    fn from(wire: WireToolResult) -> Self {
        ToolResult {
            id: wire.id,
            tool_call_id: wire.tool_call_id.or(wire.tool_call_id_camel),
            content: wire.content,
            thread_id: wire.thread_id,
        }
    }
}

impl ToolResult {
    /// The id of the call this result answers.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::ToolResult;
    ///
    /// let chat: ToolResult =
    ///     serde_json::from_str(r#"{"id":"msg-1","tool_call_id":"call_1","content":"ok"}"#).unwrap();
    /// assert_eq!(chat.call_id(), Some("call_1"));
    /// let agent: ToolResult = serde_json::from_str(r#"{"id":"call_2","content":"ok"}"#).unwrap();
    /// assert_eq!(agent.call_id(), Some("call_2"));
    /// ```
    pub fn call_id(&self) -> Option<&str> {
        self.tool_call_id.as_deref().or(self.id.as_deref())
    }

    /// The output as text (a JSON string's contents, or any other JSON as written).
    ///
    /// ```
    /// use sambanova_agents::agent_stream::ToolResult;
    ///
    /// let result: ToolResult = serde_json::from_str(r#"{"content":"hi"}"#).unwrap();
    /// assert_eq!(result.text(), "hi");
    /// ```
    pub fn text(&self) -> String {
        match &self.content {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

/// An `interrupt` event: the run waits for the user (to accept a research plan, to answer the
/// agent's questions).
///
/// It is also the pause's token: everything answering it needs is in it, and it serialises
/// (serde, e.g. JSON), so one process can stop at it and another, with a new client, answer it
/// with [`AgentRequest::answer`](super::AgentRequest::answer) (or
/// [`ChatRequest::answer`](super::ChatRequest::answer) on the chat stream):
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient, events: sambanova_agents::agent_stream::AgentEventStream) -> Result<(), sambanova_agents::Error> {
/// use sambanova_agents::agent_stream::{AgentRequest, Interrupt};
///
/// // The first process: the run stopped; keep the interrupt.
/// let saved = serde_json::to_string(events.interrupt().expect("the run stopped on one")).unwrap();
/// // Another process, later: answer it.
/// let interrupt: Interrupt = serde_json::from_str(&saved).unwrap();
/// let answer = client.stream(&AgentRequest::answer(&interrupt, "accepted")).await?;
/// # let _ = answer;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct Interrupt {
    /// The interrupt's id (chat stream).
    #[serde(default)]
    pub id: Option<String>,
    /// The thread to answer on.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// What the agent asks (a plan, a question).
    #[serde(default)]
    pub content: Option<String>,
    /// The answers the agent offers; send one's `value` as the feedback.
    #[serde(default)]
    pub options: Vec<InterruptOption>,
    /// What the chat stream adds: the questions, the decisions allowed.
    #[serde(default)]
    pub context: InterruptContext,
}

/// The `context` of a chat [`Interrupt`].
#[derive(Debug, Clone, PartialEq, Default, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct InterruptContext {
    /// The questions the agent asks (a question that is not text is shown as JSON).
    #[serde(default, deserialize_with = "texts")]
    pub questions: Vec<String>,
    /// The decisions the agent accepts (`approve`, `edit`, `reject`).
    #[serde(default, deserialize_with = "texts")]
    pub allowed_decisions: Vec<String>,
    /// The prompt shown with the questions.
    #[serde(default, deserialize_with = "text_or_json")]
    pub prompt: Option<String>,
}

/// One answer an [`Interrupt`] offers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct InterruptOption {
    /// The label (`Start research`).
    #[serde(default)]
    pub text: Option<String>,
    /// The value to send as `interrupt_feedback` (`accepted`, `edit_plan`).
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Deserialize)]
struct WireStatus {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    sandbox_id: Option<String>,
    #[serde(default)]
    skill_count: Option<u64>,
    #[serde(default)]
    skill_names: Option<Vec<String>>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    module: Option<String>,
}

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
}

#[derive(Deserialize)]
struct WireToolCalls {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    tool_calls: Vec<Value>,
}

#[derive(Deserialize)]
struct WireTool {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireNotice {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    thread_id: Option<String>,
}

#[derive(Deserialize)]
struct WireReasoning {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thread_id: Option<String>,
}

/// Arguments arrive as JSON text, but a server sending the object itself is not wrong enough
/// to drop the event.
fn text_or_json<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// A list of texts; an item that is not a string is kept as its JSON, a value that is not a
/// list is one item.
fn texts<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let text = |value: Value| match value {
        Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.into_iter().map(text).collect(),
        Some(other) => vec![text(other)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> AgentEvent {
        AgentEvent::from_sse(&Event::new(event, data, ""))
    }

    #[test]
    fn every_documented_event_decodes() {
        assert!(matches!(
            ev("status", r#"{"type":"skills_loaded","skill_count":2,"skill_names":["a","b"]}"#),
            AgentEvent::Status(Status { kind: StatusKind::SkillsLoaded, skill_count: Some(2), ref skill_names, .. }) if skill_names.len() == 2
        ));
        assert!(matches!(
            ev("message", r#"{"type":"chunk","content":"Hi","thread_id":"t"}"#),
            AgentEvent::Message(MessageChunk { ref content, .. }) if content == "Hi"
        ));
        assert!(matches!(
            ev("tool", r#"{"type":"end","name":"bash"}"#),
            AgentEvent::Tool(ToolActivity {
                phase: ToolPhase::End,
                ..
            })
        ));
        assert!(matches!(
            ev("warning", r#"{"type":"mcp_timeout"}"#),
            AgentEvent::Warning(Notice { kind: Some(ref k), .. }) if k == "mcp_timeout"
        ));
        assert!(matches!(
            ev("error", r#"{"message":"boom"}"#),
            AgentEvent::Error(Notice { message: Some(ref m), .. }) if m == "boom"
        ));
        assert!(matches!(
            ev("reasoning_message_content", r#"{"content":"hmm"}"#),
            AgentEvent::Reasoning(Reasoning {
                phase: ReasoningPhase::Content,
                ..
            })
        ));
        assert!(matches!(
            ev("tool_call_args", r#"{"id":"c","args":{"x":1}}"#),
            AgentEvent::ToolCallArgs(ToolCallArgs { args: Some(ref a), .. }) if a == r#"{"x":1}"#
        ));
        assert!(matches!(
            ev("tool_result", r#"{"id":"c","content":[1]}"#),
            AgentEvent::ToolResult(ref r) if r.text() == "[1]"
        ));
        assert!(matches!(
            ev("interrupt", r#"{"thread_id":"t","options":[{"text":"Go","value":"accepted"}]}"#),
            AgentEvent::Interrupt(Interrupt { ref options, .. }) if options[0].value.as_deref() == Some("accepted")
        ));
    }

    #[test]
    fn odd_data_is_kept_not_dropped() {
        for (name, data) in [
            ("status", "[]"),
            ("status", r#"{"type":5}"#),
            ("message", r#"{"type":"chunk","content":5}"#),
            ("message_chunk", r#"{"finish_reason":["stop"]}"#),
            ("tool_calls", r#"{"tool_calls":{}}"#),
            ("message", "\u{fffd}"),
            ("interrupt", r#"{"options":"none"}"#),
            ("novel_event", r#"{"a":1}"#),
            // An event has a type (`message` at least), but may have no data.
            ("message", ""),
        ] {
            assert_eq!(
                ev(name, data),
                AgentEvent::Unknown {
                    event: name.into(),
                    data: data.into()
                }
            );
        }
    }

    proptest::proptest! {
        /// Total: whatever the server sends, an event comes out, and an unknown one keeps
        /// the bytes it came with.
        #[test]
        fn decoding_never_fails(
            name in proptest::sample::select(vec![
                "status", "message", "tool", "warning", "error", "reasoning_start",
                "reasoning_message_content", "tool_call_start", "tool_call_args",
                "tool_call_end", "tool_result", "interrupt", "novel", "message_chunk",
                "tool_calls", "tool_call_result",
            ]),
            data in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                r#"\{"(type|content|thread_id|name|message|options|args|sandbox_id|skill_count|error|delta|toolCallId|tool_call_id|tool_calls|finish_reason|context|questions)": ?("[a-z_]{0,8}"|[0-9]{1,3}|null|\[\]|\{\}|true)\}"#,
            ],
        ) {
            if let AgentEvent::Unknown { event, data: kept } = ev(name, &data) {
                proptest::prop_assert_eq!(event, name);
                proptest::prop_assert_eq!(kept, data);
            }
        }
    }

    #[test]
    fn chat_events_decode_with_their_own_member_names() {
        let start = ev(
            "tool_call_start",
            r#"{"toolCallId":"c1","toolCallName":"crawl_tool","thread_id":"t","parentMessageId":"m"}"#,
        );
        assert!(matches!(
            start,
            AgentEvent::ToolCallStart(ToolCallStart { id: Some(ref id), name: Some(ref name), parent_message_id: Some(_), .. })
                if id == "c1" && name == "crawl_tool"
        ));
        assert!(matches!(
            ev("tool_call_args", r#"{"toolCallId":"c1","delta":"{\"url\": 1}"}"#),
            AgentEvent::ToolCallArgs(ToolCallArgs { args: Some(ref a), .. }) if a == r#"{"url": 1}"#
        ));
        let AgentEvent::ToolCalls(calls) = ev(
            "tool_calls",
            r#"{"id":"m","thread_id":"t","tool_calls":[{"name":"crawl_tool","args":{"url":"u"},"id":"c1","type":"tool_call"},"odd"]}"#,
        ) else {
            panic!("tool_calls")
        };
        assert_eq!(calls.calls.len(), 1);
        assert_eq!(calls.calls[0].args["url"], "u");
        let result =
            r#"{"id":"r","content":"ok","tool_call_id":"c1","toolCallId":"c1","thread_id":"t"}"#;
        assert!(
            matches!(ev("tool_result", result), AgentEvent::ToolResult(ref r) if r.call_id() == Some("c1"))
        );
        assert!(
            matches!(ev("tool_call_result", result), AgentEvent::ToolCallResult(ref r) if r.text() == "ok")
        );
        let error = ev(
            "error",
            r#"{"thread_id":"t-9","error":"Error during graph execution"}"#,
        );
        assert!(matches!(
            error,
            AgentEvent::Error(Notice { message: Some(ref m), kind: None, .. }) if m == "Error during graph execution"
        ));
        assert_eq!(error.thread_id(), Some("t-9"));
        let AgentEvent::Interrupt(interrupt) = ev(
            "interrupt",
            r#"{"id":"i","thread_id":"t","finish_reason":"interrupt","options":[{"text":"Accept","value":"accepted"}],"content":"?","context":{"questions":["Plan A?",{"q":2}],"allowed_decisions":["approve"],"context":{"n":5},"prompt":"p"}}"#,
        ) else {
            panic!("interrupt")
        };
        assert_eq!(interrupt.context.questions, ["Plan A?", r#"{"q":2}"#]);
        assert_eq!(interrupt.context.allowed_decisions, ["approve"]);
        let closing = ev(
            "message_chunk",
            r#"{"id":"m","thread_id":"t","finish_reason":"stop"}"#,
        );
        assert!(matches!(
            closing,
            AgentEvent::Message(MessageChunk { ref content, source: MessageSource::MessageChunk, .. }) if content.is_empty()
        ));
        assert!(closing.is_turn_end());
    }

    #[test]
    fn the_placeholder_thread_is_no_thread() {
        let chunk = AgentEvent::Message(MessageChunk::new("x", Some(DEFAULT_THREAD.into())));
        assert_eq!(chunk.thread_id(), None);
    }

    #[test]
    fn unknown_types_are_kept_as_text() {
        assert!(matches!(
            ev("status", r#"{"type":"warp_drive"}"#),
            AgentEvent::Status(Status { kind: StatusKind::Unknown(ref k), .. }) if k == "warp_drive"
        ));
    }
}
