//! A runner that is killed or interrupted leaves nothing behind.
//!
//! Each test makes itself a child subreaper (so that whatever the runner
//! leaves is reparented to the test, where it can be seen), starts
//! `procspec run` on a case that builds a three-level tree with daemonic and
//! SIGTERM-ignoring children and then blocks in a long join
//! (`tests/fixtures/deep-tree`), waits (deadline-bounded) until the tree
//! exists, and then:
//! - SIGKILL: within 2 s no process the runner started is alive (the
//!   watchdog killed them);
//! - SIGINT / SIGTERM: the runner stops promptly, writes its report marked
//!   incomplete, exits non-zero, and leaves nothing.
//!
//! The adapters above clean up by themselves when the runner's end of
//! their stdin closes; one test kills the runner while a hostile adapter
//! (`fixtures/hostile/hang_after_five.py`) has stopped reading, so that
//! only the watchdog can end it.
//!
//! With several implementations the runner runs them in worker processes
//! (`--jobs 2`): killing the top-level runner must still leave nothing of
//! the workers, their watchdogs or their trees.
//!
//! Linux only: the test process becomes a child subreaper (`prctl`).
#![cfg(target_os = "linux")]
#![allow(unsafe_code)] // a test that makes raw syscalls; each block has its // SAFETY:

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The tests share the subreaper's view of the process tree: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `(pid, ppid, state)` of every process we can read.
fn processes() -> Vec<(u32, u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(rest) = text.rsplit_once(')').map(|(_, r)| r.to_string()) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let (Some(state), Some(ppid)) = (f.next(), f.next()) else {
            continue;
        };
        if let (Some(c), Ok(ppid)) = (state.chars().next(), ppid.parse()) {
            out.push((pid, ppid, c));
        }
    }
    out
}

fn descendants(root: u32) -> Vec<(u32, char)> {
    let all = processes();
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &(pid, ppid, state) in &all {
            if ppid == p && !out.iter().any(|(q, _)| *q == pid) {
                out.push((pid, state));
                todo.push(pid);
            }
        }
    }
    out
}

/// Wait until `f` holds or `deadline` passes, looking every few ms.
fn wait_until(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(5));
    }
    f()
}

/// Start `procspec run` on the deep tree, as a child of this (subreaper)
/// test process.
fn spawn_runner(impls: &[&str], out: &Path) -> Child {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes a flag and no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_procspec"));
    cmd.current_dir(root())
        .args([
            "run",
            "--cases",
            "tests/fixtures/deep-tree",
            "--deadline-ms",
            "600000",
        ])
        .args(["--sequences", "0", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for i in impls {
        cmd.args(["--impl", i]);
    }
    if impls.len() > 1 {
        cmd.args(["--jobs", "2"]);
    }
    cmd.spawn().expect("start procspec")
}

/// Wait until the runner has at least `n` descendants (the watchdog
/// counts).
fn wait_for_tree(runner: &Child, n: usize) {
    let pid = runner.id();
    assert!(
        wait_until(Duration::from_secs(60), || descendants(pid).len() >= n),
        "the runner never had {n} descendants: {:?}",
        descendants(pid)
    );
}

/// Start the runner and wait until the whole deep tree exists: 6
/// processes per implementation plus the watchdog.
fn start_runner(impls: &[&str], out: &Path) -> Child {
    let child = spawn_runner(impls, out);
    wait_for_tree(&child, 7);
    child
}

/// Reap our zombie children; the live ones remain.
fn live_children_after(deadline: Duration) -> Vec<u32> {
    let me = std::process::id();
    let mut live = Vec::new();
    wait_until(deadline, || {
        live.clear();
        for (pid, ppid, state) in processes() {
            if ppid != me {
                continue;
            }
            if state == 'Z' {
                // SAFETY: pid is a zombie child of ours; status is a valid pointer.
                unsafe {
                    let mut status = 0;
                    libc::waitpid(pid as i32, &mut status, libc::WNOHANG);
                }
            } else {
                live.push(pid);
            }
        }
        live.is_empty()
    });
    live
}

fn kill_leftovers(pids: &[u32]) {
    for &p in pids {
        // SAFETY: signalling our own leftover children.
        unsafe {
            libc::kill(p as i32, libc::SIGKILL);
        }
    }
    live_children_after(Duration::from_secs(5));
}

/// SIGKILL the runner once it has `n` descendants (`None`: the whole
/// tree) and check that nothing it started outlives it by 2 s.
fn sigkill_leaves_nothing(impls: &[&str], n: Option<usize>) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().unwrap();
    let mut runner = match n {
        None => start_runner(impls, out.path()),
        Some(n) => {
            let runner = spawn_runner(impls, out.path());
            wait_for_tree(&runner, n);
            runner
        }
    };
    runner.kill().unwrap();
    runner.wait().unwrap();
    let live = live_children_after(Duration::from_secs(2));
    kill_leftovers(&live);
    assert!(
        live.is_empty(),
        "alive 2 s after the runner was killed (at {n:?} descendants): {live:?}"
    );
}

fn signal_stops_cleanly(signal: i32, impls: &[&str]) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().unwrap();
    let mut runner = start_runner(impls, out.path());
    // SAFETY: signalling the runner we started.
    unsafe {
        libc::kill(runner.id() as i32, signal);
    }
    let mut status = None;
    let stopped = wait_until(Duration::from_secs(20), || {
        status = runner.try_wait().unwrap();
        status.is_some()
    });
    if !stopped {
        runner.kill().unwrap();
        runner.wait().unwrap();
    }
    let live = live_children_after(Duration::from_secs(2));
    kill_leftovers(&live);
    assert!(stopped, "the runner did not stop within 20 s of the signal");
    assert!(
        !status.unwrap().success(),
        "an interrupted run exits non-zero"
    );
    assert!(live.is_empty(), "left behind: {live:?}");
    let first = out.path().join(format!("{}.json", impls[0]));
    let report = std::fs::read_to_string(&first).expect("the partial report is written");
    assert!(
        report.contains("\"complete\": false"),
        "not marked incomplete:\n{report}"
    );
}

#[test]
fn sigkill_of_the_runner_with_the_reference_leaves_nothing() {
    sigkill_leaves_nothing(&["reference-fork"], None);
}

/// Killed while the tree is being built: each child is in a process group
/// the watchdog knows from the moment it is forked, so no kill point leaves
/// one untracked.
#[test]
fn sigkill_while_the_reference_builds_its_tree_leaves_nothing() {
    for n in 1..=7 {
        sigkill_leaves_nothing(&["reference-fork"], Some(n));
    }
}

#[test]
fn sigkill_while_cpython_builds_its_tree_leaves_nothing() {
    for n in 1..=7 {
        sigkill_leaves_nothing(&["cpython-fork"], Some(n));
    }
}

#[test]
fn sigkill_of_the_runner_with_cpython_leaves_nothing() {
    sigkill_leaves_nothing(&["cpython-fork"], None);
}

#[test]
fn sigint_stops_the_run_and_writes_a_partial_report() {
    signal_stops_cleanly(libc::SIGINT, &["reference-fork", "cpython-fork"]);
}

#[test]
fn sigterm_stops_the_run_and_writes_a_partial_report() {
    signal_stops_cleanly(libc::SIGTERM, &["cpython-spawn"]);
}

/// Under spawn the children are `fork` + `exec` (the reference) or
/// `_posixsubprocess` (CPython): the group they join before exec is what
/// they keep.
#[test]
fn sigkill_while_spawn_children_build_their_tree_leaves_nothing() {
    for n in 1..=7 {
        sigkill_leaves_nothing(&["reference-spawn"], Some(n));
        sigkill_leaves_nothing(&["cpython-spawn"], Some(n));
    }
}

/// Two implementations in two workers: the top-level runner, two workers,
/// three watchdogs and two trees of 6 (17 descendants of the test). Killed
/// at several points on the way, nothing outlives it.
#[test]
fn sigkill_of_a_parallel_run_leaves_nothing() {
    for n in [1, 3, 6, 10, 17] {
        sigkill_leaves_nothing(&["reference-fork", "cpython-fork"], Some(n));
    }
}

/// An adapter that cleans up nothing itself: `hang_after_five.py` answers
/// five requests and then blocks for good, no longer reading its stdin, so
/// the end of file of a dead runner does not reach it and its group has no
/// stopped member (which would make the kernel hang it up). Only the
/// watchdog, told of its group between fork and exec (the runner's
/// supervisor hook in the harness), can end it.
#[test]
fn sigkill_with_an_adapter_that_stopped_reading_leaves_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().unwrap();
    // SAFETY: PR_SET_CHILD_SUBREAPER takes a flag and no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    let mut runner = Command::new(env!("CARGO_BIN_EXE_procspec"))
        .current_dir(root())
        .args([
            "run",
            "--adapter",
            "python3 fixtures/hostile/hang_after_five.py",
            "--name",
            "hostile",
            "--cases",
            "tests/fixtures/hostile-cases",
            "--deadline-ms",
            "600000",
            "--stall-threshold",
            "0",
            "--sequences",
            "0",
            "--out",
        ])
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start procspec");
    // Blocked for good: its one thread waits on a futex (a read of the
    // next request would wait in the pipe).
    let hung = wait_until(Duration::from_secs(60), || {
        descendants(runner.id()).iter().any(|&(pid, _)| {
            let file = |f: &str| std::fs::read_to_string(format!("/proc/{pid}/{f}"));
            file("cmdline").is_ok_and(|c| c.contains("hang_after_five"))
                && file("wchan").is_ok_and(|w| w.starts_with("futex"))
        })
    });
    runner.kill().unwrap();
    runner.wait().unwrap();
    let live = live_children_after(Duration::from_secs(2));
    kill_leftovers(&live);
    assert!(hung, "the adapter never blocked");
    assert!(
        live.is_empty(),
        "alive 2 s after the runner was killed: {live:?}"
    );
}
