//! `procspec run --process-class module:Class`: a Python class checked in
//! one command. The CLI builds the adapter command itself: the interpreter
//! (`--python`), procspec's Python adapter (from the root: the checkout's,
//! or the copy embedded in the binary), the class, its package (found by
//! the adapter through the class's MRO, or `--package`), one job per start
//! method, and `PYTHONPATH` with the user's project directory first, so that
//! the class's module imports in the adapter and in its spawn and
//! forkserver children alike.
//!
//! Before anything runs, the adapter is started once with `--check`: a
//! class that cannot be imported, is not a Process, or a start method the
//! platform lacks is a configuration error (exit 2) in one line saying what
//! to do.

use anyhow::{bail, Context, Result};
use clap::Args;
use procspec_harness::remote::RemoteCommand;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the Python adapter lives under a root.
pub const ADAPTER: &str = "fixtures/python/procspec_adapter.py";

/// The start methods, in the order their jobs run.
const METHODS: [&str; 3] = ["fork", "spawn", "forkserver"];

/// The arguments of a `--process-class` run.
#[derive(Debug, Args)]
pub struct PythonArgs {
    /// A Python Process class to check, `module:Class` (a subclass of
    /// multiprocessing.Process, billiard's or multiprocess's, in a module
    /// importable from --project). The adapter command is built for you.
    #[arg(long, value_name = "MODULE:CLASS")]
    pub process_class: Option<String>,

    /// The Python interpreter of a --process-class run (looked up in PATH).
    #[arg(
        long,
        default_value = "python3",
        requires = "process_class",
        value_name = "PYTHON"
    )]
    pub python: String,

    /// Start method(s) of a --process-class run: fork, spawn, forkserver
    /// (repeatable) [default: every one the platform offers].
    #[arg(long = "start-method", requires = "process_class", value_name = "METHOD",
          value_parser = METHODS)]
    pub start_methods: Vec<String>,

    /// The package whose current_process(), active_children(), ... go with
    /// the class [default: found through the class's MRO].
    #[arg(long, requires = "process_class", value_name = "NAME")]
    pub package: Option<String>,

    /// The directory the class's module is imported from (put first on
    /// PYTHONPATH) [default: the current directory].
    #[arg(long, requires = "process_class", value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// One job of a `--process-class` run.
pub struct PythonJob {
    /// `<name>-<method>`, the run file's name.
    pub name: String,
    /// Its start method.
    pub start_method: String,
    /// The adapter command.
    pub command: RemoteCommand,
    /// The known divergences of the package the class's lifecycle comes
    /// from, under this start method (`fixtures/expectations/cpython-fork.toml`
    /// for a subclass of multiprocessing.Process), when the root has them.
    pub inherited: Option<PathBuf>,
}

/// The tracked implementation whose expectations a subclass of `package`'s
/// Process inherits.
fn tracked_stem(package: &str) -> Option<&'static str> {
    match package {
        "multiprocessing" => Some("cpython"),
        "billiard" => Some("billiard"),
        "multiprocess" => Some("multiprocess"),
        _ => None,
    }
}

/// The jobs of a `--process-class` run, every configuration checked.
/// `name` is the run name's stem (`--name`), else `module.Class`.
pub fn jobs(root: &Path, args: &PythonArgs, name: Option<&str>) -> Result<Vec<PythonJob>> {
    let Some(class) = args.process_class.as_deref() else {
        bail!("no --process-class");
    };
    let adapter = root.join(ADAPTER);
    if !adapter.is_file() {
        bail!("{}: the Python adapter is missing", adapter.display());
    }
    let project = match &args.project {
        Some(p) => p.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let project = project
        .canonicalize()
        .with_context(|| format!("--project {}: no such directory", project.display()))?;
    let pythonpath = match std::env::var_os("PYTHONPATH") {
        Some(old) if !old.is_empty() => {
            let mut paths = vec![project.clone()];
            paths.extend(std::env::split_paths(&old));
            std::env::join_paths(paths)
                .context("PYTHONPATH: cannot add the project directory")?
                .to_string_lossy()
                .into_owned()
        }
        _ => project.to_string_lossy().into_owned(),
    };
    let stem = name.map_or_else(|| class.replace(':', "."), str::to_string);
    let base = |method: &str| {
        let mut cmd = RemoteCommand::new(args.python.clone())
            .arg(adapter.to_string_lossy())
            .arg("--start-method")
            .arg(method)
            .arg("--process-class")
            .arg(class);
        if let Some(p) = &args.package {
            cmd = cmd.arg("--package").arg(p.clone());
        }
        cmd.env.push(("PYTHONPATH".into(), pythonpath.clone()));
        cmd.cwd = Some(project.clone());
        cmd
    };
    let (package, available) = check(&base(
        args.start_methods.first().map_or("spawn", String::as_str),
    ))?;
    let methods: Vec<String> = if args.start_methods.is_empty() {
        METHODS
            .iter()
            .filter(|m| available.iter().any(|a| a == *m))
            .map(|m| m.to_string())
            .collect()
    } else {
        for m in &args.start_methods {
            if !available.contains(m) {
                bail!(
                    "--start-method {m}: not available with {} here (it offers {}); choose one of those",
                    args.python,
                    available.join(", ")
                );
            }
        }
        args.start_methods.clone()
    };
    Ok(methods
        .into_iter()
        .map(|m| PythonJob {
            name: format!("{stem}-{m}"),
            command: base(&m).arg("--implementation").arg(format!("{stem}-{m}")),
            inherited: tracked_stem(&package)
                .map(|t| root.join(format!("fixtures/expectations/{t}-{m}.toml")))
                .filter(|p| p.is_file()),
            start_method: m,
        })
        .collect())
}

/// Start the adapter with `--check`: the package the class's lifecycle
/// comes from and the start methods it offers, or the adapter's one-line
/// reason.
fn check(cmd: &RemoteCommand) -> Result<(String, Vec<String>)> {
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args)
        .arg("--check")
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    if let Some(dir) = &cmd.cwd {
        c.current_dir(dir);
    }
    let out = c.output().map_err(|e| {
        anyhow::anyhow!(
            "--python {}: cannot start it ({e}); install it or name another interpreter with --python",
            cmd.program
        )
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let line = stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("procspec-adapter: "))
            .map(str::to_string)
            .unwrap_or_else(|| super::one_line(&stderr, 300));
        bail!("{line}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).with_context(|| {
        format!(
            "the Python adapter's --check said {:?}, not a JSON line",
            super::one_line(&stdout, 200)
        )
    })?;
    let package = v["package"].as_str().unwrap_or_default().to_string();
    let methods = v["start_methods"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| METHODS.iter().map(|m| m.to_string()).collect());
    Ok((package, methods))
}
