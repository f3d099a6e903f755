//! SPF macro strings (RFC 7208 section 7).

use std::fmt;
use std::fmt::Write as _;
use std::net::IpAddr;

/// A macro letter (RFC 7208 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacroLetter {
    /// `s`: the sender (`local-part@domain`).
    Sender,
    /// `l`: the sender's local-part.
    Local,
    /// `o`: the sender's domain.
    SenderDomain,
    /// `d`: the current domain.
    Domain,
    /// `i`: the client IP (dotted nibbles for IPv6).
    Ip,
    /// `p`: the validated domain name of the client IP (needs DNS).
    Ptr,
    /// `v`: `in-addr` or `ip6`.
    Version,
    /// `h`: the HELO/EHLO domain.
    Helo,
    /// `c`: the client IP in readable form (explanations only).
    ClientIp,
    /// `r`: the receiving domain (explanations only).
    Receiver,
    /// `t`: the current timestamp (explanations only).
    Timestamp,
}

impl MacroLetter {
    fn from_char(c: u8) -> Option<MacroLetter> {
        Some(match c.to_ascii_lowercase() {
            b's' => MacroLetter::Sender,
            b'l' => MacroLetter::Local,
            b'o' => MacroLetter::SenderDomain,
            b'd' => MacroLetter::Domain,
            b'i' => MacroLetter::Ip,
            b'p' => MacroLetter::Ptr,
            b'v' => MacroLetter::Version,
            b'h' => MacroLetter::Helo,
            b'c' => MacroLetter::ClientIp,
            b'r' => MacroLetter::Receiver,
            b't' => MacroLetter::Timestamp,
            _ => return None,
        })
    }

    fn exp_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

/// One `%{...}` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroExpand {
    /// Which value.
    pub letter: MacroLetter,
    /// Upper-case letter: URL-escape the result.
    pub url_escape: bool,
    /// Keep only this many right-hand parts (never zero).
    pub digits: Option<u32>,
    /// Reverse the parts first.
    pub reverse: bool,
    /// Delimiters to split on (empty means `.`).
    pub delimiters: String,
}

/// A piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    /// Literal text (with `%%`, `%_` and `%-` already decoded).
    Literal(String),
    /// An expansion.
    Expand(MacroExpand),
}

/// A parsed macro string (a `domain-spec` or an explanation text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString {
    /// The pieces, in order.
    pub parts: Vec<MacroPart>,
    text: String,
}

/// A syntax error in a macro string: what and where (byte offset in the string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroError {
    /// Byte offset of the fault.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl MacroString {
    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parse a macro string. `explain` allows spaces and the `c`, `r`, `t`
    /// letters (an `exp=` text).
    pub fn parse(s: &str, explain: bool) -> Result<MacroString, MacroError> {
        let b = s.as_bytes();
        let mut parts: Vec<MacroPart> = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            if c == b'%' {
                let Some(&n) = b.get(i + 1) else {
                    return Err(MacroError {
                        offset: i,
                        reason: "'%' at end of macro string",
                    });
                };
                match n {
                    b'%' => lit.push('%'),
                    b'_' => lit.push(' '),
                    b'-' => lit.push_str("%20"),
                    b'{' => {
                        let start = i;
                        let mut j = i + 2;
                        let letter_c = *b.get(j).ok_or(MacroError {
                            offset: start,
                            reason: "unterminated macro",
                        })?;
                        let letter = MacroLetter::from_char(letter_c).ok_or(MacroError {
                            offset: j,
                            reason: "unknown macro letter",
                        })?;
                        if letter.exp_only() && !explain {
                            return Err(MacroError {
                                offset: j,
                                reason: "macro letter allowed only in explanations",
                            });
                        }
                        j += 1;
                        let dstart = j;
                        let mut digits: Option<u32> = None;
                        while let Some(d) = b.get(j).filter(|d| d.is_ascii_digit()) {
                            let v = digits.unwrap_or(0);
                            digits = Some(v.saturating_mul(10).saturating_add(u32::from(d - b'0')));
                            j += 1;
                        }
                        if digits == Some(0) {
                            return Err(MacroError {
                                offset: dstart,
                                reason: "macro digit transformer is zero",
                            });
                        }
                        let mut reverse = false;
                        if matches!(b.get(j), Some(b'r' | b'R')) {
                            reverse = true;
                            j += 1;
                        }
                        let mut delimiters = String::new();
                        loop {
                            match b.get(j) {
                                Some(b'}') => break,
                                Some(&d @ (b'.' | b'-' | b'+' | b',' | b'/' | b'_' | b'=')) => {
                                    delimiters.push(char::from(d));
                                    j += 1;
                                }
                                Some(_) => {
                                    return Err(MacroError {
                                        offset: j,
                                        reason: "bad character in macro",
                                    });
                                }
                                None => {
                                    return Err(MacroError {
                                        offset: start,
                                        reason: "unterminated macro",
                                    });
                                }
                            }
                        }
                        if !lit.is_empty() {
                            parts.push(MacroPart::Literal(std::mem::take(&mut lit)));
                        }
                        parts.push(MacroPart::Expand(MacroExpand {
                            letter,
                            url_escape: letter_c.is_ascii_uppercase(),
                            digits,
                            reverse,
                            delimiters,
                        }));
                        i = j + 1;
                        continue;
                    }
                    _ => {
                        return Err(MacroError {
                            offset: i,
                            reason: "'%' not followed by '{', '%', '_' or '-'",
                        });
                    }
                }
                i += 2;
                continue;
            }
            let ok = (0x21..=0x7e).contains(&c) || (explain && c == b' ');
            if !ok {
                return Err(MacroError {
                    offset: i,
                    reason: "character not allowed in macro string",
                });
            }
            lit.push(char::from(c));
            i += 1;
        }
        if !lit.is_empty() {
            parts.push(MacroPart::Literal(lit));
        }
        Ok(MacroString {
            parts,
            text: s.to_string(),
        })
    }

    /// True when the string uses the `%{p}` macro (which needs DNS lookups).
    pub fn uses_ptr(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, MacroPart::Expand(e) if e.letter == MacroLetter::Ptr))
    }

    /// True when the text ends in a macro expansion (`%{..}`, `%%`, `%_`, `%-`).
    fn ends_in_expand(&self) -> bool {
        let t = self.text.as_bytes();
        if matches!(self.parts.last(), Some(MacroPart::Expand(_))) {
            return true;
        }
        // A literal part may end in a decoded %% / %_ / %- escape.
        let n = t.len();
        n >= 2 && t[n - 2] == b'%' && matches!(t[n - 1], b'%' | b'_' | b'-') && {
            // count the run of '%' before the last char: odd means escape
            let run = t[..n - 1].iter().rev().take_while(|&&c| c == b'%').count();
            run % 2 == 1
        }
    }

    /// Check the `domain-end` rule of a `domain-spec`: it ends in a macro
    /// expansion, or in `.` toplabel with an optional final dot.
    pub fn is_valid_domain_spec(&self) -> bool {
        if self.text.is_empty() {
            return false;
        }
        if self.ends_in_expand() {
            return true;
        }
        let t = self.text.strip_suffix('.').unwrap_or(&self.text);
        let Some(dot) = t.rfind('.') else {
            return false;
        };
        let top = &t[dot + 1..];
        // toplabel must not contain a macro piece.
        if top.contains('%') {
            return false;
        }
        is_toplabel(top)
    }

    /// Expand with the given values.
    pub fn expand(&self, ctx: &MacroContext<'_>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                MacroPart::Literal(l) => out.push_str(l),
                MacroPart::Expand(e) => expand_one(e, ctx, &mut out),
            }
        }
        out
    }
}

/// The `domain-end` rule for a domain-spec without any `%`: `.` toplabel,
/// with an optional final dot (the same answer as
/// [`MacroString::is_valid_domain_spec`] gives for such a string).
pub(crate) fn plain_domain_end_ok(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let t = s.strip_suffix('.').unwrap_or(s);
    match t.rfind('.') {
        Some(dot) => t.get(dot + 1..).is_some_and(is_toplabel),
        None => false,
    }
}

/// RFC 7208 toplabel: alphanumerics and hyphens, not all digits, no hyphen
/// at either end.
pub(crate) fn is_toplabel(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
        return false;
    }
    b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-')
}

/// The values macros expand to.
#[derive(Debug, Clone)]
pub struct MacroContext<'a> {
    /// Sender local-part.
    pub local: &'a str,
    /// Sender domain.
    pub sender_domain: &'a str,
    /// The current domain.
    pub domain: &'a str,
    /// Client IP.
    pub ip: IpAddr,
    /// HELO domain.
    pub helo: &'a str,
    /// Validated domain name (`%{p}`); `None` expands to `unknown`.
    pub validated: Option<&'a str>,
    /// Receiving domain (`%{r}`).
    pub receiver: &'a str,
    /// Timestamp (`%{t}`).
    pub now: u64,
}

fn expand_one(e: &MacroExpand, ctx: &MacroContext<'_>, out: &mut String) {
    let value: String = match e.letter {
        MacroLetter::Sender => format!("{}@{}", ctx.local, ctx.sender_domain),
        MacroLetter::Local => ctx.local.to_string(),
        MacroLetter::SenderDomain => ctx.sender_domain.to_string(),
        MacroLetter::Domain => ctx.domain.to_string(),
        MacroLetter::Ip => match ctx.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => nibbles(&v6.octets(), false, true),
        },
        MacroLetter::Ptr => ctx.validated.unwrap_or("unknown").to_string(),
        MacroLetter::Version => match ctx.ip {
            IpAddr::V4(_) => "in-addr".to_string(),
            IpAddr::V6(_) => "ip6".to_string(),
        },
        MacroLetter::Helo => ctx.helo.to_string(),
        MacroLetter::ClientIp => ctx.ip.to_string(),
        MacroLetter::Receiver => ctx.receiver.to_string(),
        MacroLetter::Timestamp => ctx.now.to_string(),
    };
    let transformed = if e.digits.is_none() && !e.reverse && e.delimiters.is_empty() {
        value
    } else {
        let delims = if e.delimiters.is_empty() {
            "."
        } else {
            e.delimiters.as_str()
        };
        let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
        if e.reverse {
            parts.reverse();
        }
        if let Some(n) = e.digits {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n < parts.len() {
                parts.drain(..parts.len() - n);
            }
        }
        parts.join(".")
    };
    if e.url_escape {
        for b in transformed.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
    } else {
        out.push_str(&transformed);
    }
}

/// Dotted nibbles of an address, e.g. `2.0.0.1...`; `reverse` gives the
/// `ip6.arpa` order.
pub(crate) fn nibbles(octets: &[u8], reverse: bool, upper: bool) -> String {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let digits = if upper { UPPER } else { LOWER };
    let mut n: Vec<u8> = Vec::with_capacity(octets.len() * 2);
    for o in octets {
        n.push(digits[usize::from(o >> 4)]);
        n.push(digits[usize::from(o & 15)]);
    }
    if reverse {
        n.reverse();
    }
    let mut s = String::with_capacity(n.len() * 2);
    for (k, c) in n.iter().enumerate() {
        if k > 0 {
            s.push('.');
        }
        s.push(char::from(*c));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ip: &str) -> MacroContext<'static> {
        MacroContext {
            local: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            validated: None,
            receiver: "unknown",
            now: 1,
        }
    }

    fn x(s: &str, ip: &str) -> String {
        MacroString::parse(s, true).unwrap().expand(&ctx(ip))
    }

    #[test]
    fn rfc7208_7_4_examples() {
        let v4 = "192.0.2.3";
        assert_eq!(x("%{s}", v4), "strong-bad@email.example.com");
        assert_eq!(x("%{o}", v4), "email.example.com");
        assert_eq!(x("%{d}", v4), "email.example.com");
        assert_eq!(x("%{d4}", v4), "email.example.com");
        assert_eq!(x("%{d3}", v4), "email.example.com");
        assert_eq!(x("%{d2}", v4), "example.com");
        assert_eq!(x("%{d1}", v4), "com");
        assert_eq!(x("%{dr}", v4), "com.example.email");
        assert_eq!(x("%{d2r}", v4), "example.email");
        assert_eq!(x("%{l}", v4), "strong-bad");
        assert_eq!(x("%{l-}", v4), "strong.bad");
        assert_eq!(x("%{lr}", v4), "strong-bad");
        assert_eq!(x("%{lr-}", v4), "bad.strong");
        assert_eq!(x("%{l1r-}", v4), "strong");
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", v4),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            x("%{lr-}.lp._spf.%{d2}", v4),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(x("%{S}", v4), "strong-bad%40email.example.com");
        assert_eq!(x("a%%b%_c%-d", v4), "a%b c%20d");
    }

    #[test]
    fn syntax() {
        assert!(MacroString::parse("%{d0}", false).is_err());
        assert!(MacroString::parse("%{x}", false).is_err());
        assert!(MacroString::parse("%{c}", false).is_err());
        assert!(MacroString::parse("%{c}", true).is_ok());
        assert!(MacroString::parse("%{d", false).is_err());
        assert!(MacroString::parse("a%b", false).is_err());
        assert!(MacroString::parse("a b", false).is_err());
        assert!(MacroString::parse("a b", true).is_ok());
        assert!(
            MacroString::parse("foo.com", false)
                .unwrap()
                .is_valid_domain_spec()
        );
        assert!(
            MacroString::parse("%{d}", false)
                .unwrap()
                .is_valid_domain_spec()
        );
        assert!(
            MacroString::parse("x.%{d}.com.", false)
                .unwrap()
                .is_valid_domain_spec()
        );
        assert!(
            !MacroString::parse("foo-bar", false)
                .unwrap()
                .is_valid_domain_spec()
        );
        assert!(
            !MacroString::parse("foo.1", false)
                .unwrap()
                .is_valid_domain_spec()
        );
        assert!(
            MacroString::parse("foo.1-2", false)
                .unwrap()
                .is_valid_domain_spec()
        );
        assert!(
            !MacroString::parse("foo.-a", false)
                .unwrap()
                .is_valid_domain_spec()
        );
    }
}
