use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use procspec_reference::{Process, StartMethod, Target};
use rstest::rstest;

use crate::common::{self, Gate};

fn blocked(m: StartMethod, gate: &Gate) -> Process {
    Process::builder(Target::registered("block", &gate.fd()))
        .start_method(m)
        .pass_fd(gate.fd())
        .build()
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn join_timeout_on_running_child(#[case] m: StartMethod) {
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    let t0 = Instant::now();
    p.join(Some(Duration::from_millis(10))).unwrap();
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(10), "{waited:?}");
    assert!(waited < Duration::from_millis(500), "{waited:?}");
    assert!(p.is_alive().unwrap());
    assert_eq!(p.exitcode().unwrap(), None);
    let t0 = Instant::now();
    p.join(Some(Duration::ZERO)).unwrap();
    assert!(t0.elapsed() < Duration::from_millis(5));
    assert!(p.is_alive().unwrap());
    gate.release(1);
    p.join(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    drop(gate);
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn sentinel_ready_only_after_exit(#[case] m: StartMethod) {
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    let s = p.sentinel().unwrap();
    assert!(s.as_raw_fd() > 2);
    assert!(!s.wait(Some(Duration::ZERO)).unwrap());
    assert!(!s.wait(Some(Duration::from_millis(5))).unwrap());
    gate.release(1);
    assert!(s.wait(None).unwrap());
    assert!(s.wait(Some(Duration::ZERO)).unwrap(), "stays ready");
    p.join(None).unwrap();
    assert!(
        s.wait(Some(Duration::ZERO)).unwrap(),
        "ready after join too"
    );
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    drop(gate);
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn concurrent_join_from_four_threads(#[case] m: StartMethod) {
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    let joiners: Vec<_> = (0..4)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || {
                p.join(None).unwrap();
                p.exitcode().unwrap()
            })
        })
        .collect();
    // Let the joiners block (observable only as "still alive").
    p.join(Some(Duration::from_millis(20))).unwrap();
    assert!(p.is_alive().unwrap());
    gate.release(1);
    for j in joiners {
        assert_eq!(j.join().unwrap(), Some(0));
    }
    p.close().unwrap();
    drop(gate);
    t.finish();
}

#[test]
fn clones_share_one_object() {
    let t = common::begin();
    let p = Process::new(Target::none());
    let q = p.clone();
    q.set_name("shared").unwrap();
    assert_eq!(p.name().unwrap(), "shared");
    p.start().unwrap();
    q.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    q.close().unwrap();
    assert_eq!(
        p.pid().unwrap_err().kind(),
        procspec_reference::ErrorKind::Closed
    );
    t.finish();
}

/// Without pidfd (forced by `PROCSPEC_REFERENCE_NO_PIDFD`) the sentinel is a
/// pipe only the child holds. The switch is read once per process, so the
/// check runs in a re-executed copy of this binary: `fallback_entry` below.
#[test]
fn pipe_fallback_in_subprocess() {
    let t = common::begin();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "waiting::fallback_entry",
            "--exact",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("PROCSPEC_REFERENCE_NO_PIDFD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("fallback checked"), "{text}");
    t.finish();
}

#[test]
fn fallback_entry() {
    if std::env::var_os("PROCSPEC_REFERENCE_NO_PIDFD").is_none() {
        return;
    }
    let t = common::begin();
    for m in [StartMethod::Fork, StartMethod::Spawn] {
        let gate = Gate::new();
        let p = blocked(m, &gate);
        p.start().unwrap();
        let s = p.sentinel().unwrap();
        let link = std::fs::read_link(format!("/proc/self/fd/{}", s.as_raw_fd())).unwrap();
        assert!(link.to_string_lossy().starts_with("pipe:"), "{link:?}");
        p.join(Some(Duration::from_millis(10))).unwrap();
        assert!(p.is_alive().unwrap());
        assert!(!s.wait(Some(Duration::ZERO)).unwrap());
        gate.release(1);
        p.join(None).unwrap();
        assert_eq!(p.exitcode().unwrap(), Some(0));
        p.close().unwrap();

        let q = blocked(m, &gate);
        q.start().unwrap();
        q.terminate().unwrap();
        q.join(None).unwrap();
        assert_eq!(q.exitcode().unwrap(), Some(-15));
        q.close().unwrap();
        drop(gate);
    }
    // A child that ends while its own child lives on: its sentinel (a pipe
    // only it holds the write end of) is ready, because the grandchild
    // closed the copy of that end it inherited at its fork.
    let gate = Gate::new();
    let (life_r, life_w) = common::pipe();
    let g = gate.fd();
    let p = Process::builder(Target::function(move || {
        let grandchild = Process::builder(Target::function(move || common::wait_gate(g)))
            .start_method(StartMethod::Fork)
            .build();
        grandchild.start().unwrap();
        // End at once: no exit handler waits for the grandchild.
        common::die_of_signal(9);
    }))
    .start_method(StartMethod::Fork)
    .build();
    p.start().unwrap();
    drop(life_w);
    let ready = p
        .sentinel()
        .unwrap()
        .wait(Some(Duration::from_secs(10)))
        .unwrap();
    gate.release(1);
    // The grandchild (orphaned, not ours to reap) has ended once the last
    // copy of the life pipe's write end is closed.
    let _ = common::read_all(life_r);
    p.join(None).unwrap();
    p.close().unwrap();
    drop(gate);
    assert!(ready, "the sentinel waited for the grandchild too");

    // The same under spawn: the spawned child keeps its sentinel's write
    // end out of its own spawned children (close-on-exec), so its sentinel
    // is ready when it ends though the grandchild lives on.
    let gate = Gate::new();
    let (life_r, life_w) = common::pipe();
    let fds = (gate.fd(), life_w.as_raw_fd());
    let p = Process::builder(Target::registered("spawn_then_die", &fds))
        .start_method(StartMethod::Spawn)
        .pass_fd(fds.0)
        .pass_fd(fds.1)
        .build();
    p.start().unwrap();
    drop(life_w);
    let ready = p
        .sentinel()
        .unwrap()
        .wait(Some(Duration::from_secs(10)))
        .unwrap();
    gate.release(1);
    let _ = common::read_all(life_r);
    p.join(None).unwrap();
    p.close().unwrap();
    drop(gate);
    assert!(
        ready,
        "the spawned child's sentinel waited for its spawned child"
    );

    // A ready pipe sentinel means the exit code is known: the pipe hangs up
    // a moment before the child can be reaped, and `exitcode` then reaps
    // it blocking (Popen::reap) instead of answering "still running". The
    // window is short: many children make it likely to be hit.
    for _ in 0..200 {
        let p = Process::builder(Target::none())
            .start_method(StartMethod::Fork)
            .build();
        p.start().unwrap();
        assert!(p.sentinel().unwrap().wait(None).unwrap());
        assert_eq!(
            p.exitcode().unwrap(),
            Some(0),
            "ready sentinel, no exit code"
        );
        p.close().unwrap();
    }
    println!("fallback checked");
    t.finish();
}

/// On the Linux backend with a kernel that has `pidfd_open` (5.3+), the
/// sentinel is a pidfd, not the pipe fallback.
#[test]
fn the_sentinel_is_a_pidfd_where_the_kernel_has_them() {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|x| x.parse::<u32>().unwrap_or(0));
    let has_pidfd = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0)) >= (5, 3);
    if procspec_reference::platform() != "linux"
        || !has_pidfd
        || std::env::var_os("PROCSPEC_REFERENCE_NO_PIDFD").is_some()
    {
        return;
    }
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(StartMethod::Fork, &gate);
    p.start().unwrap();
    let s = p.sentinel().unwrap();
    let link = std::fs::read_link(format!("/proc/self/fd/{}", s.as_raw_fd())).unwrap();
    gate.release(1);
    p.join(None).unwrap();
    p.close().unwrap();
    drop(gate);
    t.finish();
    assert_eq!(link.to_string_lossy(), "anon_inode:[pidfd]");
}

/// A child that was joined and whose object was dropped leaves nothing
/// open: the children table lets go of a reaped child at once, not at the
/// next `active_children()` or `start()`.
#[test]
fn a_joined_and_dropped_process_holds_no_descriptor() {
    let t = common::begin();
    let before = common::open_fds();
    let gate = Gate::new();
    let p = blocked(StartMethod::Fork, &gate);
    p.start().unwrap();
    gate.release(1);
    p.join(None).unwrap();
    drop(p);
    drop(gate);
    let after = common::open_fds();
    t.finish();
    assert_eq!(after, before, "the sentinel outlived the object");
}
