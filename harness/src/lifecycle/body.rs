//! What a child of a [`Lifecycle`](super::Lifecycle) implementation runs:
//! the vocabulary's targets as data, and the channels between a creator
//! and its blocking and agent children (found by address, so a forked and
//! a re-executed child reach them alike: Unix sockets, or TCP on loopback
//! on Windows, `transport.rs`), with the messages on them.
//! Plain data and the creator's side only: the child's side, running a
//! body and serving as an agent, is `child.rs`, which needs the executor
//! (and the executor needs this file).

use super::transport::{self, Listener, Stream};
use crate::adapter::{NativeError, Observed};
use procspec_spec::vocab::{Outcome, Ref, Step, Target};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a creator waits for a child to connect and report ready.
pub const READY_DEADLINE: Duration = Duration::from_secs(10);
/// How long a creator waits for its agent's answer to one op.
pub const AGENT_DEADLINE: Duration = Duration::from_secs(10);

/// What a child runs. Plain data: serialize it to hand it to a
/// re-executed child.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Body {
    pub(super) kind: Kind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Kind {
    Exit(i32),
    /// Leave at once, no exit handler (`os._exit`).
    OsExit(i32),
    /// Send this process `signal` with its default action (the signal by
    /// name: its number is the platform's, SIGUSR1 is 10 on Linux and 30
    /// on macOS and the BSDs).
    SelfSignal(procspec_spec::vocab::SelfSignal),
    Return,
    Raise,
    ExitWithMessage(String),
    /// Connect to `socket` (its address), report ready if asked, block
    /// until a byte.
    Block {
        socket: String,
        ignore_sigterm: bool,
    },
    /// Connect to `socket` (its address) and serve ops as `me`.
    Agent {
        socket: String,
        me: Ref,
    },
}

/// The creator's end of a child's channel: a listening socket until the
/// child connects, then the connection.
pub struct Channel {
    address: String,
    /// The process that made it: only it removes the socket file (a
    /// forked child drops its inherited copy).
    owner: u32,
    listener: Option<Listener>,
    stream: Option<Stream>,
    buffer: Vec<u8>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        if self.listener.is_some() && self.owner == std::process::id() {
            transport::forget(&self.address);
        }
    }
}

/// The body for `target` and, for blocking ones, the creator's channel.
/// `None`: a target this host does not know (yet).
pub fn body_for(
    target: &Target,
    me: &Ref,
    dir: &Path,
) -> std::io::Result<Option<(Body, Option<Channel>)>> {
    let kind = match target {
        Target::Exit { code } => Kind::Exit(i32::from(*code)),
        Target::Return => Kind::Return,
        Target::Raise => Kind::Raise,
        Target::ExitWithMessage { message } => Kind::ExitWithMessage(message.clone()),
        Target::NoTarget => Kind::Return,
        Target::Args { a, b, c } => {
            Kind::Exit(36 * i32::from(*a) + 6 * i32::from(*b) + i32::from(c.unwrap_or(5)))
        }
        // Rust has no `sys.exit()`: the exit path with 0 is the equivalent.
        Target::SysExit | Target::SysExitNone => Kind::Exit(0),
        Target::OsExit { code } => Kind::OsExit(i32::from(*code)),
        // The body of a subclass's overriding `run()`: `sys.exit(code)`
        // (the executor creates the object with `create_run_override`).
        Target::RunOverride { code } => Kind::Exit(i32::from(*code)),
        Target::SelfSignal { signal } => Kind::SelfSignal(*signal),
        Target::Block | Target::IgnoreSigterm | Target::Agent => {
            let ch = Channel::listen(dir)?;
            let socket = ch.address.clone();
            let kind = match target {
                Target::Agent => Kind::Agent {
                    socket,
                    me: me.clone(),
                },
                t => Kind::Block {
                    socket,
                    ignore_sigterm: *t == Target::IgnoreSigterm,
                },
            };
            return Ok(Some((Body { kind }, Some(ch))));
        }
        #[allow(unreachable_patterns)]
        _ => return Ok(None),
    };
    Ok(Some((Body { kind }, None)))
}

impl Channel {
    fn listen(dir: &Path) -> std::io::Result<Channel> {
        let (listener, address) = transport::listen(dir)?;
        listener.set_nonblocking(true)?;
        Ok(Channel {
            address,
            owner: std::process::id(),
            listener: Some(listener),
            stream: None,
            buffer: Vec::new(),
        })
    }

    /// Accept the child's connection and read its ready byte (blocking
    /// children) or line (agents).
    pub fn wait_ready(&mut self, agent: bool, deadline: Instant) -> Result<(), String> {
        let Some(l) = &self.listener else {
            return Ok(());
        };
        loop {
            match l.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).map_err(|e| e.to_string())?;
                    self.stream = Some(s);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if !transport::readable(l, deadline) {
                        return Err("the child did not connect in time".into());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("accept: {e}")),
            }
        }
        transport::forget(&self.address);
        self.listener = None;
        if agent {
            match self.read_line(deadline)? {
                Reply::Ready => Ok(()),
                other => Err(format!("agent answered {other:?} instead of ready")),
            }
        } else {
            let s = self.stream.as_mut().expect("connected");
            let mut byte = [0u8; 1];
            if !transport::readable(s, deadline) || !matches!(s.read(&mut byte), Ok(1)) {
                return Err("the child did not report ready".into());
            }
            Ok(())
        }
    }

    /// Release a blocking child (a byte) or end an agent (`exit`).
    pub fn release(&mut self, agent: bool) {
        if agent {
            let _ = self.send(&Request::Exit);
        } else if let Some(s) = &mut self.stream {
            let _ = s.write_all(b"x");
        }
    }

    /// Send one step to an agent and wait for its answer, and the pids
    /// started at or below the agent meanwhile.
    pub fn call(&mut self, path: &[Ref], step: &Step) -> Result<(Observed, Vec<u32>), String> {
        self.send(&Request::Op {
            path: path.to_vec(),
            step: step.clone(),
        })?;
        match self.read_line(Instant::now() + AGENT_DEADLINE)? {
            Reply::Result {
                outcome,
                native,
                elapsed_ms,
                started,
            } => Ok((
                Observed {
                    outcome,
                    native,
                    elapsed: elapsed_ms.map(|ms| Duration::from_secs_f64(ms / 1000.0)),
                },
                started,
            )),
            Reply::Ready => Err("agent answered ready to an op".into()),
        }
    }

    fn send(&mut self, r: &Request) -> Result<(), String> {
        let Some(s) = &mut self.stream else {
            return Err("agent not connected".into());
        };
        let mut line = serde_json::to_vec(r).map_err(|e| e.to_string())?;
        line.push(b'\n');
        s.write_all(&line)
            .map_err(|e| format!("agent channel closed: {e}"))
    }

    fn read_line(&mut self, deadline: Instant) -> Result<Reply, String> {
        let Some(s) = &mut self.stream else {
            return Err("agent not connected".into());
        };
        loop {
            if let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return serde_json::from_slice(&line)
                    .map_err(|e| format!("agent sent {:?}: {e}", String::from_utf8_lossy(&line)));
            }
            if !transport::readable(s, deadline) {
                return Err("agent did not answer in time".into());
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk) {
                Ok(0) => return Err("agent exited".into()),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("agent channel: {e}")),
            }
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(super) enum Request {
    Op { path: Vec<Ref>, step: Step },
    Exit,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(super) enum Reply {
    Ready,
    Result {
        outcome: Outcome,
        native: Option<NativeError>,
        /// How long the op took in the agent.
        elapsed_ms: Option<f64>,
        /// Pids started at or below the agent during the op.
        started: Vec<u32>,
    },
}

pub(super) fn write_reply(w: &mut impl Write, r: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(r).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)
}
