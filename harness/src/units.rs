//! The units of a run: every case, and the state machine's sequences in
//! *blocks* of [`BLOCK`]. A unit is what can run anywhere on its own (in a
//! worker process, in a nextest shard on another machine) and still give
//! the results a whole run gives, so that shard outputs merge into the
//! report one machine writes.
//!
//! **Invariant:** the sequences of a block depend only on the run's seed,
//! the block's index and the implementation (its capabilities and the
//! clauses its expectations steer around), never on which other units ran
//! before it or where: block `b` is a state-machine run of its own with
//! seed [`block_seed`]`(seed, b)` (block 0 keeps the run's seed, so a run
//! of at most [`BLOCK`] sequences is what it was before blocks existed).
//! Its passing sequences are `sequence/<n>` with `n` counted over the whole
//! run (`b * BLOCK + 1` ...), its shrunk failure `sequence/<block seed in
//! hex>`. A block stops at its first failure, as the state machine does;
//! the next block starts afresh.

use procspec_spec::results::{CaseResult, ResultKind, Status};

/// Sequences per block.
pub const BLOCK: u32 = 16;

/// One unit of a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// One case file, by id.
    Case(String),
    /// One block of sequences, by index.
    Block(u32),
}

impl Unit {
    /// `case:<id>` or `block:<index>` (test names, file names, `--unit`).
    pub fn name(&self) -> String {
        match self {
            Unit::Case(id) => format!("case:{id}"),
            Unit::Block(b) => format!("block:{b}"),
        }
    }

    /// The inverse of [`Unit::name`].
    pub fn parse(s: &str) -> Option<Unit> {
        if let Some(id) = s.strip_prefix("case:") {
            return (!id.is_empty()).then(|| Unit::Case(id.to_string()));
        }
        s.strip_prefix("block:")?.parse().ok().map(Unit::Block)
    }
}

/// Which units to run: all, or only some (a shard, a worker's share).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection(Option<Vec<Unit>>);

impl Selection {
    /// Every unit.
    pub fn all() -> Selection {
        Selection(None)
    }

    /// Only `units`.
    pub fn only(units: Vec<Unit>) -> Selection {
        Selection(Some(units))
    }

    /// Whether `unit` is selected.
    pub fn has(&self, unit: &Unit) -> bool {
        self.0.as_ref().is_none_or(|u| u.contains(unit))
    }

    /// Whether every unit is.
    pub fn is_all(&self) -> bool {
        self.0.is_none()
    }
}

/// The blocks of `sequences` sequences.
pub fn block_count(sequences: u32) -> u32 {
    sequences.div_ceil(BLOCK)
}

/// Block `b`'s first sequence number (1-based, over the whole run) and its
/// sequence count.
pub fn block_range(sequences: u32, b: u32) -> (u32, u32) {
    let first = b * BLOCK;
    (first + 1, sequences.saturating_sub(first).min(BLOCK))
}

/// The state machine's seed for block `b`: the run's seed for block 0, a
/// splitmix64 mix of seed and index for the others.
pub fn block_seed(seed: u64, b: u32) -> u64 {
    if b == 0 {
        return seed;
    }
    let mut z = seed ^ u64::from(b).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A `not-run` result for a case, saying why.
pub fn not_run_case(id: &str, clauses: &[String], why: &str) -> CaseResult {
    not_run(id.to_string(), ResultKind::Case, clauses.to_vec(), why)
}

/// `not-run` results for block `b`'s sequences, saying why.
pub fn not_run_block(sequences: u32, b: u32, why: &str) -> Vec<CaseResult> {
    let (first, count) = block_range(sequences, b);
    (first..first + count)
        .map(|n| {
            not_run(
                format!("sequence/{n}"),
                ResultKind::Sequence,
                Vec::new(),
                why,
            )
        })
        .collect()
}

fn not_run(id: String, kind: ResultKind, clauses: Vec<String>, why: &str) -> CaseResult {
    CaseResult {
        id,
        kind,
        clauses,
        status: Status::NotRun,
        expected: Vec::new(),
        observed: None,
        message: Some(why.to_string()),
        ops: Vec::new(),
        root: None,
        observer: None,
        replay: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_sequences() {
        assert_eq!(block_count(0), 0);
        assert_eq!(block_count(16), 1);
        assert_eq!(block_count(17), 2);
        assert_eq!(block_range(40, 0), (1, 16));
        assert_eq!(block_range(40, 2), (33, 8));
        assert_eq!(block_seed(7, 0), 7);
        assert_ne!(block_seed(7, 1), block_seed(7, 2));
        assert_eq!(block_seed(7, 3), block_seed(7, 3));
    }

    #[test]
    fn unit_names_round_trip() {
        for u in [Unit::Case("start/twice".into()), Unit::Block(3)] {
            assert_eq!(Unit::parse(&u.name()), Some(u));
        }
        assert_eq!(Unit::parse("case:"), None);
        assert_eq!(Unit::parse("x"), None);
    }
}
