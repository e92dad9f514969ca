//! A `multiprocessing.Process` for Rust, on real OS processes.
//!
//! This crate is the *reference implementation* of the procspec
//! conformance suite: a [`Process`] object whose lifecycle (created ->
//! running -> exited -> joined -> closed) behaves like CPython's
//! `multiprocessing.Process` on Linux, error for error. It stands alone;
//! no other procspec crate is needed to use it.
//!
//! ```
//! use procspec_reference::{Process, Target};
//! let p = Process::new(Target::function(|| println!("hello from the child")));
//! p.start()?;
//! p.join(None)?;
//! assert_eq!(p.exitcode()?, Some(0));
//! # Ok::<(), procspec_reference::Error>(())
//! ```
//!
//! # Start methods
//!
//! * [`StartMethod::Fork`] (the default on Linux and the BSDs; absent on
//!   Windows, where it is an `Unsupported` error) forks; the child runs the target
//!   (a closure or a registered function) on a copy of the parent.
//! * [`StartMethod::Spawn`] forks and re-executes the current program. The
//!   new program must call [`register`] for its targets and then [`init`]
//!   first thing in `main`; `init` recognises the spawned child, reads its
//!   payload (target name, JSON arguments, name, identity, daemon flag,
//!   authkey, creator) from a pipe, runs the target and exits.
//!
//! ```no_run
//! use procspec_reference::{register, init, Process, StartMethod, Target};
//! fn greet(who: String) { println!("hello, {who}"); }
//! fn main() -> procspec_reference::Result<()> {
//!     register("greet", greet);
//!     init(); // in the spawned child, this runs `greet` and exits
//!     let p = Process::builder(Target::registered("greet", &"world"))
//!         .start_method(StartMethod::Spawn)
//!         .build();
//!     p.start()?;
//!     p.join(None)
//! }
//! ```
//!
//! # Forking a multithreaded parent
//!
//! After `fork` in a multithreaded process, POSIX allows the child only
//! async-signal-safe calls until it execs. A fork child of this crate does
//! much more: it runs Rust code, allocates, locks mutexes and prints. That
//! is fine as long as no *other* thread held a lock the child needs at the
//! moment of the fork, because that thread does not exist in the child and
//! the lock would never be released. The crate takes its own locks and the
//! stdout/stderr locks before forking, and glibc's `malloc` guards its
//! arenas the same way; locks of your own (or of other libraries) are not
//! covered. **If your parent is multithreaded, prefer
//! [`StartMethod::Spawn`]**, whose child only calls `fcntl` and `execve`
//! between `fork` and `exec`.
//!
//! # Waiting
//!
//! Joining is event-driven: the parent waits on a pidfd (`ppoll` with a
//! deadline, retried on `EINTR` with the remaining time), then reaps with
//! `waitid(P_PIDFD, WEXITED|WNOHANG)`. Without `pidfd_open` (before Linux
//! 5.3) a pipe whose write end only the child holds takes its place.
//!
//! # Differences from CPython
//!
//! * Errors are values: an [`Error`] with an [`ErrorKind`] and CPython's
//!   message, instead of `AssertionError`/`ValueError`.
//! * After [`Process::close`], name, daemon and authkey accessors keep
//!   working (as in CPython); everything else is [`ErrorKind::Closed`].
//! * A handle that crossed a process boundary (serialised, or inherited by
//!   a fork child) answers `NotParent` for start/join/is_alive/exitcode/
//!   terminate/kill; CPython lets some of those through.
//! * [`current_process`] returns a snapshot, not a `Process`.
//!
//! # Connections
//!
//! The [`connection`] module is CPython's `multiprocessing.connection`
//! for bytes: [`connection::pipe`], [`connection::Listener`] and
//! [`connection::Client`] over Unix and TCP sockets, with CPython's
//! length-prefixed wire format and HMAC authkey handshake, so either end
//! can be a CPython process. Pickled objects and Windows named pipes are
//! not covered.
//!
//! All system calls and all `unsafe` code live in the private `sys` module.

#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

mod authkey;
pub mod connection; // multiprocessing.connection: Pipe, Listener, Client
mod context;
mod error;
mod exit;
mod fork;
mod launch;
mod object;
mod popen;
mod process;
mod registry;
mod sentinel;
mod spawn;
mod start_method;
#[allow(unsafe_code)] // the crate's only syscalls and unsafe blocks
mod sys;
mod target;

pub use authkey::Authkey;
pub use context::{current_process, parent_process, CurrentProcess, ParentProcess};
pub use error::{Error, ErrorKind, Result};
pub use exit::exit;
pub use launch::{get_start_method, set_start_method, StartMethod};
pub use process::{active_children, Builder, Process};
pub use registry::register;
pub use sentinel::Sentinel;
pub use target::Target;

#[cfg(unix)]
#[doc(hidden)]
pub use sys::bench_raw;

/// Call first thing in `main`, after the [`register`] calls.
///
/// In a process re-executed by [`StartMethod::Spawn`] it runs the child's
/// target and never returns (the process exits with the target's code).
/// Otherwise it installs the exit handler: when the process exits normally
/// it terminates daemonic children, then joins all children. Calling it
/// again does nothing.
pub fn init() {
    spawn::maybe_run_child();
    exit::install_at_exit();
}

/// The platform backend this build uses: `"linux"` (pidfd, `pipe2`,
/// `ppoll`), `"posix"` (macOS, the BSDs, or Linux built with the
/// `force-portable` feature) or `"windows"` (spawn only).
pub fn platform() -> &'static str {
    sys::BACKEND
}

/// Sets the arguments (after the executable path) that a spawned child is
/// executed with. Default: none, which suits a program whose `main` calls
/// [`init`].
///
/// A test binary cannot call `init` before libtest's `main`, so point the
/// child at one test that does:
///
/// ```no_run
/// # fn register_targets() {}
/// // in every test that spawns, and in the entry test itself:
/// procspec_reference::set_spawn_args(
///     ["spawn_entry", "--exact", "--nocapture", "--test-threads=1"]
///         .map(String::from).to_vec(),
/// );
///
/// #[test]
/// fn spawn_entry() {
///     register_targets();
///     procspec_reference::init(); // becomes the child when spawned
/// }
/// ```
pub fn set_spawn_args(args: Vec<String>) {
    context::config().spawn_args = args;
}

/// Restart this process's object counter at 1, so that the next default
/// name is `Process-1` (`Process-N:1` in a child) again.
///
/// For harnesses that run many independent scenarios in one process (the
/// way procspec's Python adapter resets CPython's `_process_counter`);
/// nothing else should need it.
#[doc(hidden)]
pub fn reset_process_counter() {
    context::config().counter = 1;
}
