//! Body transfer encodings: streaming decoders, and the encoders the builder uses.
//!
//! [`BodyDecoder`] undoes a `Content-Transfer-Encoding` on bytes fed in any split (one byte
//! at a time gives the same output and the same defects as the whole body at once).
//! [`decode_body`] does the same for a whole body in memory, borrowing when nothing needs
//! undoing (7bit, 8bit, binary).
//!
//! Decoders are liberal, and never silent about it: every repair (a character outside the
//! base64 alphabet skipped, an unpadded tail decoded, an invalid `=XY` kept literally) is
//! recorded as a [`Defect`] whose offset is relative to the first byte of the body.
//!
//! ```
//! use correo_mime::decode::{BodyDecoder, TransferEncoding};
//!
//! let enc = TransferEncoding::parse(b" Base64 ");
//! let mut dec = BodyDecoder::new(&enc);
//! let mut out = Vec::new();
//! dec.decode(b"aGVsbG8g\r\nd29y", &mut out);
//! dec.decode(b"bGQ", &mut out); // unpadded tail
//! dec.finish(&mut out);
//! assert_eq!(out, b"hello world");
//! assert_eq!(dec.take_defects().len(), 1); // the missing padding is flagged
//! ```

use std::borrow::Cow;

use crate::defect::Defect;

pub mod base64;
mod choose;
pub mod qp;
pub mod uu;

pub use choose::choose_encoding;

/// The default cap on defects recorded per body (see [`BodyDecoder::set_max_defects`]).
pub const DEFAULT_MAX_DEFECTS: usize = 64;

/// A defect in a transfer-encoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeDefect {
    /// One or more adjacent characters outside the base64 alphabet were skipped.
    InvalidBase64Char,
    /// The base64 body ended in the middle of a quantum without `=` padding (or with too
    /// little of it); the complete bytes of the tail were decoded.
    Base64MissingPadding,
    /// The base64 body ended with a single sextet, which carries no whole byte: 6 bits lost.
    Base64TruncatedQuantum,
    /// A `=` appeared where padding cannot be (at the start of a quantum, or after one
    /// sextet); it was skipped.
    Base64MisplacedPadding,
    /// Base64 data continued after `=` padding; it was decoded as a new quantum.
    Base64DataAfterPadding,
    /// A `=` in quoted-printable was not followed by two hex digits or a line break; it was
    /// kept literally.
    QpInvalidEscape,
    /// The uuencoded body had no `begin` line; nothing was decoded.
    UuMissingBegin,
    /// The uuencoded body ended without an `end` line.
    UuMissingEnd,
    /// A uuencoded line was malformed (bad length or character); its valid part was used.
    UuInvalidLine,
    /// Text outside the `begin`/`end` block of a uuencoded body was skipped.
    UuTextOutsideBlock,
    /// A line was longer than the decoder's limit; it was passed through undecoded.
    LineTooLong,
    /// The transfer encoding is not known; the body was passed through undecoded.
    UnknownEncoding,
    /// More defects than the configured cap were found; the rest were not recorded.
    TooManyDefects,
}

impl std::fmt::Display for DecodeDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            DecodeDefect::InvalidBase64Char => "character outside the base64 alphabet skipped",
            DecodeDefect::Base64MissingPadding => "base64 tail without padding",
            DecodeDefect::Base64TruncatedQuantum => "base64 ended with a lone sextet",
            DecodeDefect::Base64MisplacedPadding => "base64 padding where it cannot be",
            DecodeDefect::Base64DataAfterPadding => "base64 data after padding",
            DecodeDefect::QpInvalidEscape => "invalid quoted-printable escape kept literally",
            DecodeDefect::UuMissingBegin => "uuencoded body without a begin line",
            DecodeDefect::UuMissingEnd => "uuencoded body without an end line",
            DecodeDefect::UuInvalidLine => "malformed uuencoded line",
            DecodeDefect::UuTextOutsideBlock => "text outside the uuencoded block",
            DecodeDefect::LineTooLong => "line too long for the decoder",
            DecodeDefect::UnknownEncoding => "unknown transfer encoding, body passed through",
            DecodeDefect::TooManyDefects => "too many defects, the rest not recorded",
        };
        f.write_str(s)
    }
}

/// A `Content-Transfer-Encoding` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransferEncoding {
    /// `7bit` (also the default when the header is absent).
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// `x-uuencode`, `x-uue`, `uuencode`, `uue`.
    UuEncode,
    /// Anything else, lower-cased and trimmed as written.
    Other(String),
}

impl TransferEncoding {
    /// Parses a `Content-Transfer-Encoding` field value: surrounding whitespace, quotes and
    /// a trailing comment are ignored, case does not matter. An empty value is `7bit`.
    pub fn parse(value: &[u8]) -> TransferEncoding {
        let mut v = value.trim_ascii();
        // A trailing `(comment)` or `;` junk as some mailers write it.
        if let Some(p) = v.iter().position(|&b| b == b'(' || b == b';') {
            v = v.get(..p).unwrap_or(v).trim_ascii();
        }
        if v.len() >= 2 && v.first() == Some(&b'"') && v.last() == Some(&b'"') {
            v = v.get(1..v.len() - 1).unwrap_or(v).trim_ascii();
        }
        let eq = |s: &str| v.eq_ignore_ascii_case(s.as_bytes());
        if v.is_empty() || eq("7bit") {
            TransferEncoding::SevenBit
        } else if eq("8bit") {
            TransferEncoding::EightBit
        } else if eq("binary") {
            TransferEncoding::Binary
        } else if eq("quoted-printable") {
            TransferEncoding::QuotedPrintable
        } else if eq("base64") {
            TransferEncoding::Base64
        } else if eq("x-uuencode") || eq("x-uue") || eq("uuencode") || eq("uue") {
            TransferEncoding::UuEncode
        } else {
            TransferEncoding::Other(String::from_utf8_lossy(v).to_ascii_lowercase())
        }
    }

    /// The canonical name, as written in a `Content-Transfer-Encoding` field.
    pub fn as_str(&self) -> &str {
        match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::EightBit => "8bit",
            TransferEncoding::Binary => "binary",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Base64 => "base64",
            TransferEncoding::UuEncode => "x-uuencode",
            TransferEncoding::Other(s) => s,
        }
    }

    /// True for the encodings that leave the bytes as they are (7bit, 8bit, binary).
    pub fn is_identity(&self) -> bool {
        matches!(
            self,
            TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary
        )
    }
}

impl std::fmt::Display for TransferEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bounded list of defects: past the cap, one [`DecodeDefect::TooManyDefects`] is added
/// and the rest are dropped, so a body of garbage cannot grow memory without bound.
#[derive(Debug, Clone)]
pub(crate) struct Defects {
    list: Vec<Defect>,
    max: usize,
    overflowed: bool,
}

impl Defects {
    pub(crate) fn new() -> Self {
        Defects {
            list: Vec::new(),
            max: DEFAULT_MAX_DEFECTS,
            overflowed: false,
        }
    }

    pub(crate) fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    pub(crate) fn push(&mut self, kind: DecodeDefect, offset: usize) {
        if self.list.len() < self.max {
            self.list.push(Defect::at(kind, offset));
        } else if !self.overflowed {
            self.overflowed = true;
            self.list
                .push(Defect::at(DecodeDefect::TooManyDefects, offset));
        }
    }

    pub(crate) fn take(&mut self) -> Vec<Defect> {
        std::mem::take(&mut self.list)
    }
}

#[derive(Debug, Clone)]
enum Inner {
    Identity,
    Base64(base64::Base64Decoder),
    Qp(qp::QpDecoder),
    Uu(uu::UuDecoder),
}

/// A streaming decoder for one body's transfer encoding.
///
/// Feed it the encoded body in any split with [`decode`](Self::decode), then call
/// [`finish`](Self::finish) once. Output and defects do not depend on how the input was
/// split. Memory held between calls is bounded (a few bytes for base64 and
/// quoted-printable, one line for uuencode).
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    inner: Inner,
    /// Defects of the identity/unknown path (the other decoders keep their own).
    defects: Defects,
    pos: usize,
    unknown: bool,
}

impl BodyDecoder {
    /// A decoder for `enc`. Unknown encodings pass the body through and record
    /// [`DecodeDefect::UnknownEncoding`].
    pub fn new(enc: &TransferEncoding) -> Self {
        let (inner, unknown) = match enc {
            TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary => {
                (Inner::Identity, false)
            }
            TransferEncoding::Base64 => (Inner::Base64(base64::Base64Decoder::new()), false),
            TransferEncoding::QuotedPrintable => (Inner::Qp(qp::QpDecoder::new()), false),
            TransferEncoding::UuEncode => (Inner::Uu(uu::UuDecoder::new()), false),
            TransferEncoding::Other(_) => (Inner::Identity, true),
        };
        let mut defects = Defects::new();
        if unknown {
            defects.push(DecodeDefect::UnknownEncoding, 0);
        }
        BodyDecoder {
            inner,
            defects,
            pos: 0,
            unknown,
        }
    }

    /// Caps the number of defects recorded for this body (default
    /// [`DEFAULT_MAX_DEFECTS`]); past it one [`DecodeDefect::TooManyDefects`] is recorded.
    pub fn set_max_defects(&mut self, max: usize) {
        self.defects.set_max(max);
        match &mut self.inner {
            Inner::Identity => {}
            Inner::Base64(d) => d.set_max_defects(max),
            Inner::Qp(d) => d.set_max_defects(max),
            Inner::Uu(d) => d.set_max_defects(max),
        }
    }

    /// Decodes `input` (the next bytes of the body, any split) and appends the decoded
    /// bytes to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match &mut self.inner {
            Inner::Identity => out.extend_from_slice(input),
            Inner::Base64(d) => d.decode(input, out),
            Inner::Qp(d) => d.decode(input, out),
            Inner::Uu(d) => d.decode(input, out),
        }
        self.pos = self.pos.saturating_add(input.len());
    }

    /// Ends the body: flushes whatever the decoder still holds (an unpadded base64 tail,
    /// a pending quoted-printable escape, a last uuencoded line) into `out`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match &mut self.inner {
            Inner::Identity => {}
            Inner::Base64(d) => d.finish(out),
            Inner::Qp(d) => d.finish(out),
            Inner::Uu(d) => d.finish(out),
        }
    }

    /// Returns (and forgets) the defects found so far, with offsets relative to the first
    /// byte of the body.
    pub fn take_defects(&mut self) -> Vec<Defect> {
        let mut v = self.defects.take();
        match &mut self.inner {
            Inner::Identity => {}
            Inner::Base64(d) => v.extend(d.take_defects()),
            Inner::Qp(d) => v.extend(d.take_defects()),
            Inner::Uu(d) => v.extend(d.take_defects()),
        }
        v
    }

    /// True when the encoding was not recognised (the body is passed through).
    pub fn is_unknown_encoding(&self) -> bool {
        self.unknown
    }
}

/// Decodes a whole body. 7bit, 8bit and binary bodies (and unknown encodings, with a
/// defect) are borrowed; the others are decoded into a new buffer.
pub fn decode_body<'a>(enc: &TransferEncoding, input: &'a [u8]) -> (Cow<'a, [u8]>, Vec<Defect>) {
    match enc {
        TransferEncoding::SevenBit | TransferEncoding::EightBit | TransferEncoding::Binary => {
            (Cow::Borrowed(input), Vec::new())
        }
        TransferEncoding::Other(_) => (
            Cow::Borrowed(input),
            vec![Defect::at(DecodeDefect::UnknownEncoding, 0)],
        ),
        _ => {
            let mut dec = BodyDecoder::new(enc);
            // base64 shrinks by a quarter; the SIMD kernels want some slack past the end.
            let cap = if *enc == TransferEncoding::Base64 {
                input.len() / 4 * 3 + 128
            } else {
                input.len()
            };
            let mut out = Vec::with_capacity(cap);
            dec.decode(input, &mut out);
            dec.finish(&mut out);
            (Cow::Owned(out), dec.take_defects())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_encodings() {
        assert_eq!(
            TransferEncoding::parse(b" BASE64\r\n"),
            TransferEncoding::Base64
        );
        assert_eq!(
            TransferEncoding::parse(b"Quoted-Printable"),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(TransferEncoding::parse(b""), TransferEncoding::SevenBit);
        assert_eq!(
            TransferEncoding::parse(b"\"8bit\""),
            TransferEncoding::EightBit
        );
        assert_eq!(
            TransferEncoding::parse(b"7bit (plain)"),
            TransferEncoding::SevenBit
        );
        assert_eq!(
            TransferEncoding::parse(b"x-uue"),
            TransferEncoding::UuEncode
        );
        assert_eq!(
            TransferEncoding::parse(b"X-UUENCODE"),
            TransferEncoding::UuEncode
        );
        assert_eq!(TransferEncoding::parse(b"binary"), TransferEncoding::Binary);
        assert_eq!(
            TransferEncoding::parse(b"X-Gzip"),
            TransferEncoding::Other("x-gzip".into())
        );
        assert_eq!(TransferEncoding::Base64.to_string(), "base64");
    }

    #[test]
    fn identity_is_borrowed() {
        let (out, defects) = decode_body(&TransferEncoding::EightBit, b"caf\xc3\xa9");
        assert!(matches!(out, Cow::Borrowed(_)));
        assert!(defects.is_empty());
    }

    #[test]
    fn unknown_passes_through_with_defect() {
        let enc = TransferEncoding::parse(b"x-gzip");
        let (out, defects) = decode_body(&enc, b"abc");
        assert_eq!(&*out, b"abc");
        assert_eq!(defects.len(), 1);
        let mut d = BodyDecoder::new(&enc);
        let mut v = Vec::new();
        d.decode(b"a", &mut v);
        d.decode(b"bc", &mut v);
        d.finish(&mut v);
        assert_eq!(v, b"abc");
        assert_eq!(d.take_defects(), defects);
        assert!(d.is_unknown_encoding());
    }

    #[test]
    fn defect_cap() {
        let mut d = Defects::new();
        d.set_max(2);
        for i in 0..10 {
            d.push(DecodeDefect::InvalidBase64Char, i);
        }
        let v = d.take();
        assert_eq!(v.len(), 3);
        assert_eq!(
            v[2].kind,
            crate::defect::DefectKind::Decode(DecodeDefect::TooManyDefects)
        );
    }
}
