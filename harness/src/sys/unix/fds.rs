//! Descriptors: non-blocking mode, identities.

// ---------------------------------------------------------------------------
// For `remote`: an adapter process in its own process group, talked to over
// pipes with deadlines.
// ---------------------------------------------------------------------------

/// Put `fd` in non-blocking mode (writes then fail with `WouldBlock`
/// instead of waiting for room).
pub fn set_nonblocking(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use std::os::fd::AsRawFd;
    let raw = fd.as_raw_fd();
    let flags = fcntl(raw, FcntlArg::F_GETFL).map_err(std::io::Error::from)?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(raw, FcntlArg::F_SETFL(flags)).map_err(std::io::Error::from)?;
    Ok(())
}

/// The identity (device, inode) of what `fd` refers to in this process, or
/// `None` if `fd` is not open. Comparing identities tells a descriptor that
/// is still the same object from a number that was closed and reused.
// st_dev/st_ino are u64 on Linux, other widths on macOS and the BSDs.
#[allow(clippy::unnecessary_cast)]
pub fn fd_identity(fd: std::os::fd::RawFd) -> Option<(u64, u64)> {
    nix::sys::stat::fstat(fd)
        .ok()
        .map(|st| (st.st_dev as u64, st.st_ino as u64))
}
