//! Snapshots of the API surface: they fail `cargo test` with a readable diff when the spec (or
//! what progenitor generates from it) changes. Review with `cargo insta review`.

use xtask::load::load_spec;
use xtask::pipeline::{SPECS, workspace_root};

#[test]
fn normalized_spec_surface() {
    let root = workspace_root();
    for spec in SPECS {
        let document = load_spec(&root.join(spec.generated)).unwrap();
        insta::assert_snapshot!(
            format!("surface_{}", spec.name.replace('-', "_")),
            xtask::surface::render(&document)
        );
    }
}

#[test]
fn raw_client_surface_agents() {
    insta::assert_snapshot!(sambanova_agents_raw::agents::SURFACE);
}

#[test]
fn raw_client_surface_sessions() {
    insta::assert_snapshot!(sambanova_agents_raw::sessions::SURFACE);
}

#[test]
fn raw_client_surface_agent_stream() {
    insta::assert_snapshot!(sambanova_agents_raw::agent_stream::SURFACE);
}
