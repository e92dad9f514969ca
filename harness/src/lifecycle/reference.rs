//! procspec's reference as a [`Lifecycle`] implementation: the mapping, and
//! nothing else (the host supplies bodies, agents, routing, pids, reset).
//! Under spawn, children re-execute the program: call [`register_body`]
//! before `procspec_reference::init()` at the top of `main` (or of the test
//! binary's spawn entry).

use super::{Body, Failure, Lifecycle, LifecycleInfo, Res};
use procspec_reference::connection::{self, Address, Listener};
use procspec_reference::{
    active_children, current_process, parent_process, register, Authkey, Builder,
    ErrorKind as RefKind, Process, StartMethod, Target,
};
use procspec_spec::vocab::{Capability, ErrorKind};
use std::time::Duration;

/// The reference under one start method.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceLifecycle {
    /// Fork or spawn (children find their body registered either way).
    pub method: StartMethod,
    /// The registered target children run their body under; `None`: the
    /// standard one of `method` ([`register_body`]).
    child_entry: Option<&'static str>,
}

impl ReferenceLifecycle {
    /// The reference under `method`.
    pub fn new(method: StartMethod) -> ReferenceLifecycle {
        ReferenceLifecycle {
            method,
            child_entry: None,
        }
    }

    /// The reference under `method`, whose children run their body under
    /// `entry`, a target the caller registered (`procspec_reference::register`)
    /// that calls [`Body::run`] with this same lifecycle and then does what
    /// it likes. A door for tests only: the mutation catalogue changes what
    /// a child does once its target returns (an exit path that forgets its
    /// daemonic children) without a switch in the reference crate. Under
    /// spawn the entry must be registered in the re-executed program too.
    pub fn with_child_entry(method: StartMethod, entry: &'static str) -> ReferenceLifecycle {
        ReferenceLifecycle {
            method,
            child_entry: Some(entry),
        }
    }

    /// The builder of an object whose child runs `body`.
    fn builder(&self, body: &Body, name: Option<&str>, daemon: Option<bool>) -> Builder {
        let entry = self
            .child_entry
            .unwrap_or(BODY[usize::from(self.method != StartMethod::Fork)]);
        let mut b = Process::builder(Target::registered(entry, body)).start_method(self.method);
        if let Some(n) = name {
            b = b.name(n);
        }
        if let Some(d) = daemon {
            b = b.daemon(d);
        }
        b
    }
}

/// The names children find their body under (registered targets, not
/// closures: `run()` then `start()` runs a body twice, as CPython does).
const BODY: [&str; 2] = ["procspec.lifecycle-fork", "procspec.lifecycle-spawn"];

/// Register the entry points of children (see the module docs).
pub fn register_body() {
    register(BODY[0], |b: Body| {
        b.run(ReferenceLifecycle::new(StartMethod::Fork))
    });
    register(BODY[1], |b: Body| {
        b.run(ReferenceLifecycle::new(StartMethod::Spawn))
    });
}

/// The reference's error kinds are named after the vocabulary's.
pub fn map_kind(k: RefKind) -> ErrorKind {
    match k {
        RefKind::Closed => ErrorKind::Closed,
        RefKind::AlreadyStarted => ErrorKind::AlreadyStarted,
        RefKind::NotStarted => ErrorKind::NotStarted,
        RefKind::NotParent => ErrorKind::NotParent,
        RefKind::DaemonicChildren => ErrorKind::DaemonicChildren,
        RefKind::StillRunning => ErrorKind::StillRunning,
        RefKind::InvalidArgument => ErrorKind::InvalidArgument,
        RefKind::Unsupported => ErrorKind::Unsupported,
        RefKind::NotSerializable => ErrorKind::NotSerializable,
        RefKind::BufferTooShort => ErrorKind::BufferTooShort,
        RefKind::AuthenticationError => ErrorKind::AuthenticationFailed,
        _ => ErrorKind::Unmapped,
    }
}

fn err(e: procspec_reference::Error) -> Failure {
    Failure::new(map_kind(e.kind()), format!("{:?}", e.kind()), e)
}

fn serialize(k: &Authkey) -> Res<()> {
    match serde_json::to_string(k) {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::new(
            ErrorKind::NotSerializable,
            "serde_json::Error",
            e,
        )),
    }
}

impl Lifecycle for ReferenceLifecycle {
    type Process = Process;

    fn info(&self) -> LifecycleInfo {
        let mut capabilities = vec![
            Capability::Terminate,
            Capability::Kill,
            Capability::Sentinel,
            Capability::Daemon,
            Capability::Authkey,
            Capability::Close,
            Capability::JoinTimeout,
            Capability::Run,
            Capability::AuthkeySerialize,
            Capability::Subclass,
            Capability::GroupArg,
            Capability::Exceptions,
            Capability::Connection,
        ];
        if self.method == StartMethod::Fork {
            capabilities.extend([Capability::Fork, Capability::InheritHandles]);
        }
        LifecycleInfo {
            implementation: "procspec-reference".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            start_method: if self.method == StartMethod::Fork {
                "fork"
            } else {
                "spawn"
            }
            .into(),
            capabilities,
        }
    }

    fn create(&mut self, body: Body, name: Option<&str>, daemon: Option<bool>) -> Res<Process> {
        self.builder(&body, name, daemon).try_build().map_err(err)
    }
    fn create_in_group(
        &mut self,
        body: Body,
        name: Option<&str>,
        daemon: Option<bool>,
        group: &str,
    ) -> Res<Process> {
        self.builder(&body, name, daemon)
            .group(group)
            .try_build()
            .map_err(err)
    }
    /// The reference's object is built around what its `run()` runs (its
    /// `Target`): overriding `run()` is giving it that body.
    fn create_run_override(
        &mut self,
        run: Body,
        name: Option<&str>,
        daemon: Option<bool>,
    ) -> Res<Process> {
        self.create(run, name, daemon)
    }
    fn start(&mut self, p: &mut Process) -> Res<()> {
        p.start().map_err(err)
    }
    fn join(&mut self, p: &mut Process, timeout: Option<Duration>) -> Res<()> {
        p.join(timeout).map_err(err)
    }
    fn is_alive(&mut self, p: &mut Process) -> Res<bool> {
        p.is_alive().map_err(err)
    }
    fn exitcode(&mut self, p: &mut Process) -> Res<Option<i32>> {
        p.exitcode().map_err(err)
    }
    fn pid(&mut self, p: &mut Process) -> Res<Option<u32>> {
        p.pid().map_err(err)
    }
    fn wait_sentinel(&mut self, p: &mut Process, timeout: Duration) -> Res<bool> {
        p.sentinel()
            .and_then(|s| s.wait(Some(timeout)))
            .map_err(err)
    }
    fn sentinel(&mut self, p: &mut Process) -> Res<i64> {
        let s = p.sentinel().map_err(err)?;
        #[cfg(unix)]
        let raw = i64::from(s.as_raw_fd());
        // The process handle's value, as CPython's `p.sentinel` there.
        #[cfg(windows)]
        let raw = s.as_raw_handle() as usize as i64;
        Ok(raw)
    }
    fn name(&mut self, p: &mut Process) -> Res<String> {
        p.name().map_err(err)
    }
    fn set_name(&mut self, p: &mut Process, name: &str) -> Res<()> {
        p.set_name(name).map_err(err)
    }
    fn daemon(&mut self, p: &mut Process) -> Res<bool> {
        p.daemon().map_err(err)
    }
    fn set_daemon(&mut self, p: &mut Process, value: bool) -> Res<()> {
        p.set_daemon(value).map_err(err)
    }
    fn authkey(&mut self, p: &mut Process) -> Res<Vec<u8>> {
        p.authkey().map(|k| k.as_bytes().to_vec()).map_err(err)
    }
    fn set_authkey(&mut self, p: &mut Process, key: Vec<u8>) -> Res<()> {
        p.set_authkey(Authkey::new(key)).map_err(err)
    }
    fn serialize_authkey(&mut self, p: &mut Process) -> Res<()> {
        serialize(&p.authkey().map_err(err)?)
    }
    fn terminate(&mut self, p: &mut Process) -> Res<()> {
        p.terminate().map_err(err)
    }
    fn kill(&mut self, p: &mut Process) -> Res<()> {
        p.kill().map_err(err)
    }
    fn close(&mut self, p: &mut Process) -> Res<()> {
        p.close().map_err(err)
    }
    fn run(&mut self, p: &mut Process) -> Res<()> {
        p.run().map_err(err)
    }
    fn current_name(&mut self) -> Res<String> {
        Ok(current_process().name().to_string())
    }
    fn current_pid(&mut self) -> Res<u32> {
        Ok(current_process().pid())
    }
    fn current_daemon(&mut self) -> Res<bool> {
        Ok(current_process().daemon())
    }
    fn current_authkey(&mut self) -> Res<Vec<u8>> {
        Ok(current_process().authkey().as_bytes().to_vec())
    }
    fn serialize_current_authkey(&mut self) -> Res<()> {
        serialize(current_process().authkey())
    }
    fn parent_name(&mut self) -> Res<Option<String>> {
        Ok(parent_process().map(|p| p.name().to_string()))
    }
    fn active_children(&mut self) -> Res<Vec<u32>> {
        Ok(active_children()
            .iter()
            .filter_map(|p| p.pid().ok().flatten())
            .collect())
    }
    fn exception_hierarchy(&mut self) -> Res<Vec<(String, String)>> {
        Ok(RefKind::ALL
            .iter()
            .filter_map(|k| k.process_error_class())
            .map(|class| (class.to_string(), "ProcessError".to_string()))
            .collect())
    }
    fn handshake(&mut self, wrong_key: bool) -> Res<bool> {
        let key = current_process().authkey().clone();
        // Another key: every byte flipped, and one more (an empty key too
        // gets a different one).
        let offered = if wrong_key {
            let mut other: Vec<u8> = key.as_bytes().iter().map(|b| !b).collect();
            other.push(0);
            Authkey::new(other)
        } else {
            key.clone()
        };
        let loopback = Address::Inet((std::net::Ipv4Addr::LOCALHOST, 0).into());
        let listener = Listener::bind(loopback, Some(key)).map_err(err)?;
        let address = listener.address().clone();
        // The server's side of a failed handshake fails too; the client's
        // outcome is the op's.
        let server = std::thread::spawn(move || listener.accept().map(drop));
        let client = connection::Client::connect(&address, Some(&offered));
        if client.is_err() && !server.is_finished() {
            // A client that never reached accept() (its connect failed)
            // leaves the server waiting: a bare connection, dropped at
            // once, ends that wait (a server already in the handshake ends
            // on its own, and this one lands in a closed backlog).
            match &address {
                Address::Inet(a) => drop(std::net::TcpStream::connect(a)),
                // Bound on loopback above: never a Unix address.
                #[cfg(unix)]
                Address::Unix(_) => {}
            }
        }
        let _ = server.join();
        client.map(|_| true).map_err(err)
    }
    fn recv_bytes_into(&mut self, message: &[u8], buffer: usize) -> Res<usize> {
        let (a, b) = connection::pipe().map_err(err)?;
        b.send_bytes(message).map_err(err)?;
        let mut buf = vec![0u8; buffer];
        match a.recv_bytes_into(&mut buf) {
            Err(e) if e.kind() == RefKind::BufferTooShort && e.received() != Some(message) => {
                Err(Failure::new(
                    ErrorKind::Unmapped,
                    "BufferTooShort",
                    format!("args[0] is {:?}, not the message", e.received()),
                ))
            }
            r => r.map_err(err),
        }
    }
    fn exit(&self, code: i32) -> ! {
        procspec_reference::exit(code)
    }
    fn reset(&mut self) {
        procspec_reference::reset_process_counter();
    }
}
