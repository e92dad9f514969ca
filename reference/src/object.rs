//! The shared state of a process object ([`Inner`]), the operations that
//! touch its child (join, poll, signal, close), and this process's table
//! of started children (CPython's `_children`).
//!
//! This sits below [`Process`](crate::Process), the launchers and the exit
//! handler, and imports none of them: a [`Process`](crate::Process) is a
//! handle on an `Inner`, and the exit handler (which terminates and joins
//! children in every process, the children of a child included) works on
//! the table's `Inner`s directly. That keeps the crate's module graph a
//! DAG: process -> launchers -> exit handler -> object.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::authkey::Authkey;
use crate::error::{Error, ErrorKind, Result};
use crate::popen::{self, Popen};
use crate::start_method::StartMethod;
use crate::sys;
use crate::target::TargetKind;

/// What one process object knows, behind [`Inner`]'s lock.
pub(crate) struct State {
    pub name: String,
    pub daemon: bool,
    pub authkey: Authkey,
    pub identity: Vec<u32>,
    /// Pid of the process that created (or deserialised) this object.
    pub parent_pid: u32,
    pub start_method: StartMethod,
    pub pass_fds: Vec<sys::RawDesc>,
    pub target: TargetKind,
    pub started: bool,
    pub pid: Option<u32>,
    pub popen: Option<Popen>,
    pub closed: bool,
}

impl State {
    /// Whether the current process created this object (only its creator
    /// may start, join, poll, signal or close the child).
    pub(crate) fn is_parent(&self) -> bool {
        self.parent_pid == sys::getpid()
    }

    pub(crate) fn check_closed(&self) -> Result<()> {
        if self.closed {
            return Err(Error::closed());
        }
        Ok(())
    }

    /// Polls the child if this process may; the cached code otherwise.
    pub(crate) fn poll(&mut self) -> Option<i32> {
        let parent = self.is_parent();
        let popen = self.popen.as_mut()?;
        if parent {
            popen.poll()
        } else {
            popen.returncode
        }
    }
}

pub(crate) fn not_parent(msg: &str) -> Error {
    Error::new(ErrorKind::NotParent, msg)
}

/// One process object, shared by every clone of its
/// [`Process`](crate::Process) handle and by the children table.
pub(crate) struct Inner {
    state: Mutex<State>,
}

impl Inner {
    pub(crate) fn new(state: State) -> Arc<Inner> {
        Arc::new(Inner {
            state: Mutex::new(state),
        })
    }

    /// Locks the state. A panic while it was held leaves it usable: every
    /// field is valid on its own.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// For `_cleanup`: true once the child has been reaped (or the object
    /// closed), i.e. it no longer belongs in the children table.
    fn poll_finished(&self) -> bool {
        let mut st = self.lock();
        st.closed || st.poll().is_some()
    }

    /// `Process::join`: waits for the child to exit; `None` waits forever,
    /// `Some(d)` at most `d` (returning `Ok(())` on timeout too, like
    /// CPython). Waiting polls the child's sentinel; no sleeping.
    pub(crate) fn join(self: &Arc<Inner>, timeout: Option<Duration>) -> Result<()> {
        let fd = {
            let mut st = self.lock();
            st.check_closed()?;
            if !st.is_parent() {
                return Err(not_parent("can only join a child process"));
            }
            let Some(popen) = st.popen.as_mut() else {
                return Err(Error::new(
                    ErrorKind::NotStarted,
                    "can only join a started process",
                ));
            };
            if popen.poll().is_some() {
                drop(st);
                forget_child(self);
                return Ok(());
            }
            if timeout == Some(Duration::ZERO) {
                return Ok(());
            }
            popen.fd()
        };
        if !popen::wait_fd(&fd, timeout)? {
            return Ok(());
        }
        let done = {
            let mut st = self.lock();
            match st.popen.as_mut() {
                Some(p) => p.reap_ready().is_some(),
                None => true,
            }
        };
        if done {
            forget_child(self);
        }
        Ok(())
    }

    /// `Process::is_alive`: polls (and reaps) an exited child.
    pub(crate) fn is_alive(self: &Arc<Inner>) -> Result<bool> {
        let mut st = self.lock();
        st.check_closed()?;
        if !st.is_parent() {
            return Err(not_parent("can only test a child process"));
        }
        if st.popen.is_none() {
            return Ok(false);
        }
        if st.poll().is_some() {
            drop(st);
            forget_child(self);
            return Ok(false);
        }
        Ok(true)
    }

    /// `Process::exitcode`: polls (and reaps) an exited child.
    pub(crate) fn exitcode(self: &Arc<Inner>) -> Result<Option<i32>> {
        let mut st = self.lock();
        st.check_closed()?;
        if !st.is_parent() {
            return Err(not_parent("can only test a child process"));
        }
        let code = st.poll();
        if code.is_some() {
            drop(st);
            forget_child(self);
        }
        Ok(code)
    }

    /// The descriptor a [`Sentinel`](crate::Sentinel) waits on, while the
    /// object is open.
    pub(crate) fn sentinel_fd(&self) -> Result<Arc<sys::Waitable>> {
        let st = self.lock();
        st.check_closed()?;
        st.popen
            .as_ref()
            .map(Popen::fd)
            .ok_or_else(|| Error::new(ErrorKind::NotStarted, "process not started"))
    }

    /// `Process::terminate` / `kill`: sends `sig` (nothing once the exit
    /// code is known).
    pub(crate) fn signal(&self, sig: i32) -> Result<()> {
        let mut st = self.lock();
        st.check_closed()?;
        if !st.is_parent() {
            return Err(not_parent("can only terminate a child process"));
        }
        let Some(popen) = st.popen.as_mut() else {
            return Err(Error::new(
                ErrorKind::NotStarted,
                "cannot terminate a process that was not started",
            ));
        };
        popen.signal(sig)
    }

    /// `Process::close`: releases the child's resources (reaps it, closes
    /// the sentinel).
    pub(crate) fn close(self: &Arc<Inner>) -> Result<()> {
        let mut st = self.lock();
        if st.closed {
            return Ok(());
        }
        if st.started && !st.is_parent() {
            return Err(not_parent("can only close a child process"));
        }
        if st.popen.is_some() && st.poll().is_none() {
            return Err(Error::new(
                ErrorKind::StillRunning,
                "Cannot close a process while it is still running. \
                 You should first call join() or terminate().",
            ));
        }
        st.popen = None;
        st.pid = None;
        st.closed = true;
        st.target = TargetKind::Nothing;
        drop(st);
        forget_child(self);
        Ok(())
    }
}

/// The started children of this process that may still run (CPython's
/// `_children`): added by `start`, dropped once reaped or closed.
static CHILDREN: Mutex<Vec<Arc<Inner>>> = Mutex::new(Vec::new());

/// Locks the children table. The fork launcher holds it across the fork
/// (so no other thread holds it then) and empties the child's copy.
pub(crate) fn children() -> MutexGuard<'static, Vec<Arc<Inner>>> {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Drops `inner` from the children table.
fn forget_child(inner: &Arc<Inner>) {
    children().retain(|c| !Arc::ptr_eq(c, inner));
}

/// Polls every child and forgets the finished ones (CPython `_cleanup`).
pub(crate) fn cleanup() {
    if children().is_empty() {
        return;
    }
    let snapshot: Vec<Arc<Inner>> = children().clone();
    let done: Vec<Arc<Inner>> = snapshot.into_iter().filter(|c| c.poll_finished()).collect();
    if !done.is_empty() {
        children().retain(|c| !done.iter().any(|d| Arc::ptr_eq(c, d)));
    }
}

/// The children still in the table after a [`cleanup`]: the ones alive
/// (or not yet known to have ended).
pub(crate) fn active_children() -> Vec<Arc<Inner>> {
    cleanup();
    children().clone()
}
