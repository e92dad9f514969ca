//! The harness's error type for bad input given to its public functions
//! (adapter failures are [`crate::AdapterFailure`], outcomes of a run, not
//! errors).

use std::fmt;

/// Bad input to a harness function: what kind, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What kind of problem an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An adapter's command line could not be split into words
    /// ([`crate::remote::RemoteCommand::parse`]).
    CommandLine,
    /// A second [`crate::supervisor::install`]: a process has one
    /// supervisor.
    SupervisorInstalled,
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
