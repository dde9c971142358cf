//! `agent PROMPT [--thread ID]` over the agent stream, and `login`, which stores its token.

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{
    AGENT_STREAM_API_KEY_ENV, AGENT_STREAM_PASSWORD_ENV, AGENT_STREAM_TOKEN_ENV,
    AGENT_STREAM_USERNAME_ENV, AgentEvent, AgentRequest, AgentStreamClient, AssistantText,
    Interrupt,
};
use serde_json::json;

use crate::commands::with_spinner;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{LiveText, Output};
use crate::token::{self, TokenError};

/// `agent PROMPT [--thread ID] [--token-file PATH]`: streams the answer as it is written,
/// tool calls and results on their own lines; answers the agent's questions from stdin.
pub async fn agent(
    ctx: &Context,
    prompt: &str,
    thread: Option<&str>,
    token_file: Option<&Path>,
) -> Result<(), CliError> {
    let client = client(ctx, token_file)?;
    let mut request = AgentRequest::new(prompt);
    if let Some(thread) = thread {
        request = request.conversation(thread);
    }
    let mut printer = AgentPrinter::new(ctx.output);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let mut events = with_spinner(&ctx.output, "agent", client.stream(&request)).await?;
        loop {
            let next = tokio::select! {
                _ = &mut interrupted => {
                    printer.end_line()?;
                    ctx.output.note("stopped");
                    return Ok(());
                }
                next = events.next() => next,
            };
            match next {
                None => break,
                Some(Ok(event)) => printer.event(&event)?,
                Some(Err(error)) => {
                    printer.end_line()?;
                    return Err(error.into());
                }
            }
        }
        printer.end_line()?;
        printer.remember(events.thread_id(), events.sandbox_id(), events.request_id());
        let Some(interrupt) = events.interrupt().cloned() else {
            break;
        };
        let answer = ask(ctx.output, &interrupt)?;
        request = AgentRequest::answer(&interrupt, answer);
    }
    printer.finish()
}

/// `login`: stores a token read from `--token-file` or stdin, or, with `--username`, logs in
/// (password from the environment or stdin) and stores the token the server issues.
pub async fn login(
    ctx: &Context,
    token_file: Option<&Path>,
    username: Option<&str>,
) -> Result<(), CliError> {
    let token = match username {
        Some(username) => {
            let password = password(ctx.output, username)?;
            let client = ctx.agent_stream().credentials(username, password).build()?;
            let issued = with_spinner(&ctx.output, "logging in", client.login()).await?;
            issued.expose_secret().to_owned()
        }
        None => match token_file {
            Some(path) => {
                let file = std::fs::File::open(path).map_err(|source| TokenError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                token::read_token(file)?
            }
            None => {
                if io::stdin().is_terminal() {
                    ctx.output
                        .note("Paste the agent-stream token, then press Ctrl-D:");
                }
                token::read_token(io::stdin().lock())?
            }
        },
    };
    let path = token::default_token_path()?;
    token::store_token(&path, &token)?;
    if ctx.output.is_json() {
        ctx.output.json_document(&json!({ "token_path": path }))?;
    } else {
        ctx.output
            .note(&format!("token stored in {}", path.display()));
    }
    Ok(())
}

/// The client: the mock's user with `--mock`; otherwise the environment's credentials, an
/// explicit `--api-key`, and the stored token (or `--token-file`).
fn client(ctx: &Context, token_file: Option<&Path>) -> Result<AgentStreamClient, CliError> {
    let mut builder = ctx.agent_stream();
    if ctx.is_mock() {
        // A stored token belongs to another server.
        return Ok(builder.build()?);
    }
    let stored = match token::load_token(token_file) {
        Ok(token) => Some(token),
        Err(TokenError::NotLoggedIn) => None,
        Err(other) => return Err(other.into()),
    };
    let environment_has_credentials = [
        AGENT_STREAM_USERNAME_ENV,
        AGENT_STREAM_TOKEN_ENV,
        AGENT_STREAM_API_KEY_ENV,
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
    match stored {
        Some(token) => builder = builder.token(token),
        None if !environment_has_credentials && !ctx.has_explicit_api_key() => {
            return Err(TokenError::NotLoggedIn.into());
        }
        None => {}
    }
    Ok(builder.build()?)
}

fn password(output: Output, username: &str) -> Result<String, CliError> {
    if let Ok(password) = std::env::var(AGENT_STREAM_PASSWORD_ENV)
        && !password.is_empty()
    {
        return Ok(password);
    }
    let line = if io::stdin().is_terminal() {
        // Typed at a terminal: not echoed (rpassword turns the terminal's echo off).
        output.note(&format!(
            "Password for {username} (or set {AGENT_STREAM_PASSWORD_ENV}):"
        ));
        rpassword::read_password()
    } else {
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line).map(|_| line)
    }
    .map_err(|source| CliError::Input {
        path: PathBuf::from("<stdin>"),
        source,
    })?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(CliError::Usage {
            message: format!("no password: set {AGENT_STREAM_PASSWORD_ENV} or give it on stdin"),
        });
    }
    Ok(password)
}

/// Shows what the agent asks and reads the answer: an option's number, value or text, or
/// any other text as is. The end of input stops the run (exit 6).
fn ask(output: Output, interrupt: &Interrupt) -> Result<String, CliError> {
    let mut text = interrupt.content.clone().unwrap_or_default();
    for (number, option) in interrupt.options.iter().enumerate() {
        text.push_str(&format!(
            "\n  {}) {} [{}]",
            number + 1,
            option.text.as_deref().unwrap_or(""),
            option.value.as_deref().unwrap_or("")
        ));
    }
    output.note(text.trim());
    if io::stdin().is_terminal() {
        output.note("Answer with an option's number or value, or type feedback:");
    }
    let line = tokio::task::block_in_place(|| {
        let mut stdin = io::stdin().lock();
        loop {
            let mut line = String::new();
            if stdin.read_line(&mut line)? == 0 {
                return Ok(None);
            }
            if !line.trim().is_empty() {
                return Ok(Some(line.trim().to_owned()));
            }
        }
    })
    .map_err(|source: io::Error| CliError::Input {
        path: PathBuf::from("<stdin>"),
        source,
    })?;
    match line {
        Some(line) => Ok(choose(interrupt, &line)),
        None => Err(CliError::NotApproved),
    }
}

/// The value an answer line stands for.
fn choose(interrupt: &Interrupt, line: &str) -> String {
    let options = &interrupt.options;
    if let Ok(number) = line.parse::<usize>()
        && let Some(option) = number.checked_sub(1).and_then(|index| options.get(index))
        && let Some(value) = &option.value
    {
        return value.clone();
    }
    options
        .iter()
        .find(|option| {
            [&option.value, &option.text]
                .into_iter()
                .flatten()
                .any(|candidate| candidate.eq_ignore_ascii_case(line))
        })
        .and_then(|option| option.value.clone())
        .unwrap_or_else(|| line.to_owned())
}

/// Renders a run: the answer as it streams, `[tool name] args` once a call's arguments are
/// complete, `[result] …` for its output; with `--json`, one document at the end.
struct AgentPrinter {
    output: Output,
    answer: AssistantText,
    text: LiveText,
    /// Tool calls whose arguments are still arriving: id → (name, arguments so far).
    calls: HashMap<String, (String, String)>,
    failure: Option<String>,
    thread_id: Option<String>,
    sandbox_id: Option<String>,
    request_id: Option<String>,
}

impl AgentPrinter {
    fn new(output: Output) -> Self {
        AgentPrinter {
            output,
            answer: AssistantText::new(),
            text: LiveText::default(),
            calls: HashMap::new(),
            failure: None,
            thread_id: None,
            sandbox_id: None,
            request_id: None,
        }
    }

    fn event(&mut self, event: &AgentEvent) -> io::Result<()> {
        if let Some(piece) = self.answer.push(event) {
            return self.write(piece);
        }
        match event {
            AgentEvent::ToolCallStart(start) => {
                let id = start.id.clone().unwrap_or_default();
                let name = start.name.clone().unwrap_or_else(|| "tool".to_owned());
                self.calls.insert(id, (name, String::new()));
            }
            AgentEvent::ToolCallArgs(args) => {
                let id = args.id.clone().unwrap_or_default();
                if let Some((_, so_far)) = self.calls.get_mut(&id) {
                    so_far.push_str(args.args.as_deref().unwrap_or(""));
                }
            }
            AgentEvent::ToolCallEnd(end) => {
                let id = end.id.clone().unwrap_or_default();
                if let Some((name, args)) = self.calls.remove(&id) {
                    let args = if args.trim().is_empty() {
                        String::new()
                    } else {
                        format!(" {}", args.trim())
                    };
                    self.line(&format!("[tool {name}]{args}"))?;
                }
            }
            AgentEvent::ToolResult(result) => {
                self.line(&format!("[result] {}", abbreviate(&result.text())))?;
            }
            AgentEvent::Warning(notice) => {
                self.end_line()?;
                self.output.note(&format!(
                    "warning: {}",
                    describe(&notice.kind, &notice.message)
                ));
            }
            AgentEvent::Error(notice) => {
                let message = describe(&notice.kind, &notice.message);
                self.line(&format!("[error] {message}"))?;
                self.failure = Some(message);
            }
            _ => {}
        }
        Ok(())
    }

    fn remember(
        &mut self,
        thread_id: Option<&str>,
        sandbox_id: Option<&str>,
        request_id: Option<&str>,
    ) {
        let keep = |new: Option<&str>, old: &mut Option<String>| {
            if let Some(new) = new {
                *old = Some(new.to_owned());
            }
        };
        keep(thread_id, &mut self.thread_id);
        keep(sandbox_id, &mut self.sandbox_id);
        keep(request_id, &mut self.request_id);
    }

    fn finish(mut self) -> Result<(), CliError> {
        self.end_line()?;
        if let Some(message) = self.failure {
            return Err(CliError::TurnFailed { message });
        }
        if self.output.is_json() {
            self.output.json_document(&json!({
                "status": "completed",
                "text": self.answer.text(),
                "thread_id": self.thread_id,
                "sandbox_id": self.sandbox_id,
                "request_id": self.request_id,
            }))?;
        } else if let Some(thread) = &self.thread_id {
            self.output.note(&format!(
                "thread {thread} (continue with --thread {thread})"
            ));
        }
        Ok(())
    }

    fn line(&mut self, text: &str) -> io::Result<()> {
        if self.output.is_json() {
            return Ok(());
        }
        self.text.line(text)
    }

    fn end_line(&mut self) -> io::Result<()> {
        self.text.end_line()
    }

    /// Text on stdout as it arrives (nothing with `--json`: the document comes at the end).
    fn write(&mut self, text: &str) -> io::Result<()> {
        if self.output.is_json() {
            return Ok(());
        }
        self.text.write(text)
    }
}

fn describe(kind: &Option<String>, message: &Option<String>) -> String {
    match (kind, message) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (None, Some(message)) => message.clone(),
        (Some(kind), None) => kind.clone(),
        (None, None) => "the agent reported an error".to_owned(),
    }
}

fn abbreviate(text: &str) -> String {
    crate::commands::sessions::abbreviate(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interrupt() -> Interrupt {
        serde_json::from_str(
            r#"{"thread_id":"t","content":"Plan","options":[{"text":"Start research","value":"accepted"},{"text":"Edit plan","value":"edit_plan"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn answers_pick_options_by_number_value_or_text() {
        let interrupt = interrupt();
        assert_eq!(choose(&interrupt, "1"), "accepted");
        assert_eq!(choose(&interrupt, "2"), "edit_plan");
        assert_eq!(choose(&interrupt, "ACCEPTED"), "accepted");
        assert_eq!(choose(&interrupt, "edit plan"), "edit_plan");
        assert_eq!(choose(&interrupt, "3"), "3");
        assert_eq!(choose(&interrupt, "focus on Europe"), "focus on Europe");
    }
}
