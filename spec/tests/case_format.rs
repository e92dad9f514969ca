//! The case-file format's own checks: a bad file is an error naming the
//! file, the line and what was expected.

use procspec_spec::case::parse_case;

const ONE_STEP: &str = "\n[[step]]\nop = \"authkey\"\np = \"main\"\n";

fn case(head: &str) -> String {
    format!("description = \"d\"\nclauses = [\"authkey.random\"]\n{head}{ONE_STEP}")
}

#[test]
fn sessions_defaults_to_one_and_takes_two() {
    let one = parse_case(&case(""), "a.toml", "a/a").expect("parses");
    assert_eq!(one.sessions, 1);
    let two = parse_case(&case("sessions = 2\n"), "a.toml", "a/a").expect("parses");
    assert_eq!(two.sessions, 2);
}

#[test]
fn sessions_other_than_one_or_two_is_an_error_with_its_line() {
    for n in [0, 3] {
        let err = parse_case(&case(&format!("sessions = {n}\n")), "a.toml", "a/a")
            .expect_err("rejected")
            .to_string();
        assert!(err.contains("a.toml"), "{err}");
        assert!(err.contains(":3"), "names line 3: {err}");
        assert!(err.contains("must be 1 or 2"), "{err}");
    }
}
