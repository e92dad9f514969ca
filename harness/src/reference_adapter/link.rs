//! The channel between a creator and its agent child: JSON lines over two
//! pipes, one request and one answer at a time.

use super::agent::AgentArgs;
use crate::adapter::{NativeError, Observed};
use procspec_reference::{StartMethod, Target as RefTarget};
use procspec_spec::vocab::{Outcome, Ref, Step};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long a creator waits for its agent's answer to one op.
pub const AGENT_DEADLINE: Duration = Duration::from_secs(10);

/// A request to an agent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Request {
    /// Execute `step`, forwarding along `path`.
    Op {
        /// The agents below the receiver that lead to `step.at`.
        path: Vec<Ref>,
        /// The step.
        step: Step,
    },
    /// Stop serving and return from the target.
    Exit,
}

/// An agent's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Reply {
    /// The agent serves.
    Ready,
    /// The outcome of a request.
    Result {
        /// What happened.
        outcome: Outcome,
        /// The native error, if any.
        native: Option<NativeError>,
        /// How long the op took in the agent, in milliseconds.
        #[serde(default)]
        elapsed_ms: Option<f64>,
    },
}

/// The creator's end of an agent channel.
pub struct AgentLink {
    cmd: File,
    reply: File,
    buffer: Vec<u8>,
}

impl AgentLink {
    /// Pipes for a new agent `me`: the link, the child's fds, its target.
    pub fn create(
        me: &Ref,
        method: StartMethod,
    ) -> std::io::Result<(AgentLink, Vec<OwnedFd>, RefTarget)> {
        let (cmd_r, cmd_w) = crate::sys::pipe()?;
        let (reply_r, reply_w) = crate::sys::pipe()?;
        let args = AgentArgs {
            cmd: cmd_r.as_raw_fd(),
            reply: reply_w.as_raw_fd(),
            me: me.clone(),
            spawn: method == StartMethod::Spawn,
        };
        let link = AgentLink {
            cmd: File::from(cmd_w),
            reply: File::from(reply_r),
            buffer: Vec::new(),
        };
        Ok((
            link,
            vec![cmd_r, reply_w],
            RefTarget::registered("procspec.agent", &args),
        ))
    }

    /// Wait for the agent's `ready`.
    pub fn wait_ready(&mut self, deadline: Instant) -> Result<(), String> {
        match self.read_line(deadline)? {
            Reply::Ready => Ok(()),
            other => Err(format!("agent answered {other:?} instead of ready")),
        }
    }

    /// Send one step and wait for its answer.
    pub fn call(&mut self, path: &[Ref], step: &Step) -> Result<Observed, String> {
        let request = Request::Op {
            path: path.to_vec(),
            step: step.clone(),
        };
        self.send(&request)?;
        match self.read_line(Instant::now() + AGENT_DEADLINE)? {
            Reply::Result {
                outcome,
                native,
                elapsed_ms,
            } => Ok(Observed {
                outcome,
                native,
                elapsed: elapsed_ms.map(|ms| Duration::from_secs_f64(ms / 1000.0)),
            }),
            Reply::Ready => Err("agent answered ready to an op".into()),
        }
    }

    /// Tell the agent to stop serving (it may already be gone).
    pub fn release(&mut self) {
        let _ = self.send(&Request::Exit);
    }

    fn send(&mut self, r: &Request) -> Result<(), String> {
        let mut line = serde_json::to_vec(r).map_err(|e| e.to_string())?;
        line.push(b'\n');
        self.cmd
            .write_all(&line)
            .map_err(|e| format!("agent channel closed: {e}"))
    }

    fn read_line(&mut self, deadline: Instant) -> Result<Reply, String> {
        loop {
            if let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return serde_json::from_slice(&line)
                    .map_err(|e| format!("agent sent {:?}: {e}", String::from_utf8_lossy(&line)));
            }
            if !crate::sys::wait_readable(self.reply.as_fd(), deadline) {
                return Err("agent did not answer in time".into());
            }
            let mut chunk = [0u8; 4096];
            match self.reply.read(&mut chunk) {
                Ok(0) => return Err("agent exited".into()),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("agent channel: {e}")),
            }
        }
    }
}
