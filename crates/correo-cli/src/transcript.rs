//! Transcripts printed the way the lab practicals show sessions: `C:` and `S:` lines, with
//! long bodies elided to a byte count.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where transcript lines go.
#[derive(Clone)]
pub(crate) enum Sink {
    /// Nowhere.
    Off,
    /// Standard error.
    Stderr,
    /// Standard output.
    Stdout,
}

/// One block of bytes as it crossed the wire: who sent it (`C` or `S`) and the bytes.
pub(crate) type Block = (&'static str, Vec<u8>);

/// A session transcript.
#[derive(Clone)]
pub(crate) struct Transcript {
    sink: Sink,
    /// Lines of a block shown before eliding the rest.
    pub(crate) max_lines: usize,
    /// Every block, whole, for callers that check what was said (the tour).
    capture: Option<Arc<Mutex<Vec<Block>>>>,
}

impl Transcript {
    /// A transcript writing to `sink`.
    pub(crate) fn new(sink: Sink) -> Transcript {
        Transcript {
            sink,
            max_lines: 12,
            capture: None,
        }
    }

    /// The same transcript, also keeping every block whole in `log` (printed or not).
    pub(crate) fn capturing(mut self, log: Arc<Mutex<Vec<Block>>>) -> Transcript {
        self.capture = Some(log);
        self
    }

    /// A transcript that prints nothing.
    pub(crate) fn off() -> Transcript {
        Transcript::new(Sink::Off)
    }

    /// Whether anything is printed.
    pub(crate) fn enabled(&self) -> bool {
        !matches!(self.sink, Sink::Off)
    }

    /// Prints a free-form note line.
    pub(crate) fn note(&self, text: &str) {
        self.write_line(text);
    }

    fn write_line(&self, line: &str) {
        match &self.sink {
            Sink::Off => {}
            Sink::Stderr => {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            Sink::Stdout => {
                let _ = writeln!(std::io::stdout(), "{line}");
            }
        }
    }

    /// Prints `bytes` as lines prefixed with `who` (`C` or `S`); blocks longer than
    /// `max_lines` are cut with a count of what was left out, and their last line (the
    /// status line that usually ends a response) is still shown.
    pub(crate) fn lines(&self, who: &'static str, bytes: &[u8]) {
        self.record(who, bytes);
        self.show(who, bytes);
    }

    /// Keeps `bytes` in the capture log (if any) without printing them.
    pub(crate) fn record(&self, who: &'static str, bytes: &[u8]) {
        if let Some(log) = &self.capture
            && let Ok(mut log) = log.lock()
        {
            log.push((who, bytes.to_vec()));
        }
    }

    /// Prints `bytes` as [`Transcript::lines`] does, without capturing them.
    pub(crate) fn show(&self, who: &str, bytes: &[u8]) {
        if !self.enabled() || bytes.is_empty() {
            return;
        }
        for line in render(who, bytes, self.max_lines) {
            self.write_line(&line);
        }
    }
}

/// The printed lines for a block: `who: line`, cut after `max_lines` lines (when at
/// least two more would follow) to a count of lines and bytes and the block's last line.
fn render(who: &str, bytes: &[u8], max_lines: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut shown = 0usize;
    let mut rest = bytes;
    while !rest.is_empty() {
        let (line, next) = match memchr_nl(rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let more = next.strip_suffix(b"\n").unwrap_or(next);
        if shown >= max_lines && memchr_nl(more).is_some() {
            // Keep the last line in view: it is the status line that ends most
            // responses (`A006 OK Fetch completed`, `.`, `250 2.0.0 Ok`).
            let body = rest.strip_suffix(b"\n").unwrap_or(rest);
            let i = body.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            let (cut, last) = body.split_at(i);
            let last = last.strip_prefix(b"\n").unwrap_or(last);
            let lines = cut.split(|&b| b == b'\n').count();
            out.push(format!(
                "{who}: [... {lines} more lines, {} bytes]",
                cut.len() + 1
            ));
            let last = last.strip_suffix(b"\r").unwrap_or(last);
            out.push(format!("{who}: {}", printable(last)));
            return out;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.push(format!("{who}: {}", printable(line)));
        shown += 1;
        rest = next;
    }
    out
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// A line made printable: UTF-8 shown as is, other bytes as `\xNN`, controls escaped.
pub(crate) fn printable(line: &[u8]) -> String {
    let mut out = String::with_capacity(line.len());
    for chunk in line.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push('\t'),
                c if c.is_control() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn short_blocks_are_printed_whole() {
        assert_eq!(
            render("S", b"+OK 4 5303\r\n", 3),
            vec!["S: +OK 4 5303".to_owned()]
        );
        // One line past the limit is shown rather than elided.
        assert_eq!(
            render("S", b"a\r\nb\r\nc\r\n", 2),
            vec!["S: a", "S: b", "S: c"]
        );
    }

    #[test]
    fn long_blocks_keep_their_last_line() {
        let block = b"+OK\r\nl1\r\nl2\r\nl3\r\nl4\r\n.\r\n";
        assert_eq!(
            render("S", block, 2),
            vec!["S: +OK", "S: l1", "S: [... 3 more lines, 12 bytes]", "S: .",]
        );
        assert_eq!(render("C", b"x\x01y", 5), vec!["C: x\\x01y"]);
    }
}
