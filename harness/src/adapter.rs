//! The adapter contract: what an implementation provides to be checked.
//!
//! An adapter executes [`Step`]s, each an op at a process of the run
//! (`main` or an agent child), and answers with an [`Observed`] outcome. It
//! never judges: comparing with the model is the checker's job. Adapters for
//! other languages speak the wire protocol of `spec/INTERPRETING.md`
//! through [`crate::remote::RemoteAdapter`].

use procspec_spec::platform::Platform;
use procspec_spec::vocab::{Capability, Step};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Who the implementation is, as told by its adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterInfo {
    /// Implementation name (`procspec-reference`, `cpython`, ...).
    pub implementation: String,
    /// Its version.
    pub version: String,
    /// `fork`, `spawn`, `forkserver`.
    pub start_method: String,
    /// What it offers.
    pub capabilities: Vec<Capability>,
    /// Wire protocol version, 0 for in-process adapters.
    pub protocol_version: u32,
    /// The name of the class under test (`Process`, a subclass's name):
    /// default names are `<class_name>-N`.
    #[serde(default = "process")]
    pub class_name: String,
    /// Where the implementation runs, `<os>-<machine>` (a hello's
    /// `platform`; this machine for an in-process adapter): the model
    /// judges it by that platform's outcomes ([`AdapterInfo::judged_platform`]).
    #[serde(default = "procspec_protocol::platform")]
    pub platform: String,
}

fn process() -> String {
    "Process".to_string()
}

impl AdapterInfo {
    /// Whether it offers `cap`.
    pub fn has(&self, cap: Capability) -> bool {
        self.capabilities.contains(&cap)
    }

    /// The platform whose outcomes the implementation is held to: the OS
    /// of [`AdapterInfo::platform`], or the Unix outcomes (Linux's) for an
    /// OS procspec knows nothing of.
    pub fn judged_platform(&self) -> Platform {
        Platform::from_hello(&self.platform).unwrap_or_default()
    }
}

pub use procspec_protocol::{NativeError, Observed};

/// An op that did not produce an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterFailure {
    /// No answer within the deadline; the adapter was reset (or killed).
    Timeout {
        /// The op, rendered.
        op: String,
        /// How long the runner waited.
        after: Duration,
    },
    /// The adapter died, or answered nonsense.
    Crash {
        /// What happened, with the offending line quoted where there was one.
        message: String,
    },
}

impl fmt::Display for AdapterFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdapterFailure::Timeout { op, after } => {
                write!(f, "`{op}` did not answer within {} ms", after.as_millis())
            }
            AdapterFailure::Crash { message } => write!(f, "adapter crashed: {message}"),
        }
    }
}

/// An implementation under test.
pub trait Adapter {
    /// Who it is and what it offers.
    fn info(&self) -> &AdapterInfo;

    /// Execute one step and report what happened. Every call returns within
    /// the adapter's deadline: a hung op is a [`AdapterFailure::Timeout`].
    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure>;

    /// Forget the run: kill and reap every process it started (agents and
    /// their descendants included) and drop every ref, so that the next run
    /// starts from the model's initial world.
    fn reset(&mut self) -> Result<(), AdapterFailure>;

    /// Pids of the runner's direct children that belong to the adapter
    /// itself (its server process, the main-level children of an in-process
    /// adapter): the leak guard and the orphan count leave these out.
    fn own_pids(&self) -> Vec<u32> {
        Vec::new()
    }

    /// How many descriptors the adapter's own process held after its last
    /// reset, where it says (a remote adapter's `reset-done` `fds`): the
    /// leak guard holds a case to the same count. `None` for an adapter
    /// that does not say, and for in-process ones, whose descriptors are
    /// the runner's and counted by the guard itself.
    fn held_descriptors(&self) -> Option<u64> {
        None
    }

    /// Whether [`Adapter::discard`] starts a fresh session: a new adapter
    /// process with its own main process (and so its own random authkey).
    /// An in-process adapter cannot; its `sessions = 2` cases are then
    /// precondition-failed.
    fn fresh_sessions(&self) -> bool {
        false
    }

    /// Throw the running implementation away after a leak the runner
    /// cannot clean up itself (a zombie of the adapter's own process has no
    /// other reaper): kill it, so that what it left is reparented to the
    /// runner, and start afresh on next use. Default: a reset.
    fn discard(&mut self) {
        let _ = self.reset();
    }
}
