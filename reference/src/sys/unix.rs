//! Unix system calls: the only place in the crate that calls libc.
//!
//! Every function here is safe to call; each `unsafe` block states why it
//! is sound. Descriptors come back as [`OwnedFd`] with `O_CLOEXEC` set, so a
//! spawned child inherits only what the spawn code deliberately hands over.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::{Duration, Instant};

/// SIGTERM, sent by `terminate()`.
pub const SIGTERM: i32 = libc::SIGTERM;
/// SIGKILL, sent by `kill()`.
pub const SIGKILL: i32 = libc::SIGKILL;

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// The pid of the calling process.
pub fn getpid() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    let pid = unsafe { libc::getpid() };
    pid as u32
}

/// A pipe `(read end, write end)`, both ends close-on-exec.
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

/// Sets or clears `FD_CLOEXEC` on `fd`.
pub fn set_cloexec(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: fcntl on an arbitrary int is memory-safe; a bad fd is EBADF.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    let new = if on {
        flags | libc::FD_CLOEXEC
    } else {
        flags & !libc::FD_CLOEXEC
    };
    // SAFETY: as above.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, new) })?;
    Ok(())
}

/// Whether `fd` is an open descriptor of this process.
pub fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor flags; bad fds give EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Takes ownership of a descriptor inherited across `execve` (the spawn
/// payload pipe). Returns `None` if `fd` is not open.
pub fn take_inherited_fd(fd: RawFd) -> Option<OwnedFd> {
    if fd < 0 || !fd_is_open(fd) {
        return None;
    }
    // SAFETY: the fd is open, was created for us by the spawning parent and
    // nothing else in this process knows its number, so we are its owner.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill takes plain integers.
    cvt(unsafe { libc::kill(pid, sig) })?;
    Ok(())
}

/// Ends the process at once, without atexit handlers or stdio flushing.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// Registers `f` with libc's `atexit`.
pub fn atexit(f: extern "C" fn()) -> io::Result<()> {
    // SAFETY: `f` is a plain `extern "C" fn()` that lives for the program.
    if unsafe { libc::atexit(f) } != 0 {
        return Err(io::Error::other("atexit registration failed"));
    }
    Ok(())
}

/// Writes all of `buf` to `fd`, retrying on `EINTR`.
pub fn write_all(fd: RawFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a valid readable slice of the given length.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        buf = &buf[n as usize..];
    }
    Ok(())
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

/// How a child is identified when waiting for it.
#[derive(Debug, Clone, Copy)]
pub enum WaitTarget<'a> {
    /// A pidfd: `waitid(P_PIDFD)`, immune to pid reuse.
    Pidfd(BorrowedFd<'a>),
    /// A plain pid: `waitid(P_PID)`.
    Pid(i32),
}

/// Reaps the child if it has exited (`block == false`: `WNOHANG`) or waits
/// until it does (`block == true`). Returns CPython's exit code: the exit
/// status, or `-N` for death by signal N. `Ok(None)`: still running.
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

/// Forks. In the child runs `child` and `_exit`s with its return value; in
/// the parent returns the child's pid.
///
/// The child of a multithreaded parent is strictly allowed only
/// async-signal-safe calls. `child` runs ordinary Rust (allocation, locks):
/// callers acquire every lock the child needs before calling this (glibc's
/// malloc has its own fork handlers), which is what makes that work.
///
/// # Safety
///
/// Every lock `child` takes must be held by the calling thread when this
/// is called (and released by `child` in the child, by the caller in the
/// parent); `child` must not wait for any other thread of the parent.
pub unsafe fn fork_then<F: FnOnce() -> i32>(child: F) -> io::Result<i32> {
    // SAFETY: fork itself is sound; the child below never returns into the
    // caller's frame (it `_exit`s), and the caller holds the locks the child
    // uses (this function's contract), so it cannot wait on a vanished
    // thread.
    let pid = cvt(unsafe { libc::fork() })?;
    if pid == 0 {
        let code = child();
        exit_now(code);
    }
    Ok(pid)
}

/// `fork` + `execve(path, argv, envp)`. Between the two the child only
/// clears `FD_CLOEXEC` on `keep` and execs (async-signal-safe calls only);
/// all strings are prepared before forking. Returns the child's pid. An
/// exec failure makes the child `_exit(127)`.
pub fn fork_exec(
    path: &CStr,
    argv: &[CString],
    envp: &[CString],
    keep: &[RawFd],
) -> io::Result<i32> {
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp.iter().map(|a| a.as_ptr()).collect();
    envp_p.push(ptr::null());
    // SAFETY: after fork the child calls only fcntl, execve and _exit, all
    // async-signal-safe, on memory prepared before the fork.
    let pid = cvt(unsafe { libc::fork() })?;
    if pid == 0 {
        for &fd in keep {
            // SAFETY: fcntl is async-signal-safe; a bad fd just fails.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags != -1 {
                    libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
                }
            }
        }
        // SAFETY: both arrays are null-terminated and point at live CStrings.
        unsafe {
            libc::execve(path.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr());
            libc::_exit(127);
        }
    }
    Ok(pid)
}

/// Raw building blocks for the benchmark's baselines. Not part of the API.
#[doc(hidden)]
pub mod bench_raw {
    use super::*;

    pub use super::{kill, pidfd_open, pipe, reap, wait_readable, write_all, WaitTarget};

    /// `CLOCK_MONOTONIC` in nanoseconds (the clock behind `Instant`), which
    /// is comparable across processes.
    pub fn monotonic_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    /// fork; the child `_exit`s with `code` straight away.
    pub fn fork_exit(code: i32) -> io::Result<i32> {
        // SAFETY: the child only calls _exit, which is async-signal-safe.
        let pid = cvt(unsafe { libc::fork() })?;
        if pid == 0 {
            exit_now(code);
        }
        Ok(pid)
    }

    /// fork; the child blocks reading `fd` (one byte or EOF), then `_exit(0)`.
    pub fn fork_block_on(fd: RawFd) -> io::Result<i32> {
        // SAFETY: the child only calls read and _exit (async-signal-safe).
        let pid = cvt(unsafe { libc::fork() })?;
        if pid == 0 {
            let mut b = 0u8;
            // SAFETY: `b` is a valid one-byte buffer.
            unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
            exit_now(0);
        }
        Ok(pid)
    }

    /// fork; the child blocks reading `gate`, writes [`monotonic_ns`] (8
    /// bytes, native endian) to `out`, then `_exit(0)`.
    pub fn fork_stamp_exit(gate: RawFd, out: RawFd) -> io::Result<i32> {
        // SAFETY: the child only calls read, clock_gettime, write and _exit,
        // all async-signal-safe.
        let pid = cvt(unsafe { libc::fork() })?;
        if pid == 0 {
            let mut b = 0u8;
            // SAFETY: `b` is a valid one-byte buffer.
            unsafe { libc::read(gate, (&mut b as *mut u8).cast(), 1) };
            let _ = write_all(out, &monotonic_ns().to_ne_bytes());
            exit_now(0);
        }
        Ok(pid)
    }

    /// `waitpid(pid, 0)`, returning the raw status.
    pub fn waitpid(pid: i32) -> io::Result<i32> {
        let mut status = 0;
        // SAFETY: `status` is a valid int for waitpid to fill.
        cvt(unsafe { libc::waitpid(pid, &mut status, 0) })?;
        Ok(status)
    }
}
