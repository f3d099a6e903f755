//! Dot-stuffing, as used by SMTP `DATA` (RFC 5321 section 4.5.2) and POP3 multi-line replies
//! (RFC 1939 section 3): a streaming [`DotEncoder`] and a streaming [`DotDecoder`].
//!
//! Both take input in any split and hand out output as a sequence of slices: runs of the
//! input itself (no copying) and short constant pieces (`"\r\n"`, `"."`). Only a few bits of
//! state cross chunk boundaries, so memory is constant whatever the message size.
//!
//! The decoder ends **only** on `CRLF . CRLF` (or a `.` CRLF as the very first line). Lines
//! ended by a bare LF or bare CR never start a terminator, so `LF.LF`, `LF.CRLF`, `CRLF.LF`,
//! `CR.CR`, `CR.CRLF` and their mixes are message content, never an end of data (SMTP
//! smuggling).
//!
//! # Example
//!
//! ```
//! use correo_wire::dot::{DotConfig, DotDecoder, DotEncoder};
//!
//! // Encode a body (bare LF and a leading dot) and feed the wire bytes back in two pieces.
//! let wire = DotEncoder::encode_all(b".hidden\nline");
//! assert_eq!(wire, b"..hidden\r\nline\r\n.\r\n");
//!
//! let mut wire = wire;
//! wire.extend_from_slice(b"QUIT\r\n"); // what the peer sent next
//! let mut decoder = DotDecoder::new(DotConfig::default());
//! let mut body = Vec::new();
//! let (a, b) = wire.split_at(9);
//! let first = decoder.decode(a, |piece| body.extend_from_slice(piece));
//! assert_eq!(first.consumed, 9);
//! assert!(!first.complete);
//! let second = decoder.decode(b, |piece| body.extend_from_slice(piece));
//! assert!(second.complete);
//! assert_eq!(&b[second.consumed..], b"QUIT\r\n"); // handed back to the command parser
//! assert_eq!(body, b".hidden\r\nline\r\n");
//! assert_eq!(decoder.error(), None);
//! ```
//!
//! # With the line framer
//!
//! A protocol machine reads command lines with a [`LineFramer`](crate::line::LineFramer) and,
//! after `DATA`, hands the raw bytes that follow to a [`DotDecoder`] on the same
//! [`Feed`](crate::line::Feed); the bytes after the terminator go back to line mode.
//!
//! ```
//! use correo_wire::dot::DotDecoder;
//! use correo_wire::line::LineFramer;
//!
//! let mut framer = LineFramer::default();
//! let mut data: Option<DotDecoder> = None;
//! let (mut commands, mut body) = (Vec::new(), Vec::new());
//! for chunk in [&b"DATA\r\nHi\r\n.\r"[..], b"\nQUIT\r\n"] {
//!     let mut feed = framer.feed(chunk);
//!     loop {
//!         if let Some(decoder) = data.as_mut() {
//!             let raw = feed.peek_raw();
//!             if raw.is_empty() {
//!                 break;
//!             }
//!             let progress = decoder.decode_into(raw, &mut body);
//!             feed.consume_raw(progress.consumed);
//!             if progress.complete {
//!                 data = None; // back to commands
//!             }
//!         } else if let Some(line) = feed.next_line() {
//!             let line = line?;
//!             if line.content() == b"DATA" {
//!                 data = Some(DotDecoder::default());
//!             }
//!             commands.push(line.content().to_vec());
//!         } else {
//!             break;
//!         }
//!     }
//! }
//! assert_eq!(commands, [&b"DATA"[..], b"QUIT"]);
//! assert_eq!(body, b"Hi\r\n");
//! # Ok::<(), correo_wire::line::LineError>(())
//! ```

use memchr::memchr2;

pub use crate::line::BareLf;

/// Limits and policy of a [`DotDecoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DotConfig {
    /// What a bare LF in the body means. Whatever the policy, a bare LF never starts a
    /// terminator.
    pub bare_lf: BareLf,
    /// Maximum decoded body size in bytes; `None` for no limit. Past it, output stops
    /// (exactly at the limit), [`DotError::TooLarge`] is recorded and the decoder keeps
    /// consuming up to the terminator (SMTP `552` semantics).
    pub max_size: Option<u64>,
}

impl DotConfig {
    /// Sets the bare-LF policy.
    pub fn bare_lf(mut self, policy: BareLf) -> Self {
        self.bare_lf = policy;
        self
    }

    /// Sets the maximum decoded body size.
    pub fn max_size(mut self, max: u64) -> Self {
        self.max_size = Some(max);
        self
    }
}

/// What was wrong with a dot-stuffed body. The decoder records it and keeps consuming to
/// the real terminator, so the session stays in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DotError {
    /// A bare LF under [`BareLf::Reject`].
    #[error("bare LF (line feed without carriage return) at offset {offset} of the data")]
    BareLf {
        /// Offset of the LF, counted from the first byte given to the decoder.
        offset: u64,
    },
    /// The decoded body is larger than [`DotConfig::max_size`].
    #[error("message body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: u64,
    },
}

/// Result of one [`DotDecoder::decode`] or [`DotEncoder::encode`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Progress {
    /// Input bytes consumed. Less than the input's length only when the terminator was
    /// found: the bytes after it belong to whatever comes next.
    pub consumed: usize,
    /// Whether the terminating `.` line has been consumed.
    pub complete: bool,
}

/// One step of a streaming codec: `consumed` input bytes were used up and `data` is the next
/// piece of output (possibly empty). `data` borrows the input or is a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step<'a> {
    /// Input bytes used up by this step (may be 0 when `data` is not empty).
    pub consumed: usize,
    /// Output produced by this step.
    pub data: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecState {
    /// At the start of a line. `term_ok`: the previous line ended with CRLF (or this is the
    /// first line), so a `.` CRLF line here is the terminator.
    LineStart { term_ok: bool },
    /// Inside a line; `prev_cr`: the last byte consumed was CR.
    Mid { prev_cr: bool },
    /// A `.` at the start of a line was consumed and held back.
    Dot { term_ok: bool },
    /// `.` CR at the start of a line were consumed and held back.
    DotCr { term_ok: bool },
    /// The terminator was consumed.
    Done,
}

/// Streaming dot-stuffing decoder (SMTP `DATA` receiver, POP3 multi-line reply reader).
///
/// Feed it the bytes that follow the `354` reply (or the `+OK` line) with
/// [`decode`](DotDecoder::decode) or, for a pull style, [`decode_step`](DotDecoder::decode_step).
/// It un-stuffs leading dots and stops after the terminator, telling how many input bytes it
/// consumed. The body it emits includes the final CRLF of the last line.
///
/// ```
/// use correo_wire::dot::{BareLf, DotConfig, DotDecoder, DotError};
///
/// // A smuggling attempt: "\n.\n" must not end the message.
/// let wire = b"Subject: hi\r\n\r\nbody\n.\nMAIL FROM:<evil@x>\r\n.\r\n";
/// let mut decoder = DotDecoder::new(DotConfig::default().bare_lf(BareLf::Reject));
/// let mut body = Vec::new();
/// let progress = decoder.decode(wire, |piece| body.extend_from_slice(piece));
/// assert!(progress.complete);
/// assert_eq!(progress.consumed, wire.len()); // the whole thing was one message
/// assert_eq!(decoder.error(), Some(DotError::BareLf { offset: 19 }));
/// ```
#[derive(Debug, Clone)]
pub struct DotDecoder {
    config: DotConfig,
    state: DecState,
    /// Input bytes consumed so far.
    offset: u64,
    /// Decoded body length, counting bytes past the size limit too.
    body_len: u64,
    /// Offset of the first bare LF (recorded under every policy).
    bare_lf: Option<u64>,
    too_large: bool,
}

impl Default for DotDecoder {
    fn default() -> Self {
        DotDecoder::new(DotConfig::default())
    }
}

impl DotDecoder {
    /// A decoder at the start of a body.
    pub fn new(config: DotConfig) -> Self {
        DotDecoder {
            config,
            state: DecState::LineStart { term_ok: true },
            offset: 0,
            body_len: 0,
            bare_lf: None,
            too_large: false,
        }
    }

    /// Makes the decoder ready for a new body, keeping its configuration.
    pub fn reset(&mut self) {
        *self = DotDecoder::new(self.config);
    }

    /// The configuration in force.
    pub fn config(&self) -> &DotConfig {
        &self.config
    }

    /// Whether the terminator has been consumed.
    pub fn is_complete(&self) -> bool {
        self.state == DecState::Done
    }

    /// The error met so far, if any: [`DotError::BareLf`] (the first bare LF, under
    /// [`BareLf::Reject`]) takes precedence over [`DotError::TooLarge`], so the answer does
    /// not depend on how the input was split. The body should be rejected when this is
    /// `Some`, after the terminator, so the session stays in sync.
    pub fn error(&self) -> Option<DotError> {
        match (self.config.bare_lf, self.bare_lf, self.config.max_size) {
            (BareLf::Reject, Some(offset), _) => Some(DotError::BareLf { offset }),
            (_, _, Some(limit)) if self.too_large => Some(DotError::TooLarge { limit }),
            _ => None,
        }
    }

    /// Whether the size limit was exceeded.
    pub fn size_exceeded(&self) -> bool {
        self.too_large
    }

    /// Offset of the first bare LF seen, whatever the policy (useful to log a peer that
    /// sends them under [`BareLf::Normalize`] or [`BareLf::Accept`]).
    pub fn first_bare_lf(&self) -> Option<u64> {
        self.bare_lf
    }

    /// Decoded body length so far, including bytes past the size limit that were not
    /// emitted.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    /// Input bytes consumed so far (terminator included once complete).
    pub fn consumed(&self) -> u64 {
        self.offset
    }

    /// Decodes `input`, passing each piece of body to `sink`, until the input is used up or
    /// the terminator is consumed.
    ///
    /// The pieces are the longest runs of `input` between un-stuffed dots (borrowed, never
    /// copied) and short constants; a body without stuffed dots and bare LFs is handed over
    /// as one piece.
    pub fn decode<F: FnMut(&[u8])>(&mut self, input: &[u8], mut sink: F) -> Progress {
        let mut pos = 0;
        while self.state != DecState::Done {
            let rest = input.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            let step = self.decode_step(rest);
            if !step.data.is_empty() {
                sink(step.data);
            }
            pos += step.consumed;
        }
        Progress {
            consumed: pos,
            complete: self.is_complete(),
        }
    }

    /// Decodes `input`, appending the body to `out`. See [`decode`](DotDecoder::decode).
    ///
    /// Runs of plain lines are copied while they are scanned (one pass over the input, like
    /// a `memcpy`), unless the size limit could be reached within `input`.
    pub fn decode_into(&mut self, input: &[u8], out: &mut Vec<u8>) -> Progress {
        // The output of one call is at most twice its input plus the held-back `.\r`.
        let bound = (input.len() as u64).saturating_mul(2).saturating_add(4);
        if self
            .config
            .max_size
            .is_some_and(|max| self.body_len.saturating_add(bound) > max)
        {
            return self.decode(input, |piece| out.extend_from_slice(piece));
        }
        out.reserve(input.len());
        let mut pos = 0;
        while self.state != DecState::Done {
            let rest = input.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            let step = self.step_with(rest, Some(out));
            out.extend_from_slice(step.data);
            pos += step.consumed;
        }
        Progress {
            consumed: pos,
            complete: self.is_complete(),
        }
    }

    /// One pull step: consumes some of `input` and returns the next piece of body. Call it
    /// again with the unconsumed rest until the rest is empty or the decoder is
    /// [complete](DotDecoder::is_complete). Every step consumes input, produces output or
    /// changes state, so such a loop always ends.
    #[inline]
    pub fn decode_step<'a>(&mut self, input: &'a [u8]) -> Step<'a> {
        self.step_with(input, None)
    }

    /// A step; with `out`, the start of the step's output may be appended to `out` during
    /// the scan already, and the returned data is only the rest (no size limit applies).
    #[inline]
    fn step_with<'a>(&mut self, input: &'a [u8], out: Option<&mut Vec<u8>>) -> Step<'a> {
        let (step, copied) = self.step_inner(input, out);
        self.offset = self.offset.saturating_add(step.consumed as u64);
        self.body_len = self.body_len.saturating_add(copied as u64);
        self.limit(step)
    }

    /// Applies the size limit to a step's output.
    #[inline]
    fn limit<'a>(&mut self, step: Step<'a>) -> Step<'a> {
        let len = step.data.len() as u64;
        let before = self.body_len;
        self.body_len = before.saturating_add(len);
        let Some(max) = self.config.max_size else {
            return step;
        };
        if self.body_len <= max {
            return step;
        }
        self.too_large = true;
        let allowed = max.saturating_sub(before).min(len) as usize;
        Step {
            consumed: step.consumed,
            data: step.data.get(..allowed).unwrap_or_default(),
        }
    }

    fn bare_lf_at(&mut self, index: usize) {
        if self.bare_lf.is_none() {
            self.bare_lf = Some(self.offset.saturating_add(index as u64));
        }
    }

    /// The output for a bare LF that ends a `.` line (kept, since it is no terminator).
    fn dot_line_bare_lf(&self) -> &'static [u8] {
        match self.config.bare_lf {
            BareLf::Normalize => b".\r\n",
            BareLf::Reject | BareLf::Accept => b".\n",
        }
    }

    /// One step, and how much of its output the scan already appended to `out`.
    fn step_inner<'a>(&mut self, input: &'a [u8], out: Option<&mut Vec<u8>>) -> (Step<'a>, usize) {
        let Some(&first) = input.first() else {
            let none = Step {
                consumed: 0,
                data: &[],
            };
            return (none, 0);
        };
        let step = match self.state {
            DecState::Done => Step {
                consumed: 0,
                data: &[],
            },
            DecState::LineStart { term_ok } => {
                if first == b'.' {
                    self.state = DecState::Dot { term_ok };
                    Step {
                        consumed: 1,
                        data: &[],
                    }
                } else {
                    return self.scan(input, false, out);
                }
            }
            DecState::Dot { term_ok } => match first {
                b'\r' => {
                    self.state = DecState::DotCr { term_ok };
                    Step {
                        consumed: 1,
                        data: &[],
                    }
                }
                b'\n' => {
                    // `.` ended by a bare LF: never a terminator; the dot line is kept.
                    self.bare_lf_at(0);
                    self.state = DecState::LineStart { term_ok: false };
                    Step {
                        consumed: 1,
                        data: self.dot_line_bare_lf(),
                    }
                }
                _ => {
                    // A leading dot followed by other characters is deleted (this is
                    // also what turns ".." into ".").
                    return self.scan(input, false, out);
                }
            },
            DecState::DotCr { term_ok } => {
                if first == b'\n' {
                    if term_ok {
                        self.state = DecState::Done;
                        Step {
                            consumed: 1,
                            data: &[],
                        }
                    } else {
                        // "." CRLF after a bare line ending: content, kept as is.
                        self.state = DecState::LineStart { term_ok: true };
                        Step {
                            consumed: 1,
                            data: b".\r\n",
                        }
                    }
                } else {
                    // ".\r" followed by more: the dot is deleted, the CR is content.
                    self.state = DecState::Mid { prev_cr: true };
                    Step {
                        consumed: 0,
                        data: b"\r",
                    }
                }
            }
            DecState::Mid { prev_cr } => return self.scan(input, prev_cr, out),
        };
        (step, 0)
    }

    /// The hot path: hands out the longest run of `input` that needs no rewriting, up to
    /// the next line that starts with a dot or up to a bare LF that the policy rewrites.
    /// One branch-free pass over 64-byte blocks finds both (lines are never visited one by
    /// one); a body without them is handed out whole. `prev_cr`: the byte before
    /// `input[0]` was CR.
    ///
    /// With `out`, the blocks found plain are appended to `out` as they are scanned; the
    /// returned count says how many bytes of the step's output that covers, and the step's
    /// data is only the rest.
    fn scan<'a>(
        &mut self,
        input: &'a [u8],
        prev_cr: bool,
        mut out: Option<&mut Vec<u8>>,
    ) -> (Step<'a>, usize) {
        let mut from = 0;
        // Input before `copied` is done with (appended to `out`, or a deleted dot).
        let mut copied = 0;
        // Stuffed dots deleted while copying.
        let mut deleted = 0;
        // The output from `copied` on (all the outputs of this function end a prefix of
        // the input), and how many bytes went to `out` already.
        let rest = |step: Step<'a>, copied: usize, deleted: usize| {
            let data = step.data.get(copied..).unwrap_or_default();
            (
                Step {
                    consumed: step.consumed,
                    data,
                },
                copied - deleted,
            )
        };
        loop {
            // Bare LFs matter until the first one is noted, or always when rewritten.
            let bare = self.config.bare_lf == BareLf::Normalize || self.bare_lf.is_none();
            let found = find_event(input, from, prev_cr, bare, out.as_deref_mut(), &mut copied);
            let Some(lf) = found else {
                // Nothing special: the whole input is content.
                self.state = end_state(input, prev_cr);
                let all = Step {
                    consumed: input.len(),
                    data: input,
                };
                return rest(all, copied, deleted);
            };
            let crlf = match lf.checked_sub(1) {
                None => prev_cr,
                Some(cr) => input.get(cr) == Some(&b'\r'),
            };
            if !crlf {
                self.bare_lf_at(lf);
                if self.config.bare_lf == BareLf::Normalize {
                    if lf > 0 {
                        // Emit up to the LF; the next step rewrites it.
                        self.state = DecState::Mid { prev_cr: false };
                        let step = Step {
                            consumed: lf,
                            data: input.get(..lf).unwrap_or_default(),
                        };
                        return rest(step, copied, deleted);
                    }
                    self.state = DecState::LineStart { term_ok: false };
                    // Nothing was copied: an LF at 0 is found before any block.
                    let step = Step {
                        consumed: 1,
                        data: b"\r\n",
                    };
                    return (step, 0);
                }
            }
            let end = lf + 1;
            let run = input.get(..end).unwrap_or_default();
            match input.get(end) {
                Some(b'.') => {
                    if let Some(&after) = input.get(end + 1)
                        && after != b'\r'
                        && after != b'\n'
                    {
                        // A stuffed (or plain leading) dot with more on its line: delete
                        // it here. When copying, carry on scanning after it; otherwise the
                        // run after it starts the next step.
                        if let Some(out) = out.as_deref_mut() {
                            out.extend_from_slice(input.get(copied..end).unwrap_or_default());
                            copied = end + 1;
                            deleted += 1;
                            from = end + 1;
                            continue;
                        }
                        self.state = DecState::Mid { prev_cr: false };
                        let step = Step {
                            consumed: end + 1,
                            data: run,
                        };
                        return rest(step, copied, deleted);
                    }
                    // A `.` line (maybe the terminator), or the input ends inside it.
                    self.state = DecState::LineStart { term_ok: crlf };
                    let step = Step {
                        consumed: end,
                        data: run,
                    };
                    return rest(step, copied, deleted);
                }
                None => {
                    self.state = DecState::LineStart { term_ok: crlf };
                    let step = Step {
                        consumed: end,
                        data: run,
                    };
                    return rest(step, copied, deleted);
                }
                // A bare LF that is only noted: carry on after it.
                Some(_) => from = end,
            }
        }
    }
}

/// The decoder state after a run of content that ends the input.
fn end_state(input: &[u8], prev_cr: bool) -> DecState {
    match input {
        [.., b'\r', b'\n'] => DecState::LineStart { term_ok: true },
        [b'\n'] => DecState::LineStart { term_ok: prev_cr },
        [.., b'\n'] => DecState::LineStart { term_ok: false },
        [.., last] => DecState::Mid {
            prev_cr: *last == b'\r',
        },
        [] => DecState::Mid { prev_cr },
    }
}

/// Bytes per block of the event scan.
const LANES: usize = 64;

/// Whether a block of byte pairs (`a[i]`, `b[i]`: a byte and the one after it) holds an
/// LF followed by a dot or, when `BARE`, an LF after something other than CR.
/// Branch-free over fixed-size arrays, so the compiler vectorises it.
#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose, so that it vectorises
fn block_has_event<const BARE: bool>(a: &[u8; LANES], b: &[u8; LANES]) -> bool {
    let mut acc = false;
    for (&x, &y) in a.iter().zip(b) {
        let lf_dot = (x == b'\n') & (y == b'.');
        let bare_lf = BARE & (x != b'\r') & (y == b'\n');
        acc |= lf_dot | bare_lf;
    }
    acc
}

/// The first LF at or after `from` that is followed by a dot or (when `bare`) not preceded
/// by CR; `prev_cr`: the byte before `input[0]` was CR. An LF that ends the input counts
/// only when bare (what follows it is not known yet). Whole blocks are checked without
/// branches; only a block with an event is looked at byte by byte.
///
/// With `out`, the input from `*copied` up to the block with the event is appended to
/// `out` on the way (each block right after it was checked, while it is in cache) and
/// `*copied` moves up.
fn find_event(
    input: &[u8],
    from: usize,
    prev_cr: bool,
    bare: bool,
    out: Option<&mut Vec<u8>>,
    copied: &mut usize,
) -> Option<usize> {
    if from == 0 && bare && !prev_cr && input.first() == Some(&b'\n') {
        return Some(0);
    }
    if bare {
        find_pair_event::<true>(input, from, out, copied)
    } else {
        find_pair_event::<false>(input, from, out, copied)
    }
}

/// [`find_event`] over the byte pairs starting at `from` (an LF at `from` itself counts
/// only when followed by a dot).
#[inline]
fn find_pair_event<const BARE: bool>(
    input: &[u8],
    from: usize,
    out: Option<&mut Vec<u8>>,
    copied: &mut usize,
) -> Option<usize> {
    let a = input.get(from..input.len().saturating_sub(1))?;
    let b = input.get(from + 1..)?;
    let (a_blocks, _) = a.as_chunks::<LANES>();
    let (b_blocks, _) = b.as_chunks::<LANES>();
    let mut at = from;
    if let Some(out) = out {
        // Bytes between an event that was only noted and `from`.
        out.extend_from_slice(input.get(*copied..from).unwrap_or_default());
        for (x, y) in a_blocks.iter().zip(b_blocks) {
            if block_has_event::<BARE>(x, y) {
                break;
            }
            out.extend_from_slice(x);
            at += LANES;
        }
        *copied = at;
    } else {
        for (x, y) in a_blocks.iter().zip(b_blocks) {
            if block_has_event::<BARE>(x, y) {
                break;
            }
            at += LANES;
        }
    }
    // The LFs of the block with the event (and the LF right after it), or of the tail.
    let end = at.saturating_add(LANES + 1).min(input.len());
    let window = input.get(at..end)?;
    for i in memchr::memchr_iter(b'\n', window) {
        let lf = at + i;
        if input.get(lf + 1) == Some(&b'.') {
            return Some(lf);
        }
        if BARE && lf > from && input.get(lf - 1) != Some(&b'\r') {
            return Some(lf);
        }
    }
    None
}

/// Block size of the encoder's plain-line skipper.
const BLOCK: usize = 64;

/// The `BLOCK` bytes at `at`, if there are that many.
#[inline]
fn block(input: &[u8], at: usize) -> Option<&[u8; BLOCK]> {
    input.get(at..at.checked_add(BLOCK)?)?.try_into().ok()
}

/// Whether `cur` holds only well-formed CRLFs none of which is followed by a dot (`prev` and
/// `next` are the same window shifted by one byte). Branch-free, so the compiler vectorises
/// it.
#[inline]
fn block_is_plain_crlf(prev: &[u8; BLOCK], cur: &[u8; BLOCK], next: &[u8; BLOCK]) -> bool {
    let mut acc = 0u8;
    for ((&p, &c), &n) in prev.iter().zip(cur).zip(next) {
        let bare_cr = u8::from(c == b'\r') & u8::from(n != b'\n');
        let odd_lf = u8::from(c == b'\n') & (u8::from(p != b'\r') | u8::from(n == b'.'));
        acc |= bare_cr | odd_lf;
    }
    acc == 0
}

/// The encoder's plain-line skipper: skips blocks of well-formed CRLF lines that need no
/// dot doubling. Returns an index at or before the first bare CR, bare LF or
/// line-starting dot at or after `from`, never between the CR and LF of a pair.
#[inline]
fn skip_plain_crlf(input: &[u8], mut from: usize) -> usize {
    if from == 0 {
        return 0;
    }
    let start = from;
    while let (Some(prev), Some(cur), Some(next)) = (
        block(input, from - 1),
        block(input, from),
        block(input, from + 1),
    ) {
        if !block_is_plain_crlf(prev, cur, next) {
            break;
        }
        from += BLOCK;
    }
    if from > start && input.get(from - 1) == Some(&b'\r') {
        from -= 1;
    }
    from
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EncState {
    /// At the start of a line (or of the body).
    LineStart,
    /// Inside a line.
    Mid,
    /// A CR was emitted; an LF right after it completes the CRLF, anything else gets an LF
    /// inserted first.
    Cr,
    /// `finish` was called.
    Finished,
}

/// Streaming dot-stuffing encoder (SMTP `DATA` sender, POP3 multi-line reply writer).
///
/// Normalises every bare CR and bare LF to CRLF, doubles a dot at the start of every line,
/// and on [`finish`](DotEncoder::finish) adds the final CRLF if missing and the `.` CRLF
/// terminator. The output is the same whatever the input split.
///
/// ```
/// use correo_wire::dot::DotEncoder;
///
/// let mut encoder = DotEncoder::new();
/// let mut wire = Vec::new();
/// for piece in [&b".a\r"[..], b"\n.b\rc"] {
///     encoder.encode(piece, |out| wire.extend_from_slice(out));
/// }
/// encoder.finish(|out| wire.extend_from_slice(out));
/// assert_eq!(wire, b"..a\r\n..b\r\nc\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotEncoder {
    state: EncState,
}

impl Default for DotEncoder {
    fn default() -> Self {
        DotEncoder::new()
    }
}

impl DotEncoder {
    /// An encoder at the start of a body.
    pub fn new() -> Self {
        DotEncoder {
            state: EncState::LineStart,
        }
    }

    /// Encodes a whole body in one go, terminator included.
    pub fn encode_all(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 8);
        let mut encoder = DotEncoder::new();
        encoder.encode(body, |piece| out.extend_from_slice(piece));
        encoder.finish(|piece| out.extend_from_slice(piece));
        out
    }

    /// Makes the encoder ready for a new body.
    pub fn reset(&mut self) {
        self.state = EncState::LineStart;
    }

    /// Whether [`finish`](DotEncoder::finish) has been called.
    pub fn is_finished(&self) -> bool {
        self.state == EncState::Finished
    }

    /// Encodes `input`, passing each piece of output to `sink`. Input given after
    /// [`finish`](DotEncoder::finish) is ignored.
    pub fn encode<F: FnMut(&[u8])>(&mut self, input: &[u8], mut sink: F) -> Progress {
        let mut pos = 0;
        while self.state != EncState::Finished {
            let rest = input.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            let step = self.encode_step(rest);
            if !step.data.is_empty() {
                sink(step.data);
            }
            pos += step.consumed;
        }
        Progress {
            consumed: pos,
            complete: self.is_finished(),
        }
    }

    /// Encodes `input`, appending to `out`.
    pub fn encode_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.encode(input, |piece| out.extend_from_slice(piece));
    }

    /// Ends the body: the final CRLF if the last line lacks one, then `.` CRLF.
    pub fn finish<F: FnMut(&[u8])>(&mut self, mut sink: F) {
        let tail: &[u8] = match self.state {
            EncState::LineStart => b".\r\n",
            EncState::Mid => b"\r\n.\r\n",
            EncState::Cr => b"\n.\r\n",
            EncState::Finished => b"",
        };
        self.state = EncState::Finished;
        if !tail.is_empty() {
            sink(tail);
        }
    }

    /// One pull step: consumes some of `input` and returns the next piece of output. Call
    /// it again with the unconsumed rest until the rest is empty; every step consumes input
    /// or produces output, so such a loop always ends.
    pub fn encode_step<'a>(&mut self, input: &'a [u8]) -> Step<'a> {
        let Some(&first) = input.first() else {
            return Step {
                consumed: 0,
                data: &[],
            };
        };
        match self.state {
            EncState::Finished => Step {
                consumed: input.len(),
                data: &[],
            },
            EncState::Cr => {
                self.state = EncState::LineStart;
                if first == b'\n' {
                    Step {
                        consumed: 1,
                        data: b"\n",
                    }
                } else {
                    Step {
                        consumed: 0,
                        data: b"\n",
                    }
                }
            }
            EncState::LineStart if first == b'.' => {
                // Emit an extra dot; the original goes out with the next run.
                self.state = EncState::Mid;
                Step {
                    consumed: 0,
                    data: b".",
                }
            }
            EncState::LineStart | EncState::Mid => self.encode_run(input),
        }
    }

    /// The hot path: copy a run of well-formed CRLF lines, stopping before a bare CR or LF,
    /// after the dot that starts a line (so that it gets doubled), or at the end of input.
    fn encode_run<'a>(&mut self, input: &'a [u8]) -> Step<'a> {
        let mut from = 0;
        loop {
            from = skip_plain_crlf(input, from);
            let Some(k) = input.get(from..).and_then(|s| memchr2(b'\r', b'\n', s)) else {
                self.state = EncState::Mid;
                return Step {
                    consumed: input.len(),
                    data: input,
                };
            };
            let at = from + k;
            if input.get(at) == Some(&b'\n') {
                // Bare LF: emit up to it, then CRLF in its place.
                if at > 0 {
                    self.state = EncState::Mid;
                    return Step {
                        consumed: at,
                        data: input.get(..at).unwrap_or_default(),
                    };
                }
                self.state = EncState::LineStart;
                return Step {
                    consumed: 1,
                    data: b"\r\n",
                };
            }
            // A CR.
            match input.get(at + 1) {
                Some(b'\n') => {
                    let end = at + 2;
                    match input.get(end) {
                        None => {
                            self.state = EncState::LineStart;
                            return Step {
                                consumed: end,
                                data: input,
                            };
                        }
                        Some(b'.') => {
                            // Emit through the dot, consume before it: the dot goes out
                            // twice.
                            self.state = EncState::Mid;
                            return Step {
                                consumed: end,
                                data: input.get(..=end).unwrap_or_default(),
                            };
                        }
                        Some(_) => from = end,
                    }
                }
                // A CR at the end of input, or a bare CR: emit through it; the next step
                // supplies the LF.
                _ => {
                    self.state = EncState::Cr;
                    return Step {
                        consumed: at + 1,
                        data: input.get(..=at).unwrap_or_default(),
                    };
                }
            }
        }
    }
}

/// Normalises line endings the way [`DotEncoder`] does (bare CR and bare LF become CRLF,
/// a final CRLF is added to a non-empty body that lacks one): what decoding the encoder's
/// output gives back.
pub fn normalize_line_endings(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        match b {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if body.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}
