//! The suite's own mutation score, two ways, as the reports show it:
//!
//! - the **catalogue of reference mutants** (`harness/tests/mutants.rs`):
//!   for every `must` clause, a variant of the reference adapter with that
//!   one rule broken, and which root clause the suite found it on, with how
//!   many ops. The test writes `kills.json`;
//! - **cargo-mutants** on the model (`spec/`) and the reference
//!   (`reference/`): caught, missed, unviable and timed-out mutants per
//!   crate. `scripts/mutants.sh` writes `cargo-mutants.json`.
//!
//! Both live in `DIR/mutation/` beside the run files, and both are
//! optional: [`load_mutation`] gives what is there.

use crate::error::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;

/// What the reports know about the suite's mutation score.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Mutation {
    /// The catalogue's kill matrix (`mutation/kills.json`).
    pub catalogue: Option<KillMatrix>,
    /// cargo-mutants' scores (`mutation/cargo-mutants.json`).
    pub cargo_mutants: Option<CargoMutants>,
}

impl Mutation {
    /// Both parts given.
    pub fn new(catalogue: Option<KillMatrix>, cargo_mutants: Option<CargoMutants>) -> Mutation {
        Mutation {
            catalogue,
            cargo_mutants,
        }
    }

    /// Nothing known.
    pub fn is_empty(&self) -> bool {
        self.catalogue.is_none() && self.cargo_mutants.is_none()
    }
}

/// `kills.json`: each mutant of the catalogue, and what the suite found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillMatrix {
    /// In catalogue order.
    pub mutants: Vec<Kill>,
}

/// One mutant of the reference adapter and its fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kill {
    /// A stable slug: `terminate-sends-sigkill`.
    pub mutant: String,
    /// The clause the mutant breaks.
    pub breaks: String,
    /// What the mutant does, for people.
    pub description: String,
    /// The root clause of the failure the suite reported; `None` when the
    /// suite did not fail (the mutant survived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// What caught it: a case id, or `sequence` (the state machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The counterexample's length in ops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<usize>,
    /// The clauses the root clause implies (`procspec_spec::model::implied`),
    /// violated with it: an invariant restating the broken rule, which
    /// the model never roots a failure on itself (Elle reports the weakest
    /// violated property and the stronger ones it implies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implies: Vec<String>,
}

impl Kill {
    /// Killed on the clause it breaks.
    pub fn killed(&self) -> bool {
        self.found.as_deref() == Some(self.breaks.as_str())
    }
}

/// `cargo-mutants.json`: one entry per crate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CargoMutants {
    /// By crate name.
    pub crates: Vec<CrateScore>,
}

/// cargo-mutants' outcome counts for one crate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateScore {
    /// The crate: `procspec-spec`.
    #[serde(rename = "crate")]
    pub name: String,
    /// Mutants some test failed on.
    pub caught: u64,
    /// Mutants every test passed with.
    pub missed: u64,
    /// Mutants that did not build.
    pub unviable: u64,
    /// Mutants whose tests hung past the timeout (counted as caught).
    pub timeout: u64,
    /// How many mutants the crate has in all; more than the four counts
    /// add up to when the run did not finish.
    pub total: u64,
    /// Wall time of the run, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<u64>,
    /// Missed mutants listed as equivalent (with the reason) in
    /// `mutants/triage.md`.
    #[serde(default)]
    pub equivalent: u64,
}

impl CrateScore {
    /// Caught (timeouts included) over the viable mutants tested, less the
    /// missed ones triaged as equivalent, in percent; `None` before any was
    /// tested.
    pub fn percent(&self) -> Option<f64> {
        let killed = self.caught + self.timeout;
        let judged = killed + self.missed.saturating_sub(self.equivalent);
        (judged > 0).then(|| 100.0 * killed as f64 / judged as f64)
    }

    /// Mutants tested so far.
    pub fn tested(&self) -> u64 {
        self.caught + self.missed + self.unviable + self.timeout
    }

    /// `94.1 % (160 caught, 10 missed, 3 timeout, 20 unviable)`, with
    /// `of N tested so far` when the run was partial.
    pub fn summary(&self) -> String {
        let pct = self
            .percent()
            .map(|p| format!("{p:.1} %"))
            .unwrap_or_else(|| "n/a".to_string());
        let mut s = format!(
            "{pct} ({} caught, {} missed ({} equivalent), {} timeout, {} unviable)",
            self.caught, self.missed, self.equivalent, self.timeout, self.unviable
        );
        if self.tested() < self.total {
            s.push_str(&format!(
                "; partial run: {} of {} mutants tested",
                self.tested(),
                self.total
            ));
        }
        if let Some(w) = self.wall_seconds {
            s.push_str(&format!("; {}m{:02}s", w / 60, w % 60));
        }
        s
    }
}

/// Load `dir/mutation/kills.json` and `dir/mutation/cargo-mutants.json`,
/// each when present. A file that is there but malformed is an error
/// naming it.
pub fn load_mutation(dir: &Path) -> Result<Mutation, Error> {
    let dir = dir.join("mutation");
    Ok(Mutation {
        catalogue: load_json(&dir.join("kills.json"))?,
        cargo_mutants: load_json(&dir.join("cargo-mutants.json"))?,
    })
}

fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, Error> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs::read_to_string(path)
        .map_err(|e| Error::new(ErrorKind::ReadFile, path, format!("cannot read file: {e}")))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::from_json(path, &e))
}
