//! `procspec run`: run the cases and the state machine against tracked
//! implementations or an ad-hoc adapter, write one `<name>.json` per
//! implementation into the output directory, then the report of everything
//! in it.
//!
//! Everything that can be checked before running is checked first (names,
//! case files, implementation and expectation files, unknown case ids in
//! expectations): a configuration error exits 2 without running anything.

use super::run_file::write_report;
use crate::summary::{self, Finished};
use anyhow::{anyhow, bail, Context, Result};
use clap::{ArgGroup, Args};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use procspec_harness::cases::LoadedCase;
use procspec_harness::expectations::Expectations;
use procspec_harness::remote::{RemoteAdapter, RemoteCommand, PROTOCOL};
use procspec_harness::units::{Selection, Unit};
use procspec_harness::{Adapter, AdapterFailure};
use procspec_reference::StartMethod;
use procspec_runner::impls::{Launch, Resolved};
use procspec_runner::run::{run_implementation, Progress, RunOptions};
use procspec_spec::results::{LeakCounts, RunInfo, RunReport};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Run the suite against implementations; write their results and the report.
///
/// Every case file under cases/ runs first, then --sequences random
/// operation sequences of the state machine (seeded: the same seed, the same
/// sequences). Each implementation's results go to OUT/<name>.json (pids,
/// sentinels and random authkeys redacted, stable order), then OUT gets the
/// report of every run file in it: index.md, index.html, junit.xml.
///
/// An implementation that is not present here (no interpreter, a failing
/// probe) is written as skipped, with the reason.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["impls", "adapter", "all", "process_class"])))]
#[command(group(ArgGroup::new("adhoc").args(["adapter", "process_class"])))]
#[command(after_help = "\
Examples:
  procspec run --impl cpython-fork --sequences 16
  procspec run --all
  procspec run --adapter 'python3 fixtures/python/procspec_adapter.py --start-method spawn'
  procspec run --process-class mylib:Worker --python python3.12 --start-method spawn

Exit status: 0 when every result matches its expectation (pass, expected-fail, \
precondition-failed, skip), 1 otherwise or when an adapter could not start, 2 for \
usage and configuration errors.")]
pub struct RunArgs {
    /// A tracked implementation, fixtures/impls/NAME.toml (repeatable; see `procspec list impls`).
    #[arg(long = "impl", value_name = "NAME")]
    impls: Vec<String>,

    /// An adapter to start: a command line speaking the wire protocol
    /// (spec/INTERPRETING.md), split into words like a shell would, but not
    /// run by one. Relative paths are relative to the current directory.
    #[arg(long, value_name = "COMMAND LINE")]
    adapter: Option<String>,

    /// Every tracked implementation in fixtures/impls/, in name order.
    #[arg(long)]
    all: bool,

    /// The name of an --adapter run, and of its OUT/<name>.json
    /// [default: from the adapter's hello, <implementation>-<start method>]
    /// (of a --process-class run: NAME-<start method>).
    #[arg(long, requires = "adhoc", value_name = "NAME")]
    name: Option<String>,

    /// The expectation file (known divergences) of an --adapter or
    /// --process-class run.
    #[arg(long, requires = "adhoc", value_name = "FILE")]
    expectations: Option<PathBuf>,

    #[command(flatten)]
    python: super::python::PythonArgs,

    /// Where run files and the report go [default: <root>/reports/latest;
    /// outside a checkout, ./procspec-reports].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// State-machine sequences per implementation (0: cases only).
    #[arg(long, default_value_t = 64, value_name = "N")]
    sequences: u32,

    /// The state machine's seed (decimal or 0x hex).
    #[arg(long, default_value = "0x5eed", value_parser = parse_seed, value_name = "S")]
    seed: u64,

    /// The longest generated sequence, in steps.
    #[arg(long, default_value_t = 32, value_name = "N")]
    max_steps: usize,

    /// The deadline of one op, in milliseconds (an adapter's hello gets at
    /// least 10 s).
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    deadline_ms: u64,

    /// After N cases or sequences in a row that timed out or crashed, each
    /// after a restart of the adapter, the rest of that implementation is
    /// reported `not-run` and the run goes on to the next (0: never).
    #[arg(long, default_value_t = procspec_harness::breaker::DEFAULT_THRESHOLD, value_name = "N")]
    stall_threshold: u32,

    /// How much later than an upper time bound (a join's timeout, a wait's
    /// deadline) an op may return, in milliseconds. Recorded in the report.
    #[arg(long, default_value_t = procspec_spec::results::DEFAULT_SLACK_MS, value_name = "N")]
    timing_slack_ms: u64,

    /// Run the case files under DIR instead of <root>/cases (the
    /// expectation files' case ids are then checked against the repository's
    /// cases, so the implementations' expectations stay valid).
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,

    /// Write each shrunk state-machine failure as a case file into DIR.
    #[arg(long, value_name = "DIR")]
    regressions: Option<PathBuf>,

    /// Keep pids, sentinels and authkey fingerprints as observed in the run
    /// files (the report is redacted either way).
    #[arg(long)]
    no_redact: bool,

    /// Implementations run at once, each in a worker process of its own
    /// [default: the number of cores]. The results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,

    /// Internal: run as a worker of a parallel run (progress as lines on
    /// stdout, no report rendering, no summary).
    #[arg(long, hide = true)]
    worker: bool,

    /// Internal: run only these units (`case:<id>`, `block:<n>`), as a
    /// shard does (see tests/conformance.rs).
    #[arg(long = "unit", hide = true, value_name = "UNIT")]
    units: Vec<String>,
}

impl RunArgs {
    /// The arguments of a worker running tracked implementation `name`.
    /// `units` (non-empty) replaces the run's own `--unit`s.
    fn worker_args(
        &self,
        root: &Path,
        out: &Path,
        name: &str,
        units: &[String],
    ) -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["--root".into(), root.into(), "run".into()];
        let mut push = |k: &str, v: String| {
            a.push(k.into());
            a.push(v.into());
        };
        push("--impl", name.to_string());
        push("--sequences", self.sequences.to_string());
        push("--seed", self.seed.to_string());
        push("--max-steps", self.max_steps.to_string());
        push("--deadline-ms", self.deadline_ms.to_string());
        push("--stall-threshold", self.stall_threshold.to_string());
        push("--timing-slack-ms", self.timing_slack_ms.to_string());
        let units = if units.is_empty() { &self.units } else { units };
        for u in units {
            push("--unit", u.clone());
        }
        a.extend(["--out".into(), out.into()]);
        if let Some(c) = &self.cases {
            a.extend(["--cases".into(), c.into()]);
        }
        if let Some(r) = &self.regressions {
            a.extend(["--regressions".into(), r.into()]);
        }
        if self.no_redact {
            a.push("--no-redact".into());
        }
        a.push("--worker".into());
        a
    }
}

fn parse_seed(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => s.replace('_', "").parse(),
    };
    parsed.map_err(|e| format!("not a u64 (decimal or 0x hex): {e}"))
}

/// What to start, decided before anything runs.
enum Target {
    /// A tracked implementation that is present here.
    Present(Resolved),
    /// A tracked implementation that is not: the reason (the skip reason
    /// its report records: data, not an error).
    Absent(String),
    /// An ad-hoc adapter.
    Command(RemoteCommand),
}

/// One implementation to run.
struct Job {
    /// Its name (for --adapter without --name: known after the hello).
    name: Option<String>,
    start_method: String,
    protocol: u32,
    target: Target,
    expectations: Expectations,
}

/// `procspec run`.
pub fn run(root: Option<&Path>, args: &RunArgs) -> Result<ExitCode> {
    let root = super::find_root(root)?;
    let repository_cases = super::cases(&root)?;
    let known: Vec<String> = repository_cases.iter().map(|c| c.case.id.clone()).collect();
    let cases = match &args.cases {
        Some(dir) => procspec_harness::cases::load_cases(dir).map_err(|e| anyhow!("{e}"))?,
        None => repository_cases,
    };
    let jobs = plan(&root, args, &known)?;
    let out = args.out.clone().unwrap_or_else(|| {
        if crate::embedded::is_embedded(&root) {
            PathBuf::from("procspec-reports")
        } else {
            root.join("reports/latest")
        }
    });
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output directory {}", out.display()))?;

    let settings = Settings {
        options: RunOptions {
            implementation: String::new(),
            sequences: args.sequences,
            seed: args.seed,
            max_steps: args.max_steps,
            regressions: args.regressions.clone(),
            expectations: Expectations::default(),
            stall_threshold: args.stall_threshold,
            selection: selection(&args.units)?,
        },
        deadline: {
            procspec_harness::check::set_slack(Duration::from_millis(args.timing_slack_ms));
            Duration::from_millis(args.deadline_ms.max(1))
        },
        out: out.clone(),
        display: if args.worker {
            Display::Events
        } else if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Plain
        },
        redact: !args.no_redact,
    };
    let total = jobs.len();
    let workers = args.jobs.unwrap_or_else(super::jobs::default_jobs).max(1);
    let mut finished = Vec::new();
    if args.worker {
        for job in jobs {
            let f = run_job(job, &cases, &settings, (1, 1))?;
            if f.broken {
                println!("broken");
            }
            for n in &f.notes {
                println!("note {}", n.replace('\n', " "));
            }
        }
        return Ok(ExitCode::SUCCESS);
    } else if workers > 1
        && args.adapter.is_none()
        // Workers re-run tracked implementations by name (`worker_args`);
        // a --process-class run's jobs are built here, so they run here.
        && args.python.process_class.is_none()
        && (total > 1 || units(args, &cases).len() > 1)
    {
        finished = in_workers(&root, args, jobs, &settings, workers, &cases)?;
    } else {
        for (i, job) in jobs.into_iter().enumerate() {
            let f = run_job(job, &cases, &settings, (i + 1, total))?;
            super::emit(&summary::render(&f))?;
            finished.push(f);
        }
    }
    if finished.len() > 1 {
        super::emit(&summary::table(&finished))?;
    }

    let written = super::report::write(&out)?;
    let mut lines = String::from("\n");
    for p in &written {
        lines.push_str(&format!("report: {}\n", p.display()));
    }
    super::emit(&lines)?;

    let failed = finished
        .iter()
        .any(|f| f.broken || f.report.results.iter().any(|r| !r.status.is_ok()));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `--unit`s as a selection (none: every unit).
fn selection(units: &[String]) -> Result<Selection> {
    if units.is_empty() {
        return Ok(Selection::all());
    }
    let parsed: Option<Vec<Unit>> = units.iter().map(|u| Unit::parse(u)).collect();
    parsed
        .map(Selection::only)
        .ok_or_else(|| anyhow!("--unit {units:?}: expected case:<id> or block:<n>"))
}

/// Run `jobs` in up to `workers` worker processes (`jobs.rs`).
fn in_workers(
    root: &Path,
    args: &RunArgs,
    jobs: Vec<Job>,
    settings: &Settings,
    workers: usize,
    cases: &[LoadedCase],
) -> Result<Vec<Finished>> {
    let names: Vec<String> = jobs
        .iter()
        .map(|j| j.name.clone().unwrap_or_else(|| "adapter".into()))
        .collect();
    let units: Vec<String> = if args.units.is_empty() {
        let mut u: Vec<String> = cases
            .iter()
            .map(|c| Unit::Case(c.case.id.clone()).name())
            .collect();
        u.extend(
            (0..procspec_harness::units::block_count(args.sequences))
                .map(|b| Unit::Block(b).name()),
        );
        u
    } else {
        args.units.clone()
    };
    let interrupted = |i: usize| {
        let job = &jobs[i];
        let mut report = skipped(
            &names[i],
            &job.start_method,
            job.protocol,
            settings.options.seed,
            "not run: the run was interrupted before this implementation started".into(),
        );
        report.recount();
        report
    };
    super::jobs::run_parallel(super::jobs::Parallel {
        names: names.clone(),
        units,
        out: settings.out.clone(),
        workers,
        bars: settings.display == Display::Bar,
        plain: settings.display == Display::Plain,
        worker_args: &|name, out, units| args.worker_args(root, out, name, units),
        interrupted: &interrupted,
    })
}

/// The units of one implementation's run: the `--unit`s, or every case and
/// block.
fn units(args: &RunArgs, cases: &[LoadedCase]) -> Vec<String> {
    if !args.units.is_empty() {
        return args.units.clone();
    }
    let mut u: Vec<String> = cases
        .iter()
        .map(|c| Unit::Case(c.case.id.clone()).name())
        .collect();
    u.extend(
        (0..procspec_harness::units::block_count(args.sequences)).map(|b| Unit::Block(b).name()),
    );
    u
}

/// A run file as a worker wrote it.
/// The jobs, every configuration checked.
fn plan(root: &Path, args: &RunArgs, known: &[String]) -> Result<Vec<Job>> {
    if args.python.process_class.is_some() {
        if let Some(n) = &args.name {
            check_name(n)?;
        }
        let jobs = super::python::jobs(root, &args.python, args.name.as_deref())?;
        return jobs
            .into_iter()
            .map(|j| {
                // --expectations, else those of the tracked implementation
                // the class's lifecycle comes from.
                let expectations = match args.expectations.as_ref().or(j.inherited.as_ref()) {
                    Some(p) => load_expectations(p, known)?,
                    None => Expectations::default(),
                };
                Ok(Job {
                    name: Some(j.name),
                    start_method: j.start_method,
                    protocol: PROTOCOL as u32,
                    target: Target::Command(j.command),
                    expectations,
                })
            })
            .collect();
    }
    if let Some(line) = &args.adapter {
        let cmd = RemoteCommand::parse(line).map_err(|e| anyhow!("--adapter {line:?}: {e}"))?;
        let expectations = match &args.expectations {
            Some(p) => load_expectations(p, known)?,
            None => Expectations::default(),
        };
        if let Some(n) = &args.name {
            check_name(n)?;
        }
        return Ok(vec![Job {
            name: args.name.clone(),
            start_method: String::new(),
            protocol: PROTOCOL as u32,
            target: Target::Command(cmd),
            expectations,
        }]);
    }
    let all = super::impls(root)?;
    let chosen: Vec<_> = if args.all {
        all.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for name in &args.impls {
            match all.iter().find(|i| &i.name == name) {
                Some(i) => chosen.push(i),
                None => {
                    let close = super::suggest(name, all.iter().map(|i| i.name.as_str()));
                    let hint = if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean {}?)", close.join(", "))
                    };
                    let names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
                    bail!(
                        "unknown implementation `{name}`{hint}; the known implementations (fixtures/impls/) are: {}",
                        names.join(", ")
                    );
                }
            }
        }
        chosen
    };
    let mut jobs = Vec::new();
    for spec in chosen {
        let expectations = match spec.expectations_path(root) {
            Some(p) => load_expectations(&p, known).with_context(|| {
                format!(
                    "the expectations of {} ({})",
                    spec.name,
                    spec.file.display()
                )
            })?,
            None => Expectations::default(),
        };
        let target = match spec.resolve(root) {
            Ok(r) => Target::Present(r),
            Err(why) => Target::Absent(why.to_string()),
        };
        jobs.push(Job {
            name: Some(spec.name.clone()),
            start_method: spec.start_method.clone(),
            // Every implementation, the reference included, is an adapter
            // process speaking the protocol.
            protocol: PROTOCOL as u32,
            target,
            expectations,
        });
    }
    Ok(jobs)
}

/// An expectation file, its case ids checked against the cases.
fn load_expectations(path: &Path, known: &[String]) -> Result<Expectations> {
    let e = Expectations::load(path).map_err(|e| anyhow!("{e}"))?;
    let unknown = e.unknown_cases(known);
    if !unknown.is_empty() {
        bail!(
            "{}: unknown case id(s) {}: no such file under cases/",
            path.display(),
            unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(e)
}

/// A name becomes a file name: keep it plain.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        bail!("--name {name:?}: use letters, digits, `-`, `_` and `.`");
    }
    Ok(())
}

/// The name of an ad-hoc adapter from its hello.
fn name_from_hello(implementation: &str, start_method: &str) -> String {
    let base = if start_method.is_empty() || implementation.ends_with(&format!("-{start_method}")) {
        implementation.to_string()
    } else {
        format!("{implementation}-{start_method}")
    };
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean.is_empty() {
        "adapter".to_string()
    } else {
        clean
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Display {
    /// A progress bar on stderr (a terminal).
    Bar,
    /// A line per implementation start and finish on stderr (CI).
    Plain,
    /// Progress as lines on stdout, for the top-level runner (a worker).
    Events,
}

/// A report with no results.
fn skipped(name: &str, start_method: &str, protocol: u32, seed: u64, reason: String) -> RunReport {
    RunReport {
        run_info: RunInfo {
            timing_slack_ms: procspec_spec::results::DEFAULT_SLACK_MS,
            implementation: name.to_string(),
            version: String::new(),
            start_method: start_method.to_string(),
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            seed,
            protocol_version: protocol,
            // An implementation not run because the run was interrupted is
            // part of an incomplete run.
            complete: !procspec_runner::supervisor::stop_requested(),
            skip_reason: Some(reason),
        },
        results: Vec::new(),
        summary: Default::default(),
        leaks: LeakCounts::default(),
    }
}

/// Start an implementation: always an adapter process, so that the
/// runner's process runs no implementation code and has no child but
/// adapters, each leading its own process group (`tests/cli.rs` checks).
fn start(target: &Target, deadline: Duration) -> Result<Box<dyn Adapter>, AdapterFailure> {
    let cmd = match target {
        Target::Present(Resolved {
            launch: Launch::Reference(method),
            ..
        }) => reference_server(*method)?,
        Target::Present(Resolved {
            launch: Launch::Remote(cmd),
            ..
        })
        | Target::Command(cmd) => cmd.clone(),
        Target::Absent(_) => unreachable!("an absent implementation is not started"),
    };
    Ok(Box::new(
        RemoteAdapter::start(cmd, deadline.max(MIN_HELLO_DEADLINE))?.with_op_deadline(deadline),
    ))
}

/// The least time an adapter gets to say hello, whatever `--deadline-ms`:
/// an interpreter that imports its package on a loaded machine takes
/// seconds, and a short op deadline (chosen to make hung ops cheap) must
/// not skip a whole implementation at start.
const MIN_HELLO_DEADLINE: Duration = Duration::from_secs(10);

/// The reference as an adapter process: this binary's `serve-reference`.
fn reference_server(method: StartMethod) -> Result<RemoteCommand, AdapterFailure> {
    let exe = std::env::current_exe().map_err(|e| AdapterFailure::Crash {
        message: format!("cannot find this program to serve the reference: {e}"),
    })?;
    let method = if method == StartMethod::Spawn {
        "spawn"
    } else {
        "fork"
    };
    Ok(RemoteCommand::new(exe.to_string_lossy().into_owned())
        .arg("serve-reference")
        .arg("--start-method")
        .arg(method))
}

/// How every job runs.
struct Settings {
    options: RunOptions,
    deadline: Duration,
    out: PathBuf,
    display: Display,
    redact: bool,
}

fn run_job(
    job: Job,
    cases: &[LoadedCase],
    settings: &Settings,
    (nth, of): (usize, usize),
) -> Result<Finished> {
    let (options, deadline, out, display) = (
        &settings.options,
        settings.deadline,
        settings.out.as_path(),
        settings.display,
    );
    let began = Instant::now();
    let shown_name = job.name.clone().unwrap_or_else(|| "adapter".into());
    let tag = format!("[{nth}/{of}] {shown_name}");
    let mut notes = Vec::new();
    let mut broken = false;

    let report = if let Target::Absent(reason) = &job.target {
        if display == Display::Plain {
            eprintln!("procspec: {tag}: skipped: {reason}");
        }
        skipped(
            &shown_name,
            &job.start_method,
            job.protocol,
            options.seed,
            reason.clone(),
        )
    } else {
        match start(&job.target, deadline) {
            Err(failure) => {
                broken = true;
                let reason = format!("the adapter did not start: {failure}");
                if display == Display::Plain {
                    eprintln!("procspec: {tag}: {reason}");
                }
                skipped(
                    &shown_name,
                    &job.start_method,
                    job.protocol,
                    options.seed,
                    reason,
                )
            }
            Ok(mut adapter) => {
                let info = adapter.info().clone();
                let name = job
                    .name
                    .clone()
                    .unwrap_or_else(|| name_from_hello(&info.implementation, &info.start_method));
                if !job.start_method.is_empty() && info.start_method != job.start_method {
                    notes.push(format!(
                        "fixtures/impls/{name}.toml says start method {}, the adapter says {}",
                        job.start_method, info.start_method
                    ));
                }
                let tag = format!("[{nth}/{of}] {name}");
                let mut opts = options.clone();
                opts.implementation = name.clone();
                opts.expectations = job.expectations;
                let report = with_progress(display, &tag, cases.len(), &opts, |progress| {
                    run_implementation(&mut *adapter, cases, &opts, progress).0
                });
                drop(adapter);
                report
            }
        }
    };

    let mut report = report;
    if settings.redact {
        procspec_reports::redact(&mut report);
    }
    report.recount();
    let path = out.join(format!("{}.json", report.run_info.implementation));
    write_report(&path, &report)?;
    let elapsed = began.elapsed();
    if display == Display::Plain && report.run_info.skip_reason.is_none() {
        eprintln!(
            "procspec: [{nth}/{of}] {}: finished in {:.1} s: {}",
            report.run_info.implementation,
            elapsed.as_secs_f64(),
            summary::counts(&report)
        );
    }
    Ok(Finished {
        report,
        path,
        elapsed,
        broken,
        notes,
    })
}

/// Run `body` under a progress display: a bar on a terminal, two lines
/// otherwise.
fn with_progress<T>(
    display: Display,
    tag: &str,
    cases: usize,
    opts: &RunOptions,
    body: impl FnOnce(&mut dyn FnMut(Progress<'_>)) -> T,
) -> T {
    let sequences = opts.sequences as u64;
    match display {
        Display::Events => {
            let len = cases as u64 + sequences;
            let (mut done, mut seq) = (0u64, 0u64);
            super::jobs::progress_line(0, len, "starting");
            body(&mut |p| match p {
                Progress::Case { result, of } => {
                    done += 1;
                    let m = format!("cases {done}/{of} · {}", result.id);
                    super::jobs::progress_line(done + seq, len, &m);
                }
                Progress::Sequences { .. } => {}
                Progress::SequencesDone { count, .. } => {
                    seq += u64::from(count);
                    let m = format!("cases {done}/{cases} · sequences {seq}/{sequences}");
                    super::jobs::progress_line(done + seq, len, &m);
                }
            })
        }
        Display::Plain => {
            eprintln!(
                "procspec: {tag}: running {cases} cases and {sequences} sequences (seed {:#x})",
                opts.seed
            );
            body(&mut |_| {})
        }
        Display::Bar => {
            // Only the runner writes to the terminal: every adapter's
            // stderr (and its children's) is a pipe the runner drains.
            let bar = ProgressBar::with_draw_target(
                Some(cases as u64 + sequences),
                ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner:.cyan} {prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(tag.to_string());
            bar.set_message(format!("cases 0/{cases}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            let mut done = 0usize;
            let mut sequences_done = 0u64;
            let result = body(&mut |p| match p {
                Progress::Case { result, of } => {
                    done += 1;
                    bar.inc(1);
                    bar.set_message(format!("cases {done}/{of} · {}", result.id));
                }
                Progress::Sequences { count } => {
                    bar.set_message(format!(
                        "cases {done}/{cases} · sequences {sequences_done}/{sequences} (a block of {count} reports when done)"
                    ));
                }
                Progress::SequencesDone { run, count } => {
                    bar.inc(u64::from(count));
                    sequences_done += u64::from(count);
                    bar.set_message(format!(
                        "cases {done}/{cases} · sequences {sequences_done}/{sequences} ({run} run in the last block, shrinking included)"
                    ));
                }
            });
            bar.finish_and_clear();
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds() {
        assert_eq!(parse_seed("0x5eed"), Ok(0x5eed));
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("1_000"), Ok(1000));
        assert!(parse_seed("x").is_err());
    }

    #[test]
    fn names_from_hello() {
        assert_eq!(name_from_hello("cpython", "fork"), "cpython-fork");
        assert_eq!(name_from_hello("cpython-fork", "fork"), "cpython-fork");
        assert_eq!(name_from_hello("my impl/x", "spawn"), "my-impl-x-spawn");
        assert_eq!(name_from_hello("", ""), "adapter");
    }
}
