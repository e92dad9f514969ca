use procspec_harness::check::Checker;
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_harness::Adapter;
use procspec_reference::StartMethod;
use procspec_spec::vocab::{Op, Ref, Step, Target};

#[test]
fn spawn_entry() {
    register_targets();
    procspec_reference::init();
}

fn s(at: &str, op: Op) -> Step {
    Step {
        at: Ref::from(at),
        op,
    }
}

#[test]
fn smoke() {
    register_targets();
    procspec_reference::set_spawn_args(
        [
            "spawn_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ]
        .map(String::from)
        .to_vec(),
    );
    procspec_reference::init();
    for method in [StartMethod::Fork, StartMethod::Spawn] {
        let mut a = ReferenceAdapter::new(method);
        let inherit = method == StartMethod::Fork;
        let p = |x: &str| Ref::from(x);
        let steps = vec![
            s(
                "main",
                Op::Create {
                    id: p("p1"),
                    name: None,
                    daemon: None,
                    target: Target::Agent,
                    group: None,
                },
            ),
            s("main", Op::Start { p: p("p1") }),
            s(
                "p1",
                Op::Create {
                    id: p("p2"),
                    name: None,
                    daemon: None,
                    target: Target::Block,
                    group: None,
                },
            ),
            s("p1", Op::Start { p: p("p2") }),
            s("p1", Op::Name { p: p("p2") }),
            s("p1", Op::IsAlive { p: p("p2") }),
            s(
                "p1",
                Op::Create {
                    id: p("p3"),
                    name: None,
                    daemon: None,
                    target: Target::Agent,
                    group: None,
                },
            ),
            s("p1", Op::Start { p: p("p3") }),
            s("p3", Op::CurrentProcess),
            s("p3", Op::ParentProcess),
            s("p1", Op::Release { p: p("p3") }),
            s(
                "p1",
                Op::Join {
                    p: p("p3"),
                    timeout_ms: None,
                },
            ),
            s("p1", Op::Exitcode { p: p("p3") }),
            s("p1", Op::Terminate { p: p("p2") }),
            s(
                "p1",
                Op::Join {
                    p: p("p2"),
                    timeout_ms: None,
                },
            ),
            s("p1", Op::Exitcode { p: p("p2") }),
            s("main", Op::Release { p: p("p1") }),
            s(
                "main",
                Op::Join {
                    p: p("p1"),
                    timeout_ms: None,
                },
            ),
            s("main", Op::Exitcode { p: p("p1") }),
            s("main", Op::Close { p: p("p1") }),
            s("main", Op::Orphans),
        ];
        let mut c = Checker::new(&mut a, inherit);
        for st in &steps {
            let r = c.step(st, None);
            eprintln!(
                "{method:?} {st} -> {:?}",
                c.records.last().and_then(|x| x.observed.clone())
            );
            r.unwrap_or_else(|e| panic!("{method:?} {st}: {e:?}"));
        }
        drop(c);
        a.reset().unwrap();
    }
}
