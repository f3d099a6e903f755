//! RFC 5322 addresses (including the obsolete syntax): mailboxes, groups, display names,
//! quoted local parts, domain literals, routes; lenient with the junk real mail carries.

use std::borrow::Cow;
use std::fmt;

use crate::defect::Defect;

use super::HeaderDefect;
use super::encoded_word::{decode_unstructured, parse_word};
use super::lex::{Cursor, bytes_to_text, table, utf8_cow};

/// One address: a mailbox or a named group of mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address<'a> {
    /// A single mailbox.
    Mailbox(Mailbox<'a>),
    /// A group (`Friends: a@x, b@y;`, or `undisclosed-recipients:;`).
    Group(Group<'a>),
}

/// A mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox<'a> {
    /// The display name, RFC 2047 decoded and unquoted; `None` when absent or empty.
    pub name: Option<Cow<'a, str>>,
    /// The local part, unquoted (quoted pairs resolved).
    pub local: Cow<'a, str>,
    /// The domain (a domain literal keeps its brackets); empty when there was none.
    pub domain: Cow<'a, str>,
}

/// A group of mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// The group's display name, RFC 2047 decoded.
    pub name: Cow<'a, str>,
    /// Its members (often none).
    pub members: Vec<Mailbox<'a>>,
}

/// Whether `b` may appear in a dot-atom (RFC 5322 atext, plus any non-ASCII byte per
/// RFC 6532).
pub(crate) fn is_atext(b: u8) -> bool {
    static ATEXT_SPECIALS: [bool; 256] = table(b"!#$%&'*+-/=?^_`{|}~");
    b.is_ascii_alphanumeric() || ATEXT_SPECIALS[b as usize] || b >= 0x80
}

/// Whether `s` is a dot-atom (non-empty atoms of atext separated by single dots).
pub(crate) fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|a| !a.is_empty() && a.bytes().all(is_atext))
}

/// Whether a display name is empty or only spaces and tabs (then there is no name).
pub(crate) fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| b == b' ' || b == b'\t')
}

/// `s` as a quoted string (with quoted pairs for `"` and `\`).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

impl<'a> Mailbox<'a> {
    /// A mailbox from its parts.
    pub fn new(
        name: Option<impl Into<Cow<'a, str>>>,
        local: impl Into<Cow<'a, str>>,
        domain: impl Into<Cow<'a, str>>,
    ) -> Self {
        Mailbox {
            name: name.map(Into::into),
            local: local.into(),
            domain: domain.into(),
        }
    }

    /// The address as written in an addr-spec: `local@domain`, the local part quoted when
    /// it is not a dot-atom; just the local part when there is no domain.
    pub fn address(&self) -> String {
        let local = if self.local.is_empty() || is_dot_atom(&self.local) {
            Cow::Borrowed(&*self.local)
        } else {
            Cow::Owned(quote(&self.local))
        };
        if self.domain.is_empty() {
            local.into_owned()
        } else {
            format!("{local}@{}", self.domain)
        }
    }

    /// Copies every borrowed piece so the mailbox outlives its input.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            local: Cow::Owned(self.local.into_owned()),
            domain: Cow::Owned(self.domain.into_owned()),
        }
    }
}

impl fmt::Display for Mailbox<'_> {
    /// Human-readable form: `Name <addr>` (not header-encoded; see the `encode` functions
    /// for what goes on the wire).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address()),
            None => f.write_str(&self.address()),
        }
    }
}

impl Address<'_> {
    /// The mailboxes of this address (the mailbox itself, or a group's members).
    pub fn mailboxes(&self) -> &[Mailbox<'_>] {
        match self {
            Address::Mailbox(m) => std::slice::from_ref(m),
            Address::Group(g) => &g.members,
        }
    }
}

/// A parsed address list (`From`, `To`, `Cc`, `Reply-To`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressList<'a> {
    /// The addresses, in order.
    pub addresses: Vec<Address<'a>>,
    /// What was wrong (offsets relative to the value parsed).
    pub defects: Vec<Defect>,
}

impl<'a> AddressList<'a> {
    /// Parses an address list from a raw field value (folding allowed). Never fails.
    pub fn parse(value: &'a [u8]) -> AddressList<'a> {
        parse_address_list(value)
    }

    /// Every mailbox, group members flattened, in order.
    pub fn mailboxes(&self) -> impl Iterator<Item = &Mailbox<'a>> {
        self.addresses.iter().flat_map(|a| match a {
            Address::Mailbox(m) => std::slice::from_ref(m).iter(),
            Address::Group(g) => g.members.iter(),
        })
    }
}

/// Parses an address list from a raw field value (folding allowed). Never fails.
pub fn parse_address_list(value: &[u8]) -> AddressList<'_> {
    let mut defects = Vec::new();
    let toks = lex(value, &mut defects);
    let addresses = parse_list(&toks, &mut defects);
    AddressList { addresses, defects }
}

/// Parses a single mailbox (`Sender`, or one element of a list); the first mailbox when
/// there are several.
pub fn parse_mailbox(value: &[u8]) -> (Option<Mailbox<'_>>, Vec<Defect>) {
    let list = parse_address_list(value);
    let mut defects = list.defects;
    let n = list.addresses.len();
    let first = list.addresses.into_iter().find_map(|a| match a {
        Address::Mailbox(m) => Some(m),
        Address::Group(g) => g.members.into_iter().next(),
    });
    if n > 1 {
        defects.push(Defect::at(HeaderDefect::TrailingGarbage, 0));
    }
    (first, defects)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Atom,
    EncodedWord,
    Quoted,
    DomainLiteral,
    Special(u8),
}

#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    kind: Kind,
    text: Cow<'a, [u8]>,
    /// Whitespace or a comment came before it.
    ws: bool,
    pos: usize,
    /// The whole value the token was read from.
    src: &'a [u8],
}

impl<'a> Tok<'a> {
    /// End offset of the token's own bytes in `src`, when its text is exactly those bytes.
    fn verbatim_end(&self) -> Option<usize> {
        match (&self.kind, &self.text) {
            (Kind::Atom | Kind::Special(_) | Kind::DomainLiteral, Cow::Borrowed(b)) => {
                Some(self.pos + b.len())
            }
            _ => None,
        }
    }

    /// The input bytes from this token to the end of `last`, when every token between is
    /// verbatim and `gap_ok` accepts the bytes between consecutive tokens.
    fn span(toks: &[Tok<'a>], gap_ok: impl Fn(&[u8], &Tok<'a>) -> bool) -> Option<&'a [u8]> {
        let first = toks.first()?;
        let mut end = first.verbatim_end()?;
        for t in toks.get(1..).unwrap_or_default() {
            let gap = first.src.get(end..t.pos)?;
            if !gap_ok(gap, t) {
                return None;
            }
            end = t.verbatim_end()?;
        }
        first.src.get(first.pos..end)
    }

    fn is(&self, c: u8) -> bool {
        self.kind == Kind::Special(c)
    }
    fn is_word(&self) -> bool {
        matches!(self.kind, Kind::Atom | Kind::EncodedWord | Kind::Quoted)
    }
}

fn is_atom_byte(b: u8) -> bool {
    static NOT_ATOM: [bool; 256] = table(b"()<>@,;:\".[ \t\r\n");
    !NOT_ATOM[b as usize]
}

fn lex<'a>(value: &'a [u8], defects: &mut Vec<Defect>) -> Vec<Tok<'a>> {
    let mut toks = Vec::with_capacity(16);
    let mut c = Cursor::new(value);
    loop {
        let ws = c.skip_cfws(defects);
        let Some(b) = c.peek() else { break };
        let pos = c.pos;
        let (kind, text) = match b {
            b'"' => (Kind::Quoted, c.quoted(defects)),
            b'[' => (Kind::DomainLiteral, c.domain_literal(defects)),
            b'<' | b'>' | b'@' | b',' | b';' | b':' | b'.' => {
                c.bump();
                (
                    Kind::Special(b),
                    Cow::Borrowed(value.get(pos..=pos).unwrap_or_default()),
                )
            }
            _ => {
                let rest = value.get(pos..).unwrap_or_default();
                match rest.starts_with(b"=?").then(|| parse_word(rest)).flatten() {
                    Some(w) => {
                        c.pos += w.len;
                        (
                            Kind::EncodedWord,
                            Cow::Borrowed(rest.get(..w.len).unwrap_or_default()),
                        )
                    }
                    None => (Kind::Atom, Cow::Borrowed(c.take_while(is_atom_byte))),
                }
            }
        };
        if c.pos == pos {
            // Cannot happen (every branch consumes), but never loop forever.
            c.bump();
            continue;
        }
        toks.push(Tok {
            kind,
            text,
            ws,
            pos,
            src: value,
        });
    }
    toks
}

/// Index of the first token in `toks[from..to]` that is `c` at angle depth 0.
fn find_top(toks: &[Tok<'_>], from: usize, to: usize, set: &[u8]) -> Option<(usize, u8)> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().take(to).skip(from) {
        if let Kind::Special(s) = t.kind {
            match s {
                b'<' => {
                    if depth == 0 && set.contains(&b'<') {
                        return Some((i, s));
                    }
                    depth += 1;
                }
                b'>' => depth = depth.saturating_sub(1),
                _ if depth == 0 && set.contains(&s) => return Some((i, s)),
                _ => {}
            }
        }
    }
    None
}

/// End of the element starting at `from`: the next `,` or `;` outside angle brackets.
fn seg_end(toks: &[Tok<'_>], from: usize) -> usize {
    find_top(toks, from, toks.len(), b",;").map_or(toks.len(), |(i, _)| i)
}

fn parse_list<'a>(toks: &[Tok<'a>], defects: &mut Vec<Defect>) -> Vec<Address<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        if t.is(b',') {
            i += 1;
            continue;
        }
        if t.is(b';') {
            defects.push(Defect::at(HeaderDefect::UnexpectedSemicolon, t.pos));
            i += 1;
            continue;
        }
        let end = seg_end(toks, i);
        if let Some((colon, b':')) = find_top(toks, i, end, b":<@") {
            let name = phrase(toks.get(i..colon).unwrap_or_default()).unwrap_or_default();
            let (members, next) = parse_group_members(toks, colon + 1, defects);
            out.push(Address::Group(Group { name, members }));
            i = next;
            continue;
        }
        let mut seg_to = end;
        // `Doe, John <jd@example.com>`: an unquoted comma in a display name.
        if find_top(toks, i, end, b"<@").is_none() && toks.get(end).is_some_and(|t| t.is(b',')) {
            let next_end = seg_end(toks, end + 1);
            if let Some((_, b'<')) = find_top(toks, end + 1, next_end, b"<@:") {
                if end + 1 < next_end && toks.get(end + 1).is_some_and(|t| !t.is(b'<')) {
                    defects.push(Defect::at(HeaderDefect::UnquotedCommaInName, toks[end].pos));
                    seg_to = next_end;
                }
            }
        }
        if let Some(m) = parse_mailbox_toks(toks.get(i..seg_to).unwrap_or_default(), defects) {
            out.push(Address::Mailbox(m));
        }
        i = seg_to;
    }
    out
}

fn parse_group_members<'a>(
    toks: &[Tok<'a>],
    mut i: usize,
    defects: &mut Vec<Defect>,
) -> (Vec<Mailbox<'a>>, usize) {
    let mut members = Vec::new();
    loop {
        let Some(t) = toks.get(i) else {
            let at = toks.last().map_or(0, |t| t.pos);
            defects.push(Defect::at(HeaderDefect::UnterminatedGroup, at));
            return (members, i);
        };
        if t.is(b',') {
            i += 1;
            continue;
        }
        if t.is(b';') {
            i += 1;
            // Anything before the next comma is junk.
            let end = find_top(toks, i, toks.len(), b",").map_or(toks.len(), |(e, _)| e);
            if end > i {
                defects.push(Defect::at(HeaderDefect::TrailingGarbage, toks[i].pos));
            }
            return (members, end);
        }
        let end = seg_end(toks, i);
        if let Some(m) = parse_mailbox_toks(toks.get(i..end).unwrap_or_default(), defects) {
            members.push(m);
        }
        i = end;
    }
}

/// Concatenates token texts without spaces (local parts, domains).
fn concat<'a>(toks: &[Tok<'a>]) -> Cow<'a, str> {
    if toks.len() > 1 {
        if let Some(span) = Tok::span(toks, |gap, _| gap.is_empty()) {
            return utf8_cow(Cow::Borrowed(span));
        }
    }
    match toks {
        [] => Cow::Borrowed(""),
        [one] => utf8_cow(one.text.clone()),
        many => {
            let mut v = Vec::new();
            for t in many {
                v.extend_from_slice(&t.text);
            }
            utf8_cow(Cow::Owned(v))
        }
    }
}

/// Builds a display name from phrase tokens: words joined by single spaces where the
/// input had whitespace, RFC 2047 words decoded (adjacent ones joined), quoted strings
/// unquoted (and encoded words inside them decoded, as mail clients do).
fn phrase<'a>(toks: &[Tok<'a>]) -> Option<Cow<'a, str>> {
    if let [one] = toks {
        let s = match one.kind {
            Kind::Atom | Kind::Special(_) | Kind::DomainLiteral => utf8_cow(one.text.clone()),
            Kind::EncodedWord | Kind::Quoted => match &one.text {
                Cow::Borrowed(b) => decode_unstructured(b),
                Cow::Owned(v) => Cow::Owned(decode_unstructured(v).into_owned()),
            },
        };
        return if is_blank(&s) { None } else { Some(s) };
    }
    // Plain atoms separated by single spaces: borrow the input.
    if let Some(span) = Tok::span(toks, |gap, t| {
        t.kind == Kind::Atom && (gap == b" " || (gap.is_empty() && !t.ws))
    }) {
        if toks.first().is_some_and(|t| t.kind == Kind::Atom) {
            if let Ok(s) = std::str::from_utf8(span) {
                return Some(Cow::Borrowed(s));
            }
        }
    }
    let mut out = String::new();
    let mut k = 0;
    while let Some(t) = toks.get(k) {
        if k > 0 && t.ws {
            out.push(' ');
        }
        match t.kind {
            Kind::EncodedWord => {
                // A run of encoded words: decode together (whitespace between them goes).
                let mut run = Vec::new();
                run.extend_from_slice(&t.text);
                while let Some(n) = toks.get(k + 1) {
                    if n.kind != Kind::EncodedWord || !n.ws {
                        break;
                    }
                    run.push(b' ');
                    run.extend_from_slice(&n.text);
                    k += 1;
                }
                out.push_str(&decode_unstructured(&run));
            }
            Kind::Quoted => out.push_str(&decode_unstructured(&t.text)),
            _ => out.push_str(&bytes_to_text(&t.text)),
        }
        k += 1;
    }
    if is_blank(&out) {
        None
    } else {
        Some(Cow::Owned(out))
    }
}

/// Parses an addr-spec from tokens: `(local, domain)`.
fn addr_spec<'a>(toks: &[Tok<'a>], defects: &mut Vec<Defect>) -> (Cow<'a, str>, Cow<'a, str>) {
    match toks.iter().position(|t| t.is(b'@')) {
        Some(at) => {
            let local = toks.get(..at).unwrap_or_default();
            let domain = toks.get(at + 1..).unwrap_or_default();
            if domain.is_empty() {
                defects.push(Defect::at(HeaderDefect::MissingDomain, toks[at].pos));
            }
            if domain.iter().any(|t| t.is(b'@') || t.kind == Kind::Quoted)
                || domain.iter().skip(1).any(|t| t.ws && !t.is(b'.'))
            {
                defects.push(Defect::at(HeaderDefect::InvalidDomain, toks[at].pos));
            }
            (concat(local), concat(domain))
        }
        None => {
            if let Some(t) = toks.first() {
                defects.push(Defect::at(HeaderDefect::MissingDomain, t.pos));
            }
            (concat(toks), Cow::Borrowed(""))
        }
    }
}

fn parse_mailbox_toks<'a>(toks: &[Tok<'a>], defects: &mut Vec<Defect>) -> Option<Mailbox<'a>> {
    let first = toks.first()?;
    if let Some((lt, _)) = find_top(toks, 0, toks.len(), b"<") {
        let name = phrase(toks.get(..lt).unwrap_or_default());
        let inner_start = lt + 1;
        let gt = toks
            .iter()
            .enumerate()
            .skip(inner_start)
            .find(|(_, t)| t.is(b'>'))
            .map(|(i, _)| i);
        let inner_end = match gt {
            Some(g) => {
                if let Some(t) = toks.get(g + 1) {
                    defects.push(Defect::at(HeaderDefect::TrailingGarbage, t.pos));
                }
                g
            }
            None => {
                defects.push(Defect::at(HeaderDefect::MissingAngleClose, toks[lt].pos));
                toks.len()
            }
        };
        let mut inner = toks.get(inner_start..inner_end).unwrap_or_default();
        // obs-route: `<@a,@b:user@c>`.
        if inner.first().is_some_and(|t| t.is(b'@')) {
            if let Some(colon) = inner.iter().position(|t| t.is(b':')) {
                inner = inner.get(colon + 1..).unwrap_or_default();
            }
        }
        if inner.is_empty() {
            if name.is_none() {
                // `<>`: the null address.
                return Some(Mailbox {
                    name: None,
                    local: Cow::Borrowed(""),
                    domain: Cow::Borrowed(""),
                });
            }
            defects.push(Defect::at(HeaderDefect::MissingAddress, toks[lt].pos));
        }
        let (local, domain) = addr_spec(inner, defects);
        return Some(Mailbox {
            name,
            local,
            domain,
        });
    }
    match toks.iter().position(|t| t.is(b'@')) {
        Some(at) => {
            // The local part is the last run of tokens joined without whitespace (or by
            // dots); words before it are a display name that lacked angle brackets.
            let mut k = at;
            while k > 0 {
                let t = &toks[k - 1];
                let joined_to_next = k == at || !toks[k].ws || toks[k].is(b'.') || t.is(b'.');
                if !joined_to_next {
                    break;
                }
                k -= 1;
            }
            let name = if k > 0 {
                defects.push(Defect::at(HeaderDefect::MissingAngleBrackets, first.pos));
                phrase(toks.get(..k).unwrap_or_default())
            } else {
                None
            };
            let (local, domain) = addr_spec(toks.get(k..).unwrap_or_default(), defects);
            Some(Mailbox {
                name,
                local,
                domain,
            })
        }
        None => {
            // A bare phrase: keep it as a local part with no domain.
            defects.push(Defect::at(HeaderDefect::MissingDomain, first.pos));
            let local = if toks.iter().all(|t| !t.is_word() || !t.ws) || toks.len() == 1 {
                concat(toks)
            } else {
                phrase(toks).unwrap_or_default()
            };
            Some(Mailbox {
                name: None,
                local,
                domain: Cow::Borrowed(""),
            })
        }
    }
}

/// Parses the content of an angle-addr or bare addr-spec (`Return-Path`, message ids of
/// the `for` clause in `Received`): the first mailbox, name ignored.
pub(crate) fn parse_path<'a>(value: &'a [u8], defects: &mut Vec<Defect>) -> Option<Mailbox<'a>> {
    let toks = lex(value, defects);
    let end = seg_end(&toks, 0);
    if end < toks.len() {
        defects.push(Defect::at(HeaderDefect::TrailingGarbage, toks[end].pos));
    }
    parse_mailbox_toks(toks.get(..end).unwrap_or_default(), defects)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: Option<&str>, addr: &str) -> (Option<String>, String) {
        (name.map(str::to_owned), addr.to_owned())
    }

    fn flat(v: &str) -> Vec<(Option<String>, String)> {
        parse_address_list(v.as_bytes())
            .mailboxes()
            .map(|m| (m.name.as_deref().map(str::to_owned), m.address()))
            .collect()
    }

    #[test]
    fn rfc5322_appendix_a() {
        // A.1.1
        assert_eq!(
            flat("John Doe <jdoe@machine.example>"),
            vec![mb(Some("John Doe"), "jdoe@machine.example")]
        );
        assert_eq!(
            flat("Mary Smith <mary@example.net>"),
            vec![mb(Some("Mary Smith"), "mary@example.net")]
        );
        // A.1.2
        assert_eq!(
            flat("\"Joe Q. Public\" <john.q.public@example.com>"),
            vec![mb(Some("Joe Q. Public"), "john.q.public@example.com")]
        );
        assert_eq!(
            flat("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
            vec![
                mb(Some("Mary Smith"), "mary@x.test"),
                mb(None, "jdoe@example.org"),
                mb(Some("Who?"), "one@y.test")
            ]
        );
        assert_eq!(
            flat("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
            vec![
                mb(None, "boss@nil.test"),
                mb(Some("Giant; \"Big\" Box"), "sysservices@example.net")
            ]
        );
        // A.1.3 group
        let l =
            parse_address_list(b"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;");
        assert_eq!(l.addresses.len(), 1);
        let Address::Group(g) = &l.addresses[0] else {
            panic!()
        };
        assert_eq!(g.name, "A Group");
        assert_eq!(g.members.len(), 3);
        assert_eq!(g.members[2].name.as_deref(), Some("John"));
        let l = parse_address_list(b"Undisclosed recipients:;");
        assert_eq!(
            l.addresses,
            vec![Address::Group(Group {
                name: "Undisclosed recipients".into(),
                members: vec![]
            })]
        );
        assert!(l.defects.is_empty());
        // A.5 white space and comments
        assert_eq!(
            flat("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
            vec![mb(Some("Pete"), "pete@silly.test")]
        );
        let l = parse_address_list(
            b"A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
        );
        let Address::Group(g) = &l.addresses[0] else {
            panic!()
        };
        assert_eq!(g.name, "A Group");
        assert_eq!(g.members[0].address(), "c@public.example");
        assert_eq!(g.members.len(), 3);
        assert!(l.defects.is_empty(), "{:?}", l.defects);
        // A.6.1 obsolete: route, dotted phrase, spaces around dots
        assert_eq!(
            flat("Joe Q. Public <john.q.public@example.com>"),
            vec![mb(Some("Joe Q. Public"), "john.q.public@example.com")]
        );
        assert_eq!(
            flat("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"),
            vec![
                mb(Some("Mary Smith"), "mary@example.net"),
                mb(None, "jdoe@test.example")
            ]
        );
        assert_eq!(
            flat("John Doe <jdoe@machine(comment).  example>"),
            vec![mb(Some("John Doe"), "jdoe@machine.example")]
        );
    }

    #[test]
    fn quoted_local_and_literals() {
        let l = parse_address_list(b"\"john doe\"@example.com, user@[192.168.0.1]");
        let m: Vec<_> = l.mailboxes().collect();
        assert_eq!(m[0].local, "john doe");
        assert_eq!(m[0].address(), "\"john doe\"@example.com");
        assert_eq!(m[1].domain, "[192.168.0.1]");
    }

    #[test]
    fn encoded_display_names() {
        assert_eq!(
            flat("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
            vec![mb(Some("Keld Jørn Simonsen"), "keld@dkuug.dk")]
        );
        assert_eq!(
            flat("=?utf-8?q?Jos=C3=A9?= =?utf-8?q?_P=C3=A9rez?= <jp@x.es>"),
            vec![mb(Some("José Pérez"), "jp@x.es")]
        );
        assert_eq!(
            flat("\"=?utf-8?B?w6k=?=\" <e@x>"),
            vec![mb(Some("é"), "e@x")]
        );
        assert_eq!(flat("Müller <m@x.de>"), vec![mb(Some("Müller"), "m@x.de")]);
    }

    #[test]
    fn real_junk() {
        assert_eq!(
            flat("Doe, John <jd@example.com>"),
            vec![mb(Some("Doe, John"), "jd@example.com")]
        );
        assert_eq!(
            flat("John <jd@example.com"),
            vec![mb(Some("John"), "jd@example.com")]
        );
        assert_eq!(
            flat("a@b.c; d@e.f"),
            vec![mb(None, "a@b.c"), mb(None, "d@e.f")]
        );
        assert_eq!(
            flat("John Smith jd@example.com"),
            vec![mb(Some("John Smith"), "jd@example.com")]
        );
        assert_eq!(
            flat("undisclosed-recipients"),
            vec![mb(None, "undisclosed-recipients")]
        );
        assert_eq!(
            flat("J. R. Hacker <jr@x>"),
            vec![mb(Some("J. R. Hacker"), "jr@x")]
        );
        assert_eq!(
            flat("user@x.com <user@x.com>"),
            vec![mb(Some("user@x.com"), "user@x.com")]
        );
        assert_eq!(flat("<>"), vec![mb(None, "")]);
        assert_eq!(flat(""), vec![]);
        assert_eq!(flat("Group: a@b"), vec![mb(None, "a@b")]);
        assert!(flat("((((((").is_empty());
    }
}
