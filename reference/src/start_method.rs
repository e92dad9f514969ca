//! [`StartMethod`]: how a child process is created. A leaf: the launchers
//! (`fork.rs`, `spawn.rs`), the context and the targets all name it.

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
