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
        if !is_spf1(txt) {
            return Err(err(0, "record does not start with v=spf1"));
        }
        if let Some(p) = txt.iter().position(|&c| !(0x20..=0x7e).contains(&c)) {
            return Err(err(p, "character outside printable US-ASCII"));
        }
        // All bytes are ASCII now.
        let s = std::str::from_utf8(txt).map_err(|_| err(0, "not ASCII"))?;
        let mut rec = SpfRecord::default();
        let mut i = 6;
        let b = s.as_bytes();
        while i < b.len() {
            if b[i] == b' ' {
                i += 1;
                continue;
            }
            let end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |e| i + e);
            let term = parse_term(&s[i..end], i)?;
            if let Term::Modifier(m @ (Modifier::Redirect(_) | Modifier::Exp(_))) = &term {
                let dup = rec.terms.iter().any(|t| {
                    matches!(
                        (t, m),
                        (Term::Modifier(Modifier::Redirect(_)), Modifier::Redirect(_))
                            | (Term::Modifier(Modifier::Exp(_)), Modifier::Exp(_))
                    )
                });
                if dup {
                    return Err(err(i, "modifier appears twice"));
                }
            }
            rec.terms.push(term);
            i = end;
        }
        Ok(rec)
    }
}

fn domain_spec(s: &str, offset: usize) -> Result<MacroString, SpfSyntaxError> {
    let m = MacroString::parse(s, false).map_err(|e| err(offset + e.offset, e.reason))?;
    if !m.is_valid_domain_spec() {
        return Err(err(offset, "invalid domain-spec"));
    }
    Ok(m)
}

fn cidr_num(s: &str, max: u8) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    let v: u8 = s.parse().ok()?;
    (v <= max).then_some(v)
}

/// Parse a whole `dual-cidr-length` (`/n`, `//m` or `/n//m`).
fn dual_cidr(s: &str) -> Option<(Option<u8>, Option<u8>)> {
    if let Some(r) = s.strip_prefix("//") {
        return Some((None, Some(cidr_num(r, 128)?)));
    }
    let r = s.strip_prefix('/')?;
    match r.find("//") {
        Some(k) => Some((
            Some(cidr_num(&r[..k], 32)?),
            Some(cidr_num(&r[k + 2..], 128)?),
        )),
        None => Some((Some(cidr_num(r, 32)?), None)),
    }
}

type DomainCidr = (Option<MacroString>, Option<u8>, Option<u8>);

fn domain_and_cidr(rest: &str, offset: usize) -> Result<DomainCidr, SpfSyntaxError> {
    if rest.is_empty() {
        return Ok((None, None, None));
    }
    if rest.starts_with('/') {
        let (c4, c6) = dual_cidr(rest).ok_or(err(offset, "invalid CIDR length"))?;
        return Ok((None, c4, c6));
    }
    let Some(body) = rest.strip_prefix(':') else {
        return Err(err(offset, "unexpected text after mechanism name"));
    };
    let mut split = body.len();
    let mut cidr = (None, None);
    for (k, _) in body.match_indices('/') {
        if let Some(c) = dual_cidr(&body[k..]) {
            split = k;
            cidr = c;
            break;
        }
    }
    let domain = domain_spec(&body[..split], offset + 1)?;
    Ok((Some(domain), cidr.0, cidr.1))
}

fn parse_term(t: &str, offset: usize) -> Result<Term, SpfSyntaxError> {
    let b = t.as_bytes();
    let (qualifier, explicit, body_off) = match b.first() {
        Some(b'+') => (Qualifier::Pass, true, 1),
        Some(b'-') => (Qualifier::Fail, true, 1),
        Some(b'~') => (Qualifier::SoftFail, true, 1),
        Some(b'?') => (Qualifier::Neutral, true, 1),
        _ => (Qualifier::Pass, false, 0),
    };
    let body = &t[body_off..];
    let name_len = body
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        .count();
    let name = &body[..name_len];
    let rest = &body[name_len..];
    let rest_off = offset + body_off + name_len;
    if let Some(value) = rest.strip_prefix('=') {
        if explicit {
            return Err(err(offset, "qualifier before a modifier"));
        }
        if !name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
            return Err(err(offset, "invalid modifier name"));
        }
        let voff = rest_off + 1;
        let m = if name.eq_ignore_ascii_case("redirect") {
            Modifier::Redirect(domain_spec(value, voff)?)
        } else if name.eq_ignore_ascii_case("exp") {
            Modifier::Exp(domain_spec(value, voff)?)
        } else {
            Modifier::Unknown {
                name: name.to_string(),
                value: MacroString::parse(value, false)
                    .map_err(|e| err(voff + e.offset, e.reason))?,
            }
        };
        return Ok(Term::Modifier(m));
    }
    let lname: &str = ["all", "include", "exists", "a", "mx", "ptr", "ip4", "ip6"]
        .into_iter()
        .find(|k| name.eq_ignore_ascii_case(k))
        .unwrap_or("");
    let mechanism = match lname {
        "all" => {
            if !rest.is_empty() {
                return Err(err(rest_off, "'all' takes no argument"));
            }
            Mechanism::All
        }
        "include" | "exists" => {
            let spec = rest
                .strip_prefix(':')
                .ok_or(err(rest_off, "mechanism needs ':' and a domain"))?;
            let d = domain_spec(spec, rest_off + 1)?;
            if lname == "include" {
                Mechanism::Include(d)
            } else {
                Mechanism::Exists(d)
            }
        }
        "a" | "mx" => {
            let (domain, cidr4, cidr6) = domain_and_cidr(rest, rest_off)?;
            if lname == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ptr" => {
            if rest.is_empty() {
                Mechanism::Ptr(None)
            } else {
                let spec = rest
                    .strip_prefix(':')
                    .ok_or(err(rest_off, "unexpected text after 'ptr'"))?;
                Mechanism::Ptr(Some(domain_spec(spec, rest_off + 1)?))
            }
        }
        "ip4" => {
            let v = rest
                .strip_prefix(':')
                .ok_or(err(rest_off, "ip4 needs ':' and an address"))?;
            let (a, p) = match v.split_once('/') {
                Some((a, p)) => (
                    a,
                    Some(cidr_num(p, 32).ok_or(err(rest_off, "invalid ip4 prefix"))?),
                ),
                None => (v, None),
            };
            let addr = a
                .parse::<Ipv4Addr>()
                .map_err(|_| err(rest_off + 1, "invalid IPv4 address"))?;
            Mechanism::Ip4 { addr, prefix: p }
        }
        "ip6" => {
            let v = rest
                .strip_prefix(':')
                .ok_or(err(rest_off, "ip6 needs ':' and an address"))?;
            let (a, p) = match v.split_once('/') {
                Some((a, p)) => (
                    a,
                    Some(cidr_num(p, 128).ok_or(err(rest_off, "invalid ip6 prefix"))?),
                ),
                None => (v, None),
            };
            let addr = a
                .parse::<Ipv6Addr>()
                .map_err(|_| err(rest_off + 1, "invalid IPv6 address"))?;
            Mechanism::Ip6 { addr, prefix: p }
        }
        _ => return Err(err(offset, "unknown mechanism")),
    };
    Ok(Term::Directive(Directive {
        qualifier,
        mechanism,
        text: t.to_string(),
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
