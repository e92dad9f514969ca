//! The harness's platform layer: process-tree inspection for the leak
//! guard and the orphan count, the process group each adapter leads
//! (reported to the runner's supervisor before it execs), descriptors and
//! deadline-bounded waits. Every syscall and every `unsafe` of the harness
//! is here.
//!
//! `unix/` serves Linux (`unix/linux.rs`: `/proc`, subreaper, pidfd) and
//! macOS and the BSDs (`unix/portable.rs`, which Linux runs too with the
//! `force-portable` feature). `windows.rs` has the process tree
//! (Toolhelp), a kill-on-close job object holding every process started
//! after `guard::install()` (its process list is the guard's view of
//! them), the handle count, `TerminateProcess`, `WSAPoll` and what
//! child bodies need: enough for the leak guard, the checker, cases, the
//! state machine and `conformance_suite!` through the lifecycle host.
//! What needs process groups (remote adapters) is Unix only for now.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Every descendant of `root` (children, grandchildren, ...), by recorded
/// parent pid, from one snapshot of the backend's process table. A process
/// that names itself as its parent (Windows reuses pids) is not its own
/// child.
pub fn descendants(root: u32) -> Vec<ProcStat> {
    descendants_in(&all_processes(), root)
}

/// What this process started and is still there, as the leak guard sees
/// it: its descendants by recorded parent pid, and on Windows also every
/// other process of the kill-on-close job it put itself in
/// (`kill_tree_on_exit`), which holds the processes whose parent has
/// ended (Windows does not reparent, so the parent walk misses them).
pub fn own_tree() -> Vec<ProcStat> {
    let me = getpid();
    let all = all_processes();
    let mut out = descendants_in(&all, me);
    for pid in job_members().unwrap_or_default() {
        if pid != me && !out.iter().any(|o| o.pid == pid) {
            // Started after the snapshot: its parent is not known here.
            let s = all.iter().find(|s| s.pid == pid).copied();
            out.push(s.unwrap_or(ProcStat {
                pid,
                ppid: 0,
                state: 'R',
            }));
        }
    }
    out
}

fn descendants_in(all: &[ProcStat], root: u32) -> Vec<ProcStat> {
    let mut out: Vec<ProcStat> = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for s in all.iter().filter(|s| s.ppid == p && s.pid != p) {
            if !out.iter().any(|o| o.pid == s.pid) {
                out.push(*s);
                frontier.push(s.pid);
            }
        }
    }
    out
}
