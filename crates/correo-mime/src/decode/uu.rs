//! uuencode (`Content-Transfer-Encoding: x-uuencode`, `x-uue`): a streaming decoder.
//!
//! The body is `begin <mode> <name>`, encoded lines (a length character, then groups of
//! four characters for three bytes, each character `0x20 + value`, with `` ` `` also
//! meaning 0), a zero-length line, and `end`.

use super::{DecodeDefect, Defects};
use crate::defect::Defect;

/// Longest line the decoder holds; longer lines are skipped with a defect.
const MAX_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    BeforeBegin,
    InBody,
    AfterEnd,
}

/// A streaming uudecoder for one body.
///
/// ```
/// use correo_mime::decode::uu::UuDecoder;
///
/// let mut d = UuDecoder::new();
/// let mut out = Vec::new();
/// d.decode(b"begin 644 cat.txt\n#0V%T\n`\nend\n", &mut out);
/// d.finish(&mut out);
/// assert_eq!(out, b"Cat");
/// assert_eq!(d.file_name(), Some("cat.txt"));
/// assert_eq!(d.mode(), Some(0o644));
/// ```
#[derive(Debug, Clone)]
pub struct UuDecoder {
    state: State,
    line: Vec<u8>,
    line_off: usize,
    overlong: bool,
    pos: usize,
    outside_flagged: bool,
    name: Option<String>,
    mode: Option<u32>,
    defects: Defects,
}

impl Default for UuDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl UuDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        UuDecoder {
            state: State::BeforeBegin,
            line: Vec::new(),
            line_off: 0,
            overlong: false,
            pos: 0,
            outside_flagged: false,
            name: None,
            mode: None,
            defects: Defects::new(),
        }
    }

    /// Caps the number of defects recorded.
    pub fn set_max_defects(&mut self, max: usize) {
        self.defects.set_max(max);
    }

    /// Returns (and forgets) the defects found so far.
    pub fn take_defects(&mut self) -> Vec<Defect> {
        self.defects.take()
    }

    /// The file name from the `begin` line, once seen.
    pub fn file_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The (octal) file mode from the `begin` line, once seen.
    pub fn mode(&self) -> Option<u32> {
        self.mode
    }

    /// Decodes the next bytes of the body, appending to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        let mut off = self.pos;
        while !rest.is_empty() {
            let (chunk, ended) = match memchr::memchr(b'\n', rest) {
                Some(p) => (rest.get(..p).unwrap_or_default(), true),
                None => (rest, false),
            };
            if self.line.is_empty() && !self.overlong {
                self.line_off = off;
            }
            if self.line.len() + chunk.len() > MAX_LINE {
                self.overlong = true;
                self.line.clear();
            } else if !self.overlong {
                self.line.extend_from_slice(chunk);
            }
            let used = chunk.len() + usize::from(ended);
            off += used;
            rest = rest.get(used..).unwrap_or_default();
            if ended {
                self.end_line(out);
            }
        }
        self.pos += input.len();
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        let off = self.line_off;
        if self.overlong {
            self.overlong = false;
            self.defects.push(DecodeDefect::LineTooLong, off);
            return;
        }
        let line = std::mem::take(&mut self.line);
        let l = line.strip_suffix(b"\r").unwrap_or(&line);
        match self.state {
            State::BeforeBegin => {
                if let Some(args) = l.strip_prefix(b"begin ") {
                    let args = args.trim_ascii();
                    let (mode, name) = match args.iter().position(|&b| b == b' ') {
                        Some(p) => (
                            args.get(..p).unwrap_or_default(),
                            args.get(p + 1..).unwrap_or_default(),
                        ),
                        None => (args, &[][..]),
                    };
                    self.mode = std::str::from_utf8(mode)
                        .ok()
                        .and_then(|m| u32::from_str_radix(m, 8).ok());
                    let name = name.trim_ascii();
                    if !name.is_empty() {
                        self.name = Some(String::from_utf8_lossy(name).into_owned());
                    }
                    self.state = State::InBody;
                } else {
                    self.outside(l, off);
                }
            }
            State::InBody => {
                if l.trim_ascii_end() == b"end" {
                    self.state = State::AfterEnd;
                } else {
                    self.body_line(l, off, out);
                }
            }
            State::AfterEnd => self.outside(l, off),
        }
        self.line = line;
        self.line.clear();
    }

    fn outside(&mut self, l: &[u8], off: usize) {
        if !self.outside_flagged && !l.trim_ascii().is_empty() {
            self.outside_flagged = true;
            self.defects.push(DecodeDefect::UuTextOutsideBlock, off);
        }
    }

    fn body_line(&mut self, line: &[u8], off: usize, out: &mut Vec<u8>) {
        let Some((&first, data)) = line.split_first() else {
            return;
        };
        let val = |ch: u8| -> Option<u32> {
            (0x20..=0x60)
                .contains(&ch)
                .then(|| u32::from((ch - 0x20) & 0x3f))
        };
        let Some(count) = val(first) else {
            self.defects.push(DecodeDefect::UuInvalidLine, off);
            return;
        };
        let count = count as usize;
        let mut bad = false;
        let mut produced = 0;
        let groups = count.div_ceil(3);
        for g in 0..groups {
            let mut v = 0u32;
            for k in 0..4 {
                // Trailing spaces may have been stripped in transport: missing = 0.
                let ch = data.get(g * 4 + k).copied().unwrap_or(b' ');
                let sextet = match val(ch) {
                    Some(sextet) => sextet,
                    None => {
                        bad = true;
                        0
                    }
                };
                v = (v << 6) | sextet;
            }
            for b in [(v >> 16) as u8, (v >> 8) as u8, v as u8] {
                if produced < count {
                    out.push(b);
                    produced += 1;
                }
            }
        }
        if bad || data.len() + 2 < groups * 4 {
            self.defects.push(DecodeDefect::UuInvalidLine, off);
        }
    }

    /// Ends the body: decodes a last line without a line end, and records a missing
    /// `begin` or `end`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.line.is_empty() || self.overlong {
            self.end_line(out);
        }
        match self.state {
            State::BeforeBegin => self.defects.push(DecodeDefect::UuMissingBegin, self.pos),
            State::InBody => self.defects.push(DecodeDefect::UuMissingEnd, self.pos),
            State::AfterEnd => {}
        }
        // A new body may follow.
        self.state = State::BeforeBegin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> (Vec<u8>, Vec<Defect>) {
        let mut d = UuDecoder::new();
        let mut out = Vec::new();
        d.decode(input, &mut out);
        d.finish(&mut out);
        let whole = (out, d.take_defects());
        let mut d = UuDecoder::new();
        let mut out = Vec::new();
        for b in input {
            d.decode(std::slice::from_ref(b), &mut out);
        }
        d.finish(&mut out);
        assert_eq!(whole, (out, d.take_defects()));
        whole
    }

    #[test]
    fn decodes_block() {
        let (out, d) = run(b"begin 644 a.txt\r\nM5&AE('%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R('1H92!L87IY(&1O9RX*\r\n`\r\nend\r\n");
        assert_eq!(out, b"The quick brown fox jumps over the lazy dog.\n");
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn missing_begin_and_end() {
        let (out, d) = run(b"hello\n");
        assert!(out.is_empty());
        assert_eq!(d.len(), 2);
        let (out, d) = run(b"begin 600 x\n#0V%T\n");
        assert_eq!(out, b"Cat");
        assert_eq!(
            d.last().map(|d| d.kind.clone()),
            Some(DecodeDefect::UuMissingEnd.into())
        );
    }

    #[test]
    fn stripped_trailing_spaces() {
        // The last two characters were spaces, stripped in transport: read as zero.
        let (out, d) = run(b"begin 644 z\n#04\n`\nend\n");
        assert_eq!(out, b"A@\0");
        assert!(d.is_empty());
        let (_, d) = run(b"begin 644 z\nM04\n`\nend\n");
        assert_eq!(d.len(), 1);
    }
}
