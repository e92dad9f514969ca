//! The reference adapter: procspec's own Rust implementation, in process.
//!
//! Ops at `main` run on a worker thread of the runner, through the
//! executor. Ops at an agent are forwarded down the tree of agent children,
//! each of which runs the same executor. The worker thread exists for the
//! deadline: a hung op leaves the thread behind, the runner kills the
//! process tree (which unblocks it) and carries on with a fresh worker.

mod agent;
mod executor;
mod link;
mod targets;

pub use executor::map_kind;
pub use targets::register_targets;

use crate::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_reference::StartMethod;
use procspec_spec::vocab::{Capability, Op, Outcome, Ref, Step};
use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// The default deadline of one op.
pub const OP_DEADLINE: Duration = Duration::from_secs(20);

enum Job {
    Step(Vec<Ref>, Step),
    Reset,
    Pids,
}

enum Answer {
    Observed(Observed),
    Done,
    Pids(Vec<u32>),
}

struct Worker {
    jobs: Sender<Job>,
    answers: Receiver<Answer>,
}

impl Worker {
    fn new(method: StartMethod) -> Worker {
        let (jobs, job_rx) = channel::<Job>();
        let (answer_tx, answers) = channel();
        std::thread::Builder::new()
            .name("procspec-reference-main".into())
            .spawn(move || {
                executor::configure(method);
                for job in job_rx {
                    let answer = match job {
                        Job::Step(path, step) => Answer::Observed(executor::execute(&path, &step)),
                        Job::Reset => {
                            executor::reset();
                            Answer::Done
                        }
                        Job::Pids => Answer::Pids(executor::child_pids()),
                    };
                    if answer_tx.send(answer).is_err() {
                        return;
                    }
                }
            })
            .expect("spawn the adapter's worker thread");
        Worker { jobs, answers }
    }

    /// Wait for the answer; a stop request (SIGINT, SIGTERM) ends the
    /// wait early, as a timeout, so that an interrupted run stops promptly.
    fn ask(&self, job: Job, deadline: Duration) -> Result<Answer, RecvTimeoutError> {
        self.jobs
            .send(job)
            .map_err(|_| RecvTimeoutError::Disconnected)?;
        let until = std::time::Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            let slice = left.min(Duration::from_millis(100));
            match self.answers.recv_timeout(slice) {
                Err(RecvTimeoutError::Timeout)
                    if !left.is_zero() && !crate::watchdog::stop_requested() => {}
                other => return other,
            }
        }
    }
}

/// The reference implementation under one start method.
pub struct ReferenceAdapter {
    info: AdapterInfo,
    method: StartMethod,
    worker: Option<Worker>,
    /// Who created each agent, to route ops down the tree.
    parents: BTreeMap<Ref, Ref>,
    /// Every process started anywhere in the tree: reset kills exactly
    /// these (some may have been orphaned to the runner), so that anything
    /// else left behind is the leak guard's to find.
    tree: Vec<u32>,
    deadline: Duration,
}

impl ReferenceAdapter {
    /// The reference under `method`. Spawn needs [`register_targets`] and
    /// `procspec_reference::init()` at the top of `main` (or of the test
    /// binary's spawn entry).
    pub fn new(method: StartMethod) -> ReferenceAdapter {
        let mut capabilities = vec![
            Capability::Terminate,
            Capability::Kill,
            Capability::Sentinel,
            Capability::Daemon,
            Capability::Authkey,
            Capability::Close,
            Capability::JoinTimeout,
            Capability::Agent,
            Capability::Run,
            Capability::Orphans,
            Capability::AuthkeySerialize,
            Capability::Descriptors,
        ];
        // Orphans are counted by the runner as their subreaper: not on the
        // portable backend (macOS, the BSDs), which has none.
        if !crate::guard::install() {
            capabilities.retain(|c| *c != Capability::Orphans);
        }
        if method == StartMethod::Fork {
            capabilities.extend([Capability::Fork, Capability::InheritHandles]);
        }
        let name = if method == StartMethod::Fork {
            "fork"
        } else {
            "spawn"
        };
        ReferenceAdapter {
            info: AdapterInfo {
                implementation: "procspec-reference".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                start_method: name.into(),
                capabilities,
                protocol_version: 0,
                class_name: "Process".into(),
            },
            method,
            worker: None,
            parents: BTreeMap::new(),
            tree: Vec::new(),
            deadline: OP_DEADLINE,
        }
    }

    /// Change the deadline of one op.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    fn worker(&mut self) -> &Worker {
        let method = self.method;
        self.worker.get_or_insert_with(|| Worker::new(method))
    }

    /// The agents from main's child down to `at`.
    fn path(&self, at: &Ref) -> Vec<Ref> {
        let mut path = Vec::new();
        let mut cur = at.clone();
        while !cur.is_main() {
            path.push(cur.clone());
            match self.parents.get(&cur) {
                Some(p) => cur = p.clone(),
                None => break,
            }
        }
        path.reverse();
        path
    }

    /// Note the pid of a child just started (not a step of the run: the
    /// checker never sees it).
    fn remember_pid(&mut self, at: &Ref, p: &Ref) {
        let path = self.path(at);
        let probe = Step {
            at: at.clone(),
            op: Op::Pid { p: p.clone() },
        };
        let deadline = self.deadline;
        if let Ok(Answer::Observed(o)) = self.worker().ask(Job::Step(path, probe), deadline) {
            if let Outcome::Ok(procspec_spec::vocab::Value::Pid(pid)) = o.outcome {
                self.tree.push(pid);
            }
        }
    }

    /// A hung op: kill the whole tree (which unblocks the worker) and start
    /// afresh with a new worker.
    fn abandon(&mut self) {
        self.worker = None;
        crate::guard::kill_pids(&self.tree);
        crate::guard::reap_zombies_among(&self.tree);
        self.tree.clear();
        self.parents.clear();
    }
}

impl Adapter for ReferenceAdapter {
    fn info(&self) -> &AdapterInfo {
        &self.info
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        let path = self.path(&step.at);
        let deadline = self.deadline;
        match self.worker().ask(Job::Step(path, step.clone()), deadline) {
            Ok(Answer::Observed(o)) => {
                match (&step.op, &o.outcome) {
                    (Op::Create { id, .. }, Outcome::Ok(_)) => {
                        self.parents.insert(id.clone(), step.at.clone());
                    }
                    (Op::Start { p }, Outcome::Ok(_)) => self.remember_pid(&step.at, p),
                    _ => {}
                }
                Ok(o)
            }
            Ok(_) => Err(AdapterFailure::Crash {
                message: "worker answered out of turn".into(),
            }),
            Err(RecvTimeoutError::Timeout) => {
                self.abandon();
                Err(AdapterFailure::Timeout {
                    op: step.to_string(),
                    after: deadline,
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.abandon();
                Err(AdapterFailure::Crash {
                    message: format!("the worker thread died during `{step}`"),
                })
            }
        }
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        let deadline = self.deadline;
        // Everything below main's own children first (grandchildren,
        // orphans), then the reference kills and reaps its own children:
        // a zombie it failed to reap is then the leak guard's to find.
        let own = self.own_pids();
        let below: Vec<u32> = self
            .tree
            .iter()
            .copied()
            .filter(|p| !own.contains(p))
            .collect();
        crate::guard::kill_pids(&below);
        // Dead before the reset answers: those orphaned to a runner in
        // another process are its to reap, and it reaps after the answer.
        crate::guard::wait_ended(&below, std::time::Instant::now() + deadline);
        let r = self.worker().ask(Job::Reset, deadline);
        // Grandchildren that died while their agent lived were passed to the
        // runner as zombies when the agent died: they are ours to reap.
        crate::guard::reap_zombies_among(&below);
        self.tree.clear();
        self.parents.clear();
        match r {
            Ok(_) => Ok(()),
            Err(_) => {
                self.abandon();
                Err(AdapterFailure::Timeout {
                    op: "reset".into(),
                    after: deadline,
                })
            }
        }
    }

    fn own_pids(&self) -> Vec<u32> {
        match &self.worker {
            Some(w) => match w.ask(Job::Pids, self.deadline) {
                Ok(Answer::Pids(p)) => p,
                _ => Vec::new(),
            },
            None => Vec::new(),
        }
    }
}
