//! The rules judged on what the runner sees of the OS (`model::os`): which
//! apply in which world, and which clause a violation breaks. Worlds are
//! reached the way the checker reaches them (follow the first arm, stamp
//! the step).

use procspec_spec::model::{
    judge_failed_start, judge_pid, judge_reaped, must_be_reaped, orphan_candidates, transition,
    World,
};
use procspec_spec::vocab::{Op, Ref, Step, Target};

fn r(s: &str) -> Ref {
    Ref::from(s)
}

fn at(p: &str, op: Op) -> Step {
    Step { at: r(p), op }
}

fn create(id: &str, target: Target) -> Op {
    Op::Create {
        id: r(id),
        name: None,
        daemon: None,
        target,
        group: None,
    }
}

fn start(p: &str) -> Op {
    Op::Start { p: r(p) }
}

fn pid(p: &str) -> Op {
    Op::Pid { p: r(p) }
}

/// The world after `steps` from an empty one (fork), each following its
/// first arm.
fn world(steps: &[Step]) -> World {
    let mut w = World::new(true);
    for (i, step) in steps.iter().enumerate() {
        let arms = transition(&w, step).unwrap_or_else(|e| panic!("{step}: {e}"));
        w = arms[0].next.clone();
        w.stamp(i);
    }
    w
}

/// main created and started p1 running `target`.
fn started(target: Target) -> Vec<Step> {
    vec![at("main", create("p1", target)), at("main", start("p1"))]
}

/// `judge_pid` with the liveness answer `live`; also says whether the
/// rule asked the OS at all.
fn check_pid(
    w: &World,
    step: &Step,
    answered: u32,
    known: Option<u32>,
    live: bool,
) -> (Option<&'static str>, bool) {
    let mut asked = false;
    let verdict = judge_pid(w, step, answered, known, |_| {
        asked = true;
        live
    });
    (verdict.err().map(|v| v.clause), asked)
}

#[test]
fn a_pid_is_stable_and_names_a_live_process_while_the_child_surely_runs() {
    let running = world(&started(Target::Block));
    let ask = at("main", pid("p1"));
    // (known pid, live below the runner) -> (clause broken, OS asked)
    let cases = [
        (None, true, None, true),
        (Some(41), true, None, true),
        (None, false, Some("pid.process-id"), true),
        (Some(40), true, Some("pid.process-id"), false),
    ];
    for (known, live, clause, asked) in cases {
        assert_eq!(
            check_pid(&running, &ask, 41, known, live),
            (clause, asked),
            "known {known:?}, live {live}"
        );
    }
}

#[test]
fn the_os_is_not_asked_for_a_pid_that_may_be_free_or_is_the_askers_own() {
    // An exiting child may already be reaped in the background: its pid may
    // name nothing, or another process.
    let exiting = world(&started(Target::Exit { code: 3 }));
    assert_eq!(
        check_pid(&exiting, &at("main", pid("p1")), 41, None, false),
        (None, false)
    );
    // An agent's own pid (for an in-process adapter, main's is the runner's).
    let agent = world(&started(Target::Agent));
    assert_eq!(
        check_pid(&agent, &at("p1", pid("p1")), 41, None, false),
        (None, false)
    );
    // Not a pid op: nothing to judge.
    assert_eq!(
        check_pid(
            &agent,
            &at("main", Op::IsAlive { p: r("p1") }),
            41,
            None,
            false
        ),
        (None, false)
    );
}

#[test]
fn a_changed_pid_names_both_in_the_message() {
    let w = world(&started(Target::Block));
    let v = judge_pid(&w, &at("main", pid("p1")), 41, Some(40), |_| true).unwrap_err();
    assert_eq!(v.message, "the pid of p1 changed from 40 to 41");
    assert!(!v.rooted_here);
}

#[test]
fn a_child_seen_to_end_by_its_creator_must_not_be_a_zombie() {
    let mut steps = started(Target::Exit { code: 3 });
    let exiting = world(&steps);
    assert!(
        !must_be_reaped(&exiting, &r("p1")),
        "nobody has seen it end yet"
    );
    assert_eq!(judge_reaped(&exiting, &r("p1"), 41, true), Ok(()));
    steps.push(at(
        "main",
        Op::Join {
            p: r("p1"),
            timeout_ms: None,
        },
    ));
    let joined = world(&steps);
    assert!(must_be_reaped(&joined, &r("p1")));
    assert_eq!(judge_reaped(&joined, &r("p1"), 41, false), Ok(()));
    let v = judge_reaped(&joined, &r("p1"), 41, true).unwrap_err();
    assert_eq!((v.clause, v.observed.as_str()), ("join.blocks", "zombie"));
    assert!(!must_be_reaped(&joined, &r("p9")), "an unknown ref");
}

#[test]
fn a_failed_start_must_leave_no_new_process() {
    let cases = [
        (start("p1"), vec![4242], Some("error.no-effect")),
        (start("p1"), vec![], None),
        (
            Op::StartSkippingInit,
            vec![4242],
            Some("construct.subclass-init-skipped"),
        ),
        (Op::IsAlive { p: r("p1") }, vec![4242], None),
    ];
    for (op, new, clause) in cases {
        let step = at("main", op);
        let verdict = judge_failed_start(&step, &new);
        assert_eq!(
            verdict.as_ref().err().map(|v| v.clause),
            clause,
            "{step} with {new:?}"
        );
        if let Err(v) = verdict {
            assert!(v.rooted_here, "the failed start is its own root");
            assert_eq!(v.observed, "new process(es) [4242]");
        }
    }
}

#[test]
fn orphans_are_looked_for_among_the_children_of_dead_or_dying_creators() {
    let mut steps = started(Target::Agent);
    steps.push(at("p1", create("p2", Target::Block)));
    steps.push(at("p1", start("p2")));
    let serving = world(&steps);
    assert_eq!(orphan_candidates(&serving).count(), 0);
    steps.push(at("main", Op::Kill { p: r("p1") }));
    let killed = world(&steps);
    assert_eq!(orphan_candidates(&killed).collect::<Vec<_>>(), [&r("p2")]);
}

/// A zombie is the failure of the rule of the op that saw its end: a join,
/// or `active_children()` leaving out a finished child (it joined it).
#[test]
fn a_zombie_is_blamed_on_the_op_that_saw_the_end() {
    let mut steps = started(Target::Exit { code: 3 });
    steps.push(at("main", Op::ActiveChildren));
    // The first arm lists none: the exiting child was polled and reaped.
    let polled = world(&steps);
    let v = judge_reaped(&polled, &r("p1"), 41, true).unwrap_err();
    assert_eq!(v.clause, "active-children.joins-finished");
    assert_eq!(v.root.and_then(|w| w.step), Some(2));
    let mut steps = started(Target::Exit { code: 3 });
    steps.push(at(
        "main",
        Op::Join {
            p: r("p1"),
            timeout_ms: None,
        },
    ));
    let joined = world(&steps);
    let v = judge_reaped(&joined, &r("p1"), 41, true).unwrap_err();
    assert_eq!(
        (v.clause, v.root.and_then(|w| w.step)),
        ("join.blocks", Some(2))
    );
}

/// A grandchild its agent joined must be reaped while the agent serves;
/// once the agent is gone, nobody is left to have reaped it.
#[test]
fn an_agent_reaps_what_it_joined_while_it_serves() {
    let mut steps = vec![
        at("main", create("p1", Target::Agent)),
        at("main", start("p1")),
        at("p1", create("p2", Target::Exit { code: 0 })),
        at("p1", start("p2")),
        at(
            "p1",
            Op::Join {
                p: r("p2"),
                timeout_ms: None,
            },
        ),
    ];
    assert!(must_be_reaped(&world(&steps), &r("p2")));
    steps.push(at("main", Op::Kill { p: r("p1") }));
    steps.push(at(
        "main",
        Op::Join {
            p: r("p1"),
            timeout_ms: None,
        },
    ));
    assert!(!must_be_reaped(&world(&steps), &r("p2")));
}
