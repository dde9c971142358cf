//! From nothing to a finished, tool-using turn with the CLI alone, run as the built binary
//! against the mock's Sessions API: sandboxes, permission modes, the answers a followed turn
//! waits for (at a terminal through a pseudo-terminal, and in scripts through the flags), answers
//! given from another shell, and how a turn ends (completed, denied, crashed, interrupted).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;

use common::{Mock, Next, bin, single_error_line, stderr_of, stdout_json};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};
use serde_json::Value;

fn create_session(mock: &Mock) -> String {
    let output = mock
        .root_cli()
        .args(["sessions", "create", DEMO_SANDBOX_ID])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

/// The request id an exit-7 error names (`… (request ID) …`).
fn request_id_in(error: &str) -> String {
    let (_, rest) = error.split_once("(request ").expect("names the request");
    rest.split(')').next().expect("closes").to_owned()
}

#[test]
fn a_sandbox_is_created_under_its_real_id_listed_read_and_deleted() {
    let mock = Mock::start();
    let created = mock
        .root_cli()
        .args(["sandboxes", "create", "--name", "demo-box"])
        .output()
        .expect("runs");
    assert!(created.status.success(), "{created:?}");
    let id = stdout_of(&created).trim().to_owned();
    assert_eq!(id.len(), 36, "the real id alone on stdout: {id:?}");
    assert!(stderr_of(&created).contains(&format!("sessions create {id}")));

    let listed = mock
        .root_cli()
        .args(["--json", "sandboxes", "list"])
        .output()
        .expect("runs");
    let sandboxes = stdout_json(&listed);
    let mine: Vec<&Value> = sandboxes
        .as_array()
        .expect("an array")
        .iter()
        .filter(|sandbox| sandbox["name"] == "demo-box")
        .collect();
    assert_eq!(mine.len(), 1, "the placeholder is not listed: {sandboxes}");
    assert_eq!(mine[0]["id"], id.as_str());
    assert_eq!(mine[0]["state"], "running");

    let table = mock
        .root_cli()
        .args(["sandboxes", "list"])
        .output()
        .expect("runs");
    assert!(stdout_of(&table).contains(&format!("{id}  running      demo-box")));
    let got = mock
        .root_cli()
        .args(["sandboxes", "get", &id])
        .output()
        .expect("runs");
    assert!(stdout_of(&got).starts_with(&format!("sandbox {id} (running)\nname: demo-box")));

    // A session runs in it.
    mock.root_cli()
        .args(["sessions", "create", &id])
        .assert()
        .success();
    let json_create = mock
        .root_cli()
        .args(["--json", "sandboxes", "create"])
        .output()
        .expect("runs");
    let other = stdout_json(&json_create);
    assert_eq!(other["state"], "running");
    let other_id = other["id"].as_str().expect("an id").to_owned();

    let deleted = mock
        .root_cli()
        .args(["--json", "sandboxes", "delete", &other_id])
        .output()
        .expect("runs");
    assert_eq!(stdout_json(&deleted)["id"], other_id.as_str());
    let gone = mock
        .root_cli()
        .args(["sandboxes", "get", &other_id])
        .output()
        .expect("runs");
    assert_eq!(gone.status.code(), Some(4));
    assert!(single_error_line(&gone).contains("not found (404)"));

    // One with a session: the server fails after removing it, and the CLI says why.
    let failed = mock
        .root_cli()
        .args(["sandboxes", "delete", &id])
        .output()
        .expect("runs");
    assert_eq!(failed.status.code(), Some(4), "{failed:?}");
    assert!(stderr_of(&failed).contains("a sandbox that still has sessions"));
}

#[test]
fn the_permission_mode_is_set_by_its_server_name() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args(["--json", "sessions", "permissions", &sid, "approve_edits"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout_json(&output)["mode"], "approve_edits");
    mock.root_cli()
        .args(["sessions", "permissions", &sid, "approve-all"])
        .assert()
        .code(2);
}

#[test]
fn approve_tools_lets_the_tool_run_and_the_turn_complete() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args([
            "sessions",
            "send",
            &sid,
            "#permission",
            "--follow",
            "--approve-tools",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    let order = [
        "[tool Bash] {\"command\":\"echo done\"}\n",
        "[permission] Bash waits for approval (request ",
        "[permission] Bash allowed\n",
        "[result] done\n",
        "Done.",
    ];
    let mut at = 0;
    for expected in order {
        let found = stdout[at..]
            .find(expected)
            .unwrap_or_else(|| panic!("{expected:?} after {at} in {stdout}"));
        at += found + expected.len();
    }
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("allowing Bash (--approve-tools)"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().last(), Some("[turn completed]"));
}

#[test]
fn deny_tools_stops_the_turn_without_a_result() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let output = mock
        .root_cli()
        .args([
            "sessions",
            "send",
            &sid,
            "#permission",
            "--follow",
            "--deny-tools",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let stdout = stdout_of(&output);
    assert!(stdout.contains("[permission] Bash denied\n"), "{stdout}");
    assert!(!stdout.contains("[result]"), "the tool never ran: {stdout}");
    let stderr = stderr_of(&output);
    assert_eq!(
        stderr.lines().last(),
        Some("error: the turn ended without a result: the agent stopped after Bash was denied")
    );
    assert!(!stderr.contains("[turn completed]"));
}

#[test]
fn in_a_script_without_flags_a_permission_stops_with_exit_7_and_another_shell_answers() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let stopped = mock
        .root_cli()
        .args(["sessions", "send", &sid, "#permission", "--follow"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert_eq!(stopped.status.code(), Some(7), "{stopped:?}");
    let error = single_error_line(&stopped);
    assert!(error.contains("stdin is not a terminal"), "{error}");
    assert!(error.contains("--approve-tools or --deny-tools"), "{error}");
    let rid = request_id_in(&error);
    assert!(
        error.contains(&format!(
            "sambanova-agents sessions respond {sid} {rid} allow|deny"
        )),
        "{error}"
    );
    // The turn still waits: answered from here, it goes on.
    let answered = mock
        .root_cli()
        .args(["--json", "sessions", "respond", &sid, &rid, "allow"])
        .output()
        .expect("runs");
    assert!(answered.status.success(), "{answered:?}");
    assert_eq!(stdout_json(&answered)["approved"], true);
    // Following the turn again: the request in the replay was answered, so nothing asks.
    let rest = mock
        .root_cli()
        .args(["sessions", "stream", &sid, "--turn"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(rest.status.success(), "{rest:?}");
    assert!(stdout_of(&rest).contains("[result] done"));
    assert_eq!(stderr_of(&rest).lines().last(), Some("[turn completed]"));
    // Answered once: answering again is the server's conflict, one line, exit 4.
    let again = mock
        .root_cli()
        .args(["sessions", "respond", &sid, &rid, "deny"])
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(4));
    assert!(single_error_line(&again).contains("no pending permission request"));
}

#[test]
fn in_a_script_a_question_stops_with_exit_7_and_is_answered_from_another_shell() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let stopped = mock
        .root_cli()
        .args([
            "sessions",
            "send",
            &sid,
            "#question",
            "--follow",
            "--approve-tools",
        ])
        .write_stdin("")
        .output()
        .expect("runs");
    assert_eq!(stopped.status.code(), Some(7), "{stopped:?}");
    assert!(stdout_of(&stopped).contains("[question] Which file should I write?"));
    assert!(stdout_of(&stopped).contains("  1. hello.py (a Python script)\n"));
    let error = single_error_line(&stopped);
    let rid = request_id_in(&error);
    assert!(
        error.contains(&format!(
            "sambanova-agents sessions answer {sid} {rid} TEXT"
        )),
        "{error}"
    );
    mock.root_cli()
        .args(["sessions", "answer", &sid, &rid, "hello.rs"])
        .assert()
        .success();
    let rest = mock
        .root_cli()
        .args(["sessions", "stream", &sid, "--turn"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(rest.status.success(), "{rest:?}");
    assert!(stdout_of(&rest).contains("You answered: hello.rs."));
}

#[test]
fn the_flags_answer_a_followed_turn_only() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    for args in [
        vec!["sessions", "send", &sid, "x", "--approve-tools"],
        vec!["sessions", "stream", &sid, "--deny-tools"],
        vec![
            "sessions",
            "send",
            &sid,
            "x",
            "--follow",
            "--approve-tools",
            "--deny-tools",
        ],
    ] {
        let output = mock.root_cli().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}

#[test]
fn a_crash_ends_the_turn_without_a_result_and_says_what_the_server_stored() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    for args in [
        vec!["sessions", "send", &sid, "#crash", "--follow"],
        vec!["sessions", "stream", &sid, "--turn"],
        vec!["sessions", "stream", &sid, "--turn", "--raw"],
    ] {
        let output = mock.root_cli().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(4), "{args:?}: {output:?}");
        let stderr = stderr_of(&output);
        assert_eq!(
            stderr.lines().last(),
            Some(
                "error: the turn ended without a result: the agent crashed: exit code 3 (mock agent crashed)"
            ),
            "{args:?}"
        );
        assert!(!stderr.contains("[turn completed]"), "{stderr}");
    }
}

/// Runs `args` against the mock, waits for the turn's first text on stdout (Ctrl-C is
/// handled by then), sends Ctrl-C, and gives back how the command ended.
fn ctrl_c_after_the_first_text(mock: &Mock, args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args(["--base-url", &mock.server.url()])
        .args(args)
        .env_remove("SAMBANOVA_SESSIONS_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = [0u8; 6];
    stdout.read_exact(&mut first).expect("reads");
    assert_eq!(&first, b"Echo: ");
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    child.wait_with_output().expect("exits")
}

#[test]
fn ctrl_c_interrupts_the_turn_send_follow_started() {
    let mock = Mock::start_with(MockServer::builder().agent_delay(Duration::from_secs(3600)));
    let sid = create_session(&mock);
    let output = ctrl_c_after_the_first_text(
        &mock,
        &["sessions", "send", &sid, "a long task", "--follow"],
    );
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("[turn interrupted]"), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some("error: the turn was interrupted (Ctrl-C)")
    );
    // The server stopped the turn: the partial text is its stored reply.
    let got = mock
        .root_cli()
        .args(["--json", "sessions", "get", &sid])
        .output()
        .expect("runs");
    let details = stdout_json(&got);
    assert_eq!(details["state"], "active");
    assert_eq!(details["messages"][1]["content"][0]["text"], "Echo: ");
}

#[test]
fn ctrl_c_detaches_an_attach_and_the_turn_goes_on() {
    let mock = Mock::start_with(MockServer::builder().agent_delay(Duration::from_secs(3600)));
    let sid = create_session(&mock);
    mock.root_cli()
        .args(["sessions", "send", &sid, "a long task"])
        .assert()
        .success();
    // The turn's first text comes from its start.
    let output = ctrl_c_after_the_first_text(&mock, &["sessions", "attach", &sid]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.contains(&format!(
            "stopped watching; the turn goes on (`sambanova-agents sessions attach {sid}`"
        )),
        "{stderr}"
    );
    // Nothing interrupted it: the session still works on the turn.
    let got = mock
        .root_cli()
        .args(["--json", "sessions", "get", &sid])
        .output()
        .expect("runs");
    assert_eq!(stdout_json(&got)["state"], "processing");
    assert_eq!(
        mock.requests("POST", &format!("/api/v1/sessions/{sid}/interrupt")),
        0
    );
}

/// Runs the binary under a pseudo-terminal (util-linux `script`), typing `typed` at it.
fn at_a_terminal(mock: &Mock, command: &str, typed: &str) -> (Option<i32>, String) {
    let binary = assert_cmd::cargo::cargo_bin("sambanova-agents");
    let line = format!(
        "{} --base-url {} {command}",
        binary.display(),
        mock.server.url()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        // Typed ahead: the terminal keeps the lines until the command reads them.
        stdin.write_all(typed.as_bytes()).expect("types");
    }
    let mut transcript = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_to_string(&mut transcript)
        .expect("reads the terminal");
    let status = child.wait().expect("exits");
    (status.code(), transcript.replace("\r\n", "\n"))
}

#[test]
fn at_a_terminal_questions_and_permissions_are_asked_and_always_covers_the_turn() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let (code, transcript) = at_a_terminal(
        &mock,
        &format!("sessions send {sid} '#question #permission #permission' --follow"),
        "1\nmaybe\na\n",
    );
    assert_eq!(code, Some(0), "{transcript}");
    assert!(
        transcript.contains("answer (1-2 or text): "),
        "{transcript}"
    );
    assert!(
        transcript.contains("You answered: hello.py."),
        "{transcript}"
    );
    // A typo is asked again; `a` allows this call and the next one of the same tool.
    assert_eq!(
        transcript
            .matches("allow Bash? [y]es, [n]o, [a]lways this turn: ")
            .count(),
        2,
        "{transcript}"
    );
    assert!(
        transcript.contains("allowing Bash (always, for this turn)"),
        "{transcript}"
    );
    assert_eq!(
        transcript.matches("[permission] Bash allowed").count(),
        2,
        "{transcript}"
    );
    assert_eq!(
        transcript.matches("[result] done").count(),
        2,
        "{transcript}"
    );
    assert!(transcript.contains("[turn completed]"), "{transcript}");
}

#[test]
fn at_a_terminal_a_denial_ends_the_turn_and_stream_turn_asks_too() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let (code, transcript) = at_a_terminal(
        &mock,
        &format!("sessions send {sid} '#permission' --follow"),
        "n\n",
    );
    assert_eq!(code, Some(4), "{transcript}");
    assert!(
        transcript.contains("[permission] Bash denied"),
        "{transcript}"
    );
    assert!(
        transcript.contains("the agent stopped after Bash was denied"),
        "{transcript}"
    );

    // A turn sent from elsewhere is answered by whoever follows it.
    mock.root_cli()
        .args(["sessions", "send", &sid, "#permission again"])
        .assert()
        .success();
    let (code, transcript) = at_a_terminal(&mock, &format!("sessions stream {sid} --turn"), "y\n");
    assert_eq!(code, Some(0), "{transcript}");
    assert!(transcript.contains("allow Bash?"), "{transcript}");
    assert!(transcript.contains("[result] done"), "{transcript}");
    let mut lines = BufReader::new(transcript.as_bytes()).lines();
    assert!(lines.any(|line| line.expect("a line") == "[turn completed]"));
}

#[test]
fn input_ending_at_the_prompt_stops_with_exit_7() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    // End of input at the terminal (Ctrl-D) before any answer.
    let (code, transcript) = at_a_terminal(
        &mock,
        &format!("sessions send {sid} '#permission' --follow"),
        "\u{4}",
    );
    assert_eq!(code, Some(7), "{transcript}");
    assert!(
        transcript.contains("input ended before Bash was allowed or denied"),
        "{transcript}"
    );
}

#[test]
fn the_binary_pointed_at_nothing_never_asks() {
    // Without a server the command fails before any prompt: exit 5, one line.
    let output = bin()
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "sessions",
            "send",
            "s",
            "x",
            "--follow",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    single_error_line(&output);
}

/// A loopback Sessions server that behaves like the real one where the mock does not: it
/// relays a tool call in pieces keyed by the content block's index with no
/// `tool_use_complete`, and marks the session `waiting_for_input` only after it sent the
/// permission request (the first look at the session still reads `processing`).
struct RealShapedServer {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RealShapedServer {
    fn start(sid: &'static str, request_id: &'static str) -> RealShapedServer {
        use std::io::Write;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let session_reads = AtomicUsize::new(0);
        let url = common::serve(move |request, socket| {
            let line = request.line().to_owned();
            seen.lock()
                .expect("lock")
                .push(format!("{line} {}", request.body_text()));
            let path = request.path();
            let answer = if path.starts_with(&format!("/api/v1/sessions/{sid}/stream")) {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";
                let _ = socket.write_all(head.as_bytes());
                for event in real_turn(sid, request_id) {
                    let _ = write!(socket, "{:x}\r\n{event}\r\n", event.len());
                }
                let _ = socket.flush();
                // The real server never ends a stream: wait for the client to leave.
                return Next::UntilClientLeaves;
            } else if path == format!("/api/v1/sessions/{sid}") {
                let reads = session_reads.fetch_add(1, Ordering::SeqCst);
                // Read 1 is the command finding the turn; read 2 races the server.
                let state = if reads < 2 {
                    "processing"
                } else {
                    "waiting_for_input"
                };
                serde_json::json!({"id": sid, "sandbox_id": "b", "state": state,
                    "metadata": {}, "created_at": "t", "updated_at": "t",
                    "messages": [{"id": "m1", "session_id": sid, "role": "user",
                        "content": [{"type": "text", "text": "look"}],
                        "timestamp": "2026-11-22T12:22:11.000000000Z"}]})
                .to_string()
            } else if path.contains("/permissions/r1/respond") {
                r#"{"approved":true,"status":"ok"}"#.to_owned()
            } else {
                r#"{"error":{"code":"not_found","message":"unexpected"}}"#.to_owned()
            };
            let _ = write!(
                socket,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                answer.len()
            );
            Next::Another
        });
        RealShapedServer { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

/// A turn as the real server relays a Claude agent's: text in block 0, the tool input in
/// block 1, in pieces, and no `tool_use_complete`.
fn real_turn(sid: &str, request_id: &str) -> Vec<String> {
    let events = [
        (
            "queue_updated",
            serde_json::json!({"queue": [{"id": "q", "prompt_text": "look", "queued_at": "t"}], "queue_length": 1}),
        ),
        (
            "connected",
            serde_json::json!({"cwd": "/w", "model": "m", "session_id": "c", "tools": ["Bash"]}),
        ),
        ("text_delta", serde_json::json!({"text": "Let me look."})),
        (
            "tool_use_start",
            serde_json::json!({"id": "toolu_1", "input": {}, "name": "Bash", "streaming": true}),
        ),
        (
            "tool_input_delta",
            serde_json::json!({"index": 1, "partial_json": ""}),
        ),
        (
            "tool_input_delta",
            serde_json::json!({"index": 1, "partial_json": "{\"command\": \"ls -la"}),
        ),
        (
            "tool_input_delta",
            serde_json::json!({"index": 1, "partial_json": " /tmp\"}"}),
        ),
        (
            "permission_request",
            serde_json::json!({"request_id": request_id, "risk_level": "high", "tool_name": "Bash", "tool_input": {"command": "ls -la /tmp"}}),
        ),
        (
            "permission_response",
            serde_json::json!({"approved": true, "request_id": request_id, "tool_name": "Bash"}),
        ),
        (
            "tool_result",
            serde_json::json!({"content": "total 0", "is_error": false, "tool_use_id": "toolu_1"}),
        ),
        (
            "text_complete",
            serde_json::json!({"text": "Let me look. Empty.", "session_id": "c"}),
        ),
        (
            "session_completed",
            serde_json::json!({"cost_usd": 0.0, "duration_ms": 1, "session_id": "c"}),
        ),
    ];
    events
        .iter()
        .enumerate()
        .map(|(n, (event_type, data))| {
            let envelope = serde_json::json!({"id": format!("e{n}"), "sandbox_id": "b",
                "session_id": sid, "event_type": event_type, "data": data,
                "timestamp": "2026-11-22T12:22:12.000000000Z"});
            format!("id: e{n}\nevent: {event_type}\ndata: {envelope}\n\n")
        })
        .collect()
}

#[test]
fn a_turn_shaped_like_the_real_servers_is_shown_and_answered() {
    let sid = "31d0232d-0000-4000-8000-000000000001";
    let server = RealShapedServer::start(sid, "r1");
    let output = bin()
        .args([
            "--base-url",
            &server.url,
            "sessions",
            "stream",
            sid,
            "--turn",
            "--approve-tools",
        ])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    assert!(
        stdout.contains("\n[tool Bash] {\"command\":\"ls -la /tmp\"}\n"),
        "the pieces joined, shown before the request: {stdout}"
    );
    assert!(
        stdout.contains("[permission] Bash allowed\n[result] total 0\n"),
        "{stdout}"
    );
    let requests = server.requests();
    let reads = requests
        .iter()
        .filter(|r| r.starts_with(&format!("GET /api/v1/sessions/{sid} ")))
        .count();
    assert_eq!(
        reads, 3,
        "found the turn, then looked again until it waited: {requests:?}"
    );
    assert!(
        requests.iter().any(|r| r.starts_with(&format!(
            "POST /api/v1/sessions/{sid}/permissions/r1/respond"
        )) && r.contains("\"approved\":true")),
        "{requests:?}"
    );
}

#[test]
fn at_a_terminal_with_json_the_question_is_shown_where_the_prompt_is() {
    let mock = Mock::start();
    let sid = create_session(&mock);
    let (code, transcript) = at_a_terminal(
        &mock,
        &format!("--json sessions send {sid} '#question' --follow"),
        "2\n",
    );
    assert_eq!(code, Some(0), "{transcript}");
    // Beside the JSON documents, the question and its options for the person answering.
    assert!(
        transcript.contains("\n[question] Which file should I write?\n"),
        "{transcript}"
    );
    assert!(
        transcript.contains("\n  2. hello.rs (a Rust program)\n"),
        "{transcript}"
    );
    assert!(
        transcript.contains("You answered: hello.rs. "),
        "{transcript}"
    );
}

#[test]
fn a_permission_request_without_an_id_is_not_answered_and_stops_nothing() {
    let sid = "31d0232d-0000-4000-8000-000000000002";
    let server = RealShapedServer::start(sid, "");
    let output = bin()
        .args([
            "--base-url",
            &server.url,
            "sessions",
            "stream",
            sid,
            "--turn",
        ])
        .write_stdin("")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    assert!(stderr_of(&output).contains("the permission request has no id to answer"));
    assert!(
        !server.requests().iter().any(|r| r.starts_with("POST")),
        "nothing was answered: {:?}",
        server.requests()
    );
}
