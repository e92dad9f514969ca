//! `junit.xml`: a snapshot, and a walk with an XML parser to check it is
//! well-formed and its counts add up.

use crate::fixtures::runs;
use procspec_reports::render_junit;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeMap;

#[test]
fn report() {
    insta::assert_snapshot!(render_junit(&runs()));
}

/// A testsuite's attributes and what its testcases hold.
#[derive(Debug, Default, PartialEq)]
struct Suite {
    attrs: BTreeMap<String, String>,
    /// Per testcase `classname/name`, the child element (`failure`,
    /// `error`, `skipped`) or `pass`.
    cases: Vec<(String, String)>,
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
            (key, a.unescape_value().expect("valid escapes").into_owned())
        })
        .collect()
}

fn parse(xml: &str) -> BTreeMap<String, Suite> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut suites = BTreeMap::new();
    let mut suite: Option<(String, Suite)> = None;
    let mut case: Option<String> = None;
    loop {
        let ev = reader.read_event().expect("well-formed xml");
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let a = attrs(&e);
                assert!(!a.contains_key("time"), "no time attributes: {a:?}");
                match name.as_str() {
                    "testsuite" => {
                        suite = Some((
                            a["name"].clone(),
                            Suite {
                                attrs: a,
                                cases: vec![],
                            },
                        ));
                    }
                    "testcase" => {
                        let id = format!("{}/{}", a["classname"], a["name"]);
                        suite
                            .as_mut()
                            .unwrap()
                            .1
                            .cases
                            .push((id.clone(), "pass".into()));
                        case = Some(id);
                    }
                    "failure" | "error" | "skipped" => {
                        assert!(case.is_some(), "{name} outside a testcase");
                        assert!(a.contains_key("message"));
                        suite.as_mut().unwrap().1.cases.last_mut().unwrap().1 = name.clone();
                    }
                    _ => {}
                }
                if empty && name == "testcase" {
                    case = None;
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"testsuite" => {
                    let (name, s) = suite.take().unwrap();
                    suites.insert(name, s);
                }
                b"testcase" => case = None,
                _ => {}
            },
            _ => {}
        }
    }
    suites
}

fn count(s: &Suite, what: &str) -> String {
    s.cases
        .iter()
        .filter(|(_, k)| k == what)
        .count()
        .to_string()
}

#[test]
fn well_formed_with_matching_counts() {
    let suites = parse(&render_junit(&runs()));
    assert_eq!(
        suites.keys().collect::<Vec<_>>(),
        ["alpha", "beta", "gamma"]
    );
    for s in suites.values() {
        assert_eq!(s.attrs["tests"], s.cases.len().to_string());
        assert_eq!(s.attrs["failures"], count(s, "failure"));
        assert_eq!(s.attrs["errors"], count(s, "error"));
        assert_eq!(s.attrs["skipped"], count(s, "skipped"));
    }
    let alpha = &suites["alpha"];
    // fail x4 + unexpected-pass; timeout + crash; skip, precondition-failed,
    // expected-fail.
    assert_eq!(
        (
            &*alpha.attrs["tests"],
            &*alpha.attrs["failures"],
            &*alpha.attrs["errors"],
            &*alpha.attrs["skipped"]
        ),
        ("13", "5", "2", "3")
    );
    assert!(alpha
        .cases
        .contains(&("alpha.sequence/sequence/7".into(), "failure".into())));
    assert!(alpha
        .cases
        .contains(&("alpha.case/join/blocks".into(), "error".into())));
    // The skipped implementation shows as one skipped test.
    assert_eq!(
        suites["gamma"].cases,
        [("gamma/gamma".to_string(), "skipped".to_string())]
    );
    assert_eq!(suites["beta"].attrs["failures"], "0");
}

#[test]
fn escapes_data() {
    let mut runs = runs();
    runs[1].results[0].message = Some("<bad> & \"worse\" \u{1} ]]>".into());
    runs[1].results[0].id = "a<b>&\"c\"".into();
    parse(&render_junit(&runs));
}
