use std::os::fd::AsRawFd;
use std::time::Duration;

use procspec_reference::{Process, StartMethod, Target};
use rstest::rstest;

use crate::common::{self, Gate};

/// The child starts a daemonic and a non-daemonic grandchild and then ends
/// (returning, or via `procspec_reference::exit(5)`). Its exit handler must
/// SIGTERM the daemonic one at once and wait for the other.
#[rstest]
#[case(StartMethod::Fork, false, 0)]
#[case(StartMethod::Spawn, false, 0)]
#[case(StartMethod::Fork, true, 5)]
#[case(StartMethod::Spawn, true, 5)]
fn exit_handler_terminates_daemons_and_joins_others(
    #[case] m: StartMethod,
    #[case] via_exit: bool,
    #[case] code: i32,
) {
    let t = common::begin();
    let (r, w) = common::pipe();
    let gate = Gate::new();
    let p = Process::builder(Target::registered(
        "grandchildren",
        &(w.as_raw_fd(), gate.fd(), via_exit),
    ))
    .start_method(m)
    .pass_fd(w.as_raw_fd())
    .pass_fd(gate.fd())
    .build();
    p.start().unwrap();
    let (daemon, other): (u32, u32) = common::recv(&r);
    // The child is now in its exit handler: blocked joining `other`.
    p.join(Some(Duration::from_millis(50))).unwrap();
    assert!(
        p.is_alive().unwrap(),
        "the child waits for its non-daemonic child"
    );
    assert!(common::pid_exists(other));
    gate.release(2); // one spare, in case the daemon read before SIGTERM landed
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(code));
    // Both grandchildren were reaped by the child before it exited.
    assert!(
        !common::pid_exists(daemon),
        "daemonic grandchild terminated and reaped"
    );
    assert!(!common::pid_exists(other), "non-daemonic grandchild joined");
    p.close().unwrap();
    drop((gate, r, w));
    t.finish();
}

/// What the parent printed without a newline is printed once: the parent
/// flushes stdout before forking (as CPython does), so a child, which
/// flushes at exit, has none of it left to print again. libtest captures
/// `print!`, so the check runs in a re-executed copy of this binary with
/// real stdout: `unflushed_output_entry` below.
#[test]
fn unflushed_parent_output_is_printed_once() {
    let t = common::begin();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "exit_handler::unflushed_output_entry",
            "--exact",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("PROCSPEC_REFERENCE_UNFLUSHED", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("before-fork|").count(), 1, "{text}");
    t.finish();
}

#[test]
fn unflushed_output_entry() {
    if std::env::var_os("PROCSPEC_REFERENCE_UNFLUSHED").is_none() {
        return;
    }
    print!("before-fork|");
    let p = Process::new(Target::none());
    p.start().unwrap();
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    println!();
}
