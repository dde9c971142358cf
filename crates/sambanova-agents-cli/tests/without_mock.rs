//! A binary built without the `mock` feature has no server inside, and says so when asked for
//! one. Run with `cargo test -p sambanova-agents-cli --no-default-features --test without_mock`
//! (CI does); with the default features this file is empty.
#![cfg(not(feature = "mock"))]

use assert_cmd::Command;

fn refused(args: &[&str]) -> String {
    let output = Command::cargo_bin("sambanova-agents")
        .expect("binary is built")
        .env_remove("SAMBANOVA_API_KEY")
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "a usage error: {output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn the_mock_flag_says_the_mock_is_not_built_in() {
    let stderr = refused(&["--mock", "research", "AI accelerator market", "--yes"]);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("built without the embedded mock server"),
        "{stderr}"
    );
    assert!(stderr.contains("`mock`"), "names the feature: {stderr}");
}

#[test]
fn the_mock_command_says_the_mock_is_not_built_in() {
    let stderr = refused(&["mock", "--bind", "127.0.0.1:0"]);
    assert!(
        stderr.contains("built without the embedded mock server"),
        "{stderr}"
    );
}
