//! One incarnation of an adapter process: spawned in its own process
//! group, talked to in lines with deadlines, and stopped by killing the
//! whole group.
//!
//! Waiting never sleeps: reads and writes poll their fd up to a deadline,
//! and "has it exited?" polls a pidfd. The adapter is the runner's child
//! and is reaped only at the very end of [`Live::stop`], after its group was
//! killed: while it is unreaped its pid, which is also its process group id,
//! cannot be reused, so the group kill cannot hit strangers.

use super::command::RemoteCommand;
use super::tail::StderrTail;
use crate::sys;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The longest line an adapter may write: 1 MiB, newline excluded.
pub const MAX_LINE: usize = 1024 * 1024;

/// How long the group may take to die after SIGKILL (it is normally
/// immediate; only a process stuck in the kernel takes longer).
const KILL_GRACE: Duration = Duration::from_secs(5);

/// How much of stderr a crash message quotes.
const STDERR_IN_MESSAGE: usize = 4096;

/// Why a line could not be exchanged.
#[derive(Debug)]
pub(crate) enum LineError {
    /// The deadline passed.
    Timeout,
    /// End of file on stdout (or a broken pipe on stdin): the adapter is
    /// gone or going.
    Closed,
    /// A line longer than [`MAX_LINE`]; its first bytes.
    TooLong(Vec<u8>),
    /// Any other I/O error.
    Io(io::Error),
}

/// How an incarnation ended.
pub(crate) struct Ended {
    /// Its exit status, if the runner reaped it.
    pub status: Option<ExitStatus>,
    /// Whether it exited before the runner killed it.
    pub by_itself: bool,
    /// Its stderr.
    pub stderr: StderrTail,
}

impl Ended {
    /// "exited with exit status: 3", "was killed by the runner", ...
    pub fn describe(&self) -> String {
        match (&self.status, self.by_itself) {
            (None, _) => "is gone (reaped elsewhere, status unknown)".to_string(),
            (Some(s), true) => format!("exited ({s})"),
            (Some(_), false) => "did not exit in time and was killed by the runner".to_string(),
        }
    }

    /// The end of its stderr, for a message.
    pub fn stderr_for_message(&self) -> String {
        let tail = self.stderr.last(STDERR_IN_MESSAGE);
        if tail.trim().is_empty() {
            "; its stderr was empty".to_string()
        } else {
            format!("; its stderr ends with:\n{}", tail.trim_end())
        }
    }
}

/// A running adapter.
pub(crate) struct Live {
    child: Child,
    pid: u32,
    pidfd: Option<OwnedFd>,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Bytes read from stdout and not yet returned as a line.
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no newline.
    scanned: usize,
    stderr: StderrTail,
}

impl Live {
    /// Start `cmd` in a process group of its own, with all three standard
    /// streams piped.
    pub fn spawn(cmd: &RemoteCommand) -> Result<Live, String> {
        let mut command = Command::new(&cmd.program);
        command
            .args(&cmd.args)
            .envs(cmd.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, known to the supervisor before it execs.
        lead_own_group(&mut command);
        if let Some(dir) = &cmd.cwd {
            command.current_dir(dir);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start `{cmd}`: {e}"))?;
        let pid = child.id();
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            abandon(child);
            return Err(format!("`{cmd}` started without its pipes"));
        };
        let stderr = match StderrTail::drain(stderr) {
            Ok(t) => t,
            Err(e) => {
                abandon(child);
                return Err(format!("cannot start the thread draining stderr: {e}"));
            }
        };
        if let Err(e) = sys::set_nonblocking(stdin.as_fd()) {
            abandon(child);
            return Err(format!("cannot make the adapter's stdin non-blocking: {e}"));
        }
        // Without pidfds (Linux < 5.3) exits are noticed by end of file.
        let pidfd = sys::pidfd_open(pid).ok();
        Ok(Live {
            child,
            pid,
            pidfd,
            stdin: Some(stdin),
            stdout,
            pending: Vec::new(),
            scanned: 0,
            stderr,
        })
    }

    /// The adapter's pid (and process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Its stderr so far.
    pub fn stderr(&self) -> &StderrTail {
        &self.stderr
    }

    /// Write `line` and a newline, all of it by `deadline`.
    pub fn write_line(&mut self, line: &str, deadline: Instant) -> Result<(), LineError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(LineError::Closed);
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let mut done = 0;
        while done < bytes.len() {
            match stdin.write(&bytes[done..]) {
                Ok(0) => return Err(LineError::Closed),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !sys::wait_writable(stdin.as_fd(), deadline) {
                        return Err(LineError::Timeout);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(LineError::Closed),
                Err(e) => return Err(LineError::Io(e)),
            }
        }
        Ok(())
    }

    /// Read one line (without its newline) by `deadline`. Never holds more
    /// than [`MAX_LINE`] + 1 bytes of it.
    pub fn read_line(&mut self, deadline: Instant) -> Result<Vec<u8>, LineError> {
        loop {
            if let Some(at) = self.pending[self.scanned..]
                .iter()
                .position(|&b| b == b'\n')
            {
                let end = self.scanned + at;
                let line = self.pending[..end].to_vec();
                self.pending.drain(..=end);
                self.scanned = 0;
                return Ok(line);
            }
            self.scanned = self.pending.len();
            if self.pending.len() > MAX_LINE {
                let head = self.pending[..200].to_vec();
                self.pending = Vec::new();
                self.scanned = 0;
                return Err(LineError::TooLong(head));
            }
            if !sys::wait_readable(self.stdout.as_fd(), deadline) {
                return Err(LineError::Timeout);
            }
            // Poll said readable: this read returns what is there (or end of
            // file) without blocking.
            let old = self.pending.len();
            let room = (MAX_LINE + 1 - old).min(64 * 1024);
            self.pending.resize(old + room, 0);
            let read = self.stdout.read(&mut self.pending[old..]);
            self.pending.truncate(old + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => return Err(LineError::Closed),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(LineError::Io(e)),
            }
        }
    }

    /// Wait for the adapter to exit by itself, at most until `deadline`.
    fn wait_exit(&mut self, deadline: Instant) -> bool {
        if let Some(fd) = &self.pidfd {
            return sys::wait_readable(fd.as_fd(), deadline);
        }
        // No pidfd: wait for end of file on stdout instead, discarding, and
        // count the adapter as exited if it is a zombie by then (it may be
        // a moment late: it is then reported as killed).
        let mut sink = [0u8; 4096];
        while sys::wait_readable(self.stdout.as_fd(), deadline) {
            match self.stdout.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        sys::stat(self.pid).is_some_and(|s| s.state == 'Z')
    }

    /// Whether the leader is still our unreaped child (alive or zombie),
    /// so that its pgid still names its group.
    fn unreaped(&self) -> bool {
        sys::stat(self.pid).is_some_and(|s| s.ppid == sys::getpid())
    }

    /// Wait until no live process is left in the adapter's group, killing
    /// it again every round (a fork may race a group kill).
    fn wait_group_gone(&self, deadline: Instant) -> bool {
        loop {
            let members = sys::group_members(self.pid);
            let Some(first) = members.iter().find(|m| !matches!(m.state, 'Z' | 'X')) else {
                return true;
            };
            let first = first.pid;
            if Instant::now() >= deadline || !self.unreaped() {
                return false;
            }
            sys::kill_group(self.pid, libc::SIGKILL);
            match sys::pidfd_open(first) {
                Ok(fd) => {
                    sys::wait_readable(fd.as_fd(), deadline);
                }
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
                // Nothing to wait on without sleeping: the kill was sent.
                Err(_) => return false,
            }
        }
    }

    /// Reap the members of the (dead) group that were reparented to the
    /// runner, a subreaper: they are dead by the runner's hand, not leaks of
    /// the case. Called while the leader is unreaped, so the group id
    /// still means this group.
    pub fn reap_orphans(&self) {
        // The runner's own children, not every process: this runs after
        // every reset.
        for pid in sys::own_children() {
            if pid != self.pid
                && sys::group_of(pid) == Some(self.pid)
                && sys::stat(pid).is_some_and(|s| s.state == 'Z')
            {
                sys::try_reap(pid);
            }
        }
    }

    /// End this incarnation: close stdin (end of file asks a polite adapter
    /// to exit), give it until `polite` to exit by itself (no time when
    /// `None`), then SIGKILL its whole process group, wait for the group to
    /// die, reap the adapter and collect the rest of its stderr.
    pub fn stop(mut self, polite: Option<Instant>) -> Ended {
        self.stdin = None;
        let by_itself = match polite {
            Some(deadline) => self.wait_exit(deadline),
            None => false,
        };
        let deadline = Instant::now() + KILL_GRACE;
        if self.unreaped() {
            sys::kill_group(self.pid, libc::SIGKILL);
            self.wait_group_gone(deadline);
            self.reap_orphans();
        }
        crate::supervisor::group_ended(self.pid);
        let status = self.child.wait().ok();
        drop(self.stdout);
        // The pipe's write ends are gone with the group: the drain thread
        // sees end of file, and its fd is closed before the next case.
        self.stderr.wait_closed(deadline);
        Ended {
            status,
            by_itself,
            stderr: self.stderr,
        }
    }
}

/// Make `command`'s child the leader of a process group of its own,
/// reported to the installed [`Supervisor`](crate::supervisor::Supervisor)
/// between fork and exec, so that a runner's watchdog knows the group
/// before the program runs. Every adapter starts so; a runner starts any
/// other process of its run so too (`procspec run --jobs`'s workers).
/// Without a supervisor the child only leads its own group.
///
/// Whoever reaps the child tells the supervisor first that its group is
/// over ([`Supervisor::group_ended`](crate::supervisor::Supervisor::group_ended)),
/// as [`RemoteAdapter`](super::RemoteAdapter) does.
pub fn lead_own_group(command: &mut Command) {
    sys::lead_group_before_exec(command, crate::supervisor::installed());
}

/// Kill a child whose setup failed, its group with it, and reap it.
fn abandon(mut child: Child) {
    sys::kill_group(child.id(), libc::SIGKILL);
    crate::supervisor::group_ended(child.id());
    let _ = child.wait();
}
