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
    /// `multiprocessing.BufferTooShort`: [`Connection::recv_bytes_into`]
    /// was given a buffer smaller than the message read. The error carries
    /// the whole message ([`Error::received`], CPython's `e.args[0]`).
    ///
    /// [`Connection::recv_bytes_into`]: crate::connection::Connection::recv_bytes_into
    BufferTooShort,
    /// `multiprocessing.AuthenticationError`: the authkey handshake of a
    /// [`Listener`](crate::connection::Listener) or
    /// [`Client`](crate::connection::Client) failed.
    AuthenticationError,
    /// `multiprocessing.TimeoutError`: a method with a timeout saw it
    /// expire. Kept for the hierarchy's sake: nothing in this crate raises
    /// it (`join(timeout)` returns on timeout, as CPython's does).
    Timeout,
}

impl ErrorKind {
    /// The `multiprocessing.ProcessError` subclass ("the base class of all
    /// multiprocessing exceptions") CPython raises an error of this kind
    /// as: `BufferTooShort`, `AuthenticationError`, `TimeoutError`. `None`
    /// for the kinds CPython raises as builtins (`ValueError`,
    /// `AssertionError`, `OSError` ...).
    pub fn process_error_class(self) -> Option<&'static str> {
        match self {
            ErrorKind::BufferTooShort => Some("BufferTooShort"),
            ErrorKind::AuthenticationError => Some("AuthenticationError"),
            ErrorKind::Timeout => Some("TimeoutError"),
            _ => None,
        }
    }

    /// Every kind, in declaration order (for listing the hierarchy).
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Closed,
        ErrorKind::AlreadyStarted,
        ErrorKind::NotStarted,
        ErrorKind::NotParent,
        ErrorKind::DaemonicChildren,
        ErrorKind::StillRunning,
        ErrorKind::InvalidArgument,
        ErrorKind::Unsupported,
        ErrorKind::NotSerializable,
        ErrorKind::Os,
        ErrorKind::BufferTooShort,
        ErrorKind::AuthenticationError,
        ErrorKind::Timeout,
    ];
}

/// An error from this crate: a [`ErrorKind`] plus a message. `Display`
/// prints the message alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// `BufferTooShort`'s message read (CPython's `e.args[0]`).
    received: Option<Vec<u8>>,
}

/// `Result<T, Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            received: None,
        }
    }

    /// A `BufferTooShort` error carrying the whole message read.
    pub(crate) fn buffer_too_short(message: Vec<u8>) -> Error {
        Error {
            kind: ErrorKind::BufferTooShort,
            message: format!(
                "a message of {} bytes does not fit the buffer",
                message.len()
            ),
            received: Some(message),
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

    /// For [`ErrorKind::BufferTooShort`]: the whole message that was read,
    /// as CPython's `e.args[0]` ("If e is an instance of BufferTooShort then
    /// e.args\[0\] will give the message as a byte string"); `None` for every
    /// other error.
    pub fn received(&self) -> Option<&[u8]> {
        self.received.as_deref()
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
