//! Done-when of the Lifecycle trait: a new crate, in a temporary directory
//! outside the workspace, implements the trait for a tiny implementation
//! (`tests/external/tiny.rs`: fork, waitpid, kill) and runs
//! `conformance_suite!` in its own `cargo test`. Its path dependencies
//! point at this checkout; the workspace's Cargo.lock pins the versions;
//! its target directory is `target/external-crate` (kept between runs).

use std::path::Path;
use std::process::Command;

#[test]
fn a_crate_outside_the_workspace_runs_the_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().expect("the checkout");
    let dir = tempfile::Builder::new()
        .prefix("procspec-external-")
        .tempdir_in(std::env::temp_dir())
        .expect("a temporary directory");
    let d = dir.path();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::create_dir_all(d.join("tests")).unwrap();
    std::fs::write(
        d.join("Cargo.toml"),
        format!(
            r#"[package]
name = "tiny-process"
version = "0.1.0"
edition = "2021"

[workspace]

[dependencies]
procspec-harness = {{ path = "{root}/harness" }}
procspec-spec = {{ path = "{root}/spec" }}
libc = "0.2"

[dev-dependencies]
rstest = "0.23"

[profile.dev]
opt-level = 1
"#,
            root = root.display()
        ),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), d.join("Cargo.lock")).unwrap();
    std::fs::copy(
        root.join("harness/tests/external/tiny.rs"),
        d.join("src/lib.rs"),
    )
    .unwrap();
    // rstest's #[files] takes a relative glob: up from the crate to `/`,
    // then down to the checkout.
    let up = "../".repeat(d.components().count() - 1);
    let cases = format!(
        "{up}{}/cases/**/*.toml",
        root.display().to_string().trim_start_matches('/')
    );
    std::fs::write(
        d.join("tests/conformance.rs"),
        format!(
            r#"procspec_harness::conformance_suite! {{
    cases = "{cases}",
    adapter = procspec_harness::lifecycle::Host::new(tiny_process::Tiny),
    expectations = "expectations.toml",
    sequences = 16,
}}
"#,
        ),
    )
    .unwrap();
    // What the tiny implementation does not have: names, daemonic
    // processes, current_process() & co.
    let mut exp = String::new();
    for clause in [
        "name.initial",
        "name.default-form",
        "name.counter",
        "name.may-repeat",
        "name.identification",
        "current-process.main",
        "parent-process.none-in-main",
        "parent-process.creator",
        "active-children.live",
        "active-children.joins-finished",
        "construct.daemon-arg",
        "daemon.no-children",
    ] {
        exp.push_str(&format!(
            "[[divergence]]\nclause = \"{clause}\"\nreason = \"the tiny implementation has no such thing\"\n\n"
        ));
    }
    std::fs::write(d.join("expectations.toml"), exp).unwrap();

    let out = Command::new(env!("CARGO"))
        .args(["test", "--quiet"])
        .current_dir(d)
        .env("CARGO_TARGET_DIR", root.join("target/external-crate"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cargo test of the external crate failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("test result: ok"), "{stdout}");
}
