//! The conformance suite as tests, one per unit, for test runners that
//! spread tests over machines: every (implementation, case) and every
//! (implementation, block of sequences) is its own test, named
//! `<implementation>::case:<id>` and `<implementation>::block:<n>`
//! (`harness = false`, libtest-mimic). So
//!
//! ```text
//! cargo nextest archive --archive-file suite.tar.zst        # build once
//! cargo nextest run --archive-file suite.tar.zst --partition hash:K/N
//! ```
//!
//! runs one N-th of the work on each machine. Each test runs its unit with
//! `procspec run --impl I --unit U` (a process of its own: watchdog,
//! subreaper and leak guard as in any run) and writes the part of the run
//! file it produced under `$PROCSPEC_SHARD_OUT/<implementation>/<unit>/`;
//! `procspec report DIR --merge SHARD...` then merges every shard's parts
//! into the run files (and the report) one machine would have written
//! (tests/sharding.rs proves it). A test fails when a result of its unit
//! does not match its expectation (what makes `procspec run` exit 1).
//!
//! Environment:
//! - `PROCSPEC_CONFORMANCE_IMPLS`: implementations, comma-separated, or
//!   `all` [default: `reference-fork`, cheap enough for `cargo test`];
//! - `PROCSPEC_CONFORMANCE_SEQUENCES`: state-machine sequences per
//!   implementation [default: 16, one block];
//! - `PROCSPEC_CONFORMANCE_SEED`: the seed [default: 0x5eed];
//! - `PROCSPEC_SHARD_OUT`: where the parts go [default: a directory under
//!   cargo's target tmpdir].
//!
//! An implementation that is not present on the machine gives passing
//! tests whose parts say `skip`, as `procspec run` does.
//!
//! Unix only: it runs the tracked implementations through the runner (on
//! Windows it is an empty test binary).
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

use libtest_mimic::{Arguments, Failed, Trial};
use procspec_harness::units::{block_count, Unit};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[cfg(not(unix))]
fn main() {}

#[cfg(unix)]
fn main() {
    let args = Arguments::from_args();
    let root = root();
    let impls: Vec<String> = match env_or("PROCSPEC_CONFORMANCE_IMPLS", "reference-fork").as_str() {
        "all" => procspec_runner::impls::load_impls(&root.join("fixtures/impls"))
            .expect("fixtures/impls")
            .into_iter()
            .map(|i| i.name)
            .collect(),
        list => list.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let sequences: u32 = env_or("PROCSPEC_CONFORMANCE_SEQUENCES", "16")
        .parse()
        .expect("PROCSPEC_CONFORMANCE_SEQUENCES: a number");
    let seed = env_or("PROCSPEC_CONFORMANCE_SEED", "0x5eed");
    let out = std::env::var_os("PROCSPEC_SHARD_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance"));
    let cases = procspec_harness::cases::load_cases(&root.join("cases")).expect("cases/");
    let mut units: Vec<Unit> = cases
        .iter()
        .map(|c| Unit::Case(c.case.id.clone()))
        .collect();
    units.extend((0..block_count(sequences)).map(Unit::Block));

    let mut trials = Vec::new();
    for name in &impls {
        for unit in &units {
            let (name, unit, out, seed) = (name.clone(), unit.clone(), out.clone(), seed.clone());
            let test = format!("{name}::{}", unit.name());
            trials.push(Trial::test(test, move || {
                run_unit(&name, &unit, sequences, &seed, &out)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Run one unit; its part goes to `out/<name>/<unit>/<name>.json`.
fn run_unit(name: &str, unit: &Unit, sequences: u32, seed: &str, out: &Path) -> Result<(), Failed> {
    let dir = out.join(name).join(unit.name().replace(['/', ':'], "_"));
    let output = Command::new(env!("CARGO_BIN_EXE_procspec"))
        .current_dir(root())
        .args(["run", "--jobs", "1", "--impl", name, "--worker"])
        .args(["--unit", &unit.name()])
        .args(["--sequences", &sequences.to_string(), "--seed", seed])
        .arg("--out")
        .arg(&dir)
        .output()
        .map_err(|e| format!("cannot start procspec: {e}"))?;
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e}; procspec said:\n{}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let report: procspec_spec::results::RunReport =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.status.is_ok())
        .map(|r| {
            format!(
                "{} {}: {}",
                r.id,
                r.status.as_str(),
                r.message.clone().unwrap_or_default()
            )
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("\n").into())
    }
}
