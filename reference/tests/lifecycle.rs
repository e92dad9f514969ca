use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use procspec_reference::{ErrorKind, Process, StartMethod, Target};
use rstest::rstest;

use crate::common::{self, Gate};

fn blocked(m: StartMethod, gate: &Gate) -> Process {
    Process::builder(Target::registered("block", &gate.fd()))
        .start_method(m)
        .pass_fd(gate.fd())
        .build()
}

fn kind<T: std::fmt::Debug>(r: procspec_reference::Result<T>) -> ErrorKind {
    r.unwrap_err().kind()
}

fn msg<T: std::fmt::Debug>(r: procspec_reference::Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn created_state(#[case] m: StartMethod) {
    let t = common::begin();
    let p = Process::builder(Target::none()).start_method(m).build();
    assert_eq!(p.start_method(), m);
    assert!(!p.is_alive().unwrap());
    assert_eq!(p.exitcode().unwrap(), None);
    assert_eq!(p.pid().unwrap(), None);
    assert_eq!(msg(p.sentinel()), "process not started");
    assert_eq!(kind(p.join(None)), ErrorKind::NotStarted);
    assert_eq!(
        msg(p.join(Some(Duration::ZERO))),
        "can only join a started process"
    );
    assert_eq!(
        msg(p.terminate()),
        "cannot terminate a process that was not started"
    );
    assert_eq!(kind(p.kill()), ErrorKind::NotStarted);
    assert!(!procspec_reference::active_children()
        .iter()
        .any(|c| c.name().unwrap() == p.name().unwrap()));
    p.close().unwrap();
    assert_eq!(msg(p.start()), "process object is closed");
    assert_eq!(kind(p.start()), ErrorKind::Closed);
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn second_start_fails(#[case] m: StartMethod) {
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    assert_eq!(kind(p.start()), ErrorKind::AlreadyStarted);
    assert_eq!(msg(p.start()), "cannot start a process twice");
    gate.release(1);
    p.join(None).unwrap();
    assert_eq!(msg(p.start()), "cannot start a process twice");
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    drop(gate);
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn running_state(#[case] m: StartMethod) {
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    let pid = p.pid().unwrap().unwrap();
    assert!(common::pid_exists(pid));
    assert!(p.is_alive().unwrap());
    assert_eq!(p.exitcode().unwrap(), None);
    assert_eq!(kind(p.close()), ErrorKind::StillRunning);
    assert_eq!(
        msg(p.close()),
        "Cannot close a process while it is still running. You should first call join() or terminate()."
    );
    assert_eq!(msg(p.set_daemon(true)), "process has already started");
    assert_eq!(kind(p.set_daemon(true)), ErrorKind::AlreadyStarted);
    p.set_name("renamed").unwrap();
    assert_eq!(p.name().unwrap(), "renamed");
    let active = procspec_reference::active_children();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].pid().unwrap(), Some(pid));
    assert!(
        format!("{p:?}").ends_with(&format!("pid={pid} parent={} started>", std::process::id()))
    );
    gate.release(1);
    p.join(None).unwrap();
    assert!(!p.is_alive().unwrap());
    assert_eq!(p.exitcode().unwrap(), Some(0));
    assert_eq!(p.pid().unwrap(), Some(pid), "pid kept after exit");
    assert!(procspec_reference::active_children().is_empty());
    assert!(!common::pid_exists(pid), "joined child is reaped");
    p.join(None).unwrap();
    p.join(Some(Duration::ZERO)).unwrap();
    p.close().unwrap();
    drop(gate);
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork, Target::none(), 0)]
#[case(StartMethod::Spawn, Target::none(), 0)]
#[case(StartMethod::Fork, Target::registered("exit_with", &7), 7)]
#[case(StartMethod::Spawn, Target::registered("exit_with", &7), 7)]
#[case(StartMethod::Spawn, Target::registered("exit_with", &0), 0)]
#[case(StartMethod::Fork, Target::function(|| procspec_reference::exit(3)), 3)]
#[case(StartMethod::Fork, Target::function(|| ()), 0)]
fn exit_codes(#[case] m: StartMethod, #[case] target: Target, #[case] code: i32) {
    let t = common::begin();
    let p = Process::builder(target).start_method(m).build();
    p.start().unwrap();
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(code));
    p.close().unwrap();
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork, false, -15, "-SIGTERM")]
#[case(StartMethod::Spawn, false, -15, "-SIGTERM")]
#[case(StartMethod::Fork, true, -9, "-SIGKILL")]
#[case(StartMethod::Spawn, true, -9, "-SIGKILL")]
fn terminate_and_kill(
    #[case] m: StartMethod,
    #[case] hard: bool,
    #[case] code: i32,
    #[case] name: &str,
) {
    let t = common::begin();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    if hard {
        p.kill().unwrap();
    } else {
        p.terminate().unwrap();
    }
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(code));
    assert!(format!("{p:?}").contains(&format!("stopped exitcode={name}")));
    // Once the code is known, no signal is sent and nothing fails.
    p.terminate().unwrap();
    p.kill().unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(code));
    p.close().unwrap();
    drop(gate);
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn signal_to_zombie_is_harmless(#[case] m: StartMethod) {
    let t = common::begin();
    let p = Process::builder(Target::none()).start_method(m).build();
    p.start().unwrap();
    assert!(p.sentinel().unwrap().wait(None).unwrap());
    p.terminate().unwrap();
    p.kill().unwrap();
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn close_after_exit(#[case] m: StartMethod) {
    let t = common::begin();
    let p = Process::builder(Target::none()).start_method(m).build();
    p.start().unwrap();
    let s = p.sentinel().unwrap();
    let fd = s.as_raw_fd();
    assert!(s.wait(None).unwrap());
    p.close().unwrap(); // exited, not yet reaped: close reaps
    assert!(
        nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).is_err(),
        "sentinel fd closed"
    );
    assert_eq!(kind(s.wait(Some(Duration::ZERO))), ErrorKind::Closed);
    p.close().unwrap();
    for r in [
        p.start(),
        p.join(None),
        p.is_alive().map(drop),
        p.exitcode().map(drop),
        p.pid().map(drop),
        p.sentinel().map(drop),
        p.terminate(),
        p.kill(),
        p.run(),
    ] {
        assert_eq!(msg(r), "process object is closed");
    }
    // Name, daemon and authkey keep working, as in CPython.
    p.set_name("after-close").unwrap();
    assert_eq!(p.name().unwrap(), "after-close");
    p.set_daemon(true).unwrap();
    assert!(p.daemon().unwrap());
    assert_eq!(p.authkey().unwrap().as_bytes().len(), 32);
    assert!(format!("{p:?}").ends_with("closed daemon>"));
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn panic_gives_exitcode_1_and_message(#[case] m: StartMethod) {
    let t = common::begin();
    let (r, w) = common::pipe();
    let target = match m {
        StartMethod::Fork => {
            let fd = w.as_raw_fd();
            Target::function(move || {
                nix::unistd::dup2(fd, 2).unwrap();
                panic!("boom in the child");
            })
        }
        _ => Target::registered("panic", &(w.as_raw_fd(), "boom in the child")),
    };
    let p = Process::builder(target)
        .start_method(m)
        .pass_fd(w.as_raw_fd())
        .build();
    p.start().unwrap();
    drop(w);
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(1));
    let err = common::read_all(r);
    let name = p.name().unwrap();
    assert!(err.starts_with(&format!("Process {name}:\n")), "{err:?}");
    assert!(err.contains("boom in the child"), "{err:?}");
    p.close().unwrap();
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn start_reaps_finished_children(#[case] m: StartMethod) {
    let t = common::begin();
    let a = Process::builder(Target::none()).start_method(m).build();
    a.start().unwrap();
    let pid = a.pid().unwrap().unwrap();
    assert!(a.sentinel().unwrap().wait(None).unwrap());
    assert!(common::pid_exists(pid), "a zombie until polled");
    let b = Process::builder(Target::none()).start_method(m).build();
    b.start().unwrap();
    assert!(
        !common::pid_exists(pid),
        "start() of another process reaped it"
    );
    assert_eq!(a.exitcode().unwrap(), Some(0));
    b.join(None).unwrap();
    a.close().unwrap();
    b.close().unwrap();
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn is_alive_and_active_children_reap(#[case] m: StartMethod) {
    let t = common::begin();
    let a = Process::builder(Target::none()).start_method(m).build();
    let b = Process::builder(Target::none()).start_method(m).build();
    a.start().unwrap();
    b.start().unwrap();
    let (pa, pb) = (a.pid().unwrap().unwrap(), b.pid().unwrap().unwrap());
    assert!(a.sentinel().unwrap().wait(None).unwrap());
    assert!(b.sentinel().unwrap().wait(None).unwrap());
    assert!(!a.is_alive().unwrap());
    assert!(!common::pid_exists(pa));
    assert!(procspec_reference::active_children().is_empty());
    assert!(!common::pid_exists(pb));
    assert_eq!(b.exitcode().unwrap(), Some(0));
    a.close().unwrap();
    b.close().unwrap();
    t.finish();
}

#[test]
fn run_in_current_process() {
    let t = common::begin();
    let ran = Arc::new(AtomicBool::new(false));
    let r2 = Arc::clone(&ran);
    let p = Process::new(Target::function(move || r2.store(true, Ordering::SeqCst)));
    p.run().unwrap();
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(
        kind(p.run()),
        ErrorKind::InvalidArgument,
        "a closure runs once"
    );
    let q = Process::new(Target::none());
    q.start().unwrap();
    assert_eq!(kind(q.run()), ErrorKind::AlreadyStarted);
    q.join(None).unwrap();
    q.close().unwrap();
    assert_eq!(kind(q.run()), ErrorKind::Closed);
    p.close().unwrap();
    t.finish();
}

#[test]
fn closure_under_spawn_is_unsupported() {
    let t = common::begin();
    let p = Process::builder(Target::function(|| ()))
        .start_method(StartMethod::Spawn)
        .build();
    assert_eq!(kind(p.start()), ErrorKind::Unsupported);
    assert_eq!(p.pid().unwrap(), None, "still created");
    assert_eq!(kind(p.start()), ErrorKind::Unsupported);
    let q = Process::new(Target::registered("no-such-target", &()));
    assert_eq!(kind(q.start()), ErrorKind::InvalidArgument);
    assert!(!q.is_alive().unwrap());
    t.finish();
}

#[test]
fn repr_like_cpython() {
    let t = common::begin();
    let me = std::process::id();
    let p = Process::builder(Target::none())
        .name("a b'c")
        .daemon(true)
        .build();
    assert_eq!(
        format!("{p:?}"),
        format!("<Process name=\"a b'c\" parent={me} initial daemon>")
    );
    p.start().unwrap();
    p.join(None).unwrap();
    let pid = p.pid().unwrap().unwrap();
    assert_eq!(
        format!("{p:?}"),
        format!("<Process name=\"a b'c\" pid={pid} parent={me} stopped exitcode=0 daemon>")
    );
    p.close().unwrap();
    assert_eq!(
        format!("{p:?}"),
        format!("<Process name=\"a b'c\" parent={me} closed daemon>")
    );
    t.finish();
}
