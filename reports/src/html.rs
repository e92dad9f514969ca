//! `index.html`: the matrix as one self-contained page (inline CSS and JS,
//! no network), colour-coded, filterable by level and implementation, each
//! row expanding to its failures.
//!
//! Stable hooks for tests and scripts: the matrix is `table#matrix`; each
//! clause is a `tr.clause-row` with `data-clause` and `data-level`, followed
//! by its `tr.detail-row`; each explained result is a `div.failure-detail`;
//! every cell and failure of column `i` carries `data-col="i"`. The clauses
//! no case can check are the rows of `table#untestable`, each a
//! `tr.untestable-row` with `data-clause`.

use crate::detail::{self, Detail};
use crate::escape::html as esc;
use crate::markdown::{cell_text, leaks, legend, summary, UNTESTABLE_HEADING};
use crate::matrix::{sorted_runs, Headline, Matrix};
use procspec_spec::results::RunReport;
use procspec_spec::untested::Untested;
use procspec_spec::vocab::Clause;
use std::fmt::Write;

const STYLE: &str = r#"
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b;background:#fff}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f3f3f3;position:sticky;top:0}
.note{display:block;font-weight:normal;font-size:.8em;color:#555}
tr.area-row th{background:#e8e8f0}
tr.clause-row{cursor:pointer}
tr.clause-row:hover td{outline:1px solid #888}
td.cell{text-align:center;white-space:nowrap}
.st-pass{background:#d6f5d6}
.st-fail{background:#f8c9c9}
.st-xfail{background:#fbe3b0}
.st-precond,.st-skip{background:#e4e4e4;color:#555}
.st-none{color:#999}
.st-untestable{background:#eef0f6;color:#556;font-style:italic}
.legend{color:#555}
.failure-detail{border-left:4px solid #d33;padding:.25rem .75rem;margin:.5rem 0}
.failure-detail.xfail{border-color:#e0a020}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid #aaa;color:#333}
fieldset{display:inline-block;margin:0 1rem 1rem 0}
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
    var r=e.target.closest('tr.clause-row');
    if(!r)return;
    var d=document.getElementById(r.dataset.detail);
    if(d){d.classList.toggle('open');r.setAttribute('aria-expanded',d.classList.contains('open'));}
  });
  apply();
})();
"#;

/// Render `index.html`: one file, nothing fetched. Every string from a run
/// or the registry is HTML-escaped. The clauses no case can check are those
/// of the spec's embedded `spec/untested.toml`.
pub fn render_html(clauses: &[Clause], runs: &[RunReport]) -> String {
    render(clauses, &Matrix::new(clauses, runs), runs)
}

/// As [`render_html`], with `untested` as the clauses no case can check.
pub fn render_html_with(clauses: &[Clause], untested: &[Untested], runs: &[RunReport]) -> String {
    render(
        clauses,
        &Matrix::with_untested(clauses, untested, runs),
        runs,
    )
}

fn render(clauses: &[Clause], matrix: &Matrix, runs: &[RunReport]) -> String {
    let (failures, expected) = detail::collect(runs);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>procspec conformance report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<h1>procspec conformance report</h1>\n");
    runs_table(&mut out, runs);
    filters(&mut out, matrix);
    matrix_table(&mut out, clauses, matrix, &failures, &expected);
    untestable(&mut out, matrix);
    unattributed(&mut out, clauses, &failures, &expected);
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn runs_table(out: &mut String, runs: &[RunReport]) {
    out.push_str("<h2>Runs</h2>\n<table id=\"runs\">\n<thead><tr><th>Implementation</th><th>Version</th><th>Start method</th><th>OS</th><th>Seed</th><th>Protocol</th><th>Complete</th><th>Results</th><th>Leaks</th><th>Note</th></tr></thead>\n<tbody>\n");
    for r in sorted_runs(runs) {
        let i = &r.run_info;
        let note = match (&i.skip_reason, i.complete) {
            (Some(reason), _) => format!("skipped: {reason}"),
            (None, false) => "interrupted: results are partial".to_string(),
            (None, true) => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.implementation),
            esc(&i.version),
            esc(&i.start_method),
            esc(&i.os),
            i.seed,
            i.protocol_version,
            if i.complete { "yes" } else { "no" },
            summary(&r.summary),
            leaks(&r.leaks),
            esc(&note),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn filters(out: &mut String, m: &Matrix) {
    out.push_str("<h2>Matrix</h2>\n<form id=\"filters\">\n<fieldset><legend>Level</legend>\n");
    let mut levels = vec!["must", "should", "impl"];
    if m.rows().iter().any(|r| r.level.is_none()) {
        levels.push("unknown");
    }
    for l in levels {
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" class=\"level-filter\" value=\"{l}\" checked> {l}</label>"
        );
    }
    out.push_str("</fieldset>\n<fieldset><legend>Implementation</legend>\n");
    for (i, c) in m.columns().iter().enumerate() {
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" class=\"impl-filter\" value=\"{i}\" data-impl=\"{}\" checked> {}</label>",
            esc(&c.implementation),
            esc(&c.implementation)
        );
    }
    out.push_str("</fieldset>\n</form>\n");
}

fn matrix_table(
    out: &mut String,
    clauses: &[Clause],
    m: &Matrix,
    failures: &[Detail<'_>],
    expected: &[Detail<'_>],
) {
    let width = m.columns().len() + 2;
    if !m.rows().is_empty() {
        let _ = writeln!(out, "<p class=\"legend\">{}</p>", esc(&legend(m)));
    }
    out.push_str("<table id=\"matrix\">\n<thead><tr><th>Clause</th><th>Level</th>");
    for (i, c) in m.columns().iter().enumerate() {
        let note = match (&c.skip_reason, c.complete) {
            (Some(reason), _) => format!("<span class=\"note\">skipped: {}</span>", esc(reason)),
            (None, false) => "<span class=\"note\">partial</span>".to_string(),
            (None, true) => String::new(),
        };
        let _ = write!(
            out,
            "<th class=\"impl-col\" data-col=\"{i}\" data-impl=\"{}\">{}{note}</th>",
            esc(&c.implementation),
            esc(&c.implementation)
        );
    }
    out.push_str("</tr></thead>\n");
    let mut n = 0;
    for (area, rows) in m.areas() {
        let _ = writeln!(
            out,
            "<tbody class=\"area\" data-area=\"{0}\">\n<tr class=\"area-row\"><th colspan=\"{width}\">{0}</th></tr>",
            esc(area)
        );
        for row in rows {
            let level = detail::level(row.level);
            let _ = write!(
                out,
                "<tr class=\"clause-row\" data-clause=\"{0}\" data-level=\"{level}\" data-detail=\"detail-{n}\" aria-expanded=\"false\"><td><code>{0}</code></td><td>{level}</td>",
                esc(&row.clause)
            );
            for (i, cell) in row.cells.iter().enumerate() {
                // The reason is in the row's detail and the list below the
                // matrix; repeating it in every cell would bloat the page.
                let title = match &m.columns()[i].skip_reason {
                    Some(reason) => format!("skipped: {}", esc(reason)),
                    None if cell.headline == Headline::Untestable => {
                        "untestable: no case can check this clause".to_string()
                    }
                    None => summary(&cell.counts),
                };
                let _ = write!(
                    out,
                    "<td class=\"cell st-{}\" data-col=\"{i}\" title=\"{title}\">{}</td>",
                    cell.headline.as_str(),
                    cell_text(cell)
                );
            }
            let _ = write!(
                out,
                "</tr>\n<tr class=\"detail-row\" id=\"detail-{n}\" data-clause=\"{}\"><td colspan=\"{width}\">",
                esc(&row.clause)
            );
            match detail::find(clauses, &row.clause) {
                Some(c) => quote(out, c),
                None => out.push_str("<p>Not in the clause registry.</p>"),
            }
            if let Some(reason) = &row.untestable {
                let _ = write!(
                    out,
                    "<p class=\"untestable-reason\"><strong>No case can check this clause:</strong> {}</p>",
                    esc(reason.trim())
                );
            }
            let cites = |d: &&Detail<'_>| d.result.clauses.contains(&row.clause);
            let mut any = false;
            for d in failures.iter().chain(expected).filter(cites) {
                failure(out, clauses, d, Some(&row.clause));
                any = true;
            }
            if !any {
                out.push_str("<p>No failures.</p>");
            }
            out.push_str("</td></tr>\n");
            n += 1;
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");
}

/// The clauses no case can check, with their reasons; nothing when there
/// are none.
fn untestable(out: &mut String, m: &Matrix) {
    let mut rows = m.untestable().peekable();
    if rows.peek().is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>{UNTESTABLE_HEADING}</h2>\n<p>The vocabulary cannot express these clauses, so no case checks them; <code>spec/untested.toml</code> lists each with the reason.</p>\n<table id=\"untestable\">\n<thead><tr><th>Clause</th><th>Level</th><th>Reason</th></tr></thead>\n<tbody>"
    );
    for (row, reason) in rows {
        let level = detail::level(row.level);
        let _ = writeln!(
            out,
            "<tr class=\"untestable-row\" data-clause=\"{0}\" data-level=\"{level}\"><td><code>{0}</code></td><td>{level}</td><td>{1}</td></tr>",
            esc(&row.clause),
            esc(reason.trim())
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Failures that cite no clause have no row to expand: they are listed
/// below the matrix.
fn unattributed(
    out: &mut String,
    clauses: &[Clause],
    failures: &[Detail<'_>],
    expected: &[Detail<'_>],
) {
    let loose: Vec<&Detail<'_>> = failures
        .iter()
        .chain(expected)
        .filter(|d| d.result.clauses.is_empty())
        .collect();
    if loose.is_empty() {
        return;
    }
    out.push_str("<h2>Failures citing no clause</h2>\n<div id=\"unattributed\">\n");
    for d in loose {
        failure(out, clauses, d, None);
    }
    out.push_str("</div>\n");
}

fn quote(out: &mut String, c: &Clause) {
    let _ = write!(
        out,
        "<blockquote class=\"quote\"><p><strong><code>{}</code></strong> ({}, {})</p><p>{}</p></blockquote>",
        esc(&c.id),
        detail::level(Some(c.level)),
        esc(&c.source),
        esc(&c.quote)
    );
}

/// One result; the quotes of the clauses it cites besides `row`'s (whose
/// quote heads the row's detail already).
fn failure(out: &mut String, clauses: &[Clause], d: &Detail<'_>, row: Option<&str>) {
    let r = d.result;
    let xfail = if r.status == procspec_spec::results::Status::ExpectedFail {
        " xfail"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<div class=\"failure-detail{xfail}\" data-col=\"{}\"><h4>{} · {} <code>{}</code> · {}</h4><dl><dt>Clauses</dt><dd>{}</dd>",
        d.column,
        esc(d.implementation),
        detail::kind(r.kind),
        esc(&r.id),
        r.status.as_str(),
        if r.clauses.is_empty() {
            "none".to_string()
        } else {
            esc(&r.clauses.join(", "))
        },
    );
    if let Some((expected, observed)) = detail::expected_observed(r) {
        let _ = write!(
            out,
            "<dt>Expected</dt><dd><code>{}</code></dd><dt>Observed</dt><dd><code>{}</code></dd>",
            esc(&expected),
            esc(observed)
        );
    }
    out.push_str("</dl>");
    if !r.ops.is_empty() {
        let _ = write!(
            out,
            "<pre class=\"ops\">{}</pre>",
            esc(&detail::op_lines(r))
        );
    }
    if let Some(m) = &r.message {
        let _ = write!(out, "<pre class=\"message\">{}</pre>", esc(m));
    }
    for id in r.clauses.iter().filter(|id| Some(id.as_str()) != row) {
        match detail::find(clauses, id) {
            Some(c) => quote(out, c),
            None => {
                let _ = write!(
                    out,
                    "<p><code>{}</code>: not in the clause registry</p>",
                    esc(id)
                );
            }
        }
    }
    out.push_str("</div>");
}
