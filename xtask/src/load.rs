//! Reading spec files: YAML or JSON, OpenAPI 3.0 or 3.1, into one JSON value.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// Reads an OpenAPI document from a YAML or JSON file (JSON is a subset of YAML,
/// so one parser serves both), keeping the key order of the file.
pub fn load_spec(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read spec file {}", path.display()))?;
    parse_spec(&text)
        .with_context(|| format!("{} is not a valid YAML or JSON document", path.display()))
}

/// Parses an OpenAPI document from YAML or JSON text.
pub fn parse_spec(text: &str) -> Result<Value> {
    let value: Value = serde_yaml_ng::from_str(text)?;
    anyhow::ensure!(value.is_object(), "the document is not a mapping");
    Ok(value)
}
