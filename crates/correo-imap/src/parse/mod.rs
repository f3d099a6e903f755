//! The grammar: parsers for responses (client side) and commands (server side).
//!
//! Parsers take a complete message as delivered by the [`Framer`](crate::frame::Framer)
//! (or any `&[u8]` holding one whole message, via [`RawMessage::new`]) and return values
//! borrowing from it. Strings with escapes are unescaped into owned `Cow`s. Errors carry
//! the offset, the expected token and the tag.

mod command;
mod response;

pub use command::{ClientLineKind, parse_client_line, parse_command};
pub use response::{BodyTarget, body_target, parse_greeting, parse_response};

use std::borrow::Cow;

use crate::frame::RawMessage;
use crate::types::{BodyData, Flag, Section, SectionText, SeqNum, SeqRange, SequenceSet};
use crate::{Leniency, Limits, ParseError, ParseErrorKind};

type R<T> = Result<T, ParseError>;

/// Parse state over one message.
pub(crate) struct P<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    streamed: &'a [usize],
    stream_at_end: bool,
    pub(crate) len: Leniency,
    pub(crate) limits: Limits,
    depth: usize,
    /// THREAD depth with chain links ([`Limits::max_thread_depth`]).
    pub(crate) thread_depth: usize,
    pub(crate) tag: Option<String>,
}

pub(crate) fn is_atom_char(c: u8) -> bool {
    c > b' ' && c < 0x7f && !matches!(c, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

fn is_astring_char(c: u8) -> bool {
    is_atom_char(c) || c == b']'
}

fn is_tag_char(c: u8) -> bool {
    is_astring_char(c) && c != b'+'
}

impl<'a> P<'a> {
    pub(crate) fn new(msg: RawMessage<'a>, len: Leniency, limits: Limits) -> P<'a> {
        P {
            b: msg.bytes(),
            pos: 0,
            streamed: msg.streamed(),
            stream_at_end: false,
            len,
            limits,
            depth: 0,
            thread_depth: 0,
            tag: None,
        }
    }

    pub(crate) fn err(&self, expected: &'static str) -> ParseError {
        self.err_kind(expected, ParseErrorKind::Syntax)
    }

    pub(crate) fn err_kind(&self, expected: &'static str, kind: ParseErrorKind) -> ParseError {
        let kind = if kind == ParseErrorKind::Syntax && self.pos >= self.b.len() {
            ParseErrorKind::Incomplete
        } else {
            kind
        };
        ParseError {
            offset: self.pos,
            expected,
            tag: self.tag.clone(),
            kind,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub(crate) fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.pos + k).copied()
    }

    /// Whether a literal (`{` or `~{`) starts here.
    pub(crate) fn at_literal(&self) -> bool {
        match self.peek() {
            Some(b'{') => true,
            Some(b'~') => self.peek_at(1) == Some(b'{'),
            _ => false,
        }
    }

    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, c: u8, what: &'static str) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    pub(crate) fn sp(&mut self) -> R<()> {
        self.expect(b' ', "SP")
    }

    /// Whether the rest starts with `kw` (case-insensitive), followed by a non-atom char.
    pub(crate) fn at_kw(&self, kw: &str) -> bool {
        let k = kw.as_bytes();
        self.b
            .get(self.pos..self.pos + k.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(k))
            && !self
                .peek_at(k.len())
                .is_some_and(|c| is_atom_char(c) && c != b'[')
    }

    pub(crate) fn kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    pub(crate) fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(self.err_kind("shallower nesting", ParseErrorKind::TooDeep));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn check_items(&self, n: usize) -> R<()> {
        if n >= self.limits.max_items {
            Err(self.err_kind("fewer items", ParseErrorKind::TooMany))
        } else {
            Ok(())
        }
    }

    /// End of message: optional trailing spaces (leniency), CRLF or LF, nothing after.
    pub(crate) fn end(&mut self) -> R<()> {
        if self.len.trailing_space {
            while self.peek() == Some(b' ') {
                self.pos += 1;
            }
        }
        self.eat(b'\r');
        self.expect(b'\n', "CRLF")?;
        if self.pos != self.b.len() {
            return Err(self.err("end of message"));
        }
        Ok(())
    }

    pub(crate) fn at_end(&self) -> bool {
        matches!(self.peek(), Some(b'\r' | b'\n') | None)
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        let b = self.b;
        let rest = b.get(start..).unwrap_or_default();
        let n = rest.iter().position(|&c| !f(c)).unwrap_or(rest.len());
        self.pos += n;
        rest.get(..n).unwrap_or_default()
    }

    pub(crate) fn atom(&mut self) -> R<&'a str> {
        let s = self.take_while(is_atom_char);
        if s.is_empty() {
            return Err(self.err("atom"));
        }
        Ok(std::str::from_utf8(s).unwrap_or_default())
    }

    pub(crate) fn tag(&mut self) -> R<&'a str> {
        let s = self.take_while(is_tag_char);
        if s.is_empty() {
            return Err(self.err("tag"));
        }
        let t = std::str::from_utf8(s).unwrap_or_default();
        self.tag = Some(t.to_owned());
        Ok(t)
    }

    /// Text up to the line end (`text`, possibly empty).
    pub(crate) fn text(&mut self) -> &'a [u8] {
        self.take_while(|c| c != b'\r' && c != b'\n')
    }

    pub(crate) fn number64(&mut self) -> R<u64> {
        let d = self.take_while(|c| c.is_ascii_digit());
        if d.is_empty() {
            return Err(self.err("number"));
        }
        let mut v: u64 = 0;
        for &c in d {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .ok_or_else(|| self.err_kind("smaller number", ParseErrorKind::Number))?;
        }
        Ok(v)
    }

    pub(crate) fn number(&mut self) -> R<u32> {
        let v = self.number64()?;
        u32::try_from(v).map_err(|_| self.err_kind("32-bit number", ParseErrorKind::Number))
    }

    pub(crate) fn nz_number(&mut self) -> R<u32> {
        let v = self.number()?;
        if v == 0 {
            return Err(self.err_kind("non-zero number", ParseErrorKind::Number));
        }
        Ok(v)
    }

    pub(crate) fn quoted(&mut self) -> R<Cow<'a, [u8]>> {
        self.expect(b'"', "quoted string")?;
        let start = self.pos;
        let mut owned: Option<Vec<u8>> = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("closing quote"));
            };
            match c {
                b'"' => {
                    let s = self.b.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(match owned {
                        Some(v) => Cow::Owned(v),
                        None => Cow::Borrowed(s),
                    });
                }
                b'\\' => {
                    let v = owned.get_or_insert_with(|| {
                        self.b.get(start..self.pos).unwrap_or_default().to_vec()
                    });
                    self.pos += 1;
                    match self.peek() {
                        Some(e @ (b'"' | b'\\')) => {
                            v.push(e);
                            self.pos += 1;
                        }
                        _ => return Err(self.err("quoted-special after backslash")),
                    }
                }
                b'\r' | b'\n' | 0 => return Err(self.err("QUOTED-CHAR")),
                c if c >= 0x80 && !self.len.eight_bit_quoted => {
                    return Err(self.err("7-bit QUOTED-CHAR"));
                }
                c => {
                    if let Some(v) = owned.as_mut() {
                        v.push(c);
                    }
                    self.pos += 1;
                }
            }
        }
    }

    /// A literal `{n}` / `{n+}` / `{n-}` / `~{n}` CRLF data; `Streamed` when the framer
    /// streamed it.
    pub(crate) fn literal(&mut self) -> R<(BodyData<'a>, bool)> {
        let binary = self.eat(b'~');
        self.expect(b'{', "literal")?;
        let n = self.number64()?;
        if !self.eat(b'+') {
            self.eat(b'-');
        }
        self.expect(b'}', "}")?;
        self.eat(b'\r');
        self.expect(b'\n', "CRLF after literal length")?;
        if self.streamed.binary_search(&self.pos).is_ok()
            || (self.stream_at_end && self.pos == self.b.len())
        {
            return Ok((BodyData::Streamed(n), binary));
        }
        let len = usize::try_from(n).map_err(|_| self.err("literal data"))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.err_kind("literal data", ParseErrorKind::Incomplete))?;
        let s = self.b.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok((BodyData::Bytes(Cow::Borrowed(s)), binary))
    }

    fn literal_bytes(&mut self) -> R<Cow<'a, [u8]>> {
        match self.literal()?.0 {
            BodyData::Bytes(b) => Ok(b),
            _ => Err(self.err("buffered literal")),
        }
    }

    pub(crate) fn string(&mut self) -> R<Cow<'a, [u8]>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            _ if self.at_literal() => self.literal_bytes(),
            _ => Err(self.err("string")),
        }
    }

    pub(crate) fn astring(&mut self) -> R<Cow<'a, [u8]>> {
        match self.peek() {
            Some(b'"') => self.string(),
            _ if self.at_literal() => self.string(),
            _ => {
                let s = if self.len.eight_bit_atoms {
                    self.take_while(|c| is_astring_char(c) || c >= 0x80)
                } else {
                    self.take_while(is_astring_char)
                };
                if s.is_empty() {
                    return Err(self.err("astring"));
                }
                Ok(Cow::Borrowed(s))
            }
        }
    }

    pub(crate) fn nil(&mut self) -> bool {
        if self.len.lowercase_keywords {
            self.kw("NIL")
        } else if self.b.get(self.pos..self.pos + 3) == Some(b"NIL")
            && !self.peek_at(3).is_some_and(is_atom_char)
        {
            self.pos += 3;
            true
        } else {
            false
        }
    }

    pub(crate) fn nstring(&mut self) -> R<Option<Cow<'a, [u8]>>> {
        if self.nil() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// nstring that may be streamed (message data).
    pub(crate) fn body_data(&mut self) -> R<BodyData<'a>> {
        if self.nil() {
            return Ok(BodyData::Nil);
        }
        match self.peek() {
            Some(b'"') => Ok(BodyData::Bytes(self.quoted()?)),
            _ if self.at_literal() => Ok(self.literal()?.0),
            _ => Err(self.err("nstring")),
        }
    }

    pub(crate) fn flag(&mut self) -> R<Flag<'a>> {
        let start = self.pos;
        if self.eat(b'\\') {
            if self.eat(b'*') {
                return Ok(Flag::Wildcard);
            }
            self.atom()?;
        } else {
            self.atom()?;
        }
        let s = self.b.get(start..self.pos).unwrap_or_default();
        Ok(Flag::from_wire(std::str::from_utf8(s).unwrap_or_default()))
    }

    /// `(flag flag ...)`. `wildcard`: whether `\*` is allowed.
    pub(crate) fn flag_list(&mut self, wildcard: bool) -> R<Vec<Flag<'a>>> {
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if self.len.trailing_space && !v.is_empty() {
                let save = self.pos;
                while self.eat(b' ') {}
                if self.peek() != Some(b')') {
                    self.pos = save;
                }
            }
            if self.eat(b')') {
                return Ok(v);
            }
            if !v.is_empty() {
                self.sp()?;
            }
            let at = self.pos;
            let f = self.flag()?;
            if f == Flag::Wildcard && !wildcard {
                self.pos = at;
                return Err(self.err("flag (not \\*)"));
            }
            self.check_items(v.len())?;
            v.push(f);
        }
    }

    fn seq_num(&mut self) -> R<SeqNum> {
        if self.eat(b'*') {
            Ok(SeqNum::Largest)
        } else {
            Ok(SeqNum::Value(self.nz_number()?))
        }
    }

    pub(crate) fn sequence_set(&mut self) -> R<SequenceSet> {
        if self.eat(b'$') {
            return Ok(SequenceSet::Saved);
        }
        let mut v = Vec::new();
        loop {
            let a = self.seq_num()?;
            let r = if self.eat(b':') {
                SeqRange::Range(a, self.seq_num()?)
            } else {
                SeqRange::Single(a)
            };
            self.check_items(v.len())?;
            v.push(r);
            if !self.eat(b',') {
                return Ok(SequenceSet::Ranges(v));
            }
        }
    }

    /// `[section-spec]` (after `BODY`), the `[` included.
    pub(crate) fn section(&mut self) -> R<Section<'a>> {
        self.expect(b'[', "[")?;
        let mut part = Vec::new();
        let mut text = None;
        if self.eat(b']') {
            return Ok(Section { part, text });
        }
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            loop {
                self.check_items(part.len())?;
                part.push(self.nz_number()?);
                if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
                {
                    self.pos += 1;
                    continue;
                }
                break;
            }
            if self.eat(b'.') {
                text = Some(self.section_text(true)?);
            }
        } else {
            text = Some(self.section_text(false)?);
        }
        self.expect(b']', "]")?;
        Ok(Section { part, text })
    }

    fn section_text(&mut self, mime_ok: bool) -> R<SectionText<'a>> {
        if self.kw("HEADER.FIELDS.NOT") {
            self.sp()?;
            Ok(SectionText::HeaderFieldsNot(self.header_list()?))
        } else if self.kw("HEADER.FIELDS") {
            self.sp()?;
            Ok(SectionText::HeaderFields(self.header_list()?))
        } else if self.kw("HEADER") {
            Ok(SectionText::Header)
        } else if self.kw("TEXT") {
            Ok(SectionText::Text)
        } else if mime_ok && self.kw("MIME") {
            Ok(SectionText::Mime)
        } else {
            Err(self.err("section text"))
        }
    }

    fn header_list(&mut self) -> R<Vec<Cow<'a, [u8]>>> {
        self.expect(b'(', "(")?;
        let mut v = Vec::new();
        loop {
            if !v.is_empty() {
                if self.eat(b')') {
                    return Ok(v);
                }
                self.sp()?;
            }
            self.check_items(v.len())?;
            // astring, but `]` ends the section: header names are atoms or strings.
            let s = match self.peek() {
                Some(b'"') => self.string()?,
                _ if self.at_literal() => self.string()?,
                _ => {
                    let a = self.take_while(is_atom_char);
                    if a.is_empty() {
                        return Err(self.err("header field name"));
                    }
                    Cow::Borrowed(a)
                }
            };
            v.push(s);
        }
    }

    /// `<n>` (response origin).
    pub(crate) fn origin(&mut self) -> R<Option<u32>> {
        if self.eat(b'<') {
            let n = self.number()?;
            self.expect(b'>', ">")?;
            Ok(Some(n))
        } else {
            Ok(None)
        }
    }

    /// `[1.2.3]` part spec of BINARY.
    pub(crate) fn part(&mut self) -> R<Vec<u32>> {
        self.expect(b'[', "[")?;
        let mut v = Vec::new();
        if self.eat(b']') {
            return Ok(v);
        }
        loop {
            self.check_items(v.len())?;
            v.push(self.nz_number()?);
            if !self.eat(b'.') {
                break;
            }
        }
        self.expect(b']', "]")?;
        Ok(v)
    }

    /// Skips one balanced value (atom, string, or parenthesised list), returning its bytes.
    /// Iterative: nesting is counted against [`Limits::max_depth`], never recursed.
    pub(crate) fn skip_value(&mut self) -> R<&'a [u8]> {
        let start = self.pos;
        let base = self.depth;
        // Whether the next token is the first of its list (no SP before it).
        let mut first = true;
        loop {
            if self.depth > base {
                if self.eat(b')') {
                    self.leave();
                    first = false;
                    if self.depth == base {
                        break;
                    }
                    continue;
                }
                if !first {
                    self.sp()?;
                }
            }
            first = false;
            match self.peek() {
                Some(b'(') => {
                    self.enter()?;
                    self.pos += 1;
                    first = true;
                    continue;
                }
                Some(b'"') => {
                    self.string()?;
                }
                _ if self.at_literal() => {
                    self.string()?;
                }
                _ => {
                    let s = self.take_while(|c| c > b' ' && c != b'(' && c != b')' && c < 0x7f);
                    if s.is_empty() {
                        return Err(self.err("value"));
                    }
                }
            }
            if self.depth == base {
                break;
            }
        }
        Ok(self.b.get(start..self.pos).unwrap_or_default())
    }
}
