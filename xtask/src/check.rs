//! `cargo xtask regen` and `cargo xtask check`: keep the raw crate's `spec/` in step with its sources.

use std::path::Path;

use anyhow::Result;
use similar::TextDiff;

use crate::pipeline::{SPECS, Source};
use crate::record::{SourceRecord, sha256_hex};

/// Regenerates every `crates/sambanova-agents-raw/spec/*.json`; returns the ones whose content changed.
pub fn regen(root: &Path) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    for spec in SPECS {
        let text = spec.render(root)?;
        let path = root.join(spec.generated);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, text)?;
            changed.push(spec.generated);
        }
    }
    Ok(changed)
}

/// One problem found by [`check`].
#[derive(Debug)]
pub struct Problem {
    /// The file concerned.
    pub file: String,
    /// What is wrong and what to do, possibly with a unified diff.
    pub message: String,
}

/// Checks, without writing anything, that every record matches its vendored file and that
/// every generated document is what `regen` would write.
pub fn check(root: &Path) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for spec in SPECS {
        if let Source::Upstream {
            vendored, record, ..
        } = spec.source
        {
            let bytes = std::fs::read(root.join(vendored))?;
            let entry = SourceRecord::read(&root.join(record))?;
            let actual = sha256_hex(&bytes);
            if entry.sha256 != actual || entry.size != bytes.len() as u64 {
                problems.push(Problem {
                    file: vendored.to_string(),
                    message: format!(
                        "{vendored} does not match its record {record}: sha256 {actual} ({} bytes) on disk, {} ({} bytes) recorded.\n\
                         The vendored spec must stay byte for byte as fetched: put corrections in the overlay, \
                         and vendor a new upstream version with `cargo xtask fetch`.",
                        bytes.len(),
                        entry.sha256,
                        entry.size
                    ),
                });
            }
        }
        let expected = spec.render(root)?;
        let committed = std::fs::read_to_string(root.join(spec.generated)).unwrap_or_default();
        if committed != expected {
            let diff = TextDiff::from_lines(&committed, &expected)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{} (committed)", spec.generated),
                    &format!("{} (regenerated)", spec.generated),
                )
                .to_string();
            problems.push(Problem {
                file: spec.generated.to_string(),
                message: format!(
                    "{} is stale: run `cargo xtask regen` and review the snapshot diff (`cargo insta review`).\n{diff}",
                    spec.generated
                ),
            });
        }
    }
    Ok(problems)
}
