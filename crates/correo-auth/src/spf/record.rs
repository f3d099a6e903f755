//! SPF record syntax (RFC 7208 sections 4.5, 4.6, 5 and 6).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::macros::MacroString;

/// A directive's qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+` (the default): pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    /// The qualifier character.
    pub fn as_char(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// A mechanism (RFC 7208 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `all`.
    All,
    /// `include:<domain-spec>`.
    Include(MacroString),
    /// `a[:<domain-spec>][/<cidr4>][//<cidr6>]`.
    A {
        /// Target (current domain when absent).
        domain: Option<MacroString>,
        /// IPv4 prefix length (32 when absent).
        cidr4: Option<u8>,
        /// IPv6 prefix length (128 when absent).
        cidr6: Option<u8>,
    },
    /// `mx[:<domain-spec>][/<cidr4>][//<cidr6>]`.
    Mx {
        /// Target (current domain when absent).
        domain: Option<MacroString>,
        /// IPv4 prefix length.
        cidr4: Option<u8>,
        /// IPv6 prefix length.
        cidr6: Option<u8>,
    },
    /// `ptr[:<domain-spec>]` (deprecated by RFC 7208, still evaluated).
    Ptr(Option<MacroString>),
    /// `ip4:<network>[/<cidr>]`.
    Ip4 {
        /// Network address.
        addr: Ipv4Addr,
        /// Prefix length (32 when absent).
        prefix: Option<u8>,
    },
    /// `ip6:<network>[/<cidr>]`.
    Ip6 {
        /// Network address.
        addr: Ipv6Addr,
        /// Prefix length (128 when absent).
        prefix: Option<u8>,
    },
    /// `exists:<domain-spec>`.
    Exists(MacroString),
}

impl Mechanism {
    /// True for mechanisms that cost a DNS lookup (and count toward the limit of 10).
    pub fn needs_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

/// A qualified mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The qualifier (`+` when not written).
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The term's source text, e.g. `-ip4:192.0.2.0/24`.
    pub text: String,
}

/// A modifier (RFC 7208 section 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    /// `redirect=<domain-spec>`.
    Redirect(MacroString),
    /// `exp=<domain-spec>`.
    Exp(MacroString),
    /// Any other `name=value`: kept, not evaluated.
    Unknown {
        /// The modifier name.
        name: String,
        /// Its value.
        value: MacroString,
    },
}

/// One term of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A mechanism with its qualifier.
    Directive(Directive),
    /// A modifier.
    Modifier(Modifier),
}

/// A parsed SPF record (`v=spf1 ...`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpfRecord {
    /// The terms, in order.
    pub terms: Vec<Term>,
}

/// A syntax error in an SPF record: a permerror, with the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SPF syntax error at byte {offset}: {reason}")]
pub struct SpfSyntaxError {
    /// Byte offset in the record.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

/// True when a TXT string is an SPF version 1 record: `v=spf1` (any case)
/// followed by a space or the end (RFC 7208 4.5).
pub fn is_spf1(txt: &[u8]) -> bool {
    txt.get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"v=spf1"))
        && matches!(txt.get(6), None | Some(b' '))
}

fn err(offset: usize, reason: &'static str) -> SpfSyntaxError {
    SpfSyntaxError { offset, reason }
}

impl SpfRecord {
    /// The directives, in order.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.terms.iter().filter_map(|t| match t {
            Term::Directive(d) => Some(d),
            Term::Modifier(_) => None,
        })
    }

    /// The `redirect=` target, if any.
    pub fn redirect(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Redirect(m)) => Some(m),
            _ => None,
        })
    }

    /// The `exp=` target, if any.
    pub fn exp(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Exp(m)) => Some(m),
            _ => None,
        })
    }

    /// Parse a record, including its `v=spf1` prefix.
    pub fn parse(txt: &[u8]) -> Result<SpfRecord, SpfSyntaxError> {
        let (s, terms) = scan_record(txt)?;
        let mut rec = SpfRecord {
            terms: Vec::with_capacity(terms.len()),
        };
        let spec =
            |sp: Span| MacroString::parse(sp.of(s), false).map_err(|e| err(sp.start(), e.reason));
        for t in terms {
            let term = match t {
                TermK::Dir(d) => {
                    let opt = |o: Option<Span>| o.map(spec).transpose();
                    let mechanism = match d.mech {
                        MechK::All => Mechanism::All,
                        MechK::Include(m) => Mechanism::Include(spec(m)?),
                        MechK::Exists(m) => Mechanism::Exists(spec(m)?),
                        MechK::A {
                            domain,
                            cidr4,
                            cidr6,
                        } => Mechanism::A {
                            domain: opt(domain)?,
                            cidr4,
                            cidr6,
                        },
                        MechK::Mx {
                            domain,
                            cidr4,
                            cidr6,
                        } => Mechanism::Mx {
                            domain: opt(domain)?,
                            cidr4,
                            cidr6,
                        },
                        MechK::Ptr(m) => Mechanism::Ptr(opt(m)?),
                        MechK::Ip4 { addr, prefix } => Mechanism::Ip4 { addr, prefix },
                        MechK::Ip6 { addr, prefix } => Mechanism::Ip6 { addr, prefix },
                    };
                    Term::Directive(Directive {
                        qualifier: d.qualifier,
                        mechanism,
                        text: d.text.of(s).to_string(),
                    })
                }
                TermK::Redirect(m) => Term::Modifier(Modifier::Redirect(spec(m)?)),
                TermK::Exp(m) => Term::Modifier(Modifier::Exp(spec(m)?)),
                TermK::Unknown { name, value } => Term::Modifier(Modifier::Unknown {
                    name: name.of(s).to_string(),
                    value: spec(value)?,
                }),
            };
            rec.terms.push(term);
        }
        Ok(rec)
    }
}

/// A byte range of the record text (records are far below 4 GiB: a TXT
/// answer is bounded by the DNS message size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The text of this span in `s` (empty if out of range).
    pub(crate) fn of(self, s: &str) -> &str {
        s.get(self.start as usize..self.end as usize).unwrap_or("")
    }

    pub(crate) fn start(self) -> usize {
        self.start as usize
    }
}

/// A mechanism, with its domain-specs as spans of the record text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MechK {
    All,
    Include(Span),
    A {
        domain: Option<Span>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Mx {
        domain: Option<Span>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Ptr(Option<Span>),
    Ip4 {
        addr: Ipv4Addr,
        prefix: Option<u8>,
    },
    Ip6 {
        addr: Ipv6Addr,
        prefix: Option<u8>,
    },
    Exists(Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DirK {
    pub(crate) qualifier: Qualifier,
    pub(crate) mech: MechK,
    /// The whole term, e.g. `-ip4:192.0.2.0/24`.
    pub(crate) text: Span,
}

/// One validated term, borrowing nothing: spans index the record text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermK {
    Dir(DirK),
    Redirect(Span),
    Exp(Span),
    Unknown { name: Span, value: Span },
}

/// Validate a whole record and split it into terms, without allocating
/// per term. Every syntax rule of RFC 7208 is checked here (a record with an
/// error anywhere is a permerror before any term is evaluated).
pub(crate) fn scan_record(txt: &[u8]) -> Result<(&str, Vec<TermK>), SpfSyntaxError> {
    check_record_bytes(txt)?;
    // All bytes are ASCII now.
    let s = std::str::from_utf8(txt).map_err(|_| err(0, "not ASCII"))?;
    Ok((s, scan_terms(s)?))
}

/// The `v=spf1` prefix and printable US-ASCII throughout.
pub(crate) fn check_record_bytes(txt: &[u8]) -> Result<(), SpfSyntaxError> {
    if !is_spf1(txt) {
        return Err(err(0, "record does not start with v=spf1"));
    }
    // No early exit: this form is vectorized.
    let bad = txt
        .iter()
        .fold(false, |bad, &c| bad | !(0x20..=0x7e).contains(&c));
    if bad {
        let p = txt
            .iter()
            .position(|&c| !(0x20..=0x7e).contains(&c))
            .unwrap_or(0);
        return Err(err(p, "character outside printable US-ASCII"));
    }
    Ok(())
}

/// The terms of a record that passed [`check_record_bytes`].
pub(crate) fn scan_terms(s: &str) -> Result<Vec<TermK>, SpfSyntaxError> {
    let b = s.as_bytes();
    let mut terms = Vec::with_capacity(16);
    let (mut seen_redirect, mut seen_exp) = (false, false);
    let mut i = 6;
    while i < b.len() {
        if b.get(i) == Some(&b' ') {
            i += 1;
            continue;
        }
        // Terms are short: a plain scan beats memchr's set-up here.
        let end = b
            .get(i..)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b' ')
            .map_or(b.len(), |e| i + e);
        let term = scan_term(s, i, end)?;
        let dup = match term {
            TermK::Redirect(_) => std::mem::replace(&mut seen_redirect, true),
            TermK::Exp(_) => std::mem::replace(&mut seen_exp, true),
            _ => false,
        };
        if dup {
            return Err(err(i, "modifier appears twice"));
        }
        terms.push(term);
        i = end;
    }
    Ok(terms)
}

/// Check a `domain-spec` at `offset`; allocation-free unless it holds macros.
fn check_domain_spec(spec: &str, offset: usize) -> Result<(), SpfSyntaxError> {
    if memchr::memchr(b'%', spec.as_bytes()).is_none() {
        // A plain name: the macro-string rules reduce to visible characters.
        if let Some(p) = spec.bytes().position(|c| !(0x21..=0x7e).contains(&c)) {
            return Err(err(offset + p, "character not allowed in macro string"));
        }
        if !super::macros::plain_domain_end_ok(spec) {
            return Err(err(offset, "invalid domain-spec"));
        }
        return Ok(());
    }
    let m = MacroString::parse(spec, false).map_err(|e| err(offset + e.offset, e.reason))?;
    if !m.is_valid_domain_spec() {
        return Err(err(offset, "invalid domain-spec"));
    }
    Ok(())
}

fn check_macro_string(value: &str, offset: usize) -> Result<(), SpfSyntaxError> {
    if memchr::memchr(b'%', value.as_bytes()).is_none() {
        if let Some(p) = value.bytes().position(|c| !(0x21..=0x7e).contains(&c)) {
            return Err(err(offset + p, "character not allowed in macro string"));
        }
        return Ok(());
    }
    MacroString::parse(value, false).map_err(|e| err(offset + e.offset, e.reason))?;
    Ok(())
}

/// The span `start..end` of `s` as a checked domain-spec.
fn spec_span(s: &str, start: usize, end: usize) -> Result<Span, SpfSyntaxError> {
    check_domain_spec(s.get(start..end).unwrap_or(""), start)?;
    Ok(Span::new(start, end))
}

/// A dotted-quad IPv4 address: four decimal octets of at most 255, no
/// leading zeros (RFC 7208 `ip4-network`; what `Ipv4Addr::from_str` accepts).
fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut k = 0;
    let mut v: u16 = 0;
    let mut len = 0;
    for &c in b {
        if c == b'.' {
            if len == 0 {
                return None;
            }
            *octets.get_mut(k)? = u8::try_from(v).ok()?;
            k += 1;
            v = 0;
            len = 0;
            continue;
        }
        // A digit, at most three, and no leading zero.
        if !c.is_ascii_digit() || len == 3 || (len == 1 && v == 0) {
            return None;
        }
        len += 1;
        v = v * 10 + u16::from(c - b'0');
    }
    if k != 3 || len == 0 {
        return None;
    }
    *octets.get_mut(3)? = u8::try_from(v).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// The common IPv6 text form, fast: groups of 1-4 hex digits with at most
/// one `::`. Anything else (an embedded IPv4 address, or an error) gives
/// `None`, and the caller asks `Ipv6Addr::from_str`; when this gives an
/// address it is the one `from_str` gives (tested against it).
fn parse_ipv6_plain(b: &[u8]) -> Option<Ipv6Addr> {
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut nh, mut nt) = (0usize, 0usize);
    let mut compressed = false;
    let mut i = 0;
    if b.starts_with(b"::") {
        compressed = true;
        i = 2;
        if b.len() == 2 {
            return Some(Ipv6Addr::UNSPECIFIED);
        }
    }
    loop {
        let start = i;
        let mut v: u16 = 0;
        while i - start < 4 {
            let Some(d) = b.get(i).and_then(|c| char::from(*c).to_digit(16)) else {
                break;
            };
            v = (v << 4) | u16::try_from(d).ok()?;
            i += 1;
        }
        if i == start {
            return None;
        }
        let (groups, n) = if compressed {
            (&mut tail, &mut nt)
        } else {
            (&mut head, &mut nh)
        };
        *groups.get_mut(*n)? = v;
        *n += 1;
        match b.get(i) {
            None => break,
            Some(b':') => i += 1,
            Some(_) => return None,
        }
        match b.get(i) {
            None => return None,
            Some(b':') => {
                if compressed {
                    return None;
                }
                compressed = true;
                i += 1;
                if i == b.len() {
                    break;
                }
            }
            Some(_) => {}
        }
    }
    if (compressed && nh + nt >= 8) || (!compressed && nh != 8) {
        return None;
    }
    let mut g = [0u16; 8];
    g.get_mut(..nh)?.copy_from_slice(head.get(..nh)?);
    g.get_mut(8 - nt..)?.copy_from_slice(tail.get(..nt)?);
    Some(Ipv6Addr::from(g))
}

fn cidr_num(s: &str, max: u8) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    let v = s.bytes().fold(0u16, |v, c| v * 10 + u16::from(c - b'0'));
    u8::try_from(v).ok().filter(|v| *v <= max)
}

/// Parse a whole `dual-cidr-length` (`/n`, `//m` or `/n//m`).
fn dual_cidr(s: &str) -> Option<(Option<u8>, Option<u8>)> {
    if let Some(r) = s.strip_prefix("//") {
        return Some((None, Some(cidr_num(r, 128)?)));
    }
    let r = s.strip_prefix('/')?;
    match r.find("//") {
        Some(k) => Some((
            Some(cidr_num(r.get(..k)?, 32)?),
            Some(cidr_num(r.get(k + 2..)?, 128)?),
        )),
        None => Some((Some(cidr_num(r, 32)?), None)),
    }
}

type DomainCidr = (Option<Span>, Option<u8>, Option<u8>);

/// `[:domain-spec][dual-cidr]` of `a`/`mx`, the text `s[start..end]`.
fn domain_and_cidr(s: &str, start: usize, end: usize) -> Result<DomainCidr, SpfSyntaxError> {
    let rest = s.get(start..end).unwrap_or("");
    if rest.is_empty() {
        return Ok((None, None, None));
    }
    if rest.starts_with('/') {
        let (c4, c6) = dual_cidr(rest).ok_or(err(start, "invalid CIDR length"))?;
        return Ok((None, c4, c6));
    }
    let Some(body) = rest.strip_prefix(':') else {
        return Err(err(start, "unexpected text after mechanism name"));
    };
    let mut split = body.len();
    let mut cidr = (None, None);
    for (k, _) in body.match_indices('/') {
        if let Some(c) = body.get(k..).and_then(dual_cidr) {
            split = k;
            cidr = c;
            break;
        }
    }
    let domain = spec_span(s, start + 1, start + 1 + split)?;
    Ok((Some(domain), cidr.0, cidr.1))
}

/// One term, `s[start..end]` (no spaces inside).
fn scan_term(s: &str, start: usize, end: usize) -> Result<TermK, SpfSyntaxError> {
    let t = s.get(start..end).unwrap_or("");
    let b = t.as_bytes();
    let offset = start;
    let (qualifier, explicit, body_off) = match b.first() {
        Some(b'+') => (Qualifier::Pass, true, 1),
        Some(b'-') => (Qualifier::Fail, true, 1),
        Some(b'~') => (Qualifier::SoftFail, true, 1),
        Some(b'?') => (Qualifier::Neutral, true, 1),
        _ => (Qualifier::Pass, false, 0),
    };
    let body = t.get(body_off..).unwrap_or("");
    let name_len = body
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        .count();
    let name = body.get(..name_len).unwrap_or("");
    let rest = body.get(name_len..).unwrap_or("");
    let rest_off = offset + body_off + name_len;
    if rest.starts_with('=') {
        if explicit {
            return Err(err(offset, "qualifier before a modifier"));
        }
        if !name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
            return Err(err(offset, "invalid modifier name"));
        }
        let voff = rest_off + 1;
        return Ok(if name.eq_ignore_ascii_case("redirect") {
            TermK::Redirect(spec_span(s, voff, end)?)
        } else if name.eq_ignore_ascii_case("exp") {
            TermK::Exp(spec_span(s, voff, end)?)
        } else {
            check_macro_string(s.get(voff..end).unwrap_or(""), voff)?;
            TermK::Unknown {
                name: Span::new(offset, offset + name_len),
                value: Span::new(voff, end),
            }
        });
    }
    let mech = match name.len() {
        3 if name.eq_ignore_ascii_case("all") => {
            if !rest.is_empty() {
                return Err(err(rest_off, "'all' takes no argument"));
            }
            MechK::All
        }
        7 if name.eq_ignore_ascii_case("include") => {
            if !rest.starts_with(':') {
                return Err(err(rest_off, "mechanism needs ':' and a domain"));
            }
            MechK::Include(spec_span(s, rest_off + 1, end)?)
        }
        6 if name.eq_ignore_ascii_case("exists") => {
            if !rest.starts_with(':') {
                return Err(err(rest_off, "mechanism needs ':' and a domain"));
            }
            MechK::Exists(spec_span(s, rest_off + 1, end)?)
        }
        1 if name.eq_ignore_ascii_case("a") => {
            let (domain, cidr4, cidr6) = domain_and_cidr(s, rest_off, end)?;
            MechK::A {
                domain,
                cidr4,
                cidr6,
            }
        }
        2 if name.eq_ignore_ascii_case("mx") => {
            let (domain, cidr4, cidr6) = domain_and_cidr(s, rest_off, end)?;
            MechK::Mx {
                domain,
                cidr4,
                cidr6,
            }
        }
        3 if name.eq_ignore_ascii_case("ptr") => {
            if rest.is_empty() {
                MechK::Ptr(None)
            } else {
                if !rest.starts_with(':') {
                    return Err(err(rest_off, "unexpected text after 'ptr'"));
                }
                MechK::Ptr(Some(spec_span(s, rest_off + 1, end)?))
            }
        }
        3 if name.eq_ignore_ascii_case("ip4") => {
            let v = rest
                .strip_prefix(':')
                .ok_or(err(rest_off, "ip4 needs ':' and an address"))?;
            let (a, p) = match memchr::memchr(b'/', v.as_bytes()) {
                Some(k) => (
                    v.get(..k).unwrap_or(""),
                    Some(
                        v.get(k + 1..)
                            .and_then(|p| cidr_num(p, 32))
                            .ok_or(err(rest_off, "invalid ip4 prefix"))?,
                    ),
                ),
                None => (v, None),
            };
            let addr = parse_ipv4(a.as_bytes()).ok_or(err(rest_off + 1, "invalid IPv4 address"))?;
            MechK::Ip4 { addr, prefix: p }
        }
        3 if name.eq_ignore_ascii_case("ip6") => {
            let v = rest
                .strip_prefix(':')
                .ok_or(err(rest_off, "ip6 needs ':' and an address"))?;
            let (a, p) = match memchr::memchr(b'/', v.as_bytes()) {
                Some(k) => (
                    v.get(..k).unwrap_or(""),
                    Some(
                        v.get(k + 1..)
                            .and_then(|p| cidr_num(p, 128))
                            .ok_or(err(rest_off, "invalid ip6 prefix"))?,
                    ),
                ),
                None => (v, None),
            };
            let addr = parse_ipv6_plain(a.as_bytes())
                .or_else(|| a.parse::<Ipv6Addr>().ok())
                .ok_or(err(rest_off + 1, "invalid IPv6 address"))?;
            MechK::Ip6 { addr, prefix: p }
        }
        _ => return Err(err(offset, "unknown mechanism")),
    };
    Ok(TermK::Dir(DirK {
        qualifier,
        mech,
        text: Span::new(start, end),
    }))
}

fn write_cidr(f: &mut fmt::Formatter<'_>, c4: Option<u8>, c6: Option<u8>) -> fmt::Result {
    if let Some(c) = c4 {
        write!(f, "/{c}")?;
    }
    if let Some(c) = c6 {
        write!(f, "//{c}")?;
    }
    Ok(())
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.qualifier != Qualifier::Pass {
            write!(f, "{}", self.qualifier.as_char())?;
        }
        match &self.mechanism {
            Mechanism::All => f.write_str("all"),
            Mechanism::Include(d) => write!(f, "include:{d}"),
            Mechanism::Exists(d) => write!(f, "exists:{d}"),
            Mechanism::A {
                domain,
                cidr4,
                cidr6,
            }
            | Mechanism::Mx {
                domain,
                cidr4,
                cidr6,
            } => {
                let n = if matches!(self.mechanism, Mechanism::A { .. }) {
                    "a"
                } else {
                    "mx"
                };
                f.write_str(n)?;
                if let Some(d) = domain {
                    write!(f, ":{d}")?;
                }
                write_cidr(f, *cidr4, *cidr6)
            }
            Mechanism::Ptr(d) => {
                f.write_str("ptr")?;
                if let Some(d) = d {
                    write!(f, ":{d}")?;
                }
                Ok(())
            }
            Mechanism::Ip4 { addr, prefix } => {
                write!(f, "ip4:{addr}")?;
                if let Some(p) = prefix {
                    write!(f, "/{p}")?;
                }
                Ok(())
            }
            Mechanism::Ip6 { addr, prefix } => {
                write!(f, "ip6:{addr}")?;
                if let Some(p) = prefix {
                    write!(f, "/{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Redirect(d) => write!(f, "redirect={d}"),
            Modifier::Exp(d) => write!(f, "exp={d}"),
            Modifier::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

impl fmt::Display for SpfRecord {
    /// Encodes the record in canonical form (`v=spf1` and the terms, one space apart).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for t in &self.terms {
            match t {
                Term::Directive(d) => write!(f, " {d}")?,
                Term::Modifier(m) => write!(f, " {m}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_record() {
        let r = SpfRecord::parse(b"v=spf1 ip4:163.117.0.0/16 ip4:176.58.10.138 ip6:2001:720:410::/48  ip4:194.140.59.15 include:_spf.google.com include:_spf.salesforce.com -all").unwrap();
        assert_eq!(r.directives().count(), 7);
        assert_eq!(
            r.terms[0],
            Term::Directive(Directive {
                qualifier: Qualifier::Pass,
                mechanism: Mechanism::Ip4 {
                    addr: Ipv4Addr::new(163, 117, 0, 0),
                    prefix: Some(16)
                },
                text: "ip4:163.117.0.0/16".into()
            })
        );
    }

    #[test]
    fn errors_have_offsets() {
        let e = SpfRecord::parse(b"v=spf1 ip4:1.2.3.4 -all moo").unwrap_err();
        assert_eq!(e.offset, 24);
        let e = SpfRecord::parse(b"v=spf1 a:foo.com/33").unwrap_err();
        assert_eq!(e.offset, 9);
        assert!(SpfRecord::parse(b"v=spf1 -all.").is_err());
        assert!(SpfRecord::parse(b"v=spf1 redirect=a.com redirect=b.com").is_err());
        assert!(SpfRecord::parse(b"v=spf1 ptr/0").is_err());
        assert!(SpfRecord::parse(b"v=spf1 ip4:1.2.3.4//8").is_err());
    }

    #[test]
    fn ipv4_parser_agrees_with_std() {
        for s in [
            "0.0.0.0",
            "1.2.3.4",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "",
            "1.2.3.4 ",
            "a.b.c.d",
            "1.2.3.-4",
            "000.1.1.1",
            "10.0.0.00",
            "1.2.3.4/",
            "999.1.1.1",
            "1.2.3.1000",
            "+1.2.3.4",
        ] {
            assert_eq!(parse_ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok(), "{s}");
        }
        for a in 0..=255u16 {
            let s = format!("{a}.{}.7.{}", 255 - a, a / 3);
            assert_eq!(parse_ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok(), "{s}");
        }
    }

    proptest::proptest! {
        /// The fast IPv6 parser never disagrees with `Ipv6Addr::from_str`.
        #[test]
        fn ipv6_plain_agrees_with_std(s in "[0-9a-fA-F:.]{0,45}") {
            if let Some(a) = parse_ipv6_plain(s.as_bytes()) {
                proptest::prop_assert_eq!(Some(a), s.parse::<Ipv6Addr>().ok(), "{}", s);
            }
        }

        /// ... and reads every address as std writes it, or fully expanded.
        #[test]
        fn ipv6_plain_reads_common_forms(g in proptest::array::uniform8(proptest::prop_oneof![proptest::strategy::Just(0u16), proptest::num::u16::ANY])) {
            let a = Ipv6Addr::from(g);
            if a.to_ipv4().is_none() || g[..5] != [0; 5] {
                proptest::prop_assert_eq!(parse_ipv6_plain(a.to_string().as_bytes()), Some(a));
            }
            let full = g.iter().map(|x| format!("{x:x}")).collect::<Vec<_>>().join(":");
            proptest::prop_assert_eq!(parse_ipv6_plain(full.as_bytes()), Some(a));
        }
    }

    #[test]
    fn ipv6_plain_cases() {
        for s in [
            "::",
            "::1",
            "1::",
            "2001:720:410::",
            "2c0f:fb50:4000::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            ":1::",
            "1:::2",
            "1::2::3",
            "1:2",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7:8::",
            "::ffff:1.2.3.4",
            "1:",
            ":",
            "",
            "g::",
            "1:2:3:4:5:6:7:",
        ] {
            let fast = parse_ipv6_plain(s.as_bytes());
            let std = s.parse::<Ipv6Addr>().ok();
            assert!(fast.is_none() || fast == std, "{s}: {fast:?} vs {std:?}");
            assert_eq!(fast.or_else(|| s.parse().ok()), std, "{s}");
        }
        assert_eq!(
            parse_ipv6_plain(b"2001:720:410::"),
            Some(Ipv6Addr::new(0x2001, 0x720, 0x410, 0, 0, 0, 0, 0))
        );
    }

    #[test]
    fn cidr_split() {
        let r = SpfRecord::parse(
            b"v=spf1 a:foo:bar/baz.example.com mx/24//64 a:x.com//0 exists:%{i}.x.org foo=bar",
        )
        .unwrap();
        let d: Vec<_> = r.directives().collect();
        assert!(
            matches!(&d[0].mechanism, Mechanism::A { domain: Some(m), cidr4: None, .. } if m.as_str() == "foo:bar/baz.example.com")
        );
        assert!(matches!(
            &d[1].mechanism,
            Mechanism::Mx {
                domain: None,
                cidr4: Some(24),
                cidr6: Some(64)
            }
        ));
        assert!(matches!(
            &d[2].mechanism,
            Mechanism::A {
                cidr4: None,
                cidr6: Some(0),
                ..
            }
        ));
        assert!(matches!(
            r.terms[4],
            Term::Modifier(Modifier::Unknown { .. })
        ));
    }
}
