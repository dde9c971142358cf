//! A sandbox session: create a session, send a message, and print the turn's events live.
//!
//! Uses the server at `SAMBANOVA_SESSIONS_URL` (key from `SAMBANOVA_SESSIONS_API_KEY`, if the
//! server needs one) with its first running sandbox; without the variable, the embedded mock.
//!
//! `cargo run -p sambanova-agents --example session_stream -- "Write hello.py"`

use futures_util::StreamExt;
use sambanova_agents::sessions::{
    EventKind, SESSIONS_URL_ENV, SandboxState, SessionsClient, TurnText,
};
use sambanova_agents_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Say hello".to_owned());
    let (client, _mock) = client().await?;
    println!("\n\nfull text: {}", run(&client, &prompt).await?);
    Ok(())
}

/// The client for the server the environment names, else for the embedded mock (kept alive
/// with it). Under `cargo test`, always the mock.
async fn client() -> Result<(SessionsClient, Option<MockServer>), Box<dyn std::error::Error>> {
    if !cfg!(test) && std::env::var_os(SESSIONS_URL_ENV).is_some() {
        return Ok((SessionsClient::from_env()?, None));
    }
    let mock = MockServer::start().await?;
    eprintln!(
        "{SESSIONS_URL_ENV} is not set: using the embedded mock at {}",
        mock.url()
    );
    Ok((
        SessionsClient::builder().base_url(mock.url()).build()?,
        Some(mock),
    ))
}

/// Sends `prompt` in a new session of the first running sandbox; answers the turn's text.
async fn run(client: &SessionsClient, prompt: &str) -> Result<String, Box<dyn std::error::Error>> {
    let sandbox = client
        .list_sandboxes()
        .await?
        .into_iter()
        .find(|sandbox| sandbox.state == SandboxState::Running)
        .ok_or("no running sandbox: create one first")?;
    let session = client.create_session(&sandbox.id).await?;
    println!("session {} in sandbox {}", session.id, sandbox.id);

    let mut turn = client.send_and_stream(&session.id, prompt).await?;
    let mut text = TurnText::new();
    while let Some(event) = turn.events.next().await {
        let event = event?;
        text.push(&event);
        match &event.kind {
            EventKind::TextDelta(delta) => print!("{}", delta.text),
            EventKind::ToolUseStart(tool) => println!("\n[tool {}]", tool.name),
            EventKind::ToolResult(result) => {
                println!("[tool result, error: {:?}]", result.is_error)
            }
            EventKind::ResultError(error) => println!("\n[error: {:?}]", error.message),
            other => eprintln!("\n[{}]", other.event_type()),
        }
    }
    Ok(text.text().to_owned())
}

#[cfg(test)]
#[tokio::test]
async fn the_turn_echoes_the_prompt() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = client().await?;
    let text = run(&client, "Say hello").await?;
    assert!(text.starts_with("Echo: Say hello"), "{text}");
    Ok(())
}
