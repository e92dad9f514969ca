//! The runner's SIGINT/SIGTERM handling, kept out of its children (POSIX):
//! a signal sets a flag that the run reads between cases and sequences and
//! in every deadline-bounded wait (through the harness's supervisor hook).

/// The flag the SIGINT/SIGTERM handler sets.
static STOP_FLAG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    // Async-signal-safe: one atomic store.
    STOP_FLAG.store(true, std::sync::atomic::Ordering::SeqCst);
}

thread_local! {
    /// The forking thread's signal mask, saved across fork.
    static SAVED_MASK: std::cell::Cell<Option<libc::sigset_t>> = const { std::cell::Cell::new(None) };
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

extern "C" fn before_fork() {
    let set = stop_signals();
    // SAFETY: blocks SIGINT/SIGTERM in this thread only, saving the mask.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        SAVED_MASK.with(|m| m.set(Some(old)));
    }
}

extern "C" fn after_fork_in_parent() {
    if let Some(old) = SAVED_MASK.with(|m| m.take()) {
        // SAFETY: restores the mask saved before the fork.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
    }
}

extern "C" fn after_fork_in_child() {
    // SAFETY: the child gets the default actions back while the signals are
    // still blocked, then the saved mask: a SIGTERM sent to it at any point
    // acts as it would on a process that never saw the runner's handler.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
    }
    after_fork_in_parent();
}

/// Install SIGINT and SIGTERM handlers that set the stop flag once; the
/// handler resets itself, so a second signal ends the process as usual.
///
/// Children forked by the runner must not inherit the handler: an
/// implementation child (an in-process reference adapter's, as
/// `impls::Resolved::start` runs it) must die of `terminate()`, and a
/// child between fork and exec must not take a stop for its own. Handlers
/// set after a fork would leave a window, so `pthread_atfork` blocks the
/// two signals across the fork and restores their default actions in the
/// child before unblocking them.
pub fn install_stop_handlers() {
    // SAFETY: the three handlers only change the calling thread's mask and
    // the child's dispositions, which is valid at those points of fork.
    unsafe {
        libc::pthread_atfork(
            Some(before_fork),
            Some(after_fork_in_parent),
            Some(after_fork_in_child),
        );
    }
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the sigaction struct is zeroed then filled; the handler
        // only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_stop_signal as *const () as usize;
            act.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Whether SIGINT or SIGTERM arrived.
pub fn stop_requested() -> bool {
    STOP_FLAG.load(std::sync::atomic::Ordering::SeqCst)
}
