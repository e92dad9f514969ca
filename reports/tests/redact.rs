//! `redact`: two runs that differ only in what the OS chose render alike.

use crate::fixtures::{alpha, clauses, info, p1, result, run, step};
use procspec_reports::{redact, render_html, render_junit, render_markdown};
use procspec_spec::results::{ResultKind, Status};
use procspec_spec::vocab::{authkey_fingerprint, Op, Outcome, Value};

#[test]
fn pids_and_durations_do_not_show() {
    let mut a = alpha(4242, "1.5s");
    let mut b = alpha(31337, "250ms");
    assert_ne!(
        render_markdown(&clauses(), &[a.clone()]),
        render_markdown(&clauses(), &[b.clone()])
    );
    redact(&mut a);
    redact(&mut b);
    assert_eq!(a, b);
    let (a, b) = ([a], [b]);
    assert_eq!(
        render_markdown(&clauses(), &a),
        render_markdown(&clauses(), &b)
    );
    assert_eq!(render_html(&clauses(), &a), render_html(&clauses(), &b));
    assert_eq!(render_junit(&a), render_junit(&b));
}

#[test]
fn what_redaction_leaves() {
    let mut a = alpha(4242, "1.5s");
    redact(&mut a);
    let keys: Vec<(ResultKind, &str)> = a.results.iter().map(|r| (r.kind, r.id.as_str())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let twice = a.results.iter().find(|r| r.id == "start/twice").unwrap();
    assert_eq!(
        twice.message.as_deref(),
        Some(
            "<Process name='Process-1' pid=<pid> parent=<pid> started> started twice after <duration>"
        )
    );
    let observed: Vec<String> = twice
        .ops
        .iter()
        .filter_map(|s| s.observed.as_ref().map(|o| format!("{o:?}")))
        .collect();
    assert!(observed.contains(&"Ok(Pid(0))".to_string()));
    assert!(observed.contains(&"Ok(Sentinel(0))".to_string()));
    assert!(observed.contains(&"Ok(Authkey(\"random-1\"))".to_string()));
}

#[test]
fn explicit_authkeys_are_kept() {
    let explicit = authkey_fingerprint(&[0xab, 0xcd]);
    let random = "0123456789abcdef".to_string();
    let mut case = result("authkey/set", &["authkey.set"], Status::Fail);
    case.ops = vec![
        step(
            "main",
            Op::Authkey { p: p1() },
            Some(Outcome::Ok(Value::Authkey(random.clone()))),
        ),
        step(
            "main",
            Op::SetAuthkey {
                p: p1(),
                key_hex: "abcd".into(),
            },
            Some(Outcome::NONE),
        ),
        step(
            "main",
            Op::Authkey { p: p1() },
            Some(Outcome::Ok(Value::Authkey(explicit.clone()))),
        ),
    ];
    case.expected = vec![format!("ok authkey:{explicit}")];
    case.observed = Some(format!("ok authkey:{random}"));
    let mut r = run(info("x"), vec![case]);
    redact(&mut r);
    let case = &r.results[0];
    assert_eq!(
        case.ops[0].observed,
        Some(Outcome::Ok(Value::Authkey("random-1".into())))
    );
    assert_eq!(
        case.ops[2].observed,
        Some(Outcome::Ok(Value::Authkey(explicit.clone())))
    );
    assert_eq!(case.expected, [format!("ok authkey:{explicit}")]);
    assert_eq!(case.observed.as_deref(), Some("ok authkey:random-1"));
}

#[test]
fn redaction_is_idempotent() {
    let mut a = alpha(4242, "1.5s");
    redact(&mut a);
    let once = a.clone();
    redact(&mut a);
    assert_eq!(a, once);
}
