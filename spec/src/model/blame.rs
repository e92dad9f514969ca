//! Root-clause blame: which fact of the world a step reads, and so which
//! clause (and step) established the expectation an observation violated.
//!
//! A wrong exit code is usually *seen* by a later op (`exitcode`,
//! `is_alive`) but *caused* by the op that made the model expect it
//! (`terminate()` must send SIGTERM, so the code is -15). The observing
//! op's clause says where the violation showed; the root clause says which
//! rule was broken. Elle's anomaly explanations work the same way: the
//! weakest violated property first, with the operations that prove it.

use super::world::{Why, World};
use crate::vocab::{Op, Outcome, Step, Value};

/// The provenance of the fact `step` reads in `world` (the world before the
/// step), if it reads one the model established at an earlier step: the
/// exit codes or liveness of a process, a name, a daemon flag, a key, the
/// started or closed state of an object.
pub fn blame(world: &World, step: &Step) -> Option<Why> {
    if step.op == Op::Orphans {
        // Whether a process outlived its creator was decided by what ended
        // it (a daemonic child terminated at its creator's exit, a
        // signal), if anything did.
        if let Some(ended) = orphan_candidates(world)
            .map(|x| x.life_why)
            .find(|w| ENDERS.contains(&w.clause))
        {
            return Some(ended);
        }
        // A daemonic child still running after its creator was signalled
        // lives on because the signal ran no exit handler (which would have
        // terminated it): the rule of that signal's step.
        return orphan_candidates(world).find_map(|x| {
            let creator = world.procs.get(&x.parent)?;
            let signalled =
                ["terminate.sigterm", "kill.sigkill"].contains(&creator.life_why.clause);
            (x.daemon && x.life.is_running() && signalled).then_some(Why {
                clause: "terminate.no-exit-handlers",
                step: creator.life_why.step,
            })
        });
    }
    let at = &step.at;
    let me = world.procs.get(at).filter(|_| !at.is_main());
    match &step.op {
        Op::CurrentProcess => return me.map(|x| x.name_why),
        Op::ParentProcess => {
            let parent = &me?.parent;
            return world
                .procs
                .get(parent)
                .filter(|_| !parent.is_main())
                .map(|x| x.name_why);
        }
        _ => {}
    }
    let p = step.op.subject()?;
    read_by_subject(world, at, p, step)
}

/// The clause that fixes the *value* an op returns whenever it succeeds,
/// whatever the state: `join()` returns `None` (`join.returns-none`). An
/// observation that succeeded with another value broke that rule, not the
/// rule of the arm (`join.blocks`, `join.timeout`) whose timing it may
/// otherwise have honoured; the checker names it when no arm allows the
/// outcome and every arm that succeeds agrees on the value.
pub fn value_rule(step: &Step, observed: &Outcome) -> Option<&'static str> {
    match (&step.op, observed) {
        (Op::Join { .. }, Outcome::Ok(v)) if *v != Value::None => Some("join.returns-none"),
        _ => None,
    }
}

/// Clauses that end a process from outside: a wrong liveness after one of
/// them is that clause's failure.
const ENDERS: &[&str] = &[
    "daemon.terminated-at-exit",
    "terminate.sigterm",
    "kill.sigkill",
    "error.no-effect",
];

/// Processes whose creator has died or is dying: what `orphans` counts.
fn orphan_candidates(world: &World) -> impl Iterator<Item = &super::world::Proc> {
    super::os::orphan_candidates(world).filter_map(|r| world.procs.get(r))
}

/// Every fact `step` reads in `world` and the clause that established it:
/// what a discriminating observation at this step checks besides its own
/// clause.
pub fn facts_read(world: &World, step: &Step) -> Vec<Why> {
    if step.op == Op::Orphans {
        return orphan_candidates(world).map(|x| x.life_why).collect();
    }
    blame(world, step).into_iter().collect()
}

fn read_by_subject(
    world: &World,
    at: &crate::vocab::Ref,
    p: &crate::vocab::Ref,
    step: &Step,
) -> Option<Why> {
    let me = world.procs.get(at).filter(|_| !at.is_main());
    if p == at {
        let x = me?;
        return match &step.op {
            Op::Name { .. } => Some(x.name_why),
            Op::Daemon { .. } => Some(x.daemon_why),
            Op::Authkey { .. } => Some(x.key_why),
            Op::AuthkeyLength { .. } => Some(length_why(&x.key, x.key_why)),
            _ => None,
        };
    }
    let h = world.handles.get(&(at.clone(), p.clone()))?;
    let proc = world.procs.get(p).filter(|_| h.started);
    let life = proc.map(|x| x.life_why);
    // A process the model knows runs (blocked, ignoring SIGTERM, serving):
    // seen ended, it is the rule that made it run on (its target, a
    // SIGTERM it ignores) that broke, not the observer's.
    // (A target that blocks is `is-alive.lifetime`'s own case: the
    // observer's rule, as every other end seen.)
    let running = proc
        .filter(|x| x.life.is_running())
        .map(|x| x.life_why)
        .filter(|w| w.clause != "is-alive.lifetime");
    match &step.op {
        Op::Name { .. } => Some(h.name_why),
        Op::Daemon { .. } => Some(h.daemon_why),
        Op::Authkey { .. } => Some(h.key_why),
        Op::AuthkeyLength { .. } => Some(length_why(&h.key, h.key_why)),
        // Whether close() freed the descriptor is close()'s own rule.
        Op::SentinelOpen { .. } => None,
        _ if h.closed => Some(h.state_why),
        // The exit code's value was fixed by whatever made the process end
        // (its target, a signal): a wrong value is that rule's failure.
        // A process that runs has no code yet, and an unstarted object
        // none at all (`exitcode.none-while-running`, the observer's rule),
        // unless an op that failed should have left it so.
        Op::Exitcode { .. } => match proc {
            Some(x) if !x.life.is_running() => life,
            // (An exit code, unlike an end seen, is a value: one read
            // while the model knows the process runs is the observer's.)
            Some(_) => life.filter(|w| w.clause == "error.no-effect"),
            None => Some(h.state_why).filter(|w| w.clause == "error.no-effect"),
        },
        // An end seen of a process that cannot have ended (`running`).
        Op::IsAlive { .. } | Op::WaitSentinel { .. } | Op::Await { .. } if running.is_some() => {
            running
        }
        // Whether the end is *seen* (is_alive, a sentinel, a join's
        // timing) is the observing op's own rule, unless the end was owed
        // to an op that failed and should have changed nothing.
        Op::IsAlive { .. }
        | Op::Join { .. }
        | Op::WaitSentinel { .. }
        | Op::Await { .. }
        | Op::Close { .. }
        | Op::Terminate { .. }
        | Op::Kill { .. } => life.filter(|w| w.clause == "error.no-effect"),
        // Whether start() may run, pid or sentinel exist: the op's own
        // rule, unless an op that failed should have left the state alone.
        Op::Start { .. } | Op::Pid { .. } | Op::Sentinel { .. } | Op::Run { .. } => {
            Some(h.state_why).filter(|w| w.clause == "error.no-effect")
        }
        _ => None,
    }
}

/// The provenance of a key's length: for a key set from bytes, the step
/// that set it, under `authkey.bytes` (a key is the bytes given, so its
/// length is theirs); the key's own provenance otherwise.
fn length_why(key: &super::world::Key, why: Why) -> Why {
    match key {
        super::world::Key::Set(..) if why.clause == "authkey.settable" => Why {
            clause: "authkey.bytes",
            step: why.step,
        },
        _ => why,
    }
}
