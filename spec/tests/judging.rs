//! The model's judging helpers, checked by the spec crate's own tests (the
//! harness leans on them; cargo-mutants runs only a crate's own tests):
//! time bounds (`Timing::admits`), an arm rendered for people, which
//! clauses an outcome also checks (`model::implied`), whether a step can
//! fail at all (`model::discriminates`), and a platform by its OS name.
//! Each table row goes through one `check`.

use procspec_spec::model::{discriminates, implied, Arm, Expect, Timing, World};
use procspec_spec::platform::Platform;
use procspec_spec::vocab::{ErrorKind, Outcome, Value};

#[test]
fn time_bounds() {
    let check = |t: Timing, elapsed: Option<f64>, slack: u64, want: bool| {
        assert_eq!(
            t.admits(elapsed, slack),
            want,
            "{t:?} admits {elapsed:?} with slack {slack}"
        );
    };
    // Unmeasured: every bound is met.
    check(Timing::after(100), None, 0, true);
    check(Timing::before(100), None, 0, true);
    // after(100): [100 - clock tolerance, 100 + slack].
    check(Timing::after(100), Some(100.0), 0, true);
    check(Timing::after(100), Some(99.5), 0, true);
    check(Timing::after(100), Some(98.5), 0, false);
    check(Timing::after(100), Some(50.0), 1000, false);
    check(Timing::after(100), Some(100.5), 0, false);
    check(Timing::after(100), Some(150.0), 50, true);
    check(Timing::after(100), Some(150.5), 50, false);
    check(Timing::after(100), Some(200.0), 50, false);
    // before(100): strictly under 100, no slack.
    check(Timing::before(100), Some(0.0), 0, true);
    check(Timing::before(100), Some(99.9), 0, true);
    check(Timing::before(100), Some(100.0), 1000, false);
    check(Timing::before(100), Some(150.0), 0, false);
    // No bound.
    check(Timing::ANY, Some(1e9), 0, true);
    assert!(Timing::ANY.is_any() && !Timing::after(1).is_any() && !Timing::before(1).is_any());
}

fn arm(expect: Expect, clause: Option<&'static str>, timing: Timing) -> Arm {
    Arm {
        expect,
        clause,
        next: World::default(),
        timing,
    }
}

fn is(o: Outcome) -> Expect {
    Expect::Is(o)
}

fn boolean(b: bool) -> Expect {
    is(Outcome::Ok(Value::Bool(b)))
}

#[test]
fn an_arm_for_people() {
    let check = |a: Arm, want: &str| assert_eq!(a.describe(), want);
    check(arm(is(Outcome::NONE), None, Timing::ANY), "ok none");
    check(
        arm(is(Outcome::NONE), Some("join.blocks"), Timing::ANY),
        "ok none [join.blocks]",
    );
    check(
        arm(is(Outcome::NONE), Some("join.timeout"), Timing::after(50)),
        "ok none (not before 50 ms, by 50 ms + slack) [join.timeout]",
    );
}

#[test]
fn what_an_outcome_also_checks() {
    let check = |clause: &str, want: &[&str]| assert_eq!(implied(clause), want, "{clause}");
    check("start.once", &["invariant.single-start"]);
    check("join.parent-only", &["invariant.parent-child"]);
    check("is-alive.parent-only", &["invariant.parent-child"]);
    check("daemon.no-children", &["invariant.daemon-restriction"]);
    check("close.requires-exit", &["invariant.close-requires-exit"]);
    check(
        "name.default-form",
        &["invariant.identity-chain", "name.initial"],
    );
    check("construct.name", &["name.initial"]);
    check("authkey.no-pickle", &["invariant.authkey-security"]);
    for join in ["join.blocks", "join.timeout", "join.many-times"] {
        check(join, &["join.returns-none"]);
    }
    check("active-children.live", &["active-children.joins-finished"]);
    check("terminate.orphans", &["terminate.no-exit-handlers"]);
    check("exitcode.status", &[]);
    // Every implied clause is a clause.
    for c in procspec_spec::clauses() {
        for i in implied(&c.id) {
            assert!(procspec_spec::clause(i).is_some(), "{} implies {i}", c.id);
        }
    }
}

#[test]
fn whether_a_step_can_fail() {
    let err = |k| is(Outcome::Err(k));
    let check = |arms: &[Arm], want: bool| {
        assert_eq!(discriminates(arms), want, "{arms:#?}");
    };
    // One answer: a wrong one fails.
    check(&[arm(boolean(true), Some("a"), Timing::ANY)], true);
    check(&[arm(is(Outcome::NONE), Some("a"), Timing::ANY)], true);
    // true or false, whenever: nothing can fail.
    check(
        &[
            arm(boolean(true), Some("a"), Timing::ANY),
            arm(boolean(false), Some("b"), Timing::ANY),
        ],
        false,
    );
    // true or false, but one only in time: a late `true` fails.
    check(
        &[
            arm(boolean(true), Some("a"), Timing::before(10)),
            arm(boolean(false), Some("b"), Timing::ANY),
        ],
        true,
    );
    check(
        &[
            arm(boolean(true), Some("a"), Timing::ANY),
            arm(boolean(false), Some("b"), Timing::after(10)),
        ],
        true,
    );
    // A value or an error under one clause ("either answer").
    check(
        &[
            arm(is(Outcome::NONE), Some("a"), Timing::ANY),
            arm(err(ErrorKind::Closed), Some("a"), Timing::ANY),
        ],
        false,
    );
    // ... under two clauses, or the runner's own (no clause): it can fail.
    check(
        &[
            arm(is(Outcome::NONE), Some("a"), Timing::ANY),
            arm(err(ErrorKind::Closed), Some("b"), Timing::ANY),
        ],
        true,
    );
    check(
        &[
            arm(is(Outcome::NONE), None, Timing::ANY),
            arm(err(ErrorKind::Closed), None, Timing::ANY),
        ],
        true,
    );
    // Two errors under one clause: still an answer that can be wrong.
    check(
        &[
            arm(err(ErrorKind::NotParent), Some("a"), Timing::ANY),
            arm(err(ErrorKind::Closed), Some("a"), Timing::ANY),
        ],
        true,
    );
    // Two values under one clause, likewise.
    check(
        &[
            arm(is(Outcome::NONE), Some("a"), Timing::ANY),
            arm(boolean(true), Some("a"), Timing::ANY),
        ],
        true,
    );
}

#[test]
fn a_platform_by_its_os_name() {
    let check = |os: &str, want: Option<Platform>| assert_eq!(Platform::from_os(os), want, "{os}");
    check("linux", Some(Platform::Linux));
    check("macos", Some(Platform::MacOs));
    for bsd in ["freebsd", "openbsd", "netbsd", "dragonfly"] {
        check(bsd, Some(Platform::Bsd));
    }
    check("windows", Some(Platform::Windows));
    check("solaris", None);
    // The machine the tests run on.
    let here = if cfg!(target_os = "linux") {
        Some(Platform::Linux)
    } else if cfg!(target_os = "macos") {
        Some(Platform::MacOs)
    } else if cfg!(windows) {
        Some(Platform::Windows)
    } else {
        Platform::from_os(std::env::consts::OS)
    };
    assert_eq!(Platform::current(), here);
}
