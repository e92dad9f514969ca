//! The harness's platform layer: process-tree inspection for the leak
//! guard and the orphan count, process groups for the watchdog, pipes and
//! deadline-bounded waits. Every syscall and every `unsafe` of the
//! harness is here.
//!
//! `unix/` serves Linux (`unix/linux.rs`: `/proc`, subreaper, pidfd) and
//! macOS and the BSDs (`unix/portable.rs`, which Linux runs too with the
//! `force-portable` feature). Windows has no harness backend yet: there
//! the crate builds its platform-free parts (the checker, cases, the state
//! machine, `conformance_suite!` for an adapter of one's own) and leaves
//! out what needs one (the in-process reference adapter, remote adapters,
//! the leak guard's process tree and the watchdog).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
