//! `cargo xtask fetch`: vendor an upstream spec byte for byte and record where it came from.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::load::parse_spec;
use crate::pipeline::{Source, Spec};
use crate::record::SourceRecord;

/// Where to fetch from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// An HTTP(S) URL.
    Url(String),
    /// A local file: an already downloaded copy (with the URL it came from, for the record),
    /// or a test fixture.
    File {
        /// The file to vendor.
        path: std::path::PathBuf,
        /// Where the copy was downloaded from, recorded as the source instead of the path.
        downloaded_from: Option<String>,
    },
}

/// Connect and total limits: an unreachable host must fail clearly, not hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// No spec is anywhere near this; a larger body is a wrong URL, not a spec.
const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// Fetches the spec, checks that it parses, writes it byte for byte and updates its record.
/// Returns the record.
pub fn fetch(root: &Path, spec: &Spec, origin: Option<Origin>) -> Result<SourceRecord> {
    let Source::Upstream {
        vendored,
        record,
        default_url,
        ..
    } = spec.source
    else {
        bail!(
            "spec {:?} is written by this project; there is nothing to fetch",
            spec.name
        );
    };
    let origin = origin.unwrap_or_else(|| Origin::Url(default_url.to_string()));
    let (source, bytes) = match &origin {
        Origin::File {
            path,
            downloaded_from,
        } => (
            downloaded_from
                .clone()
                .unwrap_or_else(|| path.display().to_string()),
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        ),
        Origin::Url(url) => (url.clone(), download(url)?),
    };
    let text = std::str::from_utf8(&bytes).context("the fetched spec is not UTF-8 text")?;
    parse_spec(text).with_context(|| format!("{source} is not a YAML/JSON OpenAPI document"))?;
    std::fs::write(root.join(vendored), &bytes)
        .with_context(|| format!("cannot write {vendored}"))?;
    let entry = SourceRecord::new(&source, &bytes);
    entry.write(&root.join(record))?;
    Ok(entry)
}

fn download(url: &str) -> Result<Vec<u8>> {
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(concat!(
            "sambanova-agents-rs-xtask/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()?;
    let response = client.get(url).send().map_err(|e| {
        anyhow::anyhow!(
            "cannot fetch {url}: {e}{}\n(no network? download the file elsewhere and use `cargo xtask fetch --file PATH`)",
            if e.is_timeout() { " (timed out)" } else { "" }
        )
    })?;
    let status = response.status();
    if !status.is_success() {
        bail!("cannot fetch {url}: the server answered {status}");
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_SPEC_BYTES)
    {
        bail!("cannot fetch {url}: the body is larger than {MAX_SPEC_BYTES} bytes");
    }
    let bytes = response
        .bytes()
        .with_context(|| format!("cannot read the body of {url}"))?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        bail!("cannot fetch {url}: the body is larger than {MAX_SPEC_BYTES} bytes");
    }
    Ok(bytes.to_vec())
}
