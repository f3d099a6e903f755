//! xtext (RFC 3461 section 4), the encoding of DSN parameters such as `ORCPT` and `ENVID`.
//!
//! ```text
//! xtext   = *( xchar / hexchar )
//! xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "="
//! hexchar = "+" 2(DIGIT / "A" / "B" / "C" / "D" / "E" / "F")
//! ```
//!
//! The encoder emits upper-case hex, as the grammar requires. The decoder also accepts
//! lower-case hex digits, which some senders produce.
//!
//! ```
//! use correo_wire::xtext;
//!
//! let encoded = xtext::encode(b"rfc822;a+b=c@example.org");
//! assert_eq!(encoded, "rfc822;a+2Bb+3Dc@example.org");
//! assert_eq!(xtext::decode(encoded.as_bytes()).unwrap(), &b"rfc822;a+b=c@example.org"[..]);
//! ```

use std::borrow::Cow;

/// Why an xtext string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum XtextError {
    /// A byte that may not appear in xtext (outside `!`..=`~`, or a bare `=`).
    #[error("invalid xtext byte 0x{byte:02X} at offset {offset}")]
    InvalidByte {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A `+` not followed by two hex digits.
    #[error("bad hexchar escape at offset {offset}: '+' must be followed by two hex digits")]
    BadEscape {
        /// Offset of the `+`.
        offset: usize,
    },
}

impl XtextError {
    /// Offset of the fault in the input.
    pub fn offset(&self) -> usize {
        match *self {
            XtextError::InvalidByte { offset, .. } | XtextError::BadEscape { offset } => offset,
        }
    }
}

/// Whether `b` may appear unescaped in xtext.
pub const fn is_xchar(b: u8) -> bool {
    matches!(b, b'!'..=b'~') && b != b'+' && b != b'='
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Encodes `input` as xtext. Borrows when nothing needs escaping.
pub fn encode(input: &[u8]) -> Cow<'_, str> {
    let Some(first) = input.iter().position(|&b| !is_xchar(b)) else {
        // All xchar: ASCII, so valid UTF-8.
        return match std::str::from_utf8(input) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(String::new()),
        };
    };
    let mut out = String::with_capacity(input.len() + 16);
    let (head, tail) = input.split_at(first);
    encode_into(head, &mut out);
    encode_into(tail, &mut out);
    Cow::Owned(out)
}

/// Appends the xtext encoding of `input` to `out`.
pub fn encode_into(input: &[u8], out: &mut String) {
    for &b in input {
        if is_xchar(b) {
            out.push(char::from(b));
        } else {
            out.push('+');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes xtext. Borrows when there is no `+` escape.
pub fn decode(input: &[u8]) -> Result<Cow<'_, [u8]>, XtextError> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'+' {
            let value = input
                .get(i + 1)
                .and_then(|&h| hex_value(h))
                .zip(input.get(i + 2).and_then(|&l| hex_value(l)))
                .map(|(h, l)| (h << 4) | l)
                .ok_or(XtextError::BadEscape { offset: i })?;
            out.get_or_insert_with(|| {
                let mut v = Vec::with_capacity(input.len());
                v.extend_from_slice(input.get(..i).unwrap_or_default());
                v
            })
            .push(value);
            i += 3;
        } else if is_xchar(b) {
            if let Some(v) = out.as_mut() {
                v.push(b);
            }
            i += 1;
        } else {
            return Err(XtextError::InvalidByte { offset: i, byte: b });
        }
    }
    Ok(match out {
        Some(v) => Cow::Owned(v),
        None => Cow::Borrowed(input),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_specials() {
        assert_eq!(encode(b"a b+c=d\xff"), "a+20b+2Bc+3Dd+FF");
        assert!(matches!(encode(b"plain"), Cow::Borrowed("plain")));
        assert_eq!(encode(b""), "");
    }

    #[test]
    fn decodes_and_reports_offsets() {
        assert_eq!(decode(b"a+20b").unwrap(), &b"a b"[..]);
        assert_eq!(decode(b"a+2b").unwrap(), &b"a+"[..]);
        assert!(matches!(decode(b"abc").unwrap(), Cow::Borrowed(_)));
        assert_eq!(decode(b"ab+2"), Err(XtextError::BadEscape { offset: 2 }));
        assert_eq!(decode(b"ab+G0"), Err(XtextError::BadEscape { offset: 2 }));
        assert_eq!(
            decode(b"a=b"),
            Err(XtextError::InvalidByte {
                offset: 1,
                byte: b'='
            })
        );
        assert_eq!(
            decode(b"a b"),
            Err(XtextError::InvalidByte {
                offset: 1,
                byte: b' '
            })
        );
    }
}
