//! The `sambanova-agents-mock` command line, reusable by other binaries (e.g. an SDK CLI `mock` subcommand).

use std::io::Write;
use std::{net::SocketAddr, time::Duration};

use crate::{FaultRule, MockServer, MockServerBuilder};

/// Command-line options of the mock server.
#[derive(Debug, Clone, clap::Args)]
pub struct MockArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
    /// Artificial latency added to every agent call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Period of the SSE `: keepalive` comment, in seconds.
    #[arg(long, default_value_t = 15)]
    pub keepalive_secs: u64,
    /// A fault rule, e.g. `--fault 'POST /api/agent/coding 429 times=2 retry-after=1'`
    /// (syntax: `METHOD PATH KIND [key=value ...]`, see `FaultRule`'s `FromStr`). Repeatable.
    #[arg(long = "fault", value_parser = parse_rule)]
    pub faults: Vec<FaultRule>,
    /// Also stop when standard input closes: a parent that pipes it takes the mock down with
    /// it, however the parent ends (even killed).
    #[arg(long)]
    pub until_stdin_closes: bool,
}

fn parse_rule(s: &str) -> Result<FaultRule, String> {
    s.parse().map_err(|e: crate::ParseFaultError| e.to_string())
}

impl MockArgs {
    /// A builder with these options (what `serve_foreground` starts).
    ///
    /// ```
    /// # async fn demo() -> std::io::Result<()> {
    /// use clap::Parser;
    ///
    /// #[derive(clap::Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     mock: sambanova_agents_mock::MockArgs,
    /// }
    ///
    /// let cli = Cli::parse_from(["mock", "--latency-ms", "5"]);
    /// let server = cli.mock.builder().start().await?;
    /// # server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(&self) -> MockServerBuilder {
        let mut builder = MockServer::builder()
            .bind(self.bind)
            .latency(Duration::from_millis(self.latency_ms))
            .keepalive_interval(Duration::from_secs(self.keepalive_secs.max(1)));
        for rule in &self.faults {
            builder = builder.fault(rule.clone());
        }
        builder
    }

    /// Waits until the mock should stop: Ctrl-C, or (with `--until-stdin-closes`) the end of
    /// standard input.
    ///
    /// ```no_run
    /// # async fn demo(args: sambanova_agents_mock::MockArgs) -> std::io::Result<()> {
    /// let server = args.builder().start().await?;
    /// args.stopped().await?;
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stopped(&self) -> std::io::Result<()> {
        if !self.until_stdin_closes {
            return tokio::signal::ctrl_c().await;
        }
        let closed = stdin_closed();
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted,
            _ = closed => Ok(()),
        }
    }
}

/// Resolves when standard input ends (or fails). Read on a thread of its own, not the
/// runtime's blocking pool: a runtime waits for its blocking tasks as it shuts down, and a
/// read of a terminal may never end.
fn stdin_closed() -> tokio::sync::oneshot::Receiver<()> {
    let (closed, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 512];
        while matches!(stdin.read(&mut buffer), Ok(read) if read > 0) {}
        let _ = closed.send(());
    });
    receiver
}

/// Start the mock with these options, print where it listens, and serve until Ctrl-C (or
/// until standard input closes, with `--until-stdin-closes`).
///
/// ```no_run
/// # async fn demo(args: sambanova_agents_mock::MockArgs) -> std::io::Result<()> {
/// sambanova_agents_mock::serve_foreground(args).await
/// # }
/// ```
pub async fn serve_foreground(args: MockArgs) -> std::io::Result<()> {
    let server = args.builder().start().await?;
    // A parent may close its end of stdout once it has the URL: the mock serves on.
    let _ = std::io::stdout()
        .lock()
        .write_all(banner(&server).as_bytes());
    args.stopped().await?;
    server.shutdown().await;
    Ok(())
}

/// What [`serve_foreground`] prints: where the server listens (the first two lines, which
/// other programs read), the key and user it accepts, and the shell exports that point
/// another process's SDK or CLI at it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let mock = sambanova_agents_mock::MockServer::start().await?;
/// let banner = sambanova_agents_mock::cli::banner(&mock);
/// assert!(banner.starts_with(&format!("mock server listening on {}\n", mock.url())));
/// assert!(banner.contains(&format!("export SAMBANOVA_BASE_URL='{}'\n", mock.agents_url())));
/// # Ok(()) }
/// ```
pub fn banner(server: &MockServer) -> String {
    let (user, password) = server.agent_stream_user();
    let mut text = format!(
        "mock server listening on {url}\n\
         agents API base URL: {agents}\n\
         API key (Agents API; any UUID-shaped key is accepted): {key}\n\
         sessions API base URL: {url} (demo sandbox {sandbox})\n\
         agent stream base URL: {url} (user {user}, password {password})\n\
         \n\
         # To point another shell's sambanova-agents (CLI or SDK) at this server:\n",
        url = server.url(),
        agents = server.agents_url(),
        key = crate::TEST_API_KEY,
        sandbox = crate::DEMO_SANDBOX_ID,
    );
    for (name, value) in server.environment() {
        text.push_str(&format!("export {name}={}\n", shell_quoted(&value)));
    }
    text
}

/// `value` in single quotes for a POSIX shell (a `'` inside written `'\''`).
fn shell_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}
