//! The spec crate's one error type: bad input files, with file and line.

use std::fmt;

/// An input file (clauses, cases, expectations) that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    kind: SpecErrorKind,
    path: String,
    line: usize,
    message: String,
}

/// What kind of problem a [`SpecError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecErrorKind {
    /// Not valid TOML/JSON, or not of the expected shape.
    Syntax,
    /// Well-formed but wrong: an unknown clause id, a duplicate, a step the
    /// model cannot run.
    Invalid,
}

/// The longest message kept, in characters: parser messages quote the
/// input, which may be a 100 000-character op name.
const MAX_MESSAGE_CHARS: usize = 1000;

/// A message fit to print: file text it quotes (serde's "unknown variant
/// `...`") has its control characters (all but `\n`) escaped, so a file
/// cannot move the cursor or forge lines, and is cut at
/// [`MAX_MESSAGE_CHARS`].
fn clean(message: &str) -> String {
    let mut out = String::new();
    for (i, c) in message.chars().enumerate() {
        if i == MAX_MESSAGE_CHARS {
            out.push_str("[...]");
            break;
        }
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl SpecError {
    pub(crate) fn from_toml(path: &str, text: &str, e: &toml::de::Error) -> SpecError {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0);
        SpecError {
            kind: SpecErrorKind::Syntax,
            path: path.to_string(),
            line,
            message: clean(e.message()),
        }
    }

    /// A well-formed file with a wrong value at `line` (0 if unknown).
    pub fn invalid(path: &str, line: usize, message: impl Into<String>) -> SpecError {
        SpecError {
            kind: SpecErrorKind::Invalid,
            path: path.to_string(),
            line,
            message: clean(&message.into()),
        }
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> SpecErrorKind {
        self.kind
    }
    /// The file.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The 1-based line, 0 when not known.
    pub fn line(&self) -> usize {
        self.line
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.path, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for SpecError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_file_text_is_escaped_and_bounded() {
        let e = SpecError::invalid(
            "f.toml",
            3,
            "unknown variant `\u{1b}[31m`\nexpected one of `a`",
        );
        assert_eq!(
            e.message,
            "unknown variant `\\u{1b}[31m`\nexpected one of `a`"
        );
        let long = SpecError::invalid("f.toml", 3, "x".repeat(100_000));
        assert_eq!(long.message.chars().count(), MAX_MESSAGE_CHARS + 5);
        assert!(long.message.ends_with("[...]"));
    }
}
