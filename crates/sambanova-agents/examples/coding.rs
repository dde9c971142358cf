//! The coding agent: run code in a sandbox, then save the files it produced.
//!
//! `cargo run -p sambanova-agents --example coding`

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use sambanova_agents::{Client, Error, SavedFile};

const CODE: &str =
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('line.png')\nprint('saved')";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    let dir = std::env::temp_dir().join("sambanova-coding-example");
    run_and_save(&client, CODE, &dir).await?;
    Ok(())
}

/// Runs `code`, saves its artifacts under `dir`, and answers what was saved.
async fn run_and_save(client: &Client, code: &str, dir: &Path) -> Result<Vec<SavedFile>, Error> {
    let run = client
        .coding()
        .run(code, "Plot a line")
        .await?
        .into_completion()?;
    println!("{}\n", run.text());

    let mut saved = Vec::new();
    for file_id in &run.artifacts {
        let file = client.files().save(file_id, dir).await?;
        println!("saved {} ({} bytes)", file.path.display(), file.bytes);
        saved.push(file);
    }
    Ok(saved)
}

#[cfg(test)]
#[tokio::test]
async fn the_plot_is_saved() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    let dir = tempfile::tempdir()?;
    let saved = run_and_save(&client, CODE, dir.path()).await?;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].path, dir.path().join("line.png"));
    Ok(())
}
