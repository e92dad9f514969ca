//! The model: a pure, total oracle of the Process lifecycle.
//!
//! [`World`] is the state of every process object and every OS process of a
//! run, as far as the runner can know it. [`transition`] maps a world and a
//! [`Step`](crate::vocab::Step) to every outcome an implementation may show, each with the
//! clause that demands it and the world that follows. Timing is explicit: a
//! child that was released "may or may not have exited" until something
//! observes it, so `is_alive()` on it allows both answers and the answer
//! given decides the next world.
//!
//! **Invariants** (tested in `spec/tests/model.rs`):
//! - the model does no I/O and never panics, whatever the step;
//! - an arm whose outcome is an error has `next == *world`
//!   (`error.no-effect`);
//! - a step that no implementation can run (an op at a process that does
//!   not serve ops, an unknown ref, a join that would block forever) is
//!   [`Invalid`], not an outcome.

mod apply;
mod world;

pub use apply::transition;
pub use world::{Handle, Key, Life, Proc, World, MAIN_NAME};

use crate::vocab::{Outcome, Value};
use std::fmt;

/// What an implementation may answer: a concrete outcome, or a pattern for
/// values the model cannot know (pids, sentinels, the random root authkey).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expect {
    /// Exactly this outcome.
    Is(Outcome),
    /// `Ok(Pid(_))`, any pid.
    AnyPid,
    /// `Ok(Sentinel(_))`, any sentinel.
    AnySentinel,
    /// `Ok(Authkey(fp))` where `fp` is the main process's random key: the
    /// same fingerprint every time it is observed in one run.
    RootAuthkey,
}

impl Expect {
    /// Whether `observed` is allowed by this pattern. `root_key` is the
    /// fingerprint of the main process's key once it has been observed.
    pub fn matches(&self, observed: &Outcome, root_key: Option<&str>) -> bool {
        match (self, observed) {
            (Expect::Is(e), o) => e == o,
            (Expect::AnyPid, Outcome::Ok(Value::Pid(_))) => true,
            (Expect::AnySentinel, Outcome::Ok(Value::Sentinel(_))) => true,
            (Expect::RootAuthkey, Outcome::Ok(Value::Authkey(fp))) => {
                root_key.is_none_or(|k| k == fp)
            }
            _ => false,
        }
    }

    /// Whether this arm is an error outcome.
    pub fn is_err(&self) -> bool {
        matches!(self, Expect::Is(Outcome::Err(_)))
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Is(o) => write!(f, "{o}"),
            Expect::AnyPid => f.write_str("ok <pid>"),
            Expect::AnySentinel => f.write_str("ok <sentinel>"),
            Expect::RootAuthkey => f.write_str("ok authkey:<main's key>"),
        }
    }
}

/// One allowed outcome of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    /// What may be observed.
    pub expect: Expect,
    /// The clause that demands (or, for `impl` clauses, permits) it; `None`
    /// for the runner's own control ops (`release`, `orphans`).
    pub clause: Option<&'static str>,
    /// The world after the step, if this outcome is observed.
    pub next: World,
}

/// A step the model refuses: no implementation can be asked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Pick the arm an observation follows. When several arms allow it (the
/// same outcome with different knowledge), the first wins: arms are
/// ordered so that it is the one that learns least.
pub fn follow<'a>(arms: &'a [Arm], observed: &Outcome, root_key: Option<&str>) -> Option<&'a Arm> {
    arms.iter().find(|a| a.expect.matches(observed, root_key))
}
