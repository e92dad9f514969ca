//! The small public API around `Process`: which backend this build is,
//! the process-wide start method, the object counter, error messages and
//! `Debug` of the current process.

use procspec_reference::{
    current_process, get_start_method, set_start_method, ErrorKind, Process, StartMethod, Target,
};

use crate::common;

#[test]
fn platform_names_this_builds_backend() {
    let expected = if cfg!(feature = "force-portable") || !cfg!(target_os = "linux") {
        "posix"
    } else {
        "linux"
    };
    assert_eq!(procspec_reference::platform(), expected);
}

/// `set_start_method` sets the default of objects built after it.
#[test]
fn the_start_method_set_is_the_default_of_new_objects() {
    let t = common::begin();
    let before = get_start_method();
    for m in [StartMethod::Spawn, StartMethod::Fork] {
        set_start_method(m);
        assert_eq!(get_start_method(), m);
        assert_eq!(Process::new(Target::none()).start_method(), m);
    }
    set_start_method(before);
    t.finish();
}

/// After `reset_process_counter` the next default name is `Process-1`
/// again, as after CPython's `_process_counter` reset.
#[test]
fn the_object_counter_restarts_at_one() {
    let t = common::begin();
    let _ = Process::new(Target::none());
    let _ = Process::new(Target::none());
    procspec_reference::reset_process_counter();
    assert_eq!(Process::new(Target::none()).name().unwrap(), "Process-1");
    assert_eq!(Process::new(Target::none()).name().unwrap(), "Process-2");
    t.finish();
}

/// An error's message is CPython's wording (what `Display` prints too).
#[test]
fn an_errors_message_is_cpythons_wording() {
    let t = common::begin();
    let p = Process::new(Target::none());
    p.start().unwrap();
    let e = p.start().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyStarted);
    assert_eq!(e.message(), "cannot start a process twice");
    assert!(
        e.to_string().contains("cannot start a process twice"),
        "{e}"
    );
    p.join(None).unwrap();
    p.close().unwrap();
    t.finish();
}

#[test]
fn the_current_process_debugs_as_its_fields_without_the_key() {
    let text = format!("{:?}", current_process());
    assert!(text.starts_with("CurrentProcess {"), "{text}");
    assert!(text.contains("name: \"MainProcess\""), "{text}");
    assert!(!text.contains("authkey"), "{text}");
}

/// `Debug` of a process object is CPython's `repr`: the name as Python's
/// `%r` prints it (quotes chosen as Python does, control characters
/// escaped), the status, the daemon flag.
#[test]
fn a_process_debugs_as_cpythons_repr() {
    let me = std::process::id();
    let cases = [
        (
            "plain",
            format!("<Process name='plain' parent={me} initial>"),
        ),
        (
            "it's",
            format!("<Process name=\"it's\" parent={me} initial>"),
        ),
        (
            "both'\"",
            format!("<Process name='both\\'\"' parent={me} initial>"),
        ),
        (
            "tab\tnl\nbell\u{7}del\u{7f}",
            format!("<Process name='tab\\tnl\\nbell\\x07del\\x7f' parent={me} initial>"),
        ),
    ];
    for (name, repr) in cases {
        let p = Process::builder(Target::none()).name(name).build();
        assert_eq!(format!("{p:?}"), repr, "{name:?}");
    }
    let daemonic = Process::builder(Target::none())
        .name("d")
        .daemon(true)
        .build();
    assert_eq!(
        format!("{daemonic:?}"),
        format!("<Process name='d' parent={me} initial daemon>")
    );
    let builder = Process::builder(Target::none()).name("b");
    let text = format!("{builder:?}");
    assert!(
        text.starts_with("Builder {") && text.contains("Some(\"b\")"),
        "{text}"
    );
    assert_eq!(format!("{:?}", Target::none()), "Target::none()");
}

/// A stopped process's `repr` names the signal that ended it, as CPython
/// does (`exitcode=-SIGTERM`), for every signal CPython names there.
#[test]
fn a_stopped_process_repr_names_its_signal() {
    let t = common::begin();
    let signals = [
        (1, "SIGHUP"),
        (2, "SIGINT"),
        (3, "SIGQUIT"),
        (4, "SIGILL"),
        (6, "SIGABRT"),
        (9, "SIGKILL"),
        (10, "SIGUSR1"),
        (11, "SIGSEGV"),
        (12, "SIGUSR2"),
        (13, "SIGPIPE"),
        (14, "SIGALRM"),
        (15, "SIGTERM"),
    ];
    let mut reprs = Vec::new();
    for (number, _) in signals {
        let p = Process::builder(Target::function(move || common::die_of_signal(number)))
            .start_method(StartMethod::Fork)
            .build();
        p.start().unwrap();
        p.join(None).unwrap();
        reprs.push(format!("{p:?}"));
        p.close().unwrap();
    }
    t.finish();
    for ((number, name), repr) in signals.iter().zip(&reprs) {
        let (number, name) = (*number, *name);
        if cfg!(target_os = "linux") || !matches!(number, 10 | 12) {
            assert!(
                repr.ends_with(&format!(" stopped exitcode=-{name}>")),
                "{number}: {repr}"
            );
        }
    }
}

/// The key set on an object is the key it then has.
#[test]
fn a_key_set_is_the_key_read() {
    let p = Process::new(Target::none());
    let key = procspec_reference::Authkey::new(b"k".to_vec());
    p.set_authkey(key.clone()).unwrap();
    assert_eq!(p.authkey().unwrap(), key);
}

/// A sentinel's descriptor is the same through `AsRawFd` and `Debug`.
#[test]
fn a_sentinel_shows_its_descriptor() {
    use std::os::fd::AsRawFd;
    let t = common::begin();
    let p = Process::new(Target::none());
    p.start().unwrap();
    let s = p.sentinel().unwrap();
    let fd = AsRawFd::as_raw_fd(&s);
    let shown = (fd, s.as_raw_fd(), format!("{s:?}"));
    p.join(None).unwrap();
    p.close().unwrap();
    t.finish();
    assert!(shown.0 > 2);
    assert_eq!(shown.0, shown.1);
    assert_eq!(shown.2, format!("Sentinel {{ raw: {} }}", shown.0));
}

/// A serialised handle keeps its start method (encoded as a number on the
/// wire).
#[test]
fn a_serialised_handle_keeps_its_start_method() {
    for m in [StartMethod::Fork, StartMethod::Spawn] {
        let p = Process::builder(Target::none()).start_method(m).build();
        let wire = serde_json::to_string(&p).unwrap();
        let back: Process = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.start_method(), m, "{wire}");
    }
}

/// A spawned child runs with its creator's environment (the spawn
/// payload's descriptor variable aside).
#[test]
fn a_spawned_child_has_its_creators_environment() {
    let t = common::begin();
    let (r, w) = common::pipe();
    let p = Process::builder(Target::registered(
        "env_var",
        &(std::os::fd::AsRawFd::as_raw_fd(&w), "PATH"),
    ))
    .start_method(StartMethod::Spawn)
    .pass_fd(std::os::fd::AsRawFd::as_raw_fd(&w))
    .build();
    p.start().unwrap();
    let seen: Option<String> = common::recv(&r);
    p.join(None).unwrap();
    let code = p.exitcode().unwrap();
    p.close().unwrap();
    drop((r, w));
    t.finish();
    assert_eq!(code, Some(0));
    assert_eq!(seen, std::env::var("PATH").ok());
}

/// A spawned child's arguments arrive whole however large: a payload of
/// several pipe buffers is written to the end while the child reads it.
#[test]
fn a_spawned_child_gets_a_payload_larger_than_a_pipe_buffer() {
    let t = common::begin();
    let (r, w) = common::pipe();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&w);
    let text = "x".repeat(1 << 20);
    let p = Process::builder(Target::registered("len", &(fd, &text)))
        .start_method(StartMethod::Spawn)
        .pass_fd(fd)
        .build();
    p.start().unwrap();
    drop(w);
    let seen: Option<usize> = std::panic::catch_unwind(|| common::recv(&r)).ok();
    p.join(None).unwrap();
    let code = p.exitcode().unwrap();
    p.close().unwrap();
    drop(r);
    t.finish();
    assert_eq!((code, seen), (Some(0), Some(text.len())));
}

/// A registered target that cannot start fails `start()` with CPython's
/// kind and leaves the object startable: an unknown name, or arguments
/// that cannot be encoded.
#[test]
fn a_target_that_cannot_start_is_refused_and_kept() {
    let t = common::begin();
    let unknown = Process::new(Target::registered("no-such-target", &0));
    for _ in 0..2 {
        assert_eq!(
            unknown.start().unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
    // JSON object keys must be strings: a tuple key cannot be encoded.
    let args = std::collections::BTreeMap::from([((1, 2), 3)]);
    let unencodable = Process::new(Target::registered("exit_with", &args));
    let started = unencodable.start();
    if started.is_ok() {
        // Wrongly started: clean up before failing.
        unencodable.join(None).unwrap();
        unencodable.close().unwrap();
    } else {
        assert!(!unencodable.is_alive().unwrap());
    }
    assert_eq!(
        started.map_err(|e| e.kind()),
        Err(ErrorKind::NotSerializable)
    );
    t.finish();
}

/// A program whose spawn-payload variable names a descriptor that is not
/// open is not a spawned child: `init()` returns and the program runs.
#[test]
fn a_payload_variable_naming_a_closed_descriptor_is_ignored() {
    let t = common::begin();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["spawn_entry", "--exact", "--test-threads=1", "-q"])
        .env("PROCSPEC_REFERENCE_SPAWN_FD", "987")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    t.finish();
    assert!(status.success(), "{status:?}");
}

/// A group is refused as CPython's assert refuses it, before anything
/// else: no object, and the counter does not advance (the next default
/// name is the one the refused object would have had).
#[test]
fn a_group_is_refused_and_the_counter_does_not_advance() {
    let t = common::begin();
    procspec_reference::reset_process_counter();
    let e = Process::builder(Target::none())
        .name("named")
        .group("g")
        .try_build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.message(), "group argument must be None for now");
    let p = Process::builder(Target::none()).try_build().unwrap();
    assert_eq!(p.name().unwrap(), "Process-1");
    t.finish();
}

/// `build()` is `try_build()` that panics on the refused group.
#[test]
#[should_panic(expected = "group argument must be None for now")]
fn build_panics_on_a_group() {
    let _ = Process::builder(Target::none()).group("g").build();
}

/// The `multiprocessing.ProcessError` family: exactly CPython's three
/// subclasses; the kinds CPython raises as builtins are not in it.
#[test]
fn the_process_error_family_is_cpythons() {
    let family: Vec<&str> = ErrorKind::ALL
        .iter()
        .filter_map(|k| k.process_error_class())
        .collect();
    assert_eq!(
        family,
        ["BufferTooShort", "AuthenticationError", "TimeoutError"]
    );
    assert_eq!(ErrorKind::Closed.process_error_class(), None);
    assert_eq!(ErrorKind::InvalidArgument.process_error_class(), None);
}
