//! OpenAPI Overlay 1.0 (<https://spec.openapis.org/overlay/v1.0.0.html>): the corrections that make
//! an upstream spec describe the real server.
//!
//! Written by hand because no maintained Rust crate applies Overlay documents; the JSONPath part is
//! delegated to `serde_json_path` (RFC 9535), so this module only does the merge and remove rules.

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

/// An Overlay 1.0 document: an ordered list of actions applied to a target OpenAPI document.
#[derive(Debug, Deserialize)]
pub struct Overlay {
    /// The Overlay specification version; only `1.0.x` is understood.
    pub overlay: String,
    /// The overlay's own title and version.
    pub info: OverlayInfo,
    /// The actions, applied in order.
    pub actions: Vec<Action>,
}

/// The `info` object of an overlay.
#[derive(Debug, Deserialize)]
pub struct OverlayInfo {
    /// What the overlay is for.
    pub title: String,
    /// The overlay's version.
    pub version: String,
}

/// One overlay action: a JSONPath target and either an `update` to merge or a `remove`.
#[derive(Debug, Deserialize)]
pub struct Action {
    /// RFC 9535 JSONPath selecting the nodes to change.
    pub target: String,
    /// Why the upstream document is wrong here; required by this project for every action.
    pub description: Option<String>,
    /// Merged into every selected node.
    pub update: Option<Value>,
    /// Removes every selected node from its parent.
    #[serde(default)]
    pub remove: bool,
}

impl Action {
    fn name(&self, index: usize) -> String {
        match &self.description {
            Some(description) => format!(
                "action #{} (target `{}`: {})",
                index + 1,
                self.target,
                first_line(description)
            ),
            None => format!("action #{} (target `{}`)", index + 1, self.target),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}

impl Overlay {
    /// Parses an overlay from YAML or JSON text and checks its shape.
    pub fn parse(text: &str) -> Result<Self> {
        let overlay: Overlay = serde_yaml_ng::from_str(text).context("invalid overlay document")?;
        ensure!(
            overlay.overlay.starts_with("1.0"),
            "unsupported overlay version {:?} (expected 1.0.x)",
            overlay.overlay
        );
        for (index, action) in overlay.actions.iter().enumerate() {
            ensure!(
                action
                    .description
                    .as_deref()
                    .is_some_and(|d| !d.trim().is_empty()),
                "{} has no `description`: every correction must say why",
                action.name(index)
            );
            ensure!(
                action.remove != action.update.is_some(),
                "{} must have exactly one of `update` or `remove: true`",
                action.name(index)
            );
        }
        Ok(overlay)
    }

    /// Applies every action in order. An action whose target selects nothing is an error naming
    /// the action: upstream has moved under it, and a silent no-op would hide a lost correction.
    pub fn apply(&self, document: &mut Value) -> Result<()> {
        for (index, action) in self.actions.iter().enumerate() {
            apply_action(action, document).with_context(|| action.name(index))?;
        }
        Ok(())
    }
}

fn apply_action(action: &Action, document: &mut Value) -> Result<()> {
    let path =
        JsonPath::parse(&action.target).map_err(|e| anyhow::anyhow!("invalid JSONPath: {e}"))?;
    let pointers: Vec<String> = path
        .query_located(document)
        .locations()
        .map(|location| location.to_json_pointer())
        .collect();
    if pointers.is_empty() {
        bail!("the target matches nothing in the upstream document (did upstream move it?)");
    }
    if action.remove {
        // Remove from the last match backwards so array indices of earlier matches stay valid.
        for pointer in pointers.iter().rev() {
            remove_at(document, pointer)?;
        }
    } else if let Some(update) = &action.update {
        for pointer in &pointers {
            let node = document
                .pointer_mut(pointer)
                .with_context(|| format!("selected node {pointer} vanished"))?;
            merge(node, update);
        }
    }
    Ok(())
}

/// The Overlay 1.0 merge: objects merge key by key, recursively; arrays are appended to;
/// anything else is replaced.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            for (key, value) in update {
                match target.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(target), Value::Array(update)) => target.extend(update.iter().cloned()),
        (Value::Array(target), update) => target.push(update.clone()),
        (target, update) => *target = update.clone(),
    }
}

fn remove_at(document: &mut Value, pointer: &str) -> Result<()> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .context("the document root cannot be removed")?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match document.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&key);
        }
        Some(Value::Array(items)) => {
            let index: usize = key.parse().context("array index expected")?;
            ensure!(index < items.len(), "array index {index} out of range");
            items.remove(index);
        }
        _ => bail!("the parent of {pointer} is not a container"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: &str) -> Overlay {
        Overlay::parse(&format!(
            "overlay: 1.0.0\ninfo: {{title: t, version: '1'}}\nactions:\n{actions}"
        ))
        .unwrap()
    }

    #[test]
    fn update_merges_objects_and_appends_arrays() {
        let mut doc = json!({"a": {"b": 1, "c": [1]}});
        overlay("  - target: $.a\n    description: why\n    update: {b: 2, c: [2], d: x}\n")
            .apply(&mut doc)
            .unwrap();
        assert_eq!(doc, json!({"a": {"b": 2, "c": [1, 2], "d": "x"}}));
    }

    #[test]
    fn remove_deletes_every_match() {
        let mut doc = json!({"p": {"x": {"k": 1}, "y": {"k": 2}}});
        overlay("  - target: $.p.*.k\n    description: why\n    remove: true\n")
            .apply(&mut doc)
            .unwrap();
        assert_eq!(doc, json!({"p": {"x": {}, "y": {}}}));
    }

    #[test]
    fn unmatched_target_names_the_action() {
        let mut doc = json!({"a": 1});
        let err = overlay("  - target: $.nope\n    description: fix the nope\n    remove: true\n")
            .apply(&mut doc)
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("action #1"), "{text}");
        assert!(text.contains("fix the nope"), "{text}");
        assert!(text.contains("matches nothing"), "{text}");
    }

    #[test]
    fn an_action_without_description_is_refused() {
        let err = Overlay::parse(
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.a\n    remove: true\n",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("description"));
    }
}
