//! DMARC (RFC 7489, with the RFC 9989 / DMARCbis tags and DNS tree walk).
//!
//! [`DmarcRecord`] parses and encodes a `v=DMARC1` record. [`DmarcCheck`] is a
//! sans-IO evaluator: it discovers the policy, finds Organizational Domains,
//! checks relaxed/strict alignment of the SPF and DKIM identities with the
//! RFC5322.From domain, and says which policy the domain owner asks for.
//!
//! Two ways of finding Organizational Domains and policies, chosen with
//! [`DmarcOptions::org_domain`]:
//!
//! - [`OrgDomainMode::TreeWalk`] (the default): RFC 9989 (DMARCbis). The
//!   policy is discovered with the DNS tree walk (`_dmarc.<author domain>`,
//!   then up the tree, jumping to 7 labels, stopping at `psd=y`/`psd=n`), and
//!   Organizational Domains are found the same way. The `np`, `psd` and `t`
//!   tags apply; `pct` is not used.
//! - [`OrgDomainMode::PublicSuffixList`]: RFC 7489. The Organizational Domain
//!   is the Public Suffix List's public suffix plus one label
//!   ([`psl_organizational_domain`], no DNS); the policy is looked up at
//!   `_dmarc.<author domain>`, then at `_dmarc.<organizational domain>`. The
//!   `np` (RFC 9091), `psd` and `t` tags are not used; `pct` sampling is
//!   available with [`DmarcOutcome::sampled_policy`].
//!
//! ```
//! use correo_auth::dmarc::{DmarcCheck, DmarcInput, DmarcResult, Policy};
//! use correo_auth::spf::SpfResult;
//! use correo_auth::zone::Zone;
//!
//! let zone = Zone::parse("_dmarc.example.com. TXT \"v=DMARC1; p=reject\"").unwrap();
//! let input = DmarcInput::new("example.com").spf("bounce.example.com", SpfResult::Pass);
//! let out = DmarcCheck::new(input).run_with(|q| zone.answer(q));
//! assert_eq!(out.result, DmarcResult::Pass);
//! assert_eq!(out.policy, Some(Policy::Reject));
//! assert!(out.spf_aligned);
//! ```
//!
//! The same check with the RFC 7489 Public Suffix List mode, where
//! `mail.example.co.uk` and `example.co.uk` share an Organizational Domain:
//!
//! ```
//! use correo_auth::dmarc::{DmarcCheck, DmarcInput, DmarcOptions, DmarcResult, OrgDomainMode};
//! use correo_auth::spf::SpfResult;
//! use correo_auth::zone::Zone;
//!
//! let zone = Zone::parse("_dmarc.example.co.uk. TXT \"v=DMARC1; p=quarantine\"").unwrap();
//! let input = DmarcInput::new("example.co.uk").dkim("mail.example.co.uk", true);
//! let opts = DmarcOptions { org_domain: OrgDomainMode::PublicSuffixList, ..DmarcOptions::default() };
//! let out = DmarcCheck::with_options(input, opts).run_with(|q| zone.answer(q));
//! assert_eq!(out.result, DmarcResult::Pass);
//! assert_eq!(out.org_domain.as_deref(), Some("example.co.uk"));
//! ```
//!
//! # Public Suffix List data
//!
//! The list is the one compiled into the [`psl`](https://docs.rs/psl) crate
//! (MIT/Apache-2.0 code; the list itself is Mozilla's, under MPL-2.0), both
//! its ICANN and private sections, with the `*` default rule for unknown
//! top-level domains. Updating the list means updating that crate.

use std::collections::HashMap;
use std::fmt;

use crate::dns::{Answer, Lookup, QType, Record};
use crate::spf::SpfResult;

/// A requested handling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `none`: monitor only.
    None,
    /// `quarantine`: treat as suspicious.
    Quarantine,
    /// `reject`: reject.
    Reject,
}

impl Policy {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    fn parse(s: &str) -> Option<Policy> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier alignment mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Alignment {
    /// `r`: same Organizational Domain (the default).
    #[default]
    Relaxed,
    /// `s`: exactly the same domain.
    Strict,
}

/// The `psd` tag (RFC 9989).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Psd {
    /// `y`: this is a Public Suffix Domain's record.
    Yes,
    /// `n`: this is an Organizational Domain's record.
    No,
    /// `u`: unspecified (the default).
    Unknown,
}

/// A parsed DMARC record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcRecord {
    /// `p`: `None` when absent or invalid (evaluated as `none`).
    pub p: Option<Policy>,
    /// `sp`: subdomain policy (defaults to `p`).
    pub sp: Option<Policy>,
    /// `np`: non-existent subdomain policy (defaults to `sp`).
    pub np: Option<Policy>,
    /// `adkim`.
    pub adkim: Alignment,
    /// `aspf`.
    pub aspf: Alignment,
    /// `pct` (RFC 7489; 100 when absent).
    pub pct: u8,
    /// `rua` URIs.
    pub rua: Vec<String>,
    /// `ruf` URIs.
    pub ruf: Vec<String>,
    /// `fo` options (`0`, `1`, `d`, `s`), as written.
    pub fo: Vec<String>,
    /// `rf` report formats.
    pub rf: Vec<String>,
    /// `ri` report interval in seconds (86400 when absent).
    pub ri: u32,
    /// `t=y`: testing mode (RFC 9989).
    pub t: bool,
    /// `psd` (RFC 9989).
    pub psd: Psd,
    /// Tags this parser does not know, kept in order.
    pub unknown: Vec<(String, String)>,
}

impl Default for DmarcRecord {
    fn default() -> Self {
        DmarcRecord {
            p: None,
            sp: None,
            np: None,
            adkim: Alignment::Relaxed,
            aspf: Alignment::Relaxed,
            pct: 100,
            rua: Vec::new(),
            ruf: Vec::new(),
            fo: Vec::new(),
            rf: Vec::new(),
            ri: 86400,
            t: false,
            psd: Psd::Unknown,
            unknown: Vec::new(),
        }
    }
}

/// Why a TXT string is not a DMARC record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DmarcRecordError {
    /// It does not begin with `v=DMARC1`.
    #[error("not a DMARC record: it must begin with v=DMARC1")]
    NotDmarc,
    /// A tag is malformed.
    #[error("malformed DMARC tag at byte {offset}")]
    BadTag {
        /// Byte offset of the tag.
        offset: usize,
    },
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl DmarcRecord {
    /// Parse a TXT string (the character-strings already joined).
    ///
    /// Invalid values of known tags are ignored (the default applies); an
    /// invalid `p` leaves [`DmarcRecord::p`] as `None`, which is evaluated as
    /// `p=none` (RFC 7489 6.6.3).
    pub fn parse(txt: &[u8]) -> Result<DmarcRecord, DmarcRecordError> {
        let s = std::str::from_utf8(txt).map_err(|_| DmarcRecordError::NotDmarc)?;
        let mut rec = DmarcRecord::default();
        let mut offset = 0;
        let mut first = true;
        for part in s.split(';') {
            let here = offset;
            offset += part.len() + 1;
            let trimmed = part.trim_matches([' ', '\t', '\r', '\n']);
            if trimmed.is_empty() {
                if first {
                    return Err(DmarcRecordError::NotDmarc);
                }
                continue;
            }
            let Some((tag, value)) = trimmed.split_once('=') else {
                if first {
                    return Err(DmarcRecordError::NotDmarc);
                }
                return Err(DmarcRecordError::BadTag { offset: here });
            };
            let tag = tag.trim_matches([' ', '\t']);
            let value = value.trim_matches([' ', '\t']);
            if first {
                if tag != "v" || value != "DMARC1" {
                    return Err(DmarcRecordError::NotDmarc);
                }
                first = false;
                continue;
            }
            match tag.to_ascii_lowercase().as_str() {
                "p" => rec.p = Policy::parse(value),
                "sp" => rec.sp = Policy::parse(value),
                "np" => rec.np = Policy::parse(value),
                "adkim" | "aspf" => {
                    let a = match value.to_ascii_lowercase().as_str() {
                        "s" => Alignment::Strict,
                        _ => Alignment::Relaxed,
                    };
                    if tag.eq_ignore_ascii_case("adkim") {
                        rec.adkim = a;
                    } else {
                        rec.aspf = a;
                    }
                }
                "pct" => {
                    if let Ok(v) = value.parse::<u8>() {
                        rec.pct = v.min(100);
                    }
                }
                "rua" => rec.rua = split_list(value),
                "ruf" => rec.ruf = split_list(value),
                "fo" => {
                    rec.fo = value
                        .split(':')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                "rf" => rec.rf = split_list(value),
                "ri" => {
                    if let Ok(v) = value.parse::<u32>() {
                        rec.ri = v;
                    }
                }
                "t" => rec.t = value.eq_ignore_ascii_case("y"),
                "psd" => {
                    rec.psd = match value.to_ascii_lowercase().as_str() {
                        "y" => Psd::Yes,
                        "n" => Psd::No,
                        _ => Psd::Unknown,
                    };
                }
                _ => rec.unknown.push((tag.to_string(), value.to_string())),
            }
        }
        if first {
            return Err(DmarcRecordError::NotDmarc);
        }
        Ok(rec)
    }

    /// The `rua` destinations that parse as report URIs.
    pub fn rua_uris(&self) -> Vec<ReportUri> {
        self.rua
            .iter()
            .filter_map(|u| ReportUri::parse(u))
            .collect()
    }

    /// The `ruf` destinations that parse as report URIs.
    pub fn ruf_uris(&self) -> Vec<ReportUri> {
        self.ruf
            .iter()
            .filter_map(|u| ReportUri::parse(u))
            .collect()
    }

    /// The policy for the domain itself (`p`, `none` when absent or invalid).
    pub fn policy(&self) -> Policy {
        self.p.unwrap_or(Policy::None)
    }

    /// The policy for existing subdomains (`sp`, defaulting to `p`).
    pub fn subdomain_policy(&self) -> Policy {
        self.sp.unwrap_or_else(|| self.policy())
    }

    /// The policy for non-existent subdomains (`np`, defaulting to `sp`).
    pub fn nonexistent_policy(&self) -> Policy {
        self.np.unwrap_or_else(|| self.subdomain_policy())
    }
}

impl fmt::Display for DmarcRecord {
    /// Encodes the record; tags at their defaults are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=DMARC1")?;
        if let Some(p) = self.p {
            write!(f, "; p={p}")?;
        }
        if let Some(p) = self.sp {
            write!(f, "; sp={p}")?;
        }
        if let Some(p) = self.np {
            write!(f, "; np={p}")?;
        }
        if self.adkim == Alignment::Strict {
            f.write_str("; adkim=s")?;
        }
        if self.aspf == Alignment::Strict {
            f.write_str("; aspf=s")?;
        }
        if self.pct != 100 {
            write!(f, "; pct={}", self.pct)?;
        }
        if !self.rua.is_empty() {
            write!(f, "; rua={}", self.rua.join(","))?;
        }
        if !self.ruf.is_empty() {
            write!(f, "; ruf={}", self.ruf.join(","))?;
        }
        if !self.fo.is_empty() {
            write!(f, "; fo={}", self.fo.join(":"))?;
        }
        if !self.rf.is_empty() {
            write!(f, "; rf={}", self.rf.join(","))?;
        }
        if self.ri != 86400 {
            write!(f, "; ri={}", self.ri)?;
        }
        if self.t {
            f.write_str("; t=y")?;
        }
        match self.psd {
            Psd::Yes => f.write_str("; psd=y")?,
            Psd::No => f.write_str("; psd=n")?,
            Psd::Unknown => {}
        }
        for (k, v) in &self.unknown {
            write!(f, "; {k}={v}")?;
        }
        Ok(())
    }
}

/// A report destination from `rua`/`ruf` (RFC 7489 6.4 `dmarc-uri`, RFC 9990 /
/// RFC 9991 in DMARCbis): a URI with an optional size limit, `!10m`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportUri {
    /// The URI, e.g. `mailto:dmarc@example.com` (the `!size` suffix removed).
    pub uri: String,
    /// The maximum report size in bytes (`!50k` = 51200), when given.
    pub max_size: Option<u64>,
}

impl ReportUri {
    /// Parse one `dmarc-uri`: a URI with a scheme, then optionally `!` digits
    /// and a unit `k`, `m`, `g` or `t` (powers of 1024). `None` when there is
    /// no scheme, the size is malformed or overflows.
    pub fn parse(s: &str) -> Option<ReportUri> {
        let s = s.trim();
        let (uri, size) = match s.rsplit_once('!') {
            Some((u, sz)) => (u, Some(sz)),
            None => (s, None),
        };
        let (scheme, rest) = uri.split_once(':')?;
        let mut sb = scheme.bytes();
        if rest.is_empty()
            || !sb.next().is_some_and(|c| c.is_ascii_alphabetic())
            || !sb.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            return None;
        }
        let max_size = match size {
            None => None,
            Some(sz) => {
                let digits = sz.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let unit = &sz[digits.len()..];
                if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let n: u64 = digits.parse().ok()?;
                let shift = match unit.to_ascii_lowercase().as_str() {
                    "" => 0,
                    "k" => 10,
                    "m" => 20,
                    "g" => 30,
                    "t" => 40,
                    _ => return None,
                };
                Some(n.checked_mul(1u64 << shift)?)
            }
        };
        Some(ReportUri {
            uri: uri.to_string(),
            max_size,
        })
    }

    /// The host of a `mailto:` URI's address (lower case), if it is one.
    pub fn mailto_domain(&self) -> Option<String> {
        let (scheme, rest) = self.uri.split_once(':')?;
        if !scheme.eq_ignore_ascii_case("mailto") {
            return None;
        }
        let addr = rest.split(['?', ',']).next()?;
        let (_, host) = addr.rsplit_once('@')?;
        (!host.is_empty()).then(|| norm(host))
    }

    /// The question that verifies an external report destination (RFC 7489
    /// 7.1): `<policy domain>._report._dmarc.<destination host>` TXT, to be
    /// asked when the destination's Organizational Domain differs from the
    /// policy domain's. The destination accepts when the answer holds a TXT
    /// record for which [`ReportUri::accepts_external`] says so. `None` for a
    /// non-`mailto:` URI.
    pub fn external_lookup(&self, policy_domain: &str) -> Option<Lookup> {
        let host = self.mailto_domain()?;
        Some(Lookup::new(
            format!("{}._report._dmarc.{host}", norm(policy_domain)),
            QType::Txt,
        ))
    }

    /// True when an answer to [`ReportUri::external_lookup`] authorizes the
    /// destination: a TXT record beginning with `v=DMARC1`.
    pub fn accepts_external(answer: &Answer) -> bool {
        answer.records(QType::Txt).any(|r| match r {
            Record::Txt(t) => {
                let t = t.trim_ascii_start();
                t.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"v=DMARC1"))
                    && matches!(t.get(8), None | Some(b';' | b' ' | b'\t'))
            }
            _ => false,
        })
    }
}

impl fmt::Display for ReportUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)?;
        if let Some(n) = self.max_size {
            write!(f, "!{n}")?;
        }
        Ok(())
    }
}

/// A DKIM signature's outcome, as DMARC needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimIdentity {
    /// The signing domain (`d=`).
    pub domain: String,
    /// True when the signature verified.
    pub pass: bool,
}

/// What a DMARC evaluation is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcInput {
    /// The RFC5322.From domain(s) (one per From address).
    pub from: Vec<String>,
    /// The SPF-checked domain (MAIL FROM, or HELO for a null path) and its result.
    pub spf: Option<(String, SpfResult)>,
    /// The DKIM results.
    pub dkim: Vec<DkimIdentity>,
}

impl DmarcInput {
    /// Input for a message whose From domain is `from`.
    pub fn new(from: &str) -> Self {
        DmarcInput {
            from: vec![from.to_string()],
            spf: None,
            dkim: Vec::new(),
        }
    }

    /// Set the SPF identity and result.
    pub fn spf(mut self, domain: &str, result: SpfResult) -> Self {
        self.spf = Some((domain.to_string(), result));
        self
    }

    /// Add a DKIM result.
    pub fn dkim(mut self, domain: &str, pass: bool) -> Self {
        self.dkim.push(DkimIdentity {
            domain: domain.to_string(),
            pass,
        });
        self
    }
}

/// A DMARC result (RFC 8601 keywords).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DmarcResult {
    /// No policy found (or DMARC does not apply).
    None,
    /// An aligned identifier passed.
    Pass,
    /// No aligned identifier passed.
    Fail,
    /// A DNS error prevented evaluation.
    TempError,
    /// The evaluation could not be done (e.g. no From domain).
    PermError,
}

impl DmarcResult {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::None => "none",
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

impl fmt::Display for DmarcResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a DMARC evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOutcome {
    /// The result.
    pub result: DmarcResult,
    /// The policy the domain owner asks for (after `sp`/`np` and `t=y`);
    /// `None` when the result is `none`/`temperror`/`permerror`.
    pub policy: Option<Policy>,
    /// The From domain (lower case).
    pub from_domain: String,
    /// Its Organizational Domain.
    pub org_domain: Option<String>,
    /// Where the applied record was found (without `_dmarc.`).
    pub record_domain: Option<String>,
    /// The applied record.
    pub record: Option<DmarcRecord>,
    /// True when an SPF pass aligned.
    pub spf_aligned: bool,
    /// The `d=` of the first aligned passing DKIM signature.
    pub dkim_aligned: Option<String>,
    /// Why, for none/temperror/permerror.
    pub reason: Option<String>,
    /// The mode the evaluation ran in.
    pub mode: OrgDomainMode,
}

impl DmarcOutcome {
    /// RFC 7489 6.6.4 `pct` sampling, with the caller's random `roll` in
    /// `0..100` (the library has no randomness). When the record's `pct` is
    /// below 100 and `roll >= pct`, the message is not sampled and the next
    /// lower policy applies (`reject` -> `quarantine` -> `none`); otherwise
    /// [`DmarcOutcome::policy`]. Only the [`OrgDomainMode::PublicSuffixList`]
    /// (RFC 7489) mode samples: RFC 9989 dropped `pct` for `t=y`, which the
    /// tree-walk mode has already applied to [`DmarcOutcome::policy`].
    pub fn sampled_policy(&self, roll: u8) -> Option<Policy> {
        let policy = self.policy?;
        let pct = self.record.as_ref().map_or(100, |r| r.pct);
        if self.mode != OrgDomainMode::PublicSuffixList
            || self.result != DmarcResult::Fail
            || roll < pct
        {
            return Some(policy);
        }
        Some(match policy {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        })
    }
}

/// What the caller must do next.
#[derive(Debug)]
pub enum DmarcPoll<'a> {
    /// Answer these questions.
    Lookups(&'a [Lookup]),
    /// Done.
    Done(&'a DmarcOutcome),
}

/// How Organizational Domains (and so policy discovery and relaxed
/// alignment) are determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OrgDomainMode {
    /// RFC 9989 (DMARCbis): the DNS tree walk, with `psd`, `np` and `t`.
    #[default]
    TreeWalk,
    /// RFC 7489: the Public Suffix List ([`psl_organizational_domain`]);
    /// policy at the author domain, then at its Organizational Domain.
    PublicSuffixList,
}

/// Limits and mode for the evaluator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOptions {
    /// DNS questions asked at most (the tree walks are at most 8 queries each).
    pub max_queries: usize,
    /// How Organizational Domains are found (RFC 9989 tree walk by default).
    pub org_domain: OrgDomainMode,
}

impl Default for DmarcOptions {
    fn default() -> Self {
        DmarcOptions {
            max_queries: 64,
            org_domain: OrgDomainMode::TreeWalk,
        }
    }
}

/// The RFC 7489 section 3.2 Organizational Domain of `domain`, from the
/// Public Suffix List: the longest matching public suffix (wildcard and
/// exception rules applied, `*` for unknown top-level domains) plus one
/// label. A name that is itself a public suffix is its own Organizational
/// Domain. The name is lower-cased and a final dot dropped; no DNS is used.
///
/// ```
/// use correo_auth::dmarc::psl_organizational_domain as org;
/// assert_eq!(org("mail.example.co.uk"), "example.co.uk");
/// assert_eq!(org("Example.COM."), "example.com");
/// assert_eq!(org("a.b.c.www.ck"), "www.ck"); // !www.ck exception to *.ck
/// assert_eq!(org("a.b.c.foo.ck"), "c.foo.ck"); // *.ck wildcard
/// ```
pub fn psl_organizational_domain(domain: &str) -> String {
    let d = norm(domain);
    let len = psl::domain(d.as_bytes()).map_or(d.len(), |od| od.as_bytes().len());
    match d.get(d.len().saturating_sub(len)..) {
        Some(org) => org.to_string(),
        None => d,
    }
}

/// A sans-IO DMARC evaluation (policy discovery, alignment, policy).
#[derive(Debug)]
pub struct DmarcCheck {
    input: DmarcInput,
    opts: DmarcOptions,
    cache: HashMap<Lookup, Answer>,
    need: Vec<Lookup>,
    outcome: Option<DmarcOutcome>,
}

enum Discovered {
    Need,
    TempError(String),
    Done {
        org: String,
        found: Option<(String, DmarcRecord)>,
    },
}

enum Walked {
    Need,
    TempError(String),
    Done(Vec<(String, Option<DmarcRecord>)>),
}

fn label_count(d: &str) -> usize {
    d.split('.').count()
}

fn rightmost(d: &str, n: usize) -> String {
    let labels: Vec<&str> = d.split('.').collect();
    labels[labels.len().saturating_sub(n)..].join(".")
}

fn norm(d: &str) -> String {
    d.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Select the one DMARC record in a TXT answer (several valid ones: none).
fn select_record(a: &Answer) -> Option<DmarcRecord> {
    let recs: Vec<DmarcRecord> = a
        .records(QType::Txt)
        .filter_map(|r| match r {
            Record::Txt(t) => DmarcRecord::parse(t).ok(),
            _ => None,
        })
        .collect();
    if recs.len() == 1 {
        recs.into_iter().next()
    } else {
        None
    }
}

impl DmarcCheck {
    /// Start an evaluation.
    pub fn new(input: DmarcInput) -> Self {
        Self::with_options(input, DmarcOptions::default())
    }

    /// Start an evaluation with explicit limits.
    pub fn with_options(input: DmarcInput, opts: DmarcOptions) -> Self {
        let mut c = DmarcCheck {
            input,
            opts,
            cache: HashMap::new(),
            need: Vec::new(),
            outcome: None,
        };
        c.evaluate();
        c
    }

    /// What to do next.
    pub fn poll(&self) -> DmarcPoll<'_> {
        match &self.outcome {
            Some(o) => DmarcPoll::Done(o),
            None => DmarcPoll::Lookups(&self.need),
        }
    }

    /// Answer an outstanding question.
    pub fn answer(
        &mut self,
        lookup: &Lookup,
        answer: Answer,
    ) -> Result<(), crate::spf::UnexpectedAnswer> {
        let Some(pos) = self.need.iter().position(|l| l == lookup) else {
            return Err(crate::spf::UnexpectedAnswer(lookup.clone()));
        };
        self.need.remove(pos);
        self.cache.insert(lookup.clone(), answer);
        if self.need.is_empty() {
            self.evaluate();
        }
        Ok(())
    }

    /// Drive to the end with a synchronous resolver.
    pub fn run_with(mut self, mut resolve: impl FnMut(&Lookup) -> Answer) -> DmarcOutcome {
        loop {
            let l = match self.poll() {
                DmarcPoll::Done(o) => return o.clone(),
                DmarcPoll::Lookups(l) => l.first().cloned(),
            };
            let Some(l) = l else {
                return Self::fail(DmarcResult::TempError, "internal: nothing to ask", "");
            };
            let a = resolve(&l);
            let _ = self.answer(&l, a);
        }
    }

    fn fail(result: DmarcResult, why: &str, from: &str) -> DmarcOutcome {
        DmarcOutcome {
            result,
            policy: None,
            from_domain: from.to_string(),
            org_domain: None,
            record_domain: None,
            record: None,
            spf_aligned: false,
            dkim_aligned: None,
            reason: Some(why.to_string()),
            mode: OrgDomainMode::TreeWalk,
        }
    }

    fn set_outcome(&mut self, mut o: DmarcOutcome) {
        o.mode = self.opts.org_domain;
        self.need.clear();
        self.outcome = Some(o);
    }

    fn get(&mut self, l: Lookup) -> Option<&Answer> {
        if !self.cache.contains_key(&l) {
            if !self.need.contains(&l) {
                self.need.push(l);
            }
            return None;
        }
        self.cache.get(&l)
    }

    /// The RFC 9989 tree walk from `domain`.
    fn walk(&mut self, domain: &str) -> Walked {
        let mut out = Vec::new();
        let mut target = domain.to_string();
        loop {
            let l = Lookup::new(format!("_dmarc.{target}"), QType::Txt);
            let Some(a) = self.get(l) else {
                return Walked::Need;
            };
            if *a == Answer::TempFail {
                return Walked::TempError(format!("DNS error looking up _dmarc.{target}"));
            }
            let rec = select_record(a);
            let stop = rec.as_ref().is_some_and(|r| r.psd != Psd::Unknown);
            out.push((target.clone(), rec));
            let n = label_count(&target);
            if stop || n <= 1 {
                break;
            }
            target = if n >= 8 {
                rightmost(&target, 7)
            } else {
                rightmost(&target, n - 1)
            };
        }
        Walked::Done(out)
    }

    fn org_of(walk: &[(String, Option<DmarcRecord>)], start: &str) -> String {
        for (name, rec) in walk {
            match rec.as_ref().map(|r| r.psd) {
                Some(Psd::No) => return name.clone(),
                Some(Psd::Yes) => {
                    if name == start {
                        return start.to_string();
                    }
                    return rightmost(start, label_count(name) + 1);
                }
                _ => {}
            }
        }
        walk.iter()
            .filter(|(_, r)| r.is_some())
            .min_by_key(|(n, _)| label_count(n))
            .map_or_else(|| start.to_string(), |(n, _)| n.clone())
    }

    /// Organizational Domain of `domain`, or `Err(outcome-ish)`.
    fn org_domain(&mut self, domain: &str) -> Result<Option<String>, String> {
        match self.walk(domain) {
            Walked::Need => Ok(None),
            Walked::TempError(e) => Err(e),
            Walked::Done(w) => Ok(Some(Self::org_of(&w, domain))),
        }
    }

    /// RFC 9989 policy discovery: the tree walk from the author domain.
    fn discover_walk(&mut self, from: &str) -> Discovered {
        let walk = match self.walk(from) {
            Walked::Need => return Discovered::Need,
            Walked::TempError(e) => return Discovered::TempError(e),
            Walked::Done(w) => w,
        };
        let org = Self::org_of(&walk, from);
        let found = walk
            .iter()
            .find(|(n, r)| n == from && r.is_some())
            .or_else(|| walk.iter().find(|(n, r)| *n == org && r.is_some()))
            .or_else(|| {
                walk.iter()
                    .find(|(_, r)| r.as_ref().is_some_and(|r| r.psd == Psd::Yes))
            })
            .and_then(|(n, r)| r.clone().map(|r| (n.clone(), r)));
        Discovered::Done { org, found }
    }

    /// RFC 7489 6.6.3 policy discovery: the author domain, then its
    /// Organizational Domain from the Public Suffix List.
    fn discover_psl(&mut self, from: &str) -> Discovered {
        let org = psl_organizational_domain(from);
        let mut names = vec![from.to_string()];
        if org != from {
            names.push(org.clone());
        }
        for name in names {
            let Some(a) = self.get(Lookup::new(format!("_dmarc.{name}"), QType::Txt)) else {
                return Discovered::Need;
            };
            if *a == Answer::TempFail {
                return Discovered::TempError(format!("DNS error looking up _dmarc.{name}"));
            }
            if let Some(r) = select_record(a) {
                return Discovered::Done {
                    org,
                    found: Some((name, r)),
                };
            }
        }
        Discovered::Done { org, found: None }
    }

    /// The Organizational Domain of an SPF or DKIM identity, `Ok(None)` while
    /// waiting for DNS.
    fn org_of_identity(&mut self, d: &str) -> Result<Option<String>, String> {
        match self.opts.org_domain {
            OrgDomainMode::PublicSuffixList => Ok(Some(psl_organizational_domain(d))),
            OrgDomainMode::TreeWalk => self.org_domain(d),
        }
    }

    fn evaluate(&mut self) {
        if self.outcome.is_some() {
            return;
        }
        if self.cache.len() > self.opts.max_queries {
            self.set_outcome(Self::fail(
                DmarcResult::TempError,
                "too many DNS queries",
                "",
            ));
            return;
        }
        let bis = self.opts.org_domain == OrgDomainMode::TreeWalk;
        let mut froms: Vec<String> = self.input.from.iter().map(|d| norm(d)).collect();
        froms.sort();
        froms.dedup();
        let from = match froms.as_slice() {
            [] => {
                self.set_outcome(Self::fail(DmarcResult::PermError, "no From domain", ""));
                return;
            }
            [one] => one.clone(),
            _ => {
                self.set_outcome(Self::fail(
                    DmarcResult::None,
                    "From holds addresses in several domains",
                    "",
                ));
                return;
            }
        };
        if from.is_empty() || from.split('.').any(str::is_empty) {
            self.set_outcome(Self::fail(
                DmarcResult::PermError,
                "invalid From domain",
                &from,
            ));
            return;
        }
        let discovered = if bis {
            self.discover_walk(&from)
        } else {
            self.discover_psl(&from)
        };
        let (org, found) = match discovered {
            Discovered::Need => return,
            Discovered::TempError(e) => {
                self.set_outcome(Self::fail(DmarcResult::TempError, &e, &from));
                return;
            }
            Discovered::Done { org, found } => (org, found),
        };
        let Some((record_domain, record)) = found else {
            let mut o = Self::fail(DmarcResult::None, "no DMARC record", &from);
            o.org_domain = Some(org);
            self.set_outcome(o);
            return;
        };
        // Which policy.
        let mut policy = if record_domain == from {
            record.policy()
        } else if bis && record.np.is_some() {
            // np applies only if the From domain does not exist (RFC 9091).
            let mut nx = 0;
            let mut pending = false;
            for qt in [QType::A, QType::Aaaa, QType::Mx] {
                match self.get(Lookup::new(from.clone(), qt)) {
                    None => pending = true,
                    Some(Answer::NxDomain) => nx += 1,
                    Some(_) => {}
                }
            }
            if pending {
                return;
            }
            if nx == 3 {
                record.nonexistent_policy()
            } else {
                record.subdomain_policy()
            }
        } else {
            record.subdomain_policy()
        };
        if bis && record.t {
            policy = match policy {
                Policy::Reject => Policy::Quarantine,
                _ => Policy::None,
            };
        }
        // Alignment.
        let mut spf_aligned = false;
        let mut dkim_aligned = None;
        let mut candidates: Vec<(bool, String, Alignment)> = Vec::new();
        if let Some((d, SpfResult::Pass)) = &self.input.spf {
            candidates.push((true, norm(d), record.aspf));
        }
        for k in &self.input.dkim {
            if k.pass {
                candidates.push((false, norm(&k.domain), record.adkim));
            }
        }
        // Exact matches first (no DNS needed).
        for (is_spf, d, _) in &candidates {
            if *d == from {
                if *is_spf {
                    spf_aligned = true;
                } else if dkim_aligned.is_none() {
                    dkim_aligned = Some(d.clone());
                }
            }
        }
        let mut waiting = false;
        for (is_spf, d, mode) in candidates {
            if mode == Alignment::Strict || d == from {
                continue;
            }
            if (is_spf && spf_aligned) || (!is_spf && dkim_aligned.is_some()) {
                continue;
            }
            if d.is_empty() || d.split('.').any(str::is_empty) {
                continue;
            }
            let other = if d == org {
                Some(org.clone())
            } else {
                match self.org_of_identity(&d) {
                    Ok(o) => o,
                    Err(e) => {
                        self.set_outcome(Self::fail(DmarcResult::TempError, &e, &from));
                        return;
                    }
                }
            };
            match other {
                None => waiting = true,
                Some(o) if o == org => {
                    if is_spf {
                        spf_aligned = true;
                    } else {
                        dkim_aligned = Some(d);
                    }
                }
                Some(_) => {}
            }
        }
        if waiting && !spf_aligned && dkim_aligned.is_none() {
            return;
        }
        let pass = spf_aligned || dkim_aligned.is_some();
        self.set_outcome(DmarcOutcome {
            result: if pass {
                DmarcResult::Pass
            } else {
                DmarcResult::Fail
            },
            policy: Some(policy),
            from_domain: from,
            org_domain: Some(org),
            record_domain: Some(record_domain),
            record: Some(record),
            spf_aligned,
            dkim_aligned,
            reason: None,
            mode: self.opts.org_domain,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::Zone;

    fn psl_opts() -> DmarcOptions {
        DmarcOptions {
            org_domain: OrgDomainMode::PublicSuffixList,
            ..DmarcOptions::default()
        }
    }

    fn run(zone: &str, input: DmarcInput, opts: DmarcOptions) -> (DmarcOutcome, Vec<Lookup>) {
        let zone = Zone::parse(zone).unwrap();
        let mut asked = Vec::new();
        let out = DmarcCheck::with_options(input, opts).run_with(|q| {
            asked.push(q.clone());
            zone.answer(q)
        });
        (out, asked)
    }

    #[test]
    fn psl_org_domains() {
        let org = psl_organizational_domain;
        assert_eq!(org("mail.example.co.uk"), "example.co.uk");
        assert_eq!(org("example.co.uk"), "example.co.uk");
        assert_eq!(org("a.b.mail.example.com"), "example.com");
        assert_eq!(org("EXAMPLE.com."), "example.com");
        // A public suffix is its own Organizational Domain.
        assert_eq!(org("co.uk"), "co.uk");
        assert_eq!(org("com"), "com");
        // *.ck wildcard and the !www.ck exception.
        assert_eq!(org("x.foo.ck"), "x.foo.ck");
        assert_eq!(org("y.x.foo.ck"), "x.foo.ck");
        assert_eq!(org("www.ck"), "www.ck");
        assert_eq!(org("mail.www.ck"), "www.ck");
        // *.kawasaki.jp with the !city.kawasaki.jp exception.
        assert_eq!(org("a.b.kawasaki.jp"), "a.b.kawasaki.jp");
        assert_eq!(org("a.city.kawasaki.jp"), "city.kawasaki.jp");
        // Unknown top-level domain: the `*` default rule.
        assert_eq!(org("a.b.example.invalidtld"), "example.invalidtld");
        // Odd input never panics.
        for d in ["", ".", "..", "a..b", "\u{e9}.fr", "x.\u{e9}t\u{e9}.fr"] {
            let _ = org(d);
        }
    }

    #[test]
    fn psl_mode_relaxed_and_strict_alignment() {
        let zone = "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject\"\n\
                    _dmarc.strict.example. TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"";
        // Relaxed: a subdomain of the same Organizational Domain aligns.
        let (o, asked) = run(
            zone,
            DmarcInput::new("example.co.uk").dkim("mail.example.co.uk", true),
            psl_opts(),
        );
        assert_eq!(o.result, DmarcResult::Pass);
        assert_eq!(o.dkim_aligned.as_deref(), Some("mail.example.co.uk"));
        assert_eq!(o.mode, OrgDomainMode::PublicSuffixList);
        // No DNS beyond the policy record: the PSL is local.
        assert_eq!(asked, vec![Lookup::new("_dmarc.example.co.uk", QType::Txt)]);
        // Another registrant under the same public suffix does not align.
        let (o, _) = run(
            zone,
            DmarcInput::new("example.co.uk")
                .dkim("other.co.uk", true)
                .spf("co.uk", SpfResult::Pass),
            psl_opts(),
        );
        assert_eq!(o.result, DmarcResult::Fail);
        assert_eq!(o.policy, Some(Policy::Reject));
        // Strict: only the exact domain aligns.
        let (o, _) = run(
            zone,
            DmarcInput::new("strict.example")
                .dkim("mail.strict.example", true)
                .spf("bounce.strict.example", SpfResult::Pass),
            psl_opts(),
        );
        assert_eq!(o.result, DmarcResult::Fail);
        let (o, _) = run(
            zone,
            DmarcInput::new("strict.example").spf("STRICT.example.", SpfResult::Pass),
            psl_opts(),
        );
        assert_eq!(o.result, DmarcResult::Pass);
        assert!(o.spf_aligned);
        // The same relaxed case in tree-walk mode (org domain found by DNS).
        let (o, _) = run(
            zone,
            DmarcInput::new("example.co.uk").dkim("mail.example.co.uk", true),
            DmarcOptions::default(),
        );
        assert_eq!(o.result, DmarcResult::Pass);
    }

    #[test]
    fn psl_mode_policy_discovery() {
        let zone = "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine; np=none; t=y\"\n\
                    _dmarc.www.ck. TXT \"v=DMARC1; p=reject\"\n\
                    _dmarc.x.foo.ck. TXT \"v=DMARC1; p=quarantine\"\n\
                    _dmarc.bank. TXT \"v=DMARC1; p=reject; psd=y\"";
        // Subdomain: the record at the Organizational Domain, sp applies; the
        // DMARCbis np and t tags are not used in RFC 7489 mode.
        let (o, asked) = run(zone, DmarcInput::new("a.b.example.com"), psl_opts());
        assert_eq!(o.result, DmarcResult::Fail);
        assert_eq!(o.policy, Some(Policy::Quarantine));
        assert_eq!(o.record_domain.as_deref(), Some("example.com"));
        assert_eq!(
            asked,
            vec![
                Lookup::new("_dmarc.a.b.example.com", QType::Txt),
                Lookup::new("_dmarc.example.com", QType::Txt),
            ]
        );
        // The author domain itself: p, without t=y lowering it.
        let (o, _) = run(zone, DmarcInput::new("example.com"), psl_opts());
        assert_eq!(o.policy, Some(Policy::Reject));
        // Tree walk: t=y lowers reject to quarantine, sp -> none.
        let (o, _) = run(
            zone,
            DmarcInput::new("example.com"),
            DmarcOptions::default(),
        );
        assert_eq!(o.policy, Some(Policy::Quarantine));
        // Wildcard / exception rules pick the record.
        let (o, _) = run(zone, DmarcInput::new("mail.www.ck"), psl_opts());
        assert_eq!(o.record_domain.as_deref(), Some("www.ck"));
        assert_eq!(o.policy, Some(Policy::Reject));
        let (o, _) = run(zone, DmarcInput::new("y.x.foo.ck"), psl_opts());
        assert_eq!(o.record_domain.as_deref(), Some("x.foo.ck"));
        assert_eq!(o.policy, Some(Policy::Quarantine));
        // A PSD record is not consulted in RFC 7489 mode.
        let (o, _) = run(zone, DmarcInput::new("shop.example.bank"), psl_opts());
        assert_eq!(o.result, DmarcResult::None);
        assert_eq!(o.org_domain.as_deref(), Some("example.bank"));
        // A DNS failure is a temperror.
        let (o, _) = run(
            "_dmarc.t.example. TIMEOUT",
            DmarcInput::new("t.example"),
            psl_opts(),
        );
        assert_eq!(o.result, DmarcResult::TempError);
    }

    /// RFC 7489 Appendix B.1: identifier alignment examples, in both modes.
    #[test]
    fn rfc7489_appendix_b1_alignment() {
        for opts in [psl_opts(), DmarcOptions::default()] {
            for (aspf, adkim) in [("r", "r"), ("s", "s")] {
                let strict = aspf == "s";
                let zone = format!(
                    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf={aspf}; adkim={adkim}\"\n\
                     child.example.com. A 192.0.2.1"
                );
                let spf = |mail_from: &str, from: &str| {
                    run(
                        &zone,
                        DmarcInput::new(from).spf(mail_from, SpfResult::Pass),
                        opts.clone(),
                    )
                    .0
                    .result
                };
                let dkim = |d: &str, from: &str| {
                    run(&zone, DmarcInput::new(from).dkim(d, true), opts.clone())
                        .0
                        .result
                };
                let want = |aligned: bool| {
                    if aligned {
                        DmarcResult::Pass
                    } else {
                        DmarcResult::Fail
                    }
                };
                // B.1.1 SPF.
                assert_eq!(spf("example.com", "example.com"), DmarcResult::Pass);
                assert_eq!(spf("child.example.com", "example.com"), want(!strict));
                assert_eq!(spf("example.org", "example.com"), DmarcResult::Fail);
                // B.1.2 DKIM.
                assert_eq!(dkim("example.com", "example.com"), DmarcResult::Pass);
                assert_eq!(dkim("example.com", "child.example.com"), want(!strict));
                assert_eq!(dkim("sample.net", "example.com"), DmarcResult::Fail);
            }
        }
    }

    /// RFC 7489 Appendix B.2.4: subdomain policy, sampling and report URIs.
    #[test]
    fn rfc7489_appendix_b2_4() {
        let zone = "_dmarc.test.example.com. TXT \"v=DMARC1; p=quarantine; \
                    rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25\"";
        let (o, _) = run(zone, DmarcInput::new("test.example.com"), psl_opts());
        assert_eq!(o.result, DmarcResult::Fail);
        assert_eq!(o.policy, Some(Policy::Quarantine));
        let rec = o.record.clone().unwrap();
        assert_eq!(rec.pct, 25);
        // pct=25: rolls 0..25 are sampled, the rest get the next lower policy.
        assert_eq!(o.sampled_policy(0), Some(Policy::Quarantine));
        assert_eq!(o.sampled_policy(24), Some(Policy::Quarantine));
        assert_eq!(o.sampled_policy(25), Some(Policy::None));
        assert_eq!(o.sampled_policy(99), Some(Policy::None));
        let rua = rec.rua_uris();
        assert_eq!(
            rua,
            vec![
                ReportUri {
                    uri: "mailto:dmarc-feedback@example.com".into(),
                    max_size: None
                },
                ReportUri {
                    uri: "mailto:tld-test@thirdparty.example.net".into(),
                    max_size: Some(10 << 20)
                },
            ]
        );
        assert_eq!(
            rua[1].external_lookup("test.example.com"),
            Some(Lookup::new(
                "test.example.com._report._dmarc.thirdparty.example.net",
                QType::Txt
            ))
        );
        assert!(ReportUri::accepts_external(&Answer::Records(vec![
            Record::Txt(b"v=DMARC1".to_vec())
        ])));
        assert!(!ReportUri::accepts_external(&Answer::NxDomain));
        // Tree-walk mode ignores pct.
        let (o, _) = run(
            zone,
            DmarcInput::new("test.example.com"),
            DmarcOptions::default(),
        );
        assert_eq!(o.sampled_policy(99), Some(Policy::Quarantine));
    }

    #[test]
    fn report_uris() {
        let p = ReportUri::parse;
        assert_eq!(p("mailto:a@b.example!50k").unwrap().max_size, Some(51_200));
        assert_eq!(p("https://r.example/x!1").unwrap().max_size, Some(1));
        assert_eq!(p("mailto:a@b.example!2T").unwrap().max_size, Some(2 << 40));
        assert!(p("mailto:a@b.example!k").is_none());
        assert!(p("mailto:a@b.example!10q").is_none());
        assert!(p("mailto:a@b.example!99999999999999999999").is_none());
        assert!(p("a@b.example").is_none());
        assert!(p("1x:foo").is_none());
        let u = p("MAILTO:Reports@Example.COM?subject=x").unwrap();
        assert_eq!(u.mailto_domain().as_deref(), Some("example.com"));
        assert_eq!(u.to_string(), "MAILTO:Reports@Example.COM?subject=x");
        assert_eq!(
            p("mailto:a@b.example!10m").unwrap().to_string(),
            "mailto:a@b.example!10485760"
        );
        assert!(
            p("https://r.example/")
                .unwrap()
                .external_lookup("x.example")
                .is_none()
        );
    }

    #[test]
    fn parse_record() {
        let r = DmarcRecord::parse(
            b"v=DMARC1 ;  p = quarantine ; sp=reject; adkim=s; pct=50; rua=mailto:a@x.example,mailto:b@x.example; fo=1:d; unknown=tag ;",
        )
        .unwrap();
        assert_eq!(r.p, Some(Policy::Quarantine));
        assert_eq!(r.sp, Some(Policy::Reject));
        assert_eq!(r.adkim, Alignment::Strict);
        assert_eq!(r.pct, 50);
        assert_eq!(r.rua.len(), 2);
        assert_eq!(r.fo, vec!["1", "d"]);
        assert_eq!(r.unknown, vec![("unknown".to_string(), "tag".to_string())]);
        assert_eq!(
            DmarcRecord::parse(b"p=reject; v=DMARC1"),
            Err(DmarcRecordError::NotDmarc)
        );
        assert_eq!(
            DmarcRecord::parse(b"v=DMARC2; p=reject"),
            Err(DmarcRecordError::NotDmarc)
        );
        assert!(DmarcRecord::parse(b"v=DMARC1; p").is_err());
        assert_eq!(
            DmarcRecord::parse(b"v=DMARC1; p=bogus").unwrap().policy(),
            Policy::None
        );
    }
}
