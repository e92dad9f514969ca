//! Writing the three rendered reports into a directory.

use crate::error::{Error, ErrorKind};
use crate::mutation::Mutation;
use crate::{render_html_mutation, render_junit, render_markdown_mutation};
use procspec_spec::results::RunReport;
use procspec_spec::vocab::Clause;
use std::fs;
use std::path::{Path, PathBuf};

/// Write `index.md`, `index.html` and `junit.xml` into `dir` (created if
/// missing, files replaced) and return their paths in that order.
///
/// The runs are written as given: [`redact`](crate::redact()) them first for
/// reports that are committed.
pub fn write_reports(
    dir: &Path,
    clauses: &[Clause],
    runs: &[RunReport],
) -> Result<Vec<PathBuf>, Error> {
    write_reports_with(dir, clauses, runs, &Mutation::default())
}

/// As [`write_reports`], with the suite's mutation score (see
/// [`load_mutation`](crate::load_mutation())) as a section of `index.md`
/// and `index.html`.
pub fn write_reports_with(
    dir: &Path,
    clauses: &[Clause],
    runs: &[RunReport],
    mutation: &Mutation,
) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(dir).map_err(|e| {
        Error::new(
            ErrorKind::Write,
            dir,
            format!("cannot create directory: {e}"),
        )
    })?;
    let files = [
        (
            "index.md",
            render_markdown_mutation(clauses, runs, mutation),
        ),
        ("index.html", render_html_mutation(clauses, runs, mutation)),
        ("junit.xml", render_junit(runs)),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        fs::write(&path, text)
            .map_err(|e| Error::new(ErrorKind::Write, &path, format!("cannot write file: {e}")))?;
        written.push(path);
    }
    Ok(written)
}
