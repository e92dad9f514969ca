//! Platforms: where the lifecycle's documented outcomes differ by OS.
//!
//! The clauses of `clauses.toml` state the rules as the docs do, for every
//! platform at once; some of them name a platform ("on Windows
//! TerminateProcess() is used"). This module is those conditions as data:
//! each [`Condition`] qualifies one clause on one platform, with the
//! sentence it rests on, quoted from `spec/sources/` (checked by
//! `spec/tests/platform.rs`), and says what an implementation run there is
//! held to instead. [`Platform::exit_code`] is the hook for outcomes: the
//! exit code a platform reports for a child ended by a given signal.
//!
//! The model takes the platform as a parameter of the run
//! ([`World::on`](crate::model::World::on), Unix by default): a signal's
//! exit code goes through [`Platform::exit_code`], and on Windows
//! `terminate()` cannot be ignored (it is `TerminateProcess`). The checker
//! gives the world the platform the adapter says it runs on (its hello's
//! `platform`, [`Platform::from_hello`]), so an implementation is judged by
//! its platform's outcomes.

use crate::vocab::{SelfSignal, Target};

/// An operating system family procspec knows the outcomes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum Platform {
    /// Linux (the default: the model's outcomes are the Unix ones).
    #[default]
    Linux,
    /// macOS.
    MacOs,
    /// FreeBSD and the other BSDs (outcomes as on Unix).
    Bsd,
    /// Windows.
    Windows,
}

impl Platform {
    /// The platform this crate was built for (`None` elsewhere).
    pub fn current() -> Option<Platform> {
        Platform::from_os(std::env::consts::OS)
    }

    /// From a `std::env::consts::OS` name, as the run report's `os` field
    /// holds it.
    pub fn from_os(os: &str) -> Option<Platform> {
        Some(match os {
            "linux" => Platform::Linux,
            "macos" => Platform::MacOs,
            "freebsd" | "openbsd" | "netbsd" | "dragonfly" => Platform::Bsd,
            "windows" => Platform::Windows,
            _ => return None,
        })
    }

    /// From a hello's `platform` (`<os>-<machine>`): Rust's OS names
    /// (`linux`, `macos`, `windows`, `freebsd`) and Python's
    /// `sys.platform` (`linux`, `darwin`, `win32`, `cygwin`, `freebsd14`).
    /// `None` for an OS procspec knows no outcomes of.
    pub fn from_hello(platform: &str) -> Option<Platform> {
        let os = platform.split('-').next().unwrap_or("");
        Some(match os {
            "darwin" | "macos" => Platform::MacOs,
            "win32" | "windows" | "cygwin" => Platform::Windows,
            _ if ["freebsd", "openbsd", "netbsd", "dragonfly"]
                .iter()
                .any(|b| os.starts_with(b)) =>
            {
                Platform::Bsd
            }
            _ => return Platform::from_os(os),
        })
    }

    /// The exit code `target` ends with by itself there (`None` for the
    /// blocking targets): [`Target::exit_code`], except for a target that
    /// signals itself, whose code is the platform's
    /// ([`Platform::self_signal_exit_code`]).
    pub fn target_exit_code(self, target: &Target) -> Option<i32> {
        match target {
            Target::SelfSignal { signal } => Some(self.self_signal_exit_code(*signal)),
            t => t.exit_code(),
        }
    }

    /// The exit code of a child that sends itself `signal`: `-number` on
    /// Unix, where SIGUSR1 is 10 on Linux and 30 on macOS and the BSDs
    /// (`<sys/signal.h>`). On Windows `abort()` ends the process with the C
    /// runtime's code 3, and there is no SIGUSR1 (Python's `signal` module
    /// has no `SIGUSR1` there, so such a target raises: exit code 1).
    pub fn self_signal_exit_code(self, signal: SelfSignal) -> i32 {
        match (self, signal) {
            (Platform::Windows, SelfSignal::Abort) => 3,
            (Platform::Windows, SelfSignal::Usr1) => 1,
            (Platform::MacOs | Platform::Bsd, SelfSignal::Usr1) => -30,
            (_, s) => -s.number(),
        }
    }

    /// Whether a SIGTERM can be ignored there: not on Windows, where
    /// `terminate()` is `TerminateProcess`.
    pub fn sigterm_can_be_ignored(self) -> bool {
        self != Platform::Windows
    }

    /// The start methods CPython offers there.
    pub fn start_methods(self) -> &'static [&'static str] {
        match self {
            Platform::Windows => &["spawn"],
            _ => &["fork", "spawn", "forkserver"],
        }
    }

    /// CPython's default start method there (3.8 to 3.13).
    pub fn default_start_method(self) -> &'static str {
        match self {
            Platform::Windows | Platform::MacOs => "spawn",
            _ => "fork",
        }
    }

    /// The exit code a child ended by `terminate()` (`signal` 15) or
    /// `kill()` (`signal` 9) reports: `-signal` on Unix; on Windows both
    /// are `TerminateProcess` and read `-15` (CPython's
    /// `popen_spawn_win32`: `TERMINATE` becomes `-signal.SIGTERM`).
    pub fn exit_code(self, signal: i32) -> i32 {
        match self {
            Platform::Windows => -15,
            _ => -signal,
        }
    }
}

/// One clause as it holds on one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// Where it applies.
    pub platform: Platform,
    /// The clause it qualifies (an id of `clauses.toml`); `None` for a
    /// condition on start methods, which qualifies capabilities (`fork`,
    /// `inherit-handles`) rather than a clause.
    pub clause: Option<&'static str>,
    /// What an implementation run there is held to instead.
    pub outcome: &'static str,
    /// The sentence it rests on, verbatim from `spec/sources/`.
    pub quote: &'static str,
    /// Where the quote is.
    pub source: &'static str,
}

/// Every platform condition.
pub const CONDITIONS: &[Condition] = &[
    Condition {
        platform: Platform::Windows,
        clause: Some("terminate.sigterm"),
        outcome: "TerminateProcess(handle, 0x10000); exitcode -15, known as soon as terminate() returns",
        quote: "Terminate the process. On Unix this is done using the SIGTERM signal; on Windows TerminateProcess() is used.",
        source: "docs:multiprocessing.Process.terminate",
    },
    Condition {
        platform: Platform::Windows,
        clause: Some("kill.sigkill"),
        outcome: "kill() is terminate(): exitcode -15, not -9",
        quote: "Same as terminate() but using the SIGKILL signal on Unix.",
        source: "docs:multiprocessing.Process.kill",
    },
    Condition {
        platform: Platform::Windows,
        clause: Some("sentinel.windows-handle"),
        outcome: "the sentinel is the process handle (WaitForSingleObject), not a descriptor",
        quote: "On Windows, this is an OS handle usable with the WaitForSingleObject and WaitForMultipleObjects family of API calls.",
        source: "docs:multiprocessing.Process.sentinel",
    },
    Condition {
        platform: Platform::Windows,
        clause: None,
        outcome: "spawn is the only start method: fork and forkserver do not exist",
        quote: "Available on Unix and Windows. The default on Windows and macOS.",
        source: "docs:multiprocessing.contexts-and-start-methods",
    },
    Condition {
        platform: Platform::MacOs,
        clause: None,
        outcome: "spawn is the default start method; fork exists but is unsafe once threads run",
        quote: "On macOS, the spawn start method is now the default. The fork start method should be considered unsafe as it can lead to crashes of the subprocess.",
        source: "docs:multiprocessing.contexts-and-start-methods",
    },
];

/// The conditions that hold on `platform`.
pub fn conditions(platform: Platform) -> impl Iterator<Item = &'static Condition> {
    CONDITIONS.iter().filter(move |c| c.platform == platform)
}
