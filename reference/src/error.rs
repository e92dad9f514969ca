//! The crate's error type: a kind to match on and a CPython-worded message.

use std::fmt;

/// What went wrong. Each kind corresponds to one family of CPython
/// assertions or exceptions; the message carries CPython's exact wording.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The object was closed: `ValueError('process object is closed')`.
    Closed,
    /// `start()` twice, or `set_daemon` after start.
    AlreadyStarted,
    /// An operation that needs a started process (join, sentinel, terminate).
    NotStarted,
    /// The calling process did not create this object.
    NotParent,
    /// A daemonic process tried to start a child.
    DaemonicChildren,
    /// `close()` on a child that is still running.
    StillRunning,
    /// An argument the operation cannot use.
    InvalidArgument,
    /// Not supported here (e.g. a closure target under spawn).
    Unsupported,
    /// Serialising a target's arguments (or an authkey) failed.
    NotSerializable,
    /// A system call failed.
    Os,
}

/// An error from this crate: a [`ErrorKind`] plus a message. `Display`
/// prints the message alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// `Result<T, Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The kind, to match on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (the same text `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn closed() -> Error {
        Error::new(ErrorKind::Closed, "process object is closed")
    }

    pub(crate) fn os(what: &str, e: std::io::Error) -> Error {
        Error::new(ErrorKind::Os, format!("{what}: {e}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
