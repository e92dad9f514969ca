//! procspec's reports: what a conformance run found, as a matrix of
//! clauses by implementations, for people (Markdown, HTML) and for CI
//! (JUnit XML).
//!
//! # Where the data comes from
//!
//! A run of one implementation writes one JSON file, `DIR/<implementation>.json`:
//! a [`RunReport`] (see `procspec_spec::results`). Its schema is committed
//! beside this crate as `run.schema.json` (JSON Schema draft 2020-12) and
//! embedded as [`RUN_SCHEMA`]; foreign runners can validate against it.
//! [`load_runs`] reads every `*.json` of a directory, sorted by
//! implementation; every such file must be a run report, and a bad one is
//! an [`Error`] naming the file, line and column.
//!
//! # The matrix
//!
//! [`Matrix`] is what every renderer draws. Rows are clauses, grouped by
//! area (the part of the id before the first `.`), in registry order, each
//! with its level; ids that results cite but the registry lacks are added
//! at the end with no level, so nothing a run found is dropped. Columns are
//! implementations. A result counts for every clause id it cites, once.
//! A cell counts results per status and shows one headline, worst first:
//!
//! | headline | when | Markdown |
//! |---|---|---|
//! | fail | any fail, timeout, crash, unexpected-pass or not-run | `✗ failing/total` |
//! | expected-fail | else any expected-fail | `⚠ xfail n` |
//! | pass | else any pass | `✓ n` |
//! | precondition-failed | else any | `– precond` |
//! | skip | else any skip, or the run was skipped as a whole | `skip` |
//! | not covered | no result | `—` |
//! | untestable | no result, and `spec/untested.toml` lists the clause | `∅ untestable` |
//!
//! A clause in `spec/untested.toml` is one the vocabulary cannot express:
//! no case can check it. Its row carries the reason, and both human
//! reports list such clauses, with their level and reason, under "Clauses
//! no case can check" (the section is left out when there are none).
//! [`render_markdown`], [`render_html`] and [`Matrix::new`] take the list
//! the spec embeds ([`procspec_spec::untested()`]); the `_with` variants
//! take another.
//!
//! # The reports
//!
//! - [`render_markdown`], `index.md`: the runs (version, start method, OS,
//!   seed, completeness, counts, leaks), the matrix as one table per area,
//!   the clauses no case can check, then every failure (fail, timeout,
//!   crash, unexpected-pass, not-run) with its steps (`at: op args -> observed`),
//!   expected vs observed, the native message and each cited clause's
//!   quote; expected failures follow in a collapsed list.
//! - [`render_html`], `index.html`: the same in one self-contained page
//!   (inline CSS and JS, nothing fetched), colour-coded, with filters by
//!   level and by implementation and rows that expand to their failures.
//! - [`render_junit`], `junit.xml`: one test suite per implementation, one
//!   test case per result.
//!
//! [`write_reports`] writes all three into a directory.
//!
//! **Invariant:** rendering is a pure function of its inputs (and of the
//! untested list the spec embeds, a constant). No clock, no environment,
//! no hash order: the same runs give the same bytes, which is
//! what lets reports be committed and diffed. What varies between two runs
//! of the same implementation (pids, sentinels, the random authkey,
//! timings, result order) is taken out by [`redact()`] before rendering.
//!
//! # Example
//!
//! ```no_run
//! use std::path::Path;
//! let dir = Path::new("reports/latest");
//! let mut runs = procspec_reports::load_runs(dir)?;
//! runs.iter_mut().for_each(procspec_reports::redact);
//! let clauses = procspec_spec::clauses();
//! for path in procspec_reports::write_reports(dir, clauses, &runs)? {
//!     println!("wrote {}", path.display());
//! }
//! # Ok::<(), procspec_reports::Error>(())
//! ```
//!
//! This crate depends on `procspec-spec` only, and does I/O only in
//! [`load_runs`] and [`write_reports`].

#![warn(missing_docs)]

mod detail;
mod error;
mod escape;
mod html;
mod junit;
mod load;
mod markdown;
mod matrix;
mod merge;
mod mutation;
mod redact;
mod write;

pub use error::{Error, ErrorKind};
pub use html::{render_html, render_html_mutation, render_html_with};
pub use junit::render_junit;
pub use load::load_runs;
pub use markdown::{render_markdown, render_markdown_mutation, render_markdown_with};
pub use matrix::{family, Cell, Column, Headline, Matrix, Row, Score};
pub use merge::{merge, merge_dirs};
pub use mutation::{load_mutation, CargoMutants, CrateScore, Kill, KillMatrix, Mutation};
pub use redact::redact;
pub use write::{write_reports, write_reports_with};

#[doc(no_inline)]
pub use procspec_spec::results::RunReport;

/// The JSON Schema (draft 2020-12) of a run file, `reports/run.schema.json`.
pub const RUN_SCHEMA: &str = include_str!("../run.schema.json");
