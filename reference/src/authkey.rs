//! The authentication key, and the "spawning" window in which it may be
//! serialised (CPython's `AuthenticationString` + `get_spawning_popen()`).

use std::cell::Cell;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

thread_local! {
    static SPAWNING: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as "spawning a child" until dropped; only then
/// does an [`Authkey`] agree to be serialised.
pub(crate) struct SpawningGuard(());

impl SpawningGuard {
    pub(crate) fn enter() -> SpawningGuard {
        SPAWNING.with(|s| s.set(true));
        SpawningGuard(())
    }
}

impl Drop for SpawningGuard {
    fn drop(&mut self) {
        SPAWNING.with(|s| s.set(false));
    }
}

/// A process's authentication key. The main process gets 32 bytes from the
/// OS random source; children inherit their creator's key.
///
/// `Debug` and `Display` never show the bytes. Serialising fails with
/// CPython's message except while this crate is spawning a child; this
/// keeps the key out of arguments, logs and files by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Authkey(Vec<u8>);

impl Authkey {
    /// A key with these bytes (any length, even empty, as in CPython).
    pub fn new(bytes: Vec<u8>) -> Authkey {
        Authkey(bytes)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// 32 fresh bytes from the OS random source.
    pub(crate) fn random() -> Authkey {
        let mut bytes = vec![0u8; 32];
        crate::sys::random_bytes(&mut bytes).expect("the OS random source failed");
        Authkey(bytes)
    }
}

impl fmt::Debug for Authkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authkey(<redacted>)")
    }
}

impl fmt::Display for Authkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authkey(<redacted>)")
    }
}

impl Serialize for Authkey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !SPAWNING.with(|x| x.get()) {
            return Err(serde::ser::Error::custom(
                "Pickling an AuthenticationString object is disallowed for security reasons",
            ));
        }
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Authkey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Authkey, D::Error> {
        Vec::<u8>::deserialize(d).map(Authkey)
    }
}
