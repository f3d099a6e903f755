//! The tree parser: a borrowed, zero-copy view of a whole message.
//!
//! [`Message::parse`] never fails. It splits the input into a tree of [`Part`]s: each has
//! its header block, `Content-Type` (RFC 2045 defaults: `text/plain; charset=us-ascii`, or
//! `message/rfc822` inside `multipart/digest`), transfer encoding, disposition and file
//! name, the raw (still encoded) body as a slice of the input, and the defects found.
//! Bodies are decoded only when asked ([`Part::decoded`], [`Part::decode_into`],
//! [`Part::text`]). `message/rfc822` and `message/global` parts are parsed as nested
//! messages: their single child is the inner message's top part.
//!
//! The parser is iterative (an explicit stack, no recursion) and bounded by [`Limits`]:
//! nesting depth, part count and header block size. Past a limit the rest is kept as an
//! opaque body and a [`StructureDefect`](crate::multipart::StructureDefect) is recorded.
//!
//! Parts are numbered as IMAP numbers them (RFC 3501 section 6.4.5): the children of the
//! top multipart are `1`, `2`, ...; a message that is not multipart has the single part
//! `1`; the parts of a `message/rfc822` part `P` are `P.1`, `P.2`, ... when its inner
//! message is multipart, and its inner body is `P.1` when it is not. A multipart that is
//! the top of a message has no number of its own (an empty one for the outermost message,
//! `P` for the message inside `message/rfc822` part `P`, where [`Message::part_by_number`]
//! returns the `message/rfc822` part itself).
//!
//! ```
//! use correo_mime::message::Message;
//!
//! let raw = b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n\
//! --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhola\r\n\
//! --b1\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\
//! Content-Disposition: attachment; filename=\"p.gif\"\r\n\r\nR0lGODlh\r\n--b1--\r\n";
//! let msg = Message::parse(raw);
//! let gif = msg.part_by_number("2").unwrap();
//! assert_eq!(gif.content_type().mime_type(), "image");
//! assert_eq!(gif.filename().as_deref(), Some("p.gif"));
//! assert_eq!(&*gif.decoded(), b"GIF89a");
//! assert_eq!(msg.text_body().unwrap().text(), "hola");
//! assert_eq!(msg.attachments().count(), 1);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use crate::decode::{BodyDecoder, TransferEncoding, decode_body};
use crate::defect::Defect;
use crate::header::{ContentDisposition, ContentType, Disposition, HeaderBlock, filename_of};

pub(crate) mod engine;

use engine::{Engine, Ev, Step};

/// Limits that bound the work and memory spent on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of multipart and `message/rfc822` containers (default 64). A
    /// container deeper than this is kept as an opaque leaf.
    pub max_depth: usize,
    /// Most parts in one message (default 10 000). Past it, the rest of the multipart
    /// being read is kept as its epilogue.
    pub max_parts: usize,
    /// Largest header block of one part, in bytes (default 128 KiB). A larger one gives
    /// the part no header fields and keeps all its bytes as its body.
    pub max_header_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_parts: 10_000,
            max_header_size: 128 * 1024,
        }
    }
}

/// What a part contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartKind {
    /// A body (text, image, ... or anything kept opaque).
    Leaf,
    /// `multipart/*`: child parts between boundary lines.
    Multipart,
    /// `message/rfc822` or `message/global`: one child, the inner message's top part.
    Message,
}

/// An IMAP part number (`1.2.3`); empty for the top multipart of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PartNumber(pub Vec<u32>);

impl PartNumber {
    /// Parses `1.2.3` (an empty string is the empty number). `None` for anything else.
    pub fn parse(s: &str) -> Option<PartNumber> {
        if s.is_empty() {
            return Some(PartNumber(Vec::new()));
        }
        s.split('.')
            .map(|c| {
                c.parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0 && !c.starts_with('+'))
            })
            .collect::<Option<Vec<u32>>>()
            .map(PartNumber)
    }

    /// The components.
    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    /// Whether this is the empty number.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// One part of a parsed [`Message`].
#[derive(Debug, Clone)]
pub struct Part<'a> {
    pub(crate) index: usize,
    pub(crate) parent: Option<usize>,
    pub(crate) children: Vec<usize>,
    pub(crate) number: PartNumber,
    pub(crate) header_range: Range<usize>,
    pub(crate) body_range: Range<usize>,
    pub(crate) preamble: Option<Range<usize>>,
    pub(crate) epilogue: Option<Range<usize>>,
    pub(crate) header: HeaderBlock<'a>,
    pub(crate) content_type: ContentType<'a>,
    pub(crate) content_type_present: bool,
    pub(crate) encoding: TransferEncoding,
    pub(crate) disposition: Option<ContentDisposition<'a>>,
    pub(crate) kind: PartKind,
    pub(crate) defects: Vec<Defect>,
    pub(crate) body: &'a [u8],
}

impl<'a> Part<'a> {
    /// Position in [`Message::parts`] (walk order).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Index of the parent part, `None` for the top.
    pub fn parent(&self) -> Option<usize> {
        self.parent
    }

    /// Indexes of the child parts (multipart children, or the inner message's top part).
    pub fn children(&self) -> &[usize] {
        &self.children
    }

    /// The IMAP part number.
    pub fn number(&self) -> &PartNumber {
        &self.number
    }

    /// What the part contains.
    pub fn kind(&self) -> PartKind {
        self.kind
    }

    /// The header block. Field offsets are relative to [`header_range`](Self::header_range).
    pub fn header(&self) -> &HeaderBlock<'a> {
        &self.header
    }

    /// Byte range of the header block in the input, including the blank line that ends it
    /// (what IMAP `BODY[n.MIME]` returns).
    pub fn header_range(&self) -> Range<usize> {
        self.header_range.clone()
    }

    /// Byte range of the body in the input (raw, still encoded; for a multipart, from the
    /// preamble to the epilogue; for `message/rfc822`, the whole inner message). The line
    /// ending before a boundary line is not part of the body.
    pub fn body_range(&self) -> Range<usize> {
        self.body_range.clone()
    }

    /// The raw body bytes (still transfer-encoded).
    pub fn raw_body(&self) -> &'a [u8] {
        self.body
    }

    /// Body size in octets (IMAP `BODYSTRUCTURE` size).
    pub fn size(&self) -> usize {
        self.body.len()
    }

    /// Lines in the body: the number of line feeds (IMAP `BODYSTRUCTURE` line count).
    pub fn lines(&self) -> u64 {
        memchr::memchr_iter(b'\n', self.body).count() as u64
    }

    /// The preamble of a multipart (before its first boundary line).
    pub fn preamble(&self) -> Option<Range<usize>> {
        self.preamble.clone()
    }

    /// The epilogue of a multipart (after its close boundary line).
    pub fn epilogue(&self) -> Option<Range<usize>> {
        self.epilogue.clone()
    }

    /// The content type (the RFC 2045 default when the header has none).
    pub fn content_type(&self) -> &ContentType<'a> {
        &self.content_type
    }

    /// Whether the part had a `Content-Type` field (else [`content_type`](Self::content_type)
    /// is the default).
    pub fn has_content_type(&self) -> bool {
        self.content_type_present
    }

    /// The declared transfer encoding (`7bit` when absent).
    pub fn encoding(&self) -> &TransferEncoding {
        &self.encoding
    }

    /// Whether the part had a `Content-Transfer-Encoding` field.
    pub fn has_encoding(&self) -> bool {
        self.header.get("Content-Transfer-Encoding").is_some()
    }

    /// The parsed `Content-Disposition`, if any.
    pub fn content_disposition(&self) -> Option<&ContentDisposition<'a>> {
        self.disposition.as_ref()
    }

    /// The disposition type, if a `Content-Disposition` field is present.
    pub fn disposition(&self) -> Option<&Disposition<'a>> {
        self.disposition.as_ref().map(ContentDisposition::kind)
    }

    /// The file name: `Content-Disposition` `filename`, else `Content-Type` `name`
    /// (RFC 2231 and RFC 2047 decoded).
    pub fn filename(&self) -> Option<Cow<'a, str>> {
        filename_of(
            self.disposition.as_ref(),
            self.content_type_present.then_some(&self.content_type),
        )
    }

    /// Whether a mail client would list this part as an attachment: disposition
    /// `attachment`; or a file name and no `inline` disposition; or an encapsulated
    /// message. Multiparts never are.
    pub fn is_attachment(&self) -> bool {
        if self.kind == PartKind::Multipart {
            return false;
        }
        match self.disposition() {
            Some(Disposition::Attachment) => true,
            Some(Disposition::Inline) => false,
            _ => self.kind == PartKind::Message || self.filename().is_some(),
        }
    }

    /// Defects found while splitting the part and reading its header (decoding defects
    /// come with [`decoded_with_defects`](Self::decoded_with_defects)). Offsets are in
    /// the input.
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }

    /// The body with its transfer encoding undone (borrowed for 7bit/8bit/binary).
    pub fn decoded(&self) -> Cow<'a, [u8]> {
        decode_body(&self.encoding, self.body).0
    }

    /// The decoded body and the decoding defects (offsets in the input).
    pub fn decoded_with_defects(&self) -> (Cow<'a, [u8]>, Vec<Defect>) {
        let (d, mut defects) = decode_body(&self.encoding, self.body);
        let start = self.body_range.start;
        for x in &mut defects {
            x.offset = x.offset.map(|o| o + start);
        }
        (d, defects)
    }

    /// Appends the decoded body to `out` (no allocation beyond `out` growing); returns the
    /// decoding defects (offsets in the input).
    pub fn decode_into(&self, out: &mut Vec<u8>) -> Vec<Defect> {
        let mut dec = BodyDecoder::new(&self.encoding);
        out.reserve(self.body.len());
        dec.decode(self.body, out);
        dec.finish(out);
        let start = self.body_range.start;
        let mut defects = dec.take_defects();
        for x in &mut defects {
            x.offset = x.offset.map(|o| o + start);
        }
        defects
    }

    /// The body as text: decoded, then converted from its declared charset (us-ascii
    /// and unknown charsets are read as UTF-8 with replacement, as mail clients do).
    pub fn text(&self) -> Cow<'a, str> {
        let charset = self.content_type.charset();
        match self.decoded() {
            Cow::Borrowed(b) => crate::charset::decode_text(charset.as_deref(), b).0,
            Cow::Owned(v) => Cow::Owned(
                crate::charset::decode_text(charset.as_deref(), &v)
                    .0
                    .into_owned(),
            ),
        }
    }
}

/// A parsed message: a tree of [`Part`]s borrowed from the input.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    input: &'a [u8],
    parts: Vec<Part<'a>>,
}

impl<'a> Message<'a> {
    /// Parses a whole message with the default [`Limits`]. Never fails.
    pub fn parse(input: &'a [u8]) -> Message<'a> {
        Self::parse_with_limits(input, Limits::default())
    }

    /// Parses a whole message with explicit limits. Never fails.
    pub fn parse_with_limits(input: &'a [u8], limits: Limits) -> Message<'a> {
        let mut limits = limits;
        limits.max_parts = limits.max_parts.max(1);
        let mut engine = Engine::new(limits, false);
        let mut parts: Vec<Part<'a>> = Vec::new();
        loop {
            match engine.next(input, 0, true) {
                Step::Ev(Ev::Start(h)) => {
                    if let Some(p) = h.parent.and_then(|p| parts.get_mut(p)) {
                        p.children.push(h.index);
                    }
                    parts.push(Part {
                        index: h.index,
                        parent: h.parent,
                        children: Vec::new(),
                        number: PartNumber(h.number),
                        header_range: h.header_range.clone(),
                        body_range: h.header_range.end..h.header_range.end,
                        preamble: None,
                        epilogue: None,
                        header: h.header,
                        content_type: h.content_type,
                        content_type_present: h.content_type_present,
                        encoding: h.encoding,
                        disposition: h.disposition,
                        kind: h.kind,
                        defects: h.defects,
                        body: &[],
                    });
                }
                Step::Ev(Ev::Body(_)) => {}
                Step::Ev(Ev::End(t)) => {
                    if let Some(p) = parts.get_mut(t.index) {
                        p.body = input.get(t.body_range.clone()).unwrap_or_default();
                        p.body_range = t.body_range;
                        p.preamble = t.preamble;
                        p.epilogue = t.epilogue;
                        p.defects.extend(t.defects);
                    }
                }
                Step::NeedMore | Step::Done => break,
            }
        }
        Message { input, parts }
    }

    /// The input this message borrows from.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The top part (the message itself).
    pub fn root(&self) -> &Part<'a> {
        // `parse` always creates the top part; this index is never out of range.
        &self.parts[0]
    }

    /// The top header block.
    pub fn header(&self) -> &HeaderBlock<'a> {
        &self.root().header
    }

    /// Every part in walk order (depth first, the order IMAP numbers them).
    pub fn parts(&self) -> &[Part<'a>] {
        &self.parts
    }

    /// The part at `index` in walk order.
    pub fn part(&self, index: usize) -> Option<&Part<'a>> {
        self.parts.get(index)
    }

    /// Every part in walk order.
    pub fn walk(&self) -> std::slice::Iter<'_, Part<'a>> {
        self.parts.iter()
    }

    /// The children of `part`.
    pub fn children<'s>(&'s self, part: &'s Part<'a>) -> impl Iterator<Item = &'s Part<'a>> + 's {
        part.children.iter().filter_map(|&i| self.parts.get(i))
    }

    /// The part IMAP calls `number` (`"1.2"`). For a number shared by a `message/rfc822`
    /// part and the multipart inside it, the `message/rfc822` part.
    pub fn part_by_number(&self, number: &str) -> Option<&Part<'a>> {
        let n = PartNumber::parse(number)?;
        self.parts.iter().find(|p| p.number == n)
    }

    /// Every defect of every part (decoding defects excluded), in walk order.
    pub fn defects(&self) -> impl Iterator<Item = &Defect> {
        self.parts.iter().flat_map(|p| p.defects.iter())
    }

    /// Whether `part` lies inside an attachment or an encapsulated message.
    fn inside_message(&self, part: &Part<'a>) -> bool {
        let mut p = part.parent;
        while let Some(i) = p {
            let Some(x) = self.parts.get(i) else { break };
            if x.kind == PartKind::Message {
                return true;
            }
            p = x.parent;
        }
        false
    }

    /// The attachments (see [`Part::is_attachment`]), in walk order, not looking inside
    /// encapsulated messages.
    pub fn attachments(&self) -> impl Iterator<Item = &Part<'a>> {
        self.parts
            .iter()
            .filter(|p| p.is_attachment() && !self.inside_message(p))
    }

    fn body_of(&self, subtype: &str) -> Option<&Part<'a>> {
        self.parts.iter().find(|p| {
            p.kind == PartKind::Leaf
                && p.content_type.mime_type() == "text"
                && p.content_type.subtype() == subtype
                && !p.is_attachment()
                && !self.inside_message(p)
        })
    }

    /// The plain-text body: the first `text/plain` part that is not an attachment (inside
    /// `multipart/alternative`, the plain alternative), outside encapsulated messages.
    pub fn text_body(&self) -> Option<&Part<'a>> {
        self.body_of("plain")
    }

    /// The HTML body: the first `text/html` part that is not an attachment.
    pub fn html_body(&self) -> Option<&Part<'a>> {
        self.body_of("html")
    }
}
