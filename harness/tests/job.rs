//! Windows' job object (`guard::install()`): a process that is killed
//! takes every process it started with it, and the leak guard finds and
//! kills a process whose parent has ended (Windows does not reparent, so
//! the process tree alone misses it). Windows only, under Wine in CI
//! (`ci/platforms.sh`); on Unix the runner's watchdog (`tests/interrupt.rs`)
//! and the subreaper do this.
//!
//! The processes are this test binary re-executed (`role_entry`, the role
//! in `PROCSPEC_JOB_TEST_ROLE`). A process's end is seen without sleeping
//! and without trusting a pid that may be reused: it holds the write end
//! of the pipe this test reads (its inherited stdout), so the pipe's end
//! of file comes when the last of them has ended.
#![cfg(windows)]

use procspec_harness::guard::{self, LeakGuard};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::Mutex;
use std::time::Duration;

const ROLE: &str = "PROCSPEC_JOB_TEST_ROLE";

/// How long a killed process's children may take to end.
const GONE_WITHIN: Duration = Duration::from_secs(10);

/// The leak guard kills every process of this test process's job: one
/// test at a time.
static LOCK: Mutex<()> = Mutex::new(());

/// Re-executed processes land here; run as a test of its own (no role),
/// it does nothing.
#[test]
fn role_entry() {
    match std::env::var(ROLE).as_deref() {
        // Blocks until killed.
        Ok("block") => block(),
        // Makes its own job, starts a blocking child, says who and how,
        // then blocks until the test kills it.
        Ok("helper") => {
            let job = guard::job();
            // Never waited for: it runs until its job kills it (and Windows
            // has no zombies).
            let pid = start("block", Stdio::inherit()).id();
            println!("grandchild {pid} job {job:?}");
            block()
        }
        // Starts a blocking child, says who, and ends: the child is an
        // orphan.
        Ok("middle") => {
            let pid = start("block", Stdio::inherit()).id();
            println!("grandchild {pid} job -");
        }
        _ => {}
    }
}

fn block() -> ! {
    loop {
        std::thread::park();
    }
}

/// This test binary as `role`, its stdout `stdout`.
fn start(role: &str, stdout: Stdio) -> Child {
    let exe = std::env::current_exe().expect("this test binary");
    Command::new(exe)
        .args(["role_entry", "--exact", "--nocapture", "-q"])
        .env(ROLE, role)
        .stdin(Stdio::null())
        .stdout(stdout)
        .spawn()
        .expect("start this test binary again")
}

enum Heard {
    /// The grandchild's pid and what its creator's `guard::job()` said.
    Grandchild(u32, String),
    /// End of file: every holder of the pipe's write end has ended.
    Eof,
}

/// Read `out` on a thread: the grandchild line, then the end of file.
fn listen(out: ChildStdout) -> Receiver<Heard> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("grandchild ") {
                let (pid, job) = rest.split_once(" job ").unwrap_or((rest, ""));
                let pid = pid.parse().expect("a pid");
                let _ = tx.send(Heard::Grandchild(pid, job.to_string()));
            }
        }
        let _ = tx.send(Heard::Eof);
    });
    rx
}

fn grandchild(heard: &Receiver<Heard>) -> (u32, String) {
    match heard.recv_timeout(Duration::from_secs(60)) {
        Ok(Heard::Grandchild(pid, job)) => (pid, job),
        Ok(Heard::Eof) => panic!("the child ended without starting its own"),
        Err(e) => panic!("no grandchild reported within 60 s: {e}"),
    }
}

/// This process's job, or a failure saying what the system refused.
fn own_job() {
    if let Err(e) = guard::job() {
        panic!("no kill-on-close job object for this process: {e}");
    }
}

#[test]
fn a_killed_process_takes_the_processes_it_started_with_it() {
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    own_job();
    let mut helper = start("helper", Stdio::piped());
    let heard = listen(helper.stdout.take().expect("piped"));
    let (pid, job) = grandchild(&heard);
    assert_eq!(
        job, "Ok(())",
        "the helper (already in this process's job) could not make a job of its own: nested jobs"
    );
    helper.kill().expect("TerminateProcess the helper");
    helper.wait().expect("the helper ends");
    match heard.recv_timeout(GONE_WITHIN) {
        Ok(Heard::Eof) => {}
        _ => panic!(
            "grandchild {pid} still runs {GONE_WITHIN:?} after its creator was killed: \
             its kill-on-close job did not kill it"
        ),
    }
}

#[test]
fn the_leak_guard_finds_and_kills_an_orphaned_grandchild() {
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    own_job();
    let leak_guard = LeakGuard::start(None, Vec::new());
    let mut middle = start("middle", Stdio::piped());
    let heard = listen(middle.stdout.take().expect("piped"));
    let (pid, _) = grandchild(&heard);
    assert!(middle.wait().expect("the middle ends").success());
    let leaks = leak_guard.finish(&[], None);
    assert!(
        leaks.processes.contains(&pid),
        "the guard did not find orphan {pid} ({}); this process's job lists {:?}",
        leaks.describe(),
        guard::job_members()
    );
    match heard.recv_timeout(GONE_WITHIN) {
        Ok(Heard::Eof) => {}
        _ => panic!("orphan {pid} still runs {GONE_WITHIN:?} after the guard's kill"),
    }
}
