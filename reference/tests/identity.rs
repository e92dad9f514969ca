use std::os::fd::AsRawFd;

use procspec_reference::{current_process, parent_process, Process, StartMethod, Target};
use rstest::rstest;

use crate::common::{self, Gate, Report};

#[test]
fn main_process_identity() {
    let me = current_process();
    assert_eq!(me.name(), "MainProcess");
    assert_eq!(me.pid(), std::process::id());
    assert!(!me.daemon());
    assert!(me.identity().is_empty());
    assert!(parent_process().is_none());
}

#[test]
fn default_names_count_every_construction() {
    let t = common::begin();
    let a = Process::new(Target::none());
    let b = Process::builder(Target::none()).name("explicit").build();
    let c = Process::new(Target::none());
    let n: u32 = a
        .name()
        .unwrap()
        .strip_prefix("Process-")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(b.name().unwrap(), "explicit");
    assert_eq!(c.name().unwrap(), format!("Process-{}", n + 2));
    let d = Process::builder(Target::none()).name("").build();
    assert_eq!(
        d.name().unwrap(),
        format!("Process-{}", n + 3),
        "empty means default"
    );
    t.finish();
}

fn run_report(p: &Process, r: &std::os::fd::OwnedFd) -> Report {
    p.start().unwrap();
    let rep: Report = common::recv(r);
    p.join(None).unwrap();
    assert_eq!(p.exitcode().unwrap(), Some(0));
    p.close().unwrap();
    rep
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn child_names_and_parent(#[case] m: StartMethod) {
    let t = common::begin();
    let (r, w) = common::pipe();
    let p = Process::builder(Target::registered("report", &w.as_raw_fd()))
        .start_method(m)
        .pass_fd(w.as_raw_fd())
        .build();
    let n: u32 = p
        .name()
        .unwrap()
        .strip_prefix("Process-")
        .unwrap()
        .parse()
        .unwrap();
    p.set_name("before-start").unwrap();
    let rep = run_report(&p, &r);
    assert_eq!(
        rep.name, "before-start",
        "a rename before start reaches the child"
    );
    assert_eq!(rep.identity, vec![n]);
    assert_eq!(
        rep.parent,
        Some(("MainProcess".to_string(), std::process::id()))
    );
    assert!(!rep.daemon);
    assert_eq!(
        rep.made,
        vec![
            (format!("Process-{n}:1"), false),
            ("explicit".to_string(), false),
            (format!("Process-{n}:3"), false),
        ]
    );
    assert_eq!(rep.start, "Ok(())");
    drop((r, w));
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn rename_after_start_stays_in_parent(#[case] m: StartMethod) {
    let t = common::begin();
    let (r, w) = common::pipe();
    let gate = Gate::new();
    let p = Process::builder(Target::registered(
        "report_then_block",
        &(w.as_raw_fd(), gate.fd()),
    ))
    .name("at-start")
    .start_method(m)
    .pass_fd(w.as_raw_fd())
    .pass_fd(gate.fd())
    .build();
    p.start().unwrap();
    p.set_name("later").unwrap();
    gate.release(1);
    let rep: Report = common::recv(&r);
    assert_eq!(rep.name, "at-start");
    p.join(None).unwrap();
    assert_eq!(p.name().unwrap(), "later");
    p.close().unwrap();
    drop((gate, r, w));
    t.finish();
}

#[rstest]
#[case(StartMethod::Fork)]
#[case(StartMethod::Spawn)]
fn daemonic_child_cannot_have_children(#[case] m: StartMethod) {
    let t = common::begin();
    let (r, w) = common::pipe();
    let p = Process::builder(Target::registered("report", &w.as_raw_fd()))
        .daemon(true)
        .start_method(m)
        .pass_fd(w.as_raw_fd())
        .build();
    let rep = run_report(&p, &r);
    assert!(rep.daemon);
    assert!(
        rep.made[1..].iter().all(|(_, d)| *d),
        "new objects inherit daemon=true"
    );
    assert_eq!(rep.start, "Err(DaemonicChildren)");
    drop((r, w));
    t.finish();
}
