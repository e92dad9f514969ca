//! The matrix's counting and headline rules.

use crate::fixtures::{clause, clauses, info, result, run, runs};
use procspec_reports::{Headline, Matrix};
use procspec_spec::results::Status;
use procspec_spec::vocab::Level;

fn headline(statuses: &[Status]) -> Headline {
    let results = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| result(&format!("case/{i}"), &["a.b"], *s))
        .collect();
    let m = Matrix::new(
        &[clause("a.b", Level::Must, "q")],
        &[run(info("x"), results)],
    );
    m.rows()[0].cells[0].headline
}

#[test]
fn headline_is_the_worst_status() {
    use Status::*;
    assert_eq!(headline(&[]), Headline::NotCovered);
    assert_eq!(headline(&[Skip]), Headline::Skip);
    assert_eq!(
        headline(&[Skip, PreconditionFailed]),
        Headline::PreconditionFailed
    );
    assert_eq!(headline(&[PreconditionFailed, Pass]), Headline::Pass);
    assert_eq!(headline(&[Pass, ExpectedFail]), Headline::ExpectedFail);
    for bad in [Fail, Timeout, Crash, UnexpectedPass] {
        assert_eq!(
            headline(&[Pass, ExpectedFail, bad]),
            Headline::Fail,
            "{bad:?}"
        );
    }
}

#[test]
fn rows_grouped_by_area_columns_by_name() {
    let m = Matrix::new(&clauses(), &runs());
    let names: Vec<&str> = m
        .columns()
        .iter()
        .map(|c| c.implementation.as_str())
        .collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);
    let areas: Vec<&str> = m.areas().map(|(a, _)| a).collect();
    assert_eq!(
        areas,
        ["start", "join", "exitcode", "daemon", "close", "orphans"]
    );
    let ids: Vec<&str> = m.rows().iter().map(|r| r.clause.as_str()).collect();
    assert_eq!(
        ids,
        [
            "start.once",
            "start.returns-none",
            "join.parent-only",
            "join.timeout",
            "exitcode.signal-negative",
            "daemon.no-children",
            "close.requires-exit",
            "orphans.reaped",
        ]
    );
    assert_eq!(m.rows()[7].level, None);
}

#[test]
fn a_pass_counts_for_each_clause_it_cites_a_failure_under_its_root() {
    let m = Matrix::new(&clauses(), &runs());
    let row = |id: &str| m.rows().iter().find(|r| r.clause == id).unwrap();
    // alpha: start/once (pass) and sequence/7 (fail, root
    // start.returns-none, observed by a join.parent-only op) cite
    // start.returns-none.
    let cell = &row("start.returns-none").cells[0];
    assert_eq!(
        (cell.count(Status::Pass), cell.failing(), cell.total()),
        (2, 1, 3)
    );
    assert_eq!(cell.headline, Headline::Fail);
    // The failure does not count under the observing op's clause: only
    // join/own-child (unexpected-pass) does.
    assert_eq!(row("join.parent-only").cells[0].failing(), 1);
    assert_eq!(row("start.once").cells[1].headline, Headline::Pass);
    assert_eq!(
        row("daemon.no-children").cells[0].headline,
        Headline::NotCovered
    );
}

#[test]
fn a_skipped_run_is_skip_everywhere() {
    let m = Matrix::new(&clauses(), &runs());
    assert!(m.columns()[2].skip_reason.is_some());
    assert!(m
        .rows()
        .iter()
        .all(|r| r.cells[2].headline == Headline::Skip));
}

/// Runs of several OSes: an implementation is judged by its platform's
/// outcomes, so its runs on two OSes are two families, grouped by OS.
#[test]
fn columns_of_several_oses_are_grouped_by_os() {
    let on = |name: &str, method: &str, os: &str| {
        let mut i = info(name);
        i.start_method = method.to_string();
        i.os = os.to_string();
        run(i, vec![result("case/0", &["a.b"], Status::Pass)])
    };
    let runs = [
        on("cpython-spawn", "spawn", "windows-x86_64"),
        on("cpython-fork", "fork", "linux-x86_64"),
        on("cpython-spawn", "spawn", "linux-x86_64"),
    ];
    let m = Matrix::new(&[clause("a.b", Level::Must, "q")], &runs);
    let columns: Vec<(&str, &str, &str)> = m
        .columns()
        .iter()
        .map(|c| (c.family.as_str(), c.start_method.as_str(), c.os.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("cpython on linux", "fork", "linux"),
            ("cpython on linux", "spawn", "linux"),
            ("cpython on windows", "spawn", "windows"),
        ]
    );
    // One OS: the family is the implementation's alone.
    let m = Matrix::new(&[clause("a.b", Level::Must, "q")], &runs[1..]);
    assert!(m.columns().iter().all(|c| c.family == "cpython"));
}
