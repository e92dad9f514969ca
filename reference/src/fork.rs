//! The fork start method (Unix only: Windows has no fork, and there the
//! method is an `Unsupported` error, as CPython has no fork context there).

#[cfg(unix)]
use std::io::Write;

#[cfg(unix)]
use crate::context;
use crate::context::ChildIdentity;
use crate::error::{Error, Result};
#[cfg(unix)]
use crate::exit;
use crate::launch::Launcher;
use crate::popen::Popen;
#[cfg(unix)]
use crate::popen::SentinelPrep;
use crate::sys;
use crate::target::Body;

/// Where there is no fork.
#[cfg(not(unix))]
pub(crate) struct NoFork;

#[cfg(not(unix))]
impl Launcher for NoFork {
    fn launch(&self, _: ChildIdentity, _: Body, _: &[sys::RawDesc]) -> Result<Popen> {
        Err(Error::new(
            crate::error::ErrorKind::Unsupported,
            "cannot find context for 'fork': this platform has no fork",
        ))
    }
}

#[cfg(unix)]
pub(crate) struct ForkLauncher;

#[cfg(unix)]
impl Launcher for ForkLauncher {
    fn launch(&self, who: ChildIdentity, body: Body, _pass_fds: &[sys::RawDesc]) -> Result<Popen> {
        let prep = SentinelPrep::new()?;
        // Take every lock the child will touch, so that no other thread
        // holds one at the moment of the fork (the "prepare" step of
        // pthread_atfork). The child inherits them held by its only
        // thread and releases them; the parent releases them when the
        // closure is dropped inside `fork_then`.
        let mut cfg = context::config();
        let mut kids = crate::object::children();
        let mut out = std::io::stdout().lock();
        let err = std::io::stderr().lock();
        // Like CPython's `util._flush_std_streams()` before a fork: what
        // the parent printed without a newline would otherwise be printed
        // again by the child when it flushes at exit.
        let _ = out.flush();
        // Build the child's configuration before forking: the child then
        // only swaps it in, and forgets (does not free) what it replaces,
        // so it dirties as few copy-on-write pages as possible.
        let child_cfg = cfg.for_child(who);
        let own = prep.child_end();
        // SAFETY: this thread holds every lock the child takes (the
        // configuration, the children table, stdout and stderr, above;
        // glibc's malloc has its own fork handlers), and the child waits
        // for no other thread.
        #[allow(unsafe_code)]
        let pid = unsafe {
            sys::fork_then(move || {
                crate::popen::own_sentinel(own);
                std::mem::forget(std::mem::replace(&mut *cfg, child_cfg));
                std::mem::forget(std::mem::take(&mut *kids));
                drop((kids, cfg, out, err));
                exit::run_child(body)
            })
        }
        .map_err(|e| Error::os("fork", e))?;
        Popen::attach(pid, prep)
    }
}
