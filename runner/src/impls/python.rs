//! Finding a Python interpreter for a placeholder (`{python3}`,
//! `{python3.12}`, `{pypy3}`): on `PATH` first, then under pyenv; a
//! candidate counts only if it runs and reports the right version.

use super::bounded::run_bounded;
use crate::error::{Error, ErrorKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub(super) struct Interpreter {
    /// `python` or `pypy`.
    family: &'static str,
    /// The version asked for: `[3]`, `[3, 12]`, or empty.
    version: Vec<u32>,
}

impl Interpreter {
    pub(super) fn parse(name: &str) -> Option<Interpreter> {
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
    pub(super) fn file_name(&self) -> String {
        let v: Vec<String> = self.version.iter().map(u32::to_string).collect();
        format!("{}{}", self.family, v.join("."))
    }

    /// Whether a pyenv `versions/` directory name holds it: `3.12.1` for
    /// python3.12, `pypy3.9-7.3.11` for pypy3.9 (never `3.10` for 3.1).
    pub(super) fn pyenv_dir_matches(&self, dir: &str) -> bool {
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
    pub(super) fn accepts(&self, reported: &str) -> bool {
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
pub(super) fn version_key(dir: &str) -> Vec<u32> {
    dir.trim_start_matches(|c: char| !c.is_ascii_digit())
        .split(['.', '-'])
        .map_while(|p| p.parse().ok())
        .collect()
}

/// Where the interpreter a placeholder names is: `PATH` first, then pyenv.
/// Each candidate must run and report the asked version. Answers are
/// cached for the life of the process. An [`Error`] is of kind
/// [`ErrorKind::Interpreter`]; its message is the skip reason of an
/// implementation that needs the interpreter.
pub fn find_interpreter(name: &str) -> Result<PathBuf, Error> {
    static CACHE: Mutex<BTreeMap<String, Result<PathBuf, Error>>> = Mutex::new(BTreeMap::new());
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

fn search_interpreter(name: &str) -> Result<PathBuf, Error> {
    let not_found = |message: String| Error::new(ErrorKind::Interpreter, message);
    let want = Interpreter::parse(name)
        .ok_or_else(|| not_found(format!("unknown interpreter {name:?}")))?;
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
    Err(not_found(format!(
        "{file} is not installed: no working {file} {where_}{tried}"
    )))
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
    let out = run_bounded(
        Command::new(path).args([
            "-c",
            "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])",
        ]),
        super::PROBE_DEADLINE,
    )?;
    if !out.success {
        let last = out.stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(match last {
            Some(l) => format!("does not run ({}: {})", out.status, l.trim()),
            None => format!("does not run ({})", out.status),
        });
    }
    Ok(out.stdout.trim().to_string())
}
