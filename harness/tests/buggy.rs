//! Verdicts that can fail: `multiprocessing.Process` subclasses that each
//! break one documented rule (`fixtures/buggy/procspec_buggy/`) fail, run
//! through the Python adapter and the wire protocol, on the clause they
//! break, named as the *root* clause; the honest subclass passes the same
//! cases. A ✓ is earned only when a wrong implementation makes it fail.
//!
//! Unix only: remote adapters need process groups.
#![cfg(unix)]

use procspec_harness::cases::{load_case, run_case};
use procspec_harness::remote::{RemoteAdapter, RemoteCommand};
use procspec_spec::results::Status;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn adapter(class: &str, method: &str) -> RemoteAdapter {
    let root = root();
    let cmd = RemoteCommand::new("env")
        .arg(format!(
            "PYTHONPATH={}",
            root.join("fixtures/buggy").display()
        ))
        .arg("python3")
        .arg(
            root.join("fixtures/python/procspec_adapter.py")
                .display()
                .to_string(),
        )
        .arg("--start-method")
        .arg(method)
        .arg("--process-class")
        .arg(if class.contains(':') {
            class.to_string()
        } else {
            format!("procspec_buggy:{class}")
        })
        .arg("--implementation")
        .arg(format!("buggy-{}", class.replace([':', '.'], "-")));
    RemoteAdapter::start(cmd, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("adapter for {class}: {e}"))
}

/// Run `case` (a path under `cases/`) against `class` under `method`;
/// `root`: the clause the failure must be blamed on, or `None` for a pass.
fn check(class: &str, method: &str, case: &str, root_clause: Option<&str>) {
    let _lock = procspec_harness::suite::lock();
    let cases = root().join("cases");
    let loaded = load_case(&cases, &cases.join(case)).unwrap_or_else(|e| panic!("{e}"));
    let mut adapter = adapter(class, method);
    let (result, _, _) = run_case(&mut adapter, &loaded.case);
    drop(adapter);
    let story = serde_json::to_string_pretty(&result).unwrap_or_default();
    match root_clause {
        None => assert_eq!(result.status, Status::Pass, "{class} {case}:\n{story}"),
        Some(want) => {
            assert_eq!(result.status, Status::Fail, "{class} {case}:\n{story}");
            let got = result.root.as_ref().map(|b| b.clause.as_str());
            assert_eq!(got, Some(want), "{class} {case}: wrong root\n{story}");
            assert_eq!(result.clauses.first().map(String::as_str), Some(want));
        }
    }
}

/// Run `case` against `class` under fork: it must fail as a leak of
/// descriptors held by the adapter's own process after its reset (leaks
/// have no step to blame), and `Honest` must pass it.
fn check_adapter_fd_leak(class: &str, case: &str) {
    let _lock = procspec_harness::suite::lock();
    let cases = root().join("cases");
    let loaded = load_case(&cases, &cases.join(case)).unwrap_or_else(|e| panic!("{e}"));
    for (class, leaks) in [(class, true), ("Honest", false)] {
        let mut adapter = adapter(class, "fork");
        let (result, _, leaked) = run_case(&mut adapter, &loaded.case);
        drop(adapter);
        let story = serde_json::to_string_pretty(&result).unwrap_or_default();
        if leaks {
            assert_eq!(result.status, Status::Fail, "{class} {case}:\n{story}");
            let message = result.message.as_deref().unwrap_or_default();
            assert!(
                message.contains("1 more held by the adapter's process"),
                "{class} {case}: {message}"
            );
            assert_eq!((leaked.fds, leaked.adapter_fds), (0, 1), "{leaked:?}");
        } else {
            assert_eq!(result.status, Status::Pass, "{class} {case}:\n{story}");
        }
    }
}

/// A pipe `start()` forgets, in the adapter's process: seen by the
/// descriptor count after the case, not by the runner's own.
#[test]
fn start_keeps_a_pipe() {
    check_adapter_fd_leak("StartKeepsAPipe", "close/releases-sentinel.toml");
}

macro_rules! buggy {
    ($($name:ident: $class:literal, $method:literal, $case:literal => $root:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check($class, $method, $case, $root);
            }
        )*
    };
}

buggy! {
    // The five of issue #11.
    is_alive_never_polls: "IsAliveNeverPolls", "fork", "is-alive/seen-ended-without-join.toml" => Some("is-alive.lifetime");
    sentinel_only_after_join: "SentinelOnlyAfterJoin", "fork", "is-alive/seen-ended-without-join.toml" => Some("sentinel.ready-at-end");
    join_returns_early: "JoinReturnsEarly", "fork", "join/timeout-waits.toml" => Some("join.timeout");
    sys_exit_gives_one: "SysExitGivesOne", "spawn", "exitcode/sys-exit-is-zero.toml" => Some("exitcode.status");
    close_leaks_sentinel: "CloseLeaksSentinel", "fork", "close/releases-sentinel.toml" => Some("close.releases");
    name_setter_accepts_anything: "NameSetterAcceptsAnything", "fork", "name/not-a-string.toml" => Some("name.identification");
    // A key that two sessions share (a seeded generator): two adapter processes.
    fixed_authkey: "procspec_buggy.fixed_key:FixedKey", "fork", "authkey/differs-between-sessions.toml" => Some("authkey.random");
    // Connections that skip the challenge: a wrong key is accepted.
    handshake_accepts_any_key: "procspec_buggy.no_auth:NoAuth", "fork", "exceptions/authentication-error.toml" => Some("exceptions.authentication-error");
    // BufferTooShort without the message in args[0].
    buffer_too_short_without_the_message: "procspec_buggy.short_args:ShortArgs", "fork", "exceptions/buffer-too-short.toml" => Some("exceptions.buffer-too-short");
    // The base's state as class defaults: start() of a subclass that skipped
    // the constructor forks, then fails, and leaves its child behind.
    init_defaults_leave_a_child: "DefaultsForInit", "fork", "construct/subclass-init-skipped.toml" => Some("construct.subclass-init-skipped");
    // close() that keeps its sentinel open, caught by the probe after every close.
    close_leaks_sentinel_probe: "CloseLeaksSentinel", "fork", "close/then-raises.toml" => Some("close.releases");
    // The four misattributions of issue #12: the root clause, not the observer's.
    terminate_kills: "TerminateKills", "fork", "is-alive/seen-ended-after-terminate.toml" => Some("terminate.sigterm");
    default_name_wrong_form: "DefaultNameWrongForm", "fork", "name/default-form.toml" => Some("name.default-form");
    fresh_authkey_in_child: "FreshAuthkeyInChild", "fork", "authkey/inherited-by-child-and-grandchild.toml" => Some("authkey.inherited");
    daemon_setter_keeps_value: "DaemonSetterKeepsValue", "fork", "error/no-effect-failed-set-daemon.toml" => Some("error.no-effect");
    // The control: the honest subclass passes every case above.
    honest_seen_ended: "Honest", "fork", "is-alive/seen-ended-without-join.toml" => None;
    honest_timeout: "Honest", "fork", "join/timeout-waits.toml" => None;
    honest_sys_exit: "Honest", "spawn", "exitcode/sys-exit-is-zero.toml" => None;
    honest_close: "Honest", "fork", "close/releases-sentinel.toml" => None;
    honest_terminate: "Honest", "fork", "is-alive/seen-ended-after-terminate.toml" => None;
    honest_name: "Honest", "fork", "name/default-form.toml" => None;
    honest_name_setter: "Honest", "fork", "name/not-a-string.toml" => None;
    honest_authkey: "Honest", "fork", "authkey/inherited-by-child-and-grandchild.toml" => None;
    honest_recv_into: "Honest", "fork", "exceptions/buffer-too-short.toml" => None;
    honest_skipped_init: "Honest", "fork", "construct/subclass-init-skipped.toml" => None;
    honest_skipped_init_spawn: "Honest", "spawn", "construct/subclass-init-skipped.toml" => None;
    honest_handshake: "Honest", "fork", "exceptions/authentication-error.toml" => None;
    honest_sessions: "Honest", "fork", "authkey/differs-between-sessions.toml" => None;
    honest_close_probe: "Honest", "fork", "close/then-raises.toml" => None;
    honest_daemon: "Honest", "fork", "error/no-effect-failed-set-daemon.toml" => None;
}
