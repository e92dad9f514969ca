//! `multiprocessing.connection`: message-oriented connections over
//! sockets, with CPython's wire format and authkey handshake.
//!
//! What it covers, under CPython's names:
//!
//! * [`Connection`]: `send_bytes`, `recv_bytes`, `recv_bytes_into` (a
//!   [`ErrorKind::BufferTooShort`] carrying the whole message when it does
//!   not fit) and `poll`. On the wire every message is a 4-byte big-endian
//!   signed length (`struct.pack("!i", n)`) and the bytes; a message longer
//!   than `0x7fffffff` bytes is sent as the length `-1` followed by an
//!   8-byte unsigned length (`!Q`). Both forms are read and written, so a
//!   connection talks to a CPython `Connection` on the same socket.
//!   `From<UnixStream>`/`From<TcpStream>` wrap a connected socket
//!   (CPython's `Connection(handle)`).
//! * [`pipe`]: `Pipe(duplex=True)`, a connected pair (a Unix socket pair;
//!   on Windows a loopback TCP pair, where CPython uses a named pipe).
//! * [`Listener`] and [`Client`]: `Listener(address, authkey=...)` /
//!   `Client(address, authkey=...)` for [`Address::Unix`] (`AF_UNIX`) and
//!   [`Address::Inet`] (`AF_INET`). Without a key no handshake is done
//!   (CPython's `authkey=None`). With one, the listener's `accept` runs
//!   `deliver_challenge` then `answer_challenge`, the client the reverse.
//! * The handshake of CPython 3.12+: the challenge is
//!   `b'#CHALLENGE#{sha256}'` plus 40 random bytes, the answer
//!   `b'{sha256}'` plus HMAC-SHA256 of the whole challenge. It
//!   interoperates with the legacy HMAC-MD5 handshake of CPython <= 3.11
//!   in both directions, as CPython 3.12 does: a 20-byte challenge is
//!   answered with a raw HMAC-MD5, and a raw 16-byte answer is checked as
//!   HMAC-MD5. Digests are compared in constant time. A failed handshake
//!   is an [`ErrorKind::AuthenticationError`] with CPython's message
//!   (`digest received was wrong` on the side that verified,
//!   `digest sent was rejected` on the side whose answer was refused).
//!
//! What it does not cover: pickled objects (`send`/`recv`; send bytes you
//! serialised yourself), `AF_PIPE` (Windows named pipes), `Pipe(duplex=False)`,
//! `wait()` over several objects, `Listener.last_accepted`, abstract
//! (Linux) socket names, `arbitrary_address` (a [`Listener`] needs an
//! explicit address; port 0 asks the OS for a free one), the
//! `XmlListener`/`XmlClient` wrappers, `recv_bytes(maxlength)`, and
//! the `{sha3_256}`/`{sha3_384}` digests (their names are recognised, then
//! refused as unsupported; CPython itself only ever asks for `sha256`).
//!
//! Errors: failed socket calls are [`ErrorKind::Os`]. CPython's
//! `EOFError` (the peer closed the connection at a message boundary) and
//! `OSError('got end of file during message')` are [`ErrorKind::Os`] too,
//! with those texts. A handshake message longer than 256 bytes is CPython's
//! `OSError('bad message length')`.
//!
//! ```
//! # #[cfg(unix)] {
//! use procspec_reference::connection::{pipe, Address, Client, Listener};
//! use procspec_reference::Authkey;
//!
//! let (a, b) = pipe()?;
//! a.send_bytes(b"hello")?;
//! assert_eq!(b.recv_bytes()?, b"hello");
//!
//! let key = Authkey::new(b"secret".to_vec());
//! let any_port = Address::Inet("127.0.0.1:0".parse().unwrap());
//! let listener = Listener::bind(any_port, Some(key.clone()))?;
//! let address = listener.address().clone();
//! let client = std::thread::spawn(move || Client::connect(&address, Some(&key)));
//! let server_side = listener.accept()?;
//! let client_side = client.join().unwrap()?;
//! client_side.send_bytes(b"ping")?;
//! assert_eq!(server_side.recv_bytes()?, b"ping");
//! # }
//! # Ok::<(), procspec_reference::Error>(())
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{Error, ErrorKind, Result};

mod handshake;
mod listener;
pub use listener::{Client, Listener};

/// A message longer than this is sent with the 8-byte length form.
const MAX_I32_LENGTH: usize = 0x7fff_ffff;
/// Up to this size the header and the message go out in one write
/// (CPython: avoids Nagle delays on TCP).
const CONCAT_LIMIT: usize = 16384;
/// Bytes read (and zero-filled) per `read` call of a message body, so that
/// a peer announcing a huge length cannot make us allocate it up front.
const READ_CHUNK: usize = 1 << 16;
/// What `poll` reads ahead at most.
const POLL_CHUNK: usize = 4096;

/// Where a [`Listener`] listens and a [`Client`] connects: CPython's
/// address, whose type selects the family (`address_type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// `AF_UNIX`: the path of a socket file (CPython: a `str`).
    #[cfg(unix)]
    Unix(PathBuf),
    /// `AF_INET`: a host and port (CPython: a `(host, port)` tuple). IPv6
    /// addresses work too.
    Inet(SocketAddr),
}

impl Address {
    /// CPython's family name for this address: `"AF_UNIX"` or `"AF_INET"`.
    pub fn family(&self) -> &'static str {
        match self {
            #[cfg(unix)]
            Address::Unix(_) => "AF_UNIX",
            Address::Inet(_) => "AF_INET",
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(unix)]
            Address::Unix(path) => write!(f, "{}", path.display()),
            Address::Inet(addr) => write!(f, "{addr}"),
        }
    }
}

/// The socket under a [`Connection`].
#[derive(Debug)]
enum Stream {
    #[cfg(unix)]
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            #[cfg(unix)]
            Stream::Unix(s) => (&*s).read(buf),
            Stream::Tcp(s) => (&*s).read(buf),
        }
    }

    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            #[cfg(unix)]
            Stream::Unix(s) => (&*s).write_all(buf),
            Stream::Tcp(s) => (&*s).write_all(buf),
        }
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            #[cfg(unix)]
            Stream::Unix(s) => s.set_read_timeout(timeout),
            Stream::Tcp(s) => s.set_read_timeout(timeout),
        }
    }
}

/// One end of a message connection: CPython's `Connection` on a socket.
///
/// Messages are whole: a sender's [`send_bytes`](Connection::send_bytes)
/// is one receiver's [`recv_bytes`](Connection::recv_bytes). The methods
/// take `&self` and may be called from several threads; senders are
/// serialised among themselves, and so are receivers (and
/// [`poll`](Connection::poll)), so messages never interleave. Dropping the
/// connection closes the socket (CPython's `close()`).
pub struct Connection {
    stream: Stream,
    /// Bytes [`poll`](Connection::poll) read ahead of the next receive;
    /// its lock also serialises receivers.
    recv: Mutex<Vec<u8>>,
    send: Mutex<()>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent on every path (no panics inside).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn bad_message_length() -> Error {
    Error::new(ErrorKind::Os, "bad message length")
}

/// Reads from the read-ahead buffer first, then from the socket.
struct Reader<'a> {
    stream: &'a Stream,
    ahead: &'a mut Vec<u8>,
}

impl Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ahead.is_empty() {
            return self.stream.read(buf);
        }
        let n = buf.len().min(self.ahead.len());
        buf[..n].copy_from_slice(&self.ahead[..n]);
        self.ahead.drain(..n);
        Ok(n)
    }

    /// CPython's `_recv(size)`: appends exactly `size` bytes to `out`.
    /// End of file before the first byte is `EOFError`, after it
    /// `OSError('got end of file during message')`.
    fn recv_exact(&mut self, out: &mut Vec<u8>, size: usize) -> Result<()> {
        out.reserve(size.min(1 << 20));
        let mut got = 0;
        while got < size {
            let start = out.len();
            out.resize(start + (size - got).min(READ_CHUNK), 0);
            let r = self.read(&mut out[start..]);
            out.truncate(start + *r.as_ref().unwrap_or(&0));
            match r {
                Ok(0) if got == 0 => {
                    return Err(Error::new(
                        ErrorKind::Os,
                        "EOFError: end of file (the peer closed the connection)",
                    ))
                }
                Ok(0) => return Err(Error::new(ErrorKind::Os, "got end of file during message")),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::os("recv", e)),
            }
        }
        Ok(())
    }
}

impl Connection {
    fn new(stream: Stream) -> Connection {
        Connection {
            stream,
            recv: Mutex::new(Vec::new()),
            send: Mutex::new(()),
        }
    }

    /// Sends `buf` as one message (CPython's `send_bytes(buf)`; slice the
    /// buffer for its `offset`/`size`). Blocks until the socket took it all.
    pub fn send_bytes(&self, buf: &[u8]) -> Result<()> {
        let send = |b: &[u8]| self.stream.write_all(b).map_err(|e| Error::os("send", e));
        let n = buf.len();
        let _serial = lock(&self.send);
        if n > MAX_I32_LENGTH {
            send(&(-1i32).to_be_bytes())?;
            send(&(n as u64).to_be_bytes())?;
            send(buf)
        } else if n > CONCAT_LIMIT {
            send(&(n as i32).to_be_bytes())?;
            send(buf)
        } else {
            let mut message = Vec::with_capacity(4 + n);
            message.extend_from_slice(&(n as i32).to_be_bytes());
            message.extend_from_slice(buf);
            send(&message)
        }
    }

    /// Receives one message (CPython's `recv_bytes()`), blocking until it
    /// arrives. The peer closing the connection is an [`ErrorKind::Os`]
    /// error (CPython's `EOFError`).
    pub fn recv_bytes(&self) -> Result<Vec<u8>> {
        self.recv_message(None)
    }

    /// Receives one message into the start of `buf` and returns its length
    /// (CPython's `recv_bytes_into(buf)`; pass `&mut buf[offset..]` for an
    /// offset).
    ///
    /// A message longer than `buf` is still consumed, and returned inside
    /// an [`ErrorKind::BufferTooShort`] error ([`Error::received`]);
    /// `buf` is then left untouched.
    pub fn recv_bytes_into(&self, buf: &mut [u8]) -> Result<usize> {
        let message = self.recv_message(None)?;
        if message.len() > buf.len() {
            return Err(Error::buffer_too_short(message));
        }
        buf[..message.len()].copy_from_slice(&message);
        Ok(message.len())
    }

    /// Whether there is something to read (CPython's `poll(timeout)`):
    /// waits up to `timeout` (`None`: forever; `Some(ZERO)`: just looks)
    /// for data. The peer having closed the connection also counts as
    /// readable (the next receive then reports it).
    ///
    /// It reads what is available into a buffer the next receive starts
    /// from, using the socket's receive timeout, whose granularity is the
    /// OS's (a scheduler tick): a poll that finds nothing may take that
    /// long even for `Some(ZERO)`.
    pub fn poll(&self, timeout: Option<Duration>) -> Result<bool> {
        let mut ahead = lock(&self.recv);
        if !ahead.is_empty() {
            return Ok(true);
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let set_timeout = |t| {
            self.stream
                .set_read_timeout(t)
                .map_err(|e| Error::os("poll", e))
        };
        let mut chunk = [0u8; POLL_CHUNK];
        loop {
            // At least the smallest timeout the OS takes: zero would mean
            // "block forever" (and std refuses it).
            let wait = deadline.map(|d| {
                d.saturating_duration_since(Instant::now())
                    .max(Duration::from_nanos(1))
            });
            if wait.is_some() {
                set_timeout(wait)?;
            }
            let r = self.stream.read(&mut chunk);
            if let Ok(n) = r {
                ahead.extend_from_slice(&chunk[..n]);
            }
            if wait.is_some() {
                set_timeout(None)?;
            }
            match r {
                // Data, or end of file (which the next receive reports).
                Ok(_) => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if wait.is_some()
                        && matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(Error::os("poll", e)),
            }
        }
    }

    /// CPython's `_recv_bytes(maxsize)` plus `recv_bytes`'s length check.
    fn recv_message(&self, maxsize: Option<usize>) -> Result<Vec<u8>> {
        let mut ahead = lock(&self.recv);
        let mut reader = Reader {
            stream: &self.stream,
            ahead: &mut ahead,
        };
        let mut header = Vec::with_capacity(8);
        reader.recv_exact(&mut header, 4)?;
        let size = i32::from_be_bytes(header[..4].try_into().expect("4 bytes"));
        let size = match size {
            -1 => {
                header.clear();
                reader.recv_exact(&mut header, 8)?;
                let size = u64::from_be_bytes(header[..8].try_into().expect("8 bytes"));
                usize::try_from(size).map_err(|_| bad_message_length())?
            }
            // CPython's `_recv(size)` reads nothing for any other negative
            // length: an empty message.
            n if n < 0 => 0,
            n => n as usize,
        };
        if maxsize.is_some_and(|max| size > max) {
            // CPython then stops reading from the connection; every caller
            // here drops it.
            return Err(bad_message_length());
        }
        let mut message = Vec::new();
        reader.recv_exact(&mut message, size)?;
        Ok(message)
    }
}

/// CPython's `Connection(handle)`: a connection on a connected Unix
/// stream socket, which must be in blocking mode (std's default) with no
/// read timeout. The peer must speak the same wire format.
#[cfg(unix)]
impl From<UnixStream> for Connection {
    fn from(stream: UnixStream) -> Connection {
        Connection::new(Stream::Unix(stream))
    }
}

/// CPython's `Connection(handle)` on a connected TCP socket, which must be
/// in blocking mode (std's default) with no read timeout.
impl From<TcpStream> for Connection {
    fn from(stream: TcpStream) -> Connection {
        Connection::new(Stream::Tcp(stream))
    }
}

/// CPython's `Pipe()` (duplex): two connected [`Connection`]s, each of
/// which can send and receive.
///
/// A Unix socket pair on Unix; on Windows a loopback TCP pair (CPython
/// uses a named pipe there), whose listening side accepts only the
/// client it just connected.
pub fn pipe() -> Result<(Connection, Connection)> {
    #[cfg(unix)]
    {
        let (a, b) = UnixStream::pair().map_err(|e| Error::os("socketpair", e))?;
        Ok((
            Connection::new(Stream::Unix(a)),
            Connection::new(Stream::Unix(b)),
        ))
    }
    #[cfg(not(unix))]
    {
        let os = |what: &'static str| move |e| Error::os(what, e);
        let listener =
            std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).map_err(os("bind"))?;
        let address = listener.local_addr().map_err(os("getsockname"))?;
        let client = TcpStream::connect(address).map_err(os("connect"))?;
        let ours = client.local_addr().map_err(os("getsockname"))?;
        let server = loop {
            let (stream, peer) = listener.accept().map_err(os("accept"))?;
            if peer == ours {
                break stream;
            }
        };
        Ok((
            Connection::new(Stream::Tcp(client)),
            Connection::new(Stream::Tcp(server)),
        ))
    }
}
