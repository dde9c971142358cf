//! `sessions …`: sessions in a sandbox, their messages, their typed live events, and the
//! answers their turns wait for.

use std::io;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use sambanova_agents::sessions::{PermissionMode, SessionEvent, SessionsClient};
use serde_json::json;

use crate::cli::{Decision, PermissionModeArg, SessionsCommand, ToolAnswerArgs};
use crate::context::Context;
use crate::error::CliError;
use crate::output::to_json;
use crate::session_view::{EventPrinter, TurnEnd, conclude};
use crate::shell::shell_word;
use crate::tool_answers::{Answers, Policy, Requests};

// Where the agent-stream command still looks for it; it lives in `session_view` now.

/// How long an interrupted turn may take to end before the command stops waiting.
const INTERRUPT_WAIT: Duration = Duration::from_secs(30);

/// Runs one `sessions` subcommand.
pub async fn run(ctx: &Context, command: SessionsCommand) -> Result<(), CliError> {
    match command {
        SessionsCommand::Create { sandbox } => create(ctx, &sandbox).await,
        SessionsCommand::List { sandbox } => list(ctx, &sandbox).await,
        SessionsCommand::Get { sid } => get(ctx, &sid).await,
        SessionsCommand::Send {
            sid,
            text,
            follow,
            answers,
        } => send(ctx, &sid, &text, follow, answers).await,
        SessionsCommand::Interrupt { sid } => interrupt(ctx, &sid).await,
        SessionsCommand::Permissions { sid, mode } => permissions(ctx, &sid, mode).await,
        SessionsCommand::Respond {
            sid,
            request_id,
            decision,
        } => respond(ctx, &sid, &request_id, decision).await,
        SessionsCommand::Answer {
            sid,
            request_id,
            text,
        } => answer(ctx, &sid, &request_id, &text).await,
        SessionsCommand::Attach { sid, answers } => {
            attach(ctx, &sid, Policy::for_attach(answers)).await
        }
        SessionsCommand::Stream {
            sid, turn, answers, ..
        } => stream(ctx, &sid, turn, answers).await,
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

async fn send(
    ctx: &Context,
    sid: &str,
    text: &str,
    follow: bool,
    answers: ToolAnswerArgs,
) -> Result<(), CliError> {
    let client = ctx.sessions()?;
    let policy = Policy::for_follow(answers, follow)?;
    let Some(policy) = policy else {
        let message = client.send_message(sid, text).await?;
        ctx.output.result(&message.id, &to_json(&message)?)?;
        if !ctx.output.is_json() {
            ctx.output.note(&format!(
                "message sent; follow the reply with `sambanova-agents sessions attach {}`",
                shell_word(sid)
            ));
        }
        return Ok(());
    };
    let turn = client.send_and_stream(sid, text).await?;
    let answers = Answers::new(client.clone(), sid, policy, Requests::Live, ctx.output);
    follow_turn(
        ctx,
        &client,
        sid,
        turn.events,
        answers,
        OnCtrlC::InterruptTheTurn,
    )
    .await
}

async fn interrupt(ctx: &Context, sid: &str) -> Result<(), CliError> {
    ctx.sessions()?.interrupt(sid).await?;
    ctx.output.result(
        &format!("interrupted session {sid}"),
        &json!({ "session_id": sid, "status": "interrupted" }),
    )?;
    Ok(())
}

async fn permissions(ctx: &Context, sid: &str, mode: PermissionModeArg) -> Result<(), CliError> {
    let mode = match mode {
        PermissionModeArg::AutoApprove => PermissionMode::AutoApprove,
        PermissionModeArg::ApproveEdits => PermissionMode::ApproveEdits,
        PermissionModeArg::ApproveAll => PermissionMode::ApproveAll,
        PermissionModeArg::PlanOnly => PermissionMode::PlanOnly,
        PermissionModeArg::Unrestricted => PermissionMode::Unrestricted,
    };
    ctx.sessions()?.set_permission_mode(sid, &mode).await?;
    ctx.output.result(
        &format!("session {sid}: permission mode {mode}"),
        &json!({ "session_id": sid, "mode": mode.as_str(), "status": "ok" }),
    )?;
    Ok(())
}

async fn respond(
    ctx: &Context,
    sid: &str,
    request_id: &str,
    decision: Decision,
) -> Result<(), CliError> {
    let approved = decision == Decision::Allow;
    ctx.sessions()?
        .respond_to_permission(sid, request_id, approved)
        .await?;
    let verdict = if approved { "allowed" } else { "denied" };
    ctx.output.result(
        &format!("request {request_id} {verdict}"),
        &json!({ "session_id": sid, "request_id": request_id, "approved": approved }),
    )?;
    Ok(())
}

async fn answer(ctx: &Context, sid: &str, request_id: &str, text: &str) -> Result<(), CliError> {
    ctx.sessions()?
        .respond_to_user_input(sid, request_id, text)
        .await?;
    ctx.output.result(
        &format!("request {request_id} answered"),
        &json!({ "session_id": sid, "request_id": request_id, "answered": true }),
    )?;
    Ok(())
}

/// `sessions stream` on the typed stream: resumed, each event once. (`--raw`, `--once` and
/// URLs are read as raw SSE by the `raw_stream` command, chosen where `sessions` commands are
/// dispatched.) With `--turn`, it is `sessions attach`.
async fn stream(
    ctx: &Context,
    sid: &str,
    turn: bool,
    answer_args: ToolAnswerArgs,
) -> Result<(), CliError> {
    match Policy::for_stream(answer_args, turn)? {
        Some(policy) => attach(ctx, sid, policy).await,
        None => {
            let client: SessionsClient = ctx.sessions_stream()?;
            watch(client.events(sid), EventPrinter::watching(ctx.output)).await
        }
    }
}

/// `sessions attach SID` and `sessions stream SID --turn`: the turn in progress (or the last
/// one) from its start, not the first turn of the server's replay, then live to its end,
/// answering what it asks as `policy` says. Ctrl-C only stops watching: the turn goes on.
async fn attach(ctx: &Context, sid: &str, policy: Policy) -> Result<(), CliError> {
    let client: SessionsClient = ctx.sessions_stream()?;
    let answers = Answers::new(
        client.clone(),
        sid,
        policy,
        Requests::MaybeReplayed,
        ctx.output,
    );
    let events = client.attach(sid).await?;
    follow_turn(ctx, &client, sid, events, answers, OnCtrlC::StopWatching).await
}

/// What Ctrl-C does while a turn is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnCtrlC {
    /// The command started the turn: Ctrl-C interrupts it on the server.
    InterruptTheTurn,
    /// The command only follows it: Ctrl-C stops following.
    StopWatching,
}

/// Prints a turn's events, answers what it asks, and ends with how it ended.
async fn follow_turn(
    ctx: &Context,
    client: &SessionsClient,
    sid: &str,
    mut events: impl Stream<Item = Result<SessionEvent, sambanova_agents::Error>> + Unpin,
    mut answers: Answers,
    on_ctrl_c: OnCtrlC,
) -> Result<(), CliError> {
    let mut printer = EventPrinter::for_turn(ctx.output);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let next = tokio::select! {
            // Ctrl-C first: its handler is installed when first polled.
            biased;
            _ = &mut ctrl_c => return stopped(ctx, client, sid, events, printer, on_ctrl_c).await,
            next = events.next() => next,
        };
        match next {
            None => break,
            Some(Ok(event)) => {
                printer.event(&event)?;
                tokio::select! {
                    // Ctrl-C first: its handler is installed when first polled.
                    biased;
                    _ = &mut ctrl_c => return stopped(ctx, client, sid, events, printer, on_ctrl_c).await,
                    answered = answers.answer(&event) => {
                        if let Err(error) = answered {
                            printer.end_line()?;
                            return Err(error);
                        }
                    }
                }
            }
            Some(Err(error)) => {
                printer.end_line()?;
                return Err(error.into());
            }
        }
    }
    let end = printer.finish()?;
    conclude(end, Some((client, sid))).await
}

/// Ctrl-C while following: stop there, or interrupt the turn and show it end.
async fn stopped(
    ctx: &Context,
    client: &SessionsClient,
    sid: &str,
    mut events: impl Stream<Item = Result<SessionEvent, sambanova_agents::Error>> + Unpin,
    mut printer: EventPrinter,
    on_ctrl_c: OnCtrlC,
) -> Result<(), CliError> {
    printer.end_line()?;
    if on_ctrl_c == OnCtrlC::StopWatching {
        let sid = shell_word(sid);
        ctx.output.note(&format!(
            "stopped watching; the turn goes on (`sambanova-agents sessions attach {sid}` shows \
             it again, `sambanova-agents sessions interrupt {sid}` stops it)"
        ));
        return Ok(());
    }
    client.interrupt(sid).await?;
    // The server marks no interrupt: the turn's end is its queue draining. A second Ctrl-C,
    // or a server that never says it, stops the wait.
    let drained = async {
        while let Some(Ok(event)) = events.next().await {
            printer.event(&event)?;
        }
        io::Result::Ok(())
    };
    tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => {}
        _ = tokio::time::timeout(INTERRUPT_WAIT, drained) => {}
    }
    ctx.output.note("[turn interrupted]");
    Err(CliError::Interrupted)
}

/// Prints events until the stream ends or Ctrl-C.
async fn watch(
    mut events: impl Stream<Item = Result<SessionEvent, sambanova_agents::Error>> + Unpin,
    mut printer: EventPrinter,
) -> Result<(), CliError> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            // Ctrl-C first: its handler is installed when first polled.
            biased;
            _ = &mut ctrl_c => {
                printer.end_line()?;
                eprintln!("stopped");
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
    // A stream of many turns ends (it gave up reconnecting): only a last turn that failed
    // is an error.
    match printer.finish()? {
        TurnEnd::Failed(message) => Err(CliError::TurnFailed { message }),
        _ => Ok(()),
    }
}
