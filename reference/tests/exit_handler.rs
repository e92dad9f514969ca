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

/// Run this binary's `entry` test in a fresh process with `env` set (so
/// that it acts), stdout and stderr discarded; its exit status.
fn run_entry(entry: &str, env: (&str, &str)) -> std::process::ExitStatus {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([entry, "--exact", "--test-threads=1", "--nocapture", "-q"])
        .env(env.0, env.1)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
}

/// The main process's exit handler, installed by `init()`: when the
/// program ends normally, its daemonic children are terminated and reaped
/// (CPython's `atexit`-registered `_exit_function`). The entry below starts
/// a daemonic child that blocks forever, writes its pid to a file and
/// returns; libtest then exits the process normally.
#[test]
fn the_main_process_terminates_its_daemonic_children_at_exit() {
    let t = common::begin();
    let file = std::env::temp_dir().join(format!("procspec-main-exit-{}", std::process::id()));
    let status = run_entry(
        "exit_handler::main_exit_entry",
        ("PROCSPEC_REFERENCE_MAIN_EXIT", file.to_str().unwrap()),
    );
    assert!(status.success());
    let pid: u32 = std::fs::read_to_string(&file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    let survived = common::pid_exists(pid);
    if survived {
        // Not ours to reap (reparented away): kill it so nothing leaks.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert!(
        !survived,
        "the daemonic child {pid} outlived the main process"
    );
    t.finish();
}

#[test]
fn main_exit_entry() {
    let Some(file) = std::env::var_os("PROCSPEC_REFERENCE_MAIN_EXIT") else {
        return;
    };
    procspec_reference::init();
    // Blocks on a pipe nobody writes, whose write end it holds itself (an
    // inherited copy): only a signal ends it.
    let gate = Gate::new();
    let fd = gate.fd();
    let p = Process::builder(Target::function(move || common::wait_gate(fd)))
        .daemon(true)
        .start_method(StartMethod::Fork)
        .build();
    p.start().unwrap();
    std::fs::write(file, p.pid().unwrap().unwrap().to_string()).unwrap();
    // The gate stays open in this process (leaked on purpose) until exit.
    std::mem::forget(gate);
}

/// What a child prints without a newline reaches its stdout: the child
/// flushes before it ends with `_exit` (which drops stdio buffers).
#[test]
fn a_childs_unflushed_output_is_flushed_before_it_exits() {
    let t = common::begin();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "exit_handler::child_output_entry",
            "--exact",
            "--test-threads=1",
            "--nocapture",
            "-q",
        ])
        .env("PROCSPEC_REFERENCE_CHILD_OUTPUT", "1")
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("in-child|").count(), 1, "{text}");
    assert_eq!(text.matches("in-grandchild|").count(), 1, "{text}");
    t.finish();
}

#[test]
fn child_output_entry() {
    if std::env::var_os("PROCSPEC_REFERENCE_CHILD_OUTPUT").is_none() {
        return;
    }
    // The child prints, and so does its own child (whose stdout must
    // survive the sentinel bookkeeping of two forks).
    let p = Process::builder(Target::function(|| {
        print!("in-child|");
        let g = Process::builder(Target::function(|| print!("in-grandchild|")))
            .start_method(StartMethod::Fork)
            .build();
        g.start().unwrap();
        g.join(None).unwrap();
        assert_eq!(g.exitcode().unwrap(), Some(0));
    }))
    .start_method(StartMethod::Fork)
    .build();
    p.start().unwrap();
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
}
