//! The watchdog: when the runner dies, nothing it started survives it.
//!
//! A runner that exits normally cleans up after itself (adapters are reset
//! and dropped, which kills their process groups). A runner killed with
//! SIGKILL runs no code at all, so the cleanup must live in another
//! process: the watchdog, forked first thing (while the runner has one
//! thread), in a process group of its own. The runner tells it, over a pipe,
//! every pid and process group it starts (the reference adapter's whole
//! tree, each remote adapter's group); the watchdog waits on a pidfd of the
//! runner and, when it ends, SIGKILLs all of them (orphans keep their
//! process group, so reparenting does not hide them), then exits.
//!
//! Why not the alternatives: `PR_SET_PDEATHSIG` on the children would change
//! the behaviour under test (a terminated agent's children must be
//! orphaned, not killed); moving the runner into its own process group
//! would take it out of the terminal's foreground group, and Ctrl-C would no
//! longer reach it; the subreaper alone does not help once the subreaper
//! itself is dead.

use crate::sys;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;

/// The runner's end of the pipe to the watchdog, when there is one.
static WATCHDOG: Mutex<Option<(std::fs::File, u32)>> = Mutex::new(None);

/// Start the watchdog. Call first thing in `main`, before any thread
/// exists. Returns the watchdog's pid.
pub fn start() -> std::io::Result<u32> {
    let (r, w) = sys::pipe()?;
    let runner = sys::getpid();
    let pidfd = sys::pidfd_open(runner)?;
    match sys::fork_single_threaded()? {
        None => {
            drop(w);
            watch(r, pidfd)
        }
        Some(pid) => {
            drop(r);
            drop(pidfd);
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

/// Tell the watchdog about a process the runner started.
pub fn track_pid(pid: u32) {
    send(b'p', pid);
}

/// Tell the watchdog about a process group the runner started.
pub fn track_group(pgid: u32) {
    send(b'g', pgid);
}

fn send(kind: u8, n: u32) {
    let mut guard = WATCHDOG.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((w, _)) = guard.as_mut() {
        let mut record = [kind, 0, 0, 0, 0];
        record[1..].copy_from_slice(&n.to_le_bytes());
        let _ = w.write_all(&record);
    }
}

/// The watchdog's life: collect records until the runner ends, then kill
/// everything recorded and exit.
fn watch(records: OwnedFd, runner: OwnedFd) -> ! {
    sys::own_process_group();
    let mut records = std::fs::File::from(records);
    let mut pids: Vec<u32> = Vec::new();
    let mut groups: Vec<u32> = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    let far = || std::time::Instant::now() + std::time::Duration::from_secs(3600);
    // The runner's end is watched by pidfd: the pipe would reach end of
    // file only when every holder is gone, and forked children hold copies.
    loop {
        match sys::wait_either(records.as_fd(), runner.as_fd(), far()) {
            1 => break,
            2 => continue,
            _ => {}
        }
        let mut chunk = [0u8; 4096];
        match records.read(&mut chunk) {
            Ok(0) | Err(_) => {
                // No more records: wait for the runner alone.
                while !sys::wait_readable(runner.as_fd(), far()) {}
                break;
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        while buffer.len() >= 5 {
            let record: Vec<u8> = buffer.drain(..5).collect();
            let n = u32::from_le_bytes([record[1], record[2], record[3], record[4]]);
            match record[0] {
                b'p' => pids.push(n),
                _ => groups.push(n),
            }
        }
    }
    for _round in 0..3 {
        for &g in &groups {
            sys::kill_group(g, libc::SIGKILL);
        }
        for &p in &pids {
            sys::kill(p, libc::SIGKILL);
        }
    }
    sys::exit_now(0)
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
