//! Typed session events: every `event_type` the server can emit, and `Unknown` for the rest.

use serde::Deserialize;
use serde_json::Value;

use crate::sse;

/// The payload of each event type: the `sambanova-agents-raw` types, generated from this
/// project's Sessions spec (`spec/sessions.yaml`, written from the real server's behaviour),
/// re-exported as they are on purpose. The spec is the one description of the server's events,
/// so the typed events, the raw client and the spec cannot drift apart; every field's docs come
/// from it. Fields the server may leave out are `Option`s.
pub mod data {
    pub use sambanova_agents_raw::sessions::types::{
        ConnectedData, ErrorEventData, FileChangedData, KeepaliveData, LogLineData,
        PermissionRequestData, PermissionResponseData, ProvisioningCompleteData,
        ProvisioningFailedData, ProvisioningStepData, QueuePosition, QueueUpdatedData,
        ReconnectData, ResultErrorData, SandboxStateChangedData, SessionCompletedData,
        SessionCreatedData, SessionFailedData, StatsData, SubagentData, TextCompleteData,
        TextDeltaData, ThinkingDeltaData, ToolInputDeltaData, ToolProgressData, ToolResultData,
        ToolUseCompleteData, ToolUseStartData, UserInputRequestData,
    };
}

use data::*;

/// One event of a session (or sandbox) stream, with where and when it happened.
///
/// ```
/// use sambanova_agents::sessions::{EventKind, SessionEvent};
///
/// let event = SessionEvent::from_json(r#"{"id":"e1","sandbox_id":"b","session_id":"s",
///     "event_type":"text_delta","data":{"text":"Echo:"},"timestamp":"2026-11-22T12:22:11Z"}"#);
/// assert_eq!(event.id, "e1");
/// assert!(matches!(event.kind, EventKind::TextDelta(ref d) if d.text == "Echo:"));
/// assert_eq!(event.event_type(), "text_delta");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionEvent {
    /// The event id (UUIDv4, sometimes prefixed: `prov-…`); `""` if the server sent none.
    pub id: String,
    /// The sandbox it happened in.
    pub sandbox_id: Option<String>,
    /// The session it belongs to; `None` for sandbox-wide events.
    pub session_id: Option<String>,
    /// When it happened (RFC 3339 in UTC, kept as text); `None` if the server sent none.
    pub timestamp: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

/// What happened, by event type. A known type whose data does not parse is `Unknown` too, with
/// its raw JSON: a stream never fails on one bad event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventKind {
    /// The agent process started a turn.
    Connected(ConnectedData),
    /// The server asks the client to reconnect after a delay.
    Reconnect(ReconnectData),
    /// A keepalive event (the server normally sends SSE comments instead).
    Keepalive(KeepaliveData),
    /// A piece of the assistant's text.
    TextDelta(TextDeltaData),
    /// The agent's result for the turn.
    TextComplete(TextCompleteData),
    /// A piece of the agent's reasoning.
    ThinkingDelta(ThinkingDeltaData),
    /// A sub-agent began.
    SubagentStart(SubagentData),
    /// A sub-agent finished.
    SubagentEnd(SubagentData),
    /// The agent calls a tool.
    ToolUseStart(ToolUseStartData),
    /// A piece of a tool call's JSON input.
    ToolInputDelta(ToolInputDeltaData),
    /// A tool call's input is complete.
    ToolUseComplete(ToolUseCompleteData),
    /// A tool's output.
    ToolResult(ToolResultData),
    /// The sandbox changed state.
    SandboxStateChanged(SandboxStateChangedData),
    /// One provisioning step.
    ProvisioningStep(ProvisioningStepData),
    /// Provisioning finished; `sandbox_id` is the real id.
    ProvisioningComplete(ProvisioningCompleteData),
    /// Provisioning failed.
    ProvisioningFailed(ProvisioningFailedData),
    /// A session was created.
    SessionCreated(SessionCreatedData),
    /// The turn succeeded (not sent after an error result, a crash or an interrupt).
    SessionCompleted(SessionCompletedData),
    /// The session failed.
    SessionFailed(SessionFailedData),
    /// A tool call waits for approval.
    PermissionRequest(PermissionRequestData),
    /// The answer given to a permission request.
    PermissionResponse(PermissionResponseData),
    /// The agent asks a question.
    UserInputRequest(UserInputRequestData),
    /// Progress of a long-running tool.
    ToolProgress(ToolProgressData),
    /// The turn ended with an error result (its only terminal event).
    ResultError(ResultErrorData),
    /// The session's queue changed; `queue_length` 0 means idle.
    QueueUpdated(QueueUpdatedData),
    /// A file in the sandbox changed.
    FileChanged(FileChangedData),
    /// Resource statistics.
    Stats(StatsData),
    /// A line of the agent process's output.
    LogLine(LogLineData),
    /// A runtime failure (e.g. a stopped sandbox).
    Error(ErrorEventData),
    /// A type this SDK does not know, or a known type whose data did not parse.
    Unknown {
        /// The event type as sent.
        event: String,
        /// The event's `data` as sent (the whole `data:` line as a string if it was not JSON).
        data: Value,
    },
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    sandbox_id: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    timestamp: Option<String>,
}

impl serde::Serialize for SessionEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl SessionEvent {
    /// Parses one `data:` line of a session stream. Never fails: what does not parse is
    /// [`EventKind::Unknown`].
    pub fn from_json(line: &str) -> SessionEvent {
        SessionEvent::parse("message", "", line)
    }

    /// Reads one decoded server-sent event.
    pub fn from_sse(event: &sse::Event) -> SessionEvent {
        SessionEvent::parse(event.event_type(), event.id(), event.data())
    }

    fn parse(sse_type: &str, sse_id: &str, line: &str) -> SessionEvent {
        match serde_json::from_str::<Envelope>(line) {
            Ok(envelope) => {
                let event_type = envelope.event_type.unwrap_or_else(|| sse_type.to_owned());
                SessionEvent {
                    id: envelope
                        .id
                        .filter(|id| !id.is_empty())
                        .unwrap_or_else(|| sse_id.to_owned()),
                    sandbox_id: envelope.sandbox_id,
                    session_id: envelope.session_id,
                    timestamp: envelope.timestamp,
                    kind: EventKind::parse(&event_type, envelope.data),
                }
            }
            Err(_) => SessionEvent {
                id: sse_id.to_owned(),
                sandbox_id: None,
                session_id: None,
                timestamp: None,
                kind: EventKind::Unknown {
                    event: sse_type.to_owned(),
                    data: Value::String(line.to_owned()),
                },
            },
        }
    }

    /// The event type as the server spells it (`text_delta`, …).
    pub fn event_type(&self) -> &str {
        self.kind.event_type()
    }

    /// The event in the server's shape (`{"id","sandbox_id","session_id","event_type","data",
    /// "timestamp"}`), e.g. to print it as JSON lines.
    ///
    /// ```
    /// use sambanova_agents::sessions::SessionEvent;
    ///
    /// let line = r#"{"id":"e1","sandbox_id":"b","session_id":"s","event_type":"text_delta","data":{"text":"hi"},"timestamp":"t"}"#;
    /// let event = SessionEvent::from_json(line);
    /// let expected: serde_json::Value = serde_json::from_str(line).unwrap();
    /// assert_eq!(event.to_json(), expected);
    /// ```
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "sandbox_id": self.sandbox_id,
            "session_id": self.session_id,
            "event_type": self.event_type(),
            "data": self.kind.data_json(),
            "timestamp": self.timestamp,
        })
    }

    /// Whether this event ends the turn: `session_completed`, `result_error`,
    /// `session_failed`, `error`, or `queue_updated` with an empty queue. (A crash or an
    /// interrupt sends no terminal event; the empty queue that follows is the sign.)
    ///
    /// ```
    /// use sambanova_agents::sessions::SessionEvent;
    ///
    /// let idle = SessionEvent::from_json(r#"{"id":"e","event_type":"queue_updated","data":{"queue":[],"queue_length":0}}"#);
    /// let busy = SessionEvent::from_json(r#"{"id":"e","event_type":"queue_updated","data":{"queue":[],"queue_length":1}}"#);
    /// assert!(idle.is_turn_end() && !busy.is_turn_end());
    /// ```
    pub fn is_turn_end(&self) -> bool {
        match &self.kind {
            EventKind::SessionCompleted(_)
            | EventKind::ResultError(_)
            | EventKind::SessionFailed(_)
            | EventKind::Error(_) => true,
            EventKind::QueueUpdated(queue) => queue.queue_length == 0,
            _ => false,
        }
    }
}

macro_rules! kinds {
    ($($wire:literal => $variant:ident,)*) => {
        impl EventKind {
            fn parse(event_type: &str, data: Value) -> EventKind {
                let parsed = match event_type {
                    $($wire => Deserialize::deserialize(&data).map(EventKind::$variant).ok(),)*
                    _ => None,
                };
                parsed.unwrap_or_else(|| EventKind::Unknown {
                    event: event_type.to_owned(),
                    data,
                })
            }

            /// The event type as the server spells it.
            pub fn event_type(&self) -> &str {
                match self {
                    $(EventKind::$variant(_) => $wire,)*
                    EventKind::Unknown { event, .. } => event,
                }
            }

            /// The event's `data` as JSON (absent optional fields are left out).
            pub fn data_json(&self) -> Value {
                let value = match self {
                    $(EventKind::$variant(data) => serde_json::to_value(data),)*
                    EventKind::Unknown { data, .. } => return data.clone(),
                };
                value.unwrap_or(Value::Null)
            }
        }
    };
}

kinds! {
    "connected" => Connected,
    "reconnect" => Reconnect,
    "keepalive" => Keepalive,
    "text_delta" => TextDelta,
    "text_complete" => TextComplete,
    "thinking_delta" => ThinkingDelta,
    "subagent_start" => SubagentStart,
    "subagent_end" => SubagentEnd,
    "tool_use_start" => ToolUseStart,
    "tool_input_delta" => ToolInputDelta,
    "tool_use_complete" => ToolUseComplete,
    "tool_result" => ToolResult,
    "sandbox_state_changed" => SandboxStateChanged,
    "provisioning_step" => ProvisioningStep,
    "provisioning_complete" => ProvisioningComplete,
    "provisioning_failed" => ProvisioningFailed,
    "session_created" => SessionCreated,
    "session_completed" => SessionCompleted,
    "session_failed" => SessionFailed,
    "permission_request" => PermissionRequest,
    "permission_response" => PermissionResponse,
    "user_input_request" => UserInputRequest,
    "tool_progress" => ToolProgress,
    "result_error" => ResultError,
    "queue_updated" => QueueUpdated,
    "file_changed" => FileChanged,
    "stats" => Stats,
    "log_line" => LogLine,
    "error" => Error,
}

/// Collects a turn's text from its `text_delta` events (and its `text_complete`, which wins
/// when present: it is the agent's whole result).
///
/// ```
/// use sambanova_agents::sessions::{SessionEvent, TurnText};
///
/// let mut text = TurnText::new();
/// for line in [
///     r#"{"id":"1","event_type":"text_delta","data":{"text":"Echo: "}}"#,
///     r#"{"id":"2","event_type":"text_delta","data":{"text":"hi"}}"#,
/// ] {
///     text.push(&SessionEvent::from_json(line));
/// }
/// assert_eq!(text.text(), "Echo: hi");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnText {
    streamed: String,
    complete: Option<String>,
}

impl TurnText {
    /// Nothing yet.
    pub fn new() -> Self {
        TurnText::default()
    }

    /// Takes in one event; returns the text it added, if any (events other than text add
    /// none).
    ///
    /// A `text_delta` adds its text. A `text_complete` adds what its result has beyond the
    /// text streamed so far (all of it when nothing streamed), so printing every piece this
    /// returns prints the answer once; a result that does not continue the streamed text
    /// replaces it in [`Self::text`] and adds nothing here.
    ///
    /// ```
    /// use sambanova_agents::sessions::{SessionEvent, TurnText};
    ///
    /// let mut text = TurnText::new();
    /// let mut printed = String::new();
    /// for line in [
    ///     r#"{"id":"1","event_type":"text_delta","data":{"text":"Echo: hi"}}"#,
    ///     r#"{"id":"2","event_type":"tool_use_start","data":{"id":"t","name":"Bash","input":{}}}"#,
    ///     r#"{"id":"3","event_type":"text_complete","data":{"text":"Echo: hi Done."}}"#,
    /// ] {
    ///     if let Some(piece) = text.push(&SessionEvent::from_json(line)) {
    ///         printed.push_str(piece);
    ///     }
    /// }
    /// assert_eq!(printed, "Echo: hi Done.");
    /// assert_eq!(text.text(), "Echo: hi Done.");
    /// assert_eq!(text.streamed(), "Echo: hi");
    /// ```
    pub fn push<'e>(&mut self, event: &'e SessionEvent) -> Option<&'e str> {
        match &event.kind {
            EventKind::TextDelta(delta) => {
                self.streamed.push_str(&delta.text);
                Some(delta.text.as_str())
            }
            EventKind::TextComplete(complete) => {
                let text = complete.text.as_deref()?;
                self.complete = Some(text.to_owned());
                text.strip_prefix(self.streamed.as_str())
            }
            _ => None,
        }
        .filter(|piece| !piece.is_empty())
    }

    /// The text so far: the `text_complete` result if one arrived, else the deltas joined.
    pub fn text(&self) -> &str {
        self.complete.as_deref().unwrap_or(&self.streamed)
    }

    /// The deltas joined, whatever `text_complete` said.
    pub fn streamed(&self) -> &str {
        &self.streamed
    }
}

impl<'e> Extend<&'e SessionEvent> for TurnText {
    fn extend<I: IntoIterator<Item = &'e SessionEvent>>(&mut self, events: I) {
        for event in events {
            self.push(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_data_of_a_known_type_is_unknown_with_its_json() {
        let event = SessionEvent::from_json(
            r#"{"id":"e","event_type":"text_delta","data":{"txt":1},"timestamp":"t"}"#,
        );
        match event.kind {
            EventKind::Unknown { event, data } => {
                assert_eq!(event, "text_delta");
                assert_eq!(data["txt"], 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn turn_text_answers_what_each_event_added() {
        let event = |event_type: &str, data: &str| {
            SessionEvent::from_json(&format!(
                r#"{{"id":"e","event_type":"{event_type}","data":{data}}}"#
            ))
        };
        let mut text = TurnText::new();
        assert_eq!(
            text.push(&event("text_delta", r#"{"text":"Hel"}"#)),
            Some("Hel")
        );
        assert_eq!(text.push(&event("text_delta", r#"{"text":""}"#)), None);
        assert_eq!(text.push(&event("stats", r#"{"cpu":1}"#)), None);
        assert_eq!(text.push(&event("text_complete", r#"{}"#)), None);
        assert_eq!(text.text(), "Hel");
        // The result repeats what streamed: only the rest is new.
        let done = event("text_complete", r#"{"text":"Hello"}"#);
        assert_eq!(text.push(&done), Some("lo"));
        assert_eq!(text.text(), "Hello");
        // A result that says something else replaces the text and adds no piece.
        let other = event("text_complete", r#"{"text":"Bye"}"#);
        assert_eq!(text.push(&other), None);
        assert_eq!((text.text(), text.streamed()), ("Bye", "Hel"));

        let mut nothing_streamed = TurnText::new();
        assert_eq!(nothing_streamed.push(&done), Some("Hello"));
    }

    #[test]
    fn a_pending_request_without_its_id_is_unknown_whichever_kind() {
        for event_type in ["permission_request", "user_input_request"] {
            let line = format!(
                r#"{{"id":"e","event_type":"{event_type}","data":{{"tool_name":"Bash","questions":[]}}}}"#
            );
            match SessionEvent::from_json(&line).kind {
                EventKind::Unknown { event, data } => {
                    assert_eq!(event, event_type);
                    assert_eq!(data["tool_name"], "Bash");
                }
                other => panic!("{event_type}: {other:?}"),
            }
            let line = format!(
                r#"{{"id":"e","event_type":"{event_type}","data":{{"request_id":"r-1"}}}}"#
            );
            let request_id = match SessionEvent::from_json(&line).kind {
                EventKind::PermissionRequest(request) => request.request_id,
                EventKind::UserInputRequest(request) => request.request_id,
                other => panic!("{event_type}: {other:?}"),
            };
            assert_eq!(request_id, "r-1");
        }
    }

    #[test]
    fn a_line_that_is_not_json_is_kept() {
        let sse = sse::Event::new("weird", "not json", "x1");
        let event = SessionEvent::from_sse(&sse);
        assert_eq!(event.id, "x1");
        assert!(matches!(event.kind, EventKind::Unknown { ref data, .. } if data == "not json"));
    }

    #[test]
    fn every_known_type_parses_its_documented_shape() {
        let samples = [
            (
                "connected",
                r#"{"cwd":"/w","model":"m","session_id":"s","tools":["Bash"]}"#,
            ),
            ("log_line", r#"{"line":"x","stream":"stderr"}"#),
            (
                "tool_use_start",
                r#"{"id":"t","input":{},"name":"Bash","streaming":true}"#,
            ),
            ("tool_input_delta", r#"{"index":0,"partial_json":"{"}"#),
            (
                "tool_result",
                r#"{"content":"done","is_error":false,"tool_use_id":"t"}"#,
            ),
            (
                "permission_request",
                r#"{"request_id":"r","risk_level":"medium","tool_input":{},"tool_name":"Bash"}"#,
            ),
            (
                "session_completed",
                r#"{"cost_usd":0.0,"duration_ms":1,"session_id":"s"}"#,
            ),
            (
                "result_error",
                r#"{"cost_usd":0.0,"duration_ms":1,"error_type":"e","message":"m","session_id":"s"}"#,
            ),
            (
                "user_input_request",
                r#"{"request_id":"q","tool_use_id":"q","questions":[{"question":"Which?"}]}"#,
            ),
            ("error", r#"{"message":"sandbox stopped"}"#),
            ("provisioning_complete", r#"{"sandbox_id":"real"}"#),
            ("stats", r#"{"cpu":1}"#),
        ];
        for (event_type, data) in samples {
            let line = format!(r#"{{"id":"e","event_type":"{event_type}","data":{data}}}"#);
            let event = SessionEvent::from_json(&line);
            assert!(
                !matches!(event.kind, EventKind::Unknown { .. }),
                "{event_type}: {event:?}"
            );
            assert_eq!(event.event_type(), event_type);
        }
    }
}
