//! procspec's runner machinery, the part of procspec that a crate checking
//! itself with `conformance_suite!` never needs: the registry of tracked
//! implementations ([`impls`]: `fixtures/impls/<name>.toml`, their probes,
//! the lookup of Python interpreters). The checking library is
//! `procspec-harness`; the `procspec` binary puts the two together.

pub mod impls;
