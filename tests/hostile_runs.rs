//! Broken adapters meet a whole `procspec run`: against each of the hostile
//! adapters in `fixtures/hostile/`, the run finishes within its deadlines,
//! writes its report, marks the affected results `crash`/`timeout` with a
//! message saying what happened, still runs the other cases, and leaves no
//! process behind. Every run here is bounded in time: the runner is killed
//! (and the test fails) past [`BOUND`], and the elapsed time is checked.
//!
//! An adapter that keeps failing after restarts trips the stall breaker
//! (`--stall-threshold`, `harness/src/breaker.rs`): the rest of its run is
//! `not-run`, and the run ends within two minutes even with the default
//! 20 s deadline.

use assert_cmd::Command;
use procspec_spec::results::{RunReport, Status};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest any run here may take.
const BOUND: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Run the three small cases and two sequences against `script`; returns
/// the report (and checks the run ended in time, with exit 1).
fn run(script: &str) -> RunReport {
    run_with(
        script,
        &[
            "--cases",
            "tests/fixtures/hostile-cases",
            "--sequences",
            "2",
            "--deadline-ms",
            "1000",
        ],
    )
}

/// Run `script` with `args`, within [`BOUND`]; exit 1 and the report written.
fn run_with(script: &str, args: &[&str]) -> RunReport {
    let out = tempfile::tempdir().unwrap();
    let adapter = format!("python3 fixtures/hostile/{script}");
    let began = Instant::now();
    Command::cargo_bin("procspec")
        .unwrap()
        .current_dir(root())
        .args(["run", "--adapter", &adapter, "--name", "hostile"])
        .args(args)
        .arg("--out")
        .arg(out.path())
        .timeout(BOUND)
        .assert()
        .code(1);
    assert!(began.elapsed() < BOUND, "{script}: {:?}", began.elapsed());
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

/// Every case of the repository and four sequences, with the default
/// deadline (20 s) and stall threshold (3): the adapter answers five
/// requests after each restart, then hangs.
#[test]
fn an_adapter_that_hangs_after_its_fifth_answer_ends_its_run_within_two_minutes() {
    let r = run_with("hang_after_five.py", &["--sequences", "4"]);
    let count = |s: Status| r.results.iter().filter(|x| x.status == s).count();
    // Three hangs in all: on ops (a timeout each) or on resets.
    let timeouts = count(Status::Timeout);
    assert!((1..=3).contains(&timeouts), "{:?}", statuses(&r));
    assert!(count(Status::NotRun) > 4, "{:?}", statuses(&r));
    let not_run: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.status == Status::NotRun)
        .collect();
    let why = not_run[0].message.clone().unwrap_or_default();
    assert!(why.contains("stall-threshold 3"), "{why}");
    assert!(why.contains("did not answer within"), "{why}");
    // Every sequence is reported, not run.
    let sequences = r
        .results
        .iter()
        .filter(|x| x.kind == procspec_spec::results::ResultKind::Sequence)
        .count();
    assert_eq!(sequences, 4, "{:?}", statuses(&r));
    assert_eq!(
        r.summary.get(&Status::NotRun).copied(),
        Some(not_run.len() as u64)
    );
}

/// An adapter that hangs on every `join`, against every case: the breaker
/// trips at the third timeout with no pass between.
#[test]
fn an_adapter_that_hangs_on_every_join_is_not_run_after_the_threshold() {
    let r = run_with(
        "hang_on_op.py",
        &[
            "--sequences",
            "16",
            "--deadline-ms",
            "2000",
            "--stall-threshold",
            "2",
        ],
    );
    assert!(
        r.results.iter().any(|x| x.status == Status::NotRun),
        "{:?}",
        statuses(&r)
    );
}

/// With the threshold at 0 the breaker never trips (the old behaviour).
#[test]
fn a_stall_threshold_of_zero_reports_every_timeout() {
    let r = run_with(
        "hang_on_op.py",
        &[
            "--cases",
            "tests/fixtures/hostile-cases",
            "--sequences",
            "0",
            "--deadline-ms",
            "500",
            "--stall-threshold",
            "0",
        ],
    );
    assert!(
        !statuses(&r).contains(&Status::NotRun),
        "{:?}",
        statuses(&r)
    );
}

#[test]
fn a_well_behaved_echo_adapter_runs_to_the_end_in_bounded_time() {
    // It answers `none` to everything: failures, but no timeout and no
    // not-run.
    let r = run("echo.py");
    assert!(
        !statuses(&r).contains(&Status::Timeout),
        "{:?}",
        statuses(&r)
    );
    assert!(
        !statuses(&r).contains(&Status::NotRun),
        "{:?}",
        statuses(&r)
    );
}
