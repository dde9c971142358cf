//! Concurrency: a batch of interactive deep research runs, at most three at a time, each call
//! with its own timeout and deadline, against a server that rate limits the first requests.
//!
//! The client is cheap to clone and every clone shares one connection pool, so each run takes
//! its own. The two 429s the mock is told to answer are retried by the default policy after
//! the wait the server asked for; `on_retry` shows them.
//!
//! `cargo run -p sambanova-agents --example concurrency`

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use sambanova_agents::{AgentOutcome, Client, Error};
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};

const TOPICS: [&str; 6] = [
    "Solid-state batteries",
    "Small modular reactors",
    "Perovskite solar cells",
    "Green hydrogen",
    "Grid-scale storage",
    "Carbon capture",
];
/// Runs in flight at once.
const AT_ONCE: usize = 3;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    let retries = Arc::new(AtomicU32::new(0));
    for (topic, result) in research_all(&mock, retries.clone()).await? {
        match result {
            Ok(report) => println!("{topic}: {} bytes of report", report.len()),
            Err(error) => println!("{topic}: failed ({:?}): {error}", error.kind()),
        }
    }
    println!("{} retries", retries.load(Ordering::Relaxed));
    Ok(())
}

/// Researches every topic, [`AT_ONCE`] at a time; answers each topic with its report or
/// the error that ended its run, in the order they finish.
async fn research_all(
    mock: &MockServer,
    retries: Arc<AtomicU32>,
) -> Result<Vec<(&'static str, Result<String, Error>)>, Error> {
    // The first two requests are rate limited: "come back in 50 ms".
    mock.faults().add(
        FaultRule::new(
            "POST",
            "/api/agent/deepresearch/interactive",
            Fault::too_many_requests_after_ms(50),
        )
        .times(2),
    );
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .on_retry(move |event| {
            retries.fetch_add(1, Ordering::Relaxed);
            eprintln!("{event}");
        })
        .build()?;

    Ok(stream::iter(TOPICS)
        .map(|topic| {
            let client = client.clone();
            async move { (topic, research(&client, topic).await) }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await)
}

/// One interactive run: get the plan, approve it until the report comes.
async fn research(client: &Client, topic: &str) -> Result<String, Error> {
    let research = client
        .deep_research()
        // Each attempt may take 10 minutes; each call, retries and waits included, 15.
        .timeout(Duration::from_secs(600))
        .deadline(Duration::from_secs(900));
    let mut outcome = research.interactive(topic).await?;
    // The approvals reuse the handle's timeout, deadline and retry policy.
    while let AgentOutcome::Interrupted(plan) = outcome {
        outcome = plan.approve().await?;
    }
    Ok(outcome.into_completion()?.text().to_owned())
}

#[cfg(test)]
#[tokio::test]
async fn every_run_completes_and_both_rate_limits_are_retried() {
    let mock = MockServer::start().await.unwrap();
    let retries = Arc::new(AtomicU32::new(0));
    let results = research_all(&mock, retries.clone()).await.unwrap();
    assert_eq!(results.len(), TOPICS.len());
    for (topic, result) in &results {
        let report = result.as_ref().unwrap();
        assert!(
            report.starts_with(&format!("# {topic}\n")),
            "{topic}: {report}"
        );
    }
    assert_eq!(retries.load(Ordering::Relaxed), 2);
}
