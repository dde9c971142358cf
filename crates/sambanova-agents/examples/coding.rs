//! The coding agent: run code in a sandbox, then save the files it produced.
//!
//! `cargo run -p sambanova-agents --example coding`

#[path = "support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = support::client().await?;
    let code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('line.png')\nprint('saved')";

    let run = client
        .coding()
        .run(code, "Plot a line")
        .await?
        .into_completion()?;
    println!("{}\n", run.text());

    let dir = std::env::temp_dir().join("sambanova-coding-example");
    for file_id in &run.artifacts {
        let saved = client.files().save(file_id, &dir).await?;
        println!("saved {} ({} bytes)", saved.path.display(), saved.bytes);
    }
    Ok(())
}
