//! The executor: the process objects one process holds, by ref, and the ops
//! on them. The main side and every agent child run the same executor; an
//! op addressed further down the tree is forwarded along its path.
//!
//! The executor is thread-local on purpose: a child started by fork is a
//! copy of the thread that called `start()`, so a forked agent finds its
//! creator's objects in its own executor, exactly as a CPython child finds
//! the parent's `Process` objects in its memory. No borrow of the executor
//! is held across `start()`, so the copy is never found borrowed.

use super::link::AgentLink;
use super::targets::{reference_target, BlockArgs};
use crate::adapter::{NativeError, Observed};
use procspec_reference::{
    active_children, current_process, parent_process, Authkey, ErrorKind as RefKind, Process,
    StartMethod,
};
use procspec_spec::vocab::{
    authkey_fingerprint, ErrorKind, NameArg, Op, Outcome, Ref, Step, Target, Until, Value,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long `start()` waits for a child to report ready.
pub const READY_DEADLINE: Duration = Duration::from_secs(10);

/// One process object and the runner's pipes to its child.
pub struct Entry {
    process: Process,
    target: Target,
    /// Write end of the release pipe (blocking targets).
    release: Option<File>,
    /// Read end of the ready pipe (ignore-sigterm).
    ready: Option<File>,
    /// The child's ends, kept until `start()` hands them over.
    child_fds: Vec<OwnedFd>,
    /// The command channel of an agent child.
    agent: Option<AgentLink>,
    /// The sentinel's descriptor and the identity of what it was at
    /// `start()`, so `sentinel-open` can tell whether `close()` freed it.
    sentinel: Option<(std::os::fd::RawFd, (u64, u64))>,
}

/// The process objects of this process.
#[derive(Default)]
pub struct Executor {
    entries: BTreeMap<Ref, Entry>,
    start_method: Option<StartMethod>,
    me: Option<Ref>,
}

thread_local! {
    static EXECUTOR: RefCell<Executor> = RefCell::new(Executor::default());
}

/// Become the executor of the agent `me` (in a fresh agent child): drop
/// the object that started this very process, keep inherited copies.
pub fn become_agent(me: &Ref, start_method: StartMethod) {
    EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        if let Some(own) = e.entries.remove(me) {
            // Its child ends are this very process's channel, adopted by
            // number in `agent::serve`: they must not be closed here.
            for fd in own.child_fds {
                std::mem::forget(fd);
            }
        }
        for entry in e.entries.values_mut() {
            // Pipes to the creator's children are the creator's business.
            entry.release = None;
            entry.ready = None;
            entry.agent = None;
            entry.child_fds.clear();
        }
        e.me = Some(me.clone());
        e.start_method = Some(start_method);
    });
}

/// Set the start method of objects created here (main side).
pub fn configure(start_method: StartMethod) {
    procspec_reference::reset_process_counter();
    EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        e.start_method = Some(start_method);
        e.me = Some(Ref::main());
    });
}

/// Kill and reap every child this executor started, and forget them all.
pub fn reset() {
    let entries = EXECUTOR.with(|e| std::mem::take(&mut e.borrow_mut().entries));
    for (_, entry) in entries {
        let _ = entry.process.kill();
        let _ = entry.process.join(Some(READY_DEADLINE));
        let _ = entry.process.close();
    }
    // The model numbers objects from 1 in every run.
    procspec_reference::reset_process_counter();
}

/// Pids of the children this executor started and has not closed.
pub fn child_pids() -> Vec<u32> {
    EXECUTOR.with(|e| {
        e.borrow()
            .entries
            .values()
            .filter_map(|x| x.process.pid().ok().flatten())
            .collect()
    })
}

/// Execute `step`; `path` is the chain of agents below this process that
/// leads to `step.at` (empty: execute here).
pub fn execute(path: &[Ref], step: &Step) -> Observed {
    if let Some((next, rest)) = path.split_first() {
        let link = EXECUTOR.with(|e| {
            e.borrow_mut()
                .entries
                .get_mut(next)
                .and_then(|x| x.agent.take())
        });
        let Some(mut link) = link else {
            return unsupported(&format!("no agent channel to {next}"));
        };
        let answer = link.call(rest, step);
        EXECUTOR.with(|e| {
            if let Some(x) = e.borrow_mut().entries.get_mut(next) {
                x.agent = Some(link);
            }
        });
        return answer.unwrap_or_else(|message| Observed {
            outcome: Outcome::Err(ErrorKind::Unmapped),
            native: Some(NativeError {
                kind: "AgentFailure".into(),
                message,
            }),
            elapsed: None,
        });
    }
    let t0 = Instant::now();
    let observed = local(step);
    observed.timed(t0.elapsed())
}

fn local(step: &Step) -> Observed {
    let me = EXECUTOR
        .with(|e| e.borrow().me.clone())
        .unwrap_or_else(Ref::main);
    match &step.op {
        Op::Create {
            id,
            name,
            daemon,
            target,
            group,
        } => {
            if group.is_some() {
                return unsupported("the reference has no `group` argument");
            }
            create(id, name.as_deref(), *daemon, target)
        }
        Op::ActiveChildren => {
            let pids: Vec<u32> = active_children()
                .iter()
                .filter_map(|p| p.pid().ok().flatten())
                .collect();
            let mut refs: Vec<Ref> = EXECUTOR.with(|e| {
                e.borrow()
                    .entries
                    .iter()
                    .filter(|(_, x)| {
                        x.process
                            .pid()
                            .ok()
                            .flatten()
                            .is_some_and(|p| pids.contains(&p))
                    })
                    .map(|(r, _)| r.clone())
                    .collect()
            });
            refs.sort();
            ok(Value::Refs(refs))
        }
        Op::CurrentProcess => ok(Value::Str(current_process().name().to_string())),
        Op::ParentProcess => {
            ok(parent_process().map_or(Value::None, |p| Value::Str(p.name().to_string())))
        }
        Op::ExceptionHierarchy => unsupported("the reference has no exception hierarchy"),
        Op::Orphans => unsupported("orphans are counted by the runner"),
        op => match op.subject() {
            Some(p) if *p == me => on_self(op),
            Some(p) => {
                let found = EXECUTOR.with(|e| {
                    e.borrow()
                        .entries
                        .get(p)
                        .map(|x| (x.process.clone(), x.target.clone()))
                });
                match found {
                    Some((process, target)) => on_process(p, &process, &target, op),
                    None => unsupported(&format!("no object {p} here")),
                }
            }
            None => unsupported("op without subject"),
        },
    }
}

fn create(id: &Ref, name: Option<&str>, daemon: Option<bool>, target: &Target) -> Observed {
    let method = EXECUTOR
        .with(|e| e.borrow().start_method)
        .unwrap_or(StartMethod::Fork);
    let mut child_fds = Vec::new();
    let mut release = None;
    let mut ready = None;
    let mut agent = None;
    let reference = match target {
        Target::Block | Target::IgnoreSigterm => {
            let Ok((r, w)) = crate::sys::pipe() else {
                return os_error("pipe");
            };
            let mut args = BlockArgs {
                release: r.as_raw_fd(),
                ready: None,
            };
            child_fds.push(r);
            release = Some(File::from(w));
            if *target == Target::IgnoreSigterm {
                let Ok((rr, rw)) = crate::sys::pipe() else {
                    return os_error("pipe");
                };
                args.ready = Some(rw.as_raw_fd());
                child_fds.push(rw);
                ready = Some(File::from(rr));
            }
            reference_target(target, Some(&args))
        }
        Target::Agent => match AgentLink::create(id, method) {
            Ok((link, fds, t)) => {
                child_fds.extend(fds);
                agent = Some(link);
                t
            }
            Err(_) => return os_error("agent pipes"),
        },
        other => reference_target(other, None),
    };
    let mut builder = Process::builder(reference).start_method(method);
    if let Some(n) = name {
        builder = builder.name(n);
    }
    if let Some(d) = daemon {
        builder = builder.daemon(d);
    }
    for fd in &child_fds {
        builder = builder.pass_fd(fd.as_raw_fd());
    }
    let entry = Entry {
        process: builder.build(),
        target: target.clone(),
        release,
        ready,
        child_fds,
        agent,
        sentinel: None,
    };
    EXECUTOR.with(|e| e.borrow_mut().entries.insert(id.clone(), entry));
    ok(Value::None)
}

fn on_self(op: &Op) -> Observed {
    let me = current_process();
    match op {
        // No handle to the current process exists in the Rust API, so it
        // cannot be joined: the type system refuses what CPython raises.
        Op::Join { .. } => Observed {
            outcome: Outcome::Err(ErrorKind::NotParent),
            native: Some(NativeError {
                kind: "NoHandle".into(),
                message: "the Rust API offers no handle to join the current process".into(),
            }),
            elapsed: None,
        },
        Op::IsAlive { .. } => ok(Value::Bool(true)),
        Op::Exitcode { .. } => ok(Value::None),
        Op::Pid { .. } => ok(Value::Pid(me.pid())),
        Op::Name { .. } => ok(Value::Str(me.name().to_string())),
        Op::Daemon { .. } => ok(Value::Bool(me.daemon())),
        Op::Authkey { .. } => ok(Value::Authkey(authkey_fingerprint(me.authkey().as_bytes()))),
        Op::AuthkeyLength { .. } => ok(Value::Int(me.authkey().as_bytes().len() as i64)),
        Op::SerializeAuthkey { .. } => serialize(me.authkey()),
        other => unsupported(&format!("{} on the current process", other.name())),
    }
}

fn on_process(p: &Ref, process: &Process, target: &Target, op: &Op) -> Observed {
    let r = match op {
        Op::Run { .. } => process.run().map(|()| Value::None),
        Op::Start { .. } => return start(p, process, target),
        Op::Join { timeout_ms, .. } => process
            // A negative timeout polls, as in CPython.
            .join(timeout_ms.map(|ms| Duration::from_millis(ms.max(0) as u64)))
            .map(|()| Value::None),
        Op::Await {
            until, timeout_ms, ..
        } => await_end(process, *until, Duration::from_millis(*timeout_ms)),
        Op::SentinelOpen { .. } => {
            let recorded = EXECUTOR.with(|e| e.borrow().entries.get(p).and_then(|x| x.sentinel));
            let open = recorded.is_some_and(|(fd, id)| crate::sys::fd_identity(fd) == Some(id));
            Ok(Value::Bool(open))
        }
        Op::AuthkeyLength { .. } => process
            .authkey()
            .map(|k| Value::Int(k.as_bytes().len() as i64)),
        Op::IsAlive { .. } => process.is_alive().map(Value::Bool),
        Op::Exitcode { .. } => process
            .exitcode()
            .map(|c| c.map_or(Value::None, |c| Value::Int(c.into()))),
        Op::Pid { .. } => process.pid().map(|p| p.map_or(Value::None, Value::Pid)),
        Op::Sentinel { .. } => process
            .sentinel()
            .map(|s| Value::Sentinel(s.as_raw_fd().into())),
        Op::WaitSentinel { timeout_ms, .. } => process
            .sentinel()
            .and_then(|s| s.wait(Some(Duration::from_millis(*timeout_ms))))
            .map(Value::Bool),
        Op::Name { .. } => process.name().map(Value::Str),
        Op::SetName {
            name: NameArg::Str(name),
            ..
        } => process.set_name(name.clone()).map(|()| Value::None),
        // `set_name` takes a string: the type system refuses anything else
        // before the call, as CPython's assert does at it.
        Op::SetName {
            name: NameArg::Int(_),
            ..
        } => {
            return Observed {
                outcome: Outcome::Err(ErrorKind::InvalidArgument),
                native: Some(NativeError {
                    kind: "TypeSystem".into(),
                    message: "Process::set_name takes a string".into(),
                }),
                elapsed: None,
            }
        }
        Op::Daemon { .. } => process.daemon().map(Value::Bool),
        Op::SetDaemon { value, .. } => process.set_daemon(*value).map(|()| Value::None),
        Op::Authkey { .. } => process
            .authkey()
            .map(|k| Value::Authkey(authkey_fingerprint(k.as_bytes()))),
        Op::SetAuthkey { key_hex, .. } => match procspec_spec::authkey_from_hex(key_hex) {
            Some(bytes) => process
                .set_authkey(Authkey::new(bytes))
                .map(|()| Value::None),
            None => return unsupported("key_hex is not hex"),
        },
        Op::SerializeAuthkey { .. } => match process.authkey() {
            Ok(k) => return serialize(&k),
            Err(e) => Err(e),
        },
        Op::Terminate { .. } => process.terminate().map(|()| Value::None),
        Op::Kill { .. } => process.kill().map(|()| Value::None),
        Op::Close { .. } => process.close().map(|()| Value::None),
        Op::Release { .. } => return release(p),
        other => return unsupported(&format!("{} takes no process object", other.name())),
    };
    outcome(r)
}

fn start(p: &Ref, process: &Process, target: &Target) -> Observed {
    if let Err(e) = process.start() {
        return outcome(Err(e));
    }
    let sentinel = process.sentinel().ok().and_then(|s| {
        let fd = s.as_raw_fd();
        crate::sys::fd_identity(fd).map(|id| (fd, id))
    });
    EXECUTOR.with(|e| {
        if let Some(x) = e.borrow_mut().entries.get_mut(p) {
            x.sentinel = sentinel;
        }
    });
    // The child has its ends now; ours would keep its pipes open.
    let (ready, link) = EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        let Some(x) = e.entries.get_mut(p) else {
            return (None, None);
        };
        x.child_fds.clear();
        (x.ready.take(), x.agent.take())
    });
    let deadline = Instant::now() + READY_DEADLINE;
    let mut failure = None;
    if let Some(mut r) = ready {
        let mut byte = [0u8; 1];
        if !crate::sys::wait_readable(r.as_fd(), deadline) || r.read(&mut byte).unwrap_or(0) == 0 {
            failure = Some(format!("{p} ({target:?}) did not report ready"));
        }
    }
    if let Some(mut link) = link {
        if let Err(m) = link.wait_ready(deadline) {
            failure = Some(m);
        }
        EXECUTOR.with(|e| {
            if let Some(x) = e.borrow_mut().entries.get_mut(p) {
                x.agent = Some(link);
            }
        });
    }
    match failure {
        None => ok(Value::None),
        Some(message) => Observed {
            outcome: Outcome::Err(ErrorKind::Unmapped),
            native: Some(NativeError {
                kind: "ChildNotReady".into(),
                message,
            }),
            elapsed: None,
        },
    }
}

/// Poll `process` until `until` holds or `timeout` passes. Between polls it
/// waits on the sentinel (so an exit wakes it at once), in slices, because
/// the point is to see whether the *observation* catches up with the end.
fn await_end(
    process: &Process,
    until: Until,
    timeout: Duration,
) -> procspec_reference::Result<Value> {
    let deadline = Instant::now() + timeout;
    let me = process.pid().ok().flatten();
    loop {
        let held = match until {
            Until::NotAlive => !process.is_alive()?,
            Until::Exitcode => process.exitcode()?.is_some(),
            Until::NotActive => !active_children()
                .iter()
                .any(|c| c.pid().ok().flatten() == me),
        };
        let now = Instant::now();
        if held || now >= deadline {
            return Ok(Value::Bool(held));
        }
        let slice = (deadline - now).min(Duration::from_millis(20));
        process.sentinel()?.wait(Some(slice))?;
    }
}

fn release(p: &Ref) -> Observed {
    EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        if let Some(x) = e.entries.get_mut(p) {
            if let Some(link) = x.agent.as_mut() {
                link.release();
            }
            if let Some(w) = x.release.as_mut() {
                let _ = w.write_all(b"x");
            }
        }
    });
    ok(Value::None)
}

fn serialize(key: &Authkey) -> Observed {
    match serde_json::to_string(key) {
        Ok(_) => ok(Value::None),
        Err(e) => Observed {
            outcome: Outcome::Err(ErrorKind::NotSerializable),
            native: Some(NativeError {
                kind: "serde_json::Error".into(),
                message: e.to_string(),
            }),
            elapsed: None,
        },
    }
}

fn outcome(r: procspec_reference::Result<Value>) -> Observed {
    match r {
        Ok(v) => ok(v),
        Err(e) => Observed {
            outcome: Outcome::Err(map_kind(e.kind())),
            native: Some(NativeError {
                kind: format!("{:?}", e.kind()),
                message: e.to_string(),
            }),
            elapsed: None,
        },
    }
}

/// The reference's error kinds are named after the vocabulary's.
pub fn map_kind(k: RefKind) -> ErrorKind {
    match k {
        RefKind::Closed => ErrorKind::Closed,
        RefKind::AlreadyStarted => ErrorKind::AlreadyStarted,
        RefKind::NotStarted => ErrorKind::NotStarted,
        RefKind::NotParent => ErrorKind::NotParent,
        RefKind::DaemonicChildren => ErrorKind::DaemonicChildren,
        RefKind::StillRunning => ErrorKind::StillRunning,
        RefKind::InvalidArgument => ErrorKind::InvalidArgument,
        RefKind::Unsupported => ErrorKind::Unsupported,
        RefKind::NotSerializable => ErrorKind::NotSerializable,
        _ => ErrorKind::Unmapped,
    }
}

fn ok(v: Value) -> Observed {
    Observed::plain(Outcome::Ok(v))
}

fn unsupported(message: &str) -> Observed {
    Observed {
        outcome: Outcome::Err(ErrorKind::Unsupported),
        native: Some(NativeError {
            kind: "Unsupported".into(),
            message: message.to_string(),
        }),
        elapsed: None,
    }
}

fn os_error(what: &str) -> Observed {
    Observed {
        outcome: Outcome::Err(ErrorKind::Unmapped),
        native: Some(NativeError {
            kind: "Os".into(),
            message: format!("{what}: {}", std::io::Error::last_os_error()),
        }),
        elapsed: None,
    }
}
