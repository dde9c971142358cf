//! `sambanova-agents-mock`: serve the mock on loopback until Ctrl-C.

use clap::Parser;

/// A mock of the SambaNova Agents servers for offline testing.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    args: sambanova_agents_mock::MockArgs,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    sambanova_agents_mock::serve_foreground(Cli::parse().args).await
}
