//! Implementations as data: `fixtures/impls/<name>.toml` says how to start
//! one tracked implementation, and where its known divergences are.
//!
//! ```toml
//! description = "CPython multiprocessing, fork start method, default python3"
//! kind = "remote"                      # or "reference"
//! start_method = "fork"
//! command = ["{python3}", "fixtures/python/procspec_adapter.py", "--start-method", "fork",
//!            "--implementation", "cpython-fork"]
//! expectations = "fixtures/expectations/cpython-fork.toml"
//! # optional: must succeed for the implementation to be present here;
//! # else its run is `skip` with this reason
//! probe = ["{python3}", "-c", "import multiprocessing"]
//! skip_reason = "python3 is not installed"
//! ```
//!
//! The name of an implementation is its file name without `.toml`.
//!
//! - `kind = "remote"` starts `command` as a [`RemoteAdapter`] (wire
//!   protocol, `spec/INTERPRETING.md`); `kind = "reference"` is the
//!   reference under `start_method` and takes no command: the `procspec`
//!   runner serves it as an adapter process (`procspec serve-reference`),
//!   while [`Resolved::start`] (for tests and other crates) runs the
//!   in-process [`ReferenceAdapter`].
//! - Words of `command` and `probe` that are exactly a placeholder name an
//!   interpreter: `{python3}`, `{python3.12}`, `{pypy3}`, `{pypy3.9}` are
//!   looked up on `PATH` first, then under `$PYENV_ROOT` (default
//!   `~/.pyenv`) as `versions/X.Y*/bin/pythonX.Y` (highest version first);
//!   a candidate counts only if it runs and reports the right version (a
//!   pyenv shim for a version that is not active does not).
//!   `{venv-python}` is `<root>/.venv/bin/python` when that exists, else
//!   `{python3}`. Other words are literal.
//! - Relative paths are relative to the repository root: the adapter runs
//!   with the root as its working directory, and a relative program path
//!   (one with a `/`) is made absolute against the root.
//!
//! [`load_impls`] reads and checks every file (unknown keys, bad values and
//! unknown placeholders are errors naming file and line);
//! [`ImplSpec::resolve`] turns one into something that can be started here,
//! or into the reason it is not present (an interpreter that cannot be
//! found, a failing probe).

use crate::adapter::{Adapter, AdapterFailure};
use crate::reference_adapter::ReferenceAdapter;
use crate::remote::{RemoteAdapter, RemoteCommand};
use procspec_reference::StartMethod;
use procspec_spec::SpecError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use toml::Spanned;

/// How long a probe (or an interpreter's version check) may take.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(30);

/// How an implementation is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImplKind {
    /// procspec's own Rust implementation (`procspec serve-reference`).
    Reference,
    /// An adapter process speaking the wire protocol.
    Remote,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImplFile {
    description: String,
    kind: ImplKind,
    start_method: Spanned<String>,
    #[serde(default)]
    command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    expectations: Option<Spanned<String>>,
    #[serde(default)]
    probe: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    skip_reason: Option<Spanned<String>>,
}

/// One tracked implementation, as its file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplSpec {
    /// The file name without `.toml` (`cpython-fork`).
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// For people.
    pub description: String,
    /// Reference or remote.
    pub kind: ImplKind,
    /// `fork`, `spawn`, `forkserver`.
    pub start_method: String,
    /// The adapter's command line, placeholders unresolved (empty for the
    /// reference).
    pub command: Vec<String>,
    /// The expectation file, relative to the root.
    pub expectations: Option<PathBuf>,
    /// A command that must succeed for the implementation to be present
    /// (empty: none).
    pub probe: Vec<String>,
    /// Why it is skipped when the probe fails.
    pub skip_reason: Option<String>,
}

/// How to start a resolved implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// The in-process reference under this start method.
    Reference(StartMethod),
    /// An adapter process.
    Remote(RemoteCommand),
}

/// An implementation that is present here and can be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Its name.
    pub name: String,
    /// How to start it.
    pub launch: Launch,
    /// Its expectation file (absolute, or as given when the root was
    /// relative), if it has one.
    pub expectations: Option<PathBuf>,
}

impl Resolved {
    /// Start the adapter: ops (and resets) get `deadline`, and so does a
    /// remote adapter's hello.
    pub fn start(&self, deadline: Duration) -> Result<Box<dyn Adapter>, AdapterFailure> {
        match &self.launch {
            Launch::Reference(method) => Ok(Box::new(
                ReferenceAdapter::new(*method).with_deadline(deadline),
            )),
            Launch::Remote(cmd) => {
                let adapter = RemoteAdapter::start(cmd.clone(), deadline)?;
                Ok(Box::new(adapter.with_op_deadline(deadline)))
            }
        }
    }
}

/// The 1-based line of byte offset `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// Whether `name` (a file stem) can name an implementation.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// Parse one implementation file. `name` is its file stem, `path` only
/// names it in errors.
pub fn parse_impl(text: &str, path: &Path, name: &str) -> Result<ImplSpec, SpecError> {
    let shown = path.display().to_string();
    let file: ImplFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_at(text, s.start));
        SpecError::invalid(&shown, line, e.message().trim_end())
    })?;
    let err = |at: usize, msg: String| SpecError::invalid(&shown, line_at(text, at), msg);
    if !is_name(name) {
        return Err(SpecError::invalid(
            &shown,
            0,
            format!("{name:?} cannot name an implementation: use lowercase letters, digits, `-` and `.`"),
        ));
    }
    if file.description.trim().is_empty() {
        return Err(SpecError::invalid(&shown, 1, "`description` is empty"));
    }
    let method = file.start_method.get_ref().clone();
    let method_at = file.start_method.span().start;
    let allowed: &[&str] = match file.kind {
        ImplKind::Reference => &["fork", "spawn"],
        ImplKind::Remote => &["fork", "spawn", "forkserver"],
    };
    if !allowed.contains(&method.as_str()) {
        return Err(err(
            method_at,
            format!("start_method {method:?} is not one of {allowed:?} for this kind"),
        ));
    }
    let command = match (file.kind, file.command) {
        (ImplKind::Reference, Some(c)) => {
            return Err(err(
                c.span().start,
                "a `reference` implementation takes no `command`".into(),
            ))
        }
        (ImplKind::Reference, None) => Vec::new(),
        (ImplKind::Remote, None) => {
            return Err(SpecError::invalid(
                &shown,
                0,
                "a `remote` implementation needs a `command`",
            ))
        }
        (ImplKind::Remote, Some(c)) => {
            let at = c.span().start;
            let words = c.into_inner();
            check_words(&words, "command").map_err(|m| err(at, m))?;
            words
        }
    };
    let probe = match file.probe {
        Some(p) => {
            let at = p.span().start;
            let words = p.into_inner();
            check_words(&words, "probe").map_err(|m| err(at, m))?;
            words
        }
        None => Vec::new(),
    };
    let skip_reason = match file.skip_reason {
        Some(r) if r.get_ref().trim().is_empty() => {
            return Err(err(r.span().start, "`skip_reason` is empty".into()))
        }
        Some(r) if probe.is_empty() => {
            return Err(err(
                r.span().start,
                "`skip_reason` without a `probe` is never used".into(),
            ))
        }
        Some(r) => Some(r.into_inner()),
        None => None,
    };
    let expectations = match file.expectations {
        Some(e) if e.get_ref().trim().is_empty() => {
            return Err(err(e.span().start, "`expectations` is empty".into()))
        }
        Some(e) => Some(PathBuf::from(e.into_inner())),
        None => None,
    };
    Ok(ImplSpec {
        name: name.to_string(),
        file: path.to_path_buf(),
        description: file.description,
        kind: file.kind,
        start_method: method,
        command,
        expectations,
        probe,
        skip_reason,
    })
}

/// A command is not empty, its program is not empty, and every
/// placeholder in it is known.
fn check_words(words: &[String], what: &str) -> Result<(), String> {
    match words.first() {
        None => return Err(format!("`{what}` is empty")),
        Some(p) if p.is_empty() => return Err(format!("`{what}` has an empty program")),
        Some(_) => {}
    }
    for w in words {
        if let Some(name) = placeholder(w) {
            Interpreter::parse(name).ok_or_else(|| {
                format!(
                    "`{what}`: unknown placeholder `{w}` (known: {{python3}}, {{python3.X}}, {{pypy3}}, {{pypy3.X}}, {{venv-python}})"
                )
            })?;
        }
    }
    Ok(())
}

/// The name inside a word that is a placeholder (`{python3}` -> `python3`).
fn placeholder(word: &str) -> Option<&str> {
    let name = word.strip_prefix('{')?.strip_suffix('}')?;
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
    plain.then_some(name)
}

/// Every `*.toml` directly in `dir`, sorted by name. The first bad file is
/// an error naming file and line.
pub fn load_impls(dir: &Path) -> Result<Vec<ImplSpec>, SpecError> {
    let shown = dir.display().to_string();
    let listing = std::fs::read_dir(dir)
        .map_err(|e| SpecError::invalid(&shown, 0, format!("cannot list directory: {e}")))?;
    let mut files = Vec::new();
    for entry in listing {
        let path = entry
            .map_err(|e| SpecError::invalid(&shown, 0, format!("cannot list directory: {e}")))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| SpecError::invalid(&path.display().to_string(), 0, e.to_string()))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(parse_impl(&text, &path, &name)?);
    }
    Ok(out)
}

impl ImplSpec {
    /// The expectation file under `root`, if the implementation has one.
    pub fn expectations_path(&self, root: &Path) -> Option<PathBuf> {
        self.expectations.as_ref().map(|p| root.join(p))
    }

    /// Whether it can run here, and how: resolve the placeholders, run the
    /// probe. `Err` is the reason it is skipped.
    pub fn resolve(&self, root: &Path) -> Result<Resolved, String> {
        let launch = match self.kind {
            ImplKind::Reference => Launch::Reference(if self.start_method == "spawn" {
                StartMethod::Spawn
            } else {
                StartMethod::Fork
            }),
            ImplKind::Remote => {
                let words = resolve_words(&self.command, root)?;
                if !self.probe.is_empty() {
                    run_probe(&self.probe, &resolve_words(&self.probe, root)?, root)
                        .map_err(|detail| self.skip_message(&detail))?;
                }
                let mut cmd = RemoteCommand::new(program_path(&words[0], root));
                cmd.args = words[1..].to_vec();
                cmd.cwd = Some(root.to_path_buf());
                Launch::Remote(cmd)
            }
        };
        Ok(Resolved {
            name: self.name.clone(),
            launch,
            expectations: self.expectations_path(root),
        })
    }

    fn skip_message(&self, detail: &str) -> String {
        match &self.skip_reason {
            Some(r) => format!("{r} ({detail})"),
            None => format!("the probe failed: {detail}"),
        }
    }
}

/// A relative program path with a `/` is made absolute against `root`
/// (the working directory of the child is not where `Command` looks).
fn program_path(program: &str, root: &Path) -> String {
    let p = Path::new(program);
    if p.is_relative() && program.contains('/') {
        root.join(p).to_string_lossy().into_owned()
    } else {
        program.to_string()
    }
}

/// The command with its placeholders replaced by interpreter paths.
fn resolve_words(words: &[String], root: &Path) -> Result<Vec<String>, String> {
    words
        .iter()
        .map(|w| match placeholder(w) {
            None => Ok(w.clone()),
            Some(name) => {
                let path = if name == "venv-python" {
                    let venv = root.join(".venv/bin/python");
                    if venv.is_file() {
                        return Ok(venv.to_string_lossy().into_owned());
                    }
                    find_interpreter("python3")?
                } else {
                    find_interpreter(name)?
                };
                Ok(path.to_string_lossy().into_owned())
            }
        })
        .collect()
}

/// Run a probe under [`PROBE_DEADLINE`]; `Err` says how it failed,
/// showing the probe as written (`as_written`, placeholders and all, so
/// the reason reads the same on every machine).
fn run_probe(as_written: &[String], words: &[String], root: &Path) -> Result<(), String> {
    let shown: Vec<String> = as_written
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(|c: char| c.is_whitespace() || "'\"\\".contains(c)) {
                format!("'{}'", w.replace('\'', r"'\''"))
            } else {
                w.clone()
            }
        })
        .collect();
    let shown = shown.join(" ");
    let out = run_bounded(
        Command::new(program_path(&words[0], root))
            .args(&words[1..])
            .current_dir(root),
    )
    .map_err(|e| format!("`{shown}`: {e}"))?;
    if out.success {
        return Ok(());
    }
    let last = out
        .stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default();
    Err(format!("`{shown}` {}{last}", out.status))
}

struct Bounded {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Run a short command with stdin closed, collecting its output, killed
/// after [`PROBE_DEADLINE`].
fn run_bounded(cmd: &mut Command) -> Result<Bounded, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let by = Instant::now() + PROBE_DEADLINE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < by => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "did not finish within {} s and was killed",
                    PROBE_DEADLINE.as_secs()
                ));
            }
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    Ok(Bounded {
        success: status.success(),
        status: match status.code() {
            Some(c) => format!("exited with status {c}"),
            None => format!("ended by {status}"),
        },
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// An interpreter a placeholder asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interpreter {
    /// `python` or `pypy`.
    family: &'static str,
    /// The version asked for: `[3]`, `[3, 12]`, or empty.
    version: Vec<u32>,
}

impl Interpreter {
    fn parse(name: &str) -> Option<Interpreter> {
        if name == "venv-python" {
            return Some(Interpreter {
                family: "python",
                version: vec![3],
            });
        }
        let (family, rest) = if let Some(r) = name.strip_prefix("python") {
            ("python", r)
        } else if let Some(r) = name.strip_prefix("pypy") {
            ("pypy", r)
        } else {
            return None;
        };
        let version = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('.')
                .map(|p| {
                    (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                        .then(|| p.parse().ok())
                        .flatten()
                })
                .collect::<Option<Vec<u32>>>()?
        };
        (version.len() <= 2).then_some(Interpreter { family, version })
    }

    /// The file name it has on `PATH` and in `bin/`.
    fn file_name(&self) -> String {
        let v: Vec<String> = self.version.iter().map(u32::to_string).collect();
        format!("{}{}", self.family, v.join("."))
    }

    /// Whether a pyenv `versions/` directory name holds it: `3.12.1` for
    /// python3.12, `pypy3.9-7.3.11` for pypy3.9 (never `3.10` for 3.1).
    fn pyenv_dir_matches(&self, dir: &str) -> bool {
        let rest = if self.family == "pypy" {
            match dir.strip_prefix("pypy") {
                Some(r) => r,
                None => return false,
            }
        } else if dir.starts_with(|c: char| c.is_ascii_digit()) {
            dir
        } else {
            return false;
        };
        let v: Vec<String> = self.version.iter().map(u32::to_string).collect();
        let want = v.join(".");
        match rest.strip_prefix(want.as_str()) {
            Some(after) => !after.starts_with(|c: char| c.is_ascii_digit()),
            None => false,
        }
    }

    /// Whether `probe` output (`<implementation name> <major>.<minor>`)
    /// is this interpreter.
    fn accepts(&self, reported: &str) -> bool {
        let mut parts = reported.split_whitespace();
        let (Some(imp), Some(ver)) = (parts.next(), parts.next()) else {
            return false;
        };
        if self.family == "pypy" && imp != "pypy" {
            return false;
        }
        let got: Vec<&str> = ver.split('.').collect();
        self.version
            .iter()
            .zip(got.iter())
            .all(|(w, g)| w.to_string() == *g)
    }
}

/// A version directory name as numbers, for ordering (`3.12.1` ->
/// `[3, 12, 1]`; non-numeric parts end it).
fn version_key(dir: &str) -> Vec<u32> {
    dir.trim_start_matches(|c: char| !c.is_ascii_digit())
        .split(['.', '-'])
        .map_while(|p| p.parse().ok())
        .collect()
}

/// Where the interpreter a placeholder names is: `PATH` first, then pyenv.
/// Each candidate must run and report the asked version. Answers are
/// cached for the life of the process.
pub fn find_interpreter(name: &str) -> Result<PathBuf, String> {
    static CACHE: Mutex<BTreeMap<String, Result<PathBuf, String>>> = Mutex::new(BTreeMap::new());
    if let Some(hit) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(name) {
        return hit.clone();
    }
    let found = search_interpreter(name);
    CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string(), found.clone());
    found
}

fn search_interpreter(name: &str) -> Result<PathBuf, String> {
    let want = Interpreter::parse(name).ok_or_else(|| format!("unknown interpreter {name:?}"))?;
    let file = want.file_name();
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let c = dir.join(&file);
            if c.is_file() {
                candidates.push(c);
            }
        }
    }
    let pyenv = pyenv_root();
    if let Some(root) = &pyenv {
        if let Ok(listing) = std::fs::read_dir(root.join("versions")) {
            let mut dirs: Vec<String> = listing
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|d| want.pyenv_dir_matches(d))
                .collect();
            dirs.sort_by_key(|d| std::cmp::Reverse(version_key(d)));
            for d in dirs {
                let c = root.join("versions").join(d).join("bin").join(&file);
                if c.is_file() {
                    candidates.push(c);
                }
            }
        }
    }
    let mut tried = Vec::new();
    for c in candidates {
        match interpreter_reports(&c) {
            Ok(reported) if want.accepts(&reported) => return Ok(c),
            Ok(reported) => tried.push(format!("{} is {reported}", c.display())),
            Err(e) => tried.push(format!("{} {e}", c.display())),
        }
    }
    let where_ = match &pyenv {
        Some(r) => format!("on PATH or under {}", r.join("versions").display()),
        None => "on PATH (and there is no pyenv root)".to_string(),
    };
    let tried = if tried.is_empty() {
        String::new()
    } else {
        format!(" (tried: {})", tried.join("; "))
    };
    Err(format!(
        "{file} is not installed: no working {file} {where_}{tried}"
    ))
}

/// `$PYENV_ROOT`, else `~/.pyenv`, if it is a directory.
fn pyenv_root() -> Option<PathBuf> {
    let root = match std::env::var_os("PYENV_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".pyenv"),
    };
    root.is_dir().then_some(root)
}

/// Ask an interpreter who it is: `cpython 3.12`, `pypy 3.9`.
fn interpreter_reports(path: &Path) -> Result<String, String> {
    let out = run_bounded(Command::new(path).args([
        "-c",
        "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])",
    ]))?;
    if !out.success {
        let last = out.stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(match last {
            Some(l) => format!("does not run ({}: {})", out.status, l.trim()),
            None => format!("does not run ({})", out.status),
        });
    }
    Ok(out.stdout.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ImplSpec, SpecError> {
        parse_impl(text, Path::new("fixtures/impls/x.toml"), "x")
    }

    const GOOD: &str = r#"
description = "CPython, fork"
kind = "remote"
start_method = "fork"
command = ["{python3}", "fixtures/python/procspec_adapter.py", "--start-method", "fork"]
expectations = "fixtures/expectations/x.toml"
probe = ["{python3}", "-c", "import multiprocessing"]
skip_reason = "python3 is not installed"
"#;

    #[test]
    fn parses_a_good_file() {
        let s = parse(GOOD).unwrap();
        assert_eq!(s.kind, ImplKind::Remote);
        assert_eq!(s.start_method, "fork");
        assert_eq!(s.command[0], "{python3}");
        assert_eq!(
            s.expectations.as_deref(),
            Some(Path::new("fixtures/expectations/x.toml"))
        );
        assert_eq!(s.skip_reason.as_deref(), Some("python3 is not installed"));
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let text = format!("{GOOD}colour = \"blue\"\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line(), 9, "{e}");
        assert!(e.to_string().contains("colour"), "{e}");
        assert!(e.to_string().starts_with("fixtures/impls/x.toml:9:"), "{e}");
    }

    #[test]
    fn bad_values_name_the_line() {
        let e = parse(&GOOD.replace("\"fork\"\ncommand", "\"vfork\"\ncommand")).unwrap_err();
        assert_eq!(e.line(), 4, "{e}");
        let e =
            parse(&GOOD.replace("{python3}\", \"fixtures", "{perl}\", \"fixtures")).unwrap_err();
        assert_eq!(e.line(), 5, "{e}");
        assert!(e.to_string().contains("{perl}"), "{e}");
        let e = parse("description = \"r\"\nkind = \"reference\"\nstart_method = \"forkserver\"\n")
            .unwrap_err();
        assert_eq!(e.line(), 3, "{e}");
        let e =
            parse("description = \"r\"\nkind = \"remote\"\nstart_method = \"fork\"\n").unwrap_err();
        assert!(e.to_string().contains("needs a `command`"), "{e}");
        let e = parse("description = \"r\"\nkind = \"alien\"\n").unwrap_err();
        assert_eq!(e.line(), 2, "{e}");
    }

    #[test]
    fn reference_takes_no_command() {
        let s =
            parse("description = \"r\"\nkind = \"reference\"\nstart_method = \"spawn\"\n").unwrap();
        let r = s.resolve(Path::new("/")).unwrap();
        assert_eq!(r.launch, Launch::Reference(StartMethod::Spawn));
        let e = parse(
            "description = \"r\"\nkind = \"reference\"\nstart_method = \"fork\"\ncommand = [\"x\"]\n",
        )
        .unwrap_err();
        assert_eq!(e.line(), 4, "{e}");
    }

    #[test]
    fn placeholders() {
        assert_eq!(placeholder("{python3}"), Some("python3"));
        assert_eq!(placeholder("{}"), None);
        assert_eq!(placeholder("d={}"), None);
        assert_eq!(placeholder("{a b}"), None);
        let p = Interpreter::parse("python3.12").unwrap();
        assert_eq!(p.file_name(), "python3.12");
        assert!(p.pyenv_dir_matches("3.12.1"));
        assert!(p.pyenv_dir_matches("3.12-dev"));
        assert!(!p.pyenv_dir_matches("3.1.2"));
        assert!(Interpreter::parse("python3.1")
            .is_some_and(|p| !p.pyenv_dir_matches("3.12.1") && p.pyenv_dir_matches("3.1.4")));
        let pypy = Interpreter::parse("pypy3.9").unwrap();
        assert!(pypy.pyenv_dir_matches("pypy3.9-7.3.11"));
        assert!(!pypy.pyenv_dir_matches("3.9.18"));
        assert!(pypy.accepts("pypy 3.9") && !pypy.accepts("cpython 3.9"));
        assert!(p.accepts("cpython 3.12") && !p.accepts("cpython 3.11"));
        assert!(Interpreter::parse("perl").is_none());
        assert!(Interpreter::parse("python3.x").is_none());
        assert_eq!(version_key("pypy3.9-7.3.11"), [3, 9, 7, 3, 11]);
        assert!(version_key("3.13.0") > version_key("3.9.18"));
    }

    #[test]
    fn missing_interpreters_are_a_skip_reason() {
        let s = parse(&GOOD.replace("{python3}", "{python9.99}")).unwrap();
        let why = s.resolve(Path::new(".")).unwrap_err();
        assert!(why.contains("python9.99 is not installed"), "{why}");
    }

    #[test]
    fn a_failing_probe_is_a_skip_reason() {
        let text = GOOD
            .replace("{python3}\", \"-c", "sh\", \"-c")
            .replace("import multiprocessing", "echo nope >&2; exit 3");
        let s = parse(&text).unwrap();
        let why = s.resolve(Path::new(".")).unwrap_err();
        assert!(why.starts_with("python3 is not installed ("), "{why}");
        assert!(why.contains("exited with status 3: nope"), "{why}");
    }

    /// Every tracked implementation file loads.
    #[test]
    fn tracked_files_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let impls = load_impls(&root.join("fixtures/impls")).unwrap_or_else(|e| panic!("{e}"));
        assert!(impls.iter().any(|i| i.name == "reference-fork"));
        for i in &impls {
            if let Some(e) = i.expectations_path(&root) {
                crate::expectations::Expectations::load(&e).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}
