//! `procspec list clauses|cases|impls`: one line each.

use super::one_line;
use anyhow::Result;
use clap::{Args, ValueEnum};
use procspec_spec::vocab::Level;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// List the clauses of the spec, the case files, or the tracked implementations.
///
/// clauses: id, level, the start of the quote.
/// cases: case id, description.
/// impls: name, description, and `present` or why it is skipped here
/// (this runs each implementation's probe).
#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to list.
    #[arg(value_enum)]
    what: What,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum What {
    /// The clauses of spec/clauses.toml.
    Clauses,
    /// The case files under cases/.
    Cases,
    /// The tracked implementations, fixtures/impls/*.toml.
    Impls,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Must => "must",
        Level::Should => "should",
        Level::Impl => "impl",
    }
}

/// `procspec list`.
pub fn run(root: Option<&Path>, args: &ListArgs) -> Result<ExitCode> {
    let mut out = String::new();
    match args.what {
        What::Clauses => {
            let clauses = procspec_spec::clauses();
            let w = clauses.iter().map(|c| c.id.len()).max().unwrap_or(0);
            for c in clauses {
                let _ = writeln!(
                    out,
                    "{:w$}  {:6}  {}",
                    c.id,
                    level(c.level),
                    one_line(&c.quote, 60)
                );
            }
        }
        What::Cases => {
            let root = super::find_root(root)?;
            let cases = super::cases(&root)?;
            let w = cases.iter().map(|c| c.case.id.len()).max().unwrap_or(0);
            for c in &cases {
                let _ = writeln!(
                    out,
                    "{:w$}  {}",
                    c.case.id,
                    one_line(&c.case.description, 100)
                );
            }
        }
        What::Impls => {
            let root = super::find_root(root)?;
            let impls = super::impls(&root)?;
            let w = impls.iter().map(|i| i.name.len()).max().unwrap_or(0);
            for i in &impls {
                let here = match i.resolve(&root) {
                    Ok(_) => "present".to_string(),
                    Err(why) => format!("skip: {}", one_line(why.message(), 160)),
                };
                let _ = writeln!(out, "{:w$}  {}  [{here}]", i.name, i.description);
            }
        }
    }
    super::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
