//! Lifecycle benchmark: the reference `Process` against raw system calls.
//!
//! Each comparison runs both sides interleaved in one process (a fresh one
//! per comparison) and prints
//! `RATIO <name> <reference median> <baseline median> <ratio>` (times in
//! microseconds; ratio = reference / baseline, lower is better).
//! Run with `cargo bench -p procspec-reference`.
//!
//! Unix only: the baselines are raw fork, waitpid and pidfd calls.

#[cfg(unix)]
#[path = "lifecycle/unix.rs"]
mod unix;

fn main() {
    #[cfg(unix)]
    unix::main();
}
