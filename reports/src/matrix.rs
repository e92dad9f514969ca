//! The matrix: clauses (rows, grouped by area) by implementations
//! (columns), each cell counting the results that cite the clause.

use procspec_spec::results::{CaseResult, RunReport, Status};
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
    /// The implementation without its start method (`cpython3.12` for
    /// `cpython3.12-spawn`, `cpython-optimized` for
    /// `cpython-fork-optimized`): columns are grouped by it. When the
    /// report holds runs of several OSes, the OS is part of it
    /// (`cpython3.12 on windows`): an implementation is judged by its
    /// platform's outcomes, so its runs on two OSes are two families.
    pub family: String,
    /// `RunInfo::start_method`.
    pub start_method: String,
    /// The OS of `RunInfo::os` (`linux` of `linux-x86_64`): the platform
    /// the implementation ran on and was judged by.
    pub os: String,
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

/// The runs in column order: grouped by OS, then by family (in natural
/// order, so `cpython3.9` comes before `cpython3.10`), then by start method
/// (fork, forkserver, spawn, then any other by name), then by
/// implementation name.
pub(crate) fn sorted_runs(runs: &[RunReport]) -> Vec<&RunReport> {
    let mut sorted: Vec<&RunReport> = runs.iter().collect();
    sorted.sort_by_cached_key(|r| {
        let i = &r.run_info;
        (
            os_of(&i.os).to_string(),
            natural_key(&family(&i.implementation, &i.start_method)),
            method_rank(&i.start_method),
            i.start_method.clone(),
            i.implementation.clone(),
        )
    });
    sorted
}

/// The implementation's name without the `-`-separated word that is its
/// start method: `cpython3.12-spawn` is of family `cpython3.12`,
/// `cpython-fork-optimized` of `cpython-optimized`. A name without that
/// word is its own family.
pub fn family(implementation: &str, start_method: &str) -> String {
    let words: Vec<&str> = implementation.split('-').collect();
    match words.iter().position(|w| *w == start_method) {
        Some(i) if words.len() > 1 => {
            let mut rest = words;
            rest.remove(i);
            rest.join("-")
        }
        _ => implementation.to_string(),
    }
}

/// The OS of a run report's `os` (`<os>-<machine>`).
pub fn os_of(os: &str) -> &str {
    os.split('-').next().unwrap_or(os)
}

fn method_rank(m: &str) -> u8 {
    match m {
        "fork" => 0,
        "forkserver" => 1,
        "spawn" => 2,
        _ => 3,
    }
}

/// Digits compare as numbers: `a3.9` < `a3.10`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk {
    Text(String),
    Number(u64, usize),
}

fn natural_key(s: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let digit = c.is_ascii_digit();
        let end = rest
            .find(|x: char| x.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        out.push(if digit {
            // Leading zeros (and overflow) still order deterministically.
            Chunk::Number(chunk.parse().unwrap_or(u64::MAX), chunk.len())
        } else {
            Chunk::Text(chunk.to_string())
        });
        rest = tail;
    }
    out
}

/// The clause ids a result counts under: a failure (fail, timeout, crash,
/// unexpected-pass, expected-fail) under its root clause only (`root`, else
/// the first clause it cites); anything else under every clause it cites,
/// once each.
pub(crate) fn counted_under(result: &CaseResult) -> Vec<&str> {
    if is_failure(result.status) || result.status == Status::ExpectedFail {
        return root_clause(result).into_iter().collect();
    }
    let mut seen = BTreeSet::new();
    result
        .clauses
        .iter()
        .map(String::as_str)
        .filter(|c| seen.insert(*c))
        .collect()
}

/// The root clause of a result: the clause that established the violated
/// expectation (`root`), else the first clause it cites.
pub(crate) fn root_clause(result: &CaseResult) -> Option<&str> {
    result
        .root
        .as_ref()
        .map(|b| b.clause.as_str())
        .or_else(|| result.clauses.first().map(String::as_str))
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
            .flat_map(counted_under)
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
                for id in counted_under(result) {
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
        let several_os = runs
            .iter()
            .map(|r| os_of(&r.run_info.os))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1;
        let columns = runs
            .iter()
            .map(|r| Column {
                implementation: r.run_info.implementation.clone(),
                family: match family(&r.run_info.implementation, &r.run_info.start_method) {
                    f if several_os => format!("{f} on {}", os_of(&r.run_info.os)),
                    f => f,
                },
                start_method: r.run_info.start_method.clone(),
                os: os_of(&r.run_info.os).to_string(),
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

    /// The rows some implementation fails (or fails as expected), most
    /// failing implementations first, then by level (must first), then in
    /// row order.
    pub fn failing_rows(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.rows.iter().filter(|r| r.failing() > 0).collect();
        rows.sort_by_key(|r| (std::cmp::Reverse(r.failing()), level_rank(r.level)));
        rows
    }

    /// Each implementation's score, in column order.
    pub fn scores(&self) -> Vec<Score<'_>> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let must = self.rows.iter().filter(|r| r.level == Some(Level::Must));
                let mut score = Score {
                    column,
                    passed: 0,
                    applicable: 0,
                    failing: Vec::new(),
                };
                for row in must {
                    match row.cells[i].headline {
                        Headline::Pass => {
                            score.passed += 1;
                            score.applicable += 1;
                        }
                        Headline::Fail | Headline::ExpectedFail => {
                            score.applicable += 1;
                            score.failing.push(row.clause.as_str());
                        }
                        _ => {}
                    }
                }
                score
            })
            .collect()
    }

    /// The columns grouped by family, in column order: `(family, first
    /// column index, columns)`.
    pub fn families(&self) -> Vec<(&str, usize, &[Column])> {
        let mut out = Vec::new();
        let mut start = 0;
        for group in self.columns.chunk_by(|a, b| a.family == b.family) {
            out.push((group[0].family.as_str(), start, group));
            start += group.len();
        }
        out
    }
}

fn level_rank(l: Option<Level>) -> u8 {
    match l {
        Some(Level::Must) => 0,
        Some(Level::Should) => 1,
        Some(Level::Impl) => 2,
        None => 3,
    }
}

/// One implementation's conformance to the `must` clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Score<'a> {
    /// Whose.
    pub column: &'a Column,
    /// `must` clauses whose cell passes.
    pub passed: usize,
    /// `must` clauses the implementation was checked on: passing, failing
    /// or failing as expected (not precondition-failed, skipped, untestable
    /// or uncovered).
    pub applicable: usize,
    /// The `must` clauses it fails (or fails as expected), in row order.
    pub failing: Vec<&'a str>,
}

impl Row {
    /// How many implementations pass the clause: the interop count.
    pub fn passing(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.headline == Headline::Pass)
            .count()
    }

    /// How many fail it, or fail it as expected.
    pub fn failing(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| matches!(c.headline, Headline::Fail | Headline::ExpectedFail))
            .count()
    }

    /// How many implementations were checked on it (pass, fail or
    /// expected-fail).
    pub fn applicable(&self) -> usize {
        self.passing() + self.failing()
    }
}
