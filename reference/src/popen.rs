//! The parent's handle on one started child: pid, waitable descriptor and
//! cached exit code (CPython's `Popen` object).

//!
//! On Unix the waitable is a pidfd or a pipe; on Windows the process
//! handle, and `terminate`/`kill` are `TerminateProcess` (CPython's
//! `popen_spawn_win32`).

use std::io;
#[cfg(unix)]
use std::os::fd::{AsFd, OwnedFd, RawFd};
#[cfg(unix)]
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::sys;
#[cfg(unix)]
use crate::sys::WaitTarget;

#[cfg(unix)]
/// Environment switch that forces the pipe fallback (to test it).
const NO_PIDFD_ENV: &str = "PROCSPEC_REFERENCE_NO_PIDFD";

#[cfg(unix)]
/// Whether `pidfd_open` works here: probed once.
fn pidfd_supported() -> bool {
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let ok = std::env::var_os(NO_PIDFD_ENV).is_none()
                && sys::pidfd_open(sys::getpid() as i32).is_ok();
            STATE.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
            ok
        }
    }
}

/// This process's own sentinel pipe write end (its creator's sentinel,
/// without pidfd), or -1. A fork child closes the one it inherited, so
/// that only the process a sentinel stands for holds its write end.
#[cfg(unix)]
static OWN_SENTINEL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// In a new child (fork: right after the fork; spawn: at `init`): `fd` is
/// this process's sentinel write end from now on; the one inherited from
/// the parent (the parent's own) is closed, or the parent's sentinel
/// would stay unready until this child ended too. Async-signal-safe.
#[cfg(unix)]
pub(crate) fn own_sentinel(fd: Option<RawFd>) {
    let old = OWN_SENTINEL.swap(fd.unwrap_or(-1), Ordering::SeqCst);
    if old >= 0 && Some(old) != fd {
        sys::close_fd(old);
    }
}

#[cfg(unix)]
/// Prepared before launching: `None` means "use a pidfd", otherwise the
/// fallback pipe whose write end only the child keeps open.
pub(crate) struct SentinelPrep {
    pub pipe: Option<(OwnedFd, OwnedFd)>,
}

#[cfg(unix)]
impl SentinelPrep {
    pub(crate) fn new() -> Result<SentinelPrep> {
        let pipe = if pidfd_supported() {
            None
        } else {
            Some(sys::pipe().map_err(|e| Error::os("pipe", e))?)
        };
        Ok(SentinelPrep { pipe })
    }

    /// The write end the child must keep, for the fallback.
    pub(crate) fn child_end(&self) -> Option<RawFd> {
        use std::os::fd::AsRawFd;
        self.pipe.as_ref().map(|(_, w)| w.as_raw_fd())
    }
}

#[cfg(unix)]
pub(crate) struct Popen {
    pub pid: i32,
    fd: Arc<OwnedFd>,
    is_pidfd: bool,
    pub returncode: Option<i32>,
}

#[cfg(unix)]
impl Popen {
    /// Wraps a freshly launched child. On failure to get a sentinel the
    /// child is killed and reaped, so nothing leaks.
    pub(crate) fn attach(pid: i32, prep: SentinelPrep) -> Result<Popen> {
        let (fd, is_pidfd) = match prep.pipe {
            Some((r, w)) => {
                drop(w);
                (r, false)
            }
            None => match sys::pidfd_open(pid) {
                Ok(fd) => (fd, true),
                Err(e) => {
                    let _ = sys::kill(pid, sys::SIGKILL);
                    let _ = sys::reap(WaitTarget::Pid(pid), true);
                    return Err(Error::os("pidfd_open", e));
                }
            },
        };
        Ok(Popen {
            pid,
            fd: Arc::new(fd),
            is_pidfd,
            returncode: None,
        })
    }

    /// The waitable descriptor, shared so that waiters can poll it without
    /// holding the process lock.
    pub(crate) fn fd(&self) -> Arc<OwnedFd> {
        Arc::clone(&self.fd)
    }

    fn reap(&mut self, block: bool) -> Option<i32> {
        if self.returncode.is_some() {
            return self.returncode;
        }
        let target = if self.is_pidfd {
            WaitTarget::Pidfd(self.fd.as_fd())
        } else {
            WaitTarget::Pid(self.pid)
        };
        // ECHILD (someone else reaped it) reads as "unknown", like CPython.
        match sys::reap(target, block) {
            Ok(Some(code)) => self.returncode = Some(code),
            // A pipe sentinel hangs up when the child closes its
            // descriptors on the way out, a moment before it can be reaped:
            // then the blocking reap is prompt, and a ready sentinel always
            // means a known exit code, as with a pidfd.
            Ok(None) if !block && !self.is_pidfd => {
                if matches!(
                    sys::wait_readable(self.fd.as_fd(), Some(Duration::ZERO)),
                    Ok(true)
                ) {
                    return self.reap(true);
                }
            }
            _ => {}
        }
        self.returncode
    }

    /// Non-blocking: reaps the child if it has exited.
    pub(crate) fn poll(&mut self) -> Option<i32> {
        self.reap(false)
    }

    /// After the descriptor became ready: the child has exited (pidfd) or
    /// is about to (pipe hang-up), so a blocking reap returns promptly.
    pub(crate) fn reap_ready(&mut self) -> Option<i32> {
        self.reap(true)
    }

    /// Sends `sig` unless the exit code is known. The child is not reaped
    /// (the caller holds the process lock), so the pid is still ours: at
    /// worst a zombie gets a harmless signal.
    pub(crate) fn signal(&mut self, sig: i32) -> Result<()> {
        if self.returncode.is_none() {
            match sys::kill(self.pid, sig) {
                Err(e) if e.raw_os_error() != Some(libc::ESRCH) => {
                    return Err(Error::os("kill", e))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A started child on Windows: pid, process handle, cached exit code.
#[cfg(windows)]
pub(crate) struct Popen {
    pub pid: i32,
    handle: Arc<sys::Waitable>,
    pub returncode: Option<i32>,
}

#[cfg(windows)]
impl Popen {
    pub(crate) fn attach(pid: u32, handle: sys::Waitable) -> Popen {
        Popen {
            pid: pid as i32,
            handle: Arc::new(handle),
            returncode: None,
        }
    }

    /// The process handle, shared so that waiters need not hold the lock.
    pub(crate) fn fd(&self) -> Arc<sys::Waitable> {
        Arc::clone(&self.handle)
    }

    /// Non-blocking: the exit code if the child has ended.
    pub(crate) fn poll(&mut self) -> Option<i32> {
        if self.returncode.is_none() {
            if let Ok(Some(code)) = sys::exit_code(&self.handle) {
                self.returncode = Some(code);
            }
        }
        self.returncode
    }

    /// After the handle became signalled.
    pub(crate) fn reap_ready(&mut self) -> Option<i32> {
        self.poll()
    }

    /// `terminate()` and `kill()` alike: `TerminateProcess` with CPython's
    /// code; the exit code is known at once (`-15`), as in CPython.
    pub(crate) fn signal(&mut self, _sig: i32) -> Result<()> {
        if self.returncode.is_none() {
            let code =
                sys::terminate(&self.handle).map_err(|e| Error::os("TerminateProcess", e))?;
            self.returncode = code;
        }
        Ok(())
    }
}

/// Waits for the child's waitable to become ready; `Ok(false)` on timeout.
pub(crate) fn wait_fd(fd: &sys::Waitable, timeout: Option<Duration>) -> Result<bool> {
    sys::wait_ready(fd, timeout).map_err(|e: io::Error| Error::os("wait", e))
}
