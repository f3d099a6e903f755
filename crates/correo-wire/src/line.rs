//! CRLF line framing over arbitrary chunks, with a maximum line length and a bare-LF policy.
//!
//! A [`LineFramer`] is fed whatever bytes arrived (any split, even one byte at a time) and
//! hands back complete lines. Lines that lie entirely inside the chunk just passed are
//! borrowed from it (zero-copy); only a partial trailing line is copied into the framer,
//! and that copy is bounded by the maximum line length. A line longer than the maximum is
//! skipped without being buffered: the framer reports [`LineError::TooLong`] when the line
//! ends and resynchronises there.
//!
//! The framer also supports switching to byte-count mode mid-stream (IMAP literals, SMTP
//! `DATA`, `BDAT`): [`Feed::peek_raw`] and [`Feed::consume_raw`] hand out the raw bytes
//! that follow the last line pulled. Before a TLS upgrade, every byte received but not yet
//! consumed must be thrown away (CVE-2011-0411): see [`Feed::discard_remaining`] and
//! [`LineFramer::discard_buffered`].
//!
//! # Example
//!
//! ```
//! use correo_wire::line::{LineConfig, LineEnding, LineFramer};
//!
//! let mut framer = LineFramer::new(LineConfig::default());
//! let mut seen = Vec::new();
//! for chunk in [&b"EHLO exa"[..], b"mple.org\r\nMAIL FROM:<a@b>\r", b"\nQU"] {
//!     let mut feed = framer.feed(chunk);
//!     while let Some(line) = feed.next_line() {
//!         let line = line?;
//!         assert_eq!(line.ending(), LineEnding::CrLf);
//!         seen.push(line.content().to_vec());
//!     }
//! }
//! assert_eq!(seen, [&b"EHLO example.org"[..], b"MAIL FROM:<a@b>"]);
//! // "QU" waits for the rest of its line.
//! assert_eq!(framer.buffered(), b"QU");
//! # Ok::<(), correo_wire::line::LineError>(())
//! ```

use memchr::memchr;

/// Default maximum length of a line's content (terminator excluded), in bytes.
pub const DEFAULT_MAX_LINE_LEN: usize = 8192;

/// Default maximum number of bytes the framer keeps buffered (see [`LineConfig::max_buffered`]).
pub const DEFAULT_MAX_BUFFERED: usize = 64 * 1024;

/// What a line feed that is not preceded by a carriage return means.
///
/// The Internet mail protocols end every line with CRLF. Real peers sometimes send a bare LF;
/// whether to tolerate that is a policy decision (accepting it blindly is what made SMTP
/// smuggling possible). Whatever the policy, a bare LF never starts the dot-stuffing
/// terminator: only `CRLF . CRLF` ends a message in [`crate::dot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BareLf {
    /// The line framer reports the line as an error ([`LineError::BareLf`]) and carries on
    /// with the next line. The dot decoder records [`DotError::BareLf`](crate::dot::DotError)
    /// (first offset), keeps the LF in its output and keeps consuming to the real
    /// terminator, so the session can answer with an error and stay in sync.
    #[default]
    Reject,
    /// A bare LF ends the line as if it were CRLF. The dot decoder writes CRLF in its place;
    /// the line framer reports [`LineEnding::Lf`] so the caller can tell.
    Normalize,
    /// A bare LF ends the line and is kept as it is; the line framer reports
    /// [`LineEnding::Lf`] and the dot decoder passes the LF through.
    Accept,
}

/// How a line was terminated on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `CR LF`, the standard terminator.
    CrLf,
    /// A bare `LF` (only yielded under [`BareLf::Normalize`] or [`BareLf::Accept`]).
    Lf,
}

impl LineEnding {
    /// The terminator's bytes as they were received.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::CrLf => b"\r\n",
            LineEnding::Lf => b"\n",
        }
    }

    /// Length of the terminator in bytes (2 or 1).
    pub const fn len(self) -> usize {
        match self {
            LineEnding::CrLf => 2,
            LineEnding::Lf => 1,
        }
    }

    /// Always `false`: a terminator is never empty. Present for API symmetry with `len`.
    pub const fn is_empty(self) -> bool {
        false
    }
}

/// One complete line, borrowed from the chunk just fed or from the framer's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Line<'a> {
    raw: &'a [u8],
    ending: LineEnding,
    offset: u64,
}

impl<'a> Line<'a> {
    /// The line's content, without its terminator.
    pub fn content(&self) -> &'a [u8] {
        let n = self.raw.len().saturating_sub(self.ending.len());
        self.raw.get(..n).unwrap_or_default()
    }

    /// The line as received, terminator included.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// How the line was terminated.
    pub fn ending(&self) -> LineEnding {
        self.ending
    }

    /// Stream offset of the line's first byte (bytes counted since the framer was created
    /// or [`reset`](LineFramer::reset)).
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// Limits and policy of a [`LineFramer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineConfig {
    /// Maximum length of a line's content, terminator excluded. A longer line is skipped
    /// and reported as [`LineError::TooLong`]. RFC 5321 sets 998 for SMTP text lines (1000
    /// with CRLF) and 510 for command lines; IMAP has no fixed limit.
    pub max_line_len: usize,
    /// What a bare LF means.
    pub bare_lf: BareLf,
    /// Maximum number of bytes kept when a [`Feed`] is dropped before all of its chunk was
    /// pulled, or when bytes are [`push`](LineFramer::push)ed. The partial trailing line
    /// kept between chunks is bounded by `max_line_len + 1` regardless.
    pub max_buffered: usize,
}

impl Default for LineConfig {
    fn default() -> Self {
        LineConfig {
            max_line_len: DEFAULT_MAX_LINE_LEN,
            bare_lf: BareLf::Reject,
            max_buffered: DEFAULT_MAX_BUFFERED,
        }
    }
}

impl LineConfig {
    /// A configuration with the given maximum line length and the defaults otherwise.
    pub fn with_max_line_len(max_line_len: usize) -> Self {
        LineConfig {
            max_line_len,
            ..LineConfig::default()
        }
    }

    /// Sets the bare-LF policy.
    pub fn bare_lf(mut self, policy: BareLf) -> Self {
        self.bare_lf = policy;
        self
    }

    /// Sets [`max_buffered`](LineConfig::max_buffered).
    pub fn max_buffered(mut self, max: usize) -> Self {
        self.max_buffered = max;
        self
    }
}

/// A line that could not be delivered. The framer stays usable: pull again for the next line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line's content was longer than the configured maximum. Its bytes were skipped
    /// (never buffered) up to and including its terminator.
    #[error("line at offset {offset} is {len} bytes long, over the limit of {max}")]
    TooLong {
        /// Stream offset of the line's first byte.
        offset: u64,
        /// Length of the line's content, terminator excluded.
        len: u64,
        /// The configured maximum.
        max: usize,
    },
    /// The line ended with a bare LF and the policy is [`BareLf::Reject`].
    #[error("bare LF (line feed without carriage return) at offset {offset}")]
    BareLf {
        /// Stream offset of the LF.
        offset: u64,
        /// Stream offset of the line's first byte.
        line_offset: u64,
    },
    /// Bytes could not be kept because the buffer limit
    /// ([`LineConfig::max_buffered`]) was reached when a [`Feed`] was dropped before all of
    /// its chunk was pulled. They were dropped, and so was the partial line before them;
    /// complete lines received before them are still delivered first. The stream has a gap:
    /// a protocol session should answer with an error or close.
    #[error("line buffer full at offset {offset}: {dropped} bytes dropped (limit {max})")]
    BufferFull {
        /// Stream offset of the first dropped byte.
        offset: u64,
        /// Number of bytes dropped.
        dropped: usize,
        /// The configured maximum.
        max: usize,
    },
}

impl LineError {
    /// Stream offset the error refers to.
    pub fn offset(&self) -> u64 {
        match *self {
            LineError::TooLong { offset, .. }
            | LineError::BareLf { offset, .. }
            | LineError::BufferFull { offset, .. } => offset,
        }
    }
}

/// State of an over-long line being skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Skip {
    /// Stream offset of the line's first byte.
    start: u64,
    /// Bytes of the line seen so far (no LF among them).
    len: u64,
    /// Whether the last byte seen was CR.
    last_cr: bool,
}

/// Continues skipping an over-long line through `piece`. Returns `Some((used, error))` when
/// the line ended inside `piece` (`used` bytes, LF included), `None` when all of `piece` was
/// skipped (or nothing is being skipped).
fn skip_through(skip: &mut Option<Skip>, max: usize, piece: &[u8]) -> Option<(usize, LineError)> {
    let current = (*skip)?;
    match memchr(b'\n', piece) {
        Some(j) => {
            let last_cr = if j > 0 {
                piece.get(j - 1) == Some(&b'\r')
            } else {
                current.last_cr
            };
            let raw = current.len.saturating_add(j as u64);
            let len = raw.saturating_sub(u64::from(last_cr));
            *skip = None;
            Some((
                j + 1,
                LineError::TooLong {
                    offset: current.start,
                    len,
                    max,
                },
            ))
        }
        None => {
            *skip = Some(Skip {
                start: current.start,
                len: current.len.saturating_add(piece.len() as u64),
                last_cr: piece.last().map_or(current.last_cr, |&b| b == b'\r'),
            });
            None
        }
    }
}

/// Where the line to return lies, decided before borrowing.
enum Found {
    Buf(usize, usize),
    Chunk(usize, usize),
}

/// A CRLF line framer. See the [module documentation](self).
///
/// Feed it with [`feed`](LineFramer::feed), pull lines from the returned [`Feed`] with
/// [`Feed::next_line`]. Memory use is bounded by the configuration, whatever is fed.
#[derive(Debug, Clone)]
pub struct LineFramer {
    config: LineConfig,
    /// Unconsumed bytes: `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    /// Stream offset of `buf[start]` (or of the next chunk byte when the buffer is empty).
    offset: u64,
    skip: Option<Skip>,
    /// Bytes dropped because the buffer was full: `(stream offset of the first, count)`.
    /// Reported once the buffered complete lines before them have been pulled.
    overflow: Option<(u64, usize)>,
}

impl Default for LineFramer {
    fn default() -> Self {
        LineFramer::new(LineConfig::default())
    }
}

impl LineFramer {
    /// A framer with the given configuration.
    pub fn new(config: LineConfig) -> Self {
        LineFramer {
            config,
            buf: Vec::new(),
            start: 0,
            offset: 0,
            skip: None,
            overflow: None,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// Replaces the configuration (for example, a larger line limit after authentication).
    /// Takes effect from the next byte processed.
    pub fn set_config(&mut self, config: LineConfig) {
        self.config = config;
    }

    /// Starts processing `chunk`: pull lines from the returned [`Feed`]. Lines lying wholly
    /// inside `chunk` are borrowed from it. When the `Feed` is dropped, the bytes of `chunk`
    /// that were not pulled are kept in the framer (up to
    /// [`max_buffered`](LineConfig::max_buffered)), so a caller may stop mid-chunk and
    /// resume later with another `feed` (an empty chunk is fine).
    pub fn feed<'f, 'c>(&'f mut self, chunk: &'c [u8]) -> Feed<'f, 'c> {
        Feed {
            framer: self,
            chunk,
            pos: 0,
        }
    }

    /// Pulls the next complete line from the buffered bytes alone (no new input).
    pub fn next_line(&mut self) -> Option<Result<Line<'_>, LineError>> {
        let mut pos = 0;
        self.pull(&[], &mut pos)
    }

    /// Copies `bytes` into the framer's buffer, to be pulled later with
    /// [`next_line`](LineFramer::next_line). Fails, keeping nothing of `bytes`, if the
    /// buffer would exceed [`max_buffered`](LineConfig::max_buffered) (and the partial-line
    /// allowance), or if bytes dropped earlier have not been reported yet (they are then
    /// counted as dropped too).
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), LineError> {
        let have = self.buffered_len();
        let cap = self.buffer_cap();
        if let Some((offset, dropped)) = self.overflow.as_mut() {
            *dropped = dropped.saturating_add(bytes.len());
            return Err(LineError::BufferFull {
                offset: *offset,
                dropped: *dropped,
                max: cap,
            });
        }
        if have.saturating_add(bytes.len()) > cap {
            return Err(LineError::BufferFull {
                offset: self.offset.saturating_add(have as u64),
                dropped: bytes.len(),
                max: cap,
            });
        }
        self.append(bytes);
        Ok(())
    }

    /// The bytes received but not yet consumed (a partial line, or bytes kept from a dropped
    /// [`Feed`]).
    pub fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Number of bytes received but not yet consumed.
    pub fn buffered_len(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Takes the unconsumed buffered bytes out of the framer (to hand them to a literal or
    /// `DATA` reader, for instance). They count as consumed.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let out = self.buffered().to_vec();
        self.discard_buffered();
        out
    }

    /// Throws away the unconsumed buffered bytes, an over-long line being skipped and any
    /// pending [`LineError::BufferFull`], returning how many bytes were dropped. Call it
    /// when TLS is negotiated (STARTTLS/STLS): bytes received in clear text before the
    /// upgrade must never be interpreted after it (CVE-2011-0411).
    pub fn discard_buffered(&mut self) -> usize {
        let n = self.buffered_len();
        self.offset = self.offset.saturating_add(n as u64);
        self.buf.clear();
        self.start = 0;
        self.skip = None;
        self.overflow = None;
        n
    }

    /// Whether an over-long line is being skipped (its end has not arrived yet).
    pub fn is_skipping(&self) -> bool {
        self.skip.is_some()
    }

    /// Stream offset of the next byte to be consumed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Forgets all state (buffered bytes, offsets, pending errors), keeping the configuration
    /// and the buffer's allocation.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.offset = 0;
        self.skip = None;
        self.overflow = None;
    }

    fn buffer_cap(&self) -> usize {
        self.config
            .max_buffered
            .max(self.config.max_line_len.saturating_add(1))
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn consume_buf(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.buf.len());
        self.offset = self.offset.saturating_add(n as u64);
        if self.start >= self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Classifies a complete raw line (ending in LF). `Ok(ending)` or the error for it.
    fn classify(&self, raw: &[u8], line_offset: u64) -> Result<LineEnding, LineError> {
        let n = raw.len();
        let has_cr = n >= 2 && raw.get(n - 2) == Some(&b'\r');
        let content_len = n.saturating_sub(if has_cr { 2 } else { 1 });
        if content_len > self.config.max_line_len {
            return Err(LineError::TooLong {
                offset: line_offset,
                len: content_len as u64,
                max: self.config.max_line_len,
            });
        }
        if has_cr {
            Ok(LineEnding::CrLf)
        } else if self.config.bare_lf == BareLf::Reject {
            Err(LineError::BareLf {
                offset: line_offset.saturating_add(n.saturating_sub(1) as u64),
                line_offset,
            })
        } else {
            Ok(LineEnding::Lf)
        }
    }

    /// The core: next line from `buf[start..]` followed by `chunk[*pos..]`.
    fn pull<'s>(
        &'s mut self,
        chunk: &'s [u8],
        pos: &mut usize,
    ) -> Option<Result<Line<'s>, LineError>> {
        let found = loop {
            if let Some((offset, dropped)) = self.overflow {
                let buffered = self.buf.get(self.start..).unwrap_or_default();
                if self.skip.is_some() || memchr(b'\n', buffered).is_none() {
                    // No complete line before the gap: the partial line (or the line being
                    // skipped) is cut by the dropped bytes; drop it too and report.
                    let partial = self.buffered_len();
                    self.consume_buf(partial);
                    self.skip = None;
                    self.overflow = None;
                    self.offset = self.offset.saturating_add(dropped as u64);
                    return Some(Err(LineError::BufferFull {
                        offset,
                        dropped,
                        max: self.buffer_cap(),
                    }));
                }
            }
            let rest = chunk.get(*pos..).unwrap_or_default();
            if self.start < self.buf.len() {
                // Phase A: buffered bytes first.
                if self.skip.is_some() {
                    let piece = self.buf.get(self.start..).unwrap_or_default();
                    let piece_len = piece.len();
                    match skip_through(&mut self.skip, self.config.max_line_len, piece) {
                        Some((used, err)) => {
                            self.consume_buf(used);
                            return Some(Err(err));
                        }
                        None => {
                            self.consume_buf(piece_len);
                            continue;
                        }
                    }
                }
                let have = self.buf.len() - self.start;
                if let Some(i) = memchr(b'\n', self.buf.get(self.start..).unwrap_or_default()) {
                    break Found::Buf(self.start, i + 1);
                }
                // A partial line in the buffer: complete it from the chunk.
                match memchr(b'\n', rest) {
                    Some(j) => {
                        let raw_len = have.saturating_add(j + 1);
                        // +2: the terminator may be CRLF.
                        if raw_len > self.config.max_line_len.saturating_add(2) {
                            // Decide without copying the excess.
                            let last_cr = if j > 0 {
                                rest.get(j - 1) == Some(&b'\r')
                            } else {
                                self.buf.last() == Some(&b'\r')
                            };
                            let len = (raw_len - 1).saturating_sub(usize::from(last_cr));
                            if len > self.config.max_line_len {
                                let offset = self.offset;
                                self.consume_buf(have);
                                *pos += j + 1;
                                self.offset = self.offset.saturating_add(j as u64 + 1);
                                return Some(Err(LineError::TooLong {
                                    offset,
                                    len: len as u64,
                                    max: self.config.max_line_len,
                                }));
                            }
                        }
                        let piece = rest.get(..=j).unwrap_or_default();
                        self.append(piece);
                        *pos += j + 1;
                        break Found::Buf(self.start, self.buf.len() - self.start);
                    }
                    None => {
                        self.keep_partial(rest);
                        *pos = chunk.len();
                        return None;
                    }
                }
            }
            // Phase B: the buffer is empty; work on the chunk directly.
            if rest.is_empty() {
                return None;
            }
            if self.skip.is_some() {
                match skip_through(&mut self.skip, self.config.max_line_len, rest) {
                    Some((used, err)) => {
                        *pos += used;
                        self.offset = self.offset.saturating_add(used as u64);
                        return Some(Err(err));
                    }
                    None => {
                        *pos = chunk.len();
                        self.offset = self.offset.saturating_add(rest.len() as u64);
                        return None;
                    }
                }
            }
            match memchr(b'\n', rest) {
                Some(j) => break Found::Chunk(*pos, j + 1),
                None => {
                    self.keep_partial(rest);
                    *pos = chunk.len();
                    return None;
                }
            }
        };
        match found {
            Found::Buf(s, n) => {
                let line_offset = self.offset;
                self.offset = self.offset.saturating_add(n as u64);
                self.start = s + n;
                let raw = self.buf.get(s..s + n).unwrap_or_default();
                let ending = match self.classify(raw, line_offset) {
                    Ok(e) => e,
                    Err(e) => {
                        self.compact_if_drained();
                        return Some(Err(e));
                    }
                };
                // The buffer is compacted lazily (on the next append or pull) so that the
                // line can borrow from it.
                Some(Ok(Line {
                    raw: self.buf.get(s..s + n).unwrap_or_default(),
                    ending,
                    offset: line_offset,
                }))
            }
            Found::Chunk(s, n) => {
                let line_offset = self.offset;
                self.offset = self.offset.saturating_add(n as u64);
                *pos = s + n;
                let raw = chunk.get(s..s + n).unwrap_or_default();
                match self.classify(raw, line_offset) {
                    Ok(ending) => Some(Ok(Line {
                        raw,
                        ending,
                        offset: line_offset,
                    })),
                    Err(e) => Some(Err(e)),
                }
            }
        }
    }

    fn compact_if_drained(&mut self) {
        if self.start >= self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Keeps the partial line `rest` (no LF in it, appended to the buffered partial line),
    /// or starts skipping if that would make the line longer than allowed.
    fn keep_partial(&mut self, rest: &[u8]) {
        let have = self.buffered_len();
        let total = have.saturating_add(rest.len());
        if total > self.config.max_line_len.saturating_add(1) {
            let last_cr = rest
                .last()
                .or_else(|| self.buf.last())
                .is_some_and(|&b| b == b'\r');
            self.skip = Some(Skip {
                start: self.offset,
                len: total as u64,
                last_cr,
            });
            self.offset = self.offset.saturating_add(total as u64);
            self.buf.clear();
            self.start = 0;
        } else if !rest.is_empty() {
            self.append(rest);
        }
    }
}

/// A chunk being processed by a [`LineFramer`]; created by [`LineFramer::feed`].
///
/// Pull lines with [`next_line`](Feed::next_line) until it returns `None`; or switch to
/// raw byte mode with [`peek_raw`](Feed::peek_raw)/[`consume_raw`](Feed::consume_raw).
/// Dropping a `Feed` keeps its unpulled bytes in the framer (drop it, or end its scope,
/// before using the framer again).
///
/// Raw mode, as for an IMAP literal `{n}` that may arrive split anywhere:
///
/// ```
/// use correo_wire::line::LineFramer;
///
/// let mut framer = LineFramer::default();
/// let (mut literal, mut want, mut lines) = (Vec::new(), 0usize, Vec::new());
/// for chunk in [&b"A1 LOGIN {5}\r\nal"[..], b"ice secret\r\n"] {
///     let mut feed = framer.feed(chunk);
///     loop {
///         if want > 0 {
///             let raw = feed.peek_raw();
///             let n = want.min(raw.len());
///             if n == 0 {
///                 break;
///             }
///             literal.extend_from_slice(&raw[..n]);
///             feed.consume_raw(n);
///             want -= n;
///         } else if let Some(line) = feed.next_line() {
///             let line = line?;
///             if line.content().ends_with(b"{5}") {
///                 want = 5;
///             }
///             lines.push(line.content().to_vec());
///         } else {
///             break;
///         }
///     }
/// }
/// assert_eq!(literal, b"alice");
/// assert_eq!(lines, [&b"A1 LOGIN {5}"[..], b" secret"]);
/// # Ok::<(), correo_wire::line::LineError>(())
/// ```
#[derive(Debug)]
pub struct Feed<'f, 'c> {
    framer: &'f mut LineFramer,
    chunk: &'c [u8],
    pos: usize,
}

impl<'c> Feed<'_, 'c> {
    /// The next complete line, or an error for a line that could not be delivered (the
    /// next call carries on after it), or `None` when all bytes are consumed (a partial
    /// trailing line is then kept in the framer).
    pub fn next_line(&mut self) -> Option<Result<Line<'_>, LineError>> {
        // Fast path (the common case): nothing buffered or pending, and a whole line in the
        // chunk; the same result as the general path below.
        let framer = &mut *self.framer;
        if framer.start >= framer.buf.len() && framer.skip.is_none() && framer.overflow.is_none() {
            let rest = self.chunk.get(self.pos..).unwrap_or_default();
            if let Some(j) = memchr(b'\n', rest) {
                let raw = rest.get(..=j).unwrap_or_default();
                let offset = framer.offset;
                framer.offset = offset.saturating_add(raw.len() as u64);
                self.pos += raw.len();
                return Some(framer.classify(raw, offset).map(|ending| Line {
                    raw,
                    ending,
                    offset,
                }));
            }
        }
        self.framer.pull(self.chunk, &mut self.pos)
    }

    /// The next contiguous run of unconsumed raw bytes: the framer's buffered bytes if
    /// there are any, otherwise the rest of the chunk. Empty when everything is consumed.
    /// Use it with [`consume_raw`](Feed::consume_raw) to read a literal or a `DATA` body.
    pub fn peek_raw(&self) -> &[u8] {
        let buffered = self.framer.buffered();
        if buffered.is_empty() {
            self.remaining()
        } else {
            buffered
        }
    }

    /// Marks the first `n` bytes of [`peek_raw`](Feed::peek_raw) as consumed (clamped to
    /// its length). Returns how many were consumed.
    pub fn consume_raw(&mut self, n: usize) -> usize {
        let buffered = self.framer.buffered_len();
        if buffered > 0 {
            let n = n.min(buffered);
            self.framer.consume_buf(n);
            n
        } else {
            let n = n.min(self.remaining().len());
            self.pos += n;
            self.framer.offset = self.framer.offset.saturating_add(n as u64);
            n
        }
    }

    /// Number of unconsumed bytes, buffered and in the chunk.
    pub fn available(&self) -> usize {
        self.framer
            .buffered_len()
            .saturating_add(self.remaining().len())
    }

    /// The part of the chunk not yet consumed (not including bytes buffered earlier).
    pub fn remaining(&self) -> &'c [u8] {
        self.chunk.get(self.pos..).unwrap_or_default()
    }

    /// Throws away every unconsumed byte, buffered or in the chunk, and returns how many
    /// were dropped. Use at a TLS upgrade (CVE-2011-0411).
    pub fn discard_remaining(&mut self) -> usize {
        let rest = self.remaining().len();
        self.pos = self.chunk.len();
        self.framer.offset = self.framer.offset.saturating_add(rest as u64);
        self.framer.discard_buffered().saturating_add(rest)
    }

    /// The framer behind this feed (for its configuration and offsets).
    pub fn framer(&self) -> &LineFramer {
        self.framer
    }
}

impl Drop for Feed<'_, '_> {
    fn drop(&mut self) {
        let rest = self.chunk.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            return;
        }
        self.pos = self.chunk.len();
        let framer = &mut *self.framer;
        if let Some((_, dropped)) = framer.overflow.as_mut() {
            // Already cut: what follows the gap cannot be joined to what precedes it.
            *dropped = dropped.saturating_add(rest.len());
        } else if framer.push(rest).is_err() {
            let offset = framer.offset.saturating_add(framer.buffered_len() as u64);
            framer.overflow = Some((offset, rest.len()));
        }
    }
}
