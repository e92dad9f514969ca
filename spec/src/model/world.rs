//! The model's state: process objects (handles) and the OS processes they
//! started.

use crate::platform::Platform;
use crate::vocab::{Ref, Target};
use std::collections::{BTreeMap, BTreeSet};

/// The main process's name.
pub const MAIN_NAME: &str = "MainProcess";

/// Where a fact the model holds comes from: the clause that established it
/// and, once the checker has stamped it, the index of the step that did.
///
/// Provenance is bookkeeping, not state: two worlds that differ only in
/// their `Why`s are the same world (`Why` compares equal to every `Why` and
/// hashes to nothing), so arms, snapshots and the state machine see no
/// difference.
#[derive(Debug, Clone, Copy)]
pub struct Why {
    /// The clause that established the fact.
    pub clause: &'static str,
    /// The step that established it (`None` until the checker stamps it).
    pub step: Option<usize>,
}

impl Why {
    /// A fact established by `clause` at the step being modelled.
    pub const fn by(clause: &'static str) -> Why {
        Why { clause, step: None }
    }
}

impl Default for Why {
    fn default() -> Why {
        Why::by("model")
    }
}

impl PartialEq for Why {
    fn eq(&self, _: &Why) -> bool {
        true
    }
}
impl Eq for Why {}
impl std::hash::Hash for Why {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// An authkey as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// The main process's random key (or one inherited from it).
    Root,
    /// A key set explicitly: its fingerprint and its length in bytes.
    Set(String, usize),
}

/// Where an OS process is in its life, from its creator's point of view.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Life {
    /// A `block` target waiting for release.
    Blocked,
    /// An `ignore-sigterm` target waiting for release.
    Ignoring,
    /// An agent serving ops.
    Serving,
    /// A released agent that cannot exit: its exit handler waits for a
    /// child that will not end (a non-daemonic blocked child, a daemonic
    /// child that ignores SIGTERM).
    Stuck,
    /// A released agent held only by daemonic children that ignore
    /// SIGTERM: CPython's exit handler joins them after the SIGTERM and so
    /// waits forever; the docs say daemonic children are "terminated (and
    /// not joined)", so an implementation may exit with 0. Either is
    /// allowed (`daemon.not-joined` is a `should`).
    Lingering,
    /// Will end (or has ended) with one of these codes; nobody has
    /// observed which yet.
    Exiting(BTreeSet<i32>),
    /// Known to have ended (its creator polled it) with one of these codes.
    Exited(BTreeSet<i32>),
}

impl Life {
    /// Alive for sure.
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            Life::Blocked | Life::Ignoring | Life::Serving | Life::Stuck
        )
    }
}

/// An OS process, keyed by the ref of the object that started it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Proc {
    /// What it runs.
    pub target: Target,
    /// Where in its life it is.
    pub life: Life,
    /// Whether SIGTERM is ignored (an `ignore-sigterm` target).
    pub ignores_sigterm: bool,
    /// `current_process().name` inside it: the object's name at `start()`.
    pub name: String,
    /// Its daemon flag at `start()`.
    pub daemon: bool,
    /// Its authkey at `start()`.
    pub key: Key,
    /// Its identity chain (`Process-1:2` is `[1, 2]`).
    pub identity: Vec<u32>,
    /// The process that started it.
    pub parent: Ref,
    /// What established `life`'s exit codes (a target, a signal).
    pub life_why: Why,
    /// What established `name`.
    pub name_why: Why,
    /// What established `daemon`.
    pub daemon_why: Why,
    /// What established `key`.
    pub key_why: Why,
    /// What made its creator see it end (and so reap it): the op that
    /// turned its life `Exited` (a join, a poll, `active_children()`).
    pub seen_ended_why: Why,
}

/// A process object held by some process.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle {
    /// The process that constructed the object (for an inherited copy, the
    /// original's creator).
    pub creator: Ref,
    /// `name`.
    pub name: String,
    /// `daemon`.
    pub daemon: bool,
    /// `authkey`.
    pub key: Key,
    /// The target given to the constructor.
    pub target: Target,
    /// Whether `start()` succeeded on this object (for a copy: on the
    /// original, before the copy was made).
    pub started: bool,
    /// Whether `close()` succeeded.
    pub closed: bool,
    /// Its identity chain, fixed at construction.
    pub identity: Vec<u32>,
    /// What established `name`.
    pub name_why: Why,
    /// What established `daemon`.
    pub daemon_why: Why,
    /// What established `key`.
    pub key_why: Why,
    /// What established `started` / `closed`.
    pub state_why: Why,
}

/// The state of a whole run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct World {
    /// Process objects by (holding process, ref).
    pub handles: BTreeMap<(Ref, Ref), Handle>,
    /// OS processes by the ref of the object that started them.
    pub procs: BTreeMap<Ref, Proc>,
    /// Each process's construction counter (the `N` of `Process-N`).
    pub counters: BTreeMap<Ref, u32>,
    /// Whether children started by fork inherit their creator's objects.
    pub inherit_handles: bool,
    /// The class under test's name, which default names start with
    /// (CPython: `type(self).__name__ + '-' + identity`); empty means
    /// `Process`.
    pub class_name: String,
    /// Where the implementation runs: signals' exit codes and whether a
    /// SIGTERM can be ignored depend on it (`spec/src/platform.rs`).
    pub platform: Platform,
}

impl World {
    /// An empty run: only the main process.
    pub fn new(inherit_handles: bool) -> World {
        World {
            inherit_handles,
            ..World::default()
        }
    }

    /// The same run, for objects of the class `class_name` (default names
    /// `<class_name>-N`).
    pub fn of_class(mut self, class_name: &str) -> World {
        self.class_name = class_name.to_string();
        self
    }

    /// The same run, on `platform` (default: Linux, the Unix outcomes).
    pub fn on(mut self, platform: Platform) -> World {
        self.platform = platform;
        self
    }

    /// The prefix of default names.
    pub fn default_name_prefix(&self) -> &str {
        if self.class_name.is_empty() {
            "Process"
        } else {
            &self.class_name
        }
    }

    /// Whether ops can be executed at `at`: the main process, or an agent
    /// that serves and can be reached, i.e. every agent between main and it
    /// serves too (ops travel down the tree; an orphaned agent is out of
    /// reach).
    pub fn serves(&self, at: &Ref) -> bool {
        let mut cur = at;
        while !cur.is_main() {
            match self.procs.get(cur) {
                Some(p) if p.life == Life::Serving => cur = &p.parent,
                _ => return false,
            }
        }
        true
    }

    /// `current_process().name` at `at`.
    pub fn name_of(&self, at: &Ref) -> String {
        match self.procs.get(at) {
            Some(p) if !at.is_main() => p.name.clone(),
            _ => MAIN_NAME.to_string(),
        }
    }

    /// `current_process().daemon` at `at`.
    pub fn daemon_of(&self, at: &Ref) -> bool {
        self.procs.get(at).is_some_and(|p| p.daemon)
    }

    /// `current_process().authkey` at `at`.
    pub fn key_of(&self, at: &Ref) -> Key {
        self.procs.get(at).map_or(Key::Root, |p| p.key.clone())
    }

    /// The identity chain of the process `at`.
    pub fn identity_of(&self, at: &Ref) -> Vec<u32> {
        self.procs
            .get(at)
            .map_or_else(Vec::new, |p| p.identity.clone())
    }

    /// Whether `r` names any object anywhere.
    pub fn knows(&self, r: &Ref) -> bool {
        r.is_main() || self.handles.keys().any(|(_, p)| p == r)
    }

    /// The refs of the objects `holder` created itself and started.
    pub fn own_started(&self, holder: &Ref) -> Vec<Ref> {
        self.handles
            .iter()
            .filter(|((h, _), o)| h == holder && &o.creator == holder && o.started)
            .map(|((_, p), _)| p.clone())
            .collect()
    }

    /// Whether the process `r` has died or is dying (so its children are,
    /// or are about to be, orphans).
    pub fn dead_or_dying(&self, r: &Ref) -> (bool, bool) {
        match self.procs.get(r).map(|p| &p.life) {
            Some(Life::Exited(_)) => (true, true),
            Some(Life::Exiting(_)) | Some(Life::Lingering) => (false, true),
            _ => (false, false),
        }
    }

    /// Give every fact established by the step just modelled (a `Why`
    /// without a step) the index of that step.
    pub fn stamp(&mut self, step: usize) {
        let mark = |w: &mut Why| {
            w.step.get_or_insert(step);
        };
        for h in self.handles.values_mut() {
            mark(&mut h.name_why);
            mark(&mut h.daemon_why);
            mark(&mut h.key_why);
            mark(&mut h.state_why);
        }
        for x in self.procs.values_mut() {
            mark(&mut x.life_why);
            mark(&mut x.name_why);
            mark(&mut x.daemon_why);
            mark(&mut x.key_why);
            mark(&mut x.seen_ended_why);
        }
    }

    /// A one-line summary of the process object `p` held at `holder`, for
    /// the transition table.
    pub fn describe(&self, holder: &Ref, p: &Ref) -> String {
        let Some(h) = self.handles.get(&(holder.clone(), p.clone())) else {
            return "absent".to_string();
        };
        let copy = if &h.creator != holder { "copy " } else { "" };
        let life = if h.closed {
            "closed".to_string()
        } else if !h.started {
            "created".to_string()
        } else {
            match self.procs.get(p).map(|x| &x.life) {
                Some(Life::Blocked) => "running".into(),
                Some(Life::Ignoring) => "running ignoring-sigterm".into(),
                Some(Life::Serving) => "running agent".into(),
                Some(Life::Stuck) => "running stuck".into(),
                Some(Life::Lingering) => "lingering".into(),
                Some(Life::Exiting(c)) => format!("exiting {}", codes(c)),
                Some(Life::Exited(c)) => format!("exited {}", codes(c)),
                None => "started".into(),
            }
        };
        let daemon = if h.daemon { " daemon" } else { "" };
        format!("{copy}{life}{daemon}")
    }
}

fn codes(c: &BTreeSet<i32>) -> String {
    let v: Vec<String> = c.iter().map(i32::to_string).collect();
    v.join("|")
}
