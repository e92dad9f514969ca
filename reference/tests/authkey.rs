use std::os::fd::AsRawFd;

use procspec_reference::{current_process, Authkey, Process, StartMethod, Target};
use rstest::rstest;

use crate::common::{self, Report};

#[test]
fn main_key_is_32_random_bytes_and_shared() {
    let key = current_process().authkey().clone();
    assert_eq!(key.as_bytes().len(), 32);
    assert!(key.as_bytes().iter().any(|&b| b != 0));
    let p = Process::new(Target::none());
    assert_eq!(p.authkey().unwrap(), key);
}

#[test]
fn key_never_printed_nor_serialised() {
    let key = Authkey::new(b"secret-bytes".to_vec());
    assert_eq!(format!("{key:?}"), "Authkey(<redacted>)");
    assert_eq!(format!("{key}"), "Authkey(<redacted>)");
    let err = serde_json::to_string(&key).unwrap_err().to_string();
    assert!(
        err.contains("Pickling an AuthenticationString object is disallowed for security reasons"),
        "{err}"
    );
    let back: Authkey = serde_json::from_str("[1,2,3]").unwrap();
    assert_eq!(back.as_bytes(), &[1, 2, 3]);

    let p = Process::new(Target::none());
    p.set_authkey(key.clone()).unwrap();
    let repr = format!("{p:?}");
    assert!(!repr.contains("secret"), "{repr}");
    // A serialised handle carries no key at all.
    let wire = serde_json::to_string(&p).unwrap();
    assert!(!wire.contains("authkey"), "{wire}");
    assert!(
        !wire.contains(&format!("{:?}", key.as_bytes())[1..10]),
        "{wire}"
    );
}

#[rstest]
#[case(StartMethod::Fork, None)]
#[case(StartMethod::Spawn, None)]
#[case(StartMethod::Fork, Some(b"custom-key".to_vec()))]
#[case(StartMethod::Spawn, Some(b"custom-key".to_vec()))]
fn child_inherits_key(#[case] m: StartMethod, #[case] custom: Option<Vec<u8>>) {
    let t = common::begin();
    let (r, w) = common::pipe();
    let p = Process::builder(Target::registered("report", &w.as_raw_fd()))
        .start_method(m)
        .pass_fd(w.as_raw_fd())
        .build();
    if let Some(k) = &custom {
        p.set_authkey(Authkey::new(k.clone())).unwrap();
    }
    let expected = p.authkey().unwrap();
    p.start().unwrap();
    let rep: Report = common::recv(&r);
    p.join(None).unwrap();
    assert_eq!(rep.authkey, expected.as_bytes());
    if custom.is_none() {
        assert_eq!(rep.authkey, current_process().authkey().as_bytes());
    }
    p.close().unwrap();
    drop((r, w));
    t.finish();
}

/// The window in which a key may be serialised closes when the spawn that
/// opened it is over: afterwards this thread refuses again.
#[test]
fn a_key_is_refused_again_once_a_spawn_is_over() {
    let t = common::begin();
    let p = Process::builder(Target::registered("exit_with", &0))
        .start_method(StartMethod::Spawn)
        .build();
    p.start().unwrap();
    let key = current_process().authkey().clone();
    let serialised = serde_json::to_string(&key).is_ok();
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    t.finish();
    assert!(!serialised, "a key serialised outside a spawn");
}
