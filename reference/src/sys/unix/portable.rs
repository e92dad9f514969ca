//! The portable POSIX backend (macOS, the BSDs, and Linux with the
//! `force-portable` feature): `pipe` + `fcntl(FD_CLOEXEC)`, `getentropy`,
//! `poll` with a millisecond timeout, `waitpid`, and no pidfd: the
//! sentinel is always the read end of a pipe whose write end only the
//! child holds (the self-pipe fallback the Linux backend keeps for old
//! kernels).
//!
//! Only interfaces POSIX.1-2008 (plus `getentropy`, in POSIX.1-2024 and in
//! every BSD, macOS 10.12+ and glibc 2.25+) are used, so that what runs
//! here on Linux is what macOS and FreeBSD run.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::{cvt, set_cloexec, WaitTarget};

/// The backend's name, as `procspec_reference::platform()` reports it.
pub const BACKEND: &str = "posix";

/// A pipe `(read end, write end)`, both ends close-on-exec. Not atomic
/// (there is no `pipe2` in POSIX.1-2008): a concurrent `fork`+`exec` on
/// another thread may inherit the ends, which only delays that pipe's EOF
/// until the other child execs (its exec closes nothing: it keeps them).
/// The reference spawns under its own lock, so its own children do not.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe to fill.
    cvt(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: pipe succeeded, so both fds are open and owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    set_cloexec(r.as_raw_fd(), true)?;
    set_cloexec(w.as_raw_fd(), true)?;
    Ok((r, w))
}

/// No pidfds here: always `Unsupported`, so the sentinel is a pipe.
pub fn pidfd_open(_pid: i32) -> io::Result<OwnedFd> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no pidfd on the portable POSIX backend",
    ))
}

/// Fills `buf` from the OS random source, `getentropy` (at most 256 bytes
/// a call).
pub fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    for chunk in buf.chunks_mut(256) {
        // SAFETY: `chunk` is a valid writable slice of at most 256 bytes.
        cvt(unsafe { libc::getentropy(chunk.as_mut_ptr().cast(), chunk.len()) })?;
    }
    Ok(())
}

/// Reaps the child with `waitpid` (`WNOHANG` unless `block`). Returns
/// CPython's exit code: the exit status, or `-N` for death by signal N.
/// `Ok(None)`: still running.
pub fn reap(target: WaitTarget<'_>, block: bool) -> io::Result<Option<i32>> {
    let pid = match target {
        WaitTarget::Pid(pid) => pid,
        WaitTarget::Pidfd(_) => return Err(io::Error::from(io::ErrorKind::Unsupported)),
    };
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid int for waitpid to fill.
        let ret = unsafe { libc::waitpid(pid, &mut status, flags) };
        if ret == -1 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if ret == 0 {
            return Ok(None);
        }
        if libc::WIFEXITED(status) {
            return Ok(Some(libc::WEXITSTATUS(status)));
        }
        if libc::WIFSIGNALED(status) {
            return Ok(Some(-libc::WTERMSIG(status)));
        }
        // Stopped or continued: only reported with WUNTRACED/WCONTINUED,
        // which we do not pass; keep waiting to be safe.
        if !block {
            return Ok(None);
        }
    }
}

/// Waits until `fd` is readable (`POLLIN` or hang-up) or `timeout` passes.
/// `None` waits forever. `poll` takes milliseconds: the remaining time is
/// rounded up, so a wait never ends before its deadline, and `EINTR` or an
/// early wake-up retries with the remaining time only.
pub fn wait_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms: libc::c_int = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                let ms = left.as_nanos().div_ceil(1_000_000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        };
        // SAFETY: `pfd` is one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n > 0 {
            return Ok(true);
        }
        if ms == 0 {
            return Ok(false);
        }
    }
}
