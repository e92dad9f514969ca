//! The bodies of procspec's fuzz targets, shared by the libFuzzer binaries
//! (`fuzz_targets/`, nightly, `cargo fuzz run`) and the stable `replay`
//! binary (`src/bin/replay.rs`). See `fuzz/README.md`.
//!
//! Every target takes arbitrary bytes and must return: a panic is a
//! finding. Beyond "no panic" each checks what its callers rely on:
//!
//! - `protocol_decoder`: a line from an adapter, through every parse
//!   function of the wire protocol (hello, result, reset-done, for several
//!   request ids), the server side's request decoder, and the quoting of
//!   lines into messages. An accepted answer really is a JSON object of the
//!   right type for the right id; an accepted request encodes back to a
//!   line that decodes to it; a quote is short and free of control
//!   characters; a rejection has a message.
//! - `case_file`: the bytes (lossy UTF-8) as a case file: `parse_case`, then
//!   `Case::validate`. Errors name the file and a line inside it (a line
//!   whenever the text is not even TOML); an accepted case cites known
//!   clauses, its step lines point at `[[step]]` headers, and every step
//!   survives the wire encoding (`op` request) unchanged.
//! - `expectations_file`, `clauses_file`, `impl_file`: the same for the
//!   other input files.
//!
//! Every error message must also be bounded ([`MAX_MESSAGE`] characters)
//! and free of control characters but line breaks: the reports and
//! terminals they end up in should not be at the mercy of the input.

use procspec_harness::expectations::Expectations;
use procspec_spec::case::parse_case;
use procspec_spec::results::{CaseResult, ResultKind, Status};
use procspec_spec::vocab::Step;
use procspec_spec::SpecError;
use serde_json::Value;
use std::path::Path;

use procspec_protocol as wire;

/// The longest error message accepted, in characters.
pub const MAX_MESSAGE: usize = 2048;

/// The longest quote of a line: 200 characters, each at most 6 once
/// escaped (`\u{9f}`), two backticks and `[...]`.
const MAX_QUOTE: usize = 200 * 6 + 2 + 5;

/// A fuzz target: returns, or panics on a finding.
pub type Target = fn(&[u8]);

/// Every target, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("protocol_decoder", protocol_decoder),
    ("case_file", case_file),
    ("expectations_file", expectations_file),
    ("clauses_file", clauses_file),
    ("impl_file", impl_file),
];

/// A rejection's message: not empty, bounded, and without control
/// characters.
fn message(what: &str, m: &str) {
    assert!(!m.trim().is_empty(), "{what}: empty message");
        let n = m.chars().count();
        assert!(
            n <= MAX_MESSAGE,
            "{what}: a message of {n} characters: {}...",
            m.chars().take(200).collect::<String>()
        );
        // Line breaks are the parsers' own layout (toml's messages have
        // them); any other control character came from the input.
        assert!(
            !m.chars().any(|c| c.is_control() && c != '\n'),
            "{what}: a message with a control character: {m:?}"
        );
}

// ---- protocol_decoder

/// One line an adapter wrote (without its newline).
pub fn protocol_decoder(data: &[u8]) {
    let q = wire::quote(data);
    assert!(q.starts_with('`') && q.ends_with('`'), "{q:?}");
    assert!(q.chars().count() <= MAX_QUOTE, "quote too long: {q:?}");
    assert!(!q.chars().any(char::is_control), "quote: {q:?}");

    let parsed: Option<serde_json::Map<String, Value>> = match serde_json::from_slice(data) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    };
    let field = |k: &str| parsed.as_ref().and_then(|m| m.get(k));

    match wire::parse_hello(data) {
        Ok(h) => {
            assert_eq!(field("type"), Some(&Value::from("hello")));
            assert_eq!(
                field("protocol").and_then(Value::as_u64),
                Some(wire::PROTOCOL)
            );
            for (name, v) in [
                ("implementation", &h.implementation),
                ("version", &h.version),
                ("start_method", &h.start_method),
                ("platform", &h.platform),
                ("process_class", &h.process_class),
            ] {
                assert!(!v.is_empty(), "hello accepted with an empty {name}");
            }
            assert_ne!(h.pid, 0);
            let mut caps = h.capabilities.clone();
            caps.sort();
            caps.dedup();
            assert_eq!(caps.len(), h.capabilities.len(), "duplicate capabilities");
        }
        Err(e) => message("hello", e.message()),
    }

    // The ids the runner could be waiting for, and the one the line names
    // (so that the fuzzer gets past the id check).
    let mut ids = vec![0, 1, 3, u64::MAX];
    if let Some(id) = field("id").and_then(Value::as_u64) {
        ids.push(id);
    }
    for id in ids {
        match wire::parse_result(data, id) {
            Ok(observed) => {
                assert_eq!(field("type"), Some(&Value::from("result")));
                assert_eq!(field("id").and_then(Value::as_u64), Some(id));
                if observed.native.is_some() {
                    assert!(
                        observed.outcome.is_err(),
                        "a native error with an ok outcome"
                    );
                }
            }
            Err(wire::Rejection::Refused(m)) => {
                // Refused: a well-formed `error` line. Its message is the
                // adapter's own (shown as given, may be anything).
                assert_eq!(field("type"), Some(&Value::from("error")));
                let _ = m;
            }
            Err(wire::Rejection::Broken(m)) => message("result", &m),
        }
        match wire::parse_reset_done(data, id) {
            Ok(_helpers) => {
                assert_eq!(field("type"), Some(&Value::from("reset-done")));
                assert_eq!(field("id").and_then(Value::as_u64), Some(id));
            }
            Err(wire::Rejection::Refused(_)) => {
                assert_eq!(field("type"), Some(&Value::from("error")));
            }
            Err(wire::Rejection::Broken(m)) => message("reset-done", &m),
        }
    }

    match wire::parse_request(data) {
        Ok(request) => {
            let line = request.line().expect("an accepted request encodes");
            let again = wire::parse_request(line.as_bytes()).expect("its line decodes");
            assert_eq!(again, request);
        }
        Err(refused) => message("request", &refused.message),
    }
}

// ---- input files

/// The largest line number an error about `text` may carry.
fn last_line(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// An error about the input file at `path`: names it, and a line within it;
/// a line at all when the text is not even TOML (a syntax error always has
/// a place).
fn spec_error(what: &str, e: &SpecError, text: &str, path: &str) {
    assert_eq!(e.path(), path, "{what}: {e}");
    let shown = e.to_string();
    assert!(shown.starts_with(path), "{what}: {shown}");
    assert!(
        e.line() <= last_line(text),
        "{what}: line {} of a {}-line file: {shown}",
        e.line(),
        last_line(text)
    );
    if toml::from_str::<toml::Table>(text).is_err() {
        assert!(
            e.line() > 0,
            "{what}: a TOML syntax error without a line: {shown}"
        );
    }
    message(what, &shown);
}

/// The path every case input is named by.
pub const CASE_PATH: &str = "cases/fuzz/input.toml";

/// A case file.
pub fn case_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let case = match parse_case(text, CASE_PATH, "fuzz/input") {
        Ok(c) => c,
        Err(e) => return spec_error("parse_case", &e, text, CASE_PATH),
    };
    assert_eq!(case.id, "fuzz/input");
    assert!(!case.clauses.is_empty(), "a case without clauses");
    for c in &case.clauses {
        assert!(procspec_spec::clause(c).is_some(), "unknown clause {c:?}");
    }
    let lines: Vec<&str> = text.lines().collect();
    for s in &case.steps {
        if s.line > 0 {
            assert_eq!(
                lines.get(s.line - 1).map(|l| l.trim()),
                Some("[[step]]"),
                "step `{}` at line {}",
                s.step,
                s.line
            );
        }
        // What a case says is what the adapter is asked.
        let line = wire::Request::Op {
            id: 1,
            step: s.step.clone(),
        }
        .line()
            .unwrap_or_else(|e| panic!("step `{}` cannot be sent: {e}", s.step));
        let sent: Value = serde_json::from_str(&line).expect("an op line is JSON");
        let back: Step = serde_json::from_value(sent["step"].clone())
            .unwrap_or_else(|e| panic!("step `{}` does not read back ({e}): {line}", s.step));
        assert_eq!(back, s.step, "{line}");
    }
    let _ = procspec_harness::cases::missing_capabilities(&case, &[]);
    if let Err(e) = case.validate(CASE_PATH) {
        spec_error("validate", &e, text, CASE_PATH);
    }
}

/// The path every expectation input is named by.
pub const EXPECTATIONS_PATH: &str = "fixtures/expectations/fuzz.toml";

/// An expectation file; an accepted one is applied to a few results.
pub fn expectations_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let e = match Expectations::parse(text, EXPECTATIONS_PATH) {
        Ok(e) => e,
        Err(err) => return spec_error("expectations", &err, text, EXPECTATIONS_PATH),
    };
    for d in &e.divergences {
        assert!(d.case.is_some() != d.clause.is_some());
        assert!(!d.reason.trim().is_empty());
        for status in [Status::Pass, Status::Fail, Status::Crash, Status::Skip] {
            let mut r = CaseResult {
                id: d.case.clone().unwrap_or_else(|| "fuzz/input".into()),
                kind: ResultKind::Case,
                clauses: d.clause.iter().cloned().collect(),
                root: None,
                observer: None,
                replay: None,
                status,
                expected: Vec::new(),
                observed: Some("ok none".into()),
                message: None,
                ops: Vec::new(),
            };
            e.apply(&mut r);
        }
    }
    let _ = e.unknown_cases(&[]);
}

/// The path every clause registry input is named by.
pub const CLAUSES_PATH: &str = "spec/fuzz-clauses.toml";

/// A clause registry.
pub fn clauses_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    match procspec_spec::clauses::parse_clauses(text, CLAUSES_PATH) {
        Ok(clauses) => {
            let mut ids: Vec<&str> = clauses.iter().map(|c| c.id.as_str()).collect();
            assert!(ids.iter().all(|id| procspec_spec::clauses::is_slug(id)));
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), clauses.len(), "duplicate clause ids");
        }
        Err(e) => spec_error("parse_clauses", &e, text, CLAUSES_PATH),
    }
}

/// The path every implementation input is named by.
pub const IMPL_PATH: &str = "fixtures/impls/fuzz-impl.toml";

/// An implementation file.
pub fn impl_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    match procspec_runner::impls::parse_impl(text, Path::new(IMPL_PATH), "fuzz-impl") {
        Ok(spec) => {
            assert_eq!(spec.name, "fuzz-impl");
            assert!(!spec.description.trim().is_empty());
        }
        Err(e) => spec_error("parse_impl", &e, text, IMPL_PATH),
    }
}
