//! The runner's supervision of a run, installed into the harness through
//! its hook (`procspec_harness::supervisor`): the harness defines what it
//! asks, this module answers, so the dependency arrow stays
//! `runner -> harness`.
//!
//! [`install`] puts in place, once per process:
//! - the SIGINT/SIGTERM handlers: a signal asks the run to stop between
//!   cases and sequences (the partial report is written, marked
//!   incomplete, and the runner exits non-zero); a second one ends the
//!   process as usual;
//! - the harness's [`Supervisor`]: every process group the harness starts
//!   (each adapter's) is reported to the [watchdog](crate::watchdog)
//!   between fork and exec and forgotten when it is over; a stop request is
//!   the signal flag; the watchdog is a helper, never a leak.
//!
//! A process that does not call [`install`] (a crate's `cargo test`) gets
//! none of it: the harness is then a plain library.

use crate::sys;
use crate::watchdog::Watchdog;
use procspec_harness::supervisor::Supervisor;
use std::sync::OnceLock;

/// What the runner tells the harness.
struct RunSupervisor {
    /// The watchdog, when it could be started.
    watchdog: Option<&'static Watchdog>,
}

#[allow(unsafe_code)] // discharges the trait's `# Safety` (below)
                      // SAFETY: `group_started` is the only method run between fork and exec; it
                      // calls `Watchdog::group_started_in_child`, which makes only
                      // async-signal-safe calls (a `write` of a five-byte stack buffer,
                      // `getppid`, `_exit`) and neither allocates nor locks; the `Option` and the
                      // `&'static Watchdog` are read-only memory shared by the fork.
unsafe impl Supervisor for RunSupervisor {
    fn group_started(&self, pgid: u32) {
        if let Some(w) = self.watchdog {
            w.group_started_in_child(pgid);
        }
    }

    fn group_ended(&self, pgid: u32) {
        if let Some(w) = self.watchdog {
            w.forget_group(pgid);
        }
    }

    fn stop_requested(&self) -> bool {
        sys::stop_requested()
    }

    fn is_helper(&self, pid: u32) -> bool {
        self.watchdog.is_some_and(|w| w.pid() == pid)
    }
}

static INSTALLED: OnceLock<RunSupervisor> = OnceLock::new();

/// Supervise this process's run: install the stop handlers and the
/// harness's [`Supervisor`], which reports process groups to `watchdog`
/// (from [`crate::watchdog::start`]; `None` when it could not start: then
/// a killed runner may leave processes behind). Once per process; a second
/// call is the harness's error of kind `SupervisorInstalled` and changes
/// nothing.
pub fn install(watchdog: Option<&'static Watchdog>) -> Result<(), procspec_harness::Error> {
    let mut fresh = false;
    let supervisor = INSTALLED.get_or_init(|| {
        fresh = true;
        RunSupervisor { watchdog }
    });
    procspec_harness::supervisor::install(supervisor)?;
    if fresh {
        sys::install_stop_handlers();
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM asked the run to stop (after [`install`]).
pub fn stop_requested() -> bool {
    sys::stop_requested()
}

/// Wait for `child` (started with the harness's `remote::lead_own_group`,
/// so its group is known to the watchdog) to exit, tell the watchdog its
/// group is over, then reap it: the order
/// [`Watchdog::forget_group`] asks for.
pub fn wait_and_forget(
    child: &mut std::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    sys::wait_exited_unreaped(child.id());
    if let Some(w) = INSTALLED.get().and_then(|s| s.watchdog) {
        w.forget_group(child.id());
    }
    child.wait()
}
