//! UTF-7 (RFC 2152), which encoding_rs does not implement.

use std::borrow::Cow;

fn b64_value(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes UTF-7. Returns the text and the offset of the first malformed sequence, if any
/// (bytes >= 0x80, lone surrogates, non-zero or overlong leftover bits at the end of a
/// base64 run), each replaced by U+FFFD. Borrows when the input has no `+` and is ASCII.
///
/// ```
/// use correo_mime::charset::decode_utf7;
///
/// assert_eq!(decode_utf7(b"A+ImIDkQ.").0, "A\u{2262}\u{391}.");
/// assert_eq!(decode_utf7(b"1 +- 1").0, "1 + 1");
/// ```
pub fn decode_utf7(bytes: &[u8]) -> (Cow<'_, str>, Option<usize>) {
    if bytes.is_ascii() && !bytes.contains(&b'+') {
        return (
            Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default()),
            None,
        );
    }
    let mut out = String::with_capacity(bytes.len());
    let mut err: Option<usize> = None;
    let mut mark = |off: usize, out: &mut String| {
        out.push('\u{fffd}');
        if err.is_none() {
            err = Some(off);
        }
    };
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'+' {
            if bytes.get(i + 1) == Some(&b'-') {
                out.push('+');
                i += 2;
                continue;
            }
            // A base64 run of UTF-16 code units.
            let start = i;
            i += 1;
            let mut acc: u32 = 0;
            let mut nbits = 0u32;
            let mut high: Option<u16> = None;
            while let Some(v) = bytes.get(i).and_then(|&c| b64_value(c)) {
                acc = (acc << 6) | v;
                nbits += 6;
                i += 1;
                if nbits >= 16 {
                    nbits -= 16;
                    let unit = (acc >> nbits) as u16;
                    acc &= (1 << nbits) - 1;
                    match (high.take(), unit) {
                        (Some(h), 0xDC00..=0xDFFF) => {
                            let c = 0x10000
                                + ((u32::from(h) - 0xD800) << 10)
                                + (u32::from(unit) - 0xDC00);
                            out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                        }
                        (h, _) => {
                            if h.is_some() {
                                mark(i - 1, &mut out);
                            }
                            match unit {
                                0xD800..=0xDBFF => high = Some(unit),
                                0xDC00..=0xDFFF => mark(i - 1, &mut out),
                                _ => {
                                    out.push(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'));
                                }
                            }
                        }
                    }
                }
            }
            if high.is_some() || nbits >= 6 || acc != 0 {
                mark(start, &mut out);
            }
            if bytes.get(i) == Some(&b'-') {
                i += 1;
            }
        } else if b.is_ascii() {
            out.push(char::from(b));
            i += 1;
        } else {
            mark(i, &mut out);
            i += 1;
        }
    }
    (Cow::Owned(out), err)
}

/// Characters written directly (RFC 2152 Set D, plus space, tab, CR, LF).
fn direct(c: char) -> bool {
    c.is_ascii_alphanumeric() || "'(),-./:? \t\r\n".contains(c)
}

/// Encodes text as UTF-7: Set D characters, space, tab, CR and LF directly, `+` as `+-`,
/// everything else as base64 runs of UTF-16, each closed with `-`.
///
/// ```
/// use correo_mime::charset::encode_utf7;
///
/// assert_eq!(encode_utf7("Hi Mom -☺-!"), "Hi Mom -+Jjo--+ACE-");
/// ```
pub fn encode_utf7(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut units: Vec<u16> = Vec::new();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        if units.is_empty() {
            return;
        }
        out.push('+');
        let mut acc: u32 = 0;
        let mut nbits = 0;
        for &u in units.iter() {
            acc = (acc << 16) | u32::from(u);
            nbits += 16;
            while nbits >= 6 {
                nbits -= 6;
                out.push(char::from(B64[((acc >> nbits) & 63) as usize]));
            }
            acc &= (1 << nbits) - 1;
        }
        if nbits > 0 {
            out.push(char::from(B64[((acc << (6 - nbits)) & 63) as usize]));
        }
        out.push('-');
        units.clear();
    };
    for c in text.chars() {
        if direct(c) {
            flush(&mut units, &mut out);
            out.push(c);
        } else if c == '+' {
            flush(&mut units, &mut out);
            out.push_str("+-");
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut units, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2152_examples() {
        assert_eq!(decode_utf7(b"A+ImIDkQ.").0, "A\u{2262}\u{391}.");
        assert_eq!(decode_utf7(b"Hi Mom -+Jjo--!").0, "Hi Mom -\u{263a}-!");
        assert_eq!(decode_utf7(b"+ZeVnLIqe-").0, "\u{65e5}\u{672c}\u{8a9e}");
        assert_eq!(decode_utf7(b"Item 3 is +AKM-1.").0, "Item 3 is \u{a3}1.");
        // surrogate pair (U+1F600)
        assert_eq!(encode_utf7("\u{1f600}"), "+2D3eAA-");
        assert_eq!(
            decode_utf7(b"+2D3eAA-"),
            (Cow::Owned("\u{1f600}".into()), None)
        );
    }

    #[test]
    fn malformed() {
        // lone high surrogate
        let (s, e) = decode_utf7(b"a+2D0-b");
        assert_eq!(s, "a\u{fffd}b");
        assert_eq!(e, Some(1));
        // 8-bit byte
        let (s, e) = decode_utf7(b"a\xe9");
        assert_eq!((&*s, e), ("a\u{fffd}", Some(1)));
        // non-zero leftover bits
        let (_, e) = decode_utf7(b"+AKN-");
        assert_eq!(e, Some(0));
    }

    #[test]
    fn round_trip() {
        for s in [
            "",
            "plain",
            "a+b",
            "日本語 text",
            "\u{1f600}\u{1f601} x",
            "~\\!",
        ] {
            assert_eq!(
                decode_utf7(encode_utf7(s).as_bytes()),
                (Cow::Borrowed(s), None),
                "{s}"
            );
        }
    }
}
