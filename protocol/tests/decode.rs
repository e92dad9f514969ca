//! The decoder and encoder of protocol v1, line by line: accepted lines,
//! rejected ones and what their messages say, and hostile lines (control
//! characters, huge fields, deep nesting) that must give clean, bounded
//! messages.

use procspec_protocol::sanitize::is_invisible_format;
use procspec_protocol::*;
use procspec_spec::vocab::{Capability, ErrorKind, Op, Outcome, Ref, Step, Value as V};
use serde_json::{Map, Value};

const HELLO: &str = r#"{"type":"hello","protocol":1,"implementation":"cpython","version":"3.11.7","start_method":"fork","platform":"linux-x86_64","capabilities":["kill","teleport","fork","kill"],"pid":42,"process_class":"multiprocessing:Process"}"#;

#[test]
fn op_requests_nest_the_step() {
    let step = Step {
        at: Ref::main(),
        op: Op::Join {
            p: Ref::from("p1"),
            timeout_ms: Some(10),
        },
    };
    assert_eq!(
        Request::Op { id: 7, step }.line().unwrap(),
        r#"{"type":"op","id":7,"step":{"at":"main","op":"join","p":"p1","timeout_ms":10}}"#
    );
    assert_eq!(
        Request::Reset { id: 8 }.line().unwrap(),
        r#"{"type":"reset","id":8}"#
    );
    assert_eq!(Request::Shutdown.line().unwrap(), r#"{"type":"shutdown"}"#);
}

#[test]
fn hello() {
    let h = parse_hello(HELLO.as_bytes()).unwrap();
    assert_eq!(h.capabilities, [Capability::Kill, Capability::Fork]);
    assert_eq!(h.unknown_capabilities, ["teleport"]);
    assert_eq!(h.pid, 42);
    assert!(h.unknown_fields.is_empty());

    let two = HELLO.replace(r#""protocol":1"#, r#""protocol":2"#);
    let e = parse_hello(two.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), procspec_protocol::ErrorKind::Version);
    assert!(
        e.to_string()
            .starts_with("adapter speaks protocol 2, runner speaks 1"),
        "{e}"
    );

    let missing = HELLO.replace(r#""pid":42,"#, "");
    let e = parse_hello(missing.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), procspec_protocol::ErrorKind::Malformed);
    assert!(
        e.message().contains("missing field `pid`") && e.message().contains("cpython"),
        "{e}"
    );

    let extra = HELLO.replace(r#""pid":42"#, r#""pid":42,"mood":"fine""#);
    assert_eq!(
        parse_hello(extra.as_bytes()).unwrap().unknown_fields,
        ["mood"]
    );

    for bad in ["", "hello", "[1]", r#"{"type":"result","id":1}"#, "\u{0}"] {
        assert!(parse_hello(bad.as_bytes()).is_err(), "{bad}");
    }
    let e = parse_hello(br#"{"type":"error","id":null,"message":"no such class"}"#).unwrap_err();
    assert_eq!(e.kind(), procspec_protocol::ErrorKind::Refused);
    assert_eq!(e.to_string(), "adapter refused to start: no such class");
    let e = parse_hello(br#"{"type":"result","id":1}"#).unwrap_err();
    assert_eq!(e.kind(), procspec_protocol::ErrorKind::Unexpected);
    assert_eq!(
        e.to_string(),
        "expected a hello line, got type result: `{\"type\":\"result\",\"id\":1}`"
    );
}

#[test]
fn results() {
    let ok = parse_result(br#"{"type":"result","id":3,"outcome":{"ok":{"int":3}}}"#, 3).unwrap();
    assert_eq!(ok, Observed::plain(Outcome::Ok(V::Int(3))));
    let err = parse_result(
        br#"{"type":"result","id":4,"outcome":{"err":"not-parent"},"native":{"type":"AssertionError","message":"can only join a child process"}}"#,
        4,
    )
    .unwrap();
    assert_eq!(err.outcome, Outcome::Err(ErrorKind::NotParent));
    assert_eq!(err.native.unwrap().kind, "AssertionError");

    for (line, needle) in [
        (
            r#"{"type":"result","id":4,"outcome":{"ok":"none"}}"#,
            "request 4",
        ),
        (
            r#"{"type":"result","id":"3","outcome":{"ok":"none"}}"#,
            "request \"3\"",
        ),
        (
            r#"{"type":"result","outcome":{"ok":"none"}}"#,
            "without an id",
        ),
        (r#"{"type":"reset-done","id":3}"#, "got type reset-done"),
        (r#"{"type":"result","id":3}"#, "without an outcome"),
        (
            r#"{"type":"result","id":3,"outcome":{"ok":{"float":1.5}}}"#,
            "bad outcome",
        ),
        (
            r#"{"type":"result","id":3,"outcome":{"err":"oops"}}"#,
            "bad outcome",
        ),
        (
            r#"{"type":"result","id":3,"outcome":{"ok":"none"},"x":1}"#,
            "unknown field(s) x",
        ),
        (
            r#"{"type":"result","id":3,"outcome":{"ok":"none"},"native":{"type":"E","message":"m"}}"#,
            "ok outcome",
        ),
        (
            r#"{"type":"result","id":3,"outcome":{"err":"closed"},"native":"E"}"#,
            "bad native",
        ),
        (
            r#"{"type":"error","id":4,"message":"no agent p9"}"#,
            "for request 4",
        ),
        (r#"{"type":"error","id":3}"#, "without a message"),
        (
            r#"{"type":"error","id":3,"message":"m","why":1}"#,
            "unknown field(s) why",
        ),
        (r#"["result",3,{"ok":"none"}]"#, "not a JSON object"),
        ("garbage", "not JSON"),
        ("", "not JSON"),
    ] {
        match parse_result(line.as_bytes(), 3) {
            Err(Rejection::Broken(e)) => assert!(e.contains(needle), "{line}: {e}"),
            other => panic!("{line}: {other:?}"),
        }
    }
    for line in [
        r#"{"type":"error","id":3,"message":"no agent p9"}"#,
        r#"{"type":"error","id":null,"message":"no agent p9"}"#,
    ] {
        let refused = parse_result(line.as_bytes(), 3).unwrap_err();
        assert_eq!(refused, Rejection::Refused("no agent p9".into()));
    }
    assert!(parse_reset_done(br#"{"type":"reset-done","id":5}"#, 5).is_ok());
    assert_eq!(
        parse_reset_done(br#"{"type":"reset-done","id":5,"helpers":[7,9]}"#, 5).ok(),
        Some(ResetDone {
            helpers: vec![7, 9],
            fds: None
        })
    );
    assert_eq!(
        parse_reset_done(br#"{"type":"reset-done","id":5,"fds":12}"#, 5).ok(),
        Some(ResetDone {
            helpers: vec![],
            fds: Some(12)
        })
    );
    assert!(parse_reset_done(br#"{"type":"reset-done","id":5,"fds":-1}"#, 5).is_err());
    assert!(parse_reset_done(br#"{"type":"reset-done","id":5,"fds":"3"}"#, 5).is_err());
    assert!(parse_reset_done(br#"{"type":"reset-done","id":5,"helpers":["x"]}"#, 5).is_err());
    assert!(parse_reset_done(br#"{"type":"reset-done","id":6}"#, 5).is_err());
}

/// Which decoder a hostile line goes to.
#[derive(Clone, Copy, Debug)]
enum Decoder {
    Hello,
    Result,
    Reset,
}

/// The longest message any hostile line may produce, in characters.
const MAX_MESSAGE: usize = 600;

/// The first `n` characters of `text`.
fn head(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// What is wrong with a message made from adapter text: a control
/// character, or more than [`MAX_MESSAGE`] characters.
fn unclean(m: &str) -> Option<String> {
    let n = m.chars().count();
    if m.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        Some(format!(
            "a control or format character in {:?}",
            head(m, 300)
        ))
    } else if n > MAX_MESSAGE {
        Some(format!("a message of {n} characters: {:?}", head(m, 300)))
    } else {
        None
    }
}

/// Decode `line` with `decoder` (request id 3): it must be rejected
/// with a clean message that still contains `needle`; every other
/// decoder's rejection of the line must be clean too. Returns what is
/// wrong, if anything.
fn check(decoder: Decoder, line: &str, needle: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let hello = parse_hello(bytes);
    let result = parse_result(bytes, 3).map(|_| ());
    let reset = parse_reset_done(bytes, 3).map(|_| ());
    let mut wrong = Vec::new();
    let rejections = [
        ("hello", hello.as_ref().err().map(Error::message)),
        ("result", result.as_ref().err().map(Rejection::message)),
        ("reset-done", reset.as_ref().err().map(Rejection::message)),
    ];
    for (what, m) in rejections {
        wrong.extend(m.and_then(unclean).map(|e| format!("{what}: {e}")));
    }
    let message = match decoder {
        Decoder::Hello => rejections[0].1,
        Decoder::Result => rejections[1].1,
        Decoder::Reset => rejections[2].1,
    };
    match message {
        None => wrong.push(format!("{decoder:?} accepted it")),
        Some(m) if !m.contains(needle) => {
            wrong.push(format!("{decoder:?}: {needle:?} not in {:?}", head(m, 300)))
        }
        Some(_) => {}
    }
    let line = head(line, 60);
    wrong
        .into_iter()
        .map(|w| format!("{line:?}: {w}"))
        .collect()
}

/// `[[[...1...]]]`, `depth` deep.
fn nested(depth: usize) -> serde_json::Value {
    (0..depth).fold(serde_json::json!(1), |v, _| serde_json::json!([v]))
}

#[test]
fn hostile_lines_give_clean_bounded_messages() {
    use serde_json::json;
    use Decoder::{Hello as H, Reset as D, Result as R};
    let esc = "\u{1b}[2J\u{1b}[31mred";
    let long = "k".repeat(10_000);
    let long_esc = "\u{1b}".repeat(10_000);
    let nul = "a\u{0}b";
    // Reads "result.exe" backwards from the override on.
    let bidi = "a\u{202E}exe.tluser\u{200B}\u{FEFF}";
    let newline = "a\nb\r\nc";
    let deep = nested(100);
    let hello = |k: &str, v: serde_json::Value| {
        let mut h: Map<String, Value> = serde_json::from_str(HELLO).unwrap();
        h.insert(k.into(), v);
        Value::Object(h).to_string()
    };
    let result_with = |k: &str, v: serde_json::Value| {
        let mut m = Map::new();
        m.insert("type".into(), json!("result"));
        m.insert("id".into(), json!(3));
        m.insert("outcome".into(), json!({"ok": "none"}));
        m.insert(k.into(), v);
        Value::Object(m).to_string()
    };
    let many_keys = {
        let mut m = Map::new();
        m.insert("type".into(), json!("result"));
        m.insert("id".into(), json!(3));
        for i in 0..1000 {
            m.insert(format!("{esc}{i}{}", "z".repeat(100)), json!(i));
        }
        Value::Object(m).to_string()
    };
    let table: Vec<(Decoder, String, &str)> = vec![
        // Unknown fields with hostile names.
        (R, result_with(esc, json!(1)), "unknown field(s)"),
        (R, result_with(newline, json!(1)), "unknown field(s)"),
        (R, result_with(nul, json!(1)), "unknown field(s)"),
        (R, result_with(bidi, json!(1)), "unknown field(s)"),
        (R, result_with(&long, json!(1)), "unknown field(s)"),
        (R, result_with(&long_esc, json!(1)), "unknown field(s)"),
        (R, result_with("x", deep.clone()), "unknown field(s) x"),
        (R, many_keys.clone(), "and 995 more"),
        (D, json!({"type": "reset-done", "id": 3, esc: 1}).to_string(), "unknown field(s)"),
        (D, json!({"type": "reset-done", "id": 3, long_esc.clone(): 1}).to_string(), "unknown field(s)"),
        (R, json!({"type": "error", "id": 3, "message": "m", esc: 1}).to_string(), "`error` with unknown field(s)"),
        (R, json!({"type": "error", "id": 3, "message": "m", long.clone(): 1}).to_string(), "`error` with unknown field(s)"),
        (H, json!({"type": "error", "id": null, "message": "m", long_esc.clone(): 1}).to_string(), "`error` with unknown field(s)"),
        // Hostile types.
        (R, json!({"type": esc, "id": 3}).to_string(), "got type"),
        (R, json!({"type": long_esc.clone(), "id": 3}).to_string(), "got type"),
        (R, json!({"type": long.clone(), "id": 3}).to_string(), "got type"),
        (R, json!({"type": newline, "id": 3}).to_string(), "got type"),
        (R, json!({"type": deep.clone(), "id": 3}).to_string(), "got type"),
        (R, json!({"type": {esc: long.clone()}, "id": 3}).to_string(), "got type"),
        (D, json!({"type": nul, "id": 3}).to_string(), "got type"),
        (H, json!({"type": esc}).to_string(), "expected a hello line"),
        (H, json!({"type": deep.clone()}).to_string(), "expected a hello line"),
        // Hostile ids.
        (R, json!({"type": "result", "id": long_esc.clone()}).to_string(), "for request"),
        (R, json!({"type": "result", "id": deep.clone()}).to_string(), "for request"),
        (D, json!({"type": "reset-done", "id": long.clone()}).to_string(), "for request"),
        (R, json!({"type": "error", "id": long_esc.clone(), "message": "m"}).to_string(), "`error` for request"),
        (R, json!({"type": "error", "id": deep.clone(), "message": "m"}).to_string(), "`error` for request"),
        // Hostile refusals: the adapter's own message.
        (R, json!({"type": "error", "id": 3, "message": format!("no agent {long_esc}")}).to_string(), "no agent"),
        (D, json!({"type": "error", "id": 3, "message": format!("busy{newline}{long}")}).to_string(), "busy"),
        (H, json!({"type": "error", "id": null, "message": format!("{esc}{long}")}).to_string(), "adapter refused to start"),
        // Wrong types and values in fields serde decodes.
        (H, hello("protocol", json!(long_esc.clone())), "runner speaks 1"),
        (H, hello("protocol", deep.clone()), "runner speaks 1"),
        (H, hello("pid", json!(long_esc.clone())), "bad hello"),
        (H, hello("pid", deep.clone()), "bad hello"),
        (H, hello("implementation", json!(7)), "bad hello"),
        (H, hello("capabilities", json!(esc)), "bad hello"),
        (H, hello("capabilities", json!([esc, 1])), "bad hello"),
        (R, result_with("outcome", json!({"err": esc})), "bad outcome"),
        (R, result_with("outcome", json!({"err": long_esc.clone()})), "bad outcome"),
        (R, result_with("outcome", json!({"ok": {"str": 1}})), "bad outcome"),
        (R, result_with("outcome", json!({long_esc.clone(): 1})), "bad outcome"),
        (R, result_with("outcome", json!({"ok": {newline: long.clone()}})), "bad outcome"),
        (R, result_with("outcome", deep.clone()), "bad outcome"),
        (R, json!({"type": "result", "id": 3, "outcome": {"err": "closed"}, "native": long_esc.clone()}).to_string(), "bad native"),
        (R, json!({"type": "result", "id": 3, "outcome": {"err": "closed"}, "native": {"type": 1, "message": esc}}).to_string(), "bad native"),
        (D, json!({"type": "reset-done", "id": 3, "helpers": [long_esc.clone()]}).to_string(), "list of pids"),
        // Not JSON, not an object.
        (R, format!("{esc}{nul}{long_esc}"), "not JSON"),
        (H, format!("{{\"type\":\"{long_esc}\"}}"), "not JSON"),
        (R, json!(long_esc.clone()).to_string(), "not a JSON object"),
        (D, deep.to_string(), "not a JSON object"),
    ];
    let wrong: Vec<String> = table
        .iter()
        .flat_map(|(decoder, line, needle)| check(*decoder, line, needle))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn quotes_are_short() {
    let long = "x".repeat(10_000);
    let q = quote(long.as_bytes());
    assert_eq!(q.len(), 200 + "``[...]".len());
    assert_eq!(quote(b"\xff a"), "`\u{fffd} a`");
    assert_eq!(quote(b"\x1b[31mred\r"), r"`\u{1b}[31mred\r`");
    // The bound is on the escaped text: an escape is never cut.
    let q = quote(&[0x1b; 1000]);
    assert_eq!(q, format!("`{}[...]`", r"\u{1b}".repeat(33)));
}

#[test]
fn requests() {
    let parse = |line: &str| parse_request(line.as_bytes()).map_err(|e| e.id);
    assert!(matches!(
        parse(r#"{"type":"op","id":3,"step":{"at":"main","op":"name","p":"p1"}}"#),
        Ok(Request::Op { id: 3, .. })
    ));
    assert_eq!(
        parse(r#"{"type":"reset","id":4}"#),
        Ok(Request::Reset { id: 4 })
    );
    assert_eq!(parse(r#"{"type":"shutdown"}"#), Ok(Request::Shutdown));
    assert_eq!(parse("garbage"), Err(None));
    assert_eq!(parse("[1]"), Err(None));
    assert_eq!(
        parse(r#"{"type":"op","id":5,"step":{"at":"main","op":"fly"}}"#),
        Err(Some(5))
    );
    assert_eq!(parse(r#"{"type":"reset"}"#), Err(None));
}

#[test]
fn replies_and_hello_round_trip() {
    let reply = Reply::result(
        3,
        Observed {
            outcome: Outcome::Err(ErrorKind::NotParent),
            native: Some(NativeError {
                kind: "E".into(),
                message: "m".into(),
            }),
            elapsed: Some(std::time::Duration::from_millis(3)),
        },
    );
    let line = reply.line().unwrap();
    let back = parse_result(line.as_bytes(), 3).unwrap();
    assert_eq!(back.outcome, Outcome::Err(ErrorKind::NotParent));
    assert_eq!(back.elapsed, Some(std::time::Duration::from_millis(3)));
    let done = Reply::ResetDone {
        id: 4,
        helpers: vec![],
        fds: None,
    }
    .line()
    .unwrap();
    assert_eq!(done, r#"{"type":"reset-done","id":4}"#);
    assert_eq!(
        parse_reset_done(done.as_bytes(), 4),
        Ok(ResetDone::default())
    );
    let done = Reply::ResetDone {
        id: 4,
        helpers: vec![3],
        fds: Some(9),
    }
    .line()
    .unwrap();
    assert_eq!(
        done,
        r#"{"type":"reset-done","id":4,"helpers":[3],"fds":9}"#
    );
    let refused = Reply::Error {
        id: None,
        message: "no".into(),
    }
    .line()
    .unwrap();
    assert_eq!(refused, r#"{"type":"error","id":null,"message":"no"}"#);
    let hello = parse_hello(HELLO.as_bytes()).unwrap();
    let again = parse_hello(hello.line().unwrap().as_bytes()).unwrap();
    assert_eq!(again.capabilities, hello.capabilities);
    assert_eq!(again.process_class, hello.process_class);
}
