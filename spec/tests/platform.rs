//! The platform conditions (`spec/src/platform.rs`): every one rests on a
//! sentence of `spec/sources/` and qualifies a clause that exists.

use procspec_spec::platform::{conditions, Platform, CONDITIONS};

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sources() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sources");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).expect("spec/sources") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n != "README.md") {
            all.push_str(&normalise(&std::fs::read_to_string(&path).expect("read")));
            all.push('\n');
        }
    }
    all
}

#[test]
fn every_condition_quotes_a_source_and_names_a_clause() {
    let text = sources();
    let mut bad = Vec::new();
    for c in CONDITIONS {
        if !text.contains(&normalise(c.quote)) {
            bad.push(format!("{:?} {:?}: quote not found", c.platform, c.clause));
        }
        if let Some(id) = c.clause {
            if procspec_spec::clause(id).is_none() {
                bad.push(format!("{:?}: no clause {id}", c.platform));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn outcomes_by_platform() {
    assert_eq!(Platform::Linux.exit_code(9), -9);
    assert_eq!(Platform::MacOs.exit_code(15), -15);
    assert_eq!(Platform::Windows.exit_code(9), -15);
    assert_eq!(Platform::Windows.start_methods(), ["spawn"]);
    assert_eq!(Platform::MacOs.default_start_method(), "spawn");
    assert_eq!(Platform::Linux.default_start_method(), "fork");
    assert_eq!(Platform::from_os("freebsd"), Some(Platform::Bsd));
    assert!(conditions(Platform::Windows).count() >= 3);
    assert!(conditions(Platform::Linux).next().is_none());
}

#[test]
fn a_hellos_platform_names_its_os_in_rusts_words_or_pythons() {
    let cases = [
        ("linux-x86_64", Some(Platform::Linux)),
        ("darwin-arm64", Some(Platform::MacOs)),
        ("macos-aarch64", Some(Platform::MacOs)),
        ("win32-amd64", Some(Platform::Windows)),
        ("windows-x86_64", Some(Platform::Windows)),
        ("freebsd14-amd64", Some(Platform::Bsd)),
        ("freebsd-x86_64", Some(Platform::Bsd)),
        ("sunos5-sparc", None),
    ];
    for (hello, platform) in cases {
        assert_eq!(Platform::from_hello(hello), platform, "{hello}");
    }
}

/// The model judges a run by its platform's outcomes: on Windows a killed
/// child's exit code is -15 (kill() is terminate(), both
/// TerminateProcess), and a target that ignores SIGTERM still ends.
#[test]
fn the_model_gives_a_windows_run_its_exit_codes() {
    use procspec_spec::model::{transition, Expect, World};
    use procspec_spec::vocab::{Op, Outcome, Ref, Step, Target, Value};
    let main = |op| Step {
        at: Ref::from("main"),
        op,
    };
    let p = || Ref::from("p1");
    // (platform, target, signal op) -> the exit codes a join then allows
    let cases = [
        (
            Platform::Linux,
            Target::Block,
            Op::Kill { p: p() },
            vec![-9],
        ),
        (
            Platform::Windows,
            Target::Block,
            Op::Kill { p: p() },
            vec![-15],
        ),
        (
            Platform::Linux,
            Target::Block,
            Op::Terminate { p: p() },
            vec![-15],
        ),
        (
            Platform::Windows,
            Target::IgnoreSigterm,
            Op::Terminate { p: p() },
            vec![-15],
        ),
        (
            Platform::Linux,
            Target::IgnoreSigterm,
            Op::Terminate { p: p() },
            vec![],
        ),
    ];
    for (platform, target, signal, codes) in cases {
        let steps = [
            main(Op::Create {
                id: p(),
                name: None,
                daemon: None,
                target: target.clone(),
                group: None,
            }),
            main(Op::Start { p: p() }),
            main(signal.clone()),
        ];
        let mut w = World::new(true).on(platform);
        for step in &steps {
            w = transition(&w, step).expect("valid")[0].next.clone();
        }
        // A bounded join, then the exit code: what may it be?
        let join = main(Op::Join {
            p: p(),
            timeout_ms: Some(0),
        });
        let mut allowed = Vec::new();
        for arm in transition(&w, &join).expect("valid") {
            for a in transition(&arm.next, &main(Op::Exitcode { p: p() })).expect("valid") {
                if let Expect::Is(Outcome::Ok(Value::Int(c))) = a.expect {
                    if !allowed.contains(&c) {
                        allowed.push(c);
                    }
                }
            }
        }
        assert_eq!(allowed, codes, "{platform:?} {target:?} {signal:?}");
    }
}

#[test]
fn a_target_that_signals_itself_ends_with_its_platforms_code() {
    use procspec_spec::vocab::{SelfSignal, Target};
    let cases = [
        (Platform::Linux, SelfSignal::Abort, -6),
        (Platform::Linux, SelfSignal::Usr1, -10),
        (Platform::MacOs, SelfSignal::Usr1, -30),
        (Platform::Bsd, SelfSignal::Abort, -6),
        (Platform::Windows, SelfSignal::Abort, 3),
        (Platform::Windows, SelfSignal::Usr1, 1),
    ];
    for (platform, signal, code) in cases {
        let target = Target::SelfSignal { signal };
        assert_eq!(
            platform.target_exit_code(&target),
            Some(code),
            "{platform:?} {signal:?}"
        );
    }
    assert_eq!(
        Platform::Windows.target_exit_code(&Target::Exit { code: 7 }),
        Some(7)
    );
    assert_eq!(Platform::Windows.target_exit_code(&Target::Block), None);
}

/// Every committed case, parsed, with its id (`dir/name`).
fn committed_cases() -> Vec<(String, procspec_spec::case::Case)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("cases/") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                let id = path
                    .strip_prefix(&root)
                    .unwrap()
                    .with_extension("")
                    .display()
                    .to_string();
                let text = std::fs::read_to_string(&path).unwrap();
                let case = procspec_spec::case::parse_case(&text, &path.display().to_string(), &id)
                    .unwrap_or_else(|e| panic!("{e}"));
                out.push((id, case));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Which committed cases a Windows run skips as precondition-failed
/// (`Case::validate_on`): those whose stated outcomes differ there (a
/// kill's -9, a self-signal's code), and those that state the only
/// outcome Unix allows where Windows allows another too (an ignored
/// SIGTERM's "still running"). Every one is valid on Unix, and on Linux
/// itself nothing is skipped. A change to the model's platform rules or to
/// the cases shows here, case by case.
#[test]
fn the_cases_a_windows_run_skips_are_those_stating_unix_outcomes() {
    let cases = committed_cases();
    assert!(cases.len() > 100, "{} cases", cases.len());
    let mut skipped = Vec::new();
    for (id, case) in &cases {
        case.validate_on(id, Platform::Linux)
            .unwrap_or_else(|e| panic!("{id} is not valid on Linux: {e}"));
        if let Err(e) = case.validate_on(id, Platform::Windows) {
            skipped.push((id.clone(), e.to_string()));
        }
    }
    let ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, WINDOWS_SKIPS, "{skipped:#?}");
    // The pinned ones say why.
    for (id, why) in &skipped {
        if PINNED_ON_UNIX.contains(&id.as_str()) {
            assert!(why.contains("the only outcome on Unix"), "{id}: {why}");
        } else {
            assert!(why.contains("the model allows only"), "{id}: {why}");
        }
    }
}

/// The committed cases a Windows run skips, by id.
const WINDOWS_SKIPS: &[&str] = &[
    "close/ignoring-sigterm-after-terminate",
    "construct/daemon-arg-reaches-child",
    "daemon/daemonic-child-ignoring-sigterm-holds-exit",
    "daemon/exit-waits-for-non-daemonic-child",
    "exitcode/self-signal",
    "kill/orphans-descendants",
    "kill/running",
    "sentinel/ready-after-kill",
    "terminate/ignored-sigterm",
    "terminate/ignored-sigterm-then-released",
];

/// Of those, the ones skipped because they pin down what Windows leaves
/// open (the others state an outcome Windows does not allow).
const PINNED_ON_UNIX: &[&str] = &[
    "close/ignoring-sigterm-after-terminate",
    "sentinel/ready-after-kill",
    "terminate/ignored-sigterm",
    "terminate/ignored-sigterm-then-released",
];
