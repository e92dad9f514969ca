//! `procspec serve-reference`: the reference implementation behind the wire
//! protocol (`spec/INTERPRETING.md`, version 1), on stdin and stdout. The
//! runner can then drive the reference as it drives any other adapter,
//! which measures (and tests) the remote path itself.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use procspec_harness::adapter::{Adapter, Observed};
use procspec_harness::reference_adapter::ReferenceAdapter;
use procspec_reference::StartMethod;
use procspec_spec::vocab::{Capability, Step};
use serde_json::{json, Value};
use std::io::Write;
use std::process::ExitCode;

/// Serve the reference implementation over the wire protocol (stdin/stdout).
///
/// Writes a hello line, then answers one JSON request per line until
/// `shutdown` or end of file, after which it resets and exits 0.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// How the reference starts its children.
    #[arg(long, value_enum, default_value = "fork")]
    start_method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    Fork,
    Spawn,
}

/// What a request line asks for.
enum Request {
    Op(u64, Step),
    Reset(u64),
    Shutdown,
}

/// Parse one request line; an `Err` carries the id to answer (if one was
/// readable) and the message of the `error` line.
fn parse(line: &str) -> Result<Request, (Option<u64>, String)> {
    let value: Value = serde_json::from_str(line).map_err(|e| (None, format!("bad JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err((None, "not a JSON object".into()));
    };
    let kind = map.get("type").and_then(Value::as_str).unwrap_or("");
    if kind == "shutdown" {
        return Ok(Request::Shutdown);
    }
    let id = map.get("id").and_then(Value::as_u64);
    let need_id = || id.ok_or((None, format!("`{kind}` without a valid id")));
    match kind {
        "op" => {
            let id = need_id()?;
            let step = map
                .get("step")
                .ok_or((Some(id), "`op` without a step".to_string()))?;
            let step: Step = serde_json::from_value(step.clone())
                .map_err(|e| (Some(id), format!("bad step: {e}")))?;
            Ok(Request::Op(id, step))
        }
        "reset" => Ok(Request::Reset(need_id()?)),
        "" => Err((id, "no message `type`".into())),
        other => Err((id, format!("unknown message type `{other}`"))),
    }
}

fn result_line(id: u64, observed: &Observed) -> Value {
    let mut line = json!({"type": "result", "id": id, "outcome": observed.outcome});
    if let Some(native) = &observed.native {
        line["native"] = json!(native);
    }
    line
}

fn error_line(id: Option<u64>, message: &str) -> Value {
    json!({"type": "error", "id": id, "message": message})
}

/// Write one line and flush. Stdout is locked only for the write: a child
/// forked while a lock is held would deadlock flushing it.
fn send(line: &Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Serve until `shutdown` or end of file.
pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    let method = match args.start_method {
        Method::Fork => StartMethod::Fork,
        Method::Spawn => StartMethod::Spawn,
    };
    let mut adapter = ReferenceAdapter::new(method);
    let info = adapter.info().clone();
    // Orphans are counted by the in-process runner only: a remote adapter
    // cannot see what was reparented away from it.
    let capabilities: Vec<Capability> = info
        .capabilities
        .iter()
        .copied()
        .filter(|c| *c != Capability::Orphans)
        .collect();
    let hello = json!({
        "type": "hello",
        "protocol": 1,
        "implementation": "procspec-reference",
        "version": info.version,
        "start_method": info.start_method,
        "platform": "linux-x86_64",
        "capabilities": capabilities,
        "pid": std::process::id(),
        "process_class": "procspec_reference::Process",
    });
    send(&hello)?;

    // Stdin, like stdout, is not locked while an op runs (it forks).
    let mut line = String::new();
    loop {
        line.clear();
        if std::io::stdin()
            .read_line(&mut line)
            .context("cannot read stdin")?
            == 0
        {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let answer = match parse(&line) {
            Ok(Request::Shutdown) => break,
            Ok(Request::Op(id, step)) => match adapter.apply(&step) {
                Ok(observed) => result_line(id, &observed),
                Err(failure) => error_line(Some(id), &failure.to_string()),
            },
            Ok(Request::Reset(id)) => match adapter.reset() {
                Ok(()) => json!({"type": "reset-done", "id": id}),
                Err(failure) => error_line(Some(id), &failure.to_string()),
            },
            Err((id, message)) => error_line(id, &message),
        };
        send(&answer)?;
    }
    // Shutdown or end of file: clean up like a reset, exit 0.
    let _ = adapter.reset();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert!(matches!(
            parse(r#"{"type":"op","id":3,"step":{"at":"main","op":"name","p":"p1"}}"#),
            Ok(Request::Op(3, _))
        ));
        assert!(matches!(
            parse(r#"{"type":"reset","id":4}"#),
            Ok(Request::Reset(4))
        ));
        assert!(matches!(
            parse(r#"{"type":"shutdown"}"#),
            Ok(Request::Shutdown)
        ));
        assert!(matches!(parse("garbage"), Err((None, _))));
        assert!(matches!(parse("[1]"), Err((None, _))));
        assert!(matches!(
            parse(r#"{"type":"op","id":5,"step":{"at":"main","op":"fly"}}"#),
            Err((Some(5), _))
        ));
        assert!(matches!(parse(r#"{"type":"reset"}"#), Err((None, _))));
    }
}
