//! `Process`: one child process object and its lifecycle
//! (created -> running -> exited -> joined -> closed).

use std::fmt;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::authkey::Authkey;
use crate::context::{self, ChildIdentity};
use crate::error::{Error, ErrorKind, Result};
use crate::exit;
use crate::launch::{self, StartMethod};
use crate::object::{self, not_parent, Inner, State};
use crate::sentinel::Sentinel;
use crate::sys;
use crate::target::{Target, TargetKind};

/// A child process object, like CPython's `multiprocessing.Process`.
///
/// Cloning gives another reference to the *same* object (as assigning a
/// Python variable does); it is `Send + Sync`, so several threads may join
/// it at once. Every method returns [`Result`]; the error kinds and
/// messages follow CPython's (see [`ErrorKind`]).
///
/// After [`close`](Process::close) every operation on the child (start,
/// join, is_alive, exitcode, pid, sentinel, terminate, kill, run) fails
/// with [`ErrorKind::Closed`], while the name, daemon and authkey getters
/// and setters keep working, as in CPython.
#[derive(Clone)]
pub struct Process {
    inner: Arc<Inner>,
}

/// `start`'s checks, in CPython's order; run before and after taking the
/// object's lock for the launch.
fn check_can_start(st: &State) -> Result<()> {
    st.check_closed()?;
    if st.started {
        return Err(Error::new(
            ErrorKind::AlreadyStarted,
            "cannot start a process twice",
        ));
    }
    if !st.is_parent() {
        return Err(not_parent(
            "can only start a process object created by current process",
        ));
    }
    if context::config().daemon {
        return Err(Error::new(
            ErrorKind::DaemonicChildren,
            "daemonic processes are not allowed to have children",
        ));
    }
    Ok(())
}

/// Configures a [`Process`] before it is built.
pub struct Builder {
    target: Target,
    name: Option<String>,
    daemon: Option<bool>,
    start_method: Option<StartMethod>,
    pass_fds: Vec<sys::RawDesc>,
    group: Option<String>,
}

impl Builder {
    /// The name (default `Process-N`; an empty name also means default).
    pub fn name(mut self, n: impl Into<String>) -> Self {
        self.name = Some(n.into());
        self
    }

    /// The daemon flag (default: the current process's).
    pub fn daemon(mut self, d: bool) -> Self {
        self.daemon = Some(d);
        self
    }

    /// The start method (default: [`get_start_method`](crate::get_start_method)).
    pub fn start_method(mut self, m: StartMethod) -> Self {
        self.start_method = Some(m);
        self
    }

    /// Keeps `fd` open at the same number in a spawned child (fork children
    /// inherit every descriptor anyway).
    #[cfg(unix)]
    pub fn pass_fd(mut self, fd: std::os::fd::RawFd) -> Self {
        self.pass_fds.push(fd);
        self
    }

    /// Windows: keeps `handle` open at the same value in the spawned child
    /// (it is made inheritable only while the child is created).
    #[cfg(windows)]
    pub fn pass_handle(mut self, handle: std::os::windows::io::RawHandle) -> Self {
        self.pass_fds.push(handle as usize);
        self
    }

    /// CPython's `group` argument, which "should always be None; it exists
    /// solely for compatibility with threading.Thread": any group given
    /// here makes [`try_build`](Builder::try_build) refuse (and
    /// [`build`](Builder::build) panic). For code ported from Python that
    /// passes one through.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Builds the object, or refuses a [`group`](Builder::group) with
    /// `InvalidArgument` (CPython's `AssertionError('group argument must be
    /// None for now')`), before anything else: no object is made and the
    /// counter does not advance.
    pub fn try_build(self) -> Result<Process> {
        if self.group.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "group argument must be None for now",
            ));
        }
        Ok(self.build_checked())
    }

    /// Builds the object. Advances this process's counter, even when a
    /// name was given, like CPython.
    ///
    /// # Panics
    ///
    /// If a [`group`](Builder::group) was given: use
    /// [`try_build`](Builder::try_build) to get the error instead.
    pub fn build(self) -> Process {
        match self.try_build() {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    fn build_checked(self) -> Process {
        let mut cfg = context::config();
        let n = cfg.counter;
        cfg.counter += 1;
        let mut identity = cfg.identity.clone();
        identity.push(n);
        let name = match self.name {
            Some(name) if !name.is_empty() => name,
            _ => {
                use std::fmt::Write;
                let mut name = String::with_capacity(8 + 4 * identity.len());
                name.push_str("Process-");
                for (i, n) in identity.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ":" };
                    let _ = write!(name, "{sep}{n}");
                }
                name
            }
        };
        let state = State {
            name,
            daemon: self.daemon.unwrap_or(cfg.daemon),
            authkey: cfg.authkey.clone(),
            identity,
            parent_pid: sys::getpid(),
            start_method: self.start_method.unwrap_or(cfg.start_method),
            pass_fds: self.pass_fds,
            target: self.target.kind,
            started: false,
            pid: None,
            popen: None,
            closed: false,
        };
        Process::from_state(state)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("target", &self.target)
            .field("name", &self.name)
            .field("daemon", &self.daemon)
            .field("start_method", &self.start_method)
            .field("pass_fds", &self.pass_fds)
            .field("group", &self.group)
            .finish()
    }
}

impl Process {
    /// A process object with the default name, the current process's
    /// daemon flag and authkey, and the global start method.
    pub fn new(target: Target) -> Process {
        Process::builder(target).build()
    }

    /// A [`Builder`] for `target`.
    pub fn builder(target: Target) -> Builder {
        Builder {
            target,
            name: None,
            daemon: None,
            start_method: None,
            pass_fds: Vec::new(),
            group: None,
        }
    }

    fn from_state(state: State) -> Process {
        Process {
            inner: Inner::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Starts the child. Errors, in CPython's order: `Closed`,
    /// `AlreadyStarted`, `NotParent`, `DaemonicChildren`; then `Unsupported`
    /// (closure under spawn), `InvalidArgument` (unregistered target),
    /// `NotSerializable` or `Os`, after which the object is still *created*.
    /// First reaps finished children (CPython `_cleanup`).
    pub fn start(&self) -> Result<()> {
        check_can_start(&self.lock())?;
        object::cleanup();
        exit::install_panic_hook();
        let mut st = self.lock();
        check_can_start(&st)?;
        let method = st.start_method;
        let body = st.target.take_body(method)?;
        let who = ChildIdentity {
            name: st.name.clone(),
            identity: st.identity.clone(),
            daemon: st.daemon,
            authkey: st.authkey.clone(),
            parent_name: context::config().name.clone(),
            parent_pid: sys::getpid(),
        };
        let pass_fds = st.pass_fds.clone();
        // Launch without holding our own lock: a fork child inherits memory,
        // and a lock held across the fork would stay locked in the child
        // forever (its target may use a clone of this very object).
        st.started = true;
        drop(st);
        let launched = launcher(method).launch(who, body, &pass_fds);
        let mut st = self.lock();
        let popen = launched.inspect_err(|_| st.started = false)?;
        st.pid = Some(popen.pid as u32);
        st.popen = Some(popen);
        drop(st);
        object::children().push(Arc::clone(&self.inner));
        Ok(())
    }

    /// Waits for the child to exit; `None` waits forever, `Some(d)` at most
    /// `d` (returning `Ok(())` on timeout too, like CPython). Waiting polls
    /// the child's pidfd; no sleeping. Any number of threads may join.
    pub fn join(&self, timeout: Option<Duration>) -> Result<()> {
        self.inner.join(timeout)
    }

    /// Whether the child is running. `false` before start; polls (and
    /// reaps) an exited child.
    pub fn is_alive(&self) -> Result<bool> {
        self.inner.is_alive()
    }

    /// The name.
    pub fn name(&self) -> Result<String> {
        Ok(self.lock().name.clone())
    }

    /// Renames the object. After start this does not reach the child.
    pub fn set_name(&self, name: impl Into<String>) -> Result<()> {
        self.lock().name = name.into();
        Ok(())
    }

    /// The daemon flag.
    pub fn daemon(&self) -> Result<bool> {
        Ok(self.lock().daemon)
    }

    /// Sets the daemon flag; `AlreadyStarted` once started (until closed).
    pub fn set_daemon(&self, daemon: bool) -> Result<()> {
        let mut st = self.lock();
        if st.started && !st.closed {
            return Err(Error::new(
                ErrorKind::AlreadyStarted,
                "process has already started",
            ));
        }
        st.daemon = daemon;
        Ok(())
    }

    /// The child's pid: `None` before start, kept after exit until close.
    pub fn pid(&self) -> Result<Option<u32>> {
        let st = self.lock();
        st.check_closed()?;
        Ok(st.pid)
    }

    /// `None` before start and while running; the exit status, or `-N`
    /// after death by signal N. Polls (and reaps) an exited child.
    pub fn exitcode(&self) -> Result<Option<i32>> {
        self.inner.exitcode()
    }

    /// The key the child gets (or got) as its own.
    pub fn authkey(&self) -> Result<Authkey> {
        Ok(self.lock().authkey.clone())
    }

    /// Sets the key; after start this does not reach the child.
    pub fn set_authkey(&self, key: Authkey) -> Result<()> {
        self.lock().authkey = key;
        Ok(())
    }

    /// A waitable handle that becomes ready when the child ends. Its fd
    /// belongs to this object and is closed by [`close`](Process::close).
    pub fn sentinel(&self) -> Result<Sentinel> {
        let st = self.lock();
        st.check_closed()?;
        match st.popen.as_ref() {
            Some(p) => Ok(Sentinel::new(&p.fd(), Arc::clone(&self.inner))),
            None => Err(Error::new(ErrorKind::NotStarted, "process not started")),
        }
    }

    /// Sends SIGTERM (nothing once the exit code is known).
    pub fn terminate(&self) -> Result<()> {
        self.inner.signal(sys::SIGTERM)
    }

    /// Sends SIGKILL (nothing once the exit code is known).
    pub fn kill(&self) -> Result<()> {
        self.inner.signal(sys::SIGKILL)
    }

    /// Releases the child's resources (reaps it, closes the sentinel fd).
    /// `StillRunning` while the child runs; fine before start and when
    /// already closed. A deserialised or inherited handle of a started
    /// child gives `NotParent`.
    pub fn close(&self) -> Result<()> {
        self.inner.close()
    }

    /// Runs the target in the *current* process (CPython `run()`).
    /// `AlreadyStarted` after start (the target went to the child); a
    /// closure target can be run once.
    pub fn run(&self) -> Result<()> {
        let body = {
            let mut st = self.lock();
            st.check_closed()?;
            if st.started {
                return Err(Error::new(
                    ErrorKind::AlreadyStarted,
                    "the target was consumed by start()",
                ));
            }
            st.target.take_body(StartMethod::Fork)?
        };
        body.run()
    }

    /// The start method this object uses.
    pub fn start_method(&self) -> StartMethod {
        self.lock().start_method
    }
}

/// Python's `repr` of a string, as `%r` prints a name.
fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn exitcode_name(code: i32) -> String {
    let name = match -code {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return code.to_string(),
    };
    format!("-{name}")
}

/// Like CPython's `repr`, e.g.
/// `<Process name='Process-1' pid=123 parent=99 started>`. Polls the child
/// (as `repr` does). Never shows the authkey.
impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut st = self.lock();
        let mut exitcode = None;
        let status = if st.closed {
            "closed"
        } else if !st.is_parent() {
            "unknown"
        } else if st.popen.is_none() {
            "initial"
        } else {
            exitcode = st.poll();
            if exitcode.is_some() {
                "stopped"
            } else {
                "started"
            }
        };
        write!(f, "<Process name={}", py_repr(&st.name))?;
        if let (Some(pid), false) = (st.pid, st.closed) {
            write!(f, " pid={pid}")?;
        }
        write!(f, " parent={} {status}", st.parent_pid)?;
        if let Some(code) = exitcode {
            write!(f, " exitcode={}", exitcode_name(code))?;
        }
        if st.daemon {
            f.write_str(" daemon")?;
        }
        f.write_str(">")
    }
}

/// What a serialised handle carries: no target, no authkey, no fds.
#[derive(Serialize, Deserialize)]
struct Wire {
    name: String,
    daemon: bool,
    identity: Vec<u32>,
    parent_pid: u32,
    start_method: u8,
    pid: Option<u32>,
    started: bool,
    closed: bool,
}

/// A handle can be sent to another process (e.g. as a spawn argument).
/// The target, the authkey and the child's descriptors stay behind: on the
/// receiving side the authkey is that process's own, `run()` does nothing,
/// and every operation on the child fails with `NotParent`.
impl Serialize for Process {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let st = self.lock();
        Wire {
            name: st.name.clone(),
            daemon: st.daemon,
            identity: st.identity.clone(),
            parent_pid: st.parent_pid,
            start_method: st.start_method.code(),
            pid: st.pid,
            started: st.started,
            closed: st.closed,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Process, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(Process::from_state(State {
            name: w.name,
            daemon: w.daemon,
            authkey: context::config().authkey.clone(),
            identity: w.identity,
            parent_pid: w.parent_pid,
            start_method: StartMethod::from_code(w.start_method),
            pass_fds: Vec::new(),
            target: TargetKind::Nothing,
            started: w.started,
            pid: w.pid,
            popen: None,
            closed: w.closed,
        }))
    }
}

/// The started children of this process that are still alive. Polls (and
/// so reaps) the finished ones first, like CPython.
pub fn active_children() -> Vec<Process> {
    object::active_children()
        .into_iter()
        .map(|inner| Process { inner })
        .collect()
}

/// The launcher for `m`.
fn launcher(m: StartMethod) -> &'static dyn launch::Launcher {
    match m {
        #[cfg(unix)]
        StartMethod::Fork => &crate::fork::ForkLauncher,
        #[cfg(not(unix))]
        StartMethod::Fork => &crate::fork::NoFork,
        StartMethod::Spawn => &crate::spawn::SpawnLauncher,
    }
}
