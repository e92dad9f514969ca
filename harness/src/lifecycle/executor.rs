//! The executor of a [`Lifecycle`] host: the process objects one process
//! holds, by ref, and the ops on them. Main (on the host's worker thread)
//! and every agent child run it; an op addressed further down the tree is
//! forwarded along its path.
//!
//! Thread-local on purpose: a child started by fork is a copy of the
//! thread that called `start()`, so a forked agent finds copies of its
//! creator's objects, as a CPython child finds the parent's `Process`
//! objects in its memory. No borrow is held across a call into the
//! implementation that may fork.
//!
//! Every pid started here (and, through their replies, below here) is
//! noted in [`take_started`]'s list, which the host's worker and every
//! agent hand up with each answer: the host knows the whole tree without
//! asking.

use super::body::{body_for, Channel, READY_DEADLINE};
use super::{Failure, Lifecycle, Res};
use crate::adapter::{NativeError, Observed};
use procspec_spec::vocab::{
    authkey_fingerprint, ErrorKind, NameArg, Op, Outcome, Ref, Step, Target, Until, Value,
    RECV_MESSAGE,
};
use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Entry<P> {
    /// `None` while an op runs on it (taken out so no borrow is held).
    process: Option<P>,
    target: Target,
    channel: Option<Channel>,
    /// The sentinel's descriptor and the identity of what it was at
    /// `start()`, so `sentinel-open` can tell whether `close()` freed it.
    sentinel: Option<(i32, (u64, u64))>,
}

struct Executor<L: Lifecycle> {
    lifecycle: L,
    entries: BTreeMap<Ref, Entry<L::Process>>,
    me: Ref,
    dir: PathBuf,
}

thread_local! {
    static EXECUTOR: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    /// Pids started here or below since the last [`take_started`].
    static STARTED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// The pids started here (or reported by agents below) since the last
/// call: the answer of the op that started them carries them up.
pub fn take_started() -> Vec<u32> {
    STARTED.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

fn note_started(pids: impl IntoIterator<Item = u32>) {
    STARTED.with(|s| s.borrow_mut().extend(pids));
}

fn with<L: Lifecycle, R>(f: impl FnOnce(&mut Executor<L>) -> R) -> Option<R> {
    EXECUTOR.with(|e| {
        let mut e = e.borrow_mut();
        e.as_mut()
            .and_then(|b| b.downcast_mut::<Executor<L>>())
            .map(f)
    })
}

/// Become main's executor (on the host's worker thread).
pub fn configure<L: Lifecycle>(lifecycle: L, dir: PathBuf) {
    install(lifecycle, Ref::main(), dir);
}

fn install<L: Lifecycle>(lifecycle: L, me: Ref, dir: PathBuf) {
    EXECUTOR.with(|e| {
        *e.borrow_mut() = Some(Box::new(Executor {
            lifecycle,
            entries: BTreeMap::new(),
            me,
            dir,
        }));
    });
}

/// Become the executor of agent `me` (in a fresh agent child): a forked
/// child keeps its creator's objects (the channels to their children are
/// the creator's business), a re-executed one starts empty.
pub fn become_agent<L: Lifecycle>(me: Ref, lifecycle: L, dir: PathBuf) {
    // Pids noted by the creator are the creator's to report.
    take_started();
    let kept = with::<L, _>(|x| {
        x.entries.remove(&me);
        for entry in x.entries.values_mut() {
            entry.channel = None;
        }
        x.me = me.clone();
        x.dir = dir.clone();
    });
    if kept.is_none() {
        install(lifecycle, me, dir);
    }
}

/// Kill, join and close every object started here, forget them all, and
/// reset the implementation.
pub fn reset<L: Lifecycle>() {
    let taken = with::<L, _>(|x| (std::mem::take(&mut x.entries), x.lifecycle.clone()));
    let Some((entries, mut l)) = taken else {
        return;
    };
    for (_, entry) in entries {
        if let Some(mut p) = entry.process {
            if l.kill(&mut p).is_err() {
                let _ = l.terminate(&mut p);
            }
            let _ = l.join(&mut p, Some(READY_DEADLINE));
            let _ = l.close(&mut p);
        }
    }
    with::<L, _>(|x| x.lifecycle.reset());
}

/// Pids of the objects started here.
pub fn child_pids<L: Lifecycle>() -> Vec<u32> {
    let refs: Vec<Ref> = with::<L, _>(|x| x.entries.keys().cloned().collect()).unwrap_or_default();
    refs.iter()
        .filter_map(|r| {
            on_entry::<L, _>(r, |l, p| l.pid(p))
                .and_then(|r| r.ok())
                .flatten()
        })
        .collect()
}

/// Run `f` on the object `r` with the implementation, holding no borrow.
fn on_entry<L: Lifecycle, R>(r: &Ref, f: impl FnOnce(&mut L, &mut L::Process) -> R) -> Option<R> {
    let (mut p, mut l) = with::<L, _>(|x| {
        let p = x.entries.get_mut(r)?.process.take()?;
        Some((p, x.lifecycle.clone()))
    })??;
    let out = f(&mut l, &mut p);
    with::<L, _>(|x| {
        if let Some(e) = x.entries.get_mut(r) {
            e.process = Some(p);
        }
        x.lifecycle = l;
    });
    Some(out)
}

/// Run `f` on the implementation, holding no borrow.
fn on_lifecycle<L: Lifecycle, R>(f: impl FnOnce(&mut L) -> R) -> Option<R> {
    let mut l = with::<L, _>(|x| x.lifecycle.clone())?;
    let out = f(&mut l);
    with::<L, _>(|x| x.lifecycle = l);
    Some(out)
}

/// Execute `step`; `path` is the chain of agents below this process that
/// leads to `step.at` (empty: here).
pub fn execute<L: Lifecycle>(path: &[Ref], step: &Step) -> Observed {
    if let Some((next, rest)) = path.split_first() {
        let ch = with::<L, _>(|x| x.entries.get_mut(next).and_then(|e| e.channel.take())).flatten();
        let Some(mut ch) = ch else {
            return unsupported(&format!("no agent channel to {next}"));
        };
        let answer = ch.call(rest, step).map(|(observed, started)| {
            note_started(started);
            observed
        });
        with::<L, _>(|x| {
            if let Some(e) = x.entries.get_mut(next) {
                e.channel = Some(ch);
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
    let observed = local::<L>(step);
    observed.timed(t0.elapsed())
}

fn local<L: Lifecycle>(step: &Step) -> Observed {
    let Some(me) = with::<L, _>(|x| x.me.clone()) else {
        return unsupported("no executor here");
    };
    let r = match &step.op {
        Op::Create {
            id,
            name,
            daemon,
            target,
            group,
        } => {
            return create::<L>(id, name.as_deref(), *daemon, target, group.as_deref());
        }
        Op::ActiveChildren => on_lifecycle::<L, _>(|l| l.active_children()).map(|r| {
            r.map(|pids| {
                let mut refs: Vec<Ref> = child_refs_with_pids::<L>(&pids);
                refs.sort();
                Value::Refs(refs)
            })
        }),
        Op::CurrentProcess => on_lifecycle::<L, _>(|l| l.current_name().map(Value::Str)),
        Op::ParentProcess => {
            on_lifecycle::<L, _>(|l| l.parent_name().map(|n| n.map_or(Value::None, Value::Str)))
        }
        Op::ExceptionHierarchy => on_lifecycle::<L, _>(|l| {
            l.exception_hierarchy().map(|classes| {
                let mut pairs: Vec<String> = classes
                    .iter()
                    .map(|(class, base)| format!("{class}<{base}"))
                    .collect();
                pairs.sort();
                Value::Str(pairs.join(";"))
            })
        }),
        Op::Handshake { wrong_key } => {
            on_lifecycle::<L, _>(|l| l.handshake(*wrong_key).map(Value::Bool))
        }
        Op::RecvBytesInto { buffer } => on_lifecycle::<L, _>(|l| {
            // Any buffer longer than the message behaves alike: a huge one
            // asked for by a step is not allocated.
            let buffer = (*buffer).min(MAX_RECV_BUFFER) as usize;
            l.recv_bytes_into(RECV_MESSAGE, buffer)
                .map(|n| Value::Int(n as i64))
        }),
        Op::Orphans => return unsupported("orphans are counted by the runner"),
        op => match op.subject() {
            Some(p) if *p == me => on_lifecycle::<L, _>(|l| on_self(l, op)),
            Some(p) => match op {
                Op::Start { .. } => return start::<L>(p),
                Op::Release { .. } => {
                    with::<L, _>(|x| {
                        if let Some(e) = x.entries.get_mut(p) {
                            let agent = e.target == Target::Agent;
                            if let Some(ch) = e.channel.as_mut() {
                                ch.release(agent);
                            }
                        }
                    });
                    Some(Ok(Value::None))
                }
                Op::SentinelOpen { .. } => with::<L, _>(|x| {
                    let recorded = x.entries.get(p).and_then(|e| e.sentinel);
                    let open =
                        recorded.is_some_and(|(fd, id)| crate::sys::fd_identity(fd) == Some(id));
                    Ok(Value::Bool(open))
                }),
                op => on_entry::<L, _>(p, |l, proc| on_process(l, proc, op)),
            },
            None => return unsupported("op without subject"),
        },
    };
    match r {
        Some(r) => outcome(r),
        None => unsupported("no such object here"),
    }
}

/// The largest buffer `recv-bytes-into` hands an implementation: far more
/// than [`RECV_MESSAGE`] needs.
const MAX_RECV_BUFFER: u64 = 1 << 16;

fn child_refs_with_pids<L: Lifecycle>(pids: &[u32]) -> Vec<Ref> {
    let refs: Vec<Ref> = with::<L, _>(|x| x.entries.keys().cloned().collect()).unwrap_or_default();
    refs.into_iter()
        .filter(|r| {
            on_entry::<L, _>(r, |l, p| l.pid(p))
                .and_then(|x| x.ok())
                .flatten()
                .is_some_and(|pid| pids.contains(&pid))
        })
        .collect()
}

fn create<L: Lifecycle>(
    id: &Ref,
    name: Option<&str>,
    daemon: Option<bool>,
    target: &Target,
    group: Option<&str>,
) -> Observed {
    let Some(dir) = with::<L, _>(|x| x.dir.clone()) else {
        return unsupported("no executor here");
    };
    let (body, channel) = match body_for(target, id, &dir) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return unsupported(&format!("target {target:?} is not supported by this host"))
        }
        Err(e) => {
            return Observed {
                outcome: Outcome::Err(ErrorKind::Unmapped),
                native: Some(NativeError {
                    kind: "Os".into(),
                    message: format!("child channel: {e}"),
                }),
                elapsed: None,
            }
        }
    };
    let made = on_lifecycle::<L, _>(|l| match (target, group) {
        (Target::RunOverride { .. }, Some(_)) => Err(Failure::unsupported(
            "a group argument to a subclass that overrides run()",
        )),
        (Target::RunOverride { .. }, None) => l.create_run_override(body, name, daemon),
        (_, Some(group)) => l.create_in_group(body, name, daemon, group),
        (_, None) => l.create(body, name, daemon),
    });
    match made {
        Some(Ok(process)) => {
            with::<L, _>(|x| {
                x.entries.insert(
                    id.clone(),
                    Entry {
                        process: Some(process),
                        target: target.clone(),
                        channel,
                        sentinel: None,
                    },
                )
            });
            ok(Value::None)
        }
        Some(Err(f)) => failure(f),
        None => unsupported("no executor here"),
    }
}

fn start<L: Lifecycle>(p: &Ref) -> Observed {
    // The pid and the sentinel's descriptor, read right after a start
    // (neither is a step of the run: the checker never sees them).
    let started = on_entry::<L, _>(p, |l, proc| {
        l.start(proc)?;
        let pid = l.pid(proc).ok().flatten();
        let sentinel = l.sentinel(proc).ok().and_then(|fd| {
            let fd = i32::try_from(fd).ok()?;
            crate::sys::fd_identity(fd).map(|id| (fd, id))
        });
        Ok((pid, sentinel))
    });
    let sentinel = match started {
        None => return unsupported("no such object here"),
        Some(Err(f)) => return failure(f),
        Some(Ok((pid, sentinel))) => {
            note_started(pid);
            sentinel
        }
    };
    let taken = with::<L, _>(|x| {
        x.entries.get_mut(p).map(|e| {
            e.sentinel = sentinel;
            (e.target == Target::Agent, e.channel.take())
        })
    })
    .flatten();
    let Some((agent, Some(mut ch))) = taken else {
        return ok(Value::None);
    };
    let r = ch.wait_ready(agent, Instant::now() + READY_DEADLINE);
    with::<L, _>(|x| {
        if let Some(e) = x.entries.get_mut(p) {
            e.channel = Some(ch);
        }
    });
    match r {
        Ok(()) => ok(Value::None),
        Err(message) => Observed {
            outcome: Outcome::Err(ErrorKind::Unmapped),
            native: Some(NativeError {
                kind: "ChildNotReady".into(),
                message: format!("{p}: {message}"),
            }),
            elapsed: None,
        },
    }
}

fn on_self<L: Lifecycle>(l: &mut L, op: &Op) -> Res<Value> {
    match op {
        // A Rust API has no handle to the current process, so it cannot be
        // joined: the type system refuses what CPython raises.
        Op::Join { .. } => Err(Failure::new(
            ErrorKind::NotParent,
            "NoHandle",
            "the API offers no handle to join the current process",
        )),
        Op::IsAlive { .. } => Ok(Value::Bool(true)),
        Op::Exitcode { .. } => Ok(Value::None),
        Op::Pid { .. } => l.current_pid().map(Value::Pid),
        Op::Name { .. } => l.current_name().map(Value::Str),
        Op::Daemon { .. } => l.current_daemon().map(Value::Bool),
        Op::Authkey { .. } => l
            .current_authkey()
            .map(|k| Value::Authkey(authkey_fingerprint(&k))),
        Op::AuthkeyLength { .. } => l.current_authkey().map(|k| Value::Int(k.len() as i64)),
        Op::SerializeAuthkey { .. } => l.serialize_current_authkey().map(|()| Value::None),
        other => Err(Failure::unsupported(&format!(
            "{} on the current process",
            other.name()
        ))),
    }
}

fn on_process<L: Lifecycle>(l: &mut L, p: &mut L::Process, op: &Op) -> Res<Value> {
    let none = |r: Res<()>| r.map(|()| Value::None);
    match op {
        Op::Run { .. } => none(l.run(p)),
        Op::Join { timeout_ms, .. } => none(l.join(
            p,
            timeout_ms.map(|ms| Duration::from_millis(ms.max(0) as u64)),
        )),
        Op::Await {
            until, timeout_ms, ..
        } => await_end(l, p, *until, Duration::from_millis(*timeout_ms)),
        Op::AuthkeyLength { .. } => l.authkey(p).map(|k| Value::Int(k.len() as i64)),
        Op::IsAlive { .. } => l.is_alive(p).map(Value::Bool),
        Op::Exitcode { .. } => l
            .exitcode(p)
            .map(|c| c.map_or(Value::None, |c| Value::Int(c.into()))),
        Op::Pid { .. } => l.pid(p).map(|x| x.map_or(Value::None, Value::Pid)),
        Op::Sentinel { .. } => l.sentinel(p).map(Value::Sentinel),
        Op::WaitSentinel { timeout_ms, .. } => l
            .wait_sentinel(p, Duration::from_millis(*timeout_ms))
            .map(Value::Bool),
        Op::Name { .. } => l.name(p).map(Value::Str),
        Op::SetName {
            name: NameArg::Str(name),
            ..
        } => none(l.set_name(p, name)),
        // `set_name` takes a string: the type system refuses anything else
        // before the call, as CPython's assert does at it.
        Op::SetName {
            name: NameArg::Int(_),
            ..
        } => Err(Failure::new(
            ErrorKind::InvalidArgument,
            "TypeMismatch",
            "set_name takes a string",
        )),
        Op::Daemon { .. } => l.daemon(p).map(Value::Bool),
        Op::SetDaemon { value, .. } => none(l.set_daemon(p, *value)),
        Op::Authkey { .. } => l
            .authkey(p)
            .map(|k| Value::Authkey(authkey_fingerprint(&k))),
        Op::SetAuthkey { key_hex, .. } => match procspec_spec::authkey_from_hex(key_hex) {
            Some(bytes) => none(l.set_authkey(p, bytes)),
            None => Err(Failure::unsupported("key_hex is not hex")),
        },
        Op::SerializeAuthkey { .. } => none(l.serialize_authkey(p)),
        Op::Terminate { .. } => none(l.terminate(p)),
        Op::Kill { .. } => none(l.kill(p)),
        Op::Close { .. } => none(l.close(p)),
        other => Err(Failure::unsupported(&format!(
            "{} takes no process object",
            other.name()
        ))),
    }
}

/// Poll `p` until `until` holds or `timeout` passed, without joining:
/// between polls, the implementation's sentinel wait (or, without one, a
/// bounded pause: the implementation has no way to block on the end).
fn await_end<L: Lifecycle>(
    l: &mut L,
    p: &mut L::Process,
    until: Until,
    timeout: Duration,
) -> Res<Value> {
    let deadline = Instant::now() + timeout;
    let me = l.pid(p)?;
    loop {
        let held = match until {
            Until::NotAlive => !l.is_alive(p)?,
            Until::Exitcode => l.exitcode(p)?.is_some(),
            Until::NotActive => !l.active_children()?.iter().any(|c| Some(*c) == me),
        };
        let now = Instant::now();
        if held || now >= deadline {
            return Ok(Value::Bool(held));
        }
        let slice = (deadline - now).min(Duration::from_millis(20));
        if l.wait_sentinel(p, slice).is_err() {
            std::thread::sleep(slice);
        }
    }
}

fn outcome(r: Res<Value>) -> Observed {
    match r {
        Ok(v) => ok(v),
        Err(f) => failure(f),
    }
}

fn failure(f: Failure) -> Observed {
    Observed {
        outcome: Outcome::Err(f.kind),
        native: Some(NativeError {
            kind: f.native,
            message: f.message,
        }),
        elapsed: None,
    }
}

fn ok(v: Value) -> Observed {
    Observed::plain(Outcome::Ok(v))
}

fn unsupported(message: &str) -> Observed {
    failure(Failure::unsupported(message))
}
