//! The structure engine shared by the tree parser and the push parser.
//!
//! It walks a message from the front, over a window of bytes that is either the whole
//! message (`eof` set: the tree parser) or whatever has been pushed so far (the push
//! parser). It never looks back before its position, and it only decides something once
//! the bytes that decide it are in the window, so both front ends see the same events.

use std::collections::VecDeque;
use std::ops::Range;

use crate::decode::TransferEncoding;
use crate::defect::Defect;
use crate::header::{
    ContentDisposition, ContentType, HeaderBlock, HeaderLimits, find_block_end_with_limits,
    parse_block_with_limits,
};
use crate::multipart::{
    MAX_BOUNDARY_LEN, MAX_DELIMITER_PADDING, Scan, StructureDefect, find_delimiter,
};

use super::{Limits, PartKind};

/// How the part about to start gets its number.
#[derive(Debug, Clone)]
enum Slot {
    /// The top of the message: `1` unless it is a multipart (then it has no number).
    Root,
    /// A child of a multipart: its full number.
    Child(Vec<u32>),
    /// The message inside a `message/rfc822` part numbered with this: a multipart inner
    /// root shares the number, any other gets `.1` appended.
    Encapsulated(Vec<u32>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Preamble,
    Children,
    Epilogue,
}

#[derive(Debug, Clone)]
enum FrameKind {
    Leaf,
    Message,
    Multipart {
        boundary: Vec<u8>,
        phase: Phase,
        children: u32,
        digest: bool,
        preamble_end: Option<usize>,
        epilogue_start: Option<usize>,
        defects: Vec<Defect>,
    },
}

#[derive(Debug, Clone)]
struct Frame {
    index: usize,
    number: Vec<u32>,
    kind: FrameKind,
    body_start: usize,
    nl_body_start: u64,
}

#[derive(Debug, Clone)]
enum Mode {
    Header { slot: Slot, digest_child: bool },
    Body,
    Done,
}

/// A part starts: its header has been read.
#[derive(Debug, Clone)]
pub(crate) struct Head<'a> {
    pub(crate) index: usize,
    pub(crate) parent: Option<usize>,
    pub(crate) number: Vec<u32>,
    pub(crate) header_range: Range<usize>,
    pub(crate) header: HeaderBlock<'a>,
    pub(crate) content_type: ContentType<'a>,
    pub(crate) content_type_present: bool,
    pub(crate) encoding: TransferEncoding,
    pub(crate) disposition: Option<ContentDisposition<'a>>,
    pub(crate) kind: PartKind,
    /// Structure defects found with the header, and the header's own defects (absolute).
    pub(crate) defects: Vec<Defect>,
}

/// A part ends.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    pub(crate) index: usize,
    pub(crate) body_range: Range<usize>,
    /// Newlines in the body (only when the engine counts lines).
    pub(crate) lines: u64,
    pub(crate) preamble: Option<Range<usize>>,
    pub(crate) epilogue: Option<Range<usize>>,
    pub(crate) defects: Vec<Defect>,
}

#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one Start per part; boxing would allocate
pub(crate) enum Ev<'a> {
    Start(Head<'a>),
    /// Bytes of the current leaf's body (absolute range).
    Body(Range<usize>),
    End(Tail),
}

#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step<'a> {
    Ev(Ev<'a>),
    NeedMore,
    Done,
}

#[derive(Debug, Clone)]
enum Queued {
    Body(Range<usize>),
    End(Tail),
}

/// The engine. See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    limits: Limits,
    header_limits: HeaderLimits,
    stack: Vec<Frame>,
    mode: Mode,
    pos: usize,
    line_start: bool,
    parts: usize,
    count_lines: bool,
    nl: u64,
    /// Header mode: where a previous scan found no delimiter up to (absolute).
    hscan: Option<usize>,
    /// Header mode: the complete-line length at the previous attempt that needed more bytes.
    hlast_nl: Option<usize>,
    /// Header mode: complete-line length already looked at for empty lines.
    hseen: usize,
    queue: VecDeque<Queued>,
}

fn count_nl(s: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', s).count() as u64
}

impl Engine {
    pub(crate) fn new(limits: Limits, count_lines: bool) -> Self {
        Engine {
            limits,
            header_limits: HeaderLimits::default(),
            stack: Vec::new(),
            mode: Mode::Header {
                slot: Slot::Root,
                digest_child: false,
            },
            pos: 0,
            line_start: true,
            parts: 0,
            count_lines,
            nl: 0,
            hscan: None,
            hlast_nl: None,
            hseen: 0,
            queue: VecDeque::new(),
        }
    }

    /// Absolute offset of the first byte the engine may still need to look at.
    pub(crate) fn keep_from(&self) -> usize {
        match self.queue.front() {
            Some(Queued::Body(r)) => r.start.min(self.pos),
            _ => self.pos,
        }
    }

    fn advance(&mut self, window: &[u8], base: usize, to: usize) {
        if to <= self.pos {
            return;
        }
        if self.count_lines {
            let s = window
                .get(self.pos.saturating_sub(base)..to.saturating_sub(base))
                .unwrap_or_default();
            self.nl += count_nl(s);
        }
        self.pos = to;
    }

    /// Active boundaries, innermost first, with the stack index of their frame.
    fn boundaries(&self) -> (Vec<&[u8]>, Vec<usize>) {
        let mut b = Vec::new();
        let mut idx = Vec::new();
        for (i, f) in self.stack.iter().enumerate().rev() {
            if let FrameKind::Multipart {
                boundary, phase, ..
            } = &f.kind
                && *phase != Phase::Epilogue
            {
                b.push(boundary.as_slice());
                idx.push(i);
            }
        }
        (b, idx)
    }

    /// The next event. `window` holds the input from absolute offset `base` (which must not
    /// be after [`keep_from`](Self::keep_from)); `eof` says the window ends the input.
    pub(crate) fn next<'a>(&mut self, window: &'a [u8], base: usize, eof: bool) -> Step<'a> {
        loop {
            if let Some(q) = self.queue.pop_front() {
                return Step::Ev(match q {
                    Queued::Body(r) => Ev::Body(r),
                    Queued::End(t) => Ev::End(t),
                });
            }
            match &self.mode {
                Mode::Done => return Step::Done,
                Mode::Header { .. } => match self.header(window, base, eof) {
                    Some(head) => return Step::Ev(Ev::Start(head)),
                    None => {
                        if matches!(self.mode, Mode::Header { .. }) {
                            return Step::NeedMore;
                        }
                    }
                },
                Mode::Body => {
                    if !self.body(window, base, eof) {
                        return Step::NeedMore;
                    }
                }
            }
        }
    }

    /// Header mode: read the header block of the part starting at `pos`.
    fn header<'a>(&mut self, window: &'a [u8], base: usize, eof: bool) -> Option<Head<'a>> {
        let rel = self.pos.checked_sub(base)?;
        let (content_end, complete, immediate) = {
            let (bounds, _) = self.boundaries();
            let (from, ls) = match self.hscan {
                Some(s) if s > self.pos => (s - base, false),
                _ => (rel, true),
            };
            // Only the first `max_header_size` bytes of the part can be header: look for
            // the end of the part no further than that plus one delimiter line.
            let lim = rel
                .saturating_add(self.limits.max_header_size)
                .saturating_add(8 + MAX_BOUNDARY_LEN + MAX_DELIMITER_PADDING);
            let (w, w_eof) = match window.get(..lim) {
                Some(w) if lim < window.len() => (w, false),
                _ => (window, eof),
            };
            match find_delimiter(w, from.min(w.len()), ls, &bounds, w_eof) {
                // `immediate`: a delimiter line right where this part starts (two delimiter
                // lines in a row).
                Scan::Found(d) => (d.body_end, true, d.line_start == rel),
                Scan::NotFound { safe_end } => (safe_end, w_eof, false),
            }
        };
        let content = window.get(rel..content_end).unwrap_or_default();
        let max = self.limits.max_header_size;
        // A block parsed over the whole content (complete case), reused below.
        let mut whole: Option<HeaderBlock<'a>> = None;
        let h: Option<usize> = if complete && content.len() <= max {
            let mut block = parse_block_with_limits(content, &self.header_limits);
            let h = block.body_offset;
            // Exactly what parsing `content[..h]` gives: drop what was said about the line
            // at `h` (the non-header line that ended the block).
            block.defects.retain(|d| d.offset.is_some_and(|o| o < h));
            whole = Some(block);
            Some(h)
        } else {
            let w = content.get(..content.len().min(max)).unwrap_or_default();
            let cut = memchr::memrchr(b'\n', w).map_or(0, |i| i + 1);
            if !complete && content.len() <= max {
                // Look again when a new empty line arrived (the usual end of a header
                // block), or when the complete lines grew by a quarter (at least 256 bytes:
                // the rarer ends, a non-field line or too many fields). The answer depends
                // only on the bytes, not on when it is asked (past the limit the first `max`
                // bytes decide), so this only bounds the work to linear in the header size,
                // however small the pushes.
                let seen = std::mem::replace(&mut self.hseen, cut);
                let new = w
                    .get(seen.saturating_sub(1).min(cut)..cut)
                    .unwrap_or_default();
                let blank = memchr::memchr_iter(b'\n', new)
                    .any(|i| matches!(new.get(i + 1..), Some([b'\n', ..] | [b'\r', b'\n', ..])));
                let recheck = match self.hlast_nl {
                    None | Some(0) => true,
                    Some(last) => blank || cut >= last.saturating_add((last / 4).max(256)),
                };
                if !recheck {
                    self.hscan = Some(base + content_end);
                    return None;
                }
                self.hlast_nl = Some(cut);
                match find_block_end_with_limits(
                    w.get(..cut).unwrap_or_default(),
                    &self.header_limits,
                ) {
                    Some(h) => Some(h),
                    None => {
                        self.hscan = Some(base + content_end);
                        return None;
                    }
                }
            } else {
                find_block_end_with_limits(w.get(..cut).unwrap_or_default(), &self.header_limits)
                    .or(Some(usize::MAX))
            }
        };
        self.hscan = None;
        self.hlast_nl = None;
        self.hseen = 0;
        let Mode::Header { slot, digest_child } = std::mem::replace(&mut self.mode, Mode::Body)
        else {
            return None;
        };
        let start = self.pos;
        let mut defects = Vec::new();
        let (header, h) = match h {
            Some(h) if h <= content.len() && h <= max => {
                let block = match whole {
                    Some(b) => b,
                    None => parse_block_with_limits(
                        content.get(..h).unwrap_or_default(),
                        &self.header_limits,
                    ),
                };
                let blank_ended = {
                    let hb = content.get(..h).unwrap_or_default();
                    hb == b"\n" || hb == b"\r\n" || hb.ends_with(b"\n\n") || hb.ends_with(b"\n\r\n")
                };
                if !blank_ended && h > 0 && h < content.len() {
                    defects.push(Defect::at(
                        StructureDefect::MissingHeaderBodySeparator,
                        start + h,
                    ));
                } else if h == 0 && !content.is_empty() {
                    // The very first line is neither a field nor the blank line: no header
                    // at all, and no separator either (a header-less part starts with a
                    // blank line, RFC 2046 section 5.1.1).
                    defects.push(Defect::at(
                        StructureDefect::MissingHeaderBodySeparator,
                        start,
                    ));
                } else if immediate && matches!(slot, Slot::Child(_)) {
                    defects.push(Defect::at(StructureDefect::ConsecutiveDelimiters, start));
                }
                (block, h)
            }
            _ => {
                defects.push(Defect::at(StructureDefect::HeaderTooLarge, start));
                (
                    HeaderBlock {
                        fields: Vec::new(),
                        body_offset: 0,
                        unix_from: None,
                        defects: Vec::new(),
                    },
                    0,
                )
            }
        };
        for d in &header.defects {
            defects.push(Defect {
                kind: d.kind.clone(),
                offset: d.offset.map(|o| o + start),
            });
        }
        let ct_field = header.get("Content-Type").copied();
        let content_type = match ct_field {
            Some(f) => ContentType::parse(f.value),
            None if digest_child => ContentType::message_rfc822(),
            None => ContentType::text_plain(),
        };
        if let Some(f) = ct_field {
            for d in content_type.defects() {
                defects.push(Defect::at(d.kind.clone(), start + f.offset));
            }
        }
        let encoding = header
            .get("Content-Transfer-Encoding")
            .map_or(TransferEncoding::SevenBit, |f| {
                TransferEncoding::parse(&f.unfolded())
            });
        let disposition = header.get("Content-Disposition").copied().map(|f| {
            let d = ContentDisposition::parse(f.value);
            for x in d.defects() {
                defects.push(Defect::at(x.kind.clone(), start + f.offset));
            }
            d
        });
        let depth = self.stack.len();
        let mut kind = PartKind::Leaf;
        let mut boundary = Vec::new();
        if content_type.is_multipart() {
            match content_type.boundary() {
                Some(b) if b.len() <= MAX_BOUNDARY_LEN => {
                    if depth >= self.limits.max_depth {
                        defects.push(Defect::at(StructureDefect::DepthLimit, start));
                    } else {
                        if self.boundaries().0.contains(&&*b) {
                            // RFC 2046 section 5.1.2 forbids it; the innermost boundary
                            // matches first (as Dovecot reads it), so nothing is lost.
                            defects.push(Defect::at(StructureDefect::BoundaryReused, start));
                        }
                        kind = PartKind::Multipart;
                        boundary = b.into_owned();
                    }
                }
                _ => defects.push(Defect::at(StructureDefect::BadBoundary, start)),
            }
        } else if content_type.is_message() {
            if !encoding.is_identity() {
                defects.push(Defect::at(StructureDefect::EncodedMessage, start));
            } else if depth >= self.limits.max_depth {
                defects.push(Defect::at(StructureDefect::DepthLimit, start));
            } else if self.parts + 1 >= self.limits.max_parts {
                defects.push(Defect::at(StructureDefect::PartLimit, start));
            } else {
                kind = PartKind::Message;
            }
        }
        let number = match slot {
            Slot::Root if kind == PartKind::Multipart => Vec::new(),
            Slot::Root => vec![1],
            Slot::Child(n) => n,
            Slot::Encapsulated(n) if kind == PartKind::Multipart => n,
            Slot::Encapsulated(mut n) => {
                n.push(1);
                n
            }
        };
        let header_end = start + h;
        self.advance(window, base, header_end);
        let index = self.parts;
        self.parts += 1;
        let parent = self.stack.last().map(|f| f.index);
        let frame_kind = match kind {
            PartKind::Leaf => FrameKind::Leaf,
            PartKind::Message => FrameKind::Message,
            PartKind::Multipart => FrameKind::Multipart {
                boundary,
                phase: Phase::Preamble,
                children: 0,
                digest: content_type.subtype() == "digest",
                preamble_end: None,
                epilogue_start: None,
                defects: Vec::new(),
            },
        };
        self.stack.push(Frame {
            index,
            number: number.clone(),
            kind: frame_kind,
            body_start: header_end,
            nl_body_start: self.nl,
        });
        // Every body starts at a line start: after the header's blank line, or the header
        // ran to the end of its content.
        self.line_start = true;
        self.mode = if kind == PartKind::Message {
            Mode::Header {
                slot: Slot::Encapsulated(number.clone()),
                digest_child: false,
            }
        } else {
            Mode::Body
        };
        Some(Head {
            index,
            parent,
            number,
            header_range: start..header_end,
            header,
            content_type,
            content_type_present: ct_field.is_some(),
            encoding,
            disposition,
            kind,
            defects,
        })
    }

    /// Close the top frame at `end` (absolute), queueing its End.
    fn close_top(&mut self, end: usize) {
        let Some(f) = self.stack.pop() else { return };
        let mut defects = Vec::new();
        let (mut preamble, mut epilogue) = (None, None);
        if let FrameKind::Multipart {
            phase,
            preamble_end,
            epilogue_start,
            defects: d,
            ..
        } = f.kind
        {
            defects = d;
            match phase {
                Phase::Preamble => {
                    defects.push(Defect::at(StructureDefect::StartBoundaryNotFound, end));
                }
                Phase::Children => {
                    defects.push(Defect::at(StructureDefect::MissingCloseBoundary, end));
                }
                Phase::Epilogue => {}
            }
            preamble = Some(f.body_start..preamble_end.unwrap_or(end));
            epilogue = epilogue_start.map(|s| s.min(end)..end);
        }
        let lines = self.nl.saturating_sub(f.nl_body_start);
        self.queue.push_back(Queued::End(Tail {
            index: f.index,
            body_range: f.body_start..end.max(f.body_start),
            lines,
            preamble,
            epilogue,
            defects,
        }));
    }

    /// Body mode. Returns false when more input is needed.
    fn body(&mut self, window: &[u8], base: usize, eof: bool) -> bool {
        let Some(rel) = self.pos.checked_sub(base) else {
            return false;
        };
        let is_leaf = matches!(
            self.stack.last().map(|f| &f.kind),
            Some(FrameKind::Leaf | FrameKind::Message)
        );
        let (scan, frame_of) = {
            let (bounds, idx) = self.boundaries();
            (
                find_delimiter(window, rel, self.line_start, &bounds, eof),
                idx,
            )
        };
        match scan {
            Scan::Found(d) => {
                let end = base + d.body_end;
                if is_leaf && end > self.pos {
                    self.queue.push_back(Queued::Body(self.pos..end));
                }
                self.advance(window, base, end);
                let Some(&k) = frame_of.get(d.which) else {
                    return true;
                };
                while self.stack.len() > k + 1 {
                    self.close_top(end);
                }
                let parts = self.parts;
                let max_parts = self.limits.max_parts;
                let delim_end = base + d.end;
                let mut new_child = None;
                if let Some(Frame {
                    kind:
                        FrameKind::Multipart {
                            phase,
                            children,
                            digest,
                            preamble_end,
                            epilogue_start,
                            defects,
                            ..
                        },
                    number,
                    ..
                }) = self.stack.last_mut()
                {
                    if *phase == Phase::Preamble {
                        *preamble_end = Some(end);
                        if d.close {
                            // A close delimiter before any delimiter: no body part at all.
                            defects.push(Defect::at(
                                StructureDefect::StartBoundaryNotFound,
                                base + d.line_start,
                            ));
                        }
                    }
                    if d.close {
                        *phase = Phase::Epilogue;
                        *epilogue_start = Some(delim_end);
                    } else if parts >= max_parts {
                        *phase = Phase::Epilogue;
                        *epilogue_start = Some(delim_end);
                        defects.push(Defect::at(StructureDefect::PartLimit, base + d.line_start));
                    } else {
                        *phase = Phase::Children;
                        *children += 1;
                        let mut n = number.clone();
                        n.push(*children);
                        new_child = Some((n, *digest));
                    }
                }
                self.advance(window, base, delim_end);
                self.line_start = true;
                if let Some((n, digest_child)) = new_child {
                    self.mode = Mode::Header {
                        slot: Slot::Child(n),
                        digest_child,
                    };
                }
                true
            }
            Scan::NotFound { safe_end } => {
                let end = base + safe_end;
                if end > self.pos {
                    if is_leaf {
                        self.queue.push_back(Queued::Body(self.pos..end));
                    }
                    self.advance(window, base, end);
                    self.line_start = false;
                }
                if eof {
                    let end = base + window.len();
                    self.advance(window, base, end);
                    while !self.stack.is_empty() {
                        self.close_top(end);
                    }
                    self.mode = Mode::Done;
                    return true;
                }
                !self.queue.is_empty()
            }
        }
    }
}
