//! Windows: process handles as sentinels, `CreateProcess` (through
//! `std::process::Command`) for the spawn start method, `TerminateProcess`
//! with CPython's exit code, `RtlGenRandom` for authkeys.
//!
//! There is no `fork` on Windows, so there is no fork start method: the
//! crate reports it as `Unsupported`. `terminate()` and `kill()` are the
//! same call, as in CPython: `TerminateProcess(handle, 0x10000)`, and an
//! exit code of `0x10000` reads as `-15` (`-SIGTERM`), so a terminated
//! child looks the same to the caller as on Unix.
//!
//! Every function here is safe to call; each `unsafe` block states why it
//! is sound.

use std::io::{self, Write};
use std::os::windows::io::{AsRawHandle, FromRawHandle, IntoRawHandle, OwnedHandle, RawHandle};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    SetHandleInformation, ERROR_ACCESS_DENIED, HANDLE, HANDLE_FLAG_INHERIT, STILL_ACTIVE,
    WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::Authentication::Identity::RtlGenRandom;
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, TerminateProcess, WaitForSingleObject, INFINITE,
};

/// The backend's name, as `procspec_reference::platform()` reports it.
pub const BACKEND: &str = "windows";

/// The exit code `terminate()` gives the child: CPython's
/// `multiprocessing.popen_spawn_win32.TERMINATE`.
pub const TERMINATE: u32 = 0x10000;
/// `-SIGTERM`: what a child ended by `terminate()` reports, as in CPython.
pub const TERMINATED: i32 = -15;

/// `terminate()`'s signal number on Unix; on Windows only a tag (both
/// `terminate()` and `kill()` call `TerminateProcess`).
pub const SIGTERM: i32 = 15;
/// `kill()`'s signal number on Unix; a tag here, as [`SIGTERM`].
pub const SIGKILL: i32 = 9;

/// A raw descriptor handed to a child: a handle value (`pass_handle`).
pub type RawDesc = usize;

/// The waitable object of a child: its process handle.
pub type Waitable = OwnedHandle;

/// The pid of the calling process.
pub fn getpid() -> u32 {
    std::process::id()
}

/// Ends the process at once, without atexit handlers (the CRT's `_exit`).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process and never returns.
    unsafe { libc::_exit(code) }
}

/// Registers `f` with the C runtime's `atexit`.
pub fn atexit(f: extern "C" fn()) -> io::Result<()> {
    // SAFETY: `f` is a plain `extern "C" fn()` that lives for the program.
    if unsafe { libc::atexit(f) } != 0 {
        return Err(io::Error::other("atexit registration failed"));
    }
    Ok(())
}

/// Writes `buf` to standard error (Rust's stderr is unbuffered).
pub fn write_stderr(buf: &[u8]) -> io::Result<()> {
    io::stderr().write_all(buf)
}

/// Fills `buf` from the OS random source (`RtlGenRandom`, which Wine has
/// too, unlike `ProcessPrng`).
pub fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    for chunk in buf.chunks_mut(u32::MAX as usize) {
        // SAFETY: `chunk` is a valid writable buffer of the given length.
        if !unsafe { RtlGenRandom(chunk.as_mut_ptr().cast(), chunk.len() as u32) } {
            return Err(io::Error::other("RtlGenRandom failed"));
        }
    }
    Ok(())
}

fn raw(h: &OwnedHandle) -> HANDLE {
    h.as_raw_handle() as HANDLE
}

/// Waits until the process behind `h` has ended or `timeout` passes
/// (`None`: forever). Long timeouts are waited in slices below `INFINITE`.
pub fn wait_ready(h: &OwnedHandle, timeout: Option<Duration>) -> io::Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let ms = match deadline {
            None => INFINITE,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                u32::try_from(left.as_nanos().div_ceil(1_000_000))
                    .unwrap_or(INFINITE - 1)
                    .min(INFINITE - 1)
            }
        };
        // SAFETY: `h` is a live process handle owned by the caller.
        match unsafe { WaitForSingleObject(raw(h), ms) } {
            WAIT_OBJECT_0 => return Ok(true),
            WAIT_TIMEOUT if ms == 0 => return Ok(false),
            WAIT_TIMEOUT => continue,
            _ => return Err(io::Error::last_os_error()),
        }
    }
}

/// The exit code of the ended process behind `h` (CPython's reading:
/// `TERMINATE` is `-15`), or `None` while it runs.
pub fn exit_code(h: &OwnedHandle) -> io::Result<Option<i32>> {
    if !wait_ready(h, Some(Duration::ZERO))? {
        return Ok(None);
    }
    let mut code = 0u32;
    // SAFETY: `h` is a live process handle; `code` is a valid out-pointer.
    if unsafe { GetExitCodeProcess(raw(h), &mut code) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(if code == TERMINATE {
        TERMINATED
    } else {
        code as i32
    }))
}

/// `terminate()` and `kill()`, as CPython does them: `TerminateProcess`
/// with [`TERMINATE`]. `Ok(Some(code))` is the exit code now known: `-15`
/// after a successful call (CPython sets it at once), or the real code
/// when the process had already ended (access denied).
pub fn terminate(h: &OwnedHandle) -> io::Result<Option<i32>> {
    // SAFETY: `h` is a live process handle with PROCESS_TERMINATE access
    // (CreateProcess returns full access).
    if unsafe { TerminateProcess(raw(h), TERMINATE) } != 0 {
        return Ok(Some(TERMINATED));
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) {
        let mut code = 0u32;
        // SAFETY: as above; `code` is a valid out-pointer.
        if unsafe { GetExitCodeProcess(raw(h), &mut code) } != 0 && code != STILL_ACTIVE as u32 {
            return Ok(Some(if code == TERMINATE {
                TERMINATED
            } else {
                code as i32
            }));
        }
    }
    Err(e)
}

/// Sets or clears `HANDLE_FLAG_INHERIT` on a handle value.
pub fn set_inheritable(h: RawDesc, on: bool) -> io::Result<()> {
    let flag = if on { HANDLE_FLAG_INHERIT } else { 0 };
    // SAFETY: SetHandleInformation on an arbitrary value is memory-safe;
    // an invalid handle gives ERROR_INVALID_HANDLE.
    if unsafe { SetHandleInformation(h as HANDLE, HANDLE_FLAG_INHERIT, flag) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Starts `command` with `payload` on its standard input and the handles
/// `keep` inherited (at the same values, as Windows does), returning the
/// child's pid and process handle. The handles are inheritable only while
/// `CreateProcess` runs. A child that exits before reading its payload
/// makes the write fail, which is ignored: its exit code tells the story.
pub fn spawn_with_payload(
    command: &mut Command,
    payload: &[u8],
    keep: &[RawDesc],
) -> io::Result<(u32, OwnedHandle)> {
    for &h in keep {
        set_inheritable(h, true)?;
    }
    let spawned = command.stdin(Stdio::piped()).spawn();
    for &h in keep {
        let _ = set_inheritable(h, false);
    }
    let mut child = spawned?;
    let pid = child.id();
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(payload);
    }
    let handle: RawHandle = child.into_raw_handle();
    // SAFETY: `into_raw_handle` gave up std's ownership of the process
    // handle; it is open and now ours alone.
    Ok((pid, unsafe { OwnedHandle::from_raw_handle(handle) }))
}
