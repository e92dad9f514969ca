//! The suite proves it catches bugs: the reference with one rule broken at
//! a time must make the state machine fail, naming that rule's clause, with
//! a shrunk sequence of at most five ops. And the leak guard is seen to
//! catch an adapter that leaves a process and a file descriptor behind.
//!
//! Each mutant wraps the real reference adapter and changes only what the
//! rule is about, the way a real bug would (proptest's heap example teaches
//! with `pop_wrong` the same way).
//!
//! Unix only: the reference adapter and remote adapters need fork and pipes passed by number.
#![cfg(unix)]

use procspec_harness::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_harness::machine::{run_machine, MachineConfig};
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_harness::suite;
use procspec_reference::StartMethod;
use procspec_spec::results::Status;
use procspec_spec::vocab::{ErrorKind, Op, Outcome, Step, Value};

/// Which rule the mutant breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bug {
    /// A second `start()` "succeeds" (the error is swallowed).
    StartTwice,
    /// `join()` from a process that did not create the object succeeds.
    JoinFromNonParent,
    /// A daemonic process's `start()` of a child reports success.
    DaemonChildren,
    /// `close()` of a running process reports success.
    CloseRunning,
    /// `close()` of a running process raises, as it should, but kills the
    /// child first: a failing op with an effect.
    FailureWithEffect,
}

struct Mutant {
    inner: ReferenceAdapter,
    bug: Bug,
}

impl Adapter for Mutant {
    fn info(&self) -> &AdapterInfo {
        self.inner.info()
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        let observed = self.inner.apply(step)?;
        let lie = Observed::plain(Outcome::NONE);
        Ok(match (self.bug, &step.op, &observed.outcome) {
            (Bug::StartTwice, Op::Start { .. }, Outcome::Err(ErrorKind::AlreadyStarted)) => lie,
            (Bug::JoinFromNonParent, Op::Join { p, .. }, Outcome::Err(ErrorKind::NotParent))
                if *p != step.at =>
            {
                lie
            }
            (Bug::DaemonChildren, Op::Start { .. }, Outcome::Err(ErrorKind::DaemonicChildren)) => {
                lie
            }
            (Bug::CloseRunning, Op::Close { .. }, Outcome::Err(ErrorKind::StillRunning)) => lie,
            (Bug::FailureWithEffect, Op::Close { p }, Outcome::Err(ErrorKind::StillRunning)) => {
                let at = step.at.clone();
                self.inner.apply(&Step {
                    at: at.clone(),
                    op: Op::Kill { p: p.clone() },
                })?;
                self.inner.apply(&Step {
                    at,
                    op: Op::Join {
                        p: p.clone(),
                        timeout_ms: None,
                    },
                })?;
                observed
            }
            _ => observed,
        })
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        self.inner.reset()
    }

    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }
}

fn check(bug: Bug, clause: &str) {
    register_targets();
    let _lock = suite::lock();
    let mut mutant = Mutant {
        inner: ReferenceAdapter::new(StartMethod::Fork),
        bug,
    };
    let mut config = MachineConfig::new(mutant.info().capabilities.clone());
    config.sequences = 256;
    let run = run_machine(&mut mutant, &config);
    let failure = run
        .failure
        .unwrap_or_else(|| panic!("{bug:?}: {} sequences did not catch the bug", run.sequences));
    assert_eq!(failure.status, Status::Fail, "{bug:?}: {failure:?}");
    assert_eq!(
        failure.clauses,
        vec![clause.to_string()],
        "{bug:?} named the wrong clause: {failure:?}"
    );
    assert!(
        failure.ops.len() <= 5,
        "{bug:?}: the shrunk sequence has {} ops:\n{}",
        failure.ops.len(),
        suite::render_ops(&failure.ops)
    );
}

#[test]
fn start_twice_is_caught() {
    check(Bug::StartTwice, "start.once");
}

#[test]
fn join_from_non_parent_is_caught() {
    check(Bug::JoinFromNonParent, "join.parent-only");
}

#[test]
fn daemonic_children_are_caught() {
    check(Bug::DaemonChildren, "daemon.no-children");
}

#[test]
fn close_while_running_is_caught() {
    check(Bug::CloseRunning, "close.requires-exit");
}

#[test]
fn failure_with_effect_is_caught() {
    check(Bug::FailureWithEffect, "error.no-effect");
}

/// An adapter that leaves a blocked child process and an open file behind
/// after every op it answers.
struct Leaky {
    inner: ReferenceAdapter,
}

impl Adapter for Leaky {
    fn info(&self) -> &AdapterInfo {
        self.inner.info()
    }
    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        if matches!(step.op, Op::Start { .. }) {
            // A child that blocks reading a pipe nobody will write to, and
            // the write end of that pipe: both forgotten.
            let child = std::process::Command::new("cat")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn cat");
            std::mem::forget(child);
        }
        self.inner.apply(step)
    }
    fn reset(&mut self) -> Result<(), AdapterFailure> {
        self.inner.reset()
    }
    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }
}

#[test]
fn leak_guard_catches_a_leaking_adapter() {
    register_targets();
    let _lock = suite::lock();
    let mut leaky = Leaky {
        inner: ReferenceAdapter::new(StartMethod::Fork),
    };
    let mut config = MachineConfig::new(leaky.info().capabilities.clone());
    config.sequences = 16;
    let run = run_machine(&mut leaky, &config);
    let failure = run.failure.expect("the leak guard failed the run");
    let message = failure.message.unwrap_or_default();
    assert!(message.contains("leaked 1 process(es)"), "{message}");
    assert!(message.contains("1 file descriptor(s)"), "{message}");
    assert!(
        run.leaks.processes >= 1 && run.leaks.fds >= 1,
        "{:?}",
        run.leaks
    );
    // The guard killed and reaped what it found.
    let me = std::process::id().to_string();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|s| {
            s.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().nth(1))
                == Some(me.as_str())
        })
        .collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
    let _ = Value::None;
}

/// `join()` that waits for the child's end but does not reap it.
struct NoReap {
    inner: ReferenceAdapter,
}

impl Adapter for NoReap {
    fn info(&self) -> &AdapterInfo {
        self.inner.info()
    }
    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        if let Op::Join {
            p,
            timeout_ms: None,
        } = &step.op
        {
            let wait = Op::WaitSentinel {
                p: p.clone(),
                timeout_ms: 10_000,
            };
            self.inner.apply(&Step {
                at: step.at.clone(),
                op: wait,
            })?;
            return Ok(Observed::plain(Outcome::NONE));
        }
        self.inner.apply(step)
    }
    fn reset(&mut self) -> Result<(), AdapterFailure> {
        self.inner.reset()
    }
    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }
}

#[test]
fn a_join_that_does_not_reap_is_caught() {
    use procspec_harness::check::{Checker, Stop};
    use procspec_spec::vocab::{Ref, Target};
    register_targets();
    let _lock = suite::lock();
    let mut adapter = NoReap {
        inner: ReferenceAdapter::new(StartMethod::Fork),
    };
    let p = Ref::from("p1");
    let at = |op| Step {
        at: Ref::main(),
        op,
    };
    let steps = [
        at(Op::Create {
            id: p.clone(),
            name: None,
            daemon: None,
            target: Target::Return,
            group: None,
        }),
        at(Op::Start { p: p.clone() }),
        at(Op::Pid { p: p.clone() }),
        at(Op::Join {
            p: p.clone(),
            timeout_ms: None,
        }),
    ];
    let stop = {
        let mut checker = Checker::new(&mut adapter, true);
        steps.iter().find_map(|s| checker.step(s, None).err())
    };
    adapter.reset().unwrap();
    match stop {
        Some(Stop::Mismatch(m)) => {
            assert_eq!(m.clause, "join.blocks");
            assert!(m.message.contains("still a zombie"), "{}", m.message);
        }
        other => panic!("the unreaped child was not caught: {other:?}"),
    }
}
