//! Implementations as data: `fixtures/impls/<name>.toml` says how to start
//! one tracked implementation, and where its known divergences are.
//!
//! ```toml
//! description = "CPython multiprocessing, fork start method, default python3"
//! kind = "remote"                      # or "reference", "cargo"
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
//!   in-process [`ReferenceAdapter`]. `kind = "cargo"` is a Rust adapter
//!   binary (one that serves a [`Host`](procspec_harness::lifecycle::Host)
//!   with [`procspec_harness::serve`]): `manifest` (a `Cargo.toml`,
//!   relative to the root) and `bin` (its binary) instead of a `command`.
//!   Resolving it runs `cargo build --release --locked --manifest-path
//!   MANIFEST --bin BIN` (cargo from `$CARGO`, else `PATH`; up to date
//!   after the first time, so it builds once), then starts the binary
//!   like a `remote` command; a missing manifest, a missing cargo or a
//!   failed build is the reason it is skipped.
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
//! found, a failing probe, a failed build): a [`crate::Error`] whose
//! message is the skip reason.

use procspec_harness::adapter::{Adapter, AdapterFailure};
use procspec_harness::reference_adapter::ReferenceAdapter;
use procspec_harness::remote::{RemoteAdapter, RemoteCommand};
use procspec_reference::StartMethod;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

mod bounded;
mod file;
mod python;
mod resolve;

pub use file::{load_impls, parse_impl};
pub use python::find_interpreter;

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
    /// A Rust adapter binary built from a Cargo manifest, then run as a
    /// remote adapter.
    Cargo,
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
    /// reference and for cargo).
    pub command: Vec<String>,
    /// For cargo: the manifest (relative to the root) and the binary.
    pub cargo: Option<CargoBin>,
    /// The expectation file, relative to the root.
    pub expectations: Option<PathBuf>,
    /// A command that must succeed for the implementation to be present
    /// (empty: none).
    pub probe: Vec<String>,
    /// Why it is skipped when the probe fails.
    pub skip_reason: Option<String>,
}

/// A binary of a Cargo package, built before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoBin {
    /// The `Cargo.toml`, relative to the root.
    pub manifest: PathBuf,
    /// The binary's name (`--bin`).
    pub bin: String,
}

/// How long building a cargo implementation may take (a first build
/// compiles its dependencies).
pub const BUILD_DEADLINE: Duration = Duration::from_secs(30 * 60);

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
                ReferenceAdapter::reference(*method).with_deadline(deadline),
            )),
            Launch::Remote(cmd) => {
                let adapter = RemoteAdapter::start(cmd.clone(), deadline)?;
                Ok(Box::new(adapter.with_op_deadline(deadline)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file::placeholder;
    use super::python::{version_key, Interpreter};
    use super::*;
    use procspec_spec::SpecError;
    use std::path::Path;

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
    fn cargo_takes_a_manifest_and_a_bin() {
        const CARGO: &str = "description = \"c\"\nkind = \"cargo\"\nstart_method = \"spawn\"\nmanifest = \"nowhere/Cargo.toml\"\nbin = \"serve\"\n";
        let s = parse(CARGO).unwrap();
        assert_eq!(s.kind, ImplKind::Cargo);
        assert_eq!(
            s.cargo,
            Some(CargoBin {
                manifest: "nowhere/Cargo.toml".into(),
                bin: "serve".into()
            })
        );
        // Not here: a skip reason, and nothing is built.
        let why = s.resolve(Path::new("/")).unwrap_err();
        assert_eq!(why.kind(), crate::ErrorKind::Build);
        assert_eq!(why.to_string(), "nowhere/Cargo.toml is not here");
        let e = parse(&format!("{CARGO}command = [\"x\"]\n")).unwrap_err();
        assert_eq!(e.line(), 6, "{e}");
        let e = parse(&CARGO.replace("bin = \"serve\"\n", "")).unwrap_err();
        assert!(
            e.to_string().contains("needs a `manifest` and a `bin`"),
            "{e}"
        );
        let e = parse(&format!("{GOOD}bin = \"serve\"\n")).unwrap_err();
        assert_eq!(e.line(), 9, "{e}");
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
        assert_eq!(why.kind(), crate::ErrorKind::Interpreter);
        assert!(
            why.message().contains("python9.99 is not installed"),
            "{why}"
        );
    }

    #[test]
    fn a_failing_probe_is_a_skip_reason() {
        let text = GOOD
            .replace("{python3}\", \"-c", "sh\", \"-c")
            .replace("import multiprocessing", "echo nope >&2; exit 3");
        let s = parse(&text).unwrap();
        let why = s.resolve(Path::new(".")).unwrap_err();
        assert_eq!(why.kind(), crate::ErrorKind::Probe);
        let why = why.to_string();
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
                procspec_harness::expectations::Expectations::load(&e)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}
