//! The checker: runs steps against an adapter and holds every outcome to the
//! model.
//!
//! The checker follows the model through the outcomes it observes: where
//! the model allows several (a released child may or may not have exited),
//! the observed one decides the next world. On top of the per-step check it
//! keeps the run-level invariants: a pid does not change while its process
//! lives, the main process's authkey is one key, and after an op fails a
//! probe (`is_alive`) confirms the failure changed nothing
//! (`error.no-effect`).

// A `Stop` is made at most once per run of steps, never in a loop: its
// size does not matter.
#![allow(clippy::result_large_err)]

use crate::adapter::{Adapter, AdapterFailure, Observed};
use procspec_spec::model::{self, Arm, World};
use procspec_spec::results::{Blame, StepRecord};
use procspec_spec::vocab::{Op, Outcome, Ref, Step, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The clause a no-effect probe checks.
pub const NO_EFFECT: &str = "error.no-effect";

/// The clauses `arms` (a step's transition) may exercise: see
/// [`crate::machine::exercised_clauses`].
pub fn clauses_of(arms: &[Arm]) -> BTreeSet<&'static str> {
    let mut out: BTreeSet<&'static str> = arms.iter().filter_map(|a| a.clause).collect();
    if arms.iter().any(|a| a.expect.is_err()) {
        out.insert(NO_EFFECT);
    }
    out
}

/// Whether a step with the transition `arms` would exercise a clause of
/// `avoid` (the state machine then skips it).
pub fn avoids(avoid: &[String], arms: &[Arm]) -> bool {
    !avoid.is_empty()
        && clauses_of(arms)
            .iter()
            .any(|c| avoid.iter().any(|a| a == c))
}

/// How much later than its upper time bound an op may return (a join's
/// timeout, a wait's deadline): generous, because a loaded CI machine
/// schedules late, never early. Lower bounds have no slack.
pub const DEFAULT_SLACK: Duration = Duration::from_millis(procspec_spec::results::DEFAULT_SLACK_MS);

/// The slack of every checker this process makes from now on (the
/// runner's `--timing-slack-ms`); a run records it in its `run_info`.
static SLACK_MS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(procspec_spec::results::DEFAULT_SLACK_MS);

/// Set the slack past upper time bounds for the checkers made from now on.
pub fn set_slack(slack: Duration) {
    SLACK_MS.store(
        slack.as_millis() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The slack past upper time bounds, in milliseconds.
pub fn slack_ms() -> u64 {
    SLACK_MS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Why a run of steps stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// An outcome the model (or the case) does not allow.
    Mismatch(Box<Mismatch>),
    /// The adapter failed to answer.
    Adapter(AdapterFailure),
    /// The step cannot be run in the world the run reached (a case that
    /// the model rejects).
    Invalid(String),
}

/// An outcome that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The clause of the observing op that was violated.
    pub clause: String,
    /// The step (index into the records) where it was observed.
    pub step: usize,
    /// The root clause, when another step established the violated
    /// expectation (`terminate.sigterm` for a wrong exit code seen by a
    /// later `exitcode`), and that step.
    pub root: Option<Blame>,
    /// The allowed outcomes, rendered.
    pub expected: Vec<String>,
    /// What was observed, rendered.
    pub observed: String,
    /// The native error message, if any, and what broke.
    pub message: String,
}

/// Which (state, op, outcome) triples and clauses a run exercised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// `(state of the subject, op name, outcome)` triples seen.
    pub triples: BTreeSet<(String, String, String)>,
    /// How often each clause was the reason for an observed outcome.
    pub clauses: BTreeMap<String, u64>,
}

impl Coverage {
    /// Add another run's coverage to this one.
    pub fn merge(&mut self, other: &Coverage) {
        self.triples.extend(other.triples.iter().cloned());
        for (c, n) in &other.clauses {
            *self.clauses.entry(c.clone()).or_default() += n;
        }
    }
}

/// Runs steps against one adapter from the model's initial world.
pub struct Checker<'a, A: Adapter + ?Sized> {
    adapter: &'a mut A,
    world: World,
    root_key: Option<String>,
    pids: BTreeMap<Ref, u32>,
    slack_ms: u64,
    /// Every step run so far, with its outcome.
    pub records: Vec<StepRecord>,
    /// What this run exercised.
    pub coverage: Coverage,
}

impl<'a, A: Adapter + ?Sized> Checker<'a, A> {
    /// A checker at the start of a run. `inherit_handles`: whether agents
    /// started by fork hold copies of their creator's objects.
    pub fn new(adapter: &'a mut A, inherit_handles: bool) -> Self {
        let class_name = adapter.info().class_name.clone();
        let platform = adapter.info().judged_platform();
        Checker {
            adapter,
            world: World::new(inherit_handles)
                .of_class(&class_name)
                .on(platform),
            root_key: None,
            pids: BTreeMap::new(),
            slack_ms: slack_ms(),
            records: Vec::new(),
            coverage: Coverage::default(),
        }
    }

    /// Allow `slack` past every upper time bound instead of
    /// [`DEFAULT_SLACK`].
    pub fn with_slack(mut self, slack: Duration) -> Self {
        self.slack_ms = slack.as_millis() as u64;
        self
    }

    /// The world the run has reached.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Whether `step` can be run in the world reached.
    pub fn can_run(&self, step: &Step) -> bool {
        model::transition(&self.world, step).is_ok()
    }

    /// What the model allows for `step` in the world reached, or why it
    /// cannot run there.
    pub fn transition(&self, step: &Step) -> Result<Vec<Arm>, Stop> {
        model::transition(&self.world, step).map_err(|e| Stop::Invalid(e.0))
    }

    /// Give the adapter back, with the steps run and what they exercised.
    pub fn into_parts(self) -> (&'a mut A, Vec<StepRecord>, Coverage) {
        (self.adapter, self.records, self.coverage)
    }

    /// Run one step; `expect` is a case's stated outcome, if any.
    pub fn step(&mut self, step: &Step, expect: Option<&Outcome>) -> Result<(), Stop> {
        let arms = self.transition(step)?;
        self.step_with(step, &arms, expect)
    }

    /// Run one step whose transition in the world reached is `arms`
    /// (from [`Checker::transition`]: the model is asked once a step).
    pub fn step_with(
        &mut self,
        step: &Step,
        arms: &[Arm],
        expect: Option<&Outcome>,
    ) -> Result<(), Stop> {
        let before = step
            .op
            .subject()
            .map(|p| self.world.describe(&step.at, p))
            .unwrap_or_default();
        let index = self.records.len();
        let processes_before = model::failure_starts_nothing(&step.op).then(process_tree);
        let observed = if step.op == Op::Orphans {
            // The runner observes orphans itself, from the pids of the
            // processes the run started: who their OS parent is now (the
            // runner, a fork server) does not matter.
            Observed::plain(Outcome::Ok(Value::Int(self.count_orphans())))
        } else {
            self.timed_apply(step)?
        };
        self.records.push(record(step, &observed, arms));
        let arm = self.judge(step, arms, &observed, None, index)?;
        self.check_pid(step, &observed, index)?;
        if let Some(e) = expect {
            if *e != observed.outcome {
                return Err(Stop::Mismatch(Box::new(Mismatch {
                    clause: arm.clause.unwrap_or("case").to_string(),
                    step: index,
                    root: None,
                    expected: vec![e.to_string()],
                    observed: observed.outcome.to_string(),
                    message: format!("the case states `{e}` for `{step}`{}", native(&observed)),
                })));
            }
        }
        self.coverage.triples.insert((
            before,
            step.op.name().to_string(),
            observed.outcome.to_string(),
        ));
        if model::discriminates(arms) {
            // The arm's clause, what it implies, and the clauses behind
            // the facts this observation read.
            let facts = model::facts_read(&self.world, step);
            let checked = arm
                .clause
                .into_iter()
                .chain(
                    arm.clause
                        .map(model::implied)
                        .unwrap_or_default()
                        .iter()
                        .copied(),
                )
                .chain(facts.iter().map(|w| w.clause))
                .chain(
                    facts
                        .iter()
                        .flat_map(|w| model::implied(w.clause).iter().copied()),
                );
            for c in checked {
                *self.coverage.clauses.entry(c.to_string()).or_default() += 1;
            }
        }
        self.world = arm.next.clone();
        self.world.stamp(index);
        if let (Op::Start { p }, Outcome::Ok(_)) = (&step.op, &observed.outcome) {
            if p != &step.at {
                self.learn_pid(&step.at, p);
            }
        }
        if observed.outcome.is_err() {
            if let Some(before) = processes_before {
                let new: Vec<u32> = process_tree().difference(&before).copied().collect();
                model::judge_failed_start(step, &new).map_err(|v| os_mismatch(*v, index))?;
            }
            self.probe_no_effect(step)?;
        } else if let Op::Close { p } = &step.op {
            self.probe_released(step, p)?;
        }
        self.check_reaped()
    }

    /// `pid.process-id` against the OS ([`model::judge_pid`]): the answer
    /// is stable over the run and, for a process the model knows is
    /// running, names a live process below the runner (pids are otherwise
    /// opaque to the model, so a made-up or shifted pid would pass).
    fn check_pid(&mut self, step: &Step, observed: &Observed, index: usize) -> Result<(), Stop> {
        let (Op::Pid { p }, Outcome::Ok(Value::Pid(pid))) = (&step.op, &observed.outcome) else {
            return Ok(());
        };
        let known = self.pids.get(p).copied();
        // One snapshot of the tree answers both: below the runner, not a zombie.
        let live_below = |pid: u32| {
            crate::sys::descendants(crate::sys::getpid())
                .iter()
                .any(|s| s.pid == pid && s.state != 'Z')
        };
        model::judge_pid(&self.world, step, *pid, known, live_below)
            .map_err(|v| os_mismatch(*v, index))?;
        self.pids.entry(p.clone()).or_insert(*pid);
        Ok(())
    }

    /// `join.blocks` against the OS ([`model::judge_reaped`]): every
    /// process whose pid the run knows is asked whether it is a zombie
    /// when the model says its creator saw it end.
    fn check_reaped(&self) -> Result<(), Stop> {
        let step = self.records.len().saturating_sub(1);
        for (p, pid) in &self.pids {
            if !model::must_be_reaped(&self.world, p) {
                continue;
            }
            let zombie = crate::sys::stat(*pid).is_some_and(|s| s.state == 'Z');
            model::judge_reaped(&self.world, p, *pid, zombie).map_err(|v| os_mismatch(*v, step))?;
        }
        Ok(())
    }

    /// Find the arm `observed` follows and check the run-level invariants;
    /// `clause` overrides the clause named on a mismatch.
    fn judge<'w>(
        &mut self,
        step: &Step,
        arms: &'w [Arm],
        observed: &Observed,
        clause: Option<&str>,
        index: usize,
    ) -> Result<&'w Arm, Stop> {
        let elapsed_ms = observed.elapsed.map(|d| d.as_secs_f64() * 1000.0);
        let followed = model::follow(
            arms,
            &observed.outcome,
            self.root_key.as_deref(),
            elapsed_ms,
            self.slack_ms,
        );
        let Some(arm) = followed else {
            // The clause of an arm that allows the outcome but not its
            // timing, else the first arm's.
            let late_or_early = arms.iter().find(|a| {
                a.expect
                    .matches(&observed.outcome, self.root_key.as_deref())
            });
            // Only where the op may succeed: a success where it must fail
            // breaks the rule of the failure.
            let value_broken = model::value_rule(step, &observed.outcome)
                .filter(|_| arms.iter().any(|a| !a.expect.is_err()));
            let named = clause
                .or_else(|| late_or_early.and_then(|a| a.clause))
                .or(value_broken)
                .or_else(|| arms.iter().find_map(|a| a.clause))
                .unwrap_or("model");
            let root = model::blame(&self.world, step).and_then(|why| {
                let at = why.step?;
                (why.clause != named).then(|| Blame {
                    clause: why.clause.to_string(),
                    step: at,
                })
            });
            // A timing violation, or a value no state allows, is the
            // observing op's own rule.
            let root = if late_or_early.is_some() || value_broken.is_some() {
                None
            } else {
                root
            };
            let took = match (late_or_early, elapsed_ms) {
                (Some(_), Some(ms)) => format!(" after {ms:.1} ms"),
                _ => String::new(),
            };
            let because = match &root {
                Some(r) => format!(
                    "; the model expected otherwise because of step {} ({})",
                    r.step, r.clause
                ),
                None => String::new(),
            };
            return Err(Stop::Mismatch(Box::new(Mismatch {
                clause: named.to_string(),
                step: index,
                root,
                expected: arms.iter().map(Arm::describe).collect(),
                observed: format!("{}{took}", observed.outcome),
                message: format!(
                    "`{step}` answered `{}`{took}{}{because}",
                    observed.outcome,
                    native(observed)
                ),
            })));
        };
        if let (Outcome::Ok(Value::Authkey(fp)), model::Expect::RootAuthkey) =
            (&observed.outcome, &arm.expect)
        {
            self.root_key.get_or_insert_with(|| fp.clone());
        }
        Ok(arm)
    }

    /// After a failed op, `is_alive` on its subject must answer as if the
    /// op had not happened.
    fn probe_no_effect(&mut self, step: &Step) -> Result<(), Stop> {
        let Some(p) = step.op.subject() else {
            return Ok(());
        };
        let probe = Step {
            at: step.at.clone(),
            op: Op::IsAlive { p: p.clone() },
        };
        let own = self
            .world
            .handles
            .get(&(step.at.clone(), p.clone()))
            .is_some_and(|h| h.creator == step.at && !h.closed);
        if !own {
            return Ok(());
        }
        let Ok(arms) = model::transition(&self.world, &probe) else {
            return Ok(());
        };
        let index = self.records.len();
        let observed = self.timed_apply(&probe)?;
        self.records.push(record(&probe, &observed, &arms));
        let arm = self.judge(&probe, &arms, &observed, Some(NO_EFFECT), index)?;
        *self
            .coverage
            .clauses
            .entry(NO_EFFECT.to_string())
            .or_default() += 1;
        self.world = arm.next.clone();
        self.world.stamp(index);
        Ok(())
    }

    /// After `close()` succeeded, the adapter is asked whether the
    /// sentinel's descriptor is still open in its own process
    /// (`close.releases`): a close that forgets the descriptor leaks it in
    /// the adapter, where the runner's leak guard cannot see it. Only for
    /// adapters that can tell (the `descriptors` capability) and objects the
    /// model knows a sentinel of (started, at their creator).
    fn probe_released(&mut self, step: &Step, p: &Ref) -> Result<(), Stop> {
        if !self
            .adapter
            .info()
            .has(procspec_spec::vocab::Capability::Descriptors)
        {
            return Ok(());
        }
        let probe = Step {
            at: step.at.clone(),
            op: Op::SentinelOpen { p: p.clone() },
        };
        let Ok(arms) = model::transition(&self.world, &probe) else {
            return Ok(());
        };
        let index = self.records.len();
        let observed = self.timed_apply(&probe)?;
        self.records.push(record(&probe, &observed, &arms));
        let arm = self.judge(&probe, &arms, &observed, None, index)?;
        if let Some(c) = arm.clause {
            *self.coverage.clauses.entry(c.to_string()).or_default() += 1;
        }
        self.world = arm.next.clone();
        self.world.stamp(index);
        Ok(())
    }

    /// Ask for the pid of the process `p` that `at` just started, so that
    /// orphans are counted by what the run made. Not a step of the run:
    /// nothing is recorded or judged (the next `pid` op is).
    fn learn_pid(&mut self, at: &Ref, p: &Ref) {
        let ask = Step {
            at: at.clone(),
            op: Op::Pid { p: p.clone() },
        };
        if let Ok(Observed {
            outcome: Outcome::Ok(Value::Pid(pid)),
            ..
        }) = self.adapter.apply(&ask)
        {
            self.pids.entry(p.clone()).or_insert(pid);
        }
    }

    /// Live processes of the run whose creator has died or is dying (by
    /// the model), by their recorded pids.
    fn count_orphans(&self) -> i64 {
        model::orphan_candidates(&self.world)
            .filter_map(|r| self.pids.get(r))
            .filter(|pid| crate::sys::stat(**pid).is_some_and(|s| s.state != 'Z'))
            .count() as i64
    }

    /// Apply `step`; when the adapter did not time the call itself, the
    /// round trip is its elapsed time (never shorter than the call, so a
    /// lower bound still holds; the slack absorbs the overhead).
    fn timed_apply(&mut self, step: &Step) -> Result<Observed, Stop> {
        let t0 = Instant::now();
        let observed = self.adapter.apply(step).map_err(Stop::Adapter)?;
        let took = t0.elapsed();
        Ok(match observed.elapsed {
            Some(_) => observed,
            None => observed.timed(took),
        })
    }
}

/// The record of one step: what it answered, how long it took and what
/// the model allowed there.
fn record(step: &Step, observed: &Observed, arms: &[Arm]) -> StepRecord {
    let mut r = StepRecord::new(step.clone(), Some(observed.outcome.clone()));
    r.elapsed_ms = observed
        .elapsed
        .map(|d| (d.as_secs_f64() * 1e4).round() / 10.0);
    r.allowed = arms.iter().map(Arm::describe).collect();
    r
}

fn native(o: &Observed) -> String {
    match &o.native {
        Some(n) => format!(" ({}: {})", n.kind, n.message),
        None => String::new(),
    }
}

/// The pids below the runner (the adapter's processes and theirs).
fn process_tree() -> BTreeSet<u32> {
    crate::sys::descendants(crate::sys::getpid())
        .iter()
        .map(|s| s.pid)
        .collect()
}

/// The mismatch of an OS rule broken at step `index`.
fn os_mismatch(v: model::OsViolation, index: usize) -> Stop {
    Stop::Mismatch(Box::new(Mismatch {
        clause: v.clause.into(),
        step: index,
        root: match (
            v.rooted_here,
            v.root.and_then(|w| w.step.map(|s| (w.clause, s))),
        ) {
            (true, _) => Some(Blame {
                clause: v.clause.into(),
                step: index,
            }),
            (false, Some((clause, step))) => Some(Blame {
                clause: clause.into(),
                step,
            }),
            (false, None) => None,
        },
        expected: vec![v.expected],
        observed: v.observed,
        message: v.message,
    }))
}
