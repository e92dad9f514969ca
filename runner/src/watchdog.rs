//! The watchdog: when the runner dies, nothing it started survives it.
//!
//! A runner that exits normally cleans up after itself (adapters are reset
//! and dropped, which kills their process groups). A runner killed with
//! SIGKILL runs no code at all, so the cleanup must live in another
//! process: the watchdog, forked first thing (while the runner has one
//! thread), as the leader of a process group of its own, `W`. It waits on
//! a pidfd of the runner (or a life pipe, below) and, when the runner has ended, SIGKILLs every
//! process group it was told about and then group `W`, itself included.
//! The runner tells it too when a group is over, before reaping its leader
//! (until then the id cannot be reused), so that the kill never reaches an
//! unrelated group that got the same number later.
//!
//! There is no window in which a process the runner started is unknown to
//! the watchdog. The runner starts nothing but adapter processes (the
//! reference too runs as one, `procspec serve-reference`) and, with
//! `--jobs`, worker runners: between fork and exec each makes itself the
//! leader of its own group (the harness's `remote::lead_own_group`) and,
//! through the hook the runner installs in the harness
//! ([`crate::supervisor`], the harness's `Supervisor::group_started`),
//! writes that group's id into the watchdog's pipe, before it runs a single
//! instruction of its program. Its descendants inherit the group; orphans
//! keep it, so reparenting does not hide them.
//!
//! The child then checks that its parent is still the runner and exits if
//! not. That closes the last race: the pidfd becomes ready only after the
//! dead runner's children were reparented, so a child that reported after
//! the watchdog acted sees a new parent and does not run on; the watchdog
//! reads the pipe dry before it kills.
//!
//! Why not the alternatives: `PR_SET_PDEATHSIG` on the children would change
//! the behaviour under test (a terminated agent's children must be
//! orphaned, not killed) and fires when the forking *thread* ends; moving
//! the runner into its own process group would take it out of the
//! terminal's foreground group, and Ctrl-C would no longer reach it; the
//! subreaper alone does not help once the subreaper itself is dead.
//!
//! Without pidfds (macOS, the BSDs, Linux with `force-portable`) the
//! runner's end is a *life pipe*: the runner holds its only write end
//! (close-on-exec, so adapters never inherit it) and the watchdog the read
//! end, which reaches end of file when the runner is gone. A child between
//! fork and exec holds a copy too, until its exec or exit: end of file
//! then comes only after the last such child has written its record and
//! checked its parent, so the same argument holds.

use crate::sys;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};

/// The runner's link to its watchdog: the write end of the watchdog's pipe
/// (records of process groups, five bytes each: `g` or `f` and the group
/// id, little-endian), the watchdog's pid and the runner's.
#[derive(Debug)]
pub struct Watchdog {
    records: OwnedFd,
    pid: u32,
    runner: u32,
    /// The write end of the life pipe, where there is no pidfd: held, never
    /// written, closed only by the runner's end.
    _life: Option<OwnedFd>,
}

/// Start the watchdog. Returns the runner's link to it, which lives as long
/// as the process (the pipe must stay open until the runner ends).
///
/// # Safety
///
/// Call first thing in `main`, while the process has a single thread (it
/// forks, and the watchdog runs on in the child).
#[allow(unsafe_code)] // declares the caller's obligation; forks through sys
pub unsafe fn start() -> std::io::Result<&'static Watchdog> {
    let (r, w) = sys::pipe()?;
    let runner = std::process::id();
    // What becomes readable when the runner has ended: a pidfd, else the
    // read end of a life pipe (see the module docs).
    let (runner_end, life) = match sys::pidfd_open(runner) {
        Ok(pidfd) => (pidfd, None),
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            let (lr, lw) = sys::pipe()?;
            (lr, Some(lw))
        }
        Err(e) => return Err(e),
    };
    // SAFETY: the caller guarantees a single thread (this function's
    // contract).
    #[allow(unsafe_code)]
    let forked = unsafe { sys::fork_single_threaded() }?;
    match forked {
        None => {
            drop((w, life));
            watch(r, runner_end)
        }
        Some(pid) => {
            drop((r, runner_end));
            Ok(Box::leak(Box::new(Watchdog {
                records: w,
                pid,
                runner,
                _life: life,
            })))
        }
    }
}

impl Watchdog {
    /// The watchdog's pid (the leak guard leaves it alone).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// In a child of the runner, between fork and exec, once it leads
    /// process group `pgid`: tell the watchdog (a `g` record), then exit if
    /// the runner is no longer the parent (see the module docs).
    /// Async-signal-safe: a `write` of five bytes from the stack, `getppid`,
    /// `_exit`.
    pub(crate) fn group_started_in_child(&self, pgid: u32) {
        sys::write_record(self.records.as_fd(), &record(b'g', pgid));
        if sys::parent_pid() != self.runner {
            sys::exit_now(1);
        }
    }

    /// Tell the watchdog that process group `pgid` is over: call before
    /// reaping its leader, while the id cannot yet have been reused, so that
    /// a later kill never reaches an unrelated group that got the same
    /// number.
    pub fn forget_group(&self, pgid: u32) {
        sys::write_record(self.records.as_fd(), &record(b'f', pgid));
    }
}

/// One record for the watchdog's pipe: `kind` (`g` a group started, `f` a
/// group is over) and the group id. Five bytes: a pipe write under
/// `PIPE_BUF` is atomic, so records of several threads never interleave.
fn record(kind: u8, pgid: u32) -> [u8; 5] {
    let mut record = [kind, 0, 0, 0, 0];
    record[1..].copy_from_slice(&pgid.to_le_bytes());
    record
}

/// The watchdog's life: collect process groups until the runner ends,
/// then kill them all, and its own group last.
fn watch(records: OwnedFd, runner: OwnedFd) -> ! {
    sys::own_process_group();
    let records = std::fs::File::from(records);
    let mut groups: Vec<u32> = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    let far = || std::time::Instant::now() + std::time::Duration::from_secs(3600);
    // The runner's end is watched by pidfd or the life pipe: the records
    // pipe would reach end of file only when every holder is gone, and
    // children (adapters between fork and exec) hold copies.
    let read_some = |buffer: &mut Vec<u8>| -> bool {
        let mut chunk = [0u8; 4096];
        match (&records).read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    };
    loop {
        match sys::wait_either(records.as_fd(), runner.as_fd(), far()) {
            1 => break,
            2 => continue,
            _ => {}
        }
        if !read_some(&mut buffer) {
            // No more records: wait for the runner alone.
            while !sys::wait_readable(runner.as_fd(), far()) {}
            break;
        }
        take_groups(&mut buffer, &mut groups);
    }
    // The runner is gone: read what children reported up to now.
    while sys::wait_readable(records.as_fd(), std::time::Instant::now()) && read_some(&mut buffer) {
    }
    take_groups(&mut buffer, &mut groups);
    for &g in &groups {
        sys::kill_group(g);
    }
    // Everything the runner forked is in the watchdog's own group.
    sys::kill_group(std::process::id());
    sys::exit_now(0)
}

/// Apply the complete 5-byte records in `buffer` to `groups`: `g` adds a
/// group, `f` forgets one.
fn take_groups(buffer: &mut Vec<u8>, groups: &mut Vec<u32>) {
    while buffer.len() >= 5 {
        let record: Vec<u8> = buffer.drain(..5).collect();
        let pgid = u32::from_le_bytes([record[1], record[2], record[3], record[4]]);
        match record[0] {
            b'f' => groups.retain(|&g| g != pgid),
            _ => groups.push(pgid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{record, take_groups};

    #[test]
    fn records_add_and_forget_groups_and_wait_for_whole_records() {
        let mut groups = Vec::new();
        let mut buffer = [record(b'g', 10), record(b'g', 11), record(b'f', 10)].concat();
        buffer.extend_from_slice(&record(b'g', 12)[..3]);
        take_groups(&mut buffer, &mut groups);
        assert_eq!(groups, [11]);
        assert_eq!(buffer.len(), 3, "a partial record waits for the rest");
        buffer.extend_from_slice(&record(b'g', 12)[3..]);
        take_groups(&mut buffer, &mut groups);
        assert_eq!(groups, [11, 12]);
    }
}
