//! The transport under a child's [`Channel`](super::body::Channel), per
//! OS: on Unix a Unix socket in the host's directory, found by path; on
//! Windows (no Unix sockets in Rust's std there) a TCP socket on
//! `127.0.0.1` with an ephemeral port, found by address. Either way the
//! body carries the address as text, so a forked and a re-executed child
//! reach it alike, and nothing depends on which descriptors or handles a
//! child inherits. Waits are bounded by a deadline through `sys` (`poll`
//! on Unix, `WSAPoll` on Windows): no sleeping between tries.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[cfg(unix)]
pub(super) use std::os::unix::net::{UnixListener as Listener, UnixStream as Stream};

#[cfg(windows)]
pub(super) use std::net::{TcpListener as Listener, TcpStream as Stream};

/// A listener for one child and the address it connects to. `dir` is
/// where a Unix socket is made (unused on Windows).
#[cfg(unix)]
pub(super) fn listen(dir: &Path) -> io::Result<(Listener, String)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = dir.join(format!(
        "{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let address = path
        .to_str()
        .ok_or_else(|| io::Error::other(format!("socket path {path:?} is not UTF-8")))?
        .to_owned();
    let _ = std::fs::remove_file(&path);
    Ok((Listener::bind(&path)?, address))
}

/// A listener for one child and the address it connects to. `dir` is
/// where a Unix socket is made (unused on Windows).
#[cfg(windows)]
pub(super) fn listen(_dir: &Path) -> io::Result<(Listener, String)> {
    let listener = Listener::bind(("127.0.0.1", 0))?;
    let address = listener.local_addr()?.to_string();
    Ok((listener, address))
}

/// Connect to the creator listening at `address`.
pub(super) fn connect(address: &str) -> io::Result<Stream> {
    Stream::connect(address)
}

/// The listener at `address` is done with: remove its socket file (Unix).
pub(super) fn forget(address: &str) {
    #[cfg(unix)]
    let _ = std::fs::remove_file(address);
    #[cfg(not(unix))]
    let _ = address;
}

/// Where an agent reached at `address` makes its own children's sockets:
/// beside its creator's (Unix); the temporary directory on Windows, where
/// no file is made.
pub(super) fn dir_of(address: &str) -> PathBuf {
    if cfg!(unix) {
        Path::new(address)
            .parent()
            .unwrap_or(Path::new("/"))
            .to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Wait until `s` (a listener or a stream) is readable or `deadline`
/// passes; false on timeout.
#[cfg(unix)]
pub(super) fn readable(s: &impl std::os::fd::AsFd, deadline: Instant) -> bool {
    crate::sys::wait_readable(s.as_fd(), deadline)
}

/// Wait until `s` (a listener or a stream) is readable or `deadline`
/// passes; false on timeout.
#[cfg(windows)]
pub(super) fn readable(s: &impl std::os::windows::io::AsSocket, deadline: Instant) -> bool {
    crate::sys::wait_readable(s.as_socket(), deadline)
}
