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

use crate::adapter::{Adapter, AdapterFailure, Observed};
use procspec_spec::model::{self, Arm, Life, World};
use procspec_spec::results::StepRecord;
use procspec_spec::vocab::{Op, Outcome, Ref, Step, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The clause a no-effect probe checks.
pub const NO_EFFECT: &str = "error.no-effect";

/// Why a run of steps stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// An outcome the model (or the case) does not allow.
    Mismatch(Mismatch),
    /// The adapter failed to answer.
    Adapter(AdapterFailure),
    /// The step cannot be run in the world the run reached (a case that
    /// the model rejects).
    Invalid(String),
}

/// An outcome that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The clause that was violated.
    pub clause: String,
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
    /// Every step run so far, with its outcome.
    pub records: Vec<StepRecord>,
    /// What this run exercised.
    pub coverage: Coverage,
}

impl<'a, A: Adapter + ?Sized> Checker<'a, A> {
    /// A checker at the start of a run. `inherit_handles`: whether agents
    /// started by fork hold copies of their creator's objects.
    pub fn new(adapter: &'a mut A, inherit_handles: bool) -> Self {
        Checker {
            adapter,
            world: World::new(inherit_handles),
            root_key: None,
            pids: BTreeMap::new(),
            records: Vec::new(),
            coverage: Coverage::default(),
        }
    }

    /// The world the run has reached.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Whether `step` can be run in the world reached.
    pub fn can_run(&self, step: &Step) -> bool {
        model::transition(&self.world, step).is_ok()
    }

    /// Run one step; `expect` is a case's stated outcome, if any.
    pub fn step(&mut self, step: &Step, expect: Option<&Outcome>) -> Result<(), Stop> {
        let arms = model::transition(&self.world, step).map_err(|e| Stop::Invalid(e.0))?;
        let before = step
            .op
            .subject()
            .map(|p| self.world.describe(&step.at, p))
            .unwrap_or_default();
        let observed = if step.op == Op::Orphans {
            // The runner observes orphans itself: they were reparented to it.
            let own = self.adapter.own_pids();
            Observed::plain(Outcome::Ok(Value::Int(crate::guard::count_orphans(&own))))
        } else {
            self.adapter.apply(step).map_err(Stop::Adapter)?
        };
        self.records.push(StepRecord {
            step: step.clone(),
            observed: Some(observed.outcome.clone()),
            allowed: Vec::new(),
            elapsed_ms: None,
            irrelevant: false,
        });
        let arm = self.judge(step, &arms, &observed, None)?;
        if let Some(e) = expect {
            if *e != observed.outcome {
                return Err(Stop::Mismatch(Mismatch {
                    clause: arm.clause.unwrap_or("case").to_string(),
                    expected: vec![e.to_string()],
                    observed: observed.outcome.to_string(),
                    message: format!("the case states `{e}` for `{step}`{}", native(&observed)),
                }));
            }
        }
        self.coverage.triples.insert((
            before,
            step.op.name().to_string(),
            observed.outcome.to_string(),
        ));
        if let Some(c) = arm.clause {
            *self.coverage.clauses.entry(c.to_string()).or_default() += 1;
        }
        self.world = arm.next.clone();
        if observed.outcome.is_err() {
            self.probe_no_effect(step)?;
        }
        self.check_reaped()
    }

    /// A process the model says its creator saw end (joined, polled) must
    /// have been reaped: it may not linger as a zombie. Checked for the
    /// processes whose pid the run observed, and whose creator is still
    /// there to have done the reaping (main or a serving agent).
    fn check_reaped(&self) -> Result<(), Stop> {
        for (p, pid) in &self.pids {
            let Some(x) = self.world.procs.get(p) else {
                continue;
            };
            let creator_acts = x.parent.is_main()
                || self
                    .world
                    .procs
                    .get(&x.parent)
                    .is_some_and(|c| c.life == Life::Serving);
            if !matches!(x.life, Life::Exited(_)) || !creator_acts {
                continue;
            }
            if crate::sys::stat(*pid).is_some_and(|s| s.state == 'Z') {
                return Err(Stop::Mismatch(Mismatch {
                    clause: "join.blocks".into(),
                    expected: vec!["reaped".into()],
                    observed: "zombie".into(),
                    message: format!(
                        "{p} (pid {pid}) was seen to end by its creator, but it is still a zombie"
                    ),
                }));
            }
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
    ) -> Result<&'w Arm, Stop> {
        let Some(arm) = model::follow(arms, &observed.outcome, self.root_key.as_deref()) else {
            let named = clause
                .or_else(|| arms.iter().find_map(|a| a.clause))
                .unwrap_or("model");
            return Err(Stop::Mismatch(Mismatch {
                clause: named.to_string(),
                expected: arms.iter().map(|a| a.expect.to_string()).collect(),
                observed: observed.outcome.to_string(),
                message: format!(
                    "`{step}` answered `{}`{}",
                    observed.outcome,
                    native(observed)
                ),
            }));
        };
        match (&observed.outcome, &arm.expect) {
            (Outcome::Ok(Value::Authkey(fp)), model::Expect::RootAuthkey) => {
                self.root_key.get_or_insert_with(|| fp.clone());
            }
            (Outcome::Ok(Value::Pid(pid)), _) => {
                if let Some(p) = step.op.subject() {
                    let p = if p == &step.at { &step.at } else { p };
                    let known = self.pids.entry(p.clone()).or_insert(*pid);
                    if *known != *pid {
                        return Err(Stop::Mismatch(Mismatch {
                            clause: "pid.process-id".into(),
                            expected: vec![format!("ok pid {known}")],
                            observed: format!("ok pid {pid}"),
                            message: format!("the pid of {p} changed from {known} to {pid}"),
                        }));
                    }
                }
            }
            _ => {}
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
        let observed = self.adapter.apply(&probe).map_err(Stop::Adapter)?;
        self.records.push(StepRecord {
            step: probe.clone(),
            observed: Some(observed.outcome.clone()),
            allowed: Vec::new(),
            elapsed_ms: None,
            irrelevant: false,
        });
        let arm = self.judge(&probe, &arms, &observed, Some(NO_EFFECT))?;
        *self
            .coverage
            .clauses
            .entry(NO_EFFECT.to_string())
            .or_default() += 1;
        self.world = arm.next.clone();
        Ok(())
    }
}

fn native(o: &Observed) -> String {
    match &o.native {
        Some(n) => format!(" ({}: {})", n.kind, n.message),
        None => String::new(),
    }
}
