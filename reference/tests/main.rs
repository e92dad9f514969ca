//! Integration tests of `procspec-reference` on real processes.
//!
//! One binary (see `Cargo.toml`): every test that creates processes holds
//! `common::FORK_MTX` through `common::begin()` and ends with
//! `Check::finish()`, which fails on any leaked child, zombie or
//! descriptor. Spawned children re-run this binary with
//! `spawn_entry --exact ...`, so the `spawn_entry` test below is where a
//! spawned child becomes its target; in a normal run it just returns.

mod common;

// The state x operation table of CPython's section 1, per start method.
mod lifecycle;
// join, join(timeout), sentinel and concurrent waiting.
mod waiting;
// Names, identities, daemon inheritance, current/parent process.
mod identity;
// Authkey generation, inheritance and serialisation hygiene.
mod authkey;
// Handles used from a process that did not create them.
mod not_parent;
// The exit handler: daemonic children terminated, others joined.
mod exit_handler;
mod races;

#[test]
fn spawn_entry() {
    common::register_targets();
    procspec_reference::init();
}
