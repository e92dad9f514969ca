//! The transition function: one step, every allowed outcome.
//!
//! Checks follow CPython's order (e.g. `start()`: closed, already started,
//! not the creator, daemonic creator), because the first failing check
//! decides which error an implementation raises.

use super::world::{Handle, Key, Life, Proc, Why, World};
use super::{Arm, Expect, Invalid, Timing};
use crate::vocab::{
    authkey_fingerprint, ErrorKind, NameArg, Op, Outcome, Ref, Step, Target, Until, Value,
    RECV_MESSAGE_LEN,
};
use std::collections::BTreeSet;

/// A wait of at least this long (a `wait-sentinel` or an `await` timeout)
/// must see a process that is certain to end as ended: the docs' "will
/// become ready" and "until the process terminates" leave an implementation
/// time, but not for ever. Shorter waits may see it either way.
pub const EVENTUALLY_MS: u64 = 1000;

/// The length of CPython's random authkey (`os.urandom(32)`), the least a
/// random key may have.
const ROOT_KEY_MIN_LEN: i64 = 32;

/// Every outcome `step` may have in `world`, or why the step cannot be run.
pub fn transition(world: &World, step: &Step) -> Result<Vec<Arm>, Invalid> {
    let at = &step.at;
    if !world.serves(at) {
        return Err(Invalid(format!(
            "{at} does not serve ops (not a running agent)"
        )));
    }
    let mut t = Builder::new(world);
    match &step.op {
        Op::Create {
            id,
            name,
            daemon,
            target,
            group,
        } => create(&mut t, at, id, name, *daemon, target, group)?,
        Op::ActiveChildren => active_children(&mut t, at),
        Op::CurrentProcess => t.ok(Value::Str(world.name_of(at)), "current-process.main"),
        Op::ParentProcess => parent_process(&mut t, at),
        Op::ExceptionHierarchy => t.ok(
            Value::Str(EXCEPTION_HIERARCHY.to_string()),
            "exceptions.process-error",
        ),
        Op::Orphans => orphans(&mut t, at)?,
        // Whatever the key, the handshake uses the same one on both ends
        // unless told otherwise: it fails exactly when the keys differ.
        Op::Handshake { wrong_key: false } => {
            t.ok(Value::Bool(true), "exceptions.authentication-error")
        }
        Op::RecvBytesInto { buffer } if *buffer >= RECV_MESSAGE_LEN => t.ok(
            Value::Int(RECV_MESSAGE_LEN as i64),
            "exceptions.buffer-too-short",
        ),
        Op::RecvBytesInto { .. } => t.err(ErrorKind::BufferTooShort, "exceptions.buffer-too-short"),
        // The docs leave a skipped base constructor to the subclass's
        // author: refusing (CPython) and starting anyway are both allowed.
        Op::StartSkippingInit => {
            t.err(ErrorKind::NotInitialised, "construct.subclass-init-skipped");
            t.ok(Value::None, "construct.subclass-init-skipped");
        }
        Op::Handshake { wrong_key: true } => t.err(
            ErrorKind::AuthenticationFailed,
            "exceptions.authentication-error",
        ),
        Op::AuthkeyLength { p } if p == at => match world.key_of(at) {
            Key::Root => t.arm(
                Expect::IntAtLeast(ROOT_KEY_MIN_LEN),
                Some("authkey.random"),
                world.clone(),
            ),
            Key::Set(_, len) => t.ok(Value::Int(len as i64), "authkey.inherited"),
        },
        op => {
            let p = op.subject().expect("every other op has a subject");
            if p == at {
                on_self(&mut t, at, op)?;
            } else {
                let key = (at.clone(), p.clone());
                let Some(h) = world.handles.get(&key).cloned() else {
                    return Err(Invalid(format!("{at} holds no object {p}")));
                };
                on_handle(&mut t, at, p, &h, op)?;
            }
        }
    }
    let mut arms = t.finish();
    for arm in arms.iter_mut().filter(|a| a.expect.is_err()) {
        mark_no_effect(&mut arm.next, at, &step.op);
    }
    Ok(arms)
}

/// An op that failed changed nothing (`error.no-effect`): from here on, the
/// fact it would have written is vouched for by that clause, so a later
/// observation that shows the write happened anyway blames the failed op.
fn mark_no_effect(w: &mut World, at: &Ref, op: &Op) {
    const NO_EFFECT: Why = Why::by("error.no-effect");
    let Some(p) = op.subject() else { return };
    if let Some(h) = w.handles.get_mut(&(at.clone(), p.clone())) {
        match op {
            Op::SetName { .. } => h.name_why = NO_EFFECT,
            Op::SetDaemon { .. } => h.daemon_why = NO_EFFECT,
            Op::SetAuthkey { .. } => h.key_why = NO_EFFECT,
            Op::Start { .. } | Op::Close { .. } => h.state_why = NO_EFFECT,
            _ => {}
        }
    }
    if matches!(
        op,
        Op::Start { .. } | Op::Close { .. } | Op::Terminate { .. } | Op::Kill { .. }
    ) && p != at
    {
        if let Some(x) = w.procs.get_mut(p) {
            x.life_why = NO_EFFECT;
        }
    }
}

/// `multiprocessing`'s exception classes, as `Child<Base` pairs.
pub const EXCEPTION_HIERARCHY: &str =
    "AuthenticationError<ProcessError;BufferTooShort<ProcessError;TimeoutError<ProcessError";

/// Collects arms; every arm's next world is settled (released agents whose
/// exit handler can finish do so).
struct Builder<'w> {
    world: &'w World,
    arms: Vec<Arm>,
}

impl<'w> Builder<'w> {
    fn new(world: &'w World) -> Self {
        Builder {
            world,
            arms: Vec::new(),
        }
    }
    fn arm(&mut self, expect: Expect, clause: Option<&'static str>, next: World) {
        self.arm_timed(expect, clause, next, Timing::ANY);
    }
    fn arm_timed(
        &mut self,
        expect: Expect,
        clause: Option<&'static str>,
        next: World,
        timing: Timing,
    ) {
        let mut next = settle(next);
        // A process this arm turns `Exited` was seen to end by its creator
        // (who reaped it) under this arm's rule: a zombie left behind is
        // that rule's failure (`os::judge_reaped`).
        for (r, x) in next.procs.iter_mut() {
            let was_exited = self
                .world
                .procs
                .get(r)
                .is_some_and(|before| matches!(before.life, Life::Exited(_)));
            // (An op that reaps as a side effect names its own rule:
            // `active_children()`.)
            if matches!(x.life, Life::Exited(_))
                && !was_exited
                && x.seen_ended_why.clause == "model"
            {
                x.seen_ended_why = Why::by(clause.unwrap_or("join.blocks"));
            }
        }
        self.arms.push(Arm {
            expect,
            clause,
            next,
            timing,
        });
    }
    fn ok(&mut self, v: Value, clause: &'static str) {
        self.arm(Expect::Is(Outcome::Ok(v)), Some(clause), self.world.clone());
    }
    fn ok_then(&mut self, v: Value, clause: &'static str, next: World) {
        self.arm(Expect::Is(Outcome::Ok(v)), Some(clause), next);
    }
    fn err(&mut self, k: ErrorKind, clause: &'static str) {
        self.arm(
            Expect::Is(Outcome::Err(k)),
            Some(clause),
            self.world.clone(),
        );
    }
    fn finish(self) -> Vec<Arm> {
        let mut out: Vec<Arm> = Vec::new();
        for a in self.arms {
            if !out
                .iter()
                .any(|b| b.expect == a.expect && b.next == a.next && b.timing == a.timing)
            {
                out.push(a);
            }
        }
        out
    }
}

#[allow(clippy::too_many_arguments)]
fn create(
    t: &mut Builder,
    at: &Ref,
    id: &Ref,
    name: &Option<String>,
    daemon: Option<bool>,
    target: &Target,
    group: &Option<String>,
) -> Result<(), Invalid> {
    let w = t.world;
    if w.knows(id) {
        return Err(Invalid(format!("ref {id} is already in use")));
    }
    if group.is_some() {
        // Checked before the counter advances.
        t.err(ErrorKind::InvalidArgument, "construct.group-none");
        return Ok(());
    }
    let mut next = w.clone();
    let n = next.counters.entry(at.clone()).or_insert(0);
    *n += 1;
    let mut identity = w.identity_of(at);
    identity.push(*n);
    let default_name = format!(
        "{}-{}",
        w.default_name_prefix(),
        identity
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(":")
    );
    // CPython: `name or default`, so an empty name gives the default.
    let given = name.clone().filter(|s| !s.is_empty());
    let name_why = Why::by(if given.is_some() {
        "construct.name"
    } else {
        "name.default-form"
    });
    let name = given.unwrap_or(default_name);
    let handle = Handle {
        creator: at.clone(),
        name,
        daemon: daemon.unwrap_or_else(|| w.daemon_of(at)),
        key: w.key_of(at),
        target: target.clone(),
        started: false,
        closed: false,
        identity,
        name_why,
        daemon_why: Why::by(if daemon.is_some() {
            "construct.daemon-arg"
        } else {
            "construct.daemon-inherit"
        }),
        key_why: Why::by("authkey.inherited"),
        state_why: Why::by("start.once"),
    };
    next.handles.insert((at.clone(), id.clone()), handle);
    let clause = if daemon.is_none() {
        "construct.daemon-inherit"
    } else {
        "construct.daemon-arg"
    };
    t.ok_then(Value::None, clause, next);
    Ok(())
}

/// Ops on the executing process's own `current_process()`.
fn on_self(t: &mut Builder, at: &Ref, op: &Op) -> Result<(), Invalid> {
    let w = t.world;
    match op {
        Op::Join { .. } => t.err(ErrorKind::NotParent, "join.not-self"),
        Op::IsAlive { .. } => t.ok(Value::Bool(true), "is-alive.lifetime"),
        Op::Exitcode { .. } => t.ok(Value::None, "exitcode.none-while-running"),
        Op::Pid { .. } => t.arm(Expect::AnyPid, Some("pid.process-id"), w.clone()),
        Op::Name { .. } => t.ok(Value::Str(w.name_of(at)), "current-process.main"),
        Op::Daemon { .. } => t.ok(Value::Bool(w.daemon_of(at)), "daemon.inherited"),
        Op::Authkey { .. } => key_arm(t, &w.key_of(at), "authkey.random", w.clone()),
        Op::SerializeAuthkey { .. } => t.err(ErrorKind::NotSerializable, "authkey.no-pickle"),
        other => {
            return Err(Invalid(format!(
                "{} on the current process is not modelled",
                other.name()
            )))
        }
    }
    Ok(())
}

fn key_arm(t: &mut Builder, key: &Key, clause: &'static str, next: World) {
    match key {
        Key::Root => t.arm(Expect::RootAuthkey, Some(clause), next),
        Key::Set(fp, _) => t.ok_then(Value::Authkey(fp.clone()), clause, next),
    }
}

fn key_len_arm(t: &mut Builder, key: &Key, clause: &'static str, next: World) {
    match key {
        Key::Root => t.arm(Expect::IntAtLeast(ROOT_KEY_MIN_LEN), Some(clause), next),
        // A key set from bytes is those bytes ("a byte string").
        Key::Set(_, len) => t.ok_then(Value::Int(*len as i64), "authkey.bytes", next),
    }
}

/// Ops on a process object `p` held at `at`.
fn on_handle(t: &mut Builder, at: &Ref, p: &Ref, h: &Handle, op: &Op) -> Result<(), Invalid> {
    let w = t.world;
    let own = &h.creator == at;
    let life = w.procs.get(p).map(|x| x.life.clone());
    let key = (at.clone(), p.clone());
    let with = |f: &dyn Fn(&mut Handle)| {
        let mut next = w.clone();
        if let Some(h) = next.handles.get_mut(&key) {
            f(h);
        }
        next
    };
    // Attributes keep working after close in CPython ("most other methods
    // ... will raise"), so both answers are allowed there.
    let attr_closed = |t: &mut Builder, ok: Value, next: World| {
        t.ok_then(ok, "close.attributes-after", next);
        t.err(ErrorKind::Closed, "close.attributes-after");
    };
    match op {
        Op::Name { .. } if h.closed => attr_closed(t, Value::Str(h.name.clone()), w.clone()),
        Op::Name { .. } => t.ok(Value::Str(h.name.clone()), "name.initial"),
        Op::SetName {
            name: NameArg::Int(_),
            ..
        } => {
            // CPython's setter asserts `isinstance(name, str)` (an
            // AssertionError, mapped to invalid-argument).
            t.err(ErrorKind::InvalidArgument, "name.identification");
            if h.closed {
                t.err(ErrorKind::Closed, "close.attributes-after");
            }
        }
        Op::SetName {
            name: NameArg::Str(name),
            ..
        } => {
            // "Multiple processes may be given the same name."
            let repeated = w.handles.iter().any(|(k, o)| k != &key && o.name == *name);
            let next = with(&|h: &mut Handle| {
                h.name = name.clone();
                h.name_why = Why::by(if repeated {
                    "name.may-repeat"
                } else {
                    "name.identification"
                });
            });
            if h.closed {
                attr_closed(t, Value::None, next);
            } else {
                t.ok_then(Value::None, "name.identification", next);
            }
        }
        Op::Daemon { .. } if h.closed => attr_closed(t, Value::Bool(h.daemon), w.clone()),
        Op::Daemon { .. } => t.ok(Value::Bool(h.daemon), "construct.daemon-arg"),
        Op::SetDaemon { value, .. } => {
            let next = with(&|h: &mut Handle| {
                h.daemon = *value;
                h.daemon_why = Why::by("daemon.before-start");
            });
            if h.closed {
                attr_closed(t, Value::None, next);
            } else if h.started {
                t.err(ErrorKind::AlreadyStarted, "daemon.before-start");
            } else {
                t.ok_then(Value::None, "daemon.before-start", next);
            }
        }
        Op::Authkey { .. } => {
            if h.closed {
                key_arm(t, &h.key, "close.attributes-after", w.clone());
                t.err(ErrorKind::Closed, "close.attributes-after");
            } else {
                key_arm(t, &h.key, key_clause(&h.key), w.clone());
            }
        }
        Op::AuthkeyLength { .. } => {
            if h.closed {
                key_len_arm(t, &h.key, "close.attributes-after", w.clone());
                t.err(ErrorKind::Closed, "close.attributes-after");
            } else {
                key_len_arm(t, &h.key, key_clause(&h.key), w.clone());
            }
        }
        Op::SetAuthkey { key_hex, .. } => {
            let bytes = crate::vocab::authkey_from_hex(key_hex)
                .ok_or_else(|| Invalid(format!("key_hex {key_hex:?} is not hex")))?;
            let fp = authkey_fingerprint(&bytes);
            let next = with(&|h: &mut Handle| {
                h.key = Key::Set(fp.clone(), bytes.len());
                h.key_why = Why::by("authkey.settable");
            });
            if h.closed {
                attr_closed(t, Value::None, next);
            } else {
                t.ok_then(Value::None, "authkey.settable", next);
            }
        }
        Op::SerializeAuthkey { .. } => {
            t.err(ErrorKind::NotSerializable, "authkey.no-pickle");
            if h.closed {
                t.err(ErrorKind::Closed, "close.attributes-after");
            }
        }
        Op::Run { .. } => run(t, h)?,
        Op::Release { p } if !own => {
            return Err(Invalid(format!(
                "only {p}'s creator holds its release pipe"
            )))
        }
        Op::SentinelOpen { .. } if !own || !h.started => {
            return Err(Invalid(
                "sentinel-open is modelled for a started object at its creator".into(),
            ))
        }
        // The point of close(): the sentinel's descriptor is gone.
        Op::SentinelOpen { .. } if h.closed => t.ok(Value::Bool(false), "close.releases"),
        Op::Await { .. } if h.closed => return Err(Invalid(
            "await on a closed object is not modelled (what it polls decides whether it raises)"
                .into(),
        )),
        _ if h.closed => closed_op(t, op),
        Op::Start { .. } => start(t, at, p, h, own),
        Op::Join { timeout_ms, .. } => join(t, p, h, own, life, *timeout_ms)?,
        Op::IsAlive { .. } => is_alive(t, p, h, own, life),
        Op::Exitcode { .. } => exitcode(t, p, h, own, life),
        Op::Pid { .. } if h.started => t.arm(Expect::AnyPid, Some("pid.process-id"), w.clone()),
        Op::Pid { .. } => t.ok(Value::None, "pid.none-before-start"),
        Op::Sentinel { .. } => {
            if !h.started {
                t.err(ErrorKind::NotStarted, "sentinel.before-start");
            } else {
                t.arm(Expect::AnySentinel, Some("sentinel.posix-fd"), w.clone());
                if !own {
                    t.err(ErrorKind::NotParent, "sentinel.posix-fd");
                }
            }
        }
        Op::WaitSentinel { timeout_ms, .. } => wait_sentinel(t, h, own, life, *timeout_ms)?,
        Op::SentinelOpen { .. } => t.ok(Value::Bool(true), "sentinel.ready-at-end"),
        Op::Await {
            until, timeout_ms, ..
        } => await_end(t, p, h, own, life, *until, *timeout_ms)?,
        Op::Terminate { .. } => signal(t, p, h, own, life, SIGTERM),
        Op::Kill { .. } => signal(t, p, h, own, life, SIGKILL),
        Op::Close { .. } => close(t, at, p, h, own, life),
        Op::Release { .. } => release(t, p, h, own, life)?,
        other => return Err(Invalid(format!("{} takes no process object", other.name()))),
    }
    Ok(())
}

/// Every op but the attribute ones raises on a closed object; a second
/// `close()` is allowed by CPython.
fn closed_op(t: &mut Builder, op: &Op) {
    match op {
        Op::Close { .. } => {
            t.ok(Value::None, "close.idempotent");
            t.err(ErrorKind::Closed, "close.idempotent");
        }
        Op::Release { .. } => t.arm(Expect::Is(Outcome::NONE), None, t.world.clone()),
        _ => t.err(ErrorKind::Closed, "close.then-raises"),
    }
}

/// `run()` calls the target in the executing process. CPython's `run()`
/// checks neither `close()` nor `start()` ("most other methods ... will
/// raise"): after start the target is gone (bpo-30775).
fn run(t: &mut Builder, h: &Handle) -> Result<(), Invalid> {
    if h.target == Target::NoTarget && !h.started {
        // "If the target is None, run() does nothing."
        t.ok(Value::None, "construct.target-default");
        if h.closed {
            t.err(ErrorKind::Closed, "close.then-raises");
        }
        return Ok(());
    }
    if !matches!(h.target, Target::Return | Target::NoTarget) {
        // Some implementations keep the target after start (billiard) and
        // would run it again: an exiting or blocking target would end or
        // block the caller.
        return Err(Invalid(
            "run() is modelled only for a `return` target: others would exit or block the caller"
                .into(),
        ));
    }
    if h.started {
        t.ok(Value::None, "run.after-start");
        t.err(ErrorKind::AlreadyStarted, "run.after-start");
    } else {
        t.ok(Value::None, "run.invokes-target");
    }
    if h.closed {
        t.err(ErrorKind::Closed, "close.then-raises");
    }
    Ok(())
}

fn start(t: &mut Builder, at: &Ref, p: &Ref, h: &Handle, own: bool) {
    let w = t.world;
    if h.started {
        t.err(ErrorKind::AlreadyStarted, "start.once");
    } else if !own {
        t.err(ErrorKind::NotParent, "start.parent-only");
    } else if w.daemon_of(at) {
        t.err(ErrorKind::DaemonicChildren, "daemon.no-children");
    } else {
        let mut next = w.clone();
        if let Some(h) = next.handles.get_mut(&(at.clone(), p.clone())) {
            h.started = true;
            h.state_why = Why::by("start.runs-run");
        }
        let life = match (&h.target, w.platform.target_exit_code(&h.target)) {
            (_, Some(code)) => exiting(code),
            (Target::IgnoreSigterm, None) => Life::Ignoring,
            (Target::Agent, None) => Life::Serving,
            (_, None) => Life::Blocked,
        };
        next.procs.insert(
            p.clone(),
            Proc {
                target: h.target.clone(),
                life,
                ignores_sigterm: h.target == Target::IgnoreSigterm,
                name: h.name.clone(),
                daemon: h.daemon,
                key: h.key.clone(),
                identity: h.identity.clone(),
                parent: at.clone(),
                life_why: Why::by(target_clause(&h.target)),
                name_why: h.name_why,
                // The child's own flag is its creator's object's, handed
                // over by start() ("inherited from the creating process").
                daemon_why: Why::by("daemon.inherited"),
                key_why: h.key_why,
                seen_ended_why: Why::default(),
            },
        );
        if h.target == Target::Agent && w.inherit_handles {
            // fork copies the creator's memory: the agent holds a copy of
            // every object its creator holds, its own new object aside.
            let copies: Vec<_> = w
                .handles
                .iter()
                .filter(|((holder, q), _)| holder == at && q != p)
                .map(|((_, q), o)| ((p.clone(), q.clone()), o.clone()))
                .collect();
            next.handles.extend(copies);
        }
        t.ok_then(Value::None, "start.runs-run", next);
    }
}

/// The clause that says how a target ends (and so which exit code it has).
fn target_clause(target: &Target) -> &'static str {
    match target {
        Target::NoTarget => "construct.target-default",
        Target::Args { c: None, .. } => "construct.no-args-default",
        Target::Args { .. } => "construct.args-kwargs",
        Target::RunOverride { .. } => "run.overridable",
        Target::Return | Target::Raise => "run.invokes-target",
        Target::SelfSignal { .. } => "exitcode.signal-negative",
        Target::Block | Target::IgnoreSigterm | Target::Agent => "is-alive.lifetime",
        Target::Exit { .. }
        | Target::ExitWithMessage { .. }
        | Target::SysExit
        | Target::SysExitNone
        | Target::OsExit { .. } => "exitcode.status",
    }
}

fn key_clause(key: &Key) -> &'static str {
    match key {
        Key::Root => "authkey.inherited",
        Key::Set(..) => "authkey.settable",
    }
}

fn exiting(code: i32) -> Life {
    Life::Exiting(BTreeSet::from([code]))
}

fn set_life(w: &World, p: &Ref, life: Life) -> World {
    let mut next = w.clone();
    if let Some(x) = next.procs.get_mut(p) {
        x.life = life;
    }
    next
}

fn join(
    t: &mut Builder,
    p: &Ref,
    h: &Handle,
    own: bool,
    life: Option<Life>,
    timeout_ms: Option<i64>,
) -> Result<(), Invalid> {
    let w = t.world;
    if !own {
        t.err(ErrorKind::NotParent, "join.parent-only");
        return Ok(());
    }
    if !h.started {
        t.err(ErrorKind::NotStarted, "join.before-start");
        return Ok(());
    }
    // CPython waits on the sentinel with the timeout, and a negative one
    // polls (the selector's timeout is clamped at 0).
    let timeout = timeout_ms.map(|ms| ms.max(0) as u64);
    let none = Expect::Is(Outcome::NONE);
    match (life, timeout) {
        (Some(Life::Exiting(codes)), None) => {
            t.ok_then(
                Value::None,
                "join.blocks",
                set_life(w, p, Life::Exited(codes)),
            );
        }
        (Some(Life::Exiting(codes)), Some(ms)) => {
            // Timed out (learns nothing), or returned early because the
            // child ended: then it was reaped.
            t.arm_timed(
                none.clone(),
                Some("join.timeout"),
                w.clone(),
                Timing::after(ms),
            );
            t.arm_timed(
                none,
                Some("join.timeout"),
                set_life(w, p, Life::Exited(codes)),
                Timing::before(ms),
            );
        }
        (Some(Life::Exited(_)), Some(_)) => {
            t.arm_timed(none, Some("join.many-times"), w.clone(), Timing::after(0))
        }
        (Some(Life::Exited(_)), None) => t.ok(Value::None, "join.many-times"),
        (Some(Life::Lingering), Some(ms)) => {
            t.arm_timed(
                none.clone(),
                Some("join.timeout"),
                w.clone(),
                Timing::after(ms),
            );
            t.arm_timed(
                none,
                Some("daemon.not-joined"),
                set_life(w, p, exited(0)),
                Timing::before(ms),
            );
        }
        // A child that cannot end yet: the join times out, not earlier.
        (_, Some(ms)) => t.arm_timed(none, Some("join.timeout"), w.clone(), Timing::after(ms)),
        (_, None) => {
            return Err(Invalid(format!(
                "join({p}) without a timeout would block forever: {p} cannot end"
            )))
        }
    }
    Ok(())
}

fn is_alive(t: &mut Builder, p: &Ref, h: &Handle, own: bool, life: Option<Life>) {
    let w = t.world;
    if !own {
        t.err(ErrorKind::NotParent, "is-alive.parent-only");
        return;
    }
    match life {
        None => t.ok(Value::Bool(false), "is-alive.lifetime"),
        Some(Life::Exiting(codes)) => {
            t.ok(Value::Bool(true), "is-alive.lifetime");
            t.ok_then(
                Value::Bool(false),
                "is-alive.lifetime",
                set_life(w, p, Life::Exited(codes)),
            );
        }
        Some(Life::Lingering) => {
            t.ok(Value::Bool(true), "is-alive.lifetime");
            t.ok_then(
                Value::Bool(false),
                "daemon.not-joined",
                set_life(w, p, exited(0)),
            );
        }
        Some(Life::Exited(_)) => t.ok(Value::Bool(false), "is-alive.lifetime"),
        Some(_) => t.ok(Value::Bool(true), "is-alive.lifetime"),
    }
    let _ = h;
}

fn code_clause(c: i32) -> &'static str {
    if c < 0 {
        "exitcode.signal-negative"
    } else {
        "exitcode.status"
    }
}

fn exitcode(t: &mut Builder, p: &Ref, h: &Handle, own: bool, life: Option<Life>) {
    let w = t.world;
    if !h.started {
        t.ok(Value::None, "exitcode.none-while-running");
        if !own {
            // The parent check may come first (the docs: "should only be
            // called by the process that created the process object").
            t.err(ErrorKind::NotParent, "exitcode.parent-only");
        }
        return;
    }
    if !own {
        // CPython answers None at a non-parent (waitpid gets ECHILD), or the
        // code its creator had already reaped when the copy was made
        // (`start()` reaps finished children before it forks).
        t.ok(Value::None, "exitcode.parent-only");
        t.err(ErrorKind::NotParent, "exitcode.parent-only");
        if let Some(Life::Exiting(codes) | Life::Exited(codes)) = &life {
            for c in codes {
                t.ok(Value::Int(i64::from(*c)), "exitcode.parent-only");
            }
        }
        return;
    }
    match life {
        Some(Life::Exiting(codes)) => {
            t.ok(Value::None, "exitcode.none-while-running");
            for c in codes {
                let next = set_life(w, p, Life::Exited(BTreeSet::from([c])));
                t.ok_then(Value::Int(i64::from(c)), code_clause(c), next);
            }
        }
        Some(Life::Exited(codes)) => {
            for c in codes {
                let next = set_life(w, p, Life::Exited(BTreeSet::from([c])));
                t.ok_then(Value::Int(i64::from(c)), code_clause(c), next);
            }
        }
        Some(Life::Lingering) => {
            t.ok(Value::None, "exitcode.none-while-running");
            t.ok_then(
                Value::Int(0),
                "daemon.not-joined",
                set_life(w, p, exited(0)),
            );
        }
        _ => t.ok(Value::None, "exitcode.none-while-running"),
    }
}

fn wait_sentinel(
    t: &mut Builder,
    h: &Handle,
    own: bool,
    life: Option<Life>,
    timeout_ms: u64,
) -> Result<(), Invalid> {
    if !own {
        return Err(Invalid(
            "waiting on a sentinel at a non-parent is not modelled".into(),
        ));
    }
    if !h.started {
        t.err(ErrorKind::NotStarted, "sentinel.before-start");
        return Ok(());
    }
    let w = t.world;
    let not_ready = |t: &mut Builder| {
        t.arm_timed(
            Expect::Is(Outcome::Ok(Value::Bool(false))),
            Some("sentinel.ready-at-end"),
            w.clone(),
            Timing::after(timeout_ms),
        )
    };
    match life {
        // Certain to end: a long enough wait must see it (ready does not
        // mean reaped, so nothing else is learnt).
        Some(Life::Exiting(_)) if timeout_ms >= EVENTUALLY_MS => {
            t.ok(Value::Bool(true), "sentinel.ready-at-end");
        }
        Some(Life::Exiting(_)) | Some(Life::Lingering) => {
            not_ready(t);
            t.ok(Value::Bool(true), "sentinel.ready-at-end");
        }
        Some(Life::Exited(_)) => t.ok(Value::Bool(true), "sentinel.ready-at-end"),
        _ => not_ready(t),
    }
    Ok(())
}

/// `await`: poll an observation of `p` until it shows `p` ended. A process
/// certain to end must be seen ended within a long enough wait, without
/// `join()`; one that cannot end is never seen ended.
fn await_end(
    t: &mut Builder,
    p: &Ref,
    h: &Handle,
    own: bool,
    life: Option<Life>,
    until: Until,
    timeout_ms: u64,
) -> Result<(), Invalid> {
    let w = t.world;
    if !own || !h.started {
        return Err(Invalid(
            "await is modelled for a started object at its creator".into(),
        ));
    }
    let clause = match until {
        Until::NotAlive => "is-alive.lifetime",
        Until::Exitcode => "exitcode.status",
        Until::NotActive => "active-children.live",
    };
    let held = Expect::Is(Outcome::Ok(Value::Bool(true)));
    let not_held = Expect::Is(Outcome::Ok(Value::Bool(false)));
    // Polling is_alive, exitcode or active_children reaps the child.
    let seen_ended = |codes: BTreeSet<i32>| set_life(w, p, Life::Exited(codes));
    match life {
        Some(Life::Exiting(codes)) => {
            if timeout_ms < EVENTUALLY_MS {
                t.arm_timed(not_held, Some(clause), w.clone(), Timing::after(timeout_ms));
            }
            t.ok_then(Value::Bool(true), clause, seen_ended(codes));
        }
        Some(Life::Exited(codes)) => t.ok_then(Value::Bool(true), clause, seen_ended(codes)),
        Some(Life::Lingering) => {
            t.arm_timed(not_held, Some(clause), w.clone(), Timing::after(timeout_ms));
            t.arm(held, Some("daemon.not-joined"), set_life(w, p, exited(0)));
        }
        _ => t.arm_timed(not_held, Some(clause), w.clone(), Timing::after(timeout_ms)),
    }
    Ok(())
}

/// `terminate()`'s signal.
const SIGTERM: i32 = 15;
/// `kill()`'s signal.
const SIGKILL: i32 = 9;

/// The effect of a signal (`SIGTERM`, `SIGKILL`) on a process; `why` is
/// the clause that sends it. The exit code it leaves is the platform's
/// (`-signal` on Unix, `-15` for both on Windows, where a SIGTERM cannot be
/// ignored either: both are `TerminateProcess`).
fn deliver(w: &World, p: &Ref, sig: i32, why: &'static str) -> World {
    let code = w.platform.exit_code(sig);
    let mut next = w.clone();
    if let Some(x) = next.procs.get_mut(p) {
        let ignored = sig == SIGTERM && x.ignores_sigterm && w.platform.sigterm_can_be_ignored();
        // An ignored SIGTERM leaves a running process running because the
        // signal was SIGTERM: that it still runs is owed to `why` too.
        if !matches!(x.life, Life::Exited(_)) && (!ignored || x.life.is_running()) {
            x.life_why = Why::by(why);
        }
        x.life = match &x.life {
            Life::Exited(c) => Life::Exited(c.clone()),
            _ if ignored => x.life.clone(),
            Life::Exiting(c) => {
                let mut c = c.clone();
                c.insert(code);
                Life::Exiting(c)
            }
            // It may have exited (0) or still linger.
            Life::Lingering => Life::Exiting(BTreeSet::from([0, code])),
            _ => exiting(code),
        };
    }
    next
}

fn signal(t: &mut Builder, p: &Ref, h: &Handle, own: bool, life: Option<Life>, sig: i32) {
    let w = t.world;
    let (clause, before, after, parent_only) = if sig == SIGTERM {
        (
            "terminate.sigterm",
            "terminate.before-start",
            "terminate.after-exit",
            "terminate.parent-only",
        )
    } else {
        (
            "kill.sigkill",
            "terminate.before-start",
            "terminate.after-exit",
            "terminate.parent-only",
        )
    };
    if !h.started {
        t.err(ErrorKind::NotStarted, before);
        if !own {
            t.err(ErrorKind::NotParent, parent_only);
        }
        return;
    }
    if !own {
        // CPython really signals from a non-parent; others refuse.
        t.err(ErrorKind::NotParent, parent_only);
        t.ok_then(Value::None, parent_only, deliver(w, p, sig, clause));
        return;
    }
    match life {
        Some(Life::Exited(_)) => t.ok(Value::None, after),
        _ => t.ok_then(Value::None, clause, deliver(w, p, sig, clause)),
    }
}

fn close(t: &mut Builder, at: &Ref, p: &Ref, h: &Handle, own: bool, life: Option<Life>) {
    let w = t.world;
    let closed = |life: Option<Life>| {
        let mut next = w.clone();
        if let Some(o) = next.handles.get_mut(&(at.clone(), p.clone())) {
            o.closed = true;
            o.state_why = Why::by("close.then-raises");
        }
        if let (Some(l), Some(x)) = (life, next.procs.get_mut(p)) {
            x.life = l;
        }
        next
    };
    if !h.started {
        t.ok_then(Value::None, "close.before-start", closed(None));
        return;
    }
    if !own {
        // CPython cannot poll a child it did not create, so it thinks the
        // process still runs, unless the copy was made after its creator
        // had reaped it (`start()` reaps finished children before it forks).
        t.err(ErrorKind::StillRunning, "close.requires-exit");
        t.err(ErrorKind::NotParent, "close.requires-exit");
        if matches!(life, Some(Life::Exiting(_) | Life::Exited(_))) {
            t.ok_then(Value::None, "close.releases", closed(None));
        }
        return;
    }
    match life {
        Some(Life::Exiting(codes)) => {
            t.err(ErrorKind::StillRunning, "close.requires-exit");
            t.ok_then(
                Value::None,
                "close.releases",
                closed(Some(Life::Exited(codes))),
            );
        }
        Some(Life::Lingering) => {
            t.err(ErrorKind::StillRunning, "close.requires-exit");
            t.ok_then(Value::None, "daemon.not-joined", closed(Some(exited(0))));
        }
        Some(Life::Exited(_)) | None => t.ok_then(Value::None, "close.releases", closed(None)),
        Some(_) => t.err(ErrorKind::StillRunning, "close.requires-exit"),
    }
}

fn release(
    t: &mut Builder,
    p: &Ref,
    h: &Handle,
    own: bool,
    life: Option<Life>,
) -> Result<(), Invalid> {
    let w = t.world;
    if !own {
        return Err(Invalid(format!(
            "only {p}'s creator holds its release pipe"
        )));
    }
    if !h.started {
        return Err(Invalid(format!("{p} was not started: nothing to release")));
    }
    let next = match life {
        Some(Life::Blocked) | Some(Life::Ignoring) => {
            let mut next = set_life(w, p, exiting(0));
            if let Some(x) = next.procs.get_mut(p) {
                x.life_why = Why::by("run.invokes-target");
            }
            next
        }
        Some(Life::Serving) => set_life(w, p, Life::Stuck),
        _ => w.clone(),
    };
    t.arm(Expect::Is(Outcome::NONE), None, next);
    Ok(())
}

fn active_children(t: &mut Builder, at: &Ref) {
    let w = t.world;
    let mut sure = Vec::new();
    let mut maybe = Vec::new();
    for q in w.own_started(at) {
        if w.handles[&(at.clone(), q.clone())].closed {
            continue;
        }
        match w.procs.get(&q).map(|x| &x.life) {
            Some(Life::Exiting(_)) | Some(Life::Lingering) => maybe.push(q),
            Some(Life::Exited(_)) | None => {}
            Some(_) => sure.push(q),
        }
    }
    // Every subset of the maybe-exited children may be listed; the ones
    // left out were polled, so they are known to have exited.
    let n = maybe.len().min(6);
    for mask in 0..(1u32 << n) {
        let mut listed = sure.clone();
        let mut next = w.clone();
        for (i, q) in maybe.iter().take(n).enumerate() {
            if mask & (1 << i) != 0 {
                listed.push(q.clone());
            } else if let Some(x) = next.procs.get_mut(q) {
                match &x.life {
                    Life::Exiting(c) => x.life = Life::Exited(c.clone()),
                    Life::Lingering => x.life = exited(0),
                    _ => {}
                }
                x.seen_ended_why = Why::by("active-children.joins-finished");
            }
        }
        listed.sort();
        t.ok_then(Value::Refs(listed), "active-children.live", next);
    }
}

fn parent_process(t: &mut Builder, at: &Ref) {
    let w = t.world;
    match w.procs.get(at) {
        Some(p) if !at.is_main() => {
            t.ok(Value::Str(w.name_of(&p.parent)), "parent-process.creator");
        }
        _ => t.ok(Value::None, "parent-process.none-in-main"),
    }
}

/// Live processes reparented to the runner: children of processes that
/// died. A child of a dying process, or one that is itself exiting, may or
/// may not be counted yet.
fn orphans(t: &mut Builder, at: &Ref) -> Result<(), Invalid> {
    let w = t.world;
    if !at.is_main() {
        return Err(Invalid(
            "orphans are observed by the runner, at main".into(),
        ));
    }
    let (mut sure, mut maybe) = (0i64, 0i64);
    for x in w.procs.values() {
        if x.parent.is_main() {
            continue;
        }
        let (dead, dying) = w.dead_or_dying(&x.parent);
        match (&x.life, dead, dying) {
            (Life::Exited(_), _, _) | (_, false, false) => {}
            (l, true, _) if l.is_running() => sure += 1,
            _ => maybe += 1,
        }
    }
    for n in sure..=sure + maybe {
        t.arm(
            Expect::Is(Outcome::Ok(Value::Int(n))),
            Some("terminate.orphans"),
            w.clone(),
        );
    }
    Ok(())
}

/// Let released agents run their exit handler as far as it can go:
/// daemonic children get SIGTERM, then (in CPython) every child is joined.
/// An agent whose children all end exits with 0 and has reaped them all;
/// one that waits for a non-daemonic child that never ends is stuck; one
/// held only by daemonic children may linger or exit ([`Life::Lingering`]).
fn settle(mut w: World) -> World {
    loop {
        let released: Vec<Ref> = w
            .procs
            .iter()
            .filter(|(_, x)| matches!(x.life, Life::Stuck | Life::Lingering))
            .map(|(r, _)| r.clone())
            .collect();
        let mut changed = false;
        for a in released {
            let children: Vec<Ref> = w
                .own_started(&a)
                .into_iter()
                .filter(|q| !w.handles[&(a.clone(), q.clone())].closed)
                .collect();
            let mut holds = false;
            let mut may_hold = false;
            for q in &children {
                let daemon = w.handles[&(a.clone(), q.clone())].daemon;
                let running = w.procs.get(q).is_some_and(|x| x.life.is_running());
                if daemon && running {
                    let before = w.procs[q].life.clone();
                    w = deliver(&w, q, SIGTERM, "daemon.terminated-at-exit");
                    changed |= w.procs[q].life != before;
                }
                let life = w.procs.get(q).map(|x| &x.life);
                match life {
                    Some(l) if l.is_running() && !daemon => holds = true,
                    Some(l) if l.is_running() || *l == Life::Lingering => may_hold = true,
                    _ => {}
                }
            }
            let life = if holds {
                Life::Stuck
            } else if may_hold {
                Life::Lingering
            } else {
                for q in &children {
                    if let Some(x) = w.procs.get_mut(q) {
                        if let Life::Exiting(c) = &x.life {
                            x.life = Life::Exited(c.clone());
                        }
                    }
                }
                exiting(0)
            };
            if let Some(x) = w.procs.get_mut(&a) {
                if x.life != life {
                    x.life = life;
                    changed = true;
                }
            }
        }
        if !changed {
            return w;
        }
    }
}

fn exited(code: i32) -> Life {
    Life::Exited(BTreeSet::from([code]))
}
