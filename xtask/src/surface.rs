//! The API surface of a normalized spec as review-friendly text: one block per operation with
//! its parameters, request body and responses (statuses with the same body grouped), then one
//! block per named schema with its fields. Inline schemas are expanded where they are used.
//! Snapshot-tested, so an upstream change fails `cargo test` with a diff a maintainer can read
//! in a minute.

use std::fmt::Write;

use serde_json::Value;

use crate::normalize::MANUAL_OPERATIONS;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Renders the surface of a normalized (OpenAPI 3.0.3) document.
pub fn render(document: &Value) -> String {
    let mut out = String::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(*method) {
                    render_operation(
                        &mut out,
                        document,
                        &method.to_uppercase(),
                        path,
                        operation,
                        None,
                    );
                }
            }
        }
    }
    if let Some(manual) = document.get(MANUAL_OPERATIONS).and_then(Value::as_array) {
        for entry in manual {
            let method = entry.get("method").and_then(Value::as_str).unwrap_or("?");
            let path = entry.get("path").and_then(Value::as_str).unwrap_or("?");
            let reason = entry.get("reason").and_then(Value::as_str);
            if let Some(operation) = entry.get("operation") {
                render_operation(&mut out, document, method, path, operation, reason);
            }
        }
    }
    if let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        let mut names: Vec<&String> = schemas.keys().collect();
        names.sort();
        for name in names {
            let _ = writeln!(out, "schema {name}");
            render_fields(&mut out, document, &schemas[name.as_str()], "  ");
            out.push('\n');
        }
    }
    out
}

/// Expands the fields of an inline object schema; a named one is listed once at the end.
fn render_inline_fields(out: &mut String, document: &Value, schema: &Value, indent: &str) {
    if schema.get("$ref").is_none() {
        render_fields(out, document, schema, indent);
    }
}

fn render_operation(
    out: &mut String,
    document: &Value,
    method: &str,
    path: &str,
    operation: &Value,
    manual_reason: Option<&str>,
) {
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("(no operationId)");
    let _ = writeln!(out, "{method} {path}");
    let _ = writeln!(out, "  operation: {id}");
    if let Some(reason) = manual_reason {
        let _ = writeln!(out, "  hand-written in the SDK: {reason}");
    }
    for parameter in operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let parameter = resolve(document, parameter);
        let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = parameter.get("in").and_then(Value::as_str).unwrap_or("?");
        let required = parameter
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let ty = parameter.get("schema").map(type_name).unwrap_or_default();
        let _ = writeln!(
            out,
            "  parameter {location} {name}: {ty}{}",
            if required { " (required)" } else { "" }
        );
    }
    if let Some(body) = operation.get("requestBody") {
        let body = resolve(document, body);
        let required = body
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        for (media, content) in body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let schema = content.get("schema").cloned().unwrap_or(Value::Null);
            let _ = writeln!(
                out,
                "  request {media}{}: {}",
                if required { " (required)" } else { "" },
                type_name(&schema)
            );
            render_inline_fields(out, document, &schema, "    ");
        }
    }
    // Statuses answering the same body are listed together: `response 401|422|500 ...`.
    let mut lines: Vec<(String, String, Option<Value>)> = Vec::new();
    let mut responses: Vec<(&String, &Value)> = operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .collect();
    responses.sort_by(|a, b| a.0.cmp(b.0));
    for (status, response) in responses {
        let response = resolve(document, response);
        let content: Vec<(String, Option<Value>)> =
            match response.get("content").and_then(Value::as_object) {
                Some(content) if !content.is_empty() => content
                    .iter()
                    .map(|(media, c)| {
                        let schema = c.get("schema").cloned().unwrap_or(Value::Null);
                        (format!("{media}: {}", type_name(&schema)), Some(schema))
                    })
                    .collect(),
                _ => vec![("(no body)".to_string(), None)],
            };
        for (shape, schema) in content {
            match lines.iter_mut().find(|(_, s, _)| *s == shape) {
                Some((statuses, _, _)) => {
                    statuses.push('|');
                    statuses.push_str(status);
                }
                None => lines.push((status.clone(), shape, schema)),
            }
        }
    }
    for (statuses, shape, schema) in lines {
        let _ = writeln!(out, "  response {statuses} {shape}");
        if let Some(schema) = schema {
            render_inline_fields(out, document, &schema, "    ");
        }
    }
    out.push('\n');
}

/// Follows a local `$ref` (guarding against cycles of references).
fn resolve<'a>(document: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        match reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer))
        {
            Some(target) => node = target,
            None => return node,
        }
    }
    node
}

/// Collects an object schema's properties (through `$ref` and `allOf`), with required-ness.
fn properties<'a>(document: &'a Value, schema: &'a Value) -> Vec<(&'a String, &'a Value, bool)> {
    let schema = resolve(document, schema);
    let mut fields = Vec::new();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        fields.extend(properties(document, part));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        fields.push((name, property, required.contains(&name.as_str())));
    }
    fields.sort_by(|a, b| a.0.cmp(b.0));
    fields
}

fn render_fields(out: &mut String, document: &Value, schema: &Value, indent: &str) {
    let resolved = resolve(document, schema);
    for (name, property, required) in properties(document, schema) {
        let _ = writeln!(
            out,
            "{indent}{name}: {}{}",
            type_name(property),
            if required { " (required)" } else { "" }
        );
    }
    match resolved.get("additionalProperties") {
        Some(Value::Bool(false)) => {
            let _ = writeln!(out, "{indent}(no other fields)");
        }
        Some(Value::Object(extra)) => {
            let _ = writeln!(
                out,
                "{indent}*: {}",
                type_name(&Value::Object(extra.clone()))
            );
        }
        _ => {}
    }
}

/// A compact type expression: `string`, `string?` (nullable), `array<Foo>`, `Foo` (a named
/// component), `enum(a|b)`, `any`.
fn type_name(schema: &Value) -> String {
    let nullable = schema
        .get("nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let suffix = if nullable { "?" } else { "" };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return format!(
            "{}{suffix}",
            reference.rsplit('/').next().unwrap_or(reference)
        );
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array)
        && let [single] = parts.as_slice()
    {
        return format!("{}{suffix}", type_name(single));
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(parts) = schema.get(combinator).and_then(Value::as_array) {
            let names: Vec<String> = parts.iter().map(type_name).collect();
            return format!("{combinator}({}){suffix}", names.join("|"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return format!("enum({}){suffix}", names.join("|"));
    }
    let base = match schema.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "array<{}>",
            schema
                .get("items")
                .map(type_name)
                .unwrap_or_else(|| "any".into())
        ),
        Some(ty) => match schema.get("format").and_then(Value::as_str) {
            Some(format) => format!("{ty}({format})"),
            None => ty.to_string(),
        },
        None if schema.get("properties").is_some() => "object".to_string(),
        None => "any".to_string(),
    };
    format!("{base}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_fields_with_required_and_nullable() {
        let doc = json!({
            "components": {"schemas": {"R": {"type": "object", "required": ["a"], "properties": {
                "a": {"type": "string"}, "b": {"type": "string", "nullable": true}}}}},
            "paths": {"/x": {"post": {"operationId": "x",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/R"}}}},
                "responses": {"200": {"content": {"text/html": {"schema": {"type": "string"}}}}}}}}
        });
        let text = render(&doc);
        assert!(text.contains("POST /x\n  operation: x\n"), "{text}");
        assert!(
            text.contains("  request application/json (required): R\n"),
            "{text}"
        );
        assert!(
            text.contains("schema R\n  a: string (required)\n  b: string?\n"),
            "{text}"
        );
        assert!(
            text.contains("  response 200 text/html: string\n"),
            "{text}"
        );
    }
}
