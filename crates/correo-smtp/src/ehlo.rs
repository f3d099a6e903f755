//! The `EHLO`/`LHLO` reply: server name and typed ESMTP capabilities.

use std::borrow::Cow;
use std::fmt;

use crate::params::parse_u64;
use crate::reply::{Reply, ReplyCode};

/// One ESMTP capability (service extension keyword and its parameters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability<'a> {
    /// `PIPELINING` (RFC 2920).
    Pipelining,
    /// `SIZE [n]` (RFC 1870); `Some(0)` and `None` both mean "no fixed limit".
    Size(Option<u64>),
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `DSN` (RFC 3461).
    Dsn,
    /// `CHUNKING` (RFC 3030): `BDAT`.
    Chunking,
    /// `BINARYMIME` (RFC 3030).
    BinaryMime,
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    EnhancedStatusCodes,
    /// `AUTH mech...` (RFC 4954), or the legacy `AUTH=mech...` when `legacy`.
    Auth {
        /// The SASL mechanisms offered.
        mechanisms: Vec<Cow<'a, str>>,
        /// Written `AUTH=` (old Netscape/Outlook form).
        legacy: bool,
    },
    /// `VRFY`.
    Vrfy,
    /// `EXPN`.
    Expn,
    /// `HELP`.
    Help,
    /// `ETRN` (RFC 1985).
    Etrn,
    /// `ATRN` (RFC 2645).
    Atrn,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// `DELIVERBY [min-seconds]` (RFC 2852).
    DeliverBy(Option<u64>),
    /// `MT-PRIORITY [policy]` (RFC 6710).
    MtPriority(Option<Cow<'a, str>>),
    /// `FUTURERELEASE max-interval max-datetime` (RFC 4865).
    FutureRelease {
        /// Longest `HOLDFOR` accepted, in seconds.
        max_interval: u64,
        /// Latest `HOLDUNTIL` accepted.
        max_datetime: Cow<'a, str>,
    },
    /// `BURL [schemes]` (RFC 4468).
    Burl(Vec<Cow<'a, str>>),
    /// Anything else (or a known keyword with parameters that do not parse), kept raw.
    Other {
        /// The keyword as sent.
        keyword: Cow<'a, str>,
        /// Its space-separated parameters.
        params: Vec<Cow<'a, str>>,
    },
}

fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t']).filter(|w| !w.is_empty())
}

impl<'a> Capability<'a> {
    /// Parses one capability line (the text after `250-`/`250 `).
    pub fn parse(line: &'a str) -> Capability<'a> {
        let mut words = split_words(line);
        let Some(first) = words.next() else {
            return Capability::Other {
                keyword: Cow::Borrowed(""),
                params: Vec::new(),
            };
        };
        let params: Vec<&'a str> = words.collect();
        let kw = |k: &str| first.eq_ignore_ascii_case(k);
        let no_params = |c: Capability<'a>| if params.is_empty() { Some(c) } else { None };
        let typed = if let Some(rest) = first
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("AUTH="))
            .and_then(|_| first.get(5..))
        {
            let mut mechanisms: Vec<Cow<'a, str>> = Vec::new();
            if !rest.is_empty() {
                mechanisms.push(Cow::Borrowed(rest));
            }
            mechanisms.extend(params.iter().map(|p| Cow::Borrowed(*p)));
            Some(Capability::Auth {
                mechanisms,
                legacy: true,
            })
        } else if kw("AUTH") {
            Some(Capability::Auth {
                mechanisms: params.iter().map(|p| Cow::Borrowed(*p)).collect(),
                legacy: false,
            })
        } else if kw("PIPELINING") {
            no_params(Capability::Pipelining)
        } else if kw("SIZE") {
            match params.as_slice() {
                [] => Some(Capability::Size(None)),
                [n] => parse_u64(n).ok().map(|n| Capability::Size(Some(n))),
                _ => None,
            }
        } else if kw("8BITMIME") {
            no_params(Capability::EightBitMime)
        } else if kw("DSN") {
            no_params(Capability::Dsn)
        } else if kw("CHUNKING") {
            no_params(Capability::Chunking)
        } else if kw("BINARYMIME") {
            no_params(Capability::BinaryMime)
        } else if kw("SMTPUTF8") {
            no_params(Capability::SmtpUtf8)
        } else if kw("STARTTLS") {
            no_params(Capability::StartTls)
        } else if kw("ENHANCEDSTATUSCODES") {
            no_params(Capability::EnhancedStatusCodes)
        } else if kw("VRFY") {
            no_params(Capability::Vrfy)
        } else if kw("EXPN") {
            no_params(Capability::Expn)
        } else if kw("HELP") {
            no_params(Capability::Help)
        } else if kw("ETRN") {
            no_params(Capability::Etrn)
        } else if kw("ATRN") {
            no_params(Capability::Atrn)
        } else if kw("REQUIRETLS") {
            no_params(Capability::RequireTls)
        } else if kw("DELIVERBY") {
            match params.as_slice() {
                [] => Some(Capability::DeliverBy(None)),
                [n] => parse_u64(n).ok().map(|n| Capability::DeliverBy(Some(n))),
                _ => None,
            }
        } else if kw("MT-PRIORITY") {
            match params.as_slice() {
                [] => Some(Capability::MtPriority(None)),
                [p] => Some(Capability::MtPriority(Some(Cow::Borrowed(*p)))),
                _ => None,
            }
        } else if kw("FUTURERELEASE") {
            match params.as_slice() {
                [i, d] => parse_u64(i)
                    .ok()
                    .map(|max_interval| Capability::FutureRelease {
                        max_interval,
                        max_datetime: Cow::Borrowed(*d),
                    }),
                _ => None,
            }
        } else if kw("BURL") {
            Some(Capability::Burl(
                params.iter().map(|p| Cow::Borrowed(*p)).collect(),
            ))
        } else {
            None
        };
        typed.unwrap_or_else(|| Capability::Other {
            keyword: Cow::Borrowed(first),
            params: params.into_iter().map(Cow::Borrowed).collect(),
        })
    }

    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Capability<'static> {
        fn o(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        match self {
            Capability::Pipelining => Capability::Pipelining,
            Capability::Size(n) => Capability::Size(n),
            Capability::EightBitMime => Capability::EightBitMime,
            Capability::Dsn => Capability::Dsn,
            Capability::Chunking => Capability::Chunking,
            Capability::BinaryMime => Capability::BinaryMime,
            Capability::SmtpUtf8 => Capability::SmtpUtf8,
            Capability::StartTls => Capability::StartTls,
            Capability::EnhancedStatusCodes => Capability::EnhancedStatusCodes,
            Capability::Auth { mechanisms, legacy } => Capability::Auth {
                mechanisms: mechanisms.into_iter().map(o).collect(),
                legacy,
            },
            Capability::Vrfy => Capability::Vrfy,
            Capability::Expn => Capability::Expn,
            Capability::Help => Capability::Help,
            Capability::Etrn => Capability::Etrn,
            Capability::Atrn => Capability::Atrn,
            Capability::RequireTls => Capability::RequireTls,
            Capability::DeliverBy(n) => Capability::DeliverBy(n),
            Capability::MtPriority(p) => Capability::MtPriority(p.map(o)),
            Capability::FutureRelease {
                max_interval,
                max_datetime,
            } => Capability::FutureRelease {
                max_interval,
                max_datetime: o(max_datetime),
            },
            Capability::Burl(s) => Capability::Burl(s.into_iter().map(o).collect()),
            Capability::Other { keyword, params } => Capability::Other {
                keyword: o(keyword),
                params: params.into_iter().map(o).collect(),
            },
        }
    }
}

impl fmt::Display for Capability<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, kw: &str, items: &[Cow<'_, str>]| {
            f.write_str(kw)?;
            for i in items {
                write!(f, " {i}")?;
            }
            Ok(())
        };
        match self {
            Capability::Pipelining => f.write_str("PIPELINING"),
            Capability::Size(None) => f.write_str("SIZE"),
            Capability::Size(Some(n)) => write!(f, "SIZE {n}"),
            Capability::EightBitMime => f.write_str("8BITMIME"),
            Capability::Dsn => f.write_str("DSN"),
            Capability::Chunking => f.write_str("CHUNKING"),
            Capability::BinaryMime => f.write_str("BINARYMIME"),
            Capability::SmtpUtf8 => f.write_str("SMTPUTF8"),
            Capability::StartTls => f.write_str("STARTTLS"),
            Capability::EnhancedStatusCodes => f.write_str("ENHANCEDSTATUSCODES"),
            Capability::Auth {
                mechanisms,
                legacy: false,
            } => list(f, "AUTH", mechanisms),
            Capability::Auth {
                mechanisms,
                legacy: true,
            } => {
                f.write_str("AUTH=")?;
                for (i, m) in mechanisms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str(m)?;
                }
                Ok(())
            }
            Capability::Vrfy => f.write_str("VRFY"),
            Capability::Expn => f.write_str("EXPN"),
            Capability::Help => f.write_str("HELP"),
            Capability::Etrn => f.write_str("ETRN"),
            Capability::Atrn => f.write_str("ATRN"),
            Capability::RequireTls => f.write_str("REQUIRETLS"),
            Capability::DeliverBy(None) => f.write_str("DELIVERBY"),
            Capability::DeliverBy(Some(n)) => write!(f, "DELIVERBY {n}"),
            Capability::MtPriority(None) => f.write_str("MT-PRIORITY"),
            Capability::MtPriority(Some(p)) => write!(f, "MT-PRIORITY {p}"),
            Capability::FutureRelease {
                max_interval,
                max_datetime,
            } => write!(f, "FUTURERELEASE {max_interval} {max_datetime}"),
            Capability::Burl(s) => list(f, "BURL", s),
            Capability::Other { keyword, params } => list(f, keyword, params),
        }
    }
}

/// A parsed `EHLO`/`LHLO` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ehlo<'a> {
    /// The server's name (first word of the first line).
    pub domain: Cow<'a, str>,
    /// The rest of the first line (`at your service, [192.0.2.1]`), possibly empty.
    pub greeting: Cow<'a, str>,
    /// The capabilities, one per following line, in order.
    pub capabilities: Vec<Capability<'a>>,
}

impl<'a> Ehlo<'a> {
    /// Reads the capabilities from a successful (`250`) reply; `None` for other codes.
    pub fn from_reply(reply: &'a Reply<'_>) -> Option<Ehlo<'a>> {
        if reply.code != ReplyCode::OK {
            return None;
        }
        let mut lines = reply.lines.iter();
        let first: &str = lines.next().map_or("", |l| l);
        // RFC 2034: EHLO replies carry no enhanced code; a server name that looks like
        // one (`2.0.0`) was taken out by the reply parser: put it back.
        if let Some(e) = reply.enhanced {
            return Some(Ehlo {
                domain: Cow::Owned(e.to_string()),
                greeting: Cow::Borrowed(first),
                capabilities: lines.map(|l| Capability::parse(l)).collect(),
            });
        }
        let (domain, greeting) = match first.split_once(' ') {
            Some((d, g)) => (d, g),
            None => (first, ""),
        };
        Some(Ehlo {
            domain: Cow::Borrowed(domain),
            greeting: Cow::Borrowed(greeting),
            capabilities: lines.map(|l| Capability::parse(l)).collect(),
        })
    }

    /// The reply a server sends (code 250, no enhanced code, per RFC 2034).
    pub fn to_reply(&self) -> Reply<'static> {
        let mut lines = Vec::with_capacity(self.capabilities.len() + 1);
        lines.push(Cow::Owned(if self.greeting.is_empty() {
            self.domain.to_string()
        } else {
            format!("{} {}", self.domain, self.greeting)
        }));
        lines.extend(self.capabilities.iter().map(|c| Cow::Owned(c.to_string())));
        Reply {
            code: ReplyCode::OK,
            enhanced: None,
            lines,
        }
    }

    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Ehlo<'static> {
        Ehlo {
            domain: Cow::Owned(self.domain.into_owned()),
            greeting: Cow::Owned(self.greeting.into_owned()),
            capabilities: self
                .capabilities
                .into_iter()
                .map(Capability::into_owned)
                .collect(),
        }
    }

    /// Whether a capability with no parameters (or any parameters) is offered, by keyword.
    pub fn has(&self, keyword: &str) -> bool {
        self.capabilities.iter().any(|c| match c {
            Capability::Other { keyword: k, .. } => k.eq_ignore_ascii_case(keyword),
            Capability::Auth { .. } => keyword.eq_ignore_ascii_case("AUTH"),
            c => {
                let s = c.to_string();
                s.split(' ')
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
            }
        })
    }

    /// `SIZE`: `Some(limit)` when offered (`Some(None)` when offered without a number).
    pub fn size(&self) -> Option<Option<u64>> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::Size(n) => Some(*n),
            _ => None,
        })
    }

    /// All SASL mechanisms offered (from `AUTH` and `AUTH=` lines).
    pub fn auth_mechanisms(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.capabilities {
            if let Capability::Auth { mechanisms, .. } = c {
                for m in mechanisms {
                    if !out.iter().any(|o| o.eq_ignore_ascii_case(m)) {
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    /// Whether `cap` (compared without parameters) is offered.
    pub fn supports(&self, cap: &Capability<'_>) -> bool {
        self.capabilities
            .iter()
            .any(|c| std::mem::discriminant(c) == std::mem::discriminant(cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::ReplyLimits;

    #[test]
    fn gmail_after_tls() {
        let raw = b"250-smtp.gmail.com at your service, [163.117.172.176]\r\n250-SIZE 35882577\r\n\
250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n\
250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";
        let (r, _) = Reply::parse(raw, &ReplyLimits::default()).unwrap().unwrap();
        let e = Ehlo::from_reply(&r).unwrap();
        assert_eq!(e.domain, "smtp.gmail.com");
        assert_eq!(e.greeting, "at your service, [163.117.172.176]");
        assert_eq!(e.size(), Some(Some(35_882_577)));
        assert_eq!(
            e.auth_mechanisms(),
            vec![
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
        assert!(e.supports(&Capability::Pipelining));
        assert!(e.supports(&Capability::SmtpUtf8));
        assert!(!e.supports(&Capability::StartTls));
        assert!(e.has("chunking"));
        assert_eq!(e.to_reply().to_bytes(), raw);
    }

    #[test]
    fn legacy_and_odd() {
        assert_eq!(
            Capability::parse("AUTH=LOGIN PLAIN"),
            Capability::Auth {
                mechanisms: vec!["LOGIN".into(), "PLAIN".into()],
                legacy: true
            }
        );
        assert!(matches!(
            Capability::parse("SIZE abc"),
            Capability::Other { .. }
        ));
        assert!(matches!(
            Capability::parse("SIZE 99999999999999999999"),
            Capability::Other { .. }
        ));
        assert_eq!(Capability::parse("size"), Capability::Size(None));
        assert_eq!(
            Capability::parse("DELIVERBY 240"),
            Capability::DeliverBy(Some(240))
        );
        assert_eq!(
            Capability::parse("X-EXPS GSSAPI NTLM"),
            Capability::Other {
                keyword: "X-EXPS".into(),
                params: vec!["GSSAPI".into(), "NTLM".into()]
            }
        );
    }
}
