//! Escaping data for Markdown, which has no escaping library worth the
//! name. HTML is escaped by maud and XML by quick-junit; everything that
//! goes into `index.md` from a run file or the clause registry goes through
//! one of these.

/// Inline Markdown text: punctuation that would start emphasis, code,
/// links, raw HTML or a table cell is backslash-escaped; line breaks become
/// spaces (a table row is one line).
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span showing `s` verbatim, delimited by more backticks
/// than any run inside it. A `|` still ends a table cell inside a code span
/// on GitHub, so it is escaped there too.
pub(crate) fn md_code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// A fenced Markdown code block showing `s` verbatim.
pub(crate) fn md_fence(s: &str) -> String {
    let fence = "`".repeat(longest_run(s, '`').max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", s.trim_end_matches('\n'))
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(md("a|b *c*"), "a\\|b \\*c\\*");
        assert_eq!(md_code("x"), "`x`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`a"), "`` `a ``");
        assert_eq!(md_fence("x\n```\n"), "````text\nx\n```\n````\n");
    }
}
