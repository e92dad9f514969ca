//! The result of a conformance run: the JSON the runner writes and the
//! reports read. Its schema is committed at `reports/run.schema.json`;
//! field names are a public contract.

use crate::vocab::{Outcome, Step};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The status of one case or sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every outcome was one the model (and the case) allows.
    Pass,
    /// An outcome the model does not allow.
    Fail,
    /// The implementation lacks a capability the case needs.
    PreconditionFailed,
    /// Not run (the implementation is not present here, say).
    Skip,
    /// An op did not answer within its deadline.
    Timeout,
    /// The adapter died or spoke nonsense.
    Crash,
    /// Failed, as the expectation file says it does.
    ExpectedFail,
    /// Passed although the expectation file says it fails.
    UnexpectedPass,
    /// Not run because the adapter kept failing: after `--stall-threshold`
    /// consecutive timed-out or crashed cases or sequences that a restart
    /// did not cure, the rest of the implementation's run is not attempted
    /// (the message names the reason). Not ok for the exit code.
    NotRun,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: &'static [Status] = &[
        Status::Pass,
        Status::Fail,
        Status::ExpectedFail,
        Status::UnexpectedPass,
        Status::PreconditionFailed,
        Status::Skip,
        Status::Timeout,
        Status::Crash,
        Status::NotRun,
    ];

    /// Whether this status counts as "matches its expectation" for the exit
    /// code of `procspec run`.
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            Status::Pass | Status::ExpectedFail | Status::PreconditionFailed | Status::Skip
        )
    }

    /// The status as in the JSON (`expected-fail`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::PreconditionFailed => "precondition-failed",
            Status::Skip => "skip",
            Status::Timeout => "timeout",
            Status::Crash => "crash",
            Status::ExpectedFail => "expected-fail",
            Status::UnexpectedPass => "unexpected-pass",
            Status::NotRun => "not-run",
        }
    }
}

/// Whether a result comes from a case file or a generated sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultKind {
    /// A case file under `cases/`.
    Case,
    /// A state-machine sequence.
    Sequence,
}

/// Who was run, where, how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The tracked implementation's name (`cpython-fork`, ...).
    pub implementation: String,
    /// Its version, as its adapter reports it.
    pub version: String,
    /// `fork`, `spawn`, `forkserver`.
    pub start_method: String,
    /// `linux-x86_64`, ...
    pub os: String,
    /// The state machine's seed.
    pub seed: u64,
    /// The wire protocol version (0 for an in-process adapter, which the
    /// `procspec` runner no longer uses).
    pub protocol_version: u32,
    /// False when the run was interrupted: the results are partial.
    #[serde(default = "yes")]
    pub complete: bool,
    /// Why the whole implementation was skipped, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// How much later than an upper time bound an op was allowed to return
    /// (a join's timeout, a wait's deadline), in milliseconds.
    #[serde(default = "default_slack_ms")]
    pub timing_slack_ms: u64,
}

/// The default of [`RunInfo::timing_slack_ms`]: 5 s.
pub const DEFAULT_SLACK_MS: u64 = 5_000;

fn default_slack_ms() -> u64 {
    DEFAULT_SLACK_MS
}

fn yes() -> bool {
    true
}

/// One executed step, as kept in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step.
    #[serde(flatten)]
    pub step: Step,
    /// What was observed, if the op answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Outcome>,
    /// How long the op took, as the adapter measured it around the call
    /// (monotonic clock), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<f64>,
    /// What the model allowed at this step, each rendered as
    /// `outcome (timing) [clause]`; kept for the steps of a failure's story.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// Shrinking showed that this step does not matter to the failure: the
    /// failure stays when it is left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub irrelevant: bool,
}

impl StepRecord {
    /// A step and what it answered, nothing else known yet.
    pub fn new(step: Step, observed: Option<Outcome>) -> StepRecord {
        StepRecord {
            step,
            observed,
            elapsed_ms: None,
            allowed: Vec::new(),
            irrelevant: false,
        }
    }
}

impl Eq for StepRecord {}

/// A clause blamed for a failure, and the step (an index into the result's
/// `ops`) where it was established or observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blame {
    /// The clause id.
    pub clause: String,
    /// Index into `ops`.
    pub step: usize,
}

/// The result of one case or one sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case id (`start/twice`) or `sequence/<n>`.
    pub id: String,
    /// Case or sequence.
    pub kind: ResultKind,
    /// The clauses it checks. For a failure: the root clause first (the
    /// one that established the violated expectation), then the clause of
    /// the observing op, then the others.
    pub clauses: Vec<String>,
    /// For a failure: the root clause and the step that established the
    /// expectation the observation violated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<Blame>,
    /// For a failure: the clause of the op whose outcome was not allowed,
    /// and that step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observer: Option<Blame>,
    /// One command that replays this result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    /// What happened.
    pub status: Status,
    /// The allowed outcomes at the failing step, rendered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<String>,
    /// The observed outcome at the failing step, rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// For people: what went wrong, the native error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The steps run (for a failing sequence: the shrunk sequence).
    #[serde(default)]
    pub ops: Vec<StepRecord>,
}

/// Leaks counted by the leak guard over a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakCounts {
    /// Descendant processes still alive after a case.
    pub processes: u64,
    /// Zombies left behind.
    pub zombies: u64,
    /// File descriptors left open.
    pub fds: u64,
}

/// A whole run of one implementation: `DIR/<implementation>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Who, where, how.
    pub run_info: RunInfo,
    /// One per case and sequence, in run order.
    pub results: Vec<CaseResult>,
    /// Count per status.
    pub summary: BTreeMap<Status, u64>,
    /// What the leak guard found.
    #[serde(default)]
    pub leaks: LeakCounts,
}

impl RunReport {
    /// Recount `summary` from `results`.
    pub fn recount(&mut self) {
        self.summary.clear();
        for r in &self.results {
            *self.summary.entry(r.status).or_default() += 1;
        }
    }
}
