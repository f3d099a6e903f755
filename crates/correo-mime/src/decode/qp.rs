//! Quoted-printable (RFC 2045 §6.7): a streaming decoder and an encoder.
//!
//! The decoder accepts soft line breaks `=\r\n` and `=\n` (also with whitespace between the
//! `=` and the line end, as transport adds), lowercase hex, deletes trailing whitespace
//! before a line end (RFC 2045: it was necessarily added in transport), keeps line ends as
//! they are (CRLF or LF), and keeps an invalid `=XY` literally with a
//! [`DecodeDefect::QpInvalidEscape`].

use std::collections::VecDeque;

use super::{DecodeDefect, Defects};
use crate::defect::Defect;

/// Most trailing whitespace held back at once; a longer run keeps its first bytes.
const MAX_WS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    /// A CR was seen (pending whitespace before it is still held).
    Cr,
    /// `=` seen.
    Eq,
    /// `=` and one hex digit seen.
    EqHex(u8),
    /// `=` followed by whitespace (held in `ws`).
    EqWs,
    /// `=` (maybe whitespace) then CR.
    EqCr,
}

/// A streaming quoted-printable decoder for one body.
///
/// ```
/// use correo_mime::decode::qp::QpDecoder;
///
/// let mut d = QpDecoder::new();
/// let mut out = Vec::new();
/// d.decode(b"caf=C3=a9 =\r\nau lait  \r\n", &mut out);
/// d.finish(&mut out);
/// assert_eq!(out, "café au lait\r\n".as_bytes());
/// ```
#[derive(Debug, Clone)]
pub struct QpDecoder {
    state: State,
    /// Pending whitespace: trailing (deleted at a line end) unless something follows.
    ws: VecDeque<u8>,
    /// Offset of the `=` of a pending escape.
    eq_off: usize,
    pos: usize,
    defects: Defects,
}

impl Default for QpDecoder {
    fn default() -> Self {
        Self::new()
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

impl QpDecoder {
    /// A new decoder.
    pub fn new() -> Self {
        QpDecoder {
            state: State::Normal,
            ws: VecDeque::new(),
            eq_off: 0,
            pos: 0,
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

    fn flush_ws(&mut self, out: &mut Vec<u8>) {
        out.extend(self.ws.drain(..));
    }

    /// Adds whitespace to the pending run; past [`MAX_WS`] its oldest bytes are emitted.
    fn add_ws(&mut self, mut ws: &[u8], out: &mut Vec<u8>) {
        let total = self.ws.len() + ws.len();
        if total > MAX_WS {
            let mut excess = total - MAX_WS;
            let from_held = excess.min(self.ws.len());
            out.extend(self.ws.drain(..from_held));
            excess -= from_held;
            let (a, b) = ws.split_at(excess.min(ws.len()));
            out.extend_from_slice(a);
            ws = b;
        }
        self.ws.extend(ws);
    }

    /// Decodes the next bytes of the body, appending to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len());
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Normal {
                let rest = input.get(i..).unwrap_or_default();
                let run_len = memchr::memchr3(b'=', b'\r', b'\n', rest).unwrap_or(rest.len());
                let run = rest.get(..run_len).unwrap_or_default();
                let stop = rest.get(run_len).copied();
                if stop == Some(b'=') {
                    if !run.is_empty() {
                        self.flush_ws(out);
                        out.extend_from_slice(run);
                    }
                } else {
                    // Trailing whitespace of the run may be deleted by a line end.
                    let body_len = run.len()
                        - run
                            .iter()
                            .rev()
                            .take_while(|&&b| b == b' ' || b == b'\t')
                            .count();
                    let (body, tail) = run.split_at(body_len);
                    if !body.is_empty() {
                        self.flush_ws(out);
                        out.extend_from_slice(body);
                    }
                    self.add_ws(tail, out);
                }
                i += run_len;
                if let Some(b) = stop {
                    self.step(b, self.pos + i, out);
                    i += 1;
                }
            } else if let Some(&b) = input.get(i) {
                self.step(b, self.pos + i, out);
                i += 1;
            }
        }
        self.pos += input.len();
    }

    /// One byte through the state machine.
    fn step(&mut self, b: u8, off: usize, out: &mut Vec<u8>) {
        match self.state {
            State::Normal => match b {
                b' ' | b'\t' => self.add_ws(&[b], out),
                b'\r' => self.state = State::Cr,
                b'\n' => {
                    self.ws.clear();
                    out.push(b'\n');
                }
                b'=' => {
                    self.flush_ws(out);
                    self.eq_off = off;
                    self.state = State::Eq;
                }
                _ => {
                    self.flush_ws(out);
                    out.push(b);
                }
            },
            State::Cr => {
                self.state = State::Normal;
                if b == b'\n' {
                    self.ws.clear();
                    out.extend_from_slice(b"\r\n");
                } else {
                    // A bare CR is data.
                    self.flush_ws(out);
                    out.push(b'\r');
                    self.step(b, off, out);
                }
            }
            State::Eq => match b {
                b'\n' => self.state = State::Normal,
                b'\r' => self.state = State::EqCr,
                b' ' | b'\t' => {
                    self.ws.push_back(b);
                    self.state = State::EqWs;
                }
                _ => match hex(b) {
                    Some(h) => self.state = State::EqHex(h),
                    None => {
                        self.invalid(out);
                        self.step(b, off, out);
                    }
                },
            },
            State::EqHex(h) => match hex(b) {
                Some(l) => {
                    out.push((h << 4) | l);
                    self.state = State::Normal;
                }
                None => {
                    self.invalid(out);
                    self.step(b, off, out);
                }
            },
            State::EqWs => match b {
                b' ' | b'\t' if self.ws.len() < MAX_WS => self.ws.push_back(b),
                b'\r' => self.state = State::EqCr,
                b'\n' => {
                    self.ws.clear();
                    self.state = State::Normal;
                }
                _ => {
                    self.invalid(out);
                    self.step(b, off, out);
                }
            },
            State::EqCr => {
                if b == b'\n' {
                    self.ws.clear();
                    self.state = State::Normal;
                } else {
                    self.invalid(out);
                    self.step(b, off, out);
                }
            }
        }
    }

    /// The pending escape is invalid: record it and emit what it held literally.
    fn invalid(&mut self, out: &mut Vec<u8>) {
        self.defects
            .push(DecodeDefect::QpInvalidEscape, self.eq_off);
        out.push(b'=');
        match self.state {
            State::EqHex(h) => out.push(if h < 10 { b'0' + h } else { b'A' + h - 10 }),
            State::EqWs => self.flush_ws(out),
            State::EqCr => {
                self.flush_ws(out);
                out.push(b'\r');
            }
            _ => {}
        }
        self.state = State::Normal;
    }

    /// Ends the body. Trailing whitespace is deleted; a final `=` is a soft line break.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            State::Normal | State::Eq | State::EqWs | State::EqCr => {}
            State::Cr => out.push(b'\r'),
            State::EqHex(_) => self.invalid(out),
        }
        self.ws.clear();
        self.state = State::Normal;
    }
}

/// Decodes a whole quoted-printable body; returns the bytes and the defects.
pub fn decode(input: &[u8]) -> (Vec<u8>, Vec<Defect>) {
    let mut d = QpDecoder::new();
    let mut out = Vec::with_capacity(input.len());
    d.decode(input, &mut out);
    d.finish(&mut out);
    (out, d.take_defects())
}

/// How the quoted-printable encoder treats line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QpMode {
    /// Text: CRLF (and a lone LF) is a hard line break, written as CRLF; a lone CR is
    /// encoded.
    Text,
    /// Binary: every CR and LF is encoded; lines end only in soft breaks.
    Binary,
}

/// Maximum encoded line length, the soft-break `=` included (RFC 2045).
const MAX_LINE: usize = 76;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Encodes `input` as quoted-printable, appending to `out`: lines of at most 76
/// characters with soft breaks, `=`, controls and non-ASCII bytes encoded, whitespace
/// before a line end encoded, and `From ` at the start of a line written `=46rom ` (so
/// mbox storage cannot alter it). Output lines end in CRLF.
///
/// ```
/// use correo_mime::decode::qp::{encode, QpMode};
///
/// let mut out = Vec::new();
/// encode("a = b \r\ncafé".as_bytes(), QpMode::Text, &mut out);
/// assert_eq!(out, b"a =3D b=20\r\ncaf=C3=A9");
/// ```
pub fn encode(input: &[u8], mode: QpMode, out: &mut Vec<u8>) {
    out.reserve(input.len() + input.len() / 8);
    let mut col = 0usize;
    let mut i = 0;
    // Is there a (hard) line end or the end of input at `j`?
    let at_line_end = |j: usize| -> bool {
        match input.get(j) {
            None => true,
            Some(b'\n') => mode == QpMode::Text,
            Some(b'\r') => mode == QpMode::Text && input.get(j + 1) == Some(&b'\n'),
            _ => false,
        }
    };
    while let Some(&b) = input.get(i) {
        if mode == QpMode::Text && (b == b'\n' || (b == b'\r' && input.get(i + 1) == Some(&b'\n')))
        {
            out.extend_from_slice(b"\r\n");
            col = 0;
            i += if b == b'\r' { 2 } else { 1 };
            continue;
        }
        let literal = match b {
            b'=' => false,
            b' ' | b'\t' => !at_line_end(i + 1),
            b'F' if col == 0 => !input.get(i..).is_some_and(|r| r.starts_with(b"From ")),
            33..=126 => true,
            _ => false,
        };
        let len = if literal { 1 } else { 3 };
        // Room for the token, keeping one column for a soft break unless the line ends here.
        let fits = if at_line_end(i + 1) {
            col + len <= MAX_LINE
        } else {
            col + len < MAX_LINE
        };
        if !fits {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
        col += len;
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defect::DefectKind;

    fn run(input: &[u8]) -> (Vec<u8>, Vec<(DecodeDefect, Option<usize>)>) {
        let kinds = |d: Vec<Defect>| {
            d.into_iter()
                .map(|d| match d.kind {
                    DefectKind::Decode(k) => (k, d.offset),
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        let (whole, dw) = decode(input);
        let mut d = QpDecoder::new();
        let mut out = Vec::new();
        for b in input {
            d.decode(std::slice::from_ref(b), &mut out);
        }
        d.finish(&mut out);
        let db = kinds(d.take_defects());
        let dw = kinds(dw);
        assert_eq!(whole, out, "split changed output for {input:?}");
        assert_eq!(dw, db);
        (whole, dw)
    }

    #[test]
    fn rfc2045_examples() {
        let (out, d) =
            run(b"Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.");
        assert_eq!(
            out,
            b"Now's the time for all folk to come to the aid of their country."
        );
        assert!(d.is_empty());
        let (out, _) = run(b"=3D=3d=E9\n");
        assert_eq!(out, b"==\xe9\n");
    }

    #[test]
    fn trailing_whitespace_deleted() {
        let (out, d) = run(b"a  \t\r\nb \nc =  \r\nd  ");
        assert_eq!(out, b"a\r\nb\nc d");
        assert!(d.is_empty());
        let (out, _) = run(b"a b\r\n");
        assert_eq!(out, b"a b\r\n");
    }

    #[test]
    fn invalid_escapes_kept() {
        let (out, d) = run(b"a=ZZb=4xc=\rd=4");
        assert_eq!(out, b"a=ZZb=4xc=\rd=4");
        assert_eq!(
            d,
            vec![
                (DecodeDefect::QpInvalidEscape, Some(1)),
                (DecodeDefect::QpInvalidEscape, Some(5)),
                (DecodeDefect::QpInvalidEscape, Some(9)),
                (DecodeDefect::QpInvalidEscape, Some(12)),
            ]
        );
        let (out, d) = run(b"x= y");
        assert_eq!(out, b"x= y");
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn soft_break_at_end() {
        let (out, d) = run(b"abc=");
        assert_eq!(out, b"abc");
        assert!(d.is_empty());
    }

    #[test]
    fn encoder_lines_and_round_trip() {
        let text = "Ça va? ".repeat(40) + "\r\nFrom here = there \r\n\tend\t";
        let mut enc = Vec::new();
        encode(text.as_bytes(), QpMode::Text, &mut enc);
        for line in enc.split(|&b| b == b'\n') {
            assert!(line.len() <= 77, "{}", String::from_utf8_lossy(line));
        }
        assert!(enc.windows(7).any(|w| w == b"=46rom "));
        assert!(enc.ends_with(b"end=09"));
        let (dec, d) = run(&enc);
        assert_eq!(dec, text.as_bytes());
        assert!(d.is_empty());
        let bin: Vec<u8> = (0..=255u8).cycle().take(700).collect();
        let mut enc = Vec::new();
        encode(&bin, QpMode::Binary, &mut enc);
        let (dec, _) = run(&enc);
        assert_eq!(dec, bin);
    }
}
