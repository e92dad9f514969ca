//! `index.html`: one self-contained page (inline CSS and JS, nothing
//! fetched), rendered with maud, which escapes every string it is given.
//!
//! The page opens on what a maintainer asks first: each implementation's
//! score (the `must` clauses it passes of those it was checked on, as a
//! bar), grouped by family and start method, then the failing clauses with
//! their interop count (how many implementations pass each). The matrix
//! follows, its columns grouped by family (one header cell per family, one
//! short start-method label per column) so thirty implementations fit a
//! 1366-pixel screen; its failing clauses come first. Every failing cell
//! links to its story: each step, what the model allowed (with its
//! clause), what was observed, which steps do not matter, the root clause
//! first and the command that replays it. Then the suite's mutation score,
//! the runs, the clauses no case can check.
//!
//! Stable hooks for tests and scripts: the scores are `table#scores`
//! (`tr.score-row` with `data-impl`); the matrix is `table#matrix`; each
//! clause is a `tr.clause-row` with `data-clause` and `data-level`,
//! followed by its `tr.detail-row`; each story is a `div.failure-detail`
//! with an `id` (`story-N`) that failing cells link to; every cell and
//! story of column `i` carries `data-col="i"`. The clauses no case can
//! check are the rows of `table#untestable`, each a `tr.untestable-row`
//! with `data-clause`. The kill matrix is `table#kills`, cargo-mutants'
//! scores `table#cargo-mutants`.

use crate::detail::{self, Detail};
use crate::markdown::{leaks, legend, summary, StoryIndex, UNTESTABLE_HEADING};
use crate::matrix::{sorted_runs, Cell, Headline, Matrix, Row, Score};
use crate::mutation::Mutation;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use procspec_spec::results::{RunReport, Status};
use procspec_spec::untested::Untested;
use procspec_spec::vocab::Clause;

const STYLE: &str = r#"
body{font-family:system-ui,sans-serif;margin:1rem 1.25rem;color:#1b1b1b;background:#fff;font-size:14px}
h1{font-size:1.4rem;margin:.2rem 0 .4rem}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem}
th,td{border:1px solid #ccc;padding:.15rem .4rem;text-align:left;vertical-align:top}
thead th{background:#f3f3f3}
.glance{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}
table#scores td,table#failing td{padding:.1rem .4rem}
tr.family-first td{border-top:2px solid #999}
.bar{display:inline-block;width:60px;height:.7rem;background:#f1c4c4;border-radius:2px;vertical-align:middle;overflow:hidden}
.bar>span{display:block;height:100%;background:#3a9a4a}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.note{display:block;font-weight:normal;font-size:.75em;color:#555}
table#matrix{table-layout:fixed}
table#matrix th.clause-col{width:15.5rem}
table#matrix th.level-col{width:3rem}
table#matrix th.interop-col{width:3.2rem}
table#matrix th.fam{text-align:center;font-size:.72rem;padding:.1rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
table#matrix th.sm{text-align:center;font-size:.68rem;padding:.1rem 0;width:1.7rem}
table#matrix td{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
tr.area-row th{background:#e8e8f0;font-size:.85rem}
tr.clause-row{cursor:pointer}
tr.clause-row:hover td{outline:1px solid #888}
td.cell{text-align:center;padding:.1rem 0}
td.cell a{color:inherit;text-decoration:none;display:block}
.st-pass{background:#d6f5d6}
.st-fail{background:#f08a8a;font-weight:bold}
.st-xfail{background:#fbe3b0}
.st-precond,.st-skip{background:#e4e4e4;color:#555}
.st-none{color:#999}
.st-untestable{background:#eef0f6;color:#556}
.legend{color:#555;font-size:.85rem}
.failure-detail{border-left:4px solid #d33;padding:.25rem .75rem;margin:.75rem 0}
.failure-detail.xfail{border-color:#e0a020}
.failure-detail:target{background:#fff8e0}
table.story td{font-family:ui-monospace,monospace;font-size:.8rem}
tr.irrelevant td{color:#999;text-decoration:line-through}
tr.irrelevant td.role{text-decoration:none}
tr.root td{background:#fde7e7}
tr.observer td{background:#fff1d6}
pre{background:#f6f6f6;padding:.4rem;overflow-x:auto;white-space:pre-wrap;margin:.3rem 0}
blockquote{margin:.4rem 0;padding-left:.75rem;border-left:3px solid #aaa;color:#333}
fieldset{display:inline-block;margin:0 1rem .5rem 0;font-size:.85rem}
.filtered,.hidden-col{display:none}
.js tr.detail-row:not(.open){display:none}
"#;

// Without JS every detail row stays visible: the page degrades to a long
// table rather than to one that cannot be opened.
const SCRIPT: &str = r#"
(function(){
  document.documentElement.classList.add('js');
  var m=document.getElementById('matrix');
  if(!m)return;
  function apply(){
    var lv={};
    document.querySelectorAll('input.level-filter').forEach(function(c){lv[c.value]=c.checked;});
    m.querySelectorAll('tr.clause-row').forEach(function(r){
      var hide=lv[r.dataset.level]===false;
      r.classList.toggle('filtered',hide);
      var d=document.getElementById(r.dataset.detail);
      if(d)d.classList.toggle('filtered',hide);
    });
    m.querySelectorAll('tbody.area').forEach(function(b){
      b.classList.toggle('filtered',!b.querySelector('tr.clause-row:not(.filtered)'));
    });
    document.querySelectorAll('input.impl-filter').forEach(function(c){
      document.querySelectorAll('[data-col="'+c.value+'"]').forEach(function(e){
        e.classList.toggle('hidden-col',!c.checked);
      });
    });
  }
  document.querySelectorAll('input.level-filter,input.impl-filter').forEach(function(c){
    c.addEventListener('change',apply);
  });
  m.addEventListener('click',function(e){
    if(e.target.closest('a'))return;
    var r=e.target.closest('tr.clause-row');
    if(!r)return;
    var d=document.getElementById(r.dataset.detail);
    if(d){d.classList.toggle('open');r.setAttribute('aria-expanded',d.classList.contains('open'));}
  });
  apply();
})();
"#;

/// Render `index.html`: one file, nothing fetched. The clauses no case can
/// check are those of the spec's embedded `spec/untested.toml`.
pub fn render_html(clauses: &[Clause], runs: &[RunReport]) -> String {
    page(
        clauses,
        &Matrix::new(clauses, runs),
        runs,
        &Mutation::default(),
    )
}

/// As [`render_html`], with `untested` as the clauses no case can check.
pub fn render_html_with(clauses: &[Clause], untested: &[Untested], runs: &[RunReport]) -> String {
    page(
        clauses,
        &Matrix::with_untested(clauses, untested, runs),
        runs,
        &Mutation::default(),
    )
}

/// As [`render_html`], with the suite's mutation score (the catalogue's
/// kill matrix and cargo-mutants' counts) as a section.
pub fn render_html_mutation(clauses: &[Clause], runs: &[RunReport], mutation: &Mutation) -> String {
    page(clauses, &Matrix::new(clauses, runs), runs, mutation)
}

fn page(clauses: &[Clause], m: &Matrix, runs: &[RunReport], mutation: &Mutation) -> String {
    let (failures, expected) = detail::collect(runs);
    let anchors = StoryIndex::new(&failures, &expected);
    let stories: Vec<&Detail<'_>> = failures.iter().chain(&expected).collect();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "procspec conformance report" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "procspec conformance report" }
                p.legend {
                    (runs.len()) " implementation(s), " (m.rows().len()) " clause(s), "
                    (failures.len()) " failure(s), " (expected.len()) " expected failure(s)."
                }
                div.glance {
                    (scores(m, &anchors))
                    (failing(m, &anchors))
                }
                (matrix(clauses, m, &anchors, &stories))
                (mutation_section(mutation))
                (runs_table(runs))
                (untestable(m))
                (stories_section(clauses, &failures, &expected))
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut s = markup.into_string();
    s.push('\n');
    s
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

fn scores(m: &Matrix, anchors: &StoryIndex<'_>) -> Markup {
    let all = m.scores();
    // The start methods any run used, in column order within families.
    let mut methods: Vec<&str> = Vec::new();
    for s in &all {
        if !methods.contains(&s.column.start_method.as_str()) {
            methods.push(&s.column.start_method);
        }
    }
    html! {
        section {
            h2 { "Scores" }
            p.legend { "must clauses passed / checked, per start method (an expected failure counts as failing)" }
            table #scores {
                thead { tr {
                    th { "Family" }
                    @for sm in &methods { th { (sm) } }
                    th { "Failing must clauses" }
                } }
                tbody {
                    @for (family, first, cols) in m.families() {
                        @let group = &all[first..first + cols.len()];
                        @let failing = family_failing(first, group);
                        tr.score-row data-family=(family) {
                            td { strong { (family) } }
                            @for sm in &methods {
                                td.num {
                                    @for (k, s) in group.iter().enumerate().filter(|(_, s)| s.column.start_method == *sm) {
                                        span data-impl=(s.column.implementation) data-col=(first + k) title=(format!("{}: {:.0} %", s.column.implementation, percent(s.passed, s.applicable))) {
                                            span.bar { span style=(format!("width:{:.1}%", percent(s.passed, s.applicable))) {} }
                                            " " (s.passed) "/" (s.applicable)
                                            @if s.column.skip_reason.is_some() { " skipped" }
                                            @else if !s.column.complete { " partial" }
                                        }
                                    }
                                }
                            }
                            td {
                                @for (j, (id, cols)) in failing.iter().enumerate() {
                                    @if j > 0 { ", " }
                                    @match anchors.get(cols[0], id) {
                                        Some(a) => a href=(format!("#{a}")) { code { (id) } },
                                        None => code { (id) },
                                    }
                                    @if cols.len() < group.len() {
                                        " (" (cols.iter().map(|c| method_label(&m.columns()[*c].start_method)).collect::<Vec<_>>().join(" ")) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each `must` clause some run of a family fails, once, with the columns
/// that fail it.
fn family_failing<'a>(first: usize, group: &[Score<'a>]) -> Vec<(&'a str, Vec<usize>)> {
    let mut failing: Vec<(&str, Vec<usize>)> = Vec::new();
    for (k, s) in group.iter().enumerate() {
        for id in &s.failing {
            match failing.iter_mut().find(|(c, _)| c == id) {
                Some((_, cols)) => cols.push(first + k),
                None => failing.push((id, vec![first + k])),
            }
        }
    }
    failing
}

fn failing(m: &Matrix, anchors: &StoryIndex<'_>) -> Markup {
    let rows = m.failing_rows();
    html! {
        section {
            h2 { "Failing clauses" }
            @if rows.is_empty() {
                p { "Every implementation passes every clause it was checked on." }
            } @else {
                p.legend { "Interop: implementations passing the clause / checked on it. ✗ fail, ⚠ expected failure." }
                table #failing {
                    thead { tr { th { "Clause" } th { "Level" } th.num { "Interop" } th { "Failing" } } }
                    tbody {
                        @for row in rows {
                            tr data-clause=(row.clause) {
                                td { code { (row.clause) } }
                                td { (detail::level(row.level)) }
                                td.num { (row.passing()) "/" (row.applicable()) }
                                td {
                                    @for (j, (i, c)) in row.cells.iter().enumerate().filter(|(_, c)| matches!(c.headline, Headline::Fail | Headline::ExpectedFail)).enumerate() {
                                        @if j > 0 { ", " }
                                        @let mark = if c.headline == Headline::Fail { "✗ " } else { "⚠ " };
                                        @match anchors.get(i, &row.clause) {
                                            Some(a) => a href=(format!("#{a}")) { (mark) (m.columns()[i].implementation) },
                                            None => { (mark) (m.columns()[i].implementation) },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The short label of a start method in the matrix header.
fn method_label(m: &str) -> &str {
    match m {
        "fork" => "F",
        "forkserver" => "FS",
        "spawn" => "S",
        other => other,
    }
}

/// The symbol of a cell; counts go in its title.
fn symbol(c: &Cell) -> &'static str {
    match c.headline {
        Headline::Fail => "✗",
        Headline::ExpectedFail => "⚠",
        Headline::Pass => "✓",
        Headline::PreconditionFailed => "–",
        Headline::Skip => "s",
        Headline::NotCovered => "·",
        Headline::Untestable => "∅",
    }
}

fn matrix(
    clauses: &[Clause],
    m: &Matrix,
    anchors: &StoryIndex<'_>,
    stories: &[&Detail<'_>],
) -> Markup {
    let mut levels = vec!["must", "should", "impl"];
    if m.rows().iter().any(|r| r.level.is_none()) {
        levels.push("unknown");
    }
    let width = m.columns().len() + 3;
    let failing = m.failing_rows();
    let failing_ids: Vec<&str> = failing.iter().map(|r| r.clause.as_str()).collect();
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        n
    };
    html! {
        section {
            h2 { "Matrix" }
            form #filters {
                fieldset {
                    legend { "Level" }
                    @for l in &levels {
                        label { input.level-filter type="checkbox" value=(l) checked; " " (l) } " "
                    }
                }
                fieldset {
                    legend { "Implementation" }
                    @for (i, c) in m.columns().iter().enumerate() {
                        label { input.impl-filter type="checkbox" value=(i) data-impl=(c.implementation) checked; " " (c.implementation) } " "
                    }
                }
            }
            @if !m.rows().is_empty() {
                p.legend { (legend(m)) ". Headers: F fork, FS forkserver, S spawn. Click a row for its clause and stories; a failing cell opens its story." }
            }
            table #matrix {
                thead {
                    tr {
                        th.clause-col rowspan="2" { "Clause" }
                        th.level-col rowspan="2" { "Level" }
                        th.interop-col rowspan="2" title="implementations passing / checked" { "Interop" }
                        @for (family, first, cols) in m.families() {
                            th.fam colspan=(cols.len()) data-family=(family) data-col=(first) title=(family) { (family) }
                        }
                    }
                    tr {
                        @for (i, c) in m.columns().iter().enumerate() {
                            th.sm.impl-col data-col=(i) data-impl=(c.implementation) title=(c.implementation) {
                                (method_label(&c.start_method))
                                @if c.skip_reason.is_some() { span.note title=(format!("skipped: {}", c.skip_reason.as_deref().unwrap_or(""))) { "skip" } }
                                @else if !c.complete { span.note { "part" } }
                            }
                        }
                    }
                }
                @if !failing.is_empty() {
                    tbody.area data-area="failing" {
                        tr.area-row { th colspan=(width) { "Failing clauses" } }
                        @for row in &failing {
                            (clause_rows(clauses, m, row, next(), width, anchors, stories))
                        }
                    }
                }
                @for (area, rows) in m.areas() {
                    @let rest: Vec<&Row> = rows.iter().filter(|r| !failing_ids.contains(&r.clause.as_str())).collect();
                    @if !rest.is_empty() {
                        tbody.area data-area=(area) {
                            tr.area-row { th colspan=(width) { (area) } }
                            @for row in rest {
                                (clause_rows(clauses, m, row, next(), width, anchors, stories))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn clause_rows(
    clauses: &[Clause],
    m: &Matrix,
    row: &Row,
    n: usize,
    width: usize,
    anchors: &StoryIndex<'_>,
    stories: &[&Detail<'_>],
) -> Markup {
    let level = detail::level(row.level);
    let detail_id = format!("detail-{n}");
    html! {
        tr.clause-row data-clause=(row.clause) data-level=(level) data-detail=(detail_id) aria-expanded="false" {
            td title=(row.clause) { code { (row.clause) } }
            td { (level) }
            td.num { (row.passing()) "/" (row.applicable()) }
            @for (i, cell) in row.cells.iter().enumerate() {
                @let title = match &m.columns()[i].skip_reason {
                    Some(reason) => format!("{}: skipped: {reason}", m.columns()[i].implementation),
                    None if cell.headline == Headline::Untestable => "untestable: no case can check this clause".to_string(),
                    None => format!("{}: {}", m.columns()[i].implementation, summary(&cell.counts)),
                };
                td class=(format!("cell st-{}", cell.headline.as_str())) data-col=(i) title=(title) {
                    @match anchors.get(i, &row.clause) {
                        Some(a) if matches!(cell.headline, Headline::Fail | Headline::ExpectedFail) => a href=(format!("#{a}")) { (symbol(cell)) },
                        _ => (symbol(cell)),
                    }
                }
            }
        }
        tr.detail-row id=(detail_id) data-clause=(row.clause) {
            td colspan=(width) {
                @match detail::find(clauses, &row.clause) {
                    Some(c) => (quote(c)),
                    None => p { "Not in the clause registry." },
                }
                @if let Some(reason) = &row.untestable {
                    p.untestable-reason { strong { "No case can check this clause:" } " " (reason.trim()) }
                }
                @let mine: Vec<&&Detail<'_>> = stories.iter().filter(|d| d.root() == Some(row.clause.as_str())).collect();
                @if mine.is_empty() {
                    p { "No failures." }
                } @else {
                    p {
                        "Stories: "
                        @for (j, d) in mine.iter().enumerate() {
                            @if j > 0 { ", " }
                            a href=(format!("#{}", d.anchor)) data-col=(d.column) { (d.implementation) " · " (d.result.id) }
                        }
                    }
                }
            }
        }
    }
}

fn quote(c: &Clause) -> Markup {
    html! {
        blockquote.quote {
            p { strong { code { (c.id) } } " (" (detail::level(Some(c.level))) ", " (c.source) ")" }
            p { (c.quote) }
        }
    }
}

fn mutation_section(mutation: &Mutation) -> Markup {
    html! {
        @if !mutation.is_empty() {
            section #mutation {
                h2 { "Mutation score" }
                @if let Some(cm) = &mutation.cargo_mutants {
                    p { "cargo-mutants on the model and the reference (" code { "scripts/mutants.sh" } "; missed mutants triaged in " code { "mutants/triage.md" } ")." }
                    table #cargo-mutants {
                        thead { tr { th { "Crate" } th { "Score" } th.num { "Caught" } th.num { "Missed" } th.num { "Equivalent" } th.num { "Timeout" } th.num { "Unviable" } th.num { "Tested / total" } th { "Wall time" } } }
                        tbody {
                            @for c in &cm.crates {
                                tr {
                                    td { code { (c.name) } }
                                    td {
                                        @let p = c.percent().unwrap_or(0.0);
                                        span.bar { span style=(format!("width:{p:.1}%")) {} }
                                        " " (c.percent().map(|p| format!("{p:.1} %")).unwrap_or_else(|| "n/a".into()))
                                    }
                                    td.num { (c.caught) } td.num { (c.missed) } td.num { (c.equivalent) }
                                    td.num { (c.timeout) } td.num { (c.unviable) }
                                    td.num { (c.tested()) " / " (c.total) }
                                    td { @if let Some(w) = c.wall_seconds { (w / 60) "m" (format!("{:02}", w % 60)) "s" } }
                                }
                            }
                        }
                    }
                }
                @if let Some(k) = &mutation.catalogue {
                    @let killed = k.mutants.iter().filter(|m| m.killed()).count();
                    h3 { "Kill matrix" }
                    p {
                        "The catalogue of reference mutants (" code { "harness/tests/mutants.rs" } "): each breaks one rule, and the suite must fail with that rule's clause as the root. "
                        strong { (killed) " of " (k.mutants.len()) } " killed on their clause. "
                        em { "Also violates" } ": the clauses the root implies (invariants restating it)."
                    }
                    table #kills {
                        thead { tr { th { "Mutant" } th { "Breaks" } th { "Root clause found" } th { "Killed" } th.num { "Ops" } th { "By" } th { "Also violates" } th { "What it does" } } }
                        tbody {
                            @for m in &k.mutants {
                                tr.kill-row data-mutant=(m.mutant) {
                                    td { code { (m.mutant) } }
                                    td { code { (m.breaks) } }
                                    td { @match &m.found { Some(f) => code { (f) }, None => "survived" } }
                                    td class=(if m.killed() { "cell st-pass" } else { "cell st-fail" }) { (if m.killed() { "✓" } else { "✗" }) }
                                    td.num { @if let Some(n) = m.ops { (n) } }
                                    td { @if let Some(b) = &m.by { (b) } }
                                    td { @for (i, c) in m.implies.iter().enumerate() { @if i > 0 { ", " } code { (c) } } }
                                    td { (m.description) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn runs_table(runs: &[RunReport]) -> Markup {
    html! {
        section {
            h2 { "Runs" }
            table #runs {
                thead { tr { th { "Implementation" } th { "Version" } th { "Start method" } th { "OS" } th { "Seed" } th { "Protocol" } th { "Complete" } th { "Results" } th { "Leaks" } th { "Note" } } }
                tbody {
                    @for r in sorted_runs(runs) {
                        @let i = &r.run_info;
                        tr {
                            td { (i.implementation) } td { (i.version) } td { (i.start_method) } td { (i.os) }
                            td { (i.seed) } td { (i.protocol_version) } td { (if i.complete { "yes" } else { "no" }) }
                            td { (summary(&r.summary)) } td { (leaks(&r.leaks)) }
                            td {
                                @if let Some(reason) = &i.skip_reason { "skipped: " (reason) }
                                @else if !i.complete { "interrupted: results are partial" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The clauses no case can check, with their reasons; nothing when there
/// are none.
fn untestable(m: &Matrix) -> Markup {
    let rows: Vec<_> = m.untestable().collect();
    html! {
        @if !rows.is_empty() {
            section {
                h2 { (UNTESTABLE_HEADING) }
                p { "The vocabulary cannot express these clauses, so no case checks them; " code { "spec/untested.toml" } " lists each with the reason." }
                table #untestable {
                    thead { tr { th { "Clause" } th { "Level" } th { "Reason" } } }
                    tbody {
                        @for (row, reason) in rows {
                            tr.untestable-row data-clause=(row.clause) data-level=(detail::level(row.level)) {
                                td { code { (row.clause) } } td { (detail::level(row.level)) } td { (reason.trim()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn stories_section(clauses: &[Clause], failures: &[Detail<'_>], expected: &[Detail<'_>]) -> Markup {
    html! {
        section #stories {
            h2 { "Failures" }
            @if failures.is_empty() { p { "No failures." } }
            @for d in failures { (story(clauses, d)) }
            @if !expected.is_empty() {
                h2 { "Expected failures" }
                @for d in expected { (story(clauses, d)) }
            }
        }
    }
}

/// One result as a story: the root clause first, each step with what the
/// model allowed and what was observed, the replay command, the message
/// and the quotes.
fn story(clauses: &[Clause], d: &Detail<'_>) -> Markup {
    let r = d.result;
    let xfail = r.status == Status::ExpectedFail;
    html! {
        div.failure-detail.xfail[xfail] id=(d.anchor) data-col=(d.column) {
            h4 { (d.implementation) " · " (detail::kind(r.kind)) " " code { (r.id) } " · " (r.status.as_str()) }
            dl {
                dt { "Root clause" }
                dd { (detail::blame_line(r).unwrap_or_else(|| "none".to_string())) }
                @if let Some((expected, observed)) = detail::expected_observed(r) {
                    dt { "Expected" } dd { code { (expected) } }
                    dt { "Observed" } dd { code { (observed) } }
                }
                dt { "Replay" } dd { code.replay { (detail::replay(d.info, r)) } }
            }
            @if !r.ops.is_empty() {
                table.story {
                    thead { tr { th { "#" } th { "Step" } th { "Model allowed" } th { "Observed" } th { "" } } }
                    tbody {
                        @for st in detail::story(r) {
                            tr.irrelevant[st.irrelevant].root[st.roles.contains(&"root")].observer[st.roles.contains(&"observer")] {
                                td { (st.n) }
                                td { (st.step) }
                                td { (st.allowed.join(" | ")) }
                                td { (st.observed) }
                                td.role {
                                    (st.roles.join(", "))
                                    @if st.irrelevant { @if !st.roles.is_empty() { ", " } "irrelevant" }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(m) = &r.message { pre.message { (m) } }
            @for id in &r.clauses {
                @match detail::find(clauses, id) {
                    Some(c) => (quote(c)),
                    None => p { code { (id) } ": not in the clause registry" },
                }
            }
        }
    }
}
