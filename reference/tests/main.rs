//! Integration tests of `procspec-reference` on real processes.
//!
//! One binary (see `Cargo.toml`): every test that creates processes holds
//! `common::FORK_MTX` through `common::begin()` and ends with
//! `Check::finish()`, which fails on any leaked child, zombie or
//! descriptor. Spawned children re-run this binary with
//! `spawn_entry --exact ...`, so the `spawn_entry` test below is where a
//! spawned child becomes its target; in a normal run it just returns.

//!
//! On Windows (no fork, no descriptors to pass) only `windows` runs: the
//! spawn lifecycle with process handles, CPython's Windows exit codes.

#[cfg(unix)]
mod common;

// platform(), the start method setting, the counter, messages, Debug.
#[cfg(unix)]
mod api;
// The state x operation table of CPython's section 1, per start method.
#[cfg(unix)]
mod lifecycle;
// join, join(timeout), sentinel and concurrent waiting.
#[cfg(unix)]
mod waiting;
// Names, identities, daemon inheritance, current/parent process.
#[cfg(unix)]
mod identity;
// Authkey generation, inheritance and serialisation hygiene.
#[cfg(unix)]
mod authkey;
// Handles used from a process that did not create them.
#[cfg(unix)]
mod not_parent;
// The exit handler: daemonic children terminated, others joined.
#[cfg(unix)]
mod exit_handler;
// multiprocessing.connection: wire format, handshake, CPython interop.
#[cfg(unix)]
mod connection;
// Linux only: it finds threads blocked in ppoll/poll through /proc.
#[cfg(target_os = "linux")]
mod races;
// Spawn on Windows: handles as sentinels, TerminateProcess, no fork.
#[cfg(windows)]
mod windows;

#[test]
fn spawn_entry() {
    #[cfg(unix)]
    common::register_targets();
    #[cfg(windows)]
    windows::register_targets();
    procspec_reference::init();
}
