//! Authentication-Results header fields (RFC 8601): build and parse.
//!
//! ```
//! use correo_auth::authres::{AuthResults, MethodResult};
//!
//! let ar = AuthResults::new("mx.example.org")
//!     .with(MethodResult::new("spf", "pass").prop("smtp", "mailfrom", "alice@lab.it.uc3m.es"))
//!     .with(MethodResult::new("dkim", "fail").reason("body hash did not verify")
//!         .prop("header", "d", "example.com").prop("header", "s", "sel1"));
//! let value = ar.to_string();
//! assert_eq!(value, "mx.example.org; spf=pass smtp.mailfrom=alice@lab.it.uc3m.es; \
//!     dkim=fail reason=\"body hash did not verify\" header.d=example.com header.s=sel1");
//! assert_eq!(AuthResults::parse(&value).unwrap(), ar);
//! ```

use std::fmt;

use crate::dmarc::DmarcOutcome;
use crate::spf::SpfOutcome;

/// One `ptype.property=value` (e.g. `smtp.mailfrom=...`, `header.d=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// `smtp`, `header`, `body` or `policy`.
    pub ptype: String,
    /// The property name (`mailfrom`, `d`, `from`, ...).
    pub property: String,
    /// The value (unquoted).
    pub value: String,
}

/// One method's result (`resinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// The method (`spf`, `dkim`, `dmarc`, `arc`, ...), lower case.
    pub method: String,
    /// An optional method version (`dkim/1`).
    pub version: Option<u32>,
    /// The result keyword (`pass`, `fail`, ...), lower case.
    pub result: String,
    /// The `reason=` text.
    pub reason: Option<String>,
    /// Properties.
    pub props: Vec<Property>,
}

impl MethodResult {
    /// `method=result`.
    pub fn new(method: &str, result: &str) -> Self {
        MethodResult {
            method: method.to_ascii_lowercase(),
            version: None,
            result: result.to_ascii_lowercase(),
            reason: None,
            props: Vec::new(),
        }
    }

    /// Set the reason.
    pub fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_string());
        self
    }

    /// Add a property.
    pub fn prop(mut self, ptype: &str, property: &str, value: &str) -> Self {
        self.props.push(Property {
            ptype: ptype.to_ascii_lowercase(),
            property: property.to_string(),
            value: value.to_string(),
        });
        self
    }

    /// The first value of `ptype.property`.
    pub fn get(&self, ptype: &str, property: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|p| {
                p.ptype.eq_ignore_ascii_case(ptype) && p.property.eq_ignore_ascii_case(property)
            })
            .map(|p| p.value.as_str())
    }

    /// An `spf=` result for the MAIL FROM identity (`smtp.mailfrom`), or for
    /// HELO (`smtp.helo`) when `mail_from` is empty.
    pub fn spf(outcome: &SpfOutcome, mail_from: &str, helo: &str) -> Self {
        let m = MethodResult::new("spf", outcome.result.as_str());
        let m = match &outcome.reason {
            Some(r) => m.reason(r),
            None => m,
        };
        if mail_from.is_empty() {
            m.prop("smtp", "helo", helo)
        } else {
            m.prop("smtp", "mailfrom", mail_from)
        }
    }

    /// A `dmarc=` result with `header.from` and `policy.dmarc`.
    pub fn dmarc(outcome: &DmarcOutcome) -> Self {
        let mut m = MethodResult::new("dmarc", outcome.result.as_str());
        if let Some(r) = &outcome.reason {
            m = m.reason(r);
        }
        if !outcome.from_domain.is_empty() {
            m = m.prop("header", "from", &outcome.from_domain);
        }
        if let Some(p) = outcome.policy {
            m = m.prop("policy", "dmarc", p.as_str());
        }
        m
    }
}

/// An Authentication-Results field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// Who did the checks.
    pub authserv_id: String,
    /// The optional version after the authserv-id.
    pub version: Option<u32>,
    /// The results; empty encodes as `none`.
    pub results: Vec<MethodResult>,
}

/// A parse error with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Authentication-Results syntax error at byte {offset}: {reason}")]
pub struct AuthResultsError {
    /// Byte offset in the value.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

const MAX_RESULTS: usize = 256;

fn is_tspecial(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
    )
}

/// A pvalue may also be `[local-part] "@" domain` or a dot-atom.
fn is_bare_pvalue(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| {
            c > 0x20
                && c < 0x7f
                && (!is_tspecial(c) || c == b'@' || c == b'/' || c == b':' || c == b'=')
        })
        && !s.starts_with('=')
}

fn write_value(f: &mut fmt::Formatter<'_>, v: &str, bare_ok: bool) -> fmt::Result {
    if bare_ok {
        return f.write_str(v);
    }
    f.write_str("\"")?;
    for c in v.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl AuthResults {
    /// An empty set of results from `authserv_id`.
    pub fn new(authserv_id: &str) -> Self {
        AuthResults {
            authserv_id: authserv_id.to_string(),
            version: None,
            results: Vec::new(),
        }
    }

    /// Add a result.
    pub fn with(mut self, m: MethodResult) -> Self {
        self.results.push(m);
        self
    }

    /// The whole header field, folded before each `;` part when the line
    /// would pass 78 characters, CRLF-terminated.
    pub fn to_header(&self) -> String {
        let value = self.to_string();
        let mut out = String::from("Authentication-Results:");
        let mut line_len = out.len();
        for (i, piece) in split_outside_quotes(&value).into_iter().enumerate() {
            let piece = if i == 0 {
                piece.to_string()
            } else {
                format!(" {piece}")
            };
            let sep = if i == 0 { "" } else { ";" };
            out.push_str(sep);
            line_len += sep.len();
            if i > 0 && line_len + piece.len() > 78 {
                out.push_str("\r\n\t");
                out.push_str(piece.trim_start());
                line_len = 1 + piece.len();
            } else {
                if i == 0 {
                    out.push(' ');
                    line_len += 1;
                }
                out.push_str(&piece);
                line_len += piece.len();
            }
        }
        out.push_str("\r\n");
        out
    }

    /// Parse a field value (folding and comments allowed).
    pub fn parse(value: &str) -> Result<AuthResults, AuthResultsError> {
        let mut p = Parser {
            b: value.as_bytes(),
            i: 0,
        };
        p.cfws()?;
        let authserv_id = p.value()?;
        p.cfws()?;
        let mut version = None;
        if p.peek().is_some_and(|c| c.is_ascii_digit()) {
            version = Some(p.number()?);
            p.cfws()?;
        }
        let mut ar = AuthResults {
            authserv_id,
            version,
            results: Vec::new(),
        };
        let mut first = true;
        loop {
            p.cfws()?;
            match p.peek() {
                None => break,
                Some(b';') => p.i += 1,
                Some(_) => return Err(p.err("expected ';'")),
            }
            p.cfws()?;
            if p.peek().is_none() {
                break; // a trailing ';'
            }
            let start = p.i;
            let method = p.token()?.to_ascii_lowercase();
            p.cfws()?;
            if first && method == "none" && !matches!(p.peek(), Some(b'=' | b'/')) {
                p.cfws()?;
                if p.peek().is_some() {
                    return Err(p.err("text after 'none'"));
                }
                break;
            }
            first = false;
            let mut mversion = None;
            if p.peek() == Some(b'/') {
                p.i += 1;
                p.cfws()?;
                mversion = Some(p.number()?);
                p.cfws()?;
            }
            if p.peek() != Some(b'=') {
                p.i = start;
                return Err(p.err("expected method=result"));
            }
            p.i += 1;
            p.cfws()?;
            let result = p.token()?.to_ascii_lowercase();
            let mut m = MethodResult {
                method,
                version: mversion,
                result,
                reason: None,
                props: Vec::new(),
            };
            loop {
                p.cfws()?;
                match p.peek() {
                    None | Some(b';') => break,
                    _ => {}
                }
                let name = p.token()?;
                p.cfws()?;
                if name.eq_ignore_ascii_case("reason")
                    && p.peek() == Some(b'=')
                    && m.props.is_empty()
                    && m.reason.is_none()
                {
                    p.i += 1;
                    p.cfws()?;
                    m.reason = Some(p.value()?);
                    continue;
                }
                if p.peek() != Some(b'.') {
                    return Err(p.err("expected ptype.property"));
                }
                p.i += 1;
                p.cfws()?;
                let property = p.token()?;
                p.cfws()?;
                if p.peek() != Some(b'=') {
                    return Err(p.err("expected '=' after property"));
                }
                p.i += 1;
                p.cfws()?;
                let value = p.pvalue()?;
                m.props.push(Property {
                    ptype: name.to_ascii_lowercase(),
                    property,
                    value,
                });
            }
            if ar.results.len() >= MAX_RESULTS {
                return Err(p.err("too many results"));
            }
            ar.results.push(m);
        }
        Ok(ar)
    }
}

impl fmt::Display for AuthResults {
    /// The field value, unfolded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(
            f,
            &self.authserv_id,
            is_bare_pvalue(&self.authserv_id) && !self.authserv_id.contains(['@', '/', ':', '=']),
        )?;
        if let Some(v) = self.version {
            write!(f, " {v}")?;
        }
        if self.results.is_empty() {
            return f.write_str("; none");
        }
        for m in &self.results {
            write!(f, "; {}", m.method)?;
            if let Some(v) = m.version {
                write!(f, "/{v}")?;
            }
            write!(f, "={}", m.result)?;
            if let Some(r) = &m.reason {
                f.write_str(" reason=")?;
                write_value(f, r, false)?;
            }
            for p in &m.props {
                write!(f, " {}.{}=", p.ptype, p.property)?;
                write_value(f, &p.value, is_bare_pvalue(&p.value))?;
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> AuthResultsError {
        AuthResultsError {
            offset: self.i,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skip whitespace, folding and (nested) comments.
    fn cfws(&mut self) -> Result<(), AuthResultsError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'(') => {
                    let mut depth = 0usize;
                    loop {
                        match self.peek() {
                            None => return Err(self.err("unterminated comment")),
                            Some(b'\\') => self.i += 2,
                            Some(b'(') => {
                                depth += 1;
                                if depth > 64 {
                                    return Err(self.err("comments nested too deep"));
                                }
                                self.i += 1;
                            }
                            Some(b')') => {
                                depth -= 1;
                                self.i += 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            Some(_) => self.i += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn token(&mut self) -> Result<String, AuthResultsError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c <= 0x20 || c >= 0x7f || is_tspecial(c) || c == b'.' && start == self.i {
                break;
            }
            if c == b'.' {
                // a token may contain dots except where a ptype ends; stop
                // at '.' only when followed by a property and '='.
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return Err(self.err("expected a token"));
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.i]).into_owned())
    }

    fn number(&mut self) -> Result<u32, AuthResultsError> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.err("expected a number"))
    }

    fn quoted(&mut self) -> Result<String, AuthResultsError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated quoted string")),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let c = self
                        .b
                        .get(self.i + 1)
                        .copied()
                        .ok_or_else(|| self.err("backslash at end"))?;
                    out.push(c);
                    self.i += 2;
                }
                Some(b'\r' | b'\n') => self.i += 1,
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// `value` = token / quoted-string (dots allowed, as in domain names).
    fn value(&mut self) -> Result<String, AuthResultsError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        self.bare(false)
    }

    fn pvalue(&mut self) -> Result<String, AuthResultsError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        self.bare(true)
    }

    fn bare(&mut self, pvalue: bool) -> Result<String, AuthResultsError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let extra = c == b'.' || (pvalue && matches!(c, b'@' | b'/' | b':' | b'='));
            if c <= 0x20 || c >= 0x7f || (is_tspecial(c) && !extra) {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return Err(self.err("expected a value"));
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.i]).into_owned())
    }
}

/// Splits a field value at the `"; "` separators that are not inside a quoted string
/// (a reason may itself contain `"; "`, and folding there would change it).
fn split_outside_quotes(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut in_quote, mut escaped, mut start) = (false, false, 0usize);
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if escaped {
            escaped = false;
        } else if in_quote && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_quote = !in_quote;
        } else if !in_quote && b == b';' && bytes.get(i + 1) == Some(&b' ') {
            out.push(&value[start..i]);
            start = i + 2;
            i += 2;
            continue;
        }
        i += 1;
    }
    out.push(&value[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8601_examples() {
        let a = AuthResults::parse("example.com; none").unwrap();
        assert!(a.results.is_empty());
        assert_eq!(a.to_string(), "example.com; none");
        let a = AuthResults::parse("example.com;\r\n          spf=pass smtp.mailfrom=example.net")
            .unwrap();
        assert_eq!(a.results[0].get("smtp", "mailfrom"), Some("example.net"));
        let a = AuthResults::parse(
            "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n spf=pass smtp.mailfrom=example.net; sender-id=pass header.from=example.net",
        )
        .unwrap();
        assert_eq!(a.results.len(), 3);
        assert_eq!(a.results[0].get("smtp", "auth"), Some("sender@example.net"));
        assert_eq!(a.results[2].method, "sender-id");
        let a = AuthResults::parse(
            "mx.google.com;\r\n       dkim=pass header.i=@alumnos.uc3m.es header.s=google header.b=FsWDuUYh;\r\n       spf=pass (google.com: domain of x@alumnos.uc3m.es designates 209.85.220.41 as permitted sender) smtp.mailfrom=x@alumnos.uc3m.es;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=alumnos.uc3m.es",
        )
        .unwrap();
        assert_eq!(a.results[0].get("header", "i"), Some("@alumnos.uc3m.es"));
        assert_eq!(a.results[2].result, "pass");
        assert!(AuthResults::parse("example.com; spf").is_err());
        assert!(AuthResults::parse("example.com; spf=pass (x").is_err());
    }

    #[test]
    fn folding() {
        let mut ar = AuthResults::new("mx.example.org");
        for i in 0..4 {
            ar = ar.with(
                MethodResult::new("dkim", "pass")
                    .prop("header", "d", &format!("sub{i}.example.com"))
                    .prop("header", "s", "selector"),
            );
        }
        let h = ar.to_header();
        assert!(h.lines().all(|l| l.len() <= 78), "{h}");
        let value = h.strip_prefix("Authentication-Results:").unwrap();
        assert_eq!(AuthResults::parse(value).unwrap(), ar);
    }
}
