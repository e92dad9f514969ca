//! Process-global state: who the current process is (CPython's
//! `_current_process` config) and its creator. (Its table of children is
//! `object::children`.)
//!
//! The configuration sits behind a plain mutex. The fork launcher takes it
//! (and the children table's lock) before forking so that the child never
//! inherits a lock held by a thread that does not exist on its side of the
//! fork.

use std::fmt;
use std::sync::{Mutex, MutexGuard};

use crate::authkey::Authkey;
use crate::start_method::StartMethod;

/// The configuration of the process we are running in.
pub(crate) struct Config {
    pub name: String,
    pub identity: Vec<u32>,
    pub daemon: bool,
    pub authkey: Authkey,
    /// `(name, pid)` of the creator; `None` in the main process.
    pub parent: Option<(String, u32)>,
    /// Numbers new `Process` objects; starts at 1 in every process.
    pub counter: u32,
    pub start_method: StartMethod,
    pub spawn_args: Vec<String>,
    /// True in a process started by this crate.
    pub is_child: bool,
}

impl Config {
    /// The configuration of a child this process forks as `who`: `who`'s
    /// fields moved in, the rest copied from `self`. (Cloning `self` and
    /// then overwriting would allocate four strings only to drop them:
    /// the parent's writes to the heap while children share its pages
    /// copy-on-write cost a page copy each.)
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn for_child(&self, who: ChildIdentity) -> Config {
        let mut cfg = Config {
            name: String::new(),
            identity: Vec::new(),
            daemon: false,
            authkey: Authkey::new(Vec::new()),
            parent: None,
            counter: 1,
            start_method: self.start_method,
            spawn_args: self.spawn_args.clone(),
            is_child: true,
        };
        who.apply(&mut cfg);
        cfg
    }

    fn main() -> Config {
        Config {
            name: "MainProcess".to_string(),
            identity: Vec::new(),
            daemon: false,
            authkey: Authkey::random(),
            parent: None,
            counter: 1,
            start_method: StartMethod::platform_default(),
            spawn_args: Vec::new(),
            is_child: false,
        }
    }
}

static CONFIG: Mutex<Option<Config>> = Mutex::new(None);

/// A locked view of the configuration (initialised on first use).
pub(crate) struct ConfigGuard(MutexGuard<'static, Option<Config>>);

impl std::ops::Deref for ConfigGuard {
    type Target = Config;
    fn deref(&self) -> &Config {
        self.0.as_ref().expect("initialised in config()")
    }
}

impl std::ops::DerefMut for ConfigGuard {
    fn deref_mut(&mut self) -> &mut Config {
        self.0.as_mut().expect("initialised in config()")
    }
}

/// Locks the configuration. Never call with a `Process` lock held by
/// another path that may wait for this one (the only nesting is
/// process lock -> config lock).
pub(crate) fn config() -> ConfigGuard {
    let mut g = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    if g.is_none() {
        *g = Some(Config::main());
    }
    ConfigGuard(g)
}

/// A snapshot of the current process, like CPython's `current_process()`.
#[derive(Clone)]
pub struct CurrentProcess {
    name: String,
    pid: u32,
    daemon: bool,
    authkey: Authkey,
    identity: Vec<u32>,
}

impl CurrentProcess {
    /// `"MainProcess"` in the main process; in a child, its name at start.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The OS pid.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// Whether this process is daemonic.
    pub fn daemon(&self) -> bool {
        self.daemon
    }
    /// This process's key (inherited from the creator in a child).
    pub fn authkey(&self) -> &Authkey {
        &self.authkey
    }
    /// Empty in the main process, `[N]` in child N, `[N, M]` below it.
    pub fn identity(&self) -> &[u32] {
        &self.identity
    }
}

impl fmt::Debug for CurrentProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentProcess")
            .field("name", &self.name)
            .field("pid", &self.pid)
            .field("daemon", &self.daemon)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// The process that created the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentProcess {
    name: String,
    pid: u32,
}

impl ParentProcess {
    /// The creator's name (`"MainProcess"` for a first-level child).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The creator's pid.
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// The current process: name, pid, daemon flag, authkey, identity.
pub fn current_process() -> CurrentProcess {
    let c = config();
    CurrentProcess {
        name: c.name.clone(),
        pid: crate::sys::getpid(),
        daemon: c.daemon,
        authkey: c.authkey.clone(),
        identity: c.identity.clone(),
    }
}

/// `None` in the main process; in a child, the creator's name and pid.
pub fn parent_process() -> Option<ParentProcess> {
    config()
        .parent
        .clone()
        .map(|(name, pid)| ParentProcess { name, pid })
}

/// What a new child becomes: applied to [`Config`] on the child's side.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ChildIdentity {
    pub name: String,
    pub identity: Vec<u32>,
    pub daemon: bool,
    pub authkey: Authkey,
    pub parent_name: String,
    pub parent_pid: u32,
}

impl ChildIdentity {
    /// Turns `cfg` (inherited or fresh) into the child's configuration.
    pub(crate) fn apply(self, cfg: &mut Config) {
        cfg.name = self.name;
        cfg.identity = self.identity;
        cfg.daemon = self.daemon;
        cfg.authkey = self.authkey;
        cfg.parent = Some((self.parent_name, self.parent_pid));
        cfg.counter = 1;
        cfg.is_child = true;
    }
}

/// The current process's name if the config lock is free (for the panic
/// hook, which must never block).
pub(crate) fn try_name() -> Option<String> {
    let g = CONFIG.try_lock().ok()?;
    g.as_ref().map(|c| c.name.clone())
}
