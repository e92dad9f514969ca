//! The suite proves it catches bugs. The **catalogue** below is a list of
//! reference mutants, one per rule: each wraps the real reference adapter
//! and changes only what its rule is about, the way a real bug would
//! (proptest's heap example teaches with `pop_wrong` the same way), at the
//! `Adapter` boundary (an outcome rewritten, or another op run instead), so
//! the reference crate stays clean. What a child does is out of reach
//! there: a mutant of a child's exit path gives the reference a child
//! entry of its own ([`ReferenceLifecycle::with_child_entry`], used by
//! `daemonic-children-outlive-exit`). A mutant may remember what the run did
//! so far ([`Memo`]: the objects created, with their constructor arguments,
//! and marks of its own), as a real bug has the object's state at hand.
//!
//! For each mutant the whole suite runs: the state machine, then every case
//! file. The mutant is **killed** when one of the failures the suite reports
//! has the clause the mutant breaks as its root clause (`root`, else the
//! first clause cited), as the report counts it; of those, the shortest
//! counterexample is recorded (a shrunk sequence, or a case up to its
//! failing step). Every mutant must be killed, in at most [`Rule::max_ops`]
//! ops (five unless the rule's shortest witness needs more, said there).
//! The other root clauses the suite named for a mutant are printed, so a
//! blame that goes astray shows.
//!
//! The test writes the kill matrix (mutant x root clause found) as JSON to
//! `target/mutation/kills.json`; with `PROCSPEC_BLESS_KILLS=1` also to
//! `reports/committed/mutation/kills.json`, which the report renders and
//! `lint.rs` reads (every `must` clause needs a killing mutant there, or an
//! entry in `spec/untested.toml` or `mutants/pending.toml`).
//!
//! And the leak guard is seen to catch an adapter that leaves a process
//! and a file descriptor behind, and the checker a join that does not reap.
//!
//! Unix only: the reference adapter and remote adapters need fork and pipes passed by number.
#![cfg(unix)]

use procspec_harness::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_harness::cases::{load_cases, run_case};
use procspec_harness::lifecycle::{exit_now, Body};
use procspec_harness::machine::{run_machine, MachineConfig};
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter, ReferenceLifecycle};
use procspec_harness::suite;
use procspec_reference::StartMethod;
use procspec_spec::results::{CaseResult, Status};
use procspec_spec::vocab::{Capability, ErrorKind, NameArg, Op, Outcome, Ref, Step, Target, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a mutant does instead of the reference: given the step and what
/// the reference answered (having run it), the answer to give.
type Lie =
    fn(&mut ReferenceAdapter, &mut Memo, &Step, Observed) -> Result<Observed, AdapterFailure>;

/// What a mutant remembers of the run (cleared by `reset`).
#[derive(Debug, Default)]
struct Memo {
    /// Every object created, by ref.
    created: BTreeMap<Ref, Created>,
    /// (holder, object) pairs a mutant has marked; what a mark means is
    /// the mutant's (joined, renamed, closed ...).
    marked: BTreeSet<(Ref, Ref)>,
    /// Which objects surely still run: a lie about another one is
    /// ambiguous (the model may think it ended).
    lifetimes: suite::Lifetimes,
}

/// A `create` step's arguments.
#[derive(Debug)]
struct Created {
    at: Ref,
    name: Option<String>,
    daemon: Option<bool>,
    target: Target,
}

impl Memo {
    fn target(&self, p: &Ref) -> Option<&Target> {
        self.created.get(p).map(|c| &c.target)
    }
    fn is_marked(&self, s: &Step, p: &Ref) -> bool {
        self.marked.contains(&(s.at.clone(), p.clone()))
    }
    fn mark(&mut self, s: &Step, p: &Ref) {
        self.marked.insert((s.at.clone(), p.clone()));
    }
    /// The objects created at `holder` (its children, started or not).
    fn created_at(&self, holder: &Ref) -> Vec<Ref> {
        self.created
            .iter()
            .filter(|(_, c)| c.at == *holder)
            .map(|(q, _)| q.clone())
            .collect()
    }
    fn surely_running(&self, p: &Ref) -> bool {
        self.lifetimes.surely_running(p)
    }
}

/// One mutant of the catalogue.
struct Rule {
    /// A stable slug.
    mutant: &'static str,
    /// The clause it breaks.
    breaks: &'static str,
    /// What it does, for people.
    description: &'static str,
    /// Run the op (or another) on the reference and answer.
    lie: Lie,
    /// Whether the step is run on the reference before `lie` sees it
    /// (false: `lie` runs what it wants instead).
    run_first: bool,
    /// The longest counterexample accepted: 5, or the length of the
    /// shortest sequence that can show the rule broken when that is longer.
    max_ops: usize,
    /// The reference under it: fork, and children run their body as the
    /// reference's do, unless the rule changes that (a child's exit path
    /// cannot be reached at the `Adapter` boundary).
    lifecycle: ReferenceLifecycle,
    /// Capabilities the mutant does not offer (their steps are then
    /// precondition-failed): what its change makes unusable.
    lacks: &'static [Capability],
    /// Caught, but under another root clause, for the reason given in
    /// `mutants/pending.toml` (where its clause must then be listed): the
    /// test holds it to being caught only.
    pending: bool,
}

fn ok(v: Value) -> Observed {
    Observed::plain(Outcome::Ok(v))
}

/// Rewrite the outcome of the steps `body` picks (`None`: leave it), given
/// the step and the reference's outcome, and optionally the [`Memo`].
macro_rules! rewrite {
    (|$step:ident, $out:ident| $body:expr) => {
        rewrite!(|_memo, $step, $out| $body)
    };
    (|$memo:ident, $step:ident, $out:ident| $body:expr) => {{
        fn lie(
            _: &mut ReferenceAdapter,
            $memo: &mut Memo,
            $step: &Step,
            o: Observed,
        ) -> Result<Observed, AdapterFailure> {
            let $out = &o.outcome;
            let new: Option<Outcome> = $body;
            Ok(match new {
                Some(n) => Observed::plain(n),
                None => o,
            })
        }
        lie as Lie
    }};
}

/// Run another op in place of the steps `body` picks (given the step, the
/// op to run at the same process; `None`: the step as it is): a mutant
/// with `run_first: false` whose bug is calling the wrong thing.
macro_rules! instead {
    (|$step:ident| $body:expr) => {{
        fn lie(
            inner: &mut ReferenceAdapter,
            _: &mut Memo,
            $step: &Step,
            _: Observed,
        ) -> Result<Observed, AdapterFailure> {
            let other: Option<Op> = $body;
            match other {
                Some(op) => inner.apply(&Step {
                    at: $step.at.clone(),
                    op,
                }),
                None => inner.apply($step),
            }
        }
        lie as Lie
    }};
}

fn catalogue() -> Vec<Rule> {
    let r = |mutant, breaks, description, lie| Rule {
        mutant,
        breaks,
        description,
        lie,
        run_first: true,
        max_ops: 5,
        lifecycle: ReferenceLifecycle::new(StartMethod::Fork),
        lacks: &[],
        pending: false,
    };
    vec![
        r(
            "start-twice",
            "start.once",
            "a second start() succeeds (the error is swallowed)",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Start { .. }, Outcome::Err(ErrorKind::AlreadyStarted)) => Some(Outcome::NONE),
                _ => None,
            }),
        ),
        r(
            "join-from-non-parent",
            "join.parent-only",
            "join() from a process that did not create the object succeeds",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Join { p, .. }, Outcome::Err(ErrorKind::NotParent)) if *p != s.at => {
                    Some(Outcome::NONE)
                }
                _ => None,
            }),
        ),
        r(
            "daemonic-children",
            "daemon.no-children",
            "a daemonic process's start() of a child reports success",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Start { .. }, Outcome::Err(ErrorKind::DaemonicChildren)) => {
                    Some(Outcome::NONE)
                }
                _ => None,
            }),
        ),
        Rule {
            run_first: false,
            ..r(
                "close-running",
                "close.requires-exit",
                "close() does not check that the process ended: it closes a running one",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        memo: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        let Some(p) = step.op.subject() else {
                            return inner.apply(step);
                        };
                        if memo.is_marked(step, p) {
                            // The object is closed though the reference's is
                            // not: answer as a closed object does (attributes
                            // still work, the sentinel is gone).
                            return suite::answer_as_closed(inner, step);
                        }
                        let o = inner.apply(step)?;
                        // Only where the model knows the child runs: after a
                        // release it may think it ended, and the lie would
                        // look like an honest close of an ended child.
                        if let (Op::Close { .. }, Outcome::Err(ErrorKind::StillRunning)) =
                            (&step.op, &o.outcome)
                        {
                            if !memo.surely_running(p) {
                                return Ok(o);
                            }
                            memo.mark(step, p);
                            return Ok(Observed::plain(Outcome::NONE));
                        }
                        Ok(o)
                    }
                    lie
                },
            )
        },
        r(
            "failure-with-effect",
            "error.no-effect",
            "close() of a running process raises, as it should, but kills the child first",
            {
                fn lie(
                    inner: &mut ReferenceAdapter,
                    _: &mut Memo,
                    step: &Step,
                    o: Observed,
                ) -> Result<Observed, AdapterFailure> {
                    if let (Op::Close { p }, Outcome::Err(ErrorKind::StillRunning)) =
                        (&step.op, &o.outcome)
                    {
                        let at = step.at.clone();
                        inner.apply(&Step {
                            at: at.clone(),
                            op: Op::Kill { p: p.clone() },
                        })?;
                        inner.apply(&Step {
                            at,
                            op: Op::Join {
                                p: p.clone(),
                                timeout_ms: None,
                            },
                        })?;
                    }
                    Ok(o)
                }
                lie
            },
        ),
        r(
            "join-before-start",
            "join.before-start",
            "join() of an unstarted process returns None",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Join { .. }, Outcome::Err(ErrorKind::NotStarted)) => Some(Outcome::NONE),
                _ => None,
            }),
        ),
        r(
            "pid-before-start",
            "pid.none-before-start",
            "pid of an unstarted process is a number",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Pid { .. }, Outcome::Ok(Value::None)) => Some(Outcome::Ok(Value::Pid(4242))),
                _ => None,
            }),
        ),
        Rule {
            ..r(
                "is-alive-forever",
                "is-alive.lifetime",
                "is_alive() never turns false once started",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        _: &mut Memo,
                        step: &Step,
                        o: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        if let (Op::IsAlive { p }, Outcome::Ok(Value::Bool(false))) =
                            (&step.op, &o.outcome)
                        {
                            // Started (it has a pid): claim it still runs.
                            let pid = inner.apply(&Step {
                                at: step.at.clone(),
                                op: Op::Pid { p: p.clone() },
                            })?;
                            if matches!(pid.outcome, Outcome::Ok(Value::Pid(_))) {
                                return Ok(ok(Value::Bool(true)));
                            }
                        }
                        Ok(o)
                    }
                    lie
                },
            )
        },
        Rule {
            ..r(
                "default-name-form",
                "name.default-form",
                "default names are Worker-N instead of Process-N",
                rewrite!(|s, o| match (&s.op, o) {
                    (Op::Name { .. }, Outcome::Ok(Value::Str(n))) if n.starts_with("Process-") =>
                        Some(Outcome::Ok(Value::Str(
                            n.replacen("Process-", "Worker-", 1)
                        )),),
                    _ => None,
                }),
            )
        },
        Rule {
            ..r(
                "exitcode-zero",
                "exitcode.status",
                "a positive exit code reads as 0",
                rewrite!(|s, o| match (&s.op, o) {
                    (Op::Exitcode { .. }, Outcome::Ok(Value::Int(n))) if *n > 0 => {
                        Some(Outcome::Ok(Value::Int(0)))
                    }
                    _ => None,
                }),
            )
        },
        r(
            "exitcode-while-running",
            "exitcode.none-while-running",
            "exitcode of a running process reads 0 instead of None",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Exitcode { .. }, Outcome::Ok(Value::None)) => Some(Outcome::Ok(Value::Int(0))),
                _ => None,
            }),
        ),
        r(
            "sentinel-never-ready",
            "sentinel.ready-at-end",
            "waiting on the sentinel of an ended process times out",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::WaitSentinel { .. }, Outcome::Ok(Value::Bool(true))) => {
                    Some(Outcome::Ok(Value::Bool(false)))
                }
                _ => None,
            }),
        ),
        r(
            "closed-still-answers",
            "close.then-raises",
            "after close(), name and friends answer instead of raising",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Close { .. }, _) => None,
                (_, Outcome::Err(ErrorKind::Closed)) => Some(Outcome::NONE),
                _ => None,
            }),
        ),
        r(
            "active-children-empty",
            "active-children.live",
            "active_children() lists nothing",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::ActiveChildren, Outcome::Ok(Value::Refs(v))) if !v.is_empty() => {
                    Some(Outcome::Ok(Value::Refs(vec![])))
                }
                _ => None,
            }),
        ),
        r(
            "authkey-not-serializable-ok",
            "authkey.no-pickle",
            "pickling an authkey succeeds",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::SerializeAuthkey { .. }, Outcome::Err(ErrorKind::NotSerializable)) => {
                    Some(Outcome::NONE)
                }
                _ => None,
            }),
        ),
        r(
            "daemon-after-start",
            "daemon.before-start",
            "setting daemon on a started process succeeds",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::SetDaemon { .. }, Outcome::Err(_)) => Some(Outcome::NONE),
                _ => None,
            }),
        ),
        r(
            "daemon-flag-lost",
            "construct.daemon-arg",
            "the daemon flag reads False whatever it was set to",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::SetDaemon { p, .. }, Outcome::Ok(_)) => {
                    m.mark(s, p);
                    None
                }
                (Op::Daemon { p }, Outcome::Ok(Value::Bool(true)))
                    if *p != s.at
                        && !m.is_marked(s, p)
                        && m.created.get(p).is_some_and(|c| c.daemon == Some(true)) =>
                {
                    Some(Outcome::Ok(Value::Bool(false)))
                }
                _ => None,
            }),
        ),
        r(
            "current-process-renamed",
            "current-process.main",
            "current_process() in the main process is not MainProcess",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::CurrentProcess, Outcome::Ok(Value::Str(n))) if n == "MainProcess" => {
                    Some(Outcome::Ok(Value::Str("Main".into())))
                }
                _ => None,
            }),
        ),
        r(
            "join-returns-zero",
            "join.returns-none",
            "join() returns 0 instead of None",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Join { .. }, Outcome::Ok(Value::None)) => Some(Outcome::Ok(Value::Int(0))),
                _ => None,
            }),
        ),
        Rule {
            ..r(
                "given-name-ignored",
                "construct.name",
                "a name given at construction reads as a default name",
                rewrite!(|m, s, o| match (&s.op, o) {
                    (Op::SetName { p, .. }, Outcome::Ok(_)) => {
                        m.mark(s, p);
                        None
                    }
                    (Op::Name { p }, Outcome::Ok(Value::Str(_)))
                        if *p != s.at
                            && !m.is_marked(s, p)
                            && m.created.get(p).is_some_and(|c| {
                                c.name.as_deref().is_some_and(|n| !n.is_empty())
                            }) =>
                    {
                        Some(Outcome::Ok(Value::Str("Process-99".into())))
                    }
                    _ => None,
                }),
            )
        },
        r(
            "pid-shifted",
            "pid.process-id",
            "every pid reads 1000 more than the process's real one (consistently: stable, just not the OS's)",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Pid { .. }, Outcome::Ok(Value::Pid(n))) => {
                    Some(Outcome::Ok(Value::Pid(n + 1000)))
                }
                _ => None,
            }),
        ),
        Rule {
            ..r(
                "signal-exitcode-positive",
                "exitcode.signal-negative",
                "a process killed by signal N has exit code N, not -N",
                rewrite!(|s, o| match (&s.op, o) {
                    (Op::Exitcode { .. }, Outcome::Ok(Value::Int(n))) if *n < 0 => {
                        Some(Outcome::Ok(Value::Int(-n)))
                    }
                    _ => None,
                }),
            )
        },
        Rule {
            ..r(
                "authkey-fixed",
                "authkey.random",
                "the main process's authkey is a constant",
                rewrite!(|s, o| match (&s.op, o) {
                    (Op::Authkey { p }, Outcome::Ok(Value::Authkey(_)))
                        if s.at.is_main() && p.is_main() =>
                    {
                        Some(Outcome::Ok(Value::Authkey("0000000000000000".into())))
                    }
                    _ => None,
                }),
            )
        },
        Rule {
            ..r(
                "authkey-fresh-in-child",
                "authkey.inherited",
                "a child's authkey is fresh instead of inherited",
                rewrite!(|s, o| match (&s.op, o) {
                    (Op::Authkey { p }, Outcome::Ok(Value::Authkey(_)))
                        if !s.at.is_main() && *p == s.at =>
                    {
                        Some(Outcome::Ok(Value::Authkey("1111111111111111".into())))
                    }
                    _ => None,
                }),
            )
        },
        r(
            "parent-of-main",
            "parent-process.none-in-main",
            "parent_process() in the main process is not None",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::ParentProcess, Outcome::Ok(Value::None)) if s.at.is_main() => {
                    Some(Outcome::Ok(Value::Str("MainProcess".into())))
                }
                _ => None,
            }),
        ),
        r(
            "parent-forgotten",
            "parent-process.creator",
            "parent_process() in a child is None",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::ParentProcess, Outcome::Ok(Value::Str(_))) if !s.at.is_main() => {
                    Some(Outcome::NONE)
                }
                _ => None,
            }),
        ),
        r(
            "daemon-not-inherited",
            "daemon.inherited",
            "a daemonic child's own daemon flag (current_process().daemon) reads False",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Daemon { p }, Outcome::Ok(Value::Bool(true)))
                    if !s.at.is_main() && *p == s.at =>
                {
                    Some(Outcome::Ok(Value::Bool(false)))
                }
                _ => None,
            }),
        ),
        r(
            "is-alive-from-anyone",
            "is-alive.parent-only",
            "is_alive() from a process that is not the parent answers False",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::IsAlive { .. }, Outcome::Err(ErrorKind::NotParent)) => {
                    Some(Outcome::Ok(Value::Bool(false)))
                }
                _ => None,
            }),
        ),
        Rule {
            run_first: false,
            ..r(
                "terminate-sends-sigkill",
                "terminate.sigterm",
                "terminate() sends SIGKILL",
                instead!(|s| match &s.op {
                    Op::Terminate { p } => Some(Op::Kill { p: p.clone() }),
                    _ => None,
                }),
            )
        },
        Rule {
            run_first: false,
            // The shortest witness: an agent, its child, the agent's
            // terminate(), the count (cases/terminate/orphans-descendants).
            max_ops: 7,
            ..r(
                "terminate-kills-the-group",
                "terminate.orphans",
                "terminate() ends the child's own children too (as a signal to its process group would)",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        memo: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        if let Op::Terminate { p } = &step.op {
                            terminate_children_first(inner, memo, p, false);
                        }
                        inner.apply(step)
                    }
                    lie
                },
            )
        },
        Rule {
            run_first: false,
            max_ops: 7,
            ..r(
                "terminate-runs-exit-handlers",
                "terminate.no-exit-handlers",
                "terminate() lets the child run its exit handler: its daemonic children are terminated",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        memo: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        if let Op::Terminate { p } = &step.op {
                            terminate_children_first(inner, memo, p, true);
                        }
                        inner.apply(step)
                    }
                    lie
                },
            )
        },
        Rule {
            run_first: false,
            ..r(
                "kill-sends-sigterm",
                "kill.sigkill",
                "kill() sends SIGTERM",
                instead!(|s| match &s.op {
                    Op::Kill { p } => Some(Op::Terminate { p: p.clone() }),
                    _ => None,
                }),
            )
        },
        Rule {
            run_first: false,
            ..r(
                "set-authkey-ignored",
                "authkey.settable",
                "setting the authkey is accepted and ignored",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        _: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        match &step.op {
                            Op::SetAuthkey { .. } => Ok(Observed::plain(Outcome::NONE)),
                            _ => inner.apply(step),
                        }
                    }
                    lie
                },
            )
        },
        Rule {
            run_first: false,
            ..r(
                "set-name-ignored",
                "name.identification",
                "setting the name is accepted and ignored",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        _: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        match &step.op {
                            Op::SetName { .. } => Ok(Observed::plain(Outcome::NONE)),
                            _ => inner.apply(step),
                        }
                    }
                    lie
                },
            )
        },
        r(
            "no-target-calls-none",
            "construct.target-default",
            "without a target, run() calls None: run() raises and the child exits with 1",
            {
                fn lie(
                    inner: &mut ReferenceAdapter,
                    memo: &mut Memo,
                    step: &Step,
                    o: Observed,
                ) -> Result<Observed, AdapterFailure> {
                    let Some(p) = step.op.subject() else {
                        return Ok(o);
                    };
                    if memo.target(p) != Some(&Target::NoTarget) {
                        return Ok(o);
                    }
                    Ok(match (&step.op, &o.outcome) {
                        // TypeError: 'NoneType' object is not callable,
                        // before start (after it, run() is another rule's).
                        (Op::Run { .. }, Outcome::Ok(Value::None)) => {
                            let pid = inner.apply(&Step {
                                at: step.at.clone(),
                                op: Op::Pid { p: p.clone() },
                            })?;
                            if pid.outcome == Outcome::Ok(Value::None) {
                                Observed::plain(Outcome::Err(ErrorKind::Unmapped))
                            } else {
                                o
                            }
                        }
                        (Op::Exitcode { .. }, Outcome::Ok(Value::Int(0))) => ok(Value::Int(1)),
                        _ => o,
                    })
                }
                lie
            },
        ),
        r(
            "kwargs-dropped",
            "construct.args-kwargs",
            "the kwargs given are not passed to the target (it keeps its default)",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::Exitcode { p }, Outcome::Ok(Value::Int(n))) => match m.target(p) {
                    Some(Target::Args { c: Some(c), .. }) if *c != 5 => {
                        Some(Outcome::Ok(Value::Int(n - i64::from(*c) + 5)))
                    }
                    _ => None,
                },
                _ => None,
            }),
        ),
        r(
            "kwargs-default-zero",
            "construct.no-args-default",
            "without kwargs, the target gets c=0 instead of no keyword argument",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::Exitcode { p }, Outcome::Ok(Value::Int(n))) if *n >= 5 => {
                    match m.target(p) {
                        Some(Target::Args { c: None, .. }) => Some(Outcome::Ok(Value::Int(n - 5))),
                        _ => None,
                    }
                }
                _ => None,
            }),
        ),
        r(
            "target-not-called",
            "run.invokes-target",
            "run() does not call the target: a raising target exits with 0",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::Exitcode { p }, Outcome::Ok(Value::Int(1)))
                    if m.target(p) == Some(&Target::Raise) =>
                {
                    Some(Outcome::Ok(Value::Int(0)))
                }
                _ => None,
            }),
        ),
        r(
            "start-raises",
            "start.runs-run",
            "start() raises although it started the child (its ready handshake misread)",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Start { .. }, Outcome::Ok(Value::None)) => {
                    Some(Outcome::Err(ErrorKind::Unmapped))
                }
                _ => None,
            }),
        ),
        Rule {
            run_first: false,
            ..r(
                "active-children-does-not-reap",
                "active-children.joins-finished",
                "active_children() leaves out the children that ended, without joining (reaping) them",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        memo: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        if step.op != Op::ActiveChildren {
                            return inner.apply(step);
                        }
                        // Its own objects, asked on their sentinel (which
                        // does not reap): ended ones are left out, the rest
                        // listed; unstarted or closed ones answer errors.
                        let own = memo.created_at(&step.at);
                        let mut listed = Vec::new();
                        for q in own {
                            let ended = inner.apply(&Step {
                                at: step.at.clone(),
                                op: Op::WaitSentinel {
                                    p: q.clone(),
                                    timeout_ms: 0,
                                },
                            })?;
                            if ended.outcome == Outcome::Ok(Value::Bool(false)) {
                                listed.push(q);
                            }
                        }
                        listed.sort();
                        Ok(ok(Value::Refs(listed)))
                    }
                    lie
                },
            )
        },
        Rule {
            run_first: false,
            ..r(
                "join-does-not-reap",
                "join.blocks",
                "join() waits for the child's end on its sentinel but never reaps it",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        memo: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        let own = |p: &Ref| memo.created.get(p).is_some_and(|c| c.at == step.at);
                        if let Op::Join {
                            p,
                            timeout_ms: None,
                        } = &step.op
                        {
                            if !own(p) {
                                return inner.apply(step);
                            }
                            let wait = inner.apply(&Step {
                                at: step.at.clone(),
                                op: Op::WaitSentinel {
                                    p: p.clone(),
                                    timeout_ms: 10_000,
                                },
                            })?;
                            if wait.outcome == Outcome::Ok(Value::Bool(true)) {
                                return Ok(Observed::plain(Outcome::NONE));
                            }
                        }
                        inner.apply(step)
                    }
                    lie
                },
            )
        },
        r(
            "join-only-once",
            "join.many-times",
            "a process that was joined raises when joined again",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::Join { p, timeout_ms }, Outcome::Ok(Value::None)) => {
                    if m.is_marked(s, p) {
                        Some(Outcome::Err(ErrorKind::Unmapped))
                    } else {
                        if timeout_ms.is_none() {
                            m.mark(s, p);
                        }
                        None
                    }
                }
                _ => None,
            }),
        ),
        r(
            "join-self-returns",
            "join.not-self",
            "current_process().join() returns instead of raising",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::Join { p, .. }, Outcome::Err(ErrorKind::NotParent)) if *p == s.at => {
                    Some(Outcome::NONE)
                }
                _ => None,
            }),
        ),
        Rule {
            run_first: false,
            ..r(
                "repeated-name-refused",
                "name.may-repeat",
                "renaming an object to a name another object has is accepted and ignored",
                {
                    fn lie(
                        inner: &mut ReferenceAdapter,
                        memo: &mut Memo,
                        step: &Step,
                        _: Observed,
                    ) -> Result<Observed, AdapterFailure> {
                        if let Op::SetName {
                            p,
                            name: NameArg::Str(name),
                        } = &step.op
                        {
                            for (q, c) in &memo.created {
                                if q == p || c.at != step.at {
                                    continue;
                                }
                                let other = inner.apply(&Step {
                                    at: step.at.clone(),
                                    op: Op::Name { p: q.clone() },
                                })?;
                                if other.outcome == Outcome::Ok(Value::Str(name.clone())) {
                                    return Ok(Observed::plain(Outcome::NONE));
                                }
                            }
                        }
                        inner.apply(step)
                    }
                    lie
                },
            )
        },
        r(
            "daemon-default-not-inherited",
            "construct.daemon-inherit",
            "an object created without a daemon argument in a daemonic process is not daemonic",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::SetDaemon { p, .. }, Outcome::Ok(_)) => {
                    m.mark(s, p);
                    None
                }
                (Op::Daemon { p }, Outcome::Ok(Value::Bool(true)))
                    if *p != s.at
                        && !m.is_marked(s, p)
                        && m.created.get(p).is_some_and(|c| c.daemon.is_none()) =>
                {
                    Some(Outcome::Ok(Value::Bool(false)))
                }
                _ => None,
            }),
        ),
        r(
            "authkey-length-of-hex",
            "authkey.bytes",
            "a key set from bytes reports the length of its hex text",
            rewrite!(|m, s, o| match (&s.op, o) {
                (Op::SetAuthkey { p, .. }, Outcome::Ok(_)) => {
                    m.mark(s, p);
                    None
                }
                (Op::AuthkeyLength { p }, Outcome::Ok(Value::Int(n)))
                    if *p != s.at && m.is_marked(s, p) =>
                {
                    Some(Outcome::Ok(Value::Int(2 * n)))
                }
                _ => None,
            }),
        ),
        r(
            "close-keeps-sentinel",
            "close.releases",
            "close() leaves the sentinel's descriptor open",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::SentinelOpen { .. }, Outcome::Ok(Value::Bool(false))) => {
                    Some(Outcome::Ok(Value::Bool(true)))
                }
                _ => None,
            }),
        ),
        Rule {
            run_first: false,
            ..r(
                "join-ignores-timeout",
                "join.timeout",
                "join(timeout) polls once and returns at once instead of waiting",
                instead!(|s| match &s.op {
                    Op::Join {
                        p,
                        timeout_ms: Some(t),
                    } if *t > 0 => Some(Op::Join {
                        p: p.clone(),
                        timeout_ms: Some(0),
                    }),
                    _ => None,
                }),
            )
        },
        Rule {
            lifecycle: ReferenceLifecycle::with_child_entry(StartMethod::Fork, FORGETFUL_EXIT),
            // `run()` runs the child's entry in the caller, whose process
            // the forgetful exit path would end.
            lacks: &[Capability::Run],
            // The shortest witness: an agent with a daemonic child (four
            // ops), its release, and a look at the orphans.
            max_ops: 6,
            ..r(
                "daemonic-children-outlive-exit",
                "daemon.terminated-at-exit",
                "a child whose target returns joins its non-daemonic children but leaves its daemonic ones running",
                rewrite!(|_s, _o| None),
            )
        },
        Rule {
            run_first: false,
            ..r(
                "group-accepted",
                "construct.group-none",
                "Process(group=...) ignores the group and makes the object",
                instead!(|s| match &s.op {
                    Op::Create { group: Some(_), .. } => {
                        let mut op = s.op.clone();
                        if let Op::Create { group, .. } = &mut op {
                            *group = None;
                        }
                        Some(op)
                    }
                    _ => None,
                }),
            )
        },
        r(
            "exception-hierarchy-flat",
            "exceptions.process-error",
            "BufferTooShort, AuthenticationError and TimeoutError derive from Exception, not ProcessError",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::ExceptionHierarchy, Outcome::Ok(Value::Str(h))) => Some(Outcome::Ok(
                    Value::Str(h.replace("<ProcessError", "<Exception"))
                )),
                _ => None,
            }),
        ),
        r(
            "recv-bytes-into-truncates",
            "exceptions.buffer-too-short",
            "recv_bytes_into() fills a buffer too short for the message and drops the rest",
            rewrite!(|s, o| match (&s.op, o) {
                (Op::RecvBytesInto { buffer }, Outcome::Err(ErrorKind::BufferTooShort)) => {
                    Some(Outcome::Ok(Value::Int(*buffer as i64)))
                }
                _ => None,
            }),
        ),
        Rule {
            run_first: false,
            ..r(
                "handshake-skips-challenge",
                "exceptions.authentication-error",
                "the listener accepts a client without checking its answer to the challenge",
                instead!(|s| match &s.op {
                    // Whatever key the client offers, it gets in.
                    Op::Handshake { wrong_key: true } => Some(Op::Handshake { wrong_key: false }),
                    _ => None,
                }),
            )
        },
    ]
}

/// The registered target the children of `daemonic-children-outlive-exit`
/// run their body under ([`forgetful_exit`]).
const FORGETFUL_EXIT: &str = "procspec.mutant.forgetful-exit";

/// A child of `daemonic-children-outlive-exit`: its body, with the same
/// lifecycle below it, then an exit path that is CPython's
/// `_exit_function` without its first loop: the non-daemonic children are
/// joined, the daemonic ones are not terminated. The process then ends as
/// the reference's children do (stdout flushed, `_exit`), skipping the
/// reference's own exit handler, which would terminate them. (Also what
/// `run()` would call, in the caller: the mutant lacks `run`.)
fn forgetful_exit(body: Body) {
    body.run(ReferenceLifecycle::with_child_entry(
        StartMethod::Fork,
        FORGETFUL_EXIT,
    ));
    for child in procspec_reference::active_children() {
        if child.daemon().ok() != Some(true) {
            let _ = child.join(None);
        }
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    exit_now(0)
}

/// Before `p` is terminated, terminate the children `p` created (only its
/// daemonic ones when `only_daemonic`: what `p`'s exit handler would do),
/// at `p`. A child not started, or already ended, answers with an error or
/// nothing, which is ignored.
fn terminate_children_first(
    inner: &mut ReferenceAdapter,
    memo: &Memo,
    p: &Ref,
    only_daemonic: bool,
) {
    let children = memo.created_at(p);
    for q in children {
        let at = |op| Step { at: p.clone(), op };
        if only_daemonic {
            let daemonic = inner.apply(&at(Op::Daemon { p: q.clone() }));
            if !matches!(
                daemonic,
                Ok(Observed {
                    outcome: Outcome::Ok(Value::Bool(true)),
                    ..
                })
            ) {
                continue;
            }
        }
        let _ = inner.apply(&at(Op::Terminate { p: q }));
    }
}

struct Mutant<'r> {
    inner: ReferenceAdapter,
    /// The reference's, less the rule's `lacks`.
    info: AdapterInfo,
    rule: &'r Rule,
    memo: Memo,
}

impl<'r> Mutant<'r> {
    fn new(rule: &'r Rule) -> Mutant<'r> {
        let inner = ReferenceAdapter::new(rule.lifecycle);
        let mut info = inner.info().clone();
        info.capabilities.retain(|c| !rule.lacks.contains(c));
        Mutant {
            inner,
            info,
            rule,
            memo: Memo::default(),
        }
    }
}

impl Adapter for Mutant<'_> {
    fn info(&self) -> &AdapterInfo {
        &self.info
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        if let Op::Create {
            id,
            name,
            daemon,
            target,
            ..
        } = &step.op
        {
            self.memo.created.insert(
                id.clone(),
                Created {
                    at: step.at.clone(),
                    name: name.clone(),
                    daemon: *daemon,
                    target: target.clone(),
                },
            );
        }
        self.memo.lifetimes.observe(step);
        if self.rule.run_first {
            let observed = self.inner.apply(step)?;
            (self.rule.lie)(&mut self.inner, &mut self.memo, step, observed)
        } else {
            let none = Observed::plain(Outcome::NONE);
            (self.rule.lie)(&mut self.inner, &mut self.memo, step, none)
        }
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        self.memo = Memo::default();
        self.inner.reset()
    }

    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }
}

/// The clause a failure counts under: its root, else the first cited.
fn root_of(r: &CaseResult) -> Option<String> {
    r.root
        .as_ref()
        .map(|b| b.clause.clone())
        .or_else(|| r.clauses.first().cloned())
}

/// One failure the suite reported against a mutant.
struct Found {
    /// Its root clause.
    clause: Option<String>,
    /// `sequence` (the state machine) or `case <id>`.
    by: String,
    /// The counterexample's length in ops.
    ops: usize,
    /// The counterexample, rendered.
    rendered: String,
}

/// Run the whole suite against the mutant: the state machine, then every
/// case; every failure it reports.
fn hunt(rule: &Rule) -> Vec<Found> {
    let mut mutant = Mutant::new(rule);
    let found = |f: &CaseResult, by: String| Found {
        clause: root_of(f),
        by,
        ops: f.ops.len(),
        rendered: suite::render_ops(&f.ops),
    };
    let mut all = Vec::new();
    let mut config = MachineConfig::new(mutant.info().capabilities.clone());
    config.sequences = 256;
    let run = run_machine(&mut mutant, &config);
    if let Some(f) = run.failure {
        all.push(found(&f, "sequence".to_string()));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let cases = load_cases(&root).unwrap_or_else(|e| panic!("{e}"));
    let mut own = Vec::new();
    for c in &cases {
        let (result, _, _) = run_case(&mut mutant, &c.case);
        if result.status == Status::Fail {
            all.push(found(&result, format!("case {}", c.case.id)));
            if root_of(&result).as_deref() == Some(rule.breaks) {
                own.push((result, &c.case));
            }
        }
    }
    // No counterexample short enough yet: shrink the shortest cases that
    // fail on the mutant's clause.
    let shortest = all
        .iter()
        .filter(|f| f.clause.as_deref() == Some(rule.breaks))
        .map(|f| f.ops)
        .min();
    if shortest.is_some_and(|n| n > rule.max_ops) {
        own.sort_by_key(|(r, _)| r.ops.len());
        for (result, case) in own.into_iter().take(3) {
            let shrunk = shrink_case(&mut mutant, case, result, rule.breaks);
            all.push(found(&shrunk, format!("case {} (shrunk)", case.id)));
        }
    }
    all
}

/// A case that fails on `clause`, shrunk as proptest shrinks a sequence:
/// drop one step at a time, last first, in passes, keeping each drop after which the
/// case still fails with `clause` as root in no more ops (a step the model
/// cannot run without the dropped one makes the case invalid, not failed).
fn shrink_case(
    mutant: &mut Mutant<'_>,
    case: &procspec_spec::case::Case,
    mut best: CaseResult,
    clause: &str,
) -> CaseResult {
    let mut case = case.clone();
    // Passes until one drops nothing (at most three): whether a drop still
    // fails can hang on timing (a process that has or has not ended yet
    // when it is looked at), so a drop refused under load is tried again.
    for _ in 0..3 {
        let before = case.steps.len();
        let mut i = case.steps.len();
        while i > 0 {
            i -= 1;
            let mut fewer = case.clone();
            fewer.steps.remove(i);
            let (result, _, _) = run_case(mutant, &fewer);
            if result.status == Status::Fail
                && root_of(&result).as_deref() == Some(clause)
                && result.ops.len() <= best.ops.len()
            {
                case = fewer;
                best = result;
            }
            i = i.min(case.steps.len());
        }
        if case.steps.len() == before {
            break;
        }
    }
    best
}

#[test]
fn catalogue_kills_every_mutant_on_its_clause() {
    register_targets();
    procspec_reference::register(FORGETFUL_EXIT, forgetful_exit);
    let _lock = suite::lock();
    let mut kills = Vec::new();
    let mut wrong = Vec::new();
    let only = std::env::var("PROCSPEC_MUTANT").ok();
    for rule in catalogue() {
        if only.as_deref().is_some_and(|m| m != rule.mutant) {
            continue;
        }
        let all = hunt(&rule);
        // The shortest failure on the mutant's own clause (the machine's
        // first on a tie), else the machine's, else the first case's.
        let own = all
            .iter()
            .filter(|f| f.clause.as_deref() == Some(rule.breaks))
            .min_by_key(|f| f.ops);
        let best = own.or(all.first());
        let others: BTreeSet<String> = all
            .iter()
            .filter_map(|f| f.clause.clone())
            .filter(|c| c != rule.breaks)
            .collect();
        eprintln!(
            "{}: breaks {}; killed {}; {} failure(s); other roots {:?}",
            rule.mutant,
            rule.breaks,
            own.map_or("no".to_string(), |f| format!(
                "by {} in {} ops",
                f.by, f.ops
            )),
            all.len(),
            others
        );
        match (own, best) {
            (_, None) => wrong.push(format!(
                "{}: breaks {}, not caught",
                rule.mutant, rule.breaks
            )),
            (None, Some(_)) if rule.pending => {}
            (None, Some(f)) => wrong.push(format!(
                "{}: breaks {}, found only under {others:?}; first by {}:\n{}",
                rule.mutant, rule.breaks, f.by, f.rendered
            )),
            (Some(f), _) if f.ops > rule.max_ops => wrong.push(format!(
                "{}: counterexample of {} ops by {} (at most {}):\n{}",
                rule.mutant, f.ops, f.by, rule.max_ops, f.rendered
            )),
            _ => {}
        }
        kills.push(serde_json::json!({
            "mutant": rule.mutant,
            "breaks": rule.breaks,
            "description": rule.description,
            "found": best.and_then(|f| f.clause.clone()),
            "by": best.map(|f| f.by.clone()),
            "ops": best.map(|f| f.ops),
            // Killed on its clause: the invariants that restate it are
            // violated with it (the model never roots a failure on them).
            "implies": own.map_or(&[][..], |_| procspec_spec::model::implied(rule.breaks)),
        }));
    }
    let json =
        serde_json::to_string_pretty(&serde_json::json!({ "mutants": kills })).unwrap() + "\n";
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/mutation");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("kills.json"), &json).unwrap();
    if only.is_none() && std::env::var_os("PROCSPEC_BLESS_KILLS").is_some() {
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/committed/mutation");
        std::fs::create_dir_all(&committed).unwrap();
        std::fs::write(committed.join("kills.json"), &json).unwrap();
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
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
        let observed = self.inner.apply(step)?;
        // After a start that succeeded (a failed one that leaves a process
        // is caught at once, by the no-effect check): a child that blocks
        // reading a pipe nobody will write to, and the write end of that
        // pipe, both forgotten.
        if matches!(step.op, Op::Start { .. }) && !observed.outcome.is_err() {
            let child = std::process::Command::new("cat")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn cat");
            std::mem::forget(child);
        }
        Ok(observed)
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
        inner: ReferenceAdapter::reference(StartMethod::Fork),
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
        inner: ReferenceAdapter::reference(StartMethod::Fork),
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
