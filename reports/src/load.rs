//! Reading a runs directory: every `*.json` in it is one implementation's
//! [`RunReport`].

use crate::error::{Error, ErrorKind};
use procspec_spec::results::RunReport;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Load every `*.json` file directly in `dir` (not in subdirectories) as a
/// [`RunReport`], sorted by implementation name.
///
/// Every such file must be a run report: a file that is not JSON, or JSON
/// of another shape, is an error naming the file with line and column. So
/// is a directory that cannot be listed, a file that cannot be read, and
/// two files of the same implementation. Other files (the rendered
/// reports, say) are ignored. An empty directory gives an empty list.
pub fn load_runs(dir: &Path) -> Result<Vec<RunReport>, Error> {
    let read_dir_err = |e: std::io::Error| {
        Error::new(
            ErrorKind::ReadDir,
            dir,
            format!("cannot list directory: {e}"),
        )
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_dir_err)? {
        let path = entry.map_err(read_dir_err)?.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            paths.push(path);
        }
    }
    // Read in file-name order so that which of two duplicates is blamed
    // does not depend on the directory's order.
    paths.sort();
    let mut by_impl: BTreeMap<String, (PathBuf, RunReport)> = BTreeMap::new();
    for path in paths {
        let run = load_run(&path)?;
        let name = run.run_info.implementation.clone();
        if let Some((first, _)) = by_impl.get(&name) {
            return Err(Error::new(
                ErrorKind::Duplicate,
                &path,
                format!(
                    "implementation {name:?} is already reported by {}",
                    first.display()
                ),
            ));
        }
        by_impl.insert(name, (path, run));
    }
    Ok(by_impl.into_values().map(|(_, run)| run).collect())
}

/// Load one run file.
pub(crate) fn load_run(path: &Path) -> Result<RunReport, Error> {
    let text = fs::read_to_string(path)
        .map_err(|e| Error::new(ErrorKind::ReadFile, path, format!("cannot read file: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Error::from_json(path, &e))
}
