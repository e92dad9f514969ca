//! The checkout files embedded in the binary by `build.rs` (cases, clauses,
//! sources, untested registry, snapshots, tracked implementations, their
//! expectations and the Python adapter), written out on first use into
//! `$XDG_CACHE_HOME/procspec/<version>-<digest>/` (else `~/.cache/…`, else
//! the temporary directory), which then serves as the root. That is how an
//! installed `procspec` (cargo install, the Python wheel) works outside a
//! checkout.
//!
//! Invariant: a root directory is complete or absent: files are written
//! into a fresh sibling directory that is renamed into place, so two runs
//! starting at once both end up with the same complete copy.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

mod files {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}
pub use files::{DIGEST, FILES};

/// The directory the embedded files are written to.
fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("procspec")
        .join(format!("{}-{DIGEST}", env!("CARGO_PKG_VERSION")))
}

/// Whether `root` is the embedded root (so reports go to the current
/// directory, not into the cache).
pub fn is_embedded(root: &Path) -> bool {
    root == cache_dir()
}

/// The embedded root, written out if it is not there yet.
pub fn root() -> Result<PathBuf> {
    let dir = cache_dir();
    if dir.join("spec/clauses.toml").is_file() {
        return Ok(dir);
    }
    let parent = dir.parent().expect("a cache directory has a parent");
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(format!(".tmp-{}-{}", std::process::id(), DIGEST));
    let _ = std::fs::remove_dir_all(&tmp);
    for (rel, text) in FILES {
        let path = tmp.join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a parent"))
            .and_then(|()| std::fs::write(&path, text))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Err(e) = std::fs::rename(&tmp, &dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.join("spec/clauses.toml").is_file() {
            return Err(e).with_context(|| format!("cannot create {}", dir.display()));
        }
    }
    Ok(dir)
}
