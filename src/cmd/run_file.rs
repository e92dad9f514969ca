//! A run file on disk (`OUT/<name>.json`): what a worker writes and the
//! top-level runner reads back and merges. Its own room, so that the
//! sequential run (`run.rs`) and the workers (`jobs.rs`) both use it without
//! importing each other.

use anyhow::{Context, Result};
use procspec_spec::results::RunReport;
use std::path::Path;

/// Read the run file a worker wrote.
pub(super) fn read_report(path: &Path) -> Result<RunReport> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the worker wrote no {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a run report", path.display()))
}

/// Write a run file (pretty JSON and a final newline).
pub(super) fn write_report(path: &Path, report: &RunReport) -> Result<()> {
    let json = serde_json::to_string_pretty(report).context("cannot serialise the run report")?;
    std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))
}
