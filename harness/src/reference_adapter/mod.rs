//! The reference adapter: procspec's own Rust implementation, in process
//! (for `conformance_suite!` and inside `procspec serve-reference`). It is
//! the [`Host`] over [`ReferenceLifecycle`], the reference's mapping onto
//! [`Lifecycle`](crate::lifecycle::Lifecycle) (`lifecycle/reference.rs`):
//! what children run, agents, routing, pid tracking, reset and deadlines
//! are the host's, as for any other Rust implementation.

use crate::lifecycle::Host;
use procspec_reference::StartMethod;

pub use crate::lifecycle::reference::{
    map_kind, register_body as register_targets, ReferenceLifecycle,
};
pub use crate::lifecycle::OP_DEADLINE;

/// The reference under one start method, hosted.
pub type ReferenceAdapter = Host<ReferenceLifecycle>;

impl Host<ReferenceLifecycle> {
    /// The reference under `method`. Spawn needs [`register_targets`] and
    /// `procspec_reference::init()` at the top of `main` (or of the test
    /// binary's spawn entry): its children re-execute the program.
    pub fn reference(method: StartMethod) -> ReferenceAdapter {
        Host::new(ReferenceLifecycle::new(method))
    }
}
