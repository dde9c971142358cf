//! Shared by the examples: a client for the real API when `SAMBANOVA_API_KEY` is set, else for
//! the embedded mock server, so every example runs on a fresh machine with no key and no
//! network. Under `cargo test` it is always the mock.

use sambanova_agents::Client;
use sambanova_agents_mock::{MockServer, TEST_API_KEY};

/// The client, and the mock it talks to (kept alive for the example's duration) if any.
pub async fn client() -> Result<(Client, Option<MockServer>), Box<dyn std::error::Error>> {
    if !cfg!(test) && std::env::var_os(sambanova_agents::API_KEY_ENV).is_some() {
        return Ok((Client::from_env()?, None));
    }
    let mock = MockServer::start().await?;
    eprintln!(
        "SAMBANOVA_API_KEY is not set: using the embedded mock at {}",
        mock.agents_url()
    );
    let client = client_for(&mock)?;
    Ok((client, Some(mock)))
}

/// A new client of the mock, as another process would build.
#[allow(dead_code)] // Not every example has a second client.
pub fn client_for(mock: &MockServer) -> Result<Client, sambanova_agents::Error> {
    Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()
}
