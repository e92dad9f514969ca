//! The stall breaker: an adapter that keeps failing does not stall a run.
//!
//! A hung op costs its whole deadline, and the runner restarts the adapter
//! after it; an adapter that hangs again after every restart (at once, or
//! after a few answers) would make a run wait out one deadline per case and
//! per shrinking attempt, for hours. [`Stall`] counts the adapter failures
//! of an implementation's run: every case, sequence and shrinking attempt
//! is [`Stall::record`]ed with its status; a `timeout` or `crash` (after
//! which the adapter is restarted) adds one, a `pass` (the adapter works)
//! sets the count back to zero, anything else (a `fail`: the adapter
//! answered, wrongly) leaves it. When `threshold` failures have come with no
//! pass in between, the breaker *trips*: the run loop (`procspec_runner::run`)
//! discards the adapter and reports every remaining case and block of
//! sequences as `not-run`, with the reason; the state machine stops
//! generating and shrinking (its config's `halt`), and reports the failure
//! it was shrinking as last seen.
//!
//! A reset that fails (it hung, or the adapter died) is a failure too,
//! counted once with the run around it: the run loop drives the adapter
//! through [`Watched`], which tells the breaker; a run that then passes
//! (the restart cured it) sets the count back to zero, one that fails
//! counts once, whatever its status.
//!
//! An adapter that fails now and then between passes is reported case by
//! case, as before; so is one that fails fewer than `threshold` times.

use crate::adapter::{Adapter, AdapterFailure, AdapterInfo, Observed};
use procspec_spec::results::Status;
use procspec_spec::vocab::Step;
use std::sync::{Arc, Mutex};

/// The default number of timed-out or crashed cases or sequences, with no
/// pass in between, that ends an implementation's run.
pub const DEFAULT_THRESHOLD: u32 = 3;

#[derive(Debug, Default)]
struct State {
    threshold: u32,
    failures: u32,
    /// A reset failed since the last recorded run: its message.
    failed_reset: Option<String>,
    tripped: Option<String>,
}

/// The stall breaker of one implementation's run (a shared handle: the
/// state machine's config holds a clone).
#[derive(Debug, Clone, Default)]
pub struct Stall(Arc<Mutex<State>>);

impl Stall {
    /// A breaker that trips after `threshold` failures; 0 never trips.
    pub fn new(threshold: u32) -> Stall {
        Stall(Arc::new(Mutex::new(State {
            threshold,
            ..State::default()
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count a finished case, sequence or shrinking attempt (its status
    /// before expectations apply; `message` says what went wrong).
    pub fn record(&self, status: Status, message: Option<&str>) {
        let mut s = self.state();
        if s.tripped.is_some() {
            return;
        }
        let failed_reset = s.failed_reset.take();
        let last = match status {
            Status::Pass => {
                s.failures = 0;
                return;
            }
            Status::Timeout | Status::Crash => message.unwrap_or("no message").to_string(),
            _ => match failed_reset {
                Some(m) => format!("a reset failed: {m}"),
                None => return,
            },
        };
        s.failures += 1;
        if s.threshold > 0 && s.failures >= s.threshold {
            s.tripped = Some(format!(
                "not run: the adapter timed out or crashed {} times with no passing case or sequence in between, each time after a restart (--stall-threshold {}); the last: {last}",
                s.failures, s.threshold
            ));
        }
    }

    /// A reset failed (counted with the next recorded run).
    pub fn reset_failed(&self, failure: &AdapterFailure) {
        self.state().failed_reset = Some(failure.to_string());
    }

    /// Why the breaker tripped, if it did.
    pub fn tripped(&self) -> Option<String> {
        self.state().tripped.clone()
    }

    /// Whether it tripped.
    pub fn is_tripped(&self) -> bool {
        self.state().tripped.is_some()
    }
}

/// An adapter whose failed resets are told to a [`Stall`].
pub struct Watched<'a, A: Adapter + ?Sized> {
    inner: &'a mut A,
    stall: Stall,
}

impl<'a, A: Adapter + ?Sized> Watched<'a, A> {
    /// Watch `inner`'s resets for `stall`.
    pub fn new(inner: &'a mut A, stall: Stall) -> Self {
        Watched { inner, stall }
    }
}

impl<A: Adapter + ?Sized> Adapter for Watched<'_, A> {
    fn info(&self) -> &AdapterInfo {
        self.inner.info()
    }

    fn apply(&mut self, step: &Step) -> Result<Observed, AdapterFailure> {
        self.inner.apply(step)
    }

    fn reset(&mut self) -> Result<(), AdapterFailure> {
        let r = self.inner.reset();
        if let Err(f) = &r {
            self.stall.reset_failed(f);
        }
        r
    }

    fn own_pids(&self) -> Vec<u32> {
        self.inner.own_pids()
    }

    fn held_descriptors(&self) -> Option<u64> {
        self.inner.held_descriptors()
    }

    fn discard(&mut self) {
        self.inner.discard();
    }

    fn fresh_sessions(&self) -> bool {
        self.inner.fresh_sessions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_after_threshold_failures_with_no_pass_between() {
        let s = Stall::new(3);
        s.record(Status::Timeout, Some("a"));
        s.record(Status::Fail, None);
        s.record(Status::Crash, Some("b"));
        assert!(!s.is_tripped());
        s.record(Status::Timeout, Some("`join` did not answer"));
        let why = s.tripped().expect("tripped at the third failure");
        assert!(why.contains("3 times"), "{why}");
        assert!(why.contains("`join` did not answer"), "{why}");
        s.record(Status::Pass, None);
        assert!(s.is_tripped(), "a trip is final");
    }

    #[test]
    fn a_pass_sets_the_count_back() {
        let s = Stall::new(3);
        for _ in 0..5 {
            s.record(Status::Timeout, None);
            s.record(Status::Crash, None);
            s.record(Status::Pass, None);
        }
        assert!(!s.is_tripped());
    }

    #[test]
    fn a_failed_reset_counts_once_with_its_run_unless_the_run_passes() {
        let s = Stall::new(2);
        let hung = AdapterFailure::Timeout {
            op: "reset".into(),
            after: std::time::Duration::from_millis(5),
        };
        s.reset_failed(&hung);
        s.record(Status::Pass, None);
        s.reset_failed(&hung);
        s.record(Status::Fail, None);
        assert!(!s.is_tripped());
        s.reset_failed(&hung);
        s.record(Status::Timeout, Some("t"));
        assert!(s.tripped().unwrap().contains("2 times"));
    }

    #[test]
    fn threshold_zero_never_trips() {
        let s = Stall::new(0);
        for _ in 0..10 {
            s.record(Status::Timeout, None);
        }
        assert!(!s.is_tripped());
    }
}
