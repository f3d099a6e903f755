//! Charsets: text in any charset a message declares, to Unicode.
//!
//! [`decode_text`] understands every WHATWG encoding label (through encoding_rs), the
//! aliases mail software writes (`utf8`, `latin-1`, `cp936`, `ks_c_5601-1987`, ...),
//! US-ASCII, and UTF-7 (RFC 2152, which encoding_rs does not have). It borrows whenever the
//! bytes are already valid UTF-8 in a compatible charset, and never fails: malformed
//! sequences become U+FFFD and an unknown charset is read as UTF-8, each with a
//! [`CharsetDefect`].
//!
//! ```
//! use std::borrow::Cow;
//! use correo_mime::charset::{decode_text, CharsetDefect};
//!
//! let (s, d) = decode_text(Some("ISO-8859-1"), b"caf\xe9");
//! assert_eq!(s, "café");
//! assert_eq!(d, None);
//! let (s, _) = decode_text(Some("utf-8"), b"plain");
//! assert!(matches!(s, Cow::Borrowed("plain")));
//! let (s, _) = decode_text(Some("utf-7"), b"Hi Mom -+Jjo--!");
//! assert_eq!(s, "Hi Mom -\u{263a}-!");
//! let (s, d) = decode_text(Some("x-klingon"), b"qapla'");
//! assert_eq!((&*s, d), ("qapla'", Some(CharsetDefect::UnknownCharset)));
//! ```

use std::borrow::Cow;

use encoding_rs::{DecoderResult, Encoding};

mod utf7;

pub use utf7::{decode_utf7, encode_utf7};

/// A defect met while decoding text from its charset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharsetDefect {
    /// The charset label is not known (or not supported); the text was read as UTF-8,
    /// with replacement characters where it is not.
    UnknownCharset,
    /// A byte sequence was malformed in the declared charset and replaced by U+FFFD;
    /// `offset` is where the first one starts.
    MalformedSequence {
        /// Byte offset of the first malformed sequence in the input.
        offset: usize,
    },
    /// Text declared (or defaulted to) US-ASCII contains 8-bit bytes; it was read as UTF-8
    /// when valid, else as windows-1252.
    EightBitInAscii,
}

impl std::fmt::Display for CharsetDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CharsetDefect::UnknownCharset => f.write_str("unknown charset, read as UTF-8"),
            CharsetDefect::MalformedSequence { offset } => {
                write!(f, "malformed sequence at byte {offset} replaced")
            }
            CharsetDefect::EightBitInAscii => f.write_str("8-bit bytes in US-ASCII text"),
        }
    }
}

/// A charset resolved from its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// US-ASCII (and its aliases).
    Ascii,
    /// UTF-7 (RFC 2152).
    Utf7,
    /// `unknown-8bit` / `x-unknown`: bytes of no declared charset (RFC 1428).
    Unknown8Bit,
    /// An encoding handled by encoding_rs.
    Encoding(&'static Encoding),
}

impl Charset {
    /// Resolves a charset label: case-insensitive, surrounding whitespace and quotes
    /// ignored. `None` when the label is not known or its encoding is not supported (the
    /// WHATWG "replacement" encodings such as ISO-2022-KR).
    pub fn for_label(label: &str) -> Option<Charset> {
        let l = label.trim().trim_matches('"').trim();
        // Lower-case into a stack buffer: no allocation for the labels mail really uses.
        // Every known label is short; a long one is unknown.
        let mut buf = [0u8; 48];
        let dst = buf.get_mut(..l.len())?;
        dst.copy_from_slice(l.as_bytes());
        dst.make_ascii_lowercase();
        let l = std::str::from_utf8(dst).ok()?;
        let by_name = |name: &str| Encoding::for_label(name.as_bytes()).map(Charset::Encoding);
        match l {
            "us-ascii" | "ascii" | "ansi_x3.4-1968" | "ansi_x3.4-1986" | "ansi-x3.4-1968"
            | "ansi-x3.4-1986" | "iso646-us" | "us" | "cp367" | "ibm367" | "csascii"
            | "iso-ir-6" | "iso_646.irv:1991" | "646" | "iso-646" => {
                return Some(Charset::Ascii);
            }
            "utf-7" | "utf7" | "unicode-1-1-utf-7" | "csunicode11utf7" | "x-utf-7" => {
                return Some(Charset::Utf7);
            }
            "unknown-8bit" | "x-unknown" | "unknown" | "8bit" | "x-unknown-8bit" => {
                return Some(Charset::Unknown8Bit);
            }
            "utf_8" | "utf-8n" | "x-utf-8" => return by_name("utf-8"),
            "cp936" | "ms936" | "windows-936" | "euc-cn" | "x-euc-cn" | "gb_2312" => {
                return by_name("gbk");
            }
            "cp949" | "ms949" | "uhc" | "ks_c_5601" | "ks_c_5601-1989" => return by_name("euc-kr"),
            "cp932" | "ms932" | "x-ms-cp932" | "shift-jis" | "x-shift-jis" => {
                return by_name("shift_jis");
            }
            "cp874" | "ms874" => return by_name("windows-874"),
            "cp950" | "ms950" | "big-5" => return by_name("big5"),
            "cp20866" => return by_name("koi8-r"),
            "cp21866" => return by_name("koi8-u"),
            "cp28591" => return by_name("iso-8859-1"),
            "cp65001" => return by_name("utf-8"),
            _ => {}
        }
        // `latin-1`, `iso 8859-2`, `iso8859_15`, `windows1252` spellings.
        let enc = Encoding::for_label(l.as_bytes()).or_else(|| {
            let alt = l.replace(['_', ' '], "-");
            Encoding::for_label(alt.as_bytes())
                .or_else(|| {
                    alt.strip_prefix("latin-")
                        .and_then(|n| Encoding::for_label(format!("latin{n}").as_bytes()))
                })
                .or_else(|| {
                    alt.strip_prefix("windows").and_then(|n| {
                        Encoding::for_label(
                            format!("windows-{}", n.trim_start_matches('-')).as_bytes(),
                        )
                    })
                })
                .or_else(|| {
                    alt.strip_prefix("iso8859-")
                        .and_then(|n| Encoding::for_label(format!("iso-8859-{n}").as_bytes()))
                })
        })?;
        if enc == encoding_rs::REPLACEMENT {
            return None;
        }
        Some(Charset::Encoding(enc))
    }
}

/// Decodes `bytes` declared in `charset` (`None`: the RFC 2045 default, US-ASCII) to
/// Unicode. Never fails: see the module documentation for what happens to bad input.
/// Borrows when the bytes are valid UTF-8 and the charset is UTF-8, or ASCII in an
/// ASCII-compatible charset.
pub fn decode_text<'a>(
    charset: Option<&str>,
    bytes: &'a [u8],
) -> (Cow<'a, str>, Option<CharsetDefect>) {
    let cs = match charset {
        None => Charset::Ascii,
        Some(label) => match Charset::for_label(label) {
            Some(cs) => cs,
            None => {
                let (s, _) = decode_utf8(bytes);
                return (s, Some(CharsetDefect::UnknownCharset));
            }
        },
    };
    match cs {
        Charset::Ascii => {
            if bytes.is_ascii() {
                (Cow::Borrowed(ascii_str(bytes)), None)
            } else {
                (guess_8bit(bytes), Some(CharsetDefect::EightBitInAscii))
            }
        }
        Charset::Unknown8Bit => {
            if bytes.is_ascii() {
                (Cow::Borrowed(ascii_str(bytes)), None)
            } else {
                let valid = std::str::from_utf8(bytes).is_ok();
                (
                    guess_8bit(bytes),
                    (!valid).then_some(CharsetDefect::UnknownCharset),
                )
            }
        }
        Charset::Utf7 => {
            let (s, err) = decode_utf7(bytes);
            (
                s,
                err.map(|offset| CharsetDefect::MalformedSequence { offset }),
            )
        }
        Charset::Encoding(enc) if enc == encoding_rs::UTF_8 => decode_utf8(bytes),
        Charset::Encoding(enc) => {
            if enc.is_ascii_compatible() && enc != encoding_rs::ISO_2022_JP && bytes.is_ascii() {
                return (Cow::Borrowed(ascii_str(bytes)), None);
            }
            let (s, had_errors) = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                // Sniff a BOM: `utf-16` in mail is usually big-endian with a BOM.
                let (s, _, e) = enc.decode(bytes);
                (s, e)
            } else {
                enc.decode_without_bom_handling(bytes)
            };
            let defect = had_errors.then(|| CharsetDefect::MalformedSequence {
                offset: first_error(enc, bytes),
            });
            (s, defect)
        }
    }
}

/// The bytes as `&str`; only called on ASCII input (which is valid UTF-8).
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn decode_utf8(bytes: &[u8]) -> (Cow<'_, str>, Option<CharsetDefect>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), None),
        Err(e) => (
            String::from_utf8_lossy(bytes),
            Some(CharsetDefect::MalformedSequence {
                offset: e.valid_up_to(),
            }),
        ),
    }
}

/// 8-bit text of no trustworthy charset: UTF-8 when it is valid UTF-8, else windows-1252
/// (which maps every byte, so nothing is lost).
fn guess_8bit(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// Offset of the first malformed sequence of `bytes` in `enc` (0 when not found).
fn first_error(enc: &'static Encoding, bytes: &[u8]) -> usize {
    let mut dec = enc.new_decoder_without_bom_handling();
    let Some(cap) = dec.max_utf8_buffer_length_without_replacement(bytes.len()) else {
        return 0;
    };
    let mut s = String::with_capacity(cap);
    match dec.decode_to_string_without_replacement(bytes, &mut s, true) {
        (DecoderResult::Malformed(bad, after), read) => read
            .saturating_sub(usize::from(after))
            .saturating_sub(usize::from(bad)),
        _ => 0,
    }
}

/// Encodes `text` in `charset`, for the builder. `None` when the charset is unknown or a
/// character cannot be represented in it (use UTF-8 then).
///
/// ```
/// use correo_mime::charset::encode_text;
///
/// assert_eq!(encode_text("iso-8859-1", "café").as_deref(), Some(&b"caf\xe9"[..]));
/// assert_eq!(encode_text("us-ascii", "café"), None);
/// assert_eq!(encode_text("utf-7", "1 + 1").as_deref(), Some(&b"1 +- 1"[..]));
/// ```
pub fn encode_text<'a>(charset: &str, text: &'a str) -> Option<Cow<'a, [u8]>> {
    match Charset::for_label(charset)? {
        Charset::Ascii | Charset::Unknown8Bit => {
            text.is_ascii().then_some(Cow::Borrowed(text.as_bytes()))
        }
        Charset::Utf7 => Some(Cow::Owned(encode_utf7(text).into_bytes())),
        Charset::Encoding(enc) => {
            if enc == encoding_rs::UTF_8 {
                return Some(Cow::Borrowed(text.as_bytes()));
            }
            // encoding_rs encodes UTF-16 labels as UTF-8 (WHATWG); refuse rather than lie.
            if enc.output_encoding() != enc {
                return None;
            }
            let (bytes, _, unmappable) = enc.encode(text);
            (!unmappable).then_some(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_aliases() {
        for (label, name) in [
            ("utf8", "UTF-8"),
            ("UTF-8", "UTF-8"),
            ("latin1", "windows-1252"),
            ("latin-1", "windows-1252"),
            ("Latin-2", "ISO-8859-2"),
            ("cp1252", "windows-1252"),
            ("windows1251", "windows-1251"),
            ("iso_8859-15", "ISO-8859-15"),
            ("iso 8859-7", "ISO-8859-7"),
            ("ks_c_5601-1987", "EUC-KR"),
            ("cp936", "GBK"),
            ("gb2312", "GBK"),
            ("\"koi8-r\"", "KOI8-R"),
            ("shift-jis", "Shift_JIS"),
            ("iso-2022-jp", "ISO-2022-JP"),
        ] {
            match Charset::for_label(label) {
                Some(Charset::Encoding(e)) => assert_eq!(e.name(), name, "{label}"),
                other => panic!("{label}: {other:?}"),
            }
        }
        assert_eq!(Charset::for_label("US-ASCII"), Some(Charset::Ascii));
        assert_eq!(Charset::for_label("UTF-7"), Some(Charset::Utf7));
        assert_eq!(Charset::for_label("x-unknown"), Some(Charset::Unknown8Bit));
        assert_eq!(Charset::for_label("iso-2022-kr"), None);
        assert_eq!(Charset::for_label("bogus"), None);
        assert_eq!(Charset::for_label(&"x".repeat(100)), None);
        assert_eq!(
            Charset::for_label(" Utf-8 "),
            Some(Charset::Encoding(encoding_rs::UTF_8))
        );
    }

    #[test]
    fn borrowing() {
        assert!(matches!(
            decode_text(Some("utf-8"), "é".as_bytes()).0,
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            decode_text(Some("iso-8859-1"), b"abc").0,
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            decode_text(None, b"abc"),
            (Cow::Borrowed("abc"), None)
        ));
        assert!(matches!(
            decode_text(Some("iso-8859-1"), b"\xe9").0,
            Cow::Owned(_)
        ));
        // ISO-2022-JP is not ASCII-compatible in the escape sense, but ASCII input is ASCII.
        let (s, d) = decode_text(Some("iso-2022-jp"), b"\x1b$B$3$s\x1b(B");
        assert_eq!((&*s, d), ("こん", None));
    }

    #[test]
    fn malformed_and_unknown() {
        let (s, d) = decode_text(Some("utf-8"), b"ab\xffc");
        assert_eq!(s, "ab\u{fffd}c");
        assert_eq!(d, Some(CharsetDefect::MalformedSequence { offset: 2 }));
        let (s, d) = decode_text(Some("shift_jis"), b"a\x82\xa0\x82");
        assert!(s.starts_with('a'));
        assert!(s.ends_with('\u{fffd}'));
        assert!(matches!(d, Some(CharsetDefect::MalformedSequence { .. })));
        let (s, d) = decode_text(Some("x-nope"), b"a\xffb");
        assert_eq!(
            (&*s, d),
            ("a\u{fffd}b", Some(CharsetDefect::UnknownCharset))
        );
        let (s, d) = decode_text(None, "é".as_bytes());
        assert_eq!((&*s, d), ("é", Some(CharsetDefect::EightBitInAscii)));
        let (s, d) = decode_text(Some("us-ascii"), b"\xe9");
        assert_eq!((&*s, d), ("é", Some(CharsetDefect::EightBitInAscii)));
        let (s, d) = decode_text(Some("unknown-8bit"), b"\xe9");
        assert_eq!((&*s, d), ("é", Some(CharsetDefect::UnknownCharset)));
    }

    #[test]
    fn utf16_with_bom() {
        let (s, d) = decode_text(Some("utf-16"), b"\xfe\xff\x00h\x00i");
        assert_eq!((&*s, d), ("hi", None));
        let (s, d) = decode_text(Some("utf-16le"), b"h\x00i\x00");
        assert_eq!((&*s, d), ("hi", None));
    }

    #[test]
    fn encoder() {
        assert_eq!(encode_text("utf-8", "é").as_deref(), Some("é".as_bytes()));
        assert_eq!(encode_text("utf-16", "é"), None);
        assert_eq!(encode_text("bogus", "a"), None);
        assert_eq!(encode_text("iso-8859-1", "日"), None);
    }
}
