//! `RemoteAdapter` against fake adapters that misbehave on purpose
//! (`fixtures/hostile/`), and against the Python adapter.
//!
//! Tests run in parallel threads of one process, so each checks only the
//! processes of its own adapter: the pids it saw, and their process groups.
//! Like the real runner, the test process is a child subreaper: whatever
//! the adapters orphan comes back to it, and must be reaped.

use procspec_harness::remote::{RemoteAdapter, RemoteCommand, STDERR_KEEP};
use procspec_harness::{Adapter, AdapterFailure, Observed};
use procspec_spec::vocab::{Capability, ErrorKind, Op, Outcome, Ref, Step, Target, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const START: Duration = Duration::from_secs(20);

/// Every test starts here: make this process a subreaper, like the runner.
fn runner() {
    assert!(procspec_harness::guard::install());
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn hostile(name: &str) -> String {
    fixtures().join("hostile").join(name).display().to_string()
}

fn python(name: &str, args: &[&str]) -> RemoteCommand {
    let mut cmd = RemoteCommand::new("python3").arg(hostile(name));
    for a in args {
        cmd = cmd.arg(*a);
    }
    cmd
}

fn start(cmd: RemoteCommand) -> RemoteAdapter {
    let shown = cmd.to_string();
    RemoteAdapter::start(cmd, START).unwrap_or_else(|f| panic!("{shown}: {f}"))
}

fn at_main(op: Op) -> Step {
    Step {
        at: Ref::main(),
        op,
    }
}

fn p1() -> Ref {
    Ref::from("p1")
}

fn is_alive() -> Step {
    at_main(Op::IsAlive { p: p1() })
}

fn crash_message(r: Result<impl std::fmt::Debug, AdapterFailure>) -> String {
    match r {
        Err(AdapterFailure::Crash { message }) => message,
        other => panic!("expected a crash, got {other:?}"),
    }
}

// --- /proc, for the clean-up checks ---------------------------------------

/// (state, ppid, pgid) of `pid`.
fn proc_stat(pid: u32) -> Option<(char, u32, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut f = text[text.rfind(')')? + 1..].split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    let pgid = f.next()?.parse().ok()?;
    Some((state, ppid, pgid))
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn alive(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|(state, _, _)| !matches!(state, 'Z' | 'X'))
}

/// Record the adapter's current pid (adapters restart).
fn seen(adapter: &RemoteAdapter, pids: &mut Vec<u32>) {
    let pid = adapter.pid().expect("a running adapter");
    assert_eq!(adapter.own_pids(), [pid]);
    if !pids.contains(&pid) {
        pids.push(pid);
    }
}

/// After the adapter is gone: every adapter pid was reaped, nothing of its
/// process group is alive, no child of this process is in the group.
fn assert_clean(adapter_pids: &[u32]) {
    let me = std::process::id();
    assert!(!adapter_pids.is_empty());
    for &pid in adapter_pids {
        if let Some((state, ppid, _)) = proc_stat(pid) {
            assert_ne!(ppid, me, "adapter {pid} is still a child ({state})");
        }
    }
    for p in all_pids() {
        if let Some((state, ppid, pgid)) = proc_stat(p) {
            if adapter_pids.contains(&pgid) {
                assert!(
                    matches!(state, 'Z' | 'X') && ppid != me,
                    "process {p} ({state}, parent {ppid}) of adapter group {pgid} is left"
                );
            }
        }
    }
}

/// The pid a fixture put in a message: `[pid N]` or `"pid":N`.
fn pid_in(message: &str) -> u32 {
    let at = message
        .find("[pid ")
        .map(|i| i + 5)
        .or_else(|| message.find("\"pid\":").map(|i| i + 6))
        .unwrap_or_else(|| panic!("no pid in {message}"));
    let digits: String = message[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

// --- well behaved ----------------------------------------------------------

#[test]
fn echo_handshakes_answers_resets_and_shuts_down() {
    runner();
    let mut a = start(python("echo.py", &[]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let info = a.info().clone();
    assert_eq!(info.implementation, "fake");
    assert_eq!(info.version, "0.0.1");
    assert_eq!(info.start_method, "fork");
    assert_eq!(info.protocol_version, 1);
    assert_eq!(
        info.capabilities,
        [
            Capability::Terminate,
            Capability::Kill,
            Capability::JoinTimeout,
            // Not the adapter's: the runner observes orphans itself.
            Capability::Orphans
        ]
    );
    assert_eq!(a.hello().pid, pids[0]);
    assert_eq!(a.hello().platform, "linux-x86_64");
    assert_eq!(a.hello().process_class, "fake:Process");
    assert!(a.notes().is_empty(), "{:?}", a.notes());

    let none = Observed::plain(Outcome::NONE);
    let create = at_main(Op::Create {
        id: p1(),
        name: Some("x y \"z\" \u{e9}".into()),
        daemon: None,
        target: Target::ExitWithMessage {
            message: "bye\nnow".into(),
        },
        group: None,
    });
    for step in [create, is_alive(), at_main(Op::ActiveChildren)] {
        assert_eq!(a.apply(&step), Ok(none.clone()), "{step}");
    }
    // The checker answers `orphans`; asked anyway, the runner sends it.
    assert_eq!(a.apply(&at_main(Op::Orphans)), Ok(none.clone()));
    for _ in 0..3 {
        assert_eq!(a.reset(), Ok(()));
        assert_eq!(a.apply(&is_alive()), Ok(none.clone()));
    }
    assert_eq!(a.restarts(), 0);
    seen(&a, &mut pids);
    assert_eq!(pids.len(), 1);
    assert_eq!(a.shutdown(), Ok(()));
    assert_clean(&pids);
}

#[test]
fn drop_shuts_down_and_reaps() {
    runner();
    let mut a = start(python("echo.py", &[]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    assert!(a.apply(&is_alive()).is_ok());
    drop(a);
    assert_clean(&pids);
}

#[test]
fn a_program_that_does_not_exist() {
    runner();
    let message = crash_message(RemoteAdapter::start(
        RemoteCommand::new("/nonexistent/procspec-adapter"),
        START,
    ));
    assert!(message.contains("cannot start"), "{message}");
}

#[test]
fn parsed_command_lines_start_adapters() {
    runner();
    let line = format!("PROCSPEC_FAKE=1 python3 '{}'", hostile("echo.py"));
    let cmd = RemoteCommand::parse(&line).unwrap();
    assert_eq!(cmd.env, [("PROCSPEC_FAKE".into(), "1".into())]);
    let a = start(cmd);
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    drop(a);
    assert_clean(&pids);
}

// --- start-up failures -----------------------------------------------------

#[test]
fn crash_at_start() {
    runner();
    let cmd = RemoteCommand::new("sh").arg(hostile("crash_at_start.sh"));
    let message = crash_message(RemoteAdapter::start(cmd, START));
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(message.contains("cannot find my interpreter"), "{message}");
    assert!(message.contains("hello"), "{message}");
    assert_clean(&[pid_in(&message)]);
}

#[test]
fn garbage_instead_of_hello() {
    runner();
    let message = crash_message(RemoteAdapter::start(python("garbage_hello.py", &[]), START));
    assert!(message.contains("not JSON"), "{message}");
    assert!(message.contains("`Hello there [pid "), "{message}");
    assert_clean(&[pid_in(&message)]);
}

#[test]
fn protocol_2_is_refused() {
    runner();
    let message = crash_message(RemoteAdapter::start(python("protocol2.py", &[]), START));
    assert!(
        message.starts_with("adapter speaks protocol 2, runner speaks 1"),
        "{message}"
    );
    assert_clean(&[pid_in(&message)]);
}

#[test]
fn hello_missing_a_field() {
    runner();
    let cmd = python("scripted.py", &[r#"{"version": null}"#]);
    let message = crash_message(RemoteAdapter::start(cmd, START));
    assert!(message.contains("missing field `version`"), "{message}");
    assert!(message.contains(r#"`{"type":"hello""#), "{message}");
    assert_clean(&[pid_in(&message)]);
}

#[test]
fn unknown_capabilities_are_a_note() {
    runner();
    let cmd = python(
        "scripted.py",
        &[r#"{"capabilities": ["kill", "teleport", "fork", "\u001b[31m\u202e"], "mood": "fine"}"#],
    );
    let a = start(cmd);
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    assert_eq!(
        a.info().capabilities,
        [Capability::Kill, Capability::Fork, Capability::Orphans]
    );
    assert_eq!(
        a.hello().unknown_capabilities,
        ["teleport", "\u{1b}[31m\u{202e}"]
    );
    let notes = a.notes().join("\n");
    assert!(
        notes.contains("ignored: teleport, \\u{1b}[31m\\u{202e}"),
        "{notes}"
    );
    assert!(notes.contains("ignored: mood"), "{notes}");
    drop(a);
    assert_clean(&pids);
}

#[test]
fn silent_adapter_times_out_at_start() {
    runner();
    let marker = format!("procspec-silent-{}", std::process::id());
    let cmd = RemoteCommand::new("python3")
        .arg("-c")
        .arg("import sys; sys.stdin.buffer.read()")
        .arg(&marker);
    let t = Instant::now();
    let r = RemoteAdapter::start(cmd, Duration::from_millis(300));
    assert_eq!(
        r.err(),
        Some(AdapterFailure::Timeout {
            op: "hello".into(),
            after: Duration::from_millis(300)
        })
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // Gone: no live process runs the marked command.
    for p in all_pids() {
        let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        assert!(!cmdline.contains(&marker) || !alive(p), "{p}: {cmdline}");
    }
}

// --- failures while running ------------------------------------------------

#[test]
fn crash_mid_run_then_restart() {
    runner();
    let mut a = start(python("crash_mid_run.py", &[]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    assert!(a.apply(&is_alive()).is_ok());
    assert!(a.apply(&is_alive()).is_ok());
    let message = crash_message(a.apply(&is_alive()));
    assert!(message.contains("exit status: 7"), "{message}");
    assert!(message.contains("third op, giving up"), "{message}");
    assert!(message.contains("main: is-alive p1"), "{message}");
    assert!(a.own_pids().is_empty());
    assert!(a.stderr_tail().contains("third op, giving up"));
    assert_clean(&pids);

    // A restart is a reset.
    assert_eq!(a.reset(), Ok(()));
    assert_eq!(a.restarts(), 1);
    seen(&a, &mut pids);
    assert_eq!(pids.len(), 2);
    assert!(a.apply(&is_alive()).is_ok());
    assert!(a.apply(&is_alive()).is_ok());
    assert!(a.apply(&is_alive()).is_err());
    // And apply restarts transparently.
    assert!(a.apply(&is_alive()).is_ok());
    assert_eq!(a.restarts(), 2);
    seen(&a, &mut pids);
    drop(a);
    assert_clean(&pids);
}

#[test]
fn hang_is_a_timeout_then_restart() {
    runner();
    let mut a = start(python("hang_on_op.py", &[])).with_op_deadline(Duration::from_millis(300));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    assert!(a.apply(&is_alive()).is_ok());
    let join = at_main(Op::Join {
        p: p1(),
        timeout_ms: None,
    });
    let t = Instant::now();
    let r = a.apply(&join);
    let took = t.elapsed();
    assert_eq!(
        r,
        Err(AdapterFailure::Timeout {
            op: "main: join p1".into(),
            after: Duration::from_millis(300)
        })
    );
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(a.own_pids().is_empty());
    assert_clean(&pids);

    assert!(a.apply(&is_alive()).is_ok());
    assert_eq!(a.restarts(), 1);
    seen(&a, &mut pids);
    assert_eq!(pids.len(), 2);
    // A hang inside reset's deadline is a timeout too; the next reset
    // restarts.
    assert!(matches!(
        a.apply(&join),
        Err(AdapterFailure::Timeout { .. })
    ));
    assert_eq!(a.reset(), Ok(()));
    seen(&a, &mut pids);
    drop(a);
    assert_clean(&pids);
}

#[test]
fn valid_json_of_the_wrong_shape() {
    runner();
    let mut a = start(python("wrong_shape.py", &[]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let message = crash_message(a.apply(&is_alive()));
    assert!(message.contains("not a JSON object"), "{message}");
    assert!(
        message.contains(r#"`["result",1,{"ok":"none"}]`"#),
        "{message}"
    );
    assert!(a.own_pids().is_empty());
    assert_clean(&pids);
    assert_eq!(a.reset(), Ok(()));
    seen(&a, &mut pids);
    assert!(a.apply(&is_alive()).is_err());
    drop(a);
    assert_clean(&pids);
}

#[test]
fn a_100_mb_line_is_a_crash_without_100_mb() {
    runner();
    let mut a = start(python("huge_line.py", &[]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let before = rss_kib();
    let message = crash_message(a.apply(&is_alive()));
    let after = rss_kib();
    assert!(message.contains("line longer than 1 MiB"), "{message}");
    assert!(message.len() < 600, "{message}");
    assert!(
        after.saturating_sub(before) < 50 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    assert_clean(&pids);
}

#[test]
fn endless_stderr_is_drained_and_bounded() {
    runner();
    let mut a = start(python("stderr_flood.py", &[])).with_op_deadline(Duration::from_secs(10));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    for i in 0..50 {
        assert_eq!(
            a.apply(&is_alive()),
            Ok(Observed::plain(Outcome::NONE)),
            "op {i}"
        );
    }
    assert_eq!(a.reset(), Ok(()));
    let tail = a.stderr_tail();
    assert!(tail.len() <= STDERR_KEEP, "{}", tail.len());
    assert!(tail.contains("flood"));
    drop(a);
    assert_clean(&pids);
}

#[test]
fn a_leaked_grandchild_does_not_hurt_the_runner() {
    runner();
    let mut a = start(python("leaky.py", &[]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let grandchild = match a.apply(&at_main(Op::Start { p: p1() })) {
        Ok(Observed {
            outcome: Outcome::Ok(Value::Pid(pid)),
            ..
        }) => pid,
        other => panic!("{other:?}"),
    };
    assert!(alive(grandchild));
    assert_eq!(a.apply(&is_alive()), Ok(Observed::plain(Outcome::NONE)));
    assert_eq!(a.reset(), Ok(()));
    assert_eq!(a.apply(&is_alive()), Ok(Observed::plain(Outcome::NONE)));
    assert_eq!(a.restarts(), 0);
    drop(a);
    // The grandchild was in the adapter's process group: killed with it.
    assert!(!alive(grandchild));
    assert_clean(&pids);
}

// --- answers that break the protocol ---------------------------------------

#[test]
fn answers_that_break_the_protocol() {
    runner();
    for (answer, needle) in [
        (
            r#"{"type":"result","id":99,"outcome":{"ok":"none"}}"#,
            "request 99",
        ),
        (r#"{"type":"reset-done","id":$ID}"#, "got type reset-done"),
        (r#"{"type":"hello","protocol":1}"#, "got type hello"),
        (r#"{"type":"result","id":$ID}"#, "without an outcome"),
        (
            r#"{"type":"result","id":$ID,"outcome":{"ok":{"float":1.5}}}"#,
            "bad outcome",
        ),
        (
            r#"{"type":"result","id":$ID,"outcome":{"ok":"none"},"extra":1}"#,
            "unknown field(s) extra",
        ),
        (
            r#"{"type":"error","id":98,"message":"confused"}"#,
            "`error` for request 98",
        ),
        ("", "not JSON"),
        ("\u{1b}[31mred\u{1b}[0m", r"`\u{1b}[31mred\u{1b}[0m`"),
    ] {
        let mut a = start(python("scripted.py", &["-", answer]));
        let mut pids = Vec::new();
        seen(&a, &mut pids);
        let message = crash_message(a.apply(&is_alive()));
        assert!(message.contains(needle), "{answer}: {message}");
        assert!(message.contains("main: is-alive p1"), "{answer}: {message}");
        assert!(a.own_pids().is_empty(), "{answer}");
        assert_clean(&pids);
        // The next call starts a fresh adapter.
        assert_eq!(a.reset(), Ok(()));
        seen(&a, &mut pids);
        assert_eq!(pids.len(), 2);
        drop(a);
        assert_clean(&pids);
    }
}

#[test]
fn an_error_line_is_a_crash_but_the_adapter_stays() {
    runner();
    let mut a = start(python(
        "scripted.py",
        &[
            "-",
            r#"{"type":"error","id":$ID,"message":"main holds no process object p1"}"#,
            r#"{"type":"error","id":null,"message":"bad JSON"}"#,
        ],
    ));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let message = crash_message(a.apply(&is_alive()));
    assert!(
        message.contains("main holds no process object p1"),
        "{message}"
    );
    let message = crash_message(a.apply(&is_alive()));
    assert!(message.contains("bad JSON"), "{message}");
    seen(&a, &mut pids);
    assert_eq!(pids.len(), 1, "the adapter stayed");
    assert_eq!(a.reset(), Ok(()));
    assert_eq!(a.apply(&is_alive()), Ok(Observed::plain(Outcome::NONE)));
    drop(a);
    assert_clean(&pids);
}

#[test]
fn native_errors_come_through() {
    runner();
    let mut a = start(python(
        "scripted.py",
        &[
            "-",
            r#"{"type":"result","id":$ID,"outcome":{"err":"not-parent"},"native":{"type":"AssertionError","message":"can only join a child process"}}"#,
            r#"{"type":"result","id":$ID,"outcome":{"ok":{"refs":["p1","p3"]}}}"#,
        ],
    ));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let observed = a.apply(&is_alive()).unwrap();
    assert_eq!(observed.outcome, Outcome::Err(ErrorKind::NotParent));
    let native = observed.native.unwrap();
    assert_eq!(native.kind, "AssertionError");
    assert_eq!(native.message, "can only join a child process");
    assert_eq!(
        a.apply(&at_main(Op::ActiveChildren)).unwrap().outcome,
        Outcome::Ok(Value::Refs(vec![p1(), Ref::from("p3")]))
    );
    drop(a);
    assert_clean(&pids);
}

#[test]
fn a_bad_reset_answer_kills_and_the_next_reset_restarts() {
    runner();
    let mut a = start(python(
        "scripted.py",
        &["-", r#"{"type":"result","id":$ID,"outcome":{"ok":"none"}}"#],
    ));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let message = crash_message(a.reset());
    assert!(message.contains("expected `reset-done`"), "{message}");
    assert!(a.own_pids().is_empty());
    assert_eq!(a.reset(), Ok(()));
    seen(&a, &mut pids);
    drop(a);
    assert_clean(&pids);
}

#[test]
fn an_adapter_that_exits_is_restarted_by_reset() {
    runner();
    let mut a = start(python("scripted.py", &["-", "!exit 5"]));
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    let message = crash_message(a.apply(&is_alive()));
    assert!(message.contains("exit status: 5"), "{message}");
    assert_eq!(a.reset(), Ok(()));
    seen(&a, &mut pids);
    // The fresh incarnation replays the script: it exits again.
    assert!(a.apply(&is_alive()).is_err());
    assert_eq!(a.reset(), Ok(()));
    seen(&a, &mut pids);
    assert_eq!(pids.len(), 3);
    drop(a);
    assert_clean(&pids);
}

// --- the Python adapter ----------------------------------------------------

#[test]
fn python_adapter_create_start_join_exitcode() {
    runner();
    let script = fixtures().join("python").join("procspec_adapter.py");
    if !script.exists() {
        eprintln!("skipped: {} does not exist", script.display());
        return;
    }
    let cmd = RemoteCommand::new("python3")
        .arg(script.display().to_string())
        .arg("--start-method")
        .arg("fork");
    let mut a = start(cmd);
    let mut pids = Vec::new();
    seen(&a, &mut pids);
    assert_eq!(a.info().implementation, "cpython");
    assert_eq!(a.info().start_method, "fork");
    assert_eq!(a.info().protocol_version, 1);
    assert!(a.info().has(Capability::Fork));
    assert_eq!(a.hello().pid, pids[0]);
    assert!(a.notes().is_empty(), "{:?}", a.notes());

    let none = Ok(Outcome::NONE);
    // The Python adapter times every op (elapsed_ms); compare outcomes.
    let outcome = |r: Result<Observed, _>| r.map(|o: Observed| o.outcome);
    for round in 0..2 {
        let create = at_main(Op::Create {
            id: p1(),
            name: None,
            daemon: None,
            target: Target::Exit { code: 3 },
            group: None,
        });
        assert_eq!(outcome(a.apply(&create)), none, "round {round}");
        assert_eq!(outcome(a.apply(&at_main(Op::Start { p: p1() }))), none);
        let join = at_main(Op::Join {
            p: p1(),
            timeout_ms: None,
        });
        assert_eq!(outcome(a.apply(&join)), none);
        assert_eq!(
            outcome(a.apply(&at_main(Op::Exitcode { p: p1() }))),
            Ok(Outcome::Ok(Value::Int(3)))
        );
        // A second start is refused natively.
        let again = a.apply(&at_main(Op::Start { p: p1() })).unwrap();
        assert_eq!(again.outcome, Outcome::Err(ErrorKind::AlreadyStarted));
        assert!(again.native.is_some());
        assert_eq!(
            a.apply(&at_main(Op::Orphans)).map(|o| o.outcome),
            Ok(Outcome::Err(ErrorKind::Unsupported))
        );
        // An unknown ref is an `error` line: a crash, the adapter stays.
        let message = crash_message(a.apply(&at_main(Op::IsAlive { p: "p9".into() })));
        assert!(message.contains("p9"), "{message}");
        assert_eq!(a.reset(), Ok(()));
    }
    seen(&a, &mut pids);
    assert_eq!(pids.len(), 1);
    assert_eq!(a.shutdown(), Ok(()));
    assert_clean(&pids);
}
