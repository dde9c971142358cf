//! Semantic diff of two OpenAPI documents: `cargo xtask drift OLD NEW [--json]`.
//!
//! Either side may be OpenAPI 3.0 or 3.1, YAML or JSON. The two documents are compared as APIs,
//! not as text: `$ref`s are followed (recursive schemas are guarded), 3.0 `nullable: true` and
//! 3.1 `type: [X, 'null']` / `anyOf: [X, {type: 'null'}]` are the same thing, `allOf` is merged,
//! and paths match whatever their template parameters are called. Every change gets a class:
//!
//! - [`Class::Breaking`]: a client built from the old spec can fail against a server of the new
//!   one (or, for generated clients, the generated API loses something: an operation id, a type).
//! - [`Class::NonBreaking`]: the API changed in a way old clients survive.
//! - [`Class::Cosmetic`]: documentation only (descriptions, summaries, tags, examples, order).
//!
//! The rules follow oasdiff's breaking-change checks, with one direction rule throughout: a
//! request may widen (accept more) but not narrow, a response may narrow but not widen. Two
//! deliberate departures, both because our clients are generated Rust: a new value in a response
//! enum is breaking (the generated enum is exhaustive), and a new response field is breaking when
//! the old schema said `additionalProperties: false` (the generated type denies unknown fields).
//!
//! ```
//! use serde_json::json;
//!
//! let old = json!({"openapi": "3.1.0", "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}}}}}});
//! let new = json!({"openapi": "3.1.0", "paths": {}});
//! let report = xtask::drift::diff(&old, &new);
//! assert_eq!(report.exit_code(), 1);
//! assert_eq!(report.to_text(), "breaking  operation-removed  GET /ping: operation removed\n1 breaking, 0 non-breaking, 0 cosmetic\n");
//! ```

mod document;
mod schema;

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Value, json};

/// How much a change matters to a client built from the old spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A client built from the old spec can break against a server of the new one.
    Breaking,
    /// The API changed in a way old clients survive.
    NonBreaking,
    /// Documentation, examples, order or formatting only.
    Cosmetic,
}

impl Class {
    /// The class as it appears in reports: `breaking`, `non-breaking` or `cosmetic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::NonBreaking => "non-breaking",
            Class::Cosmetic => "cosmetic",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One classified difference between the two specs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Change {
    /// How much the change matters.
    pub class: Class,
    /// What kind of change, in kebab-case (`request-property-added`, `operation-removed`, …).
    pub kind: String,
    /// Where: `POST /agent/coding request.body.prompt`, `GET /agent/files/{file_id} response.200`,
    /// or a document location such as `components.schemas.AgentResponse.properties.status`.
    pub location: String,
    /// A short human explanation, with the old and new values where they are short.
    pub detail: String,
}

impl Change {
    fn sort_key(&self) -> (Class, &str, &str, &str) {
        (self.class, &self.location, &self.kind, &self.detail)
    }
}

/// All the changes between two specs, sorted by class then location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes, most serious first, then by location: the order is deterministic.
    pub changes: Vec<Change>,
}

impl Report {
    fn new(mut changes: Vec<Change>) -> Self {
        changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        // A shared schema's cosmetic edits are reported once, at the component, not per use site.
        changes.dedup();
        Report { changes }
    }

    /// How many changes have this class.
    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }

    /// Whether at least one change is breaking.
    pub fn has_breaking(&self) -> bool {
        self.count(Class::Breaking) > 0
    }

    /// The exit status of `cargo xtask drift`: 1 with a breaking change, otherwise 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.has_breaking())
    }

    /// The summary line: `N breaking, M non-breaking, K cosmetic`.
    pub fn summary(&self) -> String {
        format!(
            "{} breaking, {} non-breaking, {} cosmetic",
            self.count(Class::Breaking),
            self.count(Class::NonBreaking),
            self.count(Class::Cosmetic)
        )
    }

    /// The human report: one `class  kind  location: detail` line per change, then the summary.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for change in &self.changes {
            text.push_str(&format!(
                "{}  {}  {}: {}\n",
                change.class, change.kind, change.location, change.detail
            ));
        }
        text.push_str(&self.summary());
        text.push('\n');
        text
    }

    /// The machine report: `{"changes": [{class, kind, location, detail}], "summary": {…}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "changes": self.changes,
            "summary": {
                "breaking": self.count(Class::Breaking),
                "non_breaking": self.count(Class::NonBreaking),
                "cosmetic": self.count(Class::Cosmetic),
            }
        })
    }
}

/// Compares two parsed OpenAPI documents (3.0 or 3.1, in any mix).
pub fn diff(old: &Value, new: &Value) -> Report {
    let mut changes = Changes::default();
    document::diff_documents(old, new, &mut changes);
    Report::new(changes.0)
}

/// Loads two spec files and compares them; an unreadable file or one that is not an OpenAPI 3.0
/// or 3.1 document is an error naming the file.
pub fn diff_files(old: &Path, new: &Path) -> Result<Report> {
    let old_document = load_openapi(old)?;
    let new_document = load_openapi(new)?;
    Ok(diff(&old_document, &new_document))
}

fn load_openapi(path: &Path) -> Result<Value> {
    let document = crate::load::load_spec(path)?;
    let version = document
        .get("openapi")
        .and_then(Value::as_str)
        .with_context(|| {
            format!(
                "{} is not an OpenAPI document (no `openapi` version)",
                path.display()
            )
        })?;
    anyhow::ensure!(
        version.starts_with("3.0") || version.starts_with("3.1"),
        "{}: unsupported OpenAPI version {version:?} (expected 3.0.x or 3.1.x)",
        path.display()
    );
    Ok(document)
}

/// `cargo xtask drift`: prints the report (text or JSON) and returns the exit status, 0 when no
/// change is breaking and 1 otherwise. Errors (exit 2 in `main`) name the file at fault.
pub fn run(old: &Path, new: &Path, json: bool) -> Result<i32> {
    let report = diff_files(old, new)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(report.exit_code())
}

/// Which way data flows through a schema: the direction decides whether widening is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

impl Direction {
    fn prefix(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }

    /// A schema that now accepts more: fine for what clients send, not for what they receive.
    fn widened(self) -> Class {
        match self {
            Direction::Request => Class::NonBreaking,
            Direction::Response => Class::Breaking,
        }
    }

    /// A schema that now accepts less: fine for what clients receive, not for what they send.
    fn narrowed(self) -> Class {
        match self {
            Direction::Request => Class::Breaking,
            Direction::Response => Class::NonBreaking,
        }
    }
}

/// The collector every comparison appends to.
#[derive(Debug, Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn push(
        &mut self,
        class: Class,
        kind: impl Into<String>,
        location: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.0.push(Change {
            class,
            kind: kind.into(),
            location: location.into(),
            detail: detail.into(),
        });
    }
}

/// Longest value shown in a detail, in characters.
const BRIEF_LIMIT: usize = 60;

/// Compact JSON for a value; strings quoted, with escapes.
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn cut(text: &str) -> String {
    if text.chars().count() <= BRIEF_LIMIT {
        text.to_owned()
    } else {
        let head: String = text.chars().take(BRIEF_LIMIT - 1).collect();
        format!("{head}…")
    }
}

/// A short rendering of a value for a detail: compact JSON, cut at a readable length.
fn brief(value: &Value) -> String {
    cut(&render(value))
}

/// `"old" → "new"`, or `added "new"` / `removed "old"` when one side is missing. Long values are
/// shown from just before the first difference, so that the detail shows what changed.
fn old_to_new(old: Option<&Value>, new: Option<&Value>) -> String {
    match (old, new) {
        (Some(old), Some(new)) => {
            let (old_text, new_text) = (brief(old), brief(new));
            if old_text != new_text || old == new {
                return format!("{old_text} → {new_text}");
            }
            let (old_full, new_full) = (render(old), render(new));
            let common = old_full
                .chars()
                .zip(new_full.chars())
                .take_while(|(a, b)| a == b)
                .count();
            let start = common.saturating_sub(20);
            let window = |text: &str| {
                let tail: String = text.chars().skip(start).collect();
                format!("…{}", cut(&tail))
            };
            format!("{} → {}", window(&old_full), window(&new_full))
        }
        (None, Some(new)) => format!("added {}", brief(new)),
        (Some(old), None) => format!("removed {}", brief(old)),
        (None, None) => String::new(),
    }
}

/// Keywords that only document: their changes are cosmetic wherever they appear.
fn is_cosmetic_keyword(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "title" | "example" | "examples" | "externalDocs" | "$comment"
    ) || key.starts_with("x-")
}

/// Reports every cosmetic keyword that differs between two objects, at `location`.
fn diff_cosmetic_keywords(
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
    location: &str,
    changes: &mut Changes,
) {
    let keys: std::collections::BTreeSet<&String> = old
        .keys()
        .chain(new.keys())
        .filter(|key| is_cosmetic_keyword(key))
        .collect();
    for key in keys {
        let (before, after) = (old.get(key.as_str()), new.get(key.as_str()));
        if before != after {
            let kind = if key.starts_with("x-") {
                "extension-changed".to_owned()
            } else {
                format!("{}-changed", key.trim_start_matches('$').to_lowercase())
            };
            changes.push(
                Class::Cosmetic,
                kind,
                location,
                format!("{key}: {}", old_to_new(before, after)),
            );
        }
    }
}
