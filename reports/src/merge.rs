//! Merging shard outputs: the run files that several machines (nextest
//! partitions, say) wrote for parts of the same implementations' runs
//! become the run files one machine would have written.
//!
//! Each shard's file is an ordinary [`RunReport`] holding the results of
//! the units (cases, blocks of sequences) that shard ran. Merging one
//! implementation's files: results are concatenated and sorted by (kind,
//! id), the order [`crate::redact`] gives; leak counts are summed; the
//! summary is recounted; the run is complete only if every part is; the
//! run info is the first part's that ran (a part that was skipped, the
//! implementation absent on that machine, gives only its `skip_reason`,
//! kept when no part ran). Parts must agree on the seed and the protocol
//! version, and no result id may come twice (a unit run by two shards):
//! those are errors naming the file.

use crate::error::{Error, ErrorKind};
use crate::load::load_run;
use procspec_spec::results::RunReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every run file under `dirs` (recursively), merged per implementation;
/// sorted by implementation name.
pub fn merge_dirs(dirs: &[PathBuf]) -> Result<Vec<RunReport>, Error> {
    let mut paths = Vec::new();
    for d in dirs {
        collect(d, &mut paths)?;
    }
    paths.sort();
    let mut parts: Vec<(PathBuf, RunReport)> = Vec::new();
    for p in paths {
        let run = load_run(&p)?;
        parts.push((p, run));
    }
    merge(parts)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let err = |e: std::io::Error| Error::new(ErrorKind::ReadDir, dir, format!("cannot list: {e}"));
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Merge `parts` (each with the file it came from) per implementation.
pub fn merge(parts: Vec<(PathBuf, RunReport)>) -> Result<Vec<RunReport>, Error> {
    let mut by_impl: BTreeMap<String, (PathBuf, RunReport)> = BTreeMap::new();
    for (path, part) in parts {
        let name = part.run_info.implementation.clone();
        let Some((first, merged)) = by_impl.get_mut(&name) else {
            by_impl.insert(name, (path, part));
            continue;
        };
        let (a, b) = (&merged.run_info, &part.run_info);
        if a.seed != b.seed || a.protocol_version != b.protocol_version {
            return Err(Error::new(
                ErrorKind::Duplicate,
                &path,
                format!(
                    "{name}: seed {:#x} / protocol {} here, seed {:#x} / protocol {} in {}: not parts of one run",
                    b.seed,
                    b.protocol_version,
                    a.seed,
                    a.protocol_version,
                    first.display()
                ),
            ));
        }
        for r in &part.results {
            if merged
                .results
                .iter()
                .any(|m| m.kind == r.kind && m.id == r.id)
            {
                return Err(Error::new(
                    ErrorKind::Duplicate,
                    &path,
                    format!("{name}: result {} is also in another part", r.id),
                ));
            }
        }
        let complete = merged.run_info.complete && part.run_info.complete;
        if merged.run_info.skip_reason.is_some() && part.run_info.skip_reason.is_none() {
            merged.run_info = part.run_info.clone();
        }
        merged.run_info.complete = complete;
        merged.results.extend(part.results);
        merged.leaks.processes += part.leaks.processes;
        merged.leaks.zombies += part.leaks.zombies;
        merged.leaks.fds += part.leaks.fds;
    }
    Ok(by_impl
        .into_values()
        .map(|(_, mut run)| {
            run.results
                .sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
            run.recount();
            run
        })
        .collect())
}
