//! [`Host`]: the [`Adapter`] over any [`Lifecycle`] implementation. Ops at
//! `main` run on a worker thread (for the deadline: a hung op leaves the
//! thread behind, the tree is killed, a fresh worker starts); ops at an
//! agent are routed down the tree of agents by path. Every answer carries
//! the pids started anywhere in the tree meanwhile, so the host knows what
//! a reset must kill without asking.

use super::executor;
use super::Lifecycle;
use crate::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_spec::vocab::{Capability, Op, Outcome, Ref, Step};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// The default deadline of one op.
pub const OP_DEADLINE: Duration = Duration::from_secs(20);

enum Job {
    Step(Vec<Ref>, Step),
    Reset,
    Pids,
}

enum Answer {
    /// The outcome, and the pids started meanwhile.
    Observed(Observed, Vec<u32>),
    Done,
    Pids(Vec<u32>),
}

struct Worker {
    jobs: Sender<Job>,
    answers: Receiver<Answer>,
}

impl Worker {
    fn new<L: Lifecycle>(lifecycle: L, dir: PathBuf) -> Worker {
        let (jobs, job_rx) = channel::<Job>();
        let (answer_tx, answers) = channel();
        std::thread::Builder::new()
            .name("procspec-lifecycle-main".into())
            .spawn(move || {
                executor::configure(lifecycle, dir);
                for job in job_rx {
                    let answer = match job {
                        Job::Step(path, step) => {
                            let observed = executor::execute::<L>(&path, &step);
                            Answer::Observed(observed, executor::take_started())
                        }
                        Job::Reset => {
                            executor::reset::<L>();
                            Answer::Done
                        }
                        Job::Pids => Answer::Pids(executor::child_pids::<L>()),
                    };
                    if answer_tx.send(answer).is_err() {
                        return;
                    }
                }
            })
            .expect("spawn the host's worker thread");
        Worker { jobs, answers }
    }

    fn ask(&self, job: Job, deadline: Duration) -> Result<Answer, RecvTimeoutError> {
        self.jobs
            .send(job)
            .map_err(|_| RecvTimeoutError::Disconnected)?;
        let until = Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self
                .answers
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Err(RecvTimeoutError::Timeout)
                    if !left.is_zero() && !crate::supervisor::stop_requested() => {}
                other => return other,
            }
        }
    }
}

/// The adapter over a [`Lifecycle`] implementation.
pub struct Host<L: Lifecycle> {
    lifecycle: L,
    info: AdapterInfo,
    worker: Option<Worker>,
    /// Who created each agent, to route ops down the tree.
    parents: BTreeMap<Ref, Ref>,
    /// Every process started anywhere in the tree: reset kills exactly
    /// these (some may have been orphaned to the runner), so that anything
    /// else left behind is the leak guard's to find.
    tree: Vec<u32>,
    deadline: Duration,
    /// Where the children's sockets are made (removed on drop).
    dir: PathBuf,
}

impl<L: Lifecycle> Host<L> {
    /// The host of `lifecycle` (the value main's executor starts from).
    pub fn new(lifecycle: L) -> Host<L> {
        let i = lifecycle.info();
        let mut capabilities = i.capabilities;
        let mut supplied = vec![Capability::Agent];
        // Orphans are counted by the runner as their subreaper: not on the
        // portable backend (macOS, the BSDs), which has none.
        if crate::guard::subreaper_available() {
            supplied.push(Capability::Orphans);
        } else {
            capabilities.retain(|c| *c != Capability::Orphans);
        }
        // The host records each sentinel's descriptor at start().
        if capabilities.contains(&Capability::Sentinel) {
            supplied.push(Capability::Descriptors);
        }
        for c in supplied {
            if !capabilities.contains(&c) {
                capabilities.push(c);
            }
        }
        let dir = std::env::temp_dir().join(format!(
            "procspec-host-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        Host {
            lifecycle,
            info: AdapterInfo {
                implementation: i.implementation,
                version: i.version,
                start_method: i.start_method,
                capabilities,
                protocol_version: 0,
                class_name: "Process".into(),
                platform: procspec_protocol::platform(),
            },
            worker: None,
            parents: BTreeMap::new(),
            tree: Vec::new(),
            deadline: OP_DEADLINE,
            dir,
        }
    }

    /// Change the deadline of one op.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    fn worker(&mut self) -> &Worker {
        if self.worker.is_none() {
            let _ = std::fs::create_dir_all(&self.dir);
            self.worker = Some(Worker::new(self.lifecycle.clone(), self.dir.clone()));
        }
        self.worker.as_ref().expect("just made")
    }

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

    fn abandon(&mut self) {
        self.worker = None;
        crate::guard::kill_pids(&self.tree);
        crate::guard::reap_zombies_among(&self.tree);
        self.tree.clear();
        self.parents.clear();
    }
}

impl<L: Lifecycle> Drop for Host<L> {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl<L: Lifecycle> Adapter for Host<L> {
    fn info(&self) -> &AdapterInfo {
        &self.info
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        let path = self.path(&step.at);
        let deadline = self.deadline;
        match self.worker().ask(Job::Step(path, step.clone()), deadline) {
            Ok(Answer::Observed(o, started)) => {
                if let (Op::Create { id, .. }, Outcome::Ok(_)) = (&step.op, &o.outcome) {
                    self.parents.insert(id.clone(), step.at.clone());
                }
                self.tree.extend(started);
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
        // orphans), then the implementation kills and reaps its own
        // children: a zombie it failed to reap is the leak guard's to find.
        let own = self.own_pids();
        let below: Vec<u32> = self
            .tree
            .iter()
            .copied()
            .filter(|p| !own.contains(p))
            .collect();
        crate::guard::kill_pids(&below);
        // Dead before the reset answers: those orphaned to a runner in
        // another process (behind `serve`) are its to reap, and it reaps
        // right after the answer.
        crate::guard::wait_ended(&below, Instant::now() + deadline);
        let r = self.worker().ask(Job::Reset, deadline);
        // Grandchildren that died while their agent lived were passed to
        // this process as zombies when the agent died: ours to reap.
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
