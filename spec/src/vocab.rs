//! The vocabulary shared by every part of procspec: the adapter trait, the
//! case files, the wire protocol and the reports all speak it.
//!
//! Everything here is plain data with a stable serde form. The JSON form is
//! the wire protocol's (see `spec/INTERPRETING.md`); the TOML form is the case
//! files'. Renaming a variant is a breaking change of the public contract.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A name for a process object in a run.
///
/// `main` is the runner's own process (its `current_process()`); every other
/// ref (`p1`, `p2`, ...) is created by an [`Op::Create`]. A ref also names
/// the OS process that object starts, so an agent child is addressed as the
/// place an op runs *at* by the ref of the object that started it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ref(pub String);

impl Ref {
    /// The runner's own process.
    pub fn main() -> Ref {
        Ref("main".to_string())
    }
    /// `p<n>`, the conventional name of the n-th created object.
    pub fn nth(n: usize) -> Ref {
        Ref(format!("p{n}"))
    }
    /// Whether this is the runner's own process.
    pub fn is_main(&self) -> bool {
        self.0 == "main"
    }
    /// The ref as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Ref {
    fn from(s: &str) -> Ref {
        Ref(s.to_string())
    }
}

/// What a child process runs. Children never sleep to simulate work: the
/// blocking targets wait on a pipe until [`Op::Release`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[allow(missing_docs)] // the fields are spec/protocol.schema.json's
pub enum Target {
    /// Exit at once with `code` (0..=255), like `sys.exit(code)`.
    Exit { code: u8 },
    /// Return normally from the target: exit code 0.
    Return,
    /// Raise an uncaught error (panic in Rust): exit code 1.
    Raise,
    /// `sys.exit("message")`: exit code 1, the message on stderr.
    ExitWithMessage { message: String },
    /// Block until released, then return (exit code 0).
    Block,
    /// Ignore SIGTERM (set up before `start` returns), then block until
    /// released.
    IgnoreSigterm,
    /// Serve ops sent to it until released; then return, which runs the
    /// exit handler (daemonic children terminated, the others joined).
    Agent,
    /// No target at all (`target=None`): `run()` does nothing, exit code 0.
    NoTarget,
    /// A target called with positional `args = (a, b)` and, unless `c` is
    /// absent, `kwargs = {"c": c}`; it exits with `36*a + 6*b + c` (`c`
    /// defaults to 5), so dropped, reordered or defaulted arguments show in
    /// the exit code. Each of `a`, `b`, `c` is 0..=5.
    Args {
        a: u8,
        b: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        c: Option<u8>,
    },
    /// No target; a subclass of the process class whose `run()` exits with
    /// `code`. Needs [`Capability::Subclass`].
    RunOverride { code: u8 },
    /// `sys.exit()` without an argument: exit code 0.
    SysExit,
    /// `sys.exit(None)`: exit code 0.
    SysExitNone,
    /// `os._exit(code)`: exit at once, no exit handler, no clean-up.
    OsExit { code: u8 },
    /// The child sends itself `signal` (`SIGABRT` or `SIGUSR1`), whose
    /// default action ends it: exit code minus the signal number.
    SelfSignal { signal: SelfSignal },
}

/// A signal a [`Target::SelfSignal`] child sends itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SelfSignal {
    /// `abort()`'s signal, 6 everywhere.
    #[serde(rename = "SIGABRT")]
    Abort,
    /// The first user signal: 10 on Linux (30 on macOS and the BSDs).
    #[serde(rename = "SIGUSR1")]
    Usr1,
}

impl SelfSignal {
    /// The signal number on Linux, which the model's exit codes use.
    pub fn number(self) -> i32 {
        match self {
            SelfSignal::Abort => 6,
            SelfSignal::Usr1 => 10,
        }
    }
}

impl Target {
    /// The exit code this target ends with when it ends by itself (not for
    /// the blocking targets). `None` for blocking targets.
    pub fn exit_code(&self) -> Option<i32> {
        Some(match self {
            Target::Exit { code } | Target::OsExit { code } | Target::RunOverride { code } => {
                i32::from(*code)
            }
            Target::Return | Target::NoTarget | Target::SysExit | Target::SysExitNone => 0,
            Target::Raise | Target::ExitWithMessage { .. } => 1,
            Target::Args { a, b, c } => {
                36 * i32::from(*a) + 6 * i32::from(*b) + i32::from(c.unwrap_or(5))
            }
            Target::SelfSignal { signal } => -signal.number(),
            Target::Block | Target::IgnoreSigterm | Target::Agent => return None,
        })
    }
}

/// What an [`Op::Await`] polls for, on a process object held by its
/// creator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Until {
    /// `p.is_alive()` answers `False`.
    NotAlive,
    /// `p.exitcode` is not `None`.
    Exitcode,
    /// `p` is not among `active_children()`.
    NotActive,
}

impl From<&str> for NameArg {
    fn from(s: &str) -> NameArg {
        NameArg::Str(s.to_string())
    }
}

/// The value `set-name` assigns: a string, or (to check that the setter
/// refuses it) an integer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NameArg {
    /// A proper name.
    Str(String),
    /// Not a string: the setter must refuse it.
    Int(i64),
}

impl Target {
    /// Whether this target waits for [`Op::Release`] before it can end on
    /// its own.
    pub fn blocks(&self) -> bool {
        matches!(self, Target::Block | Target::IgnoreSigterm | Target::Agent)
    }
}

/// What can be asked of an implementation. Each op is executed **at** a
/// process (see [`Step`]) and most address a process object `p` held there.
/// `p == at` addresses the executing process's own `current_process()`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
#[allow(missing_docs)] // the fields are spec/protocol.schema.json's
pub enum Op {
    /// Construct a process object named `id` at the executing process.
    /// `group` is the constructor's compatibility argument: anything but
    /// absent must be refused.
    Create {
        id: Ref,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        daemon: Option<bool>,
        target: Target,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// `p.run()` in the executing process (only meaningful for targets
    /// that return without exiting).
    Run { p: Ref },
    /// `p.start()`.
    Start { p: Ref },
    /// `p.join(timeout)`; `timeout_ms` absent means block until exit. A
    /// negative timeout is passed as is (CPython treats it as 0).
    Join {
        p: Ref,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<i64>,
    },
    /// Poll `p` (`is_alive()`, `exitcode` or `active_children()`) until
    /// `until` holds or `timeout_ms` passed, without joining; `true` if it
    /// held. Checks that an ended child is *seen* to end without `join`.
    Await {
        p: Ref,
        until: Until,
        timeout_ms: u64,
    },
    /// `p.is_alive()`.
    IsAlive { p: Ref },
    /// `p.exitcode`.
    Exitcode { p: Ref },
    /// `p.pid` (also `ident`).
    Pid { p: Ref },
    /// `p.sentinel`: its value is opaque.
    Sentinel { p: Ref },
    /// Wait on `p.sentinel` for at most `timeout_ms`; `true` if it became
    /// ready.
    WaitSentinel { p: Ref, timeout_ms: u64 },
    /// `p.name`.
    Name { p: Ref },
    /// `p.name = name`.
    SetName { p: Ref, name: NameArg },
    /// `p.daemon`.
    Daemon { p: Ref },
    /// `p.daemon = value`.
    SetDaemon { p: Ref, value: bool },
    /// `p.authkey`: answered with a fingerprint, never the bytes.
    Authkey { p: Ref },
    /// `p.authkey = key` (`key_hex`: the bytes in hex).
    SetAuthkey { p: Ref, key_hex: String },
    /// Try to serialise `p.authkey` outside of spawning a child (pickle it).
    SerializeAuthkey { p: Ref },
    /// `len(p.authkey)`: the key's length in bytes.
    AuthkeyLength { p: Ref },
    /// Whether the descriptor behind `p.sentinel` (recorded by the adapter
    /// when `p` started) is still open in the holding process: `close()`
    /// must release it.
    SentinelOpen { p: Ref },
    /// `p.terminate()`.
    Terminate { p: Ref },
    /// `p.kill()`.
    Kill { p: Ref },
    /// `p.close()`.
    Close { p: Ref },
    /// Let the blocked child behind `p` go on (it returns; an agent stops
    /// serving and exits). Executed by the process holding `p`'s release
    /// pipe, i.e. at `p`'s creator.
    Release { p: Ref },
    /// `active_children()`, answered as the refs of the objects it lists.
    ActiveChildren,
    /// `current_process().name`.
    CurrentProcess,
    /// `parent_process()`: its name, or none in the main process.
    ParentProcess,
    /// The exception hierarchy of the implementation, as
    /// `"Child<Base"` pairs sorted and joined by `;`.
    ExceptionHierarchy,
    /// The real use of the authkey: a `multiprocessing.connection`
    /// `Listener` whose authkey is the current process's accepts a `Client`
    /// that offers the same key (`wrong_key = false`: `ok true`) or another
    /// random 32-byte key (`true`: the client's `AuthenticationError`,
    /// `err authentication-failed`).
    Handshake {
        #[serde(default)]
        wrong_key: bool,
    },
    /// `Connection.recv_bytes_into(bytearray(buffer))` on one end of a
    /// `Pipe()` whose other end sent [`RECV_MESSAGE_LEN`] bytes: the
    /// number of bytes read when they fit, else `BufferTooShort` carrying
    /// the whole message in `args[0]` (`err buffer-too-short`).
    RecvBytesInto { buffer: u64 },
    /// A subclass of the process class whose `__init__` does not call the
    /// base constructor (the docs make that the subclass author's duty),
    /// without a target: one is constructed and started. `ok none` when
    /// `start()` starts it anyway (the adapter then joins it); the error
    /// when it refuses: an `AttributeError` naming one of the base's
    /// attributes is `not-initialised` (CPython). An `impl` observation.
    StartSkippingInit,
    /// Observed by the runner, not the implementation: how many processes
    /// were orphaned to the runner (reparented to it) and are still alive.
    Orphans,
}

/// The message `recv-bytes-into` receives (the Python adapter sends the
/// same bytes: `RECV_MESSAGE` in `fixtures/python/procspec_adapter.py`).
pub const RECV_MESSAGE: &[u8] = b"procspec-recv-bytes-into-message";

/// The length of the message `recv-bytes-into` receives (a buffer of at
/// least this many bytes holds it).
pub const RECV_MESSAGE_LEN: u64 = RECV_MESSAGE.len() as u64;

impl Op {
    /// The process object this op addresses, if any.
    pub fn subject(&self) -> Option<&Ref> {
        match self {
            Op::Create { id, .. } => Some(id),
            Op::Run { p }
            | Op::Start { p }
            | Op::Join { p, .. }
            | Op::Await { p, .. }
            | Op::AuthkeyLength { p }
            | Op::SentinelOpen { p }
            | Op::IsAlive { p }
            | Op::Exitcode { p }
            | Op::Pid { p }
            | Op::Sentinel { p }
            | Op::WaitSentinel { p, .. }
            | Op::Name { p }
            | Op::SetName { p, .. }
            | Op::Daemon { p }
            | Op::SetDaemon { p, .. }
            | Op::Authkey { p }
            | Op::SetAuthkey { p, .. }
            | Op::SerializeAuthkey { p }
            | Op::Terminate { p }
            | Op::Kill { p }
            | Op::Close { p }
            | Op::Release { p } => Some(p),
            Op::ActiveChildren
            | Op::CurrentProcess
            | Op::ParentProcess
            | Op::ExceptionHierarchy
            | Op::Handshake { .. }
            | Op::RecvBytesInto { .. }
            | Op::StartSkippingInit
            | Op::Orphans => None,
        }
    }

    /// The capabilities an implementation needs to be asked this op.
    pub fn needs(&self) -> Vec<Capability> {
        use Capability as C;
        match self {
            Op::Create { target, group, .. } => {
                let mut v = Vec::new();
                if *target == Target::Agent {
                    v.push(C::Agent);
                }
                if group.is_some() {
                    v.push(C::GroupArg);
                }
                if matches!(target, Target::RunOverride { .. }) {
                    v.push(C::Subclass);
                }
                v
            }
            Op::Run { .. } => vec![C::Run],
            Op::Join {
                timeout_ms: Some(_),
                ..
            } => vec![C::JoinTimeout],
            Op::Sentinel { .. } | Op::WaitSentinel { .. } => vec![C::Sentinel],
            Op::SentinelOpen { .. } => vec![C::Sentinel, C::Descriptors],
            Op::AuthkeyLength { .. } => vec![C::Authkey],
            Op::Daemon { .. } | Op::SetDaemon { .. } => vec![C::Daemon],
            Op::Authkey { .. } | Op::SetAuthkey { .. } => vec![C::Authkey],
            Op::SerializeAuthkey { .. } => vec![C::Authkey, C::AuthkeySerialize],
            Op::Terminate { .. } => vec![C::Terminate],
            Op::Kill { .. } => vec![C::Kill],
            Op::Close { .. } => vec![C::Close],
            Op::ExceptionHierarchy => vec![C::Exceptions],
            Op::Handshake { .. } => vec![C::Authkey, C::Connection],
            Op::RecvBytesInto { .. } => vec![C::Connection],
            Op::StartSkippingInit => vec![C::SkippableInit],
            Op::Orphans => vec![C::Orphans],
            _ => Vec::new(),
        }
    }

    /// The op's name as in the serde form (`join`, `set-daemon`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Create { .. } => "create",
            Op::Run { .. } => "run",
            Op::Start { .. } => "start",
            Op::Join { .. } => "join",
            Op::Await { .. } => "await",
            Op::AuthkeyLength { .. } => "authkey-length",
            Op::SentinelOpen { .. } => "sentinel-open",
            Op::IsAlive { .. } => "is-alive",
            Op::Exitcode { .. } => "exitcode",
            Op::Pid { .. } => "pid",
            Op::Sentinel { .. } => "sentinel",
            Op::WaitSentinel { .. } => "wait-sentinel",
            Op::Name { .. } => "name",
            Op::SetName { .. } => "set-name",
            Op::Daemon { .. } => "daemon",
            Op::SetDaemon { .. } => "set-daemon",
            Op::Authkey { .. } => "authkey",
            Op::SetAuthkey { .. } => "set-authkey",
            Op::SerializeAuthkey { .. } => "serialize-authkey",
            Op::Terminate { .. } => "terminate",
            Op::Kill { .. } => "kill",
            Op::Close { .. } => "close",
            Op::Release { .. } => "release",
            Op::ActiveChildren => "active-children",
            Op::CurrentProcess => "current-process",
            Op::ParentProcess => "parent-process",
            Op::ExceptionHierarchy => "exception-hierarchy",
            Op::Handshake { .. } => "handshake",
            Op::RecvBytesInto { .. } => "recv-bytes-into",
            Op::StartSkippingInit => "start-skipping-init",
            Op::Orphans => "orphans",
        }
    }
}

/// One op executed at one process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step {
    /// Where the op runs: `main` or a started agent child.
    pub at: Ref,
    /// What is asked.
    #[serde(flatten)]
    pub op: Op,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One compact line, e.g. `main: join p1 timeout_ms=10`.
        let json = serde_json::to_value(&self.op).unwrap_or_default();
        write!(f, "{}: {}", self.at, self.op.name())?;
        if let serde_json::Value::Object(map) = json {
            for (k, v) in map {
                if k == "op" {
                    continue;
                }
                match v {
                    serde_json::Value::String(s) if k == "p" || k == "id" => write!(f, " {s}")?,
                    other => write!(f, " {k}={other}")?,
                }
            }
        }
        Ok(())
    }
}

/// A value an op returns. Pids and sentinels are opaque to comparison (two
/// pids match whatever their numbers); the harness checks their stability
/// separately. The authkey is only ever carried as a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Value {
    /// `None`.
    None,
    /// A boolean.
    Bool(bool),
    /// An integer (exit codes).
    Int(i64),
    /// A string (names).
    Str(String),
    /// A process id.
    Pid(u32),
    /// A sentinel handle (fd number on POSIX).
    Sentinel(i64),
    /// An authkey, as [`authkey_fingerprint`] of its bytes.
    Authkey(String),
    /// A set of refs (`active_children()`), sorted.
    Refs(Vec<Ref>),
}

/// The fingerprint by which an authkey travels: the first 16 hex digits of
/// the SHA-256 of its bytes. It identifies a key without revealing it.
pub fn authkey_fingerprint(key: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a key given in hex (`Op::SetAuthkey`'s `key_hex`), or
/// `None` if it is not hex.
pub fn authkey_from_hex(key_hex: &str) -> Option<Vec<u8>> {
    if !key_hex.len().is_multiple_of(2) || !key_hex.is_ascii() {
        return None;
    }
    (0..key_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&key_hex[i..i + 2], 16).ok())
        .collect()
}

/// Abstract error kinds; adapters map native errors onto these. Messages
/// are kept in results for people, never compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The object was closed.
    Closed,
    /// `start()` on an object that was started already.
    AlreadyStarted,
    /// An op that needs a started process on one that was not started.
    NotStarted,
    /// An op only the creating process may do, done elsewhere.
    NotParent,
    /// A daemonic process tried to start a child.
    DaemonicChildren,
    /// `close()` while the process still runs.
    StillRunning,
    /// A bad argument (e.g. `group` not None, a name that is no string).
    InvalidArgument,
    /// The implementation does not offer this op.
    Unsupported,
    /// A value refused to be serialised (the authkey).
    NotSerializable,
    /// `recv_bytes_into()` into a buffer too small for the message
    /// (`multiprocessing.BufferTooShort`, the message in `args[0]`).
    BufferTooShort,
    /// A connection handshake failed: the keys differ
    /// (`multiprocessing.AuthenticationError`).
    AuthenticationFailed,
    /// An op on an object whose class skipped the base constructor failed
    /// for want of the state it sets up (an `AttributeError` naming one of
    /// the base's attributes).
    NotInitialised,
    /// A native error the adapter could not map; never guessed.
    Unmapped,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Closed,
        ErrorKind::AlreadyStarted,
        ErrorKind::NotStarted,
        ErrorKind::NotParent,
        ErrorKind::DaemonicChildren,
        ErrorKind::StillRunning,
        ErrorKind::InvalidArgument,
        ErrorKind::Unsupported,
        ErrorKind::NotSerializable,
        ErrorKind::AuthenticationFailed,
        ErrorKind::BufferTooShort,
        ErrorKind::NotInitialised,
        ErrorKind::Unmapped,
    ];
}

/// What an op did: a value or an error kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The op returned this value.
    Ok(Value),
    /// The op raised an error of this kind.
    Err(ErrorKind),
}

impl Outcome {
    /// `Ok(None)`, what most mutating ops return.
    pub const NONE: Outcome = Outcome::Ok(Value::None);

    /// Whether the op failed.
    pub fn is_err(&self) -> bool {
        matches!(self, Outcome::Err(_))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(v) => write!(f, "ok {v}"),
            Outcome::Err(k) => write!(f, "err {}", kebab(k)),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("none"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Pid(_) => f.write_str("<pid>"),
            Value::Sentinel(_) => f.write_str("<sentinel>"),
            Value::Authkey(fp) => write!(f, "authkey:{fp}"),
            Value::Refs(rs) => {
                let names: Vec<&str> = rs.iter().map(Ref::as_str).collect();
                write!(f, "[{}]", names.join(","))
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&kebab(self))
    }
}

fn kebab<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

/// What an implementation offers. A clause that needs a missing capability
/// is reported `precondition-failed`, not `fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// `terminate()`.
    Terminate,
    /// `kill()`.
    Kill,
    /// `sentinel`.
    Sentinel,
    /// The daemon flag and its rules.
    Daemon,
    /// `authkey`.
    Authkey,
    /// `close()`.
    Close,
    /// `join(timeout)`.
    JoinTimeout,
    /// Agent children that serve ops (grandchildren, non-parent ops).
    Agent,
    /// Children started by fork inherit the creator's process objects.
    InheritHandles,
    /// The fork start method.
    Fork,
    /// The `group` constructor argument.
    GroupArg,
    /// `run()` in the current process.
    Run,
    /// The exception hierarchy (ProcessError and its subclasses).
    Exceptions,
    /// The runner can observe orphaned processes (a subreaper).
    Orphans,
    /// Serialising the authkey can be attempted.
    AuthkeySerialize,
    /// A subclass of the process class can override `run()`.
    Subclass,
    /// The adapter can tell whether a descriptor it recorded is still open.
    Descriptors,
    /// `multiprocessing.connection` (`Listener`, `Client`): the handshake
    /// that uses the authkey.
    Connection,
    /// A subclass can be written whose constructor skips the base one
    /// (Python; a Rust type cannot exist without its fields).
    SkippableInit,
}

/// How binding a clause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Documented: every implementation must honour it.
    Must,
    /// Recommended; a failure is reported but weighs less.
    Should,
    /// Implementation-defined: the model allows every reasonable outcome
    /// and the clause's note says what CPython does.
    Impl,
}

/// One rule of the spec, from `spec/clauses.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Stable slug, `area.rule`.
    pub id: String,
    /// How binding it is.
    pub level: Level,
    /// The sentence it comes from, verbatim (whitespace aside).
    pub quote: String,
    /// Where the quote is: a doc anchor.
    pub source: String,
    /// Capabilities needed to check it.
    #[serde(default)]
    pub needs: Vec<Capability>,
    /// What implementations (CPython) really do, where it matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
