//! `sandboxes …`: the sandboxes of a Sessions server, where sessions run.

use sambanova_agents::sessions::{Sandbox, SandboxSpec};

use crate::cli::SandboxesCommand;
use crate::commands::with_spinner;
use crate::context::Context;
use crate::error::CliError;
use crate::output::to_json;
use crate::shell::shell_word;
use crate::terminal_text::terminal_safe_word;

/// Runs one `sandboxes` subcommand.
pub async fn run(ctx: &Context, command: SandboxesCommand) -> Result<(), CliError> {
    match command {
        SandboxesCommand::List => list(ctx).await,
        SandboxesCommand::Create { name, agent } => create(ctx, name, &agent).await,
        SandboxesCommand::Get { id } => get(ctx, &id).await,
        SandboxesCommand::Delete { id } => delete(ctx, &id).await,
    }
}

async fn list(ctx: &Context) -> Result<(), CliError> {
    let sandboxes = ctx.sessions()?.list_sandboxes().await?;
    if sandboxes.is_empty() && !ctx.output.is_json() {
        ctx.output.note("no sandboxes");
        return Ok(());
    }
    let table = sandboxes
        .iter()
        .map(|sandbox| {
            format!(
                "{}  {:<11}  {:<20}  {}",
                sandbox.id,
                sandbox.state.as_str(),
                sandbox.name.as_deref().unwrap_or("-"),
                sandbox.created_at
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    ctx.output.result(&table, &to_json(&sandboxes)?)?;
    Ok(())
}

async fn create(ctx: &Context, name: Option<String>, agent: &str) -> Result<(), CliError> {
    let mut spec = SandboxSpec::new(agent);
    if let Some(name) = name {
        spec = spec.name(name);
    }
    let client = ctx.sessions()?;
    let sandbox = with_spinner(
        &ctx.output,
        "provisioning the sandbox",
        client.create_sandbox_and_wait(&spec),
    )
    .await?;
    // The real id alone on stdout, so that `SB=$(sambanova-agents sandboxes create)` works.
    ctx.output.result(&sandbox.id, &to_json(&sandbox)?)?;
    if !ctx.output.is_json() {
        ctx.output.note(&format!(
            "sandbox {} is {}; start a session with `sambanova-agents sessions create {}`",
            terminal_safe_word(&sandbox.id),
            terminal_safe_word(sandbox.state.as_str()),
            shell_word(&sandbox.id)
        ));
    }
    Ok(())
}

async fn get(ctx: &Context, id: &str) -> Result<(), CliError> {
    let sandbox = ctx.sessions()?.get_sandbox(id).await?;
    ctx.output
        .result(&describe(&sandbox), &to_json(&sandbox)?)?;
    Ok(())
}

async fn delete(ctx: &Context, id: &str) -> Result<(), CliError> {
    let client = ctx.sessions()?;
    // Read first: with --json the deleted sandbox is printed, as the other commands print theirs.
    let sandbox = client.get_sandbox(id).await?;
    if let Err(error) = client.delete_sandbox(id).await {
        if error.status().is_some_and(|status| status.as_u16() == 500) {
            // The server removes the sandbox, then fails on the sessions that still use it.
            ctx.output.note(&format!(
                "the server failed after removing sandbox {id}; a sandbox that still has sessions fails this way"
            ));
        }
        return Err(error.into());
    }
    ctx.output
        .result(&format!("deleted sandbox {id}"), &to_json(&sandbox)?)?;
    Ok(())
}

fn describe(sandbox: &Sandbox) -> String {
    let mut text = format!("sandbox {} ({})", sandbox.id, sandbox.state.as_str());
    if let Some(name) = &sandbox.name {
        text.push_str(&format!("\nname: {name}"));
    }
    if let Some(agent) = &sandbox.agent_provider {
        text.push_str(&format!("\nagent: {agent}"));
    }
    for (key, value) in &sandbox.labels {
        text.push_str(&format!("\nlabel {key}: {value}"));
    }
    if !sandbox.created_at.is_empty() {
        text.push_str(&format!("\ncreated: {}", sandbox.created_at));
    }
    text
}
