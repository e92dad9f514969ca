//! What a child runs: a closure, a registered function, or nothing.

use std::fmt;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::registry;
use crate::start_method::StartMethod;

/// What a child process runs, like CPython's `target=` plus `args=`.
pub struct Target {
    pub(crate) kind: TargetKind,
}

/// A closure target. Held as `FnMut` over a one-shot slot (it runs at most
/// once) so that a child can run it and then forget the box: freeing it
/// would write to heap pages the child shares copy-on-write with its
/// parent, a page copy each, between the target's end and the exit that
/// `join` waits for.
pub(crate) type Closure = Box<dyn FnMut() + Send + 'static>;

pub(crate) enum TargetKind {
    Function(Closure),
    Registered {
        name: String,
        /// The JSON-encoded arguments, or why encoding failed.
        args: std::result::Result<Vec<u8>, String>,
    },
    Nothing,
    /// A closure that `run()` already called.
    Consumed,
}

/// A target resolved and ready to run (in this process or a child).
pub(crate) enum Body {
    Function(Closure),
    Registered {
        name: String,
        args: Vec<u8>,
        entry: registry::Entry,
    },
    Nothing,
}

impl Target {
    /// A closure. Works only with [`StartMethod::Fork`]; under spawn,
    /// `start()` fails with [`ErrorKind::Unsupported`]. Returning means
    /// exit code 0.
    pub fn function(f: impl FnOnce() + Send + 'static) -> Target {
        let mut once = Some(f);
        let closure = move || {
            if let Some(f) = once.take() {
                f();
            }
        };
        Target {
            kind: TargetKind::Function(Box::new(closure)),
        }
    }

    /// A function registered with [`register`](crate::register), with
    /// arguments encoded now as JSON. Works under fork and spawn. If
    /// encoding fails, `start()` and `run()` report
    /// [`ErrorKind::NotSerializable`].
    pub fn registered<A: Serialize>(name: &str, args: &A) -> Target {
        Target {
            kind: TargetKind::Registered {
                name: name.to_string(),
                args: serde_json::to_vec(args).map_err(|e| e.to_string()),
            },
        }
    }

    /// No target (`target=None`): the child does nothing and exits 0.
    pub fn none() -> Target {
        Target {
            kind: TargetKind::Nothing,
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TargetKind::Function(_) => f.write_str("Target::function(..)"),
            TargetKind::Registered { name, .. } => write!(f, "Target::registered({name:?}, ..)"),
            TargetKind::Nothing => f.write_str("Target::none()"),
            TargetKind::Consumed => f.write_str("Target::function(<consumed>)"),
        }
    }
}

impl TargetKind {
    /// Checks that this target can start under `method`, without
    /// consuming it.
    pub(crate) fn check(&self, method: StartMethod) -> Result<()> {
        match self {
            TargetKind::Function(_) if method != StartMethod::Fork => Err(Error::new(
                ErrorKind::Unsupported,
                "a closure target needs the fork start method; use Target::registered",
            )),
            TargetKind::Registered { name, args } => {
                registry::lookup(name)?;
                args.as_ref().map(|_| ()).map_err(|e| {
                    Error::new(
                        ErrorKind::NotSerializable,
                        format!("cannot encode the arguments of target '{name}': {e}"),
                    )
                })
            }
            TargetKind::Consumed => Err(consumed()),
            _ => Ok(()),
        }
    }

    /// Resolves the target into something runnable. A closure moves out
    /// (leaving `Consumed`); the other kinds stay reusable.
    pub(crate) fn take_body(&mut self, method: StartMethod) -> Result<Body> {
        self.check(method)?;
        Ok(match std::mem::replace(self, TargetKind::Consumed) {
            TargetKind::Function(f) => Body::Function(f),
            TargetKind::Registered { name, args } => {
                let entry = registry::lookup(&name)?;
                let bytes = args.clone().unwrap_or_default();
                *self = TargetKind::Registered {
                    name: name.clone(),
                    args,
                };
                Body::Registered {
                    name,
                    args: bytes,
                    entry,
                }
            }
            other => {
                *self = other;
                Body::Nothing
            }
        })
    }
}

fn consumed() -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        "the closure target was already consumed by run()",
    )
}

impl Body {
    /// Runs the target in the calling process.
    pub(crate) fn run(mut self) -> Result<()> {
        self.run_in_place()
    }

    /// Runs the target in a child about to exit, and frees nothing of the
    /// body (see [`Closure`]): the process's memory goes with `_exit`.
    pub(crate) fn run_then_forget(self) -> Result<()> {
        std::mem::ManuallyDrop::new(self).run_in_place()
    }

    fn run_in_place(&mut self) -> Result<()> {
        match self {
            Body::Function(f) => {
                f();
                Ok(())
            }
            Body::Registered { args, entry, .. } => entry(args),
            Body::Nothing => Ok(()),
        }
    }
}
