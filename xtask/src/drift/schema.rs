//! Schema comparison: canonical form (3.0 and 3.1 spellings of the same schema agree) and the
//! direction-aware diff of two schemas.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Changes, Class, Direction, brief, is_cosmetic_keyword, old_to_new};

/// Looks up a local `$ref` (`#/components/schemas/X`, any JSON pointer) in `document`.
pub(super) fn lookup<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

/// Follows a chain of `$ref`s (parameters, request bodies, responses, headers) to the object it
/// names; a broken or cyclic chain yields the last object reached.
pub(super) fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    let mut seen = Vec::new();
    while let Some(reference) = current.get("$ref").and_then(Value::as_str) {
        if seen.contains(&reference) {
            break;
        }
        seen.push(reference);
        match lookup(document, reference) {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

fn reference_name(reference: &str) -> String {
    reference.rsplit('/').next().unwrap_or(reference).to_owned()
}

/// A schema in canonical form: references followed, `allOf` merged, nullability separated from
/// the type, `const` as a one-value `enum`, numeric exclusive bounds.
#[derive(Debug, Default, Clone)]
struct Node {
    /// The component this schema came from, when it was (only) a reference to one.
    component: Option<String>,
    /// A `$ref` that could not be followed (external file or broken pointer).
    unresolved: Option<String>,
    /// The JSON types, without `null`; empty means any type.
    types: BTreeSet<String>,
    nullable: bool,
    keywords: Map<String, Value>,
}

fn canonical(document: &Value, schema: &Value, seen: &mut Vec<String>) -> Node {
    let mut node = Node::default();
    let Some(map) = schema.as_object() else {
        // Boolean schemas: `true` accepts anything, `false` nothing.
        if schema == &Value::Bool(false) {
            node.keywords
                .insert("not".into(), Value::Object(Map::new()));
        }
        return node;
    };
    let mut own = map.clone();

    if let Some(reference) = own.shift_remove("$ref") {
        let reference = reference.as_str().unwrap_or_default().to_owned();
        match lookup(document, &reference) {
            Some(target) if !seen.contains(&reference) => {
                seen.push(reference.clone());
                node = canonical(document, target, seen);
                seen.pop();
                // The innermost name (the one holding the structure) identifies the schema, so
                // that an alias or a nullable wrapper of a recursive schema is the same schema.
                node.component
                    .get_or_insert_with(|| reference_name(&reference));
            }
            _ => node.unresolved = Some(reference),
        }
    }

    if let Some(Value::Array(parts)) = own.shift_remove("allOf") {
        let single = parts.len() == 1;
        let mut all_nullable = true;
        for part in &parts {
            let part = canonical(document, part, seen);
            all_nullable &= part.nullable;
            if single && node.component.is_none() {
                node.component.clone_from(&part.component);
            }
            merge(&mut node, part);
        }
        node.nullable = node.nullable || (!parts.is_empty() && all_nullable);
    }

    match own.shift_remove("type") {
        Some(Value::String(name)) => node.types = BTreeSet::from([name]),
        Some(Value::Array(names)) => {
            node.types = names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        _ => {}
    }
    if node.types.len() > 1 && node.types.remove("null") {
        node.nullable = true;
    }
    if own.shift_remove("nullable") == Some(Value::Bool(true)) {
        node.nullable = true;
    }
    if let Some(value) = own.shift_remove("const") {
        own.insert("enum".into(), Value::Array(vec![value]));
    }
    if let Some(Value::Array(values)) = own.get_mut("enum") {
        let before = values.len();
        values.retain(|v| !v.is_null());
        if values.len() != before {
            node.nullable = true;
        }
    }
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if own.get(exclusive) == Some(&Value::Bool(true)) {
            if let Some(bound) = own.shift_remove(inclusive) {
                own.insert(exclusive.into(), bound);
            }
        } else if own.get(exclusive) == Some(&Value::Bool(false)) {
            own.shift_remove(exclusive);
        }
    }

    for composition in ["anyOf", "oneOf"] {
        let Some(Value::Array(variants)) = own.shift_remove(composition) else {
            continue;
        };
        let before = variants.len();
        let variants: Vec<Value> = variants
            .into_iter()
            .filter(|v| !is_null_schema(document, v))
            .collect();
        if variants.len() != before {
            node.nullable = true;
        }
        if variants.len() == 1 {
            let inner = canonical(document, &variants[0], seen);
            if node.component.is_none() {
                node.component.clone_from(&inner.component);
            }
            let nullable = node.nullable || inner.nullable;
            merge(&mut node, inner);
            node.nullable = nullable;
        } else if !variants.is_empty() {
            node.keywords
                .insert(composition.into(), Value::Array(variants));
        }
    }

    // The schema's own keywords win over what `allOf` or a single variant contributed, except
    // properties and required names, which add up.
    for (key, value) in own {
        match (key.as_str(), node.keywords.get_mut(&key)) {
            ("properties", Some(Value::Object(existing))) => {
                if let Value::Object(more) = value {
                    existing.extend(more);
                }
            }
            ("required", Some(Value::Array(existing))) => {
                if let Value::Array(more) = value {
                    for name in more {
                        if !existing.contains(&name) {
                            existing.push(name);
                        }
                    }
                }
            }
            _ => {
                node.keywords.insert(key, value);
            }
        }
    }
    node
}

fn is_null_schema(document: &Value, schema: &Value) -> bool {
    let schema = resolve(document, schema);
    match schema.get("type") {
        Some(Value::String(name)) => name == "null",
        Some(Value::Array(names)) => names.iter().all(|n| n == "null"),
        _ => false,
    }
}

/// Merges one `allOf` part (or the single non-null variant) into `node`.
fn merge(node: &mut Node, part: Node) {
    if node.types.is_empty() {
        node.types = part.types;
    } else if !part.types.is_empty() {
        node.types = node.types.intersection(&part.types).cloned().collect();
    }
    if node.unresolved.is_none() {
        node.unresolved = part.unresolved;
    }
    for (key, value) in part.keywords {
        match (key.as_str(), node.keywords.get_mut(&key), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                for (name, schema) in more {
                    existing.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                for name in more {
                    if !existing.contains(&name) {
                        existing.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                node.keywords.insert(key, value);
            }
        }
    }
}

/// Where a change inside a schema is reported. Semantic changes go to the use site (one per
/// operation); cosmetic ones go to the shared component when both sides use the same one, so
/// that they are reported once.
#[derive(Debug, Clone)]
pub(super) struct Location {
    use_site: String,
    cosmetic: String,
}

impl Location {
    pub(super) fn new(use_site: impl Into<String>) -> Self {
        let use_site = use_site.into();
        Location {
            cosmetic: use_site.clone(),
            use_site,
        }
    }

    fn child(&self, segment: &str) -> Self {
        Location {
            use_site: format!("{}{segment}", self.use_site),
            cosmetic: format!("{}{segment}", self.cosmetic),
        }
    }

    fn in_component(&self, name: &str) -> Self {
        Location {
            use_site: self.use_site.clone(),
            cosmetic: format!("components.schemas.{name}"),
        }
    }
}

/// Compares schemas in one direction, following references in both documents.
pub(super) struct SchemaDiff<'a> {
    old_document: &'a Value,
    new_document: &'a Value,
    direction: Direction,
    changes: &'a mut Changes,
    /// The component pairs being compared on the current path: a recursive schema stops here.
    stack: Vec<(String, String)>,
}

/// Lower bounds: a larger value narrows. Upper bounds: a larger value widens.
const LOWER_BOUNDS: [&str; 5] = [
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
];
const UPPER_BOUNDS: [&str; 5] = [
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
];

/// Keywords that only annotate and whose changes old clients survive.
const ANNOTATIONS: [&str; 4] = ["default", "readOnly", "writeOnly", "deprecated"];

/// Keywords compared by dedicated rules below; anything else that changes is unclassified.
const HANDLED: [&str; 13] = [
    "discriminator",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "format",
    "pattern",
    "uniqueItems",
    "multipleOf",
    "anyOf",
    "oneOf",
    "xml",
];

impl<'a> SchemaDiff<'a> {
    pub(super) fn new(
        old_document: &'a Value,
        new_document: &'a Value,
        direction: Direction,
        changes: &'a mut Changes,
    ) -> Self {
        SchemaDiff {
            old_document,
            new_document,
            direction,
            changes,
            stack: Vec::new(),
        }
    }

    fn push(&mut self, class: Class, what: &str, location: &str, detail: impl Into<String>) {
        let kind = format!("{}-{what}", self.direction.prefix());
        self.changes.push(class, kind, location, detail);
    }

    /// Compares two schemas reached at the same place (`location` names the use site).
    pub(super) fn diff(&mut self, old: &Value, new: &Value, location: &Location) {
        let old = canonical(self.old_document, old, &mut Vec::new());
        let new = canonical(self.new_document, new, &mut Vec::new());

        if old.unresolved.is_some() || new.unresolved.is_some() {
            if old.unresolved != new.unresolved {
                self.push(
                    Class::Breaking,
                    "schema-changed",
                    &location.use_site,
                    format!(
                        "unresolvable $ref {} → {}",
                        old.unresolved.as_deref().unwrap_or("(none)"),
                        new.unresolved.as_deref().unwrap_or("(none)")
                    ),
                );
            }
            return;
        }

        let mut location = location.clone();
        if let (Some(old_name), Some(new_name)) = (&old.component, &new.component) {
            let pair = (old_name.clone(), new_name.clone());
            if self.stack.contains(&pair) {
                return;
            }
            if old_name == new_name {
                location = location.in_component(new_name);
            }
            self.stack.push(pair);
            self.diff_nodes(&old, &new, &location);
            self.stack.pop();
        } else {
            self.diff_nodes(&old, &new, &location);
        }
    }

    fn diff_nodes(&mut self, old: &Node, new: &Node, location: &Location) {
        let here = location.use_site.as_str();
        let direction = self.direction;

        if old.types != new.types {
            let (old_values, new_values) = (accepted(&old.types), accepted(&new.types));
            // An empty set means any type: test it before the subset checks it would satisfy.
            let class = if new.types.is_empty() {
                direction.widened()
            } else if old.types.is_empty() {
                direction.narrowed()
            } else if old_values.is_subset(&new_values) {
                direction.widened()
            } else if new_values.is_subset(&old_values) {
                direction.narrowed()
            } else {
                Class::Breaking
            };
            self.push(
                class,
                "type-changed",
                here,
                format!("type {} → {}", type_name(&old.types), type_name(&new.types)),
            );
            // Widened to (or narrowed from) any type, or to an unrelated type: the details
            // below would only repeat this change.
            let compatible = !old.types.is_empty()
                && !new.types.is_empty()
                && !old.types.is_disjoint(&new.types);
            if !compatible {
                return;
            }
        }

        if old.nullable != new.nullable {
            if new.nullable {
                self.push(
                    direction.widened(),
                    "became-nullable",
                    here,
                    "now accepts null",
                );
            } else {
                self.push(
                    direction.narrowed(),
                    "became-not-nullable",
                    here,
                    "no longer accepts null",
                );
            }
        }

        let (before, after) = (&old.keywords, &new.keywords);
        self.diff_format(before.get("format"), after.get("format"), here);
        self.diff_enum(before.get("enum"), after.get("enum"), here);
        self.diff_bounds(before, after, here);
        self.diff_properties(before, after, location);
        self.diff_additional_properties(
            before.get("additionalProperties"),
            after.get("additionalProperties"),
            location,
        );
        match (before.get("items"), after.get("items")) {
            (Some(old_items), Some(new_items)) => {
                self.diff(old_items, new_items, &location.child("[]"));
            }
            (None, Some(_)) => self.push(
                direction.narrowed(),
                "items-changed",
                here,
                "array items now constrained",
            ),
            (Some(_), None) => self.push(
                direction.widened(),
                "items-changed",
                here,
                "array items no longer constrained",
            ),
            (None, None) => {}
        }
        self.diff_variants(before, after, location);

        for key in ANNOTATIONS {
            let (old_value, new_value) = (before.get(key), after.get(key));
            if old_value != new_value {
                let what = format!("{}-changed", kebab(key));
                let detail = format!("{key}: {}", old_to_new(old_value, new_value));
                self.push(Class::NonBreaking, &what, here, detail);
            }
        }
        let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for key in keys {
            let (old_value, new_value) = (before.get(key.as_str()), after.get(key.as_str()));
            if old_value == new_value
                || is_cosmetic_keyword(key)
                || ANNOTATIONS.contains(&key.as_str())
                || HANDLED.contains(&key.as_str())
                || LOWER_BOUNDS.contains(&key.as_str())
                || UPPER_BOUNDS.contains(&key.as_str())
            {
                continue;
            }
            let detail = format!(
                "{key}: {} (not classified: assumed breaking)",
                old_to_new(old_value, new_value)
            );
            self.push(Class::Breaking, "schema-changed", here, detail);
        }
        if before.get("xml") != after.get("xml") {
            self.changes.push(
                Class::Cosmetic,
                "xml-changed",
                &location.cosmetic,
                "xml changed",
            );
        }
        super::diff_cosmetic_keywords(before, after, &location.cosmetic, self.changes);
    }

    fn diff_format(&mut self, old: Option<&Value>, new: Option<&Value>, here: &str) {
        if old == new {
            return;
        }
        let class = match (old, new) {
            (Some(_), None) => self.direction.widened(),
            (None, Some(_)) => self.direction.narrowed(),
            _ => Class::Breaking,
        };
        self.push(
            class,
            "format-changed",
            here,
            format!("format {}", old_to_new(old, new)),
        );
    }

    fn diff_enum(&mut self, old: Option<&Value>, new: Option<&Value>, here: &str) {
        let direction = self.direction;
        match (old.and_then(Value::as_array), new.and_then(Value::as_array)) {
            (Some(old_values), Some(new_values)) => {
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    // A response enum that grows breaks an exhaustive generated Rust enum.
                    let class = match direction {
                        Direction::Request => Class::NonBreaking,
                        Direction::Response => Class::Breaking,
                    };
                    self.push(
                        class,
                        "enum-value-added",
                        here,
                        format!("enum value {} added", brief(value)),
                    );
                }
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    // Requests: old clients may still send it. Responses: the generated variant
                    // disappears, and code matching on it no longer compiles.
                    self.push(
                        Class::Breaking,
                        "enum-value-removed",
                        here,
                        format!("enum value {} removed", brief(value)),
                    );
                }
            }
            (None, Some(values)) => self.push(
                direction.narrowed(),
                "enum-added",
                here,
                format!("now restricted to {}", brief(&Value::Array(values.clone()))),
            ),
            (Some(_), None) => self.push(
                direction.widened(),
                "enum-removed",
                here,
                "no longer restricted to an enum",
            ),
            (None, None) => {}
        }
    }

    fn diff_bounds(&mut self, old: &Map<String, Value>, new: &Map<String, Value>, here: &str) {
        for (keys, larger_narrows) in [(LOWER_BOUNDS, true), (UPPER_BOUNDS, false)] {
            for key in keys {
                let (before, after) = (old.get(key), new.get(key));
                if before == after {
                    continue;
                }
                let narrowed = match (
                    before.and_then(Value::as_f64),
                    after.and_then(Value::as_f64),
                ) {
                    (Some(b), Some(a)) => (a > b) == larger_narrows,
                    (None, Some(_)) => true,
                    (Some(_), None) => false,
                    (None, None) => continue,
                };
                let class = if narrowed {
                    self.direction.narrowed()
                } else {
                    self.direction.widened()
                };
                let detail = format!(
                    "{key} {} ({})",
                    old_to_new(before, after),
                    if narrowed { "narrowed" } else { "widened" }
                );
                self.push(class, &format!("{}-changed", kebab(key)), here, detail);
            }
        }
        let pattern = (old.get("pattern"), new.get("pattern"));
        if pattern.0 != pattern.1 {
            let class = match pattern {
                (Some(_), None) => self.direction.widened(),
                (None, Some(_)) => self.direction.narrowed(),
                _ => Class::Breaking,
            };
            let detail = format!("pattern {}", old_to_new(pattern.0, pattern.1));
            self.push(class, "pattern-changed", here, detail);
        }
        let unique = |map: &Map<String, Value>| map.get("uniqueItems") == Some(&Value::Bool(true));
        if unique(old) != unique(new) {
            let class = if unique(new) {
                self.direction.narrowed()
            } else {
                self.direction.widened()
            };
            let detail = format!("uniqueItems {} → {}", unique(old), unique(new));
            self.push(class, "unique-items-changed", here, detail);
        }
        let multiple = (old.get("multipleOf"), new.get("multipleOf"));
        if multiple.0 != multiple.1 {
            let detail = format!("multipleOf {}", old_to_new(multiple.0, multiple.1));
            self.push(Class::Breaking, "multiple-of-changed", here, detail);
        }
    }

    fn diff_properties(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &Location,
    ) {
        let empty = Map::new();
        let old_properties = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_properties = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let old_required = required_names(old);
        let new_required = required_names(new);
        let old_closed = old.get("additionalProperties") == Some(&Value::Bool(false));
        let direction = self.direction;

        let names: BTreeSet<&String> = old_properties
            .keys()
            .chain(new_properties.keys())
            .chain(old_required.iter())
            .chain(new_required.iter())
            .collect();
        for name in names {
            let field = location.child(&format!(".{name}"));
            let here = field.use_site.as_str();
            let (was_required, is_required) = (
                old_required.contains(name.as_str()),
                new_required.contains(name.as_str()),
            );
            match (old_properties.get(name), new_properties.get(name)) {
                (Some(old_schema), Some(new_schema)) => {
                    if was_required != is_required {
                        self.diff_required(was_required, is_required, here);
                    }
                    self.diff(old_schema, new_schema, &field);
                }
                (Some(_), None) => {
                    let detail = if was_required {
                        "required field removed"
                    } else {
                        "optional field removed"
                    };
                    self.push(Class::Breaking, "property-removed", here, detail);
                }
                (None, Some(new_schema)) => {
                    let shape = describe(self.new_document, new_schema);
                    let (class, detail) = match direction {
                        Direction::Request if is_required => {
                            (Class::Breaking, format!("new required field ({shape})"))
                        }
                        Direction::Request => {
                            (Class::NonBreaking, format!("new optional field ({shape})"))
                        }
                        Direction::Response if old_closed => (
                            Class::Breaking,
                            format!(
                                "new field ({shape}) in a schema that had additionalProperties: \
                                 false (generated clients reject unknown fields)"
                            ),
                        ),
                        Direction::Response => (Class::NonBreaking, format!("new field ({shape})")),
                    };
                    self.push(class, "property-added", here, detail);
                }
                // Required names without a property schema: only the requirement can change.
                (None, None) => {
                    if was_required != is_required {
                        self.diff_required(was_required, is_required, here);
                    }
                }
            }
        }
    }

    fn diff_required(&mut self, was_required: bool, is_required: bool, here: &str) {
        let direction = self.direction;
        if is_required && !was_required {
            let class = match direction {
                Direction::Request => Class::Breaking,
                Direction::Response => Class::NonBreaking,
            };
            self.push(
                class,
                "property-became-required",
                here,
                "optional → required",
            );
        } else if was_required && !is_required {
            let class = match direction {
                Direction::Request => Class::NonBreaking,
                Direction::Response => Class::Breaking,
            };
            self.push(
                class,
                "property-became-optional",
                here,
                "required → optional",
            );
        }
    }

    fn diff_additional_properties(
        &mut self,
        old: Option<&Value>,
        new: Option<&Value>,
        location: &Location,
    ) {
        use Extra::{Closed, Open, Schema};
        let (before, after) = (Extra::of(old), Extra::of(new));
        let class = match (&before, &after) {
            (Open, Open) | (Closed, Closed) => return,
            (Schema(old_schema), Schema(new_schema)) => {
                self.diff(old_schema, new_schema, &location.child("{}"));
                return;
            }
            (Open, _) | (Schema(_), Closed) => self.direction.narrowed(),
            (Closed, _) | (Schema(_), Open) => self.direction.widened(),
        };
        self.push(
            class,
            "additional-properties-changed",
            &location.use_site,
            format!("additionalProperties {} → {}", before.name(), after.name()),
        );
    }

    fn diff_variants(
        &mut self,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        location: &Location,
    ) {
        let pick = |map: &Map<String, Value>| {
            ["oneOf", "anyOf"].into_iter().find_map(|keyword| {
                map.get(keyword)
                    .and_then(Value::as_array)
                    .map(|variants| (keyword, variants.clone()))
            })
        };
        let here = location.use_site.as_str();
        let direction = self.direction;
        match (pick(old), pick(new)) {
            (Some((old_keyword, old_variants)), Some((new_keyword, new_variants))) => {
                if old_keyword != new_keyword {
                    self.push(
                        Class::Breaking,
                        "composition-changed",
                        here,
                        format!("{old_keyword} → {new_keyword}"),
                    );
                }
                let key = |v: &Value| v.get("$ref").and_then(Value::as_str).map(reference_name);
                let mut matched_new = vec![false; new_variants.len()];
                for (index, old_variant) in old_variants.iter().enumerate() {
                    // Match by component name, else by position among the inline variants.
                    let partner = match key(old_variant) {
                        Some(name) => new_variants
                            .iter()
                            .position(|v| key(v).as_deref() == Some(name.as_str())),
                        None => (index < new_variants.len()
                            && key(&new_variants[index]).is_none()
                            && !matched_new[index])
                            .then_some(index),
                    };
                    match partner {
                        Some(position) => {
                            matched_new[position] = true;
                            let child = location.child(&format!(".{new_keyword}[{position}]"));
                            self.diff(old_variant, &new_variants[position], &child);
                        }
                        None => self.push(
                            direction.narrowed(),
                            "variant-removed",
                            here,
                            format!(
                                "{old_keyword}[{index}] ({}) removed",
                                describe(self.old_document, old_variant)
                            ),
                        ),
                    }
                }
                for (position, variant) in new_variants.iter().enumerate() {
                    if !matched_new[position] {
                        let detail = format!(
                            "{new_keyword}[{position}] ({}) added",
                            describe(self.new_document, variant)
                        );
                        self.push(direction.widened(), "variant-added", here, detail);
                    }
                }
            }
            (None, Some((keyword, _))) => {
                self.push(
                    Class::Breaking,
                    "composition-changed",
                    here,
                    format!("now {keyword}"),
                );
            }
            (Some((keyword, _)), None) => {
                self.push(
                    Class::Breaking,
                    "composition-changed",
                    here,
                    format!("no longer {keyword}"),
                );
            }
            (None, None) => {}
        }
        if old.get("discriminator") != new.get("discriminator") {
            self.push(
                Class::Breaking,
                "discriminator-changed",
                here,
                format!(
                    "discriminator {}",
                    old_to_new(old.get("discriminator"), new.get("discriminator"))
                ),
            );
        }
    }
}

fn required_names(map: &Map<String, Value>) -> BTreeSet<String> {
    map.get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What `additionalProperties` allows: anything (absent, `true`, `{}`), nothing, or a schema.
enum Extra<'v> {
    Open,
    Closed,
    Schema(&'v Value),
}

impl<'v> Extra<'v> {
    fn of(value: Option<&'v Value>) -> Self {
        match value {
            None | Some(Value::Bool(true)) => Extra::Open,
            Some(Value::Object(map)) if map.is_empty() => Extra::Open,
            Some(Value::Bool(false)) => Extra::Closed,
            Some(schema) => Extra::Schema(schema),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Extra::Open => "allowed",
            Extra::Closed => "false",
            Extra::Schema(_) => "a schema",
        }
    }
}

/// The JSON types a type set accepts: `number` includes `integer`.
fn accepted(types: &BTreeSet<String>) -> BTreeSet<&str> {
    let mut accepted: BTreeSet<&str> = types.iter().map(String::as_str).collect();
    if accepted.contains("number") {
        accepted.insert("integer");
    }
    accepted
}

fn type_name(types: &BTreeSet<String>) -> String {
    if types.is_empty() {
        "any".into()
    } else {
        types.iter().cloned().collect::<Vec<_>>().join("|")
    }
}

/// A few words on a schema's shape for details: `string`, `array of string`, `MainAgentRequest`.
pub(super) fn describe(document: &Value, schema: &Value) -> String {
    let node = canonical(document, schema, &mut Vec::new());
    let mut text = match (&node.component, node.types.iter().next()) {
        (Some(name), _) => name.clone(),
        (None, Some(kind)) if kind == "array" => match node.keywords.get("items") {
            Some(items) => format!("array of {}", describe(document, items)),
            None => "array".into(),
        },
        (None, _) => type_name(&node.types),
    };
    if node.nullable {
        text.push_str(", nullable");
    }
    text
}

/// `exclusiveMinimum` → `exclusive-minimum`.
fn kebab(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
