//! Expectation files: `fixtures/expectations/<implementation>.toml`, the
//! known divergences of one implementation, each with its reason.
//!
//! ```toml
//! [[divergence]]
//! case = "terminate/before-start"   # or: clause = "terminate.before-start"
//! reason = "CPython raises AttributeError: _popen is None (process.py, terminate())"
//! platform = "linux"                # optional: only there
//! allowed = [{ ok = "none" }, { err = "not-parent" }]  # optional: intermittent
//! ```
//!
//! A failure listed here (by its case, or by the clause it violated) is
//! `expected-fail`; a case listed by id that passes is `unexpected-pass`,
//! unless `allowed` marks the divergence intermittent (a pass is then fine,
//! and a failure counts as expected only when the observed outcome is one of
//! `allowed`). No divergence without a reason.
//!
//! The clause entries that are not intermittent also *steer* the state
//! machine ([`Expectations::steered_clauses`]): it never generates a step
//! whose model transition cites one of those clauses, so a sequence is not
//! cut short by a divergence already known and can find unknown ones past
//! it. Case entries and intermittent entries do not steer.

use procspec_spec::results::{CaseResult, Status};
use procspec_spec::vocab::Outcome;
use procspec_spec::SpecError;
use serde::Deserialize;

/// One known divergence.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// A case id.
    #[serde(default)]
    pub case: Option<String>,
    /// A clause id (matches every result that names it).
    #[serde(default)]
    pub clause: Option<String>,
    /// Why: a doc quote or a source line.
    pub reason: String,
    /// Only on this OS (`std::env::consts::OS`).
    #[serde(default)]
    pub platform: Option<String>,
    /// Intermittent: the outcomes it may show when it fails.
    #[serde(default)]
    pub allowed: Option<Vec<Outcome>>,
}

impl Divergence {
    /// Whether the entry holds on this OS (`platform` unset, or this one).
    fn applies_here(&self) -> bool {
        self.platform
            .as_deref()
            .is_none_or(|p| p == std::env::consts::OS)
    }
}

/// The divergences of one implementation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The list.
    #[serde(default, rename = "divergence")]
    pub divergences: Vec<Divergence>,
}

impl Expectations {
    /// Parse and check an expectation file: each entry names exactly one of
    /// case and clause, the clause exists, and the reason is not empty.
    pub fn parse(text: &str, path: &str) -> Result<Expectations, SpecError> {
        let e: Expectations = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            SpecError::invalid(path, line, err.message())
        })?;
        for (i, d) in e.divergences.iter().enumerate() {
            let line = nth_line(text, i);
            if d.case.is_some() == d.clause.is_some() {
                return Err(SpecError::invalid(
                    path,
                    line,
                    "a divergence names exactly one of `case` and `clause`",
                ));
            }
            if let Some(c) = &d.clause {
                if procspec_spec::clause(c).is_none() {
                    return Err(SpecError::invalid(
                        path,
                        line,
                        format!("unknown clause id {c:?}"),
                    ));
                }
            }
            if d.reason.trim().is_empty() {
                return Err(SpecError::invalid(
                    path,
                    line,
                    "a divergence needs a reason",
                ));
            }
        }
        Ok(e)
    }

    /// Read and parse a file.
    pub fn load(path: &std::path::Path) -> Result<Expectations, SpecError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpecError::invalid(&shown, 0, e.to_string()))?;
        Expectations::parse(&text, &shown)
    }

    /// Case ids named that are not among `known`.
    pub fn unknown_cases<'a>(&'a self, known: &[String]) -> Vec<&'a str> {
        self.divergences
            .iter()
            .filter_map(|d| d.case.as_deref())
            .filter(|c| !known.iter().any(|k| k == c))
            .collect()
    }

    /// The clauses the state machine steers around: those of the clause
    /// entries that hold on this platform and are not intermittent (no
    /// `allowed`), sorted, without repeats. An implementation is known to
    /// break such a clause wherever it is exercised, so generating steps
    /// that exercise it only ends sequences early with an `expected-fail`.
    pub fn steered_clauses(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .divergences
            .iter()
            .filter(|d| d.applies_here() && d.allowed.is_none())
            .filter_map(|d| d.clause.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The entries that no result of `results` (one run of the
    /// implementation) used: no expected failure was theirs, and, for a
    /// steering entry, no sequence was steered around its clause. Entries
    /// for another platform and intermittent ones are not judged here.
    pub fn unused<'a>(&'a self, results: &[CaseResult]) -> Vec<&'a Divergence> {
        let mut used: Vec<*const Divergence> = results
            .iter()
            .filter(|r| r.status == Status::ExpectedFail)
            .filter_map(|r| self.find(r))
            .map(|d| d as *const Divergence)
            .collect();
        // Steering is only seen where sequences ran.
        let sequences_ran = results
            .iter()
            .any(|r| r.kind == procspec_spec::results::ResultKind::Sequence);
        for d in &self.divergences {
            let steering = d.allowed.is_none() && d.clause.is_some();
            if steering && !sequences_ran {
                used.push(d as *const Divergence);
                continue;
            }
            let steered = steering
                && results.iter().any(|r| {
                    r.message.as_deref().is_some_and(|m| {
                        m.contains("steered around")
                            && d.clause.as_deref().is_some_and(|c| m.contains(c))
                    })
                });
            // An intermittent entry (`allowed`) may match nothing in a
            // given run; that is what intermittent means.
            if steered || !d.applies_here() || d.allowed.is_some() {
                used.push(d as *const Divergence);
            }
        }
        self.divergences
            .iter()
            .filter(|d| !used.contains(&(*d as *const Divergence)))
            .collect()
    }

    /// The entry that applies to `result`: its case's entry first (it
    /// names the result exactly), else the first clause entry.
    fn find(&self, result: &CaseResult) -> Option<&Divergence> {
        let by_case = self
            .divergences
            .iter()
            .find(|d| d.applies_here() && d.case.as_deref() == Some(result.id.as_str()));
        by_case.or_else(|| self.by_clause(result))
    }

    fn by_clause(&self, result: &CaseResult) -> Option<&Divergence> {
        self.divergences.iter().find(|d| {
            let here = d.applies_here();
            // A clause entry names a rule an implementation breaks: it
            // matches a failure on that rule (root or observer), or a
            // pass for steering, never a timeout or a crash, which say
            // nothing about a rule.
            let hit = d.clause.as_ref().is_some_and(|c| {
                result.clauses.contains(c)
                    && !matches!(result.status, Status::Timeout | Status::Crash)
            });
            here && hit
        })
    }

    /// Turn a raw status into its status against these expectations.
    pub fn apply(&self, result: &mut CaseResult) {
        let Some(d) = self.find(result) else { return };
        let failed = matches!(
            result.status,
            Status::Fail | Status::Timeout | Status::Crash
        );
        let reason = format!("expected: {}", d.reason);
        match (&d.allowed, failed) {
            (Some(allowed), true) => {
                let ok = result
                    .observed
                    .as_deref()
                    .is_some_and(|o| allowed.iter().any(|a| a.to_string() == o));
                if ok {
                    result.status = Status::ExpectedFail;
                    append(result, &reason);
                }
            }
            (Some(_), false) => {}
            (None, true) => {
                result.status = Status::ExpectedFail;
                append(result, &reason);
            }
            // A clause entry describes the failures that name the clause; a
            // passing case merely citing it says nothing about it.
            (None, false) if result.status == Status::Pass && d.case.is_some() => {
                result.status = Status::UnexpectedPass;
                append(result, &format!("passed although {reason}"));
            }
            (None, false) => {}
        }
    }
}

fn append(result: &mut CaseResult, text: &str) {
    result.message = Some(match result.message.take() {
        Some(m) => format!("{m}; {text}"),
        None => text.to_string(),
    });
}

/// The line of the `i`-th `[[divergence]]` header.
fn nth_line(text: &str, i: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| procspec_spec::case::is_table_header(l, "divergence"))
        .nth(i)
        .map_or(0, |(n, _)| n + 1)
}
