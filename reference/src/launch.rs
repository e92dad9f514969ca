//! Start methods and the launchers behind them.
//!
//! A launcher turns "this identity runs this body" into a running child
//! and a [`Popen`]. Adding forkserver means one more variant and one more
//! `Launcher` implementation; `Process` does not change.

use crate::context::{self, ChildIdentity};
use crate::error::Result;
use crate::popen::Popen;
use crate::target::Body;

/// How a child process is created.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMethod {
    /// `fork()`: the child is a copy of the parent and runs the target
    /// straight away. Fast; see the crate docs for multithreaded parents.
    Fork,
    /// `fork()` + `execve()` of the current executable, which calls
    /// [`init`](crate::init) and receives the target by name.
    Spawn,
}

impl StartMethod {
    /// CPython's default start method on this platform: spawn on Windows
    /// and macOS (where fork is unsafe once threads exist), fork elsewhere
    /// (this crate has no forkserver).
    pub const fn platform_default() -> StartMethod {
        if cfg!(any(windows, target_os = "macos")) {
            StartMethod::Spawn
        } else {
            StartMethod::Fork
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            StartMethod::Fork => 0,
            StartMethod::Spawn => 1,
        }
    }

    pub(crate) fn from_code(c: u8) -> StartMethod {
        if c == 1 {
            StartMethod::Spawn
        } else {
            StartMethod::Fork
        }
    }
}

/// Sets the default start method for new `Process` objects of this process
/// (children inherit it). Initially [`StartMethod::platform_default`].
pub fn set_start_method(m: StartMethod) {
    context::config().start_method = m;
}

/// The default start method for new `Process` objects.
pub fn get_start_method() -> StartMethod {
    context::config().start_method
}

/// One way of creating a child.
pub(crate) trait Launcher {
    /// Starts a child that becomes `who` and runs `body`; `pass_fds` are
    /// descriptors that must stay open at the same numbers in the child.
    fn launch(
        &self,
        who: ChildIdentity,
        body: Body,
        pass_fds: &[crate::sys::RawDesc],
    ) -> Result<Popen>;
}

/// The launcher for `m`.
pub(crate) fn launcher(m: StartMethod) -> &'static dyn Launcher {
    match m {
        #[cfg(unix)]
        StartMethod::Fork => &crate::fork::ForkLauncher,
        #[cfg(not(unix))]
        StartMethod::Fork => &crate::fork::NoFork,
        StartMethod::Spawn => &crate::spawn::SpawnLauncher,
    }
}
