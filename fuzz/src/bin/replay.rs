//! The fuzz targets on a stable toolchain, without libFuzzer.
//!
//! ```text
//! cargo run --release --manifest-path fuzz/Cargo.toml --no-default-features \
//!     --features replay --bin replay -- [TARGET...|all] [--runs N] \
//!     [--max-time SECS] [--seed S] [--max-len BYTES] [--no-mutate] [PATH...]
//! ```
//!
//! Every input under `PATH` (files, or directories read recursively; by
//! default the target's seed directories, see [`default_seeds`]) is run
//! once as it is: this replays a libFuzzer crash artefact or a corpus.
//! Then, unless `--no-mutate`, `--runs` mutated inputs (default 100000 per
//! target) are generated from them by a seeded, coverage-blind mutator
//! (bit flips, byte edits, range deletes and copies, splices, line swaps,
//! and the tokens of `fuzz/dict/<target>.dict`) until `--max-time` if
//! given. A panicking input is written to `fuzz/artifacts/<target>/` and
//! makes the exit status 1. The last line per target gives the number of
//! executions.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use procspec_fuzz::TARGETS;

/// The repository (`fuzz/..`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where a target's inputs come from when no path is given (the same
/// directories the README passes to `cargo fuzz run`).
fn default_seeds(target: &str) -> Vec<PathBuf> {
    let r = root();
    match target {
        "protocol_decoder" => vec![r.join("fuzz/seeds/protocol_decoder")],
        "case_file" => vec![r.join("cases")],
        "expectations_file" => vec![r.join("fixtures/expectations")],
        "clauses_file" => vec![r.join("fuzz/seeds/clauses_file")],
        "impl_file" => vec![r.join("fixtures/impls")],
        _ => Vec::new(),
    }
}

struct Options {
    targets: Vec<&'static str>,
    runs: u64,
    max_time: Option<Duration>,
    seed: u64,
    max_len: usize,
    mutate: bool,
    paths: Vec<PathBuf>,
}

fn usage() -> ! {
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: replay [TARGET...|all] [--runs N] [--max-time SECS] [--seed S] [--max-len BYTES] [--no-mutate] [PATH...]\n\
         targets: {}",
        names.join(", ")
    );
    std::process::exit(2)
}

fn parse_args() -> Options {
    let mut o = Options {
        targets: Vec::new(),
        runs: 100_000,
        max_time: None,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        max_len: 8192,
        mutate: true,
        paths: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    let value = |args: &mut dyn Iterator<Item = String>, what: &str| -> u64 {
        args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            eprintln!("{what} needs a number");
            usage()
        })
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => o.runs = value(&mut args, "--runs"),
            "--max-time" => o.max_time = Some(Duration::from_secs(value(&mut args, "--max-time"))),
            "--seed" => o.seed = value(&mut args, "--seed"),
            "--max-len" => o.max_len = value(&mut args, "--max-len") as usize,
            "--no-mutate" => o.mutate = false,
            "-h" | "--help" => usage(),
            "all" => o.targets = TARGETS.iter().map(|(n, _)| *n).collect(),
            name if TARGETS.iter().any(|(n, _)| *n == name) => {
                if let Some((n, _)) = TARGETS.iter().find(|(n, _)| *n == name) {
                    o.targets.push(n);
                }
            }
            path if !path.starts_with('-') => {
                if !Path::new(path).exists() {
                    eprintln!("no target nor file {path:?}");
                    usage()
                }
                o.paths.push(PathBuf::from(path))
            }
            other => {
                eprintln!("unknown option {other:?}");
                usage()
            }
        }
    }
    if o.targets.is_empty() {
        o.targets = TARGETS.iter().map(|(n, _)| *n).collect();
    }
    o
}

/// Every file under `path`, recursively, sorted.
fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(rd) = std::fs::read_dir(path) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            files(&e, out);
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}

/// The tokens of a libFuzzer dictionary (`"token"` or `name="token"` per
/// line, with `\\`, `\"` and `\xHH` escapes).
fn dictionary(target: &str) -> Vec<Vec<u8>> {
    let path = root().join("fuzz/dict").join(format!("{target}.dict"));
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (Some(a), Some(b)) = (line.find('"'), line.rfind('"')) else {
            continue;
        };
        if b <= a {
            continue;
        }
        let body = &line.as_bytes()[a + 1..b];
        let mut token = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i] == b'\\' && i + 1 < body.len() {
                if body[i + 1] == b'x' && i + 3 < body.len() {
                    let hex = std::str::from_utf8(&body[i + 2..i + 4]).unwrap_or("");
                    if let Ok(v) = u8::from_str_radix(hex, 16) {
                        token.push(v);
                        i += 4;
                        continue;
                    }
                }
                token.push(body[i + 1]);
                i += 2;
            } else {
                token.push(body[i]);
                i += 1;
            }
        }
        out.push(token);
    }
    out
}

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that tend to matter to TOML and JSON parsers.
const INTERESTING: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"\n",
    b"\r\n",
    b"\"",
    b"'",
    b"[",
    b"]",
    b"{",
    b"}",
    b"=",
    b",",
    b":",
    b"\\",
    b"\x7f",
    b"\x1b",
    b"#",
    b".",
    b"-",
    b"0",
    b"-1",
    b"1e999",
    b"18446744073709551616",
    b"\xc3\xa9",
    b"\xe2\x80\xa8",
    b"\xf0\x9f\x98\x80",
    b"\"\"\"",
    b"'''",
    b"[[",
    b"]]",
    b"null",
    b"true",
    b"[]",
    b"{}",
];

/// One random edit of `data`.
fn mutate_once(data: &mut Vec<u8>, rng: &mut Rng, dict: &[Vec<u8>], pool: &[Vec<u8>]) {
    let len = data.len();
    match rng.below(12) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next() as u8;
        }
        2 => {
            let i = rng.below(len + 1);
            data.insert(i, rng.next() as u8);
        }
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(16));
            data.drain(i..i + n);
        }
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            let piece = data[i..i + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, piece);
        }
        5 | 6 if !dict.is_empty() => {
            let token = &dict[rng.below(dict.len())];
            let i = rng.below(len + 1);
            if rng.below(2) == 0 || i == len {
                data.splice(i..i, token.iter().copied());
            } else {
                let n = rng.below((len - i).min(token.len() + 4) + 1);
                data.splice(i..i + n, token.iter().copied());
            }
        }
        7 if !pool.is_empty() => {
            // Splice: our head, another input's tail.
            let other = &pool[rng.below(pool.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        8 => {
            let token = INTERESTING[rng.below(INTERESTING.len())];
            let i = rng.below(len + 1);
            data.splice(i..i, token.iter().copied());
        }
        9 if len > 0 => data.truncate(rng.below(len)),
        10 | 11 => {
            // Swap two lines, or copy a line of another input in.
            let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            if rng.below(2) == 0 && lines.len() > 1 {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(a, b);
            } else if !pool.is_empty() {
                let other = &pool[rng.below(pool.len())];
                let theirs: Vec<&[u8]> = other.split(|&b| b == b'\n').collect();
                let line = theirs[rng.below(theirs.len())].to_vec();
                let at = rng.below(lines.len() + 1);
                lines.insert(at, line);
            }
            *data = lines.join(&b'\n');
        }
        _ => {
            let i = rng.below(len + 1);
            data.insert(i, b"\n\"'[]{}=#"[rng.below(9)]);
        }
    }
}

/// The message of the last panic, kept by the hook.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs one input; on a panic writes it out and returns its path.
fn run_one(target: &str, f: fn(&[u8]), data: &[u8]) -> Option<(PathBuf, String)> {
    if panic::catch_unwind(AssertUnwindSafe(|| f(data))).is_ok() {
        return None;
    }
    let dir = root().join("fuzz/artifacts").join(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("replay-crash-{:016x}", fnv(data)));
    let _ = std::fs::write(&path, data);
    let msg = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
    Some((path, msg))
}

fn main() {
    let o = parse_args();
    panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = format!("panicked at {place}: {msg}");
        }
    }));
    println!("seed {}", o.seed);
    let mut crashed = false;
    for (i, name) in o.targets.iter().enumerate() {
        let f = TARGETS
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| usage());
        let paths = if o.paths.is_empty() {
            default_seeds(name)
        } else {
            o.paths.clone()
        };
        let mut inputs = Vec::new();
        for p in &paths {
            files(p, &mut inputs);
        }
        let mut pool: Vec<Vec<u8>> = inputs
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect();
        if pool.is_empty() {
            pool.push(Vec::new());
        }
        let dict = dictionary(name);
        let started = Instant::now();
        let mut execs = 0u64;
        let mut crash = None;
        for (data, path) in pool
            .iter()
            .zip(inputs.iter().map(Some).chain(std::iter::repeat(None)))
        {
            execs += 1;
            if let Some((out, msg)) = run_one(name, f, data) {
                crash = Some(format!(
                    "{} ({msg}), copied to {}",
                    path.map_or("<empty>".into(), |p| p.display().to_string()),
                    out.display()
                ));
                break;
            }
        }
        let seeds = execs;
        let mut rng = Rng(o
            .seed
            .wrapping_add(i as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            | 1);
        let keep = pool.len();
        while crash.is_none() && o.mutate && execs - seeds < o.runs {
            if o.max_time.is_some_and(|t| started.elapsed() >= t) {
                break;
            }
            let mut data = pool[rng.below(pool.len())].clone();
            for _ in 0..1 + rng.below(8) {
                mutate_once(&mut data, &mut rng, &dict, &pool);
            }
            data.truncate(o.max_len);
            execs += 1;
            if let Some((out, msg)) = run_one(name, f, &data) {
                crash = Some(format!("{msg}; input written to {}", out.display()));
                break;
            }
            // Keep some mutants to mutate further (never losing the seeds).
            if pool.len() < keep + 4096 {
                pool.push(data);
            } else if rng.below(4) == 0 {
                let at = keep + rng.below(pool.len() - keep);
                pool[at] = data;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        match crash {
            Some(c) => {
                crashed = true;
                println!("{name}: CRASH after {execs} executions: {c}");
            }
            None => println!(
                "{name}: {execs} executions ({seeds} seed inputs, {} mutated) in {secs:.1}s, no crash",
                execs - seeds
            ),
        }
        let _ = std::io::stdout().flush();
    }
    std::process::exit(i32::from(crashed));
}
