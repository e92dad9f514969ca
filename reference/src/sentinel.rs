//! `Sentinel`: a descriptor that becomes readable when the child ends.

use std::fmt;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::popen;
use crate::process::{Inner, Process};

/// A waitable handle, ready when the child has ended: a pidfd where the
/// kernel has `pidfd_open` (Linux 5.3+), otherwise the read end of a pipe
/// whose write end only the child holds.
///
/// The descriptor belongs to the [`Process`]: `as_raw_fd` is usable with
/// `poll`/`epoll` until the process object is closed, after which the
/// number is closed (and may be reused), as with CPython's integer sentinel.
pub struct Sentinel {
    fd: RawFd,
    inner: Arc<Inner>,
}

impl Sentinel {
    pub(crate) fn new(fd: RawFd, inner: Arc<Inner>) -> Sentinel {
        Sentinel { fd, inner }
    }

    /// The descriptor number.
    pub fn as_raw_fd(&self) -> RawFd {
        self.fd
    }

    /// Waits until the child has ended (`Ok(true)`) or `timeout` passes
    /// (`Ok(false)`); `None` waits forever, `Some(ZERO)` just checks. Does
    /// not reap the child. `Closed` once the process object is closed.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let fd = Process::sentinel_fd(&self.inner)?;
        popen::wait_fd(&fd, timeout)
    }
}

impl AsRawFd for Sentinel {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl fmt::Debug for Sentinel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sentinel").field("fd", &self.fd).finish()
    }
}
