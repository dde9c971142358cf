//! The spec pipeline's promises, checked on a scratch copy of the specs (`spec/` and the raw
//! crate's `spec/`, which holds the normalized documents its build reads): regen is deterministic
//! and a no-op on a clean tree, `check` catches a stale generated file and a tampered vendored
//! file, and an overlay action whose target vanished is named.

use std::path::{Path, PathBuf};

use xtask::pipeline::{SPECS, workspace_root};

/// Copies the workspace's spec sources (`spec/`) and the normalized specs (the raw crate's
/// `spec/`) into a fresh directory laid out like the workspace root.
fn scratch_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for specs in ["spec", RAW_SPECS] {
        copy_dir(&workspace_root().join(specs), &dir.path().join(specs));
    }
    dir
}

/// Where the normalized specs live: inside the raw crate's package, which builds from them.
const RAW_SPECS: &str = "crates/sambanova-agents-raw/spec";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn agents_upstream(root: &Path) -> PathBuf {
    root.join("spec/upstream/agents.yaml")
}

#[test]
fn committed_generated_specs_are_up_to_date() {
    let problems = xtask::check::check(&workspace_root()).unwrap();
    assert!(
        problems.is_empty(),
        "run `cargo xtask regen`: {problems:#?}"
    );
}

#[test]
fn regen_is_deterministic_and_a_no_op_on_a_clean_tree() {
    let root = scratch_root();
    let first: Vec<String> = SPECS
        .iter()
        .map(|s| s.render(root.path()).unwrap())
        .collect();
    let second: Vec<String> = SPECS
        .iter()
        .map(|s| s.render(root.path()).unwrap())
        .collect();
    assert_eq!(first, second);
    assert_eq!(
        xtask::check::regen(root.path()).unwrap(),
        Vec::<&str>::new()
    );
}

#[test]
fn editing_the_vendored_spec_fails_check_until_fetch_and_regen() {
    let root = scratch_root();
    let path = agents_upstream(root.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen(
        "Service for Sambanova agents",
        "Service for SambaNova agents",
        1,
    );
    assert_ne!(
        text, edited,
        "the description to edit is in the upstream spec"
    );
    std::fs::write(&path, &edited).unwrap();

    let problems = xtask::check::check(root.path()).unwrap();
    let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    assert!(
        files.contains(&"spec/upstream/agents.yaml"),
        "tampering is caught: {problems:#?}"
    );
    assert!(
        files.contains(&"crates/sambanova-agents-raw/spec/agents.json"),
        "staleness is caught: {problems:#?}"
    );
    let stale = problems
        .iter()
        .find(|p| p.file == "crates/sambanova-agents-raw/spec/agents.json")
        .unwrap();
    assert!(
        stale.message.contains("cargo xtask regen"),
        "{}",
        stale.message
    );
    assert!(
        stale.message.contains("+  \"info\"") || stale.message.contains("SambaNova agents"),
        "has a diff: {}",
        stale.message
    );

    // Vendoring the edited file as a new upstream version and regenerating makes check pass.
    let new_version = root.path().join("new-upstream.yaml");
    std::fs::write(&new_version, &edited).unwrap();
    let spec = xtask::pipeline::spec("agents").unwrap();
    xtask::fetch::fetch(
        root.path(),
        spec,
        Some(xtask::fetch::Origin::File {
            path: new_version,
            downloaded_from: None,
        }),
    )
    .unwrap();
    assert_eq!(
        xtask::check::regen(root.path()).unwrap(),
        vec!["crates/sambanova-agents-raw/spec/agents.json"]
    );
    assert!(xtask::check::check(root.path()).unwrap().is_empty());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        edited,
        "vendored byte for byte"
    );
}

#[test]
fn a_hand_edit_of_the_specs_the_raw_crate_builds_from_fails_check() {
    let root = scratch_root();
    let path = root.path().join(RAW_SPECS).join("sessions.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"openapi\"", "\"x-edited\": true,\n  \"openapi\"", 1),
    )
    .unwrap();

    let problems = xtask::check::check(root.path()).unwrap();
    let files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        vec!["crates/sambanova-agents-raw/spec/sessions.json"],
        "{problems:#?}"
    );
    assert_eq!(
        xtask::check::regen(root.path()).unwrap(),
        vec!["crates/sambanova-agents-raw/spec/sessions.json"],
        "regen writes where the raw crate reads"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn an_overlay_action_whose_target_vanished_is_named() {
    let root = scratch_root();
    let path = agents_upstream(root.path());
    let text = std::fs::read_to_string(&path).unwrap();
    // Upstream renames the files path: the download corrections no longer match.
    std::fs::write(
        &path,
        text.replace("/agent/files/{file_id}:", "/agent/artifacts/{file_id}:"),
    )
    .unwrap();
    let spec = xtask::pipeline::spec("agents").unwrap();
    let error = format!("{:#}", spec.render(root.path()).unwrap_err());
    assert!(error.contains("/agent/files/{file_id}"), "{error}");
    assert!(error.contains("matches nothing"), "{error}");
    assert!(error.contains("action #"), "{error}");
}

#[test]
fn fetch_from_an_unreachable_url_fails_clearly() {
    let root = scratch_root();
    let spec = xtask::pipeline::spec("agents").unwrap();
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    let error = xtask::fetch::fetch(
        root.path(),
        spec,
        Some(xtask::fetch::Origin::Url(
            "http://127.0.0.1:9/spec.yaml".into(),
        )),
    )
    .unwrap_err();
    let text = format!("{error:#}");
    assert!(
        text.contains("cannot fetch http://127.0.0.1:9/spec.yaml"),
        "{text}"
    );
    assert!(text.contains("--file"), "says what to do instead: {text}");
    // Nothing was written.
    assert!(xtask::check::check(root.path()).unwrap().is_empty());
}

#[test]
fn fetch_refuses_a_file_that_is_not_a_spec() {
    let root = scratch_root();
    let junk = root.path().join("junk.yaml");
    std::fs::write(&junk, "- just\n- a list\n").unwrap();
    let spec = xtask::pipeline::spec("agents").unwrap();
    assert!(
        xtask::fetch::fetch(
            root.path(),
            spec,
            Some(xtask::fetch::Origin::File {
                path: junk,
                downloaded_from: None
            })
        )
        .is_err()
    );
    assert!(
        xtask::check::check(root.path()).unwrap().is_empty(),
        "the vendored spec is untouched"
    );
}
