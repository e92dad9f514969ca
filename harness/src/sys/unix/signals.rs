//! Signal dispositions of the processes the harness runs child bodies in
//! (POSIX). The runner's own SIGINT/SIGTERM handling is the runner's
//! (`procspec_runner::supervisor`); the harness only asks whether a stop
//! was requested (`crate::supervisor`).

/// Ignore SIGTERM in this process (the `ignore-sigterm` target).
pub fn ignore_sigterm() {
    // SAFETY: installing SIG_IGN involves no handler code; it is
    // async-signal-safe and valid in a freshly forked child.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
    }
}

/// Send this process `signal` with its default action (a target that dies
/// of a signal it sends itself), by this platform's number for it. No core
/// file is written.
pub fn raise_default(signal: procspec_spec::vocab::SelfSignal) -> ! {
    let signal = match signal {
        procspec_spec::vocab::SelfSignal::Abort => libc::SIGABRT,
        procspec_spec::vocab::SelfSignal::Usr1 => libc::SIGUSR1,
    };
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit and signal take no pointers but `no_core`, which
    // lives across the call; resetting the disposition to SIG_DFL runs no
    // handler code; raise delivers to this thread. A signal whose default
    // action does not end the process would return here, so exit then.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
        libc::_exit(1)
    }
}
