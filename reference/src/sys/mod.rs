//! The platform layer: every system call and every `unsafe` block of the
//! crate lives below this module. The rest of the crate is safe Rust.
//!
//! Each platform supplies one module; only Unix exists today.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(not(unix))]
compile_error!("procspec-reference supports Unix only (fork, pidfd, waitid)");
