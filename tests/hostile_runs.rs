//! Broken adapters meet a whole `procspec run`: against each of the hostile
//! adapters in `fixtures/hostile/`, the run finishes within its deadlines,
//! writes its report, marks the affected results `crash`/`timeout` with a
//! message saying what happened, still runs the other cases, and leaves no
//! process behind.

use assert_cmd::Command;
use procspec_spec::results::{RunReport, Status};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Run the three small cases and two sequences against `script`; returns
/// the report (and checks the run ended in time, with exit 1).
fn run(script: &str) -> RunReport {
    let out = tempfile::tempdir().unwrap();
    let adapter = format!("python3 fixtures/hostile/{script}");
    Command::cargo_bin("procspec")
        .unwrap()
        .current_dir(root())
        .args(["run", "--adapter", &adapter, "--name", "hostile"])
        .args([
            "--cases",
            "tests/fixtures/hostile-cases",
            "--sequences",
            "2",
        ])
        .args(["--deadline-ms", "1000", "--out"])
        .arg(out.path())
        .timeout(Duration::from_secs(120))
        .assert()
        .code(1);
    let text =
        std::fs::read_to_string(out.path().join("hostile.json")).expect("the report is written");
    serde_json::from_str(&text).expect("the report is a run report")
}

fn statuses(r: &RunReport) -> Vec<Status> {
    r.results.iter().map(|x| x.status).collect()
}

fn messages(r: &RunReport) -> String {
    r.results
        .iter()
        .filter_map(|x| x.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_adapter_that_hangs_on_an_op_times_out_and_the_run_goes_on() {
    let r = run("hang_on_op.py");
    let timeouts = r
        .results
        .iter()
        .filter(|x| x.status == Status::Timeout)
        .count();
    assert!(timeouts >= 1, "{:?}", statuses(&r));
    assert!(
        messages(&r).contains("did not answer within"),
        "{}",
        messages(&r)
    );
    // The cases after the hang still ran (the adapter was restarted).
    assert!(r.results.len() >= 3, "{:?}", statuses(&r));
}

#[test]
fn an_adapter_that_crashes_mid_run_is_a_crash_and_is_restarted() {
    let r = run("crash_mid_run.py");
    assert!(statuses(&r).contains(&Status::Crash), "{:?}", statuses(&r));
    assert!(r.results.len() >= 3);
}

#[test]
fn garbage_or_a_wrong_protocol_at_start_is_reported() {
    for script in ["garbage_hello.py", "protocol2.py", "crash_at_start.sh"] {
        let r = run(script);
        let reason = r.run_info.skip_reason.clone().unwrap_or_default();
        assert!(reason.contains("did not start"), "{script}: {reason}");
    }
}

#[test]
fn answers_of_the_wrong_shape_are_crashes_that_quote_the_line() {
    let r = run("wrong_shape.py");
    assert!(statuses(&r).contains(&Status::Crash), "{:?}", statuses(&r));
    assert!(
        messages(&r).contains('{'),
        "the offending line is quoted: {}",
        messages(&r)
    );
}

#[test]
fn a_100_mb_line_is_a_crash_and_the_run_ends() {
    let r = run("huge_line.py");
    assert!(statuses(&r).contains(&Status::Crash), "{:?}", statuses(&r));
    assert!(messages(&r).contains("1 MiB"), "{}", messages(&r));
}

#[test]
fn endless_stderr_does_not_stop_the_run() {
    let r = run("stderr_flood.py");
    // Three cases, then the state machine (which stops at its first failure).
    assert!(r.results.len() >= 4, "{:?}", statuses(&r));
    assert!(
        !statuses(&r).contains(&Status::Timeout),
        "{:?}",
        statuses(&r)
    );
}

#[test]
fn a_leaking_adapter_is_failed_by_the_leak_guard() {
    let r = run("leaky.py");
    // Its answers are wrong too (a start answers a pid); what matters here
    // is that the guard counted the leaked grandchildren.
    assert!(r.leaks.processes >= 1, "{:?}", r.leaks);
}
