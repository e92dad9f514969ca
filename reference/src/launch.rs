//! Start methods and the launchers behind them.
//!
//! A launcher turns "this identity runs this body" into a running child
//! and a [`Popen`]. Adding forkserver means one more variant and one more
//! `Launcher` implementation; `Process` does not change.

use crate::context::{self, ChildIdentity};
use crate::error::Result;
use crate::popen::Popen;
pub use crate::start_method::StartMethod;
use crate::target::Body;

/// Sets the default start method for new `Process` objects of this process
/// (children inherit it). Initially [`StartMethod::platform_default`].
pub fn set_start_method(m: StartMethod) {
    context::config().start_method = m;
}

/// The default start method for new `Process` objects.
pub fn get_start_method() -> StartMethod {
    context::config().start_method
}

/// One way of creating a child.
pub(crate) trait Launcher {
    /// Starts a child that becomes `who` and runs `body`; `pass_fds` are
    /// descriptors that must stay open at the same numbers in the child.
    fn launch(
        &self,
        who: ChildIdentity,
        body: Body,
        pass_fds: &[crate::sys::RawDesc],
    ) -> Result<Popen>;
}
