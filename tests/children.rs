//! The runner's process runs no implementation code: every implementation,
//! the reference included, is an adapter process that leads a process
//! group of its own. While `procspec run --impl reference-fork` works, its
//! children are sampled from /proc until it exits: each one is the
//! watchdog, an adapter leading its own group (`serve-reference`), or a
//! process of an adapter's group orphaned to the runner (the runner is a
//! subreaper), never a member of the runner's or the watchdog's group.

use std::path::Path;
use std::process::{Command, Stdio};

/// `(ppid, pgid)` of `pid`, from /proc/PID/stat (after the command's
/// closing parenthesis: state, ppid, pgrp).
fn stat(pid: u32) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(1);
    let ppid = fields.next()?.parse().ok()?;
    let pgid = fields.next()?.parse().ok()?;
    Some((ppid, pgid))
}

fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// The runner's children: every process whose parent it is.
fn children(runner: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if stat(pid).is_some_and(|(ppid, _)| ppid == runner) {
            out.push(pid);
        }
    }
    out
}

#[test]
fn every_child_of_the_runner_is_an_adapter_leading_its_own_group() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_procspec");
    let args = [
        "run",
        "--impl",
        "reference-fork",
        "--sequences",
        "8",
        "--jobs",
        "1",
        "--out",
        out.path().to_str().unwrap(),
    ];
    // The runner's words as given, not read back from /proc/<runner>: a
    // read that races the runner's exec gives the test binary's words.
    let my_words: Vec<String> = std::iter::once(bin).chain(args).map(String::from).collect();
    let mut runner = Command::new(bin)
        .current_dir(root)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let me = runner.id();
    let my_group = stat(me).map(|s| s.1);
    let (mut adapters, mut orphans, mut wrong) = (0usize, 0usize, Vec::new());
    // Sampling, not waiting: the loop ends when the runner has exited.
    while runner.try_wait().unwrap().is_none() {
        for child in children(me) {
            let Some((_, pgid)) = stat(child) else {
                continue;
            };
            let words = cmdline(child);
            let leader = cmdline(pgid);
            if pgid == child {
                // The watchdog (a fork of the runner) or an adapter.
                adapters += usize::from(words.iter().any(|w| w == "serve-reference"));
            } else if Some(pgid) == my_group {
                // Between fork and exec an adapter is a copy of the runner
                // that has not yet made its own group: anything else here
                // runs in the runner's group.
                if words != my_words {
                    wrong.push(format!("{child} {words:?} is in the runner's group"));
                }
            } else if leader.iter().any(|w| w == "serve-reference") {
                orphans += 1;
            } else if stat(child).is_some() {
                wrong.push(format!(
                    "{child} {words:?} is in the group of {pgid} {leader:?}, no adapter's"
                ));
            }
        }
    }
    assert!(runner.wait().unwrap().success());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(adapters > 0, "no adapter process was ever seen");
    // `kill/orphans-descendants` orphans two processes to the runner; a
    // sample may or may not catch them.
    let _ = orphans;
}
