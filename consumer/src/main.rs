//! One interactive deep research against the packaged mock: get the plan, approve it, read the
//! report. Exits non-zero (with the error) if any step fails.

use sambanova_agents::{AgentOutcome, Client};
use sambanova_agents_mock::{MockServer, TEST_API_KEY};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()?;

    let plan = client
        .deep_research()
        .interactive("The AI accelerator market")
        .await?
        .into_plan()?;
    println!("plan (thread {}):\n{}", plan.thread_id(), plan.plain_text());
    if plan.plain_text().trim().is_empty() {
        return Err("the plan is empty".into());
    }

    let mut outcome = plan.approve().await?;
    let mut approvals = 1;
    while let AgentOutcome::Interrupted(plan) = outcome {
        approvals += 1;
        if approvals > 3 {
            return Err("the plan is still not approved after 3 approvals".into());
        }
        outcome = plan.approve().await?;
    }
    let report = outcome.into_completion()?.text().to_owned();
    if report.trim().is_empty() {
        return Err("the report is empty".into());
    }
    println!("report ({} bytes):\n{report}", report.len());
    mock.shutdown().await;
    Ok(())
}
