//! Nothing a run writes leaks the key (moved from the harness's
//! `robustness.rs` with `run_implementation`, which it drives).
//!
//! A run of the reference (fork and spawn) over the authkey cases and a
//! few others plus state-machine sequences, its unredacted JSON, the
//! reports `procspec report` renders from it, the progress log, the
//! children's stderr, serialisation errors and the `Debug`/`Display` of
//! everything that holds the key contain the main process's key (which
//! every child shares) in no form: raw, hex, base64, byte list. The key is
//! 32 bytes, not all zero, and two fresh processes get different keys.
//!
//! Unix only: the reference adapter needs fork and pipes passed by number.
#![cfg(unix)]

use procspec_harness::cases::{load_cases, LoadedCase};
use procspec_harness::expectations::Expectations;
use procspec_harness::reference_adapter::{register_targets, ReferenceAdapter};
use procspec_harness::{suite, Adapter};
use procspec_reference::{current_process, Authkey, Process, StartMethod, Target};
use procspec_runner::run::{run_implementation, RunOptions};
use procspec_spec::results::RunReport;
use procspec_spec::vocab::{authkey_fingerprint, Op, Outcome, Value as V};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Spawned children re-run this binary with `spawn_entry --exact`: here
/// they become their target.
#[test]
fn spawn_entry() {
    register_targets();
    procspec_reference::init();
}

const SPAWN_ARGS: [&str; 5] = [
    "spawn_entry",
    "--exact",
    "--nocapture",
    "--test-threads=1",
    "-q",
];

/// Standard base64 (`url`: the URL-safe alphabet), std only.
fn base64(data: &[u8], url: bool, pad: bool) -> String {
    let alphabet: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_encoder_is_right() {
    assert_eq!(base64(b"", false, true), "");
    assert_eq!(base64(b"f", false, true), "Zg==");
    assert_eq!(base64(b"fo", false, true), "Zm8=");
    assert_eq!(base64(b"foo", false, true), "Zm9v");
    assert_eq!(base64(b"foobar", false, true), "Zm9vYmFy");
    assert_eq!(base64(b"fooba", false, false), "Zm9vYmE");
    assert_eq!(base64(&[0xfb, 0xff], false, true), "+/8=");
    assert_eq!(base64(&[0xfb, 0xff], true, true), "-_8=");
}

/// Every form the key could take in text or bytes: raw, hex (both cases),
/// base64 (standard and URL-safe, with and without padding), the byte list
/// as JSON and as `Debug` prints it, escaped bytes; and the same of its
/// first 12 bytes, to catch a truncated copy.
fn key_forms(key: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut forms = vec![("the raw key".to_string(), key.to_vec())];
    for (label, part) in [("the key", key), ("its 12-byte prefix", &key[..12])] {
        let hex: String = part.iter().map(|b| format!("{b:02x}")).collect();
        forms.push((
            format!("{label} as lowercase hex"),
            hex.clone().into_bytes(),
        ));
        forms.push((
            format!("{label} as uppercase hex"),
            hex.to_uppercase().into_bytes(),
        ));
        for url in [false, true] {
            for pad in [false, true] {
                forms.push((
                    format!("{label} as base64 (url={url}, pad={pad})"),
                    base64(part, url, pad).into_bytes(),
                ));
            }
        }
    }
    forms.push((
        "the key as a JSON byte list".into(),
        serde_json::to_vec(&key.to_vec()).unwrap(),
    ));
    forms.push((
        "the key as a Debug byte list".into(),
        format!("{key:?}").into_bytes(),
    ));
    forms.push((
        "the key as escaped bytes".into(),
        key.escape_ascii().to_string().into_bytes(),
    ));
    forms
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Restores stderr when dropped (so that a failing test does not leave it
/// redirected).
struct StderrTo {
    saved: std::os::fd::OwnedFd,
}

impl StderrTo {
    fn file(path: &Path) -> StderrTo {
        use std::os::fd::{AsFd, AsRawFd};
        let file = std::fs::File::create(path).unwrap();
        // A close-on-exec copy: spawned children get the file as stderr and
        // nothing else.
        let saved = std::io::stderr().as_fd().try_clone_to_owned().unwrap();
        nix::unistd::dup2(file.as_raw_fd(), 2).unwrap();
        StderrTo { saved }
    }
}

impl Drop for StderrTo {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        let _ = nix::unistd::dup2(self.saved.as_raw_fd(), 2);
    }
}

/// The `procspec` binary of this build (`target/<profile>/procspec`, beside
/// `deps/` where this test runs), or `PROCSPEC_BIN`.
fn procspec_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROCSPEC_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("procspec");
    bin.is_file().then_some(bin)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The cases the hygiene run uses: every authkey case (they observe,
/// set and try to serialise keys, at main and in children) and those of a
/// few areas whose results carry error messages.
fn hygiene_cases() -> Vec<LoadedCase> {
    let all = load_cases(&root().join("cases")).unwrap_or_else(|e| panic!("{e}"));
    let picked: Vec<LoadedCase> = all
        .into_iter()
        .filter(|c| {
            c.case.id.starts_with("authkey/")
                || c.case.id.starts_with("exceptions/")
                || c.case.id.starts_with("current-process/")
                || c.case.id == "start/twice"
                || c.case.id == "close/running"
        })
        .collect();
    assert!(picked.iter().any(|c| c.case.id.starts_with("authkey/")));
    picked
}

#[test]
fn authkey_never_leaks() {
    register_targets();
    procspec_reference::set_spawn_args(SPAWN_ARGS.map(String::from).to_vec());
    procspec_reference::init();
    let _lock = suite::lock();

    let key = current_process().authkey().as_bytes().to_vec();
    assert_eq!(key.len(), 32, "the main process's key is 32 bytes");
    assert!(key.iter().any(|&b| b != 0), "the key is not all zero");
    let fingerprint = authkey_fingerprint(&key);

    let dir = std::env::temp_dir().join(format!("procspec-authkey-hygiene-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();

    let cases = hygiene_cases();
    let mut raw_runs: Vec<RunReport> = Vec::new();
    {
        // What children print (panicking targets, messages) lands here.
        let _stderr = StderrTo::file(&dir.join("children.stderr"));
        for (method, name) in [
            (StartMethod::Fork, "reference-fork"),
            (StartMethod::Spawn, "reference-spawn"),
        ] {
            let mut adapter = ReferenceAdapter::reference(method);
            let options = RunOptions {
                implementation: name.into(),
                sequences: 12,
                seed: 7,
                max_steps: 12,
                regressions: None,
                expectations: Expectations::default(),
                stall_threshold: procspec_harness::breaker::DEFAULT_THRESHOLD,
                selection: procspec_harness::units::Selection::all(),
            };
            let mut log = String::new();
            let (report, coverage) = run_implementation(&mut adapter, &cases, &options, &mut |p| {
                log.push_str(&format!("{p:?}\n"))
            });
            texts.push((format!("{name} progress log"), log.into_bytes()));
            texts.push((
                format!("{name} coverage"),
                format!("{coverage:?}").into_bytes(),
            ));
            texts.push((
                format!("{name} adapter info"),
                format!("{:?}", adapter.info()).into_bytes(),
            ));
            texts.push((
                format!("{name} report Debug"),
                format!("{report:?}").into_bytes(),
            ));
            std::fs::write(
                dir.join("runs").join(format!("{name}.json")),
                serde_json::to_string_pretty(&report).unwrap() + "\n",
            )
            .unwrap();
            raw_runs.push(report);
        }
    }
    for run in &raw_runs {
        eprintln!(
            "{}: {} results {:?}, leaks {:?}",
            run.run_info.implementation,
            run.results.len(),
            run.summary,
            run.leaks
        );
    }
    // The reports, rendered by the CLI (`procspec report`, which redacts
    // and renders with procspec-reports: not a dependency of this crate).
    match procspec_binary() {
        Some(bin) => {
            let out = std::process::Command::new(&bin)
                .arg("report")
                .arg(dir.join("runs"))
                .output()
                .unwrap();
            texts.push(("`procspec report` stdout".into(), out.stdout.clone()));
            texts.push(("`procspec report` stderr".into(), out.stderr.clone()));
            assert!(
                out.status.success(),
                "{} report: {}",
                bin.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        None => eprintln!(
            "NOTE: the procspec binary is not built next to this test (cargo test --workspace \
             builds it), so the rendered reports were not checked"
        ),
    }

    // The run did look at keys, in main and in children: the child's key
    // (under fork and under spawn, where it travelled to the child) is the
    // main process's, so searching for that one covers both.
    for run in &raw_runs {
        let r = run
            .results
            .iter()
            .find(|r| r.id == "authkey/inherited-by-child-and-grandchild")
            .expect("the inheritance case ran");
        let in_child: Vec<&String> = r
            .ops
            .iter()
            .filter(|rec| !rec.step.at.is_main() && matches!(rec.step.op, Op::Authkey { .. }))
            .filter_map(|rec| match &rec.observed {
                Some(Outcome::Ok(V::Authkey(fp))) => Some(fp),
                _ => None,
            })
            .collect();
        assert!(
            !in_child.is_empty(),
            "{}: {r:?}",
            run.run_info.implementation
        );
        assert!(
            in_child.iter().all(|fp| **fp == fingerprint),
            "{}: a child's key differs from main's: {in_child:?}",
            run.run_info.implementation
        );
    }
    let raw_json = std::fs::read_to_string(dir.join("runs/reference-fork.json")).unwrap();
    assert!(
        raw_json.contains(&fingerprint),
        "no key was observed at all"
    );

    // Everything else that holds the key, printed and serialised.
    let me = current_process();
    let p = Process::new(Target::none());
    assert_eq!(p.authkey().unwrap().as_bytes(), &key[..]);
    let started = Process::new(Target::none());
    started.start().unwrap();
    texts.push(("unstarted Process".into(), format!("{p:?}").into_bytes()));
    texts.push((
        "started Process".into(),
        format!("{started:?}").into_bytes(),
    ));
    started.join(None).unwrap();
    texts.push(("joined Process".into(), format!("{started:?}").into_bytes()));
    started.close().unwrap();
    texts.push((
        "Process handle JSON".into(),
        serde_json::to_vec(&p).unwrap(),
    ));
    texts.push(("CurrentProcess".into(), format!("{me:?}").into_bytes()));
    let k: &Authkey = me.authkey();
    texts.push(("Authkey Debug".into(), format!("{k:?} {k:#?}").into_bytes()));
    texts.push((
        "Authkey Display".into(),
        format!("{k} {k:>80}").into_bytes(),
    ));
    let json_err = serde_json::to_string(k).expect_err("an authkey is not serialisable");
    texts.push((
        "JSON serialisation error".into(),
        format!("{json_err} {json_err:?}").into_bytes(),
    ));
    let toml_err = toml::to_string(
        &[("key", k.clone())]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
    .expect_err("an authkey is not serialisable");
    texts.push((
        "TOML serialisation error".into(),
        format!("{toml_err} {toml_err:?}").into_bytes(),
    ));
    let vec_err = serde_json::to_vec(&vec![k.clone()]).expect_err("not serialisable inside a list");
    texts.push((
        "nested serialisation error".into(),
        vec_err.to_string().into_bytes(),
    ));
    drop(p);

    let mut produced = Vec::new();
    files_under(&dir, &mut produced);
    let names: Vec<String> = produced
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in [
        "index.md",
        "index.html",
        "junit.xml",
        "children.stderr",
        "reference-spawn.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not written: {names:?}"
        );
    }
    for path in &produced {
        texts.push((path.display().to_string(), std::fs::read(path).unwrap()));
    }

    let forms = key_forms(&key);
    let mut leaks = Vec::new();
    for (what, bytes) in &texts {
        for (form, needle) in &forms {
            if find(bytes, needle) {
                leaks.push(format!("{what}: {form}"));
            }
        }
    }
    assert!(leaks.is_empty(), "the authkey leaked: {leaks:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Set in the environment of a re-executed copy of this binary: print this
/// (fresh) process's key fingerprint and length.
const PROBE_ENV: &str = "PROCSPEC_AUTHKEY_HYGIENE_KEY_PROBE";

#[test]
fn key_probe() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    let key = current_process().authkey().as_bytes().to_vec();
    println!(
        "key-probe {} {} {}",
        key.len(),
        key.iter().any(|&b| b != 0),
        authkey_fingerprint(&key)
    );
}

/// Two fresh processes (this binary, run again: not children of a
/// `Process`, which would inherit the key) get keys of their own.
#[test]
fn fresh_processes_get_different_keys() {
    let _lock = suite::lock();
    let probe = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "key_probe",
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(PROBE_ENV, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("key-probe "))
            .unwrap_or_else(|| panic!("no probe line in {text:?}"))
            .to_string();
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts[..2], ["32", "true"], "{line}");
        parts[2].to_string()
    };
    let (a, b) = (probe(), probe());
    let ours = authkey_fingerprint(current_process().authkey().as_bytes());
    assert_ne!(a, b, "two fresh processes drew the same key");
    assert_ne!(a, ours);
    assert_ne!(b, ours);
}
