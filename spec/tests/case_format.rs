//! The case-file format's own checks: a bad file is an error naming the
//! file, the line and what was expected.

use procspec_spec::case::parse_case;
use procspec_spec::vocab::Capability;
use procspec_spec::SpecError;

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

/// Every `[[step]]` header gives its step's line, however it is spaced or
/// commented; a commented-out header is no header. The model's objections
/// to a step are reported at that line.
#[test]
fn each_step_knows_the_line_of_its_header() {
    let text = "\
description = \"d\"
clauses = [\"authkey.random\"]
# [[step]] (commented out)

[[step]]
op = \"authkey\"
p = \"main\"

  [[ step ]]   # spaced, with a comment
op = \"authkey\"
p = \"main\"
[[step]]#tight
op = \"authkey\"
p = \"main\"
";
    let case = parse_case(text, "a.toml", "a/a").expect("parses");
    let lines: Vec<usize> = case.steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, [5, 9, 12]);
}

// The step lists below follow a three-line head (description, clauses,
// needs), so their first `[[step]]` header is line 5.

/// Create `p1` and an agent `p2` (which, under fork, inherits a copy of
/// `p1`), then join `p1` at `p2` (header at line 19): that step runs only in
/// a world where agents inherit their creator's objects.
const JOIN_AT_A_COPY: &str = "
[[step]]
op = \"create\"
id = \"p1\"
target = { kind = \"return\" }

[[step]]
op = \"create\"
id = \"p2\"
target = { kind = \"agent\" }

[[step]]
op = \"start\"
p = \"p2\"

[[step]]
at = \"p2\"
op = \"join\"
p = \"p1\"
expect = { err = \"not-parent\" }
";

/// Start `p1` twice (the second start's header at line 14), stating the
/// second start's outcome: `START_TWICE` then `expect = ...`.
const START_TWICE: &str = "
[[step]]
op = \"create\"
id = \"p1\"
target = { kind = \"return\" }

[[step]]
op = \"start\"
p = \"p1\"

[[step]]
op = \"start\"
p = \"p1\"
";

/// `Case::validate` runs the steps through the model, in the world the
/// case's capabilities give (its own `needs` and its clauses'): a case the
/// model cannot run, or whose stated outcome it does not allow, is refused
/// with the file, the line of the step's header (when there is one) and
/// why. Each row: the clauses, the needs, the steps, and `None` (valid) or
/// the error's beginning and a part of its text.
#[test]
fn validation_refuses_what_the_model_refuses_at_the_steps_line() {
    let check = |clauses: &str, needs: &str, steps: &str, want: Option<(&str, &str)>| {
        let text =
            format!("description = \"d\"\nclauses = [{clauses}]\nneeds = [{needs}]\n{steps}");
        let case = parse_case(&text, "a.toml", "a/a").unwrap_or_else(|e| panic!("{e}"));
        let got = case.validate("a.toml").map_err(|e| e.to_string());
        match (want, got) {
            (None, Ok(())) => {}
            (Some((start, part)), Err(e)) => {
                assert!(e.starts_with(start), "want {start:?}...: {e}");
                assert!(e.contains(part), "want {part:?}: {e}");
            }
            (want, got) => panic!("{clauses} / {needs}:{steps}\nwant {want:?}, got {got:?}"),
        }
    };
    let second_start_fails = format!("{START_TWICE}expect = {{ err = \"already-started\" }}\n");
    let second_start_succeeds = format!("{START_TWICE}expect = {{ ok = \"none\" }}\n");
    for (clauses, needs, steps, want) in [
        ("\"start.once\"", "", second_start_fails.as_str(), None),
        (
            "\"start.once\"",
            "",
            &second_start_succeeds,
            Some((
                "a.toml:14: step `main: start p1` expects `ok none`",
                "allows only: err already-started",
            )),
        ),
        // An object no step created.
        (
            "\"start.once\"",
            "",
            "\n[[step]]\nop = \"start\"\np = \"p9\"\n",
            Some(("a.toml:5: step `main: start p9`", "main holds no object p9")),
        ),
        // join.parent-only needs inherit-handles, and so does a case that
        // says so: either runs in a fork world. Without it, p2 has no copy.
        ("\"join.parent-only\"", "", JOIN_AT_A_COPY, None),
        (
            "\"start.once\"",
            "\"inherit-handles\"",
            JOIN_AT_A_COPY,
            None,
        ),
        (
            "\"start.once\"",
            "\"agent\"",
            JOIN_AT_A_COPY,
            Some(("a.toml:19: step `p2: join p1`", "p2 holds no object p1")),
        ),
        // Steps as an inline array have no header: the error has no line.
        (
            "\"start.once\"",
            "",
            "step = [{ op = \"start\", p = \"p9\" }]\n",
            Some(("a.toml: step `main: start p9`", "main holds no object p9")),
        ),
    ] {
        check(clauses, needs, steps, want);
    }
}

/// A case needs its own capabilities and its clauses', each once, sorted.
#[test]
fn a_case_needs_its_own_capabilities_and_its_clauses() {
    use Capability as C;
    let text = "description = \"d\"\nclauses = [\"join.parent-only\", \"start.parent-only\"]\nneeds = [\"sentinel\", \"agent\"]\n[[step]]\nop = \"authkey\"\np = \"main\"\n";
    let case = parse_case(text, "a.toml", "a/a").expect("parses");
    assert_eq!(case.all_needs(), [C::Sentinel, C::Agent, C::InheritHandles]);
}

/// An error names its file, and its line only when known: line 0 means
/// unknown, and `a.toml:0:` would send an editor to a line that is not there.
#[test]
fn an_error_names_its_line_only_when_known() {
    for (line, shown) in [(0, "a.toml: m"), (1, "a.toml:1: m"), (12, "a.toml:12: m")] {
        assert_eq!(SpecError::invalid("a.toml", line, "m").to_string(), shown);
    }
}
