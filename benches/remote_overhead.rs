//! What the wire protocol costs: the same ops through the in-process
//! reference adapter and through `procspec serve-reference` behind a
//! `RemoteAdapter` (JSON lines over pipes).
//!
//! `cargo bench --bench remote_overhead`. Prints medians and p99 in µs, and
//! `RATIO <name> <remote median µs> <in-process median µs> <ratio>` lines.
//!
//! Unix only: the adapters it compares need fork and process groups.

#[cfg(unix)]
#[path = "remote_overhead/unix.rs"]
mod unix;

fn main() {
    #[cfg(unix)]
    unix::main();
}
