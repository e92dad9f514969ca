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
