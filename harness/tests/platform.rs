//! An implementation is judged by its own platform's outcomes (the
//! adapter's `platform`, `spec/src/platform.rs`). `WindowsLike` is the
//! reference with Windows' signal semantics emulated on Linux: `kill()` is
//! `terminate()`, and both are `TerminateProcess` (uncatchable, exit code
//! -15). Claiming Windows, it passes the signal cases that hold there and
//! skips those that state Unix codes; claiming Linux, it fails on the
//! clause it breaks there. The honest reference claiming Windows fails: the
//! platform changes what is expected, it does not excuse.
#![cfg(unix)]

use procspec_harness::cases::{load_case, run_case};
use procspec_harness::machine::{run_machine, MachineConfig};
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_harness::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_reference::StartMethod;
use procspec_spec::case::parse_case;
use procspec_spec::results::{CaseResult, Status};
use procspec_spec::vocab::{Op, Outcome, Step, Value};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The reference, claiming `platform`; with `windows_signals`, its
/// `terminate()` and `kill()` act as `TerminateProcess` does.
struct Claiming {
    inner: ReferenceAdapter,
    info: AdapterInfo,
    windows_signals: bool,
}

impl Claiming {
    fn new(platform: &str, windows_signals: bool) -> Claiming {
        register_targets();
        let inner = ReferenceAdapter::reference(StartMethod::Fork);
        let mut info = inner.info().clone();
        info.platform = platform.to_string();
        Claiming {
            inner,
            info,
            windows_signals,
        }
    }
}

impl Adapter for Claiming {
    fn info(&self) -> &AdapterInfo {
        &self.info
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        if !self.windows_signals {
            return self.inner.apply(step);
        }
        let step = match &step.op {
            // TerminateProcess: nothing can catch or ignore it.
            Op::Terminate { p } | Op::Kill { p } => Step {
                at: step.at.clone(),
                op: Op::Kill { p: p.clone() },
            },
            _ => step.clone(),
        };
        let mut observed = self.inner.apply(&step)?;
        // CPython's popen_spawn_win32 reads TERMINATE's code as -SIGTERM.
        if let (Op::Exitcode { .. }, Outcome::Ok(Value::Int(-9))) = (&step.op, &observed.outcome) {
            observed.outcome = Outcome::Ok(Value::Int(-15));
        }
        Ok(observed)
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        self.inner.reset()
    }

    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }
}

/// A case file under `cases/`, or one of this file's own (`KILL_BY_MODEL`).
fn run(adapter: &mut Claiming, case: &str) -> CaseResult {
    let parsed = if case == "kill/by-model" {
        parse_case(KILL_BY_MODEL, "harness/tests/platform.rs", case)
            .unwrap_or_else(|e| panic!("{e}"))
    } else {
        let cases = root().join("cases");
        load_case(&cases, &cases.join(case))
            .unwrap_or_else(|e| panic!("{e}"))
            .case
    };
    run_case(adapter, &parsed).0
}

/// `kill/running` without its stated codes: the exit code is the model's
/// on the adapter's platform (-9 on Unix, -15 on Windows).
const KILL_BY_MODEL: &str = r#"
description = "kill() ends a running child; its exit code is the platform's"
clauses = ["kill.sigkill"]

[[step]]
op = "create"
id = "p1"
target = { kind = "block" }

[[step]]
op = "start"
p = "p1"

[[step]]
op = "kill"
p = "p1"

[[step]]
op = "join"
p = "p1"

[[step]]
op = "exitcode"
p = "p1"
"#;

/// `(case, status, root clause of a failure)`, one after the other.
fn check(adapter: &mut Claiming, expected: &[(&str, Status, Option<&str>)]) {
    // One test at a time: the checker compares the process tree below the
    // runner around failed starts.
    let _lock = procspec_harness::suite::lock();
    for (case, status, root) in expected {
        let result = run(adapter, case);
        let story = serde_json::to_string_pretty(&result).unwrap_or_default();
        assert_eq!(result.status, *status, "{case}:\n{story}");
        if let Some(root) = root {
            let named = result
                .root
                .as_ref()
                .map(|b| b.clause.as_str())
                .or(result.clauses.first().map(String::as_str));
            assert_eq!(named, Some(*root), "{case}:\n{story}");
        }
    }
}

#[test]
fn a_windows_implementation_is_judged_by_windows_outcomes() {
    let mut windows = Claiming::new("win32-amd64", true);
    check(
        &mut windows,
        &[
            // The model's own outcomes: -15 for both.
            ("terminate/running.toml", Status::Pass, None),
            ("kill/by-model", Status::Pass, None),
            // These state Unix outcomes (-9; a SIGTERM that is ignored).
            ("kill/running.toml", Status::PreconditionFailed, None),
            (
                "terminate/ignored-sigterm.toml",
                Status::PreconditionFailed,
                None,
            ),
            // These state the one Unix outcome where Windows allows two:
            // the child may already have ended (its SIGTERM not ignored).
            (
                "sentinel/ready-after-kill.toml",
                Status::PreconditionFailed,
                None,
            ),
            (
                "close/ignoring-sigterm-after-terminate.toml",
                Status::PreconditionFailed,
                None,
            ),
        ],
    );
    let _lock = procspec_harness::suite::lock();
    let mut sequences = MachineConfig::new(windows.info().capabilities.clone());
    sequences.platform = windows.info().judged_platform();
    sequences.sequences = 16;
    let run = run_machine(&mut windows, &sequences);
    assert!(run.failure.is_none(), "{:?}", run.failure);
}

#[test]
fn windows_signals_on_linux_fail_on_the_rule_they_break() {
    let mut linux = Claiming::new("linux-x86_64", true);
    check(
        &mut linux,
        &[
            ("kill/running.toml", Status::Fail, Some("kill.sigkill")),
            ("kill/by-model", Status::Fail, Some("kill.sigkill")),
        ],
    );
}

#[test]
fn the_reference_claiming_windows_fails_where_windows_differs() {
    let mut honest = Claiming::new("windows-x86_64", false);
    check(
        &mut honest,
        &[
            ("terminate/running.toml", Status::Pass, None),
            ("kill/by-model", Status::Fail, Some("kill.sigkill")),
        ],
    );
}
