//! Linux: `/proc` for the process tree, `prctl` for the subreaper.

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

/// Every descendant of `root` (children, grandchildren, ...).
pub fn descendants(root: u32) -> Vec<ProcStat> {
    let all = all_processes();
    let mut out: Vec<ProcStat> = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for s in all.iter().filter(|s| s.ppid == p) {
            if !out.iter().any(|o| o.pid == s.pid) {
                out.push(*s);
                frontier.push(s.pid);
            }
        }
    }
    out
}

/// This process's pid.
pub fn getpid() -> u32 {
    std::process::id()
}

/// Number of open file descriptors of this process.
pub fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").map_or(0, |d| d.count().saturating_sub(1))
}

/// Make this process a child subreaper: orphaned descendants are
/// reparented to it instead of init, so the runner can see and reap them.
pub fn become_subreaper() -> bool {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and no pointers;
    // it only changes this process's reaping role.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
}

/// Send `signal` to `pid`; errors (already gone) are ignored.
pub fn kill(pid: u32, signal: i32) {
    // SAFETY: kill(2) takes plain integers; a stale pid at worst signals
    // nothing (ESRCH), as callers only pass pids of their own descendants.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Reap `pid` if it is a zombie child of ours, without blocking.
pub fn try_reap(pid: u32) -> bool {
    let mut status = 0;
    // SAFETY: status is a valid out-pointer; WNOHANG never blocks.
    unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) == pid as i32 }
}

/// Reap `pid`, blocking until it has exited (after a SIGKILL).
pub fn reap(pid: u32) {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        if r >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Ignore SIGTERM in this process (the `ignore-sigterm` target).
pub fn ignore_sigterm() {
    // SAFETY: installing SIG_IGN involves no handler code; it is
    // async-signal-safe and valid in a freshly forked child.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
    }
}

/// A pipe whose both ends are close-on-exec (spawned children get only the
/// ends handed to them explicitly).
pub fn pipe() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(std::io::Error::from)
}

/// Wait until `fd` is readable or `deadline` passes; retries on EINTR.
/// Returns false on timeout.
/// Returns false at once, too, when the run was asked to stop (SIGINT or
/// SIGTERM): waits are cut into slices of at most 100 ms for that.
pub fn wait_readable(fd: std::os::fd::BorrowedFd<'_>, deadline: std::time::Instant) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    loop {
        if stop_requested() {
            return false;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = u16::try_from(left.as_millis().min(100)).unwrap_or(100);
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => return false,
            Ok(0) => continue,
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return true,
        }
    }
}

/// Wait until `fd` is readable (a pidfd: the process exited), however long
/// it takes; unlike [`wait_readable`], a stop request does not cut it short.
pub fn wait_readable_always(fd: std::os::fd::BorrowedFd<'_>) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    loop {
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            _ => return,
        }
    }
}

// ---------------------------------------------------------------------------
// For `remote`: an adapter process in its own process group, talked to over
// pipes with deadlines.
// ---------------------------------------------------------------------------

/// Send `signal` to every member of process group `pgid`; errors (no such
/// group) are ignored. Refuses the groups 0 and 1 (`kill(0)` and `kill(-1)`
/// mean "my group" and "everyone").
pub fn kill_group(pgid: u32, signal: i32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; plain
    // integers, no pointers. Callers pass the pgid of a group whose leader
    // is their own unreaped child, so the id cannot have been reused.
    unsafe {
        libc::kill(-pgid, signal);
    }
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

/// Put `fd` in non-blocking mode (writes then fail with `WouldBlock`
/// instead of waiting for room).
pub fn set_nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use std::os::fd::AsRawFd;
    let raw = fd.as_raw_fd();
    let flags = fcntl(raw, FcntlArg::F_GETFL).map_err(std::io::Error::from)?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(raw, FcntlArg::F_SETFL(flags)).map_err(std::io::Error::from)?;
    Ok(())
}

/// Wait until `fd` is writable or `deadline` passes; retries on EINTR.
/// Returns false on timeout.
pub fn wait_writable(fd: std::os::fd::BorrowedFd<'_>, deadline: std::time::Instant) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => return false,
            Ok(0) => continue,
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return true,
        }
    }
}

/// Block until a signal ends this process: for a child whose creator is
/// gone and that therefore can never be released. Never returns.
pub fn block_forever() -> ! {
    loop {
        // SAFETY: pause(2) has no arguments and only returns when a signal
        // handler ran; SIGKILL, the way such a child ends, never returns.
        unsafe {
            libc::pause();
        }
    }
}

/// The flag the SIGINT/SIGTERM handler sets.
static STOP_FLAG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    // Async-signal-safe: one atomic store.
    STOP_FLAG.store(true, std::sync::atomic::Ordering::SeqCst);
}

thread_local! {
    /// The forking thread's signal mask, saved across fork.
    static SAVED_MASK: std::cell::Cell<Option<libc::sigset_t>> = const { std::cell::Cell::new(None) };
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

extern "C" fn before_fork() {
    let set = stop_signals();
    // SAFETY: blocks SIGINT/SIGTERM in this thread only, saving the mask.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        SAVED_MASK.with(|m| m.set(Some(old)));
    }
}

extern "C" fn after_fork_in_parent() {
    if let Some(old) = SAVED_MASK.with(|m| m.take()) {
        // SAFETY: restores the mask saved before the fork.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
    }
}

extern "C" fn after_fork_in_child() {
    // SAFETY: the child gets the default actions back while the signals are
    // still blocked, then the saved mask: a SIGTERM sent to it at any point
    // acts as it would on a process that never saw the runner's handler.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
    }
    after_fork_in_parent();
}

/// Install SIGINT and SIGTERM handlers that set the stop flag once; the
/// handler resets itself, so a second signal ends the process as usual.
///
/// Children forked by the runner (the in-process reference adapter's) must
/// not inherit the handler: `terminate()` has to kill them. Handlers set
/// after a fork would leave a window, so `pthread_atfork` blocks the two
/// signals across the fork and restores their default actions in the child
/// before unblocking them.
pub fn install_stop_handlers() {
    // SAFETY: the three handlers only change the calling thread's mask and
    // the child's dispositions, which is valid at those points of fork.
    unsafe {
        libc::pthread_atfork(
            Some(before_fork),
            Some(after_fork_in_parent),
            Some(after_fork_in_child),
        );
    }
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the sigaction struct is zeroed then filled; the handler
        // only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_stop_signal as *const () as usize;
            act.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Whether SIGINT or SIGTERM arrived.
pub fn stop_requested() -> bool {
    STOP_FLAG.load(std::sync::atomic::Ordering::SeqCst)
}

/// Fork. `Ok(None)` in the child, `Ok(Some(pid))` in the parent.
///
/// # Safety
///
/// Only call while the process has a single thread: the child runs on with
/// a copy of this thread alone, and a lock another thread held would stay
/// held in it forever.
pub unsafe fn fork_single_threaded() -> std::io::Result<Option<u32>> {
    // SAFETY: callers fork before any other thread exists (this function's
    // contract), so the child inherits no lock held by a thread that is not
    // there.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(pid as u32)),
    }
}

/// Put this process in a process group of its own.
pub fn own_process_group() {
    // SAFETY: setpgid(0, 0) only changes this process's group.
    unsafe {
        libc::setpgid(0, 0);
    }
}

/// Make `command`'s child the leader of a process group of its own and
/// write a `g` record with its pid to the watchdog's pipe `records`,
/// before it execs; a child whose parent `runner` has died meanwhile exits
/// instead. So the watchdog knows the group before the program runs.
pub fn report_group_before_exec(
    command: &mut std::process::Command,
    records: Option<std::os::fd::RawFd>,
    runner: u32,
) {
    use std::os::unix::process::CommandExt;
    let runner = libc::pid_t::try_from(runner).unwrap_or(0);
    // SAFETY: the closure runs between fork and exec and calls only
    // getpid, setpgid, write, getppid and _exit, all async-signal-safe, on
    // a stack buffer; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            let me = libc::getpid();
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(fd) = records {
                let mut record = [b'g', 0, 0, 0, 0];
                record[1..].copy_from_slice(&(me as u32).to_le_bytes());
                // Five bytes: a pipe write under PIPE_BUF is atomic.
                libc::write(fd, record.as_ptr().cast(), record.len());
                if libc::getppid() != runner {
                    libc::_exit(1);
                }
            }
            Ok(())
        });
    }
}

/// End this process at once, with no exit handlers (a forked helper).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process; nothing of Rust's runs after it.
    unsafe { libc::_exit(code) }
}

/// Wait until `a` or `b` is readable or `deadline` passes; returns 0 for
/// `a`, 1 for `b`, 2 on timeout. Retries on EINTR.
pub fn wait_either(
    a: std::os::fd::BorrowedFd<'_>,
    b: std::os::fd::BorrowedFd<'_>,
    deadline: std::time::Instant,
) -> u8 {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [
            PollFd::new(a, PollFlags::POLLIN),
            PollFd::new(b, PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => return 2,
            Ok(0) => continue,
            Ok(_) => {
                let ready = |f: &PollFd<'_>| f.revents().is_some_and(|r| !r.is_empty());
                return if ready(&fds[1]) { 1 } else { 0 };
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return 1,
        }
    }
}

/// The identity (device, inode) of what `fd` refers to in this process, or
/// `None` if `fd` is not open. Comparing identities tells a descriptor that
/// is still the same object from a number that was closed and reused.
// dev_t and ino_t are u64 here but not on every platform.
#[allow(clippy::unnecessary_cast)]
pub fn fd_identity(fd: std::os::fd::RawFd) -> Option<(u64, u64)> {
    nix::sys::stat::fstat(fd)
        .ok()
        .map(|st| (st.st_dev as u64, st.st_ino as u64))
}

/// Send this process `signal` with its default action (a target that dies
/// of a signal it sends itself). No core file is written.
pub fn raise_default(signal: i32) -> ! {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit and signal take no pointers but `no_core`, which
    // lives across the call; resetting the disposition to SIG_DFL runs no
    // handler code; raise delivers to this thread. A signal whose default
    // action does not end the process would return here, so exit then.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
        libc::_exit(1)
    }
}
