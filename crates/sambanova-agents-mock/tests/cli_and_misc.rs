//! The binary, builder options and the `#long` benchmark prompt.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Client;
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer, TEST_API_KEY};
use serde_json::{Value, json};

#[tokio::test]
async fn binary_prints_its_url_and_serves_with_cli_faults() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sambanova-agents-mock"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--fault",
            "POST /api/agent/mainagent 503 times=1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("mock server listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));
    assert_eq!(
        lines.next().unwrap().unwrap(),
        format!("agents API base URL: {url}/api")
    );
    let c = Client::new();
    let call = || {
        c.post(format!("{url}/api/agent/mainagent"))
            .bearer_auth(TEST_API_KEY)
            .json(&json!({"prompt": "x"}))
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 503);
    assert_eq!(call().await.unwrap().status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// With `--until-stdin-closes`, the mock ends with its parent's end of the pipe: a parent
/// killed before it could stop the mock leaves nothing running, and the exit is a clean one.
#[tokio::test]
async fn binary_with_until_stdin_closes_exits_when_its_stdin_closes() {
    use tokio::io::AsyncBufReadExt;
    // Killed when dropped: a failing test leaves no mock behind either.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sambanova-agents-mock"))
        .args(["--bind", "127.0.0.1:0", "--until-stdin-closes"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap_or_default();
    assert!(first.starts_with("mock server listening on "), "{first}");
    drop(child.stdin.take());
    // A guard against a hang, not a timing: the exit comes at once.
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    assert!(
        matches!(exit, Ok(Ok(status)) if status.success()),
        "the mock exits, successfully, once its stdin closes: {exit:?}"
    );
}

/// Besides its two URL lines, the binary says the key and the user, and prints the shell
/// exports that point another process at it.
#[test]
fn binary_prints_the_key_and_the_exports_for_another_process() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sambanova-agents-mock"))
        .args(["--bind", "127.0.0.1:0", "--until-stdin-closes"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The banner is written before the mock waits for its stdin to close: closed at once, the
    // mock exits and its stdout ends after the banner.
    drop(child.stdin.take());
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(child.wait().unwrap().success());
    let url = lines[0].strip_prefix("mock server listening on ").unwrap();
    assert_eq!(lines[1], format!("agents API base URL: {url}/api"));
    assert!(
        lines
            .iter()
            .any(|line| line.ends_with(&format!(": {TEST_API_KEY}")))
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("user demo, password demo"))
    );
    let exports: Vec<&String> = lines.iter().filter(|l| l.starts_with("export ")).collect();
    assert_eq!(
        exports,
        [
            &format!("export SAMBANOVA_BASE_URL='{url}/api'"),
            &format!("export SAMBANOVA_API_KEY='{TEST_API_KEY}'"),
            &format!("export SAMBANOVA_SESSIONS_URL='{url}'"),
            &format!("export SAMBANOVA_AGENT_STREAM_URL='{url}'"),
            &"export SAMBANOVA_AGENT_STREAM_USERNAME='demo'".to_owned(),
            &"export SAMBANOVA_AGENT_STREAM_PASSWORD='demo'".to_owned(),
        ]
    );
}

#[tokio::test]
async fn the_environment_names_a_sessions_key_and_a_user_that_were_set() {
    let mock = MockServer::builder()
        .sessions_api_key(Some("s-key".into()))
        .agent_stream_user("ann", "it's")
        .start()
        .await
        .unwrap();
    let environment = mock.environment();
    assert!(environment.contains(&("SAMBANOVA_SESSIONS_API_KEY", "s-key".to_owned())));
    assert!(environment.contains(&("SAMBANOVA_AGENT_STREAM_USERNAME", "ann".to_owned())));
    let banner = sambanova_agents_mock::cli::banner(&mock);
    assert!(
        banner.contains("export SAMBANOVA_AGENT_STREAM_PASSWORD='it'\\''s'\n"),
        "quoted for a shell: {banner}"
    );
}

#[tokio::test]
async fn builder_latency_still_answers_and_shutdown_closes() {
    let mock = MockServer::builder()
        .latency(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let url = format!("{}/agent/financialanalysis", mock.agents_url());
    let r = Client::new()
        .post(&url)
        .bearer_auth(TEST_API_KEY)
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    mock.shutdown().await;
    assert!(
        Client::new()
            .post(&url)
            .json(&json!({"prompt": "x"}))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn long_prompt_streams_n_deltas() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let s: Value = c
        .post(format!(
            "{}/api/v1/sandboxes/{DEMO_SANDBOX_ID}/sessions",
            mock.url()
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let base = format!(
        "{}/api/v1/sessions/{}",
        mock.url(),
        s["id"].as_str().unwrap()
    );
    let stream = c.get(format!("{base}/stream")).send().await.unwrap();
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#long 20000"}))
        .send()
        .await
        .unwrap();
    let mut body = stream.bytes_stream();
    let mut deltas = 0;
    let mut pending = String::new();
    'read: loop {
        pending.push_str(std::str::from_utf8(&body.next().await.unwrap().unwrap()).unwrap());
        // Handle complete frames only; a frame may span reads.
        while let Some(end) = pending.find("\n\n") {
            let frame: String = pending.drain(..end + 2).collect();
            deltas += usize::from(frame.contains("\nevent: text_delta\n"));
            if frame.contains("\"queue_length\":0") {
                break 'read;
            }
        }
    }
    // 20000 numbered deltas plus the closing "Done.".
    assert_eq!(deltas, 20001);
}
