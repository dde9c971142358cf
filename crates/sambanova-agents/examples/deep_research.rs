//! Deep research, interactively: get the plan, revise it once, approve it, print the report.
//!
//! `cargo run -p sambanova-agents --example deep_research -- "topic"`

#[path = "support/mod.rs"]
mod support;

use sambanova_agents::AgentOutcome;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "The AI accelerator market".into());
    let (client, _mock) = support::client().await?;

    let plan = client
        .deep_research()
        .interactive(&topic)
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
    println!("{}", outcome.into_completion()?.text());
    Ok(())
}
