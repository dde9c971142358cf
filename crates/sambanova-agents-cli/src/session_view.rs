//! How session events look on the terminal, and how a followed turn ended: shared by
//! `sessions send --follow`, `sessions stream` and its raw reader.

use std::io;

use sambanova_agents::sessions::{
    EventKind, SessionEvent, SessionsClient, ToolCall, ToolCallTracker, ToolEvent,
};
use serde_json::Value;

use crate::error::CliError;
use crate::output::{LiveText, Output};
use crate::prompt::{Numbering, Picker};
use crate::terminal_text::one_line;

/// How a turn ended, as far as its events tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TurnEnd {
    /// The stream stopped before the turn ended (or no turn ran).
    #[default]
    Open,
    /// `session_completed`.
    Completed,
    /// An error event, with what it said.
    Failed(String),
    /// The queue drained after this tool was denied: the agent stopped there.
    Denied(String),
    /// The queue drained with no terminal event: the agent crashed or was interrupted.
    NoResult,
}

/// Follows how a turn goes from its events: its failure, a denied tool, its end.
#[derive(Debug, Default)]
pub struct TurnTracker {
    /// The tool denied in this turn, if one was.
    denied: Option<String>,
    end: TurnEnd,
    /// Following many turns (not one): a new turn starts afresh.
    watching: bool,
}

impl TurnTracker {
    /// A tracker for one turn.
    pub fn for_turn() -> Self {
        TurnTracker::default()
    }

    /// A tracker for a stream of many turns: each new turn starts afresh.
    pub fn watching() -> Self {
        TurnTracker {
            watching: true,
            ..TurnTracker::default()
        }
    }

    /// Takes in one event.
    pub fn follow(&mut self, kind: &EventKind) {
        if let Some(failure) = failure_of(kind) {
            self.end = TurnEnd::Failed(failure);
            return;
        }
        match kind {
            // A new turn starts: in a stream of many turns, the last one's end is history.
            EventKind::Connected(_) if self.watching => {
                self.end = TurnEnd::Open;
                self.denied = None;
            }
            EventKind::SessionCompleted(_) => self.end = TurnEnd::Completed,
            EventKind::PermissionResponse(response) if response.approved == Some(false) => {
                self.denied = Some(
                    response
                        .tool_name
                        .clone()
                        .unwrap_or_else(|| "a tool".to_owned()),
                );
            }
            // The queue drained with the turn still open: no terminal event came.
            EventKind::QueueUpdated(queue)
                if queue.queue_length == 0 && self.end == TurnEnd::Open =>
            {
                self.end = match self.denied.take() {
                    Some(tool) => TurnEnd::Denied(tool),
                    None => TurnEnd::NoResult,
                };
            }
            _ => {}
        }
    }

    /// How the turn ended so far.
    pub fn end(&self) -> &TurnEnd {
        &self.end
    }

    /// How the turn ended.
    pub fn into_end(self) -> TurnEnd {
        self.end
    }
}

/// Renders session events for a human (text as it arrives, tool calls and results on their
/// own marked lines) or as one JSON document per event with `--json`, and keeps how the turn
/// is going.
pub struct EventPrinter {
    output: Output,
    text: LiveText,
    /// Deltas were printed this turn, so `text_complete` must not repeat them.
    streamed: bool,
    tools: ToolCallTracker,
    turn: TurnTracker,
}

impl EventPrinter {
    /// A printer for one turn, whose end the caller concludes ([`conclude`]).
    pub fn for_turn(output: Output) -> Self {
        EventPrinter::with(output, TurnTracker::for_turn())
    }

    /// A printer for a stream of many turns: notes how each ended.
    pub fn watching(output: Output) -> Self {
        EventPrinter::with(output, TurnTracker::watching())
    }

    fn with(output: Output, turn: TurnTracker) -> Self {
        EventPrinter {
            output,
            text: LiveText::default(),
            streamed: false,
            tools: ToolCallTracker::new(),
            turn,
        }
    }

    /// Prints one event.
    pub fn event(&mut self, event: &SessionEvent) -> io::Result<()> {
        self.turn.follow(&event.kind);
        let tool_events = self.tools.push(event);
        if self.output.is_json() {
            return self.output.json_document(&event.to_json());
        }
        for tool_event in tool_events {
            self.tool_event(tool_event)?;
        }
        match &event.kind {
            EventKind::TextDelta(delta) => {
                self.text.write(&delta.text)?;
                self.streamed = true;
            }
            EventKind::TextComplete(done) => {
                if !self.streamed
                    && let Some(text) = &done.text
                {
                    self.text.write(text)?;
                }
                self.text.end_line()?;
                self.streamed = false;
            }
            EventKind::PermissionRequest(request) => {
                let input = request
                    .tool_input
                    .as_ref()
                    .filter(|input| !input.is_null())
                    .map(|input| format!(": {}", one_line(&input.to_string())))
                    .unwrap_or_default();
                let risk = request
                    .risk_level
                    .as_deref()
                    .map(|risk| format!(", risk {}", one_line(risk)))
                    .unwrap_or_default();
                self.text.line(&format!(
                    "[permission] {} waits for approval (request {}{risk}){input}",
                    one_line(request.tool_name.as_deref().unwrap_or("a tool")),
                    one_line(&request.request_id),
                ))?;
            }
            EventKind::PermissionResponse(response) => {
                let verdict = match response.approved {
                    Some(true) => "allowed",
                    Some(false) => "denied",
                    None => "answered",
                };
                self.text.line(&format!(
                    "[permission] {} {verdict}",
                    one_line(response.tool_name.as_deref().unwrap_or("the tool"))
                ))?;
            }
            EventKind::UserInputRequest(request) => {
                let id = Some(request.request_id.as_str())
                    .filter(|id| !id.is_empty())
                    .map(|id| format!(" (request {})", one_line(id)))
                    .unwrap_or_default();
                let questions = request
                    .questions
                    .as_ref()
                    .map(questions)
                    .unwrap_or_default();
                if questions.is_empty() {
                    self.text
                        .line(&format!("[question] the agent asks for input{id}"))?;
                }
                for question in questions {
                    self.text
                        .line(&format!("[question] {}{id}", one_line(&question.text)))?;
                    for option in Picker::labelled(&question.options).lines(Numbering::Dot) {
                        self.text.line(&option)?;
                    }
                }
            }
            EventKind::ResultError(_) | EventKind::SessionFailed(_) | EventKind::Error(_) => {
                let message = failure_of(&event.kind).unwrap_or_default();
                self.text.line(&format!("[error] {message}"))?;
                self.streamed = false;
            }
            EventKind::SessionCompleted(_) => {
                self.text.end_line()?;
                self.streamed = false;
                self.output.note("[turn completed]");
            }
            EventKind::QueueUpdated(queue) if queue.queue_length == 0 && self.turn.watching => {
                match self.turn.end() {
                    TurnEnd::Denied(tool) => {
                        self.text.end_line()?;
                        self.output
                            .note(&format!("[turn ended: {tool} was denied]"));
                    }
                    TurnEnd::NoResult => {
                        self.text.end_line()?;
                        self.output.note("[turn ended without a result]");
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn tool_event(&mut self, event: ToolEvent) -> io::Result<()> {
        match event {
            ToolEvent::Call(call) => self.text.line(&call_line(&call)),
            ToolEvent::Output(output) => {
                let label = if output.is_error {
                    "tool error"
                } else {
                    "result"
                };
                self.text
                    .line(&format!("[{label}] {}", abbreviate(&output.text())))
            }
            _ => Ok(()),
        }
    }

    /// Ends the output: shows calls whose input never completed, and answers how the turn
    /// ended.
    pub fn finish(mut self) -> io::Result<TurnEnd> {
        if !self.output.is_json() {
            for call in self.tools.finish() {
                self.text.line(&call_line(&call))?;
            }
        }
        self.text.end_line()?;
        Ok(self.turn.into_end())
    }

    /// Ends a line of streamed text, if one is open.
    pub fn end_line(&mut self) -> io::Result<()> {
        self.text.end_line()
    }
}

/// Turns how a followed turn ended into the command's result: a failure, a denial and a
/// turn with no result are errors (exit 4). For one with no result, the session's stored reply
/// says what happened when it can (the server stores the crashed agent's exit).
pub async fn conclude(
    end: TurnEnd,
    session: Option<(&SessionsClient, &str)>,
) -> Result<(), CliError> {
    match end {
        TurnEnd::Open | TurnEnd::Completed => Ok(()),
        TurnEnd::Failed(message) => Err(CliError::TurnFailed { message }),
        TurnEnd::Denied(tool) => Err(CliError::TurnWithoutResult {
            why: format!("the agent stopped after {tool} was denied"),
        }),
        TurnEnd::NoResult => {
            let stored = match session {
                Some((client, sid)) => client
                    .get_session(sid)
                    .await
                    .ok()
                    .and_then(|details| details.last_assistant_message().map(|m| m.text())),
                None => None,
            };
            let why = match stored.as_deref().and_then(crash_report) {
                Some(report) => format!("the agent crashed: {report}"),
                None => "the agent exited or was interrupted".to_owned(),
            };
            Err(CliError::TurnWithoutResult { why })
        }
    }
}

/// The server stores a crashed agent's exit as `Agent exited with code N.\n<stderr>`.
fn crash_report(stored: &str) -> Option<String> {
    let rest = stored.strip_prefix("Agent exited with code ")?;
    let (code, stderr) = rest.split_once('\n').unwrap_or((rest, ""));
    let code = code.trim_end_matches('.');
    let stderr = one_line(stderr);
    Some(if stderr.is_empty() {
        format!("exit code {code}")
    } else {
        format!("exit code {code} ({stderr})")
    })
}

fn call_line(call: &ToolCall) -> String {
    let input = match &call.input {
        Some(input) if is_empty_json(input) => String::new(),
        Some(input) => format!(" {}", one_line(&input.to_string())),
        None => format!(" {}", one_line(&call.raw_input)),
    };
    format!("[tool {}]{input}", one_line(&call.name))
}

/// One question of a `user_input_request`: its text and the labels of its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// What the agent asks.
    pub text: String,
    /// The answers it offers, if any.
    pub options: Vec<String>,
}

/// The questions of a `user_input_request`, in the agent's `AskUserQuestion` shape
/// (`[{"question", "options": [{"label", "description"}]}]`); anything else is shown as
/// it came.
pub fn questions(value: &Value) -> Vec<Question> {
    let list = match value {
        Value::Array(list) => list.as_slice(),
        Value::Null => return Vec::new(),
        other => std::slice::from_ref(other),
    };
    list.iter()
        .map(|question| match question {
            Value::String(text) => Question {
                text: text.clone(),
                options: Vec::new(),
            },
            Value::Object(fields) => Question {
                text: fields
                    .get("question")
                    .and_then(Value::as_str)
                    .map_or_else(|| question.to_string(), str::to_owned),
                options: fields
                    .get("options")
                    .and_then(Value::as_array)
                    .map(|options| options.iter().map(option_label).collect())
                    .unwrap_or_default(),
            },
            other => Question {
                text: other.to_string(),
                options: Vec::new(),
            },
        })
        .collect()
}

fn option_label(option: &Value) -> String {
    match option {
        Value::String(label) => label.clone(),
        Value::Object(fields) => {
            let label = fields
                .get("label")
                .and_then(Value::as_str)
                .map_or_else(|| option.to_string(), str::to_owned);
            match fields.get("description").and_then(Value::as_str) {
                Some(description) if !description.is_empty() => {
                    format!("{label} ({description})")
                }
                _ => label,
            }
        }
        other => other.to_string(),
    }
}

/// What an error event says, on one line: it becomes the command's error line.
fn failure_of(kind: &EventKind) -> Option<String> {
    let said = match kind {
        EventKind::ResultError(error) => error
            .message
            .clone()
            .or_else(|| error.error_type.clone())
            .unwrap_or_else(|| "the agent reported an error".to_owned()),
        EventKind::SessionFailed(failed) => failed
            .error
            .clone()
            .unwrap_or_else(|| "the session failed".to_owned()),
        EventKind::Error(error) => error
            .message
            .clone()
            .or_else(|| error.code.clone())
            .unwrap_or_else(|| "the server reported an error".to_owned()),
        _ => return None,
    };
    Some(one_line(&said))
}

fn is_empty_json(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// The first lines of a long text, saying how much was left out.
pub fn abbreviate(text: &str) -> String {
    const SHOWN_LINES: usize = 8;
    let lines: Vec<&str> = text.trim_end().lines().collect();
    if lines.len() <= SHOWN_LINES {
        return lines.join("\n");
    }
    format!(
        "{}\n… ({} more lines)",
        lines[..SHOWN_LINES].join("\n"),
        lines.len() - SHOWN_LINES
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> SessionEvent {
        SessionEvent::from_json(line)
    }

    #[test]
    fn long_results_are_abbreviated() {
        let text = (1..=20)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let shown = abbreviate(&text);
        assert!(shown.starts_with("1\n2\n"));
        assert!(shown.ends_with("(12 more lines)"), "{shown}");
        assert_eq!(one_line("a\n  b"), "a b");
        assert_eq!(one_line("red \u{1b}[31mtext\u{7} \u{1b}"), "red [31mtext");
    }

    #[test]
    fn a_failure_is_how_the_turn_ended() {
        let mut printer = EventPrinter::for_turn(Output::new(true));
        printer
            .event(&event(
                r#"{"id":"1","event_type":"result_error","data":{"message":"boom"}}"#,
            ))
            .unwrap();
        assert_eq!(printer.finish().unwrap(), TurnEnd::Failed("boom".into()));
    }

    #[test]
    fn a_drained_queue_without_a_terminal_event_is_no_result_or_a_denial() {
        let drained =
            r#"{"id":"9","event_type":"queue_updated","data":{"queue":[],"queue_length":0}}"#;
        let mut printer = EventPrinter::for_turn(Output::new(true));
        printer.event(&event(drained)).unwrap();
        assert_eq!(printer.finish().unwrap(), TurnEnd::NoResult);

        let mut printer = EventPrinter::for_turn(Output::new(true));
        printer
            .event(&event(
                r#"{"id":"1","event_type":"permission_response","data":{"approved":false,"request_id":"r","tool_name":"Bash"}}"#,
            ))
            .unwrap();
        printer.event(&event(drained)).unwrap();
        assert_eq!(printer.finish().unwrap(), TurnEnd::Denied("Bash".into()));

        // After a success the empty queue changes nothing.
        let mut printer = EventPrinter::for_turn(Output::new(true));
        printer
            .event(&event(
                r#"{"id":"1","event_type":"session_completed","data":{}}"#,
            ))
            .unwrap();
        printer.event(&event(drained)).unwrap();
        assert_eq!(printer.finish().unwrap(), TurnEnd::Completed);
    }

    #[test]
    fn an_error_events_text_becomes_one_clean_line() {
        let failed = event(
            r#"{"id":"1","event_type":"result_error","data":{"message":"boom\n\u001b[2Jagain"}}"#,
        );
        assert_eq!(failure_of(&failed.kind).as_deref(), Some("boom [2Jagain"));
    }

    #[test]
    fn a_crashed_agent_is_read_from_the_stored_reply() {
        assert_eq!(
            crash_report("Agent exited with code 3.\nmock agent crashed\n").as_deref(),
            Some("exit code 3 (mock agent crashed)")
        );
        assert_eq!(
            crash_report("Agent exited with code 137.").as_deref(),
            Some("exit code 137")
        );
        assert_eq!(crash_report("Echo: partial"), None);
    }

    #[test]
    fn questions_are_read_from_the_agents_shape_and_anything_else() {
        let asked = questions(&serde_json::json!([{
            "question": "Which file?", "header": "File",
            "options": [{"label": "a.py", "description": "Python"}, {"label": "b.rs"}, "c"]
        }]));
        assert_eq!(
            asked,
            [Question {
                text: "Which file?".into(),
                options: vec!["a.py (Python)".into(), "b.rs".into(), "c".into()],
            }]
        );
        assert_eq!(questions(&serde_json::json!("Name?"))[0].text, "Name?");
        assert_eq!(questions(&serde_json::json!([42]))[0].text, "42");
        assert!(questions(&Value::Null).is_empty());
    }
}
