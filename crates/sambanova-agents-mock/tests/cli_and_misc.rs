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
