//! Clauses no case can check (`spec/untested.toml`): their cells differ
//! from "not covered", and both human reports list them with their reason,
//! escaped.

use crate::fixtures::{clauses, runs};
use procspec_reports::{render_html_with, render_markdown_with, Headline, Matrix};
use procspec_spec::untested::Untested;

/// A reason full of what Markdown and HTML must escape.
const REASON: &str = "No op can *daemonise* a `Process` | <agent> & \"friends\".";

fn untested() -> Vec<Untested> {
    vec![
        Untested {
            clause: "daemon.no-children".into(),
            reason: REASON.into(),
        },
        // Cited by results: those keep their headline.
        Untested {
            clause: "close.requires-exit".into(),
            reason: "cited anyway".into(),
        },
        // Not a row of the matrix: ignored.
        Untested {
            clause: "construct.args-kwargs".into(),
            reason: "not in these clauses".into(),
        },
    ]
}

fn matrix() -> Matrix {
    Matrix::with_untested(&clauses(), &untested(), &runs())
}

#[test]
fn cells_no_result_cites_are_untestable() {
    let m = matrix();
    let row = |id: &str| m.rows().iter().find(|r| r.clause == id).unwrap();
    let daemon = row("daemon.no-children");
    assert_eq!(daemon.untestable.as_deref(), Some(REASON));
    let headlines: Vec<Headline> = daemon.cells.iter().map(|c| c.headline).collect();
    // alpha, beta; gamma was skipped as a whole and stays skip.
    assert_eq!(
        headlines,
        [Headline::Untestable, Headline::Untestable, Headline::Skip]
    );
    assert_eq!(Headline::Untestable.as_str(), "untestable");
    assert_ne!(Headline::Untestable.as_str(), Headline::NotCovered.as_str());

    let close = row("close.requires-exit");
    assert_eq!(close.untestable.as_deref(), Some("cited anyway"));
    assert_eq!(close.cells[0].headline, Headline::Fail);
    assert_eq!(close.cells[1].headline, Headline::Untestable);

    assert!(m.rows().iter().all(|r| r.clause != "construct.args-kwargs"));
    let listed: Vec<&str> = m.untestable().map(|(r, _)| r.clause.as_str()).collect();
    assert_eq!(listed, ["daemon.no-children", "close.requires-exit"]);

    // Without the list the same cells are merely not covered.
    let plain = Matrix::with_untested(&clauses(), &[], &runs());
    let daemon = plain
        .rows()
        .iter()
        .find(|r| r.clause == "daemon.no-children")
        .unwrap();
    assert_eq!(daemon.untestable, None);
    assert_eq!(daemon.cells[0].headline, Headline::NotCovered);
    assert_eq!(plain.untestable().count(), 0);
}

#[test]
fn markdown_marks_the_cell_and_lists_the_reason() {
    let md = render_markdown_with(&clauses(), &untested(), &runs());
    let row = md
        .lines()
        .find(|l| l.starts_with("| `daemon.no-children` |"))
        .unwrap();
    assert_eq!(
        row,
        "| `daemon.no-children` | must | 0/0 | ∅ untestable | ∅ untestable | skip |"
    );
    assert!(!row.contains('—'));
    assert!(md.contains("— not covered · ∅ untestable: no case can check it (see below)"));

    let section =
        &md[md.find("## Clauses no case can check").unwrap()..md.find("## Failures").unwrap()];
    let table: Vec<&str> = section.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        table,
        [
            "| Clause | Level | Reason |",
            "|---|---|---|",
            "| `daemon.no-children` | must | No op can \\*daemonise\\* a \\`Process\\` \\| \\<agent\\> & \"friends\". |",
            "| `close.requires-exit` | must | cited anyway |",
        ]
    );
    assert!(md.find("## Matrix") < md.find("## Clauses no case can check"));
}

#[test]
fn markdown_without_untestable_clauses_has_no_section() {
    let md = render_markdown_with(&clauses(), &[], &runs());
    assert!(!md.contains("Clauses no case can check"));
    assert!(!md.contains('∅'));
    assert!(md.contains("| `daemon.no-children` | must | 0/0 | — | — | skip |"));
}

#[test]
fn html_marks_the_cell_and_lists_the_reason() {
    let html = render_html_with(&clauses(), &untested(), &runs());
    let escaped = "No op can *daemonise* a `Process` | &lt;agent&gt; &amp; &quot;friends&quot;.";
    assert!(!html.contains("<agent>"));
    assert!(html.contains(
        "<td class=\"cell st-untestable\" data-col=\"0\" title=\"untestable: no case can check this clause\">∅</td>"
    ));
    assert!(html.contains(".st-untestable{"));
    assert!(html.contains("∅ untestable: no case can check it"));

    assert!(html.contains("<h2>Clauses no case can check</h2>"));
    assert!(html.contains(&format!(
        "<tr class=\"untestable-row\" data-clause=\"daemon.no-children\" data-level=\"must\"><td><code>daemon.no-children</code></td><td>must</td><td>{escaped}</td></tr>"
    )));
    assert_eq!(html.matches("class=\"untestable-row\"").count(), 2);
    // The clause's expanded row says it too.
    assert!(html.contains(&format!(
        "<p class=\"untestable-reason\"><strong>No case can check this clause:</strong> {escaped}</p>"
    )));

    let plain = render_html_with(&clauses(), &[], &runs());
    assert!(!plain.contains("st-untestable\""));
    assert!(!plain.contains("id=\"untestable\""));
    assert!(
        plain.contains("<td class=\"cell st-none\" data-col=\"0\" title=\"alpha: none\">·</td>")
    );
}

/// The plain renderers take the list the spec embeds.
#[test]
fn defaults_come_from_the_spec() {
    let clauses = procspec_spec::clauses();
    let embedded = procspec_spec::untested();
    let m = Matrix::new(clauses, &runs());
    let listed: Vec<&str> = m.untestable().map(|(r, _)| r.clause.as_str()).collect();
    for u in embedded {
        assert!(listed.contains(&u.clause.as_str()), "{}", u.clause);
    }
    let md = procspec_reports::render_markdown(clauses, &runs());
    let html = procspec_reports::render_html(clauses, &runs());
    for u in embedded {
        assert!(md.contains(&format!("| `{}` | ", u.clause)), "{}", u.clause);
        assert!(
            html.contains(&format!(
                "class=\"untestable-row\" data-clause=\"{}\"",
                u.clause
            )),
            "{}",
            u.clause
        );
    }
}
