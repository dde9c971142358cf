//! A pause that outlives the process: one process stops at the research plan and saves it as a
//! token; another, later, approves it.
//!
//! Against a server both processes reach (`sambanova-agents mock` prints the exports):
//!
//! ```sh
//! cargo run -p sambanova-agents --example pause_and_resume -- stop "Solid-state batteries" > plan.json
//! cargo run -p sambanova-agents --example pause_and_resume -- approve plan.json
//! ```
//!
//! With no arguments it does both in turn, each with a client of its own, on the embedded mock.

#[path = "support/mod.rs"]
mod support;

use sambanova_agents::{Client, Error, PlanToken};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["stop", topic] => println!("{}", stop(&Client::from_env()?, topic).await?),
        ["approve", path] => {
            let token = std::fs::read_to_string(path)?;
            println!("{}", approve(&Client::from_env()?, &token).await?);
        }
        _ => {
            let (first, mock) = support::client().await?;
            let token = stop(&first, "Solid-state batteries").await?;
            eprintln!("saved: {token}");
            // Another client, sharing nothing with the first but the server.
            let second = match &mock {
                Some(mock) => support::client_for(mock)?,
                None => Client::from_env()?,
            };
            println!("{}", approve(&second, &token).await?);
        }
    }
    Ok(())
}

/// Plans, and answers the plan as a token to keep.
async fn stop(client: &Client, topic: &str) -> Result<String, Error> {
    let plan = client
        .deep_research()
        .interactive(topic)
        .await?
        .into_plan()?;
    Ok(plan
        .token()
        .expect("a plan from an agent call has a token")
        .to_json())
}

/// Approves the plan a token keeps; answers the report.
async fn approve(client: &Client, token: &str) -> Result<String, Error> {
    let token = PlanToken::from_json(token.trim())?;
    let report = client.resume(&token)?.approve().await?.into_completion()?;
    Ok(report.text().to_owned())
}

#[cfg(test)]
#[tokio::test]
async fn a_plan_stopped_by_one_client_is_approved_by_another()
-> Result<(), Box<dyn std::error::Error>> {
    let (first, mock) = support::client().await?;
    let token = stop(&first, "Solid-state batteries").await?;
    let second = support::client_for(mock.as_ref().expect("the mock under test"))?;
    let report = approve(&second, &token).await?;
    assert!(report.starts_with("# Solid-state batteries"), "{report}");
    Ok(())
}
