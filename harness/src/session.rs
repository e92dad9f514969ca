//! One run of steps against an adapter, from a clean start to a checked
//! end: the loop every caller shares (the case runner, the state machine
//! and its replays, and so `conformance_suite!`).
//!
//! - [`Session::begin`] resets the adapter (bringing a discarded one back
//!   to life, so its own pipes are not counted) and only then takes the
//!   leak guard's baseline;
//! - [`Session::step`] asks the model once for the step's transition, runs
//!   the step and holds the outcome to it; [`Session::step_avoiding`]
//!   first skips a step the model refuses in the world reached, or one
//!   that would exercise a clause to steer around;
//! - [`Session::finish`] records the steps and why they stopped in the
//!   result, resets the adapter and checks for leaks (a leak fails the
//!   result, and discards the adapter).

// A `Stop` is made at most once per run of steps, never in a loop: its
// size does not matter.
#![allow(clippy::result_large_err)]

use crate::adapter::Adapter;
use crate::check::{Checker, Coverage, Stop};
use crate::guard::{LeakGuard, Leaks};
use procspec_spec::results::{Blame, CaseResult, Status};
use procspec_spec::vocab::{Outcome, Step};

/// What became of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// It ran and its outcome is allowed: go on.
    Ran,
    /// It was not run (refused by the model here, or steered around).
    Skipped,
    /// The session stopped on it (a mismatch, an adapter failure, a step
    /// the model refuses): run no more steps.
    Stopped,
}

/// A run of steps in progress.
pub struct Session<'a, A: Adapter + ?Sized> {
    checker: Checker<'a, A>,
    guard: LeakGuard,
    stop: Option<Stop>,
}

impl<'a, A: Adapter + ?Sized> Session<'a, A> {
    /// Reset the adapter and start the leak guard. `inherit_handles`:
    /// whether agents started by fork hold copies of their creator's
    /// objects.
    pub fn begin(adapter: &'a mut A, inherit_handles: bool) -> Self {
        let _ = adapter.reset();
        let guard = LeakGuard::start(adapter.held_descriptors(), adapter.own_pids());
        Session {
            checker: Checker::new(adapter, inherit_handles),
            guard,
            stop: None,
        }
    }

    /// Run `step`; `expect` is a case's stated outcome, if any. A step the
    /// model refuses stops the session.
    pub fn step(&mut self, step: &Step, expect: Option<&Outcome>) -> Flow {
        if self.stop.is_some() {
            return Flow::Stopped;
        }
        let r = self
            .checker
            .transition(step)
            .and_then(|arms| self.checker.step_with(step, &arms, expect));
        self.flow(r)
    }

    /// Run `step` unless the model refuses it in the world reached or it
    /// would exercise a clause of `avoid` (then it is skipped).
    pub fn step_avoiding(&mut self, step: &Step, avoid: &[String]) -> Flow {
        if self.stop.is_some() {
            return Flow::Stopped;
        }
        let Ok(arms) = self.checker.transition(step) else {
            return Flow::Skipped;
        };
        if crate::check::avoids(avoid, &arms) {
            return Flow::Skipped;
        }
        let r = self.checker.step_with(step, &arms, None);
        self.flow(r)
    }

    fn flow(&mut self, r: Result<(), Stop>) -> Flow {
        match r {
            Ok(()) => Flow::Ran,
            Err(stop) => {
                self.stop = Some(stop);
                Flow::Stopped
            }
        }
    }

    /// Whether a step stopped the session.
    pub fn stopped(&self) -> bool {
        self.stop.is_some()
    }

    /// End the session: the steps and why they stopped go into `result`,
    /// the adapter is reset and the leak guard checks that nothing was
    /// left. Returns what the steps exercised, and the leaks.
    pub fn finish(self, result: &mut CaseResult) -> (Coverage, Leaks) {
        let (adapter, records, coverage) = self.checker.into_parts();
        result.ops = records;
        if let Some(stop) = self.stop {
            apply_stop(result, stop);
        }
        let leaks = finish(adapter, &self.guard, result);
        (coverage, leaks)
    }
}

/// Record why a run of steps stopped.
fn apply_stop(result: &mut CaseResult, stop: Stop) {
    match stop {
        Stop::Mismatch(m) => {
            result.status = Status::Fail;
            // Root first, then the observing op's clause.
            let mut clauses = Vec::new();
            if let Some(root) = &m.root {
                clauses.push(root.clause.clone());
            }
            if !clauses.contains(&m.clause) {
                clauses.push(m.clause.clone());
            }
            result.root = Some(m.root.clone().unwrap_or(Blame {
                clause: m.clause.clone(),
                step: m.step,
            }));
            result.observer = Some(Blame {
                clause: m.clause,
                step: m.step,
            });
            result.clauses = clauses;
            result.expected = m.expected;
            result.observed = Some(m.observed);
            result.message = Some(m.message);
        }
        Stop::Adapter(f) => {
            result.status = match f {
                crate::AdapterFailure::Timeout { .. } => Status::Timeout,
                crate::AdapterFailure::Crash { .. } => Status::Crash,
            };
            result.message = Some(f.to_string());
        }
        Stop::Invalid(m) => {
            result.status = Status::Crash;
            result.message = Some(format!("the model cannot run this step: {m}"));
        }
    }
}

/// Reset the adapter and check for leaks: a leak fails the result.
fn finish<A: Adapter + ?Sized>(
    adapter: &mut A,
    guard: &LeakGuard,
    result: &mut CaseResult,
) -> crate::guard::Leaks {
    if let Err(e) = adapter.reset() {
        if result.status == Status::Pass {
            result.status = Status::Crash;
            result.message = Some(format!("reset failed: {e}"));
        }
    }
    let leaks = guard.finish(&adapter.own_pids(), adapter.held_descriptors());
    if !leaks.is_empty() {
        // What the guard could not reap belongs to the adapter's processes:
        // discard the adapter so the next case starts clean.
        adapter.discard();
        crate::guard::kill_descendants_except(&adapter.own_pids());
    }
    if !leaks.is_empty() && result.status == Status::Pass {
        result.status = Status::Fail;
        result.message = Some(leaks.describe());
    }
    leaks
}
