//! The real `xtask drift` binary: its exit status (0 no breaking change, 1 breaking, 2 error)
//! and that an error names the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn history(version: &str) -> PathBuf {
    let directory =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/upstream-history");
    std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(version))
        })
        .unwrap_or_else(|| panic!("no {version} in {}", directory.display()))
}

fn drift(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("drift")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cosmetic_history_step_exits_0_with_a_summary() {
    let output = drift(&[&history("v6-"), &history("v7-")]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.ends_with("0 breaking, 0 non-breaking, 10 cosmetic\n"),
        "{stdout}"
    );
}

#[test]
fn breaking_change_exits_1() {
    let old = history("v7-");
    let trimmed = std::fs::read_to_string(&old)
        .unwrap()
        .replace("  /agent/coding:\n", "  /agent/coding-v2:\n");
    // Cargo's scratch directory for integration tests; the name is unique to this test.
    let new = Path::new(env!("CARGO_TARGET_TMPDIR")).join("drift-breaking-change-exits-1.yaml");
    std::fs::write(&new, trimmed).unwrap();
    let output = drift(&[&old, &new]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("breaking  operation-removed  POST /agent/coding: operation removed\n"),
        "{stdout}"
    );
}

#[test]
fn json_output_parses() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["drift", "--json"])
        .args([history("v3-"), history("v4-")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["cosmetic"], 1);
    assert_eq!(report["changes"][0]["class"], "cosmetic");
}

#[test]
fn missing_file_exits_2_naming_it() {
    let output = drift(&[&history("v1-"), Path::new("no-such-spec.yaml")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no-such-spec.yaml"), "{stderr}");
}

#[test]
fn missing_argument_is_a_usage_error() {
    let output = drift(&[&history("v1-")]);
    assert_eq!(output.status.code(), Some(2));
}
