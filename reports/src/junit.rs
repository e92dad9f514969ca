//! `junit.xml`: one `<testsuite>` per implementation, one `<testcase>` per
//! result, for CI dashboards. Built with `quick-junit` (nextest's own), which
//! does the XML escaping.

use crate::detail;
use crate::matrix::sorted_runs;
use procspec_spec::results::{CaseResult, RunReport, Status};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

/// Render `junit.xml`.
///
/// - `<testsuites name="procspec">` holds one `<testsuite
///   name=IMPLEMENTATION>` per run, in column order (by family, then start
///   method), with `tests`, `failures`, `errors` and `skipped` counts and
///   the run info as `<properties>`.
/// - Each result is a `<testcase classname="IMPLEMENTATION.KIND"
///   name=ID>`, sorted by (kind, id). `fail` and `unexpected-pass` carry a
///   `<failure>`, `timeout`, `crash` and `not-run` an `<error>`, `skip`,
///   `precondition-failed` and `expected-fail` a `<skipped>`. A failure's
///   `message` names the status, the root clause, expected vs observed
///   and the replay command; its text is the story: every step with what
///   the model allowed, what was observed, and which steps do not matter.
/// - A run skipped as a whole with no results gets one `<testcase
///   classname=IMPLEMENTATION name=IMPLEMENTATION>` carrying the reason as
///   `<skipped>`, so the skip shows on a dashboard.
/// - No `time` or `timestamp` attributes: the file is deterministic.
pub fn render_junit(runs: &[RunReport]) -> String {
    let mut report = Report::new("procspec");
    for run in sorted_runs(runs) {
        report.add_test_suite(suite(run));
    }
    report
        .to_string()
        // quick-junit writes to a Vec: its only errors are I/O ones.
        .expect("serializing JUnit XML into memory cannot fail")
}

fn suite(run: &RunReport) -> TestSuite {
    let info = &run.run_info;
    let name = &info.implementation;
    let mut suite = TestSuite::new(name.as_str());
    let mut props = vec![
        ("version", info.version.clone()),
        ("start_method", info.start_method.clone()),
        ("os", info.os.clone()),
        ("seed", info.seed.to_string()),
        ("protocol_version", info.protocol_version.to_string()),
        ("complete", info.complete.to_string()),
    ];
    if let Some(reason) = &info.skip_reason {
        props.push(("skip_reason", reason.clone()));
    }
    suite.add_properties(props.into_iter().map(|(k, v)| Property::new(k, v)));

    let mut results: Vec<&CaseResult> = run.results.iter().collect();
    results.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    for r in &results {
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Fail | Status::UnexpectedPass => non_success(NonSuccessKind::Failure, run, r),
            Status::Timeout | Status::Crash | Status::NotRun => {
                non_success(NonSuccessKind::Error, run, r)
            }
            Status::Skip | Status::PreconditionFailed | Status::ExpectedFail => {
                let why = r.message.as_deref().unwrap_or("");
                let sep = if why.is_empty() { "" } else { ": " };
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("{}{sep}{why}", r.status.as_str()));
                s.set_type(r.status.as_str());
                if r.status == Status::ExpectedFail {
                    s.set_description(detail::plain(info, r));
                }
                s
            }
        };
        let mut case = TestCase::new(r.id.as_str(), status);
        case.set_classname(format!("{name}.{}", detail::kind(r.kind)));
        suite.add_test_case(case);
    }
    if results.is_empty() {
        if let Some(reason) = &info.skip_reason {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.as_str());
            let mut case = TestCase::new(name.as_str(), s);
            case.set_classname(name.as_str());
            suite.add_test_case(case);
        }
    }
    suite
}

fn non_success(kind: NonSuccessKind, run: &RunReport, r: &CaseResult) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(kind);
    s.set_message(failure_message(run, r));
    s.set_type(r.status.as_str());
    s.set_description(detail::plain(&run.run_info, r));
    s
}

/// One line: `fail: root start.once (step 2): expected ok none, observed
/// err closed; replay: procspec run ...`; without expected vs observed, the
/// first line of the message.
fn failure_message(run: &RunReport, r: &CaseResult) -> String {
    let mut parts = vec![r.status.as_str().to_string()];
    if let Some(b) = detail::blame_line(r) {
        parts.push(format!("root {b}"));
    }
    if let Some((expected, observed)) = detail::expected_observed(r) {
        parts.push(format!("expected {expected}, observed {observed}"));
    } else if let Some(line) = r.message.as_deref().and_then(|m| m.lines().next()) {
        parts.push(line.to_string());
    }
    let mut line = parts.join(": ");
    line.push_str("; replay: ");
    line.push_str(&detail::replay(&run.run_info, r));
    line
}
