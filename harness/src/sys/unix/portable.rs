//! The portable backend (macOS, the BSDs, and Linux with the
//! `force-portable` feature): no `/proc`, no subreaper, no pidfd.
//!
//! The process table comes from POSIX `ps -A -o pid=,ppid=,pgid=,stat=`,
//! which every Unix has; open descriptors are counted with `fcntl`. Without
//! a subreaper, orphans go to init (or launchd) and the runner cannot see
//! or count them: the guard then misses leaked grandchildren whose parent
//! has exited, and the `orphans` op is not answered (a capability the
//! runner lacks there). Without pidfds, waits on processes that are not our
//! children fall back to what their callers do without one.

/// One process as `ps` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid.
    pub ppid: u32,
    /// The state letter (`R`, `S`, `Z`, ...).
    pub state: char,
}

/// `(stat, pgid)` of every process `ps` lists, except the `ps` itself.
fn table() -> Vec<(ProcStat, u32)> {
    let Ok(child) = std::process::Command::new("ps")
        .args([
            "-A", "-o", "pid=", "-o", "ppid=", "-o", "pgid=", "-o", "stat=",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return Vec::new();
    };
    let ps = child.id();
    let Ok(out) = child.wait_with_output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let pid = f.next()?.parse().ok()?;
            let ppid = f.next()?.parse().ok()?;
            let pgid = f.next()?.parse().ok()?;
            let state = f.next()?.chars().next()?;
            Some((ProcStat { pid, ppid, state }, pgid))
        })
        .filter(|(s, _)| s.pid != ps)
        .collect()
}

/// The process `pid` as `ps` shows it; `None` if it is gone.
pub fn stat(pid: u32) -> Option<ProcStat> {
    table().into_iter().map(|(s, _)| s).find(|s| s.pid == pid)
}

/// Every process on the machine.
pub fn all_processes() -> Vec<ProcStat> {
    table().into_iter().map(|(s, _)| s).collect()
}

/// This process's children (zombies included), from the `ps` table.
pub fn own_children() -> Vec<u32> {
    let me = std::process::id();
    let mut out: Vec<u32> = table()
        .into_iter()
        .filter(|(s, _)| s.ppid == me)
        .map(|(s, _)| s.pid)
        .collect();
    out.sort_unstable();
    out
}

/// The process group of `pid`; `None` if it is gone.
pub fn group_of(pid: u32) -> Option<u32> {
    table()
        .into_iter()
        .find(|(s, _)| s.pid == pid)
        .map(|(_, g)| g)
}

/// Members of process group `pgid`, zombies included.
pub fn group_members(pgid: u32) -> Vec<ProcStat> {
    table()
        .into_iter()
        .filter(|(_, g)| *g == pgid)
        .map(|(s, _)| s)
        .collect()
}

/// Number of open file descriptors of this process: `fcntl(F_GETFD)` on
/// every number below the descriptor limit (at most 65536).
pub fn open_fds() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        i32::try_from(lim.rlim_cur.min(65536)).unwrap_or(65536)
    } else {
        1024
    };
    // SAFETY: F_GETFD only reads descriptor flags; bad fds give EBADF.
    (0..max)
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1)
        .count()
}

/// There is no child subreaper here: always false.
pub fn become_subreaper() -> bool {
    false
}

/// No pidfds here: always `Unsupported`.
pub fn pidfd_open(_pid: u32) -> std::io::Result<std::os::fd::OwnedFd> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no pidfd on the portable backend",
    ))
}

/// Without a pidfd there is no way to wait for a process that is not our
/// child short of polling (kqueue's `EVFILT_PROC` is not used yet): returns
/// at once, and a kill stays asynchronous.
pub fn wait_ended(_pid: u32, _deadline: std::time::Instant) {}

/// No child subreaper here.
pub const HAS_SUBREAPER: bool = false;
