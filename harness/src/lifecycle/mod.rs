//! Bring your own implementation: a small trait, [`Lifecycle`], for a Rust
//! implementation of the `multiprocessing.Process` API, and [`Host`], the
//! [`Adapter`](crate::Adapter) that runs the suite against it.
//!
//! An implementation maps each call of the Process API onto its own
//! (construct with a child body, name and daemon flag; start; join with a
//! timeout; is_alive; exitcode; pid; and, where it has them, sentinel wait,
//! name/daemon/authkey get and set, terminate, kill, close, run,
//! current_process, parent_process, active_children, a refused `group`
//! argument, its `ProcessError` family, and the connection calls the docs
//! tie to the lifecycle: the authkey handshake and `recv_bytes_into`).
//! What it lacks it leaves to the default methods, which answer
//! `unsupported`; it leaves the matching [`Capability`] out of
//! [`LifecycleInfo::capabilities`], so the clauses needing it are
//! precondition-failed, never failures.
//!
//! The host supplies the rest:
//! - **what children run** ([`Body`]): exit codes, returning, panicking,
//!   blocking until released, ignoring SIGTERM, and *agents*, children that
//!   serve ops so that ops can run anywhere in a tree. A body is plain data
//!   (serde): an implementation that forks runs it in a closure
//!   (`move || body.run(me)`), one that re-executes its program passes it as
//!   an argument to a registered entry point that calls [`Body::run`]. Its
//!   channels are found by address (Unix sockets; TCP on loopback on
//!   Windows), so nothing depends on which descriptors a child inherits.
//! - **routing**: ops at an agent travel down the tree of agents, each of
//!   which runs the same executor over its own copy of the implementation.
//! - **pid tracking and reset**: every pid started anywhere in the tree is
//!   recorded (each answer carries the pids its op started, below it
//!   included); reset kills exactly those, then the implementation's own.
//! - **descriptors**: the sentinel's descriptor is recorded at `start()`,
//!   so `sentinel-open` tells whether `close()` freed it.
//! - **timing and deadlines**: each op is timed where it runs; ops at main
//!   run on a worker thread, a hung op is a timeout, the tree is killed
//!   and a fresh worker starts.
//!
//! [`serve`](crate::serve::serve) puts a host behind the wire protocol, so
//! `procspec run` checks the implementation as an adapter process (a
//! tracked implementation of `kind = "cargo"`).
//!
//! ```text
//! // tests/conformance.rs of a crate:
//! procspec_harness::conformance_suite! {
//!     cases = "/path/to/procspec/cases/**/*.toml",
//!     adapter = procspec_harness::lifecycle::Host::new(MyLifecycle::default()),
//! }
//! ```

mod body;
mod child;
mod executor;
mod host;
pub mod reference;
mod transport;

pub use body::Body;

/// End this process at once with `code`, running no exit handler (what
/// `os._exit` does): for an implementation whose children leave that way
/// (its [`Lifecycle::exit`] after its own clean-up), and for a test that
/// needs a child to skip the implementation's exit path (the mutation
/// catalogue's `daemonic-children-outlive-exit`). Flush what must be seen
/// first: buffered output is lost.
pub fn exit_now(code: i32) -> ! {
    crate::sys::exit_now(code)
}
pub use host::{Host, OP_DEADLINE};

use procspec_spec::vocab::{Capability, ErrorKind};
use std::time::Duration;

/// Who an implementation is and what it offers.
#[derive(Debug, Clone)]
pub struct LifecycleInfo {
    /// Its name (`procspawn`, ...).
    pub implementation: String,
    /// Its version.
    pub version: String,
    /// `fork`, `spawn`, `forkserver`.
    pub start_method: String,
    /// The capabilities it offers. The host adds `agent` and `orphans`,
    /// which it supplies itself, and `descriptors` where `sentinel` is
    /// offered (it records the sentinel's descriptor at `start()`, so it
    /// can tell whether `close()` freed it). Offer `subclass` with
    /// [`Lifecycle::create_run_override`].
    pub capabilities: Vec<Capability>,
}

/// An error an implementation reports: the vocabulary's kind, and the
/// native error for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What it means in procspec's vocabulary (`unmapped` when unknown).
    pub kind: ErrorKind,
    /// The native type (`std::io::Error`, `procspawn::SpawnError`, ...).
    pub native: String,
    /// The native message.
    pub message: String,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: ErrorKind, native: impl Into<String>, message: impl ToString) -> Failure {
        Failure {
            kind,
            native: native.into(),
            message: message.to_string(),
        }
    }

    /// What the implementation does not offer.
    pub fn unsupported(what: &str) -> Failure {
        Failure::new(ErrorKind::Unsupported, "Unsupported", what)
    }
}

/// What an op of the Process API returns.
pub type Res<T> = Result<T, Failure>;

/// A Rust implementation of the `multiprocessing.Process` API, as procspec
/// drives it. One value lives in every process of a run (cloned into
/// forked children, or rebuilt by a re-executed child); process objects are
/// [`Lifecycle::Process`]. Every method has the meaning of the Python
/// method of the same name; a default answers `unsupported`.
pub trait Lifecycle: Clone + Send + 'static {
    /// A process object.
    type Process: Send + 'static;

    /// Who it is and what it offers.
    fn info(&self) -> LifecycleInfo;

    /// `Process(target=body, name=name, daemon=daemon)`: the object runs
    /// `body` in its child (by calling [`Body::run`] with a copy of this
    /// implementation there).
    fn create(
        &mut self,
        body: Body,
        name: Option<&str>,
        daemon: Option<bool>,
    ) -> Res<Self::Process>;
    /// An object of a subclass that overrides `run()` and passes no target
    /// (`Worker(name=name, daemon=daemon)` where `Worker.run` exits with a
    /// code): `run` is the override's body. Offer it with the `subclass`
    /// capability. Rust has no subclassing: an implementation whose
    /// process object is built around the function it runs (a `run`
    /// closure, a trait object) maps the override onto that.
    fn create_run_override(
        &mut self,
        _run: Body,
        _name: Option<&str>,
        _daemon: Option<bool>,
    ) -> Res<Self::Process> {
        Err(Failure::unsupported("subclass (run() overridden)"))
    }
    /// `Process(target=body, name=name, daemon=daemon, group=group)` with a
    /// group other than `None`, which "should always be None": the
    /// implementation must refuse it (`invalid-argument`) with no effect.
    /// Offer it with the `group-arg` capability, for an API that takes a
    /// group at all.
    fn create_in_group(
        &mut self,
        _body: Body,
        _name: Option<&str>,
        _daemon: Option<bool>,
        _group: &str,
    ) -> Res<Self::Process> {
        Err(Failure::unsupported("group argument"))
    }
    /// `p.start()`.
    fn start(&mut self, p: &mut Self::Process) -> Res<()>;
    /// `p.join(timeout)`.
    fn join(&mut self, p: &mut Self::Process, timeout: Option<Duration>) -> Res<()>;
    /// `p.is_alive()`.
    fn is_alive(&mut self, p: &mut Self::Process) -> Res<bool>;
    /// `p.exitcode` (negative: killed by that signal).
    fn exitcode(&mut self, p: &mut Self::Process) -> Res<Option<i32>>;
    /// `p.pid`.
    fn pid(&mut self, p: &mut Self::Process) -> Res<Option<u32>>;

    /// `multiprocessing.connection.wait([p.sentinel], timeout)` is not
    /// empty.
    fn wait_sentinel(&mut self, _p: &mut Self::Process, _timeout: Duration) -> Res<bool> {
        Err(Failure::unsupported("sentinel"))
    }
    /// `p.sentinel` (a descriptor number).
    fn sentinel(&mut self, _p: &mut Self::Process) -> Res<i64> {
        Err(Failure::unsupported("sentinel"))
    }
    /// `p.name`.
    fn name(&mut self, _p: &mut Self::Process) -> Res<String> {
        Err(Failure::unsupported("name"))
    }
    /// `p.name = name`.
    fn set_name(&mut self, _p: &mut Self::Process, _name: &str) -> Res<()> {
        Err(Failure::unsupported("set name"))
    }
    /// `p.daemon`.
    fn daemon(&mut self, _p: &mut Self::Process) -> Res<bool> {
        Err(Failure::unsupported("daemon"))
    }
    /// `p.daemon = value`.
    fn set_daemon(&mut self, _p: &mut Self::Process, _value: bool) -> Res<()> {
        Err(Failure::unsupported("set daemon"))
    }
    /// `p.authkey`.
    fn authkey(&mut self, _p: &mut Self::Process) -> Res<Vec<u8>> {
        Err(Failure::unsupported("authkey"))
    }
    /// `p.authkey = key`.
    fn set_authkey(&mut self, _p: &mut Self::Process, _key: Vec<u8>) -> Res<()> {
        Err(Failure::unsupported("set authkey"))
    }
    /// Serializing `p.authkey` (it must refuse).
    fn serialize_authkey(&mut self, _p: &mut Self::Process) -> Res<()> {
        Err(Failure::unsupported("serialize authkey"))
    }
    /// `p.terminate()` (SIGTERM).
    fn terminate(&mut self, _p: &mut Self::Process) -> Res<()> {
        Err(Failure::unsupported("terminate"))
    }
    /// `p.kill()` (SIGKILL).
    fn kill(&mut self, _p: &mut Self::Process) -> Res<()> {
        Err(Failure::unsupported("kill"))
    }
    /// `p.close()`.
    fn close(&mut self, _p: &mut Self::Process) -> Res<()> {
        Err(Failure::unsupported("close"))
    }
    /// `p.run()`: the body, in this process.
    fn run(&mut self, _p: &mut Self::Process) -> Res<()> {
        Err(Failure::unsupported("run"))
    }

    /// `current_process().name`.
    fn current_name(&mut self) -> Res<String> {
        Err(Failure::unsupported("current_process"))
    }
    /// `current_process().pid`.
    fn current_pid(&mut self) -> Res<u32> {
        Ok(std::process::id())
    }
    /// `current_process().daemon`.
    fn current_daemon(&mut self) -> Res<bool> {
        Err(Failure::unsupported("current_process().daemon"))
    }
    /// `current_process().authkey`.
    fn current_authkey(&mut self) -> Res<Vec<u8>> {
        Err(Failure::unsupported("current_process().authkey"))
    }
    /// Serializing `current_process().authkey` (it must refuse).
    fn serialize_current_authkey(&mut self) -> Res<()> {
        Err(Failure::unsupported("serialize current_process().authkey"))
    }
    /// `parent_process().name` (`None` in the main process).
    fn parent_name(&mut self) -> Res<Option<String>> {
        Err(Failure::unsupported("parent_process"))
    }
    /// The pids of `active_children()`.
    fn active_children(&mut self) -> Res<Vec<u32>> {
        Err(Failure::unsupported("active_children"))
    }

    /// The `multiprocessing.ProcessError` family: every exception class the
    /// implementation defines, with its direct base class, by name
    /// (`("BufferTooShort", "ProcessError")` ...). Offer it with the
    /// `exceptions` capability.
    fn exception_hierarchy(&mut self) -> Res<Vec<(String, String)>> {
        Err(Failure::unsupported("exception hierarchy"))
    }
    /// The authkey handshake: a `Listener` keyed with
    /// `current_process().authkey` and a `Client` that offers the same key
    /// (`wrong_key` false) or another one. `Ok(true)` when the client
    /// connected; its `AuthenticationError` as `authentication-failed`.
    /// Offer it with the `connection` capability.
    fn handshake(&mut self, _wrong_key: bool) -> Res<bool> {
        Err(Failure::unsupported("connection"))
    }
    /// `recv_bytes_into` of a buffer of `buffer` bytes on one end of a
    /// `Pipe()` whose other end sent `message`: the bytes read, or
    /// `buffer-too-short` when they do not fit, *only* if the error carries
    /// the whole message (CPython's `e.args[0]`; else report it unmapped,
    /// saying what it carried). Offer it with the `connection` capability.
    fn recv_bytes_into(&mut self, _message: &[u8], _buffer: usize) -> Res<usize> {
        Err(Failure::unsupported("connection"))
    }

    /// End this (child) process with `code`, as `sys.exit(code)` does.
    fn exit(&self, code: i32) -> ! {
        std::process::exit(code)
    }
    /// The run is over (its objects are killed and dropped): forget
    /// per-run state, e.g. restart default names at `Process-1`.
    fn reset(&mut self) {}
}
