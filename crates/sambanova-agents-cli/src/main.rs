//! `sambanova-agents`: the command line for the SambaNova Agents API.
//!
//! The CLI has no HTTP of its own: every command is a call into the `sambanova_agents` SDK,
//! and `--mock` points that SDK at the embedded mock server.

mod approval;
mod cli;
mod commands;
mod context;
mod error;
mod logging;
mod output;
mod progress;
mod prompt;
mod raw_events;
mod session_view;
mod shell;
mod terminal_text;
mod token;
mod tool_answers;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Command, FilesCommand};
use commands::agents::{self, Approval, DataScienceRun, Reply};
use context::Context;
use error::{CliError, Service};

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version by itself.
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    logging::init(cli.global.verbose);
    if let Some(key) = &cli.global.api_key {
        logging::hide(key);
    }
    // Only a key typed on the command line may go to a server other than the Agents API.
    let api_key_on_command_line =
        matches.value_source("api_key") == Some(clap::parser::ValueSource::CommandLine);
    match run(cli, api_key_on_command_line) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`| head`): nothing left to say to anyone.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

fn run(mut cli: Cli, api_key_on_command_line: bool) -> Result<(), CliError> {
    cli.global.api_key_on_command_line = api_key_on_command_line;
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut cmd, "sambanova-agents", &mut out);
            out.flush()?;
            Ok(())
        }
        #[cfg(feature = "mock")]
        Command::Mock(args) if cli.global.json => runtime()?.block_on(serve_mock_json(args)),
        #[cfg(feature = "mock")]
        Command::Mock(args) => {
            runtime()?.block_on(sambanova_agents_mock::serve_foreground(args))?;
            Ok(())
        }
        #[cfg(not(feature = "mock"))]
        Command::Mock(_) => Err(context::mock_not_built_in()),
        command => runtime()?.block_on(run_api_command(&cli.global, command)),
    }
}

/// `--json mock`: the URLs, the key and the environment as one JSON document, then serve until
/// Ctrl-C (or until standard input closes, with `--until-stdin-closes`).
#[cfg(feature = "mock")]
async fn serve_mock_json(args: sambanova_agents_mock::MockArgs) -> Result<(), CliError> {
    let server = args.builder().start().await.map_err(CliError::Mock)?;
    output::Output::new(true).json_document(&serde_json::json!({
        "url": server.url(),
        "agents_url": server.agents_url(),
        "api_key": sambanova_agents_mock::TEST_API_KEY,
        "demo_sandbox_id": sambanova_agents_mock::DEMO_SANDBOX_ID,
        // What points another process's CLI or SDK at this server, as `mock` prints it.
        "environment": server
            .environment()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), serde_json::Value::String(value)))
            .collect::<serde_json::Map<_, _>>(),
    }))?;
    args.stopped().await?;
    server.shutdown().await;
    Ok(())
}

/// `--thread ID` with its reply (`--approve` or `--feedback TEXT`), when given: clap lets
/// neither through without the other.
fn resumed(thread: Option<&str>, approve: bool, feedback: Option<String>) -> Option<(&str, Reply)> {
    thread.zip(Reply::from_flags(approve, feedback))
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
    let ctx = Context::new(global).await?;
    match command {
        Command::Research {
            prompt,
            approval,
            no_plan,
            reply,
        } => {
            let resumed = resumed(reply.thread.as_deref(), reply.approve, reply.feedback);
            let approval = Approval::from_flags(approval.yes, approval.max_approvals);
            agents::research(&ctx, prompt.as_deref(), resumed, approval, no_plan).await
        }
        Command::Code {
            file,
            prompt,
            thread,
        } => agents::code(&ctx, file.as_deref(), prompt.as_deref(), thread.as_deref()).await,
        Command::Main {
            prompt,
            thread,
            approve,
            feedback,
        } => {
            let reply = Reply::from_flags(approve, feedback);
            agents::main_agent(&ctx, prompt.as_deref(), thread.as_deref(), reply).await
        }
        Command::Finance { prompt } => agents::finance(&ctx, &prompt).await,
        Command::Datascience {
            file,
            prompt,
            approval,
            reply,
            file_id,
        } => {
            let approval = Approval::from_flags(approval.yes, approval.max_approvals);
            let run = match (
                resumed(reply.thread.as_deref(), reply.approve, reply.feedback),
                prompt.as_deref(),
            ) {
                (Some((thread, reply)), _) => DataScienceRun::Resumed {
                    thread,
                    file_ids: &file_id,
                    reply,
                },
                (None, Some(prompt)) => DataScienceRun::New {
                    files: &file,
                    prompt,
                },
                (None, None) => {
                    return Err(CliError::Usage {
                        message: "datascience: pass --file PATH and PROMPT, or --thread ID \
                                  --file-id FID with --approve or --feedback TEXT"
                            .to_owned(),
                    });
                }
            };
            agents::datascience(&ctx, run, approval).await
        }
        Command::Files(FilesCommand::Get { id, output }) => {
            commands::files::get(&ctx, &id, output.as_deref()).await
        }
        Command::Sessions(command) => commands::sessions_command(&ctx, command)
            .await
            .map_err(|error| error.attributed_to(Service::Sessions)),
        Command::Sandboxes(command) => commands::sandboxes::run(&ctx, command)
            .await
            .map_err(|error| error.attributed_to(Service::Sessions)),
        Command::Agent {
            prompt,
            thread,
            session,
            module,
            turn,
        } => {
            let ids = commands::agent_stream::RunIds {
                thread: thread.as_deref(),
                session: session.as_deref(),
                module: module.as_deref(),
            };
            commands::agent_stream::agent(&ctx, &prompt, ids, &turn).await
        }
        Command::Chat {
            prompt,
            thread,
            turn,
        } => commands::agent_stream::chat(&ctx, &prompt, thread.as_deref(), &turn).await,
        Command::Login {
            token_file,
            username,
            captcha_uuid,
            captcha,
        } => {
            let captcha = captcha_uuid.as_deref().zip(captcha.as_deref());
            commands::agent_stream::login(&ctx, token_file.as_deref(), username.as_deref(), captcha)
                .await
                .map_err(|error| error.attributed_to(Service::AgentStream))
        }
        // Handled before a runtime exists.
        Command::Mock(_) | Command::Completions { .. } => Ok(()),
    }
}
