//! Runs and clauses built in code: three implementations (one with every
//! status, one clean but interrupted, one skipped as a whole) and seven
//! clauses over five areas.

use procspec_spec::results::{
    Blame, CaseResult, LeakCounts, ResultKind, RunInfo, RunReport, Status, StepRecord,
};
use procspec_spec::vocab::{Clause, ErrorKind, Level, Op, Outcome, Ref, Step, Target, Value};

pub fn clause(id: &str, level: Level, quote: &str) -> Clause {
    Clause {
        id: id.to_string(),
        level,
        quote: quote.to_string(),
        source: format!("multiprocessing.html#{id}"),
        needs: vec![],
        note: None,
    }
}

/// `daemon.no-children` is cited by no result; `orphans.reaped`, cited by
/// one, is missing on purpose.
pub fn clauses() -> Vec<Clause> {
    vec![
        clause("start.once", Level::Must, "start() must be called at most once per process object."),
        clause("join.parent-only", Level::Must, "A process can only join its own children <not others> & \"siblings\"."),
        clause("start.returns-none", Level::Should, "Start the process's activity; `__init__` runs first."),
        clause("join.timeout", Level::Should, "If the optional argument timeout is a positive number, it blocks at most timeout seconds."),
        clause("exitcode.signal-negative", Level::Impl, "If the child was terminated by signal N, the exit code is -N."),
        clause("daemon.no-children", Level::Must, "A daemonic process is not allowed to create child processes."),
        clause("close.requires-exit", Level::Must, "ValueError is raised if the underlying process is still running."),
    ]
}

pub fn step(at: &str, op: Op, observed: Option<Outcome>) -> StepRecord {
    StepRecord {
        elapsed_ms: None,
        allowed: Vec::new(),
        irrelevant: false,
        step: Step {
            at: Ref::from(at),
            op,
        },
        observed,
    }
}

pub fn p1() -> Ref {
    Ref::nth(1)
}

pub fn result(id: &str, clauses: &[&str], status: Status) -> CaseResult {
    CaseResult {
        root: None,
        observer: None,
        replay: None,
        id: id.to_string(),
        kind: ResultKind::Case,
        clauses: clauses.iter().map(|c| c.to_string()).collect(),
        status,
        expected: vec![],
        observed: None,
        message: None,
        ops: vec![],
    }
}

pub fn info(implementation: &str) -> RunInfo {
    RunInfo {
        timing_slack_ms: procspec_spec::results::DEFAULT_SLACK_MS,
        implementation: implementation.to_string(),
        version: "1.0".to_string(),
        start_method: "fork".to_string(),
        os: "linux-x86_64".to_string(),
        seed: 42,
        protocol_version: 1,
        complete: true,
        skip_reason: None,
    }
}

pub fn run(info: RunInfo, results: Vec<CaseResult>) -> RunReport {
    let mut r = RunReport {
        run_info: info,
        results,
        summary: Default::default(),
        leaks: LeakCounts::default(),
    };
    r.recount();
    r
}

/// Every status, with pids, a sentinel, a duration and a random authkey
/// fingerprint in it: the values `redact` takes out.
pub fn alpha(pid: u32, took: &str) -> RunReport {
    let start_twice = CaseResult {
        expected: vec!["err already-started".to_string()],
        observed: Some("ok none".to_string()),
        message: Some(format!(
            "<Process name='Process-1' pid={pid} parent=1 started> started twice after {took}"
        )),
        ops: vec![
            step(
                "main",
                Op::Create {
                    id: p1(),
                    name: None,
                    daemon: None,
                    target: Target::Block,
                    group: None,
                },
                Some(Outcome::NONE),
            ),
            step("main", Op::Start { p: p1() }, Some(Outcome::NONE)),
            step(
                "main",
                Op::Pid { p: p1() },
                Some(Outcome::Ok(Value::Pid(pid))),
            ),
            step(
                "main",
                Op::Sentinel { p: p1() },
                Some(Outcome::Ok(Value::Sentinel(i64::from(pid % 100)))),
            ),
            step(
                "main",
                Op::Authkey { p: p1() },
                Some(Outcome::Ok(Value::Authkey(format!(
                    "{:016x}",
                    u64::from(pid) * 7919
                )))),
            ),
            step("main", Op::Start { p: p1() }, Some(Outcome::NONE)),
            step("main", Op::Release { p: p1() }, None),
        ],
        ..result("start/twice", &["start.once"], Status::Fail)
    };
    let sequence = CaseResult {
        kind: ResultKind::Sequence,
        expected: vec!["err not-parent".to_string()],
        observed: Some("ok none".to_string()),
        ops: vec![
            step(
                "main",
                Op::Create {
                    id: p1(),
                    name: Some("agent".to_string()),
                    daemon: Some(false),
                    target: Target::Agent,
                    group: None,
                },
                Some(Outcome::NONE),
            ),
            StepRecord {
                irrelevant: true,
                ..step("main", Op::Start { p: p1() }, Some(Outcome::NONE))
            },
            StepRecord {
                allowed: vec!["err not-parent (join.parent-only)".to_string()],
                ..step(
                    "p1",
                    Op::Join {
                        p: Ref::main(),
                        timeout_ms: Some(10),
                    },
                    Some(Outcome::NONE),
                )
            },
        ],
        // The root names the clause the failure counts under, whatever
        // order `clauses` has.
        root: Some(Blame {
            clause: "start.returns-none".to_string(),
            step: 1,
        }),
        observer: Some(Blame {
            clause: "join.parent-only".to_string(),
            step: 2,
        }),
        replay: Some("procspec run --impl alpha --cases cases/regressions/seq-7".to_string()),
        ..result(
            "sequence/7",
            &["join.parent-only", "start.returns-none"],
            Status::Fail,
        )
    };
    let xfail = CaseResult {
        expected: vec!["ok -15".to_string()],
        observed: Some("ok 1".to_string()),
        message: Some("known divergence: exit code 1 | see expectations".to_string()),
        ops: vec![step(
            "main",
            Op::Exitcode { p: p1() },
            Some(Outcome::Ok(Value::Int(1))),
        )],
        ..result(
            "exitcode/terminated",
            &["exitcode.signal-negative"],
            Status::ExpectedFail,
        )
    };
    let timeout = CaseResult {
        message: Some(format!("no answer within {took}")),
        ops: vec![step(
            "main",
            Op::Join {
                p: p1(),
                timeout_ms: None,
            },
            None,
        )],
        ..result("join/blocks", &["join.timeout"], Status::Timeout)
    };
    let crash = CaseResult {
        message: Some("adapter exited: Traceback <most recent call last> & more".to_string()),
        ..result("close/after-exit", &["close.requires-exit"], Status::Crash)
    };
    let unexpected = CaseResult {
        message: Some("expected to fail: issue #12".to_string()),
        ..result(
            "join/own-child",
            &["join.parent-only"],
            Status::UnexpectedPass,
        )
    };
    let precond = CaseResult {
        message: Some("needs capability kill".to_string()),
        ..result(
            "exitcode/killed",
            &["exitcode.signal-negative"],
            Status::PreconditionFailed,
        )
    };
    let orphans = CaseResult {
        observed: Some("ok 1".to_string()),
        expected: vec!["ok 0".to_string()],
        ops: vec![step("main", Op::Orphans, Some(Outcome::Ok(Value::Int(1))))],
        ..result("orphans/none", &[], Status::Fail)
    };
    let mut results = vec![
        sequence,
        start_twice,
        result(
            "start/once",
            &["start.once", "start.returns-none"],
            Status::Pass,
        ),
        result("start/returns", &["start.returns-none"], Status::Pass),
        xfail,
        timeout,
        crash,
        unexpected,
        precond,
        result("join/skipped", &["join.timeout"], Status::Skip),
        orphans,
        result("orphans/reaped", &["orphans.reaped"], Status::Fail),
        CaseResult {
            ops: vec![step(
                "main",
                Op::SetName {
                    p: p1(),
                    name: "x".into(),
                },
                Some(Outcome::Err(ErrorKind::Closed)),
            )],
            ..result("close/then-name", &["close.requires-exit"], Status::Pass)
        },
    ];
    results.rotate_left(3);
    let mut r = run(info("alpha"), results);
    r.leaks = LeakCounts {
        processes: 1,
        zombies: 0,
        fds: 2,
    };
    r
}

/// Passes where it can (no kill capability), but the run was
/// interrupted.
pub fn beta() -> RunReport {
    let mut i = info("beta");
    i.complete = false;
    i.start_method = "spawn".to_string();
    run(
        i,
        vec![
            result(
                "start/once",
                &["start.once", "start.returns-none"],
                Status::Pass,
            ),
            result("join/own-child", &["join.parent-only"], Status::Pass),
            result(
                "exitcode/killed",
                &["exitcode.signal-negative"],
                Status::PreconditionFailed,
            ),
        ],
    )
}

/// Skipped as a whole.
pub fn gamma() -> RunReport {
    let mut i = info("gamma");
    i.skip_reason = Some("python3 <not found> & no fallback".to_string());
    i.version = String::new();
    run(i, vec![])
}

/// The three runs, deliberately not in name order.
pub fn runs() -> Vec<RunReport> {
    vec![gamma(), alpha(4242, "1.5s"), beta()]
}
