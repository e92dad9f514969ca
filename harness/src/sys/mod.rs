//! The harness's platform layer: process-tree inspection for the leak
//! guard and the orphan count. Every syscall and every `unsafe` of the
//! harness is here.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
compile_error!("procspec's harness needs Linux for now: /proc, subreapers, pidfd");
