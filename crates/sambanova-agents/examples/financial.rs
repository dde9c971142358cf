//! The financial analysis agent: the result is a JSON document, pretty-printed here.
//!
//! `cargo run -p sambanova-agents --example financial -- "Analyse NVDA"`

#[path = "support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Analyse NVDA".into());
    let (client, _mock) = support::client().await?;
    let analysis = client.financial().run(&prompt).await?.into_completion()?;
    println!("{:#}", analysis.json()?);
    Ok(())
}
