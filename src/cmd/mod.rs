//! The subcommands, and what they share: finding the repository root and
//! loading its cases and tracked implementations. Every `Err` a subcommand
//! returns is a usage or configuration error (exit 2).

pub mod explain;
pub mod jobs;
pub mod list;
pub mod python;
pub mod report;
pub mod run;
pub mod run_file;
pub mod serve;

use anyhow::{anyhow, bail, Context, Result};
use procspec_harness::cases::{load_cases, LoadedCase};
use procspec_runner::impls::{load_impls, ImplSpec};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status of a usage or configuration error: 2.
pub fn config_error() -> ExitCode {
    ExitCode::from(2)
}

/// Whether `dir` is a procspec checkout: it has `cases/` and
/// `spec/clauses.toml`.
fn is_root(dir: &Path) -> bool {
    dir.join("cases").is_dir() && dir.join("spec/clauses.toml").is_file()
}

/// The repository root: `explicit` (checked), else the nearest ancestor
/// of the current directory that is a checkout, else the copy of the
/// checkout's files embedded in the binary (`embedded.rs`).
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        if !is_root(dir) {
            bail!(
                "--root {}: not a procspec checkout (no cases/ and spec/clauses.toml there)",
                dir.display()
            );
        }
        return Ok(dir.to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    match cwd.ancestors().find(|d| is_root(d)) {
        Some(d) => Ok(d.to_path_buf()),
        // Outside a checkout: the files embedded in the binary.
        None => crate::embedded::root(),
    }
}

/// Every case under `<root>/cases`.
pub fn cases(root: &Path) -> Result<Vec<LoadedCase>> {
    load_cases(&root.join("cases")).map_err(|e| anyhow!("{e}"))
}

/// Every tracked implementation, `<root>/fixtures/impls/*.toml`, sorted.
pub fn impls(root: &Path) -> Result<Vec<ImplSpec>> {
    load_impls(&root.join("fixtures/impls")).map_err(|e| anyhow!("{e}"))
}

/// Up to five of `known` closest to `wanted` (substring matches first,
/// then by edit distance).
pub fn suggest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter_map(|k| {
            let d = if k.contains(wanted) || wanted.contains(k) {
                0
            } else {
                edit_distance(wanted, k)
            };
            (d <= wanted.chars().count() / 4 + 1).then_some((d, k))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, k)| k).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// One line, at most `max` characters (an ellipsis says it was cut).
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Write `text` to stdout. A closed pipe (`procspec list cases | head`)
/// is no error: whoever reads has seen enough.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = [
            "start.once",
            "start.twice",
            "join.parent-only",
            "close.requires-exit",
        ];
        assert_eq!(suggest("start.onse", known), ["start.once"]);
        assert_eq!(suggest("start", known), ["start.once", "start.twice"]);
        assert!(suggest("zzzzzzzz", known).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn lines() {
        assert_eq!(one_line("a\n  b", 10), "a b");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }
}
