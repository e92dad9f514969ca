//! The mutation score: the committed files load, and both human reports
//! render the kill matrix and cargo-mutants' counts.

use crate::fixtures::{clauses, runs};
use procspec_reports::{
    load_mutation, render_html_mutation, render_markdown_mutation, CrateScore, Mutation,
};
use std::path::Path;

fn committed() -> Mutation {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("committed");
    load_mutation(&dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn committed_files_load() {
    let m = committed();
    let kills = m.catalogue.as_ref().expect("committed/mutation/kills.json");
    assert!(!kills.mutants.is_empty());
    assert!(kills.mutants.iter().any(|k| k.killed()));
    assert!(
        m.cargo_mutants.is_some(),
        "committed/mutation/cargo-mutants.json"
    );
}

#[test]
fn both_reports_show_the_kill_matrix_and_scores() {
    let m = committed();
    let md = render_markdown_mutation(&clauses(), &runs(), &m);
    assert!(md.contains("## Mutation score"));
    assert!(md.contains("| `start-twice` | `start.once` | `start.once` | ✓ |"));
    let html = render_html_mutation(&clauses(), &runs(), &m);
    assert!(html.contains("id=\"kills\""));
    assert!(html.contains("id=\"cargo-mutants\""));
    assert!(html.contains("data-mutant=\"start-twice\""));
    // Without mutation data, no section.
    assert!(!procspec_reports::render_markdown(&clauses(), &runs()).contains("Mutation score"));
}

#[test]
fn a_crate_score_counts_timeouts_as_caught_and_equivalents_out() {
    let c = CrateScore {
        name: "x".into(),
        caught: 8,
        timeout: 1,
        missed: 2,
        equivalent: 1,
        unviable: 5,
        total: 20,
        wall_seconds: Some(125),
    };
    assert_eq!(c.percent(), Some(90.0));
    assert_eq!(c.tested(), 16);
    assert_eq!(
        c.summary(),
        "90.0 % (8 caught, 2 missed (1 equivalent), 1 timeout, 5 unviable); partial run: 16 of 20 mutants tested; 2m05s"
    );
}
