//! The encoding side: RFC 2047 encoded words, display names, RFC 2231 parameters, message
//! ids and folding, for the message builder. Strict in what it emits; a CR or LF in any
//! value is an error (header injection), never passed through.

use std::fmt::Write as _;

use super::address::{Address, Mailbox, is_atext, is_blank, is_dot_atom, quote};
use super::params::is_token_char;

/// Why a header value could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The value contains a CR or LF (header injection), at this byte offset.
    #[error("line break in header value at byte {offset}")]
    LineBreak {
        /// Byte offset of the CR or LF in the value.
        offset: usize,
    },
    /// The field name is empty or has characters a field name cannot have.
    #[error("invalid header field name")]
    InvalidFieldName,
    /// A parameter name is empty or has characters a parameter name cannot have.
    #[error("invalid parameter name")]
    InvalidParamName,
    /// An address has non-ASCII characters and UTF-8 headers (SMTPUTF8) are not allowed.
    #[error("non-ASCII address needs SMTPUTF8")]
    NonAsciiAddress,
    /// A line would be longer than the 998-octet limit and has no place to fold.
    #[error("header line longer than 998 octets")]
    LineTooLong,
}

/// Maximum length of one encoded word (RFC 2047 section 2).
const MAX_WORD: usize = 75;
/// Preferred line length (RFC 5322 section 2.1.1).
pub const FOLD_WIDTH: usize = 78;
/// Hard line length limit, excluding CRLF.
pub const MAX_LINE: usize = 998;

fn check_line_breaks(s: &str) -> Result<(), EncodeError> {
    match s.bytes().position(|b| b == b'\r' || b == b'\n') {
        Some(offset) => Err(EncodeError::LineBreak { offset }),
        None => Ok(()),
    }
}

/// Characters that may appear literally in a Q-encoded word in any context (the
/// RFC 2047 section 5(3) set, which is also safe in phrases and comments).
fn q_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!*+-/".contains(&b)
}

fn q_len(s: &str) -> usize {
    s.bytes()
        .map(|b| if q_safe(b) || b == b' ' { 1 } else { 3 })
        .sum()
}

fn b_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Encodes `s` as one or more `utf-8` encoded words (B or Q, whichever is shorter), each
/// at most 75 characters, never splitting a character; words are separated by a space.
pub fn encode_words(s: &str) -> String {
    let mut out = String::new();
    const PREFIX: usize = "=?utf-8?Q?".len() + "?=".len();
    let room = MAX_WORD - PREFIX;
    let use_q = q_len(s) <= b_len(s.len());
    let mut chunk_start = 0;
    let mut chunk_len = 0;
    let emit = |out: &mut String, piece: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        if use_q {
            out.push_str("=?utf-8?Q?");
            for b in piece.bytes() {
                if q_safe(b) {
                    out.push(b as char);
                } else if b == b' ' {
                    out.push('_');
                } else {
                    let _ = write!(out, "={b:02X}");
                }
            }
        } else {
            out.push_str("=?utf-8?B?");
            b64(piece.as_bytes(), out);
        }
        out.push_str("?=");
    };
    for (i, ch) in s.char_indices() {
        let n = ch.len_utf8();
        let cost = if use_q {
            let mut buf = [0u8; 4];
            q_len(ch.encode_utf8(&mut buf))
        } else {
            n
        };
        let fits = if use_q {
            chunk_len + cost <= room
        } else {
            b_len(chunk_len + cost) <= room
        };
        if !fits && i > chunk_start {
            emit(&mut out, s.get(chunk_start..i).unwrap_or_default());
            chunk_start = i;
            chunk_len = 0;
        }
        chunk_len += cost;
    }
    if chunk_start < s.len() || out.is_empty() {
        emit(&mut out, s.get(chunk_start..).unwrap_or_default());
    }
    out
}

fn b64(bytes: &[u8], out: &mut String) {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |v: u32| T.get((v & 63) as usize).copied().unwrap_or(b'A') as char;
    for c in bytes.chunks(3) {
        let b0 = u32::from(c.first().copied().unwrap_or(0));
        let b1 = u32::from(c.get(1).copied().unwrap_or(0));
        let b2 = u32::from(c.get(2).copied().unwrap_or(0));
        let v = (b0 << 16) | (b1 << 8) | b2;
        out.push(sym(v >> 18));
        out.push(sym(v >> 12));
        out.push(if c.len() > 1 { sym(v >> 6) } else { '=' });
        out.push(if c.len() > 2 { sym(v) } else { '=' });
    }
}

fn needs_encoding(word: &str, utf8: bool) -> bool {
    word.contains("=?")
        || word.len() > MAX_LINE - 100
        || word
            .bytes()
            .any(|b| b < 0x20 || b == 0x7f || (!utf8 && b >= 0x80))
}

/// Encodes unstructured text (`Subject`, comments of other fields) for a header: words
/// that need it become RFC 2047 encoded words (UTF-8, B or Q, whichever is shorter), the
/// rest is left as it is. With `utf8` (RFC 6532, SMTPUTF8), non-ASCII text stays raw.
/// The result is not folded; see [`fold`].
///
/// Decoding the result ([`decode_unstructured`](super::decode_unstructured) after
/// unfolding) gives back `text` exactly.
pub fn encode_unstructured(text: &str, utf8: bool) -> Result<String, EncodeError> {
    check_line_breaks(text)?;
    // Split into (whitespace, word) pairs.
    let mut pieces: Vec<(&str, &str)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let ws_end = rest
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(rest.len());
        let (ws, tail) = rest.split_at(ws_end);
        let w_end = tail.find([' ', '\t']).unwrap_or(tail.len());
        let (word, tail) = tail.split_at(w_end);
        pieces.push((ws, word));
        rest = tail;
    }
    let flags: Vec<bool> = pieces
        .iter()
        .enumerate()
        .map(|(k, (ws, w))| needs_encoding(w, utf8) || (k == 0 && !ws.is_empty()))
        .collect();
    if !flags.contains(&true) {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut k = 0;
    while let Some(&(ws, word)) = pieces.get(k) {
        if !flags.get(k).copied().unwrap_or(false) {
            out.push_str(ws);
            out.push_str(word);
            k += 1;
            continue;
        }
        // A run of words to encode, with the whitespace between them (which decoders
        // drop between adjacent encoded words) inside the encoded text.
        let mut run = String::new();
        if k == 0 {
            run.push_str(ws);
        } else {
            out.push_str(ws);
        }
        run.push_str(word);
        k += 1;
        while let (Some(&(ws2, w2)), Some(true)) = (pieces.get(k), flags.get(k).copied()) {
            run.push_str(ws2);
            run.push_str(w2);
            k += 1;
        }
        // Trailing whitespace at the very end stays encoded too (it would be fragile).
        if k + 1 == pieces.len() && pieces.get(k).is_some_and(|(_, w)| w.is_empty()) {
            if let Some(&(ws2, _)) = pieces.get(k) {
                run.push_str(ws2);
                k += 1;
            }
        }
        out.push_str(&encode_words(&run));
    }
    Ok(out)
}

/// Encodes a display name: as atoms when it is plain words, as a quoted string when it
/// is printable ASCII (or UTF-8 with `utf8`), else as RFC 2047 encoded words.
pub fn encode_phrase(name: &str, utf8: bool) -> Result<String, EncodeError> {
    check_line_breaks(name)?;
    let plain_words = !name.is_empty()
        && name
            .split(' ')
            .all(|w| !w.is_empty() && w.bytes().all(|b| is_atext(b) && (utf8 || b < 0x80)));
    if plain_words && !name.contains("=?") {
        return Ok(name.to_owned());
    }
    let quotable = !name.contains("=?")
        && name
            .bytes()
            .all(|b| (b == b'\t' || (0x20..0x7f).contains(&b)) || (utf8 && b >= 0x80));
    if quotable {
        return Ok(quote(name));
    }
    Ok(encode_words(name))
}

/// Encodes a mailbox: `Name <local@domain>` or `local@domain`.
pub fn encode_mailbox(m: &Mailbox<'_>, utf8: bool) -> Result<String, EncodeError> {
    check_line_breaks(&m.local)?;
    check_line_breaks(&m.domain)?;
    if !utf8 && (!m.local.is_ascii() || !m.domain.is_ascii()) {
        return Err(EncodeError::NonAsciiAddress);
    }
    let local = if is_dot_atom(&m.local) {
        m.local.to_string()
    } else {
        quote(&m.local)
    };
    let addr = if m.domain.is_empty() {
        local
    } else {
        format!("{local}@{}", m.domain)
    };
    match m.name.as_deref() {
        Some(n) if !is_blank(n) => Ok(format!("{} <{addr}>", encode_phrase(n, utf8)?)),
        _ if m.local.is_empty() && m.domain.is_empty() => Ok("<>".to_owned()),
        _ => Ok(addr),
    }
}

/// Encodes an address list, `, `-separated (groups as `Name: a, b;`).
pub fn encode_address_list(list: &[Address<'_>], utf8: bool) -> Result<String, EncodeError> {
    let mut out = String::new();
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match a {
            Address::Mailbox(m) => out.push_str(&encode_mailbox(m, utf8)?),
            Address::Group(g) => {
                out.push_str(&encode_phrase(&g.name, utf8)?);
                out.push(':');
                for (j, m) in g.members.iter().enumerate() {
                    out.push_str(if j == 0 { " " } else { ", " });
                    out.push_str(&encode_mailbox(m, utf8)?);
                }
                out.push(';');
            }
        }
    }
    Ok(out)
}

/// A message id in angle brackets (`id` given without them).
pub fn encode_msg_id(id: &str) -> Result<String, EncodeError> {
    check_line_breaks(id)?;
    Ok(format!("<{id}>"))
}

fn check_param_name(name: &str) -> Result<(), EncodeError> {
    check_line_breaks(name)?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| is_token_char(b) && b != b'*' && b != b'\'' && b != b'%')
    {
        return Err(EncodeError::InvalidParamName);
    }
    Ok(())
}

fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// Encodes one parameter for `Content-Type`/`Content-Disposition`, without the leading
/// `; `: `name=token`, `name="quoted"`, or RFC 2231 `name*=utf-8''%XX..` (split into
/// `name*0*=...; name*1*=...` sections of at most about 60 characters when long).
pub fn encode_param(name: &str, value: &str) -> Result<String, EncodeError> {
    check_line_breaks(value)?;
    check_param_name(name)?;
    if !value.is_empty() && value.len() <= 60 && value.bytes().all(is_token_char) {
        return Ok(format!("{name}={value}"));
    }
    if value.len() <= 60
        && value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        && !value.contains("=?")
    {
        return Ok(format!("{name}={}", quote(value)));
    }
    // RFC 2231 extended value, in sections that never split a %XX escape or a character.
    let mut sections: Vec<String> = Vec::new();
    let mut cur = String::from("utf-8''");
    for ch in value.chars() {
        let mut buf = [0u8; 4];
        let mut piece = String::new();
        for &b in ch.encode_utf8(&mut buf).as_bytes() {
            if attr_char(b) {
                piece.push(b as char);
            } else {
                let _ = write!(piece, "%{b:02X}");
            }
        }
        if cur.len() + piece.len() > 60 && !cur.is_empty() && cur != "utf-8''" {
            sections.push(std::mem::take(&mut cur));
        }
        cur.push_str(&piece);
    }
    sections.push(cur);
    if let [only] = sections.as_slice() {
        return Ok(format!("{name}*={only}"));
    }
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let _ = write!(out, "{name}*{i}*={s}");
    }
    Ok(out)
}

/// Encodes a parameter the way old mail clients read it: `name="=?utf-8?...?="` (RFC 2047
/// inside a quoted string, not standard but widely understood) when it is not plain ASCII.
pub fn encode_param_rfc2047(name: &str, value: &str) -> Result<String, EncodeError> {
    check_line_breaks(value)?;
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?") {
        return encode_param(name, value);
    }
    check_param_name(name)?;
    Ok(format!("{name}=\"{}\"", encode_words(value)))
}

/// Whether `name` is a valid field name (printable ASCII except `:`, non-empty).
pub fn is_valid_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// Writes a whole field, `Name: value` folded at 78 columns (at whitespace only; never a
/// line of only whitespace), ending with CRLF. `value` must already be encoded. Errors on
/// CR/LF in the value, an invalid name, or a line that cannot be made to fit 998 octets.
pub fn fold(name: &str, value: &str) -> Result<String, EncodeError> {
    let mut out = Vec::with_capacity(name.len() + value.len() + 8);
    fold_into(&mut out, name, value)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// [`fold`], appending to `out`.
pub fn fold_into(out: &mut Vec<u8>, name: &str, value: &str) -> Result<(), EncodeError> {
    if !is_valid_field_name(name) {
        return Err(EncodeError::InvalidFieldName);
    }
    check_line_breaks(value)?;
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    let mut col = name.len() + 1;
    // The space after the colon is a place to fold too (before a long first word).
    let spaced;
    let v = if value.starts_with([' ', '\t']) || value.is_empty() {
        value.as_bytes()
    } else {
        spaced = format!(" {value}");
        spaced.as_bytes()
    };
    // Chunks start at a whitespace byte followed by a non-whitespace byte.
    let is_ws = |b: u8| b == b' ' || b == b'\t';
    let mut start = 0;
    let mut i = 1;
    let push_chunk =
        |out: &mut Vec<u8>, chunk: &[u8], col: &mut usize| -> Result<(), EncodeError> {
            if *col + chunk.len() > FOLD_WIDTH && chunk.first().is_some_and(|&b| is_ws(b)) {
                out.extend_from_slice(b"\r\n");
                *col = 0;
            }
            out.extend_from_slice(chunk);
            *col += chunk.len();
            if *col > MAX_LINE {
                return Err(EncodeError::LineTooLong);
            }
            Ok(())
        };
    while i < v.len() {
        if v.get(i).copied().is_some_and(is_ws) && v.get(i + 1).is_some_and(|&b| !is_ws(b)) {
            push_chunk(out, v.get(start..i).unwrap_or_default(), &mut col)?;
            start = i;
        }
        i += 1;
    }
    push_chunk(out, v.get(start..).unwrap_or_default(), &mut col)?;
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{decode_unstructured, parse_block};

    fn round(text: &str) -> String {
        let enc = encode_unstructured(text, false).unwrap();
        let field = fold("Subject", &enc).unwrap();
        for line in field.split("\r\n") {
            assert!(line.len() <= FOLD_WIDTH || !line.contains(' '), "{line:?}");
            assert!(line.is_empty() || !line.trim().is_empty(), "{field:?}");
        }
        let b = parse_block(field.as_bytes());
        b.fields[0].text().into_owned()
    }

    #[test]
    fn unstructured() {
        assert_eq!(
            encode_unstructured("Hello world", false).unwrap(),
            "Hello world"
        );
        assert_eq!(
            encode_unstructured("café", false).unwrap(),
            "=?utf-8?B?Y2Fmw6k=?="
        );
        assert_eq!(
            encode_unstructured("a café au lait", false).unwrap(),
            "a =?utf-8?B?Y2Fmw6k=?= au lait"
        );
        assert_eq!(
            encode_unstructured("日本語", false).unwrap(),
            "=?utf-8?B?5pel5pys6Kqe?="
        );
        assert_eq!(encode_unstructured("日本語", true).unwrap(), "日本語");
        assert_eq!(
            encode_unstructured("x\r\nBcc: evil@x", false),
            Err(EncodeError::LineBreak { offset: 1 })
        );
        for t in [
            "café crème brûlée",
            " leading space",
            "trailing é ",
            "=?utf-8?Q?x?= literal",
            "tab\tand  spaces",
            &"é".repeat(200),
            &"long words ".repeat(30),
            "",
            "   ",
        ] {
            assert_eq!(round(t), t);
        }
        let w = encode_words(&"ü".repeat(100));
        assert!(w.split(' ').all(|x| x.len() <= 75));
        assert_eq!(decode_unstructured(w.as_bytes()), "ü".repeat(100));
    }

    #[test]
    fn phrases_and_mailboxes() {
        assert_eq!(encode_phrase("John Smith", false).unwrap(), "John Smith");
        assert_eq!(
            encode_phrase("Smith, John", false).unwrap(),
            "\"Smith, John\""
        );
        assert_eq!(encode_phrase("a \"b\"", false).unwrap(), "\"a \\\"b\\\"\"");
        assert_eq!(
            encode_phrase("José", false).unwrap(),
            "=?utf-8?B?Sm9zw6k=?="
        );
        let m = Mailbox::new(Some("José"), "jose", "example.es");
        assert_eq!(
            encode_mailbox(&m, false).unwrap(),
            "=?utf-8?B?Sm9zw6k=?= <jose@example.es>"
        );
        let m = Mailbox::new(None::<&str>, "john doe", "x");
        assert_eq!(encode_mailbox(&m, false).unwrap(), "\"john doe\"@x");
        let m = Mailbox::new(None::<&str>, "jösé", "x");
        assert_eq!(encode_mailbox(&m, false), Err(EncodeError::NonAsciiAddress));
        assert_eq!(encode_mailbox(&m, true).unwrap(), "jösé@x");
    }

    #[test]
    fn params() {
        assert_eq!(encode_param("charset", "utf-8").unwrap(), "charset=utf-8");
        assert_eq!(
            encode_param("filename", "a b.txt").unwrap(),
            "filename=\"a b.txt\""
        );
        assert_eq!(
            encode_param("filename", "café.txt").unwrap(),
            "filename*=utf-8''caf%C3%A9.txt"
        );
        let long = "ñ".repeat(40);
        let enc = encode_param("filename", &long).unwrap();
        assert!(enc.starts_with("filename*0*=utf-8''%C3%B1"));
        assert!(enc.contains("; filename*1*=%C3%B1"));
        let v = format!("attachment; {enc}");
        let ct = crate::header::ContentDisposition::parse(v.as_bytes());
        assert_eq!(ct.filename().as_deref(), Some(long.as_str()));
        assert_eq!(
            encode_param_rfc2047("name", "é").unwrap(),
            "name=\"=?utf-8?B?w6k=?=\""
        );
    }

    #[test]
    fn folding() {
        let v = "word ".repeat(40);
        let f = fold("Subject", v.trim_end()).unwrap();
        assert!(f.ends_with("\r\n"));
        for line in f.trim_end().split("\r\n") {
            assert!(line.len() <= 78, "{line:?}");
        }
        assert_eq!(fold("X", "a    b").unwrap(), "X: a    b\r\n");
        assert_eq!(fold("Bad Name", "x"), Err(EncodeError::InvalidFieldName));
        assert_eq!(fold("X", "a\nb"), Err(EncodeError::LineBreak { offset: 1 }));
        assert_eq!(fold("X", &"a".repeat(1000)), Err(EncodeError::LineTooLong));
        assert_eq!(fold("X", "").unwrap(), "X:\r\n");
    }
}
