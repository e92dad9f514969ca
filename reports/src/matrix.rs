//! The matrix: clauses (rows, grouped by area) by implementations
//! (columns), each cell counting the results that cite the clause.

use procspec_spec::results::{RunReport, Status};
use procspec_spec::untested::Untested;
use procspec_spec::vocab::{Clause, Level};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Clauses by implementations: what every renderer draws.
///
/// Rows are the registry's clauses in registry order, then any clause id a
/// result cites that the registry lacks (sorted, with no level), all
/// stably grouped by area: areas appear in the order of their first
/// clause. Columns are the runs sorted by implementation name. A row whose
/// clause no case can check (`spec/untested.toml`) carries the reason, and
/// its cells that no result cites are [`Headline::Untestable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    columns: Vec<Column>,
    rows: Vec<Row>,
}

/// One implementation's column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Column {
    /// `RunInfo::implementation`.
    pub implementation: String,
    /// Why the whole implementation was skipped: every cell is then skip.
    pub skip_reason: Option<String>,
    /// False when the run was interrupted and the counts are partial.
    pub complete: bool,
}

/// One clause's row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row {
    /// The clause id.
    pub clause: String,
    /// The part of the id before the first `.`.
    pub area: String,
    /// The clause's level; `None` for an id the registry does not know.
    pub level: Option<Level>,
    /// Why no case can check the clause, when `spec/untested.toml` lists
    /// it.
    pub untestable: Option<String>,
    /// One per column, in column order.
    pub cells: Vec<Cell>,
}

/// The results of one implementation that cite one clause.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cell {
    /// How many results had each status (absent: none).
    pub counts: BTreeMap<Status, u64>,
    /// The one status the cell shows.
    pub headline: Headline,
}

/// The status a cell shows, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Headline {
    /// Some result failed, timed out, crashed or passed unexpectedly.
    Fail,
    /// No failure, but some expected failure.
    ExpectedFail,
    /// Everything that ran passed.
    Pass,
    /// Nothing ran: a capability was missing.
    PreconditionFailed,
    /// Nothing ran: skipped.
    Skip,
    /// No result cites the clause.
    NotCovered,
    /// No result cites the clause, and none can: `spec/untested.toml` lists
    /// it (the vocabulary cannot express it).
    Untestable,
}

impl Headline {
    /// A stable short name, used as a CSS class (`st-fail`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Headline::Fail => "fail",
            Headline::ExpectedFail => "xfail",
            Headline::Pass => "pass",
            Headline::PreconditionFailed => "precond",
            Headline::Skip => "skip",
            Headline::NotCovered => "none",
            Headline::Untestable => "untestable",
        }
    }
}

/// Whether a status is a failure to report: it breaks the run.
pub(crate) fn is_failure(s: Status) -> bool {
    matches!(
        s,
        Status::Fail | Status::Timeout | Status::Crash | Status::UnexpectedPass | Status::NotRun
    )
}

impl Cell {
    fn new(counts: BTreeMap<Status, u64>, skipped: bool, untestable: bool) -> Cell {
        let any = |f: &dyn Fn(Status) -> bool| counts.iter().any(|(s, n)| *n > 0 && f(*s));
        let headline = if skipped {
            Headline::Skip
        } else if any(&|s| is_failure(s)) {
            Headline::Fail
        } else if any(&|s| s == Status::ExpectedFail) {
            Headline::ExpectedFail
        } else if any(&|s| s == Status::Pass) {
            Headline::Pass
        } else if any(&|s| s == Status::PreconditionFailed) {
            Headline::PreconditionFailed
        } else if any(&|s| s == Status::Skip) {
            Headline::Skip
        } else if untestable {
            Headline::Untestable
        } else {
            Headline::NotCovered
        };
        Cell { counts, headline }
    }

    /// The count of one status.
    pub fn count(&self, s: Status) -> u64 {
        self.counts.get(&s).copied().unwrap_or(0)
    }
    /// How many results cite the clause.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
    /// How many of them are failures (fail, timeout, crash,
    /// unexpected-pass).
    pub fn failing(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(s, _)| is_failure(**s))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The runs in column order: by implementation name, stably.
pub(crate) fn sorted_runs(runs: &[RunReport]) -> Vec<&RunReport> {
    let mut sorted: Vec<&RunReport> = runs.iter().collect();
    sorted.sort_by(|a, b| a.run_info.implementation.cmp(&b.run_info.implementation));
    sorted
}

/// The area of a clause id: the part before the first `.`.
pub(crate) fn area(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

impl Matrix {
    /// Count every result of `runs` for each clause id it cites; the
    /// clauses no case can check are those of the spec's embedded
    /// `spec/untested.toml` ([`procspec_spec::untested()`]).
    pub fn new(clauses: &[Clause], runs: &[RunReport]) -> Matrix {
        Matrix::with_untested(clauses, procspec_spec::untested(), runs)
    }

    /// As [`Matrix::new`], with `untested` as the clauses no case can
    /// check. Entries whose clause is not a row are ignored.
    pub fn with_untested(clauses: &[Clause], untested: &[Untested], runs: &[RunReport]) -> Matrix {
        let runs = sorted_runs(runs);
        let mut ids: Vec<(String, Option<Level>)> = Vec::new();
        let mut known = BTreeSet::new();
        for c in clauses {
            if known.insert(c.id.as_str()) {
                ids.push((c.id.clone(), Some(c.level)));
            }
        }
        let cited: BTreeSet<&str> = runs
            .iter()
            .flat_map(|r| &r.results)
            .flat_map(|r| &r.clauses)
            .map(String::as_str)
            .filter(|id| !known.contains(id))
            .collect();
        ids.extend(cited.into_iter().map(|id| (id.to_string(), None)));

        let mut area_rank: HashMap<String, usize> = HashMap::new();
        for (id, _) in &ids {
            let next = area_rank.len();
            area_rank.entry(area(id).to_string()).or_insert(next);
        }
        ids.sort_by_key(|(id, _)| area_rank[area(id)]);

        let row_of: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i))
            .collect();
        let mut counts = vec![vec![BTreeMap::<Status, u64>::new(); runs.len()]; ids.len()];
        for (col, run) in runs.iter().enumerate() {
            for result in &run.results {
                // A result that names a clause twice still counts once.
                let cited: BTreeSet<&str> = result.clauses.iter().map(String::as_str).collect();
                for id in cited {
                    *counts[row_of[id]][col].entry(result.status).or_default() += 1;
                }
            }
        }

        let rows = ids
            .into_iter()
            .zip(counts)
            .map(|((clause, level), counts)| {
                let untestable = untested
                    .iter()
                    .find(|u| u.clause == clause)
                    .map(|u| u.reason.clone());
                Row {
                    area: area(&clause).to_string(),
                    cells: counts
                        .into_iter()
                        .zip(&runs)
                        .map(|(c, run)| {
                            Cell::new(c, run.run_info.skip_reason.is_some(), untestable.is_some())
                        })
                        .collect(),
                    clause,
                    level,
                    untestable,
                }
            })
            .collect();
        let columns = runs
            .iter()
            .map(|r| Column {
                implementation: r.run_info.implementation.clone(),
                skip_reason: r.run_info.skip_reason.clone(),
                complete: r.run_info.complete,
            })
            .collect();
        Matrix { columns, rows }
    }

    /// The columns, by implementation name.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Every row, grouped by area.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows whose clause no case can check, in row order.
    pub fn untestable(&self) -> impl Iterator<Item = (&Row, &str)> {
        self.rows
            .iter()
            .filter_map(|r| r.untestable.as_deref().map(|reason| (r, reason)))
    }

    /// The rows area by area, in order: `(area, rows)`.
    pub fn areas(&self) -> impl Iterator<Item = (&str, &[Row])> {
        self.rows
            .chunk_by(|a, b| a.area == b.area)
            .map(|rows| (rows[0].area.as_str(), rows))
    }
}
