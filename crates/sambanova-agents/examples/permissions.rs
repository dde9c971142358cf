//! Permissions and questions on a Sessions turn, answered from code.
//!
//! While a turn streams, the agent may stop twice over: a `permission_request` before a tool
//! runs (answer it with `respond_to_permission`), and a `user_input_request` when it asks a
//! question (answer it with `respond_to_user_input`). The session reads `waiting_for_input`
//! until the answer comes. Allowed, the tool runs and the turn goes on; denied, the turn stops
//! there, with no tool result and no `session_completed` (the stream still ends: the queue
//! drains).
//!
//! The embedded mock's `#permission` and `#question` prompts behave like that: three turns
//! here, one allowed, one denied, one question.
//!
//! `cargo run -p sambanova-agents --example permissions`

use futures_util::StreamExt;
use sambanova_agents::sessions::{EventKind, SessionsClient, TurnText};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};
use serde_json::Value;

/// What a turn did.
#[derive(Debug)]
struct TurnReport {
    text: String,
    tool_ran: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    let client = SessionsClient::builder().base_url(mock.url()).build()?;
    let session = client.create_session(DEMO_SANDBOX_ID).await?;

    for (prompt, allow) in [
        ("Run the tests #permission", true),
        ("Delete the build #permission", false),
        ("Write a greeting #question", true),
    ] {
        println!("> {prompt}");
        let report = answer_turn(&client, &session.id, prompt, allow).await?;
        let ran = if report.tool_ran {
            "ran"
        } else {
            "did not run"
        };
        println!("the tool {ran}; the agent said: {}\n", report.text);
    }
    Ok(())
}

/// Sends `prompt` and streams its turn, answering every permission request with `allow` and
/// every question with its first option.
async fn answer_turn(
    client: &SessionsClient,
    session_id: &str,
    prompt: &str,
    allow: bool,
) -> Result<TurnReport, Box<dyn std::error::Error>> {
    let mut turn = client.send_and_stream(session_id, prompt).await?;
    let mut text = TurnText::new();
    let mut tool_ran = false;
    while let Some(event) = turn.events.next().await {
        let event = event?;
        text.push(&event);
        match &event.kind {
            EventKind::PermissionRequest(request) => {
                let state = client.get_session(session_id).await?.session.state;
                println!(
                    "  the agent asks to run {} with {} (session {}): {}",
                    request.tool_name.as_deref().unwrap_or("a tool"),
                    request.tool_input.as_ref().unwrap_or(&Value::Null),
                    state.as_str(),
                    if allow { "allowed" } else { "denied" }
                );
                client
                    .respond_to_permission(session_id, &request.request_id, allow)
                    .await?;
            }
            EventKind::UserInputRequest(request) => {
                let request_id = request.request_id.as_str();
                let questions = request.questions.as_ref().unwrap_or(&Value::Null);
                let answer = first_option(questions).unwrap_or("yes");
                println!("  asked {questions}: answering {answer:?}");
                client
                    .respond_to_user_input(session_id, request_id, answer)
                    .await?;
            }
            EventKind::ToolResult(_) => tool_ran = true,
            _ => {}
        }
    }
    Ok(TurnReport {
        text: text.text().to_owned(),
        tool_ran,
    })
}

/// The label of the first question's first option: the questions come as the agent's
/// `AskUserQuestion` input, `[{"question", "options": [{"label", "description"}]}]`.
fn first_option(questions: &Value) -> Option<&str> {
    questions
        .get(0)?
        .get("options")?
        .get(0)?
        .get("label")?
        .as_str()
}

#[cfg(test)]
#[tokio::test]
async fn an_allowed_tool_runs_a_denied_one_stops_the_turn_and_a_question_is_answered() {
    let mock = MockServer::start().await.unwrap();
    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();

    let allowed = answer_turn(&client, &session.id, "ls #permission", true)
        .await
        .unwrap();
    assert!(
        allowed.tool_ran && allowed.text.ends_with("Done."),
        "{allowed:?}"
    );

    let denied = answer_turn(&client, &session.id, "rm #permission", false)
        .await
        .unwrap();
    assert!(
        !denied.tool_ran && !denied.text.contains("Done."),
        "{denied:?}"
    );

    let asked = answer_turn(&client, &session.id, "greet #question", true)
        .await
        .unwrap();
    assert!(asked.text.contains("You answered: hello.py."), "{asked:?}");
}
