//! The installed `procspec`, as its users run it: from a temporary
//! directory outside the checkout (no cases/, no spec/ above it), with the
//! files embedded in the binary written into a private cache directory.
//!
//! A Python author's subclass of multiprocessing.Process, in a module of
//! that directory, is checked in one command under fork, spawn and
//! forkserver; a buggy subclass fails on the clause it breaks; a class that
//! cannot be used is a one-line configuration error (exit 2).

use assert_cmd::Command;
use predicates::prelude::*;
use procspec_spec::results::{RunReport, Status};
use std::path::Path;

/// A correct subclass (named Process, so its default names are the
/// documented `Process-N`: CPython names objects after their class) and a
/// buggy one whose is_alive() stays true once the child has exited.
const MYLIB: &str = r#"
import multiprocessing

class Process(multiprocessing.Process):
    """A subclass that adds behaviour and keeps the lifecycle."""
    def run(self):
        super().run()

class Buggy:
    class Process(multiprocessing.Process):
        def is_alive(self):
            alive = super().is_alive()
            return alive or self.exitcode is not None

class NotAProcess(object):
    pass
"#;

/// `procspec` in `dir`, with its own cache directory and no PYTHONPATH.
fn procspec(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("procspec").expect("the procspec binary");
    c.current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("PYTHONPATH");
    c
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("procspec-outside-")
        .tempdir_in(std::env::temp_dir())
        .expect("a temporary directory");
    assert!(
        !dir.path()
            .ancestors()
            .any(|d| d.join("spec/clauses.toml").is_file()),
        "the temporary directory is inside a checkout"
    );
    std::fs::write(dir.path().join("mylib.py"), MYLIB).expect("mylib.py");
    dir
}

fn report(path: &Path) -> RunReport {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn python3() -> bool {
    std::process::Command::new("python3")
        .arg("-c")
        .arg("import multiprocessing")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn list_and_explain_outside_a_checkout() {
    let p = project();
    procspec(p.path())
        .args(["list", "cases"])
        .assert()
        .success()
        .stdout(predicate::str::contains("start/twice"));
    procspec(p.path())
        .args(["list", "impls"])
        .assert()
        .success()
        .stdout(predicate::str::contains("reference-fork"));
    procspec(p.path())
        .args(["explain", "start.once"])
        .assert()
        .success()
        .stdout(predicate::str::contains("at most once"));
    procspec(p.path())
        .args(["run", "--impl", "reference-fork", "--sequences", "2"])
        .assert()
        .success();
    let r = report(&p.path().join("procspec-reports/reference-fork.json"));
    assert!(r.results.iter().all(|r| r.status.is_ok()));
}

#[test]
fn a_subclass_under_every_start_method() {
    if !python3() {
        eprintln!("skipped: no python3");
        return;
    }
    let p = project();
    let out = procspec(p.path())
        .args([
            "run",
            "--process-class",
            "mylib:Process",
            "--sequences",
            "2",
        ])
        .output()
        .expect("procspec runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for method in ["fork", "spawn", "forkserver"] {
        let r = report(
            &p.path()
                .join(format!("procspec-reports/mylib.Process-{method}.json")),
        );
        assert_eq!(r.run_info.start_method, method);
        assert!(r.results.iter().any(|r| r.status == Status::Pass));
        let bad: Vec<_> = r.results.iter().filter(|r| !r.status.is_ok()).collect();
        assert!(bad.is_empty(), "{method}: {bad:?}");
    }
}

#[test]
fn a_buggy_subclass_fails_on_its_clause() {
    if !python3() {
        eprintln!("skipped: no python3");
        return;
    }
    let p = project();
    let assert = procspec(p.path())
        .args([
            "run",
            "--process-class",
            "mylib:Buggy.Process",
            "--start-method",
            "fork",
            "--sequences",
            "0",
        ])
        .assert()
        .code(1);
    let r = report(
        &p.path()
            .join("procspec-reports/mylib.Buggy.Process-fork.json"),
    );
    let failed: Vec<_> = r
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    assert!(!failed.is_empty(), "{:?}", assert.get_output());
    // Its clause, and error.no-effect: the checker's probe after a failed
    // op reads is_alive() too.
    assert!(
        failed
            .iter()
            .any(|r| r.clauses.iter().any(|c| c == "is-alive.lifetime")),
        "{failed:#?}"
    );
    for r in &failed {
        assert!(
            r.clauses
                .iter()
                .all(|c| c == "is-alive.lifetime" || c == "error.no-effect"),
            "{r:#?}"
        );
    }
}

#[test]
fn classes_that_cannot_be_used_are_one_line_errors() {
    if !python3() {
        eprintln!("skipped: no python3");
        return;
    }
    let p = project();
    for (class, says) in [
        ("nolib:Process", "cannot import module 'nolib'"),
        ("mylib:Nope", "has no 'Nope'"),
        ("mylib:NotAProcess", "is not a Process class"),
        ("mylib", "must be module:Class"),
    ] {
        let out = procspec(p.path())
            .args(["run", "--process-class", class])
            .output()
            .expect("procspec runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{class}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{class}: {err}");
        assert!(err.contains(says), "{class}: {err}");
    }
    procspec(p.path())
        .args([
            "run",
            "--process-class",
            "mylib:Process",
            "--python",
            "no-such-python3",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--python no-such-python3"));
}
