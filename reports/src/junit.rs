//! `junit.xml`: one `<testsuite>` per implementation, one `<testcase>` per
//! result, for CI dashboards.

use crate::detail;
use crate::escape::{xml_attr, xml_text};
use crate::matrix::sorted_runs;
use procspec_spec::results::{CaseResult, RunReport, Status};
use std::fmt::Write;

/// Render `junit.xml`.
///
/// - `<testsuites>` holds one `<testsuite name=IMPLEMENTATION>` per run,
///   by implementation name, with `tests`, `failures`, `errors` and
///   `skipped` counts and the run info as `<properties>`.
/// - Each result is a `<testcase classname="IMPLEMENTATION.KIND"
///   name=ID>`, sorted by (kind, id). `fail` and `unexpected-pass` carry a
///   `<failure>`, `timeout`, `crash` and `not-run` an `<error>`, `skip`,
///   `precondition-failed` and `expected-fail` a `<skipped>`; the text
///   names the clauses, the steps and expected vs observed.
/// - A run skipped as a whole with no results gets one `<testcase
///   classname=IMPLEMENTATION name=IMPLEMENTATION>` carrying the reason as
///   `<skipped>`, so the skip shows on a dashboard.
/// - No `time` attributes: the file is deterministic.
pub fn render_junit(runs: &[RunReport]) -> String {
    let runs = sorted_runs(runs);
    let mut suites = String::new();
    let mut total = Counts::default();
    for run in runs {
        let c = suite(&mut suites, run);
        total.tests += c.tests;
        total.failures += c.failures;
        total.errors += c.errors;
        total.skipped += c.skipped;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"procspec\" {}>\n{suites}</testsuites>\n",
        total.attrs()
    )
}

#[derive(Default)]
struct Counts {
    tests: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
}

impl Counts {
    fn attrs(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

fn suite(out: &mut String, run: &RunReport) -> Counts {
    let info = &run.run_info;
    let name = &info.implementation;
    let mut results: Vec<&CaseResult> = run.results.iter().collect();
    results.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    let mut c = Counts::default();
    let mut cases = String::new();
    for r in &results {
        c.tests += 1;
        let classname = format!("{name}.{}", detail::kind(r.kind));
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_attr(&classname),
            xml_attr(&r.id)
        );
        let (tag, message) = match r.status {
            Status::Pass => {
                cases.push_str("/>\n");
                continue;
            }
            Status::Fail | Status::UnexpectedPass => {
                c.failures += 1;
                ("failure", failure_message(r))
            }
            Status::Timeout | Status::Crash | Status::NotRun => {
                c.errors += 1;
                ("error", failure_message(r))
            }
            Status::Skip | Status::PreconditionFailed | Status::ExpectedFail => {
                c.skipped += 1;
                let why = r.message.as_deref().unwrap_or("");
                let sep = if why.is_empty() { "" } else { ": " };
                ("skipped", format!("{}{sep}{why}", r.status.as_str()))
            }
        };
        let _ = write!(
            cases,
            ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>\n",
            xml_attr(&message),
            r.status.as_str(),
            xml_text(&detail::plain(r))
        );
    }
    if results.is_empty() {
        if let Some(reason) = &info.skip_reason {
            c.tests += 1;
            c.skipped += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{0}\" name=\"{0}\">\n      <skipped message=\"{1}\"/>\n    </testcase>",
                xml_attr(name),
                xml_attr(reason)
            );
        }
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" {}>\n    <properties>",
        xml_attr(name),
        c.attrs()
    );
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
    for (k, v) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{k}\" value=\"{}\"/>",
            xml_attr(&v)
        );
    }
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    out.push_str("  </testsuite>\n");
    c
}

/// One line: `fail: start.once: expected ok none, observed err closed`;
/// without expected vs observed, the first line of the message.
fn failure_message(r: &CaseResult) -> String {
    let mut parts = vec![r.status.as_str().to_string()];
    if !r.clauses.is_empty() {
        parts.push(r.clauses.join(", "));
    }
    if let Some((expected, observed)) = detail::expected_observed(r) {
        parts.push(format!("expected {expected}, observed {observed}"));
    } else if let Some(line) = r.message.as_deref().and_then(|m| m.lines().next()) {
        parts.push(line.to_string());
    }
    parts.join(": ")
}
