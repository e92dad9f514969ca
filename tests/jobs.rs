//! `procspec run --jobs N`: the run files do not depend on N. The same
//! implementations, seed and sequence count, run with one worker at a time
//! and with several, give the same results (after redaction, which the run
//! does by default), with one exception that no N decides: which clauses a
//! *passing* sequence happened to exercise depends on timing (a child seen
//! running or already exited), so those lists are left out of the
//! comparison. Statuses, ids, failures, leaks and summaries must match,
//! also when an implementation's units are spread over several workers
//! (more workers than implementations) and merged.

use assert_cmd::Command;
use procspec_spec::results::{ResultKind, RunReport, Status};
use std::path::{Path, PathBuf};

const IMPLS: &[&str] = &["reference-fork", "reference-spawn"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn run(jobs: &str, out: &Path) {
    let mut cmd = Command::cargo_bin("procspec").unwrap();
    cmd.current_dir(root())
        .args(["run", "--sequences", "40", "--jobs", jobs, "--out"])
        .arg(out);
    for i in IMPLS {
        cmd.args(["--impl", i]);
    }
    // 0 or 1: a failure the implementation really has is no concern here,
    // only that every N reports the same.
    let code = cmd
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap()
        .status
        .code();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}");
}

fn load(dir: &Path, name: &str) -> RunReport {
    let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    let mut r: RunReport = serde_json::from_str(&text).unwrap();
    for x in &mut r.results {
        if x.kind == ResultKind::Sequence && x.status == Status::Pass {
            x.clauses.clear();
        }
        // A shrunk failure's steps and wording depend on what timing let
        // the shrinker see; its id, status and clause do not.
        if x.kind == ResultKind::Sequence && x.status != Status::Pass {
            x.ops.clear();
            x.message = None;
            x.expected.clear();
            x.observed = None;
            x.root = None;
            x.observer = None;
        }
    }
    r
}

#[test]
fn the_run_files_are_the_same_for_every_number_of_jobs() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let four = tempfile::tempdir().unwrap();
    run("1", one.path());
    // One worker per implementation.
    run("2", two.path());
    // Two workers per implementation, their parts merged.
    run("4", four.path());
    assert!(!four.path().join(".parts").exists(), "parts are cleaned up");
    for name in IMPLS {
        let a = load(one.path(), name);
        let b = load(two.path(), name);
        let c = load(four.path(), name);
        assert_eq!(a, c, "{name}: --jobs 1 and --jobs 4 differ");
        // 40 sequences: three blocks, every one of them reported.
        let sequences = a
            .results
            .iter()
            .filter(|r| r.kind == ResultKind::Sequence)
            .count();
        assert!(sequences >= 3, "{name}: {sequences} sequence results");
        assert_eq!(a, b, "{name}: --jobs 1 and --jobs 2 differ");
    }
}
