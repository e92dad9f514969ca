//! The crate's error type, for a line the decoder does not accept where
//! the caller needs to tell why ([`crate::parse_hello`]). The answers to a
//! request have their own, [`Rejection`](crate::Rejection), which tells an
//! adapter still in step (`Refused`) from one that broke the protocol
//! (`Broken`); a request an adapter cannot accept is a
//! [`RequestError`](crate::RequestError), the `error` line to answer.

use std::fmt;

/// A rejected line: what kind of problem, and a message for people (the
/// line quoted through the [sanitiser](crate::sanitize)). [`Display`](fmt::Display)
/// is the message alone, as reports and tests quote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What kind of problem an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The adapter answered with a well-formed `error` line: it could not
    /// start (`adapter refused to start: ...`, its own message).
    Refused,
    /// Not the message expected: another type, or an `error` line that is
    /// itself malformed (`expected a hello line...`).
    Unexpected,
    /// The adapter speaks another protocol version
    /// (`adapter speaks protocol N, runner speaks 1`).
    Version,
    /// Not a JSON object, or the message with a missing, extra-typed or
    /// empty field (`bad hello ...`).
    Malformed,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message, owned.
    pub fn into_message(self) -> String {
        self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
