//! The encoder: one message, one line (no trailing newline). The runner
//! encodes [`Request`]s; an adapter written in Rust encodes its
//! [`Hello`] and [`Reply`]s here too, so that no message is written by
//! hand anywhere else.

use crate::message::{Hello, Reply, Request, PROTOCOL};
use procspec_spec::vocab::Capability;
use serde::Serialize;

/// A message that could not be encoded (a step whose serde form fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

fn line(value: &impl Serialize, what: &dyn std::fmt::Display) -> Result<String, EncodeError> {
    serde_json::to_string(value).map_err(|e| EncodeError(format!("cannot encode {what}: {e}")))
}

impl Request {
    /// The request's line.
    pub fn line(&self) -> Result<String, EncodeError> {
        match self {
            Request::Op { step, .. } => line(self, &format_args!("`{step}`")),
            _ => line(self, &"a request"),
        }
    }
}

impl Reply {
    /// The reply's line.
    pub fn line(&self) -> Result<String, EncodeError> {
        line(self, &"a reply")
    }
}

/// The hello line as the schema has it.
#[derive(Serialize)]
struct HelloLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    protocol: u64,
    implementation: &'a str,
    version: &'a str,
    start_method: &'a str,
    platform: &'a str,
    capabilities: &'a [Capability],
    pid: u32,
    process_class: &'a str,
}

impl Hello {
    /// The hello line, protocol [`PROTOCOL`] (unknown fields and
    /// capabilities, which only a decoded hello has, are not written).
    pub fn line(&self) -> Result<String, EncodeError> {
        line(
            &HelloLine {
                kind: "hello",
                protocol: PROTOCOL,
                implementation: &self.implementation,
                version: &self.version,
                start_method: &self.start_method,
                platform: &self.platform,
                capabilities: &self.capabilities,
                pid: self.pid,
                process_class: &self.process_class,
            },
            &"the hello",
        )
    }
}

/// This machine as a hello's `platform`: `<os>-<machine>` (`linux-x86_64`).
pub fn platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}
