//! Semantic diff of two OpenAPI documents (placeholder).

/// Placeholder until the differ lands (the drift helper replaces this file).
pub fn run(_old: &std::path::Path, _new: &std::path::Path, _json: bool) -> anyhow::Result<i32> {
    anyhow::bail!("drift is not implemented yet")
}
