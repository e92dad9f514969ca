//! Many machines: the conformance test binary (tests/conformance.rs) run
//! as three nextest partitions (`--partition hash:K/3`, as three CI
//! machines would), its parts merged with `procspec report --merge`, gives
//! the run file one machine writes with `procspec run`: byte-identical
//! after redaction (which both do), except for the clause lists of passing
//! sequences, which record what a sequence happened to exercise and so
//! depend on timing (tests/jobs.rs says why); both are cleared.
//!
//! Needs cargo-nextest. Without it the test says so and passes, unless
//! `PROCSPEC_CI` is set (CI installs it: `.ci/run`).

use assert_cmd::Command;
use procspec_spec::results::{ResultKind, RunReport, Status};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn nextest_present() -> bool {
    std::process::Command::new(env!("CARGO"))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn normalised(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r: RunReport = serde_json::from_str(&text).unwrap();
    for x in &mut r.results {
        if x.kind == ResultKind::Sequence && x.status == Status::Pass {
            x.clauses.clear();
        }
    }
    serde_json::to_string_pretty(&r).unwrap()
}

#[test]
fn three_nextest_partitions_merged_equal_one_run() {
    if !nextest_present() {
        assert!(
            std::env::var_os("PROCSPEC_CI").is_none(),
            "cargo-nextest is not installed (CI installs it)"
        );
        eprintln!("cargo-nextest is not installed: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut shards = Vec::new();
    let mut counted = 0;
    for k in 1..=3 {
        let shard = tmp.path().join(format!("shard-{k}"));
        let out = std::process::Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["nextest", "run", "--test", "conformance", "--no-fail-fast"])
            .args(["--partition", &format!("hash:{k}/3")])
            .env("PROCSPEC_CONFORMANCE_IMPLS", "reference-fork")
            .env("PROCSPEC_CONFORMANCE_SEQUENCES", "32")
            .env("PROCSPEC_SHARD_OUT", &shard)
            .output()
            .expect("cargo nextest");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "partition {k}/3:\n{err}");
        counted += std::fs::read_dir(shard.join("reference-fork"))
            .map(|d| d.count())
            .unwrap_or(0);
        shards.push(shard);
    }
    let cases = procspec_harness::cases::load_cases(&root().join("cases")).unwrap();
    assert_eq!(
        counted,
        cases.len() + 2,
        "every unit ran in exactly one partition"
    );

    let merged = tmp.path().join("merged");
    let mut report = Command::cargo_bin("procspec").unwrap();
    report.arg("report").arg(&merged);
    for s in &shards {
        report.arg("--merge").arg(s);
    }
    report.assert().success();

    let single = tmp.path().join("single");
    Command::cargo_bin("procspec")
        .unwrap()
        .current_dir(root())
        .args([
            "run",
            "--impl",
            "reference-fork",
            "--sequences",
            "32",
            "--out",
        ])
        .arg(&single)
        .assert()
        .success();
    let a = normalised(&single.join("reference-fork.json"));
    let b = normalised(&merged.join("reference-fork.json"));
    assert!(a == b, "merged partitions differ from one run");
}
