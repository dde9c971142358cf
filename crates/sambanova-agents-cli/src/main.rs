//! `sambanova-agents`: the command line for the SambaNova Agents API.

#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "driven by `research` once the SDK's deep research call lands"
    )
)]
mod approval;
mod cli;
mod error;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "drawn around agent calls and downloads once the SDK lands"
    )
)]
mod progress;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "used by `sessions stream --raw` once the SDK's SSE decoder lands"
    )
)]
mod raw_events;
mod token;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command, FilesCommand, SessionsCommand};
use error::CliError;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version by itself.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let name = match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut cmd, "sambanova-agents", &mut out);
            out.flush()?;
            return Ok(());
        }
        Command::Login { token_file } => return login(token_file.as_deref(), cli.global.json),
        Command::Mock(args) => {
            // Only this command needs async today; agent commands will share
            // the runtime once they are wired.
            let runtime = tokio::runtime::Runtime::new()?;
            return Ok(runtime.block_on(sambanova_agents_mock::serve_foreground(args))?);
        }
        // Each of these is wired once its SDK call exists; until then the
        // user gets a clear, typed refusal instead of a half-working command.
        Command::Research { .. } => "research",
        Command::Code { .. } => "code",
        Command::Main { .. } => "main",
        Command::Finance { .. } => "finance",
        Command::Datascience { .. } => "datascience",
        Command::Files(FilesCommand::Get { .. }) => "files get",
        Command::Sessions(SessionsCommand::Create { .. }) => "sessions create",
        Command::Sessions(SessionsCommand::List { .. }) => "sessions list",
        Command::Sessions(SessionsCommand::Get { .. }) => "sessions get",
        Command::Sessions(SessionsCommand::Send { .. }) => "sessions send",
        Command::Sessions(SessionsCommand::Interrupt { .. }) => "sessions interrupt",
        Command::Sessions(SessionsCommand::Stream { .. }) => "sessions stream",
        Command::Agent { .. } => "agent",
    };
    Err(CliError::NotAvailable { command: name })
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
