//! Windows: the process tree from a Toolhelp snapshot, the handle count as
//! the descriptor count, a process handle's identity (pid and creation
//! time) as a descriptor's, `TerminateProcess` as kill, `WSAPoll` for the
//! deadline-bounded waits of the lifecycle host's loopback channels, and
//! what a child body needs (the C runtime's `abort` and `_exit`). No
//! subreaper (orphans are not counted), no zombies (a process ends as a
//! whole), no stop signals.
//!
//! A job object with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`, made at
//! `guard::install()` with this process in it: every process started
//! afterwards, at any depth, is in it too, and its only handle is this
//! process's, never closed, so when this process ends, however it ends,
//! the system closes it and kills whatever is still in the job (the
//! counterpart of the runner's watchdog for a `cargo test` run). Its
//! process list is the leak guard's view of what is left, orphans
//! included.

use std::sync::OnceLock;
use std::time::Instant;
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_MORE_DATA, FILETIME, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Networking::WinSock::{WSAPoll, POLLRDNORM, SOCKET, WSAPOLLFD};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Process32FirstW, Process32NextW, PROCESSENTRY32W, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectBasicProcessIdList,
    JobObjectExtendedLimitInformation, QueryInformationJobObject, SetInformationJobObject,
    JOBOBJECT_BASIC_PROCESS_ID_LIST, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetProcessHandleCount, GetProcessId, GetProcessTimes, OpenProcess,
    TerminateProcess, WaitForSingleObject, PROCESS_TERMINATE,
};

/// The standard access right to wait on an object.
const SYNCHRONIZE: u32 = 0x0010_0000;

/// Used where Unix sends SIGKILL; `kill` ignores it.
pub const SIGKILL: i32 = 9;

/// One process as the Toolhelp snapshot shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Its pid.
    pub pid: u32,
    /// Its parent's pid (which may since have been reused: Windows does not
    /// reparent).
    pub ppid: u32,
    /// Always `R`: Windows has no zombies.
    pub state: char,
}

/// This process's pid.
pub fn getpid() -> u32 {
    std::process::id()
}

/// Every process on the machine.
pub fn all_processes() -> Vec<ProcStat> {
    let mut out = Vec::new();
    // SAFETY: a snapshot of all processes; the handle is closed below.
    let snap = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if snap == INVALID_HANDLE_VALUE {
        return out;
    }
    // SAFETY: PROCESSENTRY32W is plain data; dwSize must be set first.
    let mut entry: PROCESSENTRY32W = unsafe { std::mem::zeroed() };
    entry.dwSize = std::mem::size_of::<PROCESSENTRY32W>() as u32;
    // SAFETY: `snap` is a live snapshot and `entry` a valid out-structure.
    let mut more = unsafe { Process32FirstW(snap, &mut entry) } != 0;
    while more {
        out.push(ProcStat {
            pid: entry.th32ProcessID,
            ppid: entry.th32ParentProcessID,
            state: 'R',
        });
        // SAFETY: as above.
        more = unsafe { Process32NextW(snap, &mut entry) } != 0;
    }
    // SAFETY: `snap` is ours and closed once.
    unsafe { CloseHandle(snap) };
    out
}

/// The process `pid`, if it exists.
pub fn stat(pid: u32) -> Option<ProcStat> {
    all_processes().into_iter().find(|s| s.pid == pid)
}

/// The number of open handles of this process (the descriptor count's
/// counterpart).
pub fn open_fds() -> usize {
    let mut n = 0u32;
    // SAFETY: the pseudo-handle of this process; `n` is a valid out-pointer.
    unsafe { GetProcessHandleCount(GetCurrentProcess(), &mut n) };
    n as usize
}

/// No subreaper on Windows.
pub fn become_subreaper() -> bool {
    false
}

fn open(pid: u32, access: u32) -> Option<HANDLE> {
    // SAFETY: OpenProcess takes plain values; a null handle means failure.
    let h = unsafe { OpenProcess(access, 0, pid) };
    (!h.is_null()).then_some(h)
}

/// Terminates `pid` (exit code 1) and waits (up to 5 s) until it has
/// ended, so that whoever looks next, the job's process list included,
/// no longer sees it; errors (already gone) are ignored.
pub fn kill(pid: u32, _signal: i32) {
    if let Some(h) = open(pid, PROCESS_TERMINATE | SYNCHRONIZE) {
        // SAFETY: `h` is a live handle with PROCESS_TERMINATE and
        // SYNCHRONIZE, closed once.
        unsafe {
            TerminateProcess(h, 1);
            WaitForSingleObject(h, 5_000);
            CloseHandle(h);
        }
    }
}

/// The job made by [`kill_tree_on_exit`]: its handle's value (never
/// closed), or why there is none.
static JOB: OnceLock<Result<usize, String>> = OnceLock::new();

/// Put this process (once) in a new job object that kills every process
/// still in it when its last handle closes, which is when this process
/// ends: the handle is not inheritable and never closed. Processes this
/// one starts afterwards are in the job too (a job nested in the one this
/// process may already be in, Windows 8 and later). `Err` names the call
/// that failed and its error code.
pub fn kill_tree_on_exit() -> Result<(), String> {
    JOB.get_or_init(make_job)
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

fn make_job() -> Result<usize, String> {
    let failed = |call: &str| {
        // SAFETY: reads this thread's last error code; no arguments.
        let code = unsafe { GetLastError() };
        format!("{call} failed (error {code})")
    };
    // SAFETY: no security attributes (the handle is not inheritable) and
    // no name; a null handle means failure.
    let job = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
    if job.is_null() {
        return Err(failed("CreateJobObjectW"));
    }
    let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    // SAFETY: `job` is the live job just made; `limits` is a valid
    // JOBOBJECT_EXTENDED_LIMIT_INFORMATION of the size passed.
    let set = unsafe {
        SetInformationJobObject(
            job,
            JobObjectExtendedLimitInformation,
            (&raw const limits).cast(),
            std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    if set == 0 {
        let e = failed("SetInformationJobObject(JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)");
        // SAFETY: `job` is ours, closed once (nothing is in it yet).
        unsafe { CloseHandle(job) };
        return Err(e);
    }
    // SAFETY: `job` is live; the pseudo-handle names this process.
    if unsafe { AssignProcessToJobObject(job, GetCurrentProcess()) } == 0 {
        let e = failed("AssignProcessToJobObject(this process)");
        // SAFETY: as above: nothing is in the job.
        unsafe { CloseHandle(job) };
        return Err(e);
    }
    Ok(job as usize)
}

/// The pids of the processes in this process's job (this one included).
/// `Err` when there is no job, or the system cannot list it.
pub fn job_members() -> Result<Vec<u32>, String> {
    match JOB.get() {
        Some(Ok(job)) => job_processes(*job as HANDLE),
        Some(Err(e)) => Err(e.clone()),
        None => Err("no job: guard::install() was not called".into()),
    }
}

/// `JobObjectBasicProcessIdList` of `job`, the buffer grown until the
/// whole list fits. `Err` names the failed call and its error code.
fn job_processes(job: HANDLE) -> Result<Vec<u32>, String> {
    let header = std::mem::offset_of!(JOBOBJECT_BASIC_PROCESS_ID_LIST, ProcessIdList)
        / std::mem::size_of::<usize>();
    let mut room = 64usize;
    loop {
        // usize words: the structure's alignment, its header then the ids.
        let mut buf = vec![0usize; header + room];
        let bytes = u32::try_from(std::mem::size_of_val(buf.as_slice())).unwrap_or(u32::MAX);
        // SAFETY: `job` is live (never closed); `buf` is writable for
        // `bytes` bytes and aligned for JOBOBJECT_BASIC_PROCESS_ID_LIST.
        let ok = unsafe {
            QueryInformationJobObject(
                job,
                JobObjectBasicProcessIdList,
                buf.as_mut_ptr().cast(),
                bytes,
                std::ptr::null_mut(),
            )
        };
        // SAFETY: the buffer starts with the list's header, written by
        // the call (or still zero); read without moving it.
        let list = unsafe { &*buf.as_ptr().cast::<JOBOBJECT_BASIC_PROCESS_ID_LIST>() };
        let (assigned, listed) = (
            list.NumberOfAssignedProcesses as usize,
            list.NumberOfProcessIdsInList as usize,
        );
        if ok == 0 {
            // SAFETY: reads this thread's last error code; no arguments.
            let code = unsafe { GetLastError() };
            if code != ERROR_MORE_DATA || room > 1 << 20 {
                return Err(format!(
                    "QueryInformationJobObject(JobObjectBasicProcessIdList) failed (error {code})"
                ));
            }
        } else if listed >= assigned || room > 1 << 20 {
            let ids = &buf[header..header + listed.min(room)];
            return Ok(ids.iter().map(|&id| id as u32).collect());
        }
        room = (assigned + 16).max(room * 2);
    }
}

/// Waits for `pid` to end (there is nothing to reap on Windows).
pub fn reap(pid: u32) {
    if let Some(h) = open(pid, SYNCHRONIZE) {
        // SAFETY: `h` is a live handle with SYNCHRONIZE, closed once.
        unsafe {
            WaitForSingleObject(h, 10_000);
            CloseHandle(h);
        }
    }
}

/// Wait until `pid` has ended or `deadline` passes (its process handle is
/// signalled when it ends, whoever its parent was).
pub fn wait_ended(pid: u32, deadline: std::time::Instant) {
    if let Some(h) = open(pid, SYNCHRONIZE) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = u32::try_from(left.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: `h` is a live handle with SYNCHRONIZE, closed once.
        unsafe {
            WaitForSingleObject(h, ms);
            CloseHandle(h);
        }
    }
}

/// No subreaper on Windows.
pub const HAS_SUBREAPER: bool = false;

/// Wait until `socket` is readable (data, a pending connection, or the
/// peer gone) or `deadline` passes: `WSAPoll` in slices below `i32::MAX`
/// ms. Returns false on timeout (or when the socket cannot be polled).
pub fn wait_readable(socket: std::os::windows::io::BorrowedSocket<'_>, deadline: Instant) -> bool {
    use std::os::windows::io::AsRawSocket;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = i32::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX);
        let mut fd = WSAPOLLFD {
            fd: socket.as_raw_socket() as SOCKET,
            events: POLLRDNORM,
            revents: 0,
        };
        // SAFETY: `fd` is one valid WSAPOLLFD for a live socket (borrowed
        // for the call); Winsock is initialised, since std made the socket.
        let n = unsafe { WSAPoll(&mut fd, 1, ms) };
        if n > 0 {
            return true;
        }
        if n < 0 || ms == 0 {
            return false;
        }
        // n == 0: that slice passed; the loop ends once no time is left.
    }
}

/// Nothing to install: `terminate()` on Windows is `TerminateProcess`,
/// which no process can ignore (the model knows: on Windows a SIGTERM
/// cannot be ignored).
pub fn ignore_sigterm() {}

/// End this process as a target that sends itself `signal` does on
/// Windows: `abort()` is the C runtime's (exit code 3); any other signal
/// does not exist there (Python has no `signal.SIGUSR1`), so the target
/// raises: this panics, which a child reports as exit code 1.
pub fn raise_default(signal: procspec_spec::vocab::SelfSignal) -> ! {
    if signal == procspec_spec::vocab::SelfSignal::Abort {
        // SAFETY: the C runtime's abort ends the process; it never returns.
        unsafe { libc::abort() }
    }
    panic!("procspec: there is no {signal:?} on Windows: the target raises")
}

/// Leave at once, no exit handler (the C runtime's `_exit`).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process and never returns.
    unsafe { libc::_exit(code) }
}

/// Block until the process is terminated: for a child whose creator is
/// gone and that therefore can never be released. Never returns.
pub fn block_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// What the handle `handle` (a sentinel's value, as the lifecycle host
/// records it) is now, when it is a process handle: that process's pid and
/// creation time, which no other process has. `None` when the value is no
/// longer a handle to a process (closed, or reused for something else).
/// The counterpart of Unix's `fd_identity` (device and inode), so that
/// `sentinel-open` tells whether `close()` freed the handle.
pub fn fd_identity(handle: i32) -> Option<(u64, u64)> {
    let h = handle as isize as HANDLE;
    // SAFETY: GetProcessId takes a handle value and fails (0) on one that
    // is not an open process handle; it reads nothing else.
    let pid = unsafe { GetProcessId(h) };
    if pid == 0 {
        return None;
    }
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
    // SAFETY: `h` was a process handle just above (if it has been closed
    // since, the call fails); the four out-pointers are valid FILETIMEs.
    if unsafe { GetProcessTimes(h, &mut created, &mut exited, &mut kernel, &mut user) } == 0 {
        return None;
    }
    let created = (u64::from(created.dwHighDateTime) << 32) | u64::from(created.dwLowDateTime);
    Some((u64::from(pid), created))
}
