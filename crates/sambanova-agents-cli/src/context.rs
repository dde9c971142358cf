//! What every API command needs: SDK clients configured from the global flags (or pointed at
//! an embedded mock with `--mock`), and the output mode.
//!
//! Three servers are involved and each has its own configuration: the Agents API (the
//! SambaNova key, required), a Sessions server (self-hosted, key optional) and an agent-stream
//! backend (a login, no key). The SambaNova key from the environment is only ever sent to the
//! Agents API; a key typed with `--api-key` also goes to a Sessions server.

use std::time::Duration;

use sambanova_agents::Client;
use sambanova_agents::agent_stream::{AgentStreamClient, AgentStreamClientBuilder};
use sambanova_agents::sessions::{SessionsClient, SessionsClientBuilder};

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::output::Output;
use embedded::{MockServer, TEST_API_KEY};

/// The embedded mock server, when the binary was built with the `mock` feature (the default).
#[cfg(feature = "mock")]
mod embedded {
    pub use sambanova_agents_mock::{MockServer, TEST_API_KEY};

    use crate::error::CliError;

    pub async fn start() -> Result<MockServer, CliError> {
        MockServer::start().await.map_err(CliError::Mock)
    }
}

/// Built without the `mock` feature: no server inside, and `--mock` says so.
#[cfg(not(feature = "mock"))]
mod embedded {
    use crate::error::CliError;

    /// Uninhabited: this binary never has a mock server, so the code for one is unreachable.
    pub enum MockServer {}

    impl MockServer {
        pub fn url(&self) -> String {
            match *self {}
        }

        pub fn agents_url(&self) -> String {
            match *self {}
        }
    }

    /// Never sent: there is no mock server to send it to.
    pub const TEST_API_KEY: &str = "";

    pub async fn start() -> Result<MockServer, CliError> {
        Err(super::mock_not_built_in())
    }
}

/// `--mock` or `mock` in a binary built without the `mock` feature.
#[cfg(not(feature = "mock"))]
pub fn mock_not_built_in() -> CliError {
    CliError::Usage {
        message: "this sambanova-agents was built without the embedded mock server (the `mock` \
                  feature), so `--mock` and `mock` are not available: install it with default \
                  features (`cargo install sambanova-agents-cli`), or pass --base-url SERVER"
            .to_owned(),
    }
}

/// The user the embedded mock's agent-stream backend accepts.
const MOCK_AGENT_STREAM_USER: (&str, &str) = ("demo", "demo");

/// The flags, the output mode, and the embedded mock server when there is one.
pub struct Context {
    /// Where results and notes go.
    pub output: Output,
    base_url: Option<String>,
    api_key: Option<String>,
    api_key_on_command_line: bool,
    timeout: Option<Duration>,
    /// Kept alive for as long as the command runs; dropping it stops the server.
    mock: Option<MockServer>,
}

impl Context {
    /// Reads the flags; `--mock` starts the mock server in-process.
    pub async fn new(global: &GlobalArgs) -> Result<Self, CliError> {
        let mock = if global.mock {
            Some(embedded::start().await?)
        } else {
            None
        };
        Ok(Context {
            output: Output::new(global.json),
            base_url: global.base_url.clone(),
            api_key: global.api_key.clone().filter(|key| !key.trim().is_empty()),
            api_key_on_command_line: global.api_key_on_command_line,
            timeout: global.timeout.map(Duration::from_secs),
            mock,
        })
    }

    /// The Agents API client: `--mock` uses the mock's test key; otherwise
    /// `--api-key`/`SAMBANOVA_API_KEY` (required) and `--base-url` (else
    /// `SAMBANOVA_BASE_URL`, else the public endpoint).
    pub fn agents(&self) -> Result<Client, CliError> {
        let (api_key, base_url) = match &self.mock {
            Some(server) => (Some(TEST_API_KEY.to_owned()), Some(server.agents_url())),
            None => (self.api_key.clone(), self.base_url.clone()),
        };
        let api_key = api_key.ok_or(CliError::MissingKey)?;
        // `from_env` first, so explicit flags win over the environment.
        let mut builder = Client::builder()
            .from_env()
            .api_key(api_key)
            .user_agent(user_agent())
            .on_retry(show_long_wait);
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        // `--timeout` bounds the whole call, retries and the waits between them included.
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout).deadline(timeout);
        }
        Ok(builder.build()?)
    }

    /// The Sessions client: the mock's root with `--mock`, else `--base-url` (else
    /// `SAMBANOVA_SESSIONS_URL`, else the SDK's local default), keyed with a `--api-key`
    /// typed on the command line or `SAMBANOVA_SESSIONS_API_KEY`.
    pub fn sessions(&self) -> Result<SessionsClient, CliError> {
        Ok(self.sessions_builder().build()?)
    }

    /// The Sessions client for `sessions stream`, on which `--timeout` also bounds how long
    /// the stream may stay silent, and how long it may then spend reconnecting without a new
    /// event: a stream is one long call, and a script that gave it a time limit must not wait
    /// for the default limits.
    pub fn sessions_stream(&self) -> Result<SessionsClient, CliError> {
        let mut builder = self.sessions_builder();
        if let Some(timeout) = self.timeout {
            builder = builder
                .stall_timeout(timeout)
                .max_reconnect_time(Some(timeout));
        }
        Ok(builder.build()?)
    }

    fn sessions_builder(&self) -> SessionsClientBuilder {
        let mut builder = SessionsClient::builder()
            .from_env()
            .user_agent(user_agent())
            .on_retry(show_long_wait);
        if let Some(url) = self.sessions_base_url() {
            builder = builder.base_url(url);
        }
        if let Some(key) = self.explicit_api_key() {
            builder = builder.api_key(key);
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        builder
    }

    /// The agent-stream client builder: the mock's root and user with `--mock`, else
    /// `--base-url` (else `SAMBANOVA_AGENT_STREAM_URL`, else the SDK's local default) and the
    /// credentials of the environment; the caller adds a stored token if it has one.
    pub fn agent_stream(&self) -> AgentStreamClientBuilder {
        let mut builder = AgentStreamClient::builder()
            .from_env()
            .user_agent(user_agent())
            .on_retry(show_long_wait);
        match &self.mock {
            Some(server) => {
                let (user, password) = MOCK_AGENT_STREAM_USER;
                builder = builder.base_url(server.url()).credentials(user, password);
            }
            // The backend has no API-key authentication: `--api-key` does not apply.
            None => {
                if let Some(url) = &self.base_url {
                    builder = builder.base_url(url.clone());
                }
            }
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        builder
    }

    /// The `--base-url` of this command line, which the commands it suggests repeat.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// Whether `--mock` started an embedded server.
    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }

    fn sessions_base_url(&self) -> Option<String> {
        match &self.mock {
            Some(server) => Some(server.url()),
            None => self.base_url.clone(),
        }
    }

    fn explicit_api_key(&self) -> Option<&str> {
        self.api_key
            .as_deref()
            .filter(|_| self.api_key_on_command_line && self.mock.is_none())
    }
}

/// A wait the user would otherwise sit through in silence: anything from this long on is
/// said on stderr (the SDK's own backoff stays below it by default)...
const SHOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// ...and a wait the server asked for (`Retry-After`), from this long on.
const SHOWN_SERVER_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Says on stderr that a retry or a reconnection waits, when the wait is long enough to
/// notice ("rate limited (429); retrying in 1 min 40 s").
fn show_long_wait(event: &sambanova_agents::RetryEvent) {
    let shown = if event.server_asked {
        SHOWN_SERVER_WAIT
    } else {
        SHOWN_WAIT
    };
    if event.wait >= shown {
        eprintln!(
            "{}: {}; retrying in {}",
            crate::terminal_text::terminal_safe(event.operation),
            crate::terminal_text::terminal_safe(&event.reason),
            sambanova_agents::HumanDuration(event.wait)
        );
    }
}

fn user_agent() -> &'static str {
    concat!("sambanova-agents-cli/", env!("CARGO_PKG_VERSION"))
}
