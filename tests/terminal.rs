//! On a terminal `procspec run` draws a progress bar; what an
//! implementation's children print to stderr (a raising target's panic)
//! must never be written under the bar (which leaves stranded copies of
//! the bar on the screen). Every implementation is an adapter process whose
//! stderr (inherited by its children) is a pipe the runner drains, so none
//! of it reaches the terminal. The runner's stderr is a pseudo-terminal
//! here, read to the end.
//!
//! Unix only: a pseudo-terminal (openpty).
#![cfg(unix)]
#![allow(unsafe_code)] // a test that makes raw syscalls; each block has its // SAFETY:

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

/// A pseudo-terminal of 24 rows and 100 columns: `(master, slave)`.
fn openpty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    let mut size = libc::winsize {
        ws_row: 24,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two ints; the name and termios pointers may be
    // null; `size` is a valid winsize.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            // `*mut` on the BSDs and macOS, `*const` on Linux: both accept these.
            std::ptr::null_mut(),
            std::ptr::addr_of_mut!(size),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fresh descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// The rows a terminal of `width` columns shows after `raw`: a small
/// emulator of what indicatif and the children use (printable characters
/// with deferred auto-wrap, CR, LF, `CSI n A`/`B` to move up and down,
/// `CSI 2K` to clear the row; colours and other sequences are ignored).
fn screen_rows(raw: &[u8], width: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut rows: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
            }
            '\u{1b}' => {
                if chars.next() != Some('[') {
                    continue;
                }
                let mut params = String::new();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        last = d;
                        break;
                    }
                    params.push(d);
                }
                let n: usize = params.parse().unwrap_or(1);
                match (last, params.as_str()) {
                    ('A', _) => row = row.saturating_sub(n),
                    ('B', _) => row += n,
                    ('K', "2") => {
                        if let Some(r) = rows.get_mut(row) {
                            r.clear();
                        }
                    }
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                if col == width {
                    row += 1;
                    col = 0;
                }
                while rows.len() <= row {
                    rows.push(Vec::new());
                }
                let r = &mut rows[row];
                while r.len() < col {
                    r.push(' ');
                }
                if col < r.len() {
                    r[col] = c;
                } else {
                    r.push(c);
                }
                col += 1;
            }
        }
        while rows.len() <= row {
            rows.push(Vec::new());
        }
    }
    rows.into_iter()
        .map(|r| r.into_iter().collect::<String>().trim_end().to_string())
        .collect()
}

#[test]
fn child_stderr_never_breaks_the_progress_bar() {
    let cases = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(cases.path().join("exitcode")).unwrap();
    std::fs::copy(
        root.join("cases/exitcode/raise-is-one.toml"),
        cases.path().join("exitcode/raise-is-one.toml"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (master, slave) = openpty();
    let mut runner = Command::new(env!("CARGO_BIN_EXE_procspec"))
        .current_dir(root)
        .args(["run", "--impl", "reference-fork", "--sequences", "0"])
        .arg("--cases")
        .arg(cases.path())
        .arg("--out")
        .arg(out.path())
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The spawned runner holds the only slave descriptor now: when it and
    // its children are gone, reading the master fails (EIO), which ends
    // the read.
    let reader = std::thread::spawn(move || {
        let mut raw = Vec::new();
        let mut master = std::fs::File::from(master);
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            raw.extend_from_slice(&chunk[..n]);
        }
        raw
    });
    let status = runner.wait().unwrap();
    let raw = reader.join().unwrap();
    let lines = screen_rows(&raw, 100);
    let shown = format!("{lines:#?}\nraw: {:?}", String::from_utf8_lossy(&raw));
    assert!(status.success(), "{shown}");
    assert!(
        raw.windows(4).any(|w| w == b"\x1b[2K"),
        "no progress bar was drawn: {shown}"
    );
    // Text written under a bar strands a copy of the bar above it (the
    // bar is redrawn on the row below); printed above the bar, none
    // remains once the bar is cleared.
    assert!(
        !lines.iter().any(|l| l.contains("reference-fork [")),
        "a stranded progress bar: {shown}"
    );
    // The raising target's panic went to the adapter's stderr pipe.
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("Process Process-") || l.contains("panicked at")),
        "a child's stderr reached the terminal: {shown}"
    );
}
