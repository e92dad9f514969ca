//! procspec's runner machinery, the part of procspec that a crate checking
//! itself with `conformance_suite!` never needs: the registry of tracked
//! implementations ([`impls`]: `fixtures/impls/<name>.toml`, their probes,
//! the lookup of Python interpreters). The checking library is
//! `procspec-harness`; the `procspec` binary puts the two together.

//!
//! Unix only for now: an implementation is started as a remote adapter or
//! the in-process reference adapter, both of which need fork, process
//! groups and descriptors passed by number.

#[cfg(unix)]
pub mod impls;
