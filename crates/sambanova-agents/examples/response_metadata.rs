//! What came back with each call: its status, request id and how many attempts it took, for
//! an agent call (one retried through a 429), a Sessions call made with `.with_response()`,
//! and an agent-stream run.
//!
//! Runs on the embedded mock, no key or network needed:
//! `cargo run -p sambanova-agents --example response_metadata`

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{AgentRequest, AgentStreamClient};
use sambanova_agents::sessions::SessionsClient;
use sambanova_agents::{Client, ResponseMeta, RetryPolicy};
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    for line in calls(&mock).await? {
        println!("{line}");
    }
    Ok(())
}

/// One line per call: `operation: status, request id, attempts`.
async fn calls(mock: &MockServer) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut lines = Vec::new();
    let show = |what: &str, meta: &ResponseMeta| {
        format!(
            "{what}: {}, request {}, {} attempt(s)",
            meta.status(),
            meta.request_id().unwrap_or("-"),
            meta.attempts()
        )
    };

    // An agent call, rate limited once: the outcome's metadata counts both attempts.
    mock.faults().add(
        FaultRule::new(
            "POST",
            "/api/agent/mainagent",
            Fault::too_many_requests_after_ms(10),
        )
        .times(1),
    );
    let agents = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()?;
    let outcome = agents.main_agent().run("What is an RDU?").await?;
    lines.push(show("main agent", outcome.meta()));

    // A Sessions call, with its own retry policy, answered with what came back.
    let sessions = SessionsClient::builder().base_url(mock.url()).build()?;
    let sandboxes = sessions
        .list_sandboxes()
        .retry(RetryPolicy::none())
        .with_response()
        .await?;
    lines.push(show("list_sandboxes", sandboxes.meta()));

    // An agent-stream run: the stream keeps the answer that opened it.
    let (user, password) = mock.agent_stream_user();
    let agent_stream = AgentStreamClient::builder()
        .base_url(mock.url())
        .credentials(user, password)
        .build()?;
    let mut run = agent_stream.stream(&AgentRequest::new("hello")).await?;
    if let Some(meta) = run.meta() {
        lines.push(show("agent stream", meta));
    }
    while run.next().await.is_some() {}
    Ok(lines)
}

#[cfg(test)]
#[tokio::test]
async fn each_call_shows_its_status_and_attempts() {
    let mock = MockServer::start().await.unwrap();
    let lines = calls(&mock).await.unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("main agent: 200 OK"), "{}", lines[0]);
    assert!(lines[0].ends_with("2 attempt(s)"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("list_sandboxes: 200 OK"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with("1 attempt(s)"), "{}", lines[1]);
    assert!(lines[2].starts_with("agent stream: 200 OK"), "{}", lines[2]);
}
