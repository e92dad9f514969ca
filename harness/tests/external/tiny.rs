//! A tiny implementation of the Process API: fork, waitpid, kill, with a
//! pidfd for timed joins. What it lacks (names, daemon, authkey, sentinel,
//! close, run, current_process, ...) is left to the trait's defaults.
//! Copied into a fresh crate outside the workspace by
//! harness/tests/external_crate.rs.

use procspec_harness::lifecycle::{Body, Failure, Lifecycle, LifecycleInfo, Res};
use procspec_spec::vocab::{Capability, ErrorKind};
use std::time::Duration;

#[derive(Clone, Copy, Default)]
pub struct Tiny;

pub struct Proc {
    body: Option<Body>,
    pid: Option<i32>,
    status: Option<i32>,
}

fn fail(kind: ErrorKind, what: &str) -> Failure {
    Failure::new(kind, "Tiny", what)
}

impl Proc {
    /// Reap the child if it has exited (block up to `timeout`; None: forever).
    fn wait(&mut self, timeout: Option<Duration>) -> Res<()> {
        let Some(pid) = self.pid else {
            return Err(fail(ErrorKind::NotStarted, "not started"));
        };
        if self.status.is_some() {
            return Ok(());
        }
        if let Some(t) = timeout {
            // SAFETY: plain syscalls on our own child's pid; the fd is closed below.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
            let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
            let ms = t.as_millis().min(i32::MAX as u128) as i32;
            unsafe {
                libc::poll(&mut pfd, 1, ms);
                libc::close(fd);
            }
        }
        let flags = if timeout.is_some() { libc::WNOHANG } else { 0 };
        let mut st = 0;
        // SAFETY: waitpid on our own child.
        if unsafe { libc::waitpid(pid, &mut st, flags) } == pid {
            self.status = Some(st);
        }
        Ok(())
    }
}

impl Lifecycle for Tiny {
    type Process = Proc;

    fn info(&self) -> LifecycleInfo {
        LifecycleInfo {
            implementation: "tiny".into(),
            version: "0".into(),
            start_method: "fork".into(),
            capabilities: vec![Capability::Terminate, Capability::Kill, Capability::JoinTimeout],
        }
    }
    fn create(&mut self, body: Body, _name: Option<&str>, daemon: Option<bool>) -> Res<Proc> {
        if daemon == Some(true) {
            return Err(Failure::unsupported("no daemonic processes"));
        }
        Ok(Proc { body: Some(body), pid: None, status: None })
    }
    fn start(&mut self, p: &mut Proc) -> Res<()> {
        let Some(body) = p.body.take() else {
            return Err(fail(ErrorKind::AlreadyStarted, "started twice"));
        };
        // SAFETY: the child runs the body and leaves with _exit.
        match unsafe { libc::fork() } {
            -1 => Err(fail(ErrorKind::Unmapped, "fork failed")),
            0 => {
                let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body.run(Tiny)));
                unsafe { libc::_exit(if ok.is_ok() { 0 } else { 1 }) }
            }
            pid => {
                p.pid = Some(pid);
                Ok(())
            }
        }
    }
    fn join(&mut self, p: &mut Proc, timeout: Option<Duration>) -> Res<()> {
        p.wait(timeout)
    }
    fn is_alive(&mut self, p: &mut Proc) -> Res<bool> {
        if p.pid.is_none() {
            return Ok(false);
        }
        p.wait(Some(Duration::ZERO))?;
        Ok(p.status.is_none())
    }
    fn exitcode(&mut self, p: &mut Proc) -> Res<Option<i32>> {
        if p.pid.is_none() {
            return Ok(None);
        }
        p.wait(Some(Duration::ZERO))?;
        Ok(p.status.map(|s| {
            if libc::WIFSIGNALED(s) { -libc::WTERMSIG(s) } else { libc::WEXITSTATUS(s) }
        }))
    }
    fn pid(&mut self, p: &mut Proc) -> Res<Option<u32>> {
        Ok(p.pid.map(|x| x as u32))
    }
    fn terminate(&mut self, p: &mut Proc) -> Res<()> {
        signal(p, libc::SIGTERM)
    }
    fn kill(&mut self, p: &mut Proc) -> Res<()> {
        signal(p, libc::SIGKILL)
    }
    fn exit(&self, code: i32) -> ! {
        // SAFETY: ends a forked child without running the parent's atexit work.
        unsafe { libc::_exit(code) }
    }
}

fn signal(p: &mut Proc, sig: i32) -> Res<()> {
    let Some(pid) = p.pid else {
        return Err(fail(ErrorKind::NotStarted, "not started"));
    };
    if p.status.is_none() {
        // SAFETY: a signal to our own unreaped child.
        unsafe { libc::kill(pid, sig) };
    }
    Ok(())
}
