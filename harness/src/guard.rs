//! The leak guard: after every case and every sequence, nothing the
//! implementation started may be left: no descendant process, no zombie, no
//! extra file descriptor.
//!
//! The runner makes itself a child subreaper, so that processes orphaned
//! anywhere below it are reparented to it rather than to init: it sees them,
//! counts them (the `orphans` op) and reaps them. A leak is a failure of
//! the implementation under test; the guard then kills and reaps what is
//! left, so the next case starts clean.
//!
//! Windows has no subreaper and does not reparent: there `install()` puts
//! the process in a job object that kills every process still in it when
//! the process ends, however it ends (what the runner's watchdog does on
//! Unix), and the guard looks at the job's process list as well as the
//! process tree, so a process whose parent has ended is still found.

use crate::sys;
use procspec_spec::results::LeakCounts;
use std::sync::OnceLock;

/// Make the runner a subreaper (once per process). Returns whether the
/// kernel agreed. On Windows, put the process in its kill-on-close job
/// instead ([`job`] says whether that worked); it is never a subreaper.
pub fn install() -> bool {
    static SUBREAPER: OnceLock<bool> = OnceLock::new();
    *SUBREAPER.get_or_init(|| {
        let _ = sys::kill_tree_on_exit();
        sys::become_subreaper()
    })
}

/// Windows: whether this process is in a job object of its own that kills
/// every process it started (at any depth, after [`install`]) when it
/// ends. Installs first. `Err` says which call the system refused, or,
/// on Unix, that there are no job objects (the runner's watchdog does
/// this there).
pub fn job() -> Result<(), String> {
    install();
    sys::kill_tree_on_exit()
}

/// Windows: the pids in this process's job (this one included), which
/// holds orphans the process tree does not show. `Err` when there is no
/// job or the system cannot list it.
pub fn job_members() -> Result<Vec<u32>, String> {
    sys::job_members()
}

/// Whether this platform has a child subreaper at all (Linux), without
/// becoming one: where it has none, orphans go to init and nobody here can
/// count them.
pub fn subreaper_available() -> bool {
    sys::HAS_SUBREAPER
}

/// What was left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leaks {
    /// Live descendants (pid).
    pub processes: Vec<u32>,
    /// Zombie descendants (pid).
    pub zombies: Vec<u32>,
    /// File descriptors opened and not closed, in the runner.
    pub fds: usize,
    /// Descriptors the adapter's own process holds after the case beyond
    /// those it held before (its `reset-done` counts).
    pub adapter_fds: u64,
}

impl Leaks {
    /// Nothing leaked.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
            && self.zombies.is_empty()
            && self.fds == 0
            && self.adapter_fds == 0
    }

    /// Add another session's leaks to these.
    pub fn merge(&mut self, other: &Leaks) {
        self.processes.extend_from_slice(&other.processes);
        self.zombies.extend_from_slice(&other.zombies);
        self.fds += other.fds;
        self.adapter_fds += other.adapter_fds;
    }

    /// Add these leaks to run totals.
    pub fn add_to(&self, counts: &mut LeakCounts) {
        counts.processes += self.processes.len() as u64;
        counts.zombies += self.zombies.len() as u64;
        counts.fds += self.fds as u64 + self.adapter_fds;
    }

    /// For people.
    pub fn describe(&self) -> String {
        let held = if self.adapter_fds > 0 {
            format!(
                ", {} more held by the adapter's process after its reset",
                self.adapter_fds
            )
        } else {
            String::new()
        };
        format!(
            "leaked {} process(es) {:?}, {} zombie(s) {:?}, {} file descriptor(s){held}",
            self.processes.len(),
            self.processes,
            self.zombies.len(),
            self.zombies,
            self.fds
        )
    }
}

/// Watches one case: remembers the open fds at the start, the runner's
/// and the adapter's.
pub struct LeakGuard {
    fds_before: usize,
    /// What the adapter held after the reset before the case, and its own
    /// processes then (a new helper holds descriptors of its own).
    adapter_before: Option<(u64, Vec<u32>)>,
}

impl LeakGuard {
    /// Start watching.
    pub fn start(adapter_fds: Option<u64>, mut adapter_pids: Vec<u32>) -> LeakGuard {
        install();
        adapter_pids.sort_unstable();
        LeakGuard {
            fds_before: sys::open_fds(),
            adapter_before: adapter_fds.map(|n| (n, adapter_pids)),
        }
    }

    /// After the adapter's reset: what is left, other than `allowed` (the
    /// adapter's own server process). Then kill and reap whatever was found.
    /// `adapter_fds`: what the adapter's process holds now, held to what it
    /// held before the case unless its own processes changed (a helper
    /// started during the case, a fork server, holds descriptors that
    /// outlive it by design).
    pub fn finish(&self, allowed: &[u32], adapter_fds: Option<u64>) -> Leaks {
        let mut leaks = Leaks::default();
        if let (Some((before, pids)), Some(after)) = (&self.adapter_before, adapter_fds) {
            let mut now = allowed.to_vec();
            now.sort_unstable();
            if now == *pids {
                leaks.adapter_fds = after.saturating_sub(*before);
            }
        }
        for d in sys::own_tree() {
            if allowed.contains(&d.pid) || is_helper(d.pid) {
                continue;
            }
            if d.state == 'Z' {
                leaks.zombies.push(d.pid);
            } else {
                leaks.processes.push(d.pid);
            }
        }
        leaks.fds = sys::open_fds().saturating_sub(self.fds_before);
        kill_descendants_except(allowed);
        leaks
    }
}

/// Processes the runner starts for its own work (the watchdog: the
/// installed supervisor's helpers) are not leaks.
fn is_helper(pid: u32) -> bool {
    crate::supervisor::is_helper(pid)
}

/// SIGKILL every descendant and reap the runner's own zombie children.
pub fn kill_descendants() {
    kill_descendants_except(&[]);
}

/// SIGKILL every descendant but `keep` (and their descendants are killed
/// too), then reap the runner's direct children that were killed.
pub fn kill_descendants_except(keep: &[u32]) {
    for _round in 0..10 {
        let ds: Vec<_> = sys::own_tree()
            .into_iter()
            .filter(|d| !keep.contains(&d.pid) && !is_helper(d.pid))
            .collect();
        if ds.is_empty() {
            return;
        }
        for d in &ds {
            if d.state != 'Z' {
                sys::kill(d.pid, sys::SIGKILL);
            }
        }
        for d in ds.iter().filter(|d| d.ppid == sys::getpid()) {
            sys::reap(d.pid);
        }
    }
}

/// SIGKILL these processes (those still there).
pub fn kill_pids(pids: &[u32]) {
    for &pid in pids {
        if sys::stat(pid).is_some_and(|s| s.state != 'Z') {
            sys::kill(pid, sys::SIGKILL);
        }
    }
}

/// Wait until each of `pids` has ended (its pidfd is readable: a zombie
/// or gone), up to `deadline`. After [`kill_pids`] this makes the kill
/// synchronous, also for processes that are not our children (orphans
/// reparented to a subreaper elsewhere, which reaps them as soon as they
/// end): whoever looks next sees them dead.
///
/// Where the platform cannot wait on a process that is not our child
/// without polling (the portable backend: no pidfd), this returns at once
/// and the kill stays asynchronous.
pub fn wait_ended(pids: &[u32], deadline: std::time::Instant) {
    for &pid in pids {
        sys::wait_ended(pid, deadline);
    }
}

/// Reap those of `pids` that are (or are about to be) the runner's own
/// children: orphans reparented to the subreaper.
pub fn reap_zombies_among(pids: &[u32]) {
    let me = sys::getpid();
    for &pid in pids {
        if sys::stat(pid).is_some_and(|s| s.ppid == me) {
            sys::reap(pid);
        }
    }
}

/// Live processes orphaned to the runner: its children that are neither
/// the adapter's own (`own`) nor zombies.
pub fn count_orphans(own: &[u32]) -> i64 {
    let me = sys::getpid();
    sys::all_processes()
        .iter()
        .filter(|s| s.ppid == me && s.state != 'Z' && !own.contains(&s.pid) && !is_helper(s.pid))
        .count() as i64
}
