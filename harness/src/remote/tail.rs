//! The adapter's stderr: drained by a thread into a bounded ring, so that
//! an adapter that writes endlessly never blocks on a full pipe and never
//! makes the runner grow.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// How much of the adapter's stderr is kept: the last 64 KiB.
pub const STDERR_KEEP: usize = 64 * 1024;

#[derive(Default)]
struct Ring {
    bytes: VecDeque<u8>,
    /// The drain thread saw end of file (or an error): nothing more comes.
    closed: bool,
}

type Shared = Arc<(Mutex<Ring>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, Ring> {
    // The drain thread cannot panic while holding the lock, but never
    // propagate a poison anyway: the bytes are still good.
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// The last [`STDERR_KEEP`] bytes an adapter wrote to stderr.
#[derive(Clone)]
pub(crate) struct StderrTail {
    shared: Shared,
}

impl StderrTail {
    /// Start draining `source` on a thread of its own. The thread ends at
    /// end of file: when every process holding the pipe's write end is gone.
    pub(crate) fn drain<R: Read + Send + 'static>(mut source: R) -> std::io::Result<StderrTail> {
        let shared: Shared = Arc::default();
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("procspec-adapter-stderr".into())
            .spawn(move || {
                let mut chunk = vec![0u8; 8192];
                loop {
                    match source.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => {
                            let mut ring = lock(&theirs);
                            ring.bytes.extend(&chunk[..n]);
                            let excess = ring.bytes.len().saturating_sub(STDERR_KEEP);
                            ring.bytes.drain(..excess);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                lock(&theirs).closed = true;
                theirs.1.notify_all();
            })?;
        Ok(StderrTail { shared })
    }

    /// Everything kept, as text (invalid UTF-8 replaced).
    pub(crate) fn text(&self) -> String {
        let ring = lock(&self.shared);
        let (a, b) = ring.bytes.as_slices();
        let mut bytes = Vec::with_capacity(a.len() + b.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The last `max` bytes or so, as text, starting at a line if one
    /// starts in them.
    pub(crate) fn last(&self, max: usize) -> String {
        let text = self.text();
        if text.len() <= max {
            return text;
        }
        let mut start = text.len() - max;
        while !text.is_char_boundary(start) {
            start += 1;
        }
        let cut = &text[start..];
        match cut.find('\n') {
            Some(nl) if nl + 1 < cut.len() => format!("[...]\n{}", &cut[nl + 1..]),
            _ => format!("[...]{cut}"),
        }
    }

    /// Wait until the drain thread has read everything (end of file), at
    /// most until `deadline`. Returns whether it has.
    pub(crate) fn wait_closed(&self, deadline: Instant) -> bool {
        let mut ring = lock(&self.shared);
        while !ring.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            ring = match self.shared.1.wait_timeout(ring, left) {
                Ok((guard, _)) => guard,
                Err(e) => e.into_inner().0,
            };
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keeps_only_the_last_bytes() {
        let mut data = Vec::new();
        for i in 0..20_000 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let tail = StderrTail::drain(std::io::Cursor::new(data)).unwrap();
        assert!(tail.wait_closed(Instant::now() + Duration::from_secs(10)));
        let text = tail.text();
        assert_eq!(text.len(), STDERR_KEEP);
        assert!(text.ends_with("line 19999\n"));
        let last = tail.last(30);
        assert!(last.starts_with("[...]\n"), "{last:?}");
        assert!(last.ends_with("line 19999\n"));
        assert!(last.len() <= 40);
    }
}
