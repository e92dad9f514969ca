//! The typed messages of protocol v1: the runner's requests ([`Request`]),
//! the adapter's first line ([`Hello`]) and its answers ([`Reply`]). Their
//! JSON forms are `spec/protocol.schema.json`'s; the vocabulary inside
//! them (steps, outcomes, capabilities) is `procspec_spec::vocab`'s serde
//! form. Protocol v1 has no unsolicited events: an adapter writes its
//! hello, then exactly one answer per request.

use procspec_spec::vocab::{Capability, Outcome, Step};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The protocol version this crate speaks.
pub const PROTOCOL: u64 = 1;

/// Who the adapter says it is: its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Who implements the process class (`cpython`, `pypy`, ...).
    pub implementation: String,
    /// The implementation's version.
    pub version: String,
    /// `fork`, `spawn`, `forkserver`, ...
    pub start_method: String,
    /// `<os>-<machine>`.
    pub platform: String,
    /// The capabilities this runner knows, in the adapter's order.
    pub capabilities: Vec<Capability>,
    /// Capabilities this runner does not know (ignored).
    pub unknown_capabilities: Vec<String>,
    /// The pid the adapter reports for itself.
    pub pid: u32,
    /// The class under test, `module:Class`.
    pub process_class: String,
    /// Fields of the hello line this runner does not know (ignored).
    pub unknown_fields: Vec<String>,
}

/// A request of the runner's, one line on the adapter's stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Request {
    /// Run one step; answered by a [`Reply::Result`] or a [`Reply::Error`].
    Op {
        /// Chosen by the runner, echoed by the answer.
        id: u64,
        /// The step.
        step: Step,
    },
    /// Kill everything the adapter started and forget every ref; answered
    /// by a [`Reply::ResetDone`] or a [`Reply::Error`].
    Reset {
        /// Chosen by the runner, echoed by the answer.
        id: u64,
    },
    /// Clean up like a reset and exit 0, without answering.
    Shutdown,
}

/// An answer of the adapter's to one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Reply {
    /// What an op did.
    Result {
        /// The request's id.
        id: u64,
        /// The abstract outcome.
        outcome: Outcome,
        /// The native error behind an `err` outcome, if known.
        #[serde(skip_serializing_if = "Option::is_none")]
        native: Option<NativeError>,
        /// How long the op took, measured by the adapter, in milliseconds.
        #[serde(skip_serializing_if = "Option::is_none")]
        elapsed_ms: Option<f64>,
    },
    /// A reset is over.
    ResetDone {
        /// The request's id.
        id: u64,
        /// The adapter's own helper processes it kept (not leaks).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        helpers: Vec<u32>,
        /// The descriptors its own process holds after the reset.
        #[serde(skip_serializing_if = "Option::is_none")]
        fds: Option<u64>,
    },
    /// The request could not be carried out (not an op outcome).
    Error {
        /// The request's id; `None` when it could not be read.
        id: Option<u64>,
        /// Why.
        message: String,
    },
}

impl Reply {
    /// The `result` answering request `id` with `observed`.
    pub fn result(id: u64, observed: Observed) -> Reply {
        Reply::Result {
            id,
            outcome: observed.outcome,
            native: observed.native,
            elapsed_ms: observed.elapsed.map(|d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// A native error, kept for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeError {
    /// The native type (`AssertionError`, `NotParent`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its message.
    pub message: String,
}

/// What an op did, as the adapter saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The abstract outcome.
    pub outcome: Outcome,
    /// The native error behind an `Err` outcome, if known.
    pub native: Option<NativeError>,
    /// How long the call took, measured by the adapter around it on a
    /// monotonic clock (`None`: not measured; the checker then measures
    /// the round trip itself).
    pub elapsed: Option<Duration>,
}

impl Observed {
    /// An outcome with no native detail.
    pub fn plain(outcome: Outcome) -> Observed {
        Observed {
            outcome,
            native: None,
            elapsed: None,
        }
    }

    /// This observation, timed.
    pub fn timed(mut self, elapsed: Duration) -> Observed {
        self.elapsed = Some(elapsed);
        self
    }
}

/// Why the runner did not accept an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A well-formed `error` line for the request: the adapter could not
    /// carry it out, and is still in step with the runner.
    Refused(String),
    /// Anything else: the adapter broke the protocol.
    Broken(String),
}

impl Rejection {
    /// The message, whichever kind.
    pub fn message(&self) -> &str {
        match self {
            Rejection::Refused(m) | Rejection::Broken(m) => m,
        }
    }
}

/// Why an adapter did not accept a request: the `error` line to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The request's id, when it could be read.
    pub id: Option<u64>,
    /// The message.
    pub message: String,
}

impl RequestError {
    /// The `error` reply.
    pub fn reply(self) -> Reply {
        Reply::Error {
            id: self.id,
            message: self.message,
        }
    }
}
