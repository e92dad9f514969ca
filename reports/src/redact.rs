//! Making a run deterministic, for reports that are committed: what differs
//! from one run to the next (pids, sentinels, the random authkey, timings,
//! result order) is replaced by placeholders.

use procspec_spec::results::{CaseResult, RunReport, Status};
use procspec_spec::vocab::{authkey_fingerprint, Op, Outcome, Value};
use std::collections::BTreeSet;

/// Redact `run` in place so two runs of the same implementation that
/// differ only in what the OS chose render identically:
///
/// - observed `pid` and `sentinel` values become `0`;
/// - authkey fingerprints of keys the result did not set itself (the
///   random key every process tree starts with) become `random-1`,
///   `random-2`, ... in order of first appearance within the result, in
///   observed values and in the `expected`, `observed` and `message`
///   strings; fingerprints of keys set by a `set-authkey` step are kept
///   (those keys come from the case file and are no secret);
/// - in `message`: digits after `pid`, `ppid`, `parent` or `process`
///   (`pid=123`, `parent=77`, `pid 12345`; without `=` or `:`, three or
///   more digits) become `<pid>`, and durations (`1.234s`, `12ms`,
///   `3 seconds`) become `<duration>`;
/// - the steps of results that passed (or were not run) are dropped: their
///   observed outcomes depend on timing, and only failures are explained;
/// - results are sorted by (kind, id).
///
/// Statuses, clauses, steps and the summary are not touched.
pub fn redact(run: &mut RunReport) {
    for r in &mut run.results {
        redact_result(r);
        // A passing result's steps carry outcomes that timing decides (a
        // child seen alive or already gone): only failures keep their steps.
        if matches!(
            r.status,
            Status::Pass | Status::PreconditionFailed | Status::Skip
        ) {
            r.ops.clear();
        }
    }
    run.results
        .sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
}

fn redact_result(r: &mut CaseResult) {
    let explicit: BTreeSet<String> = r
        .ops
        .iter()
        .filter_map(|rec| match &rec.step.op {
            Op::SetAuthkey { key_hex, .. } => {
                procspec_spec::authkey_from_hex(key_hex).map(|k| authkey_fingerprint(&k))
            }
            _ => None,
        })
        .collect();
    let mut keys = Placeholders {
        explicit,
        random: Vec::new(),
    };
    for rec in &mut r.ops {
        if let Some(Outcome::Ok(v)) = &mut rec.observed {
            match v {
                Value::Pid(n) => *n = 0,
                Value::Sentinel(n) => *n = 0,
                Value::Authkey(fp) => *fp = keys.name(fp),
                _ => {}
            }
        }
    }
    // `ok pid 12345` (a pid the checker saw change) varies like the rest.
    for e in &mut r.expected {
        *e = pids(&keys.in_text(e));
    }
    if let Some(o) = &mut r.observed {
        *o = pids(&keys.in_text(o));
    }
    if let Some(m) = &mut r.message {
        *m = pid_lists(&durations(&pids(&keys.in_text(m))));
    }
}

/// The names given to fingerprints of random keys.
struct Placeholders {
    explicit: BTreeSet<String>,
    random: Vec<String>,
}

impl Placeholders {
    fn name(&mut self, fp: &str) -> String {
        if self.explicit.contains(fp) || fp.starts_with("random-") {
            return fp.to_string();
        }
        let n = match self.random.iter().position(|x| x == fp) {
            Some(n) => n,
            None => {
                self.random.push(fp.to_string());
                self.random.len() - 1
            }
        };
        format!("random-{}", n + 1)
    }

    /// Every `authkey:<16 hex digits>` in `s`, as [`Value`]'s Display
    /// writes it.
    fn in_text(&mut self, s: &str) -> String {
        const TAG: &str = "authkey:";
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(at) = rest.find(TAG) {
            let (head, tail) = rest.split_at(at + TAG.len());
            out.push_str(head);
            let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
            if hex == 16 {
                out.push_str(&self.name(&tail[..16]));
                rest = &tail[16..];
            } else {
                rest = tail;
            }
        }
        out.push_str(rest);
        out
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn digits_end(chars: &[char], from: usize) -> usize {
    let mut k = from;
    while k < chars.len() && chars[k].is_ascii_digit() {
        k += 1;
    }
    k
}

/// Whether `chars[at..]` starts with `word`, ignoring ASCII case.
fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    let n = word.chars().count();
    at + n <= chars.len()
        && chars[at..at + n]
            .iter()
            .zip(word.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

const PID_WORDS: &[&str] = &["pid", "ppid", "parent", "process"];

/// `pid=123` -> `pid=<pid>`, `pid 12345` -> `pid <pid>`.
fn pids(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'scan: while i < chars.len() {
        if i == 0 || !is_word(chars[i - 1]) {
            for word in PID_WORDS {
                if !starts_with(&chars, i, word) {
                    continue;
                }
                let end = i + word.len();
                let (mut j, mut strong) = (end, false);
                while j < chars.len() && j - end < 3 && matches!(chars[j], '=' | ':' | ' ' | '#') {
                    strong |= matches!(chars[j], '=' | ':');
                    j += 1;
                }
                let k = digits_end(&chars, j);
                let n = k - j;
                if n >= 1 && (strong || n >= 3) && (k == chars.len() || !is_word(chars[k])) {
                    out.extend(&chars[i..j]);
                    out.push_str("<pid>");
                    i = k;
                    continue 'scan;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Pids the leak guard and the checker list: `[9393, 9394]` and
/// `changed from 9393 to 9394` -> `[<pid>, <pid>]`, `from <pid> to <pid>`.
fn pid_lists(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        // Only the leak guard's lists: `process(es) [..]`, `zombie(s) [..]`.
        let listed = rest[..open].ends_with("(es) ") || rest[..open].ends_with("(s) ");
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        match rest.find(']') {
            Some(close)
                if listed
                    && !rest[..close].is_empty()
                    && rest[..close]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ',' || c == ' ') =>
            {
                let n = rest[..close].split(',').count();
                out.push_str(&vec!["<pid>"; n].join(", "));
                rest = &rest[close..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    let words: Vec<&str> = out.split(' ').collect();
    let mut fixed: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let prev = if i > 0 { words[i - 1] } else { "" };
        // `to 9394;`: the number, then what punctuation follows it.
        let digits = w.trim_end_matches([';', ',', '.', ':', ')']);
        let numeric = digits.len() >= 2 && digits.chars().all(|c| c.is_ascii_digit());
        if numeric && (prev == "from" || (prev == "to" && i >= 2 && fixed[i - 2] == "<pid>")) {
            fixed.push(format!("<pid>{}", &w[digits.len()..]));
        } else {
            fixed.push((*w).to_string());
        }
    }
    fixed.join(" ")
}

/// Longest first, so `ms` is not read as `m` + `s`.
const UNITS: &[&str] = &[
    "seconds", "second", "secs", "sec", "ms", "µs", "us", "ns", "s",
];

/// `1.234s`, `12ms`, `3 seconds` -> `<duration>`.
fn durations(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'scan: while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(is_word(chars[i - 1]) || chars[i - 1] == '.'));
        if !starts_number {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut k = digits_end(&chars, i);
        if k + 1 < chars.len() && chars[k] == '.' && chars[k + 1].is_ascii_digit() {
            k = digits_end(&chars, k + 1);
        }
        let u = if k < chars.len() && chars[k] == ' ' {
            k + 1
        } else {
            k
        };
        for unit in UNITS {
            let end = u + unit.chars().count();
            if starts_with(&chars, u, unit) && (end == chars.len() || !is_word(chars[end])) {
                out.push_str("<duration>");
                i = end;
                continue 'scan;
            }
        }
        out.extend(&chars[i..k]);
        i = k;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pid_lists_are_redacted() {
        assert_eq!(
            super::pid_lists(
                "leaked 1 zombie(s) [9393, 12], the pid of p1 changed from 9393 to 9394"
            ),
            "leaked 1 zombie(s) [<pid>, <pid>], the pid of p1 changed from <pid> to <pid>"
        );
        assert_eq!(
            super::pid_lists("the pid of p1 changed from <pid> to 29661; expected: why"),
            "the pid of p1 changed from <pid> to <pid>; expected: why"
        );
        assert_eq!(
            super::pid_lists("expected [p1,p2] and []"),
            "expected [p1,p2] and []"
        );
    }

    use super::*;

    #[test]
    fn pid_patterns() {
        assert_eq!(pids("pid=123"), "pid=<pid>");
        assert_eq!(
            pids("<Process pid=4242 parent=4240 started>"),
            "<Process pid=<pid> parent=<pid> started>"
        );
        assert_eq!(pids("PID 12345 died"), "PID <pid> died");
        assert_eq!(pids("pid 12 and pids 1234"), "pid 12 and pids 1234");
        assert_eq!(pids("Process-1 process 31337"), "Process-1 process <pid>");
        assert_eq!(pids("rapid=123"), "rapid=123");
        assert_eq!(pids("exitcode=-15"), "exitcode=-15");
    }

    #[test]
    fn duration_patterns() {
        assert_eq!(durations("after 1.234s"), "after <duration>");
        assert_eq!(
            durations("took 12ms, then 3 seconds"),
            "took <duration>, then <duration>"
        );
        assert_eq!(durations("5µs 7ns"), "<duration> <duration>");
        assert_eq!(
            durations("p12s v1.5s 3 stops exit 1"),
            "p12s v1.5s 3 stops exit 1"
        );
    }

    #[test]
    fn hex() {
        assert_eq!(
            procspec_spec::authkey_from_hex("00ff10"),
            Some(vec![0, 255, 16])
        );
        assert_eq!(procspec_spec::authkey_from_hex("0"), None);
        assert_eq!(procspec_spec::authkey_from_hex("zz"), None);
    }
}
