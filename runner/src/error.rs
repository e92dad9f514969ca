//! The runner's error type: why a tracked implementation cannot run here
//! ([`crate::impls::ImplSpec::resolve`], [`crate::impls::find_interpreter`]).
//! (Bad implementation *files* are `procspec_spec::SpecError`s, with file
//! and line.)

use std::fmt;

/// Why something the runner needs is not available here: what kind, and a
/// message for people. [`Display`](fmt::Display) is the message alone: it
/// is the skip reason a run report records (`run_info.skip_reason`) and
/// `procspec list impls` shows, word for word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What kind of problem an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An interpreter a placeholder names (`{python3.12}`) is not installed
    /// (or does not run, or is another version), or the placeholder names
    /// no interpreter.
    Interpreter,
    /// The implementation's probe failed, or could not run or finish.
    Probe,
    /// A `cargo` implementation could not be built: its manifest is not
    /// here, cargo failed or is missing, or it built no such binary.
    Build,
}

impl Error {
    // Only `impls` (Unix only for now) makes errors.
    #[cfg_attr(not(unix), allow(dead_code))]
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
