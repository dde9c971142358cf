//! Memory probe: downloads one artifact to disk with `files().save` and reports the peak
//! resident memory of this process.
//!
//! The artifact comes from the in-process mock's `huge-body` fault on
//! `GET /api/agent/files/*`, which streams the bytes in 64 KiB chunks as it sends them (the
//! mock's `put_file` would hold the whole file in this process's memory and swamp the figure).
//! Compare with a tiny download (`--bytes 1024`) to separate the process's own footprint.
//!
//! ```text
//! cargo run --release -p sambanova-agents --example probe_download -- --bytes 1073741824
//! /usr/bin/time -v target/release/examples/probe_download --bytes 1073741824
//! ```
//!
//! Arguments: `--bytes N` (default 1 GiB), `--dir PATH` (default a fresh temporary directory,
//! removed at the end).

use std::path::PathBuf;
use std::time::Instant;

use sambanova_agents::Client;
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};

const GIB: u64 = 1024 * 1024 * 1024;
/// Any well-formed id: the fault answers before the route looks the file up.
const FILE_ID: &str = "0d9c5e1a-6f0e-4b8a-9a57-2f1d3c4b5a69";

struct Args {
    bytes: u64,
    dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bytes: GIB,
        dir: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bytes" => {
                args.bytes = value
                    .parse()
                    .map_err(|_| format!("--bytes takes a number of bytes, not {value:?}"))?;
            }
            "--dir" => args.dir = Some(PathBuf::from(value)),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (--bytes N, --dir PATH)"
                ));
            }
        }
    }
    Ok(args)
}

/// Peak resident set size of this process so far (`VmHWM`), in KiB; Linux only.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    probe(parse_args()?).await
}

/// Downloads the artifact `args` describe, fails unless every byte came, prints the figures.
async fn probe(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    mock.faults().add(FaultRule::new(
        "GET",
        "/api/agent/files/*",
        Fault::HugeBody { bytes: args.bytes },
    ));
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()?;
    let temporary = tempfile::tempdir()?;
    let dir = args.dir.unwrap_or_else(|| temporary.path().to_path_buf());

    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let saved = client.files().save(FILE_ID, &dir).await?;
    let elapsed = started.elapsed();
    if saved.bytes != args.bytes {
        return Err(format!("saved {} bytes, expected {}", saved.bytes, args.bytes).into());
    }
    let on_disk = std::fs::metadata(&saved.path)?.len();
    println!(
        "saved {} bytes ({} on disk) to {} in {:.2} s ({:.0} MiB/s)",
        saved.bytes,
        on_disk,
        saved.path.display(),
        elapsed.as_secs_f64(),
        saved.bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
    );
    std::fs::remove_file(&saved.path)?;
    match (rss_before, peak_rss_kib()) {
        (Some(before), Some(peak)) => println!(
            "peak RSS: {:.1} MiB before the download, {:.1} MiB at the end",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        ),
        _ => println!("peak RSS: not available on this platform (use /usr/bin/time -v)"),
    }
    Ok(())
}

#[cfg(test)]
#[tokio::test]
async fn every_byte_is_saved() -> Result<(), Box<dyn std::error::Error>> {
    probe(Args {
        bytes: 200 * 1024,
        dir: None,
    })
    .await
}
