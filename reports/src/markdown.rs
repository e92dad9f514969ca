//! `index.md`: the runs, the matrix and every failure, for reading on a
//! forge or in a terminal.

use crate::detail::{self, Detail};
use crate::escape::{md, md_code, md_fence};
use crate::matrix::{sorted_runs, Cell, Headline, Matrix};
use crate::mutation::Mutation;
use procspec_spec::results::{LeakCounts, RunReport, Status};
use procspec_spec::untested::Untested;
use procspec_spec::vocab::Clause;
use std::fmt::Write;

/// Render `index.md`. The output depends on its inputs only: no
/// timestamps, and every list in a stable order. The clauses no case can
/// check are those of the spec's embedded `spec/untested.toml`.
pub fn render_markdown(clauses: &[Clause], runs: &[RunReport]) -> String {
    render(
        clauses,
        &Matrix::new(clauses, runs),
        runs,
        &Mutation::default(),
    )
}

/// As [`render_markdown`], with `untested` as the clauses no case can
/// check.
pub fn render_markdown_with(
    clauses: &[Clause],
    untested: &[Untested],
    runs: &[RunReport],
) -> String {
    render(
        clauses,
        &Matrix::with_untested(clauses, untested, runs),
        runs,
        &Mutation::default(),
    )
}

/// As [`render_markdown`], with the suite's mutation score (the
/// catalogue's kill matrix and cargo-mutants' counts) as a section.
pub fn render_markdown_mutation(
    clauses: &[Clause],
    runs: &[RunReport],
    mutation: &Mutation,
) -> String {
    render(clauses, &Matrix::new(clauses, runs), runs, mutation)
}

fn render(clauses: &[Clause], matrix: &Matrix, runs: &[RunReport], mutation: &Mutation) -> String {
    let mut out = String::new();
    out.push_str("# procspec conformance report\n\n");
    let _ = writeln!(
        out,
        "{} implementation(s), {} clause(s).\n",
        runs.len(),
        matrix.rows().len()
    );
    let (failures, expected) = detail::collect(runs);
    let anchors = StoryIndex::new(&failures, &expected);
    glance(&mut out, matrix, &anchors);
    mutation_section(&mut out, mutation);
    runs_table(&mut out, runs);
    matrix_tables(&mut out, matrix, &anchors);
    untestable(&mut out, matrix);

    out.push_str("## Failures\n\n");
    if failures.is_empty() {
        out.push_str("No failures.\n\n");
    }
    for d in &failures {
        failure(&mut out, clauses, d);
    }
    out.push_str("## Expected failures\n\n");
    if expected.is_empty() {
        out.push_str("No expected failures.\n");
    } else {
        let _ = writeln!(
            out,
            "<details>\n<summary>{} expected failure(s)</summary>\n",
            expected.len()
        );
        for d in &expected {
            failure(&mut out, clauses, d);
        }
        out.push_str("</details>\n");
    }
    out
}

/// Where a cell's story is: the first story of that column counted under
/// that clause.
pub(crate) struct StoryIndex<'a> {
    first: std::collections::BTreeMap<(usize, &'a str), &'a str>,
}

impl<'a> StoryIndex<'a> {
    pub(crate) fn new(failures: &'a [Detail<'a>], expected: &'a [Detail<'a>]) -> Self {
        let mut first = std::collections::BTreeMap::new();
        for d in failures.iter().chain(expected) {
            if let Some(root) = d.root() {
                first.entry((d.column, root)).or_insert(d.anchor.as_str());
            }
        }
        StoryIndex { first }
    }

    /// The anchor of the story of column `col`'s failure under `clause`.
    pub(crate) fn get(&self, col: usize, clause: &str) -> Option<&'a str> {
        self.first.get(&(col, clause)).copied()
    }
}

/// A bar of ten blocks: `███████░░░`.
pub(crate) fn text_bar(passed: usize, of: usize) -> String {
    let full = (passed * 10).checked_div(of).unwrap_or(0);
    format!("{}{}", "█".repeat(full), "░".repeat(10 - full))
}

/// The summary a maintainer reads first: each implementation's score,
/// grouped by family, then the failing clauses with their interop count.
fn glance(out: &mut String, m: &Matrix, anchors: &StoryIndex<'_>) {
    out.push_str("## At a glance\n\n");
    if m.columns().is_empty() {
        out.push_str("No runs.\n\n");
        return;
    }
    out.push_str(
        "Score: the `must` clauses an implementation passes, of those it was checked on \
         (an expected failure counts as failing; precondition-failed, skipped and \
         untestable clauses are not counted).\n\n\
         | Family | Start method | Score | Must passed | Failing must clauses |\n\
         |---|---|---|---|---|\n",
    );
    for (family, first, cols) in m.families() {
        for (k, s) in m.scores()[first..first + cols.len()].iter().enumerate() {
            let c = s.column;
            let failing: Vec<String> = s
                .failing
                .iter()
                .map(|id| match anchors.get(first + k, id) {
                    Some(a) => format!("[{}](#{a})", md(id)),
                    None => md_code(id),
                })
                .collect();
            let note = match (&c.skip_reason, c.complete) {
                (Some(_), _) => " (skipped)",
                (None, false) => " (partial)",
                (None, true) => "",
            };
            let _ = writeln!(
                out,
                "| {} | {}{note} | `{}` | {}/{} | {} |",
                if k == 0 {
                    md_code(family)
                } else {
                    String::new()
                },
                md(&c.start_method),
                text_bar(s.passed, s.applicable),
                s.passed,
                s.applicable,
                if failing.is_empty() {
                    "none".to_string()
                } else {
                    failing.join(", ")
                }
            );
        }
    }
    out.push('\n');
    out.push_str("### Failing clauses\n\n");
    let failing = m.failing_rows();
    if failing.is_empty() {
        out.push_str("Every implementation passes every clause it was checked on.\n\n");
        return;
    }
    out.push_str(
        "Clauses some implementation fails, the most failed first. Interop: the \
         implementations that pass the clause, of those checked on it.\n\n\
         | Clause | Level | Interop | Failing (✗ fail, ⚠ expected failure) |\n|---|---|---|---|\n",
    );
    for row in failing {
        let who: Vec<String> = row
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.headline, Headline::Fail | Headline::ExpectedFail))
            .map(|(i, c)| {
                let mark = if c.headline == Headline::Fail {
                    "✗"
                } else {
                    "⚠"
                };
                let name = md(&m.columns()[i].implementation);
                match anchors.get(i, &row.clause) {
                    Some(a) => format!("{mark} [{name}](#{a})"),
                    None => format!("{mark} {name}"),
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {} |",
            md_code(&row.clause),
            detail::level(row.level),
            row.passing(),
            row.applicable(),
            who.join(", ")
        );
    }
    out.push('\n');
}

/// The mutation score: cargo-mutants per crate, then the catalogue's kill
/// matrix. Nothing when neither is known.
fn mutation_section(out: &mut String, mutation: &Mutation) {
    if mutation.is_empty() {
        return;
    }
    out.push_str("## Mutation score\n\n");
    if let Some(cm) = &mutation.cargo_mutants {
        out.push_str(
            "cargo-mutants on the model and the reference (`scripts/mutants.sh`; missed \
             mutants triaged in `mutants/triage.md`):\n\n",
        );
        for c in &cm.crates {
            let _ = writeln!(out, "- {}: {}", md_code(&c.name), md(&c.summary()));
        }
        out.push('\n');
    }
    if let Some(k) = &mutation.catalogue {
        let killed = k.mutants.iter().filter(|m| m.killed()).count();
        let _ = writeln!(
            out,
            "### Kill matrix\n\n\
             The catalogue of reference mutants (`harness/tests/mutants.rs`): each breaks one \
             rule; the suite must fail with that rule's clause as the root. \
             {killed} of {} killed on their clause. \
             *Also violates*: the clauses the root implies (invariants restating it).\n\n\
             | Mutant | Breaks | Root clause found | Killed | Ops | By | Also violates |\n|---|---|---|---|---|---|---|",
            k.mutants.len()
        );
        for m in &k.mutants {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                md_code(&m.mutant),
                md_code(&m.breaks),
                m.found
                    .as_deref()
                    .map(md_code)
                    .unwrap_or_else(|| "survived".to_string()),
                if m.killed() { "✓" } else { "✗" },
                m.ops
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".to_string()),
                m.by.as_deref().map(md).unwrap_or_else(|| "-".to_string()),
                if m.implies.is_empty() {
                    "-".to_string()
                } else {
                    m.implies
                        .iter()
                        .map(|c| md_code(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
        }
        out.push('\n');
    }
}

/// One non-zero count per status, `pass 3 · fail 1`, or `none`.
pub(crate) fn summary(counts: &std::collections::BTreeMap<Status, u64>) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|s| match counts.get(s) {
            Some(&n) if n > 0 => Some(format!("{} {n}", s.as_str())),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(" · ")
    }
}

/// `none`, or `processes 1 · zombies 0 · fds 2`.
pub(crate) fn leaks(l: &LeakCounts) -> String {
    if *l == LeakCounts::default() {
        "none".to_string()
    } else {
        format!(
            "processes {} · zombies {} · fds {}",
            l.processes, l.zombies, l.fds
        )
    }
}

fn runs_table(out: &mut String, runs: &[RunReport]) {
    out.push_str("## Runs\n\n");
    if runs.is_empty() {
        out.push_str("No runs.\n\n");
        return;
    }
    out.push_str("| Implementation | Version | Start method | OS | Seed | Protocol | Complete | Results | Leaks |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    let runs = sorted_runs(runs);
    for r in &runs {
        let i = &r.run_info;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md_code(&i.implementation),
            md(&i.version),
            md(&i.start_method),
            md(&i.os),
            i.seed,
            i.protocol_version,
            if i.complete { "yes" } else { "**no**" },
            summary(&r.summary),
            leaks(&r.leaks),
        );
    }
    out.push('\n');
    for r in &runs {
        let i = &r.run_info;
        if let Some(reason) = &i.skip_reason {
            let _ = writeln!(
                out,
                "- {} was skipped: {}",
                md_code(&i.implementation),
                md(reason)
            );
        }
        if !i.complete {
            let _ = writeln!(
                out,
                "- {} was interrupted: its results are partial.",
                md_code(&i.implementation)
            );
        }
    }
    if runs
        .iter()
        .any(|r| r.run_info.skip_reason.is_some() || !r.run_info.complete)
    {
        out.push('\n');
    }
}

/// The text of a cell: `✓ 3`, `✗ 1/3`, `⚠ xfail 2`, `– precond`,
/// `skip`, `—` or `∅ untestable`.
pub(crate) fn cell_text(c: &Cell) -> String {
    match c.headline {
        Headline::Fail => format!("✗ {}/{}", c.failing(), c.total()),
        Headline::ExpectedFail => format!("⚠ xfail {}", c.count(Status::ExpectedFail)),
        Headline::Pass => format!("✓ {}", c.count(Status::Pass)),
        Headline::PreconditionFailed => "– precond".to_string(),
        Headline::Skip => "skip".to_string(),
        Headline::NotCovered => "—".to_string(),
        Headline::Untestable => "∅ untestable".to_string(),
    }
}

/// What the cells of the matrix say, as plain text (no Markdown markup);
/// `∅` only when some clause is untestable.
pub(crate) fn legend(m: &Matrix) -> String {
    let mut s = String::from(
        "✓ passed (count) · ✗ failing/total · ⚠ expected failures · \
         – precondition failed · skip: skipped · — not covered",
    );
    if m.untestable().next().is_some() {
        s.push_str(" · ∅ untestable: no case can check it (see below)");
    }
    s
}

fn matrix_tables(out: &mut String, m: &Matrix, anchors: &StoryIndex<'_>) {
    out.push_str("## Matrix\n\n");
    if m.rows().is_empty() {
        out.push_str("No clauses.\n\n");
        return;
    }
    out.push_str(&legend(m));
    out.push_str("\n\n");
    let mut header = String::from("| Clause | Level | Interop |");
    let mut rule = String::from("|---|---|---|");
    for c in m.columns() {
        let note = match (&c.skip_reason, c.complete) {
            (Some(_), _) => " (skipped)",
            (None, false) => " (partial)",
            (None, true) => "",
        };
        let _ = write!(header, " {}{note} |", md_code(&c.implementation));
        rule.push_str("---|");
    }
    for (area, rows) in m.areas() {
        let _ = writeln!(out, "### {}\n\n{header}\n{rule}", md_code(area));
        for row in rows {
            let _ = write!(
                out,
                "| {} | {} | {}/{} |",
                md_code(&row.clause),
                detail::level(row.level),
                row.passing(),
                row.applicable()
            );
            for (i, cell) in row.cells.iter().enumerate() {
                match anchors.get(i, &row.clause) {
                    Some(a) if matches!(cell.headline, Headline::Fail | Headline::ExpectedFail) => {
                        let _ = write!(out, " [{}](#{a}) |", cell_text(cell));
                    }
                    _ => {
                        let _ = write!(out, " {} |", cell_text(cell));
                    }
                }
            }
            out.push('\n');
        }
        out.push('\n');
    }
}

/// The heading of the list of clauses no case can check.
pub(crate) const UNTESTABLE_HEADING: &str = "Clauses no case can check";

/// The rows no case can check, with their reasons; nothing when there are
/// none.
fn untestable(out: &mut String, m: &Matrix) {
    let mut rows = m.untestable().peekable();
    if rows.peek().is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "## {UNTESTABLE_HEADING}\n\n\
         The vocabulary cannot express these clauses, so no case checks them; \
         `spec/untested.toml` lists each with the reason.\n\n\
         | Clause | Level | Reason |\n|---|---|---|"
    );
    for (row, reason) in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md_code(&row.clause),
            detail::level(row.level),
            md(reason.trim())
        );
    }
    out.push('\n');
}

fn failure(out: &mut String, clauses: &[Clause], d: &Detail<'_>) {
    let r = d.result;
    let _ = writeln!(
        out,
        "<a id=\"{}\"></a>\n\n### {} · {} {} · {}\n",
        d.anchor,
        md_code(d.implementation),
        detail::kind(r.kind),
        md_code(&r.id),
        r.status.as_str()
    );
    if let Some(b) = detail::blame_line(r) {
        let _ = writeln!(out, "- Root clause: {}", md(&b));
    }
    let cited: Vec<String> = r.clauses.iter().map(|c| md_code(c)).collect();
    let cited = if cited.is_empty() {
        "none".to_string()
    } else {
        cited.join(", ")
    };
    let _ = writeln!(out, "- Clauses: {cited}");
    if let Some((expected, observed)) = detail::expected_observed(r) {
        let _ = writeln!(out, "- Expected: {}", md_code(&expected));
        let _ = writeln!(out, "- Observed: {}", md_code(observed));
    }
    let _ = writeln!(out, "- Replay: {}", md_code(&detail::replay(d.info, r)));
    out.push('\n');
    if !r.ops.is_empty() {
        out.push_str("| # | Step | Model allowed | Observed | Note |\n|---|---|---|---|---|\n");
        for st in detail::story(r) {
            let mut note: Vec<&str> = st.roles.clone();
            if st.irrelevant {
                note.push("irrelevant");
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                st.n,
                md_code(&st.step),
                if st.allowed.is_empty() {
                    String::new()
                } else {
                    md_code(&st.allowed.join(" | "))
                },
                md_code(&st.observed),
                note.join(", ")
            );
        }
        out.push('\n');
    }
    if let Some(m) = &r.message {
        out.push_str("Message:\n\n");
        out.push_str(&md_fence(m));
        out.push('\n');
    }
    for id in &r.clauses {
        match detail::find(clauses, id) {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "> **{}** ({}, {})\n>",
                    md_code(&c.id),
                    detail::level(Some(c.level)),
                    md(&c.source)
                );
                for line in c.quote.lines() {
                    let _ = writeln!(out, "> {}", md(line));
                }
            }
            None => {
                let _ = writeln!(out, "> **{}**: not in the clause registry", md_code(id));
            }
        }
        out.push('\n');
    }
}
