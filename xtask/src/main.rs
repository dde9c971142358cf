//! `cargo xtask`: the maintainer's commands for the spec pipeline.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::fetch::Origin;
use xtask::pipeline::{self, workspace_root};

/// Maintainer tasks for sambanova-agents-rs.
#[derive(Parser)]
#[command(name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Vendor the upstream spec byte for byte into spec/upstream/ and update its record.
    Fetch {
        /// Which upstream spec.
        #[arg(long, default_value = "agents")]
        spec: String,
        /// Fetch from this URL instead of the upstream default.
        #[arg(long, conflicts_with = "file")]
        url: Option<String>,
        /// Take the spec from a local file.
        #[arg(long)]
        file: Option<PathBuf>,
        /// With --file: the URL the file was downloaded from, recorded as its source.
        #[arg(long, requires = "file")]
        downloaded_from: Option<String>,
    },
    /// Apply the overlays and normalize: rewrite crates/sambanova-agents-raw/spec/ (deterministic).
    Regen,
    /// For CI: fail when crates/sambanova-agents-raw/spec/ is stale or a vendored spec does not match its record.
    Check,
    /// Fail when a locked dependency declares a higher rust-version than the workspace.
    Msrv,
    /// Semantic diff of two spec files (OpenAPI 3.0 or 3.1): exit 0 none breaking, 1 breaking, 2 error.
    Drift {
        /// The older spec.
        old: PathBuf,
        /// The newer spec.
        new: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    let root = workspace_root();
    match command {
        Command::Fetch {
            spec,
            url,
            file,
            downloaded_from,
        } => {
            let origin = match (url, file) {
                (Some(url), _) => Some(Origin::Url(url)),
                (None, Some(path)) => Some(Origin::File {
                    path,
                    downloaded_from,
                }),
                (None, None) => None,
            };
            let spec = pipeline::spec(&spec)?;
            let record = xtask::fetch::fetch(&root, spec, origin)?;
            println!(
                "fetched {} ({} bytes, sha256 {}) from {}",
                spec.name, record.size, record.sha256, record.source
            );
            println!("next: `cargo xtask regen`, then `cargo test` and `cargo insta review`");
            Ok(ExitCode::SUCCESS)
        }
        Command::Regen => {
            let changed = xtask::check::regen(&root)?;
            if changed.is_empty() {
                println!("crates/sambanova-agents-raw/spec is up to date");
            }
            for file in changed {
                println!("wrote {file}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let problems = xtask::check::check(&root)?;
            if problems.is_empty() {
                println!("specs OK: records match, crates/sambanova-agents-raw/spec is up to date");
                return Ok(ExitCode::SUCCESS);
            }
            for problem in &problems {
                eprintln!("{}: {}", problem.file, problem.message);
            }
            Ok(ExitCode::from(1))
        }
        Command::Msrv => {
            let (ours, count, too_new) = xtask::msrv::check(&root)?;
            if too_new.is_empty() {
                println!(
                    "rust-version {ours}: none of the {count} locked packages declares a higher one"
                );
                return Ok(ExitCode::SUCCESS);
            }
            for package in &too_new {
                eprintln!(
                    "{} needs Rust {}, above the declared rust-version {ours}: raise it, or hold the dependency back",
                    package.package, package.needs
                );
            }
            Ok(ExitCode::from(1))
        }
        Command::Drift { old, new, json } => {
            let code = xtask::drift::run(&old, &new, json)?;
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(2)))
        }
    }
}
