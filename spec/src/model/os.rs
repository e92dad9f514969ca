//! The rules the runner checks against the operating system rather than
//! against an op's answer: what a pid must name, which ended children must
//! have been reaped, what a failed start may leave behind, which processes
//! an `orphans` count looks at.
//!
//! The runner gathers the facts (a process-tree snapshot, a process's
//! state); these functions decide, from the [`World`], whether a rule
//! applies and which clause a violation breaks. So every verdict of a run
//! comes from the model, as for op answers (ARCHITECTURE.md: "only the
//! model decides"), and each rule is testable without processes
//! (`spec/tests/os_rules.rs`).

use super::world::{Life, Why, World};
use crate::vocab::{Op, Ref, Step};

/// An OS fact that breaks a rule: the clause, and the wording of the
/// failure (what was expected, what the runner saw, one sentence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsViolation {
    /// The clause broken.
    pub clause: &'static str,
    /// What the rule demands.
    pub expected: String,
    /// What the runner saw.
    pub observed: String,
    /// The failure in one sentence.
    pub message: String,
    /// Whether the judged step itself is the root of the failure (it
    /// established what it broke), rather than an earlier step.
    pub rooted_here: bool,
    /// The earlier step and rule that established what was broken, when
    /// known (the op that saw a process end, for a zombie).
    pub root: Option<Why>,
}

/// `pid.process-id` on an answered pid. `known` is the pid first seen for
/// the same process in this run (the answer must not change);
/// `live_below_runner` tells whether a pid names a live (not zombie)
/// process below the runner, asked only when the model knows the process
/// is running and it is not the asker itself (the main process's own pid
/// is the runner's for an in-process adapter; a process that may have
/// ended may have been reaped, freeing its pid).
pub fn judge_pid(
    world: &World,
    step: &Step,
    answered: u32,
    known: Option<u32>,
    live_below_runner: impl FnOnce(u32) -> bool,
) -> Result<(), Box<OsViolation>> {
    let Op::Pid { p } = &step.op else {
        return Ok(());
    };
    if let Some(known) = known.filter(|k| *k != answered) {
        return Err(Box::new(OsViolation {
            clause: "pid.process-id",
            expected: format!("ok pid {known}"),
            observed: format!("ok pid {answered}"),
            message: format!("the pid of {p} changed from {known} to {answered}"),
            rooted_here: false,
            root: None,
        }));
    }
    let surely_running = world.procs.get(p).is_some_and(|x| x.life.is_running());
    if *p == step.at || !surely_running || live_below_runner(answered) {
        return Ok(());
    }
    Err(Box::new(OsViolation {
        clause: "pid.process-id",
        expected: "the pid of a live process below the runner".into(),
        observed: format!("pid {answered}"),
        message: format!(
            "`{step}` answered pid {answered}, but {p} is running and no live process below the runner has that pid"
        ),
        rooted_here: false,
        root: None,
    }))
}

/// Whether `p` must have been reaped by now: the model says its creator
/// saw it end (joined or polled it: `Exited`), and the creator is still
/// there to have done it (main, or an agent serving ops).
pub fn must_be_reaped(world: &World, p: &Ref) -> bool {
    let Some(x) = world.procs.get(p) else {
        return false;
    };
    let creator_acts = x.parent.is_main()
        || world
            .procs
            .get(&x.parent)
            .is_some_and(|c| c.life == Life::Serving);
    matches!(x.life, Life::Exited(_)) && creator_acts
}

/// The OS state of `p` (pid `pid`): a process its creator saw end may
/// not linger as a zombie (`join()`, the polls that report an exit code
/// and `active_children()` reap the child). The rule broken is the one of
/// the op that saw the end (`Proc::seen_ended_why`), at its step.
pub fn judge_reaped(
    world: &World,
    p: &Ref,
    pid: u32,
    zombie: bool,
) -> Result<(), Box<OsViolation>> {
    if !zombie || !must_be_reaped(world, p) {
        return Ok(());
    }
    let why = world
        .procs
        .get(p)
        .map(|x| x.seen_ended_why)
        .unwrap_or_default();
    let clause = if why.clause == "model" {
        "join.blocks"
    } else {
        why.clause
    };
    Err(Box::new(OsViolation {
        clause,
        expected: "reaped".into(),
        observed: "zombie".into(),
        message: format!(
            "{p} (pid {pid}) was seen to end by its creator, but it is still a zombie"
        ),
        rooted_here: false,
        root: why.step.map(|step| Why {
            clause,
            step: Some(step),
        }),
    }))
}

/// Whether a failure of `op` must leave the process tree as it was: a
/// start that fails starts nothing.
pub fn failure_starts_nothing(op: &Op) -> bool {
    matches!(op, Op::Start { .. } | Op::StartSkippingInit)
}

/// The rule on the processes `new` that appeared below the runner during
/// a failed `step` (ops run one at a time, so only that step can have made
/// them): `error.no-effect`, or for a subclass that skipped `__init__`,
/// `construct.subclass-init-skipped` (refusing is allowed, refusing after
/// starting a child is not). The step is its own root.
pub fn judge_failed_start(step: &Step, new: &[u32]) -> Result<(), Box<OsViolation>> {
    if new.is_empty() || !failure_starts_nothing(&step.op) {
        return Ok(());
    }
    let clause = match step.op {
        Op::StartSkippingInit => "construct.subclass-init-skipped",
        _ => "error.no-effect",
    };
    Err(Box::new(OsViolation {
        clause,
        expected: "no new process".into(),
        observed: format!("new process(es) {new:?}"),
        message: format!("`{step}` failed, yet started process(es) {new:?}"),
        rooted_here: true,
        root: None,
    }))
}

/// The processes an `orphans` op counts when they are still alive: those
/// whose creator has died or is dying.
pub fn orphan_candidates(world: &World) -> impl Iterator<Item = &Ref> {
    world
        .procs
        .iter()
        .filter(|(_, x)| !x.parent.is_main() && world.dead_or_dying(&x.parent).1)
        .map(|(r, _)| r)
}
