//! The agent stream: log in, run the agent, print its answer live, and answer a research plan.
//!
//! Uses the backend at `SAMBANOVA_AGENT_STREAM_URL` (credentials from
//! `SAMBANOVA_AGENT_STREAM_USERNAME`/`_PASSWORD`, or `_TOKEN`); without the variable,
//! the embedded mock (user `demo`/`demo`).
//!
//! `cargo run -p sambanova-agents --example agent_stream -- "Create hello.py" [research]`

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{
    AGENT_STREAM_URL_ENV, AgentEvent, AgentEventStream, AgentModule, AgentRequest,
    AgentStreamClient, TurnText,
};
use sambanova_agents_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Create hello.py that prints Hello World".to_owned());
    let research = std::env::args()
        .nth(2)
        .is_some_and(|mode| mode == "research");
    let (client, _mock) = client().await?;
    run(&client, &prompt, research).await?;
    Ok(())
}

/// The client for the backend the environment names, else for the embedded mock (kept alive
/// with it). Under `cargo test`, always the mock.
async fn client() -> Result<(AgentStreamClient, Option<MockServer>), Box<dyn std::error::Error>> {
    if !cfg!(test) && std::env::var_os(AGENT_STREAM_URL_ENV).is_some() {
        return Ok((AgentStreamClient::from_env()?, None));
    }
    let mock = MockServer::start().await?;
    eprintln!(
        "{AGENT_STREAM_URL_ENV} is not set: using the embedded mock at {}",
        mock.url()
    );
    let client = AgentStreamClient::builder()
        .base_url(mock.url())
        .credentials("demo", "demo")
        .build()?;
    Ok((client, Some(mock)))
}

/// Runs the agent on `prompt`; a research run's plan is accepted. Answers the last answer.
async fn run(
    client: &AgentStreamClient,
    prompt: &str,
    research: bool,
) -> Result<String, sambanova_agents::Error> {
    let mut request = AgentRequest::new(prompt);
    if research {
        request = request.module(AgentModule::Research);
    }
    let mut events = client.stream(&request).await?;
    let mut answer = print_run(&mut events).await?;

    // A research run stops on a plan: accept it on the same thread.
    if let Some(interrupt) = events.interrupt() {
        println!(
            "\n--- plan ---\n{}",
            interrupt.content.as_deref().unwrap_or("")
        );
        let accept = AgentRequest::answer(interrupt, "accepted").module(AgentModule::Research);
        let mut report = client.stream(&accept).await?;
        answer = print_run(&mut report).await?;
    }
    eprintln!(
        "\nthread {} (send it with the next request to continue)",
        events.thread_id().unwrap_or("?")
    );
    Ok(answer)
}

/// Prints the answer as it arrives and the tools on stderr; returns the whole answer.
async fn print_run(events: &mut AgentEventStream) -> Result<String, sambanova_agents::Error> {
    let mut answer = TurnText::new();
    while let Some(event) = events.next().await {
        let event = event?;
        if let Some(piece) = answer.push(&event) {
            print!("{piece}");
        }
        match &event {
            AgentEvent::ToolCallStart(call) => {
                eprintln!("[tool {}]", call.name.as_deref().unwrap_or("?"))
            }
            AgentEvent::Warning(warning) => eprintln!("[warning {:?}]", warning.kind),
            AgentEvent::Error(error) => eprintln!("[error {:?}]", error.message),
            _ => {}
        }
    }
    println!();
    Ok(answer.into_text())
}

#[cfg(test)]
#[tokio::test]
async fn a_plain_run_and_a_research_run_answer() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = client().await?;
    assert!(!run(&client, "Create hello.py", false).await?.is_empty());
    assert!(!run(&client, "The RDU", true).await?.is_empty());
    Ok(())
}
