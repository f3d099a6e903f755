//! RFC 2047 encoded words: decoding.

use std::borrow::Cow;

use memchr::memmem;

use crate::defect::Defect;

use super::HeaderDefect;
use super::lex::{bytes_to_text, is_wsp};

/// One parsed encoded word `=?charset*lang?E?text?=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EncodedWord<'a> {
    /// The charset label (language suffix removed).
    pub(crate) charset: &'a [u8],
    /// `b'B'` or `b'Q'` (upper case).
    pub(crate) encoding: u8,
    /// The encoded text.
    pub(crate) text: &'a [u8],
    /// Length of the whole word in the input.
    pub(crate) len: usize,
}

/// Longest encoded text searched for the closing `?=`.
const MAX_WORD_SCAN: usize = 512;

/// Parses an encoded word at the start of `s` (which must start with `=?`).
pub(crate) fn parse_word(s: &[u8]) -> Option<EncodedWord<'_>> {
    let body = s.strip_prefix(b"=?")?;
    let q1 = body.iter().take(80).position(|&b| b == b'?')?;
    let charset_full = body.get(..q1)?;
    if charset_full.is_empty() || charset_full.iter().any(|&b| is_wsp(b) || b == b'=') {
        return None;
    }
    let charset = match charset_full.iter().position(|&b| b == b'*') {
        Some(star) => charset_full.get(..star)?,
        None => charset_full,
    };
    let encoding = body.get(q1 + 1)?.to_ascii_uppercase();
    if encoding != b'B' && encoding != b'Q' {
        return None;
    }
    if body.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let rest = body.get(text_start..)?;
    // Encoded words are at most 75 characters (RFC 2047); tolerate much longer ones, but
    // bound the search so junk full of `=?` stays linear.
    let window = rest.get(..MAX_WORD_SCAN).unwrap_or(rest);
    let end = memmem::find(window, b"?=")?;
    let text = rest.get(..end)?;
    if text.iter().any(|&b| is_wsp(b)) {
        return None;
    }
    Some(EncodedWord {
        charset,
        encoding,
        text,
        len: 2 + text_start + end + 2,
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

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

/// Decodes base64 leniently (padding optional, unpadded tails decoded). `None` when a
/// character outside the alphabet appears before the padding.
pub(crate) fn decode_b(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut acc = 0u32;
    let mut n = 0u32;
    for &b in text {
        if b == b'=' {
            break;
        }
        acc = (acc << 6) | b64_value(b)?;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    Some(())
}

/// Decodes RFC 2047 Q encoding (`_` is a space; malformed `=` escapes kept literally).
pub(crate) fn decode_q(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                if let (Some(h), Some(l)) = (
                    text.get(i + 1).copied().and_then(hex),
                    text.get(i + 2).copied().and_then(hex),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                out.push(b'=');
            }
            _ => out.push(b),
        }
        i += 1;
    }
}

/// Decodes the bytes of a word (or several joined words) from `charset` to text.
/// Returns whether the charset was known.
pub(crate) fn decode_charset(charset: &[u8], bytes: &[u8], out: &mut String) -> bool {
    let label = String::from_utf8_lossy(charset);
    let (text, defect) = crate::charset::decode_text(Some(&label), bytes);
    out.push_str(&text);
    defect != Some(crate::charset::CharsetDefect::UnknownCharset)
}

/// Decodes the RFC 2047 encoded words in unstructured text (an unfolded header value).
///
/// Adjacent encoded words separated only by whitespace are joined (the whitespace is
/// dropped) and, when they share a charset, their bytes are joined before decoding, so a
/// character split across two words survives. Malformed words are kept as they are. Raw
/// UTF-8 (RFC 6532) is kept; other 8-bit bytes are read as windows-1252.
pub fn decode_unstructured(input: &[u8]) -> Cow<'_, str> {
    decode_unstructured_impl(input, None)
}

/// [`decode_unstructured`], also returning what was wrong (offsets into `input`).
pub fn decode_unstructured_with_defects(input: &[u8]) -> (Cow<'_, str>, Vec<Defect>) {
    let mut defects = Vec::new();
    let text = decode_unstructured_impl(input, Some(&mut defects));
    (text, defects)
}

/// The next `=?` at or after `from`.
#[inline]
pub(crate) fn find_ew_start(input: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + memchr::memchr(b'=', input.get(at..)?)?;
        if input.get(i + 1) == Some(&b'?') {
            return Some(i);
        }
        at = i + 1;
    }
}

fn push_plain(out: &mut String, bytes: &[u8], at: usize, defects: &mut Option<&mut Vec<Defect>>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => {
            if let Some(d) = defects.as_deref_mut() {
                d.push(Defect::at(HeaderDefect::InvalidUtf8, at));
            }
            out.push_str(&bytes_to_text(bytes));
        }
    }
}

fn decode_unstructured_impl<'a>(
    input: &'a [u8],
    mut defects: Option<&mut Vec<Defect>>,
) -> Cow<'a, str> {
    let Some(first) = find_ew_start(input, 0) else {
        if let Ok(s) = std::str::from_utf8(input) {
            return Cow::Borrowed(s);
        }
        if let Some(d) = defects.as_deref_mut() {
            d.push(Defect::at(HeaderDefect::InvalidUtf8, 0));
        }
        return bytes_to_text(input);
    };
    let mut out = String::with_capacity(input.len());
    // Bytes of consecutive words with the same charset, not yet converted to text.
    let mut pending: Option<(&[u8], Vec<u8>, usize)> = None;
    let mut plain_start = 0usize;
    let mut last_word_end: Option<usize> = None;
    let mut search = first;
    let flush = |out: &mut String,
                 pending: &mut Option<(&[u8], Vec<u8>, usize)>,
                 defects: &mut Option<&mut Vec<Defect>>| {
        if let Some((cs, bytes, at)) = pending.take() {
            if !decode_charset(cs, &bytes, out) {
                if let Some(d) = defects.as_deref_mut() {
                    d.push(Defect::at(HeaderDefect::UnknownCharset, at));
                }
            }
        }
    };
    while let Some(j) = find_ew_start(input, search) {
        let Some(word) = input.get(j..).and_then(parse_word) else {
            if let Some(d) = defects.as_deref_mut() {
                d.push(Defect::at(HeaderDefect::InvalidEncodedWord, j));
            }
            search = j + 2;
            continue;
        };
        let mut bytes = Vec::with_capacity(word.text.len());
        let ok = if word.encoding == b'B' {
            decode_b(word.text, &mut bytes).is_some()
        } else {
            decode_q(word.text, &mut bytes);
            true
        };
        if !ok {
            if let Some(d) = defects.as_deref_mut() {
                d.push(Defect::at(HeaderDefect::InvalidEncodedWord, j));
            }
            search = j + 2;
            continue;
        }
        let between = input.get(plain_start..j).unwrap_or_default();
        let adjacent = last_word_end == Some(plain_start) && between.iter().all(|&b| is_wsp(b));
        if !adjacent {
            flush(&mut out, &mut pending, &mut defects);
            push_plain(&mut out, between, plain_start, &mut defects);
            let separated = between.last().is_none_or(|&b| is_wsp(b));
            let after_word =
                last_word_end == Some(plain_start) && between.first().is_some_and(|&b| !is_wsp(b));
            if !separated || after_word {
                if let Some(d) = defects.as_deref_mut() {
                    d.push(Defect::at(HeaderDefect::EncodedWordNotSeparated, j));
                }
            }
        }
        match &mut pending {
            Some((cs, buf, _)) if cs.eq_ignore_ascii_case(word.charset) => buf.extend(bytes),
            _ => {
                flush(&mut out, &mut pending, &mut defects);
                pending = Some((word.charset, bytes, j));
            }
        }
        plain_start = j + word.len;
        last_word_end = Some(plain_start);
        search = plain_start;
    }
    flush(&mut out, &mut pending, &mut defects);
    let rest = input.get(plain_start..).unwrap_or_default();
    if last_word_end == Some(plain_start) && rest.first().is_some_and(|&b| !is_wsp(b)) {
        if let Some(d) = defects.as_deref_mut() {
            d.push(Defect::at(
                HeaderDefect::EncodedWordNotSeparated,
                plain_start,
            ));
        }
    }
    push_plain(&mut out, rest, plain_start, &mut defects);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        decode_unstructured(s.as_bytes()).into_owned()
    }

    #[test]
    fn rfc2047_section8_examples() {
        assert_eq!(d("(=?ISO-8859-1?Q?a?=)"), "(a)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(d("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");
        assert_eq!(
            d(
                "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="
            ),
            "If you can read this you understand the example."
        );
        assert_eq!(d("=?US-ASCII?Q?Keith_Moore?="), "Keith Moore");
        assert_eq!(d("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
    }

    #[test]
    fn joins_split_characters_and_keeps_bad_words() {
        // "é" split across two words.
        assert_eq!(d("=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?="), "café");
        assert_eq!(d("=?utf-8*en?B?w6k=?="), "é");
        assert_eq!(d("=?utf-8?B?w6k?="), "é");
        assert_eq!(d("a =?utf-8?X?abc?= b"), "a =?utf-8?X?abc?= b");
        assert_eq!(d("=?utf-8?Q?a b?="), "=?utf-8?Q?a b?=");
        assert_eq!(d("=?utf-8?B?!!!?="), "=?utf-8?B?!!!?=");
        assert_eq!(d("plain é text"), "plain é text");
        // Raw Latin-1 from an old client: read as windows-1252, flagged.
        let (t, defects) = decode_unstructured_with_defects(b"caf\xe9 cr\xe8me");
        assert_eq!(t, "café crème");
        assert_eq!(defects[0].kind, HeaderDefect::InvalidUtf8.into());
        let (t, defects) = decode_unstructured_with_defects(b"x=?utf-8?Q?a?=y");
        assert_eq!(t, "xay");
        assert_eq!(defects.len(), 2);
        let (t, defects) = decode_unstructured_with_defects(b"=?x-nope?Q?a?=");
        assert_eq!(t, "a");
        assert_eq!(defects[0].kind, HeaderDefect::UnknownCharset.into());
    }
}
