//! The watchdog: when the runner dies, nothing it started survives it.
//!
//! A runner that exits normally cleans up after itself (adapters are reset
//! and dropped, which kills their process groups). A runner killed with
//! SIGKILL runs no code at all, so the cleanup must live in another
//! process: the watchdog, forked first thing (while the runner has one
//! thread), as the leader of a process group of its own, `W`. It waits on
//! a pidfd of the runner and, when the runner has ended, SIGKILLs every
//! process group it was told about and then group `W`, itself included.
//! The runner tells it too when a group is over, before reaping its leader
//! (until then the id cannot be reused), so that the kill never reaches an
//! unrelated group that got the same number later.
//!
//! There is no window in which a process the runner started is unknown to
//! the watchdog. The runner starts nothing but adapter processes (the
//! reference too runs as one, `procspec serve-reference`): between fork and
//! exec each makes itself the leader of its own group and writes that
//! group's id into the watchdog's pipe, before it runs a single
//! instruction of the adapter. Its descendants inherit the group; orphans
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

use crate::sys;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// The runner's end of the pipe to the watchdog, and the watchdog's pid,
/// when there is one.
static WATCHDOG: Mutex<Option<(std::fs::File, u32)>> = Mutex::new(None);

/// The same pipe end as a raw descriptor, for code that runs between fork
/// and exec (where taking the mutex could deadlock); -1 without a watchdog.
static RECORDS_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Start the watchdog. Returns the watchdog's pid.
///
/// # Safety
///
/// Call first thing in `main`, while the process has a single thread (it
/// forks, and the watchdog runs on in the child).
#[allow(unsafe_code)] // declares the caller's obligation; forks through sys
pub unsafe fn start() -> std::io::Result<u32> {
    let (r, w) = sys::pipe()?;
    let runner = sys::getpid();
    let pidfd = sys::pidfd_open(runner)?;
    // SAFETY: the caller guarantees a single thread (this function's
    // contract).
    #[allow(unsafe_code)]
    let forked = unsafe { sys::fork_single_threaded() }?;
    match forked {
        None => {
            drop(w);
            watch(r, pidfd)
        }
        Some(pid) => {
            drop(r);
            drop(pidfd);
            RECORDS_FD.store(w.as_raw_fd(), std::sync::atomic::Ordering::SeqCst);
            *WATCHDOG.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((std::fs::File::from(w), pid));
            Ok(pid)
        }
    }
}

/// The watchdog's pid, if one runs (the leak guard leaves it alone).
pub fn pid() -> Option<u32> {
    WATCHDOG
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|(_, p)| *p)
}

/// Have `command`'s child lead a process group of its own that the
/// watchdog knows before the program starts (see the module docs).
pub fn own_group_known_to_watchdog(command: &mut std::process::Command) {
    let fd: RawFd = RECORDS_FD.load(std::sync::atomic::Ordering::SeqCst);
    sys::report_group_before_exec(command, (fd >= 0).then_some(fd), sys::getpid());
}

/// Tell the watchdog that process group `pgid` is over: call before
/// reaping its leader, while the id cannot yet have been reused, so that a
/// later kill never reaches an unrelated group that got the same number.
pub fn forget_group(pgid: u32) {
    let mut guard = WATCHDOG.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((w, _)) = guard.as_mut() {
        let mut record = [b'f', 0, 0, 0, 0];
        record[1..].copy_from_slice(&pgid.to_le_bytes());
        let _ = std::io::Write::write_all(w, &record);
    }
}

/// Wait for `child` (started with [`own_group_known_to_watchdog`]) to
/// exit, tell the watchdog its group is over, then reap it: the order
/// [`forget_group`] asks for.
pub fn wait_and_forget(
    child: &mut std::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    if let Ok(fd) = sys::pidfd_open(child.id()) {
        sys::wait_readable_always(fd.as_fd());
    }
    forget_group(child.id());
    child.wait()
}

/// The watchdog's life: collect process groups until the runner ends,
/// then kill them all, and its own group last.
fn watch(records: OwnedFd, runner: OwnedFd) -> ! {
    sys::own_process_group();
    let records = std::fs::File::from(records);
    let mut groups: Vec<u32> = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    let far = || std::time::Instant::now() + std::time::Duration::from_secs(3600);
    // The runner's end is watched by pidfd: the pipe would reach end of
    // file only when every holder is gone, and forked children hold copies.
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
        sys::kill_group(g, libc::SIGKILL);
    }
    // Everything the runner forked is in the watchdog's own group.
    sys::kill_group(sys::getpid(), libc::SIGKILL);
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

/// SIGINT and SIGTERM stop a run between cases and sequences: the partial
/// report is written, marked incomplete, and the runner exits non-zero.
pub fn install_stop_handlers() {
    sys::install_stop_handlers();
}

/// Whether SIGINT or SIGTERM asked the run to stop.
pub fn stop_requested() -> bool {
    sys::stop_requested()
}

#[cfg(test)]
mod tests {
    use super::take_groups;

    fn record(kind: u8, pgid: u32) -> Vec<u8> {
        let mut r = vec![kind];
        r.extend_from_slice(&pgid.to_le_bytes());
        r
    }

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
