//! procspec's reference implementation against the whole suite, under fork
//! and under spawn, through the same macro and the same `Lifecycle` host
//! any other crate would use (`ReferenceAdapter` is
//! `Host<ReferenceLifecycle>`; the mapping is `lifecycle/reference.rs`).
//!
//! On Windows only spawn exists (the reference has no fork there): the
//! spawn half runs, under Wine in CI (`ci/platforms.sh`).

use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_reference::StartMethod;

/// Spawned children re-run this binary with `spawn_entry --exact`: here
/// they become their target.
#[test]
fn spawn_entry() {
    register_targets();
    procspec_reference::init();
}

fn adapter(method: StartMethod) -> ReferenceAdapter {
    register_targets();
    procspec_reference::set_spawn_args(
        [
            "spawn_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ]
        .map(String::from)
        .to_vec(),
    );
    procspec_reference::init();
    ReferenceAdapter::reference(method)
}

#[cfg(unix)]
mod fork {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::adapter(procspec_reference::StartMethod::Fork),
        regressions = "../cases/regressions",
    }
}

mod spawn {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::adapter(procspec_reference::StartMethod::Spawn),
        regressions = "../cases/regressions",
    }
}
