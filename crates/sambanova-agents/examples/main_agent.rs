//! The main agent: one question, then a follow-up on the same thread.
//!
//! `cargo run -p sambanova-agents --example main_agent -- "question"`

#[path = "support/mod.rs"]
mod support;

use sambanova_agents::{Client, Error};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "What is SambaNova's RDU?".into());
    let (client, _mock) = support::client().await?;
    ask(&client, &question).await?;
    Ok(())
}

async fn ask(client: &Client, question: &str) -> Result<(), Error> {
    let answer = client.main_agent().run(question).await?.into_completion()?;
    println!("{}\n", answer.text());

    let first = client.main_agent().interactive(question).await?;
    if let Some(thread) = first.thread_id() {
        let follow_up = client
            .main_agent()
            .resume(thread, "Summarise that in one line")
            .await?
            .into_completion()?;
        println!("thread {thread}: {}", follow_up.text());
    }
    Ok(())
}

#[cfg(test)]
#[tokio::test]
async fn runs_against_the_mock() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    ask(&client, "What is SambaNova's RDU?").await?;
    Ok(())
}
