// The file name fuzz target's body, shared by `fuzz/fuzz_targets/content_disposition.rs`
// (libFuzzer) and `crates/sambanova-agents/tests/fuzz_smoke.rs` (stable CI). Included with
// `include!`, so no inner attributes or doc comments here.
//
// The input is used as a whole `Content-Disposition` value, as a quoted `filename`, as an
// RFC 5987 `filename*` and as a bare name. Checked for every sanitised result: one plain path
// component that stays inside the target directory, no separators, control or bidi
// characters, no characters Windows forbids, not hidden, not `.`/`..`, no trailing dot or
// space, no DOS device name, at most MAX_FILE_NAME_BYTES; and sanitising is stable.

use std::path::{Component, Path};

use sambanova_agents::filename::{
    MAX_FILE_NAME_BYTES, content_disposition_file_name, sanitize_file_name,
};

pub fn check_safe(name: &str) {
    assert!(!name.is_empty());
    assert!(name.len() <= MAX_FILE_NAME_BYTES, "{} bytes", name.len());
    assert!(!name.contains(['/', '\\', '\0']), "{name:?}");
    assert!(
        !name.contains(['<', '>', ':', '"', '|', '?', '*']),
        "{name:?}"
    );
    assert!(!name.chars().any(char::is_control), "{name:?}");
    assert!(
        !name
            .chars()
            .any(|c| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
        "{name:?}"
    );
    assert!(
        name != "." && name != ".." && !name.starts_with('.'),
        "{name:?}"
    );
    assert!(!name.ends_with(['.', ' ']), "{name:?}");
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ["COM", "LPT"].iter().any(|prefix| {
            stem.strip_prefix(prefix).is_some_and(|digit| {
                matches!(
                    digit,
                    "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
                )
            })
        });
    assert!(!device, "a device name: {name:?}");

    let dir = Path::new("/downloads/target");
    let joined = dir.join(name);
    assert_eq!(joined.parent(), Some(dir), "{name:?} escapes");
    let components: Vec<_> = Path::new(name).components().collect();
    assert!(
        matches!(components.as_slice(), [Component::Normal(_)]),
        "{name:?} is not one plain component"
    );

    assert_eq!(
        sanitize_file_name(name).as_deref(),
        Some(name),
        "sanitising a safe name changed it"
    );
}

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let headers = [
        text.to_string(),
        format!("attachment; filename=\"{text}\""),
        format!("attachment; filename*=UTF-8''{text}"),
        format!("attachment; filename={text}; filename*=UTF-8''{text}"),
    ];
    for header in &headers {
        if let Some(name) = content_disposition_file_name(header)
            && let Some(safe) = sanitize_file_name(&name)
        {
            check_safe(&safe);
        }
    }
    if let Some(safe) = sanitize_file_name(&text) {
        check_safe(&safe);
    }
}
