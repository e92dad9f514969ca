//! Signals and races: every wait survives `EINTR`, terminate racing a
//! natural exit, many joiners at once, close racing exit. Each outcome is
//! one the model allows.
//!
//! No sleeping for events: children block on gates, the test blocks on
//! joins and channels. Where a test must know that another thread is
//! *inside* a wait (so that a signal interrupts the wait and not the code
//! around it), it watches `/proc/self/task/<tid>/syscall` until that
//! thread sits in `ppoll`.

#![allow(unsafe_code)] // a test that makes raw syscalls; each block has its // SAFETY:

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Once};
use std::time::{Duration, Instant};

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use procspec_reference::{ErrorKind, Process, StartMethod, Target};
use rstest::rstest;

use crate::common::{self, Gate};

/// A wait no test run reaches: "forever", through the timeout path.
const LONG: Duration = Duration::from_secs(3600);

fn blocked(m: StartMethod, gate: &Gate) -> Process {
    Process::builder(Target::registered("block", &gate.fd()))
        .start_method(m)
        .pass_fd(gate.fd())
        .build()
}

// ---- signal delivery

/// SIGUSR1s handled so far.
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

/// Async-signal-safe: one atomic increment, nothing else.
extern "C" fn count_signal(_: nix::libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// A counting SIGUSR1 handler, installed once, *without* `SA_RESTART`: an
/// interrupted system call fails with `EINTR` instead of being restarted
/// by the kernel (`ppoll` never is anyway).
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let action = SigAction::new(
            SigHandler::Handler(count_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler only increments an atomic (async-signal-safe),
        // and nothing else in this binary uses SIGUSR1.
        unsafe { sigaction(Signal::SIGUSR1, &action) }.expect("sigaction(SIGUSR1)");
    });
}

/// This thread's pthread handle (nix's `pthread` feature is not enabled
/// here, so straight from libc).
fn this_thread() -> nix::libc::pthread_t {
    // SAFETY: pthread_self has no preconditions.
    unsafe { nix::libc::pthread_self() }
}

/// Sends SIGUSR1 to one thread of this process.
fn interrupt(thread: nix::libc::pthread_t) {
    // SAFETY: `thread` is a live thread of this process: the waiter stays
    // alive until the signaller is done with it.
    let rc = unsafe { nix::libc::pthread_kill(thread, nix::libc::SIGUSR1) };
    assert_eq!(rc, 0, "pthread_kill: {}", nix::errno::Errno::from_raw(rc));
}

/// The system call thread `tid` of this process is blocked in, if any.
fn syscall_of(tid: i32) -> Option<i64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Spins (yielding, no sleep) until thread `tid` is blocked in `ppoll`, or
/// `done` says it will not be any more (then `false`).
fn until_in_ppoll(tid: i32, done: &AtomicBool) -> bool {
    // ppoll (Linux backend) or poll (the portable one).
    until_in(tid, done, &[nix::libc::SYS_ppoll, nix::libc::SYS_poll])
}

/// Spins (yielding, no sleep) until thread `tid` is blocked in one of
/// `calls`, or `done` says it will not be any more (then `false`).
fn until_in(tid: i32, done: &AtomicBool, calls: &[i64]) -> bool {
    let limit = Instant::now() + Duration::from_secs(60);
    loop {
        if done.load(Ordering::SeqCst) {
            return false;
        }
        if syscall_of(tid).is_some_and(|c| calls.contains(&c)) {
            return true;
        }
        assert!(
            Instant::now() < limit,
            "thread {tid} never blocked in {calls:?} (now in syscall {:?})",
            syscall_of(tid)
        );
        std::thread::yield_now();
    }
}

/// The waits a parent can block in.
#[derive(Debug, Clone, Copy)]
enum Wait {
    Join,
    JoinTimeout,
    Sentinel,
    SentinelTimeout,
}

/// How many signals each wait must sit through.
const SIGNALS_PER_WAIT: usize = 100;

/// A thread waits on a child blocked on a gate; a second thread interrupts
/// that wait with SIGUSR1 (no `SA_RESTART`) each time it is back in
/// `ppoll`, 100 times; a third releases the gate once they were delivered.
/// The wait must end because the child ended, with exit code 0, and never
/// with `EINTR` nor early.
#[rstest]
fn waits_survive_signals(
    #[values(StartMethod::Fork, StartMethod::Spawn)] m: StartMethod,
    #[values(Wait::Join, Wait::JoinTimeout, Wait::Sentinel, Wait::SentinelTimeout)] w: Wait,
) {
    let t = common::begin();
    install_handler();
    let gate = Gate::new();
    let p = blocked(m, &gate);
    p.start().unwrap();
    let sentinel = p.sentinel().unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let (who_tx, who_rx) = channel();
    let (result_tx, result_rx) = channel();
    let (hold_tx, hold_rx) = channel::<()>();
    let waiter = {
        let p = p.clone();
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            who_tx.send((this_thread(), nix::unistd::gettid())).unwrap();
            let r = match w {
                Wait::Join => p.join(None).map(|()| true),
                Wait::JoinTimeout => p.join(Some(LONG)).map(|()| true),
                Wait::Sentinel => sentinel.wait(None),
                Wait::SentinelTimeout => sentinel.wait(Some(LONG)),
            };
            done.store(true, Ordering::SeqCst);
            result_tx.send(r).unwrap();
            // Stay alive until the signaller is finished with this thread:
            // signalling a thread that has exited is undefined.
            let _ = hold_rx.recv();
        })
    };
    let (thread, tid) = who_rx.recv().unwrap();
    let tid = tid.as_raw();

    let signaller = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let base = SIGNALS.load(Ordering::SeqCst);
            let mut sent = 0;
            while sent < SIGNALS_PER_WAIT && until_in_ppoll(tid, &done) {
                interrupt(thread);
                sent += 1;
                // Until the handler ran: each signal is its own interruption
                // (a second one sent while the first is pending would merge).
                while SIGNALS.load(Ordering::SeqCst) < base + sent {
                    std::thread::yield_now();
                }
            }
            sent
        })
    };
    let releaser = std::thread::spawn(move || {
        let sent = signaller.join().unwrap();
        gate.release(1);
        (sent, gate)
    });

    let result = result_rx.recv().unwrap();
    let (sent, gate) = releaser.join().unwrap();
    hold_tx.send(()).unwrap();
    waiter.join().unwrap();

    assert_eq!(
        sent, SIGNALS_PER_WAIT,
        "{w:?} returned {result:?} before the gate was released"
    );
    assert_eq!(result, Ok(true), "{w:?} under {SIGNALS_PER_WAIT} signals");
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    assert!(!p.is_alive().unwrap());
    p.close().unwrap();
    drop(gate);
    t.finish();
}

// ---- terminate racing a natural exit

const RACES: usize = 200;

/// A child that exits at once, signalled right after `start()`: it either
/// exited first (0) or died of the signal; nothing else, and the object
/// ends joined and closes.
#[rstest]
fn signal_races_natural_exit(
    #[values(StartMethod::Fork, StartMethod::Spawn)] m: StartMethod,
    #[values(Signal::SIGTERM, Signal::SIGKILL)] sig: Signal,
) {
    let t = common::begin();
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..RACES {
        let p = Process::builder(Target::registered("exit_with", &0))
            .start_method(m)
            .build();
        p.start().unwrap();
        match sig {
            Signal::SIGTERM => p.terminate().unwrap(),
            _ => p.kill().unwrap(),
        }
        p.join(None).unwrap();
        let code = p.exitcode().unwrap();
        assert!(
            code == Some(0) || code == Some(-(sig as i32)),
            "{sig}: exit code {code:?}"
        );
        *seen.entry(code).or_insert(0) += 1;
        assert!(!p.is_alive().unwrap());
        // Once the exit code is known, signalling is a no-op.
        p.terminate().unwrap();
        p.kill().unwrap();
        assert_eq!(p.exitcode().unwrap(), code);
        p.close().unwrap();
    }
    eprintln!("{m:?} {sig}: exit codes over {RACES} races: {seen:?}");
    t.finish();
}

// ---- many joiners

const JOINERS: usize = 8;

/// Eight threads join one child at once (half without, half with a
/// timeout), all blocked in `ppoll` before the child is released: every
/// join returns `Ok` and every thread sees the same exit code.
#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn eight_threads_join_one_child(#[case] m: StartMethod) {
    let t = common::begin();
    let gate = Gate::new();
    let (p, expected) = match m {
        // A fork child can run a closure: make the code distinctive.
        StartMethod::Fork => {
            let fd = gate.fd();
            let p = Process::builder(Target::function(move || {
                common::wait_gate(fd);
                procspec_reference::exit(7)
            }))
            .start_method(m)
            .build();
            (p, 7)
        }
        _ => (blocked(m, &gate), 0),
    };
    p.start().unwrap();
    let ready = Arc::new(Barrier::new(JOINERS + 1));
    let (tid_tx, tid_rx) = channel();
    let joiners: Vec<_> = (0..JOINERS)
        .map(|i| {
            let p = p.clone();
            let ready = Arc::clone(&ready);
            let tid_tx = tid_tx.clone();
            std::thread::spawn(move || {
                tid_tx.send(nix::unistd::gettid().as_raw()).unwrap();
                ready.wait();
                let joined = if i % 2 == 0 {
                    p.join(None)
                } else {
                    p.join(Some(LONG))
                };
                (joined, p.exitcode())
            })
        })
        .collect();
    let tids: Vec<i32> = (0..JOINERS).map(|_| tid_rx.recv().unwrap()).collect();
    ready.wait();
    let never = AtomicBool::new(false);
    for &tid in &tids {
        assert!(until_in_ppoll(tid, &never));
    }
    gate.release(1);
    let results: Vec<_> = joiners.into_iter().map(|j| j.join().unwrap()).collect();
    for (i, (joined, code)) in results.iter().enumerate() {
        assert_eq!(joined, &Ok(()), "joiner {i}");
        assert_eq!(code, &Ok(Some(expected)), "joiner {i}");
    }
    assert!(!p.is_alive().unwrap());
    p.close().unwrap();
    drop(gate);
    t.finish();
}

// ---- close racing exit

const CLOSES: usize = 20;

/// `close()` retried from the moment the child is released (or, with
/// `at_once`, from right after `start()` of a child that exits at once)
/// until it succeeds: every failure is `StillRunning` (nothing else, and no
/// effect), then the object is closed for good and the child is reaped.
#[rstest]
fn close_races_exit(
    #[values(StartMethod::Fork, StartMethod::Spawn)] m: StartMethod,
    #[values(false, true)] at_once: bool,
) {
    let t = common::begin();
    let mut refused = 0usize;
    for _ in 0..CLOSES {
        let gate = Gate::new();
        let p = if at_once {
            Process::builder(Target::registered("exit_with", &0))
                .start_method(m)
                .build()
        } else {
            blocked(m, &gate)
        };
        p.start().unwrap();
        let pid = p.pid().unwrap().unwrap();
        gate.release(1);
        loop {
            match p.close() {
                Ok(()) => break,
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::StillRunning, "{e}");
                    refused += 1;
                    // A refused close had no effect: still open, running
                    // or just exited, never closed.
                    assert!(p.pid().is_ok());
                }
            }
        }
        for (what, kind) in [
            ("pid", p.pid().map(|_| ()).map_err(|e| e.kind())),
            ("is_alive", p.is_alive().map(|_| ()).map_err(|e| e.kind())),
            ("exitcode", p.exitcode().map(|_| ()).map_err(|e| e.kind())),
            ("join", p.join(None).map_err(|e| e.kind())),
            ("sentinel", p.sentinel().map(|_| ()).map_err(|e| e.kind())),
            ("terminate", p.terminate().map_err(|e| e.kind())),
            ("start", p.start().map_err(|e| e.kind())),
        ] {
            assert_eq!(kind, Err(ErrorKind::Closed), "{what} after close");
        }
        assert_eq!(p.close(), Ok(()), "close is idempotent");
        assert_eq!(
            common::children_of_us(),
            Vec::<String>::new(),
            "child {pid} not reaped by close"
        );
        drop(gate);
    }
    eprintln!("{m:?} at_once={at_once}: {refused} StillRunning refusals over {CLOSES} closes");
    t.finish();
}

// ---- connections

/// A connection's blocking calls (`recv_bytes`, `poll`, `Listener::accept`)
/// sit through signals: each is interrupted by SIGUSR1 (no `SA_RESTART`)
/// ten times while blocked in its system call, then gets what it waits
/// for, and returns it, never `EINTR` (CPython's PEP 475 retry).
#[rstest]
fn connection_calls_survive_signals(#[values("recv", "poll", "accept")] call: &str) {
    use procspec_reference::connection::{pipe, Address, Client, Listener};
    let t = common::begin();
    install_handler();
    let dir = tempfile::tempdir().unwrap();
    let listener = Listener::bind(Address::Unix(dir.path().join("l.sock")), None).unwrap();
    let (a, b) = pipe().unwrap();
    let done = AtomicBool::new(false);
    let (who_tx, who_rx) = channel();
    let outcome = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            who_tx.send((this_thread(), nix::unistd::gettid())).unwrap();
            let r = match call {
                "recv" => a.recv_bytes().map(|m| m == b"after the signals"),
                "poll" => a.poll(Some(LONG)),
                _ => listener.accept().map(|_| true),
            };
            done.store(true, Ordering::SeqCst);
            r
        });
        let (thread, tid) = who_rx.recv().unwrap();
        let calls = [
            nix::libc::SYS_read,
            nix::libc::SYS_recvfrom,
            nix::libc::SYS_accept,
            nix::libc::SYS_accept4,
        ];
        for _ in 0..10 {
            if !until_in(tid.as_raw(), &done, &calls) {
                break;
            }
            let before = SIGNALS.load(Ordering::SeqCst);
            interrupt(thread);
            // The handler ran (the call was interrupted) before the next.
            while SIGNALS.load(Ordering::SeqCst) == before {
                std::thread::yield_now();
            }
        }
        if call == "accept" {
            drop(Client::connect(listener.address(), None).unwrap());
        } else {
            b.send_bytes(b"after the signals").unwrap();
        }
        waiter.join().unwrap()
    });
    assert_eq!(outcome.map_err(|e| e.to_string()), Ok(true), "{call}");
    drop((a, b, listener));
    dir.close().unwrap();
    t.finish();
}
