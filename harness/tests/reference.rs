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

/// A step asking `recv-bytes-into` for a huge buffer is answered as any
/// buffer longer than the message is (the host caps what it allocates),
/// instead of aborting the host on an allocation of `u64::MAX` bytes.
#[test]
fn a_huge_recv_buffer_is_answered_not_allocated() {
    use procspec_harness::adapter::Adapter;
    use procspec_spec::vocab::{Op, Outcome, Ref, Step, Value, RECV_MESSAGE_LEN};
    let _lock = procspec_harness::suite::lock();
    let mut reference = adapter(StartMethod::Spawn);
    let observed = reference
        .apply(&Step {
            at: Ref::main(),
            op: Op::RecvBytesInto { buffer: u64::MAX },
        })
        .unwrap();
    assert_eq!(
        observed.outcome,
        Outcome::Ok(Value::Int(RECV_MESSAGE_LEN as i64))
    );
    reference.reset().unwrap();
}
