//! Tracing: the SDK logs every retry at `INFO` under the target `sambanova_agents::retry`, with
//! the fields `operation`, `attempt`, `wait_ms` and `reason`, inside the `sambanova.request`
//! span of the attempt that failed. A `tracing-subscriber` on stderr shows them.
//!
//! The embedded mock rate limits the first call once, so one retry is logged. `RUST_LOG`
//! overrides the filter (`RUST_LOG=sambanova_agents=debug` shows more).
//!
//! `cargo run -p sambanova-agents --example tracing_retries`

use sambanova_agents::{Client, Error};
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};
use tracing_subscriber::EnvFilter;

/// Retries, and warnings from everything else.
const DEFAULT_FILTER: &str = "warn,sambanova_agents::retry=info";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER)),
        )
        .with_writer(std::io::stderr)
        .init();

    let mock = MockServer::start().await?;
    println!("{}", answer_through_a_rate_limit(&mock).await?);
    Ok(())
}

/// Asks the main agent once, through one 429.
async fn answer_through_a_rate_limit(mock: &MockServer) -> Result<String, Error> {
    mock.faults().add(
        FaultRule::new(
            "POST",
            "/api/agent/mainagent",
            Fault::too_many_requests_after_ms(20),
        )
        .times(1),
    );
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()?;
    let answer = client.main_agent().run("What is an RDU?").await?;
    Ok(answer.into_completion()?.text().to_owned())
}

#[cfg(test)]
#[tokio::test]
async fn the_retry_is_logged_under_its_target_with_its_fields() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// Keeps what the subscriber writes, for the assertions.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(DEFAULT_FILTER)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // This test's runtime runs on this thread only, so a thread-local subscriber sees it all.
    let _default = tracing::subscriber::set_default(subscriber);

    let mock = MockServer::start().await.unwrap();
    answer_through_a_rate_limit(&mock).await.unwrap();

    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let retries: Vec<&str> = logged
        .lines()
        .filter(|line| line.contains("sambanova_agents::retry"))
        .collect();
    let [retry] = &retries[..] else {
        panic!("one retry logged: {logged}");
    };
    for field in [
        r#"operation="mainagent""#,
        "attempt=1",
        "wait_ms=20",
        "reason=rate limited (429)",
    ] {
        assert!(retry.contains(field), "{field} in {retry}");
    }
}
