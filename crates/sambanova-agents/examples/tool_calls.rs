//! Tool calls on a Sessions turn, assembled: the stream names a tool with an empty input and
//! then sends the input as JSON pieces; `ToolCallTracker` joins them into one call with its input
//! parsed, and later pairs the call with its result. After the turn, the session's stored
//! reply comes from `SessionDetails::last_assistant_message`.
//!
//! `cargo run -p sambanova-agents --example tool_calls -- "List the files"`

use futures_util::StreamExt;
use sambanova_agents::Error;
use sambanova_agents::sessions::{SessionsClient, ToolCallTracker, ToolEvent, ToolOutput};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "List the files".to_owned());
    let mock = MockServer::start().await?;
    let client = SessionsClient::builder().base_url(mock.url()).build()?;
    let session = client.create_session(DEMO_SANDBOX_ID).await?;

    let (outputs, reply) = run_turn(&client, &session.id, &prompt).await?;
    println!("{} tool calls; the reply: {reply}", outputs.len());
    Ok(())
}

/// Streams one turn; answers the tool outputs (each with its call) and the stored reply.
async fn run_turn(
    client: &SessionsClient,
    session_id: &str,
    prompt: &str,
) -> Result<(Vec<ToolOutput>, String), Error> {
    let mut turn = client.send_and_stream(session_id, prompt).await?;
    let mut tools = ToolCallTracker::new();
    let mut outputs = Vec::new();
    while let Some(event) = turn.events.next().await {
        for tool in tools.push(&event?) {
            match tool {
                ToolEvent::Call(call) => match &call.input {
                    Some(input) => println!("[{} {}] {input}", call.name, call.id),
                    // The pieces did not join into JSON: `raw_input` keeps what came.
                    None => println!("[{} {}] unparsed: {}", call.name, call.id, call.raw_input),
                },
                ToolEvent::Output(output) => {
                    println!("[result of {}] {}", output.tool_use_id, output.text());
                    outputs.push(output);
                }
                other => println!("[{other:?}]"),
            }
        }
    }
    // The turn is over: a call still open never got all its input.
    for call in tools.finish() {
        println!("[{} {}] incomplete: {}", call.name, call.id, call.raw_input);
    }

    let details = client.get_session(session_id).await?;
    let reply = details
        .last_assistant_message()
        .map(|message| message.text())
        .unwrap_or_default();
    Ok((outputs, reply))
}

#[cfg(test)]
#[tokio::test]
async fn the_call_comes_whole_with_its_result_and_the_reply_is_stored() {
    let mock = MockServer::start().await.unwrap();
    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();

    let (outputs, reply) = run_turn(&client, &session.id, "List the files")
        .await
        .unwrap();
    let [output] = &outputs[..] else {
        panic!("one tool output: {outputs:?}");
    };
    let call = output
        .call
        .as_ref()
        .expect("the result comes with its call");
    assert_eq!(call.name, "Bash");
    assert_eq!(call.input.as_ref().unwrap()["command"], "echo done");
    assert_eq!((output.text().as_str(), output.is_error), ("done", false));
    assert!(
        reply.starts_with("Echo: List the files") && reply.ends_with("Done."),
        "{reply}"
    );
}
