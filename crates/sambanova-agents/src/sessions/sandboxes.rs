//! Sandboxes: list, create (and wait for the real id), get, delete.

use futures_util::StreamExt;
use sambanova_agents_raw::sessions::types as wire;

use super::client::{Kind, SessionsClient, StreamTarget, non_empty};
use super::events::EventKind;
use super::stream::SessionEventStream;
use super::types::{Sandbox, SandboxCreated, SandboxSpec};
use crate::call::built;
use crate::transport::{Attempts, CallDeadline, CallOptions, Deadline, Repeat, Response};
use crate::{CallBuilder, Error};

impl SessionsClient {
    /// Every sandbox.
    pub fn list_sandboxes(&self) -> CallBuilder<'_, Vec<Sandbox>> {
        CallBuilder::new(move |options| async move { self.sandboxes(&options).await })
    }

    async fn sandboxes(&self, options: &CallOptions) -> Result<Response<Vec<Sandbox>>, Error> {
        self.fetch("list_sandboxes", Kind::Read, options, |raw| {
            built(raw.list_sandboxes_request(None, None, None))
        })
        .await
    }

    /// Starts provisioning a sandbox. The id in the answer may be a placeholder: prefer
    /// [`Self::create_sandbox_and_wait`], which finds the real one.
    pub fn create_sandbox<'a>(&'a self, spec: &'a SandboxSpec) -> CallBuilder<'a, SandboxCreated> {
        CallBuilder::new(move |options| async move { self.start_sandbox(spec, &options).await })
    }

    async fn start_sandbox(
        &self,
        spec: &SandboxSpec,
        options: &CallOptions,
    ) -> Result<Response<SandboxCreated>, Error> {
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
        self.fetch("create_sandbox", Kind::Write, options, |raw| {
            built(raw.create_sandbox_request(&body))
        })
        .await
    }

    /// Creates a sandbox and waits until it is provisioned, then answers it under its
    /// **real** id: the server's answer carries a placeholder id, so this reads the real one
    /// from the placeholder's `provisioning_complete` event, or else finds the sandbox by its
    /// name (a unique one is generated when the spec has none). Gives up after the
    /// provisioning timeout ([`SessionsClientBuilder::provisioning_timeout`](super::SessionsClientBuilder::provisioning_timeout)),
    /// or at the call's [`deadline_at`](CallBuilder::deadline_at) instead when it sets one;
    /// fails with [`Error::ProvisioningFailed`] when the server says provisioning failed. The
    /// call's other options apply to each request it makes; with
    /// [`with_response`](CallBuilder::with_response), the metadata is the last request's
    /// (the one that found the sandbox).
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use std::time::{Duration, Instant};
    /// use sambanova_agents::sessions::SandboxSpec;
    ///
    /// let sandbox = client
    ///     .create_sandbox_and_wait(&SandboxSpec::new("claude-code"))
    ///     .deadline_at(Instant::now() + Duration::from_secs(300))
    ///     .await?;
    /// let session = client.create_session(&sandbox.id).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    pub fn create_sandbox_and_wait<'a>(
        &'a self,
        spec: &'a SandboxSpec,
    ) -> CallBuilder<'a, Sandbox> {
        CallBuilder::new(move |options| async move {
            const OPERATION: &str = "provisioning the sandbox";
            match options.deadline.map(CallDeadline::start) {
                Some(deadline) => {
                    deadline
                        .bound(OPERATION, self.provision(spec, &options, None))
                        .await
                }
                None => {
                    let provisioning = Deadline::after(self.inner.provisioning_timeout);
                    self.provision(spec, &options, Some((OPERATION, provisioning)))
                        .await
                }
            }
        })
    }

    /// Creates the sandbox, and resolves it within `provisioning` when the call has no
    /// deadline of its own.
    async fn provision(
        &self,
        spec: &SandboxSpec,
        options: &CallOptions,
        provisioning: Option<(&str, Deadline)>,
    ) -> Result<Response<Sandbox>, Error> {
        let mut spec = spec.clone();
        let name = spec
            .name
            .get_or_insert_with(|| format!("sdk-{:016x}", rand::random::<u64>()))
            .clone();
        let created = self.start_sandbox(&spec, options).await?;
        let resolve = self.resolve_sandbox(&created.placeholder_id, &name, options);
        match provisioning {
            Some((operation, deadline)) => deadline.bound(operation, resolve).await,
            None => resolve.await,
        }
    }

    async fn resolve_sandbox(
        &self,
        placeholder: &str,
        name: &str,
        options: &CallOptions,
    ) -> Result<Response<Sandbox>, Error> {
        let mut events = SessionEventStream::new(
            self,
            StreamTarget::Sandbox(placeholder.to_owned()),
            None,
            options.clone(),
        );
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
                    return self.sandbox(&id, options).await;
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
            let (sandboxes, meta) = self.sandboxes(options).await?.into_parts();
            let found = sandboxes
                .into_iter()
                .find(|sandbox| sandbox.name.as_deref() == Some(name));
            if let Some(sandbox) = found {
                return Ok(Response::new(sandbox, meta));
            }
            polls.failed();
            let wait = polls.backoff(&policy);
            // Logged, not handed to the retry hook: nothing failed, the sandbox is not ready.
            let event = polls.event(format!("sandbox {name} is not listed yet"), wait, false);
            polls.pause(None, event).await;
        }
    }

    /// One sandbox.
    pub fn get_sandbox<'a>(&'a self, id: &'a str) -> CallBuilder<'a, Sandbox> {
        CallBuilder::new(move |options| async move { self.sandbox(id, &options).await })
    }

    async fn sandbox(&self, id: &str, options: &CallOptions) -> Result<Response<Sandbox>, Error> {
        let id = non_empty("sandbox id", id)?;
        self.fetch("get_sandbox", Kind::Read, options, |raw| {
            built(raw.get_sandbox_request(id))
        })
        .await
    }

    /// Deletes a sandbox. The server answers 500 (`database_error`) when it still has
    /// sessions, after removing the sandbox itself.
    pub fn delete_sandbox<'a>(&'a self, id: &'a str) -> CallBuilder<'a, ()> {
        CallBuilder::new(move |options| async move {
            let id = non_empty("sandbox id", id)?;
            self.done("delete_sandbox", &options, |raw| {
                built(raw.delete_sandbox_request(id))
            })
            .await
        })
    }
}
