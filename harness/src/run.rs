//! A whole conformance run of one implementation: every case, then the
//! state machine, each result held to the implementation's expectations,
//! into a [`RunReport`].
//!
//! The state machine steers around the clauses the expectations say the
//! implementation breaks ([`Expectations::steered_clauses`]); every
//! sequence result then says so in its `message` (`steered around known
//! divergences (...): <clauses>`), so a report shows which clauses its
//! sequences did not exercise. The report's fields are unchanged.

use crate::adapter::Adapter;
use crate::cases::{run_case, LoadedCase};
use crate::check::Coverage;
use crate::expectations::Expectations;
use crate::machine::{run_machine, MachineConfig};
use procspec_spec::results::{CaseResult, LeakCounts, RunInfo, RunReport};
use std::path::PathBuf;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The name the report carries (`reference-fork`, `cpython-spawn`).
    pub implementation: String,
    /// State-machine sequences (0: cases only).
    pub sequences: u32,
    /// The state machine's seed.
    pub seed: u64,
    /// Longest generated sequence.
    pub max_steps: usize,
    /// Where shrunk failures are written as case files.
    pub regressions: Option<PathBuf>,
    /// Known divergences; their clause entries that are not intermittent
    /// also steer the state machine (see the module docs).
    pub expectations: Expectations,
}

/// Something happened, for a progress display.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    /// A case finished.
    Case {
        /// Its result.
        result: &'a CaseResult,
        /// How many cases in all.
        of: usize,
    },
    /// The state machine starts (it reports once, when done).
    Sequences {
        /// How many sequences.
        count: u32,
    },
    /// The state machine finished.
    SequencesDone {
        /// Sequences run, shrinking included.
        run: u64,
    },
}

/// Run `cases` and then the state machine against `adapter`.
pub fn run_implementation<A: Adapter + ?Sized>(
    adapter: &mut A,
    cases: &[LoadedCase],
    options: &RunOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> (RunReport, Coverage) {
    let info = adapter.info().clone();
    let mut report = RunReport {
        run_info: RunInfo {
            timing_slack_ms: crate::check::slack_ms(),
            implementation: options.implementation.clone(),
            version: info.version.clone(),
            start_method: info.start_method.clone(),
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            seed: options.seed,
            protocol_version: info.protocol_version,
            complete: true,
            skip_reason: None,
        },
        results: Vec::new(),
        summary: Default::default(),
        leaks: LeakCounts::default(),
    };
    let mut coverage = Coverage::default();
    for c in cases {
        if crate::watchdog::stop_requested() {
            report.run_info.complete = false;
            break;
        }
        let (mut result, cov, leaks) = run_case(adapter, &c.case);
        leaks.add_to(&mut report.leaks);
        options.expectations.apply(&mut result);
        coverage.merge(&cov);
        progress(Progress::Case {
            result: &result,
            of: cases.len(),
        });
        report.results.push(result);
    }
    if options.sequences > 0 && !crate::watchdog::stop_requested() {
        progress(Progress::Sequences {
            count: options.sequences,
        });
        let mut config = MachineConfig::new(info.capabilities.clone());
        config.sequences = options.sequences;
        config.seed = options.seed;
        config.max_steps = options.max_steps;
        config.regressions = options.regressions.clone();
        config.avoid = options.expectations.steered_clauses();
        let run = run_machine(adapter, &config);
        progress(Progress::SequencesDone { run: run.sequences });
        coverage.merge(&run.coverage);
        report.leaks.processes += run.leaks.processes;
        report.leaks.zombies += run.leaks.zombies;
        report.leaks.fds += run.leaks.fds;
        let note = steering_note(&run.steered);
        for mut r in run.results {
            options.expectations.apply(&mut r);
            if let Some(note) = &note {
                r.message = Some(match r.message.take() {
                    Some(m) => format!("{m}; {note}"),
                    None => note.clone(),
                });
            }
            report.results.push(r);
        }
    }
    if crate::watchdog::stop_requested() {
        report.run_info.complete = false;
    }
    report.recount();
    (report, coverage)
}

/// What a sequence result says about steering, if there was any.
fn steering_note(steered: &[String]) -> Option<String> {
    (!steered.is_empty()).then(|| {
        format!(
            "steered around known divergences (clause entries of the expectations; not exercised): {}",
            steered.join(", ")
        )
    })
}
