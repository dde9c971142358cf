//! The Sessions API's resources: sandboxes, sessions, messages and their content blocks.
//!
//! States and roles keep values this SDK does not know (`Unknown`), so a newer server never
//! breaks a caller; content blocks of unknown types keep their JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::wire_enum::wire_enum;

wire_enum! {
    /// Where a sandbox is in its life.
    ///
    /// ```
    /// use sambanova_agents::sessions::SandboxState;
    /// assert_eq!(SandboxState::from("running"), SandboxState::Running);
    /// assert_eq!(SandboxState::from("hibernating").as_str(), "hibernating");
    /// ```
    SandboxState {
        /// Accepted, not provisioned yet.
        Pending = "pending",
        /// Being provisioned.
        Creating = "creating",
        /// Ready for sessions.
        Running = "running",
        /// Being paused.
        Pausing = "pausing",
        /// Paused.
        Paused = "paused",
        /// Being stopped.
        Stopping = "stopping",
        /// Stopped.
        Stopped = "stopped",
        /// Gone (also what a placeholder reads while the real sandbox is provisioned).
        Terminated = "terminated",
        /// Provisioning or the runtime failed.
        Failed = "failed",
    }
}

wire_enum! {
    /// Where a session is: `Processing` while the agent runs, `WaitingForInput` during an
    /// approval, then `Active` again.
    ///
    /// ```
    /// use sambanova_agents::sessions::SessionState;
    /// assert_eq!(SessionState::from("waiting_for_input"), SessionState::WaitingForInput);
    /// ```
    SessionState {
        /// Idle, ready for a message.
        Active = "active",
        /// Waiting for a permission answer or a question's answer.
        WaitingForInput = "waiting_for_input",
        /// The agent is running a turn.
        Processing = "processing",
        /// Finished (documented, not observed).
        Completed = "completed",
        /// Failed (documented, not observed).
        Failed = "failed",
    }
}

wire_enum! {
    /// Who wrote a message.
    ///
    /// ```
    /// use sambanova_agents::sessions::Role;
    /// assert_eq!(Role::from("assistant"), Role::Assistant);
    /// ```
    Role {
        /// The caller.
        User = "user",
        /// The agent.
        Assistant = "assistant",
        /// The system prompt.
        System = "system",
        /// A tool's output.
        Tool = "tool",
    }
}

wire_enum! {
    /// Which tool calls need approval in a session.
    ///
    /// ```
    /// use sambanova_agents::sessions::PermissionMode;
    /// assert_eq!(PermissionMode::ApproveAll.as_str(), "approve_all");
    /// ```
    PermissionMode {
        /// Nothing needs approval.
        AutoApprove = "auto_approve",
        /// File edits need approval.
        ApproveEdits = "approve_edits",
        /// Every tool call needs approval.
        ApproveAll = "approve_all",
        /// The agent only plans.
        PlanOnly = "plan_only",
        /// No restriction at all.
        Unrestricted = "unrestricted",
    }
}

/// A sandbox: an isolated environment running one agent provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Sandbox {
    /// Its id (the real one: see [`SessionsClient::create_sandbox_and_wait`](super::SessionsClient::create_sandbox_and_wait)).
    pub id: String,
    /// Its name, when it was given one.
    #[serde(default)]
    pub name: Option<String>,
    /// Its state.
    pub state: SandboxState,
    /// The agent provider, e.g. `claude-code`.
    #[serde(default)]
    pub agent_provider: Option<String>,
    /// Labels given at creation.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// When it was created (RFC 3339, kept as text).
    #[serde(default)]
    pub created_at: String,
    /// When it last changed (RFC 3339, kept as text).
    #[serde(default)]
    pub updated_at: String,
    /// Every other field the server sent (`spec`, `endpoint_url`, `resource_stats`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What to provision. Only the agent provider is required.
///
/// ```
/// use sambanova_agents::sessions::SandboxSpec;
///
/// let spec = SandboxSpec::new("claude-code")
///     .name("nightly-build-42")
///     .label("team", "infra")
///     .env_var("RUST_LOG", "info");
/// assert_eq!(spec.name.as_deref(), Some("nightly-build-42"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SandboxSpec {
    /// The agent provider, e.g. `claude-code`.
    pub agent_provider: String,
    /// A name. [`create_sandbox_and_wait`](super::SessionsClient::create_sandbox_and_wait)
    /// gives the sandbox a unique one when this is `None`, to find its real id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The container image, when the runtime uses one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub labels: BTreeMap<String, String>,
    /// Environment variables of the agent.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub env_vars: BTreeMap<String, String>,
    /// The agent's configuration (model, system prompt, tools…), passed through.
    #[serde(skip_serializing_if = "Map::is_empty", default)]
    pub agent_config: Map<String, Value>,
    /// Provisioning timeout on the server, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u32>,
}

impl SandboxSpec {
    /// A spec for this agent provider, with nothing else set.
    pub fn new(agent_provider: impl Into<String>) -> Self {
        SandboxSpec {
            agent_provider: agent_provider.into(),
            name: None,
            image: None,
            labels: BTreeMap::new(),
            env_vars: BTreeMap::new(),
            agent_config: Map::new(),
            timeout_secs: None,
        }
    }

    /// Names the sandbox.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the container image.
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds an environment variable.
    pub fn env_var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env_vars.insert(key.into(), value.into());
        self
    }

    /// Sets one entry of the agent's configuration.
    pub fn agent_config(mut self, key: impl Into<String>, value: Value) -> Self {
        self.agent_config.insert(key.into(), value);
        self
    }

    /// Sets the server-side provisioning timeout.
    pub fn timeout_secs(mut self, seconds: u32) -> Self {
        self.timeout_secs = Some(seconds);
        self
    }
}

/// The answer to a sandbox creation: provisioning goes on in the background.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SandboxCreated {
    /// The id the server answered with. With the local runtime it is a **placeholder**: the
    /// real sandbox gets another id (see
    /// [`create_sandbox_and_wait`](super::SessionsClient::create_sandbox_and_wait)).
    #[serde(rename = "sandbox_id")]
    pub placeholder_id: String,
    /// Always `provisioning` today.
    pub status: String,
}

/// A conversation with the sandbox's agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// Its id (a UUID).
    pub id: String,
    /// The sandbox it runs in.
    pub sandbox_id: String,
    /// Its state.
    pub state: SessionState,
    /// The creation metadata; the server adds `claude_session_id` after the first turn.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// When it was created (RFC 3339, kept as text).
    #[serde(default)]
    pub created_at: String,
    /// When it last changed (RFC 3339, kept as text).
    #[serde(default)]
    pub updated_at: String,
}

/// A session with every stored message, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionDetails {
    /// The session.
    #[serde(flatten)]
    pub session: Session,
    /// Its messages, sorted by timestamp.
    #[serde(default)]
    pub messages: Vec<Message>,
}

impl SessionDetails {
    /// The agent's last stored message: after a turn, its reply (the whole result, the
    /// partial text of an interrupted turn, or the server's note on a crashed agent).
    ///
    /// ```
    /// use sambanova_agents::sessions::SessionDetails;
    ///
    /// let details: SessionDetails = serde_json::from_str(r#"{"id":"s","sandbox_id":"b",
    ///     "state":"active","messages":[
    ///     {"id":"1","session_id":"s","role":"user","content":[{"type":"text","text":"hi"}],"timestamp":"t1"},
    ///     {"id":"2","session_id":"s","role":"assistant","content":[{"type":"text","text":"Echo: hi"}],"timestamp":"t2"},
    ///     {"id":"3","session_id":"s","role":"user","content":[{"type":"text","text":"again"}],"timestamp":"t3"}]}"#).unwrap();
    /// assert_eq!(details.last_assistant_message().unwrap().text(), "Echo: hi");
    /// ```
    pub fn last_assistant_message(&self) -> Option<&Message> {
        self.messages
            .iter()
            .rev()
            .find(|message| message.role == Role::Assistant)
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Its id.
    pub id: String,
    /// The session it belongs to.
    pub session_id: String,
    /// Who wrote it.
    pub role: Role,
    /// Its content blocks.
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    /// When it was stored (RFC 3339 in UTC, kept as text).
    pub timestamp: String,
}

impl Message {
    /// The text blocks joined, without tool calls or images.
    ///
    /// ```
    /// use sambanova_agents::sessions::Message;
    ///
    /// let message: Message = serde_json::from_str(r#"{"id":"m","session_id":"s","role":"user",
    ///     "content":[{"type":"text","text":"hello "},{"type":"image","media_type":"image/png","data":""},
    ///     {"type":"text","text":"world"}],"timestamp":"2026-11-22T12:22:11Z"}"#).unwrap();
    /// assert_eq!(message.text(), "hello world");
    /// ```
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// One block of a message's content.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// A tool call.
    ToolUse {
        /// The call's id.
        id: String,
        /// The tool.
        name: String,
        /// Its input.
        input: Value,
        /// The sub-agent that made the call, if any.
        agent_name: Option<String>,
    },
    /// A tool's output.
    ToolResult {
        /// The call it answers.
        tool_use_id: String,
        /// The output (a string on the wire).
        content: String,
        /// Whether the tool failed.
        is_error: bool,
    },
    /// An image.
    Image {
        /// E.g. `image/png`.
        media_type: String,
        /// The bytes, base64-encoded.
        data: String,
    },
    /// A block of a type this SDK does not know (or that did not parse), as sent.
    Unknown(Value),
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KnownBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
        #[serde(default)]
        agent_name: Option<String>,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Value,
        #[serde(default)]
        is_error: bool,
    },
    Image {
        media_type: String,
        data: String,
    },
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(match KnownBlock::deserialize(&value) {
            Ok(KnownBlock::Text { text }) => ContentBlock::Text { text },
            Ok(KnownBlock::ToolUse {
                id,
                name,
                input,
                agent_name,
            }) => ContentBlock::ToolUse {
                id,
                name,
                input,
                agent_name,
            },
            Ok(KnownBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            }) => ContentBlock::ToolResult {
                tool_use_id,
                content: match content {
                    Value::String(text) => text,
                    Value::Null => String::new(),
                    other => other.to_string(),
                },
                is_error,
            },
            Ok(KnownBlock::Image { media_type, data }) => ContentBlock::Image { media_type, data },
            Err(_) => ContentBlock::Unknown(value),
        })
    }
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = match self {
            ContentBlock::Text { text } => serde_json::json!({"type": "text", "text": text}),
            ContentBlock::ToolUse {
                id,
                name,
                input,
                agent_name,
            } => {
                let mut value =
                    serde_json::json!({"type": "tool_use", "id": id, "name": name, "input": input});
                if let Some(agent) = agent_name {
                    value["agent_name"] = Value::String(agent.clone());
                }
                value
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => serde_json::json!({"type": "tool_result", "tool_use_id": tool_use_id,
                "content": content, "is_error": is_error}),
            ContentBlock::Image { media_type, data } => {
                serde_json::json!({"type": "image", "media_type": media_type, "data": data})
            }
            ContentBlock::Unknown(value) => value.clone(),
        };
        value.serialize(serializer)
    }
}

/// A session's queue: the messages waiting for the agent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct QueueStatus {
    /// The queued messages, oldest first, as the server sent them.
    #[serde(default)]
    pub messages: Vec<Value>,
    /// Whether a turn is running.
    #[serde(default)]
    pub processing: bool,
    /// How many messages wait (the running one included).
    #[serde(default)]
    pub queue_length: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_states_and_blocks_are_kept() {
        let session: Session = serde_json::from_str(
            r#"{"id":"s","sandbox_id":"b","state":"dreaming","metadata":{},"created_at":"t","updated_at":"t"}"#,
        )
        .unwrap();
        assert_eq!(session.state, SessionState::Unknown("dreaming".into()));
        let block: ContentBlock = serde_json::from_str(r#"{"type":"video","url":"x"}"#).unwrap();
        assert!(matches!(block, ContentBlock::Unknown(ref v) if v["url"] == "x"));
        let round: Value = serde_json::to_value(&block).unwrap();
        assert_eq!(round["type"], "video");
    }

    #[test]
    fn tool_result_content_is_text_even_when_structured() {
        let block: ContentBlock = serde_json::from_str(
            r#"{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"x"}]}"#,
        )
        .unwrap();
        match block {
            ContentBlock::ToolResult {
                content, is_error, ..
            } => {
                assert!(content.contains("\"x\""));
                assert!(!is_error);
            }
            other => panic!("{other:?}"),
        }
    }
}
