//! `procspec serve-reference`: the reference implementation behind the wire
//! protocol (`spec/INTERPRETING.md`, version 1), on stdin and stdout. The
//! runner can then drive the reference as it drives any other adapter,
//! which measures (and tests) the remote path itself.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use procspec_harness::adapter::{Adapter, AdapterFailure};
use procspec_harness::reference_adapter::ReferenceAdapter;
use procspec_protocol::{parse_request, Hello, Reply, Request};
use procspec_reference::StartMethod;
use procspec_spec::vocab::Capability;
use std::io::Write;
use std::process::ExitCode;

/// Serve the reference implementation over the wire protocol (stdin/stdout).
///
/// Writes a hello line, then answers one JSON request per line until
/// `shutdown` or end of file, after which it resets and exits 0.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// How the reference starts its children.
    #[arg(long, value_enum, default_value = "fork")]
    start_method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    Fork,
    Spawn,
}

/// The `error` answer for a request the reference could not carry out.
fn error(id: Option<u64>, failure: &AdapterFailure) -> Reply {
    Reply::Error {
        id,
        message: failure.to_string(),
    }
}

/// Write one line and flush. Stdout is locked only for the write: a child
/// forked while a lock is held would deadlock flushing it.
fn send(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Serve until `shutdown` or end of file.
pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    // Spawned reference children re-execute this program as
    // `serve-reference`: here they find their targets and branch off into
    // them, before anything else happens.
    procspec_reference::set_spawn_args(vec!["serve-reference".into()]);
    procspec_harness::reference_adapter::register_targets();
    procspec_reference::init();

    let method = match args.start_method {
        Method::Fork => StartMethod::Fork,
        Method::Spawn => StartMethod::Spawn,
    };
    let mut adapter = ReferenceAdapter::new(method);
    let info = adapter.info().clone();
    // Orphans are counted by the in-process runner only: a remote adapter
    // cannot see what was reparented away from it.
    let capabilities: Vec<Capability> = info
        .capabilities
        .iter()
        .copied()
        .filter(|c| *c != Capability::Orphans)
        .collect();
    let hello = Hello {
        implementation: "procspec-reference".into(),
        version: info.version,
        start_method: info.start_method,
        platform: procspec_protocol::platform(),
        capabilities,
        unknown_capabilities: Vec::new(),
        pid: std::process::id(),
        process_class: "procspec_reference::Process".into(),
        unknown_fields: Vec::new(),
    };
    send(&hello.line()?)?;

    // Stdin, like stdout, is not locked while an op runs (it forks).
    let mut line = String::new();
    loop {
        line.clear();
        if std::io::stdin()
            .read_line(&mut line)
            .context("cannot read stdin")?
            == 0
        {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let answer = match parse_request(line.as_bytes()) {
            Ok(Request::Shutdown) => break,
            Ok(Request::Op { id, step }) => match adapter.apply(&step) {
                Ok(observed) => Reply::result(id, observed),
                Err(failure) => error(Some(id), &failure),
            },
            Ok(Request::Reset { id }) => match adapter.reset() {
                Ok(()) => Reply::ResetDone {
                    id,
                    helpers: Vec::new(),
                },
                Err(failure) => error(Some(id), &failure),
            },
            Err(refused) => refused.reply(),
        };
        send(&answer.line()?)?;
    }
    // Shutdown or end of file: clean up like a reset, exit 0.
    let _ = adapter.reset();
    Ok(ExitCode::SUCCESS)
}
