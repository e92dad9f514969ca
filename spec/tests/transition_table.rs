//! The snapshot spec: the model's transition table, every process state x
//! every op, with the allowed outcomes, the clause behind each and the
//! state that follows. Kept as insta snapshots under `spec/snapshots/`, so
//! that a change to the model shows as a reviewed diff.
//!
//! Each state is reached by running a short prefix through the model
//! itself (taking the first allowed outcome), so every row is a state an
//! implementation can really be in.

use procspec_spec::model::{transition, World};
use procspec_spec::vocab::{NameArg, Op, Ref, Step, Target, Until};
use std::fmt::Write;

fn r(s: &str) -> Ref {
    Ref::from(s)
}

fn at(at: &str, op: Op) -> Step {
    Step { at: r(at), op }
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

/// The ops of the table, addressed to `p`.
fn ops(p: &str) -> Vec<Op> {
    let p = || r(p);
    vec![
        Op::Start { p: p() },
        Op::Join {
            p: p(),
            timeout_ms: None,
        },
        Op::Join {
            p: p(),
            timeout_ms: Some(10),
        },
        Op::Join {
            p: p(),
            timeout_ms: Some(-1),
        },
        Op::Await {
            p: p(),
            until: Until::NotAlive,
            timeout_ms: 10_000,
        },
        Op::Await {
            p: p(),
            until: Until::Exitcode,
            timeout_ms: 10,
        },
        Op::Await {
            p: p(),
            until: Until::NotActive,
            timeout_ms: 10_000,
        },
        Op::IsAlive { p: p() },
        Op::Exitcode { p: p() },
        Op::Pid { p: p() },
        Op::Sentinel { p: p() },
        Op::WaitSentinel {
            p: p(),
            timeout_ms: 0,
        },
        Op::WaitSentinel {
            p: p(),
            timeout_ms: 10_000,
        },
        Op::SentinelOpen { p: p() },
        Op::Name { p: p() },
        Op::SetName {
            p: p(),
            name: "renamed".into(),
        },
        Op::SetName {
            p: p(),
            name: NameArg::Int(42),
        },
        Op::Daemon { p: p() },
        Op::SetDaemon {
            p: p(),
            value: true,
        },
        Op::Authkey { p: p() },
        Op::SetAuthkey {
            p: p(),
            key_hex: "6b6b6b6b".into(),
        },
        Op::SerializeAuthkey { p: p() },
        Op::AuthkeyLength { p: p() },
        Op::Terminate { p: p() },
        Op::Kill { p: p() },
        Op::Close { p: p() },
        Op::Release { p: p() },
        Op::Run { p: p() },
    ]
}

/// Run `prefix` through the model, taking the first allowed outcome.
fn reach(prefix: &[Step], inherit: bool) -> World {
    let mut w = World::new(inherit);
    for s in prefix {
        let arms = transition(&w, s).unwrap_or_else(|e| panic!("prefix step {s}: {e}"));
        w = arms[0].next.clone();
    }
    w
}

/// The table of one state: `holder`'s view of `p`, plus the ops that take
/// no object.
fn table(prefix: &[Step], holder: &str, p: &str, inherit: bool) -> String {
    let world = reach(prefix, inherit);
    let mut out = String::new();
    writeln!(out, "state: {}", world.describe(&r(holder), &r(p))).unwrap();
    writeln!(out, "reached by:").unwrap();
    for s in prefix {
        writeln!(out, "  {s}").unwrap();
    }
    let mut all = ops(p);
    all.extend([Op::ActiveChildren, Op::Orphans]);
    for op in all {
        let step = at(holder, op);
        writeln!(out, "\n{step}").unwrap();
        match transition(&world, &step) {
            Err(e) => writeln!(out, "  invalid: {e}").unwrap(),
            Ok(arms) => {
                for a in arms {
                    let clause = a.clause.unwrap_or("(runner control)");
                    let next = a.next.describe(&r(holder), &r(p));
                    let mut expect = a.expect.to_string();
                    if !a.timing.is_any() {
                        write!(expect, " ({})", a.timing).unwrap();
                    }
                    writeln!(out, "  {expect:<28} [{clause}] -> {next}").unwrap();
                }
            }
        }
    }
    out
}

fn check(name: &str, prefix: &[Step], holder: &str, p: &str, inherit: bool) {
    let text = table(prefix, holder, p, inherit);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

fn start(p: &str) -> Step {
    at("main", Op::Start { p: r(p) })
}

#[test]
fn created() {
    check(
        "created",
        &[at("main", create("p1", Target::Block, None))],
        "main",
        "p1",
        false,
    );
}

#[test]
fn created_daemon() {
    check(
        "created-daemon",
        &[at("main", create("p1", Target::Block, Some(true)))],
        "main",
        "p1",
        false,
    );
}

#[test]
fn running() {
    check(
        "running",
        &[at("main", create("p1", Target::Block, None)), start("p1")],
        "main",
        "p1",
        false,
    );
}

#[test]
fn running_ignoring_sigterm() {
    let prefix = [
        at("main", create("p1", Target::IgnoreSigterm, None)),
        start("p1"),
    ];
    check("running-ignoring-sigterm", &prefix, "main", "p1", false);
}

#[test]
fn running_agent() {
    check(
        "running-agent",
        &[at("main", create("p1", Target::Agent, None)), start("p1")],
        "main",
        "p1",
        false,
    );
}

#[test]
fn exiting() {
    let prefix = [
        at("main", create("p1", Target::Block, None)),
        start("p1"),
        at("main", Op::Release { p: r("p1") }),
    ];
    check("exiting", &prefix, "main", "p1", false);
}

#[test]
fn created_without_target() {
    check(
        "created-without-target",
        &[at("main", create("p1", Target::NoTarget, None))],
        "main",
        "p1",
        false,
    );
}

#[test]
fn self_signalled() {
    let prefix = [
        at(
            "main",
            create(
                "p1",
                Target::SelfSignal {
                    signal: procspec_spec::vocab::SelfSignal::Abort,
                },
                None,
            ),
        ),
        start("p1"),
    ];
    check("self-signalled", &prefix, "main", "p1", false);
}

#[test]
fn exited_joined() {
    let prefix = [
        at("main", create("p1", Target::Exit { code: 3 }, None)),
        start("p1"),
        at(
            "main",
            Op::Join {
                p: r("p1"),
                timeout_ms: None,
            },
        ),
    ];
    check("exited-joined", &prefix, "main", "p1", false);
}

#[test]
fn terminated() {
    let prefix = [
        at("main", create("p1", Target::Block, None)),
        start("p1"),
        at("main", Op::Terminate { p: r("p1") }),
    ];
    check("terminated", &prefix, "main", "p1", false);
}

#[test]
fn closed_before_start() {
    let prefix = [
        at("main", create("p1", Target::Block, None)),
        at("main", Op::Close { p: r("p1") }),
    ];
    check("closed-before-start", &prefix, "main", "p1", false);
}

#[test]
fn closed_after_exit() {
    let prefix = [
        at("main", create("p1", Target::Return, None)),
        start("p1"),
        at(
            "main",
            Op::Join {
                p: r("p1"),
                timeout_ms: None,
            },
        ),
        at("main", Op::Close { p: r("p1") }),
    ];
    check("closed-after-exit", &prefix, "main", "p1", false);
}

#[test]
fn inherited_copy_created() {
    let prefix = [
        at("main", create("p1", Target::Block, None)),
        at("main", create("p2", Target::Agent, None)),
        start("p2"),
    ];
    check("inherited-copy-created", &prefix, "p2", "p1", true);
}

#[test]
fn inherited_copy_running() {
    let prefix = [
        at("main", create("p1", Target::Block, None)),
        start("p1"),
        at("main", create("p2", Target::Agent, None)),
        start("p2"),
    ];
    check("inherited-copy-running", &prefix, "p2", "p1", true);
}

#[test]
fn grandchild_of_daemon_agent() {
    let prefix = [
        at("main", create("p1", Target::Agent, Some(true))),
        start("p1"),
        at("p1", create("p2", Target::Block, Some(false))),
    ];
    check("grandchild-of-daemon-agent", &prefix, "p1", "p2", false);
}

#[test]
fn grandchild_running() {
    let prefix = [
        at("main", create("p1", Target::Agent, None)),
        start("p1"),
        at("p1", create("p2", Target::Block, None)),
        at("p1", Op::Start { p: r("p2") }),
    ];
    check("grandchild-running", &prefix, "p1", "p2", false);
}

#[test]
fn lingering_agent() {
    let prefix = [
        at("main", create("p1", Target::Agent, None)),
        start("p1"),
        at("p1", create("p2", Target::IgnoreSigterm, Some(true))),
        at("p1", Op::Start { p: r("p2") }),
        at("main", Op::Release { p: r("p1") }),
    ];
    check("lingering-agent", &prefix, "main", "p1", false);
}

#[test]
fn stuck_agent() {
    let prefix = [
        at("main", create("p1", Target::Agent, None)),
        start("p1"),
        at("p1", create("p2", Target::Block, None)),
        at("p1", Op::Start { p: r("p2") }),
        at("main", Op::Release { p: r("p1") }),
    ];
    check("stuck-agent", &prefix, "main", "p1", false);
}
