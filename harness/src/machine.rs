//! The state machine: random, shrinkable sequences of steps over trees of
//! real processes, every outcome held to the model.
//!
//! Generation uses `proptest-state-machine`'s [`ReferenceStateMachine`]
//! with the model as the reference: at each point it lists every step the
//! model can run and the implementation offers (legal *and* illegal ops:
//! starting twice, joining from a non-parent, closing a running child ...),
//! weighted so that runs reach deep states (three-level trees, daemonic
//! agents, released, terminated and SIGTERM-ignoring children, closed
//! objects) without starving on terminal ones. The reference world follows
//! the model's first allowed outcome, which is always the one that learns
//! least; the checker then follows what the implementation really answers,
//! and a generated step that the real run made impossible is skipped.
//!
//! The sequences are driven by proptest's own [`TestRunner`], so a failure
//! is shrunk to a minimal sequence and comes back as data (clause, ops,
//! expected and observed), not as a panic.
//!
//! **Steering.** A sequence stops at its first failure, so one that meets a
//! divergence the implementation is already known for ends there, as an
//! `expected-fail`, and never reaches what lies past it. The clauses listed
//! in [`MachineConfig::avoid`] (an expectation file's clause entries that
//! are not intermittent, [`Expectations::steered_clauses`]) are steered
//! around: a step whose transition in the generator's world cites one of
//! them ([`exercised_clauses`]) is not a candidate and fails
//! [`Model::preconditions`], so neither generation nor shrinking (which
//! re-checks preconditions) produces it; and when the real run has reached
//! a world where a generated step would cite one, the step is skipped, as
//! an impossible one is. Those clauses are then not exercised at all:
//! [`MachineRun::steered`] names them, and the coverage check leaves them
//! out openly (`suite::unexercised_must_clauses_steered`). A clause that
//! only the checker's run-level checks name (a zombie left after a step
//! names `join.blocks`, a changed pid `pid.process-id`) is avoided only
//! through the ops whose transitions cite it.
//!
//! [`Expectations::steered_clauses`]: crate::expectations::Expectations::steered_clauses

use crate::adapter::Adapter;
use crate::check::{clauses_of, Coverage};
use crate::session::{Flow, Session};
use procspec_spec::model::{transition, Life, World};
use procspec_spec::results::{CaseResult, ResultKind, Status};
use procspec_spec::vocab::{Capability, NameArg, Op, Ref, SelfSignal, Step, Target, Until};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::rc::Rc;

/// How a state-machine run is shaped.
#[derive(Debug, Clone)]
pub struct MachineConfig {
    /// What the implementation offers: only ops it offers are generated.
    pub capabilities: Vec<Capability>,
    /// How many sequences to run.
    pub sequences: u32,
    /// The longest sequence.
    pub max_steps: usize,
    /// The most process objects in one sequence.
    pub max_objects: usize,
    /// The seed: the same seed, the same sequences.
    pub seed: u64,
    /// Where shrunk failures are written as case files (None: not kept).
    pub regressions: Option<PathBuf>,
    /// Clauses to steer around: no step whose transition cites one of them
    /// is generated, kept by shrinking or run (see the module docs).
    /// Usually `Expectations::steered_clauses()`; empty: no steering.
    pub avoid: Vec<String>,
    /// The stall breaker ([`crate::breaker`]): every sequence and shrinking
    /// attempt is recorded with it; once it has tripped, no sequence or
    /// shrinking attempt runs, and a failure being shrunk is reported as
    /// last seen.
    pub halt: Option<crate::breaker::Stall>,
    /// The platform whose outcomes the generator's world follows (the
    /// adapter's: [`crate::AdapterInfo::judged_platform`]).
    pub platform: procspec_spec::platform::Platform,
}

impl MachineConfig {
    /// Defaults for `capabilities`; `PROPTEST_CASES` sets the sequence count.
    pub fn new(capabilities: Vec<Capability>) -> MachineConfig {
        let sequences = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(128);
        MachineConfig {
            capabilities,
            sequences,
            max_steps: 32,
            max_objects: 6,
            seed: 0x5eed,
            regressions: None,
            avoid: Vec::new(),
            halt: None,
            platform: Default::default(),
        }
    }
}

/// The generator's state: the model's world and what may be generated.
#[derive(Debug, Clone)]
pub struct GenState {
    /// The world, following the first allowed outcome of every step.
    pub world: World,
    /// Objects created so far (the next ref is `p<created+1>`).
    pub created: usize,
    config: Rc<MachineConfig>,
}

thread_local! {
    /// `init_state` is a plain function: the config of the run being
    /// generated reaches it through this slot, set by [`run_machine`].
    static CONFIG: RefCell<Option<Rc<MachineConfig>>> = const { RefCell::new(None) };
}

/// The reference state machine over the model.
pub struct Model;

impl ReferenceStateMachine for Model {
    type State = GenState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<GenState> {
        let config = CONFIG
            .with(|c| c.borrow().clone())
            .unwrap_or_else(|| Rc::new(MachineConfig::new(Vec::new())));
        let inherit = config.capabilities.contains(&Capability::InheritHandles);
        Just(GenState {
            world: World::new(inherit).on(config.platform),
            created: 0,
            config,
        })
        .boxed()
    }

    fn transitions(state: &GenState) -> BoxedStrategy<Step> {
        let candidates = candidates(state);
        Union::new_weighted(
            candidates
                .into_iter()
                .map(|(w, s)| (w, Just(s).boxed()))
                .collect(),
        )
        .boxed()
    }

    fn apply(mut state: GenState, step: &Step) -> GenState {
        if let Ok(arms) = transition(&state.world, step) {
            state.world = arms[0].next.clone();
        }
        if matches!(step.op, Op::Create { .. }) {
            state.created += 1;
        }
        state
    }

    /// Checked at generation and again for every sequence the shrinker
    /// tries: a step the world cannot run, the implementation does not
    /// offer, or that would exercise a steered-around clause is refused.
    fn preconditions(state: &GenState, step: &Step) -> bool {
        transition(&state.world, step).is_ok()
            && offered(&state.config, &step.op)
            && steered(&state.config.avoid, &state.world, step).is_none()
    }
}

/// The clauses running `step` in `world` may exercise: the clause of every
/// outcome the model allows, and [`NO_EFFECT`](crate::check::NO_EFFECT) when one of them is an
/// error (the checker's no-effect probe follows a failed op and cites it).
/// Empty for a step the model refuses.
pub fn exercised_clauses(world: &World, step: &Step) -> BTreeSet<&'static str> {
    match transition(world, step) {
        Ok(arms) => clauses_of(&arms),
        Err(_) => BTreeSet::new(),
    }
}

/// The first clause of `avoid` that `step` would exercise in `world`.
fn steered(avoid: &[String], world: &World, step: &Step) -> Option<&'static str> {
    if avoid.is_empty() {
        return None;
    }
    exercised_clauses(world, step)
        .into_iter()
        .find(|c| avoid.iter().any(|a| a == c))
}

fn offered(config: &MachineConfig, op: &Op) -> bool {
    op.needs().iter().all(|c| config.capabilities.contains(c))
}

/// Depth of a process in the tree (main is 0).
fn depth(world: &World, at: &Ref) -> usize {
    let mut d = 0;
    let mut cur = at.clone();
    while let Some(p) = world.procs.get(&cur) {
        d += 1;
        cur = p.parent.clone();
    }
    d
}

/// Every step the generator may take from `state`, with its weight.
fn candidates(state: &GenState) -> Vec<(u32, Step)> {
    let w = &state.world;
    let cfg = &state.config;
    // (category, weight, step); each category gets a fixed share of the
    // probability mass, so the many ways to create an object do not crowd
    // out the ops on the objects that exist.
    let mut raw: Vec<(usize, u32, Step)> = Vec::new();
    let mut push = |category: usize, weight: u32, at: &Ref, op: Op| {
        let step = Step { at: at.clone(), op };
        if weight > 0
            && offered(cfg, &step.op)
            && transition(w, &step).is_ok()
            && steered(&cfg.avoid, w, &step).is_none()
        {
            raw.push((category, weight, step));
        }
    };
    let mut serving: Vec<Ref> = vec![Ref::main()];
    serving.extend(
        w.procs
            .iter()
            .filter(|(_, p)| p.life == Life::Serving)
            .map(|(r, _)| r.clone()),
    );
    let live = w.procs.values().filter(|p| p.life.is_running()).count();
    for at in &serving {
        if state.created < cfg.max_objects {
            let id = Ref::nth(state.created + 1);
            let agent_weight = if depth(w, at) < 2 { 16 } else { 0 };
            // The exit-path targets are rarer: they end like `exit` and
            // differ only in how, which one case each pins down.
            let targets = [
                (15, Target::Block),
                (agent_weight, Target::Agent),
                (12, Target::Exit { code: 3 }),
                (9, Target::Return),
                (3, Target::Raise),
                (6, Target::IgnoreSigterm),
                (1, Target::NoTarget),
                (
                    1,
                    Target::Args {
                        a: 1,
                        b: 2,
                        c: Some(3),
                    },
                ),
                (1, Target::SysExit),
                (1, Target::OsExit { code: 4 }),
                (
                    1,
                    Target::SelfSignal {
                        signal: SelfSignal::Usr1,
                    },
                ),
                (1, Target::RunOverride { code: 7 }),
            ];
            for (weight, target) in targets {
                for daemon in [None, Some(true)] {
                    // Daemonic agents are as likely as others: they are the
                    // only way to reach daemon.no-children.
                    let weight = match (daemon, &target) {
                        (Some(_), Target::Agent) => weight * 3,
                        (None, _) => weight * 2,
                        _ => weight,
                    };
                    let target = target.clone();
                    let op = Op::Create {
                        id: id.clone(),
                        name: None,
                        daemon,
                        target,
                        group: None,
                    };
                    let weight = if w.daemon_of(at) { weight * 4 } else { weight };
                    push(CREATE, weight, at, op);
                }
            }
        }
        let me = || at.clone();
        push(MISC, 1, at, Op::ActiveChildren);
        push(MISC, 4, at, Op::ParentProcess);
        push(MISC, 1, at, Op::Daemon { p: me() });
        push(
            MISC,
            1,
            at,
            Op::Join {
                p: me(),
                timeout_ms: Some(0),
            },
        );
        push(MISC, 1, at, Op::IsAlive { p: me() });
        push(MISC, 1, at, Op::Name { p: me() });
        push(MISC, 1, at, Op::Authkey { p: me() });
    }
    push(MISC, 2, &Ref::main(), Op::Orphans);
    for (holder, p) in w.handles.keys() {
        if !serving.contains(holder) {
            continue;
        }
        let p = || p.clone();
        // Release more when many children run, so trees do not only grow.
        let release = if live > 2 { 6 } else { 3 };
        let ops = [
            (8, Op::Start { p: p() }),
            (release, Op::Release { p: p() }),
            (3, Op::IsAlive { p: p() }),
            (6, Op::Exitcode { p: p() }),
            (
                10,
                Op::Join {
                    p: p(),
                    timeout_ms: None,
                },
            ),
            (
                2,
                Op::Join {
                    p: p(),
                    timeout_ms: Some(5),
                },
            ),
            (4, Op::Terminate { p: p() }),
            (3, Op::Kill { p: p() }),
            (4, Op::Close { p: p() }),
            (
                1,
                Op::SetDaemon {
                    p: p(),
                    value: true,
                },
            ),
            (1, Op::Daemon { p: p() }),
            (1, Op::Name { p: p() }),
            (
                1,
                Op::SetName {
                    p: p(),
                    name: "renamed".into(),
                },
            ),
            (1, Op::Pid { p: p() }),
            (1, Op::Sentinel { p: p() }),
            (
                2,
                Op::WaitSentinel {
                    p: p(),
                    timeout_ms: 5,
                },
            ),
            (1, Op::Authkey { p: p() }),
            (
                1,
                Op::SetAuthkey {
                    p: p(),
                    key_hex: "6b6579".into(),
                },
            ),
            (1, Op::SerializeAuthkey { p: p() }),
            (4, Op::Run { p: p() }),
            (1, Op::AuthkeyLength { p: p() }),
            (1, Op::SentinelOpen { p: p() }),
            (
                1,
                Op::SetName {
                    p: p(),
                    name: NameArg::Int(42),
                },
            ),
            (
                1,
                Op::Join {
                    p: p(),
                    timeout_ms: Some(-1),
                },
            ),
        ];
        // Waits long enough that a process certain to end must be seen
        // ended: only where it is (elsewhere they would wait them out).
        let ends = w
            .procs
            .get(&p())
            .is_some_and(|x| matches!(x.life, Life::Exiting(_) | Life::Exited(_)));
        let long_waits = [
            (4, Until::NotAlive),
            (2, Until::Exitcode),
            (1, Until::NotActive),
        ];
        for (weight, until) in long_waits {
            if ends {
                let op = Op::Await {
                    p: p(),
                    until,
                    timeout_ms: LONG_WAIT_MS,
                };
                push(OBJECT, weight, holder, op);
            }
        }
        if ends {
            let op = Op::WaitSentinel {
                p: p(),
                timeout_ms: LONG_WAIT_MS,
            };
            push(OBJECT, 2, holder, op);
        }
        // A daemonic agent starting a child is the only way to reach
        // daemon.no-children: make that likely once such an agent serves.
        let daemonic_holder = w.daemon_of(holder);
        // Ops on an inherited copy are the only way to reach the
        // parent-only rules.
        let copy = w
            .handles
            .get(&(holder.clone(), p()))
            .is_some_and(|h| &h.creator != holder);
        for (weight, op) in ops {
            let weight = match op {
                Op::Start { .. } if daemonic_holder => weight * 5,
                Op::IsAlive { .. } | Op::Join { .. } if copy => weight * 4,
                _ => weight,
            };
            push(OBJECT, weight, holder, op);
        }
    }
    let mut totals = [0u32; 3];
    for (c, weight, _) in &raw {
        totals[*c] += weight;
    }
    let mut out: Vec<(u32, Step)> = raw
        .into_iter()
        .map(|(c, weight, step)| ((SHARE[c] * weight).div_ceil(totals[c]).max(1), step))
        .collect();
    if out.is_empty() {
        // Always something to do: observing main is valid in every world
        // (the first of these not steered around; if all three were, the
        // preconditions refuse it and proptest gives up generating).
        let at_main = |op| Step {
            at: Ref::main(),
            op,
        };
        let fallback = [
            at_main(Op::ActiveChildren),
            at_main(Op::CurrentProcess),
            at_main(Op::Name { p: Ref::main() }),
        ];
        let step = fallback
            .iter()
            .find(|s| steered(&cfg.avoid, w, s).is_none())
            .unwrap_or(&fallback[0])
            .clone();
        out.push((1, step));
    }
    out
}

/// The timeout of the generator's `await` and long `wait-sentinel` steps:
/// past [`procspec_spec::model::EVENTUALLY_MS`], so an ended process must
/// be seen ended, and generous, because it is only waited out by an
/// implementation that never sees the end.
const LONG_WAIT_MS: u64 = 10_000;

const CREATE: usize = 0;
const OBJECT: usize = 1;
const MISC: usize = 2;
/// Each category's share of the probability mass, out of 10 000.
const SHARE: [u32; 3] = [2_000, 7_000, 1_000];

/// The `must` and other clauses the model cites for ops the generator
/// makes; the coverage check expects every `must` one of them to be hit.
pub const REACHABLE_CLAUSES: &[&str] = &[
    "construct.daemon-inherit",
    "construct.daemon-arg",
    "current-process.main",
    "join.not-self",
    "is-alive.lifetime",
    "exitcode.none-while-running",
    "pid.process-id",
    "daemon.inherited",
    "authkey.random",
    "authkey.no-pickle",
    "name.initial",
    "name.identification",
    "daemon.before-start",
    "authkey.inherited",
    "authkey.settable",
    "close.then-raises",
    "run.invokes-target",
    "start.once",
    "daemon.no-children",
    "start.runs-run",
    "join.parent-only",
    "join.before-start",
    "join.blocks",
    "join.timeout",
    "join.many-times",
    "is-alive.parent-only",
    "exitcode.status",
    "exitcode.signal-negative",
    "pid.none-before-start",
    "sentinel.ready-at-end",
    "terminate.sigterm",
    "kill.sigkill",
    "close.requires-exit",
    "close.releases",
    "active-children.live",
    "parent-process.creator",
    "parent-process.none-in-main",
    "terminate.orphans",
    "error.no-effect",
];

/// What a state-machine run produced.
#[derive(Debug, Clone, Default)]
pub struct MachineRun {
    /// Sequences run (shrinking attempts included).
    pub sequences: u64,
    /// Steps executed.
    pub steps: u64,
    /// One result per sequence generated before the first failure (their
    /// ops are left out: they passed), then the shrunk failure, if any.
    pub results: Vec<CaseResult>,
    /// The shrunk failure, if any: an ordinary result with the minimal ops.
    pub failure: Option<CaseResult>,
    /// What the run exercised.
    pub coverage: Coverage,
    /// Leaks found by the guard over the run.
    pub leaks: procspec_spec::results::LeakCounts,
    /// The clauses steered around ([`MachineConfig::avoid`], sorted): no
    /// step citing them was run, so they are not exercised.
    pub steered: Vec<String>,
}

/// Run the state machine against `adapter`.
pub fn run_machine<A: Adapter + ?Sized>(adapter: &mut A, config: &MachineConfig) -> MachineRun {
    let config = Rc::new(config.clone());
    CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
    let inherit = config.capabilities.contains(&Capability::InheritHandles);
    let strategy = Model::sequential_strategy(1..=config.max_steps);
    let proptest_config = Config {
        cases: config.sequences,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&config.seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        proptest_config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    let adapter = RefCell::new(adapter);
    let mut steered_around = config.avoid.clone();
    steered_around.sort();
    steered_around.dedup();
    let run = RefCell::new(MachineRun {
        steered: steered_around,
        ..MachineRun::default()
    });
    let avoid = &config.avoid;
    let last_failure: RefCell<Option<CaseResult>> = RefCell::new(None);
    // The clause of the first failure. Shrinking keeps to it: a smaller
    // sequence that fails on another clause (a race, a second bug) is not a
    // simplification of this failure, so it counts as passing (Hypothesis
    // calls this avoiding slippage).
    let origin: RefCell<Option<String>> = RefCell::new(None);

    let halted = || config.halt.as_ref().is_some_and(|h| h.is_tripped());
    let outcome = runner.run(&strategy, |(_, steps, seen)| {
        if crate::supervisor::stop_requested() || halted() {
            // Asked to stop: the remaining sequences pass through unrun.
            return Ok(());
        }
        let mut adapter = adapter.borrow_mut();
        let mut result = sequence_result(0);
        let mut session = Session::begin(&mut **adapter, inherit);
        let mut executed = 0u64;
        for (i, step) in steps.iter().enumerate() {
            if let Some(seen) = &seen {
                seen.store(i + 1, std::sync::atomic::Ordering::SeqCst);
            }
            match session.step_avoiding(step, avoid) {
                Flow::Skipped => {}
                Flow::Ran => executed += 1,
                Flow::Stopped => {
                    executed += 1;
                    break;
                }
            }
        }
        let failed = session.stopped();
        let (coverage, leaks) = session.finish(&mut result);
        if let Some(halt) = &config.halt {
            halt.record(result.status, result.message.as_deref());
        }
        let mut run = run.borrow_mut();
        if !failed && result.status == Status::Pass && last_failure.borrow().is_none() {
            result.id = format!("sequence/{}", run.results.len() + 1);
            result.clauses = coverage.clauses.keys().cloned().collect();
            result.ops.clear();
            run.results.push(result.clone());
        }
        run.sequences += 1;
        run.steps += executed;
        run.coverage.merge(&coverage);
        leaks.add_to(&mut run.leaks);
        if failed || result.status != Status::Pass {
            let clause = failure_clause(&result);
            let mut origin = origin.borrow_mut();
            if origin.as_ref().is_some_and(|o| *o != clause) {
                return Ok(());
            }
            origin.get_or_insert(clause);
            let reason = format!(
                "{}: {}",
                result.clauses.join(","),
                result.message.clone().unwrap_or_default()
            );
            *last_failure.borrow_mut() = Some(result);
            return Err(TestCaseError::fail(reason));
        }
        Ok(())
    });

    let mut run = run.into_inner();
    if let Err(TestError::Fail(_, (_, minimal, _))) = outcome {
        // Replay the minimal sequence once more to record its outcomes.
        let adapter = adapter.into_inner();
        let mut result = if halted() {
            // The adapter is gone: keep what the last failing attempt saw.
            last_failure
                .borrow_mut()
                .take()
                .unwrap_or_else(|| sequence_result(0))
        } else {
            replay_avoiding(&mut *adapter, &minimal, inherit, avoid)
        };
        let slipped = origin
            .borrow()
            .as_ref()
            .is_some_and(|o| *o != failure_clause(&result));
        if result.status == Status::Pass || slipped {
            // Flaky, or failing on another clause this time: keep what the
            // shrinker saw last.
            result = last_failure.into_inner().unwrap_or(result);
        } else {
            mark_irrelevant(&mut *adapter, &minimal, inherit, avoid, &mut result);
        }
        result.id = format!("sequence/{:016x}", config.seed);
        if let Some(dir) = &config.regressions {
            if let Ok(path) = write_regression(dir, &result, &minimal) {
                let note = format!("; written to {}", path.display());
                result.message = Some(result.message.unwrap_or_default() + &note);
            }
        }
        run.results.push(result.clone());
        run.failure = Some(result);
    }
    CONFIG.with(|c| *c.borrow_mut() = None);
    run
}

/// The clause a failing sequence is filed under: its root, else its first
/// clause (a crash or a leak names one without a step).
fn failure_clause(result: &CaseResult) -> String {
    match &result.root {
        Some(root) => root.clause.clone(),
        None => result.clauses.first().cloned().unwrap_or_default(),
    }
}

fn sequence_result(n: u64) -> CaseResult {
    CaseResult {
        id: format!("sequence/{n}"),
        kind: ResultKind::Sequence,
        clauses: Vec::new(),
        status: Status::Pass,
        expected: Vec::new(),
        observed: None,
        message: None,
        ops: Vec::new(),
        root: None,
        observer: None,
        replay: None,
    }
}

/// Run `steps` once, as a sequence, and record everything.
pub fn replay<A: Adapter + ?Sized>(adapter: &mut A, steps: &[Step], inherit: bool) -> CaseResult {
    replay_avoiding(adapter, steps, inherit, &[])
}

/// [`replay`], skipping the steps that would exercise a clause of `avoid`
/// in the world the run has reached, as [`run_machine`] does.
pub fn replay_avoiding<A: Adapter + ?Sized>(
    adapter: &mut A,
    steps: &[Step],
    inherit: bool,
    avoid: &[String],
) -> CaseResult {
    let mut result = sequence_result(0);
    let mut session = Session::begin(adapter, inherit);
    for step in steps {
        if session.step_avoiding(step, avoid) == Flow::Stopped {
            break;
        }
    }
    session.finish(&mut result);
    result
}

/// Mark the steps of a shrunk failure that do not matter to it: left out
/// one at a time, the failure stays, on the same root clause (Hypothesis
/// shows which parts of a minimal example could vary freely). Only for
/// short sequences: one replay per step.
fn mark_irrelevant<A: Adapter + ?Sized>(
    adapter: &mut A,
    minimal: &[Step],
    inherit: bool,
    avoid: &[String],
    result: &mut CaseResult,
) {
    const MAX_STEPS_TO_TRY: usize = 8;
    if minimal.len() > MAX_STEPS_TO_TRY {
        return;
    }
    let root = result.clauses.first().cloned();
    let mut irrelevant = Vec::new();
    for i in 0..minimal.len() {
        let mut without = minimal.to_vec();
        let step = without.remove(i);
        let again = replay_avoiding(adapter, &without, inherit, avoid);
        if again.status == result.status && again.clauses.first() == root.as_ref() {
            irrelevant.push(step);
        }
    }
    for step in irrelevant {
        if let Some(r) = result
            .ops
            .iter_mut()
            .find(|r| r.step == step && !r.irrelevant)
        {
            r.irrelevant = true;
        }
    }
}

/// Write a shrunk failure as an ordinary case file under `dir`.
pub fn write_regression(
    dir: &std::path::Path,
    result: &CaseResult,
    steps: &[Step],
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let text = regression_case(result, steps);
    let name = format!("{:016x}.toml", fnv(&text));
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The case-file text of a shrunk failure: the steps, with the outcome
/// "as the model says" (no `expect`).
pub fn regression_case(result: &CaseResult, steps: &[Step]) -> String {
    #[derive(serde::Serialize)]
    struct File<'a> {
        description: String,
        clauses: &'a [String],
        step: &'a [Step],
    }
    let clauses: Vec<String> = result
        .clauses
        .iter()
        .filter(|c| procspec_spec::clause(c).is_some())
        .cloned()
        .collect();
    let clauses = if clauses.is_empty() {
        vec!["error.no-effect".to_string()]
    } else {
        clauses
    };
    let file = File {
        description: format!(
            "Shrunk by the state machine: {}",
            result
                .message
                .clone()
                .unwrap_or_default()
                .replace('\n', " ")
        ),
        clauses: &clauses,
        step: steps,
    };
    format!(
        "# Written by the state machine from a shrunk failure; replayed as an ordinary case.\n{}",
        toml::to_string(&file).unwrap_or_default()
    )
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
