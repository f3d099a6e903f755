//! `Message-ID`, `References`, `In-Reply-To`, `Return-Path` and `Received`.

use std::borrow::Cow;

use crate::defect::Defect;

use super::HeaderDefect;
use super::address::parse_path;
use super::date::{DateDefect, DateTime};
use super::lex::{Cursor, is_wsp, utf8_cow};

/// Removes whitespace and comments (obsolete syntax allows CFWS inside a msg-id).
fn strip_cfws(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.iter().any(|&c| is_wsp(c) || c == b'(') {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut depth = 0usize;
    let mut escaped = false;
    for &c in b {
        if depth > 0 {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'(' {
                depth += 1;
            } else if c == b')' {
                depth -= 1;
            }
            continue;
        }
        match c {
            b'(' => depth = 1,
            c if is_wsp(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Parses a list of message ids (`References`, `In-Reply-To`, `Message-ID`), returned
/// without angle brackets, in order. Lenient: ids without brackets are accepted when no
/// bracketed id is present and they contain `@`; phrases (obsolete `In-Reply-To`) and
/// comments are skipped; whitespace inside brackets is removed.
pub fn parse_msg_ids(value: &[u8]) -> (Vec<Cow<'_, str>>, Vec<Defect>) {
    let mut defects = Vec::new();
    let mut ids = Vec::new();
    let mut bare = Vec::new();
    let mut c = Cursor::new(value);
    loop {
        c.skip_cfws(&mut defects);
        let Some(b) = c.peek() else { break };
        let start = c.pos;
        match b {
            b'<' => {
                c.bump();
                let inner_start = c.pos;
                let rest = value.get(inner_start..).unwrap_or_default();
                match memchr::memchr2(b'>', b'<', rest) {
                    Some(k) if rest.get(k) == Some(&b'>') => {
                        c.pos = inner_start + k + 1;
                        let inner = rest.get(..k).unwrap_or_default();
                        if !inner.is_empty() {
                            ids.push(utf8_cow(strip_cfws(inner)));
                        }
                    }
                    _ => {
                        defects.push(Defect::at(HeaderDefect::MissingAngleClose, start));
                        let inner = c.take_while(|b| !is_wsp(b) && b != b'<' && b != b'>');
                        if !inner.is_empty() {
                            ids.push(utf8_cow(Cow::Borrowed(inner)));
                        }
                    }
                }
            }
            b'"' => {
                c.quoted(&mut defects);
            }
            _ => {
                let w = c.take_while(|b| !is_wsp(b) && !b"<(\",".contains(&b));
                if w.is_empty() {
                    c.bump();
                } else if w.contains(&b'@') {
                    bare.push((start, w));
                }
            }
        }
    }
    if ids.is_empty() {
        for (at, w) in bare {
            defects.push(Defect::at(HeaderDefect::MissingAngleBrackets, at));
            ids.push(utf8_cow(Cow::Borrowed(w)));
        }
    }
    (ids, defects)
}

/// The first message id of a `Message-ID` value, without brackets.
pub fn parse_msg_id(value: &[u8]) -> Option<Cow<'_, str>> {
    parse_msg_ids(value).0.into_iter().next()
}

/// A `Return-Path` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnPath<'a> {
    /// `<>`: the null reverse path (bounces).
    Null,
    /// The reverse path (an addr-spec, without brackets).
    Address(Cow<'a, str>),
}

impl<'a> ReturnPath<'a> {
    /// Parses a `Return-Path` value (`<a@b>`, `<>`, or a bare address). `None` when empty.
    pub fn parse(value: &'a [u8]) -> Option<ReturnPath<'a>> {
        let mut defects = Vec::new();
        let m = parse_path(value, &mut defects)?;
        if m.local.is_empty() && m.domain.is_empty() {
            return Some(ReturnPath::Null);
        }
        Some(ReturnPath::Address(Cow::Owned(m.address())))
    }
}

/// The protocol of a `Received` `with` clause (RFC 3848, RFC 6531 names typed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol<'a> {
    /// `SMTP`.
    Smtp,
    /// `ESMTP`.
    Esmtp,
    /// `ESMTPA`: authenticated.
    Esmtpa,
    /// `ESMTPS`: over TLS.
    Esmtps,
    /// `ESMTPSA`: over TLS, authenticated.
    Esmtpsa,
    /// `LMTP`.
    Lmtp,
    /// `LMTPA`.
    Lmtpa,
    /// `LMTPS`.
    Lmtps,
    /// `LMTPSA`.
    Lmtpsa,
    /// `UTF8SMTP` (RFC 6531).
    Utf8Smtp,
    /// `UTF8SMTPA`.
    Utf8Smtpa,
    /// `UTF8SMTPS`.
    Utf8Smtps,
    /// `UTF8SMTPSA`.
    Utf8Smtpsa,
    /// `UTF8LMTP`.
    Utf8Lmtp,
    /// `UTF8LMTPA`.
    Utf8Lmtpa,
    /// `UTF8LMTPS`.
    Utf8Lmtps,
    /// `UTF8LMTPSA`.
    Utf8Lmtpsa,
    /// `HTTP`.
    Http,
    /// `HTTPS`.
    Https,
    /// `local`.
    Local,
    /// Anything else, as written.
    Other(Cow<'a, str>),
}

const PROTOCOLS: [(&str, Protocol<'static>); 20] = [
    ("SMTP", Protocol::Smtp),
    ("ESMTP", Protocol::Esmtp),
    ("ESMTPA", Protocol::Esmtpa),
    ("ESMTPS", Protocol::Esmtps),
    ("ESMTPSA", Protocol::Esmtpsa),
    ("LMTP", Protocol::Lmtp),
    ("LMTPA", Protocol::Lmtpa),
    ("LMTPS", Protocol::Lmtps),
    ("LMTPSA", Protocol::Lmtpsa),
    ("UTF8SMTP", Protocol::Utf8Smtp),
    ("UTF8SMTPA", Protocol::Utf8Smtpa),
    ("UTF8SMTPS", Protocol::Utf8Smtps),
    ("UTF8SMTPSA", Protocol::Utf8Smtpsa),
    ("UTF8LMTP", Protocol::Utf8Lmtp),
    ("UTF8LMTPA", Protocol::Utf8Lmtpa),
    ("UTF8LMTPS", Protocol::Utf8Lmtps),
    ("UTF8LMTPSA", Protocol::Utf8Lmtpsa),
    ("HTTP", Protocol::Http),
    ("HTTPS", Protocol::Https),
    ("LOCAL", Protocol::Local),
];

impl<'a> Protocol<'a> {
    /// The protocol named `name` (case-insensitive); unknown names are kept as written.
    pub fn parse(name: impl Into<Cow<'a, str>>) -> Protocol<'a> {
        let name = name.into();
        PROTOCOLS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map_or(Protocol::Other(name), |(_, p)| p.clone())
    }

    /// The registered name (upper case), or the unknown name as written.
    pub fn as_str(&self) -> &str {
        if let Protocol::Other(s) = self {
            return s;
        }
        PROTOCOLS
            .iter()
            .find(|(_, p)| p == self)
            .map_or("", |(n, _)| n)
    }

    /// Whether the name says the transfer was over TLS (`...S` / `...SA`, `HTTPS`).
    pub fn is_tls(&self) -> bool {
        matches!(
            self,
            Protocol::Esmtps
                | Protocol::Esmtpsa
                | Protocol::Lmtps
                | Protocol::Lmtpsa
                | Protocol::Utf8Smtps
                | Protocol::Utf8Smtpsa
                | Protocol::Utf8Lmtps
                | Protocol::Utf8Lmtpsa
                | Protocol::Https
        )
    }

    /// Whether the name says the client authenticated (`...A`).
    pub fn is_authenticated(&self) -> bool {
        matches!(
            self,
            Protocol::Esmtpa
                | Protocol::Esmtpsa
                | Protocol::Lmtpa
                | Protocol::Lmtpsa
                | Protocol::Utf8Smtpa
                | Protocol::Utf8Smtpsa
                | Protocol::Utf8Lmtpa
                | Protocol::Utf8Lmtpsa
        )
    }
}

/// A parsed `Received` trace field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Received<'a> {
    /// The `from` clause's host as the client named it.
    pub from: Option<Cow<'a, str>>,
    /// The comment after the `from` host (typically `(reverse-dns [ip])`).
    pub from_comment: Option<Cow<'a, str>>,
    /// The `by` clause's host (the receiving server).
    pub by: Option<Cow<'a, str>>,
    /// The comment after the `by` host (often the software name).
    pub by_comment: Option<Cow<'a, str>>,
    /// The `via` clause.
    pub via: Option<Cow<'a, str>>,
    /// The `with` clause: the protocol.
    pub with: Option<Protocol<'a>>,
    /// The `id` clause: the receiver's queue id.
    pub id: Option<Cow<'a, str>>,
    /// The `for` clause's address, without brackets.
    pub for_addr: Option<Cow<'a, str>>,
    /// The date after the last `;`, when there is one.
    pub date: Option<Result<DateTime, DateDefect>>,
    /// What was irregular (offsets relative to the value).
    pub defects: Vec<Defect>,
}

impl<'a> Received<'a> {
    /// Parses a `Received` value. Never fails; unknown clauses are skipped.
    pub fn parse(value: &'a [u8]) -> Received<'a> {
        let mut r = Received::default();
        // The date follows the last `;` outside comments.
        let mut depth = 0usize;
        let mut semi = None;
        let mut escaped = false;
        for (i, &b) in value.iter().enumerate() {
            if escaped {
                escaped = false;
                continue;
            }
            match b {
                b'\\' => escaped = true,
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b';' if depth == 0 => semi = Some(i),
                _ => {}
            }
        }
        let clauses = match semi {
            Some(s) => {
                r.date = Some(DateTime::parse(value.get(s + 1..).unwrap_or_default()));
                value.get(..s).unwrap_or_default()
            }
            None => value,
        };
        let mut c = Cursor::new(clauses);
        let mut last: Option<u8> = None;
        loop {
            c.skip_ws();
            let Some(b) = c.peek() else { break };
            if b == b'(' {
                let text = utf8_cow(Cow::Borrowed(c.comment(&mut r.defects)));
                match last {
                    Some(b'f') if r.from_comment.is_none() => r.from_comment = Some(text),
                    Some(b'b') if r.by_comment.is_none() => r.by_comment = Some(text),
                    _ => {}
                }
                continue;
            }
            let word = c.take_while(|b| !is_wsp(b) && b != b'(');
            let key = word.to_ascii_lowercase();
            let slot = match key.as_slice() {
                b"from" => b'f',
                b"by" => b'b',
                b"via" => b'v',
                b"with" => b'w',
                b"id" => b'i',
                b"for" => b'o',
                _ => {
                    last = None;
                    continue;
                }
            };
            c.skip_cfws(&mut r.defects);
            let at = c.pos;
            let val = c.take_while(|b| !is_wsp(b) && b != b'(');
            if val.is_empty() {
                r.defects
                    .push(Defect::at(HeaderDefect::TrailingGarbage, at));
                continue;
            }
            let text = utf8_cow(Cow::Borrowed(val));
            last = Some(slot);
            match slot {
                b'f' => r.from = r.from.take().or(Some(text)),
                b'b' => r.by = r.by.take().or(Some(text)),
                b'v' => r.via = r.via.take().or(Some(text)),
                b'w' => r.with = r.with.take().or(Some(Protocol::parse(text))),
                b'i' => r.id = r.id.take().or(Some(text)),
                _ => {
                    let addr = val.strip_prefix(b"<").unwrap_or(val);
                    let addr = addr.strip_suffix(b">").unwrap_or(addr);
                    r.for_addr = r.for_addr.take().or(Some(utf8_cow(Cow::Borrowed(addr))));
                }
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_ids() {
        let (ids, d) = parse_msg_ids(b" <1234@local.machine.example>\r\n <3456@example.net>");
        assert_eq!(ids, vec!["1234@local.machine.example", "3456@example.net"]);
        assert!(d.is_empty());
        let (ids, _) = parse_msg_ids(b"Your message of \"Mon\" <a@b> (comment)");
        assert_eq!(ids, vec!["a@b"]);
        let (ids, d) = parse_msg_ids(b"abc@def, ghi@jkl");
        assert_eq!(ids, vec!["abc@def", "ghi@jkl"]);
        assert_eq!(d.len(), 2);
        let (ids, _) = parse_msg_ids(b"<a @ b>");
        assert_eq!(ids, vec!["a@b"]);
        let (ids, _) = parse_msg_ids(b" <1234   @   local(blah)  .machine .example>");
        assert_eq!(ids, vec!["1234@local.machine.example"]);
        let (ids, _) = parse_msg_ids(b"<broken@x");
        assert_eq!(ids, vec!["broken@x"]);
        assert_eq!(
            parse_msg_id(b" <CAGmz=d4xQ@mail.gmail.com>").as_deref(),
            Some("CAGmz=d4xQ@mail.gmail.com")
        );
    }

    #[test]
    fn return_path() {
        assert_eq!(ReturnPath::parse(b" <>"), Some(ReturnPath::Null));
        assert_eq!(
            ReturnPath::parse(b" <tester@example.org>"),
            Some(ReturnPath::Address("tester@example.org".into()))
        );
        assert_eq!(ReturnPath::parse(b"  "), None);
    }

    #[test]
    fn received() {
        let r = Received::parse(
            b" from mail.example.test ([127.0.0.1])\r\n\tby mail.example.test with LMTP\r\n\tid 6F2dDc14A2vwXAAAg+zDdQ\r\n\t(envelope-from <tester@example.org>)\r\n\tfor <alice@localhost>; Sun, 22 Nov 2026 23:20:45 +0000",
        );
        assert_eq!(r.from.as_deref(), Some("mail.example.test"));
        assert_eq!(r.from_comment.as_deref(), Some("[127.0.0.1]"));
        assert_eq!(r.by.as_deref(), Some("mail.example.test"));
        assert_eq!(r.with, Some(Protocol::Lmtp));
        assert_eq!(r.id.as_deref(), Some("6F2dDc14A2vwXAAAg+zDdQ"));
        assert_eq!(r.for_addr.as_deref(), Some("alice@localhost"));
        assert_eq!(
            r.date.unwrap().unwrap().to_rfc3339(),
            "2026-11-22T23:20:45+00:00"
        );

        let r = Received::parse(
            b" from client.example.org (unknown [127.0.0.1])\r\n\tby mail.example.test (Postfix) with ESMTPSA id 347E89949FB\r\n\tfor <alice@localhost>; Sun, 22 Nov 2026 23:20:45 +0000 (UTC)",
        );
        assert_eq!(r.by_comment.as_deref(), Some("Postfix"));
        assert_eq!(r.with, Some(Protocol::Esmtpsa));
        assert!(r.with.as_ref().unwrap().is_tls() && r.with.as_ref().unwrap().is_authenticated());
        assert_eq!(r.date.unwrap().unwrap().offset_minutes, Some(0));

        let r = Received::parse(b"from bar.com by foo.com ; Thu, 21 May 1998");
        assert_eq!(r.from.as_deref(), Some("bar.com"));
        assert_eq!(r.date.unwrap().unwrap().day, 21);
        let r = Received::parse(b"by x with Microsoft SMTP Server id 1");
        assert_eq!(r.with, Some(Protocol::Other("Microsoft".into())));
        assert_eq!(Protocol::parse("esmtps").as_str(), "ESMTPS");
    }
}
