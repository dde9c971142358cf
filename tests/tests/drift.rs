//! `cargo xtask drift`: the classification of spec changes, on edits of the real upstream spec
//! and on the upstream history (snapshots; review with `cargo insta review`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xtask::drift::{Class, Report, diff, diff_files};
use xtask::load::load_spec;

fn history_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upstream-history")
}

/// The history files, oldest first (their names sort by version).
fn history() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(history_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The newest upstream spec, the base the edits below start from.
fn latest() -> Value {
    load_spec(history().last().unwrap()).unwrap()
}

fn pointer<'a>(document: &'a mut Value, path: &str) -> &'a mut Value {
    document
        .pointer_mut(path)
        .unwrap_or_else(|| panic!("{path} not in the spec"))
}

fn of_class(report: &Report, class: Class) -> Vec<String> {
    report
        .changes
        .iter()
        .filter(|c| c.class == class)
        .map(|c| format!("{}  {}: {}", c.kind, c.location, c.detail))
        .collect()
}

fn breaking(report: &Report) -> Vec<String> {
    of_class(report, Class::Breaking)
}

fn non_breaking(report: &Report) -> Vec<String> {
    of_class(report, Class::NonBreaking)
}

#[test]
fn every_history_file_against_itself_has_no_change() {
    for file in history() {
        let report = diff_files(&file, &file).unwrap();
        assert_eq!(report.changes, vec![], "{}", file.display());
        assert_eq!(report.exit_code(), 0);
        assert_eq!(report.to_text(), "0 breaking, 0 non-breaking, 0 cosmetic\n");
    }
}

#[test]
fn a_description_edit_is_one_cosmetic_change() {
    let old = latest();
    let mut new = old.clone();
    *pointer(&mut new, "/paths/~1agent~1coding/post/description") = json!("Runs Python.");
    let report = diff(&old, &new);
    assert_eq!(report.changes.len(), 1, "{}", report.to_text());
    let change = &report.changes[0];
    assert_eq!(change.class, Class::Cosmetic);
    assert_eq!(change.kind, "description-changed");
    assert_eq!(change.location, "POST /agent/coding");
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn a_new_required_request_field_is_breaking_and_named() {
    let old = latest();
    let mut new = old.clone();
    let schema = pointer(&mut new, "/components/schemas/MainAgentRequest");
    schema["properties"]["priority"] = json!({"type": "integer"});
    schema["required"]
        .as_array_mut()
        .unwrap()
        .push(json!("priority"));
    let report = diff(&old, &new);
    assert_eq!(report.exit_code(), 1);
    assert!(
        report.to_text().contains(
            "breaking  request-property-added  POST /agent/mainagent request.body.priority: \
             new required field (integer)\n"
        ),
        "{}",
        report.to_text()
    );
    assert_eq!(breaking(&report).len(), 1, "{}", report.to_text());
}

#[test]
fn a_new_optional_request_field_is_not_breaking() {
    let old = latest();
    let mut new = old.clone();
    pointer(&mut new, "/components/schemas/MainAgentRequest/properties")["temperature"] =
        json!({"type": "number"});
    let report = diff(&old, &new);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(
        non_breaking(&report),
        [
            "request-property-added  POST /agent/mainagent request.body.temperature: new optional field (number)"
        ]
    );
}

#[test]
fn removing_an_operation_is_breaking_and_adding_one_is_not() {
    let old = latest();
    let mut removed = old.clone();
    pointer(&mut removed, "/paths")
        .as_object_mut()
        .unwrap()
        .shift_remove("/agent/coding");
    let report = diff(&old, &removed);
    assert_eq!(report.exit_code(), 1);
    assert_eq!(
        breaking(&report),
        ["operation-removed  POST /agent/coding: operation removed"]
    );

    let report = diff(&removed, &old);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(
        non_breaking(&report),
        ["operation-added  POST /agent/coding: operation added"]
    );
}

#[test]
fn enum_values_added_break_responses_but_not_requests() {
    let mut old = latest();
    pointer(
        &mut old,
        "/components/schemas/AgentResponse/properties/status",
    )["enum"] = json!(["completed", "error"]);
    pointer(
        &mut old,
        "/components/schemas/DeepResearchRequest/properties/prompt",
    )["enum"] = json!(["a", "b"]);
    let mut new = old.clone();
    pointer(
        &mut new,
        "/components/schemas/AgentResponse/properties/status",
    )["enum"] = json!(["completed", "error", "interrupted"]);
    pointer(
        &mut new,
        "/components/schemas/DeepResearchRequest/properties/prompt",
    )["enum"] = json!(["a", "b", "c"]);
    let report = diff(&old, &new);
    assert_eq!(report.exit_code(), 1);
    // AgentResponse is the 200 body of the two interactive operations that use it.
    assert_eq!(
        breaking(&report),
        [
            "response-enum-value-added  POST /agent/datascience/interactive response.200.body.status: enum value \"interrupted\" added",
            "response-enum-value-added  POST /agent/deepresearch/interactive response.200.body.status: enum value \"interrupted\" added",
        ]
    );
    assert_eq!(
        non_breaking(&report),
        [
            "request-enum-value-added  POST /agent/deepresearch request.body.prompt: enum value \"c\" added"
        ]
    );

    // The reverse: a value removed from a request enum breaks old clients that send it.
    let report = diff(&new, &old);
    assert!(breaking(&report).contains(
        &"request-enum-value-removed  POST /agent/deepresearch request.body.prompt: enum value \"c\" removed"
            .to_owned()
    ));
}

#[test]
fn response_and_request_field_changes_follow_the_direction_rule() {
    let old = latest();
    let mut new = old.clone();
    let response = pointer(&mut new, "/components/schemas/AgentResponse");
    response["properties"]
        .as_object_mut()
        .unwrap()
        .shift_remove("result");
    response["properties"]["thread_id"]["type"] = json!("integer");
    let request = pointer(&mut new, "/components/schemas/FinancialAnalysisRequest");
    request["required"] = json!([]);
    let report = diff(&old, &new);
    let breaking = breaking(&report);
    for expected in [
        "response-property-removed  POST /agent/deepresearch/interactive response.200.body.result: optional field removed",
        "response-type-changed  POST /agent/deepresearch/interactive response.200.body.thread_id: type string → integer",
    ] {
        assert!(breaking.contains(&expected.to_owned()), "{breaking:#?}");
    }
    assert!(
        non_breaking(&report).contains(
            &"request-property-became-optional  POST /agent/financialanalysis request.body.prompt: required → optional"
                .to_owned()
        ),
        "{}",
        report.to_text()
    );
}

#[test]
fn a_response_field_added_to_a_closed_schema_is_breaking() {
    // BaseAgentResponse says `additionalProperties: false`: generated types reject unknown fields.
    let old = latest();
    let mut new = old.clone();
    pointer(&mut new, "/components/schemas/BaseAgentResponse/properties")["usage"] =
        json!({"type": "object"});
    let report = diff(&old, &new);
    assert_eq!(report.exit_code(), 1);
    assert!(
        breaking(&report)
            .iter()
            .all(|line| line.starts_with("response-property-added")
                && line.contains("response.200.body.usage")),
        "{}",
        report.to_text()
    );

    // In an open schema the same addition is harmless.
    let mut old_open = old.clone();
    pointer(&mut old_open, "/components/schemas/BaseAgentResponse")
        .as_object_mut()
        .unwrap()
        .shift_remove("additionalProperties");
    let mut new_open = new.clone();
    pointer(&mut new_open, "/components/schemas/BaseAgentResponse")
        .as_object_mut()
        .unwrap()
        .shift_remove("additionalProperties");
    assert_eq!(diff(&old_open, &new_open).exit_code(), 0);
}

#[test]
fn security_added_and_operation_id_changed_are_breaking() {
    let mut old = latest();
    old.as_object_mut().unwrap().shift_remove("security");
    pointer(&mut old, "/paths/~1agent~1files~1{file_id}/get")
        .as_object_mut()
        .unwrap()
        .shift_remove("security");
    let mut new = old.clone();
    pointer(&mut new, "/paths/~1agent~1files~1{file_id}/get")["security"] =
        json!([{"api_key": []}]);
    pointer(&mut new, "/paths/~1agent~1files~1{file_id}/get")["operationId"] =
        json!("download_file");
    let report = diff(&old, &new);
    assert_eq!(
        breaking(&report),
        [
            "operation-id-changed  GET /agent/files/{file_id}: operationId \"download_agent_file_agent_files__file_id__get\" → \"download_file\" (generated clients rename the method)",
            "security-added  GET /agent/files/{file_id}: security none → api_key",
        ]
    );
}

#[test]
fn type_changes_are_classified_by_direction() {
    let old = latest();
    let mut new = old.clone();
    // Request: string → string|integer accepts more; response: narrowed from any type to string.
    pointer(
        &mut new,
        "/components/schemas/MainAgentRequest/properties/prompt",
    )["type"] = json!(["string", "integer"]);
    pointer(
        &mut new,
        "/paths/~1agent~1files~1{file_id}/get/responses/200/content/application~1json",
    )["schema"] = json!({"type": "string", "format": "binary"});
    let report = diff(&old, &new);
    assert_eq!(report.exit_code(), 0, "{}", report.to_text());
    assert_eq!(
        non_breaking(&report),
        [
            "response-type-changed  GET /agent/files/{file_id} response.200.body: type any → string",
            "request-type-changed  POST /agent/mainagent request.body.prompt: type string → integer|string",
        ]
    );

    // And back: the request narrows (breaking), the response widens to any type (breaking).
    let report = diff(&new, &old);
    assert_eq!(breaking(&report).len(), 2, "{}", report.to_text());
}

#[test]
fn parameters_statuses_and_media_types() {
    let old = latest();
    let mut new = old.clone();
    let download = pointer(&mut new, "/paths/~1agent~1files~1{file_id}/get");
    download["parameters"].as_array_mut().unwrap().extend([
        json!({"in": "query", "name": "version", "required": true, "schema": {"type": "integer"}}),
        json!({"in": "query", "name": "inline", "schema": {"type": "boolean"}}),
    ]);
    download["responses"]
        .as_object_mut()
        .unwrap()
        .shift_remove("422");
    let coding = pointer(&mut new, "/paths/~1agent~1coding/post");
    let body = coding["requestBody"]["content"]
        .as_object_mut()
        .unwrap()
        .shift_remove("application/json")
        .unwrap();
    coding["requestBody"]["content"]["multipart/form-data"] = body;
    coding["responses"]
        .as_object_mut()
        .unwrap()
        .shift_remove("200");
    let report = diff(&old, &new);
    assert_eq!(
        breaking(&report),
        [
            "request-parameter-added  GET /agent/files/{file_id} request.query.version: new required parameter (integer)",
            "request-media-type-changed  POST /agent/coding request.body: media type application/json → multipart/form-data",
            "response-status-removed  POST /agent/coding response.200: success status removed",
        ]
    );
    assert_eq!(
        non_breaking(&report),
        [
            "request-parameter-added  GET /agent/files/{file_id} request.query.inline: new optional parameter (boolean)",
            "response-status-removed  GET /agent/files/{file_id} response.422: non-success status removed",
        ]
    );
}

#[test]
fn a_renamed_path_parameter_is_cosmetic() {
    let old = latest();
    let mut text = serde_json::to_string(&old).unwrap();
    text = text.replace("{file_id}", "{id}");
    let mut new: Value = serde_json::from_str(&text).unwrap();
    pointer(&mut new, "/paths/~1agent~1files~1{id}/get/parameters/0")["name"] = json!("id");
    let report = diff(&old, &new);
    assert_eq!(report.exit_code(), 0, "{}", report.to_text());
    assert!(
        report.changes.iter().all(|c| c.class == Class::Cosmetic),
        "{}",
        report.to_text()
    );
}

#[test]
fn reformatting_the_yaml_changes_nothing_semantic() {
    let original = history().last().unwrap().clone();
    let directory = tempfile::tempdir().unwrap();

    // Re-dumped as JSON (a YAML subset): same document, other syntax.
    let as_json = directory.path().join("spec.json");
    std::fs::write(
        &as_json,
        serde_json::to_string_pretty(&load_spec(&original).unwrap()).unwrap(),
    )
    .unwrap();
    let report = diff_files(&original, &as_json).unwrap();
    assert_eq!(report.changes, vec![], "{}", report.to_text());

    // Re-indented (the whole document shifted right) and without its comments.
    let text = std::fs::read_to_string(&original).unwrap();
    let reindented: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| format!("    {line}\n"))
        .collect();
    let as_yaml = directory.path().join("spec.yaml");
    std::fs::write(&as_yaml, reindented).unwrap();
    let report = diff_files(&original, &as_yaml).unwrap();
    assert_eq!(report.changes, vec![], "{}", report.to_text());
}

#[test]
fn openapi_31_and_its_30_spelling_are_equivalent() {
    let openapi_31 = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"post": {
            "operationId": "update_thing",
            "parameters": [{"in": "path", "name": "id", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }}},
        "components": {"schemas": {
            "Thing": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": ["string", "null"]},
                "kind": {"const": "thing"},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Thing"}, {"type": "null"}]},
                "size": {"type": "integer", "exclusiveMinimum": 0},
                "tags": {"type": "array", "items": {"type": "string"}, "examples": [["a"]]}
            }}
        }}
    });
    let openapi_30 = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"post": {
            "operationId": "update_thing",
            "parameters": [{"in": "path", "name": "id", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }}},
        "components": {"schemas": {
            "Thing": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "nullable": true},
                "kind": {"enum": ["thing"]},
                "parent": {"allOf": [{"$ref": "#/components/schemas/Thing"}], "nullable": true},
                "size": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                "tags": {"type": "array", "items": {"type": "string"}, "example": ["a"]}
            }}
        }}
    });
    for (old, new) in [(&openapi_31, &openapi_30), (&openapi_30, &openapi_31)] {
        let report = diff(old, new);
        assert_eq!(report.exit_code(), 0, "{}", report.to_text());
        assert!(non_breaking(&report).is_empty(), "{}", report.to_text());
    }
}

#[test]
fn the_pipeline_normalized_30_form_of_upstream_is_not_breaking() {
    // The pipeline moves multipart operations out of `paths`; without them, its 3.0 form must
    // describe the same API as the 3.1 original.
    let mut original = latest();
    let paths = pointer(&mut original, "/paths").as_object_mut().unwrap();
    paths.shift_remove("/agent/datascience");
    paths.shift_remove("/agent/datascience/interactive");
    let mut normalized = original.clone();
    xtask::normalize::to_openapi_30(&mut normalized).unwrap();
    let report = diff(&original, &normalized);
    assert_eq!(report.exit_code(), 0, "{}", report.to_text());
    assert!(non_breaking(&report).is_empty(), "{}", report.to_text());
}

#[test]
fn recursive_schemas_terminate_and_report_changes_inside() {
    let tree = |child_type: &str| {
        json!({
            "openapi": "3.1.0",
            "paths": {"/tree": {"get": {"responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
            "components": {"schemas": {
                "Node": {"type": "object", "properties": {
                    "value": {"type": child_type},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "next": {"$ref": "#/components/schemas/Link"}
                }},
                "Link": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]}
            }}
        })
    };
    let report = diff(&tree("string"), &tree("integer"));
    assert_eq!(
        breaking(&report),
        ["response-type-changed  GET /tree response.200.body.value: type string → integer"]
    );
}

#[test]
fn a_missing_or_invalid_file_is_an_error_naming_it() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing.yaml");
    let present = history().remove(0);
    let error = format!("{:#}", diff_files(&missing, &present).unwrap_err());
    assert!(error.contains("missing.yaml"), "{error}");

    let not_openapi = directory.path().join("swagger.yaml");
    std::fs::write(&not_openapi, "swagger: '2.0'\npaths: {}\n").unwrap();
    let error = format!("{:#}", diff_files(&present, &not_openapi).unwrap_err());
    assert!(error.contains("swagger.yaml"), "{error}");
}

#[test]
fn history_reports() {
    let files = history();
    for pair in files.windows(2) {
        let name = |path: &Path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            stem.split('-').next().unwrap().to_owned()
        };
        let report = diff_files(&pair[0], &pair[1]).unwrap();
        let header = format!(
            "drift {} {}\n",
            pair[0].file_name().unwrap().to_string_lossy(),
            pair[1].file_name().unwrap().to_string_lossy()
        );
        insta::assert_snapshot!(
            format!("history_{}_to_{}", name(&pair[0]), name(&pair[1])),
            format!("{header}{}", report.to_text())
        );
    }
}

#[test]
fn history_report_as_json() {
    let files = history();
    let report = diff_files(&files[3], &files[4]).unwrap();
    insta::assert_json_snapshot!("history_v4_to_v5_json", report.to_json());
}
