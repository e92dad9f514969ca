//! The repository's own lint, run by `cargo test`: clause ids, case files
//! and every id cited anywhere must agree with the registry.

use procspec_harness::cases::load_cases;
use procspec_spec::untested::{parse_untested, UNTESTED_TOML};
use procspec_spec::vocab::Level;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every case file parses, cites known clauses and runs in the model.
#[test]
fn every_case_is_valid() {
    let cases = load_cases(&root().join("cases")).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cases.is_empty(), "no case files under cases/");
}

/// Every `must` clause is covered by at least one case, or listed in
/// `spec/untested.toml` with the reason no case can express it. The list is
/// kept honest: an entry must name a known clause, give a reason and appear
/// once (which `parse_untested` enforces, with file and line), and name a
/// clause that no case cites.
#[test]
fn every_must_clause_has_a_case() {
    let cases = load_cases(&root().join("cases")).unwrap_or_else(|e| panic!("{e}"));
    let covered: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.case.clauses.iter().map(String::as_str))
        .collect();

    let untested =
        parse_untested(UNTESTED_TOML, "spec/untested.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut listed = BTreeSet::new();
    let mut bad = Vec::new();
    for u in &untested {
        let id = u.clause.as_str();
        // Enforced by the parser; restated so this test says it all.
        if procspec_spec::clause(id).is_none() {
            bad.push(format!("{id:?} is not a clause of spec/clauses.toml"));
        }
        if u.reason.trim().is_empty() {
            bad.push(format!("{id:?} has no reason"));
        }
        if !listed.insert(id) {
            bad.push(format!("{id:?} is listed twice"));
        }
        if covered.contains(id) {
            let by: Vec<&str> = cases
                .iter()
                .filter(|c| c.case.clauses.iter().any(|x| x == id))
                .map(|c| c.case.id.as_str())
                .collect();
            bad.push(format!(
                "{id:?} is cited by cases {by:?}: remove it from the list"
            ));
        }
    }
    assert!(bad.is_empty(), "spec/untested.toml: {bad:#?}");

    // Cited is not enough: some case must check the clause at a step where
    // a wrong answer was possible (a ✓ must be earned).
    let checked: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.case.checked_clauses())
        .collect();
    let missing: Vec<&str> = procspec_spec::clauses()
        .iter()
        .filter(|c| {
            c.level == Level::Must
                && !checked.contains(c.id.as_str())
                && !listed.contains(c.id.as_str())
        })
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "must clauses without a case (nor an entry in spec/untested.toml): {missing:?}"
    );
}

/// Every clause id quoted anywhere in the repository (code, cases,
/// expectations, docs) exists in the registry.
#[test]
fn every_cited_clause_exists() {
    let known: BTreeSet<String> = procspec_spec::clauses()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let areas: BTreeSet<String> = known
        .iter()
        .map(|id| id.split('.').next().unwrap_or("").to_string())
        .collect();
    let mut unknown = Vec::new();
    for dir in [
        "spec/src",
        "harness/src",
        "cases",
        "fixtures/expectations",
        "src",
    ] {
        walk(&root().join(dir), &mut |path, text| {
            for id in quoted_ids(text, &areas) {
                if !known.contains(&id) {
                    unknown.push(format!("{}: {id}", path.display()));
                }
            }
        });
    }
    assert!(unknown.is_empty(), "unknown clause ids: {unknown:#?}");
}

/// `"area.rule"` strings whose area is a clause area.
fn quoted_ids(text: &str, areas: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for piece in text.split('"').skip(1).step_by(2) {
        if let Some((area, rest)) = piece.split_once('.') {
            if areas.contains(area) && !rest.is_empty() && procspec_spec::clauses::is_slug(piece) {
                out.push(piece.to_string());
            }
        }
    }
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("rs" | "toml" | "md")
        ) {
            if let Ok(text) = std::fs::read_to_string(&p) {
                // Unit tests may cite wrong ids on purpose (error paths).
                let text = text.split("#[cfg(test)]").next().unwrap_or("");
                f(&p, text);
            }
        }
    }
}

/// insta writes `.snap.new` files when a snapshot changes; CI never accepts
/// them silently.
#[test]
fn no_pending_snapshots() {
    let mut stray = Vec::new();
    for dir in ["spec", "reports", "harness"] {
        walk_all(&root().join(dir), &mut |p| {
            let name = p.to_string_lossy();
            if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
                stray.push(p.to_path_buf());
            }
        });
    }
    assert!(
        stray.is_empty(),
        "review or delete pending snapshots: {stray:?}"
    );
}

fn walk_all(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk_all(&p, f);
        } else {
            f(&p);
        }
    }
}

/// Every `must` clause has a mutant of the catalogue (`harness/tests/mutants.rs`)
/// that the suite kills on that clause, as the committed kill matrix
/// (`reports/committed/mutation/kills.json`) records (an invariant that only
/// restates a rule, which the model never roots a failure on, is killed by
/// the mutant killed on that rule: the kill's `implies`), or is listed with a
/// reason in `spec/untested.toml` (no case can check it) or
/// `mutants/pending.toml` (no killing mutant yet). The pending list is kept
/// honest as the untested one is: known `must` clauses, a reason, once, and
/// not killed already.
#[test]
fn every_must_clause_has_a_killing_mutant() {
    #[derive(serde::Deserialize)]
    struct Kills {
        mutants: Vec<Kill>,
    }
    #[derive(serde::Deserialize)]
    struct Kill {
        mutant: String,
        breaks: String,
        found: Option<String>,
        #[serde(default)]
        implies: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct Pending {
        #[serde(default)]
        pending: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        clause: String,
        reason: String,
    }
    let kills_path = root().join("reports/committed/mutation/kills.json");
    let kills: Kills = serde_json::from_str(&std::fs::read_to_string(&kills_path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", kills_path.display()));
    let pending_path = root().join("mutants/pending.toml");
    let pending: Pending = toml::from_str(&std::fs::read_to_string(&pending_path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", pending_path.display()));
    let untested =
        parse_untested(UNTESTED_TOML, "spec/untested.toml").unwrap_or_else(|e| panic!("{e}"));

    let mut bad = Vec::new();
    let mut killed = BTreeSet::new();
    for k in &kills.mutants {
        if procspec_spec::clause(&k.breaks).is_none() {
            bad.push(format!(
                "mutant {}: breaks unknown clause {:?}",
                k.mutant, k.breaks
            ));
        }
        if k.found.as_deref() == Some(k.breaks.as_str()) {
            killed.insert(k.breaks.as_str());
        }
    }
    // A clause the model only ever implies (an invariant restating a rule:
    // `model::implied`) cannot be a failure's root; the mutant killed on
    // the rule it restates kills it too. Only a clause that no mutant
    // breaks itself: one that does must be killed on it as root.
    let targeted: BTreeSet<&str> = kills.mutants.iter().map(|k| k.breaks.as_str()).collect();
    for k in &kills.mutants {
        if k.found.as_deref() != Some(k.breaks.as_str()) {
            continue;
        }
        for c in &k.implies {
            if !procspec_spec::model::implied(&k.breaks).contains(&c.as_str()) {
                bad.push(format!(
                    "mutant {}: {c:?} is not implied by {:?} (model::implied)",
                    k.mutant, k.breaks
                ));
            } else if !targeted.contains(c.as_str()) {
                killed.insert(c.as_str());
            }
        }
    }
    let mut listed = BTreeSet::new();
    for p in &pending.pending {
        let id = p.clause.as_str();
        match procspec_spec::clause(id) {
            None => bad.push(format!("{id:?} is not a clause of spec/clauses.toml")),
            Some(c) if c.level != Level::Must => bad.push(format!("{id:?} is not a must clause")),
            Some(_) => {}
        }
        if p.reason.trim().is_empty() {
            bad.push(format!("{id:?} has no reason"));
        }
        if !listed.insert(id) {
            bad.push(format!("{id:?} is listed twice"));
        }
        if killed.contains(id) {
            bad.push(format!(
                "{id:?} has a killing mutant: remove it from the list"
            ));
        }
    }
    assert!(bad.is_empty(), "mutants/pending.toml, kills.json: {bad:#?}");

    let missing: Vec<&str> = procspec_spec::clauses()
        .iter()
        .filter(|c| {
            c.level == Level::Must
                && !killed.contains(c.id.as_str())
                && !listed.contains(c.id.as_str())
                && !untested.iter().any(|u| u.clause == c.id)
        })
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "must clauses without a killing mutant (nor an entry in spec/untested.toml or mutants/pending.toml): {missing:?}"
    );
}

/// An expectation entry must be data with evidence of a real divergence:
/// one that matched nothing in its implementation's committed report (no
/// expected failure was its, no sequence steered around its clause) is
/// stale, and would hide the next bug of that kind.
#[test]
fn every_expectation_entry_matches_a_committed_result() {
    let dir = root().join("fixtures/expectations");
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures/expectations") {
        let path = entry.expect("a directory entry").path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let report = root()
            .join("reports/committed")
            .join(format!("{name}.json"));
        let Ok(text) = std::fs::read_to_string(&report) else {
            continue;
        };
        let run: procspec_spec::results::RunReport =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
        if run.run_info.skip_reason.is_some() {
            continue;
        }
        let expectations = procspec_harness::expectations::Expectations::load(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        for d in expectations.unused(&run.results) {
            stale.push(format!(
                "{}: {} matched nothing in {}",
                path.display(),
                d.case.as_deref().or(d.clause.as_deref()).unwrap_or("?"),
                report.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale expectation entries:\n{}",
        stale.join("\n")
    );
}

/// Every Rust source file over 500 lines is named in ARCHITECTURE.md's
/// "Source files over 500 lines" row, which says why it is long.
#[test]
fn every_long_source_file_says_why() {
    let root = root();
    let arch = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let row = arch
        .lines()
        .find(|l| l.starts_with("| Source files over 500 lines"))
        .expect("the row of long files in ARCHITECTURE.md");
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() && !name.starts_with('.') && name != "target" {
                sources(&p, out);
            } else if name.ends_with(".rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut unexplained = Vec::new();
    for p in &files {
        let lines = std::fs::read_to_string(p)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        let rel = p.strip_prefix(&root).unwrap_or(p).display().to_string();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Named by its path, by what follows `src/` (`cmd/run.rs`), or by
        // its file name alone (`machine.rs`).
        let named = row.contains(&format!("`{rel}`"))
            || row.contains(&format!("`{name}`"))
            || rel
                .rsplit_once("src/")
                .is_some_and(|(_, tail)| row.contains(&format!("`{tail}`")));
        if lines > 500 && !named {
            unexplained.push(format!("{rel} ({lines} lines)"));
        }
    }
    assert!(files.len() > 100, "read only {} source files", files.len());
    assert!(
        unexplained.is_empty(),
        "files over 500 lines that ARCHITECTURE.md does not explain:\n{}",
        unexplained.join("\n")
    );
}

/// The lock file of every Rust adapter outside the workspace
/// (`adapters/*/Cargo.lock`) is current: the runner builds them with
/// `--locked`, so a dependency the workspace gains (the adapters depend on
/// the harness by path) must reach their lock files in the same commit, or
/// CI's run of that adapter is a build error.
#[test]
fn every_adapter_lock_file_is_current() {
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(root().join("adapters")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        // `metadata --locked` resolves without building and fails when the
        // lock file would change; offline, it needs nothing new fetched.
        let out = std::process::Command::new(env!("CARGO"))
            .args(["metadata", "--locked", "--offline", "--format-version", "1"])
            .arg("--manifest-path")
            .arg(&manifest)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            continue;
        }
        if stderr.contains("--locked") {
            stale.push(format!("{}: {stderr}", manifest.display()));
        } else {
            // Offline with crates not yet fetched: the runner's build of
            // the adapter (with `--locked`) is the check then.
            eprintln!("{} not checked: {stderr}", manifest.display());
        }
    }
    assert!(
        stale.is_empty(),
        "run `cargo update -w --manifest-path <manifest>` and commit the lock file:\n{stale:#?}"
    );
}
