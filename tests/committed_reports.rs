//! The committed reports (`reports/committed/`) are current: the
//! implementations that are deterministic and present on every machine that
//! runs the tests (the reference under fork and spawn, CPython's default
//! python3 under fork and spawn, and procspawn, whose adapter binary the
//! run builds with cargo) are run again into a temporary folder and must
//! match the committed JSON (op timings aside: they differ from run to
//! run); and the committed index is exactly what the committed runs render
//! to. Refresh with:
//!
//!     cargo run --release -- run --all --sequences 0 --out reports/committed

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const REFRESH: &str = "cargo run --release -- run --all --sequences 0 --out reports/committed";
const REGENERATED: &[&str] = &[
    "reference-fork",
    "reference-spawn",
    "cpython-fork",
    "cpython-spawn",
    "procspawn-spawn",
];

/// A run report with every op's `elapsed_ms` left out.
fn untimed(json: &str) -> Option<serde_json::Value> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("elapsed_ms");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
    strip(&mut v);
    Some(v)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn committed() -> PathBuf {
    root().join("reports/committed")
}

#[test]
fn committed_runs_are_current() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("procspec").unwrap();
    cmd.current_dir(root())
        .args(["run", "--sequences", "0", "--out"])
        .arg(tmp.path());
    for name in REGENERATED {
        cmd.args(["--impl", name]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the run failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut stale = Vec::new();
    for name in REGENERATED {
        let fresh = std::fs::read_to_string(tmp.path().join(format!("{name}.json"))).unwrap();
        let kept =
            std::fs::read_to_string(committed().join(format!("{name}.json"))).unwrap_or_default();
        let fresh = untimed(&fresh).expect("the run writes JSON");
        // procspawn's adapter needs a cargo build (and crates.io the first
        // time): where it cannot be built its run is a skip, which only CI
        // refuses.
        if let Some(why) = fresh["run_info"]["skip_reason"].as_str() {
            assert!(
                std::env::var_os("PROCSPEC_CI").is_none(),
                "{name} was skipped: {why}"
            );
            eprintln!("{name} not checked: skipped here ({why})");
            continue;
        }
        let kept = untimed(&kept);
        if Some(&fresh) != kept.as_ref() {
            stale.push(format!("{name} ({})", differences(&fresh, kept.as_ref())));
        }
    }
    assert!(
        stale.is_empty(),
        "committed reports are stale for {stale:?}; refresh with `{REFRESH}`"
    );
}

/// Which results (by id) or top-level fields of two run reports differ, for
/// the failure message: a stale report says what changed.
fn differences(fresh: &serde_json::Value, kept: Option<&serde_json::Value>) -> String {
    let Some(kept) = kept else {
        return "not committed".into();
    };
    let by_id = |v: &serde_json::Value| -> std::collections::BTreeMap<String, serde_json::Value> {
        v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| (r["id"].as_str().unwrap_or("?").to_string(), r.clone()))
            .collect()
    };
    let (a, b) = (by_id(fresh), by_id(kept));
    let mut out: Vec<String> = a
        .iter()
        .filter(|(id, r)| b.get(*id) != Some(r))
        .map(|(id, r)| format!("{id}: now {} {}", r["status"], r["message"]))
        .chain(
            b.keys()
                .filter(|id| !a.contains_key(*id))
                .map(|id| format!("{id}: gone")),
        )
        .collect();
    if let Some(m) = fresh.as_object() {
        out.extend(
            m.keys()
                .filter(|k| *k != "results" && fresh[*k] != kept[*k])
                .map(|k| format!("{k} differs")),
        );
    }
    out.join("; ")
}

#[test]
fn committed_index_renders_from_the_committed_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(committed()).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "json") {
            std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
        }
    }
    // The mutation score the report shows (kill matrix, cargo-mutants).
    let mutation = committed().join("mutation");
    if mutation.is_dir() {
        std::fs::create_dir_all(tmp.path().join("mutation")).unwrap();
        for e in std::fs::read_dir(&mutation).unwrap().flatten() {
            std::fs::copy(e.path(), tmp.path().join("mutation").join(e.file_name())).unwrap();
        }
    }
    Command::cargo_bin("procspec")
        .unwrap()
        .current_dir(root())
        .arg("report")
        .arg(tmp.path())
        .assert()
        .success();
    for file in ["index.md", "index.html", "junit.xml"] {
        let fresh = std::fs::read_to_string(tmp.path().join(file)).unwrap();
        let kept = std::fs::read_to_string(committed().join(file)).unwrap_or_default();
        assert!(
            fresh == kept,
            "reports/committed/{file} is stale; refresh with `{REFRESH}`"
        );
    }
}

#[test]
fn every_tracked_implementation_has_a_committed_report() {
    let mut missing = Vec::new();
    for e in std::fs::read_dir(root().join("fixtures/impls"))
        .unwrap()
        .flatten()
    {
        let name = e.path().file_stem().unwrap().to_string_lossy().to_string();
        if !committed().join(format!("{name}.json")).exists() {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "no committed report for {missing:?}; refresh with `{REFRESH}`"
    );
}
