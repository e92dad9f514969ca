//! procspec's runner machinery, the part of procspec that a crate checking
//! itself with `conformance_suite!` never needs. The checking library is
//! `procspec-harness`; the `procspec` binary puts the two together.
//!
//! - [`impls`]: the registry of tracked implementations
//!   (`fixtures/impls/<name>.toml`), their probes, the lookup of Python
//!   interpreters.
//! - [`run`]: a whole conformance run of one implementation (every case,
//!   then the state machine, held to its expectations) into a
//!   [`RunReport`](procspec_spec::results::RunReport), with progress.
//! - [`watchdog`]: the process that kills every process group of the run
//!   when the runner is SIGKILLed.
//! - [`Error`]: why an implementation cannot run here (its message is the
//!   skip reason).
//! - [`supervisor`]: the runner's answers to the harness's hook
//!   (`procspec_harness::supervisor`): process groups reported to the
//!   watchdog, SIGINT/SIGTERM as a stop request, the watchdog not a leak.
//!
//! Unix only for now, but for [`run`]: an implementation is started as a
//! remote adapter or the in-process reference adapter, both of which need
//! fork, process groups and descriptors passed by number, and the watchdog
//! needs pidfds. Every syscall and `unsafe` of the crate is in its private
//! `sys` module.

pub mod error;
#[cfg(unix)]
pub mod impls;
pub mod run;
#[cfg(unix)]
pub mod supervisor;
#[cfg(unix)]
#[allow(unsafe_code)] // the crate's only syscalls and unsafe blocks
mod sys;
#[cfg(unix)]
pub mod watchdog;

pub use error::{Error, ErrorKind};
