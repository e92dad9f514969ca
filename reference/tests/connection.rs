//! `multiprocessing.connection`: the wire format on real sockets, the
//! authkey handshake, and both directions of interop with CPython.
//!
//! Every test holds the fork lock (`common::begin()`): the sockets it opens
//! would otherwise show up in another test's descriptor check, and the
//! interop tests start python3 children. Nothing sleeps; each side blocks
//! on its socket, and a peer that died is unblocked by closing or by a
//! throwaway connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use procspec_reference::connection::{pipe, Address, Client, Connection, Listener};
use procspec_reference::{Authkey, ErrorKind, Result};
use rstest::rstest;

use crate::common;

const KEY: &[u8] = b"procspec connection key";
const WRONG: &[u8] = b"some other key";

fn key() -> Authkey {
    Authkey::new(KEY.to_vec())
}

fn wrong() -> Authkey {
    Authkey::new(WRONG.to_vec())
}

/// A fresh address of `family` (a socket path inside `dir`, or a free
/// loopback port once bound).
fn address(family: &str, dir: &Path) -> Address {
    match family {
        "AF_UNIX" => Address::Unix(dir.join("listener.sock")),
        "AF_INET" => Address::Inet("127.0.0.1:0".parse().unwrap()),
        _ => unreachable!("{family}"),
    }
}

/// A message of `n` bytes that is not all the same byte.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `(kind, message)` of an error result, for assertions.
fn err_of<T: std::fmt::Debug>(r: Result<T>) -> (ErrorKind, String) {
    let e = r.expect_err("expected an error");
    (e.kind(), e.message().to_string())
}

#[test]
fn pipe_round_trips_messages() {
    let t = common::begin();
    let (a, b) = pipe().unwrap();
    let messages = [
        b"first".to_vec(),
        Vec::new(),
        pattern(1 << 20),
        pattern(16385),
        b"last".to_vec(),
    ];
    // 1 MiB exceeds the socket buffer: send from a thread.
    thread::scope(|s| {
        let sender = s.spawn(|| messages.iter().try_for_each(|m| a.send_bytes(m)));
        for m in &messages {
            let got = b.recv_bytes().unwrap();
            assert!(got == *m, "got {} bytes, sent {}", got.len(), m.len());
        }
        sender.join().unwrap().unwrap();
    });
    // Duplex: the other direction too.
    b.send_bytes(b"back").unwrap();
    assert_eq!(a.recv_bytes().unwrap(), b"back");
    drop((a, b));
    t.finish();
}

#[test]
fn recv_bytes_into_fits_or_is_buffer_too_short() {
    let t = common::begin();
    let (a, b) = pipe().unwrap();
    a.send_bytes(b"0123456789").unwrap();
    let mut buf = [b'.'; 16];
    assert_eq!(b.recv_bytes_into(&mut buf).unwrap(), 10);
    assert_eq!(&buf, b"0123456789......");

    // An exact fit, and an empty message.
    a.send_bytes(b"0123456789abcdef").unwrap();
    a.send_bytes(b"").unwrap();
    assert_eq!(b.recv_bytes_into(&mut buf).unwrap(), 16);
    assert_eq!(&buf, b"0123456789abcdef");
    assert_eq!(b.recv_bytes_into(&mut []).unwrap(), 0);

    // Too long: consumed, returned whole in the error, buffer untouched;
    // the next message is read normally.
    a.send_bytes(b"longer than four bytes").unwrap();
    a.send_bytes(b"next").unwrap();
    let mut small = [0u8; 4];
    let e = b.recv_bytes_into(&mut small).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BufferTooShort);
    assert_eq!(e.kind().process_error_class(), Some("BufferTooShort"));
    assert_eq!(e.received(), Some(&b"longer than four bytes"[..]));
    assert_eq!(small, [0; 4]);
    assert_eq!(b.recv_bytes_into(&mut small).unwrap(), 4);
    assert_eq!(&small, b"next");
    drop((a, b));
    t.finish();
}

#[test]
fn poll_reads_ahead_and_sees_eof() {
    let t = common::begin();
    let (a, b) = pipe().unwrap();
    assert!(!b.poll(Some(Duration::ZERO)).unwrap());
    assert!(!b.poll(Some(Duration::from_millis(20))).unwrap());
    // A message larger than what poll reads ahead, split between the
    // read-ahead and the socket.
    let big = pattern(100_000);
    thread::scope(|s| {
        let sender = s.spawn(|| a.send_bytes(&big));
        assert!(b.poll(None).unwrap());
        assert!(b.poll(Some(Duration::ZERO)).unwrap());
        assert!(b.recv_bytes().unwrap() == big);
        sender.join().unwrap().unwrap();
    });
    a.send_bytes(b"small").unwrap();
    assert!(b.poll(Some(Duration::from_secs(60))).unwrap());
    assert_eq!(b.recv_bytes().unwrap(), b"small");
    // The peer closing counts as readable; the receive then reports it.
    drop(a);
    assert!(b.poll(None).unwrap());
    let (kind, message) = err_of(b.recv_bytes());
    assert_eq!(kind, ErrorKind::Os);
    assert!(message.contains("EOFError"), "{message}");
    drop(b);
    t.finish();
}

#[test]
fn wire_format_raw_bytes() {
    let t = common::begin();
    let (mut raw, other) = UnixStream::pair().unwrap();
    let conn = Connection::from(other);

    // What we write: `!i` length, then the bytes.
    conn.send_bytes(b"abc").unwrap();
    conn.send_bytes(b"").unwrap();
    let mut out = [0u8; 11];
    raw.read_exact(&mut out).unwrap();
    assert_eq!(&out, b"\0\0\0\x03abc\0\0\0\0");

    // The long form: `!i` -1, then a `!Q` length.
    raw.write_all(&(-1i32).to_be_bytes()).unwrap();
    raw.write_all(&5u64.to_be_bytes()).unwrap();
    raw.write_all(b"hello").unwrap();
    // Any other negative length reads as an empty message, as in CPython.
    raw.write_all(&(-7i32).to_be_bytes()).unwrap();
    raw.write_all(&2i32.to_be_bytes()).unwrap();
    raw.write_all(b"ok").unwrap();
    assert_eq!(conn.recv_bytes().unwrap(), b"hello");
    assert_eq!(conn.recv_bytes().unwrap(), b"");
    assert_eq!(conn.recv_bytes().unwrap(), b"ok");

    // The peer closing in the middle of a message.
    raw.write_all(&10i32.to_be_bytes()).unwrap();
    raw.write_all(b"abc").unwrap();
    drop(raw);
    assert_eq!(
        err_of(conn.recv_bytes()),
        (ErrorKind::Os, "got end of file during message".into())
    );
    drop(conn);
    t.finish();
}

/// Accepts on `listener` in a thread while a client connects with `key`;
/// returns (accept's result, the client's).
fn handshake(
    listener: &Listener,
    key: Option<&Authkey>,
) -> (Result<Connection>, Result<Connection>) {
    thread::scope(|s| {
        let server = s.spawn(|| listener.accept());
        let client = Client::connect(listener.address(), key);
        // A client that never connected leaves accept blocked: unblock it
        // with a throwaway client. (Any other failure happened on an
        // accepted connection, and the server side ends on its own.)
        if matches!(&client, Err(e) if e.message().starts_with("connect ")) {
            let _ = Client::connect(listener.address(), None);
        }
        (server.join().unwrap(), client)
    })
}

#[rstest]
#[case::unix("AF_UNIX")]
#[case::inet("AF_INET")]
fn listener_and_client(#[case] family: &str) {
    let t = common::begin();
    let dir = tempfile::tempdir().unwrap();
    {
        let listener = Listener::bind(address(family, dir.path()), Some(key())).unwrap();
        assert_eq!(listener.address().family(), family);
        if let Address::Inet(a) = listener.address() {
            assert_ne!(a.port(), 0);
        }

        // The same key: both sides connect and talk.
        let (server, client) = handshake(&listener, Some(&key()));
        let (server, client) = (server.unwrap(), client.unwrap());
        client.send_bytes(b"from the client").unwrap();
        assert_eq!(server.recv_bytes().unwrap(), b"from the client");
        server.send_bytes(b"from the listener").unwrap();
        assert_eq!(client.recv_bytes().unwrap(), b"from the listener");
        drop((server, client));

        // Another key: both sides fail, each with its CPython message.
        let (server, client) = handshake(&listener, Some(&wrong()));
        let refused = (
            ErrorKind::AuthenticationError,
            "digest received was wrong".to_string(),
        );
        assert_eq!(err_of(server), refused);
        let rejected = (
            ErrorKind::AuthenticationError,
            "digest sent was rejected".to_string(),
        );
        assert_eq!(err_of(client), rejected);

        // The listener still works afterwards.
        let (server, client) = handshake(&listener, Some(&key()));
        server.unwrap().send_bytes(b"again").unwrap();
        assert_eq!(client.unwrap().recv_bytes().unwrap(), b"again");

        // No key on either side: no handshake.
        let open = Listener::bind(
            match family {
                "AF_UNIX" => Address::Unix(dir.path().join("open.sock")),
                _ => address(family, dir.path()),
            },
            None,
        )
        .unwrap();
        let (server, client) = handshake(&open, None);
        client.unwrap().send_bytes(b"no key").unwrap();
        assert_eq!(server.unwrap().recv_bytes().unwrap(), b"no key");
    }
    // Dropping the listeners removed their socket files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    dir.close().unwrap();
    t.finish();
}

#[test]
fn unix_listener_socket_file() {
    let t = common::begin();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sock");
    let listener = Listener::bind(Address::Unix(path.clone()), None).unwrap();
    assert_eq!(listener.address(), &Address::Unix(path.clone()));
    assert!(path.exists());
    // The path is taken.
    let (kind, message) = err_of(Listener::bind(Address::Unix(path.clone()), None));
    assert_eq!(kind, ErrorKind::Os);
    assert!(message.contains("busy.sock"), "{message}");
    drop(listener);
    assert!(!path.exists());
    // Nobody listens there any more.
    let (kind, _) = err_of(Client::connect(&Address::Unix(path), None));
    assert_eq!(kind, ErrorKind::Os);
    dir.close().unwrap();
    t.finish();
}

// ---- the handshake against a scripted peer

/// HMAC-MD5(KEY, bytes 0..20) and HMAC-SHA256(KEY, b"{sha256}" + bytes
/// 100..140), computed with CPython's `hmac`.
const LEGACY_MD5: &str = "d40c87eed76c4b848be56f08c709e7b4";
const SHA256: &str = "17fe0efe3629f4c14cc7a7fe84191837abbcfad230c30157d1da884354d0707b";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A `Client` with KEY connects to a keyless listener whose side of the
/// handshake `script` plays; returns the client's result.
fn client_against(script: impl FnOnce(Connection) + Send) -> Result<Connection> {
    let dir = tempfile::tempdir().unwrap();
    let listener = Listener::bind(Address::Unix(dir.path().join("fake.sock")), None).unwrap();
    thread::scope(|s| {
        let fake = s.spawn(|| script(listener.accept().unwrap()));
        let client = Client::connect(listener.address(), Some(&key()));
        fake.join().unwrap();
        client
    })
}

#[test]
fn client_answers_a_legacy_challenge_with_raw_hmac_md5() {
    let t = common::begin();
    let client = client_against(|c| {
        c.send_bytes(&[b"#CHALLENGE#".as_slice(), &(0..20).collect::<Vec<u8>>()].concat())
            .unwrap();
        assert_eq!(hex(&c.recv_bytes().unwrap()), LEGACY_MD5);
        c.send_bytes(b"#WELCOME#").unwrap();
        // Then the client challenges: `{sha256}` and 40 random bytes.
        let challenge = c.recv_bytes().unwrap();
        assert!(
            challenge.starts_with(b"#CHALLENGE#{sha256}"),
            "{challenge:?}"
        );
        assert_eq!(challenge.len(), 11 + 8 + 40);
        // A 16-byte answer is a legacy HMAC-MD5 one, checked as such.
        c.send_bytes(&[0; 16]).unwrap();
        assert_eq!(c.recv_bytes().unwrap(), b"#FAILURE#");
    });
    let refused = (
        ErrorKind::AuthenticationError,
        "digest received was wrong".into(),
    );
    assert_eq!(err_of(client), refused);
    t.finish();
}

#[test]
fn client_answers_a_sha256_challenge_with_the_prefix() {
    let t = common::begin();
    let message = [b"{sha256}".as_slice(), &(100..140).collect::<Vec<u8>>()].concat();
    let client = client_against(|c| {
        c.send_bytes(&[b"#CHALLENGE#".as_slice(), &message].concat())
            .unwrap();
        let answer = c.recv_bytes().unwrap();
        assert_eq!(answer, [b"{sha256}".as_slice(), &unhex(SHA256)].concat());
        c.send_bytes(b"#FAILURE#").unwrap();
    });
    let rejected = (
        ErrorKind::AuthenticationError,
        "digest sent was rejected".into(),
    );
    assert_eq!(err_of(client), rejected);
    t.finish();
}

#[rstest]
#[case::not_a_challenge(b"hello", "Protocol error, expected challenge: message=b'hello'")]
#[case::quoted(
    b"it's\n\x00",
    r#"Protocol error, expected challenge: message=b"it's\n\x00""#
)]
#[case::escaped(b"a\\b\tc", r"Protocol error, expected challenge: message=b'a\\b\tc'")]
#[case::both_quotes(
    b"it's \"q\"\r",
    r#"Protocol error, expected challenge: message=b'it\'s "q"\r'"#
)]
#[case::too_short(b"#CHALLENGE#0123456789", "challenge too short: 10 bytes")]
#[case::no_prefix(
    b"#CHALLENGE#0123456789abcdefghijk",
    "unsupported message length, missing digest prefix, or unsupported digest: \
     message=b'0123456789abcdefghijk'"
)]
#[case::unknown_digest(
    b"#CHALLENGE#{sha1}0123456789abcdefghijk",
    "unsupported message length, missing digest prefix, or unsupported digest: \
     message=b'{sha1}0123456789abcdefghijk'"
)]
#[case::sha3(
    b"#CHALLENGE#{sha3_256}0123456789abcdefghijk",
    "unsupported hash type sha3_256"
)]
fn client_refuses_bad_challenges(#[case] challenge: &[u8], #[case] message: &str) {
    let t = common::begin();
    let client = client_against(|c| c.send_bytes(challenge).unwrap());
    let refused = (ErrorKind::AuthenticationError, message.to_string());
    assert_eq!(err_of(client), refused);
    // A handshake message over 256 bytes: CPython's OSError.
    let client = client_against(|c| c.send_bytes(&[b'#'; 257]).unwrap());
    assert_eq!(err_of(client), (ErrorKind::Os, "bad message length".into()));
    // 256 bytes are read (and then refused as no challenge).
    let client = client_against(|c| c.send_bytes(&[b'#'; 256]).unwrap());
    assert_eq!(err_of(client).0, ErrorKind::AuthenticationError);
    t.finish();
}

#[rstest]
#[case::wrong_md5([0; 16].to_vec(), "digest received was wrong")]
#[case::wrong_sha256(
    [b"{sha256}".as_slice(), &[0; 32]].concat(),
    "digest received was wrong"
)]
#[case::short(
    b"{sha256}12345".to_vec(),
    "expected 'sha256' of length 32 got 5"
)]
#[case::sha3(
    [b"{sha3_256}".as_slice(), &[0; 32]].concat(),
    "response_digest='sha3_256' unsupported"
)]
#[case::no_prefix(
    b"no digest prefix here".to_vec(),
    "unsupported message length, missing digest prefix, or unsupported digest: \
     message=b'no digest prefix here'"
)]
fn listener_refuses_bad_answers(#[case] answer: Vec<u8>, #[case] message: &str) {
    let t = common::begin();
    let dir = tempfile::tempdir().unwrap();
    {
        let path = dir.path().join("keyed.sock");
        let listener = Listener::bind(Address::Unix(path.clone()), Some(key())).unwrap();
        let server = thread::scope(|s| {
            let server = s.spawn(|| listener.accept());
            // A keyless client plays the other side.
            let fake = Client::connect(&Address::Unix(path), None).unwrap();
            let challenge = fake.recv_bytes().unwrap();
            assert!(
                challenge.starts_with(b"#CHALLENGE#{sha256}"),
                "{challenge:?}"
            );
            assert_eq!(challenge.len(), 11 + 8 + 40);
            fake.send_bytes(&answer).unwrap();
            assert_eq!(fake.recv_bytes().unwrap(), b"#FAILURE#");
            server.join().unwrap()
        });
        let refused = (ErrorKind::AuthenticationError, message.to_string());
        assert_eq!(err_of(server), refused);
    }
    dir.close().unwrap();
    t.finish();
}

// ---- interop with CPython

/// A python3 child with piped stdout and stderr. Dropping it kills and
/// reaps the child, so a failed assertion leaves no zombie.
struct Python {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Python {
    /// Runs `python3 -c script args...`; `None` (after a notice) when
    /// there is no python3.
    fn start(script: &str, args: &[&str]) -> Option<Python> {
        let spawned = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("SKIPPED: python3 not found, no CPython interop test");
                return None;
            }
            Err(e) => panic!("python3: {e}"),
        };
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Some(Python { child, stdout })
    }

    /// The next line the script printed (without its newline).
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        if line.is_empty() {
            panic!("python3 printed nothing: {}", self.stderr());
        }
        line.trim_end().to_string()
    }

    fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }

    /// Waits for the exit: the status, the rest of stdout, stderr.
    fn finish(&mut self) -> (ExitStatus, String, String) {
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let err = self.stderr();
        (self.child.wait().unwrap(), rest, err)
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Python's address literal for `address`.
fn py_address(address: &Address) -> String {
    match address {
        Address::Unix(path) => path.display().to_string(),
        Address::Inet(a) => a.to_string(),
    }
}

const PY_CLIENT: &str = r#"
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
family, address = sys.argv[1], sys.argv[2]
key, wrong = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
if family == 'AF_INET':
    host, port = address.rsplit(':', 1)
    address = (host, int(port))
try:
    Client(address, family=family, authkey=wrong)
    print('wrong key accepted', flush=True)
except AuthenticationError as e:
    print('refused:', e, flush=True)
with Client(address, family=family, authkey=key) as c:
    c.send_bytes(b'hello from python')
    reply = c.recv_bytes()
    c.send_bytes(reply[::-1])
print('got:', reply.decode(), flush=True)
"#;

/// CPython's `Client` against our `Listener`: a wrong key is refused on
/// both sides, the right one talks. (CPython 3.11 answers with the legacy
/// raw HMAC-MD5, 3.12+ with `{sha256}`; both must pass.)
#[rstest]
#[case::unix("AF_UNIX")]
#[case::inet("AF_INET")]
fn cpython_client_rust_listener(#[case] family: &str) {
    let t = common::begin();
    let dir = tempfile::tempdir().unwrap();
    {
        let listener = Listener::bind(address(family, dir.path()), Some(key())).unwrap();
        let addr = listener.address().clone();
        let args = [family, &py_address(&addr), &hex(KEY), &hex(WRONG)];
        let Some(mut py) = Python::start(PY_CLIENT, &args) else {
            return;
        };
        let (server, (status, stdout, stderr)) = thread::scope(|s| {
            let server = s.spawn(|| {
                let refused = listener.accept().map(|_| ());
                let conn = listener.accept()?;
                let got = conn.recv_bytes()?;
                conn.send_bytes(b"hello from rust")?;
                let back = conn.recv_bytes()?;
                Ok::<_, procspec_reference::Error>((refused, got, back))
            });
            let out = py.finish();
            // Python died before connecting? Unblock the accepts.
            for _ in 0..2 {
                if !server.is_finished() {
                    let _ = Client::connect(&addr, None);
                }
            }
            (server.join().unwrap(), out)
        });
        assert!(status.success(), "python3: {status}\n{stdout}\n{stderr}");
        assert_eq!(
            stdout, "refused: digest sent was rejected\ngot: hello from rust\n",
            "{stderr}"
        );
        let (refused, got, back) = server.unwrap();
        assert_eq!(
            err_of(refused),
            (
                ErrorKind::AuthenticationError,
                "digest received was wrong".into()
            )
        );
        assert_eq!(got, b"hello from python");
        assert_eq!(back, b"tsur morf olleh");
    }
    dir.close().unwrap();
    t.finish();
}

const PY_LISTENER: &str = r#"
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Listener
family, address, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
if family == 'AF_INET':
    host, port = address.rsplit(':', 1)
    address = (host, int(port))
with Listener(address, family=family, authkey=key) as listener:
    a = listener.address
    print(a if family == 'AF_UNIX' else '%s:%d' % a, flush=True)
    with listener.accept() as c:
        c.send_bytes(c.recv_bytes().upper())
    try:
        listener.accept()
        print('wrong key accepted', flush=True)
    except AuthenticationError as e:
        print('refused:', e, flush=True)
"#;

/// Our `Client` against CPython's `Listener` (which sends a legacy 20-byte
/// challenge on 3.11, a `{sha256}` one on 3.12+).
#[rstest]
#[case::unix("AF_UNIX")]
#[case::inet("AF_INET")]
fn rust_client_cpython_listener(#[case] family: &str) {
    let t = common::begin();
    let dir = tempfile::tempdir().unwrap();
    {
        let args = [family, &py_address(&address(family, dir.path())), &hex(KEY)];
        let Some(mut py) = Python::start(PY_LISTENER, &args) else {
            return;
        };
        let line = py.line();
        let addr = match family {
            "AF_UNIX" => Address::Unix(line.into()),
            _ => Address::Inet(line.parse::<SocketAddr>().unwrap()),
        };
        let conn = Client::connect(&addr, Some(&key())).unwrap();
        conn.send_bytes(b"hello from rust").unwrap();
        assert_eq!(conn.recv_bytes().unwrap(), b"HELLO FROM RUST");
        drop(conn);
        assert_eq!(
            err_of(Client::connect(&addr, Some(&wrong()))),
            (
                ErrorKind::AuthenticationError,
                "digest sent was rejected".into()
            )
        );
        let (status, stdout, stderr) = py.finish();
        assert!(status.success(), "python3: {status}\n{stdout}\n{stderr}");
        assert_eq!(stdout, "refused: digest received was wrong\n", "{stderr}");
        drop(py);
    }
    dir.close().unwrap();
    t.finish();
}

/// A listener accepts an answer in any digest CPython accepts and this
/// module computes: `{sha384}` with HMAC-SHA384 of the whole challenge.
#[test]
fn listener_accepts_a_sha384_answer() {
    use hmac::{Hmac, Mac};
    let t = common::begin();
    let dir = tempfile::tempdir().unwrap();
    {
        let path = dir.path().join("sha384.sock");
        let listener = Listener::bind(Address::Unix(path.clone()), Some(key())).unwrap();
        thread::scope(|s| {
            let server = s.spawn(|| listener.accept());
            let fake = Client::connect(&Address::Unix(path), None).unwrap();
            let challenge = fake.recv_bytes().unwrap();
            let message = &challenge[b"#CHALLENGE#".len()..];
            let mut mac = Hmac::<sha2::Sha384>::new_from_slice(key().as_bytes()).unwrap();
            mac.update(message);
            let answer = [b"{sha384}".as_slice(), &mac.finalize().into_bytes()].concat();
            fake.send_bytes(&answer).unwrap();
            assert_eq!(fake.recv_bytes().unwrap(), b"#WELCOME#");
            // The listener then answers the client's challenge (which this
            // keyless fake does not send): end its side.
            drop(fake);
            assert!(server.join().unwrap().is_err());
        });
    }
    dir.close().unwrap();
    t.finish();
}

/// `Debug` names the type and its socket, never hangs on a lock.
#[test]
fn a_connection_debugs_as_itself() {
    let t = common::begin();
    let (a, _b) = pipe().unwrap();
    let shown = format!("{a:?}");
    assert!(shown.starts_with("Connection {"), "{shown}");
    assert!(shown.contains("Unix"), "{shown}");
    drop((a, _b));
    t.finish();
}
