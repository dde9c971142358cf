//! A run that stops at a plan in one process and is continued by others: the built binary,
//! three separate processes on one mock server (research, data science, the main agent), the
//! JSON document that carries the thread, the commands suggested on stderr, and the usage
//! errors of the thread flags.

mod common;

use common::{Mock, bin, stderr_of, stdout_json};
use sambanova_agents_mock::{Fault, FaultRule};
use serde_json::Value;

/// The binary's run with stdin closed at once (`< /dev/null`): a script that gives no answer.
fn scripted(mut cmd: assert_cmd::Command) -> std::process::Output {
    cmd.write_stdin("").output().expect("runs")
}

fn interrupted(output: &std::process::Output, agent: &str) -> Value {
    assert_eq!(output.status.code(), Some(6), "{}", stderr_of(output));
    let doc = stdout_json(output);
    assert_eq!(doc["status"], "interrupted", "{doc}");
    assert_eq!(doc["agent"], agent, "{doc}");
    assert!(doc["thread_id"].as_str().is_some_and(|id| !id.is_empty()));
    let plan = doc["plan"].as_str().expect("the plan as text");
    assert!(!plan.contains("<b>"), "plain text: {plan}");
    doc
}

#[test]
fn research_stops_at_its_plan_and_two_more_processes_revise_and_approve_it() {
    let mock = Mock::start();
    let first = scripted({
        let mut cmd = mock.cli();
        cmd.args(["--json", "research", "solid-state batteries"]);
        cmd
    });
    let doc = interrupted(&first, "research");
    let thread = doc["thread_id"].as_str().expect("thread").to_owned();
    assert!(
        doc["plan"]
            .as_str()
            .unwrap()
            .contains("Section 1: Introduction - Overview of solid-state batteries"),
        "{doc}"
    );

    let revised = scripted({
        let mut cmd = mock.cli();
        cmd.args([
            "--json",
            "research",
            "--thread",
            &thread,
            "--feedback",
            "focus on Europe",
        ]);
        cmd
    });
    let doc = interrupted(&revised, "research");
    assert_eq!(doc["thread_id"], thread.as_str(), "the same thread");
    assert!(
        doc["plan"]
            .as_str()
            .unwrap()
            .contains("Requested Focus - Addresses the feedback: focus on Europe"),
        "the revised plan reflects the feedback: {doc}"
    );

    let approved = scripted({
        let mut cmd = mock.cli();
        cmd.args(["--json", "research", "--thread", &thread, "--approve"]);
        cmd
    });
    assert!(approved.status.success(), "{}", stderr_of(&approved));
    let doc = stdout_json(&approved);
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["thread_id"], thread.as_str());
    assert!(
        doc["result"]
            .as_str()
            .unwrap()
            .starts_with("# solid-state batteries"),
        "{doc}"
    );
    // The plan, the revision, the approval: one request each.
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        3
    );
}

#[test]
fn without_json_the_stop_says_the_thread_and_the_two_commands_that_continue_it() {
    let mock = Mock::start();
    let output = scripted({
        let mut cmd = mock.cli();
        cmd.args(["research", "topic"]);
        cmd
    });
    assert_eq!(output.status.code(), Some(6));
    assert!(output.stdout.is_empty(), "nothing on stdout without --json");
    let stderr = stderr_of(&output);
    let url = mock.server.agents_url();
    let approve = stderr
        .lines()
        .find(|line| line.ends_with(" --approve"))
        .unwrap_or_else(|| panic!("an --approve command in {stderr}"));
    let prefix = format!("  sambanova-agents --base-url {url} research --thread ");
    let thread = approve
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(" --approve"))
        .unwrap_or_else(|| panic!("{approve}"));
    assert!(
        stderr.contains(&format!("{prefix}{thread} --feedback 'WHAT TO CHANGE'\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: research stopped at a plan"),
        "{stderr}"
    );

    // The suggested command continues the thread (the key comes from where it always does).
    let approved = mock
        .cli()
        .args(["research", "--thread", thread, "--approve"])
        .output()
        .expect("runs");
    assert!(approved.status.success(), "{}", stderr_of(&approved));
    assert!(String::from_utf8_lossy(&approved.stdout).starts_with("# topic"));
}

#[test]
fn piped_answers_still_drive_the_run_and_the_stop_comes_when_they_run_out() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["--json", "research", "topic"])
        .write_stdin("make it shorter\n")
        .output()
        .expect("runs");
    let doc = interrupted(&output, "research");
    assert!(
        doc["plan"]
            .as_str()
            .unwrap()
            .contains("Addresses the feedback: make it shorter"),
        "the plan it stopped at is the revised one: {doc}"
    );
    let approved = mock
        .cli()
        .args(["--json", "research", "topic"])
        .write_stdin("approve\n")
        .output()
        .expect("runs");
    assert!(approved.status.success(), "{}", stderr_of(&approved));
    assert_eq!(stdout_json(&approved)["status"], "completed");
}

#[test]
fn datascience_stops_at_its_hypothesis_and_two_more_processes_revise_and_approve_it() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sales.csv"), "region,total\nEMEA,10\n").expect("write");
    let in_dir = |args: &[&str]| {
        let mut cmd = mock.cli();
        cmd.current_dir(dir.path()).args(args);
        scripted(cmd)
    };
    let first = in_dir(&[
        "--json",
        "datascience",
        "--file",
        "sales.csv",
        "which region grows",
    ]);
    let doc = interrupted(&first, "datascience");
    let thread = doc["thread_id"].as_str().expect("thread").to_owned();
    let file_ids: Vec<String> = doc["file_ids"]
        .as_array()
        .expect("file_ids")
        .iter()
        .map(|id| id.as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(file_ids.len(), 1, "{doc}");
    assert!(
        doc["plan"].as_str().unwrap().contains("Hypothesis 1"),
        "{doc}"
    );

    let mut resume = vec!["--json", "datascience", "--thread", &thread];
    for id in &file_ids {
        resume.extend(["--file-id", id]);
    }
    let revised = in_dir(&[resume.as_slice(), &["--feedback", "split it by quarter"]].concat());
    let doc = interrupted(&revised, "datascience");
    assert_eq!(doc["thread_id"], thread.as_str());
    assert_eq!(doc["file_ids"], serde_json::json!(file_ids));
    let plan = doc["plan"].as_str().unwrap();
    assert!(
        plan.contains("Hypothesis 2") && plan.contains("split it by quarter"),
        "the revised hypothesis reflects the feedback: {plan}"
    );

    let approved = in_dir(&[resume.as_slice(), &["--approve"]].concat());
    assert!(approved.status.success(), "{}", stderr_of(&approved));
    let doc = stdout_json(&approved);
    assert_eq!(doc["status"], "completed");
    assert_eq!(doc["thread_id"], thread.as_str());
    let report = std::fs::read_to_string(doc["report_path"].as_str().expect("report_path"))
        .expect("the report is saved");
    assert!(report.contains("sales.csv"), "{report}");
}

#[test]
fn datascience_suggests_its_file_ids_with_the_thread() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.csv"), "x\n1\n").expect("write");
    let output = scripted({
        let mut cmd = mock.cli();
        cmd.current_dir(dir.path())
            .args(["datascience", "--file", "a.csv", "trend"]);
        cmd
    });
    assert_eq!(output.status.code(), Some(6));
    let stderr = stderr_of(&output);
    let approve = stderr
        .lines()
        .find(|line| line.ends_with(" --approve"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        approve.contains(" datascience --thread ") && approve.contains(" --file-id "),
        "{approve}"
    );
}

/// The main agent approves research plans itself, but a thread of its can still stop at one.
#[test]
fn the_main_agent_stops_at_a_plan_too_and_is_continued_with_the_thread_flags() {
    let mock = Mock::start();
    mock.server.faults().add(
        FaultRule::new(
            "POST",
            "/api/agent/mainagent/interactive",
            Fault::Status {
                status: 200,
                headers: Vec::new(),
                body:
                    r#"{"status":"interrupted","thread_id":"t-main","result":"<b>Plan</b>: go?"}"#
                        .into(),
                content_type: "application/json".into(),
            },
        )
        .times(1),
    );
    let first = scripted({
        let mut cmd = mock.cli();
        cmd.args(["--json", "main", "hi"]);
        cmd
    });
    let doc = interrupted(&first, "main");
    assert_eq!(doc["thread_id"], "t-main");
    assert_eq!(doc["plan"], "Plan: go?");
    // The mock's main agent keeps no plan: the answer to the reply is scripted too.
    mock.server.faults().add(
        FaultRule::new(
            "POST",
            "/api/agent/mainagent/interactive",
            Fault::Status {
                status: 200,
                headers: Vec::new(),
                body:
                    r#"{"status":"completed","thread_id":"t-main","result":"done","artifacts":[]}"#
                        .into(),
                content_type: "application/json".into(),
            },
        )
        .times(1),
    );
    let approved = scripted({
        let mut cmd = mock.cli();
        cmd.args(["--json", "main", "--thread", "t-main", "--approve"]);
        cmd
    });
    assert!(approved.status.success(), "{}", stderr_of(&approved));
    assert_eq!(stdout_json(&approved)["status"], "completed");
    assert_eq!(mock.requests("POST", "/api/agent/mainagent/interactive"), 2);
}

#[test]
fn the_thread_flags_are_usage_errors_alone_or_mixed_with_a_new_run() {
    for args in [
        vec!["research"],
        vec!["research", "--thread", "t"],
        vec!["research", "--approve"],
        vec!["research", "--feedback", "x"],
        vec!["research", "topic", "--thread", "t", "--approve"],
        vec!["research", "--thread", "t", "--approve", "--feedback", "x"],
        vec!["research", "--thread", "t", "--approve", "--no-plan"],
        vec!["datascience", "--thread", "t", "--approve"],
        vec!["datascience", "--file-id", "f", "--approve"],
        vec!["datascience", "--thread", "t", "--file-id", "f"],
        vec![
            "datascience",
            "--thread",
            "t",
            "--file-id",
            "f",
            "--file",
            "a.csv",
            "--approve",
        ],
        vec!["main"],
        vec!["main", "--thread", "t"],
        vec!["main", "--approve"],
        vec!["main", "x", "--thread", "t", "--approve"],
    ] {
        let output = bin()
            .args(["--api-key", sambanova_agents_mock::TEST_API_KEY])
            .args(&args)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
    let neither = bin().arg("research").output().expect("runs");
    let stderr = stderr_of(&neither);
    assert!(
        stderr.contains("research [OPTIONS] --thread <ID> <--approve|--feedback <TEXT>>"),
        "the usage shows both ways to run it: {stderr}"
    );
}

#[test]
fn empty_feedback_is_refused_before_any_request() {
    let mock = Mock::start();
    let output = mock
        .cli()
        .args(["research", "--thread", "t", "--feedback", " "])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr_of(&output).contains("--feedback is empty"));
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        0
    );
}

/// `sambanova-agents mock` in one process, and the commands of others pointed at it by the
/// exports it prints alone (no flags): a thread outlives the process that started it.
#[test]
fn the_exports_of_mock_point_other_processes_at_it() {
    use std::io::BufRead;
    let mut mock = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .args(["mock", "--bind", "127.0.0.1:0", "--until-stdin-closes"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = std::io::BufReader::new(mock.stdout.take().expect("stdout"));
    let mut exports = Vec::new();
    for line in stdout.lines().map_while(Result::ok) {
        if let Some((name, value)) = line
            .strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
        {
            let value = value.trim_matches('\'').to_owned();
            exports.push((name.to_owned(), value));
            if name == "SAMBANOVA_AGENT_STREAM_PASSWORD" {
                break;
            }
        }
    }
    let cli = || {
        let mut cmd = bin();
        cmd.envs(exports.iter().map(|(name, value)| (name, value)));
        cmd
    };
    let first = scripted({
        let mut cmd = cli();
        cmd.args(["--json", "research", "tides"]);
        cmd
    });
    let thread = interrupted(&first, "research")["thread_id"]
        .as_str()
        .expect("thread")
        .to_owned();
    let approved = scripted({
        let mut cmd = cli();
        cmd.args(["--json", "research", "--thread", &thread, "--approve"]);
        cmd
    });
    assert!(approved.status.success(), "{}", stderr_of(&approved));
    assert!(
        stdout_json(&approved)["result"]
            .as_str()
            .unwrap()
            .starts_with("# tides")
    );
    // The Sessions API too.
    let created = cli()
        .args(["sessions", "create", sambanova_agents_mock::DEMO_SANDBOX_ID])
        .output()
        .expect("runs");
    assert!(created.status.success(), "{created:?}");
    drop(mock.stdin.take());
    mock.wait().expect("the mock ends with its stdin");
}
