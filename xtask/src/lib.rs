//! Maintainer tasks for the spec pipeline, usable from `cargo xtask` and from tests.
//!
//! - [`load`]: read YAML or JSON specs.
//! - [`overlay`]: apply OpenAPI Overlay 1.0 corrections.
//! - [`normalize`]: down-convert OpenAPI 3.1 to the 3.0.3 progenitor reads.
//! - [`pipeline`]: the project's specs and how each becomes `crates/sambanova-agents-raw/spec/*.json`.
//! - [`fetch`], [`record`]: vendor an upstream spec and record where it came from.
//! - [`check`]: `regen` and the CI staleness check.
//! - [`drift`]: classify the changes between two specs as breaking, non-breaking or cosmetic.
//! - [`msrv`]: no dependency needs a newer Rust than the declared `rust-version`.
//! - [`surface`]: the review-friendly API surface text used by snapshot tests.

pub mod check;
pub mod drift;
pub mod fetch;
pub mod load;
pub mod msrv;
pub mod normalize;
pub mod overlay;
pub mod pipeline;
pub mod record;
pub mod surface;
