//! The end-of-run summary on stdout: one screen per implementation (counts
//! per status, the failures by id with clause and message, leaks), and a
//! table when several ran.

use crate::cmd::one_line;
use procspec_spec::results::{RunReport, Status};
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

/// How one run ended.
pub struct Finished {
    /// The report, as written.
    pub report: RunReport,
    /// Where it was written.
    pub path: PathBuf,
    /// How long it took.
    pub elapsed: Duration,
    /// The adapter could not start: the run is skipped, and that is a failure.
    pub broken: bool,
    /// Things to tell people.
    pub notes: Vec<String>,
}

/// The most failures listed for one implementation.
const MAX_LISTED: usize = 15;

/// Whether a status is a failure to list.
fn listed(s: Status) -> bool {
    matches!(
        s,
        Status::Fail | Status::Timeout | Status::Crash | Status::UnexpectedPass | Status::NotRun
    )
}

/// `pass 80, fail 2, precondition-failed 10` (non-zero counts, report
/// order), or `no results`.
pub fn counts(report: &RunReport) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|s| {
            let n = report.summary.get(s).copied().unwrap_or(0);
            (n > 0).then(|| format!("{} {n}", s.as_str()))
        })
        .collect();
    if parts.is_empty() {
        "no results".to_string()
    } else {
        parts.join(", ")
    }
}

/// The verdict of one run, as `procspec run`'s exit status sees it.
fn verdict(f: &Finished) -> &'static str {
    if f.broken {
        "BROKEN"
    } else if f.report.run_info.skip_reason.is_some() {
        "skipped"
    } else if f.report.results.iter().all(|r| r.status.is_ok()) {
        "ok"
    } else {
        "FAILING"
    }
}

/// One implementation's summary.
pub fn render(f: &Finished) -> String {
    let mut out = String::new();
    let r = &f.report;
    let info = &r.run_info;
    out.push('\n');
    if let Some(why) = &info.skip_reason {
        let _ = writeln!(out, "── {}: {} — {why}", info.implementation, verdict(f));
        let _ = writeln!(out, "   wrote {}", f.path.display());
        return out;
    }
    let _ = writeln!(
        out,
        "── {}: {} — version {} ({}), {} results in {:.1} s: {}",
        info.implementation,
        verdict(f),
        if info.version.is_empty() {
            "?"
        } else {
            &info.version
        },
        info.start_method,
        r.results.len(),
        f.elapsed.as_secs_f64(),
        counts(r)
    );
    for n in &f.notes {
        let _ = writeln!(out, "   note: {n}");
    }
    let leaks = r.leaks;
    if leaks.processes + leaks.zombies + leaks.fds > 0 {
        let _ = writeln!(
            out,
            "   leaks (state machine): {} process(es), {} zombie(s), {} fd(s)",
            leaks.processes, leaks.zombies, leaks.fds
        );
    }
    let failures: Vec<_> = r.results.iter().filter(|x| listed(x.status)).collect();
    for x in failures.iter().take(MAX_LISTED) {
        let clause = x.clauses.first().map_or("-", String::as_str);
        let mut what = String::new();
        if let Some(o) = &x.observed {
            what = format!("observed {o}");
            if !x.expected.is_empty() {
                what.push_str(&format!(", expected {}", x.expected.join(" | ")));
            }
        }
        if let Some(m) = &x.message {
            if !what.is_empty() {
                what.push_str(": ");
            }
            what.push_str(m);
        }
        let _ = writeln!(
            out,
            "   {:<15} {} [{clause}] {}",
            x.status.as_str(),
            x.id,
            one_line(&what, 220)
        );
    }
    if failures.len() > MAX_LISTED {
        let _ = writeln!(
            out,
            "   … and {} more failures: see {}",
            failures.len() - MAX_LISTED,
            f.path.display()
        );
    }
    let _ = writeln!(out, "   wrote {}", f.path.display());
    out
}

/// A line per implementation, after a run of several.
pub fn table(all: &[Finished]) -> String {
    let mut out = String::new();
    let w = all
        .iter()
        .map(|f| f.report.run_info.implementation.len())
        .max()
        .unwrap_or(0);
    out.push('\n');
    let _ = writeln!(out, "══ {} implementations", all.len());
    for f in all {
        let detail = match &f.report.run_info.skip_reason {
            Some(why) => one_line(why, 100),
            None => format!("{:.1} s  {}", f.elapsed.as_secs_f64(), counts(&f.report)),
        };
        let _ = writeln!(
            out,
            "   {:w$}  {:8} {detail}",
            f.report.run_info.implementation,
            verdict(f)
        );
    }
    out
}
