//! Where things are written: results on stdout (text, or one JSON document per result with
//! `--json`), everything meant for the human at the terminal on stderr, so that
//! `sambanova-agents … > out` captures only the result.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use indicatif::ProgressBar;
use serde_json::Value;

use crate::progress;
use crate::terminal_text::terminal_safe;

/// The output mode of one invocation.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
    progress: bool,
    /// Results shown at a terminal are server text a terminal must not obey.
    stdout_terminal: bool,
}

impl Output {
    /// Output for `--json` (or not); progress is drawn only to a terminal and never with JSON.
    pub fn new(json: bool) -> Self {
        Output {
            json,
            progress: progress::progress_enabled(json),
            stdout_terminal: io::stdout().is_terminal(),
        }
    }

    /// Whether results are JSON documents.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Whether spinners and bars are drawn.
    pub fn shows_progress(&self) -> bool {
        self.progress
    }

    /// A spinner with elapsed time, until the returned bar is dropped or cleared.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        progress::spinner(self.progress, message)
    }

    /// A result: `json` with `--json`, else `text` (both on stdout, newline-terminated).
    pub fn result(&self, text: &str, json: &Value) -> io::Result<()> {
        if self.json {
            self.json_document(json)
        } else {
            self.text(text)
        }
    }

    /// One JSON document on one line of stdout.
    pub fn json_document(&self, json: &Value) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        serde_json::to_writer(&mut stdout, json)?;
        stdout.write_all(b"\n")?;
        stdout.flush()
    }

    /// Text on stdout, with a trailing newline if it lacks one, terminal-safe at a terminal
    /// (redirected, it is written as the server sent it). Ignored with `--json`, so that
    /// stdout holds only JSON documents.
    pub fn text(&self, text: &str) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        let text = for_stdout(text, self.stdout_terminal);
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            stdout.write_all(b"\n")?;
        }
        stdout.flush()
    }

    /// A note for the human on stderr (what happened, where a file went, how to continue).
    pub fn note(&self, text: &str) {
        // A closed stderr leaves nobody to tell; the result on stdout still counts.
        let _ = writeln!(io::stderr().lock(), "{text}");
    }
}

/// A resource as the JSON document `--json` prints.
pub fn to_json(value: &impl serde::Serialize) -> io::Result<Value> {
    serde_json::to_value(value).map_err(io::Error::other)
}

/// Streamed text on stdout, written as it arrives (terminal-safe at a terminal), that knows
/// whether the cursor is mid-line, so that a marked line (`[tool …]`, `[error] …`) always
/// starts on a line of its own.
#[derive(Debug)]
pub struct LiveText {
    mid_line: bool,
    terminal: bool,
}

impl Default for LiveText {
    fn default() -> Self {
        LiveText {
            mid_line: false,
            terminal: io::stdout().is_terminal(),
        }
    }
}

impl LiveText {
    /// Writes `text` now (flushed: it is a live stream).
    pub fn write(&mut self, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let shown = for_stdout(text, self.terminal);
        let mut stdout = io::stdout().lock();
        stdout.write_all(shown.as_bytes())?;
        stdout.flush()?;
        self.mid_line = !text.ends_with('\n');
        Ok(())
    }

    /// Writes `text` as a line of its own.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.end_line()?;
        self.write(text)?;
        self.write("\n")
    }

    /// Ends a line of streamed text, if one is open.
    pub fn end_line(&mut self) -> io::Result<()> {
        if self.mid_line {
            self.write("\n")?;
        }
        Ok(())
    }
}

/// Server text as stdout shows it: [`terminal_safe`] when stdout is a terminal, as the server
/// sent it when redirected (a file or a pipe gets the bytes; no terminal obeys them).
fn for_stdout(text: &str, terminal: bool) -> Cow<'_, str> {
    if terminal {
        terminal_safe(text)
    } else {
        Cow::Borrowed(text)
    }
}
