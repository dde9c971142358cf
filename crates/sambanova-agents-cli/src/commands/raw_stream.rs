//! `sessions stream --raw/--once`: any server-sent events URL, event by event as the server
//! framed it, through the SDK's [`SessionsClient::raw_events`] (the typed session stream
//! resumes, drops duplicates and retypes events, which hides what the server really sent).

use futures_util::StreamExt;
use sambanova_agents::Error as SdkError;
use sambanova_agents::sessions::{RawStreamOptions, SessionEvent, SessionsClient};
use sambanova_agents::sse::Event;

use crate::cli::ToolAnswerArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::raw_events::raw_event_line;
use crate::session_view::{EventPrinter, TurnEnd, TurnTracker, conclude};
use crate::tool_answers::{Answers, Policy, Requests};

/// Whether `sessions stream` was given a URL rather than a session id.
pub fn is_url(target: &str) -> bool {
    target.starts_with("http://") || target.starts_with("https://")
}

/// `sessions stream` as raw SSE: a session's stream (`--raw`, `--once`) or any URL.
/// Byte-for-byte, without the SDK's resuming and de-duplication: `--raw` shows what the server
/// sends, `--once` must see the server end the stream.
pub async fn stream(
    ctx: &Context,
    target: &str,
    turn: bool,
    raw: bool,
    once: bool,
    answer_args: ToolAnswerArgs,
) -> Result<(), CliError> {
    let policy = Policy::for_stream(answer_args, turn)?;
    let client = ctx.sessions_stream()?;
    let (url, session) = if is_url(target) {
        (target.to_owned(), None)
    } else {
        (client.events_url(target)?, Some(target.to_owned()))
    };
    // Only a session's own turn can be answered: an arbitrary URL names no session.
    let answers = match (&session, policy) {
        (Some(sid), Some(policy)) => Some(Answers::new(
            client.clone(),
            sid,
            policy,
            Requests::MaybeReplayed,
            ctx.output,
        )),
        _ => None,
    };
    let printer = if turn {
        EventPrinter::for_turn(ctx.output)
    } else {
        EventPrinter::watching(ctx.output)
    };
    follow(Settings {
        client,
        url,
        session,
        once,
        until_turn_end: turn,
        mode: if raw {
            RawMode::Lines
        } else {
            RawMode::Events(printer)
        },
        answers,
    })
    .await
}

/// How each event is shown.
enum RawMode {
    /// One JSON object a line: `{"event","data","id"}` as received.
    Lines,
    /// Decoded as session events and shown like `sessions stream`.
    Events(EventPrinter),
}

/// What to read and how.
struct Settings {
    /// The client whose key, headers and timeouts apply.
    pub client: SessionsClient,
    /// The stream's URL.
    pub url: String,
    /// The session whose stream the URL is, if it is one: such a stream resumes with
    /// `?last_event_id=` (the real server ignores the standard header), and its turn's end
    /// can be looked up.
    pub session: Option<String>,
    /// Do not reconnect: end (exit 0) when the server ends the stream.
    pub once: bool,
    /// End after the event that ends a session turn, with how it ended.
    pub until_turn_end: bool,
    /// How events are shown.
    pub mode: RawMode,
    /// Who answers the turn's permission requests and questions, if anyone.
    pub answers: Option<Answers>,
}

/// Reads the stream until the server ends it (with `once`), the turn ends (with
/// `until_turn_end`) or Ctrl-C; otherwise the SDK reconnects with the last event id.
async fn follow(settings: Settings) -> Result<(), CliError> {
    let Settings {
        client,
        url,
        session,
        once,
        until_turn_end,
        mut mode,
        mut answers,
    } = settings;
    let options = RawStreamOptions::default()
        .reconnect(!once)
        .resume_with_query(session.is_some());
    let events = client.raw_events(&url, options);
    tokio::pin!(events);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    // Raw lines have no printer to keep how the turn goes.
    let mut turn = if until_turn_end {
        TurnTracker::for_turn()
    } else {
        TurnTracker::watching()
    };
    loop {
        let next = tokio::select! {
            // Ctrl-C first: its handler is installed when first polled.
            biased;
            _ = &mut interrupted => return stop(mode),
            next = events.next() => next,
        };
        match next {
            None => break,
            Some(Ok(event)) => {
                show(&mut mode, &event)?;
                let typed = SessionEvent::from_sse(&event);
                if let Some(answers) = answers.as_mut() {
                    tokio::select! {
                        // Ctrl-C first: its handler is installed when first polled.
                        biased;
                        _ = &mut interrupted => return stop(mode),
                        answered = answers.answer(&typed) => {
                            if let Err(error) = answered {
                                end_line(&mut mode)?;
                                return Err(error);
                            }
                        }
                    }
                }
                turn.follow(&typed.kind);
                if until_turn_end && typed.is_turn_end() {
                    break;
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
    let end = match mode {
        RawMode::Lines => turn.into_end(),
        RawMode::Events(printer) => printer.finish()?,
    };
    if until_turn_end {
        conclude(end, session.as_deref().map(|sid| (&client, sid))).await
    } else {
        match end {
            TurnEnd::Failed(message) => Err(CliError::TurnFailed { message }),
            _ => Ok(()),
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

/// Ctrl-C: end the current line and stop, successfully.
fn stop(mut mode: RawMode) -> Result<(), CliError> {
    end_line(&mut mode)?;
    eprintln!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_are_urls() {
        assert!(is_url("https://h/x") && is_url("http://h/x") && !is_url("31d0232d"));
    }
}
