//! The built binary never prints the API key: with `RUST_LOG=trace`, the key on the command
//! line or in the environment, over successful commands, server failures, a timeout, an
//! unreachable server, usage errors and `--help`, stdout and stderr are searched for it.

use assert_cmd::Command;
use sambanova_agents_mock::{Fault, FaultRule, MockServer};

/// UUID-shaped, so the mock accepts it.
const KEY: &str = "5ec7e7ab-cafe-4bad-beef-00c0ffee1ea5";
/// Not UUID-shaped, so the mock answers 401.
const REFUSED_KEY: &str = "sk-canary-do-not-print-7f3a9c";

/// A mock server served by its own runtime while the test blocks on the binary.
struct Mock {
    server: MockServer,
    // Declared after `server` so the server is dropped while its runtime still exists.
    _runtime: tokio::runtime::Runtime,
}

impl Mock {
    fn start() -> Mock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(MockServer::start()).expect("mock starts");
        Mock {
            server,
            _runtime: runtime,
        }
    }

    /// The binary, at TRACE, pointed at this mock with `key` on the command line.
    fn cli(&self, key: &str) -> Command {
        let mut cmd = bin();
        cmd.args(["--base-url", &self.server.agents_url(), "--api-key", key]);
        cmd
    }
}

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("sambanova-agents").expect("binary is built");
    for name in [
        "SAMBANOVA_API_KEY",
        "SAMBANOVA_BASE_URL",
        "SAMBA_NOVA_BASE_URL",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("RUST_LOG", "trace").env("RUST_BACKTRACE", "1");
    cmd
}

/// Runs `cmd` and fails if either secret is anywhere in what it printed. Returns the output
/// for further checks.
fn run_clean(what: &str, cmd: &mut Command) -> std::process::Output {
    let output = cmd.output().expect("runs");
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for secret in [KEY, REFUSED_KEY] {
            assert!(
                !text.contains(secret) && !text.contains(&secret[..12]),
                "{what}: {stream} shows {secret:?}:\n{text}"
            );
        }
    }
    output
}

#[test]
fn successful_commands_print_no_key() {
    let mock = Mock::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let code = dir.path().join("main.py");
    std::fs::write(&code, "print('hello')\n").expect("write");
    std::fs::write(dir.path().join("sales.csv"), "region,total\nEMEA,10\n").expect("write");
    let code = code.to_str().expect("utf-8 path");

    for (what, args) in [
        ("main", vec!["main", "hello"]),
        ("main --json", vec!["--json", "main", "hello"]),
        ("finance", vec!["finance", "NVDA outlook"]),
        ("research", vec!["research", "batteries", "--yes"]),
        (
            "research --json",
            vec!["--json", "research", "x", "--no-plan"],
        ),
        ("code", vec!["code", "--file", code, "--prompt", "run"]),
        (
            "datascience",
            vec!["datascience", "--file", "sales.csv", "trend", "--yes"],
        ),
    ] {
        let output = run_clean(what, mock.cli(KEY).current_dir(dir.path()).args(&args));
        assert!(output.status.success(), "{what}: {output:?}");
    }

    let id = mock
        .server
        .put_file(KEY, "data.csv", b"a,b\n1,2\n".to_vec());
    let downloads = dir.path().join("downloads");
    let output = run_clean(
        "files get",
        mock.cli(KEY).args([
            "files",
            "get",
            &id,
            "--output",
            downloads.to_str().expect("utf-8 path"),
        ]),
    );
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn failing_commands_print_no_key() {
    let mock = Mock::start();

    let output = run_clean("401", mock.cli(REFUSED_KEY).args(["main", "hi"]));
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let output = run_clean(
        "401 --json",
        mock.cli(REFUSED_KEY).args(["--json", "main", "hi"]),
    );
    assert_eq!(output.status.code(), Some(3), "{output:?}");

    let faults = mock.server.faults();
    faults.add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::status(500)).times(1));
    let output = run_clean("500", mock.cli(KEY).args(["finance", "x"]));
    assert_eq!(output.status.code(), Some(4), "{output:?}");

    faults.add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::Reset).times(1));
    let output = run_clean("reset", mock.cli(KEY).args(["finance", "x"]));
    assert_eq!(output.status.code(), Some(5), "{output:?}");

    faults.add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::Stall).times(1));
    let output = run_clean(
        "timeout",
        mock.cli(KEY).args(["--timeout", "1", "finance", "x"]),
    );
    assert_eq!(output.status.code(), Some(5), "{output:?}");

    let output = run_clean(
        "missing file",
        mock.cli(KEY)
            .args(["files", "get", "00000000-0000-4000-8000-00000000dead"]),
    );
    assert!(!output.status.success(), "{output:?}");
}

#[test]
fn unreachable_servers_and_bad_input_print_no_key() {
    let output = run_clean(
        "unreachable",
        bin().args([
            "--base-url",
            "http://127.0.0.1:9/api",
            "--api-key",
            KEY,
            "main",
            "x",
        ]),
    );
    assert_eq!(output.status.code(), Some(5), "{output:?}");

    let output = run_clean(
        "plain http to a remote host",
        bin().args([
            "--base-url",
            "http://api.example.com/api",
            "--api-key",
            KEY,
            "main",
            "x",
        ]),
    );
    assert!(!output.status.success(), "{output:?}");

    let with_newline = format!("{KEY}\nX-Injected: 1");
    let output = run_clean(
        "a key with a line break",
        bin().args([
            "--base-url",
            "http://127.0.0.1:9/api",
            "--api-key",
            &with_newline,
            "main",
            "x",
        ]),
    );
    assert!(!output.status.success(), "{output:?}");

    let output = run_clean(
        "a usage error",
        bin().args(["--api-key", KEY, "--timeout", "0", "main", "x"]),
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let output = run_clean(
        "an unknown command",
        bin().args(["--api-key", KEY, "frobnicate"]),
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn help_hides_the_key_from_the_environment() {
    for args in [
        vec!["--help"],
        vec!["main", "--help"],
        vec!["files", "get", "--help"],
    ] {
        let output = run_clean("--help", bin().env("SAMBANOVA_API_KEY", KEY).args(&args));
        assert!(output.status.success(), "{output:?}");
    }
    let output = run_clean(
        "a usage error with the key in the environment",
        bin().env("SAMBANOVA_API_KEY", KEY).args(["main"]),
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
