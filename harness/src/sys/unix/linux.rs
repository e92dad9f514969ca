//! The Linux backend: `/proc` for the process tree, `prctl` for the
//! subreaper, pidfds for waiting on processes that are not our children.
//! Not compiled with the `force-portable` feature, which makes Linux run
//! the portable backend (what macOS and the BSDs run).

use std::fs;

/// One process as `/proc/PID/stat` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid.
    pub ppid: u32,
    /// The state letter (`R`, `S`, `Z`, ...).
    pub state: char,
}

/// Read `/proc/PID/stat`; `None` if the process is gone.
pub fn stat(pid: u32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain anything, so parse
    // from the last `)`.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(ProcStat { pid, ppid, state })
}

/// Every process on the machine (that we may read).
pub fn all_processes() -> Vec<ProcStat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .collect()
}

/// Number of open file descriptors of this process.
pub fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, |d| d.count().saturating_sub(1))
}

/// This process's children (zombies included), from
/// `/proc/self/task/*/children`: no scan of every process.
pub fn own_children() -> Vec<u32> {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out: Vec<u32> = tasks
        .filter_map(|t| fs::read_to_string(t.ok()?.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The process group of `pid`, from `/proc`; `None` if it is gone.
pub fn group_of(pid: u32) -> Option<u32> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name: state, ppid, pgrp.
    text[text.rfind(')')? + 1..]
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

/// Members of process group `pgid`, zombies included, from `/proc`.
pub fn group_members(pgid: u32) -> Vec<ProcStat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            let Ok(text) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some(close) = text.rfind(')') else {
                return false;
            };
            // After the command name: state, ppid, pgrp.
            let group = text[close + 1..].split_whitespace().nth(2);
            group.and_then(|g| g.parse::<u32>().ok()) == Some(pgid)
        })
        .filter_map(stat)
        .collect()
}

/// Make this process a child subreaper: orphaned descendants are
/// reparented to it instead of init, so the runner can see and reap them.
pub fn become_subreaper() -> bool {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and no pointers;
    // it only changes this process's reaping role.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
}

/// A pidfd for `pid` (Linux 5.3+, close-on-exec): it becomes readable when
/// the process exits, and keeps naming that process even once it is reaped.
pub fn pidfd_open(pid: u32) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let pid =
        libc::pid_t::try_from(pid).map_err(|_| std::io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: pidfd_open takes a pid and flags, no pointers.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fd = std::os::fd::RawFd::try_from(fd)
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this fd; nothing else owns it.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Wait until `pid` has ended (a zombie or gone) or `deadline` passes,
/// through a pidfd: it works for processes that are not our children.
pub fn wait_ended(pid: u32, deadline: std::time::Instant) {
    use std::os::fd::AsFd;
    if let Ok(fd) = pidfd_open(pid) {
        super::wait_readable(fd.as_fd(), deadline);
    }
}

/// Linux has `PR_SET_CHILD_SUBREAPER`.
pub const HAS_SUBREAPER: bool = true;
