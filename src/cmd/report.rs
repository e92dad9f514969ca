//! `procspec report DIR`: render the report of every run file in a
//! directory.

use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Write the report (index.md, index.html, junit.xml) of the run files in DIR.
///
/// Every *.json directly in DIR must be a run report (as `procspec run`
/// writes them); the matrix has one column per file. DIR/mutation/kills.json
/// (the mutant catalogue's kill matrix) and DIR/mutation/cargo-mutants.json
/// (scripts/mutants.sh), when present, become the report's mutation score. Runs are redacted
/// (pids, sentinels, random authkeys, durations; stable order) before
/// rendering, so the same results give the same bytes.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when the report was written, 2 when DIR cannot be read, \
holds no run file, or holds a malformed one (the message names it)."
)]
pub struct ReportArgs {
    /// The directory of run files (e.g. reports/latest).
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// First merge the run files under SHARD (recursively; repeatable),
    /// parts of the same runs written by several machines (nextest
    /// partitions of tests/conformance.rs), into DIR/<implementation>.json:
    /// the files one machine would have written.
    #[arg(long = "merge", value_name = "SHARD")]
    merge: Vec<PathBuf>,
}

/// `procspec report`.
pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    if !args.merge.is_empty() {
        std::fs::create_dir_all(&args.dir)
            .map_err(|e| anyhow!("cannot create {}: {e}", args.dir.display()))?;
        let runs = procspec_reports::merge_dirs(&args.merge).map_err(|e| anyhow!("{e}"))?;
        for mut run in runs {
            procspec_reports::redact(&mut run);
            let path = args
                .dir
                .join(format!("{}.json", run.run_info.implementation));
            let json = serde_json::to_string_pretty(&run)?;
            std::fs::write(&path, json + "\n")
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        }
    }
    if !args.dir.is_dir() {
        bail!("{}: no such directory", args.dir.display());
    }
    let written = write(&args.dir)?;
    let lines: String = written
        .iter()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    super::emit(&lines)?;
    Ok(ExitCode::SUCCESS)
}

/// Load, redact and render every run in `dir`; the paths written.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut runs = procspec_reports::load_runs(dir).map_err(|e| anyhow!("{e}"))?;
    if runs.is_empty() {
        bail!(
            "{}: no run files (*.json) to report on; `procspec run --out {}` writes them",
            dir.display(),
            dir.display()
        );
    }
    runs.iter_mut().for_each(procspec_reports::redact);
    let mutation = procspec_reports::load_mutation(dir).map_err(|e| anyhow!("{e}"))?;
    procspec_reports::write_reports_with(dir, procspec_spec::clauses(), &runs, &mutation)
        .map_err(|e| anyhow!("{e}"))
}
