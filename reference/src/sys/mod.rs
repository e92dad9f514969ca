//! The platform layer: every system call and every `unsafe` block of the
//! crate lives below this module. The rest of the crate is safe Rust.
//!
//! Three backends, chosen at compile time:
//! - `unix/` with `unix/linux.rs` (pidfd, `pipe2`, `getrandom`, `ppoll`);
//! - `unix/` with `unix/portable.rs` (macOS, the BSDs, and Linux with the
//!   `force-portable` feature: `pipe` + `fcntl`, `getentropy`, `poll`,
//!   `waitpid`, a pipe as sentinel);
//! - `windows.rs` (process handles as sentinels, `CreateProcess`,
//!   `TerminateProcess`; no fork).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(not(any(unix, windows)))]
compile_error!("procspec-reference supports Unix and Windows");
