//! The `sambanova-agents-mock` command line, reusable by other binaries (e.g. an SDK CLI `mock` subcommand).

use std::{net::SocketAddr, time::Duration};

use crate::{FaultRule, MockServer};

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
}

fn parse_rule(s: &str) -> Result<FaultRule, String> {
    s.parse().map_err(|e: crate::ParseFaultError| e.to_string())
}

/// Start the mock with these options, print where it listens, and serve until Ctrl-C.
///
/// ```no_run
/// # async fn demo(args: sambanova_agents_mock::MockArgs) -> std::io::Result<()> {
/// sambanova_agents_mock::serve_foreground(args).await
/// # }
/// ```
pub async fn serve_foreground(args: MockArgs) -> std::io::Result<()> {
    let mut builder = MockServer::builder()
        .bind(args.bind)
        .latency(Duration::from_millis(args.latency_ms))
        .keepalive_interval(Duration::from_secs(args.keepalive_secs.max(1)));
    for rule in args.faults {
        builder = builder.fault(rule);
    }
    let server = builder.start().await?;
    println!("mock server listening on {}", server.url());
    println!("agents API base URL: {}", server.agents_url());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
