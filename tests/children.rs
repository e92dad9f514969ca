//! The runner's process runs no implementation code: every implementation,
//! the reference included, is an adapter process that leads a process
//! group of its own. While `procspec run --impl reference-fork` works, its
//! children (and with `--jobs 2` its workers' children) are sampled from
//! /proc until it exits: each one is a watchdog, a worker, an adapter
//! leading its own group (`serve-reference`), or a process of an adapter's
//! group orphaned to its runner (a subreaper), never a member of a
//! runner's or a watchdog's group.

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

/// What sampling a run's process tree saw.
#[derive(Default)]
struct Seen {
    adapters: usize,
    workers: usize,
    wrong: Vec<String>,
}

/// Runs `procspec run --impl reference-fork --jobs JOBS` and samples the
/// children of the runner and of its workers until it exits.
fn sample_run(jobs: &str) -> Seen {
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
        jobs,
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
    let mut seen = Seen::default();
    let mut workers: Vec<u32> = Vec::new();
    // Sampling, not waiting: the loop ends when the runner has exited.
    while runner.try_wait().unwrap().is_none() {
        // The runner, then each worker (`run --worker`: a whole runner of
        // its own, leading its group): the same rules hold below each.
        let mut runners = vec![(me, my_words.clone())];
        runners.extend(workers.iter().map(|w| (*w, cmdline(*w))));
        for (parent, parent_words) in runners {
            let Some((_, parent_group)) = stat(parent) else {
                continue;
            };
            for child in children(parent) {
                let Some((_, pgid)) = stat(child) else {
                    continue;
                };
                let words = cmdline(child);
                let leader = cmdline(pgid);
                if pgid == child {
                    // The watchdog (a fork of its runner), a worker, an
                    // adapter, or one of them between fork and exec.
                    if words.iter().any(|w| w == "serve-reference") {
                        seen.adapters += 1;
                    } else if parent == me
                        && words.iter().any(|w| w == "--worker")
                        && !workers.contains(&child)
                    {
                        workers.push(child);
                        seen.workers += 1;
                    }
                } else if pgid == parent_group {
                    // Between fork and exec an adapter is a copy of its
                    // runner that has not yet made its own group: anything
                    // else here runs in the runner's group.
                    if words != parent_words {
                        seen.wrong.push(format!(
                            "{child} {words:?} is in the group of its runner {parent}"
                        ));
                    }
                } else if leader.iter().any(|w| w == "serve-reference") {
                    // A process of an adapter's group orphaned to the
                    // runner (a subreaper): `kill/orphans-descendants`.
                } else if stat(child).is_some() {
                    seen.wrong.push(format!(
                        "{child} {words:?} is in the group of {pgid} {leader:?}, no adapter's"
                    ));
                }
            }
        }
    }
    assert!(runner.wait().unwrap().success());
    seen
}

#[test]
fn every_child_of_the_runner_is_an_adapter_leading_its_own_group() {
    let seen = sample_run("1");
    assert!(seen.wrong.is_empty(), "{}", seen.wrong.join("\n"));
    assert!(seen.adapters > 0, "no adapter process was ever seen");
    assert_eq!(seen.workers, 0, "--jobs 1 runs in the runner's own process");
}

/// With workers, the runner's children are workers (each a runner leading
/// its group) and the adapters are the workers' children, held to the
/// same rule.
#[test]
fn every_child_of_a_worker_is_an_adapter_leading_its_own_group() {
    let seen = sample_run("2");
    assert!(seen.wrong.is_empty(), "{}", seen.wrong.join("\n"));
    assert!(seen.workers > 0, "no worker process was ever seen");
    assert!(
        seen.adapters > 0,
        "no adapter process was ever seen below a worker"
    );
}
