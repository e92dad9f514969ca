//! `Listener` and `Client`: the two ends that meet at an [`Address`], and
//! the authkey handshake they run when given a key (CPython's
//! `Listener.accept` delivers the challenge then answers one; `Client` the
//! reverse).

use std::io;
use std::net::{TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
#[cfg(unix)]
use std::path::PathBuf;

use super::handshake::{answer_challenge, deliver_challenge};
use super::{Address, Connection, Stream};
use crate::{Authkey, Error, Result};

/// The listening socket under a [`Listener`].
#[derive(Debug)]
enum Socket {
    #[cfg(unix)]
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// CPython's `multiprocessing.connection.Listener`: a bound, listening
/// socket whose [`accept`](Listener::accept) returns [`Connection`]s,
/// authenticated with the authkey if one was given.
///
/// Dropping it closes the socket and, in the process that bound it,
/// removes the Unix socket file it created (CPython's `close()` and
/// finalizer).
#[derive(Debug)]
pub struct Listener {
    socket: Socket,
    address: Address,
    authkey: Option<Authkey>,
    /// The socket file to remove on drop, and the process that may.
    #[cfg(unix)]
    unlink: Option<(PathBuf, u32)>,
}

impl Listener {
    /// Binds and listens on `address` (CPython's
    /// `Listener(address, authkey=authkey)`).
    ///
    /// An [`Address::Inet`] with port 0 gets a free port: read it back
    /// from [`address`](Listener::address). An [`Address::Unix`] path must
    /// not exist yet. With an `authkey`, every accepted connection must
    /// pass the handshake; with `None` none is done.
    pub fn bind(address: Address, authkey: Option<Authkey>) -> Result<Listener> {
        let bind_error = |e| Error::os(&format!("bind {address}"), e);
        match &address {
            #[cfg(unix)]
            Address::Unix(path) => Ok(Listener {
                socket: Socket::Unix(UnixListener::bind(path).map_err(bind_error)?),
                unlink: Some((path.clone(), std::process::id())),
                address,
                authkey,
            }),
            Address::Inet(addr) => {
                let socket = TcpListener::bind(addr).map_err(bind_error)?;
                let real = socket
                    .local_addr()
                    .map_err(|e| Error::os("getsockname", e))?;
                Ok(Listener {
                    socket: Socket::Tcp(socket),
                    address: Address::Inet(real),
                    authkey,
                    #[cfg(unix)]
                    unlink: None,
                })
            }
        }
    }

    /// The address it listens on (for port 0, the port the OS chose).
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Waits for a client and returns the connection (CPython's
    /// `accept()`). With an authkey it first runs the handshake:
    /// `deliver_challenge` then `answer_challenge`; a client with another
    /// key gets an [`ErrorKind::AuthenticationError`](crate::ErrorKind::AuthenticationError) (`digest received
    /// was wrong`), and its connection is closed.
    pub fn accept(&self) -> Result<Connection> {
        let stream = loop {
            let r = match &self.socket {
                #[cfg(unix)]
                Socket::Unix(l) => l.accept().map(|(s, _)| Stream::Unix(s)),
                Socket::Tcp(l) => l.accept().map(|(s, _)| Stream::Tcp(s)),
            };
            match r {
                Ok(stream) => break stream,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::os("accept", e)),
            }
        };
        let conn = Connection::new(stream);
        if let Some(key) = &self.authkey {
            deliver_challenge(&conn, key.as_bytes())?;
            answer_challenge(&conn, key.as_bytes())?;
        }
        Ok(conn)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some((path, pid)) = self.unlink.take() {
            // CPython's Finalize ignores calls in another process (a fork
            // child holding a copy must not remove the parent's socket).
            if pid == std::process::id() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// CPython's `multiprocessing.connection.Client`, as a namespace:
/// [`Client::connect`] opens a [`Connection`] to a [`Listener`].
#[derive(Debug)]
pub enum Client {}

impl Client {
    /// Connects to `address` (CPython's `Client(address, authkey=authkey)`).
    /// With an authkey it runs the handshake, `answer_challenge` then
    /// `deliver_challenge`; a listener with another key refuses it with an
    /// [`ErrorKind::AuthenticationError`](crate::ErrorKind::AuthenticationError) (`digest sent was rejected`).
    pub fn connect(address: &Address, authkey: Option<&Authkey>) -> Result<Connection> {
        let connect_error = |e| Error::os(&format!("connect {address}"), e);
        let stream = match address {
            #[cfg(unix)]
            Address::Unix(path) => Stream::Unix(UnixStream::connect(path).map_err(connect_error)?),
            Address::Inet(addr) => Stream::Tcp(TcpStream::connect(addr).map_err(connect_error)?),
        };
        let conn = Connection::new(stream);
        if let Some(key) = authkey {
            answer_challenge(&conn, key.as_bytes())?;
            deliver_challenge(&conn, key.as_bytes())?;
        }
        Ok(conn)
    }
}
