//! The clause registry, `spec/clauses.toml`, checked against its sources.
//!
//! Every clause must rest on text a reader can find: its quote occurs,
//! whitespace aside, in a file of `spec/sources/`. Clauses whose outcome is
//! CPython's choice rather than the docs' (`impl`, `should`) must say what
//! CPython does. And a broken registry must be reported with file and line,
//! which the bad-text cases at the end pin down.

use procspec_spec::clauses::{is_slug, parse_clauses};
use procspec_spec::{Clause, Level};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Runs of whitespace collapsed to one space, ends trimmed. Curly quotes,
/// dashes and ellipses are kept: the sources hold what the docs show.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sources_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sources")
}

/// Every file under `spec/sources/` except its README, normalised, by name.
fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![sources_dir()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                out.push((path.display().to_string(), normalise(&text)));
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no source files in {}",
        sources_dir().display()
    );
    out
}

/// One data-driven check over every clause: collects one line per failing
/// clause and panics with all of them, so a run shows every defect at once.
fn check(what: &str, mut ok: impl FnMut(&Clause) -> Result<(), String>) {
    let failures: Vec<String> = procspec_spec::clauses()
        .iter()
        .filter_map(|c| ok(c).err().map(|why| format!("  {}: {why}", c.id)))
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} clause(s) fail\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn registry_parses_with_unique_slug_ids() {
    let clauses = procspec_spec::clauses();
    assert!(!clauses.is_empty(), "spec/clauses.toml has no clause");
    check("id is a slug like `area.rule-name`", |c| {
        if is_slug(&c.id) {
            Ok(())
        } else {
            Err("not a slug".into())
        }
    });
    let mut seen = BTreeSet::new();
    check("id is unique", |c| {
        if seen.insert(c.id.clone()) {
            Ok(())
        } else {
            Err("defined twice".into())
        }
    });
}

#[test]
fn every_quote_occurs_in_a_source() {
    let sources = sources();
    check(
        "quote occurs verbatim (whitespace aside) in spec/sources/",
        |c| {
            let quote = normalise(&c.quote);
            if quote.is_empty() {
                return Err("empty quote".into());
            }
            if sources.iter().any(|(_, text)| text.contains(&quote)) {
                Ok(())
            } else {
                Err(format!("quote not found: {quote:?}"))
            }
        },
    );
}

#[test]
fn every_source_is_named() {
    check("source names where the quote is", |c| {
        let known = ["docs:multiprocessing.", "process.py:"];
        if known
            .iter()
            .any(|p| c.source.starts_with(p) && c.source.len() > p.len())
        {
            Ok(())
        } else {
            Err(format!(
                "source {:?} is neither docs:<anchor> nor process.py:<part>",
                c.source
            ))
        }
    });
}

/// Clauses whose outcome CPython decides must say what CPython does.
#[test]
fn impl_and_should_clauses_have_notes() {
    check("an impl or should clause has a note", |c| {
        match (c.level, &c.note) {
            (Level::Impl | Level::Should, None) => Err("no note".into()),
            (Level::Impl | Level::Should, Some(n)) if n.trim().is_empty() => {
                Err("empty note".into())
            }
            _ => Ok(()),
        }
    });
}

/// The clauses whose note carries CPython's behaviour the model relies on
/// (exact errors, quirks, the race, procspec's reading of a rule).
const MUST_HAVE_NOTE: &[&str] = &[
    "run.after-start",
    "start.once",
    "start.parent-only",
    "join.before-start",
    "join.parent-only",
    "name.counter",
    "is-alive.parent-only",
    "daemon.before-start",
    "daemon.no-children",
    "daemon.not-joined",
    "exitcode.parent-only",
    "authkey.no-pickle",
    "sentinel.posix-fd",
    "sentinel.before-start",
    "sentinel.before-exitcode",
    "terminate.before-start",
    "terminate.after-exit",
    "terminate.parent-only",
    "close.requires-exit",
    "close.then-raises",
    "close.idempotent",
    "close.before-start",
    "close.attributes-after",
    "error.no-effect",
];

#[test]
fn noted_clauses_exist_and_have_notes() {
    for id in MUST_HAVE_NOTE {
        let c = procspec_spec::clause(id).unwrap_or_else(|| panic!("clause {id} is missing"));
        assert!(
            c.note.as_deref().is_some_and(|n| !n.trim().is_empty()),
            "clause {id} needs a note saying what CPython does"
        );
    }
}

#[test]
fn every_level_is_used() {
    for level in [Level::Must, Level::Should, Level::Impl] {
        assert!(
            procspec_spec::clauses().iter().any(|c| c.level == level),
            "no clause has level {level:?}"
        );
    }
}

/// The ids the model and the cases cite: renaming one breaks them.
const CITED_IDS: &[&str] = &[
    "construct.keyword-args",
    "construct.group-none",
    "construct.target-default",
    "construct.args-kwargs",
    "construct.no-args-default",
    "construct.name",
    "construct.daemon-arg",
    "construct.daemon-inherit",
    "construct.subclass-init",
    "run.invokes-target",
    "run.overridable",
    "run.after-start",
    "start.once",
    "start.runs-run",
    "start.parent-only",
    "join.blocks",
    "join.timeout",
    "join.returns-none",
    "join.many-times",
    "join.not-self",
    "join.before-start",
    "join.parent-only",
    "name.identification",
    "name.may-repeat",
    "name.initial",
    "name.default-form",
    "name.counter",
    "is-alive.lifetime",
    "is-alive.parent-only",
    "daemon.before-start",
    "daemon.inherited",
    "daemon.terminated-at-exit",
    "daemon.no-children",
    "daemon.not-joined",
    "pid.process-id",
    "pid.none-before-start",
    "exitcode.status",
    "exitcode.none-while-running",
    "exitcode.signal-negative",
    "exitcode.parent-only",
    "authkey.bytes",
    "authkey.random",
    "authkey.inherited",
    "authkey.settable",
    "authkey.no-pickle",
    "sentinel.ready-at-end",
    "sentinel.posix-fd",
    "sentinel.before-start",
    "sentinel.before-exitcode",
    "terminate.sigterm",
    "terminate.no-exit-handlers",
    "terminate.orphans",
    "terminate.before-start",
    "terminate.after-exit",
    "terminate.parent-only",
    "kill.sigkill",
    "close.releases",
    "close.requires-exit",
    "close.then-raises",
    "close.idempotent",
    "close.before-start",
    "close.attributes-after",
    "current-process.main",
    "parent-process.none-in-main",
    "parent-process.creator",
    "active-children.live",
    "exceptions.process-error",
    "exceptions.buffer-too-short",
    "exceptions.authentication-error",
    "exceptions.timeout-error",
    "invariant.single-start",
    "invariant.parent-child",
    "invariant.daemon-restriction",
    "invariant.close-requires-exit",
    "invariant.identity-chain",
    "invariant.authkey-security",
    "error.no-effect",
];

#[test]
fn cited_ids_are_defined() {
    let missing: Vec<&&str> = CITED_IDS
        .iter()
        .filter(|id| procspec_spec::clause(id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "clause ids missing from spec/clauses.toml: {missing:?}"
    );
}

// ---------------------------------------------------------------------------
// A malformed registry is reported as `x.toml:<line>: ...`.

const GOOD: &str = r#"[[clause]]
id = "a.first"
level = "must"
quote = "One."
source = "docs:x"
"#;

/// Parse `text` as `x.toml`, expect an error whose Display names the file,
/// `line` and contains `fragment`.
fn bad(text: &str, line: usize, fragment: &str) {
    let err = match parse_clauses(text, "x.toml") {
        Ok(clauses) => panic!(
            "parsed {} clause(s) from a bad registry:\n{text}",
            clauses.len()
        ),
        Err(e) => e.to_string(),
    };
    let at = format!("x.toml:{line}:");
    assert!(
        err.contains(&at),
        "error {err:?} does not start at {at:?}; text:\n{text}"
    );
    assert!(
        err.contains(fragment),
        "error {err:?} does not mention {fragment:?}"
    );
}

#[test]
fn good_text_parses() {
    let clauses = parse_clauses(GOOD, "x.toml").expect("a good registry parses");
    assert_eq!(clauses.len(), 1);
    assert_eq!(clauses[0].id, "a.first");
}

#[test]
fn duplicate_id_is_reported_with_its_line() {
    let text = format!("{GOOD}\n[[clause]]\nid = \"a.first\"\nlevel = \"should\"\nquote = \"Two.\"\nsource = \"docs:x\"\nnote = \"n\"\n");
    // The parser points at the id's first definition (line 2), the one the
    // second (line 8) collides with.
    bad(&text, 2, "defined twice");
}

#[test]
fn bad_slug_is_reported_with_its_line() {
    let text = format!("{GOOD}\n[[clause]]\nid = \"Join.Blocks\"\nlevel = \"must\"\nquote = \"Two.\"\nsource = \"docs:x\"\n");
    bad(&text, 8, "not a slug");
    bad(
        "[[clause]]\nid = \"nodot\"\nlevel = \"must\"\nquote = \"q\"\nsource = \"s\"\n",
        2,
        "not a slug",
    );
}

#[test]
fn missing_quote_is_reported_with_its_line() {
    let text =
        format!("{GOOD}\n[[clause]]\nid = \"a.second\"\nlevel = \"must\"\nsource = \"docs:x\"\n");
    bad(&text, 7, "quote");
}

#[test]
fn unknown_field_is_reported_with_its_line() {
    let text = format!("{GOOD}\n[[clause]]\nid = \"a.second\"\nlevel = \"must\"\nquote = \"Two.\"\nsource = \"docs:x\"\nseverity = \"high\"\n");
    bad(&text, 12, "severity");
}

#[test]
fn unknown_level_and_capability_are_reported_with_their_line() {
    let level = GOOD.replace("level = \"must\"", "level = \"may\"");
    bad(&level, 3, "may");
    let needs = format!("{GOOD}needs = [\"terminate\", \"teleport\"]\n");
    bad(&needs, 6, "teleport");
}
