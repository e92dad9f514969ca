//! The validating decoder: every line the runner reads from an adapter
//! (hello, result, reset-done, error) and every line an adapter reads from
//! the runner (op, reset, shutdown) goes through one function here. Every
//! function is pure; a rejected line comes back as a message quoting it.
//!
//! The adapter is not trusted: no text of its (a key, a string, a value,
//! the decoder's account of one) reaches a message but through the
//! [sanitiser](crate::sanitize), so that a message never holds a control
//! character (no terminal tricks, no forged lines in reports) and never
//! grows with the line.

use crate::error::{Error, ErrorKind};
use crate::message::{Hello, NativeError, Observed, Rejection, Request, RequestError, PROTOCOL};
use crate::sanitize::{clip, detail, names, quote, show, NAME_CHARS, REFUSAL_CHARS};
use procspec_spec::vocab::{Capability, Outcome, Step};
use serde::Deserialize;
use serde_json::{Map, Value};

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

/// Every field of a hello line, as `spec/protocol.schema.json` lists them.
pub const HELLO_FIELDS: &[&str] = &[
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

/// Validate the hello line. An [`Error`] says which kind of problem the
/// line has; its message quotes the line.
pub fn parse_hello(line: &[u8]) -> Result<Hello, Error> {
    let bad = |message: String| Error::new(ErrorKind::Malformed, message);
    let map = object(line).map_err(|e| bad(format!("bad hello: {e}")))?;
    match as_error(&map, line, None) {
        Some(Ok(message)) => {
            return Err(Error::new(
                ErrorKind::Refused,
                format!("adapter refused to start: {message}"),
            ))
        }
        Some(Err(broken)) => {
            return Err(Error::new(
                ErrorKind::Unexpected,
                format!("expected a hello line: {broken}"),
            ))
        }
        None => {}
    }
    if map.get("type") != Some(&Value::from("hello")) {
        return Err(Error::new(
            ErrorKind::Unexpected,
            format!(
                "expected a hello line, got type {}: {}",
                type_of(&map),
                quote(line)
            ),
        ));
    }
    match map.get("protocol") {
        None => {
            return Err(bad(format!(
                "bad hello (missing field `protocol`): {}",
                quote(line)
            )))
        }
        Some(p) if p.as_u64() == Some(PROTOCOL) => {}
        Some(p) => {
            return Err(Error::new(
                ErrorKind::Version,
                format!(
                    "adapter speaks protocol {}, runner speaks {PROTOCOL}: {}",
                    show(p),
                    quote(line)
                ),
            ))
        }
    }
    let fields: HelloFields = serde_json::from_value(Value::Object(map.clone()))
        .map_err(|e| bad(format!("bad hello ({}): {}", detail(&e), quote(line))))?;
    for (what, value) in [
        ("implementation", &fields.implementation),
        ("version", &fields.version),
        ("start_method", &fields.start_method),
        ("platform", &fields.platform),
        ("process_class", &fields.process_class),
    ] {
        if value.is_empty() {
            return Err(bad(format!("bad hello (empty `{what}`): {}", quote(line))));
        }
    }
    if fields.pid == 0 {
        return Err(bad(format!("bad hello (pid 0): {}", quote(line))));
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
pub fn parse_result(line: &[u8], id: u64) -> Result<Observed, Rejection> {
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

/// What a `reset-done` says about the adapter after the reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetDone {
    /// The pids of the adapter's own helper processes it kept (a fork
    /// server, a resource tracker), which are not leaks.
    pub helpers: Vec<u32>,
    /// How many descriptors the adapter's own process holds after the
    /// reset, where it says (`fds`): more after a case than before it,
    /// with the same helpers, is a leak of the implementation.
    pub fds: Option<u64>,
}

/// Validate the answer to `reset` request `id`.
pub fn parse_reset_done(line: &[u8], id: u64) -> Result<ResetDone, Rejection> {
    let map = object(line).map_err(Rejection::Broken)?;
    expect(
        &map,
        line,
        "reset-done",
        id,
        &["type", "id", "helpers", "fds"],
    )?;
    let fds = match map.get("fds") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            Rejection::Broken(format!(
                "`fds` must be a count of descriptors: {}",
                quote(line)
            ))
        })?),
    };
    let helpers = parse_helpers(&map, line)?;
    Ok(ResetDone { helpers, fds })
}

fn parse_helpers(map: &Map<String, Value>, line: &[u8]) -> Result<Vec<u32>, Rejection> {
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

/// Decode one request line, as an adapter does (the Rust server of
/// `procspec serve-reference`). A rejection carries the request id to
/// answer, when one could be read, and the message of the `error` line.
pub fn parse_request(line: &[u8]) -> Result<Request, RequestError> {
    let refuse = |id: Option<u64>, message: String| RequestError { id, message };
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| refuse(None, format!("bad JSON: {}", detail(&e))))?;
    let Value::Object(map) = value else {
        return Err(refuse(None, "not a JSON object".into()));
    };
    let kind = map.get("type").and_then(Value::as_str).unwrap_or("");
    if kind == "shutdown" {
        return Ok(Request::Shutdown);
    }
    let id = map.get("id").and_then(Value::as_u64);
    let need_id = || {
        id.ok_or_else(|| {
            refuse(
                None,
                format!("`{}` without a valid id", clip(kind, NAME_CHARS)),
            )
        })
    };
    match kind {
        "op" => {
            let id = need_id()?;
            let step = map
                .get("step")
                .ok_or_else(|| refuse(Some(id), "`op` without a step".to_string()))?;
            let step = Step::deserialize(step)
                .map_err(|e| refuse(Some(id), format!("bad step: {}", detail(&e))))?;
            Ok(Request::Op { id, step })
        }
        "reset" => Ok(Request::Reset { id: need_id()? }),
        "" => Err(refuse(id, "no message `type`".into())),
        other => Err(refuse(
            id,
            format!("unknown message type `{}`", clip(other, NAME_CHARS)),
        )),
    }
}
