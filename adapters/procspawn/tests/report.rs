//! procspawn's row of the committed reports (`reports/committed/
//! procspawn-spawn.json`, cases only, redacted, as `procspec run
//! --sequences 0` writes them) is current. Refresh with:
//!
//!     PROCSPEC_BLESS=1 cargo test --manifest-path adapters/procspawn/Cargo.toml --test report
//!     cargo run --release -- report reports/committed

use procspec_harness::cases::load_cases;
use procspec_harness::expectations::Expectations;
use procspec_harness::lifecycle::Host;
use procspec_harness::run::{run_implementation, RunOptions};
use std::path::Path;

procspawn::enable_test_support!();

#[test]
fn committed_report_is_current() {
    let _lock = procspec_harness::suite::lock();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..");
    let cases = load_cases(&root.join("cases")).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        implementation: "procspawn-spawn".into(),
        sequences: 0,
        seed: 0x5eed,
        max_steps: 32,
        regressions: None,
        stall_threshold: procspec_harness::breaker::DEFAULT_THRESHOLD,
        selection: procspec_harness::units::Selection::all(),
        expectations: Expectations::load(&here.join("expectations.toml"))
            .unwrap_or_else(|e| panic!("{e}")),
    };
    let mut host = Host::new(procspec_procspawn::Procspawn);
    let (mut report, _) = run_implementation(&mut host, &cases, &options, &mut |_| {});
    drop(host);
    procspec_reports::redact(&mut report);
    // Timings differ from run to run: a committed row keeps none.
    for r in &mut report.results {
        for op in &mut r.ops {
            op.elapsed_ms = None;
        }
    }
    report.recount();
    let bad: Vec<_> = report
        .results
        .iter()
        .filter(|r| !r.status.is_ok())
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let json = serde_json::to_string_pretty(&report).expect("a report serializes") + "\n";
    let path = root.join("reports/committed/procspawn-spawn.json");
    if std::env::var_os("PROCSPEC_BLESS").is_some() {
        std::fs::write(&path, &json).expect("write the committed report");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == json,
        "{} is stale; refresh with PROCSPEC_BLESS=1 cargo test --manifest-path adapters/procspawn/Cargo.toml --test report",
        path.display()
    );
}
