//! Deadline-bounded waits on descriptors: one [`poll_until`] loop
//! (`EINTR` retried, the deadline re-read each round) behind every wait.

use std::os::fd::BorrowedFd;
use std::time::Instant;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::supervisor::stop_requested;

/// What ended a [`poll_until`].
enum Polled {
    /// A descriptor has events.
    Ready,
    /// The deadline passed (or a stop was requested, when asked to watch).
    TimedOut,
    /// `poll` failed other than by `EINTR`: callers treat it as ready, so
    /// that the read that follows reports the error.
    Failed,
}

/// Poll `fds` for `events` until one is ready or `deadline` passes.
/// `slice_ms` caps one `poll` call; with `watch_stop`, a stop request (the
/// installed supervisor's, `crate::supervisor`) ends the wait as a timeout
/// at the next slice.
fn poll_until(
    fds: &[BorrowedFd<'_>],
    events: PollFlags,
    deadline: Instant,
    slice_ms: u16,
    watch_stop: bool,
) -> Polled {
    loop {
        if watch_stop && stop_requested() {
            return Polled::TimedOut;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u16::try_from(left.as_millis().min(u128::from(slice_ms))).unwrap_or(slice_ms);
        let mut set: Vec<PollFd<'_>> = fds.iter().map(|fd| PollFd::new(*fd, events)).collect();
        match poll(&mut set, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => return Polled::TimedOut,
            Ok(0) => continue,
            Ok(_) => return Polled::Ready,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return Polled::Failed,
        }
    }
}

/// Wait until `fd` is readable or `deadline` passes; retries on EINTR.
/// Returns false on timeout.
/// Returns false at once, too, when the installed supervisor asks the run
/// to stop (SIGINT or SIGTERM reached the runner): waits are cut into
/// slices of at most 100 ms for that.
pub fn wait_readable(fd: BorrowedFd<'_>, deadline: Instant) -> bool {
    !matches!(
        poll_until(&[fd], PollFlags::POLLIN, deadline, 100, true),
        Polled::TimedOut
    )
}

/// Wait until `fd` is writable or `deadline` passes; retries on EINTR.
/// Returns false on timeout.
pub fn wait_writable(fd: BorrowedFd<'_>, deadline: Instant) -> bool {
    !matches!(
        poll_until(&[fd], PollFlags::POLLOUT, deadline, u16::MAX, false),
        Polled::TimedOut
    )
}
