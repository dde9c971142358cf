//! The financial analysis agent: the result is a JSON document, pretty-printed here.
//!
//! `cargo run -p sambanova-agents --example financial -- "Analyse NVDA"`

#[path = "support/mod.rs"]
mod support;

use sambanova_agents::{Client, Error};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Analyse NVDA".into());
    let (client, _mock) = support::client().await?;
    println!("{:#}", analyse(&client, &prompt).await?);
    Ok(())
}

async fn analyse(client: &Client, prompt: &str) -> Result<Value, Error> {
    client
        .financial()
        .run(prompt)
        .await?
        .into_completion()?
        .json()
}

#[cfg(test)]
#[tokio::test]
async fn the_analysis_is_a_json_object() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    assert!(analyse(&client, "Analyse NVDA").await?.is_object());
    Ok(())
}
