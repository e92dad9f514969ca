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
//! - [`run`]: a whole conformance run of one implementation, to a
//!   [`procspec_spec::results::RunReport`]; [`units`]: its cases and
//!   blocks of sequences, each runnable anywhere; [`breaker`]: the stall
//!   breaker that ends the run of an adapter that keeps failing.
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
pub mod run;
pub mod serve;
pub mod session;
pub mod suite;
#[allow(unsafe_code)] // the crate's only syscalls and unsafe blocks
mod sys;
pub mod units;
#[cfg(unix)]
pub mod watchdog;
/// No watchdog on Windows yet (a Job object with kill-on-close is its
/// counterpart): nothing is ever requested to stop, no helper runs.
#[cfg(not(unix))]
pub mod watchdog {
    /// Never: there are no stop signals to watch.
    pub fn stop_requested() -> bool {
        false
    }

    /// There is no watchdog process.
    pub fn pid() -> Option<u32> {
        None
    }
}

pub use adapter::{Adapter, AdapterFailure, AdapterInfo, NativeError, Observed};
pub use error::{Error, ErrorKind};
