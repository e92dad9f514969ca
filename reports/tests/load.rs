//! `load_runs` and `write_reports`: the file system edges.

use crate::fixtures::{clauses, runs};
use procspec_reports::{load_runs, write_reports, ErrorKind};
use std::fs;

fn write_runs(dir: &std::path::Path) {
    for r in runs() {
        let path = dir.join(format!("{}.json", r.run_info.implementation));
        fs::write(path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    }
}

#[test]
fn loads_every_run_sorted() {
    let dir = tempfile::tempdir().unwrap();
    write_runs(dir.path());
    fs::write(dir.path().join("index.md"), "not json").unwrap();
    fs::create_dir(dir.path().join("old.json")).unwrap();
    let loaded = load_runs(dir.path()).unwrap();
    let mut expected = runs();
    expected.sort_by(|a, b| a.run_info.implementation.cmp(&b.run_info.implementation));
    assert_eq!(loaded, expected);
}

#[test]
fn malformed_json_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write_runs(dir.path());
    let bad = dir.path().join("broken.json");
    fs::write(&bad, "{\n  \"run_info\": ,\n}").unwrap();
    let e = load_runs(dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(e.path(), bad);
    assert_eq!((e.line(), e.column()), (2, 15));
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}:2:15: invalid json: ", bad.display())),
        "{msg}"
    );
}

#[test]
fn json_that_is_no_run_report_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("other.json");
    fs::write(
        &bad,
        r#"{"run_info": {"implementation": "x"}, "results": [], "summary": {}}"#,
    )
    .unwrap();
    let e = load_runs(dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotARunReport);
    assert!(e.to_string().contains("other.json:1:"), "{e}");
    assert!(
        e.to_string()
            .contains("not a run report: missing field `version`"),
        "{e}"
    );
}

#[test]
fn unreadable_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let e = load_runs(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ReadDir);
    assert_eq!(e.path(), missing);
    assert!(e
        .to_string()
        .starts_with(&format!("{}: cannot list directory: ", missing.display())));
}

#[test]
fn two_runs_of_one_implementation_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_runs(dir.path());
    fs::copy(
        dir.path().join("beta.json"),
        dir.path().join("beta-again.json"),
    )
    .unwrap();
    let e = load_runs(dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate);
    assert!(e.to_string().contains("beta.json"), "{e}");
}

#[test]
fn empty_directory_is_no_runs() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load_runs(dir.path()).unwrap(), vec![]);
}

#[test]
fn writes_three_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let written = write_reports(&out, &clauses(), &runs()).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["index.md", "index.html", "junit.xml"]);
    assert_eq!(
        fs::read_to_string(&written[0]).unwrap(),
        procspec_reports::render_markdown(&clauses(), &runs())
    );
    // The reports do not end in .json: the directory still loads.
    write_runs(&out);
    assert_eq!(load_runs(&out).unwrap().len(), 3);
}
