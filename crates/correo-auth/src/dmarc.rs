//! DMARC (RFC 7489, with the RFC 9989 / DMARCbis tags and DNS tree walk).
//!
//! [`DmarcRecord`] parses and encodes a `v=DMARC1` record. [`DmarcCheck`] is a
//! sans-IO evaluator: it discovers the policy with the RFC 9989 DNS tree walk
//! (`_dmarc.<author domain>`, then up the tree, jumping to 7 labels, stopping at
//! `psd=y`/`psd=n`), finds Organizational Domains the same way, checks
//! relaxed/strict alignment of the SPF and DKIM identities with the
//! RFC5322.From domain, and says which policy the domain owner asks for.
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
}

/// What the caller must do next.
#[derive(Debug)]
pub enum DmarcPoll<'a> {
    /// Answer these questions.
    Lookups(&'a [Lookup]),
    /// Done.
    Done(&'a DmarcOutcome),
}

/// Limits for the evaluator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOptions {
    /// DNS questions asked at most (the tree walks are at most 8 queries each).
    pub max_queries: usize,
}

impl Default for DmarcOptions {
    fn default() -> Self {
        DmarcOptions { max_queries: 64 }
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
        }
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

    fn evaluate(&mut self) {
        if self.outcome.is_some() {
            return;
        }
        if self.cache.len() > self.opts.max_queries {
            self.outcome = Some(Self::fail(
                DmarcResult::TempError,
                "too many DNS queries",
                "",
            ));
            return;
        }
        let mut froms: Vec<String> = self.input.from.iter().map(|d| norm(d)).collect();
        froms.sort();
        froms.dedup();
        let from = match froms.as_slice() {
            [] => {
                self.outcome = Some(Self::fail(DmarcResult::PermError, "no From domain", ""));
                return;
            }
            [one] => one.clone(),
            _ => {
                self.outcome = Some(Self::fail(
                    DmarcResult::None,
                    "From holds addresses in several domains",
                    "",
                ));
                return;
            }
        };
        if from.is_empty() || from.split('.').any(str::is_empty) {
            self.outcome = Some(Self::fail(
                DmarcResult::PermError,
                "invalid From domain",
                &from,
            ));
            return;
        }
        let walk = match self.walk(&from) {
            Walked::Need => return,
            Walked::TempError(e) => {
                self.outcome = Some(Self::fail(DmarcResult::TempError, &e, &from));
                return;
            }
            Walked::Done(w) => w,
        };
        let org = Self::org_of(&walk, &from);
        let found = walk
            .iter()
            .find(|(n, r)| *n == from && r.is_some())
            .or_else(|| walk.iter().find(|(n, r)| *n == org && r.is_some()))
            .or_else(|| {
                walk.iter()
                    .find(|(_, r)| r.as_ref().is_some_and(|r| r.psd == Psd::Yes))
            })
            .and_then(|(n, r)| r.clone().map(|r| (n.clone(), r)));
        let Some((record_domain, record)) = found else {
            let mut o = Self::fail(DmarcResult::None, "no DMARC record", &from);
            o.org_domain = Some(org);
            self.outcome = Some(o);
            return;
        };
        // Which policy.
        let mut policy = if record_domain == from {
            record.policy()
        } else if record.np.is_some() {
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
        if record.t {
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
            let other = if d == org {
                Some(org.clone())
            } else {
                match self.org_domain(&d) {
                    Ok(o) => o,
                    Err(e) => {
                        self.outcome = Some(Self::fail(DmarcResult::TempError, &e, &from));
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
        self.need.clear();
        let pass = spf_aligned || dkim_aligned.is_some();
        self.outcome = Some(DmarcOutcome {
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
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
