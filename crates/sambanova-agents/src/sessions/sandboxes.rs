//! Sandboxes: list, create (and wait for the real id), get, delete.

use futures_util::StreamExt;
use sambanova_agents_raw::sessions::types as wire;

use super::client::{Kind, SessionsClient, non_empty};
use super::events::EventKind;
use super::types::{Sandbox, SandboxCreated, SandboxSpec};
use crate::Error;
use crate::call::built;
use crate::transport::{Attempts, Deadline, Repeat};

impl SessionsClient {
    /// Every sandbox.
    pub async fn list_sandboxes(&self) -> Result<Vec<Sandbox>, Error> {
        self.fetch("list_sandboxes", Kind::Read, |raw| {
            built(raw.list_sandboxes_request(None, None, None))
        })
        .await
    }

    /// Starts provisioning a sandbox. The id in the answer may be a placeholder: prefer
    /// [`Self::create_sandbox_and_wait`], which finds the real one.
    pub async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<SandboxCreated, Error> {
        let body = wire::SandboxSpec {
            agent_config: spec.agent_config.clone(),
            agent_provider: spec.agent_provider.clone(),
            credentials: Vec::new(),
            env_vars: spec.env_vars.clone().into_iter().collect(),
            image: spec.image.clone(),
            labels: spec.labels.clone().into_iter().collect(),
            name: spec.name.clone(),
            persistence: wire::SandboxSpecPersistence::default(),
            provisioning_scripts: Vec::new(),
            timeout_secs: spec.timeout_secs,
        };
        self.fetch("create_sandbox", Kind::Write, |raw| {
            built(raw.create_sandbox_request(&body))
        })
        .await
    }

    /// Creates a sandbox and waits until it is provisioned, then answers it under its
    /// **real** id: the server's answer carries a placeholder id, so this reads the real one
    /// from the placeholder's `provisioning_complete` event, or else finds the sandbox by its
    /// name (a unique one is generated when the spec has none). Gives up after the
    /// provisioning timeout ([`SessionsClientBuilder::provisioning_timeout`](super::SessionsClientBuilder::provisioning_timeout));
    /// fails with [`Error::ProvisioningFailed`] when the server says provisioning failed.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use sambanova_agents::sessions::SandboxSpec;
    ///
    /// let sandbox = client.create_sandbox_and_wait(&SandboxSpec::new("claude-code")).await?;
    /// let session = client.create_session(&sandbox.id).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    pub async fn create_sandbox_and_wait(&self, spec: &SandboxSpec) -> Result<Sandbox, Error> {
        let mut spec = spec.clone();
        let name = spec
            .name
            .get_or_insert_with(|| format!("sdk-{:016x}", rand::random::<u64>()))
            .clone();
        let created = self.create_sandbox(&spec).await?;
        Deadline::after(self.inner.provisioning_timeout)
            .bound(
                "provisioning the sandbox",
                self.resolve_sandbox(&created.placeholder_id, &name),
            )
            .await
    }

    async fn resolve_sandbox(&self, placeholder: &str, name: &str) -> Result<Sandbox, Error> {
        let mut events = self.sandbox_events(placeholder);
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                // The placeholder is gone already: the real sandbox is listed by now.
                Err(Error::NotFound { .. }) => break,
                Err(other) => return Err(other),
            };
            match event.kind {
                EventKind::ProvisioningComplete(done) => {
                    let id = done.sandbox_id.unwrap_or_else(|| placeholder.to_owned());
                    return self.get_sandbox(&id).await;
                }
                EventKind::ProvisioningFailed(failed) => {
                    return Err(Error::ProvisioningFailed {
                        sandbox: name.to_owned(),
                        message: failed.error.unwrap_or_else(|| "no reason given".into()),
                    });
                }
                _ => {}
            }
        }
        // Polled as a stream reconnects, until the provisioning deadline (the caller's).
        let policy = self.stream_settings().reconnect_policy();
        let mut polls = Attempts::new("provisioning the sandbox", Repeat::Poll, None);
        loop {
            let found = self
                .list_sandboxes()
                .await?
                .into_iter()
                .find(|sandbox| sandbox.name.as_deref() == Some(name));
            if let Some(sandbox) = found {
                return Ok(sandbox);
            }
            polls.failed();
            let wait = polls.backoff(&policy);
            // Logged, not handed to the retry hook: nothing failed, the sandbox is not ready.
            let event = polls.event(format!("sandbox {name} is not listed yet"), wait, false);
            polls.pause(None, event).await;
        }
    }

    /// One sandbox.
    pub async fn get_sandbox(&self, id: &str) -> Result<Sandbox, Error> {
        let id = non_empty("sandbox id", id)?;
        self.fetch("get_sandbox", Kind::Read, |raw| {
            built(raw.get_sandbox_request(id))
        })
        .await
    }

    /// Deletes a sandbox. The server answers 500 (`database_error`) when it still has
    /// sessions, after removing the sandbox itself.
    pub async fn delete_sandbox(&self, id: &str) -> Result<(), Error> {
        let id = non_empty("sandbox id", id)?;
        self.call("delete_sandbox", Kind::Write, |raw| {
            built(raw.delete_sandbox_request(id))
        })
        .await?;
        Ok(())
    }
}
