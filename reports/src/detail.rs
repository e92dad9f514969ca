//! What every renderer says about one failing result: which, where, the
//! steps, expected vs observed, the native message and the clauses' text.

use crate::matrix::{is_failure, root_clause, sorted_runs};
use procspec_spec::results::{CaseResult, ResultKind, RunInfo, RunReport};
use procspec_spec::vocab::{Clause, Level};

/// One result worth explaining, with the column it belongs to.
pub(crate) struct Detail<'a> {
    /// Index of the run in column order.
    pub column: usize,
    pub implementation: &'a str,
    pub info: &'a RunInfo,
    pub result: &'a CaseResult,
    /// The story's anchor: `story-N`, N counting failures then expected
    /// failures from 1.
    pub anchor: String,
}

impl Detail<'_> {
    /// The clause the result counts under in the matrix.
    pub fn root(&self) -> Option<&str> {
        root_clause(self.result)
    }
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
                info: &run.run_info,
                result,
                anchor: String::new(),
            };
            if is_failure(result.status) {
                failures.push(d);
            } else if result.status == procspec_spec::results::Status::ExpectedFail {
                expected.push(d);
            }
        }
    }
    for (n, d) in failures.iter_mut().chain(expected.iter_mut()).enumerate() {
        d.anchor = format!("story-{}", n + 1);
    }
    (failures, expected)
}

/// The story of a failure, one step at a time.
pub(crate) struct StoryStep {
    /// 1-based.
    pub n: usize,
    pub step: String,
    /// What the model allowed, each `outcome (clause)`; at the failing step
    /// of a result that records no per-step outcomes, the result's
    /// `expected`. Empty when unknown.
    pub allowed: Vec<String>,
    pub observed: String,
    /// Shrinking shows the step does not matter.
    pub irrelevant: bool,
    /// `root` (established the violated expectation), `observer` (saw the
    /// violation) or both.
    pub roles: Vec<&'static str>,
}

/// Every step of `r` as a story.
pub(crate) fn story(r: &CaseResult) -> Vec<StoryStep> {
    let last = r.ops.len().checked_sub(1);
    r.ops
        .iter()
        .enumerate()
        .map(|(i, rec)| {
            let mut roles = Vec::new();
            if r.root.as_ref().is_some_and(|b| b.step == i) {
                roles.push("root");
            }
            if r.observer.as_ref().is_some_and(|b| b.step == i) {
                roles.push("observer");
            }
            let allowed = if !rec.allowed.is_empty() {
                rec.allowed.clone()
            } else if Some(i) == last && is_failure_like(r) {
                let clause = root_clause(r)
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                r.expected.iter().map(|e| format!("{e}{clause}")).collect()
            } else {
                Vec::new()
            };
            StoryStep {
                n: i + 1,
                step: rec.step.to_string(),
                allowed,
                observed: match &rec.observed {
                    Some(o) => o.to_string(),
                    None => "(no answer)".to_string(),
                },
                irrelevant: rec.irrelevant,
                roles,
            }
        })
        .collect()
}

fn is_failure_like(r: &CaseResult) -> bool {
    is_failure(r.status) || r.status == procspec_spec::results::Status::ExpectedFail
}

/// The command that replays `r`: its `replay` when the run recorded one;
/// else the run of its implementation that produced it (cases only, or
/// the state machine with the run's seed).
pub(crate) fn replay(info: &RunInfo, r: &CaseResult) -> String {
    if let Some(cmd) = &r.replay {
        return cmd.clone();
    }
    match r.kind {
        ResultKind::Case => format!("procspec run --impl {} --sequences 0", info.implementation),
        ResultKind::Sequence => format!(
            "procspec run --impl {} --seed {}",
            info.implementation, info.seed
        ),
    }
}

/// `root clause (step n) · observed by clause (step m)`, plain text; the
/// first clause when the result records no root.
pub(crate) fn blame_line(r: &CaseResult) -> Option<String> {
    let root = match &r.root {
        Some(b) => format!("{} (step {})", b.clause, b.step + 1),
        None => r.clauses.first()?.clone(),
    };
    Some(match &r.observer {
        Some(o)
            if r.root
                .as_ref()
                .is_none_or(|b| b.clause != o.clause || b.step != o.step) =>
        {
            format!("{root}; observed by {} (step {})", o.clause, o.step + 1)
        }
        _ => root,
    })
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

/// One story step as one line: `  3. main: join p1 -> ok none  [allowed:
/// ok none (join.blocks)] (root) (irrelevant)`.
pub(crate) fn story_line(st: &StoryStep) -> String {
    let mut line = format!("{:>3}. {} -> {}", st.n, st.step, st.observed);
    if !st.allowed.is_empty() {
        line.push_str(&format!("  [allowed: {}]", st.allowed.join(" | ")));
    }
    for role in &st.roles {
        line.push_str(&format!(" ({role})"));
    }
    if st.irrelevant {
        line.push_str(" (irrelevant)");
    }
    line
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
pub(crate) fn plain(info: &RunInfo, r: &CaseResult) -> String {
    let mut s = format!("{} {} ({})\n", kind(r.kind), r.id, r.status.as_str());
    if let Some(b) = blame_line(r) {
        s.push_str(&format!("root clause: {b}\n"));
    }
    if !r.clauses.is_empty() {
        s.push_str(&format!("clauses: {}\n", r.clauses.join(", ")));
    }
    if let Some((expected, observed)) = expected_observed(r) {
        s.push_str(&format!("expected: {expected}\nobserved: {observed}\n"));
    }
    if !r.ops.is_empty() {
        s.push_str("steps:\n");
        for st in story(r) {
            s.push_str(&story_line(&st));
            s.push('\n');
        }
    }
    if is_failure_like(r) {
        s.push_str(&format!("replay: {}\n", replay(info, r)));
    }
    if let Some(m) = &r.message {
        s.push_str("message: ");
        s.push_str(m);
        s.push('\n');
    }
    s
}
