//! A small lexer shared by the structured-field grammars: whitespace and folding, nested
//! comments, quoted strings, domain literals. Works on the raw (possibly folded) value:
//! CR and LF count as whitespace.

use std::borrow::Cow;

use crate::defect::Defect;

use super::HeaderDefect;

/// A byte-class table: `true` for every byte in `set`.
pub(crate) const fn table(set: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < set.len() {
        t[set[i] as usize] = true;
        i += 1;
    }
    t
}

#[inline]
pub(crate) fn is_wsp(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A cursor over a field value.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a [u8]) -> Self {
        Cursor { s, pos: 0 }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    #[inline]
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Skips whitespace (including line endings). Returns whether any was skipped.
    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if !is_wsp(b) {
                break;
            }
            self.pos += 1;
        }
        self.pos != start
    }

    /// Skips whitespace and comments. Returns whether anything was skipped.
    pub(crate) fn skip_cfws(&mut self, defects: &mut Vec<Defect>) -> bool {
        let start = self.pos;
        loop {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                self.comment(defects);
            } else {
                break;
            }
        }
        self.pos != start
    }

    /// Reads a comment starting at `(` (nested, with quoted pairs); returns its content
    /// without the outer parentheses. Unterminated: runs to the end, with a defect.
    pub(crate) fn comment(&mut self, defects: &mut Vec<Defect>) -> &'a [u8] {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        let content = self.s.get(start..self.pos).unwrap_or_default();
                        self.pos += 1;
                        return content;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.pos = self.s.len();
        defects.push(Defect::at(HeaderDefect::UnterminatedComment, open));
        self.s.get(start..).unwrap_or_default()
    }

    /// Reads a quoted string starting at `"`; returns its content with quoted pairs
    /// resolved and folding removed. Unterminated: runs to the end, with a defect.
    pub(crate) fn quoted(&mut self, defects: &mut Vec<Defect>) -> Cow<'a, [u8]> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        let mut plain = true;
        let mut end = None;
        while let Some(b) = self.peek() {
            match b {
                b'\\' => {
                    plain = false;
                    self.pos += 1;
                }
                b'\r' | b'\n' => plain = false,
                b'"' => {
                    end = Some(self.pos);
                    break;
                }
                _ => {}
            }
            self.pos += 1;
        }
        let content_end = match end {
            Some(e) => {
                self.pos = e + 1;
                e
            }
            None => {
                defects.push(Defect::at(HeaderDefect::UnterminatedQuotedString, open));
                self.pos = self.s.len();
                self.s.len()
            }
        };
        let content = self.s.get(start..content_end).unwrap_or_default();
        if plain {
            return Cow::Borrowed(content);
        }
        Cow::Owned(unescape(content))
    }

    /// Reads a domain literal starting at `[`, returned with its brackets (whitespace and
    /// folding inside removed when present).
    pub(crate) fn domain_literal(&mut self, defects: &mut Vec<Defect>) -> Cow<'a, [u8]> {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            match b {
                b'\\' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    let lit = self.s.get(start..self.pos).unwrap_or_default();
                    return strip_ws(lit);
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.pos = self.s.len();
        defects.push(Defect::at(HeaderDefect::UnterminatedDomainLiteral, start));
        let mut v = strip_ws(self.s.get(start..).unwrap_or_default()).into_owned();
        v.push(b']');
        Cow::Owned(v)
    }

    /// Reads while `f` holds.
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if !f(b) {
                break;
            }
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or_default()
    }
}

fn strip_ws(s: &[u8]) -> Cow<'_, [u8]> {
    if s.iter().any(|&b| is_wsp(b)) {
        Cow::Owned(s.iter().copied().filter(|&b| !is_wsp(b)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Resolves quoted pairs and removes line endings (unfolding) in quoted-string content.
pub(crate) fn unescape(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    let mut it = content.iter().copied();
    while let Some(b) = it.next() {
        match b {
            b'\\' => {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            b'\r' | b'\n' => {}
            _ => out.push(b),
        }
    }
    out
}

/// Bytes to text: borrowed when valid UTF-8 (RFC 6532); other 8-bit bytes (raw Latin-1
/// from old clients) are read as windows-1252, so nothing is lost.
pub(crate) fn utf8_cow(b: Cow<'_, [u8]>) -> Cow<'_, str> {
    match b {
        Cow::Borrowed(b) => bytes_to_text(b),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(bytes_to_text(e.as_bytes()).into_owned()),
        },
    }
}

/// [`utf8_cow`] for a borrowed slice.
pub(crate) fn bytes_to_text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(b).0,
    }
}

/// Lower-cases ASCII text, borrowing when it already is.
pub(crate) fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_quotes() {
        let mut d = Vec::new();
        let mut c = Cursor::new(b" (a (nested) \\) c) \"q\\\"x\r\n y\" [1.2 .3.4]");
        assert!(c.skip_cfws(&mut d));
        assert_eq!(c.peek(), Some(b'"'));
        assert_eq!(&*c.quoted(&mut d), b"q\"x y");
        c.skip_ws();
        assert_eq!(&*c.domain_literal(&mut d), b"[1.2.3.4]");
        assert!(c.at_end());
        assert!(d.is_empty());

        let mut c = Cursor::new(b"(open \"x");
        c.skip_cfws(&mut d);
        assert!(c.at_end());
        assert_eq!(d.len(), 1);
    }
}
