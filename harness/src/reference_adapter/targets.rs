//! The child programs, as targets registered with the reference crate so
//! that they run under fork and spawn alike.

use super::agent;
use procspec_reference::{register, Target as RefTarget};
use procspec_spec::vocab::Target;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::fd::RawFd;

/// Fds a blocking target reads its release from (and reports ready on).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockArgs {
    /// Read end of the release pipe: a byte (or EOF) releases the child.
    pub release: RawFd,
    /// Write end of the ready pipe, for targets that report ready.
    pub ready: Option<RawFd>,
}

/// Register every target. Call before `procspec_reference::init()` in every
/// binary that runs the reference adapter (spawned children re-run `main`).
pub fn register_targets() {
    register("procspec.exit", |code: i32| procspec_reference::exit(code));
    register("procspec.return", |_: ()| {});
    register("procspec.raise", |_: ()| {
        panic!("procspec: the target raises")
    });
    register("procspec.exit-with-message", |message: String| {
        eprintln!("{message}");
        procspec_reference::exit(1)
    });
    register("procspec.block", |a: BlockArgs| block(&a));
    register("procspec.ignore-sigterm", |a: BlockArgs| {
        crate::sys::ignore_sigterm();
        block(&a)
    });
    register("procspec.agent", agent::serve);
    register("procspec.args", |(a, b, c): (u8, u8, Option<u8>)| {
        let code = 36 * i32::from(a) + 6 * i32::from(b) + i32::from(c.unwrap_or(5));
        procspec_reference::exit(code)
    });
    // `os._exit(code)`: no exit handler, no clean-up.
    register("procspec.os-exit", |code: i32| crate::sys::exit_now(code));
    register("procspec.self-signal", |signal: i32| {
        crate::sys::raise_default(signal)
    });
}

/// The reference target for a vocabulary target (the agent's args are
/// built by the executor, which owns its pipes).
pub fn reference_target(target: &Target, block: Option<&BlockArgs>) -> RefTarget {
    match (target, block) {
        (Target::Exit { code }, _) => RefTarget::registered("procspec.exit", &i32::from(*code)),
        (Target::Return, _) => RefTarget::registered("procspec.return", &()),
        (Target::Raise, _) => RefTarget::registered("procspec.raise", &()),
        (Target::ExitWithMessage { message }, _) => {
            RefTarget::registered("procspec.exit-with-message", message)
        }
        (Target::IgnoreSigterm, Some(b)) => RefTarget::registered("procspec.ignore-sigterm", b),
        (Target::NoTarget, _) => RefTarget::none(),
        (Target::Args { a, b, c }, _) => RefTarget::registered("procspec.args", &(a, b, c)),
        // Rust has no `sys.exit()`: leaving through the exit path with 0 is
        // the equivalent.
        (Target::SysExit | Target::SysExitNone, _) => RefTarget::registered("procspec.exit", &0i32),
        (Target::OsExit { code }, _) => {
            RefTarget::registered("procspec.os-exit", &i32::from(*code))
        }
        (Target::SelfSignal { signal }, _) => {
            RefTarget::registered("procspec.self-signal", &signal.number())
        }
        (_, Some(b)) => RefTarget::registered("procspec.block", b),
        (_, None) => RefTarget::none(),
    }
}

fn block(a: &BlockArgs) {
    if let Some(fd) = a.ready {
        let mut ready = adopt(fd);
        let _ = ready.write_all(b"r");
    }
    let mut release = adopt(a.release);
    let mut byte = [0u8; 1];
    if !matches!(release.read(&mut byte), Ok(1)) {
        // End of file: the creator is gone, so nobody can release this
        // child any more. A process does not end because its parent did.
        crate::sys::block_forever();
    }
}

/// Adopt an fd handed to this child by number.
pub(crate) fn adopt(fd: RawFd) -> std::fs::File {
    crate::sys::adopt_fd(fd)
}
