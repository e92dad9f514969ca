//! The parent's handle on one started child: pid, waitable descriptor and
//! cached exit code (CPython's `Popen` object).

use std::io;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::sys::{self, WaitTarget};

/// Environment switch that forces the pipe fallback (to test it).
const NO_PIDFD_ENV: &str = "PROCSPEC_REFERENCE_NO_PIDFD";

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

/// Prepared before launching: `None` means "use a pidfd", otherwise the
/// fallback pipe whose write end only the child keeps open.
pub(crate) struct SentinelPrep {
    pub pipe: Option<(OwnedFd, OwnedFd)>,
}

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

pub(crate) struct Popen {
    pub pid: i32,
    fd: Arc<OwnedFd>,
    is_pidfd: bool,
    pub returncode: Option<i32>,
}

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
        if let Ok(Some(code)) = sys::reap(target, block) {
            self.returncode = Some(code);
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
}

/// Waits for `fd` to become ready; `Ok(false)` on timeout.
pub(crate) fn wait_fd(fd: &OwnedFd, timeout: Option<Duration>) -> Result<bool> {
    sys::wait_readable(fd.as_fd(), timeout).map_err(|e: io::Error| Error::os("ppoll", e))
}
