//! The clients the tests build: each API's builder pointed at a test server, with retries and
//! reconnections 1 ms apart (the policies' counts as they are), for a file to add what it
//! tests.

use std::time::Duration;

use sambanova_agents::agent_stream::{AgentStreamClient, AgentStreamClientBuilder};
use sambanova_agents::sessions::{SessionsClient, SessionsClientBuilder};
use sambanova_agents::{Client, ClientBuilder, RetryPolicy};

/// How long a test's retry or reconnection waits first.
const BACKOFF: Duration = Duration::from_millis(1);

/// An Agents API client builder for `base_url` and `key`: agent calls and downloads retried
/// at once.
pub fn client_builder(base_url: &str, key: &str) -> ClientBuilder {
    Client::builder()
        .api_key(key)
        .base_url(base_url)
        .retry(RetryPolicy::default().initial_backoff(BACKOFF))
        .download_retry(RetryPolicy::idempotent().initial_backoff(BACKOFF))
}

/// [`client_builder`], built.
pub fn client(base_url: &str, key: &str) -> Client {
    client_builder(base_url, key)
        .build()
        .expect("client builds")
}

/// A Sessions API client builder for `base_url`, reconnecting at once.
pub fn sessions_client_builder(base_url: &str) -> SessionsClientBuilder {
    SessionsClient::builder()
        .base_url(base_url)
        .reconnect_backoff(BACKOFF, Duration::from_millis(5))
}

/// [`sessions_client_builder`], built.
pub fn sessions_client(base_url: &str) -> SessionsClient {
    sessions_client_builder(base_url)
        .build()
        .expect("client builds")
}

/// An agent-stream client builder for `base_url`, logging in as the mock's user.
pub fn agent_stream_client_builder(base_url: &str) -> AgentStreamClientBuilder {
    AgentStreamClient::builder()
        .base_url(base_url)
        .credentials("demo", "demo")
}

/// [`agent_stream_client_builder`], built.
pub fn agent_stream_client(base_url: &str) -> AgentStreamClient {
    agent_stream_client_builder(base_url)
        .build()
        .expect("client builds")
}
