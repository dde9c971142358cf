//! `agent`, `chat` and `login` run as the built binary against the mock's agent-stream backend,
//! which answers like the real server (JSON login, doubled chat text, interrupts that ask again).

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
            "[tool bash] {\"command\": \"echo hi\"}\n[result] hi\n",
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
    // The server's 403, in its words ("username or password is wrong").
    assert!(line.contains("authentication failed"), "{line}");
    assert!(line.contains("用户名或密码有误"), "{line}");
    assert!(line.contains("sambanova-agents login"), "{line}");
    assert!(
        line.contains("check the username and the password"),
        "{line}"
    );
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

/// The scripted answer of the mock's chat, which the server sends twice, piece by piece.
const SCRIPTED: &str = "This is a scripted answer from the mock agent stream.\n\n## Summary\n\nNo external service was contacted.";

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

#[test]
fn chat_prints_the_doubled_text_once_and_the_thread_to_continue() {
    let output = bin().args(["--mock", "chat", "hi"]).output().expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    assert_eq!(
        stdout.matches("This is a scripted answer").count(),
        1,
        "{stdout}"
    );
    assert_eq!(stdout.trim_end(), SCRIPTED);
    let stderr = common::stderr_of(&output);
    let thread = stderr
        .split("--thread ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the thread to continue");
    assert_eq!(
        thread.len(),
        36,
        "the server's UUID, not __default__: {stderr}"
    );
}

#[test]
fn chat_json_is_one_document_with_the_servers_thread() {
    let output = bin()
        .args(["--mock", "--json", "chat", "hi"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["text"], SCRIPTED);
    assert_eq!(doc["thread_id"].as_str().map(str::len), Some(36));
}

#[test]
fn chat_shows_a_tool_call_and_its_result_once() {
    let output = bin()
        .args(["--mock", "chat", "read the report #tool"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    assert_eq!(
        stdout
            .matches("[tool crawl_tool] {\"url\": \"https://example.invalid/report.pdf\"}\n")
            .count(),
        1,
        "{stdout}"
    );
    assert_eq!(stdout.matches("[result] ").count(), 1, "{stdout}");
    assert!(stdout.contains("PDF files cannot be crawled"), "{stdout}");
    assert_eq!(stdout.matches("This is a scripted answer").count(), 1);
}

#[test]
fn chat_answers_a_question_from_stdin_and_finishes() {
    let output = bin()
        .args(["--mock", "chat", "plan it #ask"])
        .write_stdin("plan B\n")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stderr = common::stderr_of(&output);
    assert!(stderr.contains("Proceed with plan A?"), "{stderr}");
    assert!(stderr.contains("1) Accept [accepted]"), "{stderr}");
    assert!(stdout_of(&output).contains("Going ahead with your answer: plan B."));
}

#[test]
fn automatic_answers_stop_at_the_limit_with_the_thread_to_continue() {
    // The server asks again after every `accepted`: the CLI stops after --max-answers.
    let output = bin()
        .args([
            "--mock",
            "--json",
            "chat",
            "plan it #ask",
            "--answer",
            "1",
            "--max-answers",
            "2",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "interrupted");
    assert_eq!(doc["answers"], 2);
    assert_eq!(doc["interrupt"]["questions"][0], "Proceed with plan A?");
    assert_eq!(doc["error"]["exit_code"], 6);
    let thread = doc["thread_id"].as_str().expect("the thread").to_owned();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("--max-answers reached"), "{message}");
    assert!(
        message.contains(&format!("--thread {thread} --feedback")),
        "{message}"
    );
}

#[test]
fn feedback_answers_the_question_a_thread_waits_on() {
    let mock = Mock::start();
    let cli = |args: &[&str]| {
        let output = mock
            .root_cli()
            .env("SAMBANOVA_AGENT_STREAM_USERNAME", "demo")
            .env("SAMBANOVA_AGENT_STREAM_PASSWORD", "demo")
            .arg("--json")
            .args(args)
            .output()
            .expect("runs");
        (output.status.code(), stdout_json(&output))
    };
    let (code, asked) = cli(&["chat", "plan it #ask", "--max-answers", "0"]);
    assert_eq!(code, Some(6));
    let thread = asked["thread_id"].as_str().unwrap().to_owned();
    let (code, answered) = cli(&["chat", "plan B", "--thread", &thread, "--feedback"]);
    assert_eq!(code, Some(0), "{answered}");
    assert!(
        answered["text"]
            .as_str()
            .unwrap()
            .contains("Going ahead with your answer: plan B."),
        "{answered}"
    );
    let usage = bin()
        .args(["--mock", "chat", "plan B", "--feedback"])
        .output()
        .expect("runs");
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_question_with_no_input_left_exits_6() {
    let output = bin()
        .args(["--mock", "chat", "plan it #ask"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let stderr = common::stderr_of(&output);
    assert!(stderr.contains("input ended"), "{stderr}");
}

/// A Ctrl-C while the question waits for its answer ends the run there, as it does mid-stream,
/// and sends no answer.
#[test]
fn ctrl_c_while_a_question_waits_stops_without_answering() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args(["--mock", "chat", "plan it #ask"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    // Kept open and unwritten: the answer never comes.
    let stdin = child.stdin.take().expect("stdin");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut shown = String::new();
    while !shown.contains("1) Accept [accepted]") {
        assert_ne!(stderr.read_line(&mut shown).expect("reads"), 0, "{shown}");
    }
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let output = child.wait_with_output().expect("exits");
    stderr.read_to_string(&mut shown).expect("reads");
    drop(stdin);
    assert!(output.status.success(), "{output:?} {shown}");
    assert!(shown.contains("stopped"), "{shown}");
    assert!(!shown.contains("input ended"), "{shown}");
    assert!(!stdout_of(&output).contains("Going ahead"), "{output:?}");
}

#[test]
fn a_failed_chat_prints_one_json_error_document() {
    let output = bin()
        .args(["--mock", "--json", "chat", "#error"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["error"]["exit_code"], 4);
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Error during graph execution")),
        "{doc}"
    );
    assert_eq!(doc["thread_id"].as_str().map(str::len), Some(36));
}

#[test]
fn an_agent_without_a_sandbox_fails_with_one_line_or_one_document() {
    let output = bin()
        .args(["--mock", "agent", "#sandbox_error"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    assert!(stdout_of(&output).contains("[error] sandbox_error: Failed to create sandbox"));
    let output = bin()
        .args(["--mock", "--json", "agent", "#sandbox_error"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "failed");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sandbox_error")
    );
}

#[test]
fn a_refused_token_with_json_is_a_failed_document_exit_3() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "forged\n").expect("write");
    let output = mock
        .root_cli()
        .args(["--json", "chat", "hi", "--token-file"])
        .arg(&token_file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["error"]["exit_code"], 3);
    assert!(doc["error"]["request_id"].is_string(), "{doc}");
    assert!(!doc.to_string().contains("forged"));
}

#[test]
fn agent_session_reuses_the_sandbox_of_an_earlier_run() {
    let mock = Mock::start();
    let run = |args: &[&str]| {
        let output = mock
            .root_cli()
            .env("SAMBANOVA_AGENT_STREAM_USERNAME", "demo")
            .env("SAMBANOVA_AGENT_STREAM_PASSWORD", "demo")
            .arg("--json")
            .args(args)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{output:?}");
        stdout_json(&output)
    };
    let first = run(&["agent", "create hello.py"]);
    let thread = first["thread_id"]
        .as_str()
        .expect("the server's thread")
        .to_owned();
    let second = run(&["agent", "run hello.py", "--session", &thread]);
    assert_eq!(second["sandbox_id"], first["sandbox_id"]);
    assert_eq!(second["thread_id"], thread.as_str());
    let other = run(&["agent", "elsewhere"]);
    assert_ne!(other["sandbox_id"], first["sandbox_id"]);
}

#[test]
fn agent_answers_a_research_plan_with_interrupt_feedback() {
    let output = bin()
        .args([
            "--mock",
            "--json",
            "agent",
            "batteries",
            "--module",
            "research",
            "--answer",
            "1",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["answers"], 1);
    let text = doc["text"].as_str().unwrap();
    assert!(
        text.contains("Continuing the research on batteries (feedback: accepted)"),
        "{text}"
    );
}

#[test]
fn chat_answers_by_option_number() {
    let output = bin()
        .args([
            "--mock",
            "--json",
            "chat",
            "#ask",
            "--answer",
            "2",
            "--max-answers",
            "1",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["answers"], 1);
    let text = doc["text"].as_str().unwrap();
    assert!(
        text.contains("Going ahead with your answer: feedback."),
        "{text}"
    );
}

#[test]
fn an_expired_stored_token_says_to_log_in_again_without_sending() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    // `{"alg":"HS256"}.{"exp":1}.sig`: expired in 1970.
    std::fs::write(&token_file, "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln\n").expect("write");
    let output = mock
        .root_cli()
        .args(["chat", "hi", "--token-file"])
        .arg(&token_file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let line = single_error_line(&output);
    assert!(line.contains("log in again"), "{line}");
    assert!(line.contains("the token has expired"), "{line}");
    assert_eq!(mock.requests("POST", "/agent/chat/stream"), 0);
}

/// A server written in the test that answers every request for a path with the real server's
/// recorded bytes (the SDK's fixtures), one connection per request.
mod replay {
    use std::io::Write;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../sambanova-agents/tests/fixtures/agent-stream/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The recorded answer `name` as one HTTP/1.1 response with a length and `connection: close`.
    fn response(name: &str) -> Vec<u8> {
        let head = String::from_utf8(fixture(&format!("{name}.h"))).unwrap();
        let body = fixture(&format!("{name}.b"));
        let mut lines = head.lines().filter(|l| !l.is_empty());
        let mut out = format!("{}\r\n", lines.next().unwrap());
        for line in lines {
            let name = line.split(':').next().unwrap().to_ascii_lowercase();
            if !["content-length", "transfer-encoding", "connection"].contains(&name.as_str()) {
                out.push_str(&format!("{line}\r\n"));
            }
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    /// Serves `routes` (path → recorded answer) on loopback, one connection per request;
    /// returns the base URL.
    pub fn serve(routes: &[(&'static str, &'static str)]) -> String {
        let routes: Vec<(String, Vec<u8>)> = routes
            .iter()
            .map(|(path, name)| (path.to_string(), response(name)))
            .collect();
        super::common::serve(move |request, socket| {
            let answer = routes
                .iter()
                .find(|(path, _)| path == request.path())
                .map_or(
                    &b"HTTP/1.1 599 Unrouted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"[..],
                    |(_, answer)| answer,
                );
            let _ = socket.write_all(answer);
            super::common::Next::Close
        })
    }
}

/// `{"alg":"HS256","typ":"JWT"}.{"exp":4102444800,"sub":"1"}.sig`: valid until 2100, so that
/// the replays do not depend on today's date.
const LASTING_TOKEN: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6IjEifQ.c2ln";

fn against_recordings(
    routes: &[(&'static str, &'static str)],
    args: &[&str],
) -> std::process::Output {
    let url = replay::serve(routes);
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, LASTING_TOKEN).expect("write");
    bin()
        .args(["--base-url", &url])
        .args(args)
        .arg("--token-file")
        .arg(&token_file)
        .output()
        .expect("runs")
}

#[test]
fn login_against_the_real_servers_recorded_answer_stores_its_token() {
    let url = replay::serve(&[("/api/v1/auth/login", "login")]);
    let config = tempfile::tempdir().expect("tempdir");
    let output = bin()
        .env("XDG_CONFIG_HOME", config.path())
        .env("HOME", config.path())
        .args(["--base-url", &url, "--json", "login", "--username", "admin"])
        .write_stdin("123456\n")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let path = stdout_json(&output)["token_path"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = std::fs::read_to_string(path).unwrap();
    assert!(stored.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXNzaW9uX3V1aWQi"));
}

#[test]
fn chat_against_the_real_servers_recorded_stream_prints_text_once() {
    let output = against_recordings(&[("/agent/chat/stream", "chat_stream")], &["chat", "hi"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        "This is a scripted answer from the offline fake LLM.\n\n## Summary\n\nNo external service was contacted."
    );
    assert!(
        common::stderr_of(&output).contains("--thread d806acf8-a96b-4c81-add1-f4e2f21e956f"),
        "the server's thread"
    );
}

#[test]
fn chat_against_the_real_servers_recorded_tool_call_shows_it_once() {
    let output = against_recordings(
        &[("/agent/chat/stream", "chat_stream_tool")],
        &["chat", "read"],
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        stdout
            .matches("[tool crawl_tool] {\"url\": \"https://example.invalid/report.pdf\"}")
            .count(),
        1,
        "{stdout}"
    );
    assert_eq!(stdout.matches("[result] ").count(), 1, "{stdout}");
}

#[test]
fn a_failed_recorded_chat_is_one_json_document_and_exit_4() {
    let output = against_recordings(
        &[("/agent/chat/stream", "chat_stream_unpatched")],
        &["--json", "chat", "hi"],
    );
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["thread_id"], "9af3791f-c055-4f5a-8b04-4f97a422b456");
}

#[test]
fn the_recorded_agent_runs_fail_clearly() {
    let output = against_recordings(&[("/agent/agent/stream", "agent_stream")], &["agent", "hi"]);
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("[error] sandbox_error: Failed to create sandbox")
    );
    let output = against_recordings(
        &[("/agent/agent/stream", "agent_501")],
        &["agent", "slides", "--module", "ppt"],
    );
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let line = single_error_line(&output);
    assert!(
        line.contains("Module 'ppt' is not yet implemented"),
        "{line}"
    );
    assert!(
        line.contains("does not implement") && !line.contains("try again"),
        "{line}"
    );
    assert!(
        line.contains("95765dc2ca4e40a2b84edb4604ba3a44"),
        "the request id: {line}"
    );
}
