//! `files get ID [--output DIR]`: downloads an artifact with a progress bar.

use std::path::Path;

use indicatif::ProgressBar;
use serde_json::json;

use crate::context::Context;
use crate::error::CliError;
use crate::progress;

/// Saves file `id` into `dir` (the current directory by default) and says where.
pub async fn get(ctx: &Context, id: &str, dir: Option<&Path>) -> Result<(), CliError> {
    let dir = dir.unwrap_or(Path::new("."));
    let enabled = ctx.output.shows_progress();
    // The size is known only once the response arrives, so the bar is made on first progress.
    let mut bar: Option<ProgressBar> = None;
    let saved = ctx
        .agents()?
        .files()
        .save_with_progress(id, dir, |done, total| {
            bar.get_or_insert_with(|| progress::download_bar(enabled, total))
                .set_position(done);
        })
        .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let saved = saved?;
    let shown = std::path::absolute(&saved.path).unwrap_or(saved.path);
    ctx.output.result(
        &format!("saved {} ({} bytes)", shown.display(), saved.bytes),
        &json!({
            "path": shown,
            "bytes": saved.bytes,
            "request_id": saved.request_id,
        }),
    )?;
    Ok(())
}
