//! `procspec`: the command line of the conformance suite for the
//! `multiprocessing.Process` lifecycle. Thin: arguments in, harness and
//! reports do the work. Subcommands live in `cmd/`, the end-of-run summary
//! in `summary.rs`.
//!
//! Exit codes: 0 every result matches its expectation, 1 some do not (or an
//! adapter could not start), 2 usage or configuration errors.

// The doc comments of the argument structs are clap's help text, written
// for a terminal (`OUT/<name>.json`, `[CLAUSE]`), not rustdoc markup.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

#[cfg(unix)]
mod cmd;
#[cfg(unix)]
mod embedded;
#[cfg(unix)]
mod summary;

#[cfg(unix)]
use clap::{Parser, Subcommand};
#[cfg(unix)]
use std::path::PathBuf;
#[cfg(unix)]
use std::process::ExitCode;

/// Conformance suite for the multiprocessing.Process lifecycle.
///
/// procspec drives an implementation of Python's `multiprocessing.Process`
/// lifecycle (CPython under each start method, billiard, multiprocess,
/// PyPy, procspec's own Rust reference, or any program speaking the wire
/// protocol of spec/INTERPRETING.md) through hand-written cases and random
/// operation sequences, holds every outcome to the model, and reports which
/// clause of the spec each implementation honours.
#[cfg(unix)]
#[derive(Debug, Parser)]
#[command(name = "procspec", version, propagate_version = true)]
#[command(after_help = "\
Exit status: 0 when every result matches its expectation, 1 when some do not \
(or an adapter could not start), 2 for usage and configuration errors.

Start with:  procspec run --all   (then open reports/latest/index.html)")]
struct Cli {
    /// The repository root (the directory with cases/ and spec/clauses.toml).
    /// Default: found by walking up from the current directory, else the
    /// files built into this binary.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[cfg(unix)]
#[derive(Debug, Subcommand)]
enum Command {
    Run(Box<cmd::run::RunArgs>),
    Report(cmd::report::ReportArgs),
    List(cmd::list::ListArgs),
    Explain(cmd::explain::ExplainArgs),
    #[command(name = "serve-reference")]
    Serve(cmd::serve::ServeArgs),
}

#[cfg(unix)]
fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Run(a) => {
            // Before any thread exists: the watchdog is forked, and kills
            // what the run started if this process is killed.
            // SAFETY: nothing has started a thread yet (clap parses on this
            // thread).
            #[allow(unsafe_code)]
            let watchdog = match unsafe { procspec_runner::watchdog::start() } {
                Ok(w) => Some(w),
                Err(e) => {
                    eprintln!(
                        "procspec: warning: no watchdog ({e}): a killed run may leave processes"
                    );
                    None
                }
            };
            // Stop handlers, and the harness's hook: adapters' groups known
            // to the watchdog, SIGINT/SIGTERM a stop request.
            if let Err(e) = procspec_runner::supervisor::install(watchdog) {
                eprintln!("procspec: warning: {e}");
            }
            cmd::run::run(cli.root.as_deref(), a).map(|code| {
                if procspec_runner::supervisor::stop_requested() {
                    eprintln!("procspec: interrupted: the reports written are partial (marked incomplete)");
                    ExitCode::from(130)
                } else {
                    code
                }
            })
        }
        Command::Report(a) => cmd::report::run(a),
        Command::List(a) => cmd::list::run(cli.root.as_deref(), a),
        Command::Explain(a) => cmd::explain::run(cli.root.as_deref(), a),
        Command::Serve(a) => cmd::serve::run(a),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("procspec: error: {e:#}");
            cmd::config_error()
        }
    }
}

/// The runner needs fork, process groups and descriptors passed by number,
/// which Windows lacks; there the reference crate and
/// `procspec_harness::conformance_suite!` are what runs (see the README).
#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    eprintln!("procspec: the runner is Unix only for now; see the README's platform table");
    std::process::ExitCode::from(2)
}
