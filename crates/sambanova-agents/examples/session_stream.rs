//! A sandbox session: create a session, send a message, and print the turn's events live.
//!
//! Uses the server at `SAMBANOVA_SESSIONS_URL` (key from `SAMBANOVA_SESSIONS_API_KEY`, if the
//! server needs one) with its first running sandbox; without the variable, the embedded mock.
//!
//! `cargo run -p sambanova-agents --example session_stream -- "Write hello.py"`

use futures_util::StreamExt;
use sambanova_agents::sessions::{EventKind, SandboxState, SessionsClient, TurnText};
use sambanova_agents_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Say hello".to_owned());
    let mut _mock = None;
    let client = if std::env::var_os(sambanova_agents::sessions::SESSIONS_URL_ENV).is_some() {
        SessionsClient::from_env()?
    } else {
        let mock = MockServer::start().await?;
        eprintln!(
            "SAMBANOVA_SESSIONS_URL is not set: using the embedded mock at {}",
            mock.url()
        );
        let client = SessionsClient::new(mock.url())?;
        _mock = Some(mock);
        client
    };

    let sandbox = client
        .list_sandboxes()
        .await?
        .into_iter()
        .find(|sandbox| sandbox.state == SandboxState::Running)
        .ok_or("no running sandbox: create one first")?;
    let session = client.create_session(&sandbox.id).await?;
    println!("session {} in sandbox {}", session.id, sandbox.id);

    let mut turn = client.send_and_stream(&session.id, &prompt).await?;
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
    println!("\n\nfull text: {}", text.text());
    Ok(())
}
