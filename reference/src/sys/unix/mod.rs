//! Unix system calls: the only place in the crate that calls libc.
//!
//! Every function here is safe to call; each `unsafe` block states why it
//! is sound. Descriptors come back as [`OwnedFd`] with `O_CLOEXEC` set, so a
//! spawned child inherits only what the spawn code deliberately hands over.
//!
//! What POSIX has is here; what differs is in one of two backends:
//! `linux` (pidfd, `pipe2`, `getrandom`, `ppoll`, `waitid(P_PIDFD)`) and
//! `portable` (macOS, the BSDs: `pipe` + `fcntl`, `getentropy`, `poll`,
//! `waitpid`, a pipe sentinel). Linux builds the portable one too when the
//! `force-portable` feature is on, so that CI runs the code macOS runs.

#[cfg(all(target_os = "linux", not(feature = "force-portable")))]
mod linux;
#[cfg(all(target_os = "linux", not(feature = "force-portable")))]
pub use linux::*;
#[cfg(any(not(target_os = "linux"), feature = "force-portable"))]
mod portable;
#[cfg(any(not(target_os = "linux"), feature = "force-portable"))]
pub use portable::*;

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

/// SIGTERM, sent by `terminate()`.
pub const SIGTERM: i32 = libc::SIGTERM;
/// SIGKILL, sent by `kill()`.
pub const SIGKILL: i32 = libc::SIGKILL;

pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
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

/// Closes a raw descriptor this process owns outside any `OwnedFd`
/// (an inherited sentinel write end). Async-signal-safe.
pub fn close_fd(fd: RawFd) {
    // SAFETY: close takes an integer; callers pass a descriptor nothing
    // else in the process owns (see `popen::own_sentinel`).
    unsafe {
        libc::close(fd);
    }
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

/// How a child is identified when waiting for it.
#[derive(Debug, Clone, Copy)]
pub enum WaitTarget<'a> {
    /// A pidfd: `waitid(P_PIDFD)`, immune to pid reuse (Linux backend).
    #[cfg_attr(
        not(all(target_os = "linux", not(feature = "force-portable"))),
        allow(dead_code)
    )]
    Pidfd(BorrowedFd<'a>),
    /// A plain pid.
    Pid(i32),
}

/// The waitable object of a child: a pidfd or the sentinel pipe's read end.
pub type Waitable = OwnedFd;

/// A raw descriptor handed to a child (`pass_fd`).
pub type RawDesc = RawFd;

/// Waits until `w` is ready (the child ended) or `timeout` passes.
pub fn wait_ready(w: &Waitable, timeout: Option<std::time::Duration>) -> io::Result<bool> {
    use std::os::fd::AsFd;
    wait_readable(w.as_fd(), timeout)
}

/// Writes `buf` to standard error, unbuffered (for the exit handler).
pub fn write_stderr(buf: &[u8]) -> io::Result<()> {
    write_all(2, buf)
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
