//! The data science agent, interactively: upload a CSV, approve the hypothesis, save the
//! HTML report.
//!
//! `cargo run -p sambanova-agents --example data_science -- [file.csv]`

#[path = "support/mod.rs"]
mod support;

use sambanova_agents::{AgentOutcome, Upload};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let upload = match std::env::args().nth(1) {
        Some(path) => Upload::path(path),
        None => Upload::bytes(
            "sales.csv",
            "region,quarter,total\nEMEA,1,10\nEMEA,2,14\nAPAC,1,12\nAPAC,2,19\n",
        ),
    };
    let (client, _mock) = support::client().await?;

    let mut outcome = client
        .data_science()
        .interactive([upload], "Which region grows fastest?")
        .await?;
    while let AgentOutcome::Interrupted(hypothesis) = outcome {
        println!("{}\n", hypothesis.plain_text());
        outcome = hypothesis.approve().await?;
    }
    let report = outcome.into_html()?;
    let path = std::env::temp_dir().join("sambanova-data-science-report.html");
    std::fs::write(&path, report.to_document())?;
    println!("report saved to {}", path.display());
    Ok(())
}
