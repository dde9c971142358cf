//! The typed events of the agent stream, decoded from server-sent events.
//!
//! The backend's guide, its code and its OpenAPI dump disagree on the event vocabulary
//! (`docs/agent-stream-server.md`), so decoding is lenient: every member is optional,
//! unknown `type`s are kept as text, and an event whose name is unknown or whose data does not
//! parse becomes [`AgentEvent::Unknown`] rather than an error.

use serde::Deserialize;
use serde_json::Value;

use crate::sse::Event;

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
    /// `message`: a piece of the agent's answer.
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
    /// `tool_result`: a tool's output.
    ToolResult(ToolResult),
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

    /// The thread id the event names, if any: the id to send with a follow-up request.
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
            AgentEvent::ToolResult(r) => r.thread_id.as_deref(),
            AgentEvent::Interrupt(i) => i.thread_id.as_deref(),
            _ => None,
        }
        .filter(|id| !id.is_empty())
    }

    /// Whether the event ends the run: a `complete` status, an `error` or an `interrupt`.
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{AgentEvent, Notice};
    ///
    /// assert!(AgentEvent::Error(Notice::default()).is_terminal());
    /// assert!(!AgentEvent::Warning(Notice::default()).is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        match self {
            AgentEvent::Status(status) => status.kind == StatusKind::Complete,
            AgentEvent::Error(_) | AgentEvent::Interrupt(_) => true,
            _ => false,
        }
    }
}

fn decode(name: &str, data: &str) -> Option<AgentEvent> {
    let value: Value = serde_json::from_str(data).ok()?;
    if !value.is_object() {
        return None;
    }
    let event = match name {
        "status" => AgentEvent::Status(Status::from_wire(from_value(value)?)),
        "message" => {
            let wire: WireChunk = from_value(value)?;
            AgentEvent::Message(MessageChunk {
                kind: wire.kind.unwrap_or_else(|| "chunk".to_owned()),
                content: wire.content?,
                thread_id: wire.thread_id,
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
        "tool_result" => AgentEvent::ToolResult(from_value(value)?),
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
}

impl Status {
    fn from_wire(wire: WireStatus) -> Status {
        Status {
            kind: StatusKind::from(wire.kind.as_deref().unwrap_or_default()),
            sandbox_id: wire.sandbox_id.filter(|id| !id.is_empty()),
            skill_count: wire.skill_count,
            skill_names: wire.skill_names.unwrap_or_default(),
            message: wire.message,
        }
    }
}

/// The `type` of a `status` event.
///
/// ```
/// use sambanova_agents::agent_stream::StatusKind;
///
/// assert_eq!(StatusKind::from("mcp_waiting"), StatusKind::McpWaiting);
/// assert_eq!(StatusKind::from("brand_new").as_str(), "brand_new");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum StatusKind {
    /// `processing`: the request was accepted.
    #[default]
    Processing,
    /// `sandbox_ready` (with the sandbox id).
    SandboxReady,
    /// `mcp_check`.
    McpCheck,
    /// `mcp_waiting`: also sent as a keep-alive while the tools start.
    McpWaiting,
    /// `mcp_ready`.
    McpReady,
    /// `tool_registration`.
    ToolRegistration,
    /// `tool_probe`.
    ToolProbe,
    /// `skills_loaded` (with the skills' count and names).
    SkillsLoaded,
    /// `agent_start`: the agent began working.
    AgentStart,
    /// `vscode_ready`.
    VscodeReady,
    /// `codex_ready`.
    CodexReady,
    /// `complete`: the run finished (with the sandbox id to reuse).
    Complete,
    /// A `type` this SDK does not know.
    Other(String),
}

impl StatusKind {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            StatusKind::Processing => "processing",
            StatusKind::SandboxReady => "sandbox_ready",
            StatusKind::McpCheck => "mcp_check",
            StatusKind::McpWaiting => "mcp_waiting",
            StatusKind::McpReady => "mcp_ready",
            StatusKind::ToolRegistration => "tool_registration",
            StatusKind::ToolProbe => "tool_probe",
            StatusKind::SkillsLoaded => "skills_loaded",
            StatusKind::AgentStart => "agent_start",
            StatusKind::VscodeReady => "vscode_ready",
            StatusKind::CodexReady => "codex_ready",
            StatusKind::Complete => "complete",
            StatusKind::Other(other) => other,
        }
    }
}

impl From<&str> for StatusKind {
    fn from(kind: &str) -> Self {
        match kind {
            "processing" => StatusKind::Processing,
            "sandbox_ready" => StatusKind::SandboxReady,
            "mcp_check" => StatusKind::McpCheck,
            "mcp_waiting" => StatusKind::McpWaiting,
            "mcp_ready" => StatusKind::McpReady,
            "tool_registration" => StatusKind::ToolRegistration,
            "tool_probe" => StatusKind::ToolProbe,
            "skills_loaded" => StatusKind::SkillsLoaded,
            "agent_start" => StatusKind::AgentStart,
            "vscode_ready" => StatusKind::VscodeReady,
            "codex_ready" => StatusKind::CodexReady,
            "complete" => StatusKind::Complete,
            other => StatusKind::Other(other.to_owned()),
        }
    }
}

/// A `message` event: a piece of the agent's answer.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MessageChunk {
    /// The `type` (`chunk`; `chunk` is assumed when the server leaves it out).
    pub kind: String,
    /// The text.
    pub content: String,
    /// The thread the run belongs to: send it with the next request to continue.
    pub thread_id: Option<String>,
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

/// Whether a tool started or ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ToolPhase {
    /// `start`.
    #[default]
    Start,
    /// `end`.
    End,
    /// Another `type`.
    Other(String),
}

impl From<&str> for ToolPhase {
    fn from(kind: &str) -> Self {
        match kind {
            "start" => ToolPhase::Start,
            "end" => ToolPhase::End,
            other => ToolPhase::Other(other.to_owned()),
        }
    }
}

/// A `warning` or `error` event.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Notice {
    /// The `type` (`mcp_timeout`, `sandbox_error`, `stream_error`, …), when given.
    pub kind: Option<String>,
    /// The message, when given.
    pub message: Option<String>,
}

impl Notice {
    fn from_wire(wire: WireNotice) -> Notice {
        Notice {
            kind: wire.kind,
            message: wire.message.map(|m| match m {
                Value::String(s) => s,
                other => other.to_string(),
            }),
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

/// A `tool_call_start` event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolCallStart {
    /// The call's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The tool.
    #[serde(default)]
    pub name: Option<String>,
    /// The thread.
    #[serde(default)]
    pub thread_id: Option<String>,
}

/// A `tool_call_args` event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolCallArgs {
    /// The call's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The arguments as JSON text, possibly one piece of them.
    #[serde(default, deserialize_with = "text_or_json")]
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
    #[serde(default)]
    pub id: Option<String>,
    /// The thread.
    #[serde(default)]
    pub thread_id: Option<String>,
}

/// A `tool_result` event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ToolResult {
    /// The call's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The output: usually a string, kept as JSON since the server does not promise one.
    #[serde(default)]
    pub content: Value,
    /// The thread.
    #[serde(default)]
    pub thread_id: Option<String>,
}

impl ToolResult {
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

/// An `interrupt` event: the run waits for the user (to accept a research plan, say).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct Interrupt {
    /// The thread to answer on.
    #[serde(default)]
    pub thread_id: Option<String>,
    /// What the agent asks (a plan, a question).
    #[serde(default)]
    pub content: Option<String>,
    /// The answers the agent offers; send one's `value` as the feedback.
    #[serde(default)]
    pub options: Vec<InterruptOption>,
}

/// One answer an [`Interrupt`] offers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
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
}

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thread_id: Option<String>,
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
            ("message", r#"{"type":"chunk"}"#),
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
                "tool_call_end", "tool_result", "interrupt", "novel",
            ]),
            data in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                r#"\{"(type|content|thread_id|name|message|options|args|sandbox_id|skill_count)": ?("[a-z_]{0,8}"|[0-9]{1,3}|null|\[\]|\{\}|true)\}"#,
            ],
        ) {
            if let AgentEvent::Unknown { event, data: kept } = ev(name, &data) {
                proptest::prop_assert_eq!(event, name);
                proptest::prop_assert_eq!(kept, data);
            }
        }
    }

    #[test]
    fn unknown_types_are_kept_as_text() {
        assert!(matches!(
            ev("status", r#"{"type":"warp_drive"}"#),
            AgentEvent::Status(Status { kind: StatusKind::Other(ref k), .. }) if k == "warp_drive"
        ));
    }
}
