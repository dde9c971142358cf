//! What the CLI tests share: a mock server on loopback in the test process, servers written
//! in the tests for what the mock does not do ([`servers`]), the binary with a clean
//! environment, and checks on what a run printed.

#![allow(dead_code, reason = "each test binary uses a different part")]

mod servers;

#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use servers::*;

use assert_cmd::Command;
use sambanova_agents_mock::{MockServer, MockServerBuilder, TEST_API_KEY};
use serde_json::Value;

/// A mock server started in this test process, served by its own runtime's worker threads
/// while the test blocks on the binary.
pub struct Mock {
    pub server: MockServer,
    // Declared after `server` so the server is dropped while its runtime still exists.
    _runtime: tokio::runtime::Runtime,
}

impl Mock {
    pub fn start() -> Mock {
        Mock::start_with(MockServer::builder())
    }

    pub fn start_with(builder: MockServerBuilder) -> Mock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(builder.start()).expect("mock starts");
        Mock {
            server,
            _runtime: runtime,
        }
    }

    /// The binary, pointed at this mock with a key it accepts.
    pub fn cli(&self) -> Command {
        let mut cmd = bin();
        cmd.args([
            "--base-url",
            &self.server.agents_url(),
            "--api-key",
            TEST_API_KEY,
        ]);
        cmd
    }

    pub fn requests(&self, method: &str, path: &str) -> usize {
        self.server.requests(method, path)
    }
}

pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("sambanova-agents").expect("binary is built");
    // The developer's environment must not change what the tests see.
    for name in [
        "SAMBANOVA_API_KEY",
        "SAMBANOVA_BASE_URL",
        "SAMBA_NOVA_BASE_URL",
        "SAMBANOVA_SESSIONS_URL",
        "SAMBANOVA_SESSIONS_API_KEY",
        "SAMBANOVA_AGENT_STREAM_URL",
        "SAMBANOVA_AGENT_STREAM_USERNAME",
        "SAMBANOVA_AGENT_STREAM_PASSWORD",
        "SAMBANOVA_AGENT_STREAM_TOKEN",
        "SAMBANOVA_AGENT_STREAM_API_KEY",
    ] {
        cmd.env_remove(name);
    }
    // A safety net, not a synchronisation: a stream that never ends fails the test instead
    // of hanging the suite.
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

pub fn stdout_json(output: &std::process::Output) -> Value {
    let stdout = std::str::from_utf8(&output.stdout).expect("utf-8 stdout");
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON document on stdout: {stdout}"
    );
    serde_json::from_str(stdout).expect("stdout is JSON")
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

/// The one line an error leaves on stderr, checked for the shape every error must have.
pub fn single_error_line(output: &std::process::Output) -> String {
    let stderr = stderr_of(output);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Error {"));
    stderr
}

/// The binary pointed at this mock's root, for the Sessions API and the agent stream.
impl Mock {
    pub fn root_cli(&self) -> Command {
        let mut cmd = bin();
        cmd.args(["--base-url", &self.server.url()]);
        cmd
    }
}

/// Every name in `dir`, sorted.
pub fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
