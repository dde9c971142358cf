//! `agent` and `login` run as the built binary against the mock's agent-stream backend.

mod common;

use common::{Mock, bin, single_error_line, stdout_json};
use predicates::prelude::*;

#[test]
fn agent_on_the_embedded_mock_streams_text_and_tools() {
    bin()
        .args(["--mock", "agent", "hello"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "[tool bash] {\"command\":\"echo hi\"}\n[result] hi\n",
        ))
        .stdout(predicate::str::contains("Echo: hello"))
        .stderr(predicate::str::contains("continue with --thread"));
}

#[test]
fn agent_json_is_one_document_with_the_answer() {
    let output = bin()
        .args(["--mock", "--json", "agent", "hello", "--thread", "t-42"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["text"], "Echo: hello");
    assert_eq!(doc["thread_id"], "t-42");
    assert!(doc["sandbox_id"].is_string());
}

#[test]
fn login_with_a_password_stores_a_token_the_agent_then_uses() {
    let mock = Mock::start();
    let config = tempfile::tempdir().expect("tempdir");
    let output = mock
        .root_cli()
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .args(["--json", "login", "--username", "demo"])
        .write_stdin("demo\n")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let path = stdout_json(&output)["token_path"]
        .as_str()
        .expect("token_path")
        .to_owned();
    let token = std::fs::read_to_string(&path).expect("stored");
    assert!(token.trim().len() > 20, "a JWT");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(token.trim()),
        "the token is never printed"
    );
    mock.root_cli()
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .args(["agent", "with the stored token"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Echo: with the stored token"));
}

#[test]
fn a_wrong_password_exits_3_and_says_to_log_in() {
    let mock = Mock::start();
    let config = tempfile::tempdir().expect("tempdir");
    let output = mock
        .root_cli()
        .env("XDG_CONFIG_HOME", config.path())
        .args(["login", "--username", "demo"])
        .write_stdin("not-the-password\n")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let line = single_error_line(&output);
    assert!(line.contains("authentication failed (401)"), "{line}");
    assert!(line.contains("sambanova-agents login"), "{line}");
    assert!(!line.contains("not-the-password"));
}

#[test]
fn agent_without_any_login_exits_3() {
    let mock = Mock::start();
    let config = tempfile::tempdir().expect("tempdir");
    let output = mock
        .root_cli()
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .args(["agent", "hi"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    assert!(single_error_line(&output).contains("not logged in"));
}

#[test]
fn a_refused_token_file_exits_3() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "expired-or-forged\n").expect("write");
    let output = mock
        .root_cli()
        .args(["agent", "hi", "--token-file"])
        .arg(&token_file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let line = single_error_line(&output);
    assert!(!line.contains("expired-or-forged"));
}

#[test]
fn environment_credentials_need_no_login() {
    let mock = Mock::start();
    let config = tempfile::tempdir().expect("tempdir");
    mock.root_cli()
        .env("XDG_CONFIG_HOME", config.path())
        .env("SAMBANOVA_AGENT_STREAM_USERNAME", "demo")
        .env("SAMBANOVA_AGENT_STREAM_PASSWORD", "demo")
        .args(["agent", "from env"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Echo: from env"));
}
