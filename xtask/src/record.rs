//! The record kept beside a vendored upstream spec: where it came from and what it was.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `spec/upstream/<name>.source.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// The URL or file the spec was fetched from.
    pub source: String,
    /// Hex SHA-256 of the vendored bytes.
    pub sha256: String,
    /// Size of the vendored file in bytes.
    pub size: u64,
    /// When it was fetched (RFC 3339, UTC).
    pub fetched_at: String,
}

impl SourceRecord {
    /// A record for `bytes` fetched now from `source`.
    pub fn new(source: &str, bytes: &[u8]) -> Self {
        SourceRecord {
            source: source.to_string(),
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
            fetched_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// Reads a record file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid record", path.display()))
    }

    /// Writes the record as pretty JSON with a final newline.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
