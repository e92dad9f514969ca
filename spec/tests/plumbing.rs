//! The spec crate's small helpers that the harness and the reports lean on
//! (outcome patterns, capability gating, authkey encoding, status strings,
//! report counting), checked here so that the crate's own tests kill their
//! mutants (`scripts/mutants.sh`, `mutants/triage.md`). Each table row goes
//! through one `check`.

use procspec_spec::model::{follow, Arm, Expect, Timing, World};
use procspec_spec::results::{CaseResult, ResultKind, RunInfo, RunReport, Status, StepRecord};
use procspec_spec::vocab::{
    authkey_fingerprint, authkey_from_hex, Capability, ErrorKind, Op, Outcome, Ref, Step, Target,
    Value,
};

#[test]
fn expect_matches() {
    let pid = Outcome::Ok(Value::Pid(7));
    let sentinel = Outcome::Ok(Value::Sentinel(3));
    let key = Outcome::Ok(Value::Authkey("ab".into()));
    let none = Outcome::NONE;
    let err = Outcome::Err(ErrorKind::Closed);
    let check = |e: Expect, o: &Outcome, root: Option<&str>, want: bool| {
        assert_eq!(e.matches(o, root), want, "{e:?} vs {o:?} (root {root:?})");
    };
    check(Expect::Is(none.clone()), &none, None, true);
    check(Expect::Is(none.clone()), &err, None, false);
    check(Expect::AnyPid, &pid, None, true);
    check(Expect::AnyPid, &sentinel, None, false);
    check(Expect::AnySentinel, &sentinel, None, true);
    check(Expect::AnySentinel, &pid, None, false);
    check(Expect::RootAuthkey, &key, None, true);
    check(Expect::RootAuthkey, &key, Some("ab"), true);
    check(Expect::RootAuthkey, &key, Some("cd"), false);
    check(Expect::RootAuthkey, &pid, None, false);
    // A random key's length: at least `min`, an int.
    let int = |n| Outcome::Ok(Value::Int(n));
    check(Expect::IntAtLeast(32), &int(32), None, true);
    check(Expect::IntAtLeast(32), &int(64), None, true);
    check(Expect::IntAtLeast(32), &int(31), None, false);
    check(Expect::IntAtLeast(0), &pid, None, false);
    assert!(Expect::Is(err.clone()).is_err());
    assert!(!Expect::Is(none.clone()).is_err());
    assert!(!Expect::AnyPid.is_err());
    assert!(err.is_err() && !none.is_err());
}

#[test]
fn follow_takes_the_first_matching_arm() {
    let arm = |expect, clause| Arm {
        expect,
        clause: Some(clause),
        next: World::default(),
        timing: Timing::default(),
    };
    let arms = [
        arm(Expect::Is(Outcome::NONE), "a"),
        arm(Expect::AnyPid, "b"),
        arm(Expect::AnyPid, "c"),
    ];
    let clause = |o: &Outcome| follow(&arms, o, None, None, 0).and_then(|a| a.clause);
    assert_eq!(clause(&Outcome::NONE), Some("a"));
    assert_eq!(clause(&Outcome::Ok(Value::Pid(1))), Some("b"));
    assert_eq!(clause(&Outcome::Err(ErrorKind::Closed)), None);
}

#[test]
fn ops_need_capabilities() {
    use Capability as C;
    let p = || Ref::from("p1");
    let check = |op: Op, want: &[C]| assert_eq!(op.needs(), want, "{op:?}");
    let create = |target, group: Option<&str>| Op::Create {
        id: p(),
        name: None,
        daemon: None,
        target,
        group: group.map(String::from),
    };
    check(create(Target::Return, None), &[]);
    check(create(Target::Agent, None), &[C::Agent]);
    check(create(Target::Return, Some("g")), &[C::GroupArg]);
    check(Op::Run { p: p() }, &[C::Run]);
    check(Op::Start { p: p() }, &[]);
    check(
        Op::Join {
            p: p(),
            timeout_ms: Some(1),
        },
        &[C::JoinTimeout],
    );
    check(
        Op::Join {
            p: p(),
            timeout_ms: None,
        },
        &[],
    );
    check(Op::Sentinel { p: p() }, &[C::Sentinel]);
    check(Op::SentinelOpen { p: p() }, &[C::Sentinel, C::Descriptors]);
    check(Op::AuthkeyLength { p: p() }, &[C::Authkey]);
    check(
        create(Target::RunOverride { code: 3 }, None),
        &[C::Subclass],
    );
    check(
        Op::WaitSentinel {
            p: p(),
            timeout_ms: 1,
        },
        &[C::Sentinel],
    );
    check(Op::Daemon { p: p() }, &[C::Daemon]);
    check(
        Op::SetDaemon {
            p: p(),
            value: true,
        },
        &[C::Daemon],
    );
    check(Op::Authkey { p: p() }, &[C::Authkey]);
    check(
        Op::SetAuthkey {
            p: p(),
            key_hex: "00".into(),
        },
        &[C::Authkey],
    );
    check(
        Op::SerializeAuthkey { p: p() },
        &[C::Authkey, C::AuthkeySerialize],
    );
    check(Op::Terminate { p: p() }, &[C::Terminate]);
    check(Op::Kill { p: p() }, &[C::Kill]);
    check(Op::Close { p: p() }, &[C::Close]);
    check(Op::ExceptionHierarchy, &[C::Exceptions]);
    check(
        Op::Handshake { wrong_key: true },
        &[C::Authkey, C::Connection],
    );
    check(Op::RecvBytesInto { buffer: 8 }, &[C::Connection]);
    check(Op::StartSkippingInit, &[C::SkippableInit]);
    check(Op::Orphans, &[C::Orphans]);
}

#[test]
fn blocking_targets() {
    for (t, blocks) in [
        (Target::Block, true),
        (Target::IgnoreSigterm, true),
        (Target::Agent, true),
        (Target::Return, false),
        (Target::Raise, false),
        (Target::Exit { code: 3 }, false),
    ] {
        assert_eq!(t.blocks(), blocks, "{t:?}");
    }
}

#[test]
fn authkey_encoding() {
    // SHA-256("abc") begins ba7816bf8f01cfea.
    assert_eq!(authkey_fingerprint(b"abc"), "ba7816bf8f01cfea");
    assert_eq!(authkey_from_hex("00ff10"), Some(vec![0, 255, 16]));
    assert_eq!(authkey_from_hex(""), Some(vec![]));
    assert_eq!(authkey_from_hex("0"), None);
    assert_eq!(authkey_from_hex("zz"), None);
    assert_eq!(authkey_from_hex("é0"), None);
    assert_eq!(ErrorKind::AlreadyStarted.to_string(), "already-started");
}

#[test]
fn statuses() {
    for s in Status::ALL {
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json.as_str(), Some(s.as_str()));
        let ok = matches!(
            s,
            Status::Pass | Status::ExpectedFail | Status::PreconditionFailed | Status::Skip
        );
        assert_eq!(s.is_ok(), ok, "{s:?}");
    }
}

#[test]
fn report_counting_and_defaults() {
    let result = |status| CaseResult {
        id: "x".into(),
        kind: ResultKind::Case,
        clauses: vec![],
        status,
        expected: vec![],
        observed: None,
        message: None,
        ops: vec![],
        root: None,
        observer: None,
        replay: None,
    };
    let info: RunInfo = serde_json::from_value(serde_json::json!({
        "implementation": "i", "version": "1", "start_method": "fork",
        "os": "linux", "seed": 1, "protocol_version": 1
    }))
    .unwrap();
    assert!(info.complete, "complete defaults to true");
    assert_eq!(
        info.timing_slack_ms,
        procspec_spec::results::DEFAULT_SLACK_MS,
        "the slack defaults to 5 s"
    );
    let mut report = RunReport {
        run_info: info,
        results: vec![
            result(Status::Pass),
            result(Status::Pass),
            result(Status::Fail),
        ],
        // A summary that no longer fits the results (a merge of shards
        // starts from one shard's): recount replaces it, not adds to it.
        summary: [(Status::Pass, 5), (Status::Skip, 1)].into(),
        leaks: Default::default(),
    };
    report.recount();
    assert_eq!(
        report.summary,
        [(Status::Pass, 2), (Status::Fail, 1)].into(),
        "counted from the results alone"
    );

    let step = |irrelevant| StepRecord {
        step: Step {
            at: Ref::main(),
            op: Op::Orphans,
        },
        observed: None,
        allowed: vec![],
        elapsed_ms: None,
        irrelevant,
    };
    let json = |r: StepRecord| serde_json::to_value(r).unwrap();
    assert!(json(step(false)).get("irrelevant").is_none());
    assert_eq!(json(step(true))["irrelevant"], true);
}

#[test]
fn a_targets_exit_code() {
    use procspec_spec::vocab::SelfSignal;
    let check = |t: Target, want: Option<i32>| assert_eq!(t.exit_code(), want, "{t:?}");
    check(Target::Exit { code: 7 }, Some(7));
    check(Target::Return, Some(0));
    check(Target::Raise, Some(1));
    // Base 6 digits: a, b, then c (5 when left out).
    check(
        Target::Args {
            a: 1,
            b: 2,
            c: Some(3),
        },
        Some(36 + 12 + 3),
    );
    check(
        Target::Args {
            a: 2,
            b: 3,
            c: None,
        },
        Some(72 + 18 + 5),
    );
    check(
        Target::Args {
            a: 0,
            b: 0,
            c: Some(0),
        },
        Some(0),
    );
    check(
        Target::SelfSignal {
            signal: SelfSignal::Abort,
        },
        Some(-6),
    );
    check(
        Target::SelfSignal {
            signal: SelfSignal::Usr1,
        },
        Some(-10),
    );
    check(Target::Block, None);
}
