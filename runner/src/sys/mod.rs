//! The runner's platform layer (Unix): the fork of the watchdog, pidfds,
//! its pipe and process groups, deadline-bounded waits, and the stop
//! signals (`signals.rs`). Every syscall and every `unsafe` of the runner
//! is here. (The harness has its own, private, `sys`; the few calls both
//! need, such as `pidfd_open`, are written once in each.)
//!
//! Linux has pidfds; elsewhere, and on Linux with the `force-portable`
//! feature, [`pidfd_open`] is `Unsupported` and the watchdog watches the
//! runner through a life pipe instead (`watchdog.rs`).

mod signals;

pub use signals::*;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Instant;

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

/// A pidfd for `pid` (Linux 5.3+, close-on-exec): it becomes readable when
/// the process exits.
#[cfg(all(target_os = "linux", not(feature = "force-portable")))]
pub fn pidfd_open(pid: u32) -> std::io::Result<OwnedFd> {
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
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// No pidfds here: always `Unsupported`.
#[cfg(any(not(target_os = "linux"), feature = "force-portable"))]
pub fn pidfd_open(_pid: u32) -> std::io::Result<OwnedFd> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no pidfd on the portable backend",
    ))
}

/// A pipe whose both ends are close-on-exec (spawned children get only the
/// ends handed to them explicitly).
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    #[cfg(all(target_os = "linux", not(feature = "force-portable")))]
    return nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(std::io::Error::from);
    // POSIX has no pipe2 (macOS lacks it): pipe, then FD_CLOEXEC.
    #[cfg(any(not(target_os = "linux"), feature = "force-portable"))]
    {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        use std::os::fd::AsRawFd;
        let (r, w) = nix::unistd::pipe().map_err(std::io::Error::from)?;
        for fd in [&r, &w] {
            fcntl(fd.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
                .map_err(std::io::Error::from)?;
        }
        Ok((r, w))
    }
}

/// Write one record (at most `PIPE_BUF` bytes: atomic) to `fd`, retrying
/// when a signal interrupts; other errors (the watchdog is gone) are
/// ignored. Async-signal-safe: one `write(2)` of the caller's buffer.
pub fn write_record(fd: BorrowedFd<'_>, record: &[u8]) {
    while let Err(nix::errno::Errno::EINTR) = nix::unistd::write(fd, record) {}
}

/// This process's parent's pid. Async-signal-safe (`getppid(2)`).
pub fn parent_pid() -> u32 {
    nix::unistd::getppid().as_raw() as u32
}

/// Put this process in a process group of its own.
pub fn own_process_group() {
    let _ = nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), nix::unistd::Pid::from_raw(0));
}

/// SIGKILL every member of process group `pgid`; errors (no such group)
/// are ignored. Refuses the groups 0 and 1 (`kill(0)` and `kill(-1)` mean
/// "my group" and "everyone").
pub fn kill_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid > 1 {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// End this process at once, with no exit handlers (the forked watchdog,
/// a child between fork and exec). Async-signal-safe (`_exit(2)`).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process; nothing of Rust's runs after it.
    unsafe { libc::_exit(code) }
}

/// Poll `fds` for input until one is ready or `deadline` passes; `EINTR`
/// is retried, the deadline re-read each round. `Some(ready indices)`, or
/// `None` on timeout; a failed `poll` counts as every descriptor ready, so
/// that the read that follows reports the error.
fn poll_readable(fds: &[BorrowedFd<'_>], deadline: Instant) -> Option<Vec<usize>> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut set: Vec<PollFd<'_>> = fds
            .iter()
            .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
            .collect();
        match poll(&mut set, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => return None,
            Ok(0) => continue,
            Ok(_) => {
                let ready = set
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
                    .map(|(i, _)| i)
                    .collect();
                return Some(ready);
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return Some((0..fds.len()).collect()),
        }
    }
}

/// Wait until `fd` is readable or `deadline` passes; false on timeout.
pub fn wait_readable(fd: BorrowedFd<'_>, deadline: Instant) -> bool {
    poll_readable(&[fd], deadline).is_some()
}

/// Wait until `a` or `b` is readable or `deadline` passes; returns 0 for
/// `a`, 1 for `b` (also when both are, or `poll` failed), 2 on timeout.
pub fn wait_either(a: BorrowedFd<'_>, b: BorrowedFd<'_>, deadline: Instant) -> u8 {
    match poll_readable(&[a, b], deadline) {
        None => 2,
        Some(ready) if ready.contains(&1) => 1,
        Some(_) => 0,
    }
}

/// Wait until our child `pid` has exited, without reaping it (`waitid`
/// with `WNOWAIT`, POSIX): its id cannot be reused until the caller reaps
/// it. `EINTR` is retried; another error (not our child) returns at once.
pub fn wait_exited_unreaped(pid: u32) {
    loop {
        // SAFETY: `info` is a zeroed `siginfo_t` that waitid fills in; the
        // call takes no other pointer.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}
