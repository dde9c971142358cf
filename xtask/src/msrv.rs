//! `cargo xtask msrv`: the declared `rust-version` is not lower than any dependency's.
//!
//! Only one toolchain is installed here, so the MSRV cannot be proven by building with it.
//! Two checks stand in: this one (every package in the locked dependency graph declares a
//! `rust-version` at most ours, so none needs a newer compiler) and clippy's
//! `incompatible_msrv` lint, which honours `rust-version` and flags standard library items
//! stabilised after it.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A Rust version, `1.88` or `1.88.0` (a missing patch counts as 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RustVersion(u64, u64, u64);

impl RustVersion {
    /// Parses `MAJOR.MINOR[.PATCH]`.
    pub fn parse(text: &str) -> Option<RustVersion> {
        let mut parts = text.trim().split('.').map(|p| p.parse::<u64>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().unwrap_or(Some(0))?;
        parts
            .next()
            .is_none()
            .then_some(RustVersion(major, minor, patch))
    }
}

/// A dependency that needs a newer Rust than the workspace declares.
#[derive(Debug, PartialEq, Eq)]
pub struct TooNew {
    /// `name version`.
    pub package: String,
    /// Its `rust-version`.
    pub needs: String,
}

/// The workspace's `rust-version`, and the locked dependencies (of every target and platform)
/// that declare a higher one. Reads `cargo metadata` of the workspace at `root`.
pub fn check(root: &Path) -> Result<(String, usize, Vec<TooNew>)> {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("cargo metadata printed no JSON")?;
    too_new(&metadata)
}

/// [`check`] on parsed `cargo metadata` output.
pub fn too_new(metadata: &Value) -> Result<(String, usize, Vec<TooNew>)> {
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .context("no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = metadata["packages"].as_array().context("no packages")?;
    let ours = packages
        .iter()
        .filter(|p| members.contains(&p["id"].as_str().unwrap_or_default()))
        .filter_map(|p| p["rust_version"].as_str())
        .min_by_key(|v| RustVersion::parse(v))
        .context("no workspace member declares a rust-version")?
        .to_owned();
    let limit =
        RustVersion::parse(&ours).context("the workspace's rust-version is not a version")?;
    let resolved: Vec<&str> = metadata["resolve"]["nodes"]
        .as_array()
        .context("no resolve graph")?
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let mut problems = Vec::new();
    for package in packages {
        if !resolved.contains(&package["id"].as_str().unwrap_or_default()) {
            continue;
        }
        let Some(needs) = package["rust_version"].as_str() else {
            continue;
        };
        if RustVersion::parse(needs).is_none_or(|needs| needs > limit) {
            problems.push(TooNew {
                package: format!("{} {}", package["name"], package["version"]).replace('"', ""),
                needs: needs.to_owned(),
            });
        }
    }
    Ok((ours, resolved.len(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_with_or_without_a_patch() {
        assert_eq!(RustVersion::parse("1.88"), RustVersion::parse("1.88.0"));
        assert!(RustVersion::parse("1.89") > RustVersion::parse("1.88.9"));
        for odd in ["", "1", "1.x", "1.88.0.1", "v1.88"] {
            assert_eq!(RustVersion::parse(odd), None, "{odd}");
        }
    }

    #[test]
    fn a_dependency_that_needs_a_newer_rust_is_named() {
        let metadata = serde_json::json!({
            "workspace_members": ["ours"],
            "packages": [
                {"id": "ours", "name": "ours", "version": "0.1.0", "rust_version": "1.88"},
                {"id": "old", "name": "old", "version": "1.0.0", "rust_version": "1.70"},
                {"id": "none", "name": "none", "version": "1.0.0", "rust_version": null},
                {"id": "new", "name": "new", "version": "2.0.0", "rust_version": "1.90"},
                {"id": "unused", "name": "unused", "version": "3.0.0", "rust_version": "1.99"}
            ],
            "resolve": {"nodes": [{"id": "ours"}, {"id": "old"}, {"id": "none"}, {"id": "new"}]}
        });
        let (ours, count, problems) = too_new(&metadata).unwrap();
        assert_eq!((ours.as_str(), count), ("1.88", 4));
        assert_eq!(
            problems,
            vec![TooNew {
                package: "new 2.0.0".into(),
                needs: "1.90".into()
            }]
        );
    }
}
