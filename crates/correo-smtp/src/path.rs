//! Mailboxes, hosts and paths (RFC 5321 section 4.1.2, RFC 6531 for UTF-8).

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The host part of a mailbox, or the argument of `HELO`/`EHLO`/`LHLO`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name (`mail.example.org`; U-labels allowed under SMTPUTF8).
    Domain(Cow<'a, str>),
    /// An IPv4 address literal, `[192.0.2.1]`.
    Ipv4(Ipv4Addr),
    /// An IPv6 address literal, `[IPv6:2001:db8::1]`.
    Ipv6(Ipv6Addr),
    /// A general address literal, `[tag:content]`.
    General {
        /// The standardized tag (`X-foo`).
        tag: Cow<'a, str>,
        /// The literal's content after the colon.
        content: Cow<'a, str>,
    },
}

impl Host<'_> {
    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Host<'static> {
        match self {
            Host::Domain(d) => Host::Domain(Cow::Owned(d.into_owned())),
            Host::Ipv4(a) => Host::Ipv4(a),
            Host::Ipv6(a) => Host::Ipv6(a),
            Host::General { tag, content } => Host::General {
                tag: Cow::Owned(tag.into_owned()),
                content: Cow::Owned(content.into_owned()),
            },
        }
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "[{a}]"),
            Host::Ipv6(a) => write!(f, "[IPv6:{a}]"),
            Host::General { tag, content } => write!(f, "[{tag}:{content}]"),
        }
    }
}

/// A mailbox, `local-part@host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    /// The local part, unquoted and unescaped (`john doe` for `"john doe"@example.org`).
    pub local_part: Cow<'a, str>,
    /// The domain or address literal after the `@`.
    pub host: Host<'a>,
}

impl<'a> Mailbox<'a> {
    /// Builds a mailbox from a local part and a domain name.
    pub fn new(local_part: impl Into<Cow<'a, str>>, domain: impl Into<Cow<'a, str>>) -> Self {
        Mailbox {
            local_part: local_part.into(),
            host: Host::Domain(domain.into()),
        }
    }

    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            local_part: Cow::Owned(self.local_part.into_owned()),
            host: self.host.into_owned(),
        }
    }

    /// Whether any part uses non-ASCII characters (which requires SMTPUTF8).
    pub fn needs_smtputf8(&self) -> bool {
        !self.local_part.is_ascii() || matches!(&self.host, Host::Domain(d) if !d.is_ascii())
    }

    /// Parses `local@host` (no angle brackets).
    pub fn parse(input: &'a str) -> Result<Self, PathError> {
        parse_mailbox(input, 0)
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_dot_string(&self.local_part) {
            f.write_str(&self.local_part)?;
        } else {
            f.write_str("\"")?;
            for c in self.local_part.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        write!(f, "@{}", self.host)
    }
}

/// The argument of `MAIL FROM:`: a mailbox or the null path `<>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath<'a> {
    /// `<>`: bounces and other messages that must not be answered.
    Null,
    /// `<mailbox>`.
    Mailbox(Mailbox<'a>),
}

impl ReversePath<'_> {
    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> ReversePath<'static> {
        match self {
            ReversePath::Null => ReversePath::Null,
            ReversePath::Mailbox(m) => ReversePath::Mailbox(m.into_owned()),
        }
    }

    /// The mailbox, if not the null path.
    pub fn mailbox(&self) -> Option<&Mailbox<'_>> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(m) => Some(m),
        }
    }
}

impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// The argument of `RCPT TO:`: a mailbox or the bare `<Postmaster>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` without a domain (RFC 5321 section 4.5.1).
    Postmaster,
    /// `<mailbox>`.
    Mailbox(Mailbox<'a>),
}

impl ForwardPath<'_> {
    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> ForwardPath<'static> {
        match self {
            ForwardPath::Postmaster => ForwardPath::Postmaster,
            ForwardPath::Mailbox(m) => ForwardPath::Mailbox(m.into_owned()),
        }
    }

    /// The mailbox, if not the bare `Postmaster`.
    pub fn mailbox(&self) -> Option<&Mailbox<'_>> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(m) => Some(m),
        }
    }
}

impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// What is wrong with a path, a mailbox or a host, and where (byte offset in the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct PathError {
    /// What is wrong.
    pub kind: PathErrorKind,
    /// Byte offset of the fault, relative to the start of the parsed text.
    pub offset: usize,
}

/// The kinds of [`PathError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathErrorKind {
    /// The path is empty.
    #[error("empty path")]
    Empty,
    /// A `<` without a matching `>` (or the reverse).
    #[error("unbalanced angle brackets")]
    Brackets,
    /// The local part is malformed.
    #[error("invalid local part")]
    LocalPart,
    /// The mailbox has no `@`.
    #[error("missing '@' in mailbox")]
    MissingAt,
    /// The domain is malformed.
    #[error("invalid domain")]
    Domain,
    /// The address literal is malformed.
    #[error("invalid address literal")]
    AddressLiteral,
    /// The source route (`@a,@b:`) is malformed.
    #[error("invalid source route")]
    SourceRoute,
    /// Non-ASCII text without the SMTPUTF8 option.
    #[error("non-ASCII text without SMTPUTF8")]
    NonAscii,
    /// The null path `<>` where a mailbox is required.
    #[error("null path not allowed here")]
    NullPath,
}

/// `s` split around the first `b` (an ASCII byte), found with `memchr` (byte-level: no
/// `char` pattern machinery on the hot path).
#[inline]
pub(crate) fn split_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s.as_bytes(), b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The first `b` in `bytes`: a plain loop for the short strings of command lines (cheaper
/// than a SIMD call), `memchr` for long ones.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], b: u8) -> Option<usize> {
    if bytes.len() < 64 {
        bytes.iter().position(|&c| c == b)
    } else {
        memchr::memchr(b, bytes)
    }
}

/// `s` without a leading ASCII byte `b`.
#[inline]
pub(crate) fn strip_byte_prefix(s: &str, b: u8) -> Option<&str> {
    if s.as_bytes().first() == Some(&b) {
        s.get(1..)
    } else {
        None
    }
}

/// `s` without a trailing ASCII byte `b`.
#[inline]
pub(crate) fn strip_byte_suffix(s: &str, b: u8) -> Option<&str> {
    if s.as_bytes().last() == Some(&b) {
        s.get(..s.len() - 1)
    } else {
        None
    }
}

/// `s` without its leading ASCII bytes `b`.
#[inline]
pub(crate) fn trim_start_byte(s: &str, b: u8) -> &str {
    let n = s.bytes().take_while(|&c| c == b).count();
    s.get(n..).unwrap_or_default()
}

fn err(kind: PathErrorKind, offset: usize) -> PathError {
    PathError { kind, offset }
}

/// RFC 5322 atext for ASCII bytes; bytes of UTF-8 sequences (>= 0x80) are allowed too
/// (RFC 6531), the text being valid UTF-8 already.
const ATEXT: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b >= 0x80;
        i += 1;
    }
    let specials = b"!#$%&'*+-/=?^_`{|}~";
    let mut j = 0;
    while j < specials.len() {
        t[specials[j] as usize] = true;
        j += 1;
    }
    t
};

fn is_atext_byte(b: u8) -> bool {
    ATEXT[usize::from(b)]
}

/// Whether `s` can be written as a Dot-string local part without quoting.
#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose
pub(crate) fn is_dot_string(s: &str) -> bool {
    let b = s.as_bytes();
    // Every byte atext or a dot, no dot first, last or twice in a row.
    let chars_ok = b
        .iter()
        .fold(true, |acc, &c| acc & (is_atext_byte(c) | (c == b'.')));
    let double_dot = b
        .iter()
        .zip(b.get(1..).unwrap_or_default())
        .fold(false, |acc, (&x, &y)| acc | ((x == b'.') & (y == b'.')));
    chars_ok && !double_dot && !matches!(b.first(), None | Some(b'.')) && b.last() != Some(&b'.')
}

fn is_qtext_smtp(c: char) -> bool {
    matches!(c, ' '..='!' | '#'..='[' | ']'..='~') || !c.is_ascii()
}

/// Validates a domain name (`sub-domain *("." sub-domain)`), U-labels allowed: labels of
/// letters, digits and hyphens (or UTF-8), not starting or ending with a hyphen.
#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose
pub(crate) fn is_domain(s: &str) -> bool {
    let b = s.as_bytes();
    let chars_ok = b.iter().fold(true, |acc, &c| {
        acc & (c.is_ascii_alphanumeric() | (c >= 0x80) | (c == b'-') | (c == b'.'))
    });
    // No empty label, no label that starts or ends with a hyphen.
    let bad_pair = b
        .iter()
        .zip(b.get(1..).unwrap_or_default())
        .fold(false, |acc, (&x, &y)| {
            acc | ((x == b'.') & ((y == b'.') | (y == b'-'))) | ((x == b'-') & (y == b'.'))
        });
    chars_ok
        && !bad_pair
        && !matches!(b.first(), None | Some(b'.' | b'-'))
        && !matches!(b.last(), Some(b'.' | b'-'))
}

/// Parses a host: a domain or an address literal. `base` is added to error offsets.
#[inline]
pub(crate) fn parse_host(s: &str, base: usize) -> Result<Host<'_>, PathError> {
    if let Some(inner) = strip_byte_prefix(s, b'[') {
        let Some(inner) = strip_byte_suffix(inner, b']') else {
            return Err(err(PathErrorKind::AddressLiteral, base + s.len()));
        };
        if let Ok(a) = inner.parse::<Ipv4Addr>() {
            return Ok(Host::Ipv4(a));
        }
        if let Some((tag, content)) = split_byte(inner, b':') {
            if tag.eq_ignore_ascii_case("IPv6") {
                return content
                    .parse::<Ipv6Addr>()
                    .map(Host::Ipv6)
                    .map_err(|_| err(PathErrorKind::AddressLiteral, base + 6));
            }
            let tag_ok = !tag.is_empty()
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && tag.as_bytes().last() != Some(&b'-');
            let content_ok =
                !content.is_empty() && content.bytes().all(|b| matches!(b, 33..=90 | 94..=126));
            if tag_ok && content_ok {
                return Ok(Host::General {
                    tag: Cow::Borrowed(tag),
                    content: Cow::Borrowed(content),
                });
            }
        }
        return Err(err(PathErrorKind::AddressLiteral, base + 1));
    }
    if is_domain(s) {
        Ok(Host::Domain(Cow::Borrowed(s)))
    } else {
        Err(err(PathErrorKind::Domain, base))
    }
}

/// Parses `local@host`. `base` is added to error offsets.
#[inline]
pub(crate) fn parse_mailbox(s: &str, base: usize) -> Result<Mailbox<'_>, PathError> {
    if s.is_empty() {
        return Err(err(PathErrorKind::Empty, base));
    }
    let (local, rest, rest_at) = if let Some(q) = strip_byte_prefix(s, b'"') {
        // Quoted-string: find the closing quote, honouring quoted pairs.
        let mut escaped = false;
        let mut needs_unescape = false;
        let mut end = None;
        for (i, c) in q.char_indices() {
            if escaped {
                if !(c == ' ' || c.is_ascii_graphic() || !c.is_ascii()) {
                    return Err(err(PathErrorKind::LocalPart, base + 1 + i));
                }
                escaped = false;
            } else if c == '\\' {
                escaped = true;
                needs_unescape = true;
            } else if c == '"' {
                end = Some(i);
                break;
            } else if !is_qtext_smtp(c) {
                return Err(err(PathErrorKind::LocalPart, base + 1 + i));
            }
        }
        let Some(end) = end else {
            return Err(err(PathErrorKind::LocalPart, base + s.len()));
        };
        let raw = q.get(..end).unwrap_or_default();
        let local = if needs_unescape {
            let mut out = String::with_capacity(raw.len());
            let mut esc = false;
            for c in raw.chars() {
                if !esc && c == '\\' {
                    esc = true;
                } else {
                    out.push(c);
                    esc = false;
                }
            }
            Cow::Owned(out)
        } else {
            Cow::Borrowed(raw)
        };
        let rest = q.get(end + 1..).unwrap_or_default();
        (local, rest, end + 2)
    } else {
        let Some(at) = find_byte(s.as_bytes(), b'@') else {
            return Err(err(PathErrorKind::MissingAt, base + s.len()));
        };
        let (local, rest) = s.split_at(at);
        if !is_dot_string(local) {
            return Err(err(PathErrorKind::LocalPart, base));
        }
        (Cow::Borrowed(local), rest, at)
    };
    let Some(domain) = strip_byte_prefix(rest, b'@') else {
        return Err(err(PathErrorKind::MissingAt, base + rest_at));
    };
    let host = parse_host(domain, base + rest_at + 1)?;
    Ok(Mailbox {
        local_part: local,
        host,
    })
}

/// Strips an RFC 5321 source route (`@a,@b:`) from the inside of a path.
#[inline]
fn strip_source_route(inner: &str, base: usize) -> Result<(&str, usize), PathError> {
    if inner.as_bytes().first() != Some(&b'@') {
        return Ok((inner, 0));
    }
    let Some((route, rest)) = split_byte(inner, b':') else {
        return Err(err(PathErrorKind::SourceRoute, base));
    };
    for hop in route.split(',') {
        let ok = hop
            .strip_prefix('@')
            .is_some_and(|d| parse_host(d, 0).is_ok());
        if !ok {
            return Err(err(PathErrorKind::SourceRoute, base));
        }
    }
    Ok((rest, route.len() + 1))
}

/// Parses the inside of a path with brackets or, when `allow_bare`, without.
/// Returns `None` for `<>`.
#[inline]
fn parse_path_inner(
    s: &str,
    base: usize,
    allow_bare: bool,
) -> Result<Option<Mailbox<'_>>, PathError> {
    if s.is_empty() {
        return Err(err(PathErrorKind::Empty, base));
    }
    let (inner, off) = match strip_byte_prefix(s, b'<') {
        Some(rest) => match strip_byte_suffix(rest, b'>') {
            Some(inner) => (inner, 1),
            None => return Err(err(PathErrorKind::Brackets, base + s.len())),
        },
        None if allow_bare => {
            if s.as_bytes().last() == Some(&b'>') {
                return Err(err(PathErrorKind::Brackets, base));
            }
            (s, 0)
        }
        None => return Err(err(PathErrorKind::Brackets, base)),
    };
    if inner.is_empty() {
        return Ok(None);
    }
    let (mailbox, skipped) = strip_source_route(inner, base + off)?;
    parse_mailbox(mailbox, base + off + skipped).map(Some)
}

/// The fast path for the usual `<local@domain>`: a dot-string local part and a domain
/// name, no quotes, source route or address literal. `None` for anything else, which
/// the general parsers then read (giving the same result for what this accepts).
#[cfg(test)]
pub(crate) fn simple_mailbox(path: &str) -> Option<Mailbox<'_>> {
    simple_mailbox_at(path).map(|at| simple_mailbox_from(path, at))
}

/// The check of [`simple_mailbox`] alone: the offset in `path` of the `@` of an accepted
/// `<local@domain>`. Only an offset comes back (in a register), and the caller builds the
/// borrowed value once, in place, with [`simple_mailbox_from`]: moving a returned
/// `Mailbox` through memory cost store-forwarding stalls on the hot path.
#[inline]
pub(crate) fn simple_mailbox_at(path: &str) -> Option<usize> {
    let inner = strip_byte_suffix(strip_byte_prefix(path, b'<')?, b'>')?;
    let at = find_byte(inner.as_bytes(), b'@')?;
    let local = inner.get(..at)?;
    let domain = inner.get(at + 1..)?;
    (is_dot_string(local) && is_domain(domain)).then_some(at + 1)
}

/// The mailbox of a path that [`simple_mailbox_at`] accepted with offset `at`.
#[inline(always)]
#[allow(clippy::inline_always)] // built in place in the caller's return value
pub(crate) fn simple_mailbox_from(path: &str, at: usize) -> Mailbox<'_> {
    Mailbox {
        local_part: Cow::Borrowed(path.get(1..at).unwrap_or_default()),
        host: Host::Domain(Cow::Borrowed(
            path.get(at + 1..path.len().saturating_sub(1))
                .unwrap_or_default(),
        )),
    }
}

/// Parses a reverse path (`<>`, `<a@b>`, `a@b` when `allow_bare`).
// Out of line: the usual `<local@domain>` never gets here, and keeping the general
// parser out of `Command::parse` keeps its frame small.
#[inline(never)]
pub(crate) fn parse_reverse_path(
    s: &str,
    base: usize,
    allow_bare: bool,
) -> Result<ReversePath<'_>, PathError> {
    Ok(match parse_path_inner(s, base, allow_bare)? {
        None => ReversePath::Null,
        Some(m) => ReversePath::Mailbox(m),
    })
}

/// Parses a forward path (`<a@b>`, `<Postmaster>`, `a@b` when `allow_bare`).
// Out of line: the usual `<local@domain>` never gets here, and keeping the general
// parser out of `Command::parse` keeps its frame small.
#[inline(never)]
pub(crate) fn parse_forward_path(
    s: &str,
    base: usize,
    allow_bare: bool,
) -> Result<ForwardPath<'_>, PathError> {
    let bare = strip_byte_prefix(s, b'<')
        .and_then(|r| strip_byte_suffix(r, b'>'))
        .unwrap_or(s);
    if bare.eq_ignore_ascii_case("postmaster") && (allow_bare || bare.len() + 2 == s.len()) {
        return Ok(ForwardPath::Postmaster);
    }
    match parse_path_inner(s, base, allow_bare)? {
        None => Err(err(PathErrorKind::NullPath, base)),
        Some(m) => Ok(ForwardPath::Mailbox(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes() {
        let m = Mailbox::parse("alice@example.org").unwrap();
        assert_eq!(m.local_part, "alice");
        assert_eq!(m.host, Host::Domain("example.org".into()));
        let m = Mailbox::parse(r#""john \"q\" doe"@[IPv6:2001:db8::1]"#).unwrap();
        assert_eq!(m.local_part, "john \"q\" doe");
        assert_eq!(m.host, Host::Ipv6("2001:db8::1".parse().unwrap()));
        assert_eq!(m.to_string(), r#""john \"q\" doe"@[IPv6:2001:db8::1]"#);
        let m = Mailbox::parse("x@[192.0.2.1]").unwrap();
        assert_eq!(m.host, Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(Mailbox::parse("josé@ejemplo.es").unwrap().needs_smtputf8());
        assert_eq!(
            Mailbox::parse("a..b@x").unwrap_err().kind,
            PathErrorKind::LocalPart
        );
        assert_eq!(
            Mailbox::parse("ab").unwrap_err().kind,
            PathErrorKind::MissingAt
        );
        assert_eq!(
            Mailbox::parse("a@-x").unwrap_err().kind,
            PathErrorKind::Domain
        );
        assert_eq!(
            Mailbox::parse("a@[1.2.3]").unwrap_err().kind,
            PathErrorKind::AddressLiteral
        );
        let m = Mailbox::parse("a@[x-tag:stuff]").unwrap();
        assert!(matches!(m.host, Host::General { .. }));
    }

    /// The straightforward label-by-label versions the branch-free ones must agree with.
    fn reference_is_domain(s: &str) -> bool {
        s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c >= 0x80 || c == b'-')
        })
    }

    fn reference_is_dot_string(s: &str) -> bool {
        s.split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext_byte))
    }

    #[test]
    fn domain_and_dot_string_checks_match_the_reference() {
        // Every string of up to 4 characters over an alphabet that hits each rule.
        let alphabet = ["a", "1", ".", "-", "é", "_", " ", "\"", "+"];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
        }
        words.sort();
        words.dedup();
        for w in &words {
            assert_eq!(is_domain(w), reference_is_domain(w), "{w:?}");
            assert_eq!(is_dot_string(w), reference_is_dot_string(w), "{w:?}");
        }
    }

    #[test]
    fn simple_mailbox_agrees_with_the_general_parser() {
        let parts = [
            "",
            "a",
            "a.b",
            ".a",
            "a.",
            "a..b",
            "é",
            "\"q\"",
            "a b",
            "-a",
            "a-",
            "1",
            "[1.2.3.4]",
            "@x:a",
            "a@b",
        ];
        let mut seen = 0;
        for l in parts {
            for d in parts {
                let path = format!("<{l}@{d}>");
                if let Some(m) = simple_mailbox(&path) {
                    seen += 1;
                    assert_eq!(
                        parse_reverse_path(&path, 0, false),
                        Ok(ReversePath::Mailbox(m.clone())),
                        "{path}"
                    );
                    assert_eq!(
                        parse_forward_path(&path, 0, false),
                        Ok(ForwardPath::Mailbox(m)),
                        "{path}"
                    );
                }
            }
        }
        assert!(seen > 10);
        assert_eq!(simple_mailbox("<postmaster>"), None);
        assert_eq!(simple_mailbox("a@b"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_reverse_path("<>", 0, false).unwrap(),
            ReversePath::Null
        );
        let p = parse_reverse_path("<@hosta.int,@jkl.org:userc@d.bar.org>", 0, false).unwrap();
        assert_eq!(p.to_string(), "<userc@d.bar.org>");
        assert_eq!(
            parse_forward_path("<postmaster>", 0, false).unwrap(),
            ForwardPath::Postmaster
        );
        assert!(matches!(
            parse_forward_path("<postmaster@x.org>", 0, false).unwrap(),
            ForwardPath::Mailbox(_)
        ));
        assert_eq!(
            parse_forward_path("<>", 0, false).unwrap_err().kind,
            PathErrorKind::NullPath
        );
        assert_eq!(
            parse_reverse_path("a@b", 0, false).unwrap_err().kind,
            PathErrorKind::Brackets
        );
        assert!(parse_reverse_path("a@b", 0, true).is_ok());
        assert_eq!(
            parse_reverse_path("<a@b", 0, true).unwrap_err().kind,
            PathErrorKind::Brackets
        );
        assert_eq!(
            parse_reverse_path("<@x:a@b", 0, true).unwrap_err().kind,
            PathErrorKind::Brackets
        );
        assert_eq!(
            parse_reverse_path("<@x;a@b>", 0, true).unwrap_err().kind,
            PathErrorKind::SourceRoute
        );
    }
}
