//! The schema (`spec/protocol.schema.json`) against its other copies: the
//! hello fields this crate decodes, and the Python adapter's request
//! validation tables (`OP_FIELDS`, `TARGET_FIELDS` in
//! `fixtures/python/procspec_adapter.py`), read by running python3.
//! A field added to one and not the others fails here, naming it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> Value {
    let path = root().join("spec/protocol.schema.json");
    let text = std::fs::read_to_string(&path).expect("the schema");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn def<'a>(schema: &'a Value, name: &str) -> &'a Value {
    &schema["$defs"][name]
}

/// A field's type in the Python tables' words (an enum's is the field's
/// name: `until`, `signal`).
fn kind(name: &str, field: &Value) -> String {
    if field.get("enum").is_some() {
        return name.to_string();
    }
    if let Some(any) = field["oneOf"].as_array() {
        let types: Vec<&str> = any.iter().filter_map(|t| t["type"].as_str()).collect();
        if types == ["string", "integer"] {
            return "name".into();
        }
    }
    if let Some(r) = field["$ref"].as_str() {
        return match r {
            "#/$defs/ref" => "ref",
            "#/$defs/target" => "target",
            "#/$defs/timeout-ms" => "u64",
            other => other,
        }
        .to_string();
    }
    let negative = field["minimum"].as_f64().is_some_and(|m| m < 0.0);
    match (
        field["type"].as_str(),
        field.get("pattern"),
        field["maximum"].as_u64(),
    ) {
        (Some("string"), Some(_), _) => "hex",
        (Some("string"), None, _) => "str",
        (Some("boolean"), _, _) => "bool",
        (Some("integer"), _, Some(255)) => "u8",
        (Some("integer"), _, Some(5)) => "arg",
        (Some("integer"), _, _) if negative => "i64",
        (Some("integer"), _, _) => "u64",
        _ => "?",
    }
    .to_string()
}

/// `{tag value: {field (with `?` when optional): type}}` of the tagged
/// union `union` (its `oneOf` of `$ref`s), `tag` and `skip` left out.
fn table(
    schema: &Value,
    union: &str,
    tag: &str,
    skip: &[&str],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for variant in def(schema, union)["oneOf"].as_array().expect("oneOf") {
        let name = variant["$ref"]
            .as_str()
            .expect("$ref")
            .trim_start_matches("#/$defs/");
        let v = def(schema, name);
        let required: Vec<&str> = v["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let props = v["properties"].as_object().expect("properties");
        let mut fields = BTreeMap::new();
        for (field, spec) in props {
            if field == tag || skip.contains(&field.as_str()) {
                continue;
            }
            let key = if required.contains(&field.as_str()) {
                field.clone()
            } else {
                format!("{field}?")
            };
            fields.insert(key, kind(field, spec));
        }
        let tags: Vec<String> = match (&props[tag]["const"], &props[tag]["enum"]) {
            (Value::String(s), _) => vec![s.clone()],
            (_, Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => panic!("{name}: `{tag}` is neither const nor enum"),
        };
        for t in tags {
            out.insert(t, fields.clone());
        }
    }
    out
}

#[test]
fn hello_fields_are_the_schemas() {
    let schema = schema();
    let hello = def(&schema, "hello");
    let mut props: Vec<&str> = hello["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    let mut ours = procspec_protocol::HELLO_FIELDS.to_vec();
    props.sort_unstable();
    ours.sort_unstable();
    assert_eq!(ours, props);
    let required: Vec<&str> = hello["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required.len(), procspec_protocol::HELLO_FIELDS.len());
}

/// What `code` writes to stdout, run by python3 with the Python adapter
/// imported as `a`.
fn from_python_adapter(code: &str) -> Vec<u8> {
    let out = Command::new("python3")
        .current_dir(root())
        .args([
            "-c",
            &format!(
                "import json, sys; sys.path.insert(0, 'fixtures/python'); \
                 import procspec_adapter as a; {code}"
            ),
        ])
        .output()
        .expect("python3 runs (the Python adapter's tests need it too)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn python_adapter_tables_are_the_schemas() {
    let out =
        from_python_adapter("print(json.dumps({'op': a.OP_FIELDS, 'target': a.TARGET_FIELDS}))");
    let python: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> =
        serde_json::from_slice(&out).expect("the tables as JSON");
    let schema = schema();
    assert_eq!(
        python["op"],
        table(&schema, "step", "op", &["at"]),
        "OP_FIELDS in fixtures/python/procspec_adapter.py differs from the schema's steps"
    );
    assert_eq!(
        python["target"],
        table(&schema, "target", "kind", &[]),
        "TARGET_FIELDS in fixtures/python/procspec_adapter.py differs from the schema's targets"
    );
}

/// The message `recv-bytes-into` sends is the same in the Python adapter
/// and in the vocabulary (which the Rust hosts send, and whose length the
/// model holds a buffer to).
#[test]
fn python_adapter_recv_message_is_the_vocabularys() {
    let out = from_python_adapter("sys.stdout.buffer.write(a.RECV_MESSAGE)");
    assert_eq!(
        out,
        procspec_spec::vocab::RECV_MESSAGE,
        "RECV_MESSAGE in fixtures/python/procspec_adapter.py"
    );
}
