//! Run the whole suite from Rust: every case file as its own test, and the
//! state machine, against any [`Adapter`], in the caller's `cargo test`.
//!
//! ```text
//! // tests/conformance.rs of a crate that implements the lifecycle:
//! procspec_harness::conformance_suite! {
//!     cases = "../cases/**/*.toml",          // relative to the crate
//!     adapter = my_crate::MyAdapter::new(),
//! }
//! ```
//!
//! The macro expands to an rstest test per case file (named after the file)
//! and one state-machine test; the calling crate needs `rstest` as a dev
//! dependency. procspec's own reference is checked through exactly this
//! path (`harness/tests/reference.rs`).

use crate::adapter::Adapter;
use crate::cases::{case_id, load_case, run_case};
use crate::check::Coverage;
use crate::expectations::Expectations;
use crate::machine::{run_machine, MachineConfig};
use procspec_spec::vocab::Level;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Processes are process-global (children, reaping, the subreaper's view),
/// so conformance tests in one binary take turns.
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `cases/` directory a case file lives in (its nearest ancestor of
/// that name).
pub fn cases_root(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "cases"))
        .map_or_else(
            || path.parent().unwrap_or(path).to_path_buf(),
            Path::to_path_buf,
        )
}

/// Run one case file; panics with the result unless it matched its
/// expectation: passed, failed as `expectations` says, or was ruled out by
/// a missing capability.
///
/// Hold [`lock`] while the adapter exists (the macro does).
pub fn check_case_file<A: Adapter + ?Sized>(
    path: &Path,
    adapter: &mut A,
    expectations: Option<&Path>,
) {
    let root = cases_root(path);
    let loaded = load_case(&root, path).unwrap_or_else(|e| panic!("{e}"));
    let expectations = load_expectations(expectations);
    let (mut result, _, _) = run_case(adapter, &loaded.case);
    expectations.apply(&mut result);
    assert!(
        result.status.is_ok(),
        "case {} ({}): {}\n{}",
        case_id(&root, path),
        result.status.as_str(),
        result.message.clone().unwrap_or_default(),
        render_ops(&result.ops),
    );
}

fn load_expectations(path: Option<&Path>) -> Expectations {
    path.map(|p| Expectations::load(p).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_default()
}

/// How [`check_state_machine`] runs.
#[derive(Debug, Clone, Default)]
pub struct MachineCheck {
    /// Where shrunk failures are written as case files.
    pub regressions: Option<PathBuf>,
    /// Known divergences: a shrunk failure they list is accepted, and the
    /// clauses of their clause entries that are not intermittent are
    /// steered around (not generated, and not required by the coverage
    /// check).
    pub expectations: Option<PathBuf>,
    /// Sequences to run; `None`: `PROPTEST_CASES` or the default, and then
    /// every reachable `must` clause must have been exercised.
    pub sequences: Option<u32>,
}

/// Run the state machine and panic on a failure (unless the expectations
/// list it), with the shrunk sequence; with the default sequence count,
/// also fail if a `must` clause that the generated ops can reach was never
/// exercised. Clauses the expectations steer around are not generated and
/// not required; they are named on stderr and in the coverage message.
/// Returns the coverage.
///
/// Hold [`lock`] while the adapter exists (the macro does).
pub fn check_state_machine<A: Adapter + ?Sized>(adapter: &mut A, check: MachineCheck) -> Coverage {
    let expectations = load_expectations(check.expectations.as_deref());
    let mut config = MachineConfig::new(adapter.info().capabilities.clone());
    config.platform = adapter.info().judged_platform();
    config.regressions = check.regressions;
    config.avoid = expectations.steered_clauses();
    if let Some(n) = check.sequences {
        config.sequences = n;
    }
    if !config.avoid.is_empty() {
        eprintln!(
            "state machine: steered around known divergences (not generated, not required): {:?}",
            config.avoid
        );
    }
    let run = run_machine(adapter, &config);
    if let Some(f) = &run.failure {
        let mut f = f.clone();
        expectations.apply(&mut f);
        assert!(
            f.status.is_ok(),
            "state machine failed on clause {:?}: {}\nexpected one of {:?}, observed {:?}\nshrunk sequence:\n{}",
            f.clauses,
            f.message.clone().unwrap_or_default(),
            f.expected,
            f.observed,
            render_ops(&f.ops)
        );
        return run.coverage;
    }
    if check.sequences.is_none() {
        let missing = unexercised_must_clauses_steered(
            &run.coverage,
            &adapter.info().capabilities,
            &run.steered,
        );
        assert!(
            missing.is_empty(),
            "{} sequences ({} steps) never exercised these must clauses: {missing:?}\nexercised: {:?}\nsteered around (known divergences, not required): {:?}",
            run.sequences,
            run.steps,
            run.coverage.clauses,
            run.steered
        );
    }
    run.coverage
}

/// The `must` clauses the state machine can reach (the model cites them
/// for generated ops, and the implementation has their capabilities) that
/// `coverage` never saw.
pub fn unexercised_must_clauses(
    coverage: &Coverage,
    caps: &[procspec_spec::Capability],
) -> Vec<String> {
    unexercised_must_clauses_steered(coverage, caps, &[])
}

/// [`unexercised_must_clauses`] for a run that steered around `steered`
/// (`MachineRun::steered`): those clauses were deliberately never
/// generated, so they are not required. Callers name them alongside the
/// result, so that leaving them out is never silent.
pub fn unexercised_must_clauses_steered(
    coverage: &Coverage,
    caps: &[procspec_spec::Capability],
    steered: &[String],
) -> Vec<String> {
    crate::machine::REACHABLE_CLAUSES
        .iter()
        .filter(|id| !steered.iter().any(|s| s == *id))
        .filter(|id| {
            procspec_spec::clause(id)
                .is_some_and(|c| c.level == Level::Must && c.needs.iter().all(|n| caps.contains(n)))
        })
        .filter(|id| !coverage.clauses.contains_key(**id))
        .map(|id| id.to_string())
        .collect()
}

/// One line per step: `at: op -> observed`.
pub fn render_ops(ops: &[procspec_spec::results::StepRecord]) -> String {
    ops.iter()
        .map(|r| match &r.observed {
            Some(o) => format!("  {} -> {o}\n", r.step),
            None => format!("  {} -> (no answer)\n", r.step),
        })
        .collect()
}

/// Expand to the conformance tests of one adapter: one test per case file
/// and one state-machine test. Paths are relative to the calling crate.
/// See the module docs.
#[macro_export]
macro_rules! conformance_suite {
    (
        cases = $cases:literal,
        adapter = $make:expr
        $(, expectations = $exp:literal)?
        $(, regressions = $reg:literal)?
        $(, sequences = $seq:expr)?
        $(,)?
    ) => {
        #[allow(unused_mut, unused_assignments)]
        fn expectations() -> ::std::option::Option<::std::path::PathBuf> {
            let mut e = None;
            $( e = Some(::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($exp)); )?
            e
        }

        #[::rstest::rstest]
        fn case(#[files($cases)] path: ::std::path::PathBuf) {
            // Before the adapter exists: its processes must not appear in
            // another test's leak guard.
            let _lock = $crate::suite::lock();
            let mut adapter = $make;
            $crate::suite::check_case_file(&path, &mut adapter, expectations().as_deref());
        }

        #[test]
        fn state_machine() {
            let _lock = $crate::suite::lock();
            let mut adapter = $make;
            #[allow(unused_mut)]
            let mut check = $crate::suite::MachineCheck {
                expectations: expectations(),
                ..::std::default::Default::default()
            };
            $( check.regressions = Some(::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($reg)); )?
            $( check.sequences = Some($seq); )?
            $crate::suite::check_state_machine(&mut adapter, check);
        }
    };
}

/// How an object answers once a test's mutant has reported it closed while
/// the real one still runs (a `close()` that skipped its running check):
/// attributes still work (the real object answers them), the sentinel is
/// gone, a second `close()` succeeds, and everything else raises `closed`.
/// Mutants stay consistent after their one lie, so they break one rule.
pub fn answer_as_closed<A: Adapter + ?Sized>(
    real: &mut A,
    step: &procspec_spec::vocab::Step,
) -> Result<crate::adapter::Observed, crate::AdapterFailure> {
    use crate::adapter::Observed;
    use procspec_spec::vocab::{ErrorKind, Op, Outcome, Value};
    Ok(match &step.op {
        Op::Close { .. } => Observed::plain(Outcome::NONE),
        Op::SentinelOpen { .. } => Observed::plain(Outcome::Ok(Value::Bool(false))),
        Op::Name { .. }
        | Op::SetName { .. }
        | Op::Daemon { .. }
        | Op::SetDaemon { .. }
        | Op::Authkey { .. }
        | Op::AuthkeyLength { .. }
        | Op::SetAuthkey { .. }
        | Op::SerializeAuthkey { .. }
        | Op::Release { .. } => real.apply(step)?,
        _ => Observed::plain(Outcome::Err(ErrorKind::Closed)),
    })
}

/// What a test's lying adapter tracks so that it lies only where the model
/// cannot excuse the lie: which objects run until told to end and have not
/// been told. A lie about any other object races the child's own exit (the
/// model then allows the lie, and only a later symptom, under another
/// clause, shows it).
#[derive(Debug, Default)]
pub struct Lifetimes {
    targets: std::collections::BTreeMap<procspec_spec::vocab::Ref, procspec_spec::vocab::Target>,
    told_to_end: std::collections::BTreeSet<procspec_spec::vocab::Ref>,
}

impl Lifetimes {
    /// Note what `step` creates or tells to end (before it runs).
    pub fn observe(&mut self, step: &procspec_spec::vocab::Step) {
        use procspec_spec::vocab::Op;
        match &step.op {
            Op::Create { id, target, .. } => {
                self.targets.insert(id.clone(), target.clone());
            }
            Op::Release { p } | Op::Terminate { p } | Op::Kill { p } => {
                self.told_to_end.insert(p.clone());
            }
            _ => {}
        }
    }

    /// Whether `p` runs until told to end and has not been told: the model
    /// then knows it is running.
    pub fn surely_running(&self, p: &procspec_spec::vocab::Ref) -> bool {
        use procspec_spec::vocab::Target;
        matches!(
            self.targets.get(p),
            Some(Target::Block | Target::Agent | Target::IgnoreSigterm)
        ) && !self.told_to_end.contains(p)
    }
}
