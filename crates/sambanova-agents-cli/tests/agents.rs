//! Runs the built binary against a mock server on loopback, for every agent command and
//! `files get`: results, `--json` documents, plan approval, and the error paths with their
//! exit codes.

mod common;

use std::path::Path;

use common::{Mock, bin, single_error_line, stderr_of, stdout_json};
use predicates::prelude::*;
use sambanova_agents_mock::{Fault, FaultRule, TEST_API_KEY};
use serde_json::Value;

// ---------- research ----------

#[test]
fn readme_research_with_embedded_mock_prints_the_report() {
    bin()
        .args(["--mock", "research", "AI accelerator market", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("# AI accelerator market"))
        .stderr(predicate::str::contains("Section 1: Introduction"))
        .stderr(predicate::str::contains("<b>").not());
}

#[test]
fn research_revises_on_feedback_until_approved() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["research", "solid-state batteries"])
        .write_stdin("make it shorter\n\napprove\n")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8");
    assert!(stdout.starts_with("# solid-state batteries"), "{stdout}");
    assert!(
        stderr_of(&output).contains("Addresses the feedback: make it shorter"),
        "the revised plan is shown"
    );
    // Plan, revision, approval.
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        3
    );
}

#[test]
fn research_without_approval_exits_6() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["research", "topic"])
        .write_stdin("too long\n")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(6));
    assert!(output.stdout.is_empty());
    assert!(stderr_of(&output).contains("error: research stopped"));
}

#[test]
fn research_no_plan_uses_the_fire_and_forget_endpoint() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["--json", "research", "topic", "--no-plan"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["status"], "completed");
    assert!(doc["result"].as_str().expect("text").starts_with("# topic"));
    assert_eq!(mock.requests("POST", "/api/agent/deepresearch"), 1);
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        0
    );
}

// ---------- code, main, finance ----------

#[test]
fn code_from_a_file_lists_its_artifacts() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("plot.py");
    std::fs::write(&script, "print('hello')\nplt.savefig('chart.png')\n").expect("write");
    let output = mock
        .cli()
        .args(["--json", "code", "--file"])
        .arg(&script)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert!(doc["result"].as_str().expect("text").contains("hello"));
    let artifacts = doc["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), 1);
    assert!(doc["thread_id"].is_string());
}

#[test]
fn code_from_stdin_with_a_thread_resumes_it() {
    let mock = Mock::start();
    mock.cli()
        .args(["code", "--thread", "t-1", "--prompt", "again"])
        .write_stdin("print('from stdin')\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("from stdin"))
        .stderr(predicate::str::contains("--thread t-1"));
    assert_eq!(mock.requests("POST", "/api/agent/coding/interactive"), 1);
}

#[test]
fn code_with_empty_stdin_is_a_usage_error() {
    bin()
        .args(["--mock", "code"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no code"));
}

#[test]
fn code_with_a_missing_file_is_a_usage_error() {
    let output = bin()
        .args(["--mock", "code", "--file", "/nonexistent/main.py"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(single_error_line(&output).contains("/nonexistent/main.py"));
}

#[test]
fn main_agent_answers_and_says_how_to_continue() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["main", "who won the 2022 world cup"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8");
    assert!(stdout.contains("who won the 2022 world cup"), "{stdout}");
    assert!(stderr_of(&output).contains("continue with --thread"));
}

#[test]
fn main_agent_json_then_resume_on_its_thread() {
    let mock = Mock::start();
    let first = mock
        .cli()
        .args(["--json", "main", "hello"])
        .output()
        .expect("runs");
    assert!(first.status.success(), "{first:?}");
    let thread = stdout_json(&first)["thread_id"]
        .as_str()
        .expect("thread id")
        .to_owned();
    let second = mock
        .cli()
        .args(["--json", "main", "and then?", "--thread", &thread])
        .output()
        .expect("runs");
    assert!(second.status.success(), "{second:?}");
    assert_eq!(stdout_json(&second)["thread_id"], thread.as_str());
}

#[test]
fn finance_pretty_prints_and_json_holds_the_parsed_result() {
    let mock = Mock::start();
    let human = mock
        .cli()
        .args(["finance", "NVDA outlook"])
        .output()
        .expect("runs");
    assert!(human.status.success(), "{human:?}");
    let text = String::from_utf8(human.stdout).expect("utf-8");
    assert!(text.contains("\n  \"ticker\": \"NVDA\""), "pretty: {text}");
    let parsed: Value = serde_json::from_str(&text).expect("the pretty text is the JSON");
    assert_eq!(parsed["ticker"], "NVDA");

    let machine = mock
        .cli()
        .args(["--json", "finance", "NVDA outlook"])
        .output()
        .expect("runs");
    let doc = stdout_json(&machine);
    assert_eq!(doc["result"]["ticker"], "NVDA");
    assert!(doc["request_id"].is_string());
}

// ---------- datascience ----------

#[test]
fn datascience_saves_the_report_and_says_where() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sales.csv"), "region,total\nEMEA,10\n").expect("write");
    let output = mock
        .cli()
        .current_dir(dir.path())
        .args([
            "--json",
            "datascience",
            "--file",
            "sales.csv",
            "which region grows",
            "--yes",
        ])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    let path = Path::new(doc["report_path"].as_str().expect("report_path"));
    assert!(path.ends_with("datascience-report.html"), "{path:?}");
    let html = std::fs::read_to_string(path).expect("report saved");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("which region grows") || html.contains("sales.csv"));

    // A second run keeps the first report.
    mock.cli()
        .current_dir(dir.path())
        .args(["datascience", "--file", "sales.csv", "again"])
        .write_stdin("approve\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("datascience-report (1).html"));
}

#[test]
fn datascience_with_a_missing_upload_is_a_usage_error() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args([
            "datascience",
            "--file",
            "/nonexistent/data.csv",
            "x",
            "--yes",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(single_error_line(&output).contains("/nonexistent/data.csv"));
}

// ---------- files ----------

#[test]
fn files_get_saves_into_the_output_dir() {
    let mock = Mock::start();
    let id = mock
        .server
        .put_file(TEST_API_KEY, "results.csv", &b"a,b\n1,2\n"[..]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let output = mock
        .cli()
        .args(["--json", "files", "get", &id, "--output"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let doc = stdout_json(&output);
    assert_eq!(doc["bytes"], 8);
    let path = Path::new(doc["path"].as_str().expect("path"));
    assert_eq!(path, out.join("results.csv"));
    assert_eq!(std::fs::read(path).expect("saved"), b"a,b\n1,2\n");
}

#[test]
fn files_get_unknown_id_exits_4_with_the_request_id() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["files", "get", "00000000-0000-4000-8000-00000000dead"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4));
    let line = single_error_line(&output);
    assert!(line.contains("not found (404)"), "{line}");
    assert!(line.contains("request id "), "{line}");
    assert!(output.stdout.is_empty());
}

// ---------- errors ----------

#[test]
fn a_key_the_server_refuses_exits_3_and_is_never_printed() {
    let mock = Mock::start();
    let output = bin()
        .args([
            "--base-url",
            &mock.server.agents_url(),
            "--api-key",
            "sk-very-secret",
            "--json",
            "finance",
            "NVDA",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let line = single_error_line(&output);
    assert!(line.contains("authentication failed (401)"), "{line}");
    assert!(line.contains("set SAMBANOVA_API_KEY"), "{line}");
    assert!(!line.contains("sk-very-secret"));
    assert!(output.stdout.is_empty(), "nothing on stdout with --json");
}

#[test]
fn the_key_comes_from_the_environment() {
    let mock = Mock::start();
    bin()
        .env("SAMBANOVA_API_KEY", TEST_API_KEY)
        .args(["--base-url", &mock.server.agents_url(), "main", "hi"])
        .assert()
        .success();
}

#[test]
fn no_key_at_all_exits_3_before_any_request() {
    let output = bin()
        .args(["--base-url", "http://127.0.0.1:9/api", "finance", "x"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    assert!(single_error_line(&output).contains("set SAMBANOVA_API_KEY"));
    assert!(
        single_error_line(&output).contains("run `sambanova-agents mock`"),
        "a way to a local server and its key: {output:?}"
    );
}

#[test]
fn connection_refused_exits_5() {
    // A port that was free a moment ago: nothing listens there now.
    let url = format!("{}/api", common::refusing_url());
    let output = bin()
        .args([
            "--base-url",
            &url,
            "--api-key",
            TEST_API_KEY,
            "finance",
            "x",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5));
    let line = single_error_line(&output);
    assert!(line.contains("connection error"), "{line}");
    assert!(line.contains("check --base-url"), "{line}");
}

#[test]
fn a_server_failure_exits_4() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/financialanalysis",
        Fault::status(500),
    ));
    let output = mock.cli().args(["finance", "x"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(4));
    assert!(single_error_line(&output).contains("server error (500)"));
}

#[test]
fn a_gateway_html_page_exits_4_with_one_line() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/mainagent/interactive",
        Fault::nginx_504(),
    ));
    let output = mock.cli().args(["main", "x"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(4));
    single_error_line(&output);
}

#[test]
fn a_stalled_server_times_out_with_exit_5() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/financialanalysis",
        Fault::Stall,
    ));
    let output = mock
        .cli()
        .args(["--timeout", "1", "finance", "x"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5));
    let line = single_error_line(&output);
    assert!(line.contains("timed out"), "{line}");
    assert!(line.contains("--timeout"), "{line}");
}

#[test]
fn mock_and_base_url_together_are_a_usage_error() {
    bin()
        .args(["--mock", "--base-url", "http://127.0.0.1:9", "finance", "x"])
        .assert()
        .code(2);
}

fn rate_limited(retry_after: &str) -> Fault {
    Fault::Status {
        status: 429,
        headers: vec![("retry-after".into(), retry_after.into())],
        body: r#"{"error":"Too many requests"}"#.into(),
        content_type: "application/json".into(),
    }
}

#[test]
fn timeout_is_a_deadline_a_long_retry_after_is_not_waited_for() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/financialanalysis",
        rate_limited("100"),
    ));
    let output = mock
        .cli()
        .args(["--timeout", "5", "finance", "x"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4));
    let line = single_error_line(&output);
    assert!(
        line.contains("rate limited (429)") && line.contains("retry after 1 min 40 s"),
        "{line}"
    );
    // Asked once: a 100 s wait does not fit a 5 s deadline.
    assert_eq!(
        mock.server.requests("POST", "/api/agent/financialanalysis"),
        1
    );
}

#[test]
fn a_wait_worth_noticing_is_said_on_stderr() {
    let mock = Mock::start();
    mock.server
        .faults()
        .add(FaultRule::new("POST", "/api/agent/financialanalysis", rate_limited("3")).times(1));
    let output = mock
        .cli()
        .args(["--timeout", "60", "finance", "x"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("financialanalysis: rate limited (429); retrying in 3 s"),
        "{stderr}"
    );
    assert_eq!(
        mock.server.requests("POST", "/api/agent/financialanalysis"),
        2
    );
}

#[test]
fn automatic_approval_stops_after_max_approvals_with_exit_6() {
    let mock = Mock::start();
    // A server that answers every approval with a new plan.
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/deepresearch/interactive",
        Fault::Status {
            status: 200,
            headers: Vec::new(),
            body: r#"{"status":"interrupted","thread_id":"t-loop","result":"<b>Plan</b> again"}"#
                .into(),
            content_type: "application/json".into(),
        },
    ));
    for (flags, approvals) in [(vec![], 3), (vec!["--max-approvals", "1"], 1)] {
        let before = mock
            .server
            .requests("POST", "/api/agent/deepresearch/interactive");
        let output = mock
            .cli()
            .args(["research", "x", "--yes"])
            .args(&flags)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(6), "{}", stderr_of(&output));
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("Plan again"),
            "the last plan is shown: {stderr}"
        );
        assert!(
            stderr.contains(&format!("{approvals} plans approved automatically"))
                && stderr.contains("t-loop"),
            "{stderr}"
        );
        let sent = mock
            .server
            .requests("POST", "/api/agent/deepresearch/interactive")
            - before;
        assert_eq!(
            sent,
            approvals + 1,
            "the first plan and one POST per approval"
        );
    }
}
