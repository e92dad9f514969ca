//! Nothing the runner reads breaks it, and nothing it writes leaks the key.
//!
//! - **Parsers** (bounded proptest runs, about 2000 inputs in all, of the
//!   properties the cargo-fuzz targets in `fuzz/` check at length): random
//!   bytes, and valid protocol lines, case, expectation and clause files
//!   with bytes flipped, inserted and deleted (and protocol lines with
//!   fields replaced by arbitrary JSON), go through the wire decoder,
//!   `parse_case` + `Case::validate`, `Expectations::parse` and
//!   `parse_clauses`. None may panic; an error names the file and a line
//!   in it, a line at all whenever one can be known.
//! - **Authkey hygiene**: a run of the reference (fork and spawn) over the
//!   authkey cases and a few others plus state-machine sequences, its
//!   unredacted JSON, the reports `procspec report` renders from it, the
//!   progress log, the children's stderr, serialisation errors and the
//!   `Debug`/`Display` of everything that holds the key contain the main
//!   process's key (which every child shares) in no form: raw, hex, base64,
//!   byte list. The key is 32 bytes, not all zero, and two fresh processes
//!   get different keys.
//!
//! Unix only: the reference adapter and remote adapters need fork and pipes passed by number.
#![cfg(unix)]

use procspec_harness::cases::{load_cases, LoadedCase};
use procspec_harness::expectations::Expectations;
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_harness::run::{run_implementation, RunOptions};
use procspec_harness::{suite, Adapter};
use procspec_reference::{current_process, Authkey, Process, StartMethod, Target};
use procspec_spec::case::{is_table_header, parse_case};
use procspec_spec::results::RunReport;
use procspec_spec::vocab::{authkey_fingerprint, Op, Outcome, Step, Value as V};
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

/// Spawned children re-run this binary with `spawn_entry --exact`: here
/// they become their target.
#[test]
fn spawn_entry() {
    register_targets();
    procspec_reference::init();
}

const SPAWN_ARGS: [&str; 5] = [
    "spawn_entry",
    "--exact",
    "--nocapture",
    "--test-threads=1",
    "-q",
];

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
        Err(m) => assert!(!m.is_empty()),
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

// ===================================================================
// Authkey hygiene
// ===================================================================

/// Standard base64 (`url`: the URL-safe alphabet), std only.
fn base64(data: &[u8], url: bool, pad: bool) -> String {
    let alphabet: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_encoder_is_right() {
    assert_eq!(base64(b"", false, true), "");
    assert_eq!(base64(b"f", false, true), "Zg==");
    assert_eq!(base64(b"fo", false, true), "Zm8=");
    assert_eq!(base64(b"foo", false, true), "Zm9v");
    assert_eq!(base64(b"foobar", false, true), "Zm9vYmFy");
    assert_eq!(base64(b"fooba", false, false), "Zm9vYmE");
    assert_eq!(base64(&[0xfb, 0xff], false, true), "+/8=");
    assert_eq!(base64(&[0xfb, 0xff], true, true), "-_8=");
}

/// Every form the key could take in text or bytes: raw, hex (both cases),
/// base64 (standard and URL-safe, with and without padding), the byte list
/// as JSON and as `Debug` prints it, escaped bytes; and the same of its
/// first 12 bytes, to catch a truncated copy.
fn key_forms(key: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut forms = vec![("the raw key".to_string(), key.to_vec())];
    for (label, part) in [("the key", key), ("its 12-byte prefix", &key[..12])] {
        let hex: String = part.iter().map(|b| format!("{b:02x}")).collect();
        forms.push((
            format!("{label} as lowercase hex"),
            hex.clone().into_bytes(),
        ));
        forms.push((
            format!("{label} as uppercase hex"),
            hex.to_uppercase().into_bytes(),
        ));
        for url in [false, true] {
            for pad in [false, true] {
                forms.push((
                    format!("{label} as base64 (url={url}, pad={pad})"),
                    base64(part, url, pad).into_bytes(),
                ));
            }
        }
    }
    forms.push((
        "the key as a JSON byte list".into(),
        serde_json::to_vec(&key.to_vec()).unwrap(),
    ));
    forms.push((
        "the key as a Debug byte list".into(),
        format!("{key:?}").into_bytes(),
    ));
    forms.push((
        "the key as escaped bytes".into(),
        key.escape_ascii().to_string().into_bytes(),
    ));
    forms
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Restores stderr when dropped (so that a failing test does not leave it
/// redirected).
struct StderrTo {
    saved: std::os::fd::OwnedFd,
}

impl StderrTo {
    fn file(path: &Path) -> StderrTo {
        use std::os::fd::{AsFd, AsRawFd};
        let file = std::fs::File::create(path).unwrap();
        // A close-on-exec copy: spawned children get the file as stderr and
        // nothing else.
        let saved = std::io::stderr().as_fd().try_clone_to_owned().unwrap();
        nix::unistd::dup2(file.as_raw_fd(), 2).unwrap();
        StderrTo { saved }
    }
}

impl Drop for StderrTo {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        let _ = nix::unistd::dup2(self.saved.as_raw_fd(), 2);
    }
}

/// The `procspec` binary of this build (`target/<profile>/procspec`, beside
/// `deps/` where this test runs), or `PROCSPEC_BIN`.
fn procspec_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROCSPEC_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("procspec");
    bin.is_file().then_some(bin)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The cases the hygiene run uses: every authkey case (they observe,
/// set and try to serialise keys, at main and in children) and those of a
/// few areas whose results carry error messages.
fn hygiene_cases() -> Vec<LoadedCase> {
    let all = load_cases(&root().join("cases")).unwrap_or_else(|e| panic!("{e}"));
    let picked: Vec<LoadedCase> = all
        .into_iter()
        .filter(|c| {
            c.case.id.starts_with("authkey/")
                || c.case.id.starts_with("exceptions/")
                || c.case.id.starts_with("current-process/")
                || c.case.id == "start/twice"
                || c.case.id == "close/running"
        })
        .collect();
    assert!(picked.iter().any(|c| c.case.id.starts_with("authkey/")));
    picked
}

#[test]
fn authkey_never_leaks() {
    register_targets();
    procspec_reference::set_spawn_args(SPAWN_ARGS.map(String::from).to_vec());
    procspec_reference::init();
    let _lock = suite::lock();

    let key = current_process().authkey().as_bytes().to_vec();
    assert_eq!(key.len(), 32, "the main process's key is 32 bytes");
    assert!(key.iter().any(|&b| b != 0), "the key is not all zero");
    let fingerprint = authkey_fingerprint(&key);

    let dir = std::env::temp_dir().join(format!("procspec-robustness-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();

    let cases = hygiene_cases();
    let mut raw_runs: Vec<RunReport> = Vec::new();
    {
        // What children print (panicking targets, messages) lands here.
        let _stderr = StderrTo::file(&dir.join("children.stderr"));
        for (method, name) in [
            (StartMethod::Fork, "reference-fork"),
            (StartMethod::Spawn, "reference-spawn"),
        ] {
            let mut adapter = ReferenceAdapter::reference(method);
            let options = RunOptions {
                implementation: name.into(),
                sequences: 12,
                seed: 7,
                max_steps: 12,
                regressions: None,
                expectations: Expectations::default(),
                stall_threshold: procspec_harness::breaker::DEFAULT_THRESHOLD,
                selection: procspec_harness::units::Selection::all(),
            };
            let mut log = String::new();
            let (report, coverage) = run_implementation(&mut adapter, &cases, &options, &mut |p| {
                log.push_str(&format!("{p:?}\n"))
            });
            texts.push((format!("{name} progress log"), log.into_bytes()));
            texts.push((
                format!("{name} coverage"),
                format!("{coverage:?}").into_bytes(),
            ));
            texts.push((
                format!("{name} adapter info"),
                format!("{:?}", adapter.info()).into_bytes(),
            ));
            texts.push((
                format!("{name} report Debug"),
                format!("{report:?}").into_bytes(),
            ));
            std::fs::write(
                dir.join("runs").join(format!("{name}.json")),
                serde_json::to_string_pretty(&report).unwrap() + "\n",
            )
            .unwrap();
            raw_runs.push(report);
        }
    }
    for run in &raw_runs {
        eprintln!(
            "{}: {} results {:?}, leaks {:?}",
            run.run_info.implementation,
            run.results.len(),
            run.summary,
            run.leaks
        );
    }
    // The reports, rendered by the CLI (`procspec report`, which redacts
    // and renders with procspec-reports: not a dependency of this crate).
    match procspec_binary() {
        Some(bin) => {
            let out = std::process::Command::new(&bin)
                .arg("report")
                .arg(dir.join("runs"))
                .output()
                .unwrap();
            texts.push(("`procspec report` stdout".into(), out.stdout.clone()));
            texts.push(("`procspec report` stderr".into(), out.stderr.clone()));
            assert!(
                out.status.success(),
                "{} report: {}",
                bin.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        None => eprintln!(
            "NOTE: the procspec binary is not built next to this test (cargo test --workspace \
             builds it), so the rendered reports were not checked"
        ),
    }

    // The run did look at keys, in main and in children: the child's key
    // (under fork and under spawn, where it travelled to the child) is the
    // main process's, so searching for that one covers both.
    for run in &raw_runs {
        let r = run
            .results
            .iter()
            .find(|r| r.id == "authkey/inherited-by-child-and-grandchild")
            .expect("the inheritance case ran");
        let in_child: Vec<&String> = r
            .ops
            .iter()
            .filter(|rec| !rec.step.at.is_main() && matches!(rec.step.op, Op::Authkey { .. }))
            .filter_map(|rec| match &rec.observed {
                Some(Outcome::Ok(V::Authkey(fp))) => Some(fp),
                _ => None,
            })
            .collect();
        assert!(
            !in_child.is_empty(),
            "{}: {r:?}",
            run.run_info.implementation
        );
        assert!(
            in_child.iter().all(|fp| **fp == fingerprint),
            "{}: a child's key differs from main's: {in_child:?}",
            run.run_info.implementation
        );
    }
    let raw_json = std::fs::read_to_string(dir.join("runs/reference-fork.json")).unwrap();
    assert!(
        raw_json.contains(&fingerprint),
        "no key was observed at all"
    );

    // Everything else that holds the key, printed and serialised.
    let me = current_process();
    let p = Process::new(Target::none());
    assert_eq!(p.authkey().unwrap().as_bytes(), &key[..]);
    let started = Process::new(Target::none());
    started.start().unwrap();
    texts.push(("unstarted Process".into(), format!("{p:?}").into_bytes()));
    texts.push((
        "started Process".into(),
        format!("{started:?}").into_bytes(),
    ));
    started.join(None).unwrap();
    texts.push(("joined Process".into(), format!("{started:?}").into_bytes()));
    started.close().unwrap();
    texts.push((
        "Process handle JSON".into(),
        serde_json::to_vec(&p).unwrap(),
    ));
    texts.push(("CurrentProcess".into(), format!("{me:?}").into_bytes()));
    let k: &Authkey = me.authkey();
    texts.push(("Authkey Debug".into(), format!("{k:?} {k:#?}").into_bytes()));
    texts.push((
        "Authkey Display".into(),
        format!("{k} {k:>80}").into_bytes(),
    ));
    let json_err = serde_json::to_string(k).expect_err("an authkey is not serialisable");
    texts.push((
        "JSON serialisation error".into(),
        format!("{json_err} {json_err:?}").into_bytes(),
    ));
    let toml_err = toml::to_string(
        &[("key", k.clone())]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
    .expect_err("an authkey is not serialisable");
    texts.push((
        "TOML serialisation error".into(),
        format!("{toml_err} {toml_err:?}").into_bytes(),
    ));
    let vec_err = serde_json::to_vec(&vec![k.clone()]).expect_err("not serialisable inside a list");
    texts.push((
        "nested serialisation error".into(),
        vec_err.to_string().into_bytes(),
    ));
    drop(p);

    let mut produced = Vec::new();
    files_under(&dir, &mut produced);
    let names: Vec<String> = produced
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in [
        "index.md",
        "index.html",
        "junit.xml",
        "children.stderr",
        "reference-spawn.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not written: {names:?}"
        );
    }
    for path in &produced {
        texts.push((path.display().to_string(), std::fs::read(path).unwrap()));
    }

    let forms = key_forms(&key);
    let mut leaks = Vec::new();
    for (what, bytes) in &texts {
        for (form, needle) in &forms {
            if find(bytes, needle) {
                leaks.push(format!("{what}: {form}"));
            }
        }
    }
    assert!(leaks.is_empty(), "the authkey leaked: {leaks:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Set in the environment of a re-executed copy of this binary: print this
/// (fresh) process's key fingerprint and length.
const PROBE_ENV: &str = "PROCSPEC_ROBUSTNESS_KEY_PROBE";

#[test]
fn key_probe() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    let key = current_process().authkey().as_bytes().to_vec();
    println!(
        "key-probe {} {} {}",
        key.len(),
        key.iter().any(|&b| b != 0),
        authkey_fingerprint(&key)
    );
}

/// Two fresh processes (this binary, run again: not children of a
/// `Process`, which would inherit the key) get keys of their own.
#[test]
fn fresh_processes_get_different_keys() {
    let _lock = suite::lock();
    let probe = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "key_probe",
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(PROBE_ENV, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("key-probe "))
            .unwrap_or_else(|| panic!("no probe line in {text:?}"))
            .to_string();
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts[..2], ["32", "true"], "{line}");
        parts[2].to_string()
    };
    let (a, b) = (probe(), probe());
    let ours = authkey_fingerprint(current_process().authkey().as_bytes());
    assert_ne!(a, b, "two fresh processes drew the same key");
    assert_ne!(a, ours);
    assert_ne!(b, ours);
}
