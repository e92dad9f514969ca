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
mod blame;
mod os;
mod world;

pub use apply::{transition, EVENTUALLY_MS};
// `discriminates` and `follow` below are the checker's two questions.
pub use blame::{blame, facts_read, value_rule};
pub use os::{
    failure_starts_nothing, judge_failed_start, judge_pid, judge_reaped, must_be_reaped,
    orphan_candidates, OsViolation,
};
pub use world::{Handle, Key, Life, Proc, Why, World, MAIN_NAME};

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
    /// `Ok(Int(n))` with `n >= min` (the length of a random key).
    IntAtLeast(i64),
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
            (Expect::IntAtLeast(min), Outcome::Ok(Value::Int(n))) => n >= min,
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
            Expect::IntAtLeast(min) => write!(f, "ok >={min}"),
        }
    }
}

/// When an outcome may be observed: bounds on the op's elapsed time, as the
/// adapter measured it around the call on a monotonic clock. The model
/// states bounds only where the docs speak of time (a join's timeout, a
/// wait's deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timing {
    /// The op returns no earlier than this (a lower bound cannot flake).
    pub min_ms: Option<u64>,
    /// The op returns strictly earlier than this (an early return is what
    /// tells this arm from a timed-out one); no slack.
    pub below_ms: Option<u64>,
    /// The op returns no later than this plus the run's slack.
    pub max_ms: Option<u64>,
}

/// Tolerance for clocks that round: an elapsed time this much under a lower
/// bound still meets it.
pub const CLOCK_TOLERANCE_MS: f64 = 1.0;

impl Timing {
    /// No bound at all.
    pub const ANY: Timing = Timing {
        min_ms: None,
        below_ms: None,
        max_ms: None,
    };

    /// Returns after `ms` (a timeout that expires): in `[ms, ms + slack]`.
    pub fn after(ms: u64) -> Timing {
        Timing {
            min_ms: Some(ms),
            below_ms: None,
            max_ms: Some(ms),
        }
    }

    /// Returns before `ms` is up.
    pub fn before(ms: u64) -> Timing {
        Timing {
            min_ms: None,
            below_ms: Some(ms),
            max_ms: None,
        }
    }

    /// Whether an op that took `elapsed_ms` meets these bounds, with
    /// `slack_ms` allowed over `max_ms`. An unknown elapsed time meets
    /// every bound: the model cannot judge what was not measured.
    pub fn admits(&self, elapsed_ms: Option<f64>, slack_ms: u64) -> bool {
        let Some(e) = elapsed_ms else {
            return true;
        };
        self.min_ms
            .is_none_or(|m| e + CLOCK_TOLERANCE_MS >= m as f64)
            && self.below_ms.is_none_or(|b| e < b as f64)
            && self.max_ms.is_none_or(|m| e <= (m + slack_ms) as f64)
    }

    /// Whether no bound is set.
    pub fn is_any(&self) -> bool {
        *self == Timing::ANY
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(m) = self.min_ms {
            parts.push(format!("not before {m} ms"));
        }
        if let Some(b) = self.below_ms {
            parts.push(format!("before {b} ms"));
        }
        if let Some(m) = self.max_ms {
            parts.push(format!("by {m} ms + slack"));
        }
        f.write_str(&parts.join(", "))
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
    /// When the outcome may be observed.
    pub timing: Timing,
}

impl Arm {
    /// The arm rendered for people: outcome, timing and clause.
    pub fn describe(&self) -> String {
        let mut s = self.expect.to_string();
        if !self.timing.is_any() {
            s.push_str(&format!(" ({})", self.timing));
        }
        if let Some(c) = self.clause {
            s.push_str(&format!(" [{c}]"));
        }
        s
    }
}

/// A step the model refuses: no implementation can be asked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The clauses an outcome under `clause` also checks: the invariants and
/// return-value rules that hold whenever that rule does (Elle reports the
/// weakest violated property and every stronger one it implies; here a
/// checked rule vouches for the weaker ones it contains).
pub fn implied(clause: &str) -> &'static [&'static str] {
    match clause {
        "start.once" => &["invariant.single-start"],
        "join.parent-only" | "is-alive.parent-only" => &["invariant.parent-child"],
        "daemon.no-children" => &["invariant.daemon-restriction"],
        "close.requires-exit" => &["invariant.close-requires-exit"],
        // "The initial name is set by the constructor": the rule of which
        // these two say how (a given name, else the default form).
        "name.default-form" => &["invariant.identity-chain", "name.initial"],
        "construct.name" => &["name.initial"],
        "authkey.no-pickle" => &["invariant.authkey-security"],
        "join.blocks" | "join.timeout" | "join.many-times" => &["join.returns-none"],
        "active-children.live" => &["active-children.joins-finished"],
        "terminate.orphans" => &["terminate.no-exit-handlers"],
        _ => &[],
    }
}

/// Whether a step with these arms can fail: an implementation that is
/// wrong could answer something none of them allows. A step where the
/// model allows both `true` and `false` at any time, or both a value and
/// an error under one clause ("either answer"), checks nothing, so the
/// clause it cites is not counted as checked there.
pub fn discriminates(arms: &[Arm]) -> bool {
    let untimed_bool = |b: bool| {
        arms.iter()
            .any(|a| a.timing.is_any() && a.expect == Expect::Is(Outcome::Ok(Value::Bool(b))))
    };
    if untimed_bool(true) && untimed_bool(false) {
        return false;
    }
    let either = arms.iter().any(|a| {
        !a.expect.is_err()
            && a.clause.is_some()
            && arms
                .iter()
                .any(|b| b.expect.is_err() && b.clause == a.clause)
    });
    !either
}

/// Pick the arm an observation follows. When several arms allow it (the
/// same outcome with different knowledge), the first wins: arms are
/// ordered so that it is the one that learns least. `elapsed_ms` is how long
/// the op took (`None`: not measured), `slack_ms` the run's allowance over
/// an upper time bound.
pub fn follow<'a>(
    arms: &'a [Arm],
    observed: &Outcome,
    root_key: Option<&str>,
    elapsed_ms: Option<f64>,
    slack_ms: u64,
) -> Option<&'a Arm> {
    arms.iter()
        .find(|a| a.expect.matches(observed, root_key) && a.timing.admits(elapsed_ms, slack_ms))
}
