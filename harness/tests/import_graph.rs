//! The repository's import lint: inside every crate, the source files
//! import each other along a DAG (ARCHITECTURE.md, "no import circle among
//! the source files of a crate"). A circle means two files that cannot be
//! read, tested or moved one without the other; the fix is a leaf module
//! for what both need (as `reference/src/object.rs` is for `Process`, the
//! launchers and the exit handler).
//!
//! What counts as an import of file B by file A (A != B):
//! - a path `crate::m::…`, `super::…` or `self::…` in A's code that
//!   resolves to B's module (the longest prefix that is a module file);
//! - a path `m::…` where `m` is a module that A declares (`mod m;`).
//!
//! Not counted: comments (doc links name items without depending on
//! them), `mod` declarations, `pub use` re-exports (a namespace, not a
//! dependency: a parent re-exporting a child's item and the child using
//! the parent's would otherwise read as a circle), and the crate roots
//! (`lib.rs`, `main.rs`), which every file reaches through `crate::Item`
//! re-exports and which sit on top by construction. Test files
//! (`tests/*.rs`) are crates of their own and are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every crate of the repository: a folder with a `Cargo.toml` and a
/// `src/` (the workspace members and `fuzz/`).
fn crates() -> Vec<PathBuf> {
    let root = root();
    let mut out = vec![root.clone()];
    for e in std::fs::read_dir(&root).expect("repository root").flatten() {
        let p = e.path();
        if p.join("Cargo.toml").is_file() && p.join("src").is_dir() {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A module path (`["lifecycle", "body"]`) and the file that holds it.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn modules_of(src: &Path) -> Modules {
    fn walk(dir: &Path, prefix: &[String], out: &mut Modules) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                let mut m = prefix.to_vec();
                m.push(name);
                walk(&p, &m, out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                let mut m = prefix.to_vec();
                if !matches!(stem, "mod" | "lib" | "main") || !prefix.is_empty() && stem != "mod" {
                    m.push(stem.to_string());
                }
                out.insert(m, p);
            }
        }
    }
    let mut out = Modules::new();
    walk(src, &[], &mut out);
    out
}

/// The file's code without comments and string contents (a `crate::` in a
/// message is not an import).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") || t.starts_with("pub use ") || t.starts_with("mod ") {
            continue;
        }
        let t = match t.find("//") {
            Some(i) if !t[..i].contains('"') => &t[..i],
            _ => t,
        };
        let mut in_str = false;
        let mut prev = ' ';
        for c in t.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Paths in `code` that start with one of `heads` (`crate`, `super`, a
/// declared child module): each as its segments, braces expanded one level
/// (`crate::{a::X, b}` gives `crate::a::X` and `crate::b`).
fn paths_in(code: &str, heads: &BTreeSet<String>) -> Vec<Vec<String>> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i]) || (i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            segs.push(chars[start..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                j += 2;
                if chars.get(j) == Some(&'{') {
                    // One level of a brace group: each item's leading path.
                    let close = chars[j..].iter().position(|&c| c == '}').map(|k| j + k);
                    let inner: String = chars[j + 1..close.unwrap_or(chars.len())].iter().collect();
                    for item in inner.split(',') {
                        let item: Vec<String> = item
                            .trim()
                            .split("::")
                            .map(|s| s.trim().trim_start_matches('{').to_string())
                            .filter(|s| !s.is_empty() && s.chars().all(is_ident))
                            .collect();
                        let mut p = segs.clone();
                        p.extend(item);
                        out.push(p);
                    }
                    segs.clear();
                    j = close.unwrap_or(chars.len());
                    break;
                }
                if j < chars.len() && is_ident(chars[j]) {
                    continue;
                }
            }
            break;
        }
        if !segs.is_empty() && segs.len() > 1 && heads.contains(&segs[0]) {
            out.push(segs);
        }
        i = j.max(i + 1);
    }
    out.retain(|p| heads.contains(&p[0]));
    out
}

/// The file a path resolves to from module `here`, if it names a module
/// file other than a crate root.
fn resolve<'m>(
    path: &[String],
    here: &[String],
    children: &BTreeSet<String>,
    modules: &'m Modules,
) -> Option<&'m PathBuf> {
    let mut base: Vec<String> = here.to_vec();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &path[1..];
        }
        Some("self") => rest = &path[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        Some(m) if children.contains(m) => {}
        _ => return None,
    }
    let mut cur = base;
    for seg in rest {
        let mut next = cur.clone();
        next.push(seg.clone());
        if !modules.contains_key(&next) {
            break;
        }
        cur = next;
    }
    if cur.is_empty() {
        return None; // the crate root: a namespace of re-exports
    }
    modules.get(&cur)
}

/// Import edges between a crate's source files, each with the names taken.
fn edges_of(src: &Path) -> BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>> {
    let modules = modules_of(src);
    let mut edges: BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>> = BTreeMap::new();
    for (here, file) in &modules {
        let text = std::fs::read_to_string(file).expect("readable source");
        let children: BTreeSet<String> = text
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let l = l
                    .strip_prefix("pub(crate) ")
                    .or(l.strip_prefix("pub "))
                    .unwrap_or(l);
                l.strip_prefix("mod ")?
                    .strip_suffix(';')
                    .map(str::to_string)
            })
            .collect();
        let mut heads: BTreeSet<String> = ["crate", "super", "self"].map(String::from).into();
        heads.extend(children.iter().cloned());
        for path in paths_in(&code_of(&text), &heads) {
            let Some(target) = resolve(&path, here, &children, &modules) else {
                continue;
            };
            if target != file {
                // `use crate::m::{self, X}` takes the module `m` itself.
                let name = path
                    .iter()
                    .rev()
                    .find(|s| *s != "self")
                    .cloned()
                    .unwrap_or_default();
                edges
                    .entry(file.clone())
                    .or_default()
                    .entry(target.clone())
                    .or_default()
                    .insert(name);
            }
        }
    }
    edges
}

/// The circles among `edges`: the strongly connected components of more
/// than one file (Tarjan's algorithm).
fn circles(edges: &BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>>) -> Vec<Vec<PathBuf>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flat_map(|m| m.keys()) {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    scc.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

#[test]
fn no_import_circle_among_source_files() {
    let root = root().canonicalize().expect("repository root");
    let mut report = String::new();
    let mut files = 0;
    for krate in crates() {
        let edges = edges_of(&krate.join("src"));
        files += modules_of(&krate.join("src")).len();
        for circle in circles(&edges) {
            let show = |p: &PathBuf| {
                let p = p.canonicalize().unwrap_or(p.clone());
                p.strip_prefix(&root).unwrap_or(&p).display().to_string()
            };
            report.push_str(&format!("circle of {} files:\n", circle.len()));
            for a in &circle {
                for (b, names) in edges.get(a).into_iter().flatten() {
                    if circle.contains(b) {
                        let names: Vec<&str> = names.iter().map(String::as_str).collect();
                        report.push_str(&format!(
                            "  {} -> {}: {}\n",
                            show(a),
                            show(b),
                            names.join(", ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        files > 50,
        "the lint read only {files} source files: it is not looking where the code is"
    );
    assert!(report.is_empty(), "source files import each other in a circle (move what both need into a leaf module):\n{report}");
}

/// The lint sees a circle when there is one: two files of a made-up crate
/// that use each other, through `crate::` and `super::`.
#[test]
fn the_import_lint_finds_a_circle() {
    let dir = std::env::temp_dir().join(format!("procspec-import-lint-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("a")).expect("temp dir");
    let write = |p: &str, text: &str| std::fs::write(src.join(p), text).expect("write");
    write("lib.rs", "mod a;\nmod c;\npub use a::Thing;\n");
    write(
        "a/mod.rs",
        "mod b;\npub struct Thing;\nfn f() { b::g(); }\n",
    );
    write(
        "a/b.rs",
        "use super::Thing;\npub fn g() -> Thing { crate::c::h(); Thing }\n",
    );
    write(
        "c.rs",
        "// crate::a::Thing in a comment is no import\npub fn h() { let _ = \"crate::a\"; }\n",
    );
    let edges = edges_of(&src);
    let found = circles(&edges);
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert_eq!(found.len(), 1, "{edges:?}");
    let names: Vec<String> = found[0]
        .iter()
        .map(|p| p.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["a/b.rs", "a/mod.rs"]);
    assert!(
        edges.keys().all(|f| !f.ends_with("c.rs")),
        "c.rs imports nothing: {edges:?}"
    );
}
