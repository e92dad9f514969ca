//! `run.schema.json` describes what serde writes: a run with every op,
//! target, value, outcome and status validates, and wrong runs do not.

use crate::fixtures::{alpha, beta, gamma, info, p1, result, run, step};
use procspec_reports::RUN_SCHEMA;
use procspec_spec::results::{CaseResult, Status};
use procspec_spec::vocab::{ErrorKind, Op, Outcome, Ref, Target, Value};
use serde_json::{json, Value as Json};

fn validator() -> jsonschema::Validator {
    let schema: Json = serde_json::from_str(RUN_SCHEMA).expect("the schema is JSON");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema is a valid draft 2020-12 schema")
}

fn errors(instance: &Json) -> Vec<String> {
    validator()
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// One of each op; the match makes adding a variant fail to compile here
/// until the list (and the schema) know it.
fn every_op() -> Vec<Op> {
    let p = p1;
    let ops = vec![
        Op::Create {
            id: p(),
            name: Some("n".into()),
            daemon: Some(true),
            target: Target::Agent,
            group: Some("g".into()),
        },
        Op::Create {
            id: p(),
            name: None,
            daemon: None,
            target: Target::Block,
            group: None,
        },
        Op::Run { p: p() },
        Op::Start { p: p() },
        Op::Join {
            p: p(),
            timeout_ms: Some(5),
        },
        Op::Join {
            p: p(),
            timeout_ms: None,
        },
        Op::IsAlive { p: p() },
        Op::Exitcode { p: p() },
        Op::Pid { p: p() },
        Op::Sentinel { p: p() },
        Op::WaitSentinel {
            p: p(),
            timeout_ms: 10,
        },
        Op::Name { p: p() },
        Op::SetName {
            p: p(),
            name: "x".into(),
        },
        Op::SetName {
            p: p(),
            name: procspec_spec::vocab::NameArg::Int(42),
        },
        Op::Join {
            p: p(),
            timeout_ms: Some(-1),
        },
        Op::Await {
            p: p(),
            until: procspec_spec::vocab::Until::NotAlive,
            timeout_ms: 10_000,
        },
        Op::Await {
            p: p(),
            until: procspec_spec::vocab::Until::Exitcode,
            timeout_ms: 1,
        },
        Op::Await {
            p: p(),
            until: procspec_spec::vocab::Until::NotActive,
            timeout_ms: 1,
        },
        Op::AuthkeyLength { p: p() },
        Op::SentinelOpen { p: p() },
        Op::Daemon { p: p() },
        Op::SetDaemon {
            p: p(),
            value: true,
        },
        Op::Authkey { p: p() },
        Op::SetAuthkey {
            p: p(),
            key_hex: "00ff".into(),
        },
        Op::SerializeAuthkey { p: p() },
        Op::Terminate { p: p() },
        Op::Kill { p: p() },
        Op::Close { p: p() },
        Op::Release { p: p() },
        Op::ActiveChildren,
        Op::CurrentProcess,
        Op::ParentProcess,
        Op::ExceptionHierarchy,
        Op::Handshake { wrong_key: false },
        Op::Handshake { wrong_key: true },
        Op::RecvBytesInto { buffer: 8 },
        Op::StartSkippingInit,
        Op::Orphans,
    ];
    for op in &ops {
        match op {
            Op::Create { .. }
            | Op::Run { .. }
            | Op::Start { .. }
            | Op::Join { .. }
            | Op::IsAlive { .. }
            | Op::Exitcode { .. }
            | Op::Pid { .. }
            | Op::Sentinel { .. }
            | Op::WaitSentinel { .. }
            | Op::Name { .. }
            | Op::SetName { .. }
            | Op::Daemon { .. }
            | Op::SetDaemon { .. }
            | Op::Authkey { .. }
            | Op::SetAuthkey { .. }
            | Op::SerializeAuthkey { .. }
            | Op::Terminate { .. }
            | Op::Kill { .. }
            | Op::Close { .. }
            | Op::Release { .. }
            | Op::ActiveChildren
            | Op::CurrentProcess
            | Op::ParentProcess
            | Op::ExceptionHierarchy
            | Op::Handshake { .. }
            | Op::RecvBytesInto { .. }
            | Op::StartSkippingInit
            | Op::Orphans
            | Op::Await { .. }
            | Op::AuthkeyLength { .. }
            | Op::SentinelOpen { .. } => {}
        }
    }
    ops
}

fn every_target() -> Vec<Target> {
    let targets = vec![
        Target::Exit { code: 255 },
        Target::Return,
        Target::Raise,
        Target::ExitWithMessage {
            message: "bye".into(),
        },
        Target::Block,
        Target::IgnoreSigterm,
        Target::Agent,
        Target::NoTarget,
        Target::Args {
            a: 1,
            b: 2,
            c: Some(3),
        },
        Target::Args {
            a: 1,
            b: 2,
            c: None,
        },
        Target::RunOverride { code: 7 },
        Target::SysExit,
        Target::SysExitNone,
        Target::OsExit { code: 4 },
        Target::SelfSignal {
            signal: procspec_spec::vocab::SelfSignal::Abort,
        },
        Target::SelfSignal {
            signal: procspec_spec::vocab::SelfSignal::Usr1,
        },
    ];
    for t in &targets {
        match t {
            Target::Exit { .. }
            | Target::Return
            | Target::Raise
            | Target::ExitWithMessage { .. }
            | Target::Block
            | Target::IgnoreSigterm
            | Target::Agent
            | Target::NoTarget
            | Target::Args { .. }
            | Target::RunOverride { .. }
            | Target::SysExit
            | Target::SysExitNone
            | Target::OsExit { .. }
            | Target::SelfSignal { .. } => {}
        }
    }
    targets
}

fn every_outcome() -> Vec<Outcome> {
    let values = vec![
        Value::None,
        Value::Bool(false),
        Value::Int(-15),
        Value::Str("name".into()),
        Value::Pid(4242),
        Value::Sentinel(7),
        Value::Authkey("0123456789abcdef".into()),
        Value::Refs(vec![Ref::nth(1), Ref::nth(2)]),
    ];
    for v in &values {
        match v {
            Value::None
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Str(_)
            | Value::Pid(_)
            | Value::Sentinel(_)
            | Value::Authkey(_)
            | Value::Refs(_) => {}
        }
    }
    let mut outcomes: Vec<Outcome> = values.into_iter().map(Outcome::Ok).collect();
    outcomes.extend(ErrorKind::ALL.iter().map(|k| Outcome::Err(*k)));
    outcomes
}

/// A run that uses every part of the vocabulary.
fn full_run() -> procspec_spec::results::RunReport {
    let outcomes = every_outcome();
    let mut ops: Vec<_> = every_op()
        .into_iter()
        .enumerate()
        .map(|(i, op)| step("main", op, outcomes.get(i).cloned()))
        .collect();
    ops.extend(every_target().into_iter().map(|target| {
        step(
            "p1",
            Op::Create {
                id: Ref::nth(2),
                name: None,
                daemon: None,
                target,
                group: None,
            },
            None,
        )
    }));
    let mut results: Vec<CaseResult> = Status::ALL
        .iter()
        .map(|s| result(&format!("status/{}", s.as_str()), &["a.b"], *s))
        .collect();
    results[1].ops = ops;
    results[1].expected = vec!["ok none".into()];
    results[1].observed = Some("err closed".into());
    results[1].message = Some("m".into());
    let mut r = run(info("full"), results);
    r.run_info.skip_reason = Some("why".into());
    r.run_info.complete = false;
    r
}

#[test]
fn runs_validate() {
    for r in [full_run(), alpha(1, "1s"), beta(), gamma()] {
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            errors(&json),
            Vec::<String>::new(),
            "{}",
            r.run_info.implementation
        );
    }
}

#[test]
fn defaults_may_be_omitted() {
    let mut json = serde_json::to_value(beta()).unwrap();
    json.as_object_mut().unwrap().remove("leaks");
    json["run_info"].as_object_mut().unwrap().remove("complete");
    json["results"][0].as_object_mut().unwrap().remove("ops");
    assert_eq!(errors(&json), Vec::<String>::new());
}

/// What is broken, and how.
type Breakage = (&'static str, fn(&mut Json));

#[test]
fn wrong_runs_do_not_validate() {
    let good = serde_json::to_value(full_run()).unwrap();
    let breakages: Vec<Breakage> = vec![
        ("status", |j| j["results"][0]["status"] = json!("passed")),
        ("summary key", |j| j["summary"]["passed"] = json!(1)),
        ("missing field", |j| {
            j["run_info"].as_object_mut().unwrap().remove("seed");
        }),
        ("unknown op", |j| {
            j["results"][1]["ops"][0]["op"] = json!("fork")
        }),
        ("op field", |j| {
            j["results"][1]["ops"][3]["timeout_ms"] = json!(1)
        }),
        ("outcome", |j| {
            j["results"][1]["ops"][0]["observed"] = json!("none")
        }),
        ("value", |j| {
            j["results"][1]["ops"][0]["observed"] = json!({"ok": {"float": 1.5}})
        }),
        ("error kind", |j| {
            j["results"][1]["ops"][0]["observed"] = json!({"err": "oops"})
        }),
        ("target", |j| {
            j["results"][1]["ops"][0]["target"] = json!({"kind": "sleep"})
        }),
        ("exit code", |j| {
            j["results"][1]["ops"][0]["target"] = json!({"kind": "exit", "code": 256})
        }),
        ("kind", |j| j["results"][0]["kind"] = json!("test")),
    ];
    assert!(errors(&good).is_empty());
    for (what, breakage) in breakages {
        let mut bad = good.clone();
        breakage(&mut bad);
        assert!(!errors(&bad).is_empty(), "{what} should not validate");
        // And serde agrees, for what it checks.
        let _ = serde_json::from_value::<procspec_spec::results::RunReport>(bad);
    }
}

#[test]
fn schema_lists_every_status_and_error_kind() {
    let schema: Json = serde_json::from_str(RUN_SCHEMA).unwrap();
    let names = |def: &str| -> Vec<String> {
        schema["$defs"][def]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let statuses: Vec<String> = Status::ALL.iter().map(|s| s.as_str().to_string()).collect();
    assert_eq!(names("status"), statuses);
    let kinds: Vec<String> = ErrorKind::ALL.iter().map(|k| k.to_string()).collect();
    assert_eq!(names("errorKind"), kinds);
    let ops: Vec<String> = every_op()
        .iter()
        .map(|o| o.name().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut listed = schema["$defs"]["stepRecord"]["properties"]["op"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    listed.sort();
    assert_eq!(listed, ops);
}
