//! `index.html`: self-contained, with the hooks its script and these
//! tests rely on, and every data string escaped.

use crate::fixtures::{clauses, runs};
use procspec_reports::render_html;

fn page() -> String {
    render_html(&clauses(), &runs())
}

#[test]
fn has_the_matrix_and_a_row_per_clause() {
    let html = page();
    assert_eq!(html.matches("id=\"matrix\"").count(), 1);
    // Seven registry clauses, plus `orphans.reaped` which a result cites.
    assert_eq!(html.matches("class=\"clause-row\"").count(), 8);
    for c in clauses() {
        assert!(
            html.contains(&format!("data-clause=\"{}\" data-level=\"", c.id)),
            "row of {}",
            c.id
        );
    }
    assert!(html.contains("data-clause=\"start.once\" data-level=\"must\""));
    assert!(html.contains("data-clause=\"exitcode.signal-negative\" data-level=\"impl\""));
    assert!(html.contains("data-clause=\"orphans.reaped\" data-level=\"unknown\""));
}

#[test]
fn shows_failure_details() {
    let html = page();
    assert!(html.contains("class=\"failure-detail\""));
    assert!(html.contains("class=\"failure-detail xfail\""));
    assert!(html.contains("<td>main: start p1</td>"));
    assert!(html.contains("<td>p1: join main timeout_ms=10</td>"));
    // A failure citing no clause has a story too.
    assert!(html.contains("orphans/none"));
}

#[test]
fn stories_name_the_root_allowed_outcomes_and_replay() {
    let html = page();
    // sequence/7: root start.returns-none at step 2, observed at step 3;
    // step 2 does not matter; the model allowed err not-parent at step 3.
    assert!(html.contains("start.returns-none (step 2); observed by join.parent-only (step 3)"));
    assert!(html.contains("<tr class=\"irrelevant root\"><td>2</td>"));
    assert!(html.contains("<td>err not-parent (join.parent-only)</td>"));
    assert!(html.contains("procspec run --impl alpha --cases cases/regressions/seq-7"));
    // A failing cell links to its story.
    let story = html
        .split("class=\"failure-detail\" id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(
        html.contains(&format!("<a href=\"#{story}\">✗</a>")),
        "{story}"
    );
}

#[test]
fn opens_on_scores_and_failing_clauses() {
    let html = page();
    let scores = html.find("id=\"scores\"").unwrap();
    let failing = html.find("id=\"failing\"").unwrap();
    let matrix = html.find("id=\"matrix\"").unwrap();
    let runs = html.find("id=\"runs\"").unwrap();
    assert!(scores < failing && failing < matrix && matrix < runs);
    assert_eq!(html.matches("class=\"score-row").count(), 3);
    // The matrix's header groups columns by family.
    assert!(html.contains("class=\"fam\""));
}

#[test]
fn colours_and_filters() {
    let html = page();
    for class in [
        "st-pass",
        "st-fail",
        "st-xfail",
        "st-precond",
        "st-skip",
        "st-none",
    ] {
        assert!(html.contains(&format!("cell {class}")), "{class}");
    }
    for level in ["must", "should", "impl", "unknown"] {
        assert!(html.contains(&format!(
            "class=\"level-filter\" type=\"checkbox\" value=\"{level}\""
        )));
    }
    assert_eq!(html.matches("class=\"impl-filter\"").count(), 3);
    assert!(html.contains("skipped: python3 &lt;not found&gt; &amp; no fallback"));
}

#[test]
fn self_contained() {
    let html = page();
    for needle in ["http://", "https://", "src=", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "references {needle}");
    }
}

#[test]
fn escapes_data() {
    let html = page();
    assert!(!html.contains("<not others>"));
    assert!(html.contains("&lt;not others&gt; &amp; &quot;siblings&quot;"));
    assert!(!html.contains("<most recent call last>"));
    let mut runs = runs();
    runs[1].run_info.implementation = "<script>alert(1)</script>".into();
    let html = render_html(&clauses(), &runs);
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

#[test]
fn nothing_to_report() {
    let html = render_html(&[], &[]);
    assert!(html.contains("id=\"matrix\""));
    assert!(!html.contains("class=\"clause-row\""));
}
