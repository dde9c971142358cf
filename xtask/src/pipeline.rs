//! The spec pipeline: which specs exist, and how each becomes the normalized document that
//! progenitor reads (`crates/sambanova-agents-raw/spec/*.json`, inside the raw crate's package so a published crate builds).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::load::load_spec;
use crate::normalize::to_openapi_30;
use crate::overlay::Overlay;

/// Where a spec comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// Vendored byte for byte from upstream (see `cargo xtask fetch`), corrected by an overlay.
    Upstream {
        /// The vendored file, relative to the workspace root.
        vendored: &'static str,
        /// The fetch record beside it (source URL, sha256, size, date).
        record: &'static str,
        /// The Overlay 1.0 corrections.
        overlay: &'static str,
        /// Where `cargo xtask fetch` fetches from by default.
        default_url: &'static str,
    },
    /// Written by this project (no upstream publishes one), describing the real server.
    Authored {
        /// The spec, relative to the workspace root.
        path: &'static str,
    },
}

/// One API spec that goes through the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Short name, used for the generated file and the raw client's module.
    pub name: &'static str,
    /// Where it comes from.
    pub source: Source,
    /// The normalized document, relative to the workspace root.
    pub generated: &'static str,
}

/// The upstream location of the SambaNova Agents spec.
pub const AGENTS_UPSTREAM_URL: &str = "https://raw.githubusercontent.com/sambanova/agents/refs/heads/main/chat-sambanova-agent-api-spec.yaml";

/// Every spec of the project.
pub const SPECS: &[Spec] = &[
    Spec {
        name: "agents",
        source: Source::Upstream {
            vendored: "spec/upstream/agents.yaml",
            record: "spec/upstream/agents.source.json",
            overlay: "spec/overlays/agents.overlay.yaml",
            default_url: AGENTS_UPSTREAM_URL,
        },
        generated: "crates/sambanova-agents-raw/spec/agents.json",
    },
    Spec {
        name: "sessions",
        source: Source::Authored {
            path: "spec/sessions.yaml",
        },
        generated: "crates/sambanova-agents-raw/spec/sessions.json",
    },
    Spec {
        name: "agent-stream",
        source: Source::Authored {
            path: "spec/agent-stream.yaml",
        },
        generated: "crates/sambanova-agents-raw/spec/agent-stream.json",
    },
];

/// The workspace root (the parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Looks a spec up by name.
pub fn spec(name: &str) -> Result<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.name == name)
        .with_context(|| format!("no spec named {name:?}"))
}

impl Spec {
    /// Produces the normalized document from the files under `root`: overlay (if any), then
    /// down-conversion to OpenAPI 3.0.3.
    pub fn normalized(&self, root: &Path) -> Result<Value> {
        let mut document = match self.source {
            Source::Upstream {
                vendored, overlay, ..
            } => {
                let mut document = load_spec(&root.join(vendored))?;
                let overlay_text = std::fs::read_to_string(root.join(overlay))
                    .with_context(|| format!("cannot read {overlay}"))?;
                Overlay::parse(&overlay_text)
                    .and_then(|o| o.apply(&mut document))
                    .with_context(|| format!("applying {overlay} to {vendored}"))?;
                document
            }
            Source::Authored { path } => load_spec(&root.join(path))?,
        };
        to_openapi_30(&mut document)
            .with_context(|| format!("normalizing spec {:?}", self.name))?;
        // What progenitor reads must be a valid 3.0 document: fail here, with the reason, rather
        // than in a build script.
        serde_json::from_value::<openapiv3::OpenAPI>(document.clone()).with_context(|| {
            format!(
                "the normalized {:?} spec is not valid OpenAPI 3.0",
                self.name
            )
        })?;
        Ok(document)
    }

    /// The normalized document as the exact text committed under `crates/sambanova-agents-raw/spec/`.
    pub fn render(&self, root: &Path) -> Result<String> {
        let document = self.normalized(root)?;
        let mut text = serde_json::to_string_pretty(&document)?;
        text.push('\n');
        Ok(text)
    }
}
