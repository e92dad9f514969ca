use std::os::fd::AsRawFd;

use procspec_reference::{Process, StartMethod, Target};

use crate::common::{self, Gate};

const STARTED: [&str; 8] = [
    "Err(AlreadyStarted)", // start: CPython checks "already started" first
    "Err(NotParent)",      // join(None)
    "Err(NotParent)",      // join(0)
    "Err(NotParent)",      // is_alive
    "Err(NotParent)",      // exitcode
    "Err(NotParent)",      // terminate
    "Err(NotParent)",      // kill
    "Err(NotParent)",      // close
];

const UNSTARTED: [&str; 8] = [
    "Err(NotParent)", // start
    "Err(NotParent)",
    "Err(NotParent)",
    "Err(NotParent)",
    "Err(NotParent)",
    "Err(NotParent)",
    "Err(NotParent)",
    "Ok(())", // close of an unstarted foreign handle
];

#[test]
fn forked_child_with_inherited_handles() {
    let t = common::begin();
    let gate = Gate::new();
    let sibling = Process::new(Target::registered("block", &gate.fd()));
    sibling.start().unwrap();
    let unstarted = Process::new(Target::none());
    let (r, w) = common::pipe();
    let (s2, u2, fd) = (sibling.clone(), unstarted.clone(), w.as_raw_fd());
    let p = Process::builder(Target::function(move || {
        common::send(
            fd,
            &(common::probe_foreign(&s2), common::probe_foreign(&u2)),
        );
    }))
    .start_method(StartMethod::Fork)
    .build();
    p.start().unwrap();
    let (started, fresh): (Vec<String>, Vec<String>) = common::recv(&r);
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    assert_eq!(started, STARTED);
    assert_eq!(fresh, UNSTARTED);
    assert!(sibling.is_alive().unwrap(), "the sibling got no signal");
    gate.release(1);
    sibling.join(None).unwrap();
    assert_eq!(sibling.exitcode().unwrap(), Some(0));
    for x in [&p, &sibling, &unstarted] {
        x.close().unwrap();
    }
    drop((gate, r, w));
    t.finish();
}

#[test]
fn spawned_child_with_serialised_handles() {
    let t = common::begin();
    let gate = Gate::new();
    let sibling = Process::new(Target::registered("block", &gate.fd()));
    sibling.start().unwrap();
    let unstarted = Process::new(Target::none());
    let (r, w) = common::pipe();
    let spawn = |h: &Process| {
        let p = Process::builder(Target::registered("probe", &(h.clone(), w.as_raw_fd())))
            .start_method(StartMethod::Spawn)
            .pass_fd(w.as_raw_fd())
            .build();
        p.start().unwrap();
        let got: Vec<String> = common::recv(&r);
        p.join(None).unwrap();
        assert_eq!(p.exitcode().unwrap(), Some(0));
        p.close().unwrap();
        got
    };
    assert_eq!(spawn(&sibling), STARTED);
    assert_eq!(spawn(&unstarted), UNSTARTED);
    assert!(sibling.is_alive().unwrap());
    gate.release(1);
    sibling.join(None).unwrap();
    sibling.close().unwrap();
    drop((gate, r, w));
    t.finish();
}

#[test]
fn deserialised_handle_in_same_process_is_foreign_only_by_pid() {
    // The creator pid travels with the handle: back home it is ours again.
    let t = common::begin();
    let p = Process::new(Target::none());
    let q: Process = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(q.name().unwrap(), p.name().unwrap());
    assert!(!q.is_alive().unwrap());
    t.finish();
}
