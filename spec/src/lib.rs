//! procspec's spec: the rules of the `multiprocessing.Process` lifecycle as
//! data, and a pure model that predicts every outcome.
//!
//! This crate is the bottom of the workspace. It does no I/O and knows no
//! OS: everything in it is a function of its inputs, which is what lets the
//! model serve as the oracle for hand-written cases, generated sequences and
//! the transition-table snapshot alike.
//!
//! - [`vocab`]: the language every part speaks (refs, ops, targets,
//!   outcomes, error kinds, capabilities, clauses).
//! - [`clauses`](mod@clauses): the clause registry, `spec/clauses.toml`, embedded.
//! - [`untested`](mod@untested): the `must` clauses no case can check
//!   (the vocabulary cannot express them), `spec/untested.toml`, embedded.
//! - [`model`]: the oracle. Given the state of every process object of a
//!   run and one step, it returns every allowed outcome, the clause that
//!   demands it and the state that follows. An outcome that is an error
//!   never changes the state (`error.no-effect`).
//! - [`case`]: the case-file format (`cases/**/*.toml`).
//! - [`results`]: what a run produces and the reports read.

pub mod case;
pub mod clauses;
mod error;
pub mod model;
pub mod platform;
pub mod results;
pub mod untested;
pub mod vocab;

pub use clauses::{clause, clauses};
pub use error::{SpecError, SpecErrorKind};
pub use untested::{untested, untested_clause, Untested};
pub use vocab::{
    authkey_fingerprint, authkey_from_hex, Capability, Clause, ErrorKind, Level, Op, Outcome, Ref,
    Step, Target, Value,
};
