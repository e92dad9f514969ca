//! Nothing the runner reads breaks it.
//!
//! **Parsers** (bounded proptest runs, about 2000 inputs in all, of the
//! properties the cargo-fuzz targets in `fuzz/` check at length): random
//! bytes, and valid protocol lines, case, expectation and clause files with
//! bytes flipped, inserted and deleted (and protocol lines with fields
//! replaced by arbitrary JSON), go through the wire decoder, `parse_case` +
//! `Case::validate`, `Expectations::parse` and `parse_clauses`. None may
//! panic; an error names the file and a line in it, a line at all whenever
//! one can be known.
//!
//! (That nothing a run writes leaks the authkey is the runner's
//! `tests/authkey_hygiene.rs`: it drives a whole run.)
//!
//! Unix only, as it was with the authkey half: the harness's remote
//! adapter, whose decoder this exercises, is Unix only.
#![cfg(unix)]

use procspec_harness::expectations::Expectations;
use procspec_spec::case::{is_table_header, parse_case};
use procspec_spec::vocab::Step;
use procspec_spec::SpecError;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use procspec_protocol as wire;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ===================================================================
// Parsers
// ===================================================================

/// A bounded run: no regression files written into the repository.
fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    })
}

/// One edit of a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Token(usize, usize),
    Truncate(usize),
    /// Replace the contents of the n-th `"..."` by a word of [`WORDS`].
    Word(usize, usize),
    /// Duplicate the n-th line.
    DupLine(usize),
    /// Delete the n-th line.
    DropLine(usize),
}

/// Bytes and tokens that matter to TOML and JSON.
const TOKENS: &[&str] = &[
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    ":",
    "\n",
    "\\",
    "#",
    "\0",
    "\u{1b}",
    "[[step]]",
    "[[divergence]]",
    "[[clause]]",
    "null",
    "true",
    "-1",
    "1e999",
    "18446744073709551616",
    "\"\"\"",
    "é",
    "\u{2028}",
    "main",
    "p1",
    "\"ok\"",
    "\"err\"",
    "\"none\"",
];

/// Words of the vocabulary: swapped into strings, they keep a file
/// well-formed but change what it says.
const WORDS: &[&str] = &[
    "main",
    "p1",
    "p2",
    "p3",
    "create",
    "start",
    "join",
    "close",
    "terminate",
    "kill",
    "release",
    "is-alive",
    "exitcode",
    "authkey",
    "set-authkey",
    "run",
    "block",
    "agent",
    "return",
    "raise",
    "ignore-sigterm",
    "closed",
    "not-parent",
    "still-running",
    "already-started",
    "none",
    "ok",
    "err",
    "start.once",
    "close.requires-exit",
    "join.parent-only",
    "hello",
    "result",
    "reset-done",
    "error",
    "",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1..16usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(i, t)| Edit::Token(i, t)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 0..WORDS.len()).prop_map(|(i, w)| Edit::Word(i, w)),
        (any::<usize>(), 0..WORDS.len()).prop_map(|(i, w)| Edit::Word(i, w)),
        any::<usize>().prop_map(Edit::DupLine),
        any::<usize>().prop_map(Edit::DropLine),
    ]
}

fn apply(mut data: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = data.len();
        match *e {
            Edit::Flip(i, b) if len > 0 => data[i % len] ^= 1 << b,
            Edit::Set(i, b) if len > 0 => data[i % len] = b,
            Edit::Insert(i, b) => data.insert(i % (len + 1), b),
            Edit::Delete(i, n) if len > 0 => {
                let at = i % len;
                data.drain(at..(at + n).min(len));
            }
            Edit::Token(i, t) => {
                let at = i % (len + 1);
                data.splice(at..at, TOKENS[t].bytes());
            }
            Edit::Truncate(i) if len > 0 => data.truncate(i % len),
            Edit::Word(i, w) => {
                let quotes: Vec<usize> = (0..len).filter(|&k| data[k] == b'"').collect();
                if quotes.len() >= 2 {
                    let n = (i % (quotes.len() / 2)) * 2;
                    let (a, b) = (quotes[n] + 1, quotes[n + 1]);
                    data.splice(a..b, WORDS[w].bytes());
                }
            }
            Edit::DupLine(i) | Edit::DropLine(i) => {
                let mut lines: Vec<Vec<u8>> =
                    data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let at = i % lines.len();
                if matches!(e, Edit::DupLine(_)) {
                    let line = lines[at].clone();
                    lines.insert(at, line);
                } else {
                    lines.remove(at);
                }
                data = lines.join(&b'\n');
            }
            _ => {}
        }
    }
    data
}

/// One of `examples` with 1 to 8 edits.
fn mutated(examples: &'static [Vec<u8>]) -> impl Strategy<Value = Vec<u8>> {
    (0..examples.len(), prop::collection::vec(edit(), 1..5))
        .prop_map(move |(i, edits)| apply(examples[i].clone(), &edits))
}

fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..400)
}

// ---- the protocol decoder

const LINES: &[&str] = &[
    r#"{"type":"hello","protocol":1,"implementation":"cpython","version":"3.11.7","start_method":"fork","platform":"linux-x86_64","capabilities":["terminate","kill","sentinel","fork","teleport"],"pid":4242,"process_class":"multiprocessing:Process"}"#,
    r#"{"type":"result","id":3,"outcome":{"ok":"none"}}"#,
    r#"{"type":"result","id":3,"outcome":{"ok":{"int":3}}}"#,
    r#"{"type":"result","id":3,"outcome":{"ok":{"authkey":"0123456789abcdef"}}}"#,
    r#"{"type":"result","id":3,"outcome":{"ok":{"refs":["p1","p2"]}}}"#,
    r#"{"type":"result","id":3,"outcome":{"err":"not-parent"},"native":{"type":"AssertionError","message":"can only join a child process"}}"#,
    r#"{"type":"reset-done","id":3,"helpers":[7,9]}"#,
    r#"{"type":"reset-done","id":3}"#,
    r#"{"type":"error","id":null,"message":"no such class"}"#,
    r#"{"type":"error","id":3,"message":"no agent p9"}"#,
];

fn line_examples() -> &'static [Vec<u8>] {
    static EX: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    EX.get_or_init(|| LINES.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// Every parse function on one line: no panic, a message for every
/// rejection, and an accepted answer really is of the type and id asked.
fn check_line(data: &[u8]) {
    let q = wire::quote(data);
    assert!(!q.chars().any(char::is_control), "{q:?}");
    let obj: Option<serde_json::Map<String, Value>> = match serde_json::from_slice(data) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    };
    let field = |k: &str| obj.as_ref().and_then(|m| m.get(k));
    match wire::parse_hello(data) {
        Ok(h) => {
            assert_eq!(field("type"), Some(&Value::from("hello")));
            assert_ne!(h.pid, 0);
            assert!(!h.implementation.is_empty() && !h.start_method.is_empty());
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
    let mut ids = vec![0, 3, u64::MAX];
    ids.extend(field("id").and_then(Value::as_u64));
    for id in ids {
        match wire::parse_result(data, id) {
            Ok(o) => {
                assert_eq!(field("type"), Some(&Value::from("result")));
                assert_eq!(field("id").and_then(Value::as_u64), Some(id));
                assert!(o.native.is_none() || o.outcome.is_err());
            }
            Err(wire::Rejection::Refused(_)) => {
                assert_eq!(field("type"), Some(&Value::from("error")));
            }
            Err(wire::Rejection::Broken(m)) => assert!(!m.is_empty()),
        }
        match wire::parse_reset_done(data, id) {
            Ok(_) => {
                assert_eq!(field("type"), Some(&Value::from("reset-done")));
                assert_eq!(field("id").and_then(Value::as_u64), Some(id));
            }
            Err(wire::Rejection::Refused(_)) => {
                assert_eq!(field("type"), Some(&Value::from("error")));
            }
            Err(wire::Rejection::Broken(m)) => assert!(!m.is_empty()),
        }
    }
}

/// Any JSON value, with the protocol's own words among the strings.
fn json() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "hello",
        "result",
        "reset-done",
        "error",
        "ok",
        "err",
        "none",
        "int",
        "refs",
        "authkey",
        "not-parent",
        "closed",
        "fork",
        "",
        "\u{1b}[31m",
    ])
    .prop_map(Value::from);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0.5f64), Just(-1e300), Just(1e-300)].prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        words,
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["ok", "err", "int", "type", "id", "message", "x"])
                    .prop_map(String::from),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid line with one field replaced (or added) by arbitrary JSON.
fn reshaped_line() -> impl Strategy<Value = Vec<u8>> {
    (
        0..LINES.len(),
        prop::sample::select(vec![
            "type",
            "id",
            "protocol",
            "pid",
            "capabilities",
            "outcome",
            "native",
            "helpers",
            "message",
            "implementation",
            "extra",
        ]),
        json(),
    )
        .prop_map(|(i, key, value)| {
            let mut obj: serde_json::Map<String, Value> =
                serde_json::from_str(LINES[i]).expect("a valid example");
            obj.insert(key.to_string(), value);
            serde_json::to_vec(&Value::Object(obj)).expect("JSON")
        })
}

#[test]
fn protocol_decoder_survives_random_bytes() {
    runner(250)
        .run(&random_bytes(), |data| {
            check_line(&data);
            Ok(())
        })
        .unwrap();
}

#[test]
fn protocol_decoder_survives_mutated_lines() {
    runner(400)
        .run(&mutated(line_examples()), |data| {
            check_line(&data);
            Ok(())
        })
        .unwrap();
}

#[test]
fn protocol_decoder_survives_reshaped_lines() {
    runner(250)
        .run(&reshaped_line(), |data| {
            check_line(&data);
            Ok(())
        })
        .unwrap();
}

// ---- input files

fn read_examples(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            read_examples(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(std::fs::read(&p).expect("read an example"));
        }
    }
}

fn case_examples() -> &'static [Vec<u8>] {
    static EX: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    EX.get_or_init(|| {
        let mut v = Vec::new();
        read_examples(&root().join("cases"), &mut v);
        assert!(!v.is_empty(), "no case files");
        v
    })
}

fn expectation_examples() -> &'static [Vec<u8>] {
    static EX: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    EX.get_or_init(|| {
        let mut v = Vec::new();
        read_examples(&root().join("fixtures/expectations"), &mut v);
        // One with every field, so mutations reach the checks past parsing.
        v.push(
            b"[[divergence]]\ncase = \"start/twice\"\nreason = \"a reason\"\nplatform = \"linux\"\n\
              allowed = [{ ok = \"none\" }, { err = \"not-parent\" }]\n\n\
              [[divergence]]\nclause = \"start.once\"\nreason = \"another\"\n"
                .to_vec(),
        );
        v
    })
}

fn clause_examples() -> &'static [Vec<u8>] {
    static EX: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    EX.get_or_init(|| {
        // The first few tables of the registry.
        let text = procspec_spec::clauses::CLAUSES_TOML;
        let tables: Vec<&str> = text.split("[[clause]]").collect();
        vec![tables[..tables.len().min(5)]
            .join("[[clause]]")
            .into_bytes()]
    })
}

/// The largest line number an error about `text` may carry.
fn last_line(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// An error about the file at `path` names it and a line within it, and a
/// line at all when the text is not even TOML (a syntax error has a place).
fn check_error(e: &SpecError, text: &str, path: &str) {
    assert_eq!(e.path(), path, "{e}");
    assert!(e.to_string().starts_with(path), "{e}");
    assert!(e.line() <= last_line(text), "{e}: past the end");
    if toml::from_str::<toml::Table>(text).is_err() {
        assert!(e.line() > 0, "a syntax error without a line: {e}");
    }
}

const CASE_PATH: &str = "cases/robustness/input.toml";

/// `parse_case` then `Case::validate`: no panic, located errors; an
/// accepted case's step lines are its `[[step]]` headers and, when every
/// step has such a header, the model's objections carry a line.
fn check_case(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let case = match parse_case(text, CASE_PATH, "robustness/input") {
        Ok(c) => c,
        Err(e) => return check_error(&e, text, CASE_PATH),
    };
    assert!(!case.clauses.is_empty());
    let lines: Vec<&str> = text.lines().collect();
    for s in &case.steps {
        if s.line > 0 {
            // A header may carry a comment (`[[step]] # ...`): the
            // parser's own notion of a header.
            let header = lines.get(s.line - 1).copied().unwrap_or_default();
            assert!(is_table_header(header, "step"), "{header:?}");
        }
        // The step goes over the wire and comes back the same.
        let line = wire::Request::Op {
            id: 1,
            step: s.step.clone(),
        }
        .line()
        .expect("encodable");
        let sent: Value = serde_json::from_str(&line).expect("JSON");
        let back: Step = serde_json::from_value(sent["step"].clone()).expect("decodable");
        assert_eq!(back, s.step);
    }
    let headed = case.steps.iter().all(|s| s.line > 0);
    if let Err(e) = case.validate(CASE_PATH) {
        check_error(&e, text, CASE_PATH);
        if headed {
            assert!(e.line() > 0, "a step error without a line: {e}");
            let header = lines.get(e.line() - 1).copied().unwrap_or_default();
            assert!(is_table_header(header, "step"), "{header:?}");
        }
    }
}

#[test]
fn case_parser_survives_random_bytes() {
    runner(150)
        .run(&random_bytes(), |data| {
            check_case(&data);
            Ok(())
        })
        .unwrap();
}

#[test]
fn case_parser_survives_mutated_cases() {
    runner(600)
        .run(&mutated(case_examples()), |data| {
            check_case(&data);
            Ok(())
        })
        .unwrap();
}

const EXPECTATIONS_PATH: &str = "fixtures/expectations/robustness.toml";

#[test]
fn expectations_parser_survives_mutated_files() {
    let strategy = prop_oneof![random_bytes(), mutated(expectation_examples())];
    runner(250)
        .run(&strategy, |data| {
            let text = String::from_utf8_lossy(&data);
            match Expectations::parse(&text, EXPECTATIONS_PATH) {
                Ok(e) => {
                    for d in &e.divergences {
                        assert!(d.case.is_some() != d.clause.is_some());
                        assert!(!d.reason.trim().is_empty());
                    }
                }
                Err(e) => check_error(&e, &text, EXPECTATIONS_PATH),
            }
            Ok(())
        })
        .unwrap();
}

const CLAUSES_PATH: &str = "spec/robustness-clauses.toml";

#[test]
fn clause_parser_survives_mutated_registries() {
    runner(100)
        .run(&mutated(clause_examples()), |data| {
            let text = String::from_utf8_lossy(&data);
            match procspec_spec::clauses::parse_clauses(&text, CLAUSES_PATH) {
                Ok(clauses) => {
                    assert!(clauses
                        .iter()
                        .all(|c| procspec_spec::clauses::is_slug(&c.id)));
                }
                Err(e) => check_error(&e, &text, CLAUSES_PATH),
            }
            Ok(())
        })
        .unwrap();
}

/// The valid examples themselves pass (so the properties above are not
/// vacuous) and a few hand-made breakages give located errors.
#[test]
fn examples_are_valid_and_breakages_are_located() {
    for l in line_examples() {
        check_line(l);
    }
    for c in case_examples() {
        let text = std::str::from_utf8(c).unwrap();
        let case = parse_case(text, CASE_PATH, "x/y").unwrap_or_else(|e| panic!("{e}"));
        case.validate(CASE_PATH).unwrap_or_else(|e| panic!("{e}"));
    }
    let twice = "description = \"d\"\nclauses = [\"start.once\"]\n\n[[step]]\nop = \"create\"\nid = \"p1\"\ntarget = { kind = \"return\" }\n\n[[step]]\nop = \"start\"\np = \"p1\"\nexpect = { ok = \"none\" }\n\n[[step]]\nop = \"start\"\np = \"p1\"\nexpect = { ok = \"none\" }\n";
    let case = parse_case(twice, CASE_PATH, "x/y").unwrap();
    let e = case.validate(CASE_PATH).unwrap_err();
    assert_eq!(e.line(), 14, "{e}");
    for (text, line) in [
        ("description = \"d\"\nclauses = [\"start.once\"\n", 3),
        ("description = \"d\"\nclauses = [\"no.such-clause\"]\n[[step]]\nop = \"start\"\np = \"p1\"\n", 2),
        ("description = \"d\"\nclauses = [\"start.once\"]\n[[step]]\nop = \"teleport\"\np = \"p1\"\n", 3),
    ] {
        let e = parse_case(text, CASE_PATH, "x/y").unwrap_err();
        assert_eq!(e.line(), line, "{e}");
        check_case(text.as_bytes());
    }
}
