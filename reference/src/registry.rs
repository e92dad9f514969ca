//! Named targets: what a spawned child can find again after `execve`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};

/// A registered function behind a uniform "decode these JSON bytes" call.
pub(crate) type Entry = Arc<dyn Fn(&[u8]) -> Result<()> + Send + Sync>;

static REGISTRY: Mutex<BTreeMap<&'static str, Entry>> = Mutex::new(BTreeMap::new());

/// Registers `f` under `name` so that [`Target::registered`] can run it in a
/// child. Call it in every process that may run the target: under spawn the
/// child re-runs `main`, so register before [`init`](crate::init) there.
/// Registering a name again replaces the function.
///
/// [`Target::registered`]: crate::Target::registered
pub fn register<A: DeserializeOwned + 'static>(name: &'static str, f: fn(A)) {
    let entry: Entry = Arc::new(move |bytes: &[u8]| {
        let args: A = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                ErrorKind::NotSerializable,
                format!("cannot decode the arguments of target '{name}': {e}"),
            )
        })?;
        f(args);
        Ok(())
    });
    REGISTRY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name, entry);
}

/// The function registered as `name`.
pub(crate) fn lookup(name: &str) -> Result<Entry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("no target registered as '{name}'"),
            )
        })
}
