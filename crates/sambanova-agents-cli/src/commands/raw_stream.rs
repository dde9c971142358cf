//! `sessions stream --raw/--once`: any server-sent events URL, read byte for byte through the
//! SDK's SSE decoder.
//!
//! This is the one place the CLI opens an HTTP connection itself: the SDK's session stream
//! resumes, drops duplicates and types the events, which is right for following a session but
//! hides what the server really sent, and never lets the stream end when the server ends it.
//! A debugging view needs both, for any SSE server.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use sambanova_agents::Error as SdkError;
use sambanova_agents::sessions::SessionEvent;
use sambanova_agents::sse::{Decoder, Event, EventStream, StreamError};

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
    /// The stream's URL.
    pub url: String,
    /// Sent as `Authorization: Bearer` when set.
    pub api_key: Option<String>,
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

/// Reconnections in a row that may fail before giving up.
const MAX_RECONNECT_FAILURES: u32 = 10;
/// The wait before reconnecting when the server sent no `retry:`.
const DEFAULT_RECONNECT_WAIT: Duration = Duration::from_secs(1);
/// How much of an error body is kept for the message.
const ERROR_BODY_LIMIT: usize = 4096;

/// Reads the stream until the server ends it (with `once`), the turn ends (with
/// `until_turn_end`) or Ctrl-C, reconnecting otherwise with `Last-Event-ID`.
pub async fn follow(settings: Settings) -> Result<(), CliError> {
    let Settings {
        url,
        api_key,
        resumable,
        once,
        until_turn_end,
        mut mode,
    } = settings;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("sambanova-agents-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| connection_error(&error))?;
    let mut decoder = Decoder::new();
    let mut connected_once = false;
    let mut failures = 0u32;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let request = request(&http, &url, api_key.as_deref(), resumable, &decoder)?;
        let sent = tokio::select! {
            _ = &mut interrupted => return stop(mode),
            sent = http.execute(request) => sent,
        };
        let response = match sent {
            Ok(response) if response.status().is_success() => response,
            // An HTTP error will not go away by asking again.
            Ok(response) => return Err(status_error(response).await.into()),
            Err(error) => {
                failures += 1;
                if !connected_once || once || failures > MAX_RECONNECT_FAILURES {
                    return Err(connection_error(&error).into());
                }
                let wait = backoff(&decoder, failures);
                tokio::select! {
                    _ = &mut interrupted => return stop(mode),
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        };
        connected_once = true;
        failures = 0;
        let mut events = EventStream::with_decoder(response.bytes_stream(), decoder);
        loop {
            let next = tokio::select! {
                _ = &mut interrupted => return stop(mode),
                next = events.next() => next,
            };
            match next {
                None => break,
                Some(Ok(event)) => {
                    show(&mut mode, &event)?;
                    if until_turn_end && SessionEvent::from_sse(&event).is_turn_end() {
                        return finish(mode);
                    }
                }
                Some(Err(StreamError::Transport(error))) => {
                    if once {
                        end_line(&mut mode)?;
                        return Err(connection_error(&error).into());
                    }
                    break;
                }
                Some(Err(other)) => {
                    // A discarded oversized event: say so, and go on with the next.
                    end_line(&mut mode)?;
                    eprintln!("warning: {other}");
                }
            }
        }
        decoder = events.into_decoder();
        // An event cut short by the end of the connection is not dispatched (the SSE rules).
        decoder.finish(&mut Vec::new());
        if once {
            return finish(mode);
        }
        let wait = backoff(&decoder, 1);
        tokio::select! {
            _ = &mut interrupted => return stop(mode),
            () = tokio::time::sleep(wait) => {}
        }
    }
}

fn request(
    http: &reqwest::Client,
    url: &str,
    api_key: Option<&str>,
    resumable: bool,
    decoder: &Decoder,
) -> Result<reqwest::Request, CliError> {
    let last_event_id = decoder.last_event_id();
    let mut builder = http.get(url).header(ACCEPT, "text/event-stream");
    if !last_event_id.is_empty() {
        builder = builder.header("Last-Event-ID", last_event_id);
        if resumable {
            builder = builder.query(&[("last_event_id", last_event_id)]);
        }
    }
    if let Some(key) = api_key {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| CliError::Usage {
                message: "the API key holds characters an HTTP header cannot carry".to_owned(),
            })?;
        value.set_sensitive(true);
        builder = builder.header(AUTHORIZATION, value);
    }
    builder.build().map_err(|error| CliError::Usage {
        message: format!("cannot request {url}: {error}"),
    })
}

fn backoff(decoder: &Decoder, failures: u32) -> Duration {
    let base = decoder
        .reconnection_time()
        .unwrap_or(DEFAULT_RECONNECT_WAIT);
    base.saturating_mul(1 << failures.saturating_sub(1).min(5))
        .min(Duration::from_secs(30).max(base))
}

fn show(mode: &mut RawMode, event: &Event) -> Result<(), CliError> {
    match mode {
        RawMode::Lines => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            writeln!(
                stdout,
                "{}",
                raw_event_line(&event.event, &event.data, &event.id)
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

fn connection_error(error: &reqwest::Error) -> SdkError {
    use std::error::Error as _;
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    SdkError::Connection {
        message,
        maybe_delivered: !error.is_connect(),
    }
}

/// A non-2xx answer as the SDK's error of the same kind, so it reads and exits the same.
async fn status_error(response: reqwest::Response) -> SdkError {
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header("x-request-id");
    let content_type = header(CONTENT_TYPE.as_str());
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while body.len() < ERROR_BODY_LIMIT
        && let Some(Ok(chunk)) = chunks.next().await
    {
        body.extend_from_slice(&chunk);
    }
    body.truncate(ERROR_BODY_LIMIT);
    let body = String::from_utf8_lossy(&body).into_owned();
    let message = error_message(&body);
    match status.as_u16() {
        401 => SdkError::Authentication {
            message,
            request_id,
        },
        404 => SdkError::NotFound {
            message,
            request_id,
        },
        _ => SdkError::UnexpectedResponse {
            status,
            content_type,
            reason: message,
            body,
            request_id,
        },
    }
}

/// The message of an error body: CIAB's `{"error":{"message"}}`, `{"error": "…"}`,
/// FastAPI's `{"detail": "…"}`, or the first line of anything else.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let from_json = parsed.as_ref().and_then(|json| {
        json.pointer("/error/message")
            .or_else(|| json.get("error"))
            .or_else(|| json.get("detail"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    });
    from_json.unwrap_or_else(|| body.lines().next().unwrap_or("").trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_the_known_shapes() {
        assert_eq!(
            error_message(
                r#"{"error":{"code":"session_not_found","message":"session not found: x"}}"#
            ),
            "session not found: x"
        );
        assert_eq!(
            error_message(r#"{"error":"Invalid API key"}"#),
            "Invalid API key"
        );
        assert_eq!(error_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(error_message("<html>\nbad gateway"), "<html>");
    }

    #[test]
    fn backoff_doubles_from_the_server_hint_and_is_capped() {
        let decoder = Decoder::new();
        assert_eq!(backoff(&decoder, 1), DEFAULT_RECONNECT_WAIT);
        assert_eq!(backoff(&decoder, 2), DEFAULT_RECONNECT_WAIT * 2);
        assert_eq!(backoff(&decoder, 30), Duration::from_secs(30));
    }
}
