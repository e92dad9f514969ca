//! The `procspec` command line, end to end: help, every subcommand, exit
//! codes 0/1/2. Every command runs from the repository root.

use assert_cmd::Command;
use predicates::prelude::*;
use procspec_spec::results::RunReport;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn procspec() -> Command {
    let mut c = Command::cargo_bin("procspec").expect("the procspec binary");
    c.current_dir(root());
    c
}

fn read_report(path: &Path) -> RunReport {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn help_describes_every_subcommand() {
    procspec().arg("--help").assert().success().stdout(
        predicate::str::contains("multiprocessing.Process")
            .and(predicate::str::contains("run"))
            .and(predicate::str::contains("report"))
            .and(predicate::str::contains("list"))
            .and(predicate::str::contains("explain"))
            .and(predicate::str::contains("Exit status")),
    );
    for (sub, needle) in [
        ("run", "--sequences"),
        ("report", "DIR"),
        ("list", "clauses"),
        ("explain", "CLAUSE"),
    ] {
        procspec()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(needle));
    }
}

#[test]
fn usage_errors_exit_2() {
    procspec().assert().code(2);
    procspec().arg("run").assert().code(2);
    procspec()
        .args(["run", "--impl", "reference-fork", "--all"])
        .assert()
        .code(2);
    procspec().args(["list", "nothing"]).assert().code(2);
}

#[test]
fn list_clauses() {
    procspec()
        .args(["list", "clauses"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^start\.once +must +This must be called").unwrap());
}

#[test]
fn list_cases() {
    procspec()
        .args(["list", "cases"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^join/non-parent +\S").unwrap());
}

#[test]
fn list_impls() {
    procspec()
        .args(["list", "impls"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"(?m)^reference-fork +procspec's Rust reference.*\[present\]$",
            )
            .unwrap()
            .and(predicate::str::is_match(r"(?m)^cpython-fork +CPython").unwrap())
            .and(predicate::str::contains("pypy-fork")),
        );
}

#[test]
fn explain_a_clause() {
    procspec()
        .args(["explain", "start.once"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("This must be called at most once per process object.")
                .and(predicate::str::contains(
                    "docs:multiprocessing.Process.start",
                ))
                .and(predicate::str::contains("level:  must"))
                .and(predicate::str::contains("start/twice"))
                .and(predicate::str::contains("model transitions"))
                .and(predicate::str::contains(
                    "err already-started          [start.once]",
                )),
        );
}

#[test]
fn explain_an_unknown_clause_exits_2_with_suggestions() {
    procspec()
        .args(["explain", "start.onse"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown clause `start.onse`")
                .and(predicate::str::contains("start.once")),
        );
}

#[test]
fn run_the_reference() {
    let out = tempfile::tempdir().unwrap();
    procspec()
        .args([
            "run",
            "--impl",
            "reference-fork",
            "--sequences",
            "4",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("reference-fork").and(predicate::str::contains("index.html")),
        );
    let report = read_report(&out.path().join("reference-fork.json"));
    assert_eq!(report.run_info.implementation, "reference-fork");
    assert_eq!(report.run_info.start_method, "fork");
    assert_eq!(report.run_info.seed, 0x5eed);
    assert!(report.run_info.skip_reason.is_none());
    assert!(
        report.results.iter().any(|r| r.id == "start/twice"),
        "no case results"
    );
    assert!(
        report.results.iter().any(|r| r.id.starts_with("sequence/")),
        "no sequence results"
    );
    let counted: u64 = report.summary.values().sum();
    assert_eq!(counted, report.results.len() as u64);
    for f in ["index.md", "index.html", "junit.xml"] {
        assert!(out.path().join(f).is_file(), "{f} was not written");
    }
}

#[test]
fn run_an_unknown_impl_exits_2_naming_the_known_ones() {
    let out = tempfile::tempdir().unwrap();
    procspec()
        .args(["run", "--impl", "nonexistent", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown implementation `nonexistent`")
                .and(predicate::str::contains("reference-fork"))
                .and(predicate::str::contains("cpython-fork")),
        );
    assert!(!out.path().join("nonexistent.json").exists());
}

#[test]
fn run_an_adapter_command() {
    let out = tempfile::tempdir().unwrap();
    let assert = procspec()
        .args([
            "run",
            "--adapter",
            "python3 fixtures/python/procspec_adapter.py --start-method fork",
            "--sequences",
            "2",
            "--out",
        ])
        .arg(out.path())
        .assert();
    let code = assert.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "exit status {code:?}");
    let jsons: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(jsons.len(), 1, "{jsons:?}");
    let report = read_report(&jsons[0]);
    assert_eq!(report.run_info.start_method, "fork");
    assert!(!report.results.is_empty());
}

#[test]
fn a_bad_adapter_command_line_exits_2() {
    let out = tempfile::tempdir().unwrap();
    procspec()
        .args(["run", "--adapter", "python3 adapter.py > log", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shell"));
}

#[test]
fn an_adapter_that_cannot_start_exits_1_and_is_reported_skipped() {
    let out = tempfile::tempdir().unwrap();
    procspec()
        .args([
            "run",
            "--adapter",
            "/nonexistent/adapter",
            "--name",
            "ghost",
            "--deadline-ms",
            "2000",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("did not start"));
    let report = read_report(&out.path().join("ghost.json"));
    assert!(report.results.is_empty());
    assert!(report.run_info.skip_reason.is_some());
}

#[test]
fn failures_exit_1() {
    // An expectation that a passing case fails makes it an unexpected pass.
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("exp.toml");
    std::fs::write(
        &exp,
        "[[divergence]]\ncase = \"start/twice\"\nreason = \"test: pretend it fails\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    procspec()
        .args([
            "run",
            "--adapter",
            "python3 fixtures/python/procspec_adapter.py --start-method fork",
            "--name",
            "pretend",
            "--sequences",
            "0",
            "--expectations",
        ])
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("unexpected-pass")
                .and(predicate::str::contains("start/twice")),
        );
}

#[test]
fn unknown_case_ids_in_expectations_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("exp.toml");
    std::fs::write(
        &exp,
        "[[divergence]]\ncase = \"start/no-such-case\"\nreason = \"x\"\n",
    )
    .unwrap();
    procspec()
        .args(["run", "--adapter", "python3 x.py", "--expectations"])
        .arg(&exp)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("start/no-such-case"));
    std::fs::write(
        &exp,
        "[[divergence]]\ncase = \"start/twice\"\nreson = \"x\"\n",
    )
    .unwrap();
    procspec()
        .args(["run", "--adapter", "python3 x.py", "--expectations"])
        .arg(&exp)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exp.toml:3"));
}

#[test]
fn report_writes_the_three_files() {
    let out = tempfile::tempdir().unwrap();
    procspec()
        .args([
            "run",
            "--impl",
            "reference-spawn",
            "--sequences",
            "0",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0);
    for f in ["index.md", "index.html", "junit.xml"] {
        std::fs::remove_file(out.path().join(f)).unwrap();
    }
    procspec()
        .arg("report")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("index.md"));
    for f in ["index.md", "index.html", "junit.xml"] {
        assert!(out.path().join(f).is_file(), "{f} was not written");
    }
    let md = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    assert!(md.contains("reference-spawn"));
}

#[test]
fn report_on_a_missing_dir_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    procspec()
        .arg("report")
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(missing.display().to_string()));
}

#[test]
fn report_on_an_empty_dir_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    procspec()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no run files"));
}

#[test]
fn report_on_a_malformed_run_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"run_info\": 3").unwrap();
    procspec()
        .arg("report")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.json"));
}

#[test]
fn a_skipped_implementation_writes_its_reason() {
    // An implementation file whose probe fails, in a copy of the root's
    // layout (the real fixtures stay untouched).
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path();
    std::fs::create_dir_all(fake.join("spec")).unwrap();
    std::fs::copy(
        root().join("spec/clauses.toml"),
        fake.join("spec/clauses.toml"),
    )
    .unwrap();
    std::fs::create_dir_all(fake.join("cases/start")).unwrap();
    std::fs::copy(
        root().join("cases/start/twice.toml"),
        fake.join("cases/start/twice.toml"),
    )
    .unwrap();
    std::fs::create_dir_all(fake.join("fixtures/impls")).unwrap();
    std::fs::write(
        fake.join("fixtures/impls/absent.toml"),
        "description = \"not here\"\nkind = \"remote\"\nstart_method = \"fork\"\n\
         command = [\"{python9.99}\", \"adapter.py\"]\n",
    )
    .unwrap();
    let out = fake.join("out");
    procspec()
        .arg("--root")
        .arg(fake)
        .args(["run", "--impl", "absent", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("skipped").and(predicate::str::contains("python9.99")));
    let report = read_report(&out.join("absent.json"));
    assert!(report.results.is_empty());
    assert!(report
        .run_info
        .skip_reason
        .as_deref()
        .is_some_and(|r| r.contains("python9.99 is not installed")));

    // A malformed implementation file is a configuration error naming it.
    std::fs::write(
        fake.join("fixtures/impls/absent.toml"),
        "description = \"not here\"\nkind = \"remote\"\nstart_method = \"fork\"\ncomand = []\n",
    )
    .unwrap();
    procspec()
        .arg("--root")
        .arg(fake)
        .args(["run", "--impl", "absent", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("absent.toml:4"));
}
