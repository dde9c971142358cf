//! Document-level comparison: metadata, servers, security, components, paths and operations.
//! Schemas are handed to [`SchemaDiff`] with the direction of the data they describe.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::schema::{Location, SchemaDiff, describe, resolve};
use super::{Changes, Class, Direction, diff_cosmetic_keywords, old_to_new};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Both documents, for resolving references on each side.
#[derive(Clone, Copy)]
struct Documents<'a> {
    old: &'a Value,
    new: &'a Value,
}

pub(super) fn diff_documents(old: &Value, new: &Value, changes: &mut Changes) {
    let documents = Documents { old, new };
    diff_metadata(old, new, changes);
    diff_servers(old, new, changes);
    diff_security_schemes(old, new, changes);
    diff_component_schemas(old, new, changes);
    diff_paths(documents, changes);
}

fn object(value: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    value
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn diff_metadata(old: &Value, new: &Value, changes: &mut Changes) {
    let (old_root, new_root) = (object(Some(old)), object(Some(new)));
    if old.get("openapi") != new.get("openapi") {
        changes.push(
            Class::Cosmetic,
            "openapi-version-changed",
            "openapi",
            old_to_new(old.get("openapi"), new.get("openapi")),
        );
    }

    let (old_info, new_info) = (object(old.get("info")), object(new.get("info")));
    if old_info.get("version") != new_info.get("version") {
        changes.push(
            Class::NonBreaking,
            "info-version-changed",
            "info.version",
            format!(
                "{} (progenitor's api-version header; the raw crate does not send it)",
                old_to_new(old_info.get("version"), new_info.get("version"))
            ),
        );
    }
    diff_cosmetic_keywords(old_info, new_info, "info", changes);
    let other_info: BTreeSet<&String> = old_info
        .keys()
        .chain(new_info.keys())
        .filter(|key| key.as_str() != "version" && !super::is_cosmetic_keyword(key))
        .collect();
    for key in other_info {
        let (before, after) = (old_info.get(key.as_str()), new_info.get(key.as_str()));
        if before != after {
            changes.push(
                Class::Cosmetic,
                "info-changed",
                format!("info.{key}"),
                old_to_new(before, after),
            );
        }
    }

    diff_cosmetic_keywords(old_root, new_root, "document", changes);
    if old.get("tags") != new.get("tags") {
        changes.push(
            Class::Cosmetic,
            "tags-changed",
            "tags",
            "tag definitions changed",
        );
    }
    const COMPARED: [&str; 8] = [
        "openapi",
        "info",
        "servers",
        "paths",
        "components",
        "security",
        "tags",
        "jsonSchemaDialect",
    ];
    let others: BTreeSet<&String> = old_root
        .keys()
        .chain(new_root.keys())
        .filter(|key| !COMPARED.contains(&key.as_str()) && !super::is_cosmetic_keyword(key))
        .collect();
    for key in others {
        let (before, after) = (old_root.get(key.as_str()), new_root.get(key.as_str()));
        if before != after {
            changes.push(
                Class::NonBreaking,
                "document-changed",
                key.as_str(),
                format!("{key} changed (not used by clients)"),
            );
        }
    }
}

fn diff_servers(old: &Value, new: &Value, changes: &mut Changes) {
    let by_url = |document: &Value| -> BTreeMap<String, Map<String, Value>> {
        document
            .get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|server| {
                let url = server.get("url")?.as_str()?.to_owned();
                Some((url, server.as_object()?.clone()))
            })
            .collect()
    };
    let (old_servers, new_servers) = (by_url(old), by_url(new));
    for (url, old_server) in &old_servers {
        match new_servers.get(url) {
            None => changes.push(
                Class::Breaking,
                "server-removed",
                "servers",
                format!("{url} removed (clients built from the old spec default to it)"),
            ),
            Some(new_server) => {
                diff_cosmetic_keywords(old_server, new_server, &format!("servers[{url}]"), changes);
                if old_server.get("variables") != new_server.get("variables") {
                    changes.push(
                        Class::NonBreaking,
                        "server-variables-changed",
                        format!("servers[{url}]"),
                        "server variables changed",
                    );
                }
            }
        }
    }
    for url in new_servers
        .keys()
        .filter(|url| !old_servers.contains_key(*url))
    {
        changes.push(
            Class::NonBreaking,
            "server-added",
            "servers",
            format!("{url} added"),
        );
    }
}

fn diff_security_schemes(old: &Value, new: &Value, changes: &mut Changes) {
    let schemes = |document: &Value| {
        object(document.pointer("/components/securitySchemes"))
            .iter()
            .map(|(name, scheme)| (name.clone(), resolve(document, scheme).clone()))
            .collect::<BTreeMap<String, Value>>()
    };
    let (old_schemes, new_schemes) = (schemes(old), schemes(new));
    for (name, old_scheme) in &old_schemes {
        let location = format!("components.securitySchemes.{name}");
        let Some(new_scheme) = new_schemes.get(name) else {
            changes.push(
                Class::Breaking,
                "security-scheme-removed",
                location,
                "security scheme removed",
            );
            continue;
        };
        for key in ["type", "scheme", "in", "name", "openIdConnectUrl"] {
            if old_scheme.get(key) != new_scheme.get(key) {
                changes.push(
                    Class::Breaking,
                    "security-scheme-changed",
                    &location,
                    format!(
                        "{key}: {}",
                        old_to_new(old_scheme.get(key), new_scheme.get(key))
                    ),
                );
            }
        }
        if old_scheme.get("flows") != new_scheme.get("flows") {
            changes.push(
                Class::NonBreaking,
                "security-scheme-changed",
                &location,
                "OAuth flows changed",
            );
        }
        if old_scheme.get("bearerFormat") != new_scheme.get("bearerFormat") {
            changes.push(
                Class::Cosmetic,
                "security-scheme-changed",
                &location,
                format!(
                    "bearerFormat: {}",
                    old_to_new(
                        old_scheme.get("bearerFormat"),
                        new_scheme.get("bearerFormat")
                    )
                ),
            );
        }
        diff_cosmetic_keywords(
            object(Some(old_scheme)),
            object(Some(new_scheme)),
            &location,
            changes,
        );
    }
    for name in new_schemes
        .keys()
        .filter(|name| !old_schemes.contains_key(*name))
    {
        changes.push(
            Class::NonBreaking,
            "security-scheme-added",
            format!("components.securitySchemes.{name}"),
            "security scheme added",
        );
    }
}

/// Component schemas are compared where operations use them; here only their existence and
/// order, because each one is a generated type.
fn diff_component_schemas(old: &Value, new: &Value, changes: &mut Changes) {
    let (old_schemas, new_schemas) = (
        object(old.pointer("/components/schemas")),
        object(new.pointer("/components/schemas")),
    );
    for name in old_schemas
        .keys()
        .filter(|name| !new_schemas.contains_key(*name))
    {
        changes.push(
            Class::Breaking,
            "schema-removed",
            format!("components.schemas.{name}"),
            format!("schema removed: the generated type `{name}` disappears"),
        );
    }
    for name in new_schemas
        .keys()
        .filter(|name| !old_schemas.contains_key(*name))
    {
        changes.push(
            Class::NonBreaking,
            "schema-added",
            format!("components.schemas.{name}"),
            "schema added",
        );
    }
    diff_order(
        old_schemas.keys().map(String::as_str).collect(),
        new_schemas.keys().map(String::as_str).collect(),
        "components.schemas",
        changes,
    );
}

/// Reports keys present in both lists whose relative order changed (cosmetic), naming the
/// fewest keys that moved.
fn diff_order(old: Vec<&str>, new: Vec<&str>, location: &str, changes: &mut Changes) {
    let old_common: Vec<&str> = old.iter().copied().filter(|k| new.contains(k)).collect();
    let new_common: Vec<&str> = new.iter().copied().filter(|k| old.contains(k)).collect();
    if old_common == new_common {
        return;
    }
    let moved: Vec<&str> = capture_diff_slices(Algorithm::Myers, &old_common, &new_common)
        .into_iter()
        .flat_map(|op| match op {
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => new_common[new_index..new_index + new_len].to_vec(),
            _ => Vec::new(),
        })
        .collect();
    changes.push(
        Class::Cosmetic,
        "reordered",
        location,
        format!("order changed, moved: {}", moved.join(", ")),
    );
}

/// `/agent/files/{file_id}` → `/agent/files/{}`: paths match whatever their parameters are called.
fn template_key(path: &str) -> String {
    let mut key = String::new();
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                key.push('{');
            }
            '}' => {
                in_parameter = false;
                key.push('}');
            }
            _ if in_parameter => {}
            _ => key.push(c),
        }
    }
    key
}

/// The names of a path template's parameters, in order.
fn template_parameters(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// One side's paths keyed by template, keeping the path as written.
fn paths_by_template(document: &Value) -> BTreeMap<String, (&str, &Value)> {
    object(document.get("paths"))
        .iter()
        .map(|(path, item)| (template_key(path), (path.as_str(), resolve(document, item))))
        .collect()
}

fn diff_paths(documents: Documents<'_>, changes: &mut Changes) {
    let old_paths = paths_by_template(documents.old);
    let new_paths = paths_by_template(documents.new);
    let templates: BTreeSet<&String> = old_paths.keys().chain(new_paths.keys()).collect();
    for template in templates {
        let old_entry = old_paths.get(template);
        let new_entry = new_paths.get(template);
        let empty = Value::Object(Map::new());
        let (old_path, old_item) = old_entry.copied().unwrap_or(("", &empty));
        let (new_path, new_item) = new_entry.copied().unwrap_or(("", &empty));
        if old_entry.is_some() && new_entry.is_some() {
            if old_path != new_path {
                changes.push(
                    Class::Cosmetic,
                    "path-parameter-renamed",
                    new_path,
                    format!("path template {old_path} → {new_path}"),
                );
            }
            diff_cosmetic_keywords(
                object(Some(old_item)),
                object(Some(new_item)),
                new_path,
                changes,
            );
        }
        for method in METHODS {
            let verb = method.to_uppercase();
            match (old_item.get(method), new_item.get(method)) {
                (Some(_), None) => changes.push(
                    Class::Breaking,
                    "operation-removed",
                    format!("{verb} {old_path}"),
                    "operation removed",
                ),
                (None, Some(_)) => changes.push(
                    Class::NonBreaking,
                    "operation-added",
                    format!("{verb} {new_path}"),
                    "operation added",
                ),
                (Some(old_operation), Some(new_operation)) => {
                    let sides = Sides {
                        old: Side {
                            path: old_path,
                            item: old_item,
                            operation: old_operation,
                        },
                        new: Side {
                            path: new_path,
                            item: new_item,
                            operation: new_operation,
                        },
                    };
                    diff_operation(documents, &sides, &format!("{verb} {new_path}"), changes);
                }
                (None, None) => {}
            }
        }
    }
    diff_order(
        object(documents.old.get("paths"))
            .keys()
            .map(|p| p.as_str())
            .collect(),
        object(documents.new.get("paths"))
            .keys()
            .map(|p| p.as_str())
            .collect(),
        "paths",
        changes,
    );
}

/// One operation as one document has it.
struct Side<'a> {
    path: &'a str,
    item: &'a Value,
    operation: &'a Value,
}

struct Sides<'a> {
    old: Side<'a>,
    new: Side<'a>,
}

fn diff_operation(documents: Documents<'_>, sides: &Sides<'_>, at: &str, changes: &mut Changes) {
    let (old, new) = (sides.old.operation, sides.new.operation);
    let (old_id, new_id) = (old.get("operationId"), new.get("operationId"));
    if old_id != new_id {
        changes.push(
            Class::Breaking,
            "operation-id-changed",
            at,
            format!(
                "operationId {} (generated clients rename the method)",
                old_to_new(old_id, new_id)
            ),
        );
    }
    let deprecated = |operation: &Value| operation.get("deprecated") == Some(&Value::Bool(true));
    if deprecated(old) != deprecated(new) {
        let detail = if deprecated(new) {
            "operation deprecated"
        } else {
            "operation no longer deprecated"
        };
        changes.push(
            Class::NonBreaking,
            "operation-deprecated-changed",
            at,
            detail,
        );
    }
    if old.get("tags") != new.get("tags") {
        changes.push(
            Class::Cosmetic,
            "tags-changed",
            at,
            format!("tags {}", old_to_new(old.get("tags"), new.get("tags"))),
        );
    }
    diff_cosmetic_keywords(object(Some(old)), object(Some(new)), at, changes);
    diff_parameters(documents, sides, at, changes);
    diff_request_body(
        documents,
        old.get("requestBody"),
        new.get("requestBody"),
        at,
        changes,
    );
    diff_responses(documents, old, new, at, changes);
    diff_security(documents, old, new, at, changes);
}

/// An operation's effective parameters (path-item ones overridden by the operation's), keyed by
/// location and name, except path parameters which are keyed by their position in the template.
fn parameters<'a>(document: &'a Value, side: &Side<'a>) -> BTreeMap<(String, String), &'a Value> {
    let positions = template_parameters(side.path);
    let mut found = BTreeMap::new();
    for list in [
        side.item.get("parameters"),
        side.operation.get("parameters"),
    ] {
        for parameter in list.and_then(Value::as_array).into_iter().flatten() {
            let parameter = resolve(document, parameter);
            let location = parameter
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or("query");
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
            let key = match positions.iter().position(|p| *p == name) {
                Some(index) if location == "path" => format!("#{index}"),
                _ => name.to_owned(),
            };
            found.insert((location.to_owned(), key), parameter);
        }
    }
    found
}

fn diff_parameters(documents: Documents<'_>, sides: &Sides<'_>, at: &str, changes: &mut Changes) {
    let old_parameters = parameters(documents.old, &sides.old);
    let new_parameters = parameters(documents.new, &sides.new);
    let keys: BTreeSet<&(String, String)> =
        old_parameters.keys().chain(new_parameters.keys()).collect();
    let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
    let name = |p: &Value| {
        p.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    for key in keys {
        let (place, _) = key;
        match (old_parameters.get(key), new_parameters.get(key)) {
            (Some(old), None) => changes.push(
                Class::Breaking,
                "request-parameter-removed",
                format!("{at} request.{place}.{}", name(old)),
                "parameter removed",
            ),
            (None, Some(new)) => {
                let shape = describe(documents.new, new.get("schema").unwrap_or(&Value::Null));
                let (class, detail) = if required(new) {
                    (Class::Breaking, format!("new required parameter ({shape})"))
                } else {
                    (
                        Class::NonBreaking,
                        format!("new optional parameter ({shape})"),
                    )
                };
                changes.push(
                    class,
                    "request-parameter-added",
                    format!("{at} request.{place}.{}", name(new)),
                    detail,
                );
            }
            (Some(old), Some(new)) => {
                let here = format!("{at} request.{place}.{}", name(new));
                if name(old) != name(new) {
                    changes.push(
                        Class::Cosmetic,
                        "request-parameter-renamed",
                        &here,
                        format!("path parameter {} → {}", name(old), name(new)),
                    );
                }
                match (required(old), required(new)) {
                    (false, true) => changes.push(
                        Class::Breaking,
                        "request-parameter-became-required",
                        &here,
                        "optional → required",
                    ),
                    (true, false) => changes.push(
                        Class::NonBreaking,
                        "request-parameter-became-optional",
                        &here,
                        "required → optional",
                    ),
                    _ => {}
                }
                for key in ["style", "explode", "allowReserved"] {
                    if old.get(key) != new.get(key) {
                        changes.push(
                            Class::Breaking,
                            "request-parameter-style-changed",
                            &here,
                            format!("{key}: {}", old_to_new(old.get(key), new.get(key))),
                        );
                    }
                }
                if deprecated(old) != deprecated(new) {
                    changes.push(
                        Class::NonBreaking,
                        "request-parameter-deprecated-changed",
                        &here,
                        format!("deprecated {} → {}", deprecated(old), deprecated(new)),
                    );
                }
                let schema = |p: &'_ Value| -> Value {
                    p.get("schema")
                        .or_else(|| {
                            object(p.get("content"))
                                .values()
                                .next()
                                .and_then(|media| media.get("schema"))
                        })
                        .cloned()
                        .unwrap_or(Value::Object(Map::new()))
                };
                SchemaDiff::new(documents.old, documents.new, Direction::Request, changes).diff(
                    &schema(old),
                    &schema(new),
                    &Location::new(&here),
                );
                diff_cosmetic_keywords(object(Some(old)), object(Some(new)), &here, changes);
            }
            (None, None) => {}
        }
    }
}

fn deprecated(value: &Value) -> bool {
    value.get("deprecated") == Some(&Value::Bool(true))
}

/// Media types of a request body or response, lower-cased, each with its schema (`{}` if none).
fn media_types(content: Option<&Value>) -> BTreeMap<String, Value> {
    object(content)
        .iter()
        .map(|(media, value)| {
            let schema = value
                .get("schema")
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            (media.to_ascii_lowercase(), schema)
        })
        .collect()
}

/// Compares two `content` maps; `body` is `request.body` or `response.200.body`.
fn diff_content(
    documents: Documents<'_>,
    direction: Direction,
    old: Option<&Value>,
    new: Option<&Value>,
    at: &str,
    body: &str,
    changes: &mut Changes,
) {
    let (old_media, new_media) = (media_types(old), media_types(new));
    let prefix = direction.prefix();
    let several = old_media.len() > 1 || new_media.len() > 1;
    let located = |media: &str| {
        if several {
            format!("{at} {body}[{media}]")
        } else {
            format!("{at} {body}")
        }
    };
    // One media type swapped for another: a single change, then the schemas are compared.
    if old_media.len() == 1 && new_media.len() == 1 && old_media.keys().ne(new_media.keys()) {
        let (old_type, old_schema) = old_media
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v.clone()))
            .unwrap_or_default();
        let (new_type, new_schema) = new_media
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v.clone()))
            .unwrap_or_default();
        changes.push(
            Class::Breaking,
            format!("{prefix}-media-type-changed"),
            format!("{at} {body}"),
            format!("media type {old_type} → {new_type}"),
        );
        SchemaDiff::new(documents.old, documents.new, direction, changes).diff(
            &old_schema,
            &new_schema,
            &Location::new(format!("{at} {body}")),
        );
        return;
    }
    for (media, old_schema) in &old_media {
        match new_media.get(media) {
            None => changes.push(
                Class::Breaking,
                format!("{prefix}-media-type-removed"),
                format!("{at} {body}"),
                format!("media type {media} removed"),
            ),
            Some(new_schema) => {
                SchemaDiff::new(documents.old, documents.new, direction, changes).diff(
                    old_schema,
                    new_schema,
                    &Location::new(located(media)),
                );
            }
        }
    }
    for media in new_media
        .keys()
        .filter(|media| !old_media.contains_key(*media))
    {
        changes.push(
            Class::NonBreaking,
            format!("{prefix}-media-type-added"),
            format!("{at} {body}"),
            format!("media type {media} added"),
        );
    }
}

fn diff_request_body(
    documents: Documents<'_>,
    old: Option<&Value>,
    new: Option<&Value>,
    at: &str,
    changes: &mut Changes,
) {
    let required = |body: &Value| body.get("required") == Some(&Value::Bool(true));
    let here = format!("{at} request.body");
    match (
        old.map(|b| resolve(documents.old, b)),
        new.map(|b| resolve(documents.new, b)),
    ) {
        (None, None) => {}
        (Some(_), None) => changes.push(
            Class::Breaking,
            "request-body-removed",
            here,
            "request body removed",
        ),
        (None, Some(new)) => {
            let (class, detail) = if required(new) {
                (Class::Breaking, "required request body added")
            } else {
                (Class::NonBreaking, "optional request body added")
            };
            changes.push(class, "request-body-added", here, detail);
        }
        (Some(old), Some(new)) => {
            match (required(old), required(new)) {
                (false, true) => changes.push(
                    Class::Breaking,
                    "request-body-became-required",
                    &here,
                    "optional → required",
                ),
                (true, false) => changes.push(
                    Class::NonBreaking,
                    "request-body-became-optional",
                    &here,
                    "required → optional",
                ),
                _ => {}
            }
            diff_cosmetic_keywords(object(Some(old)), object(Some(new)), &here, changes);
            diff_content(
                documents,
                Direction::Request,
                old.get("content"),
                new.get("content"),
                at,
                "request.body",
                changes,
            );
        }
    }
}

fn diff_responses(
    documents: Documents<'_>,
    old: &Value,
    new: &Value,
    at: &str,
    changes: &mut Changes,
) {
    let (old_responses, new_responses) =
        (object(old.get("responses")), object(new.get("responses")));
    let success = |status: &str| status.starts_with('2');
    for (status, old_response) in old_responses {
        let here = format!("{at} response.{status}");
        let Some(new_response) = new_responses.get(status) else {
            let (class, detail) = if success(status) {
                (Class::Breaking, "success status removed")
            } else {
                (Class::NonBreaking, "non-success status removed")
            };
            changes.push(class, "response-status-removed", here, detail);
            continue;
        };
        let old_response = resolve(documents.old, old_response);
        let new_response = resolve(documents.new, new_response);
        diff_cosmetic_keywords(
            object(Some(old_response)),
            object(Some(new_response)),
            &here,
            changes,
        );
        diff_content(
            documents,
            Direction::Response,
            old_response.get("content"),
            new_response.get("content"),
            at,
            &format!("response.{status}.body"),
            changes,
        );
        diff_response_headers(documents, old_response, new_response, &here, changes);
    }
    for status in new_responses
        .keys()
        .filter(|status| !old_responses.contains_key(*status))
    {
        changes.push(
            Class::NonBreaking,
            "response-status-added",
            format!("{at} response.{status}"),
            "response status added",
        );
    }
}

fn diff_response_headers(
    documents: Documents<'_>,
    old: &Value,
    new: &Value,
    here: &str,
    changes: &mut Changes,
) {
    let headers = |document: &Value, response: &Value| -> BTreeMap<String, Value> {
        object(response.get("headers"))
            .iter()
            .map(|(name, header)| (name.to_ascii_lowercase(), resolve(document, header).clone()))
            .collect()
    };
    let (old_headers, new_headers) = (headers(documents.old, old), headers(documents.new, new));
    let required = |header: &Value| header.get("required") == Some(&Value::Bool(true));
    for (name, old_header) in &old_headers {
        let location = format!("{here}.header.{name}");
        let Some(new_header) = new_headers.get(name) else {
            let class = if required(old_header) {
                Class::Breaking
            } else {
                Class::NonBreaking
            };
            changes.push(class, "response-header-removed", location, "header removed");
            continue;
        };
        if required(old_header) && !required(new_header) {
            changes.push(
                Class::Breaking,
                "response-header-became-optional",
                &location,
                "required → optional",
            );
        }
        let empty = Value::Object(Map::new());
        SchemaDiff::new(documents.old, documents.new, Direction::Response, changes).diff(
            old_header.get("schema").unwrap_or(&empty),
            new_header.get("schema").unwrap_or(&empty),
            &Location::new(&location),
        );
        diff_cosmetic_keywords(
            object(Some(old_header)),
            object(Some(new_header)),
            &location,
            changes,
        );
    }
    for name in new_headers
        .keys()
        .filter(|name| !old_headers.contains_key(*name))
    {
        changes.push(
            Class::NonBreaking,
            "response-header-added",
            format!("{here}.header.{name}"),
            "header added",
        );
    }
}

/// The security alternatives an operation accepts, each a set of `scheme[scopes]`; "no
/// requirement" is the one empty alternative, so that dropping auth reads as a widening.
fn security(document: &Value, operation: &Value) -> BTreeSet<BTreeSet<String>> {
    let requirements = operation
        .get("security")
        .or_else(|| document.get("security"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut alternatives: BTreeSet<BTreeSet<String>> = requirements
        .iter()
        .map(|requirement| {
            object(Some(requirement))
                .iter()
                .map(|(scheme, scopes)| {
                    let scopes: Vec<&str> = scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    if scopes.is_empty() {
                        scheme.clone()
                    } else {
                        format!("{scheme}[{}]", scopes.join(","))
                    }
                })
                .collect()
        })
        .collect();
    if alternatives.is_empty() {
        alternatives.insert(BTreeSet::new());
    }
    alternatives
}

fn render_security(alternatives: &BTreeSet<BTreeSet<String>>) -> String {
    alternatives
        .iter()
        .map(|alternative| {
            if alternative.is_empty() {
                "none".to_owned()
            } else {
                alternative.iter().cloned().collect::<Vec<_>>().join(" + ")
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn diff_security(
    documents: Documents<'_>,
    old: &Value,
    new: &Value,
    at: &str,
    changes: &mut Changes,
) {
    let (before, after) = (security(documents.old, old), security(documents.new, new));
    if before == after {
        return;
    }
    let detail = format!(
        "security {} → {}",
        render_security(&before),
        render_security(&after)
    );
    let lost = before
        .iter()
        .any(|alternative| !after.contains(alternative));
    if !lost {
        changes.push(Class::NonBreaking, "security-alternative-added", at, detail);
    } else if before.contains(&BTreeSet::new()) {
        changes.push(Class::Breaking, "security-added", at, detail);
    } else {
        changes.push(Class::Breaking, "security-changed", at, detail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_ignore_parameter_names() {
        assert_eq!(template_key("/agent/files/{file_id}"), "/agent/files/{}");
        assert_eq!(template_parameters("/a/{x}/b/{y}"), vec!["x", "y"]);
    }

    #[test]
    fn order_change_names_the_moved_keys() {
        let mut changes = Changes::default();
        diff_order(
            vec!["a", "b", "c", "d"],
            vec!["c", "d", "a", "b"],
            "paths",
            &mut changes,
        );
        assert_eq!(changes.0.len(), 1);
        assert_eq!(changes.0[0].class, Class::Cosmetic);
    }
}
