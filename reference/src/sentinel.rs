//! `Sentinel`: a waitable that becomes ready when the child ends.

use std::fmt;
#[cfg(unix)]
use std::os::fd::{AsRawFd, RawFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawHandle, RawHandle};
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::object::Inner;
use crate::popen;
use crate::sys;

/// A waitable handle, ready when the child has ended. On Linux a pidfd
/// where the kernel has `pidfd_open` (Linux 5.3+), otherwise (and on macOS
/// and the BSDs) the read end of a pipe whose write end only the child
/// holds; on Windows the child's process handle, as CPython's sentinel.
///
/// The descriptor belongs to the [`Process`](crate::Process): `as_raw_fd` is usable with
/// `poll`/`epoll` (`as_raw_handle` with `WaitForMultipleObjects`) until the
/// process object is closed, after which it is closed (and may be reused),
/// as with CPython's integer sentinel.
pub struct Sentinel {
    /// The descriptor number or handle value.
    raw: usize,
    inner: Arc<Inner>,
}

impl Sentinel {
    pub(crate) fn new(w: &sys::Waitable, inner: Arc<Inner>) -> Sentinel {
        #[cfg(unix)]
        let raw = w.as_raw_fd() as usize;
        #[cfg(windows)]
        let raw = w.as_raw_handle() as usize;
        Sentinel { raw, inner }
    }

    /// The descriptor number.
    #[cfg(unix)]
    pub fn as_raw_fd(&self) -> RawFd {
        self.raw as RawFd
    }

    /// The process handle.
    #[cfg(windows)]
    pub fn as_raw_handle(&self) -> RawHandle {
        self.raw as RawHandle
    }

    /// Waits until the child has ended (`Ok(true)`) or `timeout` passes
    /// (`Ok(false)`); `None` waits forever, `Some(ZERO)` just checks. Does
    /// not reap the child. `Closed` once the process object is closed.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let fd = self.inner.sentinel_fd()?;
        popen::wait_fd(&fd, timeout)
    }
}

#[cfg(unix)]
impl AsRawFd for Sentinel {
    fn as_raw_fd(&self) -> RawFd {
        self.raw as RawFd
    }
}

#[cfg(windows)]
impl AsRawHandle for Sentinel {
    fn as_raw_handle(&self) -> RawHandle {
        self.raw as RawHandle
    }
}

impl fmt::Debug for Sentinel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sentinel").field("raw", &self.raw).finish()
    }
}
