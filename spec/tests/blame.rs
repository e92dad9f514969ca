//! Root-clause blame: for a step, the clause (and step) that established
//! the fact it reads. Each test runs a short sequence through the model
//! the way the checker does (follow the arm the observation allows, stamp
//! the step) and asks `blame` about the next step.

use procspec_spec::model::{blame, transition, Expect, World};
use procspec_spec::vocab::{Op, Outcome, Ref, Step, Target};

fn r(s: &str) -> Ref {
    Ref::from(s)
}

fn at(p: &str, op: Op) -> Step {
    Step { at: r(p), op }
}

fn create(id: &str, target: Target, daemon: Option<bool>) -> Op {
    Op::Create {
        id: r(id),
        name: None,
        daemon,
        target,
        group: None,
    }
}

/// `by` starts `p` (the step, with no stated outcome).
fn start(by: &str, p: &str) -> (Step, Option<Outcome>) {
    (at(by, Op::Start { p: r(p) }), None)
}

/// `by` joins `p` without a timeout.
fn join(by: &str, p: &str) -> (Step, Option<Outcome>) {
    (
        at(
            by,
            Op::Join {
                p: r(p),
                timeout_ms: None,
            },
        ),
        None,
    )
}

/// Run `steps` from an empty world (fork: agents inherit objects), each
/// following the first arm that allows `observed` (the first arm when
/// `None`), stamped with its index as the checker does.
fn run(steps: &[(Step, Option<Outcome>)]) -> World {
    let mut w = World::new(true);
    for (i, (step, observed)) in steps.iter().enumerate() {
        let arms = transition(&w, step).unwrap_or_else(|e| panic!("{step}: {e}"));
        let arm = match observed {
            None => &arms[0],
            Some(o) => arms
                .iter()
                .find(|a| a.expect.matches(o, None) || a.expect == Expect::Is(o.clone()))
                .unwrap_or_else(|| panic!("{step}: {o} not allowed")),
        };
        w = arm.next.clone();
        w.stamp(i);
    }
    w
}

fn why(w: &World, step: Step) -> Option<(&'static str, Option<usize>)> {
    blame(w, &step).map(|w| (w.clause, w.step))
}

#[test]
fn an_unstarted_objects_exit_code_is_the_observers_rule() {
    // Was start.once (the object's state fact set at construction).
    let w = run(&[(at("main", create("p1", Target::Block, None)), None)]);
    assert_eq!(why(&w, at("main", Op::Exitcode { p: r("p1") })), None);
}

#[test]
fn a_running_childs_exit_code_is_the_observers_rule() {
    let w = run(&[
        (at("main", create("p1", Target::Block, None)), None),
        start("main", "p1"),
    ]);
    assert_eq!(why(&w, at("main", Op::Exitcode { p: r("p1") })), None);
}

#[test]
fn an_exit_code_after_a_failed_start_is_still_blamed_on_it() {
    // A daemonic agent cannot start a child: the failed start vouches that
    // the object stayed unstarted.
    let w = run(&[
        (at("main", create("p1", Target::Agent, Some(true))), None),
        start("main", "p1"),
        (at("p1", create("p2", Target::Exit { code: 3 }, None)), None),
        start("p1", "p2"),
    ]);
    assert_eq!(
        why(&w, at("p1", Op::Exitcode { p: r("p2") })),
        Some(("error.no-effect", Some(3)))
    );
}

#[test]
fn an_ended_childs_exit_code_is_its_targets() {
    let w = run(&[
        (
            at("main", create("p1", Target::Exit { code: 3 }, None)),
            None,
        ),
        start("main", "p1"),
        join("main", "p1"),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Exitcode { p: r("p1") })),
        Some(("exitcode.status", Some(1)))
    );
}

#[test]
fn the_length_of_a_key_set_from_bytes_is_authkey_bytes() {
    let w = run(&[
        (at("main", create("p1", Target::Return, None)), None),
        (
            at(
                "main",
                Op::SetAuthkey {
                    p: r("p1"),
                    key_hex: "6b6579".into(),
                },
            ),
            None,
        ),
    ]);
    assert_eq!(
        why(&w, at("main", Op::AuthkeyLength { p: r("p1") })),
        Some(("authkey.bytes", Some(1)))
    );
    // The key itself stays the setter's.
    assert_eq!(
        why(&w, at("main", Op::Authkey { p: r("p1") })),
        Some(("authkey.settable", Some(1)))
    );
}

#[test]
fn a_childs_own_daemon_flag_is_inherited_at_start() {
    // Was construct.daemon-arg: the object's flag was right; the child's
    // copy of it is what start() hands over.
    let w = run(&[
        (at("main", create("p1", Target::Agent, Some(true))), None),
        start("main", "p1"),
    ]);
    assert_eq!(
        why(&w, at("p1", Op::Daemon { p: r("p1") })),
        Some(("daemon.inherited", Some(1)))
    );
    assert_eq!(
        why(&w, at("main", Op::Daemon { p: r("p1") })),
        Some(("construct.daemon-arg", Some(0)))
    );
}

#[test]
fn a_child_ignoring_sigterm_that_ends_after_terminate_blames_terminate() {
    let w = run(&[
        (at("main", create("p1", Target::IgnoreSigterm, None)), None),
        start("main", "p1"),
        (at("main", Op::Terminate { p: r("p1") }), None),
    ]);
    for op in [
        Op::IsAlive { p: r("p1") },
        Op::WaitSentinel {
            p: r("p1"),
            timeout_ms: 5,
        },
    ] {
        assert_eq!(
            why(&w, at("main", op.clone())),
            Some(("terminate.sigterm", Some(2))),
            "{op:?}"
        );
    }
    // A blocked child seen ended is is_alive's own rule, as before.
    let w = run(&[
        (at("main", create("p1", Target::Block, None)), None),
        start("main", "p1"),
    ]);
    assert_eq!(why(&w, at("main", Op::IsAlive { p: r("p1") })), None);
}

/// `join()` that succeeds with another value than `None` broke
/// `join.returns-none` whatever its timing; an error is not a value.
#[test]
fn a_join_that_returns_a_value_breaks_returns_none() {
    use procspec_spec::model::value_rule;
    use procspec_spec::vocab::{ErrorKind, Value};
    let join = at(
        "main",
        Op::Join {
            p: r("p1"),
            timeout_ms: None,
        },
    );
    assert_eq!(
        value_rule(&join, &Outcome::Ok(Value::Int(0))),
        Some("join.returns-none")
    );
    assert_eq!(value_rule(&join, &Outcome::Ok(Value::None)), None);
    assert_eq!(
        value_rule(&join, &Outcome::Err(ErrorKind::NotStarted)),
        None
    );
    let alive = at("main", Op::IsAlive { p: r("p1") });
    assert_eq!(value_rule(&alive, &Outcome::Ok(Value::Bool(true))), None);
}

/// A child that outlives its signalled creator: a daemonic one lives on
/// because the signal ran no exit handler (terminate.no-exit-handlers, at
/// the signal's step); a non-daemonic one is the observer's own rule
/// (terminate.orphans).
#[test]
fn an_orphan_is_blamed_on_the_missing_exit_handler_when_it_is_daemonic() {
    for (daemon, expected) in [
        (Some(true), Some(("terminate.no-exit-handlers", Some(4)))),
        (None, None),
    ] {
        let w = run(&[
            (at("main", create("p1", Target::Agent, None)), None),
            start("main", "p1"),
            (at("p1", create("p2", Target::Block, daemon)), None),
            start("p1", "p2"),
            (at("main", Op::Terminate { p: r("p1") }), None),
        ]);
        assert_eq!(
            why(&w, at("main", Op::Orphans)),
            expected,
            "daemon {daemon:?}"
        );
    }
}

/// A setter that failed changed nothing (`error.no-effect`): a later read
/// of the attribute that shows the write happened anyway is blamed on the
/// failed set, at its step.
#[test]
fn a_failed_setter_vouches_for_the_old_value() {
    use procspec_spec::vocab::{ErrorKind, NameArg};
    let err = |k| Some(Outcome::Err(k));
    // daemon = True after start: refused.
    let w = run(&[
        (at("main", create("p1", Target::Block, None)), None),
        start("main", "p1"),
        (
            at(
                "main",
                Op::SetDaemon {
                    p: r("p1"),
                    value: true,
                },
            ),
            err(ErrorKind::AlreadyStarted),
        ),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Daemon { p: r("p1") })),
        Some(("error.no-effect", Some(2)))
    );
    // name = 42: refused.
    let w = run(&[
        (at("main", create("p1", Target::Block, None)), None),
        (
            at(
                "main",
                Op::SetName {
                    p: r("p1"),
                    name: NameArg::Int(42),
                },
            ),
            err(ErrorKind::InvalidArgument),
        ),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Name { p: r("p1") })),
        Some(("error.no-effect", Some(1)))
    );
    // authkey = ... on a closed object, refused (CPython allows it too).
    let w = run(&[
        (
            at("main", create("p1", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p1"),
        join("main", "p1"),
        (at("main", Op::Close { p: r("p1") }), None),
        (
            at(
                "main",
                Op::SetAuthkey {
                    p: r("p1"),
                    key_hex: "00ff".into(),
                },
            ),
            err(ErrorKind::Closed),
        ),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Authkey { p: r("p1") })),
        Some(("error.no-effect", Some(4)))
    );
}

/// The length of the main process's own key: at least 32 bytes, random.
#[test]
fn the_main_keys_length_is_random_keys() {
    let w = World::new(true);
    let arms = transition(&w, &at("main", Op::AuthkeyLength { p: r("main") })).unwrap();
    assert_eq!(arms.len(), 1, "{arms:#?}");
    assert!(
        matches!(arms[0].expect, Expect::IntAtLeast(n) if n >= 32),
        "{arms:#?}"
    );
    assert_eq!(arms[0].clause, Some("authkey.random"));
}

/// Only an object's creator holds its release pipe: a copy of the object
/// in another process cannot release the child (the model refuses the
/// step, so no case or sequence can ask it).
#[test]
fn only_the_creator_releases() {
    let w = run(&[
        (at("main", create("p2", Target::Block, None)), None),
        start("main", "p2"),
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
    ]);
    let refused = transition(&w, &at("p1", Op::Release { p: r("p2") }));
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("release pipe")),
        "{refused:?}"
    );
    assert!(transition(&w, &at("main", Op::Release { p: r("p2") })).is_ok());
    // Not even a closed copy: the refusal comes before the closed state.
    let w = run(&[
        (
            at("main", create("p2", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p2"),
        join("main", "p2"),
        (at("main", Op::Close { p: r("p2") }), None),
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
    ]);
    let refused = transition(&w, &at("p1", Op::Release { p: r("p2") }));
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("release pipe")),
        "{refused:?}"
    );
}

/// A name given by the setter is blamed on `name.identification`, or on
/// `name.may-repeat` when another object already has it (setting an
/// object's own name again is no repeat).
#[test]
fn a_set_name_is_blamed_on_identification_or_repetition() {
    use procspec_spec::vocab::NameArg;
    let set = |p: &str, name: &str| {
        (
            at(
                "main",
                Op::SetName {
                    p: r(p),
                    name: NameArg::Str(name.into()),
                },
            ),
            None,
        )
    };
    let name = |p: &str| at("main", Op::Name { p: r(p) });
    let mut steps = vec![
        (at("main", create("p1", Target::Block, None)), None),
        (at("main", create("p2", Target::Block, None)), None),
        set("p1", "w"),
    ];
    let w = run(&steps);
    assert_eq!(why(&w, name("p1")), Some(("name.identification", Some(2))));
    steps.push(set("p1", "w"));
    let w = run(&steps);
    assert_eq!(why(&w, name("p1")), Some(("name.identification", Some(3))));
    steps.push(set("p2", "w"));
    let w = run(&steps);
    assert_eq!(why(&w, name("p2")), Some(("name.may-repeat", Some(4))));
}

/// Under fork an agent starts with a copy of what its creator holds, and
/// nothing of what other processes hold.
#[test]
fn a_forked_agent_holds_copies_of_its_creators_objects_only() {
    let w = run(&[
        (at("main", create("a1", Target::Agent, None)), None),
        start("main", "a1"),
        (at("a1", create("q1", Target::Block, None)), None),
        (at("main", create("m1", Target::Block, None)), None),
        (at("main", create("a2", Target::Agent, None)), None),
        start("main", "a2"),
    ]);
    assert!(transition(&w, &at("a2", Op::Name { p: r("m1") })).is_ok());
    assert!(transition(&w, &at("a2", Op::Name { p: r("q1") })).is_err());
}

/// A signal to a process whose end is known changes nothing: its exit
/// code stays, and so does the clause that explains it. A signal to a
/// running one is what its exit code is then blamed on.
#[test]
fn a_signal_after_the_end_changes_nothing() {
    use procspec_spec::vocab::Value;
    let ended = [
        (
            at("main", create("p1", Target::Exit { code: 3 }, None)),
            None,
        ),
        start("main", "p1"),
        join("main", "p1"),
    ];
    let before = why(&run(&ended), at("main", Op::Exitcode { p: r("p1") }));
    let mut steps = ended.to_vec();
    steps.push((at("main", Op::Terminate { p: r("p1") }), None));
    let w = run(&steps);
    assert_eq!(why(&w, at("main", Op::Exitcode { p: r("p1") })), before);
    let arms = transition(&w, &at("main", Op::Exitcode { p: r("p1") })).unwrap();
    let answers: Vec<&Expect> = arms.iter().map(|a| &a.expect).collect();
    assert_eq!(answers, [&Expect::Is(Outcome::Ok(Value::Int(3)))]);

    let w = run(&[
        (at("main", create("p1", Target::Block, None)), None),
        start("main", "p1"),
        (at("main", Op::Terminate { p: r("p1") }), None),
        join("main", "p1"),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Exitcode { p: r("p1") })).map(|(c, _)| c),
        Some("terminate.sigterm")
    );
}

/// Waiting for a child that is exiting: a wait shorter than "eventually"
/// may time out, one of that length or longer may not.
#[test]
fn an_await_of_eventually_cannot_time_out() {
    use procspec_spec::model::EVENTUALLY_MS;
    use procspec_spec::vocab::Until;
    let w = run(&[
        (
            at("main", create("p1", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p1"),
    ]);
    let arms = |timeout_ms| {
        transition(
            &w,
            &at(
                "main",
                Op::Await {
                    p: r("p1"),
                    until: Until::NotAlive,
                    timeout_ms,
                },
            ),
        )
        .unwrap()
        .len()
    };
    assert_eq!(arms(EVENTUALLY_MS - 1), 2);
    assert_eq!(arms(EVENTUALLY_MS), 1);
}

fn answers(w: &World, step: Step) -> Vec<(Expect, Option<&'static str>)> {
    transition(w, &step)
        .unwrap_or_else(|e| panic!("{step}: {e}"))
        .into_iter()
        .map(|a| (a.expect, a.clause))
        .collect()
}

fn ok(v: procspec_spec::vocab::Value) -> Expect {
    Expect::Is(Outcome::Ok(v))
}

/// `parent_process()`: none in the main process, the creator in a child.
#[test]
fn the_parent_process_is_the_creator() {
    use procspec_spec::vocab::Value;
    let w = run(&[
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
    ]);
    assert_eq!(
        answers(&w, at("main", Op::ParentProcess)),
        [(ok(Value::None), Some("parent-process.none-in-main"))]
    );
    assert_eq!(
        answers(&w, at("p1", Op::ParentProcess)),
        [(
            ok(Value::Str("MainProcess".into())),
            Some("parent-process.creator")
        )]
    );
}

/// The runner's orphan count: a running grandchild whose parent was
/// killed surely is one; an exiting one may or may not be counted yet.
#[test]
fn orphans_sure_and_maybe() {
    use procspec_spec::vocab::Value;
    let steps = |grandchild: Target| {
        run(&[
            (at("main", create("p1", Target::Agent, None)), None),
            start("main", "p1"),
            (at("p1", create("p2", grandchild, None)), None),
            start("p1", "p2"),
            (at("main", Op::Kill { p: r("p1") }), None),
            join("main", "p1"),
        ])
    };
    let counts = |w: &World| -> Vec<Expect> {
        answers(w, at("main", Op::Orphans))
            .into_iter()
            .map(|(e, _)| e)
            .collect()
    };
    assert_eq!(counts(&steps(Target::Block)), [ok(Value::Int(1))]);
    assert_eq!(
        counts(&steps(Target::Exit { code: 0 })),
        [ok(Value::Int(0)), ok(Value::Int(1))]
    );
}

/// `active_children()` while a child may have exited: listed or not (not
/// listed: polled, so known to have ended).
#[test]
fn an_exiting_child_may_or_may_not_be_active() {
    let w = run(&[
        (
            at("main", create("p1", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p1"),
    ]);
    assert_eq!(answers(&w, at("main", Op::ActiveChildren)).len(), 2);
    // Two such children: every subset may be listed.
    use procspec_spec::vocab::Value;
    let w = run(&[
        (
            at("main", create("p1", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p1"),
        (
            at("main", create("p2", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p2"),
    ]);
    let mut listed: Vec<Vec<String>> = answers(&w, at("main", Op::ActiveChildren))
        .into_iter()
        .map(|(e, _)| match e {
            Expect::Is(Outcome::Ok(Value::Refs(v))) => v.iter().map(|p| p.to_string()).collect(),
            other => panic!("{other:?}"),
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            vec![],
            vec!["p1".to_string()],
            vec!["p1".into(), "p2".into()],
            vec!["p2".into()]
        ]
    );
}

/// A failed start, close, terminate or kill of another process vouches
/// that its life did not change; a failed setter does not touch it.
#[test]
fn a_failed_op_vouches_for_a_life_only_when_it_could_change_it() {
    use procspec_spec::vocab::ErrorKind;
    let err = |k| Some(Outcome::Err(k));
    let alive = |w: &World| why(w, at("main", Op::IsAlive { p: r("p1") }));
    let started = [
        (at("main", create("p1", Target::Block, None)), None),
        start("main", "p1"),
    ];
    let mut closed = started.to_vec();
    closed.push((
        at("main", Op::Close { p: r("p1") }),
        err(ErrorKind::StillRunning),
    ));
    assert_eq!(alive(&run(&closed)), Some(("error.no-effect", Some(2))));
    let mut set = started.to_vec();
    set.push((
        at(
            "main",
            Op::SetDaemon {
                p: r("p1"),
                value: true,
            },
        ),
        err(ErrorKind::AlreadyStarted),
    ));
    assert_eq!(alive(&run(&set)), alive(&run(&started)));
}

/// A released agent terminates its daemonic children (they end) and exits:
/// it does not linger on them.
#[test]
fn a_released_agent_does_not_wait_for_its_terminated_daemonic_child() {
    use procspec_spec::vocab::Value;
    let w = run(&[
        (at("main", create("a", Target::Agent, None)), None),
        start("main", "a"),
        (at("a", create("d", Target::Block, Some(true))), None),
        start("a", "d"),
        (at("main", Op::Release { p: r("a") }), None),
        join("main", "a"),
    ]);
    assert_eq!(
        answers(&w, at("main", Op::Exitcode { p: r("a") }))
            .into_iter()
            .map(|(e, _)| e)
            .collect::<Vec<_>>(),
        [ok(Value::Int(0))]
    );
}

/// `current_process()` and `parent_process()` read a name: the rule that
/// gave it (in a child; the main process's name is no rule's).
#[test]
fn the_current_and_parent_names_are_blamed_on_their_rule() {
    let w = run(&[
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
        (at("p1", create("p2", Target::Agent, None)), None),
        start("p1", "p2"),
    ]);
    assert_eq!(why(&w, at("main", Op::CurrentProcess)), None);
    assert_eq!(
        why(&w, at("p1", Op::CurrentProcess)),
        Some(("name.default-form", Some(0)))
    );
    assert_eq!(why(&w, at("p1", Op::ParentProcess)), None);
    assert_eq!(
        why(&w, at("p2", Op::ParentProcess)),
        Some(("name.default-form", Some(0)))
    );
    assert_eq!(
        why(&w, at("p2", Op::CurrentProcess)),
        Some(("name.default-form", Some(2)))
    );
}

/// What each read blames, table by table: a process's reads of itself, a
/// closed object's, a key's length, and the facts an orphan count reads.
#[test]
fn reads_and_their_rules() {
    use procspec_spec::model::{facts_read, Why};
    use procspec_spec::vocab::ErrorKind;
    let set_key = |p: &str| {
        at(
            "main",
            Op::SetAuthkey {
                p: r(p),
                key_hex: "00ff".into(),
            },
        )
    };
    // A child's reads of itself.
    let w = run(&[
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
    ]);
    let check = |op: Op, want: Option<(&'static str, Option<usize>)>| {
        assert_eq!(why(&w, at("p1", op.clone())), want, "{op:?}");
    };
    check(
        Op::Name { p: r("p1") },
        Some(("name.default-form", Some(0))),
    );
    check(
        Op::Authkey { p: r("p1") },
        Some(("authkey.inherited", Some(0))),
    );
    check(
        Op::AuthkeyLength { p: r("p1") },
        Some(("authkey.inherited", Some(0))),
    );
    check(
        Op::Daemon { p: r("p1") },
        Some(("daemon.inherited", Some(1))),
    );
    // A closed object: whether close() freed the descriptor is close()'s
    // own rule; its state otherwise is the close's.
    let closed = [
        (
            at("main", create("p1", Target::Exit { code: 0 }, None)),
            None,
        ),
        (set_key("p1"), None),
        start("main", "p1"),
        join("main", "p1"),
        (at("main", Op::Close { p: r("p1") }), None),
    ];
    let w = run(&closed);
    assert_eq!(why(&w, at("main", Op::SentinelOpen { p: r("p1") })), None);
    assert_eq!(
        why(&w, at("main", Op::Pid { p: r("p1") })),
        Some(("close.then-raises", Some(4)))
    );
    // A key set from bytes has their length; after a failed set, the
    // length is the failed set's to vouch for.
    assert_eq!(
        why(&w, at("main", Op::AuthkeyLength { p: r("p1") })),
        Some(("authkey.bytes", Some(1)))
    );
    let mut failed = closed.to_vec();
    failed.push((set_key("p1"), Some(Outcome::Err(ErrorKind::Closed))));
    assert_eq!(
        why(&run(&failed), at("main", Op::AuthkeyLength { p: r("p1") })),
        Some(("error.no-effect", Some(5)))
    );
    // The orphan count reads the orphans' lives; other steps read what
    // `blame` names.
    let w = run(&[
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
        (at("p1", create("p2", Target::Block, None)), None),
        start("p1", "p2"),
        (at("main", Op::Kill { p: r("p1") }), None),
        join("main", "p1"),
    ]);
    // (`Why` compares equal to every `Why`: compare what it says.)
    let read = |w: &World, step: Step| -> Vec<(&'static str, Option<usize>)> {
        facts_read(w, &step)
            .into_iter()
            .map(|Why { clause, step }| (clause, step))
            .collect()
    };
    assert_eq!(
        read(&w, at("main", Op::Orphans)),
        [("is-alive.lifetime", Some(3))]
    );
    assert_eq!(
        read(&w, at("main", Op::Exitcode { p: r("p1") })),
        [("kill.sigkill", Some(4))]
    );
    // A daemonic child that its released creator terminated: its life is
    // that rule's, at the release.
    let w = run(&[
        (at("main", create("a", Target::Agent, None)), None),
        start("main", "a"),
        (at("a", create("d", Target::Block, Some(true))), None),
        start("a", "d"),
        (at("main", Op::Release { p: r("a") }), None),
    ]);
    assert_eq!(
        read(&w, at("main", Op::Orphans)),
        [("daemon.terminated-at-exit", Some(4))]
    );
}

/// The world's own queries: default names of another class, who can be
/// reached to run an op, and the current process's name.
#[test]
fn the_worlds_queries() {
    use procspec_spec::vocab::Value;
    let w = World::new(true).of_class("Worker");
    assert_eq!(w.default_name_prefix(), "Worker");
    let arms = transition(&w, &at("main", create("p1", Target::Block, None))).unwrap();
    let w = arms[0].next.clone();
    assert_eq!(
        answers(&w, at("main", Op::Name { p: r("p1") }))[0].0,
        ok(Value::Str("Worker-1".into()))
    );

    let mut steps = vec![
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
        (at("p1", create("p2", Target::Agent, None)), None),
        start("p1", "p2"),
    ];
    let w = run(&steps);
    assert!(w.serves(&r("main")) && w.serves(&r("p1")) && w.serves(&r("p2")));
    assert!(!w.serves(&r("p9")), "an unknown process");
    assert_eq!(w.name_of(&r("main")), "MainProcess");
    assert_eq!(w.name_of(&r("p2")), "Process-1:1");
    // p1 killed: p2 still serves, but nothing can reach it.
    steps.push((at("main", Op::Kill { p: r("p1") }), None));
    let w = run(&steps);
    assert!(!w.serves(&r("p1")) && !w.serves(&r("p2")));
    // Which refs name an object, and who is dead or dying.
    assert!(w.knows(&r("main")) && w.knows(&r("p1")) && w.knows(&r("p2")));
    assert!(!w.knows(&r("p9")));
    assert_eq!(
        w.dead_or_dying(&r("p1")),
        (false, true),
        "killed, not joined"
    );
    assert_eq!(w.dead_or_dying(&r("main")), (false, false));
    steps.push(join("main", "p1"));
    assert_eq!(run(&steps).dead_or_dying(&r("p1")), (true, true));
}

/// After an op that failed and so vouched for a state or a life: the
/// reads of that state (`pid`) and of that end (`is_alive` of a child
/// that has since exited by itself) are blamed on the failed op.
#[test]
fn reads_after_a_failed_op_are_blamed_on_it() {
    use procspec_spec::vocab::ErrorKind;
    // A daemonic agent cannot start a child: the object stays unstarted.
    let w = run(&[
        (at("main", create("p1", Target::Agent, Some(true))), None),
        start("main", "p1"),
        (at("p1", create("p2", Target::Exit { code: 3 }, None)), None),
        start("p1", "p2"),
    ]);
    assert_eq!(
        why(&w, at("p1", Op::Pid { p: r("p2") })),
        Some(("error.no-effect", Some(3)))
    );
    // A copy of p2 in p1 cannot terminate it: p2's life is left alone.
    let w = run(&[
        (
            at("main", create("p2", Target::Exit { code: 0 }, None)),
            None,
        ),
        start("main", "p2"),
        (at("main", create("p1", Target::Agent, None)), None),
        start("main", "p1"),
        (
            at("p1", Op::Terminate { p: r("p2") }),
            Some(Outcome::Err(ErrorKind::NotParent)),
        ),
    ]);
    assert_eq!(
        why(&w, at("main", Op::IsAlive { p: r("p2") })),
        Some(("error.no-effect", Some(4)))
    );
}

/// A SIGTERM-ignoring child that `kill()` has ended (its end not yet seen):
/// a later `terminate()` changes nothing, so its end stays `kill()`'s. The
/// ignored SIGTERM vouches for a child only while it runs.
#[test]
fn an_ignored_sigterm_after_kill_leaves_the_end_to_kill() {
    let w = run(&[
        (at("main", create("p1", Target::IgnoreSigterm, None)), None),
        start("main", "p1"),
        (at("main", Op::Kill { p: r("p1") }), None),
        (at("main", Op::Terminate { p: r("p1") }), None),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Exitcode { p: r("p1") })),
        Some(("kill.sigkill", Some(2)))
    );
    // A child that does not ignore SIGTERM may end by either signal: the
    // latest one vouches for its end.
    let w = run(&[
        (at("main", create("p1", Target::Block, None)), None),
        start("main", "p1"),
        (at("main", Op::Kill { p: r("p1") }), None),
        (at("main", Op::Terminate { p: r("p1") }), None),
    ]);
    assert_eq!(
        why(&w, at("main", Op::Exitcode { p: r("p1") })),
        Some(("terminate.sigterm", Some(3)))
    );
}
