//! The [`Lifecycle`](procspec_harness::lifecycle::Lifecycle) host against
//! the whole suite, with procspec's reference as the implementation (its
//! mapping: `lifecycle/reference.rs`), under fork and spawn. The state
//! machine's coverage of every `must` clause is required of the reference
//! adapter (`tests/reference.rs`); here a fixed count of sequences runs.
//!
//! Unix only: the host's child bodies talk over Unix sockets.
#![cfg(unix)]

use procspec_harness::lifecycle::reference::{register_body, ReferenceLifecycle};
use procspec_harness::lifecycle::Host;
use procspec_reference::StartMethod;

/// Spawned children re-run this binary with `spawn_entry --exact`.
#[test]
fn spawn_entry() {
    register_body();
    procspec_reference::init();
}

fn adapter(method: StartMethod) -> Host<ReferenceLifecycle> {
    register_body();
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
    Host::new(ReferenceLifecycle { method })
}

mod fork {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::adapter(procspec_reference::StartMethod::Fork),
        sequences = 64,
    }
}

mod spawn {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::adapter(procspec_reference::StartMethod::Spawn),
        sequences = 64,
    }
}
