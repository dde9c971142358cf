//! Deep research, interactively: get the plan, revise it once, approve it, print the report.
//!
//! `cargo run -p sambanova-agents --example deep_research -- "topic"`

#[path = "support/mod.rs"]
mod support;

use sambanova_agents::{AgentOutcome, Client, Error};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "The AI accelerator market".into());
    let (client, _mock) = support::client().await?;
    println!("{}", research(&client, &topic).await?);
    Ok(())
}

/// The report on `topic`, after one revision of its plan.
async fn research(client: &Client, topic: &str) -> Result<String, Error> {
    let plan = client
        .deep_research()
        .interactive(topic)
        .await?
        .into_plan()?;
    println!(
        "Plan (thread {}):\n{}\n",
        plan.thread_id(),
        plan.plain_text()
    );

    let mut outcome = plan.revise("Add a section on energy efficiency").await?;
    while let AgentOutcome::Interrupted(plan) = outcome {
        println!("Revised plan:\n{}\n", plan.plain_text());
        outcome = plan.approve().await?;
    }
    Ok(outcome.into_completion()?.text().to_owned())
}

#[cfg(test)]
#[tokio::test]
async fn the_report_follows_the_revised_plan() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    let report = research(&client, "The AI accelerator market").await?;
    assert!(
        report.starts_with("# The AI accelerator market"),
        "{report}"
    );
    Ok(())
}
