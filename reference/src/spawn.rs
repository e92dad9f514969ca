//! The spawn start method: re-execute the current program, hand it a
//! payload over a pipe, and let [`init`](crate::init) turn it into the child.
//!
//! The payload pipe's read end is the only descriptor (besides the
//! `pass_fd` ones and, without pidfd, the sentinel pipe) whose
//! close-on-exec flag is cleared, and only in the child between `fork`
//! and `execve`. Its number travels in [`FD_ENV`].

use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use serde::{Deserialize, Serialize};

use crate::authkey::SpawningGuard;
use crate::context::{self, ChildIdentity};
use crate::error::{Error, ErrorKind, Result};
use crate::exit;
use crate::launch::Launcher;
use crate::popen::{Popen, SentinelPrep};
use crate::registry;
use crate::start_method::StartMethod;
use crate::sys;
use crate::target::Body;

/// Names the payload descriptor in a spawned child's environment.
pub(crate) const FD_ENV: &str = "PROCSPEC_REFERENCE_SPAWN_FD";

/// Everything a spawned child needs to become the `Process` it stands for.
#[derive(Serialize, Deserialize)]
struct Payload {
    who: ChildIdentity,
    /// `None` for `Target::none()`.
    target: Option<String>,
    /// JSON-encoded arguments of the target.
    args: String,
    start_method: u8,
    spawn_args: Vec<String>,
    /// Fallback sentinel write end to keep (without pidfd).
    sentinel_fd: Option<RawFd>,
}

pub(crate) struct SpawnLauncher;

impl Launcher for SpawnLauncher {
    fn launch(&self, who: ChildIdentity, body: Body, pass_fds: &[RawFd]) -> Result<Popen> {
        let (target, args) = match body {
            Body::Registered { name, args, .. } => (Some(name), args),
            Body::Nothing => (None, b"null".to_vec()),
            Body::Function(_) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "a closure target needs the fork start method",
                ))
            }
        };
        let (start_method, spawn_args) = {
            let c = context::config();
            (c.start_method.code(), c.spawn_args.clone())
        };
        let prep = SentinelPrep::new()?;
        let payload = Payload {
            who,
            target,
            args: String::from_utf8(args).unwrap_or_default(),
            start_method,
            spawn_args: spawn_args.clone(),
            sentinel_fd: prep.child_end(),
        };
        // The authkey agrees to be serialised only inside this window.
        let bytes = {
            let _spawning = SpawningGuard::enter();
            serde_json::to_vec(&payload)
                .map_err(|e| Error::new(ErrorKind::NotSerializable, e.to_string()))?
        };

        let exe = std::env::current_exe().map_err(|e| Error::os("current_exe", e))?;
        let (r, w) = sys::pipe().map_err(|e| Error::os("pipe", e))?;
        let path = cstring(exe.as_os_str().as_bytes())?;
        let mut argv = vec![path.clone()];
        for a in &spawn_args {
            argv.push(cstring(a.as_bytes())?);
        }
        let mut envp = Vec::new();
        for (k, v) in std::env::vars_os() {
            if k.as_bytes() != FD_ENV.as_bytes() {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                envp.push(cstring(&kv)?);
            }
        }
        envp.push(cstring(format!("{FD_ENV}={}", r.as_raw_fd()).as_bytes())?);
        let mut keep = vec![r.as_raw_fd()];
        keep.extend_from_slice(pass_fds);
        keep.extend(prep.child_end());

        let pid = sys::fork_exec(&path, &argv, &envp, &keep).map_err(|e| Error::os("fork", e))?;
        drop(r);
        let popen = Popen::attach(pid, prep)?;
        // A child that died before reading gives EPIPE (Rust ignores
        // SIGPIPE); its exit code will tell the story.
        let _ = sys::write_all(w.as_raw_fd(), &bytes);
        drop(w);
        Ok(popen)
    }
}

fn cstring(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "a spawn argument or environment entry contains a NUL byte",
        )
    })
}

/// The payload descriptor, if this process was spawned by us.
fn payload_fd() -> Option<RawFd> {
    std::env::var(FD_ENV).ok()?.parse().ok()
}

/// If this process is a spawned child, becomes it and never returns.
pub(crate) fn maybe_run_child() {
    let Some(fd) = payload_fd() else { return };
    std::env::remove_var(FD_ENV);
    let Some(owned) = sys::take_inherited_fd(fd) else {
        return;
    };
    let mut bytes = Vec::new();
    let read = std::fs::File::from(owned).read_to_end(&mut bytes);
    let payload: Payload = match read
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("procspec-reference: bad spawn payload: {e}");
            sys::exit_now(1);
        }
    };
    if let Some(s) = payload.sentinel_fd {
        // Keep it open here but out of our own children.
        let _ = sys::set_cloexec(s, true);
    }
    {
        let mut cfg = context::config();
        payload.who.apply(&mut cfg);
        cfg.start_method = StartMethod::from_code(payload.start_method);
        cfg.spawn_args = payload.spawn_args;
    }
    let body = match payload.target {
        None => Ok(Body::Nothing),
        Some(name) => registry::lookup(&name).map(|entry| Body::Registered {
            name,
            args: payload.args.into_bytes(),
            entry,
        }),
    };
    exit::mark_initialised();
    let code = match body {
        Ok(body) => exit::run_child(body),
        Err(e) => {
            eprintln!("procspec-reference: {e}");
            1
        }
    };
    exit::flush_std();
    sys::exit_now(code)
}
