//! The authkey handshake of `multiprocessing.connection` (CPython's
//! `deliver_challenge`, `answer_challenge` and their helpers): HMAC
//! challenges over a [`Connection`], as CPython 3.12+ sends them, and the
//! legacy HMAC-MD5 form of CPython <= 3.11.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::{Sha256, Sha384};

use super::Connection;
use crate::{Error, ErrorKind, Result};

const CHALLENGE: &[u8] = b"#CHALLENGE#";
const WELCOME: &[u8] = b"#WELCOME#";
const FAILURE: &[u8] = b"#FAILURE#";
/// Random bytes in a challenge (after its `{sha256}` prefix).
const MESSAGE_LENGTH: usize = 40;
/// The challenge length of a legacy (HMAC-MD5 only, CPython <= 3.11) server.
const MD5ONLY_MESSAGE_LENGTH: usize = 20;
/// The length of a legacy client's raw HMAC-MD5 answer.
const MD5_DIGEST_LEN: usize = 16;
/// Handshake messages longer than this are refused (`recv_bytes(256)`).
const HANDSHAKE_MAX: usize = 256;
/// The digest names CPython accepts in a `{name}` prefix.
const ALLOWED_DIGESTS: [&str; 5] = ["md5", "sha256", "sha384", "sha3_256", "sha3_384"];
/// The longest of [`ALLOWED_DIGESTS`].
const MAX_DIGEST_LEN: usize = 8;

fn auth(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::AuthenticationError, message)
}

/// The HMAC digests this module computes.
#[derive(Debug, Clone, Copy)]
enum Digest {
    Md5,
    Sha256,
    Sha384,
}

fn keyed<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> M {
    let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    Mac::update(&mut mac, message);
    mac
}

fn mac_of<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    keyed::<M>(key, message).finalize().into_bytes().to_vec()
}

fn verify_of<M: Mac + KeyInit>(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    keyed::<M>(key, message).verify_slice(tag).is_ok()
}

impl Digest {
    fn named(name: &str) -> Option<Digest> {
        match name {
            "md5" => Some(Digest::Md5),
            "sha256" => Some(Digest::Sha256),
            "sha384" => Some(Digest::Sha384),
            _ => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Digest::Md5 => 16,
            Digest::Sha256 => 32,
            Digest::Sha384 => 48,
        }
    }

    fn mac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        match self {
            Digest::Md5 => mac_of::<Hmac<Md5>>(key, message),
            Digest::Sha256 => mac_of::<Hmac<Sha256>>(key, message),
            Digest::Sha384 => mac_of::<Hmac<Sha384>>(key, message),
        }
    }

    /// Whether `tag` is the HMAC of `message`, compared in constant time.
    fn verify(self, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
        match self {
            Digest::Md5 => verify_of::<Hmac<Md5>>(key, message, tag),
            Digest::Sha256 => verify_of::<Hmac<Sha256>>(key, message, tag),
            Digest::Sha384 => verify_of::<Hmac<Sha384>>(key, message, tag),
        }
    }
}

/// Python's `repr()` of a `bytes` object, for CPython's messages.
fn bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(quote as char);
    for &c in bytes {
        match c {
            b'\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// CPython's `_get_digest_name_and_payload`: `("", message)` for a legacy
/// (unprefixed, 16- or 20-byte) message, else the name in its `{name}`
/// prefix and the rest.
fn digest_name_and_payload(message: &[u8]) -> Result<(&'static str, &[u8])> {
    if message.len() == MD5ONLY_MESSAGE_LENGTH || message.len() == MD5_DIGEST_LEN {
        return Ok(("", message));
    }
    if message.first() == Some(&b'{') {
        // message.find(b'}', 1, _MAX_DIGEST_LEN + 2)
        let end = message.len().min(MAX_DIGEST_LEN + 2);
        if let Some(i) = message[1..end].iter().position(|&c| c == b'}') {
            let curly = i + 1;
            let digest = &message[1..curly];
            if let Some(name) = ALLOWED_DIGESTS.iter().find(|d| d.as_bytes() == digest) {
                return Ok((name, &message[curly + 1..]));
            }
        }
    }
    Err(auth(format!(
        "unsupported message length, missing digest prefix, or unsupported digest: message={}",
        bytes_repr(message)
    )))
}

/// CPython's `_create_response`: a raw HMAC-MD5 for a legacy challenge,
/// else `{name}` plus the HMAC (over the whole challenge, prefix included).
fn create_response(key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    let (name, _) = digest_name_and_payload(message)?;
    if name.is_empty() {
        return Ok(Digest::Md5.mac(key, message));
    }
    // CPython computes sha3_256/sha3_384 too; here they fail with
    // hashlib's message for a hash it lacks.
    let digest =
        Digest::named(name).ok_or_else(|| auth(format!("unsupported hash type {name}")))?;
    let mut response = format!("{{{name}}}").into_bytes();
    response.extend_from_slice(&digest.mac(key, message));
    Ok(response)
}

/// CPython's `_verify_challenge`.
fn verify_challenge(key: &[u8], message: &[u8], response: &[u8]) -> Result<()> {
    let (name, mac) = digest_name_and_payload(response)?;
    let name = if name.is_empty() { "md5" } else { name };
    let Some(digest) = Digest::named(name) else {
        return Err(auth(format!("response_digest='{name}' unsupported")));
    };
    if digest.len() != mac.len() {
        return Err(auth(format!(
            "expected '{name}' of length {} got {}",
            digest.len(),
            mac.len()
        )));
    }
    if !digest.verify(key, message, mac) {
        return Err(auth("digest received was wrong"));
    }
    Ok(())
}

/// CPython's `deliver_challenge` (the side that checks the peer's key).
pub(super) fn deliver_challenge(conn: &Connection, key: &[u8]) -> Result<()> {
    let mut random = [0u8; MESSAGE_LENGTH];
    crate::sys::random_bytes(&mut random).map_err(|e| Error::os("os.urandom", e))?;
    let mut message = b"{sha256}".to_vec();
    message.extend_from_slice(&random);
    conn.send_bytes(&[CHALLENGE, &message].concat())?;
    let response = conn.recv_message(Some(HANDSHAKE_MAX))?;
    match verify_challenge(key, &message, &response) {
        Ok(()) => conn.send_bytes(WELCOME),
        Err(e) => {
            conn.send_bytes(FAILURE)?;
            Err(e)
        }
    }
}

/// CPython's `answer_challenge` (the side that proves its key).
pub(super) fn answer_challenge(conn: &Connection, key: &[u8]) -> Result<()> {
    let message = conn.recv_message(Some(HANDSHAKE_MAX))?;
    let Some(message) = message.strip_prefix(CHALLENGE) else {
        return Err(auth(format!(
            "Protocol error, expected challenge: message={}",
            bytes_repr(&message)
        )));
    };
    if message.len() < MD5ONLY_MESSAGE_LENGTH {
        return Err(auth(format!(
            "challenge too short: {} bytes",
            message.len()
        )));
    }
    conn.send_bytes(&create_response(key, message)?)?;
    let response = conn.recv_message(Some(HANDSHAKE_MAX))?;
    if response != WELCOME {
        return Err(auth("digest sent was rejected"));
    }
    Ok(())
}
