//! Base64 (RFC 2045 §6.8, RFC 4648 alphabet) for message bodies: a streaming decoder that
//! tolerates what real mail contains, and a line-folding encoder.
//!
//! The decoder:
//! - skips line breaks and whitespace (space, tab, CR, LF) anywhere, silently;
//! - skips characters outside the alphabet and records
//!   [`DecodeDefect::InvalidBase64Char`] (one per run of adjacent bad bytes) at their offset;
//! - decodes an unpadded tail and records [`DecodeDefect::Base64MissingPadding`];
//! - keeps decoding after padding (concatenated blobs), recording
//!   [`DecodeDefect::Base64DataAfterPadding`];
//! - produces the same bytes and defects whatever the input split: at most 3 sextets are
//!   carried between calls.
//!
//! Fast paths ([`Base64Kernel`], chosen at run time): on x86-64 with AVX-512 VBMI (64
//! characters per step) or AVX2 (32 per step), whole lines of the learned width are
//! decoded and their CRLF/LF line breaks skipped in the same pass; otherwise a table-driven
//! scalar loop decodes whole lines 8 characters at a time (four lookups of character pairs,
//! one 8-byte store; the common widths 64, 72 and 76 fully unrolled), in safe code.
//! [`decode_scalar`] forces the scalar kernel. Any irregular byte (a bad
//! character, padding, a line break inside a quantum) is handed to the byte-at-a-time
//! state machine, so every kernel gives the same bytes and defects (tested and fuzzed).

use super::{DecodeDefect, Defects};
use crate::defect::Defect;

mod simd;

/// Table value for a byte outside the alphabet.
const INVALID: u8 = 0xFF;
/// Table value for whitespace that is skipped silently.
const WS: u8 = 0xFE;
/// Table value for `=`.
const PAD: u8 = 0xFD;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t[b' ' as usize] = WS;
    t[b'\t' as usize] = WS;
    t[b'\r' as usize] = WS;
    t[b'\n' as usize] = WS;
    t[b'=' as usize] = PAD;
    t
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pad {
    /// No padding seen in the current run.
    None,
    /// One `=` of a `==` seen (the byte was already emitted); one more expected.
    ExpectOne,
    /// Padding complete.
    Done,
}

/// The decoding kernels. All give the same output and defects; they differ in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Base64Kernel {
    /// Table-driven, 8 characters at a time, line-aware; runs everywhere.
    Scalar,
    /// x86-64 AVX2: 32 characters per step, line breaks skipped in the same pass.
    Avx2,
    /// x86-64 AVX-512 VBMI: 64 characters per step.
    Avx512Vbmi,
}

impl Base64Kernel {
    /// True when this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Base64Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Base64Kernel::Avx2 => simd::avx2_available(),
            #[cfg(target_arch = "x86_64")]
            Base64Kernel::Avx512Vbmi => simd::avx512vbmi_available(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest kernel this CPU can run.
    pub fn best() -> Base64Kernel {
        [Base64Kernel::Avx512Vbmi, Base64Kernel::Avx2]
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Base64Kernel::Scalar)
    }
}

use Base64Kernel as Kernel;

/// A streaming base64 decoder for one body.
///
/// ```
/// use correo_mime::decode::base64::Base64Decoder;
///
/// let mut d = Base64Decoder::new();
/// let mut out = Vec::new();
/// for b in b"SGVs\r\nbG8=" {
///     d.decode(std::slice::from_ref(b), &mut out);
/// }
/// d.finish(&mut out);
/// assert_eq!(out, b"Hello");
/// assert!(d.take_defects().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Base64Decoder {
    acc: u32,
    n: u8,
    pad: Pad,
    /// Offset (from the body start) of the next input byte.
    pos: usize,
    /// Kind and end offset of the last skipped run, to record one defect per run.
    skip_run: Option<(DecodeDefect, usize)>,
    defects: Defects,
    kernel: Kernel,
    /// Line width (characters before the line break) the fast path expects.
    width: usize,
}

impl Default for Base64Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Base64Decoder {
    /// A decoder using the fastest kernel this CPU supports.
    pub fn new() -> Self {
        let mut d = Self::scalar();
        d.kernel = Kernel::best();
        d
    }

    /// A decoder using `kernel`, or `None` when this CPU cannot run it.
    pub fn with_kernel(kernel: Base64Kernel) -> Option<Self> {
        let mut d = Self::scalar();
        d.kernel = kernel;
        kernel.is_available().then_some(d)
    }

    /// The kernel this decoder uses.
    pub fn kernel(&self) -> Base64Kernel {
        self.kernel
    }

    /// A decoder that never uses SIMD (the scalar twin; same output and defects).
    pub fn scalar() -> Self {
        Base64Decoder {
            acc: 0,
            n: 0,
            pad: Pad::None,
            pos: 0,
            skip_run: None,
            defects: Defects::new(),
            kernel: Kernel::Scalar,
            width: 76,
        }
    }

    /// True when this decoder uses a SIMD kernel.
    pub fn is_simd(&self) -> bool {
        self.kernel != Kernel::Scalar
    }

    /// Caps the number of defects recorded (see [`super::BodyDecoder::set_max_defects`]).
    pub fn set_max_defects(&mut self, max: usize) {
        self.defects.set_max(max);
    }

    /// Decodes the next bytes of the body, appending to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() / 4 * 3 + 8);
        let mut i = 0;
        while i < input.len() {
            if self.n == 0 && self.pad == Pad::None {
                let rest = input.get(i..).unwrap_or_default();
                let k = match self.kernel {
                    Kernel::Scalar => fast_scalar(rest, out, &mut self.width),
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2 | Kernel::Avx512Vbmi => {
                        let k = if self.kernel == Kernel::Avx2 {
                            simd::decode_avx2(rest, out, &mut self.width)
                        } else {
                            simd::decode_avx512vbmi(rest, out, &mut self.width)
                        };
                        let rest2 = rest.get(k..).unwrap_or_default();
                        k + fast_scalar(rest2, out, &mut self.width)
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    _ => fast_scalar(rest, out, &mut self.width),
                };
                i += k;
            }
            // The byte-at-a-time machine takes over at an irregular byte, and runs until
            // the state is clean again (or the input ends).
            let start = i;
            while let Some(&b) = input.get(i) {
                if i > start && self.n == 0 && self.pad == Pad::None {
                    break;
                }
                self.step(b, self.pos + i, out);
                i += 1;
            }
        }
        self.pos += input.len();
    }

    /// Ends the body: decodes an unpadded tail (recording a defect).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let off = self.pos;
        match self.n {
            0 => {}
            1 => self.defects.push(DecodeDefect::Base64TruncatedQuantum, off),
            2 => {
                out.push((self.acc >> 4) as u8);
                self.defects.push(DecodeDefect::Base64MissingPadding, off);
            }
            _ => {
                out.push((self.acc >> 10) as u8);
                out.push((self.acc >> 2) as u8);
                self.defects.push(DecodeDefect::Base64MissingPadding, off);
            }
        }
        if self.pad == Pad::ExpectOne {
            self.defects.push(DecodeDefect::Base64MissingPadding, off);
        }
        self.acc = 0;
        self.n = 0;
        self.pad = Pad::None;
        self.skip_run = None;
    }

    /// Returns (and forgets) the defects found so far.
    pub fn take_defects(&mut self) -> Vec<Defect> {
        self.defects.take()
    }

    fn skip(&mut self, kind: DecodeDefect, off: usize) {
        match &self.skip_run {
            Some((k, end)) if *k == kind && *end == off => {}
            _ => self.defects.push(kind.clone(), off),
        }
        self.skip_run = Some((kind, off + 1));
    }

    /// The reference state machine: one byte at offset `off`.
    #[inline]
    fn step(&mut self, b: u8, off: usize, out: &mut Vec<u8>) {
        let v = DECODE[b as usize];
        if v < 64 {
            if self.pad != Pad::None {
                self.defects.push(DecodeDefect::Base64DataAfterPadding, off);
                self.pad = Pad::None;
            }
            self.acc = (self.acc << 6) | u32::from(v);
            self.n += 1;
            if self.n == 4 {
                out.extend_from_slice(&[
                    (self.acc >> 16) as u8,
                    (self.acc >> 8) as u8,
                    self.acc as u8,
                ]);
                self.acc = 0;
                self.n = 0;
            }
        } else if v == WS {
        } else if v == PAD {
            match (self.pad, self.n) {
                (Pad::None, 2) => {
                    out.push((self.acc >> 4) as u8);
                    self.acc = 0;
                    self.n = 0;
                    self.pad = Pad::ExpectOne;
                }
                (Pad::None, 3) => {
                    out.push((self.acc >> 10) as u8);
                    out.push((self.acc >> 2) as u8);
                    self.acc = 0;
                    self.n = 0;
                    self.pad = Pad::Done;
                }
                (Pad::ExpectOne, _) => self.pad = Pad::Done,
                _ => self.skip(DecodeDefect::Base64MisplacedPadding, off),
            }
        } else {
            self.skip(DecodeDefect::InvalidBase64Char, off);
        }
    }
}

/// `SHIFTED[k][c]`: the sextet of character `c` shifted into position `k` of a quantum
/// (`k = 0` most significant), or a value with bits 24..32 set when `c` is not in the
/// alphabet. ORing four lookups gives the 24-bit quantum and a validity flag at once.
static SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[0xFF00_0000u32; 256]; 4];
    let mut i = 0;
    while i < 64 {
        let c = ALPHABET[i] as usize;
        let v = i as u32;
        t[0][c] = v << 18;
        t[1][c] = v << 12;
        t[2][c] = v << 6;
        t[3][c] = v;
        i += 1;
    }
    t
};

/// Decodes one quantum of 4 characters to its 24-bit value, with bits 24..32 set when a
/// character is not in the alphabet.
#[inline]
fn quantum(c: [u8; 4]) -> u32 {
    SHIFTED[0][c[0] as usize]
        | SHIFTED[1][c[1] as usize]
        | SHIFTED[2][c[2] as usize]
        | SHIFTED[3][c[3] as usize]
}

/// Flag bits of [`PAIR`] entries for pairs with a character outside the alphabet (above
/// the 12 data bits).
const PAIR_BAD: u16 = 0xF000;

/// `PAIR[c0 | c1 << 8]`: the 12 bits of the two characters `c0 c1` (`c0` first), or
/// [`PAIR_BAD`] when either is not in the alphabet. Indexed by two input bytes read
/// little-endian, so 8 characters take 4 lookups. The table is 128 KiB, but only the
/// 4096 valid pairs are touched on clean input: about 300 cache lines, which stay in L1.
static PAIR: [u16; 65536] = {
    let mut t = [PAIR_BAD; 65536];
    let mut a = 0;
    while a < 64 {
        let mut b = 0;
        while b < 64 {
            let idx = ALPHABET[a] as usize | (ALPHABET[b] as usize) << 8;
            t[idx] = ((a as u16) << 6) | b as u16;
            b += 1;
        }
        a += 1;
    }
    t
};

/// Decodes 8 characters (loaded little-endian: character 0 in the low byte): the 6 bytes
/// in the top 48 bits of the first value (big-endian), and the OR of the four table
/// entries, whose [`PAIR_BAD`] bits are set when a character is not in the alphabet.
#[inline]
fn pair8(c: u64) -> (u64, u16) {
    let p0 = PAIR[(c & 0xFFFF) as usize];
    let p1 = PAIR[((c >> 16) & 0xFFFF) as usize];
    let p2 = PAIR[((c >> 32) & 0xFFFF) as usize];
    let p3 = PAIR[(c >> 48) as usize];
    let v = (u64::from(p0) << 52)
        | (u64::from(p1) << 40)
        | (u64::from(p2) << 28)
        | (u64::from(p3) << 16);
    (v, p0 | p1 | p2 | p3)
}

/// Longest line the scalar whole-line path handles.
const MAX_FAST_WIDTH: usize = 256;

/// Output staged on the stack before one `extend_from_slice` (keeps the hot loop's stores
/// in a local buffer, with no `Vec` length updates and no `unsafe`).
const STAGE: usize = 2048;

/// Output room for one line in the stage (the longest fast line decodes to 192 bytes; the
/// last 8-byte store may write 2 bytes past it).
const ROW: usize = MAX_FAST_WIDTH / 4 * 3 + 8;

/// Decodes one line of exactly `LW` characters (a multiple of 4) into `dst`; returns the OR
/// of the table entries (see [`pair8`]). `LW` is a constant, so the loop unrolls and every
/// index is checked at compile time.
#[inline]
#[allow(clippy::many_single_char_names)] // offsets: i (input), o/w (output), k
fn decode_line<const LW: usize>(chars: &[u8; LW], dst: &mut [u8; ROW]) -> u16 {
    let mut bad = 0u16;
    let mut k = 0;
    while k + 8 <= LW {
        let c = chars.get(k..k + 8).and_then(|s| s.first_chunk::<8>());
        let d = dst.get_mut(k / 8 * 6..k / 8 * 6 + 8);
        if let (Some(c), Some(d)) = (c, d) {
            let (v, f) = pair8(u64::from_le_bytes(*c));
            bad |= f;
            d.copy_from_slice(&v.to_be_bytes());
        }
        k += 8;
    }
    if k + 4 <= LW {
        let c = chars.get(k..k + 4).and_then(|s| s.first_chunk::<4>());
        let d = dst.get_mut(k / 8 * 6..k / 8 * 6 + 4);
        if let (Some(c), Some(d)) = (c, d) {
            let v = quantum(*c);
            bad |= ((v >> 24) as u16) << 8;
            d.copy_from_slice(&(v << 8).to_be_bytes());
        }
    }
    bad
}

/// [`lines_scalar`] for a line width known at compile time (the common ones).
#[allow(clippy::many_single_char_names)] // offsets: i (input), o/w (output), k
fn lines_fixed<const LW: usize>(rest: &[u8], out: &mut Vec<u8>) -> usize {
    let per_line = LW / 4 * 3;
    let mut stage = [0u8; STAGE];
    let mut i = 0;
    loop {
        let mut o = 0;
        let mut stop = false;
        while let Some(row) = stage
            .get_mut(o..o + ROW)
            .and_then(|r| r.first_chunk_mut::<ROW>())
        {
            let eol = match (rest.get(i + LW), rest.get(i + LW + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => {
                    stop = true;
                    break;
                }
            };
            let Some(chars) = rest.get(i..).and_then(|r| r.first_chunk::<LW>()) else {
                stop = true;
                break;
            };
            // Decoded optimistically; a line with a bad character is dropped from the stage.
            if decode_line::<LW>(chars, row) & PAIR_BAD != 0 {
                stop = true;
                break;
            }
            o += per_line;
            i += LW + eol;
        }
        out.extend_from_slice(stage.get(..o).unwrap_or_default());
        if stop {
            return i;
        }
    }
}

/// Decodes whole lines of `lw` characters (a multiple of 4) each followed by CRLF or LF,
/// while every character is valid; returns the bytes consumed.
#[allow(clippy::many_single_char_names)] // offsets: i (input), o/w (output), k
fn lines_scalar(rest: &[u8], out: &mut Vec<u8>, lw: usize) -> usize {
    if lw == 0 || lw % 4 != 0 || lw > MAX_FAST_WIDTH || rest.len() <= lw {
        return 0;
    }
    match lw {
        76 => return lines_fixed::<76>(rest, out),
        64 => return lines_fixed::<64>(rest, out),
        72 => return lines_fixed::<72>(rest, out),
        _ => {}
    }
    let per_line = lw / 4 * 3;
    let mut stage = [0u8; STAGE];
    let mut i = 0;
    loop {
        // Fill the stage with whole lines.
        let mut o = 0;
        let mut stop = false;
        while o + per_line + 8 <= STAGE {
            let eol = match (rest.get(i + lw), rest.get(i + lw + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => {
                    stop = true;
                    break;
                }
            };
            let Some(chars) = rest.get(i..i + lw) else {
                stop = true;
                break;
            };
            // Decode optimistically; a line with a bad character is dropped from the stage.
            let mut bad = 0u16;
            let mut w = o;
            let mut eights = chars.chunks_exact(8);
            for c in &mut eights {
                let (v, f) = pair8(c.try_into().map_or(u64::MAX, u64::from_le_bytes));
                bad |= f;
                if let Some(dst) = stage.get_mut(w..w + 8) {
                    dst.copy_from_slice(&v.to_be_bytes());
                }
                w += 6;
            }
            if let Some(c) = eights.remainder().first_chunk::<4>() {
                let v = quantum(*c);
                bad |= ((v >> 24) as u16) << 8;
                if let Some(dst) = stage.get_mut(w..w + 4) {
                    dst.copy_from_slice(&(v << 8).to_be_bytes());
                }
            }
            if bad & PAIR_BAD != 0 {
                stop = true;
                break;
            }
            o += per_line;
            i += lw + eol;
        }
        out.extend_from_slice(stage.get(..o).unwrap_or_default());
        if stop {
            return i;
        }
    }
}

/// Decodes clean 8-character groups (no line break, no bad character) from the start of
/// `input` into `out`; returns the characters consumed (a multiple of 8).
#[allow(clippy::many_single_char_names)] // offsets: i (input), o (output)
fn groups_scalar(input: &[u8], out: &mut Vec<u8>) -> usize {
    let mut stage = [0u8; 256 + 8];
    let mut i = 0;
    loop {
        let mut o = 0;
        while o + 8 <= 256 {
            let Some(c) = input.get(i..).and_then(|r| r.first_chunk::<8>()) else {
                out.extend_from_slice(stage.get(..o).unwrap_or_default());
                return i;
            };
            let (v, f) = pair8(u64::from_le_bytes(*c));
            if f & PAIR_BAD != 0 {
                out.extend_from_slice(stage.get(..o).unwrap_or_default());
                return i;
            }
            if let Some(dst) = stage.get_mut(o..o + 8) {
                dst.copy_from_slice(&v.to_be_bytes());
            }
            o += 6;
            i += 8;
        }
        out.extend_from_slice(stage.get(..o).unwrap_or_default());
    }
}

/// The scalar fast path, from a clean state: decodes whole lines of the learned width,
/// else whole quanta 8 (or 4) characters at a time, skipping CRLF/LF line breaks between
/// quanta. Stops before anything else (which the state machine then handles) and returns
/// the number of input bytes consumed.
fn fast_scalar(input: &[u8], out: &mut Vec<u8>, width: &mut usize) -> usize {
    let mut i = 0;
    let mut line_start = None;
    loop {
        let done = lines_scalar(input.get(i..).unwrap_or_default(), out, *width);
        if done > 0 {
            i += done;
            line_start = Some(i);
        }
        i += groups_scalar(input.get(i..).unwrap_or_default(), out);
        let rest = input.get(i..).unwrap_or_default();
        if let Some(c) = rest.first_chunk::<4>() {
            let v = quantum(*c);
            if v & 0xFF00_0000 == 0 {
                out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
                i += 4;
                continue;
            }
        }
        let eol = match rest {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            _ => return i,
        };
        if let Some(ls) = line_start {
            let seen = i - ls;
            if seen > 0 && seen % 4 == 0 && seen <= MAX_FAST_WIDTH {
                *width = seen;
            }
        }
        i += eol;
        line_start = Some(i);
    }
}

/// Decodes a whole base64 body with the scalar kernel only (no SIMD, no `unsafe` on its
/// path): same bytes and defects as [`decode`], which picks the fastest kernel. For
/// comparing the kernels, and for callers that want the portable path.
///
/// ```
/// let (out, defects) = correo_mime::decode::base64::decode_scalar(b"SGVs\r\nbG8=\r\n");
/// assert_eq!(out, b"Hello");
/// assert!(defects.is_empty());
/// ```
pub fn decode_scalar(input: &[u8]) -> (Vec<u8>, Vec<Defect>) {
    let mut d = Base64Decoder::scalar();
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 128);
    d.decode(input, &mut out);
    d.finish(&mut out);
    (out, d.take_defects())
}

/// Decodes a whole base64 body (see [`Base64Decoder`]); returns the bytes and the defects.
pub fn decode(input: &[u8]) -> (Vec<u8>, Vec<Defect>) {
    let mut d = Base64Decoder::new();
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 128);
    d.decode(input, &mut out);
    d.finish(&mut out);
    (out, d.take_defects())
}

/// Encodes `input` as base64 in lines of `width` characters (rounded down to a multiple of
/// 4, at least 4), each ended by CRLF, appending to `out`. An empty input appends nothing.
/// MIME bodies use a width of 76 ([`encode_mime`]).
pub fn encode_lines(input: &[u8], width: usize, out: &mut Vec<u8>) {
    let width = (width / 4).max(1) * 4;
    let per_line = width / 4 * 3;
    let lines = input.len().div_ceil(per_line);
    out.reserve(input.len().div_ceil(3) * 4 + lines * 2 + 8);
    for line in input.chunks(per_line) {
        let mut chunks = line.chunks_exact(6);
        for c in &mut chunks {
            let v = (u64::from(c[0]) << 40)
                | (u64::from(c[1]) << 32)
                | (u64::from(c[2]) << 24)
                | (u64::from(c[3]) << 16)
                | (u64::from(c[4]) << 8)
                | u64::from(c[5]);
            let mut o = [0u8; 8];
            for (k, slot) in o.iter_mut().enumerate() {
                *slot = ALPHABET[((v >> (42 - 6 * k)) & 63) as usize];
            }
            simd::write8_advance(out, o, 8);
        }
        encode_tail(chunks.remainder(), out);
        out.extend_from_slice(b"\r\n");
    }
}

/// Encodes up to 5 bytes, with padding.
fn encode_tail(rest: &[u8], out: &mut Vec<u8>) {
    for c in rest.chunks(3) {
        let b0 = c.first().copied().unwrap_or(0);
        let b1 = c.get(1).copied().unwrap_or(0);
        let b2 = c.get(2).copied().unwrap_or(0);
        let v = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let q = [
            ALPHABET[(v >> 18) as usize & 63],
            ALPHABET[(v >> 12) as usize & 63],
            if c.len() > 1 {
                ALPHABET[(v >> 6) as usize & 63]
            } else {
                b'='
            },
            if c.len() > 2 {
                ALPHABET[v as usize & 63]
            } else {
                b'='
            },
        ];
        out.extend_from_slice(&q);
    }
}

/// Encodes `input` as a MIME base64 body: 76-character lines ended by CRLF.
pub fn encode_mime(input: &[u8], out: &mut Vec<u8>) {
    encode_lines(input, 76, out);
}

/// A streaming base64 encoder producing lines of a fixed width ended by CRLF.
///
/// ```
/// use correo_mime::decode::base64::Base64Encoder;
///
/// let mut e = Base64Encoder::new(76);
/// let mut out = Vec::new();
/// e.encode(b"Hel", &mut out);
/// e.encode(b"lo", &mut out);
/// e.finish(&mut out);
/// assert_eq!(out, b"SGVsbG8=\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct Base64Encoder {
    per_line: usize,
    width: usize,
    carry: Vec<u8>,
}

impl Base64Encoder {
    /// An encoder with lines of `width` characters (rounded down to a multiple of 4, at
    /// least 4; MIME uses 76).
    pub fn new(width: usize) -> Self {
        let width = (width / 4).max(1) * 4;
        Base64Encoder {
            per_line: width / 4 * 3,
            width,
            carry: Vec::new(),
        }
    }

    /// Encodes the next bytes; whole lines are appended to `out`, the rest is held (less
    /// than one line).
    pub fn encode(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        if !self.carry.is_empty() {
            let need = self.per_line - self.carry.len();
            let (a, b) = input.split_at(need.min(input.len()));
            self.carry.extend_from_slice(a);
            input = b;
            if self.carry.len() < self.per_line {
                return;
            }
            encode_lines(&self.carry, self.width, out);
            self.carry.clear();
        }
        let whole = input.len() / self.per_line * self.per_line;
        let (a, b) = input.split_at(whole);
        encode_lines(a, self.width, out);
        self.carry.extend_from_slice(b);
    }

    /// Ends the data: the last (short) line, padded, ended by CRLF.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        encode_lines(&self.carry, self.width, out);
        self.carry.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defect::DefectKind;

    fn kinds(d: &[Defect]) -> Vec<(DecodeDefect, Option<usize>)> {
        d.iter()
            .map(|d| match &d.kind {
                DefectKind::Decode(k) => (k.clone(), d.offset),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn both(input: &[u8]) -> (Vec<u8>, Vec<(DecodeDefect, Option<usize>)>) {
        let mut results = Vec::new();
        for kernel in [
            Base64Kernel::Scalar,
            Base64Kernel::Avx2,
            Base64Kernel::Avx512Vbmi,
        ] {
            let Some(d) = Base64Decoder::with_kernel(kernel) else {
                continue;
            };
            let mut d1 = d.clone();
            let mut out = Vec::new();
            d1.decode(input, &mut out);
            d1.finish(&mut out);
            results.push((out, kinds(&d1.take_defects())));
            let mut d2 = d;
            let mut out2 = Vec::new();
            for b in input {
                d2.decode(std::slice::from_ref(b), &mut out2);
            }
            d2.finish(&mut out2);
            results.push((out2, kinds(&d2.take_defects())));
        }
        for r in &results[1..] {
            assert_eq!(r, &results[0]);
        }
        results.swap_remove(0)
    }

    #[test]
    fn rfc4648_vectors() {
        for (dec, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let (out, d) = both(enc.as_bytes());
            assert_eq!(out, dec.as_bytes(), "{enc}");
            assert!(d.is_empty(), "{enc}: {d:?}");
            let mut e = Vec::new();
            encode_lines(dec.as_bytes(), 76, &mut e);
            let expect = if enc.is_empty() {
                String::new()
            } else {
                format!("{enc}\r\n")
            };
            assert_eq!(e, expect.as_bytes());
        }
    }

    #[test]
    fn whitespace_anywhere() {
        let (out, d) = both(b" Zm\r\n9v\tYm\nFy \r\n");
        assert_eq!(out, b"foobar");
        assert!(d.is_empty());
    }

    #[test]
    fn unpadded_tail() {
        let (out, d) = both(b"Zm9vYg");
        assert_eq!(out, b"foob");
        assert_eq!(d, vec![(DecodeDefect::Base64MissingPadding, Some(6))]);
        let (out, d) = both(b"Zm9vYmE\r\n");
        assert_eq!(out, b"fooba");
        assert_eq!(d, vec![(DecodeDefect::Base64MissingPadding, Some(9))]);
        let (out, d) = both(b"Zm9vY");
        assert_eq!(out, b"foo");
        assert_eq!(d, vec![(DecodeDefect::Base64TruncatedQuantum, Some(5))]);
        let (out, d) = both(b"Zg=");
        assert_eq!(out, b"f");
        assert_eq!(d, vec![(DecodeDefect::Base64MissingPadding, Some(3))]);
    }

    #[test]
    fn invalid_chars_skipped_and_flagged() {
        let (out, d) = both(b"Zm9v!!Ym*Fy");
        assert_eq!(out, b"foobar");
        assert_eq!(
            d,
            vec![
                (DecodeDefect::InvalidBase64Char, Some(4)),
                (DecodeDefect::InvalidBase64Char, Some(8)),
            ]
        );
        let (out, d) = both("Zm9v\u{e9}Zm9v".as_bytes());
        assert_eq!(out, b"foofoo");
        assert_eq!(d, vec![(DecodeDefect::InvalidBase64Char, Some(4))]);
    }

    #[test]
    fn data_after_padding() {
        let (out, d) = both(b"Zg==Zm8=");
        assert_eq!(out, b"ffo");
        assert_eq!(d, vec![(DecodeDefect::Base64DataAfterPadding, Some(4))]);
        let (out, d) = both(b"Zm8===");
        assert_eq!(out, b"fo");
        assert_eq!(d, vec![(DecodeDefect::Base64MisplacedPadding, Some(4))]);
        let (out, d) = both(b"=Zm8=");
        assert_eq!(out, b"fo");
        assert_eq!(d, vec![(DecodeDefect::Base64MisplacedPadding, Some(0))]);
    }

    #[test]
    fn long_lines_and_odd_widths() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for width in [4, 8, 60, 64, 72, 76, 100, 200] {
            let mut enc = Vec::new();
            encode_lines(&data, width, &mut enc);
            let (out, d) = both(&enc);
            assert_eq!(out, data, "width {width}");
            assert!(d.is_empty());
            let lf: Vec<u8> = enc.iter().copied().filter(|&b| b != b'\r').collect();
            let (out, d) = both(&lf);
            assert_eq!(out, data, "LF width {width}");
            assert!(d.is_empty());
        }
        // odd width (not a multiple of 4): re-wrap the 76-col output at 75
        let mut enc = Vec::new();
        encode_lines(&data, 76, &mut enc);
        let flat: Vec<u8> = enc
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        let mut odd = Vec::new();
        for l in flat.chunks(75) {
            odd.extend_from_slice(l);
            odd.extend_from_slice(b"\r\n");
        }
        let (out, d) = both(&odd);
        assert_eq!(out, data);
        assert!(d.is_empty());
    }

    /// Irregular bytes at many positions of a long body (across the scalar path's staging
    /// buffer and the SIMD blocks): every kernel, whole and byte by byte, agrees, and the
    /// valid characters are all decoded.
    #[test]
    fn irregular_bytes_anywhere_in_long_bodies() {
        let data: Vec<u8> = (0..6000u32).map(|i| (i * 13 + i / 7) as u8).collect();
        let mut enc = Vec::new();
        encode_lines(&data, 76, &mut enc);
        let (clean, d) = both(&enc);
        assert_eq!(clean, data);
        assert!(d.is_empty());
        for pos in [0, 1, 77, 78, 2100, 2653, 2654, 4000, enc.len() - 3] {
            for junk in [b'*', b'=', b' ', b'\n'] {
                let mut e = enc.clone();
                e.insert(pos, junk);
                let (out, d) = both(&e);
                if junk == b' ' || junk == b'\n' {
                    assert_eq!(out, data, "{pos} {junk}");
                    assert!(d.is_empty());
                } else if junk == b'*' {
                    assert_eq!(out, data, "{pos} {junk}");
                    assert_eq!(d, vec![(DecodeDefect::InvalidBase64Char, Some(pos))]);
                } else {
                    assert!(!d.is_empty(), "{pos}");
                }
            }
        }
        // The scalar-only entry point gives the same answer.
        assert_eq!(decode_scalar(&enc), (data, Vec::new()));
    }

    #[test]
    fn streaming_encoder_matches_whole() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31) as u8).collect();
        let mut whole = Vec::new();
        encode_mime(&data, &mut whole);
        for split in [1, 2, 56, 57, 58, 100] {
            let mut e = Base64Encoder::new(76);
            let mut out = Vec::new();
            for c in data.chunks(split) {
                e.encode(c, &mut out);
            }
            e.finish(&mut out);
            assert_eq!(out, whole, "split {split}");
        }
    }
}
