//! What every API command needs: an SDK client configured from the global flags (or pointed
//! at an embedded mock with `--mock`), and the output mode.

use std::time::Duration;

use sambanova_agents::Client;
use sambanova_agents_mock::{MockServer, TEST_API_KEY};

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::output::Output;

/// The client, the output mode, and the embedded mock server when there is one.
pub struct Context {
    /// The configured SDK client.
    pub client: Client,
    /// Where results and notes go.
    pub output: Output,
    /// Kept alive for as long as the command runs; dropping it stops the server.
    _mock: Option<MockServer>,
}

impl Context {
    /// Builds the client from the flags: `--mock` starts the mock server in-process and uses
    /// its test key; otherwise `--api-key`/`SAMBANOVA_API_KEY` and `--base-url` (else
    /// `SAMBANOVA_BASE_URL`, else the public endpoint).
    pub async fn new(global: &GlobalArgs) -> Result<Self, CliError> {
        let mock = if global.mock {
            Some(MockServer::start().await.map_err(CliError::Mock)?)
        } else {
            None
        };
        let (api_key, base_url) = match &mock {
            Some(server) => (Some(TEST_API_KEY.to_owned()), Some(server.agents_url())),
            None => (global.api_key.clone(), global.base_url.clone()),
        };
        let api_key = api_key
            .filter(|key| !key.trim().is_empty())
            .ok_or(CliError::MissingKey)?;
        // `from_env` first, so explicit flags win over the environment.
        let mut builder = Client::builder()
            .from_env()
            .api_key(api_key)
            .user_agent(concat!("sambanova-agents-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(seconds) = global.timeout {
            builder = builder.timeout(Duration::from_secs(seconds));
        }
        Ok(Context {
            client: builder.build()?,
            output: Output::new(global.json),
            _mock: mock,
        })
    }
}
