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
  4  the server or the agent failed, or answered with something this CLI cannot read
     (an unexpected response, a result that does not decode)
  5  network error (server unreachable, timeout, an event stream gone silent or lost)
  6  stopped at a plan or a question nobody answered: the plan of research, datascience or main
     (input ended before an answer, or --max-approvals plans approved and another came;
     continue with --thread ID --approve or --feedback TEXT), or the agent stream's question
     (input ended, or --max-answers reached; continue with --thread)
  7  a session turn waits for an answer (a tool permission or a question) and stdin is not a
     terminal: pass --approve-tools or --deny-tools, or answer with `sessions respond` or
     `sessions answer` from another shell
  130  interrupted with Ctrl-C: the turn (`sessions send --follow`), or a download (`files get`,
       which leaves no partial file); Ctrl-C on `sessions attach` or `sessions stream` only
       stops watching (exit 0) and the turn goes on

Logging (stderr only; stdout keeps the results):
  -v logs this CLI, its SDK and the mock at info (each request as it ends: operation, path,
    attempt, status, request id, latency; each retry), -vv at debug, -vvv at trace
  RUST_LOG, when set, chooses instead: RUST_LOG=sambanova_agents=debug, or RUST_LOG=debug for
    every crate (the HTTP stack included)
  every secret the command knows (API keys, tokens, passwords) is redacted from each line

Servers:
  research, code, main, finance, datascience, files: the Agents API at --base-url, else
    $SAMBANOVA_BASE_URL, else https://chat.sambanova.ai/api; key --api-key or $SAMBANOVA_API_KEY
  sessions, sandboxes: --base-url, else $SAMBANOVA_SESSIONS_URL, else http://127.0.0.1:8080;
    key (if the server wants one) --api-key or $SAMBANOVA_SESSIONS_API_KEY
  agent, chat, login: --base-url, else $SAMBANOVA_AGENT_STREAM_URL, else http://localhost:8000;
    the token stored by `login`, or $SAMBANOVA_AGENT_STREAM_USERNAME and _PASSWORD, or _TOKEN
  --mock: all of them, on an embedded mock server (no key, no network)

Examples:
  sambanova-agents --mock research \"AI accelerator market\" --yes
  sambanova-agents code --file main.py --prompt \"add tests\"
  sambanova-agents finance \"NVDA outlook\" --json
  sambanova-agents sessions stream SID --raw --once
  SB=$(sambanova-agents sandboxes create --name hello-box) && sambanova-agents sessions create \"$SB\"
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
    /// Time limit of each call in seconds, its retries and the waits between them included.
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
    /// Log to stderr: -v info, -vv debug, -vvv trace; RUST_LOG wins (see "Logging" in the
    /// top-level --help).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deep research: shows the plan, asks for approval or feedback, then the report.
    #[command(
        after_help = research_help(),
        override_usage = "sambanova-agents research [OPTIONS] <PROMPT>\n       \
                          sambanova-agents research [OPTIONS] --thread <ID> <--approve|--feedback <TEXT>>"
    )]
    Research {
        /// What to research (not with --thread, which continues a research already planned).
        #[arg(required_unless_present = "thread", conflicts_with = "thread")]
        prompt: Option<String>,
        #[command(flatten)]
        approval: ApprovalArgs,
        /// Skip the plan and use the fire-and-forget endpoint.
        #[arg(long, conflicts_with = "thread")]
        no_plan: bool,
        #[command(flatten)]
        reply: PlanReplyArgs,
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
    #[command(
        after_help = MAIN_HELP,
        override_usage = "sambanova-agents main [OPTIONS] <PROMPT>\n       \
                          sambanova-agents main [OPTIONS] --thread <ID> <PROMPT|--approve|--feedback <TEXT>>"
    )]
    Main {
        /// The request (with --thread: what to tell the thread, e.g. feedback on its plan).
        #[arg(required_unless_present_any = ["approve", "feedback"])]
        prompt: Option<String>,
        /// Continue an existing thread (the id the previous run reported).
        #[arg(long, value_name = "ID")]
        thread: Option<String>,
        /// With --thread: approve the plan the thread stopped at (sends `approve`).
        #[arg(long, requires = "thread", conflicts_with_all = ["prompt", "feedback"])]
        approve: bool,
        /// With --thread: revise the plan the thread stopped at with this feedback.
        #[arg(
            long,
            value_name = "TEXT",
            requires = "thread",
            conflicts_with = "prompt"
        )]
        feedback: Option<String>,
    },
    /// Financial analysis; pretty-prints the JSON result.
    #[command(after_help = "Example:\n  sambanova-agents finance \"NVDA outlook\"")]
    Finance {
        /// The question.
        prompt: String,
    },
    /// Data science agent: analyses files and saves the HTML report.
    #[command(
        after_help = datascience_help(),
        override_usage = "sambanova-agents datascience [OPTIONS] --file <PATH>... <PROMPT>\n       \
                          sambanova-agents datascience [OPTIONS] --thread <ID> --file-id <FID>... \
                          <--approve|--feedback <TEXT>>",
        mut_arg("thread", |arg| arg.requires("file_id"))
    )]
    Datascience {
        /// Data files to upload (repeatable; not with --thread, whose files are uploaded).
        #[arg(
            long,
            value_name = "PATH",
            required_unless_present = "thread",
            conflicts_with = "thread"
        )]
        file: Vec<PathBuf>,
        /// The question (not with --thread, which continues an analysis already planned).
        #[arg(required_unless_present = "thread", conflicts_with = "thread")]
        prompt: Option<String>,
        #[command(flatten)]
        approval: ApprovalArgs,
        #[command(flatten)]
        reply: PlanReplyArgs,
        /// With --thread: the id of each file the thread works on, as the run that stopped
        /// printed them (`file_ids`; repeatable, all of them).
        #[arg(long = "file-id", value_name = "FID", requires = "thread")]
        file_id: Vec<String>,
    },
    /// Generated files.
    #[command(subcommand)]
    Files(FilesCommand),
    /// Agent sessions in a sandbox.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Sandboxes on a Sessions server: where sessions run.
    #[command(subcommand)]
    Sandboxes(SandboxesCommand),
    /// Ask the agent over the agent stream (with a sandbox).
    #[command(
        after_help = "Examples:\n  sambanova-agents login --username admin && sambanova-agents agent \"Create hello.py\"\n  sambanova-agents agent \"Run hello.py\" --session THREAD_ID"
    )]
    Agent {
        /// The request.
        prompt: String,
        /// Continue an existing thread (the id the previous run reported).
        #[arg(long, value_name = "ID", conflicts_with = "session")]
        thread: Option<String>,
        /// Reuse the sandbox of an earlier run: its thread id, which the guide calls a session
        /// id (sent as both).
        #[arg(long, value_name = "ID")]
        session: Option<String>,
        /// The agent's mode (the server's default is general; research asks to accept a plan).
        #[arg(
            long,
            value_name = "MODULE",
            value_parser = ["general", "research", "podcast", "ppt", "prose"]
        )]
        module: Option<String>,
        #[command(flatten)]
        turn: TurnArgs,
    },
    /// Chat with the agent over the chat stream (no sandbox).
    #[command(
        after_help = "Examples:\n  sambanova-agents chat \"What does ? do in Rust?\"\n  sambanova-agents chat \"And in Swift?\" --thread THREAD_ID\n  sambanova-agents chat \"Plan my trip\" --answer accepted --max-answers 1\n  sambanova-agents chat \"plan B\" --thread THREAD_ID --feedback"
    )]
    Chat {
        /// The message.
        prompt: String,
        /// Continue an existing thread (the id the previous chat reported).
        #[arg(long, value_name = "ID")]
        thread: Option<String>,
        #[command(flatten)]
        turn: TurnArgs,
    },
    /// Log in to the agent-stream backend, or store a token, in the user's config dir (0600).
    #[command(
        after_help = "Examples:\n  sambanova-agents login --username admin\n  printf 'PASSWORD\\n' | sambanova-agents login --username admin\n  sambanova-agents login < token.txt"
    )]
    Login {
        /// Read the token from this file instead of stdin.
        #[arg(long, value_name = "PATH", conflicts_with = "username")]
        token_file: Option<PathBuf>,
        /// Log in with this user and store the token the server issues. The password comes
        /// from $SAMBANOVA_AGENT_STREAM_PASSWORD, else the terminal (not echoed), else the
        /// first line of stdin.
        #[arg(long, value_name = "NAME")]
        username: Option<String>,
        /// The id of the captcha, for servers that ask for one (GET /api/v1/auth/captcha).
        #[arg(long, value_name = "UUID", requires_all = ["username", "captcha"])]
        captcha_uuid: Option<String>,
        /// The captcha's answer.
        #[arg(long, value_name = "TEXT", requires = "captcha_uuid")]
        captcha: Option<String>,
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

/// How the plans of a run are approved: `--yes` and its bound.
#[derive(Debug, Clone, Copy, Args)]
pub struct ApprovalArgs {
    /// Approve the plan without asking.
    #[arg(long)]
    pub yes: bool,
    /// With --yes, approve at most this many plans, then stop (exit 6) with the last one:
    /// a server that answers every approval with a new plan would bill a run for each.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        value_parser = clap::value_parser!(u32).range(1..=100)
    )]
    pub max_approvals: u32,
}

/// The reply to a plan a thread stopped at, from a later process: `--thread ID` with
/// `--approve` or `--feedback TEXT`.
#[derive(Debug, Clone, Args)]
pub struct PlanReplyArgs {
    /// Continue a thread stopped at a plan (by a run that exited 6), with --approve or
    /// --feedback.
    #[arg(long, value_name = "ID", requires = "plan_reply")]
    pub thread: Option<String>,
    /// With --thread: approve the plan waiting on the thread.
    #[arg(
        long,
        requires = "thread",
        group = "plan_reply",
        conflicts_with = "feedback"
    )]
    pub approve: bool,
    /// With --thread: revise the plan waiting on the thread with this feedback (the next plan
    /// is shown and answered as usual).
    #[arg(long, value_name = "TEXT", requires = "thread", group = "plan_reply")]
    pub feedback: Option<String>,
}

/// How a run with a plan is answered, stops, and is continued: the same for every agent with
/// a plan (`command` is how it is invoked, `file_ids` whether its continuation needs them).
fn plan_help(command: &str, file_ids: bool) -> String {
    let (ids, fields, each) = if file_ids {
        (
            " --file-id FID",
            ", \"thread_id\", \"plan\" and \"file_ids\"",
            "\n  (one --file-id for each of the stopped run's file_ids)",
        )
    } else {
        ("", ", \"thread_id\" and \"plan\"", "")
    };
    format!(
        "\
Answering the plan:
  with --yes, each plan is approved as it comes (at most --max-approvals of them)
  without it, each plan is shown on stderr and an answer is read from stdin, a line at a time:
    `approve` (or yes, y) approves; any other line is feedback, answered with a revised plan
  when stdin ends with no answer to a plan (at once with `< /dev/null`, when the lines piped
    in are used up, or Ctrl-D at a terminal), the run stops at that plan and exits 6: stderr
    says its thread and the two commands that continue it; with --json, stdout holds one
    document with \"status\":\"interrupted\", \"agent\"{fields}
  to stop at the first plan in a script: no --yes, and an empty stdin (`< /dev/null`); a
    stdin that is never closed is waited on
Continuing the thread later, from any process:
  sambanova-agents {command} --thread ID{ids} --approve
  sambanova-agents {command} --thread ID{ids} --feedback TEXT{each}
  the revised plan that --feedback brings is answered as above"
    )
}

fn research_help() -> String {
    format!(
        "Examples:\n  sambanova-agents research \"AI accelerator market\" --yes\n  printf 'make it shorter\\napprove\\n' | sambanova-agents research \"topic\"\n  sambanova-agents --json research \"topic\" < /dev/null\n\n{}",
        plan_help("research", false)
    )
}

fn datascience_help() -> String {
    format!(
        "Example:\n  sambanova-agents datascience --file sales.csv \"find the trend\" --yes\n\n{}",
        plan_help("datascience", true)
    )
}

/// The main agent approves its own research plans, but its thread can still stop at one.
const MAIN_HELP: &str = "\
Examples:
  sambanova-agents main \"summarise today's AI news\"
  sambanova-agents main \"and yesterday's?\" --thread ID

When the main agent stops at a plan (rare: it approves research plans itself), the plan is
answered as research's are (see `sambanova-agents research --help`: exit 6 when stdin ends), and
the thread is continued with
  sambanova-agents main --thread ID --approve
  sambanova-agents main --thread ID --feedback TEXT";

/// How `agent` and `chat` authenticate and answer the agent's questions.
#[derive(Debug, Args)]
pub struct TurnArgs {
    /// Read the token from this file instead of the stored login.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// PROMPT answers the question the thread is waiting on (sent as its interrupt feedback);
    /// needs the thread (--thread, or --session for agent).
    #[arg(long)]
    pub feedback: bool,
    /// Answer every question of the agent with this (an option's value, number or text)
    /// instead of asking at the terminal or reading stdin.
    #[arg(long, value_name = "TEXT")]
    pub answer: Option<String>,
    /// Answer at most this many questions in one run, then stop (exit 6) with the thread to
    /// continue: a server may ask again after every answer.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        value_parser = clap::value_parser!(u32).range(0..=100)
    )]
    pub max_answers: u32,
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

/// `sandboxes` subcommands.
#[derive(Debug, Subcommand)]
pub enum SandboxesCommand {
    /// List every sandbox.
    List,
    /// Create a sandbox, wait until it is provisioned, and print its real id.
    #[command(
        after_help = "The server answers a placeholder id at once; the command waits for the real one, which\nsessions need.\n\nExample:\n  SB=$(sambanova-agents sandboxes create --name hello-box) && sambanova-agents sessions create \"$SB\""
    )]
    Create {
        /// A name for the sandbox (else a unique one is generated).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// The agent provider the sandbox runs.
        #[arg(long, value_name = "PROVIDER", default_value = "claude-code")]
        agent: String,
    },
    /// Show one sandbox.
    Get {
        /// Sandbox id.
        id: String,
    },
    /// Delete a sandbox.
    Delete {
        /// Sandbox id.
        id: String,
    },
}

/// What the server asks before a tool runs, as the server names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PermissionModeArg {
    /// Nothing needs approval.
    #[value(name = "auto_approve")]
    AutoApprove,
    /// File edits need approval.
    #[value(name = "approve_edits")]
    ApproveEdits,
    /// Every tool call needs approval.
    #[value(name = "approve_all")]
    ApproveAll,
    /// The agent only plans.
    #[value(name = "plan_only")]
    PlanOnly,
    /// No restriction at all.
    #[value(name = "unrestricted")]
    Unrestricted,
}

/// An answer to a permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Decision {
    /// Let the tool run.
    Allow,
    /// Do not let it run (the agent's turn stops there).
    Deny,
}

/// How a followed turn's permission requests are answered when stdin is not a terminal.
#[derive(Debug, Clone, Copy, Args)]
pub struct ToolAnswerArgs {
    /// Approve every tool permission request of the turn (for scripts).
    #[arg(long, conflicts_with = "deny_tools")]
    pub approve_tools: bool,
    /// Deny every tool permission request of the turn (for scripts).
    #[arg(long)]
    pub deny_tools: bool,
}

/// While a turn is followed, `send --follow` and `stream --turn` answer what it asks.
const FOLLOW_HELP: &str = "\
While the turn is followed:
  at a terminal, each tool permission request asks: [y]es, [n]o, or [a]lways allow that tool for
    the rest of the turn; each question from the agent asks for an answer
  in scripts (stdin not a terminal), --approve-tools or --deny-tools answer every permission
    request; without them, or on a question, the command stops with exit 7 and says how to
    answer from another shell (`sessions respond`, `sessions answer`)
How the turn ended is the last line and the exit code: completed (0), failed (4), or ended
without a result (4: the agent crashed or was interrupted elsewhere, or a tool was denied).";

fn send_help() -> String {
    format!(
        "Examples:\n  sambanova-agents sessions send SID \"list the files\" --follow\n  sambanova-agents sessions send SID \"run the tests\" --follow --approve-tools\n\n{FOLLOW_HELP}"
    )
}

fn stream_help() -> String {
    format!(
        "Examples:\n  sambanova-agents sessions stream SID --turn\n  sambanova-agents sessions stream SID --raw --once\n  sambanova-agents sessions stream https://example.com/events --raw\n\nWith --timeout SECONDS, the stream may stay silent that long (else 45 s), and then spend that long reconnecting; then it exits 5.\n\nWith --turn, {}",
        FOLLOW_HELP.replacen(
            "While the turn is followed",
            "while the turn is followed",
            1
        )
    )
}

fn attach_help() -> String {
    format!(
        "Examples:\n  sambanova-agents sessions send SID \"run the tests\" && sambanova-agents sessions attach SID\n  sambanova-agents sessions attach SID --approve-tools\n\nWhat the turn has already said is shown first (the turn in progress, else the last one), then\nwhat it says live. Ctrl-C detaches: exit 0, and the turn goes on (attach again, or stop it\nwith `sessions interrupt SID`). The same as `sessions stream SID --turn`.\n\n{FOLLOW_HELP}"
    )
}

/// `sessions` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Create a session in a sandbox.
    Create {
        /// Sandbox id.
        sandbox: String,
    },
    /// List the sessions of a sandbox.
    List {
        /// Sandbox id.
        sandbox: String,
    },
    /// Show one session.
    Get {
        /// Session id.
        sid: String,
    },
    /// Send a message to a session.
    #[command(after_help = send_help())]
    Send {
        /// Session id.
        sid: String,
        /// Message text.
        text: String,
        /// Then stream the reply until the end of the turn (Ctrl-C interrupts the turn).
        #[arg(long)]
        follow: bool,
        /// Permission answers for scripts.
        #[command(flatten)]
        answers: ToolAnswerArgs,
    },
    /// Interrupt the running turn.
    Interrupt {
        /// Session id.
        sid: String,
    },
    /// Set which tool calls need approval in a session.
    #[command(after_help = "Example:\n  sambanova-agents sessions permissions SID approve_all")]
    Permissions {
        /// Session id.
        sid: String,
        /// The permission mode.
        #[arg(value_enum)]
        mode: PermissionModeArg,
    },
    /// Answer a pending tool permission request (e.g. one a followed turn stopped on).
    #[command(after_help = "Example:\n  sambanova-agents sessions respond SID REQUEST_ID allow")]
    Respond {
        /// Session id.
        sid: String,
        /// The request id, as `[permission]` showed it.
        request_id: String,
        /// Whether the tool may run.
        #[arg(value_enum)]
        decision: Decision,
    },
    /// Answer a question the agent asked.
    #[command(
        after_help = "Example:\n  sambanova-agents sessions answer SID REQUEST_ID \"hello.py\""
    )]
    Answer {
        /// Session id.
        sid: String,
        /// The request id, as `[question]` showed it.
        request_id: String,
        /// The answer.
        text: String,
    },
    /// Show the session's latest turn from its start, then live, to its end, answering what
    /// it asks (Ctrl-C detaches; the turn goes on).
    #[command(after_help = attach_help())]
    Attach {
        /// Session id.
        sid: String,
        /// Permission answers for scripts.
        #[command(flatten)]
        answers: ToolAnswerArgs,
    },
    /// Stream live events (Ctrl-C stops cleanly).
    #[command(after_help = stream_help())]
    Stream {
        /// Session id, or the URL of any server-sent events stream.
        sid: String,
        /// Stop at the end of the current turn, answering what it asks.
        #[arg(long)]
        turn: bool,
        /// Print each SSE event as one JSON object a line.
        #[arg(long)]
        raw: bool,
        /// Do not reconnect; exit 0 when the server ends the stream.
        #[arg(long)]
        once: bool,
        /// Permission answers for scripts (with --turn).
        #[command(flatten)]
        answers: ToolAnswerArgs,
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
