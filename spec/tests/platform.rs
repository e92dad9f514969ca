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
