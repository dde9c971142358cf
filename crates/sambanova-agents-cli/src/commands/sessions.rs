//! `sessions …`: sessions in a sandbox, their messages, and their live events.

use std::io;

use futures_util::{Stream, StreamExt};
use sambanova_agents::sessions::{EventKind, SessionEvent, SessionsClient};
use serde_json::{Value, json};

use crate::cli::SessionsCommand;
use crate::commands::raw_stream::{self, RawMode};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{LiveText, Output};

/// Runs one `sessions` subcommand.
pub async fn run(ctx: &Context, command: SessionsCommand) -> Result<(), CliError> {
    match command {
        SessionsCommand::Create { sandbox } => create(ctx, &sandbox).await,
        SessionsCommand::List { sandbox } => list(ctx, &sandbox).await,
        SessionsCommand::Get { sid } => get(ctx, &sid).await,
        SessionsCommand::Send { sid, text, follow } => send(ctx, &sid, &text, follow).await,
        SessionsCommand::Interrupt { sid } => interrupt(ctx, &sid).await,
        SessionsCommand::Stream {
            sid,
            turn,
            raw,
            once,
        } => stream(ctx, &sid, turn, raw, once).await,
    }
}

async fn create(ctx: &Context, sandbox: &str) -> Result<(), CliError> {
    let session = ctx.sessions()?.create_session(sandbox).await?;
    // The id alone on stdout, so that `SID=$(sambanova-agents sessions create SB)` works.
    ctx.output.result(&session.id, &to_json(&session)?)?;
    if !ctx.output.is_json() {
        ctx.output.note(&format!(
            "created session {} in sandbox {} ({})",
            session.id,
            session.sandbox_id,
            session.state.as_str()
        ));
    }
    Ok(())
}

async fn list(ctx: &Context, sandbox: &str) -> Result<(), CliError> {
    let sessions = ctx.sessions()?.list_sessions(sandbox).await?;
    let table = sessions
        .iter()
        .map(|session| {
            format!(
                "{}  {:<17}  {}",
                session.id,
                session.state.as_str(),
                session.created_at
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    if sessions.is_empty() && !ctx.output.is_json() {
        ctx.output
            .note(&format!("no sessions in sandbox {sandbox}"));
        return Ok(());
    }
    ctx.output.result(&table, &to_json(&sessions)?)?;
    Ok(())
}

async fn get(ctx: &Context, sid: &str) -> Result<(), CliError> {
    let details = ctx.sessions()?.get_session(sid).await?;
    let session = &details.session;
    let mut text = format!(
        "session {} ({}) in sandbox {}, created {}",
        session.id,
        session.state.as_str(),
        session.sandbox_id,
        session.created_at
    );
    for message in &details.messages {
        text.push_str(&format!(
            "\n\n[{}] {}\n{}",
            message.role.as_str(),
            message.timestamp,
            message.text()
        ));
    }
    ctx.output.result(&text, &to_json(&details)?)?;
    Ok(())
}

async fn send(ctx: &Context, sid: &str, text: &str, follow: bool) -> Result<(), CliError> {
    let client = ctx.sessions()?;
    if !follow {
        let message = client.send_message(sid, text).await?;
        ctx.output.result(&message.id, &to_json(&message)?)?;
        if !ctx.output.is_json() {
            ctx.output.note(&format!(
                "message sent; follow the reply with `sambanova-agents sessions stream {sid} --turn`"
            ));
        }
        return Ok(());
    }
    let turn = client.send_and_stream(sid, text).await?;
    pump(turn.events, EventPrinter::new(ctx.output)).await
}

async fn interrupt(ctx: &Context, sid: &str) -> Result<(), CliError> {
    ctx.sessions()?.interrupt(sid).await?;
    ctx.output.result(
        &format!("interrupted session {sid}"),
        &json!({ "session_id": sid, "status": "interrupted" }),
    )?;
    Ok(())
}

async fn stream(
    ctx: &Context,
    target: &str,
    turn: bool,
    raw: bool,
    once: bool,
) -> Result<(), CliError> {
    let is_url = target.starts_with("http://") || target.starts_with("https://");
    if raw || once || is_url {
        // Byte-for-byte SSE, without the SDK's resuming and de-duplication: `--raw` shows
        // what the server sends, `--once` must see the server end the stream.
        let (url, resumable) = if is_url {
            (target.to_owned(), false)
        } else {
            (session_stream_url(&ctx.sessions_root(), target), true)
        };
        let mode = if raw {
            RawMode::Lines
        } else {
            RawMode::Events(EventPrinter::new(ctx.output))
        };
        return raw_stream::follow(raw_stream::Settings {
            client: ctx.sessions()?,
            url,
            resumable,
            once,
            until_turn_end: turn,
            mode,
        })
        .await;
    }
    let client: SessionsClient = ctx.sessions()?;
    let events = if turn {
        // The turn in progress (or the last one), not the first turn of the server's replay.
        client.turn_events(target).await?
    } else {
        client.events(target)
    };
    pump(events, EventPrinter::new(ctx.output)).await
}

fn session_stream_url(root: &str, sid: &str) -> String {
    let root = root.trim_end_matches('/');
    let root = root.strip_suffix("/api/v1").unwrap_or(root);
    let sid: String = percent_encode_segment(sid);
    format!("{root}/api/v1/sessions/{sid}/stream")
}

/// Session ids are UUIDs; anything else is escaped so it stays one path segment.
fn percent_encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Prints events until the stream ends or Ctrl-C; a turn that ended in failure is an error.
async fn pump(
    mut events: impl Stream<Item = Result<SessionEvent, sambanova_agents::Error>> + Unpin,
    mut printer: EventPrinter,
) -> Result<(), CliError> {
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = &mut interrupted => {
                printer.end_line()?;
                printer.output.note("stopped");
                return Ok(());
            }
            next = events.next() => match next {
                None => break,
                Some(Ok(event)) => printer.event(&event)?,
                Some(Err(error)) => {
                    printer.end_line()?;
                    return Err(error.into());
                }
            }
        }
    }
    printer.finish()
}

/// Renders session events for a human (text as it arrives, tool calls and results on their
/// own marked lines) or as one JSON document per event with `--json`.
pub struct EventPrinter {
    output: Output,
    text: LiveText,
    /// Deltas were printed this turn, so `text_complete` must not repeat them.
    streamed: bool,
    /// Why the last turn failed, if it did.
    failure: Option<String>,
    /// A tool call whose input is still streaming: its name and the input so far.
    pending_tool: Option<(String, String)>,
}

impl EventPrinter {
    /// A printer for this output mode.
    pub fn new(output: Output) -> Self {
        EventPrinter {
            output,
            text: LiveText::default(),
            streamed: false,
            failure: None,
            pending_tool: None,
        }
    }

    /// Prints one event.
    pub fn event(&mut self, event: &SessionEvent) -> io::Result<()> {
        // The empty queue that follows a failure also ends the turn: only a success clears it.
        if let Some(failure) = failure_of(&event.kind) {
            self.failure = Some(failure);
        } else if matches!(event.kind, EventKind::SessionCompleted(_)) {
            self.failure = None;
        }
        if self.output.is_json() {
            return self.output.json_document(&event.to_json());
        }
        match &event.kind {
            EventKind::TextDelta(delta) => {
                self.write(&delta.text)?;
                self.streamed = true;
            }
            EventKind::TextComplete(done) => {
                if !self.streamed
                    && let Some(text) = &done.text
                {
                    self.write(text)?;
                }
                self.end_line()?;
                self.streamed = false;
            }
            EventKind::ToolUseStart(tool) => {
                self.flush_tool()?;
                match tool.input.as_ref().filter(|input| !is_empty_json(input)) {
                    Some(input) => self.line(&format!(
                        "[tool {}] {}",
                        tool.name,
                        one_line(&input.to_string())
                    ))?,
                    // The input streams in `tool_input_delta`s: shown once complete.
                    None => self.pending_tool = Some((tool.name.clone(), String::new())),
                }
            }
            EventKind::ToolInputDelta(delta) => {
                if let Some((_, input)) = &mut self.pending_tool {
                    input.push_str(delta.partial_json.as_deref().unwrap_or(""));
                }
            }
            EventKind::ToolUseComplete(_) => self.flush_tool()?,
            EventKind::ToolResult(result) => {
                self.flush_tool()?;
                let label = if result.is_error == Some(true) {
                    "tool error"
                } else {
                    "result"
                };
                let content = result
                    .content
                    .as_ref()
                    .map(content_text)
                    .unwrap_or_default();
                self.line(&format!("[{label}] {}", abbreviate(&content)))?;
            }
            EventKind::PermissionRequest(request) => {
                self.line(&format!(
                    "[permission] {} waits for approval (request {})",
                    request.tool_name.as_deref().unwrap_or("a tool"),
                    request.request_id
                ))?;
            }
            EventKind::UserInputRequest(_) => self.line("[question] the agent asks for input")?,
            EventKind::ResultError(_) | EventKind::SessionFailed(_) | EventKind::Error(_) => {
                let message = failure_of(&event.kind).unwrap_or_default();
                self.line(&format!("[error] {message}"))?;
                self.streamed = false;
            }
            EventKind::SessionCompleted(_) => {
                self.end_line()?;
                self.streamed = false;
                self.output.note("[turn completed]");
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the output: a failed last turn is an error (exit 4).
    pub fn finish(mut self) -> Result<(), CliError> {
        self.flush_tool()?;
        self.end_line()?;
        match self.failure {
            Some(message) => Err(CliError::TurnFailed { message }),
            None => Ok(()),
        }
    }

    /// Ends a line of streamed text, if one is open.
    pub fn end_line(&mut self) -> io::Result<()> {
        self.text.end_line()
    }

    fn flush_tool(&mut self) -> io::Result<()> {
        match self.pending_tool.take() {
            Some((name, input)) if input.trim().is_empty() => self.line(&format!("[tool {name}]")),
            Some((name, input)) => self.line(&format!("[tool {name}] {}", one_line(&input))),
            None => Ok(()),
        }
    }

    fn line(&mut self, text: &str) -> io::Result<()> {
        self.text.line(text)
    }

    fn write(&mut self, text: &str) -> io::Result<()> {
        self.text.write(text)
    }
}

fn failure_of(kind: &EventKind) -> Option<String> {
    match kind {
        EventKind::ResultError(error) => Some(
            error
                .message
                .clone()
                .or_else(|| error.error_type.clone())
                .unwrap_or_else(|| "the agent reported an error".to_owned()),
        ),
        EventKind::SessionFailed(failed) => Some(
            failed
                .error
                .clone()
                .unwrap_or_else(|| "the session failed".to_owned()),
        ),
        EventKind::Error(error) => Some(
            error
                .message
                .clone()
                .or_else(|| error.code.clone())
                .unwrap_or_else(|| "the server reported an error".to_owned()),
        ),
        _ => None,
    }
}

fn is_empty_json(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// A tool result's text: a string as is, text blocks joined, anything else as JSON.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|block| match block.get("text").and_then(Value::as_str) {
                Some(text) => text.to_owned(),
                None => block.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
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

fn one_line(text: &str) -> String {
    const LIMIT: usize = 200;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<Value, CliError> {
    serde_json::to_value(value).map_err(|error| CliError::Io(io::Error::other(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_urls_are_built_from_the_root() {
        assert_eq!(
            session_stream_url("http://127.0.0.1:8080/", "abc"),
            "http://127.0.0.1:8080/api/v1/sessions/abc/stream"
        );
        assert_eq!(
            session_stream_url("http://h/api/v1", "a/b"),
            "http://h/api/v1/sessions/a%2Fb/stream"
        );
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
    }

    #[test]
    fn failures_are_remembered_until_a_good_turn_end() {
        let mut printer = EventPrinter::new(Output::new(true));
        let failed = SessionEvent::from_json(
            r#"{"id":"1","event_type":"result_error","data":{"message":"boom"}}"#,
        );
        printer.failure = failure_of(&failed.kind);
        assert_eq!(printer.failure.as_deref(), Some("boom"));
        assert!(matches!(printer.finish(), Err(CliError::TurnFailed { .. })));
    }
}
