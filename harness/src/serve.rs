//! Any [`Adapter`] behind protocol v1 (`spec/INTERPRETING.md`) on stdin
//! and stdout: the server half of what [`crate::remote::RemoteAdapter`]
//! drives. `procspec serve-reference` serves the reference with it, and a
//! Rust implementation serves its [`Host`](crate::lifecycle::Host) with it
//! from a binary of its own (`adapters/procspawn/src/bin/serve.rs`), so
//! the runner checks it like any other adapter process.
//!
//! Every line is a `procspec-protocol` message: [`Hello`], then one
//! [`Reply`] per [`Request`] read with [`parse_request`], until `shutdown`
//! or end of file, after which the adapter is reset.
//!
//! ```text
//! fn main() {
//!     // first: what re-executed children of the implementation need
//!     let adapter = procspec_harness::lifecycle::Host::new(MyLifecycle);
//!     std::process::exit(match procspec_harness::serve::serve(adapter, "my_crate") {
//!         Ok(()) => 0,
//!         Err(e) => { eprintln!("serve: {e}"); 1 }
//!     })
//! }
//! ```

use crate::adapter::{Adapter, AdapterFailure};
use procspec_protocol::{parse_request, Hello, Reply, Request};
use procspec_spec::vocab::Capability;
use std::io::{BufRead, Write};

/// Serve `adapter` on stdin and stdout until `shutdown` or end of file,
/// then reset it. The hello names the class under test `module::Class`,
/// `Class` being the adapter's [`class_name`](crate::AdapterInfo::class_name)
/// (the runner's default names are `<Class>-N`, as in process):
/// `procspec_reference::Process`. An error is a broken stdin or stdout, or
/// a message that cannot be encoded.
pub fn serve(mut adapter: impl Adapter, module: &str) -> std::io::Result<()> {
    let info = adapter.info().clone();
    let process_class = format!("{module}::{}", info.class_name);
    let hello = Hello {
        implementation: info.implementation,
        version: info.version,
        start_method: info.start_method,
        platform: info.platform,
        // Orphans are counted by the runner only: a served adapter cannot
        // see what was reparented away from it.
        capabilities: info
            .capabilities
            .into_iter()
            .filter(|c| *c != Capability::Orphans)
            .collect(),
        unknown_capabilities: Vec::new(),
        pid: std::process::id(),
        process_class,
        unknown_fields: Vec::new(),
    };
    send(hello.line().map_err(std::io::Error::other)?)?;
    // Stdin, like stdout, is locked only for one line: an op may fork, and
    // a child forked while a lock is held would find it held forever.
    let mut line = String::new();
    loop {
        line.clear();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
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
                    fds: Some(crate::sys::open_fds() as u64),
                },
                Err(failure) => error(Some(id), &failure),
            },
            Err(refused) => refused.reply(),
        };
        send(answer.line().map_err(std::io::Error::other)?)?;
    }
    // Shutdown or end of file: clean up like a reset.
    let _ = adapter.reset();
    Ok(())
}

/// The `error` answer for a request the adapter could not carry out.
fn error(id: Option<u64>, failure: &AdapterFailure) -> Reply {
    Reply::Error {
        id,
        message: failure.to_string(),
    }
}

/// Write one line and flush, holding stdout's lock only for that.
fn send(line: String) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}
