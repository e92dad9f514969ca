//! The clause registry: `spec/clauses.toml`, parsed once, embedded in the
//! binary so the spec travels with the code that cites it.

use crate::vocab::Clause;
use crate::SpecError;
use serde::Deserialize;
use std::sync::OnceLock;

/// The registry's source text, embedded.
pub const CLAUSES_TOML: &str = include_str!("../clauses.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClauseFile {
    #[serde(rename = "clause")]
    clauses: Vec<Clause>,
}

/// Parse a clause registry; `path` only names the file in errors.
pub fn parse_clauses(text: &str, path: &str) -> Result<Vec<Clause>, SpecError> {
    let file: ClauseFile =
        toml::from_str(text).map_err(|e| SpecError::from_toml(path, text, &e))?;
    let mut seen = std::collections::BTreeSet::new();
    for c in &file.clauses {
        if !is_slug(&c.id) {
            return Err(SpecError::invalid(
                path,
                line_of(text, &c.id),
                format!("clause id {:?} is not a slug like `area.rule-name`", c.id),
            ));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(SpecError::invalid(
                path,
                line_of(text, &c.id),
                format!("clause id {:?} is defined twice", c.id),
            ));
        }
    }
    Ok(file.clauses)
}

/// Every clause of the embedded registry, in file order.
pub fn clauses() -> &'static [Clause] {
    static CLAUSES: OnceLock<Vec<Clause>> = OnceLock::new();
    CLAUSES.get_or_init(|| {
        // The embedded file is checked by this crate's tests, so a failure
        // here is a build defect, not bad input.
        parse_clauses(CLAUSES_TOML, "spec/clauses.toml").expect("spec/clauses.toml is valid")
    })
}

/// The clause with this id.
pub fn clause(id: &str) -> Option<&'static Clause> {
    clauses().iter().find(|c| c.id == id)
}

/// `area.rule-name`: lowercase ascii, digits and `-`, at least two
/// dot-separated parts.
pub fn is_slug(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with('-')
                && !p.ends_with('-')
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// The 1-based line where `needle` first occurs, for error messages.
pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|at| text[..at].matches('\n').count() + 1)
        .unwrap_or(0)
}
