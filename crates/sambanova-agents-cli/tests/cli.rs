//! Runs the built binary: grammar, help snapshots, completions, exit codes.

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("sambanova-agents").expect("binary is built");
    // A key in the developer's environment must not leak into snapshots.
    cmd.env_remove("SAMBANOVA_API_KEY");
    cmd
}

fn help_of(args: &[&str]) -> String {
    let out = bin().args(args).arg("--help").output().expect("runs");
    assert!(out.status.success(), "--help for {args:?} failed");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn top_level_help_documents_exit_codes_and_examples() {
    let help = help_of(&[]);
    assert!(help.contains("Exit codes:"));
    assert!(help.contains("3  authentication failed"));
    assert!(help.contains("--mock research"));
    insta::assert_snapshot!("help_top", help);
}

#[test]
fn every_subcommand_help_is_snapshotted() {
    let commands: &[&[&str]] = &[
        &["research"],
        &["code"],
        &["main"],
        &["finance"],
        &["datascience"],
        &["files"],
        &["files", "get"],
        &["sessions"],
        &["sessions", "create"],
        &["sessions", "list"],
        &["sessions", "get"],
        &["sessions", "send"],
        &["sessions", "interrupt"],
        &["sessions", "stream"],
        &["sessions", "attach"],
        &["sessions", "permissions"],
        &["sessions", "respond"],
        &["sessions", "answer"],
        &["sandboxes"],
        &["sandboxes", "list"],
        &["sandboxes", "create"],
        &["sandboxes", "get"],
        &["sandboxes", "delete"],
        &["agent"],
        &["chat"],
        &["login"],
        &["mock"],
        &["completions"],
    ];
    for args in commands {
        let name = format!("help_{}", args.join("_"));
        insta::assert_snapshot!(name, help_of(args));
    }
}

#[test]
fn usage_error_exits_2() {
    bin().arg("no-such-command").assert().code(2);
    bin().arg("research").assert().code(2); // missing PROMPT
    bin()
        .args(["--timeout", "soon", "finance", "x"])
        .assert()
        .code(2);
    bin()
        .args(["--timeout", "0", "finance", "x"])
        .assert()
        .code(2);
    bin()
        .args(["--base-url", "localhost:8080", "finance", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("http:// or https://"));
    bin()
        .args(["--base-url", "http://", "finance", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no host"));
}

#[test]
fn api_key_is_never_echoed_in_usage_errors() {
    bin()
        .args(["--api-key", "sk-very-secret", "research"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sk-very-secret").not())
        .stdout(predicate::str::contains("sk-very-secret").not());
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        bin()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("sambanova-agents"));
    }
    bin().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn login_stores_token_privately_and_never_prints_it() {
    let config = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .args(["--json", "login"])
        .write_stdin("tok-super-secret\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(!stdout.contains("tok-super-secret") && !stderr.contains("tok-super-secret"));
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout is one JSON document");
    let path = std::path::PathBuf::from(doc["token_path"].as_str().expect("token_path"));
    assert!(path.starts_with(config.path()));
    assert_eq!(
        std::fs::read_to_string(&path).expect("stored"),
        "tok-super-secret\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn login_with_empty_input_fails_clearly() {
    let config = tempfile::tempdir().expect("tempdir");
    bin()
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .arg("login")
        .write_stdin("\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the token is empty"));
}

#[test]
fn mock_command_serves_and_prints_its_base_url() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args(["mock", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("reads the first line");
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .map(str::to_owned);
    // The server is up once it has printed its URL, so connecting must work.
    let reachable = url.as_deref().map(|url| {
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let addr = addr.split('/').next().unwrap_or(addr);
        std::net::TcpStream::connect(addr).is_ok()
    });
    child.kill().expect("stops the mock");
    child.wait().expect("reaped");
    assert!(url.is_some(), "no base URL in {line:?}");
    assert_eq!(reachable, Some(true), "mock not reachable at {url:?}");
}

#[test]
fn mock_command_prints_the_key_and_the_exports_for_another_process() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args(["mock", "--bind", "127.0.0.1:0", "--until-stdin-closes"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    // The banner is written before the mock waits for its stdin to close: closed at once, the
    // mock exits and its stdout ends after the banner.
    drop(child.stdin.take());
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let lines: Vec<String> = stdout.lines().map_while(Result::ok).collect();
    child.wait().expect("the mock ends with its stdin");
    let url = lines[0]
        .strip_prefix("mock server listening on ")
        .expect("the first line is unchanged");
    assert_eq!(lines[1], format!("agents API base URL: {url}/api"));
    let key = sambanova_agents_mock::TEST_API_KEY;
    for expected in [
        format!("export SAMBANOVA_BASE_URL='{url}/api'"),
        format!("export SAMBANOVA_API_KEY='{key}'"),
        format!("export SAMBANOVA_SESSIONS_URL='{url}'"),
        format!("export SAMBANOVA_AGENT_STREAM_URL='{url}'"),
        "export SAMBANOVA_AGENT_STREAM_USERNAME='demo'".to_owned(),
        "export SAMBANOVA_AGENT_STREAM_PASSWORD='demo'".to_owned(),
    ] {
        assert!(lines.contains(&expected), "{expected} in {lines:#?}");
    }
    assert!(
        lines
            .iter()
            .any(|line| line.contains(key) && !line.starts_with("export")),
        "the key is said in words too: {lines:#?}"
    );
}

#[test]
fn mock_command_with_json_prints_one_document() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args(["--json", "mock", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("reads the first line");
    child.kill().expect("stops the mock");
    child.wait().expect("reaped");
    let doc: serde_json::Value = serde_json::from_str(&line).expect("one JSON document");
    let url = doc["url"].as_str().expect("url");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(doc["agents_url"], format!("{url}/api"));
    assert_eq!(
        doc["environment"]["SAMBANOVA_BASE_URL"],
        format!("{url}/api")
    );
    assert_eq!(doc["environment"]["SAMBANOVA_SESSIONS_URL"], url);
    assert_eq!(
        doc["environment"]["SAMBANOVA_AGENT_STREAM_PASSWORD"],
        "demo"
    );
}
