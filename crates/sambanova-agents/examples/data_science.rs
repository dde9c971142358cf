//! The data science agent, interactively: upload a CSV, approve the hypothesis, save the
//! HTML report.
//!
//! `cargo run -p sambanova-agents --example data_science -- [file.csv]`

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use sambanova_agents::{AgentOutcome, Client, Upload};

const SALES: &str = "region,quarter,total\nEMEA,1,10\nEMEA,2,14\nAPAC,1,12\nAPAC,2,19\n";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let upload = match std::env::args().nth(1) {
        Some(path) => Upload::path(path),
        None => Upload::bytes("sales.csv", SALES),
    };
    let (client, _mock) = support::client().await?;
    let path = std::env::temp_dir().join("sambanova-data-science-report.html");
    analyse(&client, upload, &path).await?;
    println!("report saved to {}", path.display());
    Ok(())
}

/// Analyses the upload, approving each hypothesis, and saves the report to `path`.
async fn analyse(
    client: &Client,
    upload: Upload,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut outcome = client
        .data_science()
        .interactive([upload], "Which region grows fastest?")
        .await?;
    while let AgentOutcome::Interrupted(hypothesis) = outcome {
        println!("{}\n", hypothesis.plain_text());
        outcome = hypothesis.approve().await?;
    }
    let report = outcome.into_html()?;
    std::fs::write(path, report.to_document())?;
    Ok(())
}

#[cfg(test)]
#[tokio::test]
async fn the_report_is_saved() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("report.html");
    analyse(&client, Upload::bytes("sales.csv", SALES), &path).await?;
    assert!(std::fs::read_to_string(&path)?.starts_with("<!DOCTYPE html>"));
    Ok(())
}
