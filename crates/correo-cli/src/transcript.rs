//! Transcripts printed the way the lab practicals show sessions: `C:` and `S:` lines, with
//! long bodies elided to a byte count.

use std::fmt::Write as _;
use std::io::Write;

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

/// A session transcript.
#[derive(Clone)]
pub(crate) struct Transcript {
    sink: Sink,
    /// Lines of a block shown before eliding the rest.
    pub(crate) max_lines: usize,
}

impl Transcript {
    /// A transcript writing to `sink`.
    pub(crate) fn new(sink: Sink) -> Transcript {
        Transcript {
            sink,
            max_lines: 12,
        }
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
    /// `max_lines` are cut with a count of what was left out.
    pub(crate) fn lines(&self, who: &str, bytes: &[u8]) {
        if !self.enabled() || bytes.is_empty() {
            return;
        }
        let mut shown = 0usize;
        let mut rest = bytes;
        while !rest.is_empty() {
            let (line, next) = match memchr_nl(rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            if shown == self.max_lines {
                let n = rest.len();
                let lines = rest.split(|&b| b == b'\n').count().saturating_sub(1);
                self.write_line(&format!("{who}: [... {lines} more lines, {n} bytes]"));
                return;
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.write_line(&format!("{who}: {}", printable(line)));
            shown += 1;
            rest = next;
        }
    }

    /// Prints a one-line summary of a body instead of its bytes.
    pub(crate) fn body(&self, who: &str, what: &str, len: usize) {
        self.write_line(&format!("{who}: [{what}: {len} bytes]"));
    }
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
