//! The one seam on every attempt (`AttemptHook`), through the three APIs.

mod support;

use futures_util::StreamExt;
use sambanova_agents::agent_stream::AgentRequest;
use sambanova_agents::{Attempt, AttemptHook, AttemptOutcome};
use sambanova_agents_mock::MockServer;
use std::sync::{Arc, Mutex};
use support::{
    agent_stream_client_builder, client_builder, json_response, scripted_server,
    sessions_client_builder,
};

const KEY: &str = "00000000-0000-4000-8000-000000000000";

/// Every attempt a client made, as `operation #number: outcome`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl AttemptHook for Seen {
    fn on_request(&self, attempt: &Attempt, request: &mut sambanova_agents::reqwest::Request) {
        request
            .headers_mut()
            .insert("x-attempt", attempt.number.into());
    }

    fn on_outcome(&self, attempt: &Attempt, outcome: &AttemptOutcome<'_>) {
        let what = match outcome {
            AttemptOutcome::Answered(response) => response.status().as_u16().to_string(),
            AttemptOutcome::Failed { timed_out, .. } => format!("failed (timed out: {timed_out})"),
            _ => "other".to_owned(),
        };
        self.0
            .lock()
            .unwrap()
            .push(format!("{} #{}: {what}", attempt.operation, attempt.number));
    }
}

#[tokio::test]
async fn the_hook_sees_every_attempt_of_an_agent_call_and_its_header_reaches_the_wire() {
    let unavailable = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    let completed = json_response(r#"{"status":"completed","result":"42","thread_id":null}"#);
    let (url, server) = scripted_server(vec![unavailable.into(), completed]).await;
    let seen = Seen::default();
    let client = client_builder(&url, KEY)
        .on_attempt(seen.clone())
        .build()
        .unwrap();
    let outcome = client.main_agent().run("hello").await.expect("completed");
    assert_eq!(outcome.meta().attempts(), 2);
    assert_eq!(seen.lines(), ["mainagent #1: 503", "mainagent #2: 200"]);
    let requests = server.await.unwrap();
    assert!(
        requests[0].to_ascii_lowercase().contains("x-attempt: 1"),
        "{}",
        requests[0]
    );
    assert!(
        requests[1].to_ascii_lowercase().contains("x-attempt: 2"),
        "{}",
        requests[1]
    );
}

#[tokio::test]
async fn the_hook_sees_sessions_calls_and_the_agent_streams_login_and_run() {
    let mock = MockServer::start().await.expect("the mock starts");
    let seen = Seen::default();
    let sessions = sessions_client_builder(&mock.url())
        .on_attempt(seen.clone())
        .build()
        .unwrap();
    sessions.list_sandboxes().await.expect("listed");
    assert_eq!(seen.lines(), ["list_sandboxes #1: 200"]);

    let seen = Seen::default();
    let agent_stream = agent_stream_client_builder(&mock.url())
        .on_attempt(seen.clone())
        .build()
        .unwrap();
    let mut events = agent_stream
        .stream(&AgentRequest::new("hello"))
        .await
        .expect("the run opens");
    while events.next().await.is_some() {}
    let lines = seen.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("#1: 200"), "the login: {lines:?}");
    assert_eq!(lines[1], "agent_stream #1: 200");
}
