//! Embeds what `procspec` reads from a checkout (cases, the spec's clauses,
//! sources, untested registry and snapshots, the tracked implementations,
//! their expectations and the Python adapter) into the binary, so that an
//! installed `procspec` works in any directory (`src/embedded.rs` writes
//! them out once into a cache directory). `--root` and a checkout found by
//! walking up from the current directory still take precedence.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// What is embedded, relative to the package root: directories (every file
/// under them) and single files.
const EMBED: &[&str] = &[
    "cases",
    "spec/clauses.toml",
    "spec/untested.toml",
    "spec/sources",
    "spec/snapshots",
    "fixtures/impls",
    "fixtures/expectations",
    "fixtures/python/procspec_adapter.py",
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn main() {
    let base = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for e in EMBED {
        let p = base.join(e);
        println!("cargo:rerun-if-changed={}", p.display());
        if p.is_dir() {
            walk(&p, &mut files);
        } else {
            files.push(p);
        }
    }
    let mut hasher = DefaultHasher::new();
    let mut code =
        String::from("/// (path relative to the root, contents) of every embedded file.\n");
    code.push_str("pub static FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f
            .strip_prefix(&base)
            .expect("under the package")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        rel.hash(&mut hasher);
        text.hash(&mut hasher);
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    code.push_str(&format!(
        "/// A digest of the embedded files (names the cache directory).\npub const DIGEST: &str = \"{:016x}\";\n",
        hasher.finish()
    ));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
