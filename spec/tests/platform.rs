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
