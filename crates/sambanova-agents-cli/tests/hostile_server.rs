//! The built binary against servers that lie or attack: ids made to be pasted into a shell,
//! downloads cut short or interrupted, and what else a hostile server can send a client.

mod common;

use common::{Mock, names_in, serve_always, serve_then_hold, stderr_of};
use sambanova_agents_mock::{Fault, FaultRule};

/// What `sh` makes of `line`, one `<word>` per line: proof of how many words a printed
/// command is, without running it.
fn shell_words(line: &str) -> String {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '<%s>\\n' {line}"))
        .output()
        .expect("sh runs");
    assert!(output.status.success(), "sh: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The rest of the first stderr line after `marker`.
fn suggestion_after<'a>(stderr: &'a str, marker: &str) -> &'a str {
    let start = stderr
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {stderr}"))
        + marker.len();
    let rest = &stderr[start..];
    rest.split('\n').next().unwrap_or(rest)
}

#[test]
fn ids_in_suggested_commands_are_one_shell_word_each() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/coding",
        Fault::Status {
            status: 200,
            headers: Vec::new(),
            body: r#"{"status":"completed","thread_id":"t'1 $(touch /tmp/owned)","result":"done",
                     "artifacts":["5b0c6b7e; touch /tmp/x #","ok-id","e\u001b]0;x\u0007"]}"#
                .into(),
            content_type: "application/json".into(),
        },
    ));
    let output = mock
        .cli()
        .args(["code", "--prompt", "go"])
        .write_stdin("print(1)\n")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("sambanova-agents files get '5b0c6b7e; touch /tmp/x #'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("files get ok-id\n"),
        "a real id stays bare: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );

    let artifact = suggestion_after(&stderr, "files get ");
    assert_eq!(shell_words(artifact), "<5b0c6b7e; touch /tmp/x #>\n");
    let thread = suggestion_after(&stderr, "continue with --thread ");
    let thread = thread
        .strip_suffix(')')
        .expect("the hint ends the parenthesis");
    assert_eq!(shell_words(thread), "<t'1 $(touch /tmp/owned)>\n");
    let escaped = stderr
        .lines()
        .find(|line| line.starts_with("artifact 'e"))
        .expect("the third artifact");
    let word = suggestion_after(escaped, "files get ");
    assert_eq!(shell_words(word), "<e\\u{1b}]0;x\\u{7}>\n");
}

#[test]
fn a_plans_thread_in_the_suggested_commands_is_one_shell_word() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/datascience/interactive",
        Fault::Status {
            status: 200,
            headers: Vec::new(),
            body: r#"{"status":"interrupted","thread_id":"t'1 $(touch /tmp/owned)",
                     "file_ids":["f; rm -rf ~ #","ok-id"],"result":"<b>Hypothesis</b>"}"#
                .into(),
            content_type: "application/json".into(),
        },
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.csv"), "x\n1\n").expect("write");
    let output = mock
        .cli()
        .current_dir(dir.path())
        .args(["datascience", "--file", "a.csv", "trend"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let stderr = stderr_of(&output);
    let url = mock.server.agents_url();
    for (marker, last) in [
        ("  sambanova-agents ", "<--approve>\n"),
        (
            "--approve\n  sambanova-agents ",
            "<--feedback>\n<WHAT TO CHANGE>\n",
        ),
    ] {
        let command = suggestion_after(&stderr, marker);
        assert_eq!(
            shell_words(command),
            format!(
                "<--base-url>\n<{url}>\n<datascience>\n<--thread>\n<t'1 $(touch /tmp/owned)>\n\
                 <--file-id>\n<f; rm -rf ~ #>\n<--file-id>\n<ok-id>\n{last}"
            ),
            "{stderr}"
        );
    }
    let thread = suggestion_after(&stderr, "stopped at the plan of thread ");
    let thread = thread
        .strip_suffix("; continue it with")
        .expect("the thread, then the commands");
    assert_eq!(shell_words(thread), "<t'1 $(touch /tmp/owned)>\n");
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_files_get_exits_130_and_leaves_no_partial_file() {
    use std::time::{Duration, Instant};
    const KEY: &str = "5ec7e7ab-cafe-4bad-beef-00c0ffee1ea5";
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                content-disposition: attachment; filename=\"big.bin\"\r\n\
                content-length: 1000000\r\n\r\n"
        .to_owned();
    let mut answer = head.into_bytes();
    answer.extend_from_slice(&[b'x'; 4096]);
    let (url, sent, _hold) = serve_then_hold(answer);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sambanova-agents"))
        .env_remove("SAMBANOVA_API_KEY")
        .args([
            "--base-url",
            &url,
            "--api-key",
            KEY,
            "files",
            "get",
            "file-1",
            "--output",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary starts");

    sent.recv_timeout(Duration::from_secs(60))
        .expect("the binary asked for the file");
    // Bounded: the partial file holds the bytes sent long before this runs out.
    let until = Instant::now() + Duration::from_secs(60);
    let written = loop {
        let part = std::fs::read_dir(dir.path()).expect("dir").any(|entry| {
            let entry = entry.expect("entry");
            entry.file_name().to_string_lossy().ends_with(".part")
                && entry.metadata().is_ok_and(|meta| meta.len() == 4096)
        });
        if part || Instant::now() > until {
            break part;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(written, "a partial file: {:?}", names_in(dir.path()));

    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) with a pid this test started and has not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("the binary did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stderr.contains(KEY), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

// ---------- log lines ----------

/// UUID-shaped, so the mock takes it; echoed back by the server in the cases below.
const ECHOED_KEY: &str = "5ec7e7ab-cafe-4bad-beef-00c0ffee1ea5";

/// A server that refuses the key and echoes it, in the body and as the request id.
fn echoing_server() -> String {
    let body = format!(r#"{{"error":"Invalid API key: {ECHOED_KEY}"}}"#);
    serve_always(format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nx-request-id: {ECHOED_KEY}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
}

fn echoing_run(url: &str, rust_log: Option<&str>, flags: &[&str]) -> (String, String) {
    let mut cmd = common::bin();
    cmd.args(["--base-url", url, "--api-key", ECHOED_KEY])
        .args(flags)
        .args(["finance", "x"]);
    match rust_log {
        Some(directives) => cmd.env("RUST_LOG", directives),
        None => cmd.env_remove("RUST_LOG"),
    };
    let output = cmd.output().expect("runs");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains(ECHOED_KEY) && !text.contains(&ECHOED_KEY[..13]),
            "{rust_log:?} {flags:?}: {stream} shows the key:\n{text}"
        );
    }
    (stdout, stderr)
}

/// Lines of `stderr` that are log lines (they start with a timestamp and a level).
fn log_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.split_whitespace()
                .nth(1)
                .is_some_and(|level| ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level))
        })
        .collect()
}

#[test]
fn rust_log_writes_redacted_log_lines_to_stderr_only() {
    let url = echoing_server();
    for directives in ["debug", "trace"] {
        let (stdout, stderr) = echoing_run(&url, Some(directives), &[]);
        assert!(stdout.is_empty(), "{stdout}");
        let logged = log_lines(&stderr);
        let request = logged
            .iter()
            .find(|line| line.contains("sambanova.request") && line.contains("status=401"))
            .unwrap_or_else(|| panic!("the request is logged: {stderr}"));
        assert!(request.contains("request_id=\"<redacted>\""), "{request}");
    }
    // With --json too, stdout holds only the JSON document.
    let (stdout, stderr) = echoing_run(&url, Some("debug"), &["--json"]);
    assert!(!log_lines(&stderr).is_empty(), "{stderr}");
    assert!(log_lines(&stdout).is_empty(), "{stdout}");
}

#[test]
fn verbose_flags_log_without_rust_log_and_nothing_is_logged_without_either() {
    let url = echoing_server();
    let (_, quiet) = echoing_run(&url, None, &[]);
    assert!(log_lines(&quiet).is_empty(), "{quiet}");
    let (_, empty) = echoing_run(&url, Some(""), &[]);
    assert!(log_lines(&empty).is_empty(), "{empty}");

    let (_, info) = echoing_run(&url, None, &["-v"]);
    let info_lines = log_lines(&info);
    assert!(!info_lines.is_empty(), "{info}");
    assert!(
        info_lines.iter().all(|line| line.contains(" INFO ")),
        "{info}"
    );
    assert!(
        info_lines.iter().all(|line| line.contains("sambanova")),
        "-v logs only our crates: {info}"
    );

    let (_, debug) = echoing_run(&url, None, &["-vv"]);
    assert!(
        log_lines(&debug).iter().all(|line| !line.contains("hyper")),
        "-vv logs only our crates: {debug}"
    );
    // RUST_LOG wins over -v.
    let (_, chosen) = echoing_run(&url, Some("warn"), &["-vvv"]);
    assert!(log_lines(&chosen).is_empty(), "{chosen}");
}

// ---------- downloads cut short, results at a terminal ----------

#[test]
fn a_cut_download_resumes_where_it_was_cut_and_is_byte_identical() {
    let mock = Mock::start();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
    let id = mock.server.put_file(
        sambanova_agents_mock::TEST_API_KEY,
        "data.bin",
        bytes.clone(),
    );
    let path = format!("/api/agent/files/{id}");
    mock.server.faults().add(
        FaultRule::new(
            "GET",
            &path,
            Fault::CutBody {
                after_bytes: 70_000,
            },
        )
        .times(1),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let output = mock
        .cli()
        .args(["-v", "files", "get", &id, "--output"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join("data.bin")).expect("saved"),
        bytes
    );
    assert_eq!(names_in(dir.path()), ["data.bin"]);
    assert_eq!(
        mock.requests("GET", &path),
        2,
        "one GET and one for the rest"
    );
    assert!(
        stderr.contains("download_file") && stderr.contains("retrying"),
        "the retry is logged: {stderr}"
    );
}

/// Runs the binary under a pseudo-terminal (util-linux `script`): what a terminal was sent.
fn at_a_terminal(args: &str) -> String {
    let binary = assert_cmd::cargo::cargo_bin("sambanova-agents");
    let output = std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", binary.display()), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn results_shown_at_a_terminal_are_terminal_safe() {
    let mock = Mock::start();
    mock.server.faults().add(FaultRule::new(
        "POST",
        "/api/agent/mainagent/interactive",
        Fault::Status {
            status: 200,
            headers: Vec::new(),
            body: r#"{"status":"completed","thread_id":"t-1","result":"ok\u001b]0;owned\u0007 \u202egnp.exe"}"#
                .into(),
            content_type: "application/json".into(),
        },
    ));
    let shown = at_a_terminal(&format!(
        "--base-url {} --api-key {} main hi",
        mock.server.agents_url(),
        sambanova_agents_mock::TEST_API_KEY
    ));
    assert!(
        shown.contains("ok\\u{1b}]0;owned\\u{7} \\u{202e}gnp.exe"),
        "{shown:?}"
    );
    // (The spinner's own escape sequences are the only ones left.)
    assert!(
        !shown.contains("\u{1b}]0;owned")
            && !shown.contains('\u{7}')
            && !shown.contains('\u{202e}'),
        "{shown:?}"
    );

    // Redirected, the result is the server's text as it is.
    let output = mock.cli().args(["main", "hi"]).output().expect("runs");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok\u{1b}]0;owned\u{7}"),
        "{output:?}"
    );
}

#[test]
fn a_stream_that_sends_its_head_then_nothing_ends_at_the_timeout_with_exit_5() {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n"
            .to_owned();
    for typed in [false, true] {
        let (url, _sent, _hold) = serve_then_hold(head.clone());
        let mut args = vec![
            "--base-url",
            &url,
            "--timeout",
            "1",
            "sessions",
            "stream",
            "31d0232d-0000-4000-8000-000000000000",
        ];
        if !typed {
            args.extend(["--raw", "--once"]);
        }
        let output = common::bin().args(&args).output().expect("runs");
        assert_eq!(output.status.code(), Some(5), "typed: {typed}: {output:?}");
        let stderr = stderr_of(&output);
        assert!(stderr.contains("1s") || stderr.contains("1 s"), "{stderr}");
    }
}
