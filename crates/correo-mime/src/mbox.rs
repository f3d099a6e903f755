//! mbox mailboxes as pure functions: split mboxo/mboxrd streams, un-quote `>From `, write
//! mboxrd.
//!
//! An mbox is a sequence of messages, each introduced by a `From ` line (the "From_" or
//! envelope line, e.g. `From alice@example.org Sat Nov 23 19:48:38 2024`). A `From ` line
//! separates messages when it starts a line at the start of the stream or after an empty
//! line (with [`MboxOptions::require_blank_line`] turned off, any line starting with
//! `From ` separates). The empty line before a separator, and one empty line at the very
//! end, are written by mbox writers after each message and are not part of the message.
//!
//! Lines inside a message that would look like separators are quoted by the writer:
//! - **mboxrd** ([`MboxFormat::Mboxrd`]): any line matching `>*From ` gets one more `>`;
//!   reading removes one `>` from every such line, so the quoting is reversible.
//! - **mboxo** ([`MboxFormat::Mboxo`]): only `From ` lines were quoted, to `>From `;
//!   reading removes the `>` from `>From ` lines (exactly one level).
//!
//! Two front ends give the same messages: [`split`] over a whole buffer (zero-copy), and
//! [`MboxSplitter`], fed chunks of any size, that emits events with bounded memory.
//!
//! ```
//! use correo_mime::mbox::{split, write_mboxrd, MboxFormat, MboxOptions};
//!
//! let mut mbox = Vec::new();
//! write_mboxrd("alice@example.org", 1_732_391_318, b"Subject: hi\n\nFrom here on\n", &mut mbox);
//! write_mboxrd("bob@example.org", 1_732_391_318, b"Subject: two\n\nx\n", &mut mbox);
//! assert!(mbox.starts_with(b"From alice@example.org Sat Nov 23 19:48:38 2024\n"));
//! let msgs: Vec<_> = split(&mbox, MboxOptions::default()).collect();
//! assert_eq!(msgs.len(), 2);
//! assert_eq!(&*msgs[0].unquoted(MboxFormat::Mboxrd), b"Subject: hi\n\nFrom here on\n");
//! ```

use std::borrow::Cow;

/// How `From ` lines inside messages were quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MboxFormat {
    /// Only `From ` was quoted (to `>From `); one `>` is removed from `>From ` lines.
    Mboxo,
    /// Any `>*From ` was quoted with one more `>`; one `>` is removed from `>+From ` lines.
    #[default]
    Mboxrd,
}

/// Options for reading an mbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MboxOptions {
    /// The quoting convention used by the writer.
    pub format: MboxFormat,
    /// A `From ` line separates messages only at the start of the stream or after an empty
    /// line (default `true`). Turn off for files where writers did not leave the blank line.
    pub require_blank_line: bool,
    /// Longest `From ` separator line kept (longer ones are truncated in the event). Also
    /// the most bytes [`MboxSplitter`] holds back while classifying a line.
    pub max_from_line: usize,
}

impl Default for MboxOptions {
    fn default() -> Self {
        MboxOptions {
            format: MboxFormat::Mboxrd,
            require_blank_line: true,
            max_from_line: 4096,
        }
    }
}

impl MboxOptions {
    /// The default options with another quoting format.
    pub fn with_format(format: MboxFormat) -> Self {
        MboxOptions {
            format,
            ..MboxOptions::default()
        }
    }
}

/// One message found by [`split`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage<'a> {
    /// The `From ` separator line, without its line ending (empty when the stream did not
    /// start with one: the bytes before the first separator form a message of their own).
    pub from_line: &'a [u8],
    /// The message bytes as stored (still quoted), without the separator line and without
    /// the trailing empty line.
    pub raw: &'a [u8],
    /// Offset of `raw` in the input.
    pub offset: usize,
}

impl<'a> MboxMessage<'a> {
    /// The message with `>From ` quoting removed per `format`. Borrowed when no line was
    /// quoted.
    pub fn unquoted(&self, format: MboxFormat) -> Cow<'a, [u8]> {
        unquote(self.raw, format)
    }

    /// The envelope sender and date text of the `From ` line (after `From `), if any.
    pub fn envelope(&self) -> Option<&'a [u8]> {
        self.from_line.strip_prefix(b"From ")
    }
}

/// How many `>` to strip from the start of a line: 1 for a quoted `From ` line, else 0.
fn quote_level(line: &[u8], format: MboxFormat) -> bool {
    match format {
        MboxFormat::Mboxo => line.starts_with(b">From "),
        MboxFormat::Mboxrd => {
            let n = line.iter().take_while(|&&b| b == b'>').count();
            n > 0 && line.get(n..).is_some_and(|r| r.starts_with(b"From "))
        }
    }
}

/// Remove one level of `From ` quoting from every line of `raw`.
pub fn unquote(raw: &[u8], format: MboxFormat) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut pos = 0;
    while pos < raw.len() {
        let rest = raw.get(pos..).unwrap_or_default();
        let line_end = memchr::memchr(b'\n', rest).map_or(raw.len(), |i| pos + i + 1);
        if rest.first() == Some(&b'>') && quote_level(rest, format) {
            let o = out.get_or_insert_with(|| Vec::with_capacity(raw.len()));
            o.extend_from_slice(raw.get(copied..pos).unwrap_or_default());
            copied = pos + 1;
        }
        pos = line_end;
    }
    match out {
        None => Cow::Borrowed(raw),
        Some(mut o) => {
            o.extend_from_slice(raw.get(copied..).unwrap_or_default());
            Cow::Owned(o)
        }
    }
}

/// Length of the line ending at the end of `s` if `s` is exactly an empty line.
fn is_empty_line(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

fn strip_nl(line: &[u8]) -> &[u8] {
    let l = line.strip_suffix(b"\n").unwrap_or(line);
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Split a whole mbox into messages (see the module docs for the rules). Bytes before the
/// first `From ` line, if any, form a message with an empty `from_line`.
pub fn split(input: &[u8], options: MboxOptions) -> Split<'_> {
    Split {
        input,
        pos: 0,
        options,
    }
}

/// The iterator returned by [`split`].
#[derive(Debug, Clone)]
pub struct Split<'a> {
    input: &'a [u8],
    pos: usize,
    options: MboxOptions,
}

impl<'a> Iterator for Split<'a> {
    type Item = MboxMessage<'a>;

    fn next(&mut self) -> Option<MboxMessage<'a>> {
        let input = self.input;
        if self.pos >= input.len() {
            return None;
        }
        let start = self.pos;
        let mut from_line: &[u8] = &[];
        let mut body_start = start;
        let line_end = |p: usize| {
            memchr::memchr(b'\n', input.get(p..).unwrap_or_default())
                .map_or(input.len(), |i| p + i + 1)
        };
        if input.get(start..).is_some_and(|r| r.starts_with(b"From ")) {
            let e = line_end(start);
            from_line = strip_nl(input.get(start..e).unwrap_or_default());
            from_line = from_line
                .get(..self.options.max_from_line)
                .unwrap_or(from_line);
            body_start = e;
        }
        // Look for the next separator.
        let mut p = body_start;
        let mut prev_empty_start: Option<usize> = None;
        while p < input.len() {
            let e = line_end(p);
            let line = input.get(p..e).unwrap_or_default();
            if line.starts_with(b"From ")
                && (!self.options.require_blank_line || prev_empty_start.is_some())
            {
                let end = prev_empty_start.unwrap_or(p);
                self.pos = p;
                return Some(MboxMessage {
                    from_line,
                    raw: input.get(body_start..end).unwrap_or_default(),
                    offset: body_start,
                });
            }
            prev_empty_start = is_empty_line(line).then_some(p);
            p = e;
        }
        self.pos = input.len();
        let end = match prev_empty_start {
            Some(s) if input.get(s..).is_some_and(is_empty_line) => s,
            _ => input.len(),
        };
        Some(MboxMessage {
            from_line,
            raw: input
                .get(body_start..end.max(body_start))
                .unwrap_or_default(),
            offset: body_start,
        })
    }
}

/// An event from [`MboxSplitter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MboxEvent<'a> {
    /// A message starts. `from_line` is its separator line without line ending (empty for
    /// bytes before the first separator); `offset` is where its bytes start in the stream.
    MessageStart {
        /// The `From ` line.
        from_line: &'a [u8],
        /// Offset of the first message byte in the stream.
        offset: u64,
    },
    /// The next bytes of the current message, already un-quoted.
    Data(&'a [u8]),
    /// The current message ended.
    MessageEnd,
}

/// An incremental mbox splitter: feed chunks with [`push`](Self::push) (any split), pull
/// events with [`poll_event`](Self::poll_event) until it returns `None`, and call
/// [`finish`](Self::finish) at the end of the stream. Memory held is one partial line (at
/// most [`MboxOptions::max_from_line`] bytes) plus what was pushed and not yet polled.
///
/// The messages it describes are exactly those [`split`] returns, un-quoted.
#[derive(Debug, Clone)]
pub struct MboxSplitter {
    options: MboxOptions,
    buf: Vec<u8>,
    /// Bytes of `buf` already handled.
    pos: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    in_message: bool,
    /// A message has been started and no line seen yet (the separator rule at the start).
    at_stream_start: bool,
    /// An empty line seen and held back: it is dropped if a separator follows.
    held_empty: bool,
    /// Inside a line longer than `max_from_line` that is being passed through.
    in_long_line: bool,
    /// Inside an over-long separator line whose rest is skipped.
    skip_line: bool,
    /// Pending outputs.
    pending: Pending,
    done: bool,
    /// The held-back empty line.
    scratch: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    /// Emit the held empty line (stored in scratch) as data.
    Held,
    /// Emit buf[a..b] as data.
    Data(usize, usize),
    /// End the current message.
    End,
    /// Start a message with from line buf[a..b] (+ the body offset).
    Start(usize, usize, u64),
    /// End then start.
    EndThenStart(usize, usize, u64),
}

impl MboxSplitter {
    /// A splitter with `options`.
    pub fn new(options: MboxOptions) -> Self {
        MboxSplitter {
            options,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            in_message: false,
            at_stream_start: true,
            held_empty: false,
            in_long_line: false,
            skip_line: false,
            pending: Pending::None,
            done: false,
            scratch: Vec::new(),
        }
    }

    /// Feeds the next bytes of the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.pos > 0 && self.pending == Pending::None {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// Marks the end of the stream.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Bytes currently held (pushed and not yet handed out, or a partial line).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next event, or `None` when more input (or [`finish`](Self::finish)) is needed,
    /// or the stream is over.
    pub fn poll_event(&mut self) -> Option<MboxEvent<'_>> {
        loop {
            match std::mem::replace(&mut self.pending, Pending::None) {
                Pending::None => {}
                Pending::Held => {
                    return Some(MboxEvent::Data(&self.scratch));
                }
                Pending::Data(a, b) => {
                    return Some(MboxEvent::Data(self.buf.get(a..b).unwrap_or_default()));
                }
                Pending::End => return Some(MboxEvent::MessageEnd),
                Pending::Start(a, b, off) => {
                    return Some(MboxEvent::MessageStart {
                        from_line: self.buf.get(a..b).unwrap_or_default(),
                        offset: off,
                    });
                }
                Pending::EndThenStart(a, b, off) => {
                    self.pending = Pending::Start(a, b, off);
                    return Some(MboxEvent::MessageEnd);
                }
            }
            if self.done {
                return None;
            }
            if !self.step() {
                return None;
            }
        }
    }

    /// Handle the next line (or part of one). Returns false when more input is needed.
    fn step(&mut self) -> bool {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            if self.eof {
                self.done = true;
                // A trailing empty line at the very end is dropped; end the last message.
                self.held_empty = false;
                if self.in_message {
                    self.in_message = false;
                    self.pending = Pending::End;
                    return true;
                }
            }
            return false;
        }
        let nl = memchr::memchr(b'\n', rest);
        if self.skip_line || self.in_long_line {
            let take = nl.map_or(rest.len(), |i| i + 1);
            let a = self.pos;
            self.pos += take;
            if nl.is_some() {
                self.in_long_line = false;
            }
            if self.skip_line {
                self.skip_line = nl.is_none();
                return true;
            }
            self.pending = Pending::Data(a, a + take);
            return true;
        }
        match nl {
            Some(i) => self.line(i + 1, false),
            None if self.eof => self.line(rest.len(), false),
            None if rest.len() > self.options.max_from_line.max(8) || !could_be_special(rest) => {
                self.line(rest.len(), true)
            }
            None => false,
        }
    }

    /// Handle `self.buf[self.pos..self.pos+len]` as a line (partial when `partial`).
    fn line(&mut self, len: usize, partial: bool) -> bool {
        let start = self.pos;
        let line = self.buf.get(start..start + len).unwrap_or_default();
        let is_sep = line.starts_with(b"From ")
            && (!self.options.require_blank_line || self.held_empty || self.at_stream_start);
        self.at_stream_start = false;
        if is_sep {
            let from = strip_nl(line);
            let from_len = from.len().min(self.options.max_from_line);
            self.held_empty = false;
            self.pos = start + len;
            // A separator line longer than the limit: skip the rest of it.
            self.skip_line = partial;
            let body_off = self.base + (start + len) as u64;
            let was = self.in_message;
            self.in_message = true;
            self.pending = if was {
                Pending::EndThenStart(start, start + from_len, body_off)
            } else {
                Pending::Start(start, start + from_len, body_off)
            };
            return true;
        }
        if !self.in_message {
            // Bytes before the first separator: a message without a `From ` line. The line
            // is handled again on the next step.
            self.in_message = true;
            self.pending = Pending::Start(start, start, self.base + start as u64);
            return true;
        }
        if self.held_empty {
            // Release the held empty line; this line is handled again on the next step.
            self.held_empty = false;
            self.pending = Pending::Held;
            return true;
        }
        if !partial && is_empty_line(line) {
            self.scratch.clear();
            self.scratch.extend_from_slice(line);
            self.held_empty = true;
            self.pos = start + len;
            return true;
        }
        self.in_long_line = partial;
        let skip =
            usize::from(line.first() == Some(&b'>') && quote_level(line, self.options.format));
        self.pos = start + len;
        self.pending = Pending::Data(start + skip, start + len);
        true
    }
}

/// Whether a partial line (no newline yet) might still turn out to be a separator or a
/// quoted line.
fn could_be_special(rest: &[u8]) -> bool {
    if rest == b"\r" {
        return true; // maybe an empty line
    }
    let n = rest.iter().take_while(|&&b| b == b'>').count();
    let after = rest.get(n..).unwrap_or_default();
    let k = after.len().min(5);
    after.get(..k) == b"From ".get(..k)
}

/// Formats a Unix time (seconds since 1970-01-01 UTC) as asctime / ctime does, the form
/// used on mbox `From ` lines: `Sat Nov 23 19:48:38 2024` (day of month padded with a
/// space: `Sun Nov  3 ...`). Times before 1970 or after 9999 are clamped.
#[allow(clippy::many_single_char_names)]
pub fn asctime(unix_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = unix_secs.clamp(0, 253_402_300_799);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil from days (proleptic Gregorian), after Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let wd = DAYS
        .get(days.rem_euclid(7) as usize)
        .copied()
        .unwrap_or("Thu");
    let mon = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!("{wd} {mon} {d:>2} {h:02}:{m:02}:{s:02} {year}")
}

/// Appends one message to an mboxrd stream: the `From <sender> <asctime>` line, the message
/// with every `>*From ` line quoted with one more `>`, a line ending if the message lacked a
/// final one, and the empty line that separates it from the next message. Line endings
/// are kept as in `message` (the added ones are LF, or CRLF when the message's first line
/// ends in CRLF). An empty `sender` is written as `MAILER-DAEMON`; white space in it is
/// replaced by `_` so the line stays parseable.
pub fn write_mboxrd(sender: &str, unix_secs: i64, message: &[u8], out: &mut Vec<u8>) {
    let crlf =
        memchr::memchr(b'\n', message).is_some_and(|i| i > 0 && message.get(i - 1) == Some(&b'\r'));
    let nl: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    out.extend_from_slice(b"From ");
    if sender.is_empty() {
        out.extend_from_slice(b"MAILER-DAEMON");
    } else {
        out.extend(
            sender
                .bytes()
                .map(|b| if b.is_ascii_whitespace() { b'_' } else { b }),
        );
    }
    out.push(b' ');
    out.extend_from_slice(asctime(unix_secs).as_bytes());
    out.extend_from_slice(nl);
    out.reserve(message.len() + 16);
    let mut pos = 0;
    while pos < message.len() {
        let rest = message.get(pos..).unwrap_or_default();
        let e = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = rest.get(..e).unwrap_or_default();
        let n = line.iter().take_while(|&&b| b == b'>').count();
        if line.get(n..).is_some_and(|r| r.starts_with(b"From ")) {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        pos += e;
    }
    if !message.is_empty() && !message.ends_with(b"\n") {
        out.extend_from_slice(nl);
    }
    out.extend_from_slice(nl);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asctime_known_values() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_732_391_318), "Sat Nov 23 19:48:38 2024");
        assert_eq!(asctime(951_782_400), "Tue Feb 29 00:00:00 2000");
        assert_eq!(asctime(1_699_000_000), "Fri Nov  3 08:26:40 2023");
    }

    #[test]
    fn unquote_levels() {
        let raw = b"From x\n>From a\n>>From b\n> From c\n>Fromage\n";
        assert_eq!(
            &*unquote(raw, MboxFormat::Mboxrd),
            b"From x\nFrom a\n>From b\n> From c\n>Fromage\n"
        );
        assert_eq!(
            &*unquote(raw, MboxFormat::Mboxo),
            b"From x\nFrom a\n>>From b\n> From c\n>Fromage\n"
        );
        assert!(matches!(
            unquote(b"plain\n", MboxFormat::Mboxrd),
            Cow::Borrowed(_)
        ));
    }
}
