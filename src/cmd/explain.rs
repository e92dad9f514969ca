//! `procspec explain CLAUSE`: a clause, the cases that cite it, and the
//! model's transitions that cite it (from the transition-table snapshots).

use anyhow::{bail, Context, Result};
use clap::Args;
use procspec_spec::vocab::{Clause, Level};
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// Explain a clause: its quote, source, level, needs and note, the cases
/// that cite it, and the model's transitions that cite it.
///
/// Transitions come from the transition-table snapshots under
/// spec/snapshots/: every outcome line citing [CLAUSE], under the op it
/// answers and the state it belongs to.
#[derive(Debug, Args)]
#[command(after_help = "Example: procspec explain start.once\n\n\
Exit status: 0, or 2 for an unknown clause id (close ids are suggested).")]
pub struct ExplainArgs {
    /// The clause id (e.g. start.once; see `procspec list clauses`).
    #[arg(value_name = "CLAUSE")]
    clause: String,
}

/// `procspec explain`.
pub fn run(root: Option<&Path>, args: &ExplainArgs) -> Result<ExitCode> {
    let id = args.clause.as_str();
    let Some(clause) = procspec_spec::clause(id) else {
        let close = super::suggest(id, procspec_spec::clauses().iter().map(|c| c.id.as_str()));
        if close.is_empty() {
            bail!("unknown clause `{id}`; `procspec list clauses` lists them");
        }
        bail!("unknown clause `{id}`; did you mean: {}?", close.join(", "));
    };
    let root = super::find_root(root)?;
    let mut out = String::new();
    print_clause(&mut out, clause);

    let cases = super::cases(&root)?;
    let citing: Vec<_> = cases
        .iter()
        .filter(|c| c.case.clauses.iter().any(|x| x == id))
        .collect();
    out.push('\n');
    let _ = writeln!(out, "cases ({}):", citing.len());
    if citing.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for c in citing {
        let _ = writeln!(
            out,
            "  {}  {}",
            c.case.id,
            super::one_line(&c.case.description, 100)
        );
    }

    let transitions = transitions(&root.join("spec/snapshots"), id)?;
    let count: usize = transitions.iter().map(|t| t.lines.len()).sum();
    out.push('\n');
    let _ = writeln!(out, "model transitions ({count}, from spec/snapshots/):");
    if transitions.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let mut last_state = "";
    for t in &transitions {
        if t.state != last_state {
            let _ = writeln!(out, "  state {} ({}):", t.state, t.file);
            last_state = &t.state;
        }
        let _ = writeln!(out, "    {}", t.op);
        for l in &t.lines {
            let _ = writeln!(out, "      {l}");
        }
    }
    super::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn print_clause(out: &mut String, c: &Clause) {
    let level = match c.level {
        Level::Must => "must (documented: every implementation must honour it)",
        Level::Should => "should (recommended)",
        Level::Impl => "impl (implementation-defined)",
    };
    let _ = writeln!(out, "{}", c.id);
    let _ = writeln!(out, "  level:  {level}");
    let _ = writeln!(out, "  source: {}", c.source);
    if !c.needs.is_empty() {
        let needs: Vec<String> = c
            .needs
            .iter()
            .map(|n| {
                serde_json::to_value(n)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{n:?}"))
            })
            .collect();
        let _ = writeln!(out, "  needs:  {}", needs.join(", "));
    }
    let _ = writeln!(out, "  quote:  {}", super::one_line(&c.quote, usize::MAX));
    if let Some(note) = &c.note {
        let _ = writeln!(out, "  note:   {}", super::one_line(note, usize::MAX));
    }
}

/// The outcome lines of one op, in one state, that cite the clause.
#[derive(Debug, PartialEq, Eq)]
struct Transition {
    file: String,
    state: String,
    op: String,
    lines: Vec<String>,
}

/// Every transition citing `[id]` in the `*.snap` files of `dir`, by file
/// name.
fn transitions(dir: &Path, id: &str) -> Result<Vec<Transition>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.extend(scan(&text, &name, id));
    }
    Ok(out)
}

/// The transitions of one snapshot: a `state: NAME` line, then blocks of
/// an unindented op line followed by indented outcome lines, each citing
/// its clause in brackets.
fn scan(text: &str, file: &str, id: &str) -> Vec<Transition> {
    let tag = format!("[{id}]");
    // Skip insta's front matter (between the first two `---` lines).
    let body = match text.strip_prefix("---\n") {
        Some(rest) => rest.split_once("\n---\n").map_or(rest, |(_, b)| b),
        None => text,
    };
    let mut out: Vec<Transition> = Vec::new();
    let mut state = String::new();
    let mut op = String::new();
    let mut in_reached = false;
    for line in body.lines() {
        if let Some(s) = line.strip_prefix("state: ") {
            state = s.trim().to_string();
            in_reached = false;
            continue;
        }
        if line.trim().is_empty() {
            in_reached = false;
            continue;
        }
        if line.starts_with("reached by:") {
            in_reached = true;
            continue;
        }
        if !line.starts_with(' ') {
            op = line.trim().to_string();
            continue;
        }
        if in_reached || !line.contains(&tag) {
            continue;
        }
        let l = line.trim().to_string();
        match out.last_mut() {
            Some(t) if t.state == state && t.op == op && t.file == file => t.lines.push(l),
            _ => out.push(Transition {
                file: file.to_string(),
                state: state.clone(),
                op: op.clone(),
                lines: vec![l],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAP: &str = "---
source: spec/tests/transition_table.rs
expression: text
---
state: running
reached by:
  main: create p1 target={\"kind\":\"block\"} [start.once]
  main: start p1

main: start p1
  err already-started          [start.once] -> running

main: join p1 timeout_ms=10
  ok none                      [join.timeout] -> running
  err x                        [start.once] -> running
";

    #[test]
    fn finds_cited_transitions() {
        let t = scan(SNAP, "running.snap", "start.once");
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[0].state, "running");
        assert_eq!(t[0].op, "main: start p1");
        assert_eq!(
            t[0].lines,
            ["err already-started          [start.once] -> running"]
        );
        assert_eq!(t[1].op, "main: join p1 timeout_ms=10");
        assert!(scan(SNAP, "x", "start").is_empty());
    }
}
