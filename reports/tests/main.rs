//! procspec-reports' tests, one binary.
//!
//! Every test builds its runs and clauses in code ([`fixtures`]): nothing
//! here reads `spec/clauses.toml`, so the tests do not move when the
//! registry does (`untestable::defaults_come_from_the_spec` only checks that
//! the plain renderers use the spec's embedded lists, whatever they hold). The Markdown and JUnit outputs are insta snapshots under
//! `tests/snapshots/`; review a change with `cargo insta review` (or
//! `INSTA_UPDATE=always` and read the diff), CI runs with
//! `INSTA_UPDATE=no`.

mod fixtures;

// The renderers, one module each.
mod html;
mod junit;
mod markdown;
mod matrix;
mod mutation;
mod untestable;

// Reading, writing, redacting, and the JSON schema of a run file.
mod load;
mod redact;
mod schema;
