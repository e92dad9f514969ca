//! procspec's harness: it drives an implementation of the
//! `multiprocessing.Process` lifecycle through hand-written cases and
//! random operation sequences over trees of real processes, and holds every
//! outcome to the model of `procspec-spec`.
//!
//! - [`adapter`]: the contract an implementation provides ([`Adapter`]).
//! - [`lifecycle`]: bring your own Rust implementation: the
//!   [`Lifecycle`](lifecycle::Lifecycle) trait and [`Host`](lifecycle::Host),
//!   the adapter over it.
//! - [`reference_adapter`]: procspec's own Rust implementation, in process
//!   (the host over its mapping; for `conformance_suite!` and inside
//!   `procspec serve-reference`).
//! - [`serve`]: any adapter behind the wire protocol on stdin/stdout.
//! - [`remote`]: any implementation that speaks the wire protocol
//!   (`spec/INTERPRETING.md`), such as the CPython adapter in `fixtures/`.
//! - [`check`]: the checker, step by step against the model.
//! - [`session`]: one run of steps from a reset to the leak check, the loop
//!   the case runner and the state machine share.
//! - [`cases`]: the case files and their runner.
//! - [`machine`]: the proptest state machine.
//! - [`guard`]: the leak guard (subreaper, descendants, zombies, fds).
//! - [`units`]: a run's cases and blocks of sequences, each runnable
//!   anywhere; [`breaker`]: the stall breaker that ends the run of an
//!   adapter that keeps failing. (A whole run of one implementation into a
//!   report is the runner's: `procspec_runner::run`.)
//! - [`supervisor`]: the hook a runner installs (process groups known to
//!   its watchdog, stop requests, its helper processes); without it the
//!   harness is a plain library.
//!
//! **Invariant:** the harness never decides what is allowed; the model does.
//! Everything platform-specific is in `sys/`.

pub mod adapter;
pub mod breaker;
pub mod cases;
pub mod check;
pub mod error;
pub mod expectations;
pub mod guard;
pub mod lifecycle;
pub mod machine;
pub mod reference_adapter;
#[cfg(unix)]
pub mod remote;
pub mod serve;
pub mod session;
pub mod suite;
pub mod supervisor;
#[allow(unsafe_code)] // the crate's only syscalls and unsafe blocks
mod sys;
pub mod units;

pub use adapter::{Adapter, AdapterFailure, AdapterInfo, NativeError, Observed};
pub use error::{Error, ErrorKind};
