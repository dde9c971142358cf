//! `agent PROMPT` and `chat PROMPT` over the agent-stream backend, and `login`, which stores
//! its token.
//!
//! Both streams print the same way: the answer as it is written (the chat stream's doubled
//! text once), `[tool name] args` once a call is complete, `[result] …` once per result (the
//! chat stream repeats each), `[error] …`; then the thread to continue. With `--json`, one
//! document at the end, also when the run failed.

use std::collections::HashSet;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{
    AGENT_STREAM_PASSWORD_ENV, AGENT_STREAM_TOKEN_ENV, AGENT_STREAM_USERNAME_ENV, AgentEvent,
    AgentEventStream, AgentModule, AgentRequest, AgentStreamClient, ChatRequest, Interrupt,
    InterruptOption, TurnText,
};
use serde_json::{Value, json};

use crate::cli::TurnArgs;
use crate::commands::with_spinner;
use crate::context::Context;
use crate::error::{CliError, Service};
use crate::output::{LiveText, Output};
use crate::prompt::{self, Choice, Numbering, Picker};
use crate::shell::shell_word;
use crate::terminal_text::terminal_safe;
use crate::token::{self, TokenError};

/// Where an `agent` run goes: the thread to continue, the sandbox to reuse, the module.
pub struct RunIds<'a> {
    /// `--thread`.
    pub thread: Option<&'a str>,
    /// `--session`.
    pub session: Option<&'a str>,
    /// `--module` (one of the server's names, checked by the grammar).
    pub module: Option<&'a str>,
}

/// `agent PROMPT [--thread ID | --session ID] [--module M]`: a run with a sandbox;
/// `--session` reuses the sandbox of the run whose thread id it names.
pub async fn agent(
    ctx: &Context,
    prompt: &str,
    ids: RunIds<'_>,
    turn: &TurnArgs,
) -> Result<(), CliError> {
    let mut request = AgentRequest::new(prompt);
    if turn.feedback {
        needs_thread(ids.thread.or(ids.session), "--thread or --session")?;
        request = request.interrupt_feedback(prompt);
    }
    if let Some(thread) = ids.thread {
        request = request.thread_id(thread);
    }
    if let Some(session) = ids.session {
        request = request.conversation(session);
    }
    let module = match ids.module.map(str::parse::<AgentModule>) {
        Some(Ok(module)) => Some(module),
        Some(Err(error)) => {
            return Err(CliError::Usage {
                message: format!("--module: {error}"),
            });
        }
        None => None,
    };
    if let Some(module) = module {
        request = request.module(module);
    }
    converse(ctx, Conversation::Agent(request, module), turn).await
}

/// `chat PROMPT [--thread ID]`: a run on the chat stream.
pub async fn chat(
    ctx: &Context,
    prompt: &str,
    thread: Option<&str>,
    turn: &TurnArgs,
) -> Result<(), CliError> {
    let mut request = ChatRequest::new(prompt);
    if turn.feedback {
        needs_thread(thread, "--thread")?;
        request = request.interrupt_feedback(prompt);
    }
    if let Some(thread) = thread {
        request = request.thread_id(thread);
    }
    converse(ctx, Conversation::Chat(request), turn).await
}

/// `--feedback` answers the question a thread waits on: without the thread there is none.
fn needs_thread(thread: Option<&str>, flags: &str) -> Result<(), CliError> {
    match thread {
        Some(_) => Ok(()),
        None => Err(CliError::Usage {
            message: format!(
                "--feedback answers a thread's question: give the thread with {flags}"
            ),
        }),
    }
}

/// The request of either stream, and how it continues after an interrupt.
enum Conversation {
    /// The request, and its module: an answer goes to the same module.
    Agent(AgentRequest, Option<AgentModule>),
    Chat(ChatRequest),
}

impl Conversation {
    async fn open(
        &self,
        client: &AgentStreamClient,
    ) -> Result<AgentEventStream, sambanova_agents::Error> {
        match self {
            Conversation::Agent(request, _) => client.stream(request).await,
            Conversation::Chat(request) => client.chat_stream(request).await,
        }
    }

    /// The command that continues this conversation.
    fn command(&self) -> &'static str {
        match self {
            Conversation::Agent(..) => "agent",
            Conversation::Chat(_) => "chat",
        }
    }

    fn answer(&self, interrupt: &Interrupt, feedback: String) -> Conversation {
        match self {
            Conversation::Agent(_, module) => {
                let answer = AgentRequest::answer(interrupt, feedback);
                let answer = match module {
                    Some(module) => answer.module(*module),
                    None => answer,
                };
                Conversation::Agent(answer, *module)
            }
            Conversation::Chat(_) => Conversation::Chat(ChatRequest::answer(interrupt, feedback)),
        }
    }
}

/// Runs the conversation to its end, answering the agent's questions (at most
/// `--max-answers` of them), and reports how it ended: with `--json`, one document, whether
/// it succeeded or not.
async fn converse(ctx: &Context, first: Conversation, turn: &TurnArgs) -> Result<(), CliError> {
    let mut printer = Printer::new(ctx.output);
    let outcome = match client(ctx, turn.token_file.as_deref()) {
        Ok(client) => run_turns(ctx, &client, first, turn, &mut printer).await,
        Err(error) => Err(error),
    };
    printer.finish(outcome.map_err(|error| error.attributed_to(Service::AgentStream)))
}

async fn run_turns(
    ctx: &Context,
    client: &AgentStreamClient,
    mut request: Conversation,
    turn: &TurnArgs,
    printer: &mut Printer,
) -> Result<(), CliError> {
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut answers = 0;
    loop {
        let mut events = with_spinner(&ctx.output, "agent", request.open(client)).await?;
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
                    printer.remember(&events);
                    return Err(error.into());
                }
            }
        }
        printer.end_line()?;
        printer.remember(&events);
        let Some(interrupt) = events.interrupt().cloned() else {
            return Ok(());
        };
        printer.interrupt = Some(interrupt.clone());
        if answers >= turn.max_answers {
            return Err(unanswered(
                printer,
                request.command(),
                &format!("{answers} answer(s) sent, --max-answers reached"),
            ));
        }
        let feedback = match &turn.answer {
            Some(answer) => {
                ctx.output.note(&describe_interrupt(&interrupt));
                let feedback = choose(&interrupt, answer);
                ctx.output
                    .note(&format!("answered: {}", terminal_safe(&feedback)));
                feedback
            }
            None => {
                let asked = tokio::select! {
                    // A Ctrl-C while the question waits stops the run, as it does mid-stream.
                    biased;
                    _ = &mut interrupted => {
                        ctx.output.note("stopped");
                        return Ok(());
                    }
                    asked = ask(ctx.output, &interrupt) => asked?,
                };
                match asked {
                    Some(feedback) => feedback,
                    None => return Err(unanswered(printer, request.command(), "input ended")),
                }
            }
        };
        answers += 1;
        printer.answers = answers;
        request = request.answer(&interrupt, feedback);
    }
}

fn unanswered(printer: &Printer, command: &str, why: &str) -> CliError {
    let how = match &printer.thread_id {
        Some(thread) => format!(
            "; answer it with `sambanova-agents {command} ANSWER --thread {} --feedback`",
            shell_word(thread)
        ),
        None => String::new(),
    };
    CliError::Unanswered {
        message: format!("{why}{how}"),
    }
}

/// `login`: with `--username`, logs in (password from the environment, the terminal without
/// echo, or stdin) and stores the token the server issues; otherwise stores a token read from
/// `--token-file` or stdin.
pub async fn login(
    ctx: &Context,
    token_file: Option<&Path>,
    username: Option<&str>,
    captcha: Option<(&str, &str)>,
) -> Result<(), CliError> {
    let token = match username {
        Some(username) => {
            let password = password(ctx.output, username).await?;
            crate::logging::hide(&password);
            let mut builder = ctx.agent_stream().credentials(username, password);
            if let Some((uuid, answer)) = captcha {
                builder = builder.captcha(uuid, answer);
            }
            let client = builder.build()?;
            let issued = with_spinner(&ctx.output, "logging in", client.login()).await?;
            crate::logging::hide(issued.expose_secret());
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
    crate::logging::hide(&token);
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

/// The client: the mock's user with `--mock`; otherwise the environment's credentials and the
/// stored token (or `--token-file`).
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
    let environment_has_credentials = [AGENT_STREAM_USERNAME_ENV, AGENT_STREAM_TOKEN_ENV]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
    match stored {
        Some(token) => {
            crate::logging::hide(&token);
            builder = builder.access_token(token);
        }
        None if !environment_has_credentials => return Err(TokenError::NotLoggedIn.into()),
        None => {}
    }
    Ok(builder.build()?)
}

async fn password(output: Output, username: &str) -> Result<String, CliError> {
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
        prompt::line("").await.map(Option::unwrap_or_default)
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

/// What the agent asks: its text, its questions, the options it offers (numbered).
fn describe_interrupt(interrupt: &Interrupt) -> String {
    let mut text = terminal_safe(interrupt.content.as_deref().unwrap_or("")).into_owned();
    for question in &interrupt.context.questions {
        text.push_str(&format!("\n  - {}", terminal_safe(question)));
    }
    for option in Picker::new(&interrupt.options).lines(Numbering::Parenthesis) {
        text.push('\n');
        text.push_str(&option);
    }
    text.trim().to_owned()
}

/// Shows what the agent asks and reads the answer from the terminal or stdin: an option's
/// number, value or text, or any other text as is. `None` when input ends.
async fn ask(output: Output, interrupt: &Interrupt) -> Result<Option<String>, CliError> {
    output.note(&describe_interrupt(interrupt));
    let line = prompt::answer_at_terminal(
        "Answer with an option's number or value, or type your answer:\n",
    )
    .await?;
    Ok(line.map(|line| choose(interrupt, &line)))
}

/// The value an answer line stands for.
fn choose(interrupt: &Interrupt, line: &str) -> String {
    Picker::new(&interrupt.options).pick(line)
}

/// An option of an interrupt is listed as `text [value]`; its number, its value or its text
/// (any case) picks its value.
impl Choice for InterruptOption {
    fn shown(&self) -> String {
        format!(
            "{} [{}]",
            terminal_safe(self.text.as_deref().unwrap_or("")),
            terminal_safe(self.value.as_deref().unwrap_or(""))
        )
    }

    fn answer(&self) -> Option<String> {
        self.value.clone()
    }

    fn named_by(&self, typed: &str) -> bool {
        [&self.value, &self.text]
            .into_iter()
            .flatten()
            .any(|candidate| candidate.eq_ignore_ascii_case(typed))
    }
}

/// Tool calls whose arguments may still be arriving at once; more than that is not a real run.
const MAX_OPEN_CALLS: usize = 64;

/// Renders a run: the answer as it streams, tool calls and results once each; with `--json`,
/// one document at the end.
struct Printer {
    output: Output,
    answer: TurnText,
    text: LiveText,
    /// Tool calls whose arguments are still arriving: (id, name, arguments so far).
    calls: Vec<(String, String, String)>,
    /// Calls already shown, and calls whose result was shown.
    shown_calls: HashSet<String>,
    shown_results: HashSet<String>,
    failure: Option<String>,
    thread_id: Option<String>,
    sandbox_id: Option<String>,
    request_id: Option<String>,
    interrupt: Option<Interrupt>,
    answers: u32,
}

impl Printer {
    fn new(output: Output) -> Self {
        Printer {
            output,
            answer: TurnText::new(),
            text: LiveText::default(),
            calls: Vec::new(),
            shown_calls: HashSet::new(),
            shown_results: HashSet::new(),
            failure: None,
            thread_id: None,
            sandbox_id: None,
            request_id: None,
            interrupt: None,
            answers: 0,
        }
    }

    fn event(&mut self, event: &AgentEvent) -> io::Result<()> {
        if let Some(piece) = self.answer.push(event) {
            let piece = terminal_safe(piece).into_owned();
            return self.write(&piece);
        }
        match event {
            AgentEvent::ToolCallStart(start) => {
                let id = start.id.clone().unwrap_or_default();
                let name = start.name.clone().unwrap_or_else(|| "tool".to_owned());
                // A server that starts calls and never ends them cannot make this grow forever.
                if self.calls.len() >= MAX_OPEN_CALLS {
                    self.calls.remove(0);
                }
                self.calls.push((id, name, String::new()));
            }
            AgentEvent::ToolCallArgs(args) => {
                let id = args.id.clone().unwrap_or_default();
                if let Some((_, _, so_far)) = self.calls.iter_mut().find(|(i, _, _)| *i == id) {
                    so_far.push_str(args.args.as_deref().unwrap_or(""));
                }
            }
            AgentEvent::ToolCallEnd(end) => {
                let id = end.id.clone().unwrap_or_default();
                if let Some(index) = self.calls.iter().position(|(i, _, _)| *i == id) {
                    let (id, name, args) = self.calls.remove(index);
                    self.show_call(id, &name, &args)?;
                }
            }
            // The complete calls again: shown only if their start and end never came.
            AgentEvent::ToolCalls(calls) => {
                for call in &calls.calls {
                    let id = call.id.clone().unwrap_or_default();
                    if !self.shown_calls.contains(&id) {
                        let args = if call.args.is_null() {
                            String::new()
                        } else {
                            call.args.to_string()
                        };
                        self.show_call(id, call.name.as_deref().unwrap_or("tool"), &args)?;
                    }
                }
            }
            AgentEvent::ToolResult(result) | AgentEvent::ToolCallResult(result) => {
                let id = result.call_id().map(str::to_owned);
                let repeated = matches!(event, AgentEvent::ToolCallResult(_))
                    && id
                        .as_ref()
                        .is_some_and(|id| self.shown_results.contains(id));
                if !repeated {
                    self.shown_results.extend(id);
                    let text = crate::session_view::abbreviate(&result.text());
                    self.line(&format!("[result] {}", terminal_safe(&text)))?;
                }
            }
            AgentEvent::Warning(notice) => {
                self.end_line()?;
                let message = describe(&notice.kind, &notice.message);
                self.output
                    .note(&format!("warning: {}", terminal_safe(&message)));
            }
            AgentEvent::Error(notice) => {
                let message = terminal_safe(&describe(&notice.kind, &notice.message)).into_owned();
                self.line(&format!("[error] {message}"))?;
                self.failure = Some(message);
            }
            _ => {}
        }
        Ok(())
    }

    fn show_call(&mut self, id: String, name: &str, args: &str) -> io::Result<()> {
        self.shown_calls.insert(id);
        let args = match args.trim() {
            "" => String::new(),
            args => format!(" {args}"),
        };
        self.line(&terminal_safe(&format!("[tool {name}]{args}")))
    }

    /// Keeps what the next run needs: the server's thread id (a new UUID when none was
    /// given), the sandbox, the request id.
    fn remember(&mut self, events: &AgentEventStream) {
        let keep = |new: Option<&str>, old: &mut Option<String>| {
            if let Some(new) = new {
                *old = Some(new.to_owned());
            }
        };
        keep(events.thread_id(), &mut self.thread_id);
        keep(events.sandbox_id(), &mut self.sandbox_id);
        keep(events.request_id(), &mut self.request_id);
        if events.interrupt().is_none() {
            self.interrupt = None;
        }
    }

    /// How the run ended: the thread to continue on stderr, or with `--json` one document
    /// (`completed`, `interrupted` or `failed`).
    fn finish(mut self, outcome: Result<(), CliError>) -> Result<(), CliError> {
        self.end_line()?;
        let outcome = outcome.and_then(|()| match self.failure.take() {
            Some(message) => Err(CliError::TurnFailed { message }),
            None => Ok(()),
        });
        if self.output.is_json() {
            let status = match &outcome {
                Ok(()) => "completed",
                Err(CliError::Unanswered { .. }) => "interrupted",
                Err(_) => "failed",
            };
            let mut doc = json!({
                "status": status,
                "text": self.answer.text(),
                "thread_id": self.thread_id,
                "sandbox_id": self.sandbox_id,
                "request_id": self.request_id,
                "answers": self.answers,
            });
            if let Some(interrupt) = &self.interrupt {
                doc["interrupt"] = interrupt_json(interrupt);
            }
            if let Err(error) = &outcome {
                doc["error"] = error_json(error);
            }
            self.output.json_document(&doc)?;
        } else if let Some(thread) = &self.thread_id {
            let thread = shell_word(thread);
            self.output.note(&format!(
                "thread {thread} (continue with --thread {thread})"
            ));
        }
        outcome
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

fn interrupt_json(interrupt: &Interrupt) -> Value {
    json!({
        "id": interrupt.id,
        "content": interrupt.content,
        "questions": interrupt.context.questions,
        "options": interrupt.options.iter().map(|o| json!({"text": o.text, "value": o.value})).collect::<Vec<_>>(),
    })
}

fn error_json(error: &CliError) -> Value {
    let request_id = match error {
        CliError::Api { error, .. } => error.request_id(),
        _ => None,
    };
    json!({
        "message": error.to_string(),
        "exit_code": error.exit_status(),
        "request_id": request_id,
    })
}

fn describe(kind: &Option<String>, message: &Option<String>) -> String {
    match (kind, message) {
        (Some(kind), Some(message)) => format!("{kind}: {message}"),
        (None, Some(message)) => message.clone(),
        (Some(kind), None) => kind.clone(),
        (None, None) => "the agent reported an error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interrupt() -> Interrupt {
        serde_json::from_str(
            r#"{"thread_id":"t","content":"Plan","options":[{"text":"Start research","value":"accepted"},{"text":"Edit plan","value":"edit_plan"}],"context":{"questions":["Go?"]}}"#,
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

    #[test]
    fn the_question_shows_its_questions_and_numbered_options() {
        assert_eq!(
            describe_interrupt(&interrupt()),
            "Plan\n  - Go?\n  1) Start research [accepted]\n  2) Edit plan [edit_plan]"
        );
    }
}
