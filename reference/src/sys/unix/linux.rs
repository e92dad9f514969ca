//! The Linux backend: `pipe2`, `getrandom`, `ppoll`, pidfds and
//! `waitid(P_PIDFD)`. Compiled on Linux unless the `force-portable` feature
//! asks for the portable POSIX backend instead.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::{Duration, Instant};

use super::{cvt, WaitTarget};

/// The backend's name, as `procspec_reference::platform()` reports it.
pub const BACKEND: &str = "linux";

/// A pipe `(read end, write end)`, both ends close-on-exec (atomically).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both fds are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A pidfd for `pid` (close-on-exec by definition), or the OS error;
/// `ENOSYS` means the kernel predates Linux 5.3.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new fd or -1.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the syscall returned a fresh descriptor that we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// Fills `buf` from the OS random source (`getrandom(2)`).
pub fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: `rest` is a valid writable slice of the given length.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        filled += n as usize;
    }
    Ok(())
}

/// Reaps the child if it has exited (`block == false`: `WNOHANG`) or waits
/// until it does (`block == true`), with `waitid` (`P_PIDFD` or `P_PID`).
/// Returns CPython's exit code: the exit status, or `-N` for death by
/// signal N. `Ok(None)`: still running.
pub fn reap(target: WaitTarget<'_>, block: bool) -> io::Result<Option<i32>> {
    let (idtype, id) = match target {
        WaitTarget::Pidfd(fd) => (libc::P_PIDFD, fd.as_raw_fd() as libc::id_t),
        WaitTarget::Pid(pid) => (libc::P_PID, pid as libc::id_t),
    };
    let flags = libc::WEXITED | if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value to pass in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid siginfo_t for waitid to fill.
        let ret = unsafe { libc::waitid(idtype, id, &mut info, flags) };
        if ret == -1 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // SAFETY: waitid filled `info` for SIGCHLD, where pid/status are set;
        // with WNOHANG and no exited child, si_pid stays zero.
        let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
        if pid == 0 {
            return Ok(None);
        }
        return Ok(Some(match info.si_code {
            libc::CLD_EXITED => status,
            _ => -status,
        }));
    }
}

/// Waits until `fd` is readable (`POLLIN` or hang-up) or `timeout` passes.
/// `None` waits forever. Uses `ppoll` with a nanosecond timeout computed
/// against one deadline, so `EINTR` retries with the remaining time only.
pub fn wait_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ts = deadline.map(|d| {
            let left = d.saturating_duration_since(Instant::now());
            libc::timespec {
                tv_sec: left.as_secs() as libc::time_t,
                tv_nsec: left.subsec_nanos() as libc::c_long,
            }
        });
        let ts_ptr = ts.as_ref().map_or(ptr::null(), |t| t as *const _);
        // SAFETY: `pfd` is one valid pollfd, `ts_ptr` is null or points at a
        // live timespec, and a null sigmask leaves the mask unchanged.
        let n = unsafe { libc::ppoll(&mut pfd, 1, ts_ptr, ptr::null()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        return Ok(n > 0);
    }
}
