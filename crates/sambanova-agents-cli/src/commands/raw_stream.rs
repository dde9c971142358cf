//! `sessions stream --raw/--once`: any server-sent events URL, event by event as the server
//! framed it, through the SDK's [`SessionsClient::raw_events`] (the typed session stream
//! resumes, drops duplicates and retypes events, which hides what the server really sent).

use futures_util::StreamExt;
use sambanova_agents::Error as SdkError;
use sambanova_agents::sessions::{RawStreamOptions, SessionEvent, SessionsClient};
use sambanova_agents::sse::Event;

use crate::commands::sessions::EventPrinter;
use crate::error::CliError;
use crate::raw_events::raw_event_line;

/// How each event is shown.
pub enum RawMode {
    /// One JSON object a line: `{"event","data","id"}` as received.
    Lines,
    /// Decoded as session events and shown like `sessions stream`.
    Events(EventPrinter),
}

/// What to read and how.
pub struct Settings {
    /// The client whose key, headers and timeouts apply.
    pub client: SessionsClient,
    /// The stream's URL.
    pub url: String,
    /// The URL is a Sessions stream, which resumes with `?last_event_id=` (the real server
    /// ignores the standard header).
    pub resumable: bool,
    /// Do not reconnect: end (exit 0) when the server ends the stream.
    pub once: bool,
    /// End after the event that ends a session turn.
    pub until_turn_end: bool,
    /// How events are shown.
    pub mode: RawMode,
}

/// Reads the stream until the server ends it (with `once`), the turn ends (with
/// `until_turn_end`) or Ctrl-C; otherwise the SDK reconnects with the last event id.
pub async fn follow(settings: Settings) -> Result<(), CliError> {
    let Settings {
        client,
        url,
        resumable,
        once,
        until_turn_end,
        mut mode,
    } = settings;
    let options = RawStreamOptions::default()
        .reconnect(!once)
        .resume_with_query(resumable);
    let events = client.raw_events(&url, options);
    tokio::pin!(events);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let next = tokio::select! {
            _ = &mut interrupted => return stop(mode),
            next = events.next() => next,
        };
        match next {
            None => return finish(mode),
            Some(Ok(event)) => {
                show(&mut mode, &event)?;
                if until_turn_end && SessionEvent::from_sse(&event).is_turn_end() {
                    return finish(mode);
                }
            }
            Some(Err(error @ SdkError::ResponseTooLarge { .. })) => {
                // A discarded oversized event: say so, and go on with the next.
                end_line(&mut mode)?;
                eprintln!("warning: {error}");
            }
            Some(Err(error)) => {
                end_line(&mut mode)?;
                return Err(error.into());
            }
        }
    }
}

fn show(mode: &mut RawMode, event: &Event) -> Result<(), CliError> {
    match mode {
        RawMode::Lines => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "{}",
                raw_event_line(event.event_type(), event.data(), event.id())
            )?;
            stdout.flush()?;
        }
        RawMode::Events(printer) => printer.event(&SessionEvent::from_sse(event))?,
    }
    Ok(())
}

fn end_line(mode: &mut RawMode) -> Result<(), CliError> {
    if let RawMode::Events(printer) = mode {
        printer.end_line()?;
    }
    Ok(())
}

fn finish(mode: RawMode) -> Result<(), CliError> {
    match mode {
        RawMode::Lines => Ok(()),
        RawMode::Events(printer) => printer.finish(),
    }
}

/// Ctrl-C: end the current line and stop, successfully.
fn stop(mut mode: RawMode) -> Result<(), CliError> {
    end_line(&mut mode)?;
    eprintln!("stopped");
    Ok(())
}
