//! SMTP replies: parsing (line by line or whole), enhanced status codes, and encoding.

use std::borrow::Cow;
use std::fmt;

/// A three-digit reply code (RFC 5321 section 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `220` service ready.
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// `221` closing.
    pub const CLOSING: ReplyCode = ReplyCode(221);
    /// `235` authentication succeeded.
    pub const AUTH_OK: ReplyCode = ReplyCode(235);
    /// `250` OK.
    pub const OK: ReplyCode = ReplyCode(250);
    /// `252` cannot verify.
    pub const CANNOT_VRFY: ReplyCode = ReplyCode(252);
    /// `334` SASL continuation.
    pub const AUTH_CONTINUE: ReplyCode = ReplyCode(334);
    /// `354` start mail input.
    pub const START_DATA: ReplyCode = ReplyCode(354);
    /// `421` service not available, closing.
    pub const SERVICE_UNAVAILABLE: ReplyCode = ReplyCode(421);
    /// `500` syntax error, command unrecognised.
    pub const SYNTAX_ERROR: ReplyCode = ReplyCode(500);
    /// `501` syntax error in parameters.
    pub const PARAM_SYNTAX_ERROR: ReplyCode = ReplyCode(501);
    /// `502` command not implemented.
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    /// `503` bad sequence of commands.
    pub const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    /// `504` parameter not implemented.
    pub const PARAM_NOT_IMPLEMENTED: ReplyCode = ReplyCode(504);
    /// `530` authentication or TLS required.
    pub const AUTH_REQUIRED: ReplyCode = ReplyCode(530);
    /// `535` authentication failed.
    pub const AUTH_FAILED: ReplyCode = ReplyCode(535);
    /// `550` mailbox unavailable.
    pub const MAILBOX_UNAVAILABLE: ReplyCode = ReplyCode(550);
    /// `552` storage exceeded.
    pub const SIZE_EXCEEDED: ReplyCode = ReplyCode(552);
    /// `554` transaction failed.
    pub const TRANSACTION_FAILED: ReplyCode = ReplyCode(554);
    /// `555` parameters not recognised.
    pub const PARAMS_NOT_RECOGNIZED: ReplyCode = ReplyCode(555);

    /// Builds a code from a number: first digit 1-5, second 0-5, third 0-9.
    pub fn new(code: u16) -> Option<ReplyCode> {
        let ok = (100..=599).contains(&code) && (code / 10) % 10 <= 5;
        ok.then_some(ReplyCode(code))
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }

    /// The first digit (2: success, 3: intermediate, 4: transient, 5: permanent).
    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// 2yz.
    pub fn is_positive(self) -> bool {
        self.class() == 2
    }

    /// 3yz.
    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4yz.
    pub fn is_transient(self) -> bool {
        self.class() == 4
    }

    /// 5yz.
    pub fn is_permanent(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// An enhanced status code, `class.subject.detail` (RFC 3463, RFC 2034).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// 0-999.
    pub subject: u16,
    /// 0-999.
    pub detail: u16,
}

impl EnhancedCode {
    /// Builds a code; `None` unless class is 2, 4 or 5 and the others are below 1000.
    pub fn new(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
        (matches!(class, 2 | 4 | 5) && subject < 1000 && detail < 1000).then_some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }

    /// Parses an enhanced code at the start of `text`, followed by a space or the end.
    /// Returns the code and the text after it (and its space).
    pub fn parse_prefix(text: &str) -> Option<(EnhancedCode, &str)> {
        let (head, rest) = match text.split_once(' ') {
            Some((h, r)) => (h, r),
            None => (text, ""),
        };
        let mut parts = head.split('.');
        let num = |p: Option<&str>, max_len: usize| -> Option<u16> {
            let p = p?;
            if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let class = num(parts.next(), 1)?;
        let subject = num(parts.next(), 3)?;
        let detail = num(parts.next(), 3)?;
        if parts.next().is_some() {
            return None;
        }
        Some((EnhancedCode::new(class as u8, subject, detail)?, rest))
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A reply: a code and one or more lines of text.
///
/// When the first line starts with an enhanced status code (`2.1.0`), it is taken out of
/// the text of every line that carries it and kept in [`Reply::enhanced`]; encoding puts it
/// back on every line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply<'a> {
    /// The reply code.
    pub code: ReplyCode,
    /// The enhanced status code, if the reply carries one.
    pub enhanced: Option<EnhancedCode>,
    /// The text lines (at least one, possibly empty), without code, separator and CRLF.
    pub lines: Vec<Cow<'a, str>>,
}

/// What is wrong with a reply, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct ReplyError {
    /// What is wrong.
    pub kind: ReplyErrorKind,
    /// Byte offset of the fault in the reply (or in the line, for line parsing).
    pub offset: usize,
}

/// The kinds of [`ReplyError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyErrorKind {
    /// The line does not start with a valid three-digit code.
    #[error("invalid reply code")]
    Code,
    /// The code is followed by something other than space, `-` or the end of line.
    #[error("invalid separator after reply code")]
    Separator,
    /// A line of a multi-line reply carries a different code than the first.
    #[error("reply code changed from {expected} to {found} inside a multi-line reply")]
    CodeMismatch {
        /// The code of the first line.
        expected: u16,
        /// The code of this line.
        found: u16,
    },
    /// A line is longer than allowed.
    #[error("reply line too long")]
    LineTooLong,
    /// More lines than allowed.
    #[error("too many lines in reply")]
    TooManyLines,
    /// A NUL or bare CR inside a line.
    #[error("forbidden byte in reply")]
    ForbiddenByte,
}

/// One parsed reply line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    /// The code.
    pub code: ReplyCode,
    /// `false` for `250-...`, `true` for `250 ...` and the bare `250`.
    pub last: bool,
    /// The text after the separator (lossily decoded if not UTF-8).
    pub text: Cow<'a, str>,
}

/// Parses one reply line, without its CRLF (a trailing CRLF or LF is ignored).
pub fn parse_reply_line(line: &[u8]) -> Result<ReplyLine<'_>, ReplyError> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))
        .unwrap_or(line);
    let e = |kind, offset| ReplyError { kind, offset };
    let digits = match line.get(..3) {
        Some(d) if d.iter().all(u8::is_ascii_digit) => d,
        _ => return Err(e(ReplyErrorKind::Code, 0)),
    };
    let n = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    let code = ReplyCode::new(n).ok_or(e(ReplyErrorKind::Code, 0))?;
    let rest = line.get(3..).unwrap_or_default();
    if let Some(i) = memchr::memchr2(b'\r', 0, rest) {
        return Err(e(ReplyErrorKind::ForbiddenByte, 3 + i));
    }
    let (last, text) = match rest.split_first() {
        None => (true, &b""[..]),
        Some((b' ', t)) => (true, t),
        Some((b'-', t)) => (false, t),
        Some(_) => return Err(e(ReplyErrorKind::Separator, 3)),
    };
    Ok(ReplyLine {
        code,
        last,
        text: String::from_utf8_lossy(text),
    })
}

/// Limits on replies (the client's guard against a hostile server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Longest line, without CRLF (RFC 5321: 512 with CRLF; real servers go beyond).
    pub max_line_length: usize,
    /// Most lines in one reply.
    pub max_lines: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line_length: 4096,
            max_lines: 256,
        }
    }
}

/// Gathers reply lines into a [`Reply`], checking that every line carries the same code.
#[derive(Debug, Clone, Default)]
pub struct ReplyBuilder {
    code: Option<ReplyCode>,
    lines: Vec<String>,
    limits: ReplyLimits,
}

impl ReplyBuilder {
    /// A builder with the given limits.
    pub fn new(limits: ReplyLimits) -> Self {
        ReplyBuilder {
            code: None,
            lines: Vec::new(),
            limits,
        }
    }

    /// Whether a reply has been started but not finished.
    pub fn is_partial(&self) -> bool {
        self.code.is_some()
    }

    /// Adds one line (without CRLF). Returns the reply when this was its last line.
    /// On error the builder is reset.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply<'static>>, ReplyError> {
        if line.len() > self.limits.max_line_length {
            self.reset();
            return Err(ReplyError {
                kind: ReplyErrorKind::LineTooLong,
                offset: self.limits.max_line_length,
            });
        }
        let parsed = match parse_reply_line(line) {
            Ok(p) => p,
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        if let Some(code) = self.code
            && code != parsed.code
        {
            self.reset();
            return Err(ReplyError {
                kind: ReplyErrorKind::CodeMismatch {
                    expected: code.get(),
                    found: parsed.code.get(),
                },
                offset: 0,
            });
        }
        if self.lines.len() >= self.limits.max_lines {
            self.reset();
            return Err(ReplyError {
                kind: ReplyErrorKind::TooManyLines,
                offset: 0,
            });
        }
        self.code = Some(parsed.code);
        self.lines.push(parsed.text.into_owned());
        if !parsed.last {
            return Ok(None);
        }
        let lines = std::mem::take(&mut self.lines);
        self.code = None;
        Ok(Some(Reply::from_lines(
            parsed.code,
            lines.into_iter().map(Cow::Owned).collect(),
        )))
    }

    /// Forgets a partial reply.
    pub fn reset(&mut self) {
        self.code = None;
        self.lines.clear();
    }
}

impl<'a> Reply<'a> {
    /// Builds a reply from its code and text lines, taking out a leading enhanced code
    /// (and from every other line that starts with the same one).
    pub fn from_lines(code: ReplyCode, mut lines: Vec<Cow<'a, str>>) -> Reply<'a> {
        if lines.is_empty() {
            lines.push(Cow::Borrowed(""));
        }
        let enhanced = lines
            .first()
            .and_then(|l| EnhancedCode::parse_prefix(l))
            .map(|(e, _)| e)
            .filter(|e| e.class == code.class());
        if let Some(enh) = enhanced {
            for line in &mut lines {
                let stripped = match EnhancedCode::parse_prefix(line) {
                    Some((e, rest)) if e == enh => Some(rest.len()),
                    _ => None,
                };
                if let Some(rest_len) = stripped {
                    let start = line.len() - rest_len;
                    *line = match std::mem::take(line) {
                        Cow::Borrowed(b) => Cow::Borrowed(b.get(start..).unwrap_or_default()),
                        Cow::Owned(o) => Cow::Owned(o.get(start..).unwrap_or_default().to_owned()),
                    };
                }
            }
        }
        Reply {
            code,
            enhanced,
            lines,
        }
    }

    /// A one-line reply.
    pub fn new(
        code: ReplyCode,
        enhanced: Option<EnhancedCode>,
        text: impl Into<Cow<'a, str>>,
    ) -> Self {
        Reply {
            code,
            enhanced,
            lines: vec![text.into()],
        }
    }

    /// Parses a complete reply at the start of `input` (CRLF line ends; a bare LF is
    /// accepted as a line end too). Returns `Ok(None)` if more bytes are needed, or the
    /// reply and the number of bytes it took.
    pub fn parse(
        input: &'a [u8],
        limits: &ReplyLimits,
    ) -> Result<Option<(Reply<'a>, usize)>, ReplyError> {
        let mut pos = 0;
        let mut code = None;
        let mut lines = Vec::new();
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                if rest.len() > limits.max_line_length + 1 {
                    return Err(ReplyError {
                        kind: ReplyErrorKind::LineTooLong,
                        offset: pos + limits.max_line_length,
                    });
                }
                return Ok(None);
            };
            let raw = rest.get(..nl).unwrap_or_default();
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.len() > limits.max_line_length {
                return Err(ReplyError {
                    kind: ReplyErrorKind::LineTooLong,
                    offset: pos + limits.max_line_length,
                });
            }
            let line = parse_reply_line(raw).map_err(|e| ReplyError {
                kind: e.kind,
                offset: pos + e.offset,
            })?;
            if let Some(c) = code
                && c != line.code
            {
                return Err(ReplyError {
                    kind: ReplyErrorKind::CodeMismatch {
                        expected: ReplyCode::get(c),
                        found: line.code.get(),
                    },
                    offset: pos,
                });
            }
            if lines.len() >= limits.max_lines {
                return Err(ReplyError {
                    kind: ReplyErrorKind::TooManyLines,
                    offset: pos,
                });
            }
            code = Some(line.code);
            lines.push(line.text);
            pos += nl + 1;
            if line.last {
                return Ok(Some((Reply::from_lines(line.code, lines), pos)));
            }
        }
    }

    /// The text of all lines joined with `\n` (enhanced code left out).
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Appends the reply to `out`. Strict in what it emits: CR, LF and NUL in the text are
    /// replaced by spaces, so no text can inject a line.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i + 1 == n { ' ' } else { '-' };
            let mut head = format!("{}{sep}", self.code);
            if let Some(e) = self.enhanced {
                head.push_str(&e.to_string());
                if !line.is_empty() {
                    head.push(' ');
                }
            }
            out.extend_from_slice(head.as_bytes());
            let start = out.len();
            out.extend_from_slice(line.as_bytes());
            for b in out.get_mut(start..).into_iter().flatten() {
                if matches!(*b, b'\r' | b'\n' | 0) {
                    *b = b' ';
                }
            }
            out.extend_from_slice(b"\r\n");
        }
        if n == 0 {
            out.extend_from_slice(format!("{}\r\n", self.code).as_bytes());
        }
    }

    /// The encoded reply as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Reply<'static> {
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            lines: self
                .lines
                .into_iter()
                .map(|l| Cow::Owned(l.into_owned()))
                .collect(),
        }
    }
}

impl fmt::Display for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let l = parse_reply_line(b"334").unwrap();
        assert_eq!((l.code.get(), l.last, &*l.text), (334, true, ""));
        let l = parse_reply_line(b"250-PIPELINING").unwrap();
        assert!(!l.last);
        assert_eq!(
            parse_reply_line(b"25").unwrap_err().kind,
            ReplyErrorKind::Code
        );
        assert_eq!(
            parse_reply_line(b"699 x").unwrap_err().kind,
            ReplyErrorKind::Code
        );
        assert_eq!(
            parse_reply_line(b"250x").unwrap_err().kind,
            ReplyErrorKind::Separator
        );
        assert_eq!(
            parse_reply_line(b"250 a\rb").unwrap_err().kind,
            ReplyErrorKind::ForbiddenByte
        );
    }

    #[test]
    fn gmail_multi_line() {
        let raw = b"530-5.7.0 Must issue a STARTTLS command first. For more information, go to\r\n\
530-5.7.0  https://support.google.com/a/answer/3221692 and review RFC 3207\r\n\
530 5.7.0 specifications. ffacd0b85a97d-3825fbedfccsm6327686f8f.101 - gsmtp\r\n";
        let (r, n) = Reply::parse(raw, &ReplyLimits::default()).unwrap().unwrap();
        assert_eq!(n, raw.len());
        assert_eq!(r.code, ReplyCode::AUTH_REQUIRED);
        assert_eq!(r.enhanced, EnhancedCode::new(5, 7, 0));
        assert_eq!(r.lines.len(), 3);
        assert_eq!(
            r.lines[1],
            " https://support.google.com/a/answer/3221692 and review RFC 3207"
        );
        assert_eq!(r.to_bytes(), raw);
    }

    #[test]
    fn incomplete_mismatch_limits() {
        assert_eq!(
            Reply::parse(b"250-a\r\n250 b", &ReplyLimits::default()),
            Ok(None)
        );
        let e = Reply::parse(b"250-a\r\n550 b\r\n", &ReplyLimits::default()).unwrap_err();
        assert_eq!(
            e.kind,
            ReplyErrorKind::CodeMismatch {
                expected: 250,
                found: 550
            }
        );
        assert_eq!(e.offset, 7);
        let limits = ReplyLimits {
            max_line_length: 10,
            max_lines: 2,
        };
        assert_eq!(
            Reply::parse(b"250 0123456789abc", &limits)
                .unwrap_err()
                .kind,
            ReplyErrorKind::LineTooLong
        );
        assert_eq!(
            Reply::parse(b"250-a\r\n250-b\r\n250 c\r\n", &limits)
                .unwrap_err()
                .kind,
            ReplyErrorKind::TooManyLines
        );
    }

    #[test]
    fn seed_oddities() {
        // "250 2.1.5. OK" in a seed: not an enhanced code, kept as text.
        let (r, _) = Reply::parse(b"250 2.1.5. OK\r\n", &ReplyLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(r.enhanced, None);
        assert_eq!(r.lines[0], "2.1.5. OK");
        // A class that disagrees with the code is not taken as enhanced.
        let (r, _) = Reply::parse(b"250 5.1.1 x\r\n", &ReplyLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(r.enhanced, None);
        let (r, _) = Reply::parse(b"334 \r\n", &ReplyLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!(r.lines, vec![""]);
    }

    #[test]
    fn builder() {
        let mut b = ReplyBuilder::new(ReplyLimits::default());
        assert_eq!(b.push_line(b"250-x"), Ok(None));
        assert!(b.is_partial());
        assert!(b.push_line(b"251 y").is_err());
        assert!(!b.is_partial());
        assert_eq!(b.push_line(b"250-x"), Ok(None));
        let r = b.push_line(b"250 2.0.0 y").unwrap().unwrap();
        assert_eq!(r.lines, vec!["x", "2.0.0 y"]);
    }

    #[test]
    fn encode_sanitizes() {
        let r = Reply::new(ReplyCode::OK, None, "a\r\n250 b");
        assert_eq!(r.to_bytes(), b"250 a  250 b\r\n");
    }
}
