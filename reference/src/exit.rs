//! Process start-up and shut-down: the at-exit registration behind
//! [`init`](crate::init), [`exit`], the exit handler (CPython's
//! `util._exit_function`) and the child side of every start method
//! ([`run_child`]).

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crate::context;
use crate::object;
use crate::sys;
use crate::target::Body;

/// True in a child while (and after) it runs its target: panics then go
/// straight to fd 2 with a `Process <name>:` header.
static IN_CHILD: AtomicBool = AtomicBool::new(false);
static INIT: Once = Once::new();
static HOOK: Once = Once::new();

/// The second half of [`init`](crate::init), in a process that is not a
/// spawned child: installs the panic hook and the exit handler (once).
pub(crate) fn install_at_exit() {
    INIT.call_once(|| {
        install_panic_hook();
        // Without atexit the only loss is the automatic join at exit.
        let _ = sys::atexit(atexit_handler);
    });
}

/// Records that `init` has happened (spawned children skip the atexit
/// registration: they leave through [`run_child`]).
pub(crate) fn mark_initialised() {
    INIT.call_once(install_panic_hook);
}

/// Exits the current process with `code` after running the exit handler
/// (terminate daemonic children, join the others), like `sys.exit` inside
/// a CPython child. In a child started by this crate the process ends with
/// `_exit` after flushing stdout; in the main process this is
/// `std::process::exit`.
pub fn exit(code: i32) -> ! {
    exit_function();
    flush_std();
    if context::config().is_child {
        sys::exit_now(code)
    }
    std::process::exit(code)
}

extern "C" fn atexit_handler() {
    // Unwinding out of an `extern "C"` function would abort.
    let _ = panic::catch_unwind(exit_function);
}

/// CPython's `_exit_function`: SIGTERM the daemonic children, then join
/// every live child.
pub(crate) fn exit_function() {
    if object::children().is_empty() {
        return;
    }
    for child in object::active_children() {
        if child.lock().daemon {
            let _ = child.signal(sys::SIGTERM);
        }
    }
    for child in object::active_children() {
        let _ = child.join(None);
    }
}

/// Flushes stdout before `_exit` (stderr is unbuffered in Rust).
pub(crate) fn flush_std() {
    let _ = std::io::stdout().flush();
}

/// The child side of every start method: run the body, catch a panic
/// (exit code 1), run the exit handler. Returns the exit code.
pub(crate) fn run_child(body: Body) -> i32 {
    IN_CHILD.store(true, Ordering::SeqCst);
    // The buffer is empty here (a fork parent flushes before forking, a
    // spawned child has written nothing), so this writes nothing. It is
    // for speed: the first flush in a fork child faults in copy-on-write
    // pages, and doing that now rather than after the target keeps those
    // faults out of the time between the target's end and the exit that
    // `join` waits for (about 15 µs per process on a VM, the whole gap to a
    // raw fork in the join wake-up benchmark).
    flush_std();
    let code = match panic::catch_unwind(AssertUnwindSafe(|| body.run_then_forget())) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            let name = context::config().name.clone();
            let _ = sys::write_stderr(format!("Process {name}:\n{e}\n").as_bytes());
            1
        }
        Err(_) => 1,
    };
    exit_function();
    flush_std();
    code
}

/// Installs (once) a panic hook that, in a child, writes the panic to fd 2
/// directly: a fork child of a test thread would otherwise print into
/// libtest's captured output, which the child never hands back. Outside
/// children the previous hook runs unchanged.
pub(crate) fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_CHILD.load(Ordering::SeqCst) {
                return previous(info);
            }
            let name = match crate::context::try_name() {
                Some(n) => n,
                None => "?".to_string(),
            };
            let thread = std::thread::current();
            let msg = format!(
                "Process {name}:\nthread '{}' {info}\n",
                thread.name().unwrap_or("<unnamed>")
            );
            let _ = sys::write_stderr(msg.as_bytes());
        }));
    });
}
