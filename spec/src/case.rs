//! The case-file format: `cases/<area>/<name>.toml`, one case per file.
//!
//! ```toml
//! description = "start() on a started process raises"
//! clauses = ["start.once"]
//! needs = []                      # capabilities beyond the clauses' own
//!
//! [[step]]
//! op = "create"
//! id = "p1"
//! target = { kind = "block" }
//!
//! [[step]]
//! op = "start"
//! p = "p1"
//! expect = { err = "already-started" }   # optional: else "as the model says"
//! ```
//!
//! `sessions = 2` runs the steps twice, each time in a fresh adapter session
//! (a new adapter process): what must differ between two sessions (the
//! main process's random authkey) is compared. Only adapters that run in a
//! process of their own can do this; others report it precondition-failed.
//!
//! `at` defaults to `main`. The case id is the file's path under `cases/`
//! without `.toml` (`start/twice`). Every step is checked against the
//! model, and against `expect` where given; a case whose `expect`
//! contradicts the model is itself invalid, which the case lint reports.

use crate::clauses::line_of;
use crate::model::{self, World};
use crate::platform::Platform;
use crate::vocab::{Capability, Op, Outcome, Ref, Step};
use crate::SpecError;
use serde::Deserialize;

/// A parsed case file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `area/name`, from the path.
    pub id: String,
    /// One sentence: what the case checks.
    pub description: String,
    /// The clauses it checks.
    pub clauses: Vec<String>,
    /// Capabilities it needs beyond its clauses' own.
    pub needs: Vec<Capability>,
    /// The steps, in order.
    pub steps: Vec<CaseStep>,
    /// How many fresh adapter sessions the steps run in (1 or 2; see the
    /// module docs).
    pub sessions: u32,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStep {
    /// Where and what.
    pub step: Step,
    /// The outcome the case states, if any (else the model decides alone).
    pub expect: Option<Outcome>,
    /// The line of its `[[step]]` header, for messages.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    description: String,
    clauses: Vec<String>,
    #[serde(default)]
    needs: Vec<Capability>,
    #[serde(rename = "step")]
    steps: Vec<RawStep>,
    #[serde(default = "one")]
    sessions: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
struct RawStep {
    #[serde(default = "Ref::main")]
    at: Ref,
    #[serde(default)]
    expect: Option<Outcome>,
    #[serde(flatten)]
    op: Op,
}

/// Parse one case file; `path` names it in errors, `id` is its case id.
/// Clause ids are checked against the registry; [`Case::validate`] checks
/// the steps against the model.
pub fn parse_case(text: &str, path: &str, id: &str) -> Result<Case, SpecError> {
    let raw: RawCase = toml::from_str(text).map_err(|e| SpecError::from_toml(path, text, &e))?;
    for c in &raw.clauses {
        if crate::clause(c).is_none() {
            return Err(SpecError::invalid(
                path,
                line_of(text, &format!("\"{c}\"")),
                format!("unknown clause id {c:?} (see spec/clauses.toml)"),
            ));
        }
    }
    if raw.clauses.is_empty() {
        return Err(SpecError::invalid(
            path,
            line_of(text, "clauses"),
            "a case must cite at least one clause",
        ));
    }
    if !(1..=2).contains(&raw.sessions) {
        return Err(SpecError::invalid(
            path,
            line_of(text, "sessions"),
            format!(
                "`sessions` must be 1 or 2 (fresh adapter sessions to run the steps in), not {}",
                raw.sessions
            ),
        ));
    }
    let step_lines = step_lines(text);
    let steps = raw
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| CaseStep {
            step: Step { at: s.at, op: s.op },
            expect: s.expect,
            line: step_lines.get(i).copied().unwrap_or(0),
        })
        .collect();
    Ok(Case {
        id: id.to_string(),
        description: raw.description,
        clauses: raw.clauses,
        needs: raw.needs,
        steps,
        sessions: raw.sessions,
    })
}

/// Whether `line` is the header `[[name]]` (spaces and a comment allowed).
pub fn is_table_header(line: &str, name: &str) -> bool {
    let code = line.split('#').next().unwrap_or("");
    let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    squeezed == format!("[[{name}]]")
}

/// The 1-based line of every `[[step]]` header.
fn step_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| is_table_header(l, "step"))
        .map(|(i, _)| i + 1)
        .collect()
}

impl Case {
    /// Run the case through the model alone, taking the stated outcome (or
    /// the first allowed one) at each step: a case the model cannot run, or
    /// whose stated outcome the model does not allow, is invalid.
    pub fn validate(&self, path: &str) -> Result<(), SpecError> {
        self.validate_on(path, Platform::default())
    }

    /// [`Case::validate`] on `platform`'s outcomes. A case that is valid
    /// (on the Unix outcomes, as the lint demands) but not on `platform`
    /// states outcomes that differ there (a `kill()`'s -9 on Windows): an
    /// implementation run there skips it as precondition-failed. So does a
    /// case whose stated outcome is the only one the Unix outcomes allow
    /// at a step where `platform`'s also allow another (an ignored
    /// SIGTERM's "still running" where `terminate()` cannot be ignored, so
    /// the child may already have ended): there it pins down what the
    /// platform leaves open.
    pub fn validate_on(&self, path: &str, platform: Platform) -> Result<(), SpecError> {
        let inherit = self.all_needs().contains(&Capability::InheritHandles);
        let mut world = World::new(inherit).on(platform);
        // The same steps on the Unix outcomes, while they can be followed.
        let mut unix = (platform != Platform::default()).then(|| World::new(inherit));
        for s in &self.steps {
            let arms = model::transition(&world, &s.step)
                .map_err(|e| SpecError::invalid(path, s.line, format!("step `{}`: {e}", s.step)))?;
            let unix_arms = unix
                .as_ref()
                .and_then(|w| model::transition(w, &s.step).ok());
            let arm = match &s.expect {
                Some(o) => model::follow(&arms, o, None, None, 0).ok_or_else(|| {
                    let allowed: Vec<String> = arms.iter().map(|a| a.expect.to_string()).collect();
                    SpecError::invalid(
                        path,
                        s.line,
                        format!(
                            "step `{}` expects `{o}` but the model allows only: {}",
                            s.step,
                            allowed.join(", ")
                        ),
                    )
                })?,
                None => arms.first().ok_or_else(|| {
                    SpecError::invalid(path, s.line, format!("step `{}`: no outcome", s.step))
                })?,
            };
            if let (Some(o), Some(unix_arms)) = (&s.expect, &unix_arms) {
                let pinned_on_unix = unix_arms.iter().all(|a| a.expect.matches(o, None));
                let also: Vec<String> = arms
                    .iter()
                    .filter(|a| !a.expect.matches(o, None))
                    .map(|a| a.expect.to_string())
                    .collect();
                if pinned_on_unix && !also.is_empty() {
                    return Err(SpecError::invalid(
                        path,
                        s.line,
                        format!(
                            "step `{}` expects `{o}`, the only outcome on Unix, but the model also allows: {}",
                            s.step,
                            also.join(", ")
                        ),
                    ));
                }
            }
            unix = match (&s.expect, unix_arms) {
                (Some(o), Some(a)) => model::follow(&a, o, None, None, 0).map(|a| a.next.clone()),
                (None, Some(a)) => a.first().map(|a| a.next.clone()),
                _ => None,
            };
            world = arm.next.clone();
        }
        Ok(())
    }

    /// The clauses this case *checks*, not merely cites: those of the
    /// outcomes it follows (its stated one, else the model's first) at
    /// steps where a wrong answer was possible ([`model::discriminates`]),
    /// and `error.no-effect` after an error outcome (the checker probes).
    /// A case the model cannot run checks nothing.
    pub fn checked_clauses(&self) -> std::collections::BTreeSet<&'static str> {
        let inherit = self.all_needs().contains(&Capability::InheritHandles);
        let mut world = World::new(inherit);
        let mut out = std::collections::BTreeSet::new();
        for s in &self.steps {
            let Ok(arms) = model::transition(&world, &s.step) else {
                return std::collections::BTreeSet::new();
            };
            let arm = match &s.expect {
                Some(o) => model::follow(&arms, o, None, None, 0),
                None => arms.first(),
            };
            let Some(arm) = arm else {
                return std::collections::BTreeSet::new();
            };
            if model::discriminates(&arms) {
                out.extend(arm.clause);
                out.extend(arm.clause.map(model::implied).unwrap_or_default());
                for why in model::facts_read(&world, &s.step) {
                    out.insert(why.clause);
                    out.extend(model::implied(why.clause));
                }
            }
            if arm.expect.is_err() {
                out.insert("error.no-effect");
            }
            world = arm.next.clone();
        }
        out
    }

    /// Every capability the case needs: its own and its clauses'.
    pub fn all_needs(&self) -> Vec<Capability> {
        let mut needs = self.needs.clone();
        for c in &self.clauses {
            if let Some(cl) = crate::clause(c) {
                needs.extend(cl.needs.iter().copied());
            }
        }
        needs.sort();
        needs.dedup();
        needs
    }
}
