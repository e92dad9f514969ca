//! Unix: what POSIX has, by concern (`process`, `signals`, `fds`,
//! `poll`), and the process-tree backend: `linux` (`/proc`, the child
//! subreaper, pidfds) or `portable` (macOS, the BSDs, and Linux with the
//! `force-portable` feature: `ps` for the tree, no subreaper, no pidfd).

mod fds;
mod poll;
mod process;
mod signals;

pub use fds::*;
pub use poll::*;
pub use process::*;
pub use signals::*;

#[cfg(all(target_os = "linux", not(feature = "force-portable")))]
mod linux;
#[cfg(all(target_os = "linux", not(feature = "force-portable")))]
pub use linux::*;
#[cfg(any(not(target_os = "linux"), feature = "force-portable"))]
mod portable;
#[cfg(any(not(target_os = "linux"), feature = "force-portable"))]
pub use portable::*;

/// SIGKILL, for the guard's kills.
pub const SIGKILL: i32 = libc::SIGKILL;

/// This process's pid.
pub fn getpid() -> u32 {
    std::process::id()
}
