//! A whole conformance run of one implementation: every case, then the
//! state machine, each result held to the implementation's expectations,
//! into a [`RunReport`].
//!
//! The state machine steers around the clauses the expectations say the
//! implementation breaks ([`Expectations::steered_clauses`]); every
//! sequence result then says so in its `message` (`steered around known
//! divergences (...): <clauses>`), so a report shows which clauses its
//! sequences did not exercise. The report's fields are unchanged.
//!
//! A run stops early, its report marked incomplete, when the harness's
//! supervisor hook says so (`procspec_harness::supervisor::stop_requested`:
//! SIGINT or SIGTERM, once this crate's `supervisor::install` ran; never
//! otherwise).

use procspec_harness::adapter::Adapter;
use procspec_harness::breaker::{Stall, Watched};
use procspec_harness::cases::{run_case, LoadedCase};
use procspec_harness::check::Coverage;
use procspec_harness::expectations::Expectations;
use procspec_harness::machine::{run_machine, MachineConfig};
use procspec_harness::supervisor::stop_requested;
use procspec_harness::units::{self, Selection, Unit};
use procspec_spec::results::{CaseResult, LeakCounts, RunInfo, RunReport, Status};
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
    /// Failed cases or sequences in a row (each after a restart) that end
    /// the implementation's run; 0: never ([`procspec_harness::breaker`]).
    pub stall_threshold: u32,
    /// The units to run ([`procspec_harness::units`]): all of them, or a
    /// shard's.
    pub selection: Selection,
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
    /// The state machine finished (a block of sequences).
    SequencesDone {
        /// Sequences run, shrinking included.
        run: u64,
        /// The block's sequences.
        count: u32,
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
            timing_slack_ms: procspec_harness::check::slack_ms(),
            implementation: options.implementation.clone(),
            version: info.version.clone(),
            start_method: info.start_method.clone(),
            // Where the implementation ran (its hello's platform): the
            // platform it is judged by.
            os: info.platform.clone(),
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
    let stall = Stall::new(options.stall_threshold);
    let mut adapter = Watched::new(adapter, stall.clone());
    let adapter = &mut adapter;
    let selected = |u: Unit| options.selection.has(&u);
    let cases: Vec<&LoadedCase> = cases
        .iter()
        .filter(|c| selected(Unit::Case(c.case.id.clone())))
        .collect();
    for c in &cases {
        if stop_requested() {
            report.run_info.complete = false;
            break;
        }
        if let Some(why) = stall.tripped() {
            report
                .results
                .push(units::not_run_case(&c.case.id, &c.case.clauses, &why));
            continue;
        }
        let (mut result, cov, leaks) = run_case(adapter, &c.case);
        stall.record(result.status, result.message.as_deref());
        if stall.is_tripped() {
            adapter.discard();
        }
        leaks.add_to(&mut report.leaks);
        options.expectations.apply(&mut result);
        if !result.status.is_ok() || result.status == Status::ExpectedFail {
            // The case's own folder: the case and its siblings, no sequences.
            let area = c.case.id.rsplit_once('/').map_or("", |(a, _)| a);
            result.replay = Some(format!(
                "procspec run --impl {} --cases cases/{area} --sequences 0",
                options.implementation
            ));
        }
        coverage.merge(&cov);
        progress(Progress::Case {
            result: &result,
            of: cases.len(),
        });
        report.results.push(result);
    }
    for b in 0..units::block_count(options.sequences) {
        if stop_requested() || !selected(Unit::Block(b)) {
            continue;
        }
        if let Some(why) = stall.tripped() {
            let results = units::not_run_block(options.sequences, b, &why);
            report.results.extend(results);
            continue;
        }
        let (first, count) = units::block_range(options.sequences, b);
        progress(Progress::Sequences { count });
        let mut config = MachineConfig::new(info.capabilities.clone());
        config.platform = info.judged_platform();
        config.sequences = count;
        config.seed = units::block_seed(options.seed, b);
        config.max_steps = options.max_steps;
        config.regressions = options.regressions.clone();
        config.avoid = options.expectations.steered_clauses();
        config.halt = Some(stall.clone());
        let run = run_machine(adapter, &config);
        if stall.is_tripped() {
            adapter.discard();
        }
        progress(Progress::SequencesDone {
            run: run.sequences,
            count,
        });
        coverage.merge(&run.coverage);
        report.leaks.processes += run.leaks.processes;
        report.leaks.zombies += run.leaks.zombies;
        report.leaks.fds += run.leaks.fds;
        let note = steering_note(&run.steered);
        let passed = run.results.len() - usize::from(run.failure.is_some());
        for (i, mut r) in run.results.into_iter().enumerate() {
            if i < passed {
                r.id = format!("sequence/{}", first as usize + i);
            }
            options.expectations.apply(&mut r);
            if !r.status.is_ok() || r.status == Status::ExpectedFail {
                // The same seed generates the same sequences.
                r.replay = Some(format!(
                    "procspec run --impl {} --sequences {} --seed {:#x} --max-steps {}",
                    options.implementation, options.sequences, options.seed, options.max_steps
                ));
            }
            if let Some(note) = &note {
                r.message = Some(match r.message.take() {
                    Some(m) => format!("{m}; {note}"),
                    None => note.clone(),
                });
            }
            report.results.push(r);
        }
    }
    if stop_requested() {
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
