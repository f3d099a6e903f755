//! The push parser: a sans-IO streaming front end with bounded memory.
//!
//! Feed the message in chunks of any size with [`PushParser::push`], then pull
//! [`Event`]s with [`PushParser::poll_event`] until it returns `None`; call
//! [`PushParser::finish`] at the end of the input and drain the events again. Bodies come
//! out as decoded [`Event::BodyChunk`]s of at most [`PushLimits::max_chunk`] raw bytes.
//! The parser keeps only the bytes that might still start a boundary line (and, while a
//! header block is incomplete, that header, up to [`Limits::max_header_size`]), so a 1 GiB
//! base64 attachment flows through with a few hundred KiB of memory, provided the caller
//! drains the events after each push.
//!
//! It describes every message exactly as the tree parser ([`Message`])
//! does: same parts, numbers, types, offsets, line counts, decoded bytes and defects,
//! whatever the chunking. [`describe_tree`] and [`describe_push`] turn both into the same
//! [`PartSummary`] list, which is how the tests and the `mime_push` fuzz target check it.
//!
//! ```
//! use correo_mime::push::{Event, PushParser};
//!
//! let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
//! Content-Transfer-Encoding: base64\r\n\r\naG9s\r\nYQ==\r\n--b--\r\n";
//! let mut p = PushParser::default();
//! let mut body = Vec::new();
//! let mut numbers = Vec::new();
//! for chunk in raw.chunks(7) {
//!     p.push(chunk);
//!     while let Some(ev) = p.poll_event() {
//!         match ev {
//!             Event::PartStart(info) => numbers.push(info.number.to_string()),
//!             Event::BodyChunk { decoded, .. } => body.extend_from_slice(decoded),
//!             _ => {}
//!         }
//!     }
//! }
//! p.finish();
//! while let Some(ev) = p.poll_event() {
//!     if let Event::BodyChunk { decoded, .. } = ev { body.extend_from_slice(decoded) }
//! }
//! assert_eq!(numbers, ["", "1"]);
//! assert_eq!(body, b"hola");
//! ```

use std::ops::Range;

use crate::decode::{BodyDecoder, TransferEncoding};
use crate::defect::Defect;
use crate::header::{ContentType, HeaderBlock, parse_block};
use crate::message::engine::{Engine, Ev, Head, Step, Tail};
use crate::message::{Limits, Message, PartKind, PartNumber};

/// Limits of the push parser: the structural [`Limits`] plus the body chunk size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushLimits {
    /// Depth, part count and header size, as for the tree parser.
    pub structure: Limits,
    /// Most raw body bytes decoded into one [`Event::BodyChunk`] (default 64 KiB).
    pub max_chunk: usize,
}

impl Default for PushLimits {
    fn default() -> Self {
        PushLimits {
            structure: Limits::default(),
            max_chunk: 64 * 1024,
        }
    }
}

/// A part that starts (owned; the header block is kept as raw bytes, bounded by
/// [`Limits::max_header_size`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// Position in walk order (the tree parser's [`Message::parts`] index).
    pub index: usize,
    /// Index of the parent part.
    pub parent: Option<usize>,
    /// IMAP part number.
    pub number: PartNumber,
    /// What the part contains.
    pub kind: PartKind,
    /// Byte range of the header block in the stream.
    pub header_range: Range<usize>,
    /// The header block bytes.
    pub header_raw: Vec<u8>,
    /// `type/subtype`, lower case (the default when absent).
    pub mime_type: String,
    /// Whether a `Content-Type` field was present.
    pub content_type_present: bool,
    /// The `charset` parameter, as declared.
    pub charset: Option<String>,
    /// The transfer encoding (`7bit` when absent).
    pub encoding: TransferEncoding,
    /// The disposition type, lower case, if a `Content-Disposition` field was present.
    pub disposition: Option<String>,
    /// The file name (`filename`, else the content type's `name`), decoded.
    pub filename: Option<String>,
    /// Structure and header defects found so far (offsets in the stream).
    pub defects: Vec<Defect>,
}

impl PartInfo {
    /// The header block, parsed from [`header_raw`](Self::header_raw) (offsets relative to
    /// it).
    pub fn header(&self) -> HeaderBlock<'_> {
        parse_block(&self.header_raw)
    }

    /// The parsed `Content-Type`, with the same defaults as the tree parser.
    pub fn content_type(&self) -> ContentType<'_> {
        if !self.content_type_present {
            let (t, s) = self.mime_type.split_once('/').unwrap_or(("text", "plain"));
            return if (t, s) == ("text", "plain") {
                ContentType::text_plain()
            } else {
                ContentType::new(t, s)
            };
        }
        let h = parse_block(&self.header_raw);
        match h.get("Content-Type") {
            Some(f) => ContentType::parse(f.value),
            None => ContentType::text_plain(),
        }
    }

    fn from_head(h: Head<'_>, window: &[u8], base: usize) -> PartInfo {
        let filename = crate::header::filename_of(
            h.disposition.as_ref(),
            h.content_type_present.then_some(&h.content_type),
        )
        .map(std::borrow::Cow::into_owned);
        PartInfo {
            index: h.index,
            parent: h.parent,
            number: PartNumber(h.number),
            kind: h.kind,
            header_raw: window
                .get(
                    h.header_range.start.saturating_sub(base)
                        ..h.header_range.end.saturating_sub(base),
                )
                .unwrap_or_default()
                .to_vec(),
            header_range: h.header_range,
            mime_type: h.content_type.essence(),
            content_type_present: h.content_type_present,
            charset: h.content_type.charset().map(std::borrow::Cow::into_owned),
            encoding: h.encoding,
            disposition: h.disposition.as_ref().map(|d| d.kind().as_str().to_owned()),
            filename,
            defects: h.defects,
        }
    }
}

/// A part that ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEnd {
    /// Position in walk order.
    pub index: usize,
    /// IMAP part number.
    pub number: PartNumber,
    /// Byte range of the raw body in the stream.
    pub body_range: Range<usize>,
    /// Line feeds in the body (IMAP `BODYSTRUCTURE` lines).
    pub lines: u64,
    /// Preamble range of a multipart.
    pub preamble: Option<Range<usize>>,
    /// Epilogue range of a multipart.
    pub epilogue: Option<Range<usize>>,
    /// Structure defects found at the end of the part (e.g. a missing close boundary).
    pub defects: Vec<Defect>,
    /// Defects found while decoding the body (offsets in the stream).
    pub decode_defects: Vec<Defect>,
}

impl PartEnd {
    /// Body size in octets.
    pub fn size(&self) -> usize {
        self.body_range.len()
    }
}

/// An event from [`PushParser::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'p> {
    /// A part starts: its header has been read.
    PartStart(&'p PartInfo),
    /// The next bytes of the current leaf part's body.
    BodyChunk {
        /// The decoded bytes (transfer encoding undone).
        decoded: &'p [u8],
        /// The raw bytes they came from (empty for the flush at the end of a body).
        raw: &'p [u8],
    },
    /// A part ends.
    PartEnd(&'p PartEnd),
    /// The message is over (after [`PushParser::finish`]); no more events follow.
    End,
}

#[derive(Debug, Clone)]
enum Out {
    None,
    Start,
    Chunk(Range<usize>),
    Flush,
    End,
    MessageEnd,
    Finished,
}

/// The push parser. See the module docs.
#[derive(Debug, Clone)]
pub struct PushParser {
    engine: Engine,
    limits: PushLimits,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    base: usize,
    eof: bool,
    /// Raw body bytes still to hand out as chunks (absolute).
    pending: Option<Range<usize>>,
    decoder: Option<(usize, BodyDecoder, usize)>,
    out: Vec<u8>,
    info: Option<PartInfo>,
    end: Option<PartEnd>,
    numbers: Vec<PartNumber>,
    stashed_end: Option<Tail>,
    last: Out,
    ended: bool,
}

impl Default for PushParser {
    fn default() -> Self {
        PushParser::new(PushLimits::default())
    }
}

impl PushParser {
    /// A parser with `limits`.
    pub fn new(limits: PushLimits) -> Self {
        let mut limits = limits;
        limits.max_chunk = limits.max_chunk.max(1);
        limits.structure.max_parts = limits.structure.max_parts.max(1);
        PushParser {
            engine: Engine::new(limits.structure, true),
            limits,
            buf: Vec::new(),
            base: 0,
            eof: false,
            pending: None,
            decoder: None,
            out: Vec::new(),
            info: None,
            end: None,
            numbers: Vec::new(),
            stashed_end: None,
            last: Out::None,
            ended: false,
        }
    }

    /// Feeds the next bytes of the message. Drain [`poll_event`](Self::poll_event) after
    /// each push to keep memory bounded. Bytes pushed after [`finish`](Self::finish) are
    /// ignored.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.eof {
            return;
        }
        self.compact();
        self.buf.extend_from_slice(chunk);
    }

    /// Marks the end of the input.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Bytes currently held (not yet handed out, or kept because they might start a
    /// boundary line).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn compact(&mut self) {
        let keep = match &self.pending {
            Some(r) => r.start.min(self.engine.keep_from()),
            None => self.engine.keep_from(),
        };
        let drop = keep.saturating_sub(self.base).min(self.buf.len());
        if drop > 0 {
            self.buf.drain(..drop);
            self.base += drop;
        }
    }

    /// The next event, or `None` when more input (or [`finish`](Self::finish)) is needed,
    /// or everything has been reported.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        self.last = self.advance();
        match &self.last {
            Out::None | Out::Finished => None,
            Out::Start => self.info.as_ref().map(Event::PartStart),
            Out::Chunk(r) => Some(Event::BodyChunk {
                decoded: &self.out,
                raw: self
                    .buf
                    .get(r.start.saturating_sub(self.base)..r.end.saturating_sub(self.base))
                    .unwrap_or_default(),
            }),
            Out::Flush => Some(Event::BodyChunk {
                decoded: &self.out,
                raw: &[],
            }),
            Out::End => self.end.as_ref().map(Event::PartEnd),
            Out::MessageEnd => Some(Event::End),
        }
    }

    fn advance(&mut self) -> Out {
        if self.ended {
            return Out::Finished;
        }
        loop {
            if let Some(r) = self.pending.take() {
                let n = r.len().min(self.limits.max_chunk);
                let piece = r.start..r.start + n;
                if r.start + n < r.end {
                    self.pending = Some(r.start + n..r.end);
                }
                self.out.clear();
                let raw = self
                    .buf
                    .get(piece.start.saturating_sub(self.base)..piece.end.saturating_sub(self.base))
                    .unwrap_or_default();
                if let Some((_, dec, _)) = &mut self.decoder {
                    dec.decode(raw, &mut self.out);
                }
                return Out::Chunk(piece);
            }
            if let Some(t) = self.stashed_end.take() {
                self.end_part(t);
                return Out::End;
            }
            let window = self.buf.as_slice();
            match self.engine.next(window, self.base, self.eof) {
                Step::Ev(Ev::Start(h)) => {
                    if h.kind == PartKind::Leaf {
                        self.decoder =
                            Some((h.index, BodyDecoder::new(&h.encoding), h.header_range.end));
                    }
                    while self.numbers.len() <= h.index {
                        self.numbers.push(PartNumber::default());
                    }
                    let info = PartInfo::from_head(h, window, self.base);
                    if let Some(slot) = self.numbers.get_mut(info.index) {
                        slot.clone_from(&info.number);
                    }
                    self.info = Some(info);
                    return Out::Start;
                }
                Step::Ev(Ev::Body(r)) => {
                    if !r.is_empty() {
                        self.pending = Some(r);
                    }
                }
                Step::Ev(Ev::End(t)) => {
                    if let Some((idx, dec, _)) = &mut self.decoder
                        && *idx == t.index
                    {
                        self.out.clear();
                        dec.finish(&mut self.out);
                        if !self.out.is_empty() {
                            self.stashed_end = Some(t);
                            return Out::Flush;
                        }
                    }
                    self.end_part(t);
                    return Out::End;
                }
                Step::NeedMore => return Out::None,
                Step::Done => {
                    self.ended = true;
                    self.numbers.clear();
                    return Out::MessageEnd;
                }
            }
        }
    }

    fn end_part(&mut self, t: Tail) {
        let mut decode_defects = Vec::new();
        if let Some((idx, mut dec, start)) = self.decoder.take() {
            if idx == t.index {
                decode_defects = dec.take_defects();
                for d in &mut decode_defects {
                    d.offset = d.offset.map(|o| o + start);
                }
            } else {
                self.decoder = Some((idx, dec, start));
            }
        }
        self.end = Some(PartEnd {
            index: t.index,
            number: self.numbers.get(t.index).cloned().unwrap_or_default(),
            body_range: t.body_range,
            lines: t.lines,
            preamble: t.preamble,
            epilogue: t.epilogue,
            defects: t.defects,
            decode_defects,
        });
    }
}

/// A canonical description of one part, the same whichever front end produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSummary {
    /// Walk-order index.
    pub index: usize,
    /// Parent index.
    pub parent: Option<usize>,
    /// IMAP number, as text.
    pub number: String,
    /// What the part contains.
    pub kind: PartKind,
    /// `type/subtype`.
    pub mime_type: String,
    /// Declared charset.
    pub charset: Option<String>,
    /// Transfer encoding.
    pub encoding: String,
    /// Disposition type.
    pub disposition: Option<String>,
    /// File name.
    pub filename: Option<String>,
    /// Header byte range.
    pub header_range: Range<usize>,
    /// Body byte range.
    pub body_range: Range<usize>,
    /// Line feeds in the body.
    pub lines: u64,
    /// Preamble range (multiparts).
    pub preamble: Option<Range<usize>>,
    /// Epilogue range (multiparts).
    pub epilogue: Option<Range<usize>>,
    /// Decoded body (leaves only; empty for containers).
    pub decoded: Vec<u8>,
    /// All defects: structure and header, then decoding.
    pub defects: Vec<Defect>,
}

/// Describes a message as the tree parser sees it.
pub fn describe_tree(msg: &Message<'_>) -> Vec<PartSummary> {
    msg.walk()
        .map(|p| {
            let mut defects = p.defects().to_vec();
            let decoded = if p.kind() == PartKind::Leaf {
                let (d, dd) = p.decoded_with_defects();
                defects.extend(dd);
                d.into_owned()
            } else {
                Vec::new()
            };
            PartSummary {
                index: p.index(),
                parent: p.parent(),
                number: p.number().to_string(),
                kind: p.kind(),
                mime_type: p.content_type().essence(),
                charset: p.content_type().charset().map(std::borrow::Cow::into_owned),
                encoding: p.encoding().as_str().to_owned(),
                disposition: p.disposition().map(|d| d.as_str().to_owned()),
                filename: p.filename().map(std::borrow::Cow::into_owned),
                header_range: p.header_range(),
                body_range: p.body_range(),
                lines: p.lines(),
                preamble: p.preamble(),
                epilogue: p.epilogue(),
                decoded,
                defects,
            }
        })
        .collect()
}

/// Feeds `chunks` to a push parser with `limits` (draining after each) and describes the
/// message as it saw it.
pub fn describe_push<'c>(
    chunks: impl IntoIterator<Item = &'c [u8]>,
    limits: PushLimits,
) -> Vec<PartSummary> {
    let mut p = PushParser::new(limits);
    let mut out: Vec<PartSummary> = Vec::new();
    let drain = |p: &mut PushParser, out: &mut Vec<PartSummary>| {
        while let Some(ev) = p.poll_event() {
            match ev {
                Event::PartStart(i) => out.push(PartSummary {
                    index: i.index,
                    parent: i.parent,
                    number: i.number.to_string(),
                    kind: i.kind,
                    mime_type: i.mime_type.clone(),
                    charset: i.charset.clone(),
                    encoding: i.encoding.as_str().to_owned(),
                    disposition: i.disposition.clone(),
                    filename: i.filename.clone(),
                    header_range: i.header_range.clone(),
                    body_range: 0..0,
                    lines: 0,
                    preamble: None,
                    epilogue: None,
                    decoded: Vec::new(),
                    defects: i.defects.clone(),
                }),
                Event::BodyChunk { decoded, .. } => {
                    if let Some(s) = out.last_mut() {
                        s.decoded.extend_from_slice(decoded);
                    }
                }
                Event::PartEnd(e) => {
                    if let Some(s) = out.get_mut(e.index) {
                        s.body_range = e.body_range.clone();
                        s.lines = e.lines;
                        s.preamble.clone_from(&e.preamble);
                        s.epilogue.clone_from(&e.epilogue);
                        s.defects.extend(e.defects.iter().cloned());
                        s.defects.extend(e.decode_defects.iter().cloned());
                    }
                }
                Event::End => {}
            }
        }
    };
    for c in chunks {
        p.push(c);
        drain(&mut p, &mut out);
    }
    p.finish();
    drain(&mut p, &mut out);
    out
}
