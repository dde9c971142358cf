//! `sessions …` run as the built binary against the mock's Sessions API: the resources, the
//! live stream (typed, raw, once, to the end of a turn, stopped by Ctrl-C), keys and errors.

mod common;

use std::io::BufRead;
use std::process::Stdio;

use common::{Mock, bin, single_error_line, stdout_json};
use predicates::prelude::*;
use sambanova_agents_mock::{DEMO_SANDBOX_ID, Fault, FaultRule, MockServer};
use serde_json::Value;

fn create_session(mock: &Mock) -> String {
    let output = mock
        .root_cli()
        .args(["sessions", "create", DEMO_SANDBOX_ID])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let id = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert_eq!(id.len(), 36, "the session id alone on stdout: {id:?}");
    id
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON document"))
        .collect()
}

#[test]
fn create_list_and_get() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let listed = mock
        .root_cli()
        .args(["--json", "sessions", "list", DEMO_SANDBOX_ID])
        .output()
        .expect("runs");
    let sessions = stdout_json(&listed);
    assert!(
        sessions
            .as_array()
            .expect("an array")
            .iter()
            .any(|session| session["id"] == sid.as_str())
    );
    mock.root_cli()
        .args(["sessions", "list", DEMO_SANDBOX_ID])
        .assert()
        .success()
        .stdout(predicate::str::contains(&sid));
    let got = mock
        .root_cli()
        .args(["--json", "sessions", "get", &sid])
        .output()
        .expect("runs");
    let details = stdout_json(&got);
    assert_eq!(details["id"], sid.as_str());
    assert_eq!(details["sandbox_id"], DEMO_SANDBOX_ID);
    assert!(details["messages"].is_array());
}

#[test]
fn send_follow_streams_text_tools_and_results_until_the_turn_ends() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args(["sessions", "send", &sid, "hello there", "--follow"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(stdout.contains("Echo: hello there"), "{stdout}");
    assert!(
        stdout.contains("\n[tool Bash] {\"command\":\"echo done\"}\n"),
        "tool calls on their own line, with their input: {stdout}"
    );
    assert!(stdout.contains("\n[result] done\n"), "{stdout}");
    // The reply is stored: `get` shows it.
    mock.root_cli()
        .args(["sessions", "get", &sid])
        .assert()
        .success()
        .stdout(predicate::str::contains("[assistant]"));
}

#[test]
fn send_follow_json_is_one_event_document_a_line() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args(["--json", "sessions", "send", &sid, "hi", "--follow"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let events = json_lines(&output.stdout);
    assert!(
        events
            .iter()
            .any(|event| event["event_type"] == "text_delta")
    );
    assert_eq!(
        events.last().expect("events")["event_type"],
        "session_completed"
    );
}

#[test]
fn a_failed_turn_exits_4() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args(["sessions", "send", &sid, "#error", "--follow"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4));
    assert!(single_error_line(&output).contains("the agent's turn failed: scripted error"));
}

#[test]
fn send_then_stream_to_the_end_of_the_turn() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    mock.root_cli()
        .args(["sessions", "send", &sid, "later"])
        .assert()
        .success();
    mock.root_cli()
        .args(["sessions", "stream", &sid, "--turn"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Echo: later"));
}

#[test]
fn attach_after_send_shows_the_turn_from_its_start_to_its_end() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let sent = mock
        .root_cli()
        .args(["sessions", "send", &sid, "later"])
        .output()
        .expect("runs");
    assert!(sent.status.success(), "{sent:?}");
    assert!(
        String::from_utf8_lossy(&sent.stderr)
            .contains(&format!("sambanova-agents sessions attach {sid}")),
        "send says how to attach: {sent:?}"
    );
    let output = mock
        .root_cli()
        .args(["sessions", "attach", &sid])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.starts_with("Echo: later"),
        "from the start: {stdout}"
    );
    assert!(stdout.contains("\n[result] done\n"), "{stdout}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).lines().last(),
        Some("[turn completed]")
    );
    // A second attach shows the same (last) turn again: attaching changes nothing.
    mock.root_cli()
        .args(["sessions", "attach", &sid])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Echo: later"));
}

#[test]
fn attach_answers_and_exits_like_send_follow() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    mock.root_cli()
        .args(["sessions", "send", &sid, "#permission"])
        .assert()
        .success();
    // In a script with no answer for the permission: exit 7, and the turn still waits.
    let waiting = mock
        .root_cli()
        .args(["sessions", "attach", &sid])
        .write_stdin("")
        .output()
        .expect("runs");
    assert_eq!(waiting.status.code(), Some(7), "{waiting:?}");
    assert!(
        single_error_line(&waiting).contains("--approve-tools or --deny-tools"),
        "{waiting:?}"
    );
    let approved = mock
        .root_cli()
        .args(["sessions", "attach", &sid, "--approve-tools"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(approved.status.success(), "{approved:?}");
    let stdout = String::from_utf8(approved.stdout).expect("utf-8");
    assert!(stdout.contains("[permission] Bash allowed\n"), "{stdout}");
    assert!(stdout.contains("[result] done\n"), "{stdout}");

    // A failed turn exits 4, as with send --follow.
    mock.root_cli()
        .args(["sessions", "send", &sid, "#error"])
        .assert()
        .success();
    let failed = mock
        .root_cli()
        .args(["sessions", "attach", &sid])
        .output()
        .expect("runs");
    assert_eq!(failed.status.code(), Some(4), "{failed:?}");
    assert!(single_error_line(&failed).contains("the agent's turn failed: scripted error"));
}

#[test]
fn raw_once_prints_each_event_as_received_and_exits_0_when_the_server_ends() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    mock.root_cli()
        .args(["sessions", "send", &sid, "hi", "--follow"])
        .assert()
        .success();
    let path = format!("/api/v1/sessions/{sid}/stream");
    mock.server.faults().add(FaultRule::new(
        "GET",
        &path,
        Fault::CloseStreamAfter { events: 3 },
    ));
    let connections_before = mock.requests("GET", &path);
    let output = mock
        .root_cli()
        .args(["sessions", "stream", &sid, "--raw", "--once"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        let object = line.as_object().expect("an object");
        assert_eq!(object.len(), 3, "event, data, id: {line}");
        // `data` is the server's text, untouched; its envelope names the same id.
        let data: Value =
            serde_json::from_str(line["data"].as_str().expect("data is a string")).expect("json");
        assert_eq!(data["id"], line["id"]);
        assert_eq!(data["event_type"], line["event"]);
    }
    assert_eq!(
        mock.requests("GET", &path),
        connections_before + 1,
        "--once never reconnects"
    );
}

#[test]
fn raw_stream_of_any_url() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let path = format!("/api/v1/sessions/{sid}/stream");
    mock.server.faults().add(FaultRule::new(
        "GET",
        &path,
        Fault::CloseStreamAfter { events: 1 },
    ));
    let output = bin()
        .args([
            "sessions",
            "stream",
            &format!("{}{path}", mock.server.url()),
            "--raw",
            "--once",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"], "session_created");
}

#[test]
fn once_without_raw_shows_the_typed_events() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    mock.root_cli()
        .args(["sessions", "send", &sid, "typed", "--follow"])
        .assert()
        .success();
    // The server ends the stream right after the buffered turn: as many events as it holds.
    let buffered = mock
        .root_cli()
        .args(["sessions", "stream", &sid, "--raw", "--turn"])
        .output()
        .expect("runs");
    let events = json_lines(&buffered.stdout).len();
    mock.server.faults().add(FaultRule::new(
        "GET",
        &format!("/api/v1/sessions/{sid}/stream"),
        Fault::CloseStreamAfter { events },
    ));
    mock.root_cli()
        .args(["sessions", "stream", &sid, "--once"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Echo: typed"))
        .stdout(predicate::str::contains("[result] done"));
}

#[test]
fn ctrl_c_stops_a_live_stream_cleanly() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args([
            "--base-url",
            &mock.server.url(),
            "sessions",
            "stream",
            &sid,
            "--raw",
        ])
        .env_remove("SAMBANOVA_SESSIONS_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    // The replayed `session_created` arrives once the stream is live (and Ctrl-C handled).
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("reads");
    assert!(first.contains("session_created"), "{first}");
    let pid = child.id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert_eq!(stderr.trim(), "stopped");
}

#[test]
fn interrupt_answers_json() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args(["--json", "sessions", "interrupt", &sid])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout_json(&output)["status"], "interrupted");
}

#[test]
fn unknown_session_exits_4_saying_what_to_check() {
    let mock = Mock::start();
    let unknown = "00000000-0000-4000-8000-000000000000";
    for args in [
        vec!["sessions", "get", unknown],
        vec!["sessions", "stream", unknown, "--raw", "--once"],
        vec!["sessions", "stream", unknown],
    ] {
        let output = mock.root_cli().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(4), "{args:?}: {output:?}");
        let line = single_error_line(&output);
        assert!(line.contains("not found (404)"), "{line}");
        assert!(line.contains("check the session or sandbox id"), "{line}");
    }
}

#[test]
fn a_sessions_key_is_sent_only_when_given_for_it() {
    let key = "sessions-secret";
    let mock = Mock::start_with(MockServer::builder().sessions_api_key(Some(key.to_owned())));
    // The SambaNova key of the environment is not the sessions server's: never sent there.
    let refused = mock
        .root_cli()
        .env("SAMBANOVA_API_KEY", key)
        .args(["sessions", "list", DEMO_SANDBOX_ID])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(3));
    let line = single_error_line(&refused);
    assert!(line.contains("SAMBANOVA_SESSIONS_API_KEY"), "{line}");
    assert!(!line.contains(key));
    mock.root_cli()
        .args(["--api-key", key, "sessions", "list", DEMO_SANDBOX_ID])
        .assert()
        .success();
    mock.root_cli()
        .env("SAMBANOVA_SESSIONS_API_KEY", key)
        .args(["sessions", "list", DEMO_SANDBOX_ID])
        .assert()
        .success();
}

#[test]
fn unreachable_sessions_server_exits_5() {
    let url = common::refusing_url();
    for args in [
        vec!["sessions", "list", DEMO_SANDBOX_ID],
        vec!["sessions", "stream", "sid", "--raw"],
    ] {
        let output = bin()
            .args(["--base-url", &url])
            .args(&args)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(5), "{args:?}: {output:?}");
        single_error_line(&output);
    }
}

#[test]
fn embedded_mock_serves_sessions() {
    bin()
        .args(["--mock", "sessions", "create", DEMO_SANDBOX_ID])
        .assert()
        .success()
        .stdout(predicate::str::is_match("^[0-9a-f-]{36}\n$").expect("regex"));
}

#[test]
fn raw_stream_resumes_after_the_server_closes_it_without_repeating_events() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    mock.root_cli()
        .args(["sessions", "send", &sid, "resume me", "--follow"])
        .assert()
        .success();
    let ids = |output: &std::process::Output| -> Vec<Value> {
        json_lines(&output.stdout)
            .into_iter()
            .map(|line| line["id"].clone())
            .collect()
    };
    let whole = mock
        .root_cli()
        .args(["sessions", "stream", &sid, "--raw", "--turn"])
        .output()
        .expect("runs");
    assert!(whole.status.success(), "{whole:?}");
    let path = format!("/api/v1/sessions/{sid}/stream");
    mock.server
        .faults()
        .add(FaultRule::new("GET", &path, Fault::CloseStreamAfter { events: 2 }).times(1));
    let connections_before = mock.requests("GET", &path);
    let resumed = mock
        .root_cli()
        .args(["sessions", "stream", &sid, "--raw", "--turn"])
        .output()
        .expect("runs");
    assert!(resumed.status.success(), "{resumed:?}");
    assert_eq!(ids(&resumed), ids(&whole), "each event once, in order");
    assert_eq!(mock.requests("GET", &path), connections_before + 2);
}
