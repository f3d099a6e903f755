//! Header fields: the raw block, unfolding, RFC 2047 decoding, typed grammars, and the
//! encoding side the message builder uses.
//!
//! [`parse_block`] splits a header block into [`RawField`]s without copying: every field
//! keeps its exact bytes (DKIM needs them) and its offset, in original order.
//! [`find_block_end`] / [`BlockScan`] tell a push parser when a block is complete. Typed
//! views are parsed on demand from a field's value:
//!
//! - Unstructured text ([`RawField::text`], [`decode_unstructured`]): RFC 2047 encoded words
//!   (B and Q, adjacent words joined, charsets through [`crate::charset`]) and RFC 6532 UTF-8.
//! - [`ContentType`] and [`ContentDisposition`], with RFC 2045 parameters and RFC 2231
//!   continuations, charsets and languages ([`Params`]); [`filename_of`].
//! - Addresses ([`AddressList`], [`Address`], [`Mailbox`], [`Group`]): RFC 5322 with the
//!   obsolete syntax, and lenient with common junk.
//! - Dates ([`DateTime`]): RFC 5322, obsolete zones, asctime and common broken forms, with a
//!   typed [`DateDefect`] when unreadable.
//! - Message ids ([`parse_msg_ids`]), [`ReturnPath`], [`Received`] with RFC 3848 [`Protocol`]s.
//! - Encoding: [`encode_unstructured`], [`encode_phrase`], [`encode_mailbox`],
//!   [`encode_address_list`], [`encode_param`], [`fold`]; a CR or LF in a value is an
//!   [`EncodeError`], never passed through.
//!
//! Every parser here is total: it never fails and never panics; what was wrong is recorded
//! as a [`HeaderDefect`] with the byte offset where it was found.
//!
//! ```
//! use correo_mime::header::{parse_block, ContentType};
//!
//! let msg = b"Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain;\r\n charset=\"UTF-8\"\r\n\r\nbody";
//! let block = parse_block(msg);
//! assert_eq!(block.fields.len(), 2);
//! assert_eq!(block.get("subject").unwrap().text(), "café");
//! let ct = ContentType::parse(block.get("content-type").unwrap().value);
//! assert_eq!(ct.mime_type(), "text");
//! assert_eq!(ct.charset().as_deref(), Some("UTF-8"));
//! assert_eq!(&msg[block.body_offset..], b"body");
//! ```
//!
//! Typed fields, and encoding for a builder:
//!
//! ```
//! use correo_mime::header::{encode_unstructured, fold, parse_block, AddressList, DateTime};
//!
//! let from = AddressList::parse(b" =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>");
//! let m = from.mailboxes().next().unwrap();
//! assert_eq!((m.name.as_deref(), m.address().as_str()), (Some("André Pirard"), "PIRARD@vm1.ulg.ac.be"));
//!
//! let d = DateTime::parse(b"Sat Nov 23 19:45:03 2024").unwrap(); // asctime: no zone
//! assert_eq!(d.to_rfc3339(), "2024-11-23T19:45:03");
//!
//! let field = fold("Subject", &encode_unstructured("¿Llegan bien?", false).unwrap()).unwrap();
//! assert_eq!(field, "Subject: =?utf-8?Q?=C2=BFLlegan?= bien?\r\n");
//! assert_eq!(parse_block(field.as_bytes()).subject().as_deref(), Some("¿Llegan bien?"));
//! assert!(encode_unstructured("x\r\nBcc: victim@example.com", false).is_err());
//! ```

use std::borrow::Cow;

use crate::defect::Defect;

mod address;
mod date;
mod encode;
mod encoded_word;
mod ids;
pub(crate) mod lex;
mod params;

pub use address::{Address, AddressList, Group, Mailbox, parse_address_list, parse_mailbox};
pub use date::{DateDefect, DateTime};
pub use encode::{
    EncodeError, FOLD_WIDTH, MAX_LINE, encode_address_list, encode_mailbox, encode_msg_id,
    encode_param, encode_param_rfc2047, encode_phrase, encode_unstructured, encode_words, fold,
    fold_into, is_valid_field_name,
};
pub use encoded_word::{decode_unstructured, decode_unstructured_with_defects};
pub use ids::{Protocol, Received, ReturnPath, parse_msg_id, parse_msg_ids};
pub use params::{ContentDisposition, ContentType, Disposition, Param, Params, filename_of};

/// A defect in a header field or header block.
///
/// Offsets (in the [`Defect`] that wraps it) are relative to the slice given to the parser
/// that found it: the whole block for [`parse_block`], the field value for typed parsers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderDefect {
    /// A line in the header block was neither a field nor a continuation (it had no colon,
    /// or its name had characters a field name cannot have); the body was taken to start
    /// at that line, as if the blank line separating header and body were missing.
    MissingColon,
    /// The first line of the block began with whitespace (a continuation of nothing); it
    /// was skipped.
    FirstLineIsContinuation,
    /// A field had an empty name (the line began with a colon).
    EmptyFieldName,
    /// A field name was followed by whitespace before the colon (obsolete syntax).
    WhitespaceBeforeColon,
    /// The block had more fields than the configured limit; the rest were treated as body.
    TooManyFields,
    /// Something that looked like an RFC 2047 encoded word was malformed; kept as-is.
    InvalidEncodedWord,
    /// An RFC 2047 encoded word named a charset that is not known; its bytes were read as
    /// UTF-8 with replacement.
    UnknownCharset,
    /// An RFC 2047 encoded word was not separated from the surrounding text by whitespace
    /// (decoded anyway).
    EncodedWordNotSeparated,
    /// Raw bytes in a header were not valid UTF-8; they were read as windows-1252.
    InvalidUtf8,
    /// A quoted string had no closing quote.
    UnterminatedQuotedString,
    /// A comment had no closing parenthesis.
    UnterminatedComment,
    /// A domain literal had no closing bracket.
    UnterminatedDomainLiteral,
    /// The `Content-Type` value was not `type/subtype`; `text/plain` was assumed.
    InvalidContentType,
    /// The `Content-Disposition` value had no disposition type.
    InvalidDisposition,
    /// A parameter was not introduced by `;`.
    MissingSemicolon,
    /// A parameter had no `=` and value; skipped.
    ParamWithoutValue,
    /// A parameter value had characters that need quoting but was not quoted (kept).
    UnquotedSpecialInParam,
    /// A parameter appeared more than once; the first was kept.
    DuplicateParam,
    /// RFC 2231 continuation sections were missing (a gap in the numbering); the sections
    /// present were joined.
    MissingParamSection,
    /// An RFC 2231 section appeared twice; the first was kept.
    DuplicateParamSection,
    /// An RFC 2231 extended value had a bad `%XX` escape or no `charset'language'` prefix.
    InvalidExtendedValue,
    /// There were more parameters than the limit; the rest were ignored.
    TooManyParams,
    /// Junk after the value that the grammar does not allow; ignored.
    TrailingGarbage,
    /// Addresses were separated by `;` instead of `,` (outside a group).
    UnexpectedSemicolon,
    /// A display name had an unquoted comma (`Doe, John <jd@x>`); joined into one name.
    UnquotedCommaInName,
    /// A group had no closing `;`.
    UnterminatedGroup,
    /// An address had no `@domain`.
    MissingDomain,
    /// A domain had characters or spaces a domain cannot have (kept).
    InvalidDomain,
    /// An angle address had no closing `>`.
    MissingAngleClose,
    /// Angle brackets held no address although a display name was given.
    MissingAddress,
    /// A display name was followed by a bare address without angle brackets (or a
    /// message id had no angle brackets).
    MissingAngleBrackets,
    /// A date could not be read.
    InvalidDate(DateDefect),
}

/// Limits for [`parse_block_with_limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// Most fields in one block; the line where this is exceeded is taken as the body start.
    pub max_fields: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        HeaderLimits { max_fields: 10_000 }
    }
}

/// One header field exactly as it appears in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    /// The field name, without the colon (and without whitespace before it), case kept.
    pub name: &'a [u8],
    /// Everything after the colon up to (excluding) the final line ending; folding kept.
    pub value: &'a [u8],
    /// The whole field including its final line ending (what DKIM signs).
    pub raw: &'a [u8],
    /// Offset of `raw` in the slice given to [`parse_block`].
    pub offset: usize,
}

impl<'a> RawField<'a> {
    /// Whether the field name equals `name`, ASCII case-insensitively.
    pub fn name_eq(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The field name as text (field names are ASCII; anything else is replaced).
    pub fn name_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.name)
    }

    /// The value unfolded: every line ending inside it removed (the whitespace that
    /// follows is kept), leading whitespace trimmed. Borrowed unless the value was folded.
    pub fn unfolded(&self) -> Cow<'a, [u8]> {
        unfold(self.value)
    }

    /// The value as text: unfolded, RFC 2047 encoded words decoded, raw UTF-8 (RFC 6532)
    /// kept; other 8-bit bytes are read as windows-1252. Borrowed when nothing had to change.
    pub fn text(&self) -> Cow<'a, str> {
        match unfold(self.value) {
            Cow::Borrowed(b) => decode_unstructured(b),
            Cow::Owned(v) => Cow::Owned(decode_unstructured(&v).into_owned()),
        }
    }
}

impl<'a> RawField<'a> {
    /// [`text`](Self::text), also returning what was wrong (malformed encoded words,
    /// unknown charsets, raw non-UTF-8 bytes), with offsets into the unfolded value.
    pub fn text_with_defects(&self) -> (Cow<'a, str>, Vec<Defect>) {
        match unfold(self.value) {
            Cow::Borrowed(b) => decode_unstructured_with_defects(b),
            Cow::Owned(v) => {
                let (t, d) = decode_unstructured_with_defects(&v);
                (Cow::Owned(t.into_owned()), d)
            }
        }
    }
}

/// Removes line endings inside a header value (RFC 5322 unfolding) and trims leading
/// whitespace. Borrowed when the value has no line ending.
pub fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    let start = value
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(value.len());
    let value = value.get(start..).unwrap_or_default();
    if memchr::memchr(b'\n', value).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = memchr::memchr(b'\n', rest) {
        let (line, tail) = rest.split_at(i);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(line);
        rest = tail.get(1..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// A parsed header block: the fields in original order and where the body starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlock<'a> {
    /// The fields, in the order they appear.
    pub fields: Vec<RawField<'a>>,
    /// Offset of the first body byte (after the blank line), or the input length when the
    /// block runs to the end of the input.
    pub body_offset: usize,
    /// A leading mbox `From ` envelope line (with its line ending), when the block began
    /// with one; it is not a field.
    pub unix_from: Option<&'a [u8]>,
    /// What was wrong with the block, with offsets into the input.
    pub defects: Vec<Defect>,
}

impl<'a> HeaderBlock<'a> {
    /// The first field named `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&RawField<'a>> {
        self.fields.iter().find(|f| f.name_eq(name))
    }

    /// Every field named `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s RawField<'a>> + 's {
        self.fields.iter().filter(move |f| f.name_eq(name))
    }

    /// The `Subject`, decoded.
    pub fn subject(&self) -> Option<Cow<'a, str>> {
        self.get("subject").map(RawField::text)
    }

    /// The `Date`, parsed.
    pub fn date(&self) -> Option<Result<DateTime, DateDefect>> {
        self.get("date").map(|f| DateTime::parse(f.value))
    }

    /// The addresses of the first field named `name` (`From`, `To`, `Cc`, ...).
    pub fn addresses(&self, name: &str) -> Option<AddressList<'a>> {
        self.get(name).map(|f| parse_address_list(f.value))
    }

    /// The `Message-ID`, without angle brackets.
    pub fn message_id(&self) -> Option<Cow<'a, str>> {
        self.get("message-id").and_then(|f| parse_msg_id(f.value))
    }

    /// The `Content-Type`, parsed (`None` when absent: the caller applies the default
    /// for the context, [`ContentType::text_plain`] or [`ContentType::message_rfc822`]).
    pub fn content_type(&self) -> Option<ContentType<'a>> {
        self.get("content-type")
            .map(|f| ContentType::parse(f.value))
    }

    /// The `Content-Disposition`, parsed.
    pub fn content_disposition(&self) -> Option<ContentDisposition<'a>> {
        self.get("content-disposition")
            .map(|f| ContentDisposition::parse(f.value))
    }

    /// The header bytes: the input up to the body (including the blank line).
    pub fn len(&self) -> usize {
        self.body_offset
    }

    /// Whether the block has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// How a line that does not start with whitespace begins.
enum LineStart {
    /// A field: the name ends at `name_end`, the colon is at `colon`.
    Field { name_end: usize, colon: usize },
    /// An mbox `From ` line.
    UnixFrom,
    /// Not a field: the body starts here.
    NotField,
}

fn classify(line: &[u8]) -> LineStart {
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        if b == b':' {
            return LineStart::Field {
                name_end: i,
                colon: i,
            };
        }
        if !(33..=126).contains(&b) {
            break;
        }
        i += 1;
    }
    let name_end = i;
    if name_end > 0 {
        while let Some(&(b' ' | b'\t')) = line.get(i) {
            i += 1;
        }
        if line.get(i) == Some(&b':') {
            return LineStart::Field { name_end, colon: i };
        }
    }
    if line.starts_with(b"From ") {
        return LineStart::UnixFrom;
    }
    LineStart::NotField
}

#[inline]
fn is_blank_line(input: &[u8], pos: usize) -> Option<usize> {
    match input.get(pos) {
        Some(b'\n') => Some(pos + 1),
        Some(b'\r') if input.get(pos + 1) == Some(&b'\n') => Some(pos + 2),
        _ => None,
    }
}

/// Splits a header block into fields. Never fails: what is wrong is recorded in
/// [`HeaderBlock::defects`]. Accepts CRLF and bare LF line endings.
///
/// The block ends at the first empty line (the body starts after it), at the first line
/// that is not a field (the body starts at it, with [`HeaderDefect::MissingColon`]), or at
/// the end of the input.
pub fn parse_block(input: &[u8]) -> HeaderBlock<'_> {
    parse_block_with_limits(input, &HeaderLimits::default())
}

/// [`parse_block`] with explicit limits.
pub fn parse_block_with_limits<'a>(input: &'a [u8], limits: &HeaderLimits) -> HeaderBlock<'a> {
    let mut block = HeaderBlock {
        fields: Vec::with_capacity(16),
        body_offset: input.len(),
        unix_from: None,
        defects: Vec::new(),
    };
    // (start, name_end, value_start) of the field being collected.
    let mut cur: Option<(usize, usize, usize)> = None;
    let len = input.len();
    let mut pos = 0;
    let finish = |block: &mut HeaderBlock<'a>, cur: Option<(usize, usize, usize)>, end: usize| {
        if let Some((start, name_end, value_start)) = cur {
            let raw = input.get(start..end).unwrap_or_default();
            let mut vend = end;
            if vend > value_start && input.get(vend - 1) == Some(&b'\n') {
                vend -= 1;
                if vend > value_start && input.get(vend - 1) == Some(&b'\r') {
                    vend -= 1;
                }
            }
            block.fields.push(RawField {
                name: input.get(start..name_end).unwrap_or_default(),
                value: input.get(value_start..vend).unwrap_or_default(),
                raw,
                offset: start,
            });
        }
    };
    while pos < len {
        if let Some(after) = is_blank_line(input, pos) {
            finish(&mut block, cur.take(), pos);
            block.body_offset = after;
            return block;
        }
        let line_end = memchr::memchr(b'\n', input.get(pos..).unwrap_or_default())
            .map_or(len, |i| pos + i + 1);
        let line = input.get(pos..line_end).unwrap_or_default();
        match line.first() {
            Some(b' ' | b'\t') => {
                if cur.is_none() {
                    block
                        .defects
                        .push(Defect::at(HeaderDefect::FirstLineIsContinuation, pos));
                }
            }
            _ => match classify(line) {
                LineStart::Field { name_end, colon } => {
                    finish(&mut block, cur.take(), pos);
                    if block.fields.len() >= limits.max_fields {
                        block
                            .defects
                            .push(Defect::at(HeaderDefect::TooManyFields, pos));
                        block.body_offset = pos;
                        return block;
                    }
                    if name_end == 0 {
                        block
                            .defects
                            .push(Defect::at(HeaderDefect::EmptyFieldName, pos));
                    } else if colon != name_end {
                        block
                            .defects
                            .push(Defect::at(HeaderDefect::WhitespaceBeforeColon, pos));
                    }
                    cur = Some((pos, pos + name_end, pos + colon + 1));
                }
                LineStart::UnixFrom if pos == 0 => {
                    block.unix_from = Some(line);
                }
                LineStart::UnixFrom | LineStart::NotField => {
                    finish(&mut block, cur.take(), pos);
                    block
                        .defects
                        .push(Defect::at(HeaderDefect::MissingColon, pos));
                    block.body_offset = pos;
                    return block;
                }
            },
        }
        pos = line_end;
    }
    finish(&mut block, cur.take(), len);
    block.body_offset = len;
    block
}

/// For a push parser: `Some(body_offset)` (exactly what [`parse_block`] would report) once
/// the end of the header block is present in `input`, `None` while more bytes are needed.
/// A block that simply runs to the end of the input returns `None`; at end of input, call
/// [`parse_block`] on what there is.
pub fn find_block_end(input: &[u8]) -> Option<usize> {
    find_block_end_with_limits(input, &HeaderLimits::default())
}

/// [`find_block_end`] with explicit limits (they must match those given to
/// [`parse_block_with_limits`]).
pub fn find_block_end_with_limits(input: &[u8], limits: &HeaderLimits) -> Option<usize> {
    BlockScan::new().find_end(input, limits)
}

/// A resumable [`find_block_end`]: for a push parser that sees the header grow chunk by
/// chunk, it remembers how far it has looked, so the total work stays linear in the
/// header size however the bytes are split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockScan {
    /// Start of the first line not yet classified.
    pos: usize,
    /// Fields seen so far.
    fields: usize,
}

impl BlockScan {
    /// A scan from the start of a header block.
    pub fn new() -> Self {
        BlockScan::default()
    }

    /// `Some(body_offset)` once the end of the block is in `input`, else `None`. Each call
    /// must pass the same bytes as the previous call, possibly with more appended.
    pub fn find_end(&mut self, input: &[u8], limits: &HeaderLimits) -> Option<usize> {
        loop {
            let pos = self.pos;
            if pos >= input.len() {
                return None;
            }
            if let Some(after) = is_blank_line(input, pos) {
                return Some(after);
            }
            let rest = input.get(pos..)?;
            let first = *rest.first()?;
            let line_end = pos + memchr::memchr(b'\n', rest)? + 1;
            if first != b' ' && first != b'\t' {
                match classify(input.get(pos..line_end)?) {
                    LineStart::Field { .. } => {
                        if self.fields >= limits.max_fields {
                            return Some(pos);
                        }
                        self.fields += 1;
                    }
                    LineStart::UnixFrom if pos == 0 => {}
                    LineStart::UnixFrom | LineStart::NotField => return Some(pos),
                }
            }
            self.pos = line_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_basic_crlf_and_lf() {
        for nl in ["\r\n", "\n"] {
            let msg = format!("A: 1{nl}B:  two{nl} folded{nl}C:{nl}{nl}body");
            let b = parse_block(msg.as_bytes());
            assert_eq!(b.fields.len(), 3);
            assert_eq!(b.fields[0].name, b"A");
            assert_eq!(b.fields[0].value, b" 1");
            assert_eq!(b.fields[0].raw, format!("A: 1{nl}").as_bytes());
            assert_eq!(b.fields[1].value, format!("  two{nl} folded").as_bytes());
            assert_eq!(&*b.fields[1].unfolded(), b"two folded");
            assert_eq!(b.fields[2].value, b"");
            assert_eq!(&msg.as_bytes()[b.body_offset..], b"body");
            assert_eq!(find_block_end(msg.as_bytes()), Some(b.body_offset));
            assert!(b.defects.is_empty());
        }
    }

    #[test]
    fn block_no_body_and_no_headers() {
        let b = parse_block(b"A: 1\r\nB: 2");
        assert_eq!(b.fields.len(), 2);
        assert_eq!(b.fields[1].value, b" 2");
        assert_eq!(b.body_offset, 10);
        assert_eq!(find_block_end(b"A: 1\r\nB: 2"), None);

        let b = parse_block(b"\r\nbody");
        assert!(b.fields.is_empty());
        assert_eq!(b.body_offset, 2);

        let b = parse_block(b"just a body line\r\nmore\r\n");
        assert!(b.fields.is_empty());
        assert_eq!(b.body_offset, 0);
        assert_eq!(b.defects[0].kind, HeaderDefect::MissingColon.into());
        assert_eq!(find_block_end(b"just a body line\r\n"), Some(0));
    }

    #[test]
    fn block_missing_separator() {
        let msg = b"A: 1\r\nthis is body\r\n";
        let b = parse_block(msg);
        assert_eq!(b.fields.len(), 1);
        assert_eq!(b.body_offset, 6);
        assert_eq!(b.defects, vec![Defect::at(HeaderDefect::MissingColon, 6)]);
        assert_eq!(find_block_end(msg), Some(6));
    }

    #[test]
    fn block_unix_from_and_odd_lines() {
        let msg = b"From a@b Sat Nov 23 19:48:38 2024\nX: y\n\n";
        let b = parse_block(msg);
        assert_eq!(
            b.unix_from,
            Some(&b"From a@b Sat Nov 23 19:48:38 2024\n"[..])
        );
        assert_eq!(b.fields.len(), 1);
        assert_eq!(find_block_end(msg), Some(msg.len()));

        let b = parse_block(b" cont\r\nSubject : x\r\n: empty\r\n\r\n");
        assert_eq!(b.fields.len(), 2);
        assert_eq!(b.fields[0].name, b"Subject");
        assert_eq!(b.fields[0].value, b" x");
        assert_eq!(b.fields[1].name, b"");
        let kinds: Vec<_> = b.defects.iter().map(|d| d.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                HeaderDefect::FirstLineIsContinuation.into(),
                HeaderDefect::WhitespaceBeforeColon.into(),
                HeaderDefect::EmptyFieldName.into()
            ]
        );
    }

    #[test]
    fn find_end_waits_for_line() {
        let msg = b"A: 1\r\n folded\r\nB: 2\r\n\r\nbody";
        let full = parse_block(msg).body_offset;
        for i in 0..msg.len() {
            let r = find_block_end(&msg[..i]);
            assert!(r.is_none() || r == Some(full), "prefix {i}: {r:?}");
        }
        assert_eq!(find_block_end(msg), Some(full));
    }

    #[test]
    fn block_scan_resumes() {
        let msg = b"A: 1\r\n folded\r\nB: 2\r\nnot a field\r\nbody";
        let full = parse_block(msg).body_offset;
        let mut scan = BlockScan::new();
        let lim = HeaderLimits::default();
        let mut found = None;
        for i in 0..=msg.len() {
            if let Some(e) = scan.find_end(&msg[..i], &lim) {
                found = Some(e);
                break;
            }
        }
        assert_eq!(found, Some(full));
    }

    #[test]
    fn text_with_defects() {
        let b = parse_block(b"Subject: =?utf-8?Q?ok?=\r\n =?nope?Q?x?=\r\n\r\n");
        let (t, d) = b.fields[0].text_with_defects();
        assert_eq!(t, "okx");
        assert_eq!(d, vec![Defect::at(HeaderDefect::UnknownCharset, 15)]);
    }

    #[test]
    fn limits() {
        let msg = b"A: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        let lim = HeaderLimits { max_fields: 2 };
        let b = parse_block_with_limits(msg, &lim);
        assert_eq!(b.fields.len(), 2);
        assert_eq!(b.body_offset, 12);
        assert_eq!(find_block_end_with_limits(msg, &lim), Some(12));
    }
}
