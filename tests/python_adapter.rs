//! The Python adapter's own tests (`fixtures/python/test_adapter.py`, plain
//! `unittest`), under every interpreter the tracked implementations use:
//! `python3` always; the repository's `.venv` (billiard, multiprocess) and
//! `pypy3` when present. On a machine without them those two say so on
//! stderr and pass. `.ci/run` always creates the venv and sets
//! `PROCSPEC_CI=1`, under which a missing venv fails the test; pypy3 comes
//! from apt, which `.ci/run` lets fail (the matrix then reports pypy
//! `skip`, with the reason), so its absence never fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Run the adapter's unittest suite with `python`; panics with its output
/// unless every test passed (tests skipped by the suite itself, each with
/// its reason, are fine).
fn check(python: &Path) {
    let out = Command::new(python)
        .args(["-m", "unittest", "-v", "test_adapter"])
        .current_dir(root().join("fixtures/python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "test_adapter.py under {}:\n{text}",
        python.display()
    );
    // `Ran 91 tests in 7.4s`: a suite that found no test would pass too.
    let ran: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("Ran ")?.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(ran > 0, "unittest ran no test:\n{text}");
}

/// `path` if it runs, else a reason: printed, and the test passes, unless
/// `required_in_ci` and `PROCSPEC_CI` is set, which fails it.
fn present(path: &Path, reason: &str, required_in_ci: bool) -> Option<PathBuf> {
    let runs = Command::new(path)
        .args(["-c", "pass"])
        .status()
        .is_ok_and(|s| s.success());
    if runs {
        return Some(path.to_path_buf());
    }
    assert!(
        !required_in_ci || std::env::var_os("PROCSPEC_CI").is_none(),
        "{}: {reason}",
        path.display()
    );
    eprintln!("not run: {}: {reason}", path.display());
    None
}

#[test]
fn adapter_tests_under_python3() {
    check(Path::new("python3"));
}

#[test]
fn adapter_tests_under_the_venv_with_billiard_and_multiprocess() {
    let venv = root().join(".venv/bin/python");
    if let Some(p) = present(
        &venv,
        "no .venv (`.ci/run` creates it with billiard and multiprocess)",
        true,
    ) {
        check(&p);
    }
}

#[test]
fn adapter_tests_under_pypy3() {
    if let Some(p) = present(
        Path::new("pypy3"),
        "pypy3 is not installed (Debian: apt-get install pypy3)",
        false,
    ) {
        check(&p);
    }
}
