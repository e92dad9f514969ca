//! procspec's wire protocol, version 1: how the runner drives an adapter
//! that lives in another process (and maybe another language). JSON lines:
//! the runner writes [`Request`]s on the adapter's stdin, the adapter
//! writes a [`Hello`] first and then one [`Reply`] per request on its
//! stdout. `spec/INTERPRETING.md` is the contract in prose,
//! `spec/protocol.schema.json` the same as a JSON schema; this crate is
//! the only place the messages are defined in Rust.
//!
//! - [`message`]: the typed messages.
//! - [`encode`]: a message to its line (the runner's requests, a Rust
//!   adapter's hello and replies).
//! - [`decode`]: the validating decoder of each line either side reads.
//!   Whatever the other side sends, it returns (a fuzz target holds it to
//!   that), and a rejection is a short message.
//! - [`sanitize`]: the only way adapter text reaches a message: control
//!   and invisible formatting characters escaped, length bounded.
//! - [`error`]: [`Error`] (`kind` and message), why a hello line was not
//!   accepted.
//!
//! The crate does no I/O: deadlines, pipes and processes are the runner's
//! (`procspec_harness::remote`) and the server's (`procspec
//! serve-reference`).

pub mod decode;
pub mod encode;
pub mod error;
pub mod message;
pub mod sanitize;

pub use decode::{
    parse_hello, parse_request, parse_reset_done, parse_result, ResetDone, HELLO_FIELDS,
};
pub use encode::{platform, EncodeError};
pub use error::{Error, ErrorKind};
pub use message::{
    Hello, NativeError, Observed, Rejection, Reply, Request, RequestError, PROTOCOL,
};
pub use sanitize::{clip, names, quote};
