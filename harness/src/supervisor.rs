//! The runner's hook into the harness: what a process that supervises a
//! whole run (the `procspec` runner, `procspec-runner`) tells the checking
//! library, without the library depending on it.
//!
//! A runner installs one [`Supervisor`] with [`install`], once, before it
//! starts anything. The harness then asks it:
//!
//! - between fork and exec of every process it starts in a process group
//!   of its own (each remote adapter: `remote::lead_own_group`):
//!   [`Supervisor::group_started`], so that the supervisor knows the group
//!   before the program runs a single instruction of its own (the
//!   runner's watchdog kills it if the runner is SIGKILLed);
//! - when such a group is over, before its leader is reaped (the id cannot
//!   have been reused yet): [`Supervisor::group_ended`];
//! - between cases and sequences, and in every deadline-bounded wait:
//!   [`Supervisor::stop_requested`] (SIGINT or SIGTERM arrived): the run
//!   stops early, its report marked incomplete;
//! - in the leak guard: [`Supervisor::is_helper`], for the supervisor's own
//!   processes (the watchdog), which are not leaks of an implementation.
//!
//! Without one installed (a crate checking itself with
//! `conformance_suite!` in `cargo test`), the harness is a plain library:
//! no group is reported anywhere, a stop is never requested, no process is
//! a helper.
//!
//! The arrow stays `runner -> harness`: the harness defines the hook, the
//! runner implements it.

use crate::error::{Error, ErrorKind};
use std::sync::OnceLock;

/// What a runner tells the harness (see the module docs). Every method has
/// a default that does nothing (no stop, no helper), so an implementation
/// supplies only what it supervises.
///
/// # Safety
///
/// [`Supervisor::group_started`] runs in a forked child between fork and
/// exec, where other threads of the parent may have held locks that stay
/// held forever: an implementation must be async-signal-safe there (no
/// allocation, no lock, no I/O through `std` buffers; plain syscalls such
/// as `write`, `getppid` and `_exit` only). Implementing this trait
/// promises that.
#[allow(unsafe_code)] // declares the implementer's obligation (`# Safety`)
pub unsafe trait Supervisor: Sync {
    /// In the child, between fork and exec: it has just made itself the
    /// leader of process group `pgid` (its own pid). The supervisor may end
    /// the child here (`_exit`) if it must not run (its parent is gone).
    /// Async-signal-safe only (the trait's `# Safety`).
    fn group_started(&self, pgid: u32) {
        let _ = pgid;
    }

    /// Process group `pgid`, reported through [`Supervisor::group_started`],
    /// is over: its leader is dead and not reaped yet.
    fn group_ended(&self, pgid: u32) {
        let _ = pgid;
    }

    /// Whether the run was asked to stop (SIGINT, SIGTERM).
    fn stop_requested(&self) -> bool {
        false
    }

    /// Whether `pid` is one of the supervisor's own processes (below the
    /// runner, but not started by any implementation).
    fn is_helper(&self, pid: u32) -> bool {
        let _ = pid;
        false
    }
}

static SUPERVISOR: OnceLock<&'static dyn Supervisor> = OnceLock::new();

/// Install the process's supervisor. Once per process: a second call is an
/// error of kind [`ErrorKind::SupervisorInstalled`] and changes nothing.
pub fn install(supervisor: &'static dyn Supervisor) -> Result<(), Error> {
    SUPERVISOR.set(supervisor).map_err(|_| {
        Error::new(
            ErrorKind::SupervisorInstalled,
            "a supervisor is installed already",
        )
    })
}

/// The installed supervisor, if any.
pub(crate) fn installed() -> Option<&'static dyn Supervisor> {
    SUPERVISOR.get().copied()
}

/// Whether the installed supervisor says the run should stop; never
/// without one.
pub fn stop_requested() -> bool {
    installed().is_some_and(|s| s.stop_requested())
}

/// Tell the installed supervisor, if any, that process group `pgid` is
/// over (call before reaping its leader). Only `remote` (Unix only for
/// now) starts such groups.
#[cfg(unix)]
pub(crate) fn group_ended(pgid: u32) {
    if let Some(s) = installed() {
        s.group_ended(pgid);
    }
}

/// Whether `pid` is a process of the installed supervisor's own.
pub(crate) fn is_helper(pid: u32) -> bool {
    installed().is_some_and(|s| s.is_helper(pid))
}
