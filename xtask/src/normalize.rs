//! Down-conversion of an OpenAPI 3.1 document to the OpenAPI 3.0.3 that progenitor reads.
//!
//! Mechanical and complete for the keywords our specs use (see `docs/progenitor.md`):
//! progenitor rejects `openapi: 3.1.x`, panics on `{type: 'null'}` and refuses a whole client when
//! one operation is `multipart/form-data`. Anything 3.1-only that this module does not know how to
//! express in 3.0 is an error rather than silently dropped.

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

/// The top-level extension that lists the operations moved out of `paths` because progenitor
/// cannot generate them; the SDK implements these by hand.
pub const MANUAL_OPERATIONS: &str = "x-manual-operations";

/// Converts `document` (3.0 or 3.1) in place to OpenAPI 3.0.3 for progenitor.
pub fn to_openapi_30(document: &mut Value) -> Result<()> {
    let Some(root) = document.as_object_mut() else {
        bail!("the document is not a mapping");
    };
    let version = root
        .get("openapi")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !(version.starts_with("3.0") || version.starts_with("3.1")) {
        bail!("unsupported OpenAPI version {version:?}: expected 3.0.x or 3.1.x");
    }
    root.insert("openapi".into(), json!("3.0.3"));
    // 3.1-only top-level members with no 3.0 equivalent that a client could use.
    for key in ["jsonSchemaDialect", "webhooks"] {
        root.shift_remove(key);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.shift_remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.shift_remove("identifier");
        }
    }
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        components.shift_remove("pathItems");
        if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
            for (name, schema) in schemas.iter_mut() {
                convert_schema(schema, &format!("components.schemas.{name}"))?;
            }
        }
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            convert_schemas_under(item, path)?;
        }
    }
    move_manual_operations(root);
    Ok(())
}

/// Finds every `schema` member below an operation (parameters, request bodies, responses).
fn convert_schemas_under(node: &mut Value, location: &str) -> Result<()> {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let here = format!("{location}.{key}");
                if key == "schema" {
                    convert_schema(value, &here)?;
                } else {
                    convert_schemas_under(value, &here)?;
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                convert_schemas_under(item, &format!("{location}[{index}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Converts one JSON Schema 2020-12 schema (3.1) to a 3.0 Schema Object, recursively.
fn convert_schema(schema: &mut Value, location: &str) -> Result<()> {
    let Some(map) = schema.as_object_mut() else {
        return Ok(());
    };

    // `type: [X, 'null']` → `type: X, nullable: true`.
    if let Some(Value::Array(types)) = map.get("type") {
        let non_null: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        let nullable = non_null.len() != types.len();
        match non_null.as_slice() {
            [single] => {
                map.insert("type".into(), single.clone());
            }
            [] => bail!("{location}: a schema of type null alone has no OpenAPI 3.0 form"),
            _ => bail!("{location}: multiple types {types:?} have no OpenAPI 3.0 form"),
        }
        if nullable {
            map.insert("nullable".into(), json!(true));
        }
    }

    // `anyOf/oneOf: [X, {type: 'null'}]` → X's members + `nullable: true`.
    for combinator in ["anyOf", "oneOf"] {
        let Some(Value::Array(variants)) = map.get(combinator) else {
            continue;
        };
        if !variants.iter().any(is_null_schema) {
            continue;
        }
        let rest: Vec<Value> = variants
            .iter()
            .filter(|v| !is_null_schema(v))
            .cloned()
            .collect();
        map.shift_remove(combinator);
        match rest.as_slice() {
            [] => bail!("{location}: {combinator} of null alone has no OpenAPI 3.0 form"),
            [single] if single.get("$ref").is_some() => {
                // A $ref cannot carry siblings in 3.0: wrap it.
                map.insert("allOf".into(), json!([single]));
            }
            [Value::Object(single)] => {
                for (key, value) in single {
                    // The outer schema's own title/description/default win over the variant's.
                    map.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
            _ => {
                map.insert(combinator.into(), Value::Array(rest));
            }
        }
        map.insert("nullable".into(), json!(true));
    }

    // `const: v` → `enum: [v]`.
    if let Some(value) = map.shift_remove("const") {
        map.insert("enum".into(), json!([value]));
    }
    // Numeric `exclusiveMinimum`/`exclusiveMaximum` → the 3.0 boolean form.
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(bound) = map.get(exclusive).filter(|v| v.is_number()).cloned() {
            map.insert(inclusive.into(), bound);
            map.insert(exclusive.into(), json!(true));
        }
    }
    // `examples: [..]` (JSON Schema) → the 3.0 `example` (the first one).
    if let Some(examples) = map.shift_remove("examples")
        && let Some(first) = examples.as_array().and_then(|e| e.first())
    {
        map.entry("example").or_insert_with(|| first.clone());
    }
    // Binary content: `contentMediaType`/`contentEncoding` → 3.0 `format`.
    if map
        .shift_remove("contentEncoding")
        .as_ref()
        .and_then(Value::as_str)
        == Some("base64")
    {
        map.insert("format".into(), json!("byte"));
    }
    if map.shift_remove("contentMediaType").is_some() && !map.contains_key("format") {
        map.insert("format".into(), json!("binary"));
    }
    for keyword in [
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "prefixItems",
        "unevaluatedProperties",
        "dependentRequired",
        "dependentSchemas",
        "if",
        "then",
        "else",
    ] {
        if map.contains_key(keyword) {
            bail!(
                "{location}: the 3.1 keyword `{keyword}` has no OpenAPI 3.0 form; correct it in the overlay"
            );
        }
    }

    // Recurse into subschemas.
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = map.get_mut(key) {
            convert_schema(sub, &format!("{location}.{key}"))?;
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            for (index, sub) in subs.iter_mut().enumerate() {
                convert_schema(sub, &format!("{location}.{key}[{index}]"))?;
            }
        }
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for (name, sub) in properties.iter_mut() {
            convert_schema(sub, &format!("{location}.properties.{name}"))?;
        }
    }
    Ok(())
}

/// Moves the operations progenitor cannot generate (a `multipart/form-data` request body) out of
/// `paths` into [`MANUAL_OPERATIONS`], keeping each full operation so the SDK can be checked
/// against it.
fn move_manual_operations(root: &mut Map<String, Value>) {
    let mut manual = Vec::new();
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            let methods: Vec<String> = item
                .iter()
                .filter(|(_, op)| is_multipart(op))
                .map(|(method, _)| method.clone())
                .collect();
            for method in methods {
                if let Some(operation) = item.shift_remove(&method) {
                    manual.push(json!({
                        "method": method.to_uppercase(),
                        "path": path,
                        "operationId": operation.get("operationId").cloned().unwrap_or(Value::Null),
                        "reason": "multipart/form-data request body: progenitor cannot generate it",
                        "operation": operation,
                    }));
                }
            }
        }
        paths.retain(|_, item| {
            item.as_object()
                .is_none_or(|m| m.keys().any(|k| is_method(k)))
        });
    }
    if !manual.is_empty() {
        root.insert(MANUAL_OPERATIONS.into(), Value::Array(manual));
    }
}

fn is_method(key: &str) -> bool {
    matches!(
        key,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

fn is_multipart(operation: &Value) -> bool {
    operation
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .is_some_and(|content| content.contains_key("multipart/form-data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(mut s: Value) -> Value {
        convert_schema(&mut s, "test").unwrap();
        s
    }

    #[test]
    fn any_of_null_becomes_nullable() {
        assert_eq!(
            schema(json!({"title": "T", "anyOf": [{"type": "string"}, {"type": "null"}]})),
            json!({"title": "T", "type": "string", "nullable": true})
        );
    }

    #[test]
    fn nullable_ref_is_wrapped_in_all_of() {
        assert_eq!(
            schema(json!({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]})),
            json!({"allOf": [{"$ref": "#/x"}], "nullable": true})
        );
    }

    #[test]
    fn type_array_with_null_becomes_nullable() {
        assert_eq!(
            schema(json!({"type": ["integer", "null"]})),
            json!({"type": "integer", "nullable": true})
        );
    }

    #[test]
    fn nested_items_and_properties_are_converted() {
        let s = schema(
            json!({"type": "object", "properties": {"a": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}, "b": {"const": 1}}, "examples": [{"a": []}]}),
        );
        assert_eq!(s["properties"]["b"], json!({"enum": [1]}));
        assert_eq!(s["example"], json!({"a": []}));
        assert!(s.get("examples").is_none());
    }

    #[test]
    fn unknown_31_keyword_is_an_error() {
        let mut s = json!({"prefixItems": []});
        assert!(convert_schema(&mut s, "here").is_err());
    }

    #[test]
    fn multipart_operations_move_out_of_paths() {
        let mut doc = json!({"openapi": "3.1.0", "paths": {
            "/a": {"post": {"operationId": "a", "requestBody": {"content": {"multipart/form-data": {"schema": {}}}}}},
            "/b": {"get": {"operationId": "b"}}
        }});
        to_openapi_30(&mut doc).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc["paths"].get("/a").is_none());
        assert_eq!(doc[MANUAL_OPERATIONS][0]["operationId"], "a");
        assert_eq!(doc[MANUAL_OPERATIONS][0]["method"], "POST");
    }
}
