//! Resolving an implementation file into something that can be started
//! here: placeholders looked up, relative paths made absolute, the probe
//! run under a deadline; or the reason it is not present.

use super::bounded::run_bounded;
use super::file::placeholder;
use super::python::find_interpreter;
use super::{CargoBin, ImplKind, ImplSpec, Launch, Resolved, BUILD_DEADLINE, PROBE_DEADLINE};
use crate::error::{Error, ErrorKind};
use procspec_harness::remote::RemoteCommand;
use procspec_reference::StartMethod;
use std::path::{Path, PathBuf};
use std::process::Command;

impl ImplSpec {
    /// The expectation file under `root`, if the implementation has one.
    pub fn expectations_path(&self, root: &Path) -> Option<PathBuf> {
        self.expectations.as_ref().map(|p| root.join(p))
    }

    /// Whether it can run here, and how: resolve the placeholders, run the
    /// probe (for `cargo`, build the binary). `Err` is why not: its kind
    /// says which step failed, its message is the reason the run is
    /// skipped (what the report records).
    pub fn resolve(&self, root: &Path) -> Result<Resolved, Error> {
        let launch = match self.kind {
            ImplKind::Reference => Launch::Reference(if self.start_method == "spawn" {
                StartMethod::Spawn
            } else {
                StartMethod::Fork
            }),
            ImplKind::Remote => {
                let words = resolve_words(&self.command, root)?;
                if !self.probe.is_empty() {
                    run_probe(&self.probe, &resolve_words(&self.probe, root)?, root).map_err(
                        |detail| Error::new(ErrorKind::Probe, self.skip_message(&detail)),
                    )?;
                }
                let mut cmd = RemoteCommand::new(program_path(&words[0], root));
                cmd.args = words[1..].to_vec();
                cmd.cwd = Some(root.to_path_buf());
                Launch::Remote(cmd)
            }
            ImplKind::Cargo => {
                if !self.probe.is_empty() {
                    run_probe(&self.probe, &resolve_words(&self.probe, root)?, root).map_err(
                        |detail| Error::new(ErrorKind::Probe, self.skip_message(&detail)),
                    )?;
                }
                let Some(cargo) = &self.cargo else {
                    return Err(Error::new(ErrorKind::Build, "no `manifest` and `bin`"));
                };
                let exe = build(cargo, root).map_err(|why| Error::new(ErrorKind::Build, why))?;
                let mut cmd = RemoteCommand::new(exe.to_string_lossy().into_owned());
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

/// Build `cargo.bin` of `cargo.manifest` (release, locked) and return the
/// path of the binary, as cargo reports it (so `CARGO_TARGET_DIR` and the
/// manifest's own configuration are honoured). `Err` is the skip reason.
fn build(cargo: &CargoBin, root: &Path) -> Result<PathBuf, String> {
    let manifest = root.join(&cargo.manifest);
    let shown = format!(
        "cargo build --release --locked --manifest-path {} --bin {}",
        cargo.manifest.display(),
        cargo.bin
    );
    if !manifest.is_file() {
        return Err(format!("{} is not here", cargo.manifest.display()));
    }
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = run_bounded(
        Command::new(&program)
            .args(["build", "--release", "--locked", "--manifest-path"])
            .arg(&manifest)
            .args(["--bin", &cargo.bin])
            .arg("--message-format=json-render-diagnostics")
            .current_dir(root),
        BUILD_DEADLINE,
    )
    .map_err(|e| format!("`{shown}`: {e}"))?;
    if !out.success {
        let last = out
            .stderr
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with("error"))
            .or_else(|| out.stderr.lines().rev().find(|l| !l.trim().is_empty()))
            .map(|l| format!(": {}", l.trim()))
            .unwrap_or_default();
        return Err(format!("`{shown}` {}{last}", out.status));
    }
    out.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == cargo.bin.as_str())
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("`{shown}` built no binary `{}`", cargo.bin))
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
fn resolve_words(words: &[String], root: &Path) -> Result<Vec<String>, Error> {
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

/// Run a probe under [`PROBE_DEADLINE`](super::PROBE_DEADLINE); `Err` says how it failed,
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
        PROBE_DEADLINE,
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
