//! Log lines, on stderr only (stdout is for results and `--json`): `-v` logs this CLI, its SDK
//! and its mock at INFO, `-vv` at DEBUG, `-vvv` at TRACE; `RUST_LOG`, when set, chooses instead.
//! Every line has the secrets the CLI knows redacted (the SDK's one rule, [`Secrets`]) and, at
//! a terminal, server text in it is shown terminal-safe.

use std::io::{self, IsTerminal, Write};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use sambanova_agents::Secrets;
use sambanova_agents::agent_stream::{AGENT_STREAM_PASSWORD_ENV, AGENT_STREAM_TOKEN_ENV};
use sambanova_agents::sessions::SESSIONS_API_KEY_ENV;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::terminal_text::terminal_safe;

/// Every secret this run knows: redacted from each log line.
static SECRETS: LazyLock<Secrets> = LazyLock::new(Secrets::default);

/// Whether log lines are written at all.
static ON: AtomicBool = AtomicBool::new(false);

/// The environment variables whose values are secrets.
const SECRET_ENVS: [&str; 4] = [
    sambanova_agents::API_KEY_ENV,
    SESSIONS_API_KEY_ENV,
    AGENT_STREAM_PASSWORD_ENV,
    AGENT_STREAM_TOKEN_ENV,
];

/// The crates whose log lines `-v` turns on.
const OUR_CRATES: [&str; 4] = [
    "sambanova_agents",
    "sambanova_agents_cli",
    "sambanova_agents_mock",
    "sambanova_agents_raw",
];

/// Keeps `secret` out of every log line from now on.
pub fn hide(secret: &str) {
    SECRETS.add(secret);
}

/// Whether log lines go to stderr (progress bars would garble them).
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Starts logging as `RUST_LOG` says, else as `-v` was repeated `verbosity` times; neither:
/// no log line at all.
pub fn init(verbosity: u8) {
    for name in SECRET_ENVS {
        if let Ok(value) = std::env::var(name) {
            hide(&value);
        }
    }
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => {
            EnvFilter::builder().parse_lossy(directives)
        }
        _ => {
            let level = match verbosity {
                0 => return,
                1 => "info",
                2 => "debug",
                _ => "trace",
            };
            let directives = OUR_CRATES.map(|name| format!("{name}={level}")).join(",");
            EnvFilter::builder().parse_lossy(directives)
        }
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter {
            terminal: io::stderr().is_terminal(),
        })
        // Plain text: an escape sequence in a line can only have come from a server.
        .with_ansi(false)
        // A line as each request ends: operation, path, attempt, status, request id, latency.
        .with_span_events(FmtSpan::CLOSE)
        .try_init();
    ON.store(installed.is_ok(), Ordering::Relaxed);
}

/// Makes one [`LogLine`] per event.
struct LogWriter {
    terminal: bool,
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine {
            buffer: Vec::new(),
            terminal: self.terminal,
        }
    }
}

/// One event's text, gathered whole (a secret split across two writes is still found), then
/// redacted and written to stderr when dropped.
struct LogLine {
    buffer: Vec<u8>,
    terminal: bool,
}

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LogLine {
    /// The line as it is shown: no secret, and nothing a terminal would obey.
    fn shown(&self) -> String {
        let text = String::from_utf8_lossy(&self.buffer);
        let text = SECRETS.redact(&text);
        if self.terminal {
            terminal_safe(&text).into_owned()
        } else {
            text.into_owned()
        }
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        // A closed stderr leaves nobody to tell.
        let _ = io::stderr().lock().write_all(self.shown().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_redacted_whole_and_made_terminal_safe() {
        hide("sk-log-canary-1234");
        let mut line = LogLine {
            buffer: Vec::new(),
            terminal: true,
        };
        line.write_all(b"body: Invalid API key: sk-log-").unwrap();
        line.write_all(b"canary-1234 \x1b]0;x\x07\n").unwrap();
        assert_eq!(
            line.shown(),
            "body: Invalid API key: <redacted> \\u{1b}]0;x\\u{7}\n"
        );
        line.terminal = false;
        assert_eq!(
            line.shown(),
            "body: Invalid API key: <redacted> \x1b]0;x\x07\n"
        );
        line.buffer.clear();
    }
}
