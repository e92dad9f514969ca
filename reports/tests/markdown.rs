//! `index.md`: the whole report as a snapshot, and its determinism.

use crate::fixtures::{clauses, runs};
use procspec_reports::render_markdown;

#[test]
fn report() {
    insta::assert_snapshot!(render_markdown(&clauses(), &runs()));
}

#[test]
fn run_order_does_not_matter() {
    let mut reversed = runs();
    reversed.reverse();
    assert_eq!(
        render_markdown(&clauses(), &runs()),
        render_markdown(&clauses(), &reversed)
    );
}

#[test]
fn nothing_to_report() {
    insta::assert_snapshot!(render_markdown(&[], &[]), @r"
    # procspec conformance report

    0 implementation(s), 0 clause(s).

    ## At a glance

    No runs.

    ## Runs

    No runs.

    ## Matrix

    No clauses.

    ## Failures

    No failures.

    ## Expected failures

    No expected failures.
    ");
}

#[test]
fn failures_carry_steps_and_quotes() {
    let md = render_markdown(&clauses(), &runs());
    let failures = &md[md.find("## Failures").unwrap()..];
    assert!(failures.contains("| `main: start p1` |  | `ok none` |"));
    // The failing step of a result without per-step outcomes shows the
    // result's expected outcomes under its root clause.
    assert!(failures.contains(
        "| 7 | `main: release p1` | `err already-started (start.once)` | `(no answer)` |"
    ));
    assert!(failures.contains(
        "| 3 | `p1: join main timeout_ms=10` | `err not-parent (join.parent-only)` | `ok none` | observer |"
    ));
    assert!(failures.contains("| 2 | `main: start p1` |  | `ok none` | root, irrelevant |"));
    assert!(failures.contains(
        "- Root clause: start.returns-none (step 2); observed by join.parent-only (step 3)"
    ));
    assert!(
        failures.contains("- Replay: `procspec run --impl alpha --cases cases/regressions/seq-7`")
    );
    assert!(failures.contains("> start() must be called at most once per process object."));
    assert!(failures.contains("not in the clause registry"));
}
