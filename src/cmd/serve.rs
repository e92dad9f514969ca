//! `procspec serve-reference`: the reference implementation behind the wire
//! protocol (`spec/INTERPRETING.md`, version 1), on stdin and stdout,
//! through the harness's generic server (`procspec_harness::serve`). The
//! runner can then drive the reference as it drives any other adapter,
//! which measures (and tests) the remote path itself.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_reference::StartMethod;
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

/// Serve until `shutdown` or end of file.
pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    // Spawned reference children re-execute this program as
    // `serve-reference`: here they find their bodies and branch off into
    // them, before anything else happens.
    procspec_reference::set_spawn_args(vec!["serve-reference".into()]);
    register_targets();
    procspec_reference::init();

    let method = match args.start_method {
        Method::Fork => StartMethod::Fork,
        Method::Spawn => StartMethod::Spawn,
    };
    procspec_harness::serve::serve(ReferenceAdapter::reference(method), "procspec_reference")
        .context("serve-reference")?;
    Ok(ExitCode::SUCCESS)
}
