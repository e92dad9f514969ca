//! The case runner: loads `cases/**/*.toml` and runs each case against an
//! adapter, under the leak guard.

use crate::adapter::Adapter;
use crate::check::Coverage;
use crate::session::{Flow, Session};
use procspec_spec::case::{parse_case, Case};
use procspec_spec::results::{Blame, CaseResult, ResultKind, Status};
use procspec_spec::vocab::{Capability, Op, Outcome, Value};
use procspec_spec::SpecError;
use std::path::{Path, PathBuf};

/// A case and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The case.
    pub case: Case,
    /// Its file.
    pub path: PathBuf,
}

/// Every case file under `dir`, sorted by id; each parsed and checked
/// against the model. The first bad file is an error naming file and line.
pub fn load_cases(dir: &Path) -> Result<Vec<LoadedCase>, SpecError> {
    let mut files = Vec::new();
    collect(dir, &mut files)
        .map_err(|e| SpecError::invalid(&dir.display().to_string(), 0, e.to_string()))?;
    files.sort();
    let mut out = Vec::new();
    for path in files {
        out.push(load_case(dir, &path)?);
    }
    Ok(out)
}

/// One case file; its id is its path under `root` without `.toml`.
pub fn load_case(root: &Path, path: &Path) -> Result<LoadedCase, SpecError> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| SpecError::invalid(&shown, 0, e.to_string()))?;
    let id = case_id(root, path);
    let case = parse_case(&text, &shown, &id)?;
    case.validate(&shown)?;
    Ok(LoadedCase {
        case,
        path: path.to_path_buf(),
    })
}

/// `cases/start/twice.toml` under `cases/` is `start/twice`.
pub fn case_id(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.with_extension("").to_string_lossy().replace('\\', "/");
    s.trim_start_matches('/').to_string()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The capabilities a case needs that the adapter lacks: its clauses',
/// its own, and its ops'.
pub fn missing_capabilities(case: &Case, has: &[Capability]) -> Vec<Capability> {
    let mut needs = case.all_needs();
    for s in &case.steps {
        needs.extend(s.step.op.needs());
    }
    needs.sort();
    needs.dedup();
    needs.retain(|c| !has.contains(c));
    needs
}

/// Run one case; the adapter is reset afterwards and the leak guard checks
/// that nothing was left behind.
pub fn run_case<A: Adapter + ?Sized>(
    adapter: &mut A,
    case: &Case,
) -> (CaseResult, Coverage, crate::guard::Leaks) {
    let mut result = CaseResult {
        id: case.id.clone(),
        kind: ResultKind::Case,
        clauses: case.clauses.clone(),
        status: Status::Pass,
        expected: Vec::new(),
        observed: None,
        message: None,
        ops: Vec::new(),
        root: None,
        observer: None,
        replay: None,
    };
    let missing = missing_capabilities(case, &adapter.info().capabilities);
    if !missing.is_empty() {
        result.status = Status::PreconditionFailed;
        result.message = Some(format!("the implementation lacks {missing:?}"));
        return (result, Coverage::default(), crate::guard::Leaks::default());
    }
    let platform = adapter.info().judged_platform();
    if let Err(e) = case.validate_on(&case.id, platform) {
        result.status = Status::PreconditionFailed;
        result.message = Some(format!(
            "the case states outcomes that differ on {platform:?}: {e}"
        ));
        return (result, Coverage::default(), crate::guard::Leaks::default());
    }
    if case.sessions > 1 && !adapter.fresh_sessions() {
        result.status = Status::PreconditionFailed;
        result.message = Some(
            "the adapter runs in the runner's process: it cannot start a fresh session".into(),
        );
        return (result, Coverage::default(), crate::guard::Leaks::default());
    }
    let (mut coverage, mut leaks) = run_session(adapter, case, &mut result);
    if case.sessions > 1 && result.status == Status::Pass {
        let mut second = result.clone();
        second.ops.clear();
        adapter.discard();
        let (cov, more) = run_session(adapter, case, &mut second);
        coverage.merge(&cov);
        leaks.merge(&more);
        compare_sessions(&mut result, second);
    }
    (result, coverage, leaks)
}

/// Run the case's steps in one session, into `result`.
fn run_session<A: Adapter + ?Sized>(
    adapter: &mut A,
    case: &Case,
    result: &mut CaseResult,
) -> (Coverage, crate::guard::Leaks) {
    let inherit = adapter.info().has(Capability::InheritHandles);
    let mut session = Session::begin(adapter, inherit);
    for s in &case.steps {
        if session.step(&s.step, s.expect.as_ref()) == Flow::Stopped {
            break;
        }
    }
    session.finish(result)
}

/// The clause a second session checks: the main process's key is random,
/// so two adapter processes do not share it.
const RANDOM_KEY: &str = "authkey.random";

/// Join the second session's result to the first's (its steps numbered on
/// from the first's) and fail when the main process's authkey came out the
/// same in both.
fn compare_sessions(result: &mut CaseResult, second: CaseResult) {
    let offset = result.ops.len();
    let key_of = |ops: &[procspec_spec::results::StepRecord]| {
        ops.iter()
            .enumerate()
            .find_map(|(i, r)| match (&r.step.op, &r.observed) {
                (Op::Authkey { p }, Some(Outcome::Ok(Value::Authkey(fp))))
                    if p.is_main() && r.step.at.is_main() =>
                {
                    Some((i, fp.clone()))
                }
                _ => None,
            })
    };
    let first_key = key_of(&result.ops);
    let second_key = key_of(&second.ops);
    let status = second.status;
    result.ops.extend(second.ops);
    if status != Status::Pass {
        let shift = |b: Option<Blame>| {
            b.map(|b| Blame {
                clause: b.clause,
                step: b.step + offset,
            })
        };
        result.status = status;
        result.clauses = second.clauses;
        result.root = shift(second.root);
        result.observer = shift(second.observer);
        result.expected = second.expected;
        result.observed = second.observed;
        result.message = second
            .message
            .map(|m| format!("in the second session: {m}"));
        return;
    }
    if let (Some((_, a)), Some((j, b))) = (first_key, second_key) {
        if a == b {
            let blame = Blame {
                clause: RANDOM_KEY.into(),
                step: offset + j,
            };
            result.status = Status::Fail;
            result.clauses = vec![RANDOM_KEY.into()];
            result.root = Some(blame.clone());
            result.observer = Some(blame);
            result.expected = vec![format!("ok authkey other than {a} (a fresh random key)")];
            result.observed = Some(format!("ok authkey {b}"));
            result.message = Some(format!(
                "the main process's authkey is {a} in two adapter sessions: it is not random (os.urandom(32) at start)"
            ));
        }
    }
}
