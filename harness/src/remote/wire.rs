//! The protocol's lines (`spec/protocol.schema.json`): encoding the
//! runner's requests and validating the adapter's answers. Every function
//! here is pure; a rejected line comes back as a message quoting it.
//!
//! The adapter is not trusted: no text of its (a key, a string, a value,
//! the decoder's account of one) reaches a message but through [`clip`]
//! (or [`quote`], which uses it), so that a message never holds a control
//! character (no terminal tricks, no forged lines in reports) and never
//! grows with the line.

use crate::adapter::{NativeError, Observed};
use procspec_spec::vocab::{Capability, Outcome, Step};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The protocol version this runner speaks.
pub const PROTOCOL: u64 = 1;

/// How much of an offending line a message quotes, in characters once
/// escaped.
const QUOTE_CHARS: usize = 200;

/// How much of a name a message shows (an unknown field, a `type`, an id,
/// a protocol version), in characters once escaped.
const NAME_CHARS: usize = 40;

/// How many unknown fields a message names.
const NAMES_LISTED: usize = 5;

/// How much of the decoder's account of a bad field (which may quote the
/// field) a message shows, in characters once escaped.
const DETAIL_CHARS: usize = 300;

/// How much of an adapter's own `error` message is kept, in characters
/// once escaped.
const REFUSAL_CHARS: usize = 500;

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

/// A line for a message: lossy UTF-8, [`clip`]ped to [`QUOTE_CHARS`], in
/// backticks.
pub(crate) fn quote(line: &[u8]) -> String {
    format!("`{}`", clip(&String::from_utf8_lossy(line), QUOTE_CHARS))
}

/// Adapter text for a message: control characters escaped (`\u{1b}`,
/// `\n`: no terminal tricks, no forged lines in reports), and so are the
/// invisible formatting characters (bidirectional overrides such as
/// U+202E, zero-width spaces, the BOM) that could make a message read
/// otherwise than it is; cut to at most `max` characters once escaped
/// (never inside an escape), then `[...]` if anything was cut.
fn clip(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        let escape = (c.is_control() || is_invisible_format(c)).then(|| c.escape_default());
        let width = escape.as_ref().map_or(1, ExactSizeIterator::len);
        if len + width > max {
            out.push_str("[...]");
            break;
        }
        match escape {
            Some(e) => out.extend(e),
            None => out.push(c),
        }
        len += width;
    }
    out
}

/// Unicode format characters that change how text around them displays
/// without showing themselves: zero-width marks, bidirectional embeddings,
/// overrides and isolates, invisible operators, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A JSON value the adapter sent (an id, a protocol version) for a
/// message: its JSON text, [`clip`]ped to [`NAME_CHARS`].
fn show(value: &Value) -> String {
    clip(&value.to_string(), NAME_CHARS)
}

/// Field names for a message: the first [`NAMES_LISTED`], each
/// [`clip`]ped to [`NAME_CHARS`], and how many more there are.
pub(crate) fn names(keys: &[&str]) -> String {
    let mut out = keys
        .iter()
        .take(NAMES_LISTED)
        .map(|k| clip(k, NAME_CHARS))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > NAMES_LISTED {
        out.push_str(&format!(" and {} more", keys.len() - NAMES_LISTED));
    }
    out
}

/// A decoder's error for a message: it may quote the adapter's text (an
/// unknown variant, a string of the wrong type) as is, so it is
/// [`clip`]ped to [`DETAIL_CHARS`].
fn detail(e: &impl std::fmt::Display) -> String {
    clip(&e.to_string(), DETAIL_CHARS)
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
        Err(e) => Err(format!("not JSON ({}): {}", detail(&e), quote(line))),
    }
}

/// The message type of an object line, as text for messages ([`clip`]ped
/// to [`NAME_CHARS`]).
fn type_of(map: &Map<String, Value>) -> String {
    match map.get("type") {
        Some(Value::String(s)) => clip(s, NAME_CHARS),
        Some(other) => show(other),
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

/// If `map` is an `error` line: its message ([`clip`]ped to
/// [`REFUSAL_CHARS`]) when it is well formed for request `id` (or for no
/// request: `id` null), why not otherwise.
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
            names(&extra),
            quote(line)
        )));
    }
    match (map.get("id"), id) {
        (Some(Value::Null), _) => {}
        (Some(got), Some(id)) if got.as_u64() == Some(id) => {}
        (Some(got), _) => {
            return Some(Err(format!(
                "`error` for request {}, expected {}: {}",
                show(got),
                id.map_or("none".to_string(), |i| i.to_string()),
                quote(line)
            )))
        }
        (None, _) => return Some(Err(format!("`error` without an id: {}", quote(line)))),
    }
    Some(match map.get("message") {
        Some(Value::String(m)) => Ok(clip(m, REFUSAL_CHARS)),
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
                "adapter speaks protocol {}, runner speaks {PROTOCOL}: {}",
                show(p),
                quote(line)
            ))
        }
    }
    let fields: HelloFields = serde_json::from_value(Value::Object(map.clone()))
        .map_err(|e| format!("bad hello ({}): {}", detail(&e), quote(line)))?;
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
                "expected `{want}` for request {id}, got one for request {}: {}",
                show(got),
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
            names(&extra),
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
        &["type", "id", "outcome", "native", "elapsed_ms"],
    )?;
    outcome_of(&map, line).map_err(Rejection::Broken)
}

fn outcome_of(map: &Map<String, Value>, line: &[u8]) -> Result<Observed, String> {
    let outcome = match map.get("outcome") {
        None => return Err(format!("`result` without an outcome: {}", quote(line))),
        Some(o) => Outcome::deserialize(o).map_err(|e| {
            format!(
                "`result` with a bad outcome ({}): {}",
                detail(&e),
                quote(line)
            )
        })?,
    };
    let native = match map.get("native") {
        None | Some(Value::Null) => None,
        Some(n) => Some(NativeError::deserialize(n).map_err(|e| {
            format!(
                "`result` with a bad native error ({}): {}",
                detail(&e),
                quote(line)
            )
        })?),
    };
    if native.is_some() && !outcome.is_err() {
        return Err(format!(
            "`result` with a native error but an ok outcome: {}",
            quote(line)
        ));
    }
    let elapsed = match map.get("elapsed_ms") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                Some(std::time::Duration::from_secs_f64(ms / 1000.0))
            }
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "`result` with a bad elapsed_ms (a number of milliseconds >= 0): {}",
                quote(line)
            )
        })
        .map(Some)?,
        Some(_) => {
            return Err(format!(
                "`result` with a bad elapsed_ms (a number of milliseconds >= 0): {}",
                quote(line)
            ))
        }
    };
    Ok(Observed {
        outcome,
        native,
        elapsed,
    })
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

    /// Which decoder a hostile line goes to.
    #[derive(Clone, Copy, Debug)]
    enum Decoder {
        Hello,
        Result,
        Reset,
    }

    /// The longest message any hostile line may produce, in characters.
    const MAX_MESSAGE: usize = 600;

    /// The first `n` characters of `text`.
    fn head(text: &str, n: usize) -> String {
        text.chars().take(n).collect()
    }

    /// What is wrong with a message made from adapter text: a control
    /// character, or more than [`MAX_MESSAGE`] characters.
    fn unclean(m: &str) -> Option<String> {
        let n = m.chars().count();
        if m.chars().any(|c| c.is_control() || is_invisible_format(c)) {
            Some(format!(
                "a control or format character in {:?}",
                head(m, 300)
            ))
        } else if n > MAX_MESSAGE {
            Some(format!("a message of {n} characters: {:?}", head(m, 300)))
        } else {
            None
        }
    }

    /// Decode `line` with `decoder` (request id 3): it must be rejected
    /// with a clean message that still contains `needle`; every other
    /// decoder's rejection of the line must be clean too. Returns what is
    /// wrong, if anything.
    fn check(decoder: Decoder, line: &str, needle: &str) -> Vec<String> {
        let bytes = line.as_bytes();
        let hello = parse_hello(bytes);
        let result = parse_result(bytes, 3).map(|_| ());
        let reset = parse_reset_done(bytes, 3).map(|_| ());
        let mut wrong = Vec::new();
        let rejections = [
            ("hello", hello.as_ref().err()),
            ("result", result.as_ref().err().map(Rejection::message)),
            ("reset-done", reset.as_ref().err().map(Rejection::message)),
        ];
        for (what, m) in rejections {
            wrong.extend(m.and_then(|m| unclean(m)).map(|e| format!("{what}: {e}")));
        }
        let message = match decoder {
            Decoder::Hello => rejections[0].1,
            Decoder::Result => rejections[1].1,
            Decoder::Reset => rejections[2].1,
        };
        match message {
            None => wrong.push(format!("{decoder:?} accepted it")),
            Some(m) if !m.contains(needle) => {
                wrong.push(format!("{decoder:?}: {needle:?} not in {:?}", head(m, 300)))
            }
            Some(_) => {}
        }
        let line = head(line, 60);
        wrong
            .into_iter()
            .map(|w| format!("{line:?}: {w}"))
            .collect()
    }

    impl Rejection {
        fn message(&self) -> &String {
            match self {
                Rejection::Refused(m) | Rejection::Broken(m) => m,
            }
        }
    }

    /// `[[[...1...]]]`, `depth` deep.
    fn nested(depth: usize) -> serde_json::Value {
        (0..depth).fold(serde_json::json!(1), |v, _| serde_json::json!([v]))
    }

    #[test]
    fn hostile_lines_give_clean_bounded_messages() {
        use serde_json::json;
        use Decoder::{Hello as H, Reset as D, Result as R};
        let esc = "\u{1b}[2J\u{1b}[31mred";
        let long = "k".repeat(10_000);
        let long_esc = "\u{1b}".repeat(10_000);
        let nul = "a\u{0}b";
        // Reads "result.exe" backwards from the override on.
        let bidi = "a\u{202E}exe.tluser\u{200B}\u{FEFF}";
        let newline = "a\nb\r\nc";
        let deep = nested(100);
        let hello = |k: &str, v: serde_json::Value| {
            let mut h: Map<String, Value> = serde_json::from_str(HELLO).unwrap();
            h.insert(k.into(), v);
            Value::Object(h).to_string()
        };
        let result_with = |k: &str, v: serde_json::Value| {
            let mut m = Map::new();
            m.insert("type".into(), json!("result"));
            m.insert("id".into(), json!(3));
            m.insert("outcome".into(), json!({"ok": "none"}));
            m.insert(k.into(), v);
            Value::Object(m).to_string()
        };
        let many_keys = {
            let mut m = Map::new();
            m.insert("type".into(), json!("result"));
            m.insert("id".into(), json!(3));
            for i in 0..1000 {
                m.insert(format!("{esc}{i}{}", "z".repeat(100)), json!(i));
            }
            Value::Object(m).to_string()
        };
        let table: Vec<(Decoder, String, &str)> = vec![
            // Unknown fields with hostile names.
            (R, result_with(esc, json!(1)), "unknown field(s)"),
            (R, result_with(newline, json!(1)), "unknown field(s)"),
            (R, result_with(nul, json!(1)), "unknown field(s)"),
            (R, result_with(bidi, json!(1)), "unknown field(s)"),
            (R, result_with(&long, json!(1)), "unknown field(s)"),
            (R, result_with(&long_esc, json!(1)), "unknown field(s)"),
            (R, result_with("x", deep.clone()), "unknown field(s) x"),
            (R, many_keys.clone(), "and 995 more"),
            (D, json!({"type": "reset-done", "id": 3, esc: 1}).to_string(), "unknown field(s)"),
            (D, json!({"type": "reset-done", "id": 3, long_esc.clone(): 1}).to_string(), "unknown field(s)"),
            (R, json!({"type": "error", "id": 3, "message": "m", esc: 1}).to_string(), "`error` with unknown field(s)"),
            (R, json!({"type": "error", "id": 3, "message": "m", long.clone(): 1}).to_string(), "`error` with unknown field(s)"),
            (H, json!({"type": "error", "id": null, "message": "m", long_esc.clone(): 1}).to_string(), "`error` with unknown field(s)"),
            // Hostile types.
            (R, json!({"type": esc, "id": 3}).to_string(), "got type"),
            (R, json!({"type": long_esc.clone(), "id": 3}).to_string(), "got type"),
            (R, json!({"type": long.clone(), "id": 3}).to_string(), "got type"),
            (R, json!({"type": newline, "id": 3}).to_string(), "got type"),
            (R, json!({"type": deep.clone(), "id": 3}).to_string(), "got type"),
            (R, json!({"type": {esc: long.clone()}, "id": 3}).to_string(), "got type"),
            (D, json!({"type": nul, "id": 3}).to_string(), "got type"),
            (H, json!({"type": esc}).to_string(), "expected a hello line"),
            (H, json!({"type": deep.clone()}).to_string(), "expected a hello line"),
            // Hostile ids.
            (R, json!({"type": "result", "id": long_esc.clone()}).to_string(), "for request"),
            (R, json!({"type": "result", "id": deep.clone()}).to_string(), "for request"),
            (D, json!({"type": "reset-done", "id": long.clone()}).to_string(), "for request"),
            (R, json!({"type": "error", "id": long_esc.clone(), "message": "m"}).to_string(), "`error` for request"),
            (R, json!({"type": "error", "id": deep.clone(), "message": "m"}).to_string(), "`error` for request"),
            // Hostile refusals: the adapter's own message.
            (R, json!({"type": "error", "id": 3, "message": format!("no agent {long_esc}")}).to_string(), "no agent"),
            (D, json!({"type": "error", "id": 3, "message": format!("busy{newline}{long}")}).to_string(), "busy"),
            (H, json!({"type": "error", "id": null, "message": format!("{esc}{long}")}).to_string(), "adapter refused to start"),
            // Wrong types and values in fields serde decodes.
            (H, hello("protocol", json!(long_esc.clone())), "runner speaks 1"),
            (H, hello("protocol", deep.clone()), "runner speaks 1"),
            (H, hello("pid", json!(long_esc.clone())), "bad hello"),
            (H, hello("pid", deep.clone()), "bad hello"),
            (H, hello("implementation", json!(7)), "bad hello"),
            (H, hello("capabilities", json!(esc)), "bad hello"),
            (H, hello("capabilities", json!([esc, 1])), "bad hello"),
            (R, result_with("outcome", json!({"err": esc})), "bad outcome"),
            (R, result_with("outcome", json!({"err": long_esc.clone()})), "bad outcome"),
            (R, result_with("outcome", json!({"ok": {"str": 1}})), "bad outcome"),
            (R, result_with("outcome", json!({long_esc.clone(): 1})), "bad outcome"),
            (R, result_with("outcome", json!({"ok": {newline: long.clone()}})), "bad outcome"),
            (R, result_with("outcome", deep.clone()), "bad outcome"),
            (R, json!({"type": "result", "id": 3, "outcome": {"err": "closed"}, "native": long_esc.clone()}).to_string(), "bad native"),
            (R, json!({"type": "result", "id": 3, "outcome": {"err": "closed"}, "native": {"type": 1, "message": esc}}).to_string(), "bad native"),
            (D, json!({"type": "reset-done", "id": 3, "helpers": [long_esc.clone()]}).to_string(), "list of pids"),
            // Not JSON, not an object.
            (R, format!("{esc}{nul}{long_esc}"), "not JSON"),
            (H, format!("{{\"type\":\"{long_esc}\"}}"), "not JSON"),
            (R, json!(long_esc.clone()).to_string(), "not a JSON object"),
            (D, deep.to_string(), "not a JSON object"),
        ];
        let wrong: Vec<String> = table
            .iter()
            .flat_map(|(decoder, line, needle)| check(*decoder, line, needle))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn quotes_are_short() {
        let long = "x".repeat(10_000);
        let q = quote(long.as_bytes());
        assert_eq!(q.len(), 200 + "``[...]".len());
        assert_eq!(quote(b"\xff a"), "`\u{fffd} a`");
        assert_eq!(quote(b"\x1b[31mred\r"), r"`\u{1b}[31mred\r`");
        // The bound is on the escaped text: an escape is never cut.
        let q = quote(&[0x1b; 1000]);
        assert_eq!(q, format!("`{}[...]`", r"\u{1b}".repeat(33)));
    }
}
