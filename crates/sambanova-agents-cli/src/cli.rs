//! The command-line grammar: every command, flag and help text lives here so
//! `--help`, completions and the snapshot tests all come from one source.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

/// Exit codes, printed in `--help` so scripts can rely on them.
const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  local error (a file could not be written, the token store failed)
  2  usage error (bad flags or arguments)
  3  authentication failed (check --api-key / SAMBANOVA_API_KEY)
  4  the server or the agent failed
  5  network error (server unreachable, timeout)
  6  research plan not approved (input ended before \"approve\")

Servers:
  research, code, main, finance, datascience, files: the Agents API at --base-url, else
    $SAMBANOVA_BASE_URL, else https://chat.sambanova.ai/api; key --api-key or $SAMBANOVA_API_KEY
  sessions: --base-url, else $SAMBANOVA_SESSIONS_URL, else http://127.0.0.1:8080; key (if the
    server wants one) --api-key or $SAMBANOVA_SESSIONS_API_KEY
  agent, login: --base-url, else $SAMBANOVA_AGENT_STREAM_URL, else http://localhost:8000; the
    token stored by `login`, or $SAMBANOVA_AGENT_STREAM_USERNAME and _PASSWORD, _TOKEN, _API_KEY
  --mock: all of them, on an embedded mock server (no key, no network)

Examples:
  sambanova-agents --mock research \"AI accelerator market\" --yes
  sambanova-agents code --file main.py --prompt \"add tests\"
  sambanova-agents finance \"NVDA outlook\" --json
  sambanova-agents sessions stream SID --raw --once
  sambanova-agents completions bash > /etc/bash_completion.d/sambanova-agents";

/// The `sambanova-agents` command line.
#[derive(Debug, Parser)]
#[command(
    name = "sambanova-agents",
    version,
    // A fixed width keeps help snapshots identical on every terminal.
    term_width = 100,
    about = "Talk to the SambaNova Agents API, agent sessions and the agent stream",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Base URL of the server (defaults per command: see "Servers" in the top-level --help).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_base_url)]
    pub base_url: Option<String>,
    /// API key; never printed. Defaults to $SAMBANOVA_API_KEY (for the Agents API only).
    #[arg(
        long,
        global = true,
        env = "SAMBANOVA_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
    /// Whether `api_key` was typed on the command line rather than taken from the
    /// environment: only then is it sent to a sessions or agent-stream server.
    #[arg(skip)]
    pub api_key_on_command_line: bool,
    /// Request timeout in seconds.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub timeout: Option<u64>,
    /// Machine-readable output: one JSON document per result on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Start the embedded mock server and point the command at it.
    #[arg(long, global = true, conflicts_with = "base_url")]
    pub mock: bool,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deep research: shows the plan, asks for approval or feedback, then the report.
    #[command(
        after_help = "Examples:\n  sambanova-agents research \"AI accelerator market\" --yes\n  printf 'make it shorter\\napprove\\n' | sambanova-agents research \"topic\""
    )]
    Research {
        /// What to research.
        prompt: String,
        /// Approve the plan without asking.
        #[arg(long)]
        yes: bool,
        /// Skip the plan and use the fire-and-forget endpoint.
        #[arg(long)]
        no_plan: bool,
    },
    /// Code agent: works on a file (or code read from stdin).
    #[command(
        after_help = "Examples:\n  sambanova-agents code --file main.py --prompt \"add tests\"\n  cat main.py | sambanova-agents code"
    )]
    Code {
        /// Source file to send; stdin when omitted.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Instruction for the agent.
        #[arg(long, value_name = "TEXT")]
        prompt: Option<String>,
        /// Continue an existing thread.
        #[arg(long, value_name = "ID")]
        thread: Option<String>,
    },
    /// Main (routing) agent.
    #[command(after_help = "Example:\n  sambanova-agents main \"summarise today's AI news\"")]
    Main {
        /// The request.
        prompt: String,
        /// Continue an existing thread.
        #[arg(long, value_name = "ID")]
        thread: Option<String>,
    },
    /// Financial analysis; pretty-prints the JSON result.
    #[command(after_help = "Example:\n  sambanova-agents finance \"NVDA outlook\"")]
    Finance {
        /// The question.
        prompt: String,
    },
    /// Data science agent: analyses files and saves the HTML report.
    #[command(
        after_help = "Example:\n  sambanova-agents datascience --file sales.csv \"find the trend\" --yes"
    )]
    Datascience {
        /// Data files to upload (repeatable).
        #[arg(long, value_name = "PATH", required = true)]
        file: Vec<PathBuf>,
        /// The question.
        prompt: String,
        /// Approve the plan without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Generated files.
    #[command(subcommand)]
    Files(FilesCommand),
    /// Agent sessions in a sandbox.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Ask the agent over the agent stream.
    #[command(
        after_help = "Example:\n  sambanova-agents login && sambanova-agents agent \"hello\""
    )]
    Agent {
        /// The request.
        prompt: String,
        /// Continue an existing thread.
        #[arg(long, value_name = "ID")]
        thread: Option<String>,
        /// Read the token from this file instead of the stored login.
        #[arg(long, value_name = "PATH")]
        token_file: Option<PathBuf>,
    },
    /// Store the agent-stream token in the user's config dir (0600).
    #[command(
        after_help = "Examples:\n  sambanova-agents login < token.txt\n  printf 'PASSWORD\\n' | sambanova-agents login --username demo"
    )]
    Login {
        /// Read the token from this file instead of stdin.
        #[arg(long, value_name = "PATH", conflicts_with = "username")]
        token_file: Option<PathBuf>,
        /// Log in with this user instead (password from $SAMBANOVA_AGENT_STREAM_PASSWORD or
        /// the first line of stdin) and store the token the server issues.
        #[arg(long, value_name = "NAME")]
        username: Option<String>,
    },
    /// Run the mock server in the foreground and print its base URL.
    #[cfg(feature = "mock")]
    #[command(after_help = "Example:\n  sambanova-agents mock --bind 127.0.0.1:8080")]
    Mock(sambanova_agents_mock::MockArgs),
    /// Run the mock server: not built into this binary (built without the `mock` feature).
    #[cfg(not(feature = "mock"))]
    Mock(NoMockArgs),
    /// Print shell completions.
    #[command(after_help = "Example:\n  sambanova-agents completions zsh > _sambanova-agents")]
    Completions {
        /// Target shell.
        shell: Shell,
    },
}

/// `mock`'s arguments in a binary without the mock: whatever they are, the command is refused
/// with the reason.
#[cfg(not(feature = "mock"))]
#[derive(Debug, clap::Args)]
pub struct NoMockArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

/// `files` subcommands.
#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Download a generated file.
    Get {
        /// File id.
        id: String,
        /// Directory to save into (default: current directory).
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
    },
}

/// `sessions` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Create a session in a sandbox.
    Create {
        /// Sandbox name.
        sandbox: String,
    },
    /// List the sessions of a sandbox.
    List {
        /// Sandbox name.
        sandbox: String,
    },
    /// Show one session.
    Get {
        /// Session id.
        sid: String,
    },
    /// Send a message to a session.
    Send {
        /// Session id.
        sid: String,
        /// Message text.
        text: String,
        /// Then stream the reply until the end of the turn.
        #[arg(long)]
        follow: bool,
    },
    /// Interrupt the running turn.
    Interrupt {
        /// Session id.
        sid: String,
    },
    /// Stream live events (Ctrl-C stops cleanly).
    #[command(
        after_help = "Examples:\n  sambanova-agents sessions stream SID --turn\n  sambanova-agents sessions stream SID --raw --once\n  sambanova-agents sessions stream https://example.com/events --raw"
    )]
    Stream {
        /// Session id, or the URL of any server-sent events stream.
        sid: String,
        /// Stop at the end of the current turn.
        #[arg(long)]
        turn: bool,
        /// Print each SSE event as one JSON object a line.
        #[arg(long)]
        raw: bool,
        /// Do not reconnect; exit 0 when the server ends the stream.
        #[arg(long)]
        once: bool,
    },
}

/// Rejects base URLs the SDK could never reach, at parse time, so the user
/// gets a usage error (exit 2) instead of a confusing network error later.
fn parse_base_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or_else(|| "must start with http:// or https://".to_owned())?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("has no host".to_owned());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}
