//! The child's side of a [`Body`]: run it in this process, with this
//! process's copy of the implementation; an agent body serves ops through
//! the executor until its creator tells it to exit. Kept out of `body.rs`
//! so that the data and the creator's channel do not import the executor
//! that creates them.

use super::body::{write_reply, Body, Kind, Reply, Request};
use super::executor;
use super::transport;
use super::Lifecycle;
use procspec_spec::vocab::Ref;
use std::io::{BufRead, BufReader, Read, Write};

impl Body {
    /// Run the body in this (child) process, with this process's copy of
    /// the implementation. Returns when the target returns (exit code 0).
    pub fn run<L: Lifecycle>(self, lifecycle: L) {
        match self.kind {
            Kind::Exit(code) => lifecycle.exit(code),
            Kind::OsExit(code) => crate::sys::exit_now(code),
            Kind::SelfSignal(signal) => crate::sys::raise_default(signal),
            Kind::Return => {}
            Kind::Raise => panic!("procspec: the target raises"),
            Kind::ExitWithMessage(m) => {
                eprintln!("{m}");
                lifecycle.exit(1)
            }
            Kind::Block {
                socket,
                ignore_sigterm,
            } => {
                if ignore_sigterm {
                    crate::sys::ignore_sigterm();
                }
                let Ok(mut s) = transport::connect(&socket) else {
                    // The creator is gone: nobody can release this child.
                    crate::sys::block_forever();
                };
                let _ = s.write_all(b"r");
                let mut byte = [0u8; 1];
                if !matches!(s.read(&mut byte), Ok(1)) {
                    crate::sys::block_forever();
                }
            }
            Kind::Agent { socket, me } => serve(&socket, me, lifecycle),
        }
    }
}

/// An agent: serve ops until told to exit, then return (the
/// implementation's exit path runs); block forever if the creator is gone.
fn serve<L: Lifecycle>(socket: &str, me: Ref, lifecycle: L) {
    executor::become_agent(me, lifecycle, transport::dir_of(socket));
    let Ok(stream) = transport::connect(socket) else {
        crate::sys::block_forever();
    };
    let Ok(mut reply) = stream.try_clone() else {
        crate::sys::block_forever();
    };
    if write_reply(&mut reply, &Reply::Ready).is_err() {
        crate::sys::block_forever();
    }
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        let Ok(request) = serde_json::from_str::<Request>(&line) else {
            break;
        };
        match request {
            Request::Exit => return,
            Request::Op { path, step } => {
                let o = executor::execute::<L>(&path, &step);
                let answer = Reply::Result {
                    outcome: o.outcome,
                    native: o.native,
                    elapsed_ms: o.elapsed.map(|d| d.as_secs_f64() * 1000.0),
                    started: executor::take_started(),
                };
                if write_reply(&mut reply, &answer).is_err() {
                    break;
                }
            }
        }
    }
    crate::sys::block_forever();
}
