//! A tiny in-memory DNS zone read from RFC 1035 master-file lines.
//!
//! This is the `--dns ZONE` format: one record a line, as `dig` prints answers,
//! e.g. `lab.it.uc3m.es. 60 IN TXT "v=spf1 include:_spf.uc3m.es ~all"`.
//! `;` starts a comment; TTL and class are optional; owner names and
//! character-strings may use `\DDD` and `\X` escapes; a TXT record with several
//! character-strings is joined with no separator. Supported types: `A`, `AAAA`,
//! `MX`, `PTR`, `TXT`, `CNAME` (followed one level); other types are ignored.
//! The pseudo-record `NAME TIMEOUT` makes a query for NAME of a type that has
//! no record listed before it time out. Any name absent from the zone does not
//! exist (NXDOMAIN).
//!
//! ```
//! use correo_auth::dns::{Answer, Lookup, QType, Record};
//! use correo_auth::zone::Zone;
//!
//! let zone = Zone::parse(r#"
//! ; the seed's policy
//! lab.it.uc3m.es. 60 IN TXT "v=spf1 include:_spf.uc3m.es" " ~all"
//! slow.example. TIMEOUT
//! "#).unwrap();
//! let a = zone.answer(&Lookup::new("LAB.it.uc3m.es", QType::Txt));
//! assert_eq!(a, Answer::Records(vec![Record::Txt(b"v=spf1 include:_spf.uc3m.es ~all".to_vec())]));
//! assert_eq!(zone.answer(&Lookup::new("slow.example", QType::Txt)), Answer::TempFail);
//! assert_eq!(zone.answer(&Lookup::new("nowhere.example", QType::A)), Answer::NxDomain);
//! ```

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dns::{Answer, Lookup, QType, Record};

/// Limits applied while reading a zone file.
const MAX_LINE: usize = 64 * 1024;

/// One entry listed under a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// An ordinary record.
    Record(Record),
    /// An alias: queries are answered with the target's records (one level).
    Cname(String),
    /// Queries of types not listed before this entry time out.
    Timeout,
}

/// An error reading a zone file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zone line {line}: {reason}")]
pub struct ZoneError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub reason: String,
}

/// An in-memory zone: names (lower case, no trailing dot) to their entries.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    names: HashMap<String, Vec<Entry>>,
}

/// Normalise a domain name for comparison: lower case, empty labels dropped.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for label in name.split('.').filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&label.to_ascii_lowercase());
    }
    out
}

impl Zone {
    /// An empty zone.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an entry under `name`.
    pub fn add(&mut self, name: &str, entry: Entry) {
        self.names
            .entry(normalize_name(name))
            .or_default()
            .push(entry);
    }

    /// Add a record under `name`.
    pub fn add_record(&mut self, name: &str, record: Record) {
        self.add(name, Entry::Record(record));
    }

    /// Make `name` exist (with no records) if it does not already.
    pub fn touch(&mut self, name: &str) {
        self.names.entry(normalize_name(name)).or_default();
    }

    /// Number of names in the zone.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the zone holds no name.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Read master-file text.
    pub fn parse(text: &str) -> Result<Zone, ZoneError> {
        let mut zone = Zone::new();
        let mut last_owner: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            let lineno = i + 1;
            let err = |reason: &str| ZoneError {
                line: lineno,
                reason: reason.to_string(),
            };
            if line.len() > MAX_LINE {
                return Err(err("line too long"));
            }
            let continues = line.starts_with([' ', '\t']);
            let tokens = tokenize(line).map_err(err)?;
            if tokens.is_empty() {
                continue;
            }
            let mut it = tokens.into_iter();
            let owner = if continues {
                last_owner.clone().ok_or_else(|| err("no owner name"))?
            } else {
                let t = it.next().ok_or_else(|| err("no owner name"))?;
                if t.quoted {
                    return Err(err("quoted owner name"));
                }
                String::from_utf8(t.bytes).map_err(|_| err("owner name is not UTF-8"))?
            };
            last_owner = Some(owner.clone());
            // Optional TTL and class, in either order.
            let mut rtype = None;
            for t in it.by_ref() {
                let word = String::from_utf8_lossy(&t.bytes).to_ascii_uppercase();
                if !t.quoted && word.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                if !t.quoted && matches!(word.as_str(), "IN" | "CH" | "HS" | "CS") {
                    continue;
                }
                rtype = Some(word);
                break;
            }
            let rtype = rtype.ok_or_else(|| err("no record type"))?;
            let rest: Vec<Token> = it.collect();
            let word = |n: usize| -> Result<String, ZoneError> {
                let t = rest.get(n).ok_or_else(|| err("missing field"))?;
                String::from_utf8(t.bytes.clone()).map_err(|_| err("field is not UTF-8"))
            };
            let entry = match rtype.as_str() {
                "TIMEOUT" => Entry::Timeout,
                "TXT" => {
                    let mut data = Vec::new();
                    for t in &rest {
                        data.extend_from_slice(&t.bytes);
                    }
                    Entry::Record(Record::Txt(data))
                }
                "A" => Entry::Record(Record::A(
                    word(0)?
                        .parse::<Ipv4Addr>()
                        .map_err(|_| err("bad IPv4 address"))?,
                )),
                "AAAA" => Entry::Record(Record::Aaaa(
                    word(0)?
                        .parse::<Ipv6Addr>()
                        .map_err(|_| err("bad IPv6 address"))?,
                )),
                "MX" => Entry::Record(Record::Mx {
                    preference: word(0)?
                        .parse::<u16>()
                        .map_err(|_| err("bad MX preference"))?,
                    exchange: trim_dot(&word(1)?),
                }),
                "PTR" => Entry::Record(Record::Ptr(trim_dot(&word(0)?))),
                "CNAME" => Entry::Cname(trim_dot(&word(0)?)),
                _ => {
                    zone.touch(&owner);
                    continue;
                }
            };
            zone.add(&owner, entry);
        }
        Ok(zone)
    }

    /// Answer a question from the zone.
    ///
    /// A name with a label longer than 63 octets cannot be asked: that gives
    /// [`Answer::TempFail`], as a stub resolver's error would.
    pub fn answer(&self, lookup: &Lookup) -> Answer {
        if lookup.name.split('.').any(|l| l.len() > 63) {
            return Answer::TempFail;
        }
        let n = lookup.name.as_str();
        let normal = !n.is_empty()
            && !n.starts_with('.')
            && !n.ends_with('.')
            && !n.contains("..")
            && !n.bytes().any(|c| c.is_ascii_uppercase());
        let entries = if normal {
            self.names.get(n)
        } else {
            self.names.get(&normalize_name(n))
        };
        let Some(entries) = entries else {
            return Answer::NxDomain;
        };
        let mut out = Vec::new();
        match self.collect(entries, lookup.qtype, &mut out, true) {
            Err(()) => Answer::TempFail,
            Ok(()) if out.is_empty() => Answer::NoData,
            Ok(()) => Answer::Records(out),
        }
    }

    fn collect(
        &self,
        entries: &[Entry],
        qtype: QType,
        out: &mut Vec<Record>,
        follow: bool,
    ) -> Result<(), ()> {
        for e in entries {
            match e {
                Entry::Record(r) if r.qtype() == qtype => out.push(r.clone()),
                Entry::Record(_) => {}
                Entry::Timeout => {
                    if out.is_empty() {
                        return Err(());
                    }
                    return Ok(());
                }
                Entry::Cname(target) => {
                    if follow {
                        if let Some(t) = self.names.get(&normalize_name(target)) {
                            self.collect(t, qtype, out, false)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn trim_dot(s: &str) -> String {
    s.strip_suffix('.').unwrap_or(s).to_string()
}

struct Token {
    bytes: Vec<u8>,
    quoted: bool,
}

/// Split one line into tokens, decoding escapes; stops at a `;` comment.
fn tokenize(line: &str) -> Result<Vec<Token>, &'static str> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
            continue;
        }
        if c == b';' {
            break;
        }
        if c == b'(' || c == b')' {
            return Err("parentheses are not supported");
        }
        let quoted = c == b'"';
        if quoted {
            i += 1;
        }
        let mut tok = Vec::new();
        loop {
            let Some(&c) = b.get(i) else {
                if quoted {
                    return Err("unterminated quoted string");
                }
                break;
            };
            if quoted && c == b'"' {
                i += 1;
                break;
            }
            if !quoted && (c == b' ' || c == b'\t' || c == b';' || c == b'\r') {
                break;
            }
            if c == b'\\' {
                let d: Vec<u8> = b.get(i + 1..i + 4).map(<[u8]>::to_vec).unwrap_or_default();
                if d.len() == 3 && d.iter().all(u8::is_ascii_digit) {
                    let v = u32::from(d[0] - b'0') * 100
                        + u32::from(d[1] - b'0') * 10
                        + u32::from(d[2] - b'0');
                    let v = u8::try_from(v).map_err(|_| "escape \\DDD above 255")?;
                    tok.push(v);
                    i += 4;
                } else {
                    let n = *b.get(i + 1).ok_or("backslash at end of line")?;
                    tok.push(n);
                    i += 2;
                }
                continue;
            }
            tok.push(c);
            i += 1;
        }
        out.push(Token { bytes: tok, quoted });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dig_lines() {
        let z = Zone::parse(
            "a.example. 3600 IN TXT \"v=DKIM1; \" \"p=ab\\\"c\\059\"\n\
             a.example. IN A 192.0.2.1\n\
             a.example. AAAA 2001:db8::1 ; comment\n\
             b.example 60 MX 10 mx.a.example.\n\
             4.3.2.1.in-addr.arpa. PTR a.example.\n\
             c.example. CNAME a.example.\n\
             t.example. A 192.0.2.9\n\
             t.example. TIMEOUT\n\
             e.example. TXT\n",
        )
        .unwrap();
        assert_eq!(
            z.answer(&Lookup::new("A.EXAMPLE.", QType::Txt)),
            Answer::Records(vec![Record::Txt(b"v=DKIM1; p=ab\"c;".to_vec())])
        );
        assert_eq!(
            z.answer(&Lookup::new("a.example", QType::A)),
            Answer::Records(vec![Record::A(Ipv4Addr::new(192, 0, 2, 1))])
        );
        assert_eq!(
            z.answer(&Lookup::new("a.example", QType::Mx)),
            Answer::NoData
        );
        assert_eq!(
            z.answer(&Lookup::new("b.example", QType::Mx)),
            Answer::Records(vec![Record::Mx {
                preference: 10,
                exchange: "mx.a.example".into()
            }])
        );
        assert_eq!(
            z.answer(&Lookup::new("c.example", QType::A)),
            Answer::Records(vec![Record::A(Ipv4Addr::new(192, 0, 2, 1))])
        );
        assert_eq!(
            z.answer(&Lookup::new("t.example", QType::A)),
            Answer::Records(vec![Record::A(Ipv4Addr::new(192, 0, 2, 9))])
        );
        assert_eq!(
            z.answer(&Lookup::new("t.example", QType::Txt)),
            Answer::TempFail
        );
        assert_eq!(
            z.answer(&Lookup::new("x.example", QType::Txt)),
            Answer::NxDomain
        );
        assert_eq!(
            z.answer(&Lookup::new("e.example", QType::Txt)),
            Answer::Records(vec![Record::Txt(Vec::new())])
        );
        assert_eq!(
            z.answer(&Lookup::new("4.3.2.1.in-addr.arpa", QType::Ptr)),
            Answer::Records(vec![Record::Ptr("a.example".into())])
        );
    }

    #[test]
    fn bad_lines() {
        assert_eq!(Zone::parse("a. A 1.2.3").unwrap_err().line, 1);
        assert!(Zone::parse("\n\na. TXT \"abc").is_err());
        assert!(Zone::parse("a. TXT \\999").is_err());
        assert!(Zone::parse("a. MX x y").is_err());
    }
}
