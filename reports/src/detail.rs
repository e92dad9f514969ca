//! What every renderer says about one failing result: which, where, the
//! steps, expected vs observed, the native message and the clauses' text.

use crate::matrix::{is_failure, sorted_runs};
use procspec_spec::results::{CaseResult, ResultKind, RunReport, StepRecord};
use procspec_spec::vocab::{Clause, Level};

/// One result worth explaining, with the column it belongs to.
pub(crate) struct Detail<'a> {
    /// Index of the run in column order.
    pub column: usize,
    pub implementation: &'a str,
    pub result: &'a CaseResult,
}

/// The failures (fail, timeout, crash, unexpected-pass, not-run) and the expected
/// failures of `runs`, each sorted by (column, kind, id).
pub(crate) fn collect<'a>(runs: &'a [RunReport]) -> (Vec<Detail<'a>>, Vec<Detail<'a>>) {
    let mut failures = Vec::new();
    let mut expected = Vec::new();
    for (column, run) in sorted_runs(runs).into_iter().enumerate() {
        let mut results: Vec<&CaseResult> = run.results.iter().collect();
        results.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
        for result in results {
            let d = Detail {
                column,
                implementation: &run.run_info.implementation,
                result,
            };
            if is_failure(result.status) {
                failures.push(d);
            } else if result.status == procspec_spec::results::Status::ExpectedFail {
                expected.push(d);
            }
        }
    }
    (failures, expected)
}

/// `case` or `sequence`.
pub(crate) fn kind(k: ResultKind) -> &'static str {
    match k {
        ResultKind::Case => "case",
        ResultKind::Sequence => "sequence",
    }
}

/// `must`, `should`, `impl`.
pub(crate) fn level(l: Option<Level>) -> &'static str {
    match l {
        Some(Level::Must) => "must",
        Some(Level::Should) => "should",
        Some(Level::Impl) => "impl",
        None => "unknown",
    }
}

/// One step as `at: op args -> observed`.
pub(crate) fn op_line(rec: &StepRecord) -> String {
    match &rec.observed {
        Some(o) => format!("{} -> {o}", rec.step),
        None => format!("{} -> (no answer)", rec.step),
    }
}

/// Every step, one per line.
pub(crate) fn op_lines(r: &CaseResult) -> String {
    r.ops.iter().map(op_line).collect::<Vec<_>>().join("\n")
}

/// Expected vs observed at the failing step, rendered (`a | b` for several
/// allowed outcomes), when the result records them. Timeouts, crashes and
/// unexpected passes usually do not.
pub(crate) fn expected_observed(r: &CaseResult) -> Option<(String, &str)> {
    if r.expected.is_empty() && r.observed.is_none() {
        return None;
    }
    let expected = if r.expected.is_empty() {
        "-".to_string()
    } else {
        r.expected.join(" | ")
    };
    Some((expected, r.observed.as_deref().unwrap_or("-")))
}

/// The registry's clause with this id.
pub(crate) fn find<'c>(clauses: &'c [Clause], id: &str) -> Option<&'c Clause> {
    clauses.iter().find(|c| c.id == id)
}

/// The result as plain text: clauses, expected vs observed, steps and
/// message. What a JUnit failure carries.
pub(crate) fn plain(r: &CaseResult) -> String {
    let mut s = format!("{} {} ({})\n", kind(r.kind), r.id, r.status.as_str());
    if !r.clauses.is_empty() {
        s.push_str(&format!("clauses: {}\n", r.clauses.join(", ")));
    }
    if let Some((expected, observed)) = expected_observed(r) {
        s.push_str(&format!("expected: {expected}\nobserved: {observed}\n"));
    }
    if !r.ops.is_empty() {
        s.push_str("ops:\n");
        for rec in &r.ops {
            s.push_str("  ");
            s.push_str(&op_line(rec));
            s.push('\n');
        }
    }
    if let Some(m) = &r.message {
        s.push_str("message: ");
        s.push_str(m);
        s.push('\n');
    }
    s
}
