//! Text written to stderr while the progress bar is drawn is printed above
//! the bar, whole lines at a time, instead of into the middle of it.
//!
//! The writers are not only this process: the in-process reference
//! adapter's children inherit its descriptor 2 (a target that raises
//! prints its panic there, as it must). So descriptor 2 itself is swapped
//! for a pipe while the bar is up; a thread reads the pipe and hands each
//! line to [`ProgressBar::println`]; the bar draws on a duplicate of the
//! real stderr. Dropping the guard puts the real stderr back.

use indicatif::{ProgressBar, ProgressDrawTarget};
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::mpsc;
use std::time::Duration;

/// The longest line shown (a child may write anything): the rest of it is
/// dropped, with a mark.
const MAX_LINE: usize = 4096;

/// How long the guard waits, when dropped, for writers that are still
/// holding the pipe (a leaked child the leak guard has not killed yet).
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// While alive, descriptor 2 is a pipe whose lines go above `bar`.
pub struct StderrAboveBar {
    /// The real stderr, put back on drop.
    saved: OwnedFd,
    /// Tells when the reader thread has seen end of file.
    drained: mpsc::Receiver<()>,
}

impl StderrAboveBar {
    /// Swap descriptor 2 for a pipe read by a thread that prints above
    /// `bar`, and draw `bar` (created hidden) on the real stderr. `None`,
    /// with descriptor 2 and `bar` as they were, if a descriptor or the
    /// thread cannot be had.
    pub fn start(bar: &ProgressBar) -> Option<StderrAboveBar> {
        let saved = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
        let drawn_on = std::fs::File::from(saved.try_clone().ok()?);
        let term = console::Term::read_write_pair(std::io::stdin(), drawn_on);
        // std's pipe is close-on-exec on every Unix (pipe2 where it exists).
        let (read, write) = std::io::pipe().ok()?;
        let (read, write) = (OwnedFd::from(read), OwnedFd::from(write));
        let (done, drained) = mpsc::channel();
        let printer = bar.clone();
        std::thread::Builder::new()
            .name("stderr-above-bar".into())
            .spawn(move || {
                pump(read, &printer);
                let _ = done.send(());
            })
            .ok()?;
        bar.set_draw_target(ProgressDrawTarget::term(term, 20));
        // From here on, writes to descriptor 2 (ours, and those of children
        // forked from now on) go into the pipe.
        if nix::unistd::dup2(write.as_raw_fd(), 2).is_err() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
            return None;
        }
        drop(write);
        Some(StderrAboveBar { saved, drained })
    }
}

impl Drop for StderrAboveBar {
    fn drop(&mut self) {
        // Our descriptor 2 was the pipe's last writer in this process;
        // children that inherited it are gone once the leak guard is done.
        let _ = nix::unistd::dup2(self.saved.as_raw_fd(), 2);
        let _ = self.drained.recv_timeout(DRAIN_GRACE);
    }
}

/// Print every line from `read` above `bar` until end of file.
fn pump(read: OwnedFd, bar: &ProgressBar) {
    let mut reader = BufReader::new(std::fs::File::from(read));
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let whole = line.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if whole || line.len() < MAX_LINE {
            bar.println(text);
        } else {
            bar.println(format!("{text} [line cut at {MAX_LINE} bytes]"));
            skip_rest_of_line(&mut reader);
        }
    }
}

fn skip_rest_of_line(reader: &mut impl BufRead) {
    loop {
        let (found, used) = match reader.fill_buf() {
            Ok([]) | Err(_) => return,
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, buf.len()),
            },
        };
        reader.consume(used);
        if found {
            return;
        }
    }
}
