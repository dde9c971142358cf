//! `sambanova-agents`: the command line for the SambaNova Agents API.
//!
//! The CLI has no HTTP of its own: every command is a call into the `sambanova_agents` SDK,
//! and `--mock` points that SDK at the embedded mock server.

mod approval;
mod cli;
mod commands;
mod context;
mod error;
mod output;
mod progress;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "used by `sessions stream --raw` once the SDK's sessions module lands"
    )
)]
mod raw_events;
mod token;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, FilesCommand, SessionsCommand};
use commands::agents::{self, Approval};
use context::Context;
use error::CliError;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version by itself.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`| head`): nothing left to say to anyone.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut cmd, "sambanova-agents", &mut out);
            out.flush()?;
            Ok(())
        }
        Command::Login { token_file } => login(token_file.as_deref(), cli.global.json),
        Command::Mock(args) => {
            runtime()?.block_on(sambanova_agents_mock::serve_foreground(args))?;
            Ok(())
        }
        command => runtime()?.block_on(run_api_command(&cli.global, command)),
    }
}

/// A runtime with worker threads, so the embedded mock keeps serving while the command
/// blocks reading an answer from stdin.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn run_api_command(global: &cli::GlobalArgs, command: Command) -> Result<(), CliError> {
    // Commands whose SDK support has not landed refuse before asking for a key.
    let not_available = match &command {
        Command::Sessions(SessionsCommand::Create { .. }) => Some("sessions create"),
        Command::Sessions(SessionsCommand::List { .. }) => Some("sessions list"),
        Command::Sessions(SessionsCommand::Get { .. }) => Some("sessions get"),
        Command::Sessions(SessionsCommand::Send { .. }) => Some("sessions send"),
        Command::Sessions(SessionsCommand::Interrupt { .. }) => Some("sessions interrupt"),
        Command::Sessions(SessionsCommand::Stream { .. }) => Some("sessions stream"),
        Command::Agent { .. } => Some("agent"),
        _ => None,
    };
    if let Some(command) = not_available {
        return Err(CliError::NotAvailable { command });
    }
    let ctx = Context::new(global).await?;
    match command {
        Command::Research {
            prompt,
            yes,
            no_plan,
        } => agents::research(&ctx, &prompt, Approval::from_yes(yes), no_plan).await,
        Command::Code {
            file,
            prompt,
            thread,
        } => agents::code(&ctx, file.as_deref(), prompt.as_deref(), thread.as_deref()).await,
        Command::Main { prompt, thread } => {
            agents::main_agent(&ctx, &prompt, thread.as_deref()).await
        }
        Command::Finance { prompt } => agents::finance(&ctx, &prompt).await,
        Command::Datascience { file, prompt, yes } => {
            agents::datascience(&ctx, &file, &prompt, Approval::from_yes(yes)).await
        }
        Command::Files(FilesCommand::Get { id, output }) => {
            commands::files::get(&ctx, &id, output.as_deref()).await
        }
        Command::Sessions(_)
        | Command::Agent { .. }
        | Command::Login { .. }
        | Command::Mock(_)
        | Command::Completions { .. } => Err(CliError::Usage {
            message: "this command does not talk to the Agents API".to_owned(),
        }),
    }
}

/// Stores the agent-stream token read from `token_file` or stdin; reports
/// where it went but never the token itself.
fn login(token_file: Option<&std::path::Path>, json: bool) -> Result<(), CliError> {
    let token = match token_file {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|source| token::TokenError::Io {
                path: path.to_owned(),
                source,
            })?;
            token::read_token(file)?
        }
        None => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!("Paste the agent-stream token, then press Ctrl-D:");
            }
            token::read_token(std::io::stdin().lock())?
        }
    };
    let path = token::default_token_path()?;
    token::store_token(&path, &token)?;
    if json {
        println!("{}", serde_json::json!({ "token_path": path }));
    } else {
        eprintln!("token stored in {}", path.display());
    }
    Ok(())
}
