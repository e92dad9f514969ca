//! The untested registry: `spec/untested.toml`, the `must` clauses no case
//! can check because the vocabulary cannot express them, each with the
//! reason. Parsed once and embedded, as the clause registry is, so the
//! reports can tell "no case can express this" from "nobody wrote a case".

use crate::clauses::clause;
use crate::SpecError;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The registry's source text, embedded.
pub const UNTESTED_TOML: &str = include_str!("../untested.toml");

/// A clause no case can check, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untested {
    /// The clause id, a clause of `spec/clauses.toml`.
    pub clause: String,
    /// Why no case can check it: what the vocabulary lacks. Never blank.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UntestedFile {
    #[serde(default)]
    untested: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    clause: toml::Spanned<String>,
    reason: toml::Spanned<String>,
}

/// Parse an untested registry; `path` only names the file in errors.
///
/// Every entry must name a clause of the embedded clause registry, give a
/// reason that is not blank, and name a clause no other entry names; an
/// unknown field is an error. Errors carry the line of the offending value.
pub fn parse_untested(text: &str, path: &str) -> Result<Vec<Untested>, SpecError> {
    let file: UntestedFile =
        toml::from_str(text).map_err(|e| SpecError::from_toml(path, text, &e))?;
    let line =
        |span: std::ops::Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(file.untested.len());
    for e in file.untested {
        let id = e.clause.get_ref();
        if clause(id).is_none() {
            return Err(SpecError::invalid(
                path,
                line(e.clause.span()),
                format!("{id:?} is not a clause of spec/clauses.toml"),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(SpecError::invalid(
                path,
                line(e.clause.span()),
                format!("{id:?} is listed twice"),
            ));
        }
        if e.reason.get_ref().trim().is_empty() {
            return Err(SpecError::invalid(
                path,
                line(e.reason.span()),
                format!("{id:?} has no reason: say what the vocabulary lacks"),
            ));
        }
        out.push(Untested {
            clause: e.clause.into_inner(),
            reason: e.reason.into_inner(),
        });
    }
    Ok(out)
}

/// Every entry of the embedded registry, in file order.
pub fn untested() -> &'static [Untested] {
    static UNTESTED: OnceLock<Vec<Untested>> = OnceLock::new();
    UNTESTED.get_or_init(|| {
        // The embedded file is checked by this crate's tests and the lint, so
        // a failure here is a build defect, not bad input.
        parse_untested(UNTESTED_TOML, "spec/untested.toml")
            .unwrap_or_else(|e| panic!("spec/untested.toml is invalid: {e}"))
    })
}

/// The entry for this clause id, if no case can check it.
pub fn untested_clause(id: &str) -> Option<&'static Untested> {
    untested().iter().find(|u| u.clause == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpecErrorKind;

    const PATH: &str = "spec/untested.toml";

    #[test]
    fn the_embedded_registry_parses() {
        let all = parse_untested(UNTESTED_TOML, PATH).unwrap_or_else(|e| panic!("{e}"));
        assert!(!all.is_empty());
        assert_eq!(untested(), all.as_slice());
        for u in untested() {
            assert!(clause(&u.clause).is_some(), "{}", u.clause);
            assert!(!u.reason.trim().is_empty(), "{}", u.clause);
            assert_eq!(untested_clause(&u.clause), Some(u));
        }
        assert_eq!(untested_clause("start.once"), None);
    }

    #[test]
    fn good_inputs() {
        assert_eq!(parse_untested("", PATH).unwrap(), vec![]);
        assert_eq!(parse_untested("# only a comment\n", PATH).unwrap(), vec![]);
        let text = "[[untested]]\nclause = \"start.once\"\nreason = \"\"\"a \\\nb\"\"\"\n\n\
                    [[untested]]\nreason = \"why\"\nclause = \"join.timeout\"\n";
        assert_eq!(
            parse_untested(text, PATH).unwrap(),
            vec![
                Untested {
                    clause: "start.once".into(),
                    reason: "a b".into()
                },
                Untested {
                    clause: "join.timeout".into(),
                    reason: "why".into()
                },
            ]
        );
    }

    /// Each bad input, the kind and line of its error, and a piece of the
    /// message.
    #[test]
    fn bad_inputs_name_the_line() {
        use SpecErrorKind::{Invalid, Syntax};
        let entry = |clause: &str, reason: &str| {
            format!("[[untested]]\nclause = {clause:?}\nreason = {reason:?}\n")
        };
        let cases: Vec<(&str, String, SpecErrorKind, usize, &str)> = vec![
            (
                "unknown clause",
                format!("# header\n\n{}", entry("start.nope", "why")),
                Invalid,
                4,
                "\"start.nope\" is not a clause",
            ),
            (
                "not a slug",
                entry("Start Once", "why"),
                Invalid,
                2,
                "is not a clause",
            ),
            (
                "listed twice",
                format!(
                    "{}\n{}",
                    entry("start.once", "why"),
                    entry("start.once", "again")
                ),
                Invalid,
                6,
                "\"start.once\" is listed twice",
            ),
            (
                "empty reason",
                entry("start.once", ""),
                Invalid,
                3,
                "has no reason",
            ),
            (
                "blank reason",
                format!(
                    "{}\n[[untested]]\nclause = \"join.timeout\"\nreason = \"\"\"\n  \n\"\"\"\n",
                    entry("start.once", "why")
                ),
                Invalid,
                7,
                "\"join.timeout\" has no reason",
            ),
            (
                "unknown field in an entry",
                format!("{}because = \"x\"\n", entry("start.once", "why")),
                Syntax,
                4,
                "unknown field",
            ),
            (
                "unknown top-level table",
                format!("{}\n[[clause]]\nid = \"x\"\n", entry("start.once", "why")),
                Syntax,
                5,
                "unknown field",
            ),
            (
                "missing reason",
                "\n[[untested]]\nclause = \"start.once\"\n".to_string(),
                Syntax,
                2,
                "missing field `reason`",
            ),
            (
                "missing clause",
                "[[untested]]\nreason = \"why\"\n".to_string(),
                Syntax,
                1,
                "missing field `clause`",
            ),
            (
                "reason not a string",
                "[[untested]]\nclause = \"start.once\"\nreason = 3\n".to_string(),
                Syntax,
                3,
                "string",
            ),
            (
                "not TOML",
                format!("{}clause = = 1\n", entry("start.once", "why")),
                Syntax,
                4,
                "",
            ),
        ];
        for (name, text, kind, line, message) in cases {
            let e = match parse_untested(&text, PATH) {
                Ok(v) => panic!("{name}: parsed as {v:?}"),
                Err(e) => e,
            };
            assert_eq!(
                (e.kind(), e.line(), e.path()),
                (kind, line, PATH),
                "{name}: {e}"
            );
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("{PATH}:{line}: ")),
                "{name}: {shown}"
            );
            assert!(shown.contains(message), "{name}: {shown}");
        }
    }
}
