//! Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3).
//!
//! ```
//! use correo_imap::utf7;
//! assert_eq!(utf7::encode("Entwürfe"), "Entw&APw-rfe");
//! assert_eq!(utf7::decode(b"Entw&APw-rfe").as_deref(), Some("Entwürfe"));
//! assert_eq!(utf7::encode("a&b"), "a&-b");
//! ```

use std::borrow::Cow;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

fn flush(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut n = 0u32;
    for u in units.drain(..) {
        bits = (bits << 16) | u32::from(u);
        n += 16;
        while n >= 6 {
            n -= 6;
            out.push(char::from(ALPHABET[((bits >> n) & 63) as usize]));
        }
        bits &= (1 << n) - 1;
    }
    if n > 0 {
        out.push(char::from(ALPHABET[((bits << (6 - n)) & 63) as usize]));
    }
    out.push('-');
}

/// Encodes a Unicode mailbox name in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut units = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut units, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut units, &mut out);
    out
}

/// Decodes a modified UTF-7 mailbox name. `None` if it is not valid modified UTF-7
/// (8-bit bytes, bad base64, unpaired surrogates, non-zero padding bits, or a shift
/// sequence that encodes printable ASCII).
pub fn decode(raw: &[u8]) -> Option<Cow<'_, str>> {
    if !raw.contains(&b'&') {
        return if raw.iter().all(|b| (0x20..0x7f).contains(b)) {
            std::str::from_utf8(raw).ok().map(Cow::Borrowed)
        } else {
            None
        };
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        if !(0x20..0x7f).contains(&c) {
            return None;
        }
        if c != b'&' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let rest = raw.get(i + 1..)?;
        let end = rest.iter().position(|&b| b == b'-')?;
        if end == 0 {
            out.push('&');
            i += 2;
            continue;
        }
        let mut bits: u32 = 0;
        let mut n = 0u32;
        let mut units = Vec::new();
        for &b in rest.get(..end)? {
            bits = (bits << 6) | value(b)?;
            n += 6;
            if n >= 16 {
                n -= 16;
                units.push(((bits >> n) & 0xffff) as u16);
                bits &= (1 << n) - 1;
            }
        }
        if n >= 6 || bits != 0 {
            return None;
        }
        for r in char::decode_utf16(units.iter().copied()) {
            let ch = r.ok()?;
            if (' '..='~').contains(&ch) {
                return None;
            }
            out.push(ch);
        }
        i += end + 2;
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3501_example() {
        // RFC 3501 5.1.3: "~peter/mail/台北/日本語"
        let s = "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}";
        assert_eq!(encode(s), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(
            decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(),
            Some(s)
        );
        assert_eq!(decode(b"&Jjo!"), None);
        assert_eq!(
            decode(b"&U,BTFw-&ZeVnLIqe-").as_deref(),
            Some("\u{53f0}\u{5317}\u{65e5}\u{672c}\u{8a9e}")
        );
        assert_eq!(
            decode(b"&AGE-"),
            None,
            "printable ASCII must not be encoded"
        );
        assert_eq!(decode("Entwürfe".as_bytes()), None);
    }

    proptest! {
        #[test]
        fn round_trip(s in "\\PC{0,20}") {
            let e = encode(&s);
            prop_assert!(e.is_ascii());
            let d = decode(e.as_bytes());
            prop_assert_eq!(d.as_deref(), Some(s.as_str()));
        }
    }
}
