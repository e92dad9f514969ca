//! Shared test machinery: the fork lock, leak checks, release gates,
//! line-based messages from children, and the registered spawn targets.
//!
//! Children never sleep to simulate work: they block on a [`Gate`] until
//! the test releases them.

use std::collections::BTreeSet;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard};

use procspec_reference::{current_process, parent_process, register, Process, Target};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Children are process-global (reaping, the children table), so every
/// test that creates processes holds this lock until they are reaped
/// (nix's `FORK_MTX`).
static FORK_MTX: Mutex<()> = Mutex::new(());

/// Arguments a spawned test child is executed with: run only the entry
/// test, which calls `init()`.
pub const SPAWN_ARGS: [&str; 5] = [
    "spawn_entry",
    "--exact",
    "--nocapture",
    "--test-threads=1",
    "-q",
];

/// A running test: holds the lock and the "before" snapshot.
pub struct Check {
    _lock: MutexGuard<'static, ()>,
    fds: BTreeSet<String>,
}

/// Takes the lock, registers the targets, sets the spawn args and records
/// the open descriptors.
pub fn begin() -> Check {
    let lock = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    register_targets();
    procspec_reference::set_spawn_args(SPAWN_ARGS.map(String::from).to_vec());
    assert_eq!(
        children_of_us(),
        Vec::<String>::new(),
        "children left by an earlier test"
    );
    Check {
        _lock: lock,
        fds: open_fds(),
    }
}

impl Check {
    /// Asserts that the test leaked no child, zombie or descriptor.
    pub fn finish(self) {
        assert_eq!(children_of_us(), Vec::<String>::new(), "leaked children");
        assert_eq!(procspec_reference::active_children().len(), 0);
        assert_eq!(open_fds(), self.fds, "leaked descriptors");
    }
}

/// Our open descriptors (excluding the one used to list them).
pub fn open_fds() -> BTreeSet<String> {
    let dir = std::fs::read_dir("/proc/self/fd").unwrap();
    let mut out = BTreeSet::new();
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Ok(target) = std::fs::read_link(e.path()) {
            out.insert(format!("{name} -> {}", target.display()));
        }
    }
    out
}

/// `/proc/*/stat` lines of processes whose parent is us (zombies too).
pub fn children_of_us() -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        if fields.get(1) == Some(&me.as_str()) {
            out.push(stat.trim().to_string());
        }
    }
    out
}

/// Whether a process with this pid exists (zombies included).
pub fn pid_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A pipe, both ends close-on-exec.
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let (r, w) = std::io::pipe().unwrap();
    (OwnedFd::from(r), OwnedFd::from(w))
}

/// A release gate: children block reading `r` until the test writes.
pub struct Gate {
    pub r: OwnedFd,
    pub w: OwnedFd,
}

impl Gate {
    pub fn new() -> Gate {
        let (r, w) = pipe();
        Gate { r, w }
    }
    pub fn fd(&self) -> RawFd {
        self.r.as_raw_fd()
    }
    /// Lets `n` children through (one byte each).
    pub fn release(&self, n: usize) {
        for _ in 0..n {
            nix::unistd::write(&self.w, b"x").unwrap();
        }
    }
}

/// Blocks reading one byte from `fd` (a gate's read end).
pub fn wait_gate(fd: RawFd) {
    let mut b = [0u8; 1];
    loop {
        match nix::unistd::read(fd, &mut b) {
            Err(nix::errno::Errno::EINTR) => continue,
            _ => return,
        }
    }
}

/// Sends `value` as one JSON line on `fd` (opened again through
/// `/proc/self/fd`, which for a pipe gives a new descriptor of the same
/// pipe, so no raw-fd `unsafe` is needed).
pub fn send<T: Serialize>(fd: RawFd, value: &T) {
    use std::io::Write;
    let mut line = serde_json::to_vec(value).unwrap();
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/self/fd/{fd}"))
        .unwrap();
    f.write_all(&line).unwrap();
}

/// Reads one JSON line from `fd` (not to EOF: grandchildren may hold
/// copies of the write end).
pub fn recv<T: DeserializeOwned>(fd: &OwnedFd) -> T {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match nix::unistd::read(fd.as_raw_fd(), &mut b) {
            Ok(0) => panic!("EOF before a message: {:?}", String::from_utf8_lossy(&line)),
            Ok(_) if b[0] == b'\n' => break,
            Ok(_) => line.push(b[0]),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    serde_json::from_slice(&line).unwrap()
}

/// Reads `fd` to EOF.
pub fn read_all(fd: OwnedFd) -> String {
    use std::io::Read;
    let mut s = String::new();
    std::fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

/// What a child reports about itself.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub name: String,
    pub pid: u32,
    pub daemon: bool,
    pub authkey: Vec<u8>,
    pub identity: Vec<u32>,
    pub parent: Option<(String, u32)>,
    /// Names and daemon flags of two `Process` objects made in the child.
    pub made: Vec<(String, bool)>,
    /// What starting one of them gave.
    pub start: String,
}

fn report() -> Report {
    let me = current_process();
    // Explicitly non-daemonic: a daemonic process still may not start it.
    let a = Process::builder(Target::none()).daemon(false).build();
    let b = Process::builder(Target::none()).name("explicit").build();
    let c = Process::new(Target::none());
    let start = format!("{:?}", a.start().map_err(|e| e.kind()));
    let _ = a.join(None);
    Report {
        name: me.name().to_string(),
        pid: me.pid(),
        daemon: me.daemon(),
        authkey: me.authkey().as_bytes().to_vec(),
        identity: me.identity().to_vec(),
        parent: parent_process().map(|p| (p.name().to_string(), p.pid())),
        made: [a, b, c]
            .iter()
            .map(|p| (p.name().unwrap(), p.daemon().unwrap()))
            .collect(),
        start,
    }
}

/// The kinds every child-side operation gives on a foreign handle.
pub fn probe_foreign(p: &Process) -> Vec<String> {
    let k = |r: Result<(), procspec_reference::Error>| format!("{:?}", r.map_err(|e| e.kind()));
    vec![
        k(p.start()),
        k(p.join(None)),
        k(p.join(Some(std::time::Duration::ZERO))),
        k(p.is_alive().map(|_| ())),
        k(p.exitcode().map(|_| ())),
        k(p.terminate()),
        k(p.kill()),
        k(p.close()),
    ]
}

// ---- registered targets (the same in the test and in the spawned child)

fn t_block(fd: RawFd) {
    wait_gate(fd);
}

fn t_exit_with(code: i32) {
    procspec_reference::exit(code);
}

fn t_report(fd: RawFd) {
    send(fd, &report());
}

fn t_report_then_block((fd, gate): (RawFd, RawFd)) {
    send(fd, &report());
    wait_gate(gate);
}

fn t_panic((stderr, msg): (RawFd, String)) {
    nix::unistd::dup2(stderr, 2).unwrap();
    panic!("{msg}");
}

fn t_probe((p, fd): (Process, RawFd)) {
    send(fd, &probe_foreign(&p));
}

/// Starts a daemonic and a non-daemonic grandchild (fork), sends their
/// pids, then returns; the exit handler must SIGTERM the first and join
/// the second (which waits on `gate`).
fn t_grandchildren((fd, gate, via_exit): (RawFd, RawFd, bool)) {
    let d = Process::builder(Target::function(move || wait_gate(gate)))
        .daemon(true)
        .start_method(procspec_reference::StartMethod::Fork)
        .build();
    let n = Process::builder(Target::function(move || wait_gate(gate)))
        .start_method(procspec_reference::StartMethod::Fork)
        .build();
    d.start().unwrap();
    n.start().unwrap();
    send(fd, &(d.pid().unwrap(), n.pid().unwrap()));
    if via_exit {
        procspec_reference::exit(5);
    }
}

/// Sends the length of `text` (how much of a large argument arrived).
fn t_len((fd, text): (RawFd, String)) {
    send(fd, &text.len());
}

/// Spawns a grandchild that blocks on `gate` and holds `life` (both
/// passed to it), then dies of SIGKILL at once (no exit handler waits for
/// the grandchild).
fn t_spawn_then_die((gate, life): (RawFd, RawFd)) {
    let grandchild = Process::builder(Target::registered("block", &gate))
        .start_method(procspec_reference::StartMethod::Spawn)
        .pass_fd(gate)
        .pass_fd(life)
        .build();
    grandchild.start().unwrap();
    die_of_signal(9);
}

/// Sends the value of the environment variable `name` as this process
/// sees it.
fn t_env_var((fd, name): (RawFd, String)) {
    send(fd, &std::env::var(name).ok());
}

/// Registers every target above. Called by `begin()` and by the spawn
/// entry test before `init()`.
pub fn register_targets() {
    register("block", t_block);
    register("exit_with", t_exit_with);
    register("report", t_report);
    register("report_then_block", t_report_then_block);
    register("panic", t_panic);
    register("probe", t_probe);
    register("grandchildren", t_grandchildren);
    register("env_var", t_env_var);
    register("spawn_then_die", t_spawn_then_die);
    register("len", t_len);
}

/// End this (child) process by `signal` with its default action, without
/// a core file.
pub fn die_of_signal(signal: i32) {
    let no_core = nix::sys::resource::Resource::RLIMIT_CORE;
    let _ = nix::sys::resource::setrlimit(no_core, 0, 0);
    let sig = nix::sys::signal::Signal::try_from(signal).unwrap();
    // SAFETY: setting SIG_DFL installs no handler code.
    #[allow(unsafe_code)]
    unsafe {
        let _ = nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigDfl);
    }
    let _ = nix::sys::signal::raise(sig);
    std::process::exit(100);
}
