//! The spawn lifecycle on Windows: what CPython's `popen_spawn_win32`
//! does. Blocked children wait on a pipe handle passed to them
//! (`pass_handle`) until the test writes or closes it, never on a sleep.

use std::io::{Read, Write};
use std::os::windows::io::AsRawHandle;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use procspec_reference::{ErrorKind, Process, StartMethod, Target};

static LOCK: Mutex<()> = Mutex::new(());

const SPAWN_ARGS: [&str; 5] = [
    "spawn_entry",
    "--exact",
    "--nocapture",
    "--test-threads=1",
    "-q",
];

fn exit_with(code: i32) {
    procspec_reference::exit(code);
}

/// Blocks until the handle's pipe has a byte or reaches end of file.
fn block_on(handle: usize) {
    use std::os::windows::io::FromRawHandle;
    #[allow(unsafe_code)] // a test adopting a handle passed to it
    // SAFETY: the parent passed this handle to exactly this child.
    let mut f = unsafe { std::fs::File::from_raw_handle(handle as _) };
    let mut b = [0u8; 1];
    let _ = f.read(&mut b);
}

/// The targets a spawned test child can run.
pub fn register_targets() {
    procspec_reference::register("exit_with", exit_with);
    procspec_reference::register("block_on", block_on);
}

fn begin() -> MutexGuard<'static, ()> {
    let lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    register_targets();
    procspec_reference::set_spawn_args(SPAWN_ARGS.map(String::from).to_vec());
    lock
}

fn blocked_child() -> (Process, std::io::PipeWriter) {
    let (r, w) = std::io::pipe().unwrap();
    let p = Process::builder(Target::registered(
        "block_on",
        &(r.as_raw_handle() as usize),
    ))
    .pass_handle(r.as_raw_handle())
    .build();
    p.start().unwrap();
    drop(r);
    (p, w)
}

#[test]
fn spawn_is_the_default_and_fork_is_unsupported() {
    let _l = begin();
    assert_eq!(procspec_reference::get_start_method(), StartMethod::Spawn);
    assert_eq!(procspec_reference::platform(), "windows");
    let p = Process::builder(Target::none())
        .start_method(StartMethod::Fork)
        .build();
    assert_eq!(p.start().unwrap_err().kind(), ErrorKind::Unsupported);
}

#[test]
fn exit_codes_come_back() {
    let _l = begin();
    for code in [0, 3, 255] {
        let p = Process::new(Target::registered("exit_with", &code));
        p.start().unwrap();
        p.join(None).unwrap();
        assert_eq!(p.exitcode().unwrap(), Some(code));
        assert!(!p.is_alive().unwrap());
        p.close().unwrap();
    }
}

#[test]
fn join_timeout_then_release() {
    let _l = begin();
    let (p, mut w) = blocked_child();
    let t = Instant::now();
    p.join(Some(Duration::from_millis(200))).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert!(p.is_alive().unwrap());
    assert_eq!(p.exitcode().unwrap(), None);
    assert!(!p.sentinel().unwrap().wait(Some(Duration::ZERO)).unwrap());
    w.write_all(b"x").unwrap();
    assert!(p.sentinel().unwrap().wait(None).unwrap());
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
}

#[test]
fn terminate_and_kill_read_as_minus_sigterm() {
    let _l = begin();
    for kill in [false, true] {
        let (p, _w) = blocked_child();
        if kill {
            p.kill().unwrap();
        } else {
            p.terminate().unwrap();
        }
        // CPython on Windows sets the exit code at once.
        assert_eq!(p.exitcode().unwrap(), Some(-15));
        p.join(None).unwrap();
        assert_eq!(p.exitcode().unwrap(), Some(-15));
        // Again: nothing happens once the code is known.
        p.terminate().unwrap();
        p.close().unwrap();
    }
}

#[test]
fn close_while_running_is_refused() {
    let _l = begin();
    let (p, w) = blocked_child();
    assert_eq!(p.close().unwrap_err().kind(), ErrorKind::StillRunning);
    drop(w);
    p.join(None).unwrap();
    p.close().unwrap();
    assert_eq!(p.join(None).unwrap_err().kind(), ErrorKind::Closed);
}

/// `Pipe()` on Windows is a loopback TCP pair: messages round trip, and a
/// buffer too short is `BufferTooShort` carrying the whole message.
#[test]
fn a_pipe_carries_messages_and_refuses_a_short_buffer() {
    use procspec_reference::connection::pipe;
    let (a, b) = pipe().unwrap();
    b.send_bytes(b"procspec-recv-bytes-into-message").unwrap();
    b.send_bytes(b"next").unwrap();
    let mut short = [0u8; 8];
    let e = a.recv_bytes_into(&mut short).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BufferTooShort);
    assert_eq!(e.received(), Some(&b"procspec-recv-bytes-into-message"[..]));
    assert_eq!(a.recv_bytes().unwrap(), b"next");
}

/// A `Listener` on loopback with a key accepts a `Client` with the same
/// key and refuses one with another (`AuthenticationError` on both sides).
#[test]
fn the_handshake_tells_keys_apart() {
    use procspec_reference::connection::{Address, Client, Listener};
    use procspec_reference::Authkey;
    let key = Authkey::new(b"procspec".to_vec());
    let listener = Listener::bind(
        Address::Inet("127.0.0.1:0".parse().unwrap()),
        Some(key.clone()),
    )
    .unwrap();
    let address = listener.address().clone();
    for (offered, accepted) in [
        (key.clone(), true),
        (Authkey::new(b"other".to_vec()), false),
    ] {
        std::thread::scope(|s| {
            let server = s.spawn(|| listener.accept().map(drop));
            let client = Client::connect(&address, Some(&offered));
            let server = server.join().unwrap();
            assert_eq!(client.is_ok(), accepted, "{:?}", client.err());
            assert_eq!(server.is_ok(), accepted);
            if !accepted {
                assert_eq!(client.unwrap_err().kind(), ErrorKind::AuthenticationError);
            }
        });
    }
}
