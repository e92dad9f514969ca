//! Adapters in other processes (and languages): [`RemoteAdapter`] starts
//! a command and speaks the wire protocol with it, JSON lines on its stdin
//! and stdout (`spec/INTERPRETING.md`, `spec/protocol.schema.json`).
//!
//! The runner trusts nothing the adapter writes:
//!
//! - every exchange has a deadline (poll on the pipes, never a blocking
//!   read or write, never a sleep); a hung adapter is killed and the op is a
//!   [`AdapterFailure::Timeout`];
//! - every line must be the expected message, for the expected request id;
//!   anything else (garbage, a wrong id or type, a wrong shape, a line
//!   longer than 1 MiB, end of file) is an [`AdapterFailure::Crash`] whose
//!   message quotes the line, or gives the exit status and the end of
//!   stderr; the adapter is killed;
//! - a well-formed `error` line answering an op is a `Crash` with its
//!   message, but the adapter is still in step and stays (the case runner
//!   resets it and goes on); answering a reset, it is killed;
//! - stderr is drained by a thread into a ring of the last 64 KiB;
//! - the adapter runs in its own process group, and killing it kills the
//!   group.
//!
//! After a failure the next [`Adapter::apply`] or [`Adapter::reset`]
//! starts the adapter again (new process, new handshake). A restart is a
//! reset: `reset()` on a dead adapter restarts it and returns `Ok`.

mod command;
mod process;
mod tail;

pub use command::RemoteCommand;
pub use process::{lead_own_group, MAX_LINE};
pub use procspec_protocol::{Hello, PROTOCOL};
pub use tail::STDERR_KEEP;

use crate::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use process::{LineError, Live};
use procspec_protocol as wire;
use procspec_protocol::{Rejection, Request};
use procspec_spec::vocab::Capability;
use procspec_spec::vocab::Step;
use std::time::{Duration, Instant};
use tail::StderrTail;

/// The default deadline of one op (and of one reset).
pub const OP_DEADLINE: Duration = Duration::from_secs(20);

/// The default time a shutting-down adapter gets to exit by itself (and an
/// adapter that closed its stdout, to exit and tell its status).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// An implementation behind the wire protocol, in a process of its own.
pub struct RemoteAdapter {
    command: RemoteCommand,
    start_deadline: Duration,
    op_deadline: Duration,
    shutdown_grace: Duration,
    info: AdapterInfo,
    hello: Hello,
    notes: Vec<String>,
    live: Option<Live>,
    /// The stderr of the last incarnation that ended.
    last_stderr: Option<StderrTail>,
    /// The last request id used with the live incarnation.
    last_id: u64,
    restarts: u32,
    /// Helper processes the adapter keeps across resets (its last
    /// `reset-done` named them): not leaks.
    helpers: Vec<u32>,
    /// The descriptors its process held after the last reset, if it said.
    held_fds: Option<u64>,
}

/// What the runner knows of an adapter from its hello.
fn info_of(hello: &Hello) -> AdapterInfo {
    AdapterInfo {
        implementation: hello.implementation.clone(),
        version: hello.version.clone(),
        start_method: hello.start_method.clone(),
        // The runner itself observes orphans (it is their subreaper), where
        // it can be one: not on the portable backend.
        capabilities: {
            let mut caps = hello.capabilities.clone();
            caps.retain(|c| *c != Capability::Orphans);
            if crate::guard::install() {
                caps.push(Capability::Orphans);
            }
            caps
        },
        protocol_version: PROTOCOL as u32,
        // `module:Class` (or a dotted path): default names use the class's
        // own name.
        class_name: hello
            .process_class
            .rsplit([':', '.'])
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or("Process")
            .to_string(),
        platform: hello.platform.clone(),
    }
}

/// Turn a failed exchange into a failure, ending the incarnation.
fn broken(
    live: Live,
    err: LineError,
    what: &str,
    after: Duration,
    grace: Duration,
) -> (AdapterFailure, StderrTail) {
    match err {
        LineError::Timeout => {
            let ended = live.stop(None);
            let failure = AdapterFailure::Timeout {
                op: what.to_string(),
                after,
            };
            (failure, ended.stderr)
        }
        LineError::TooLong(head) => {
            let ended = live.stop(None);
            let message = format!(
                "line longer than 1 MiB (answering `{what}`), starting {}",
                wire::quote(&head)
            );
            (AdapterFailure::Crash { message }, ended.stderr)
        }
        LineError::Closed => {
            let ended = live.stop(Some(Instant::now() + grace));
            let message = format!(
                "the adapter closed its pipes (pending: `{what}`) and {}{}",
                ended.describe(),
                ended.stderr_for_message()
            );
            (AdapterFailure::Crash { message }, ended.stderr)
        }
        LineError::Io(e) => {
            let ended = live.stop(Some(Instant::now() + grace));
            let message = format!(
                "cannot talk to the adapter (pending: `{what}`): {e}; it {}{}",
                ended.describe(),
                ended.stderr_for_message()
            );
            (AdapterFailure::Crash { message }, ended.stderr)
        }
    }
}

/// Start an incarnation and read its hello by `deadline`.
fn launch(
    cmd: &RemoteCommand,
    deadline: Duration,
    grace: Duration,
) -> Result<(Live, Hello), (AdapterFailure, Option<StderrTail>)> {
    let by = Instant::now() + deadline;
    let mut live = Live::spawn(cmd).map_err(|message| (AdapterFailure::Crash { message }, None))?;
    match live.read_line(by) {
        Ok(line) => match wire::parse_hello(&line) {
            Ok(hello) => Ok((live, hello)),
            Err(e) => {
                let ended = live.stop(None);
                let message = e.into_message();
                Err((AdapterFailure::Crash { message }, Some(ended.stderr)))
            }
        },
        Err(e) => {
            let (failure, tail) = broken(live, e, "hello", deadline, grace);
            Err((failure, Some(tail)))
        }
    }
}

impl RemoteAdapter {
    /// Start the adapter and read its hello within `deadline` (also the
    /// deadline of every restart). Ops and resets get [`OP_DEADLINE`]
    /// unless [`RemoteAdapter::set_op_deadline`] says otherwise.
    pub fn start(cmd: RemoteCommand, deadline: Duration) -> Result<RemoteAdapter, AdapterFailure> {
        let (live, hello) = launch(&cmd, deadline, SHUTDOWN_GRACE).map_err(|(f, _)| f)?;
        let mut notes = Vec::new();
        // Adapter text: escaped and bounded, like every message quoting it.
        let listed = |v: &[String]| wire::names(&v.iter().map(String::as_str).collect::<Vec<_>>());
        if !hello.unknown_capabilities.is_empty() {
            notes.push(format!(
                "the adapter offers capabilities unknown to this runner, ignored: {}",
                listed(&hello.unknown_capabilities)
            ));
        }
        if !hello.unknown_fields.is_empty() {
            notes.push(format!(
                "the adapter's hello has fields unknown to this runner, ignored: {}",
                listed(&hello.unknown_fields)
            ));
        }
        if hello.pid != live.pid() {
            notes.push(format!(
                "the adapter says its pid is {}, the runner started pid {} (a wrapper?)",
                hello.pid,
                live.pid()
            ));
        }
        Ok(RemoteAdapter {
            command: cmd,
            start_deadline: deadline,
            op_deadline: OP_DEADLINE,
            shutdown_grace: SHUTDOWN_GRACE,
            info: info_of(&hello),
            hello,
            notes,
            live: Some(live),
            last_stderr: None,
            last_id: 0,
            restarts: 0,
            helpers: Vec::new(),
            held_fds: None,
        })
    }

    /// The same adapter with another deadline per op and per reset.
    pub fn with_op_deadline(mut self, deadline: Duration) -> RemoteAdapter {
        self.op_deadline = deadline;
        self
    }

    /// Set the deadline of every later op and reset.
    pub fn set_op_deadline(&mut self, deadline: Duration) {
        self.op_deadline = deadline;
    }

    /// The deadline of one op.
    pub fn op_deadline(&self) -> Duration {
        self.op_deadline
    }

    /// Set how long a shutting-down adapter gets to exit by itself.
    pub fn set_shutdown_grace(&mut self, grace: Duration) {
        self.shutdown_grace = grace;
    }

    /// The command that starts the adapter.
    pub fn command(&self) -> &RemoteCommand {
        &self.command
    }

    /// The hello of the running (or last) incarnation.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Things worth telling people about the adapter that are no failure
    /// (unknown capabilities, ...).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// How many times the adapter was started again after a failure.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The adapter's pid, while one runs.
    pub fn pid(&self) -> Option<u32> {
        self.live.as_ref().map(Live::pid)
    }

    /// The end (at most [`STDERR_KEEP`] bytes) of what the adapter wrote to
    /// stderr: the running incarnation's, else the last one's.
    pub fn stderr_tail(&self) -> String {
        match (&self.live, &self.last_stderr) {
            (Some(live), _) => live.stderr().text(),
            (None, Some(tail)) => tail.text(),
            (None, None) => String::new(),
        }
    }

    /// Shut the adapter down politely: ask it to exit, give it the shutdown
    /// grace, then kill its process group whatever happened. `Ok` if it
    /// exited by itself with status 0 (or was not running).
    pub fn shutdown(mut self) -> Result<(), AdapterFailure> {
        let Some(ended) = self.stop_politely() else {
            return Ok(());
        };
        match ended.status {
            Some(s) if ended.by_itself && s.success() => Ok(()),
            _ => Err(AdapterFailure::Crash {
                message: format!(
                    "asked to shut down, the adapter {}{}",
                    ended.describe(),
                    ended.stderr_for_message()
                ),
            }),
        }
    }

    fn stop_politely(&mut self) -> Option<process::Ended> {
        let mut live = self.live.take()?;
        let by = Instant::now() + self.shutdown_grace;
        // A failed write is fine: closing stdin says the same.
        if let Ok(line) = Request::Shutdown.line() {
            let _ = live.write_line(&line, by);
        }
        let ended = live.stop(Some(by));
        self.last_stderr = Some(ended.stderr.clone());
        Some(ended)
    }

    /// Start the adapter again if it is not running.
    fn ensure_live(&mut self) -> Result<(), AdapterFailure> {
        if self.live.is_some() {
            return Ok(());
        }
        let (live, hello) = match launch(&self.command, self.start_deadline, self.shutdown_grace) {
            Ok(x) => x,
            Err((failure, tail)) => {
                if tail.is_some() {
                    self.last_stderr = tail;
                }
                return Err(failure);
            }
        };
        let info = info_of(&hello);
        if info != self.info {
            let ended = live.stop(None);
            self.last_stderr = Some(ended.stderr);
            return Err(AdapterFailure::Crash {
                message: format!(
                    "the adapter changed on restart: it was {} {} ({}) with {:?}, it is now {} {} ({}) with {:?}",
                    self.info.implementation,
                    self.info.version,
                    self.info.start_method,
                    self.info.capabilities,
                    info.implementation,
                    info.version,
                    info.start_method,
                    info.capabilities
                ),
            });
        }
        self.hello = hello;
        self.live = Some(live);
        self.last_id = 0;
        self.restarts += 1;
        Ok(())
    }

    /// Send `line` (request `what`) and read the answer, within the op
    /// deadline. On failure the incarnation is ended.
    fn exchange(&mut self, line: &str, what: &str) -> Result<Vec<u8>, AdapterFailure> {
        let Some(live) = self.live.as_mut() else {
            return Err(AdapterFailure::Crash {
                message: format!("no adapter running for `{what}`"),
            });
        };
        let by = Instant::now() + self.op_deadline;
        let answer = live.write_line(line, by).and_then(|()| live.read_line(by));
        match answer {
            Ok(line) => Ok(line),
            Err(e) => {
                let Some(live) = self.live.take() else {
                    return Err(AdapterFailure::Crash {
                        message: format!("no adapter running for `{what}`"),
                    });
                };
                let (failure, tail) = broken(live, e, what, self.op_deadline, self.shutdown_grace);
                self.last_stderr = Some(tail);
                Err(failure)
            }
        }
    }

    /// The adapter broke the protocol: kill it and say how.
    fn violation(&mut self, what: &str, message: String) -> AdapterFailure {
        if let Some(live) = self.live.take() {
            self.last_stderr = Some(live.stop(None).stderr);
        }
        AdapterFailure::Crash {
            message: format!("answering `{what}`: {message}"),
        }
    }

    fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }
}

impl Adapter for RemoteAdapter {
    fn info(&self) -> &AdapterInfo {
        &self.info
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        self.ensure_live()?;
        let what = step.to_string();
        let id = self.next_id();
        let line = Request::Op {
            id,
            step: step.clone(),
        }
        .line()
        .map_err(|e| AdapterFailure::Crash { message: e.0 })?;
        let answer = self.exchange(&line, &what)?;
        match wire::parse_result(&answer, id) {
            Ok(observed) => Ok(observed),
            // The adapter is still in step: it stays, the case is a crash.
            Err(Rejection::Refused(m)) => Err(AdapterFailure::Crash {
                message: format!("the adapter refused `{what}`: {m}"),
            }),
            Err(Rejection::Broken(m)) => Err(self.violation(&what, m)),
        }
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        if self.live.is_none() {
            // A fresh adapter holds nothing: starting one is the reset. It
            // has not counted its descriptors yet, so the case after it is
            // not held to a count.
            self.held_fds = None;
            return self.ensure_live();
        }
        let id = self.next_id();
        let line = Request::Reset { id }
            .line()
            .map_err(|e| AdapterFailure::Crash { message: e.0 })?;
        let answer = self.exchange(&line, "reset")?;
        // An adapter that cannot reset cannot be trusted with the next case:
        // it goes, and the next call starts a fresh one.
        match wire::parse_reset_done(&answer, id) {
            Ok(done) => {
                self.helpers = done.helpers;
                self.held_fds = done.fds;
                // Processes of its group orphaned to the runner (e.g. an
                // agent's own fork server, outliving it) died as the
                // runner's zombies: the runner, their reaper, reaps them.
                if let Some(live) = &self.live {
                    live.reap_orphans();
                }
                Ok(())
            }
            Err(Rejection::Refused(m)) => {
                Err(self.violation("reset", format!("the adapter refused: {m}")))
            }
            Err(Rejection::Broken(m)) => Err(self.violation("reset", m)),
        }
    }

    /// Kill the adapter's whole process group now; the next call starts a
    /// fresh adapter.
    fn discard(&mut self) {
        if let Some(live) = self.live.take() {
            self.last_stderr = Some(live.stop(None).stderr);
        }
        self.helpers.clear();
        self.held_fds = None;
    }

    /// Every session after a discard is a new adapter process.
    fn fresh_sessions(&self) -> bool {
        true
    }

    /// The adapter process and the helpers its last reset kept.
    fn own_pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self.pid().into_iter().collect();
        pids.extend(self.helpers.iter().copied());
        pids
    }

    fn held_descriptors(&self) -> Option<u64> {
        self.held_fds
    }
}

impl std::fmt::Debug for RemoteAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteAdapter")
            .field("command", &self.command.to_string())
            .field("pid", &self.pid())
            .field("info", &self.info)
            .field("op_deadline", &self.op_deadline)
            .field("restarts", &self.restarts)
            .finish_non_exhaustive()
    }
}

impl Drop for RemoteAdapter {
    fn drop(&mut self) {
        self.stop_politely();
    }
}
