//! The crate's one error type: a file or directory that could not be read,
//! parsed or written, always named in the message.

use std::fmt;
use std::path::{Path, PathBuf};

/// A run file that could not be loaded, or a report that could not be
/// written.
///
/// The message names the file, and for bad JSON the line and column, so it
/// can be shown to people as it is: `runs/cpython.json:3:14: invalid json:
/// expected value`.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    line: usize,
    column: usize,
    message: String,
}

/// What kind of problem an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The runs directory could not be listed.
    ReadDir,
    /// A run file could not be read.
    ReadFile,
    /// A run file is not JSON.
    Syntax,
    /// A run file is JSON but not a run report.
    NotARunReport,
    /// Two run files are of the same implementation.
    Duplicate,
    /// A report could not be written.
    Write,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: &Path, message: impl Into<String>) -> Error {
        Error {
            kind,
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    pub(crate) fn from_json(path: &Path, e: &serde_json::Error) -> Error {
        let kind = match e.classify() {
            serde_json::error::Category::Data => ErrorKind::NotARunReport,
            _ => ErrorKind::Syntax,
        };
        let what = match kind {
            ErrorKind::NotARunReport => "not a run report",
            _ => "invalid json",
        };
        // serde_json appends the position to its message; it is kept apart
        // here so the message reads `path:line:column: ...` like a compiler's.
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let text = text.strip_suffix(&suffix).unwrap_or(&text);
        Error {
            kind,
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: format!("{what}: {text}"),
        }
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The file or directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The 1-based line in the file, 0 when not known.
    pub fn line(&self) -> usize {
        self.line
    }
    /// The 1-based column in the file, 0 when not known.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        if self.line > 0 {
            write!(f, "{path}:{}:{}: {}", self.line, self.column, self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}

impl std::error::Error for Error {}
