//! How to start an adapter: a program, its arguments, environment and
//! working directory, parsed from one shell-like command line without a
//! shell.

use crate::error::{Error, ErrorKind};
use std::fmt;
use std::path::PathBuf;

/// The command that starts an adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCommand {
    /// The program (looked up in `PATH` when it has no `/`).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables added to the runner's environment.
    pub env: Vec<(String, String)>,
    /// The working directory; the runner's when `None`.
    pub cwd: Option<PathBuf>,
}

/// Characters that mean something to a shell and nothing here: refused
/// unquoted, so that `adapter > log` does not silently pass `>` as an
/// argument.
const SHELL_ONLY: &[char] = &['|', '&', ';', '<', '>', '(', ')', '$', '`'];

#[derive(Default)]
struct Word {
    text: String,
    /// Byte offset of the first `=` if nothing before it was quoted.
    eq: Option<usize>,
    /// Whether a quote or escape has been seen in this word.
    quoted: bool,
}

impl Word {
    /// `NAME=value`, when NAME is a plain unquoted variable name.
    fn assignment(&self) -> Option<(String, String)> {
        let eq = self.eq?;
        let name = &self.text[..eq];
        let mut chars = name.chars();
        let first = chars.next()?;
        let valid = (first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        valid.then(|| (name.to_string(), self.text[eq + 1..].to_string()))
    }
}

impl RemoteCommand {
    /// A command running `program` with no arguments.
    pub fn new(program: impl Into<String>) -> RemoteCommand {
        RemoteCommand {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
        }
    }

    /// Add an argument.
    pub fn arg(mut self, arg: impl Into<String>) -> RemoteCommand {
        self.args.push(arg.into());
        self
    }

    /// Split a command line the way a POSIX shell splits words, without
    /// running a shell: blanks separate words; `'...'` is literal; in
    /// `"..."` a backslash escapes `"`, `\`, `$` and `` ` ``; outside quotes
    /// a backslash escapes any character. Leading `NAME=value` words are
    /// environment assignments. Nothing is expanded: unquoted `$`, `` ` ``,
    /// `|`, `&`, `;`, `<`, `>`, `(`, `)`, a `$` or `` ` `` in double quotes
    /// and a word starting with `#` are refused, since they would mean
    /// something else to a shell.
    pub fn parse(command_line: &str) -> Result<RemoteCommand, Error> {
        split(command_line).map_err(|m| Error::new(ErrorKind::CommandLine, m))
    }
}

/// [`RemoteCommand::parse`], with a bare message.
fn split(command_line: &str) -> Result<RemoteCommand, String> {
    let mut words: Vec<Word> = Vec::new();
    let mut cur: Option<Word> = None;
    let mut chars = command_line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(Word::default);
                w.quoted = true;
                loop {
                    match chars.next() {
                        None => return Err("unterminated single quote".into()),
                        Some('\'') => break,
                        Some(c) => w.text.push(c),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(Word::default);
                w.quoted = true;
                loop {
                    match chars.next() {
                        None => return Err("unterminated double quote".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            None => return Err("unterminated double quote".into()),
                            Some('\n') => {}
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.text.push(c),
                            Some(c) => {
                                w.text.push('\\');
                                w.text.push(c);
                            }
                        },
                        Some(c @ ('$' | '`')) => return Err(needs_shell(c)),
                        Some(c) => w.text.push(c),
                    }
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(Word::default);
                match chars.next() {
                    None => return Err("trailing backslash".into()),
                    Some('\n') => {}
                    Some(c) => {
                        w.quoted = true;
                        w.text.push(c);
                    }
                }
            }
            '#' if cur.is_none() => return Err(needs_shell('#')),
            c if SHELL_ONLY.contains(&c) => return Err(needs_shell(c)),
            '=' => {
                let w = cur.get_or_insert_with(Word::default);
                if w.eq.is_none() && !w.quoted {
                    w.eq = Some(w.text.len());
                }
                w.text.push('=');
            }
            c => cur.get_or_insert_with(Word::default).text.push(c),
        }
    }
    if let Some(w) = cur.take() {
        words.push(w);
    }

    let mut env = Vec::new();
    let mut rest = words.into_iter();
    for w in rest.by_ref() {
        match w.assignment() {
            Some(kv) => env.push(kv),
            None => {
                return Ok(RemoteCommand {
                    program: w.text,
                    args: rest.map(|w| w.text).collect(),
                    env,
                    cwd: None,
                })
            }
        }
    }
    Err(if env.is_empty() {
        "empty command".into()
    } else {
        "no program after the environment assignments".into()
    })
}

fn needs_shell(c: char) -> String {
    format!("`{c}` means something to a shell, and no shell runs the adapter: quote it to pass it literally")
}

/// Quote a word for display, so that [`RemoteCommand::parse`] reads it back.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,+@%^".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl fmt::Display for RemoteCommand {
    /// The command line, quoted so that [`RemoteCommand::parse`] reads it back
    /// (the working directory is not part of it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.env {
            write!(f, "{k}={} ", quote(v))?;
        }
        write!(f, "{}", quote(&self.program))?;
        for a in &self.args {
            write!(f, " {}", quote(a))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> (Vec<(String, String)>, String, Vec<String>) {
        let c = RemoteCommand::parse(line).unwrap();
        (c.env, c.program, c.args)
    }

    #[test]
    fn splits_on_blanks() {
        let (env, p, a) = words("  python3   adapter.py\t--start-method fork ");
        assert!(env.is_empty());
        assert_eq!(p, "python3");
        assert_eq!(a, ["adapter.py", "--start-method", "fork"]);
    }

    #[test]
    fn quotes_and_escapes() {
        let (_, p, a) = words(r#"'my prog' "a \"b\" \\ \x" 'it'\''s' a\ b "" x''y"#);
        assert_eq!(p, "my prog");
        assert_eq!(a, [r#"a "b" \ \x"#, "it's", "a b", "", "xy"]);
    }

    #[test]
    fn leading_assignments_are_environment() {
        let (env, p, a) = words("A=1 B_2='x y' python3 C=3 'D=4'");
        assert_eq!(
            env,
            [("A".into(), "1".into()), ("B_2".into(), "x y".into())]
        );
        assert_eq!(p, "python3");
        assert_eq!(a, ["C=3", "D=4"]);
        // A quoted name is no assignment: it is the program.
        let (env, p, _) = words("'A'=1 prog");
        assert!(env.is_empty());
        assert_eq!(p, "A=1");
        let (env, p, _) = words("1A=1 prog");
        assert!(env.is_empty());
        assert_eq!(p, "1A=1");
    }

    #[test]
    fn refuses_what_needs_a_shell() {
        for bad in [
            "prog > log",
            "prog | tee",
            "prog; other",
            "prog &",
            "prog $HOME",
            "prog \"$HOME\"",
            "prog `id`",
            "prog # comment",
            "prog (x)",
        ] {
            let e = RemoteCommand::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::CommandLine);
            assert!(e.message().contains("shell"), "{bad}: {e}");
        }
        // Quoted, they are plain characters.
        let (_, _, a) = words(r#"prog '>' '$HOME' \| "a#b" x#y"#);
        assert_eq!(a, [">", "$HOME", "|", "a#b", "x#y"]);
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(
            RemoteCommand::parse("").unwrap_err().message(),
            "empty command"
        );
        assert_eq!(
            RemoteCommand::parse("   ").unwrap_err().message(),
            "empty command"
        );
        assert!(RemoteCommand::parse("A=1")
            .unwrap_err()
            .message()
            .contains("no program"));
        assert!(RemoteCommand::parse("prog 'x")
            .unwrap_err()
            .message()
            .contains("single"));
        assert!(RemoteCommand::parse("prog \"x")
            .unwrap_err()
            .message()
            .contains("double"));
        assert!(RemoteCommand::parse("prog x\\")
            .unwrap_err()
            .message()
            .contains("backslash"));
    }

    #[test]
    fn display_round_trips() {
        let mut c = RemoteCommand::new("my prog")
            .arg("--x=1")
            .arg("it's")
            .arg("")
            .arg("$HOME");
        c.env.push(("A".into(), "b c".into()));
        let back = RemoteCommand::parse(&c.to_string()).unwrap();
        assert_eq!(back, c);
    }
}
