//! Where log lines go: to stderr, in batches.
//!
//! A request logs a line as it ends. Written straight to stderr (unbuffered:
//! one `write` per line) that is a system call in every request; handed to a
//! writer thread one by one, it is a thread wake-up in every request, which
//! costs more. Here a line is appended to a shared buffer under a lock, and a
//! thread writes the buffer out every [`FLUSH_EVERY`], so lines reach stderr
//! that much later and in order. A buffer that reaches [`BUFFER_LIMIT`] is
//! written at once by the request that filled it: nothing is dropped, and the
//! buffer stays bounded however fast lines come.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a log line may wait before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Bytes of waiting lines that are written at once, without waiting.
const BUFFER_LIMIT: usize = 256 * 1024;

/// Lines waiting to be written, and where they go.
struct Batch<W> {
    lines: Vec<u8>,
    out: W,
}

impl<W: Write> Batch<W> {
    fn write_out(&mut self) {
        if !self.lines.is_empty() {
            let _ = self.out.write_all(&self.lines);
            let _ = self.out.flush();
            self.lines.clear();
        }
    }
}

/// The writer the subscriber formats lines into; cheap to clone.
pub struct Batched<W>(Arc<Mutex<Batch<W>>>);

impl<W> Clone for Batched<W> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<W: Write + Send + 'static> Batched<W> {
    /// Batches lines for `out`, written every [`FLUSH_EVERY`] by a thread of
    /// its own until the process ends.
    pub fn new(out: W) -> io::Result<Self> {
        let batched = Self::unstarted(out);
        let flusher = batched.clone();
        std::thread::Builder::new()
            .name("csapi-log".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    flusher.flush();
                }
            })?;
        Ok(batched)
    }
}

impl<W: Write> Batched<W> {
    fn unstarted(out: W) -> Self {
        Self(Arc::new(Mutex::new(Batch {
            lines: Vec::with_capacity(BUFFER_LIMIT),
            out,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Batch<W>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes every waiting line now: at the end of the process, or when due.
    pub fn flush(&self) {
        self.lock().write_out();
    }
}

/// Batches lines for stderr; the guard writes the last of them when the
/// process ends, so hold it until then.
pub fn to_stderr() -> io::Result<(Batched<io::Stderr>, FlushOnDrop<io::Stderr>)> {
    let batched = Batched::new(io::stderr())?;
    Ok((batched.clone(), FlushOnDrop(batched)))
}

/// Writes every waiting line when dropped.
pub struct FlushOnDrop<W: Write>(Batched<W>);

impl<W: Write> Drop for FlushOnDrop<W> {
    fn drop(&mut self) {
        self.0.flush();
    }
}

/// One log line being appended to the batch.
pub struct Line<'a, W: Write>(MutexGuard<'a, Batch<W>>);

impl<W: Write> Write for Line<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lines.extend_from_slice(bytes);
        if self.0.lines.len() >= BUFFER_LIMIT {
            self.0.write_out();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + 'a> MakeWriter<'a> for Batched<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(self.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` the test can read back, counting the writes it is given.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut s = self.0.lock().unwrap();
            s.0.extend_from_slice(bytes);
            s.1 += 1;
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_whole_in_order_and_in_few_writes() {
        let out = Shared::default();
        let batched = Batched::unstarted(out.clone());
        for i in 0..1000 {
            writeln!(batched.make_writer(), "line {i}").unwrap();
        }
        assert_eq!(
            out.0.lock().unwrap().1,
            0,
            "nothing is written before a flush"
        );
        batched.flush();
        let (text, writes) = out.0.lock().unwrap().clone();
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(String::from_utf8(text).unwrap(), expected);
        assert_eq!(writes, 1);
    }

    #[test]
    fn a_full_batch_is_written_by_the_line_that_fills_it() {
        let out = Shared::default();
        let batched = Batched::unstarted(out.clone());
        let line = "x".repeat(1023) + "\n";
        for _ in 0..BUFFER_LIMIT / 1024 {
            batched.make_writer().write_all(line.as_bytes()).unwrap();
        }
        let (text, writes) = out.0.lock().unwrap().clone();
        assert_eq!((text.len(), writes), (BUFFER_LIMIT, 1));
    }
}
