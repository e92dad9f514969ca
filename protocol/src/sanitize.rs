//! The sanitiser for adapter text: whatever an adapter wrote reaches a
//! message (and from there a terminal or a report) only through [`clip`],
//! or through [`quote`] and [`names`], which use it. A sanitised text holds
//! no control character and no invisible formatting character, and its
//! length is bounded whatever the adapter sent.

use serde_json::Value;

/// How much of an offending line a message quotes, in characters once
/// escaped.
pub const QUOTE_CHARS: usize = 200;

/// How much of a name a message shows (an unknown field, a `type`, an id,
/// a protocol version), in characters once escaped.
pub const NAME_CHARS: usize = 40;

/// How many unknown fields a message names.
pub const NAMES_LISTED: usize = 5;

/// How much of the decoder's account of a bad field (which may quote the
/// field) a message shows, in characters once escaped.
pub const DETAIL_CHARS: usize = 300;

/// How much of an adapter's own `error` message is kept, in characters
/// once escaped.
pub const REFUSAL_CHARS: usize = 500;

/// A line for a message: lossy UTF-8, [`clip`]ped to [`QUOTE_CHARS`], in
/// backticks.
pub fn quote(line: &[u8]) -> String {
    format!("`{}`", clip(&String::from_utf8_lossy(line), QUOTE_CHARS))
}

/// Adapter text for a message: control characters escaped (`\u{1b}`,
/// `\n`: no terminal tricks, no forged lines in reports), and so are the
/// invisible formatting characters (bidirectional overrides such as
/// U+202E, zero-width spaces, the BOM) that could make a message read
/// otherwise than it is; cut to at most `max` characters once escaped
/// (never inside an escape), then `[...]` if anything was cut.
pub fn clip(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in text.chars() {
        let escape = (c.is_control() || is_invisible_format(c)).then(|| c.escape_default());
        let width = escape.as_ref().map_or(1, ExactSizeIterator::len);
        if len + width > max {
            out.push_str("[...]");
            break;
        }
        match escape {
            Some(e) => out.extend(e),
            None => out.push(c),
        }
        len += width;
    }
    out
}

/// Unicode format characters that change how text around them displays
/// without showing themselves: zero-width marks, bidirectional embeddings,
/// overrides and isolates, invisible operators, the BOM.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A JSON value the adapter sent (an id, a protocol version) for a
/// message: its JSON text, [`clip`]ped to [`NAME_CHARS`].
pub(crate) fn show(value: &Value) -> String {
    clip(&value.to_string(), NAME_CHARS)
}

/// Field names for a message: the first [`NAMES_LISTED`], each
/// [`clip`]ped to [`NAME_CHARS`], and how many more there are.
pub fn names(keys: &[&str]) -> String {
    let mut out = keys
        .iter()
        .take(NAMES_LISTED)
        .map(|k| clip(k, NAME_CHARS))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > NAMES_LISTED {
        out.push_str(&format!(" and {} more", keys.len() - NAMES_LISTED));
    }
    out
}

/// A decoder's error for a message: it may quote the adapter's text (an
/// unknown variant, a string of the wrong type) as is, so it is
/// [`clip`]ped to [`DETAIL_CHARS`].
pub(crate) fn detail(e: &impl std::fmt::Display) -> String {
    clip(&e.to_string(), DETAIL_CHARS)
}
