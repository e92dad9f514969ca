//! Expectation-aware generation: the state machine steers around the
//! clauses an implementation is known to break (clause entries of its
//! expectations that are not intermittent), so sequences run past a known
//! divergence instead of stopping at it as `expected-fail`, and unknown
//! divergences deeper in are found and shrunk.
//!
//! The implementation with a known divergence is the reference with one
//! rule broken, as in the harness's `tests/mutants.rs`; its "expectation
//! file" lists that rule's clause.
//!
//! Here, beside the runner, because one test drives a whole run
//! (`procspec_runner::run`, which notes the steering in every sequence
//! result); the others exercise the harness's state machine and suite path
//! on the same diverging adapter.
//!
//! Unix only: the reference adapter and remote adapters need fork and pipes passed by number.
#![cfg(unix)]

use procspec_harness::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_harness::expectations::Expectations;
use procspec_harness::machine::{exercised_clauses, run_machine, MachineConfig};
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_harness::suite::{self, MachineCheck};
use procspec_reference::StartMethod;
use procspec_runner::run::{run_implementation, RunOptions};
use procspec_spec::model::{follow, transition, World};
use procspec_spec::results::{CaseResult, ResultKind, Status};
use procspec_spec::vocab::{ErrorKind, Op, Outcome, Ref, Step, Target};

const KNOWN: &str = "daemon.no-children";

/// The reference, except that a daemonic process's `start()` of a child
/// reports success (billiard's and `python -O`'s known divergence), and,
/// with `close_running`, that `close()` of a running process reports
/// success too: a divergence nobody listed, which sequences reach less
/// often than the known one.
struct Diverging {
    inner: ReferenceAdapter,
    close_running: bool,
    /// The objects (holder, ref) whose close() of a running process was
    /// answered with success: from then on they answer as a closed object
    /// does (attributes work, the sentinel is gone, the rest raises), so
    /// the one broken rule is close.requires-exit and not close.releases.
    closed_running: std::collections::BTreeSet<(Ref, Ref)>,
    /// The lie is told only about a process that surely still runs: about
    /// one that may have ended, the model allows it and only a later
    /// zombie shows it, under another clause.
    lifetimes: suite::Lifetimes,
}

impl Diverging {
    fn new(close_running: bool) -> Diverging {
        register_targets();
        Diverging {
            inner: ReferenceAdapter::reference(StartMethod::Fork),
            close_running,
            closed_running: Default::default(),
            lifetimes: Default::default(),
        }
    }
}

impl Adapter for Diverging {
    fn info(&self) -> &AdapterInfo {
        self.inner.info()
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        let held = step.op.subject().map(|p| (step.at.clone(), p.clone()));
        if held
            .as_ref()
            .is_some_and(|k| self.closed_running.contains(k))
        {
            return suite::answer_as_closed(&mut self.inner, step);
        }
        self.lifetimes.observe(step);
        let observed = self.inner.apply(step)?;
        let lie = Observed::plain(Outcome::NONE);
        Ok(match (&step.op, &observed.outcome) {
            (Op::Start { .. }, Outcome::Err(ErrorKind::DaemonicChildren)) => lie,
            (Op::Close { p }, Outcome::Err(ErrorKind::StillRunning))
                if self.close_running && self.lifetimes.surely_running(p) =>
            {
                self.closed_running.extend(held);
                lie
            }
            _ => observed,
        })
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        self.closed_running.clear();
        self.lifetimes = Default::default();
        self.inner.reset()
    }

    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }
}

fn expectations(text: &str) -> Expectations {
    Expectations::parse(text, "test.toml").expect("valid expectations")
}

fn known_divergence() -> Expectations {
    expectations(&format!(
        "[[divergence]]\nclause = \"{KNOWN}\"\nreason = \"start() lacks the daemonic-children assert\"\n"
    ))
}

fn options(expectations: Expectations, sequences: u32) -> RunOptions {
    RunOptions {
        implementation: "diverging-fork".into(),
        sequences,
        seed: 0x5eed,
        max_steps: 32,
        regressions: None,
        expectations,
        stall_threshold: procspec_harness::breaker::DEFAULT_THRESHOLD,
        selection: procspec_harness::units::Selection::all(),
    }
}

fn sequences(results: &[CaseResult]) -> Vec<&CaseResult> {
    results
        .iter()
        .filter(|r| r.kind == ResultKind::Sequence)
        .collect()
}

fn count(results: &[&CaseResult], status: Status) -> usize {
    results.iter().filter(|r| r.status == status).count()
}

#[test]
fn steered_clauses_are_the_clause_entries_that_are_not_intermittent() {
    let e = expectations(
        r#"
[[divergence]]
clause = "daemon.no-children"
reason = "a"

[[divergence]]
case = "start/twice"
reason = "case entries do not steer"

[[divergence]]
clause = "terminate.orphans"
reason = "intermittent entries do not steer"
allowed = [{ ok = { int = 1 } }]

[[divergence]]
clause = "join.parent-only"
reason = "not on this platform"
platform = "no-such-os"

[[divergence]]
clause = "daemon.no-children"
reason = "listed twice, steered once"
"#,
    );
    assert_eq!(e.steered_clauses(), vec![KNOWN.to_string()]);
    assert!(Expectations::default().steered_clauses().is_empty());
}

#[test]
fn a_daemonic_agents_start_exercises_the_known_clause() {
    // main creates a daemonic agent p1 and starts it; p1 creates p2: p1's
    // start of p2 is the step steering refuses.
    let mut world = World::new(true);
    let main = |op| Step {
        at: Ref::main(),
        op,
    };
    let steps = [
        main(Op::Create {
            id: Ref::from("p1"),
            name: None,
            daemon: Some(true),
            target: Target::Agent,
            group: None,
        }),
        main(Op::Start { p: Ref::from("p1") }),
        Step {
            at: Ref::from("p1"),
            op: Op::Create {
                id: Ref::from("p2"),
                name: None,
                daemon: None,
                target: Target::Block,
                group: None,
            },
        },
    ];
    for s in &steps {
        assert!(!exercised_clauses(&world, s).contains(KNOWN), "{s}");
        world = transition(&world, s).unwrap()[0].next.clone();
    }
    let start = Step {
        at: Ref::from("p1"),
        op: Op::Start { p: Ref::from("p2") },
    };
    let cited = exercised_clauses(&world, &start);
    assert!(cited.contains(KNOWN), "{cited:?}");
    // It fails, so the no-effect probe follows it.
    assert!(cited.contains("error.no-effect"), "{cited:?}");
}

/// Without steering, the known divergence ends a sequence: the run stops
/// there with one `expected-fail` (with no expectations, a `fail` naming
/// the clause). With steering, every sequence runs and passes.
#[test]
fn sequences_run_past_a_known_divergence() {
    let _lock = suite::lock();
    const N: u32 = 96;

    // Without the expectation: the divergence is found, on its clause.
    let mut adapter = Diverging::new(false);
    let (report, _) = run_implementation(
        &mut adapter,
        &[],
        &options(Expectations::default(), N),
        &mut |_| {},
    );
    let plain = sequences(&report.results);
    let failed: Vec<_> = plain.iter().filter(|r| r.status == Status::Fail).collect();
    // At most one failure per block of sequences (a block stops at its
    // first), each on the known clause.
    assert!(!failed.is_empty(), "{plain:#?}");
    assert!(
        failed.len() <= procspec_harness::units::block_count(N) as usize,
        "{plain:#?}"
    );
    for f in &failed {
        assert_eq!(f.clauses, vec![KNOWN.to_string()], "{f:?}");
    }
    assert!(
        count(&plain, Status::Pass) < N as usize,
        "the failing sequence ended the run early"
    );

    // Unsteered, the expectation only relabels that failure: the run is
    // still cut short at a divergence everybody knew about.
    let mut config = MachineConfig::new(adapter.info().capabilities.clone());
    config.sequences = N;
    let run = run_machine(&mut adapter, &config);
    let mut failure = run.failure.expect("the unsteered run meets the divergence");
    known_divergence().apply(&mut failure);
    assert_eq!(failure.status, Status::ExpectedFail, "{failure:?}");
    assert!(run.steered.is_empty());

    // With the expectation, the run steers around the clause: every
    // sequence passes, none is expected-fail, and each says what it left out.
    let (report, _) = run_implementation(
        &mut adapter,
        &[],
        &options(known_divergence(), N),
        &mut |_| {},
    );
    let steered = sequences(&report.results);
    assert_eq!(steered.len(), N as usize, "{steered:#?}");
    assert_eq!(count(&steered, Status::Pass), N as usize, "{steered:#?}");
    assert_eq!(count(&steered, Status::ExpectedFail), 0);
    for r in &steered {
        assert!(!r.clauses.iter().any(|c| c == KNOWN), "{r:?}");
        let message = r.message.as_deref().unwrap_or_default();
        assert!(
            message.contains("steered around") && message.contains(KNOWN),
            "{message}"
        );
    }
}

/// Past the known divergence lies an unknown one (`close()` of a running
/// process succeeds). Unsteered, the run stops at the known one (an
/// `expected-fail`) and never reports the other. Steered, it finds it,
/// names its clause, and shrinks it to a short sequence in which no step
/// exercises the steered-around clause: shrinking re-checks the
/// preconditions.
#[test]
fn an_unknown_divergence_past_a_known_one_is_found_and_shrunk() {
    const UNKNOWN: &str = "close.requires-exit";
    let _lock = suite::lock();
    let mut adapter = Diverging::new(true);

    // Unsteered, with only the known divergence, the run stops there.
    let mut known_only = Diverging::new(false);
    let mut config = MachineConfig::new(known_only.info().capabilities.clone());
    config.sequences = 256;
    let run = run_machine(&mut known_only, &config);
    let mut first = run.failure.expect("the unsteered run stops at a failure");
    assert_eq!(first.clauses, vec![KNOWN.to_string()], "{first:?}");
    known_divergence().apply(&mut first);
    assert_eq!(first.status, Status::ExpectedFail);
    drop(known_only);

    config.avoid = known_divergence().steered_clauses();
    let run = run_machine(&mut adapter, &config);
    assert_eq!(run.steered, vec![KNOWN.to_string()]);
    let failure = run
        .failure
        .unwrap_or_else(|| panic!("{} sequences missed {UNKNOWN}", run.sequences));
    assert_eq!(failure.status, Status::Fail, "{failure:?}");
    assert_eq!(failure.clauses, vec![UNKNOWN.to_string()], "{failure:?}");
    assert!(
        failure.ops.len() <= 5,
        "the shrunk sequence has {} ops:\n{}",
        failure.ops.len(),
        suite::render_ops(&failure.ops)
    );
    // Follow the model through what was observed: no step cited the known
    // clause (the last one is the divergence, which the model does not
    // allow).
    let mut world = World::new(true);
    for r in &failure.ops {
        let cited = exercised_clauses(&world, &r.step);
        assert!(!cited.contains(KNOWN), "{} cites {KNOWN}", r.step);
        let arms = transition(&world, &r.step).expect("a runnable step");
        let Some(arm) = r
            .observed
            .as_ref()
            .and_then(|o| follow(&arms, o, None, None, 0))
        else {
            break;
        };
        world = arm.next.clone();
    }
    // Against the expectations, it is a plain failure: nobody listed it.
    let mut listed = failure.clone();
    known_divergence().apply(&mut listed);
    assert_eq!(listed.status, Status::Fail);
}

/// The coverage check of the suite path leaves the steered-around clause
/// out, and only that one.
#[test]
fn coverage_does_not_require_steered_around_clauses() {
    let empty = Default::default();
    let caps = Diverging::new(false).info().capabilities.clone();
    let all = suite::unexercised_must_clauses(&empty, &caps);
    assert!(all.iter().any(|c| c == KNOWN), "{all:?}");
    let steered = suite::unexercised_must_clauses_steered(&empty, &caps, &[KNOWN.to_string()]);
    let mut expected = all.clone();
    expected.retain(|c| c != KNOWN);
    assert_eq!(steered, expected);
}

/// The suite path (`conformance_suite!`'s state-machine test): with the
/// expectation file, the diverging implementation passes, and all its
/// sequences run, so every other reachable `must` clause is exercised.
/// (256 sequences: `exitcode.signal-negative` is rare in any sample, as for
/// the reference at the default 128, and this sample of 128 is too thin.)
#[test]
fn the_suite_state_machine_passes_with_the_expectation_file() {
    let _lock = suite::lock();
    let path = std::env::temp_dir().join(format!("procspec-steering-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        format!("[[divergence]]\nclause = \"{KNOWN}\"\nreason = \"start() lacks the assert\"\n"),
    )
    .unwrap();
    let mut adapter = Diverging::new(false);
    let coverage = suite::check_state_machine(
        &mut adapter,
        MachineCheck {
            expectations: Some(path.clone()),
            sequences: Some(256),
            ..MachineCheck::default()
        },
    );
    let _ = std::fs::remove_file(&path);
    assert!(!coverage.clauses.contains_key(KNOWN), "{coverage:?}");
    // All the sequences ran: no early stop at the (expected) divergence
    // left other clauses unexercised.
    let caps = adapter.info().capabilities.clone();
    let missing = suite::unexercised_must_clauses_steered(&coverage, &caps, &[KNOWN.to_string()]);
    assert!(missing.is_empty(), "never exercised: {missing:?}");
}
