//! Processes and process groups: signals, reaping, fork, and the group
//! the watchdog kills (POSIX).

/// Send `signal` to `pid`; errors (already gone) are ignored.
pub fn kill(pid: u32, signal: i32) {
    // SAFETY: kill(2) takes plain integers; a stale pid at worst signals
    // nothing (ESRCH), as callers only pass pids of their own descendants.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Reap `pid` if it is a zombie child of ours, without blocking.
pub fn try_reap(pid: u32) -> bool {
    let mut status = 0;
    // SAFETY: status is a valid out-pointer; WNOHANG never blocks.
    unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) == pid as i32 }
}

/// Reap `pid`, blocking until it has exited (after a SIGKILL).
pub fn reap(pid: u32) {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
        if r >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Send `signal` to every member of process group `pgid`; errors (no such
/// group) are ignored. Refuses the groups 0 and 1 (`kill(0)` and `kill(-1)`
/// mean "my group" and "everyone").
pub fn kill_group(pgid: u32, signal: i32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; plain
    // integers, no pointers. Callers pass the pgid of a group whose leader
    // is their own unreaped child, so the id cannot have been reused.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Fork. `Ok(None)` in the child, `Ok(Some(pid))` in the parent.
///
/// # Safety
///
/// Only call while the process has a single thread: the child runs on with
/// a copy of this thread alone, and a lock another thread held would stay
/// held in it forever.
pub unsafe fn fork_single_threaded() -> std::io::Result<Option<u32>> {
    // SAFETY: callers fork before any other thread exists (this function's
    // contract), so the child inherits no lock held by a thread that is not
    // there.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some(pid as u32)),
    }
}

/// Put this process in a process group of its own.
pub fn own_process_group() {
    // SAFETY: setpgid(0, 0) only changes this process's group.
    unsafe {
        libc::setpgid(0, 0);
    }
}

/// Make `command`'s child the leader of a process group of its own and
/// write a `g` record with its pid to the watchdog's pipe `records`,
/// before it execs; a child whose parent `runner` has died meanwhile exits
/// instead. So the watchdog knows the group before the program runs.
pub fn report_group_before_exec(
    command: &mut std::process::Command,
    records: Option<std::os::fd::RawFd>,
    runner: u32,
) {
    use std::os::unix::process::CommandExt;
    let runner = libc::pid_t::try_from(runner).unwrap_or(0);
    // SAFETY: the closure runs between fork and exec and calls only
    // getpid, setpgid, write, getppid and _exit, all async-signal-safe, on
    // a stack buffer; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            let me = libc::getpid();
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(fd) = records {
                let mut record = [b'g', 0, 0, 0, 0];
                record[1..].copy_from_slice(&(me as u32).to_le_bytes());
                // Five bytes: a pipe write under PIPE_BUF is atomic.
                libc::write(fd, record.as_ptr().cast(), record.len());
                if libc::getppid() != runner {
                    libc::_exit(1);
                }
            }
            Ok(())
        });
    }
}

/// End this process at once, with no exit handlers (a forked helper).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process; nothing of Rust's runs after it.
    unsafe { libc::_exit(code) }
}

/// Block until a signal ends this process: for a child whose creator is
/// gone and that therefore can never be released. Never returns.
pub fn block_forever() -> ! {
    loop {
        // SAFETY: pause(2) has no arguments and only returns when a signal
        // handler ran; SIGKILL, the way such a child ends, never returns.
        unsafe {
            libc::pause();
        }
    }
}
