//! The built binary against servers that lie or attack: ids made to be pasted into a shell,
//! downloads cut short or interrupted, and what else a hostile server can send a client.

mod common;

use common::{Mock, stderr_of};
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
