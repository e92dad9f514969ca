//! The agent target: a child that serves ops sent by its creator, so that
//! ops can run anywhere in a tree of processes (grandchildren, non-parent
//! joins, daemonic processes trying to have children).

use super::executor;
use super::link::{Reply, Request};
use procspec_reference::StartMethod;
use procspec_spec::vocab::Ref;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::RawFd;

/// What an agent child is handed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentArgs {
    /// Read end of the command pipe.
    pub cmd: RawFd,
    /// Write end of the reply pipe.
    pub reply: RawFd,
    /// The agent's own ref.
    pub me: Ref,
    /// Whether it was spawned (else forked); its own children use the same.
    pub spawn: bool,
}

/// Serve until told to exit or the creator is gone; then return, which runs
/// the reference's exit handler (daemonic children terminated, others
/// joined).
pub fn serve(args: AgentArgs) {
    let method = if args.spawn {
        StartMethod::Spawn
    } else {
        StartMethod::Fork
    };
    executor::become_agent(&args.me, method);
    let mut reply = crate::sys::adopt_fd(args.reply);
    let cmd = BufReader::new(crate::sys::adopt_fd(args.cmd));
    if write_reply(&mut reply, &Reply::Ready).is_err() {
        return;
    }
    for line in cmd.lines() {
        let Ok(line) = line else { break };
        let Ok(request) = serde_json::from_str::<Request>(&line) else {
            break;
        };
        match request {
            Request::Exit => return,
            Request::Op { path, step } => {
                let observed = executor::execute(&path, &step);
                let answer = Reply::Result {
                    outcome: observed.outcome,
                    native: observed.native,
                    elapsed_ms: observed.elapsed.map(|d| d.as_secs_f64() * 1000.0),
                };
                if write_reply(&mut reply, &answer).is_err() {
                    break;
                }
            }
        }
    }
    // The channel is gone (the creator died): nobody can release this agent,
    // and a process does not end because its parent did.
    crate::sys::block_forever();
}

fn write_reply(w: &mut impl Write, r: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(r).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)
}
