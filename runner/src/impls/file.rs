//! Reading implementation files: `fixtures/impls/<name>.toml`, every key
//! checked, every error naming file and line.

use super::python::Interpreter;
use super::{CargoBin, ImplKind, ImplSpec};
use procspec_spec::SpecError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImplFile {
    description: String,
    kind: ImplKind,
    start_method: Spanned<String>,
    #[serde(default)]
    command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    manifest: Option<Spanned<String>>,
    #[serde(default)]
    bin: Option<Spanned<String>>,
    #[serde(default)]
    expectations: Option<Spanned<String>>,
    #[serde(default)]
    probe: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    skip_reason: Option<Spanned<String>>,
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
        ImplKind::Remote | ImplKind::Cargo => &["fork", "spawn", "forkserver"],
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
        (ImplKind::Cargo, Some(c)) => {
            return Err(err(
                c.span().start,
                "a `cargo` implementation takes `manifest` and `bin`, not a `command`".into(),
            ))
        }
        (ImplKind::Reference | ImplKind::Cargo, None) => Vec::new(),
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
    let cargo = match (file.kind, file.manifest, file.bin) {
        (ImplKind::Cargo, Some(m), Some(b)) => {
            if m.get_ref().trim().is_empty() {
                return Err(err(m.span().start, "`manifest` is empty".into()));
            }
            if b.get_ref().trim().is_empty() || b.get_ref().starts_with('-') {
                return Err(err(
                    b.span().start,
                    "`bin` must name a binary of the manifest".into(),
                ));
            }
            Some(CargoBin {
                manifest: PathBuf::from(m.into_inner()),
                bin: b.into_inner(),
            })
        }
        (ImplKind::Cargo, _, _) => {
            return Err(SpecError::invalid(
                &shown,
                0,
                "a `cargo` implementation needs a `manifest` and a `bin`",
            ))
        }
        (_, Some(x), _) | (_, None, Some(x)) => {
            return Err(err(
                x.span().start,
                "`manifest` and `bin` belong to a `cargo` implementation".into(),
            ))
        }
        (_, None, None) => None,
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
        cargo,
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
pub(super) fn placeholder(word: &str) -> Option<&str> {
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
