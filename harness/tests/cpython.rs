//! CPython's `multiprocessing` against the whole suite, under fork, spawn
//! and forkserver, through the Python adapter and the wire protocol: every
//! case, and a modest state-machine run. Known divergences are data in
//! `fixtures/expectations/`, each with its reason.
//!
//! Unix only: the reference adapter and remote adapters need fork and pipes passed by number.
#![cfg(unix)]

use procspec_harness::remote::{RemoteAdapter, RemoteCommand};
use std::path::Path;
use std::time::Duration;

fn cpython(method: &str) -> RemoteAdapter {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("fixtures/python/procspec_adapter.py");
    let cmd = RemoteCommand::new("python3")
        .arg(script.display().to_string())
        .arg("--start-method")
        .arg(method)
        .arg("--implementation")
        .arg(format!("cpython-{method}"));
    RemoteAdapter::start(cmd, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("python3 {method} adapter: {e}"))
}

mod fork {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::cpython("fork"),
        expectations = "../fixtures/expectations/cpython-fork.toml",
        sequences = 16,
    }
}

mod spawn {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::cpython("spawn"),
        expectations = "../fixtures/expectations/cpython-spawn.toml",
        sequences = 8,
    }
}

mod forkserver {
    procspec_harness::conformance_suite! {
        cases = "../cases/**/*.toml",
        adapter = super::cpython("forkserver"),
        expectations = "../fixtures/expectations/cpython-forkserver.toml",
        sequences = 8,
    }
}
