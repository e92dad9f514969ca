//! [procspawn](https://crates.io/crates/procspawn) 1.0 under procspec: the
//! [`Lifecycle`] mapping, nothing else (the harness's `Host` supplies what
//! children run, agents, routing, pids, reset).
//!
//! procspawn's API is `procspawn::spawn(args, fn)` -> `JoinHandle` with
//! `join`, `join_timeout`, `kill` and `pid`: a child re-executes the program
//! and runs `fn(args)`. So `start()` is `spawn(body, run_body)`;
//! `is_alive()` is a `join_timeout(0)` that times out; the exit code is
//! what `join` reports (returned: 0, panicked: 1). procspawn has no names,
//! daemon flag, authkey, sentinel, terminate, close, `current_process`,
//! `parent_process` or `active_children`, and reports no exit status for a
//! child that ends without returning (`process::exit`, a signal): those ops
//! answer `unsupported`, and `expectations.toml` lists the clauses that
//! demand them, with the evidence.

use procspawn::{JoinHandle, SpawnError};
use procspec_harness::lifecycle::{Body, Failure, Lifecycle, LifecycleInfo, Res};
use procspec_spec::vocab::{Capability, ErrorKind};
use std::time::Duration;

/// procspawn, as a [`Lifecycle`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Procspawn;

/// How a child ended, as procspawn told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// `fn` returned: `join` gave its value.
    Returned,
    /// `fn` panicked: `join` gave a panic error.
    Panicked,
    /// The child went away without answering (exit, signal): procspawn
    /// says "remote close" and no status.
    Closed,
}

/// A process object: the body until `start()`, then procspawn's handle.
pub struct Proc {
    body: Option<Body>,
    handle: Option<JoinHandle<()>>,
    pid: Option<u32>,
    ended: Option<Ended>,
}

/// What a procspawn child runs (a plain `fn`, as procspawn requires).
fn run_body(body: Body) {
    body.run(Procspawn)
}

fn not_started(what: &str) -> Failure {
    Failure::new(
        ErrorKind::NotStarted,
        "Mapping",
        format!("{what} before start()"),
    )
}

fn native(e: &SpawnError) -> Failure {
    Failure::new(ErrorKind::Unmapped, "procspawn::SpawnError", e)
}

impl Proc {
    /// Ask procspawn whether the child ended within `timeout`.
    fn wait(&mut self, timeout: Duration) -> Res<Option<Ended>> {
        if self.ended.is_some() {
            return Ok(self.ended);
        }
        let Some(h) = self.handle.as_mut() else {
            return Err(not_started("join"));
        };
        let ended = match h.join_timeout(timeout) {
            Ok(()) => Ended::Returned,
            Err(e) if e.is_timeout() => return Ok(None),
            Err(e) if e.is_panic() => Ended::Panicked,
            Err(e) if e.is_remote_close() => Ended::Closed,
            Err(e) => return Err(native(&e)),
        };
        self.ended = Some(ended);
        Ok(self.ended)
    }
}

impl Lifecycle for Procspawn {
    type Process = Proc;

    fn info(&self) -> LifecycleInfo {
        LifecycleInfo {
            implementation: "procspawn".into(),
            version: "1.0.2".into(),
            start_method: "spawn".into(),
            capabilities: vec![Capability::Kill, Capability::JoinTimeout],
        }
    }

    fn create(&mut self, body: Body, _name: Option<&str>, daemon: Option<bool>) -> Res<Proc> {
        // Names are never read back (name ops are unsupported); a daemonic
        // child is something procspawn cannot make.
        if daemon == Some(true) {
            return Err(Failure::unsupported("procspawn has no daemonic processes"));
        }
        Ok(Proc {
            body: Some(body),
            handle: None,
            pid: None,
            ended: None,
        })
    }

    fn start(&mut self, p: &mut Proc) -> Res<()> {
        let Some(body) = p.body.take() else {
            return Err(Failure::new(
                ErrorKind::AlreadyStarted,
                "Mapping",
                "procspawn spawns a body once",
            ));
        };
        let handle = procspawn::spawn(body, run_body);
        p.pid = handle.pid();
        p.handle = Some(handle);
        Ok(())
    }

    fn join(&mut self, p: &mut Proc, timeout: Option<Duration>) -> Res<()> {
        // No timeout: a year (procspawn's join() consumes the handle).
        let t = timeout.unwrap_or(Duration::from_secs(365 * 24 * 3600));
        p.wait(t).map(|_| ())
    }

    fn is_alive(&mut self, p: &mut Proc) -> Res<bool> {
        if p.handle.is_none() {
            return Ok(false);
        }
        p.wait(Duration::ZERO).map(|e| e.is_none())
    }

    fn exitcode(&mut self, p: &mut Proc) -> Res<Option<i32>> {
        if p.handle.is_none() {
            return Ok(None);
        }
        match p.wait(Duration::ZERO)? {
            None => Ok(None),
            Some(Ended::Returned) => Ok(Some(0)),
            Some(Ended::Panicked) => Ok(Some(1)),
            Some(Ended::Closed) => Err(Failure::unsupported(
                "procspawn reports no exit status for a child that did not return (remote close)",
            )),
        }
    }

    fn pid(&mut self, p: &mut Proc) -> Res<Option<u32>> {
        Ok(p.pid)
    }

    fn kill(&mut self, p: &mut Proc) -> Res<()> {
        let Some(h) = p.handle.as_mut() else {
            return Err(not_started("kill"));
        };
        h.kill().map_err(|e| native(&e))
    }
}
