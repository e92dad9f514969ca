//! The protocol's lines (`spec/protocol.schema.json`): encoding the
//! runner's requests and validating the adapter's answers. Every function
//! here is pure; a rejected line comes back as a message quoting it.

use crate::adapter::{NativeError, Observed};
use procspec_spec::vocab::{Capability, Outcome, Step};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The protocol version this runner speaks.
pub const PROTOCOL: u64 = 1;

/// How much of an offending line a message quotes.
const QUOTE_CHARS: usize = 200;

/// An `op` request.
pub(crate) fn op_line(id: u64, step: &Step) -> Result<String, String> {
    let step = serde_json::to_string(step).map_err(|e| format!("cannot encode `{step}`: {e}"))?;
    Ok(format!(r#"{{"type":"op","id":{id},"step":{step}}}"#))
}

/// A `reset` request.
pub(crate) fn reset_line(id: u64) -> String {
    format!(r#"{{"type":"reset","id":{id}}}"#)
}

/// The `shutdown` request.
pub(crate) fn shutdown_line() -> String {
    r#"{"type":"shutdown"}"#.to_string()
}

/// A line for a message: lossy UTF-8, at most [`QUOTE_CHARS`] characters,
/// control characters escaped (no terminal tricks in reports), in
/// backticks.
pub(crate) fn quote(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out = String::new();
    for c in text.chars().take(QUOTE_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(QUOTE_CHARS).is_some() {
        out.push_str("[...]");
    }
    format!("`{out}`")
}

/// Who the adapter says it is: its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Who implements the process class (`cpython`, `pypy`, ...).
    pub implementation: String,
    /// The implementation's version.
    pub version: String,
    /// `fork`, `spawn`, `forkserver`, ...
    pub start_method: String,
    /// `<os>-<machine>`.
    pub platform: String,
    /// The capabilities this runner knows, in the adapter's order.
    pub capabilities: Vec<Capability>,
    /// Capabilities this runner does not know (ignored).
    pub unknown_capabilities: Vec<String>,
    /// The pid the adapter reports for itself.
    pub pid: u32,
    /// The class under test, `module:Class`.
    pub process_class: String,
    /// Fields of the hello line this runner does not know (ignored).
    pub unknown_fields: Vec<String>,
}

#[derive(Deserialize)]
struct HelloFields {
    implementation: String,
    version: String,
    start_method: String,
    platform: String,
    capabilities: Vec<String>,
    pid: u32,
    process_class: String,
}

const HELLO_FIELDS: &[&str] = &[
    "type",
    "protocol",
    "implementation",
    "version",
    "start_method",
    "platform",
    "capabilities",
    "pid",
    "process_class",
];

/// The line as a JSON object, or why not.
fn object(line: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("not a JSON object: {}", quote(line))),
        Err(e) => Err(format!("not JSON ({e}): {}", quote(line))),
    }
}

/// The message type of an object line, as text for messages.
fn type_of(map: &Map<String, Value>) -> String {
    match map.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "(none)".into(),
    }
}

/// Why an answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// A well-formed `error` line for the request: the adapter could not
    /// carry it out, and is still in step with the runner.
    Refused(String),
    /// Anything else: the adapter broke the protocol.
    Broken(String),
}

/// If `map` is an `error` line: its message when it is well formed for
/// request `id` (or for no request: `id` null), why not otherwise.
fn as_error(
    map: &Map<String, Value>,
    line: &[u8],
    id: Option<u64>,
) -> Option<Result<String, String>> {
    if map.get("type")? != "error" {
        return None;
    }
    let extra: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !["type", "id", "message"].contains(k))
        .collect();
    if !extra.is_empty() {
        return Some(Err(format!(
            "`error` with unknown field(s) {}: {}",
            extra.join(", "),
            quote(line)
        )));
    }
    match (map.get("id"), id) {
        (Some(Value::Null), _) => {}
        (Some(got), Some(id)) if got.as_u64() == Some(id) => {}
        (Some(got), _) => {
            return Some(Err(format!(
                "`error` for request {got}, expected {}: {}",
                id.map_or("none".to_string(), |i| i.to_string()),
                quote(line)
            )))
        }
        (None, _) => return Some(Err(format!("`error` without an id: {}", quote(line)))),
    }
    Some(match map.get("message") {
        Some(Value::String(m)) => Ok(m.clone()),
        _ => Err(format!("`error` without a message: {}", quote(line))),
    })
}

/// Validate the hello line.
pub(crate) fn parse_hello(line: &[u8]) -> Result<Hello, String> {
    let map = object(line).map_err(|e| format!("bad hello: {e}"))?;
    match as_error(&map, line, None) {
        Some(Ok(message)) => return Err(format!("adapter refused to start: {message}")),
        Some(Err(broken)) => return Err(format!("expected a hello line: {broken}")),
        None => {}
    }
    if map.get("type") != Some(&Value::from("hello")) {
        return Err(format!(
            "expected a hello line, got type {}: {}",
            type_of(&map),
            quote(line)
        ));
    }
    match map.get("protocol") {
        None => {
            return Err(format!(
                "bad hello (missing field `protocol`): {}",
                quote(line)
            ))
        }
        Some(p) if p.as_u64() == Some(PROTOCOL) => {}
        Some(p) => {
            return Err(format!(
                "adapter speaks protocol {p}, runner speaks {PROTOCOL}: {}",
                quote(line)
            ))
        }
    }
    let fields: HelloFields = serde_json::from_value(Value::Object(map.clone()))
        .map_err(|e| format!("bad hello ({e}): {}", quote(line)))?;
    for (what, value) in [
        ("implementation", &fields.implementation),
        ("version", &fields.version),
        ("start_method", &fields.start_method),
        ("platform", &fields.platform),
        ("process_class", &fields.process_class),
    ] {
        if value.is_empty() {
            return Err(format!("bad hello (empty `{what}`): {}", quote(line)));
        }
    }
    if fields.pid == 0 {
        return Err(format!("bad hello (pid 0): {}", quote(line)));
    }
    let mut capabilities = Vec::new();
    let mut unknown_capabilities = Vec::new();
    for name in fields.capabilities {
        match serde_json::from_value::<Capability>(Value::String(name.clone())) {
            Ok(c) if !capabilities.contains(&c) => capabilities.push(c),
            Ok(_) => {}
            Err(_) if !unknown_capabilities.contains(&name) => unknown_capabilities.push(name),
            Err(_) => {}
        }
    }
    let unknown_fields = map
        .keys()
        .filter(|k| !HELLO_FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    Ok(Hello {
        implementation: fields.implementation,
        version: fields.version,
        start_method: fields.start_method,
        platform: fields.platform,
        capabilities,
        unknown_capabilities,
        pid: fields.pid,
        process_class: fields.process_class,
        unknown_fields,
    })
}

/// Check that `map` is an answer of type `want` to request `id`, with no
/// fields but `allowed`.
fn expect(
    map: &Map<String, Value>,
    line: &[u8],
    want: &str,
    id: u64,
    allowed: &[&str],
) -> Result<(), Rejection> {
    match as_error(map, line, Some(id)) {
        Some(Ok(message)) => return Err(Rejection::Refused(message)),
        Some(Err(broken)) => return Err(Rejection::Broken(broken)),
        None => {}
    }
    expect_type(map, line, want, id, allowed).map_err(Rejection::Broken)
}

fn expect_type(
    map: &Map<String, Value>,
    line: &[u8],
    want: &str,
    id: u64,
    allowed: &[&str],
) -> Result<(), String> {
    if map.get("type") != Some(&Value::from(want)) {
        return Err(format!(
            "expected `{want}` for request {id}, got type {}: {}",
            type_of(map),
            quote(line)
        ));
    }
    match map.get("id") {
        Some(got) if got.as_u64() == Some(id) => {}
        Some(got) => {
            return Err(format!(
                "expected `{want}` for request {id}, got one for request {got}: {}",
                quote(line)
            ))
        }
        None => return Err(format!("`{want}` without an id: {}", quote(line))),
    }
    let extra: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if !extra.is_empty() {
        return Err(format!(
            "`{want}` with unknown field(s) {}: {}",
            extra.join(", "),
            quote(line)
        ));
    }
    Ok(())
}

/// Validate the answer to `op` request `id`.
pub(crate) fn parse_result(line: &[u8], id: u64) -> Result<Observed, Rejection> {
    let map = object(line).map_err(Rejection::Broken)?;
    expect(
        &map,
        line,
        "result",
        id,
        &["type", "id", "outcome", "native"],
    )?;
    outcome_of(&map, line).map_err(Rejection::Broken)
}

fn outcome_of(map: &Map<String, Value>, line: &[u8]) -> Result<Observed, String> {
    let outcome = match map.get("outcome") {
        None => return Err(format!("`result` without an outcome: {}", quote(line))),
        Some(o) => Outcome::deserialize(o)
            .map_err(|e| format!("`result` with a bad outcome ({e}): {}", quote(line)))?,
    };
    let native = match map.get("native") {
        None | Some(Value::Null) => None,
        Some(n) => Some(
            NativeError::deserialize(n)
                .map_err(|e| format!("`result` with a bad native error ({e}): {}", quote(line)))?,
        ),
    };
    if native.is_some() && !outcome.is_err() {
        return Err(format!(
            "`result` with a native error but an ok outcome: {}",
            quote(line)
        ));
    }
    Ok(Observed { outcome, native })
}

/// Validate the answer to `reset` request `id`; returns the pids of the
/// adapter's own helper processes it kept (a fork server, a resource
/// tracker), which are not leaks.
pub(crate) fn parse_reset_done(line: &[u8], id: u64) -> Result<Vec<u32>, Rejection> {
    let map = object(line).map_err(Rejection::Broken)?;
    expect(&map, line, "reset-done", id, &["type", "id", "helpers"])?;
    match map.get("helpers") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(|| {
                Rejection::Broken(format!("`helpers` must be a list of pids: {}", quote(line)))
            }),
        Some(_) => Err(Rejection::Broken(format!(
            "`helpers` must be a list of pids: {}",
            quote(line)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use procspec_spec::vocab::{ErrorKind, Op, Ref, Value as V};

    const HELLO: &str = r#"{"type":"hello","protocol":1,"implementation":"cpython","version":"3.11.7","start_method":"fork","platform":"linux-x86_64","capabilities":["kill","teleport","fork","kill"],"pid":42,"process_class":"multiprocessing:Process"}"#;

    #[test]
    fn op_requests_nest_the_step() {
        let step = Step {
            at: Ref::main(),
            op: Op::Join {
                p: Ref::from("p1"),
                timeout_ms: Some(10),
            },
        };
        assert_eq!(
            op_line(7, &step).unwrap(),
            r#"{"type":"op","id":7,"step":{"at":"main","op":"join","p":"p1","timeout_ms":10}}"#
        );
        assert_eq!(reset_line(8), r#"{"type":"reset","id":8}"#);
        assert_eq!(shutdown_line(), r#"{"type":"shutdown"}"#);
    }

    #[test]
    fn hello() {
        let h = parse_hello(HELLO.as_bytes()).unwrap();
        assert_eq!(h.capabilities, [Capability::Kill, Capability::Fork]);
        assert_eq!(h.unknown_capabilities, ["teleport"]);
        assert_eq!(h.pid, 42);
        assert!(h.unknown_fields.is_empty());

        let two = HELLO.replace(r#""protocol":1"#, r#""protocol":2"#);
        let e = parse_hello(two.as_bytes()).unwrap_err();
        assert!(
            e.starts_with("adapter speaks protocol 2, runner speaks 1"),
            "{e}"
        );

        let missing = HELLO.replace(r#""pid":42,"#, "");
        let e = parse_hello(missing.as_bytes()).unwrap_err();
        assert!(
            e.contains("missing field `pid`") && e.contains("cpython"),
            "{e}"
        );

        let extra = HELLO.replace(r#""pid":42"#, r#""pid":42,"mood":"fine""#);
        assert_eq!(
            parse_hello(extra.as_bytes()).unwrap().unknown_fields,
            ["mood"]
        );

        for bad in ["", "hello", "[1]", r#"{"type":"result","id":1}"#, "\u{0}"] {
            assert!(parse_hello(bad.as_bytes()).is_err(), "{bad}");
        }
        let e =
            parse_hello(br#"{"type":"error","id":null,"message":"no such class"}"#).unwrap_err();
        assert!(e.contains("no such class"), "{e}");
    }

    #[test]
    fn results() {
        let ok =
            parse_result(br#"{"type":"result","id":3,"outcome":{"ok":{"int":3}}}"#, 3).unwrap();
        assert_eq!(ok, Observed::plain(Outcome::Ok(V::Int(3))));
        let err = parse_result(
            br#"{"type":"result","id":4,"outcome":{"err":"not-parent"},"native":{"type":"AssertionError","message":"can only join a child process"}}"#,
            4,
        )
        .unwrap();
        assert_eq!(err.outcome, Outcome::Err(ErrorKind::NotParent));
        assert_eq!(err.native.unwrap().kind, "AssertionError");

        for (line, needle) in [
            (
                r#"{"type":"result","id":4,"outcome":{"ok":"none"}}"#,
                "request 4",
            ),
            (
                r#"{"type":"result","id":"3","outcome":{"ok":"none"}}"#,
                "request \"3\"",
            ),
            (
                r#"{"type":"result","outcome":{"ok":"none"}}"#,
                "without an id",
            ),
            (r#"{"type":"reset-done","id":3}"#, "got type reset-done"),
            (r#"{"type":"result","id":3}"#, "without an outcome"),
            (
                r#"{"type":"result","id":3,"outcome":{"ok":{"float":1.5}}}"#,
                "bad outcome",
            ),
            (
                r#"{"type":"result","id":3,"outcome":{"err":"oops"}}"#,
                "bad outcome",
            ),
            (
                r#"{"type":"result","id":3,"outcome":{"ok":"none"},"x":1}"#,
                "unknown field(s) x",
            ),
            (
                r#"{"type":"result","id":3,"outcome":{"ok":"none"},"native":{"type":"E","message":"m"}}"#,
                "ok outcome",
            ),
            (
                r#"{"type":"result","id":3,"outcome":{"err":"closed"},"native":"E"}"#,
                "bad native",
            ),
            (
                r#"{"type":"error","id":4,"message":"no agent p9"}"#,
                "for request 4",
            ),
            (r#"{"type":"error","id":3}"#, "without a message"),
            (
                r#"{"type":"error","id":3,"message":"m","why":1}"#,
                "unknown field(s) why",
            ),
            (r#"["result",3,{"ok":"none"}]"#, "not a JSON object"),
            ("garbage", "not JSON"),
            ("", "not JSON"),
        ] {
            match parse_result(line.as_bytes(), 3) {
                Err(Rejection::Broken(e)) => assert!(e.contains(needle), "{line}: {e}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        for line in [
            r#"{"type":"error","id":3,"message":"no agent p9"}"#,
            r#"{"type":"error","id":null,"message":"no agent p9"}"#,
        ] {
            let refused = parse_result(line.as_bytes(), 3).unwrap_err();
            assert_eq!(refused, Rejection::Refused("no agent p9".into()));
        }
        assert!(parse_reset_done(br#"{"type":"reset-done","id":5}"#, 5).is_ok());
        assert_eq!(
            parse_reset_done(br#"{"type":"reset-done","id":5,"helpers":[7,9]}"#, 5).ok(),
            Some(vec![7, 9])
        );
        assert!(parse_reset_done(br#"{"type":"reset-done","id":5,"helpers":["x"]}"#, 5).is_err());
        assert!(parse_reset_done(br#"{"type":"reset-done","id":6}"#, 5).is_err());
    }

    #[test]
    fn quotes_are_short() {
        let long = "x".repeat(10_000);
        let q = quote(long.as_bytes());
        assert_eq!(q.len(), 200 + "``[...]".len());
        assert_eq!(quote(b"\xff a"), "`\u{fffd} a`");
        assert_eq!(quote(b"\x1b[31mred\r"), r"`\u{1b}[31mred\r`");
    }
}
