//! Processes and process groups: signals, reaping, and the group an
//! adapter leads, reported to the runner's supervisor (POSIX).

use crate::supervisor::Supervisor;

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

/// Make `command`'s child the leader of a process group of its own and,
/// before it execs, report the group to `supervisor`
/// ([`Supervisor::group_started`], which may end the child). So a
/// supervisor (the runner's watchdog) knows the group before the program
/// runs.
pub fn lead_group_before_exec(
    command: &mut std::process::Command,
    supervisor: Option<&'static dyn Supervisor>,
) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and calls only getpid
    // and setpgid, both async-signal-safe, and the supervisor's
    // `group_started`, which the `unsafe trait Supervisor` requires to be
    // async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            let me = libc::getpid();
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(s) = supervisor {
                s.group_started(me as u32);
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

/// No job objects on Unix: what ends a killed runner's tree there is the
/// runner's watchdog (and the test process's subreaper reaps its orphans).
pub fn kill_tree_on_exit() -> Result<(), String> {
    Err("no job objects on Unix: the runner's watchdog ends a killed runner's tree".into())
}

/// No job objects on Unix: nothing beyond the process tree.
pub fn job_members() -> Result<Vec<u32>, String> {
    Err("no job objects on Unix".into())
}
