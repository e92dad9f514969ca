//! `procspec run --jobs N`: implementations run concurrently, each in a
//! worker process of its own.
//!
//! A worker is this binary re-invoked as `procspec run --impl NAME
//! --worker ...` (the same options): a whole runner, with its own watchdog,
//! subreaper and leak guard, so that what one implementation leaves behind
//! is never counted against another, and it writes `OUT/NAME.json` exactly
//! as a sequential run would. The results and the report are therefore the
//! same for every N. The top-level runner only schedules:
//!
//! - each worker leads a process group the top-level watchdog knows before
//!   it runs ([`lead_own_group`], through the supervisor the runner
//!   installed in the harness): a SIGKILLed
//!   top-level runner takes its workers with it, and each worker's own
//!   watchdog then kills what that worker started;
//! - a worker tells its progress as lines on its stdout (`progress POS LEN
//!   MESSAGE`, `note TEXT`, `broken`); its stderr (what adapters and their
//!   children print) is relayed in whole lines, prefixed with the
//!   implementation's name, so lines of different workers never mix;
//! - on a terminal there is one bar per running worker (indicatif's
//!   `MultiProgress`, relayed lines above them), otherwise a line when an
//!   implementation starts and one when it ends;
//! - with fewer implementations than workers (one implementation, two
//!   cores), an implementation's units (cases, blocks of sequences) are
//!   spread over several workers and their parts merged, as shards are;
//! - SIGINT/SIGTERM: the workers get SIGTERM (they write their partial
//!   reports), and implementations not started yet are reported skipped,
//!   incomplete.

use super::run_file::{read_report, write_report};
use crate::summary;
use crate::summary::Finished;
use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use procspec_harness::remote::lead_own_group;
use procspec_runner::supervisor;
use procspec_spec::results::RunReport;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One implementation to run in a worker.
pub struct WorkerJob {
    /// Its name (`OUT/<name>.json`).
    pub name: String,
    /// The worker's arguments (after the program name).
    pub args: Vec<OsString>,
}

/// How a worker's implementation ended.
#[derive(Clone)]
pub struct Outcome {
    /// The worker ran (false: interrupted before it started).
    pub launched: bool,
    /// The adapter could not start.
    pub broken: bool,
    /// What the worker said to tell people.
    pub notes: Vec<String>,
    /// How long it took.
    pub elapsed: Duration,
    /// The worker failed (exit status other than 0, 1 or 130): why.
    pub error: Option<String>,
}

enum Event {
    Out(usize, String),
    OutDone(usize),
    Err(usize, String),
    Exit(usize, std::io::Result<std::process::ExitStatus>),
}

struct Running {
    began: Instant,
    bar: Option<ProgressBar>,
    outcome: Outcome,
    out_done: bool,
    exit: Option<std::io::Result<std::process::ExitStatus>>,
    exited_at: Option<Instant>,
    pid: u32,
}

/// How long a worker's stdout may stay open after it exited (a process it
/// started and its watchdog killed may still hold it for a moment).
const STDOUT_GRACE: Duration = Duration::from_secs(2);

/// The default of `--jobs`: the cores this process may use.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Run `jobs` in at most `n` workers at once; outcomes in `jobs`' order.
/// `finished(i, outcome)` is called as each ends (for the summary).
pub fn run_workers(
    jobs: &[WorkerJob],
    n: usize,
    bars: bool,
    finished: &mut dyn FnMut(usize, &Outcome) -> Result<()>,
) -> Result<Vec<Outcome>> {
    let exe = std::env::current_exe().context("cannot find the procspec binary")?;
    let total = jobs.len();
    let multi = bars.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
    // Whole lines, never cut to the terminal's width.
    let say = |line: &str| match &multi {
        Some(m) => m.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    };
    let (tx, rx) = mpsc::channel::<Event>();
    let mut outcomes: Vec<Option<Outcome>> = (0..total).map(|_| None).collect();
    let mut running: std::collections::BTreeMap<usize, Running> = Default::default();
    let mut next = 0usize;
    let mut stopping = false;
    loop {
        if supervisor::stop_requested() && !stopping {
            stopping = true;
            for r in running.values() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(r.pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        while !stopping && running.len() < n.max(1) && next < total {
            let i = next;
            next += 1;
            let job = &jobs[i];
            let mut cmd = Command::new(&exe);
            cmd.args(&job.args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            lead_own_group(&mut cmd);
            let mut child = cmd
                .spawn()
                .with_context(|| format!("cannot start a worker for {}", job.name))?;
            let pid = child.id();
            let out = child.stdout.take().expect("piped");
            let err = child.stderr.take().expect("piped");
            let t = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = t.send(Event::Out(i, line));
                }
                let _ = t.send(Event::OutDone(i));
            });
            let t = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let _ = t.send(Event::Err(i, line));
                }
            });
            let t = tx.clone();
            std::thread::spawn(move || {
                let status = supervisor::wait_and_forget(&mut child);
                let _ = t.send(Event::Exit(i, status));
            });
            let tag = format!("[{}/{total}] {}", i + 1, job.name);
            let bar = multi.as_ref().map(|m| {
                let bar = m.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner:.cyan} {prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg} ({elapsed})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_prefix(tag.clone());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            if bar.is_none() {
                say(&format!("procspec: {tag}: running in worker {pid}"));
            }
            running.insert(
                i,
                Running {
                    began: Instant::now(),
                    bar,
                    outcome: Outcome {
                        launched: true,
                        broken: false,
                        notes: Vec::new(),
                        elapsed: Duration::ZERO,
                        error: None,
                    },
                    out_done: false,
                    exit: None,
                    exited_at: None,
                    pid,
                },
            );
        }
        if running.is_empty() && (next >= total || stopping) {
            break;
        }
        let event = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => Some(e),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if let Some(event) = event {
            let i = match &event {
                Event::Out(i, _) | Event::OutDone(i) | Event::Err(i, _) | Event::Exit(i, _) => *i,
            };
            if let Some(r) = running.get_mut(&i) {
                match event {
                    Event::Out(_, line) => worker_line(r, &line),
                    Event::OutDone(_) => r.out_done = true,
                    Event::Err(_, line) => say(&format!("[{}] {line}", jobs[i].name)),
                    Event::Exit(_, status) => {
                        r.exit = Some(status);
                        r.exited_at = Some(Instant::now());
                    }
                }
            }
        }
        let ended: Vec<usize> = running
            .iter()
            .filter(|(_, r)| {
                r.exit.is_some()
                    && (r.out_done || r.exited_at.is_some_and(|t| t.elapsed() > STDOUT_GRACE))
            })
            .map(|(i, _)| *i)
            .collect();
        for i in ended {
            let mut r = running.remove(&i).expect("present");
            if let Some(bar) = r.bar.take() {
                bar.finish_and_clear();
                if let Some(m) = &multi {
                    m.remove(&bar);
                }
            }
            r.outcome.elapsed = r.began.elapsed();
            match r.exit.take().expect("exited") {
                Ok(s) if matches!(s.code(), Some(0 | 1 | 130)) => {}
                Ok(s) => r.outcome.error = Some(format!("the worker ended with {s}")),
                Err(e) => r.outcome.error = Some(format!("cannot wait for the worker: {e}")),
            }
            finished(i, &r.outcome)?;
            outcomes[i] = Some(r.outcome);
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or(Outcome {
                launched: false,
                broken: false,
                notes: Vec::new(),
                elapsed: Duration::ZERO,
                error: None,
            })
        })
        .collect())
}

/// A line of a worker's stdout.
fn worker_line(r: &mut Running, line: &str) {
    let mut words = line.splitn(2, ' ');
    match (words.next(), words.next()) {
        (Some("progress"), Some(rest)) => {
            let mut parts = rest.splitn(3, ' ');
            let pos = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let len = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            if let Some(bar) = &r.bar {
                bar.set_length(len);
                bar.set_position(pos);
                bar.set_message(parts.next().unwrap_or("").to_string());
            }
        }
        (Some("note"), Some(text)) => r.outcome.notes.push(text.to_string()),
        (Some("broken"), _) => r.outcome.broken = true,
        _ => {}
    }
}

/// Worker side: a progress line on stdout for the top-level runner.
pub fn progress_line(pos: u64, len: u64, message: &str) {
    let flat: String = message.replace(['\n', '\r'], " ");
    println!("progress {pos} {len} {flat}");
}

/// A worker's arguments from implementation, output directory and units.
pub type WorkerArgs<'a> = dyn Fn(&str, &Path, &[String]) -> Vec<OsString> + 'a;

/// A parallel run, as `run.rs` plans it.
pub struct Parallel<'a> {
    /// The implementations, in plan order.
    pub names: Vec<String>,
    /// The units of one implementation's run (`case:<id>`, `block:<n>`).
    pub units: Vec<String>,
    /// Where run files go.
    pub out: PathBuf,
    /// Workers at once.
    pub workers: usize,
    /// A bar per worker (a terminal)...
    pub bars: bool,
    /// ... or a line per start and finish.
    pub plain: bool,
    /// A worker's arguments: implementation, output directory, units
    /// (empty: the run's own).
    pub worker_args: &'a WorkerArgs<'a>,
    /// The run file of an implementation the run was interrupted before.
    pub interrupted: &'a dyn Fn(usize) -> RunReport,
}

/// Run every implementation of `p` in workers. With fewer implementations
/// than workers, each implementation's units are dealt round-robin to
/// `workers / implementations` workers, whose parts are then merged
/// ([`procspec_reports::merge`]) into its run file, the one a single
/// worker writes. The finished runs, in plan order; each is summarised on
/// stdout as it ends.
pub fn run_parallel(p: Parallel<'_>) -> Result<Vec<Finished>> {
    let total = p.names.len();
    let shards = (p.workers / total.max(1)).clamp(1, p.units.len().max(1));
    let parts_dir = p.out.join(".parts");
    let mut worker_jobs = Vec::new();
    let mut owner = Vec::new();
    for (i, name) in p.names.iter().enumerate() {
        for k in 0..shards {
            let (out, units, shown) = if shards == 1 {
                (p.out.clone(), Vec::new(), name.clone())
            } else {
                let units: Vec<String> = p.units.iter().skip(k).step_by(shards).cloned().collect();
                let out = parts_dir.join(name).join(k.to_string());
                (out, units, format!("{name} ({}/{shards})", k + 1))
            };
            worker_jobs.push(WorkerJob {
                name: shown,
                args: (p.worker_args)(name, &out, &units),
            });
            owner.push((i, out));
        }
    }
    let mut parts: Vec<Vec<(Outcome, PathBuf)>> = (0..total).map(|_| Vec::new()).collect();
    let mut done: Vec<Option<Finished>> = (0..total).map(|_| None).collect();
    // A worker that wrote no run file (killed before it could): its
    // implementation is skipped, incomplete, with the reason.
    let lost = |i: usize, e: &anyhow::Error| {
        let mut r = (p.interrupted)(i);
        r.run_info.complete = false;
        r.run_info.skip_reason = Some(format!("{e:#}"));
        r
    };
    let finish = |i: usize, parts: &[(Outcome, PathBuf)]| -> Result<Finished> {
        let name = &p.names[i];
        let path = p.out.join(format!("{name}.json"));
        let launched: Vec<&(Outcome, PathBuf)> = parts.iter().filter(|(o, _)| o.launched).collect();
        let report = if launched.is_empty() {
            (p.interrupted)(i)
        } else if shards == 1 {
            read_report(&path).unwrap_or_else(|e| lost(i, &e))
        } else {
            let mut files = Vec::new();
            for (_, dir) in &launched {
                let f = dir.join(format!("{name}.json"));
                match read_report(&f) {
                    Ok(r) => files.push((f.clone(), r)),
                    Err(e) => files.push((f.clone(), lost(i, &e))),
                }
            }
            let mut merged = procspec_reports::merge(files)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .pop()
                .ok_or_else(|| anyhow::anyhow!("{name}: no part was written"))?;
            if launched.len() < parts.len() {
                merged.run_info.complete = false;
            }
            merged
        };
        write_report(&path, &report)?;
        let mut notes: Vec<String> = Vec::new();
        for (o, _) in parts {
            for n in o.notes.iter().chain(o.error.iter()) {
                if !notes.contains(n) {
                    notes.push(n.clone());
                }
            }
        }
        Ok(Finished {
            report,
            path,
            elapsed: parts
                .iter()
                .map(|(o, _)| o.elapsed)
                .max()
                .unwrap_or_default(),
            broken: parts.iter().any(|(o, _)| o.broken || o.error.is_some()),
            notes,
        })
    };
    let plain = p.plain;
    let mut report_finished = |i: usize, f: Finished| -> Result<()> {
        if plain {
            let tag = format!("[{}/{total}] {}", i + 1, p.names[i]);
            match &f.report.run_info.skip_reason {
                Some(why) => eprintln!("procspec: {tag}: skipped: {why}"),
                None => eprintln!(
                    "procspec: {tag}: finished in {:.1} s: {}",
                    f.elapsed.as_secs_f64(),
                    summary::counts(&f.report)
                ),
            }
        }
        super::emit(&summary::render(&f))?;
        done[i] = Some(f);
        Ok(())
    };
    let outcomes = run_workers(&worker_jobs, p.workers, p.bars, &mut |j, outcome| {
        let (i, dir) = &owner[j];
        parts[*i].push((outcome.clone(), dir.clone()));
        if parts[*i].len() == shards {
            let f = finish(*i, &parts[*i])?;
            report_finished(*i, f)?;
        }
        Ok(())
    })?;
    // Workers never started (an interrupted run).
    for (j, o) in outcomes.into_iter().enumerate() {
        if o.launched {
            continue;
        }
        let (i, dir) = &owner[j];
        parts[*i].push((o, dir.clone()));
        if parts[*i].len() == shards {
            let f = finish(*i, &parts[*i])?;
            report_finished(*i, f)?;
        }
    }
    if shards > 1 {
        let _ = std::fs::remove_dir_all(&parts_dir);
    }
    Ok(done.into_iter().flatten().collect())
}
