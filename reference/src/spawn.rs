//! The spawn start method: re-execute the current program, hand it a
//! payload over a pipe, and let [`init`](crate::init) turn it into the child.
//!
//! The payload pipe's read end is the only descriptor (besides the
//! `pass_fd` ones and, without pidfd, the sentinel pipe) whose
//! close-on-exec flag is cleared, and only in the child between `fork`
//! and `execve`. Its number travels in [`FD_ENV`].
//!
//! On Windows the child is created by `CreateProcess` (through
//! `std::process::Command`) and reads its payload from standard input;
//! [`FD_ENV`] then says `stdin`. Handles passed with `pass_handle` are
//! inherited at the same values.

#[cfg(unix)]
use std::ffi::CString;
use std::io::Read;
#[cfg(unix)]
use std::os::fd::{AsRawFd, RawFd};
#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;

use serde::{Deserialize, Serialize};

use crate::authkey::SpawningGuard;
use crate::context::{self, ChildIdentity};
use crate::error::{Error, ErrorKind, Result};
use crate::exit;
use crate::launch::Launcher;
use crate::popen::Popen;
#[cfg(unix)]
use crate::popen::SentinelPrep;
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
    sentinel_fd: Option<i32>,
}

pub(crate) struct SpawnLauncher;

impl Launcher for SpawnLauncher {
    fn launch(&self, who: ChildIdentity, body: Body, pass_fds: &[sys::RawDesc]) -> Result<Popen> {
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
        #[cfg(unix)]
        let prep = SentinelPrep::new()?;
        #[cfg(unix)]
        let sentinel_fd = prep.child_end();
        #[cfg(windows)]
        let (prep, sentinel_fd) = ((), None);
        let payload = Payload {
            who,
            target,
            args: String::from_utf8(args).unwrap_or_default(),
            start_method,
            spawn_args: spawn_args.clone(),
            sentinel_fd,
        };
        // The authkey agrees to be serialised only inside this window.
        let bytes = {
            let _spawning = SpawningGuard::enter();
            serde_json::to_vec(&payload)
                .map_err(|e| Error::new(ErrorKind::NotSerializable, e.to_string()))?
        };

        launch_child(&spawn_args, &bytes, pass_fds, prep)
    }
}

/// Unix: `fork` + `execve` of the current executable with the payload
/// pipe's read end (and `keep`) left open.
#[cfg(unix)]
fn launch_child(
    spawn_args: &[String],
    bytes: &[u8],
    pass_fds: &[RawFd],
    prep: SentinelPrep,
) -> Result<Popen> {
    let exe = std::env::current_exe().map_err(|e| Error::os("current_exe", e))?;
    let (r, w) = sys::pipe().map_err(|e| Error::os("pipe", e))?;
    let path = cstring(exe.as_os_str().as_bytes())?;
    let mut argv = vec![path.clone()];
    for a in spawn_args {
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
    let _ = sys::write_all(w.as_raw_fd(), bytes);
    drop(w);
    Ok(popen)
}

/// Windows: `CreateProcess` of the current executable, payload on stdin.
#[cfg(windows)]
fn launch_child(
    spawn_args: &[String],
    bytes: &[u8],
    pass_handles: &[sys::RawDesc],
    _prep: (),
) -> Result<Popen> {
    let exe = std::env::current_exe().map_err(|e| Error::os("current_exe", e))?;
    let mut command = std::process::Command::new(exe);
    command.args(spawn_args).env(FD_ENV, "stdin");
    let (pid, handle) = sys::spawn_with_payload(&mut command, bytes, pass_handles)
        .map_err(|e| Error::os("CreateProcess", e))?;
    Ok(Popen::attach(pid, handle))
}

#[cfg(unix)]
fn cstring(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "a spawn argument or environment entry contains a NUL byte",
        )
    })
}

/// The payload descriptor, if this process was spawned by us.
#[cfg(unix)]
fn payload_reader() -> Option<std::fs::File> {
    let fd: RawFd = std::env::var(FD_ENV).ok()?.parse().ok()?;
    std::env::remove_var(FD_ENV);
    sys::take_inherited_fd(fd).map(std::fs::File::from)
}

/// Standard input, if this process was spawned by us.
#[cfg(windows)]
fn payload_reader() -> Option<std::io::Stdin> {
    if std::env::var(FD_ENV).ok()? != "stdin" {
        return None;
    }
    std::env::remove_var(FD_ENV);
    Some(std::io::stdin())
}

/// If this process is a spawned child, becomes it and never returns.
pub(crate) fn maybe_run_child() {
    let Some(mut reader) = payload_reader() else {
        return;
    };
    let mut bytes = Vec::new();
    let read = reader.read_to_end(&mut bytes);
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
    #[cfg(unix)]
    if let Some(s) = payload.sentinel_fd {
        // Keep it open here but out of our own children (spawned ones by
        // close-on-exec, forked ones close it themselves).
        let _ = sys::set_cloexec(s, true);
        crate::popen::own_sentinel(Some(s));
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
