//! The DKIM-Signature header field (RFC 6376 3.5).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::DkimError;
use super::canon::Canon;
use super::tags::{TagError, colon_list, parse_tags, strip_fws};

/// A signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `rsa-sha256`.
    RsaSha256,
    /// `rsa-sha1` (RFC 8301: not to be used; verified only when allowed).
    RsaSha1,
    /// `ed25519-sha256` (RFC 8463).
    Ed25519Sha256,
}

impl Algorithm {
    /// The `a=` keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::RsaSha1 => "rsa-sha1",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The hash name as used in key `h=` (`sha256` / `sha1`).
    pub fn hash_name(self) -> &'static str {
        match self {
            Algorithm::RsaSha1 => "sha1",
            _ => "sha256",
        }
    }

    /// The key type as used in key `k=` (`rsa` / `ed25519`).
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::Ed25519Sha256 => "ed25519",
            _ => "rsa",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed DKIM-Signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSignature {
    /// `a=`.
    pub algorithm: Algorithm,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
    /// `bh=`, decoded.
    pub body_hash: Vec<u8>,
    /// `c=` header part.
    pub header_canon: Canon,
    /// `c=` body part.
    pub body_canon: Canon,
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `h=`, as written (case kept).
    pub headers: Vec<String>,
    /// `i=` (the default is `@` + `d=`).
    pub identity: Option<String>,
    /// `l=`.
    pub length: Option<u64>,
    /// `q=`, as written.
    pub query: Option<String>,
    /// `t=`.
    pub timestamp: Option<u64>,
    /// `x=`.
    pub expiration: Option<u64>,
    /// `z=`, as written.
    pub copied_headers: Option<String>,
    /// Tags this parser does not know, kept in order.
    pub unknown: Vec<(String, String)>,
}

/// The `d=` and `s=` of a signature, when they can be read even from a
/// signature that does not parse (for reporting).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureIds {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `i=`.
    pub identity: Option<String>,
    /// First characters of `b=` (for `header.b`).
    pub b_prefix: String,
}

const MAX_TAGS: usize = 64;
const MAX_HEADERS_SIGNED: usize = 256;

fn number(v: &str) -> Option<u64> {
    if v.is_empty() || v.len() > 20 || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// A domain name as DKIM allows in `d=` (letters, digits, hyphens, dots;
/// non-empty labels; and A-labels).
fn valid_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        })
}

impl SignatureIds {
    /// Read `d=`, `s=`, `i=` and `b=` leniently.
    pub fn read(value: &str) -> SignatureIds {
        let mut ids = SignatureIds::default();
        for part in value.split(';') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let v = v.trim_matches([' ', '\t', '\r', '\n']);
            match k.trim_matches([' ', '\t', '\r', '\n']) {
                "d" => ids.domain = v.to_string(),
                "s" => ids.selector = v.to_string(),
                "i" => ids.identity = Some(v.to_string()),
                "b" => ids.b_prefix = strip_fws(v).chars().take(8).collect(),
                _ => {}
            }
        }
        ids
    }
}

impl DkimSignature {
    /// Parse the field value (the text after `DKIM-Signature:`).
    pub fn parse(value: &str) -> Result<DkimSignature, DkimError> {
        let tags = parse_tags(value, MAX_TAGS).map_err(|e| match e {
            TagError::Duplicate(_) => DkimError::Syntax("duplicate tag".into()),
            TagError::Syntax(at) => DkimError::Syntax(format!("malformed tag-list at byte {at}")),
        })?;
        let get = |n: &str| tags.iter().find(|t| t.name == n).map(|t| t.value);
        for req in ["v", "a", "b", "bh", "d", "h", "s"] {
            if get(req).is_none() {
                return Err(DkimError::MissingTag(req));
            }
        }
        if get("v") != Some("1") {
            return Err(DkimError::IncompatibleVersion);
        }
        let algorithm = match get("a").unwrap_or_default().to_ascii_lowercase().as_str() {
            "rsa-sha256" => Algorithm::RsaSha256,
            "rsa-sha1" => Algorithm::RsaSha1,
            "ed25519-sha256" => Algorithm::Ed25519Sha256,
            _ => return Err(DkimError::UnsupportedAlgorithm),
        };
        let (header_canon, body_canon) = match get("c") {
            None => (Canon::Simple, Canon::Simple),
            Some(c) => {
                let parse = |s: &str| match s.to_ascii_lowercase().as_str() {
                    "simple" => Ok(Canon::Simple),
                    "relaxed" => Ok(Canon::Relaxed),
                    _ => Err(DkimError::UnsupportedCanonicalization),
                };
                match c.split_once('/') {
                    Some((h, b)) => (parse(h)?, parse(b)?),
                    None => (parse(c)?, Canon::Simple),
                }
            }
        };
        let b64 = |v: &str, what: &str| {
            STANDARD
                .decode(strip_fws(v))
                .map_err(|_| DkimError::Syntax(format!("{what} is not base64")))
        };
        let signature = b64(get("b").unwrap_or_default(), "b=")?;
        let body_hash = b64(get("bh").unwrap_or_default(), "bh=")?;
        let domain = get("d").unwrap_or_default().to_string();
        if !valid_domain(&domain) {
            return Err(DkimError::Syntax("invalid d=".into()));
        }
        let selector = strip_fws(get("s").unwrap_or_default());
        if !valid_domain(&selector) {
            return Err(DkimError::Syntax("invalid s=".into()));
        }
        let headers = colon_list(get("h").unwrap_or_default());
        if headers.is_empty() || headers.len() > MAX_HEADERS_SIGNED {
            return Err(DkimError::Syntax("invalid h=".into()));
        }
        if !headers.iter().any(|h| h.eq_ignore_ascii_case("from")) {
            return Err(DkimError::FromNotSigned);
        }
        let identity = get("i").map(str::to_string);
        if let Some(i) = &identity {
            let Some((_, idom)) = i.rsplit_once('@') else {
                return Err(DkimError::Syntax("invalid i=".into()));
            };
            let (idom, d) = (idom.to_ascii_lowercase(), domain.to_ascii_lowercase());
            if idom != d && !idom.ends_with(&format!(".{d}")) {
                return Err(DkimError::DomainMismatch);
            }
        }
        let length = match get("l") {
            Some(v) => Some(number(v).ok_or_else(|| DkimError::Syntax("invalid l=".into()))?),
            None => None,
        };
        let query = get("q").map(str::to_string);
        if let Some(q) = &query {
            if !q
                .split(':')
                .any(|m| m.trim().eq_ignore_ascii_case("dns/txt"))
            {
                return Err(DkimError::UnacceptableQuery);
            }
        }
        let timestamp = match get("t") {
            Some(v) => Some(number(v).ok_or_else(|| DkimError::Syntax("invalid t=".into()))?),
            None => None,
        };
        let expiration = match get("x") {
            Some(v) => Some(number(v).ok_or_else(|| DkimError::Syntax("invalid x=".into()))?),
            None => None,
        };
        if let (Some(t), Some(x)) = (timestamp, expiration) {
            if x <= t {
                return Err(DkimError::Syntax("x= not greater than t=".into()));
            }
        }
        let known = [
            "v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x", "z",
        ];
        let unknown = tags
            .iter()
            .filter(|t| !known.contains(&t.name))
            .map(|t| (t.name.to_string(), t.value.to_string()))
            .collect();
        Ok(DkimSignature {
            algorithm,
            signature,
            body_hash,
            header_canon,
            body_canon,
            domain,
            selector,
            headers,
            identity,
            length,
            query,
            timestamp,
            expiration,
            copied_headers: get("z").map(str::to_string),
            unknown,
        })
    }

    /// The DNS name of the key record: `<s>._domainkey.<d>`.
    pub fn key_name(&self) -> String {
        format!(
            "{}._domainkey.{}",
            self.selector,
            self.domain.trim_end_matches('.')
        )
        .to_ascii_lowercase()
    }

    /// The domain part of `i=` (or `d=`).
    pub fn identity_domain(&self) -> String {
        self.identity
            .as_deref()
            .and_then(|i| i.rsplit_once('@'))
            .map_or_else(|| self.domain.clone(), |(_, d)| d.to_string())
    }

    /// Encode as a field value, tags in the usual order, `b=` last. With
    /// `with_b == false` the `b=` value is left empty (the form that is signed).
    /// `h_sep` joins the `h=` names (`":"`, or `" : "` as dkimpy writes it).
    pub fn to_value(&self, with_b: bool, h_sep: &str) -> String {
        let mut tags: Vec<String> = vec![
            "v=1".into(),
            format!("a={}", self.algorithm),
            format!("c={}/{}", self.header_canon, self.body_canon),
            format!("d={}", self.domain),
        ];
        if let Some(i) = &self.identity {
            tags.push(format!("i={i}"));
        }
        if let Some(l) = self.length {
            tags.push(format!("l={l}"));
        }
        if let Some(q) = &self.query {
            tags.push(format!("q={q}"));
        }
        tags.push(format!("s={}", self.selector));
        if let Some(t) = self.timestamp {
            tags.push(format!("t={t}"));
        }
        if let Some(x) = self.expiration {
            tags.push(format!("x={x}"));
        }
        if let Some(z) = &self.copied_headers {
            tags.push(format!("z={z}"));
        }
        for (k, v) in &self.unknown {
            tags.push(format!("{k}={v}"));
        }
        tags.push(format!("h={}", self.headers.join(h_sep)));
        tags.push(format!("bh={}", STANDARD.encode(&self.body_hash)));
        if with_b {
            tags.push(format!("b={}", STANDARD.encode(&self.signature)));
        } else {
            tags.push("b=".into());
        }
        tags.join("; ")
    }
}

/// Fold a header field (`Name: value`) at spaces so lines stay within 78
/// characters where possible; long base64 runs are split anywhere (FWS is
/// allowed inside `b=` and `bh=`). CRLF-terminated.
pub fn fold_field(name: &str, value: &str) -> String {
    const WIDTH: usize = 78;
    let mut out = format!("{name}:");
    let mut line = out.len();
    for word in value.split(' ') {
        if line + 1 + word.len() > WIDTH && line > 1 {
            out.push_str("\r\n");
            line = 0;
        }
        out.push(' ');
        line += 1;
        let base64 = word.starts_with("b=") || word.starts_with("bh=");
        let mut w = word;
        // h= may be folded before any ':' (FWS is allowed around it).
        if word.starts_with("h=") && line + w.len() > WIDTH {
            while line + w.len() > WIDTH {
                let limit = WIDTH.saturating_sub(line);
                let cut = w
                    .char_indices()
                    .filter(|&(i, c)| c == ':' && i > 0 && i <= limit)
                    .map(|(i, _)| i)
                    .next_back();
                let Some(cut) = cut else { break };
                out.push_str(&w[..cut]);
                out.push_str("\r\n ");
                line = 1;
                w = &w[cut..];
            }
        }
        while base64 && line + w.len() > WIDTH {
            let mut take = WIDTH.saturating_sub(line).max(1).min(w.len());
            while !w.is_char_boundary(take) {
                take -= 1;
            }
            if take == 0 {
                break;
            }
            out.push_str(&w[..take]);
            out.push_str("\r\n ");
            line = 1;
            w = &w[take..];
        }
        out.push_str(w);
        line += w.len();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = concat!(
        " v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n",
        "        d=alumnos.uc3m.es; s=google; t=1732388101; x=1732992901; darn=lab.it.uc3m.es;\r\n",
        "        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject\r\n",
        "         :date:message-id:reply-to;\r\n",
        "        bh=0/2h3LjDputYqOqKE/27nd8OhcK6Ch+AnorM40arFis=;\r\n",
        "        b=FsWDuUYhUFpyjFlbxf1f+KQPFeBczjbzSgH8LGb7A9TSwjkvc6IOEEIo+UKjWaB0Sm\r\n",
        "         fcrHQQ8oceKOyY4jFqdtunGeRVL041zAEJQIHU0isEmJaRhZzippKTnCYAqJ78uQPVvo\r\n",
        "         9MzZU4vgqs/2/S2klhPVYFTgo2dU905vSZIWns4HFRdDpUslLOcFgL2TWLvZrwmF+53M\r\n",
        "         bBVXTlk7esPMLJwQgJz1dxggN6530nH+tI8axxVu9Hps9CoSfbPiFvz3Hen/EXj8Yr3/\r\n",
        "         bKa9qSTf6SKOaAmAWDdzPkrchTKa6fDWgTcG5us7KziMbCiqsA/55d1DANIlEemm4C9P\r\n",
        "         vgMA==\r\n"
    );

    #[test]
    fn seed_gmail_signature() {
        let s = DkimSignature::parse(SEED).unwrap();
        assert_eq!(s.algorithm, Algorithm::RsaSha256);
        assert_eq!(
            (s.header_canon, s.body_canon),
            (Canon::Relaxed, Canon::Relaxed)
        );
        assert_eq!(s.domain, "alumnos.uc3m.es");
        assert_eq!(s.key_name(), "google._domainkey.alumnos.uc3m.es");
        assert_eq!(s.headers.len(), 13);
        assert_eq!(s.headers[12], "reply-to");
        assert_eq!(
            (s.timestamp, s.expiration),
            (Some(1_732_388_101), Some(1_732_992_901))
        );
        assert_eq!(
            s.unknown,
            vec![("darn".to_string(), "lab.it.uc3m.es".to_string())]
        );
        assert_eq!(s.body_hash.len(), 32);
        assert_eq!(s.signature.len(), 256);
    }

    #[test]
    fn errors() {
        let ok = "v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA";
        assert!(DkimSignature::parse(ok).is_ok());
        assert_eq!(
            DkimSignature::parse(&ok.replace("v=1", "v=2")),
            Err(DkimError::IncompatibleVersion)
        );
        assert_eq!(
            DkimSignature::parse(&ok.replace("h=from", "h=to")),
            Err(DkimError::FromNotSigned)
        );
        assert_eq!(
            DkimSignature::parse(&ok.replace("bh=AAAA; ", "")),
            Err(DkimError::MissingTag("bh"))
        );
        assert_eq!(
            DkimSignature::parse(&format!("{ok}; i=@other.org")),
            Err(DkimError::DomainMismatch)
        );
        assert!(DkimSignature::parse(&format!("{ok}; i=x@sub.example.org")).is_ok());
        assert!(
            DkimSignature::parse(&ok.replace("d=example.org", "d=legitimate.com(.attacker.com"))
                .is_err()
        );
    }

    #[test]
    fn folding_keeps_lines_short() {
        let s = DkimSignature::parse(SEED).unwrap();
        let f = fold_field("DKIM-Signature", &s.to_value(true, ":"));
        assert!(f.lines().all(|l| l.len() <= 79), "{f}");
        let v = f.strip_prefix("DKIM-Signature:").unwrap();
        assert_eq!(DkimSignature::parse(v).unwrap(), s);
    }
}
