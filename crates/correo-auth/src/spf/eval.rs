//! The sans-IO `check_host()` evaluator (RFC 7208 sections 4 and 5).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::macros::{MacroContext, MacroString, nibbles};
use super::record::{
    DirK, MechK, Qualifier, Span, SpfRecord, SpfSyntaxError, TermK, check_record_bytes, is_spf1,
    scan_terms,
};
use crate::dns::{Answer, Lookup, QType, Record};

/// The result of an SPF check (RFC 7208 section 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpfResult {
    /// No policy published (or no usable domain).
    None,
    /// The policy makes no statement.
    Neutral,
    /// The client is authorized.
    Pass,
    /// The client is not authorized.
    Fail,
    /// Probably not authorized.
    SoftFail,
    /// A transient (DNS) error.
    TempError,
    /// The published policy could not be interpreted.
    PermError,
}

impl SpfResult {
    /// The RFC keyword (`pass`, `fail`, `softfail`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }

    fn from_qualifier(q: Qualifier) -> SpfResult {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The mechanism that decided the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfMatch {
    /// The domain whose record holds the mechanism.
    pub domain: String,
    /// The directive's text, e.g. `ip4:163.117.0.0/16` or `~all`.
    pub mechanism: String,
}

/// The outcome of an SPF check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutcome {
    /// The result.
    pub result: SpfResult,
    /// The explanation, for `fail` (from `exp=`, or the default explanation).
    pub explanation: Option<String>,
    /// The innermost mechanism that matched, if one did.
    pub matched: Option<SpfMatch>,
    /// Why, for `none`, `temperror` and `permerror` (e.g. the syntax error and offset).
    pub reason: Option<String>,
    /// The domain checked.
    pub domain: String,
    /// Terms that caused DNS lookups (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`).
    pub dns_terms: u32,
    /// Lookups that returned no data or NXDOMAIN.
    pub void_lookups: u32,
    /// DNS questions asked in all.
    pub queries: u32,
}

/// Limits and receiver-side settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOptions {
    /// Terms causing DNS lookups, at most (RFC: 10).
    pub max_dns_terms: u32,
    /// Void lookups, at most (RFC: 2).
    pub max_void_lookups: u32,
    /// Address records looked up per `mx` mechanism, at most (RFC: 10).
    pub max_mx_names: usize,
    /// PTR names considered per `ptr` mechanism or `%{p}`, at most (RFC: 10).
    pub max_ptr_names: usize,
    /// The receiving domain, `%{r}`.
    pub receiver: String,
    /// The current time (Unix seconds), `%{t}`.
    pub now: u64,
    /// The explanation for a `fail` when the record has no usable `exp=`.
    pub default_explanation: String,
    /// Longest explanation kept, in bytes.
    pub max_explanation: usize,
}

impl Default for SpfOptions {
    fn default() -> Self {
        SpfOptions {
            max_dns_terms: 10,
            max_void_lookups: 2,
            max_mx_names: 10,
            max_ptr_names: 10,
            receiver: "unknown".to_string(),
            now: 0,
            default_explanation: "SPF fail - not authorized".to_string(),
            max_explanation: 1024,
        }
    }
}

/// What the caller must do next.
#[derive(Debug)]
pub enum SpfPoll<'a> {
    /// Answer these questions (in any order, with [`SpfCheck::answer`]).
    Lookups(&'a [Lookup]),
    /// The check is complete.
    Done(&'a SpfOutcome),
}

/// An answer that does not match an outstanding question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no outstanding question {0}")]
pub struct UnexpectedAnswer(pub Lookup);

/// A parsed SPF record, ready to evaluate: the record text and its validated
/// terms, with no per-term allocation.
///
/// [`SpfCheck`] parses the TXT answers it is given into this form. A caller
/// that keeps a cache of records can keep them parsed instead and answer
/// record questions with [`SpfCheck::answer_policy`], so that a policy is
/// parsed once, not on every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfPolicy {
    text: Box<str>,
    terms: Vec<TermK>,
    redirect: Option<Span>,
    exp: Option<Span>,
}

impl SpfPolicy {
    /// Parse a record (`v=spf1 ...`). Errors are those of [`SpfRecord::parse`].
    pub fn parse(txt: &[u8]) -> Result<SpfPolicy, SpfSyntaxError> {
        Self::from_vec(txt.to_vec())
    }

    /// Parse a record, taking its bytes without copying them.
    pub fn from_vec(txt: Vec<u8>) -> Result<SpfPolicy, SpfSyntaxError> {
        check_record_bytes(&txt)?;
        // Printable US-ASCII throughout: valid UTF-8.
        let text = String::from_utf8(txt)
            .map_err(|_| SpfSyntaxError {
                offset: 0,
                reason: "not ASCII",
            })?
            .into_boxed_str();
        let mut terms = scan_terms(&text)?;
        let mut redirect = None;
        let mut exp = None;
        terms.retain(|t| match t {
            TermK::Dir(_) => true,
            TermK::Redirect(s) => {
                redirect = Some(*s);
                false
            }
            TermK::Exp(s) => {
                exp = Some(*s);
                false
            }
            TermK::Unknown { .. } => false,
        });
        Ok(SpfPolicy {
            text,
            terms,
            redirect,
            exp,
        })
    }

    /// The record text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The same record as an owned syntax tree.
    pub fn to_record(&self) -> SpfRecord {
        // The text was validated when this policy was made.
        SpfRecord::parse(self.text.as_bytes()).unwrap_or_default()
    }

    fn directive(&self, i: usize) -> Option<DirK> {
        match self.terms.get(i) {
            Some(TermK::Dir(d)) => Some(*d),
            _ => None,
        }
    }
}

/// The mechanism that matched, kept as a span of its record until the check
/// ends (only the final one becomes an [`SpfMatch`]). `domain` is filled in
/// when the record's frame is left.
#[derive(Debug)]
struct Hit {
    policy: Arc<SpfPolicy>,
    text: Span,
    domain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Top,
    Include,
    Redirect,
}

#[derive(Debug)]
struct Frame {
    domain: String,
    policy: Arc<SpfPolicy>,
    idx: usize,
}

#[derive(Debug)]
enum Wait {
    Nothing,
    Record { via: Via },
    Addr { cidr4: u8, cidr6: u8 },
    Exists,
    Mx { cidr4: u8, cidr6: u8 },
    MxAddrs { cidr4: u8, cidr6: u8 },
    Ptr { target: String },
    PtrAddrs { target: String },
    PName,
    PNameAddrs,
    ExpTxt,
}

#[derive(Debug)]
enum Phase {
    Eval,
    /// Final `fail` with an `exp=` to fetch.
    Explain {
        domain: String,
        policy: Arc<SpfPolicy>,
        text: Option<MacroString>,
    },
}

/// The questions of one step. `qs[..open]` are still unanswered (what
/// [`SpfCheck::poll`] shows); `ord[k]` is the position `qs[k]` was asked in;
/// `ans[k]` answers `qs[k]` once it is answered. The buffers are reused from
/// step to step.
#[derive(Debug, Default)]
struct Batch {
    qs: Vec<Lookup>,
    ans: Vec<Answer>,
    ord: Vec<usize>,
    open: usize,
}

impl Batch {
    fn set(&mut self, lookups: impl IntoIterator<Item = Lookup>) {
        self.clear();
        for (k, l) in lookups.into_iter().enumerate() {
            self.qs.push(l);
            self.ans.push(Answer::TempFail);
            self.ord.push(k);
        }
        self.open = self.qs.len();
    }

    fn clear(&mut self) {
        self.qs.clear();
        self.ans.clear();
        self.ord.clear();
        self.open = 0;
    }

    fn unanswered(&self) -> &[Lookup] {
        self.qs.get(..self.open).unwrap_or_default()
    }

    /// Record the answer to the unanswered question at `pos`.
    fn answer_at(&mut self, pos: usize, answer: Answer) {
        if pos >= self.open {
            return;
        }
        let last = self.open - 1;
        self.qs.swap(pos, last);
        self.ans.swap(pos, last);
        self.ord.swap(pos, last);
        if let Some(slot) = self.ans.get_mut(last) {
            *slot = answer;
        }
        self.open = last;
    }

    /// Take the questions and answers out, in the order asked.
    fn take(&mut self) -> (Vec<Lookup>, Vec<Answer>) {
        let mut qs = std::mem::take(&mut self.qs);
        let mut ans = std::mem::take(&mut self.ans);
        if qs.len() > 1 {
            let mut rows: Vec<(usize, Lookup, Answer)> = self
                .ord
                .iter()
                .copied()
                .zip(qs.drain(..))
                .zip(ans.drain(..))
                .map(|((o, q), a)| (o, q, a))
                .collect();
            rows.sort_by_key(|r| r.0);
            for (_, q, a) in rows {
                qs.push(q);
                ans.push(a);
            }
        }
        self.ord.clear();
        self.open = 0;
        (qs, ans)
    }

    /// Give emptied buffers back for the next step, if none is in use.
    fn recycle(&mut self, mut qs: Vec<Lookup>, mut ans: Vec<Answer>) {
        if self.qs.is_empty() && self.qs.capacity() == 0 {
            qs.clear();
            ans.clear();
            self.qs = qs;
            self.ans = ans;
        }
    }
}

/// A sans-IO `check_host()` run.
///
/// Create it with [`SpfCheck::new`], then loop: [`SpfCheck::poll`] tells
/// which DNS questions are outstanding; answer each with
/// [`SpfCheck::answer`]; stop at [`SpfPoll::Done`].
#[derive(Debug)]
pub struct SpfCheck {
    ip: IpAddr,
    local: String,
    sender_domain: String,
    helo: String,
    opts: SpfOptions,
    stack: Vec<Frame>,
    phase: Phase,
    wait: Wait,
    batch: Batch,
    /// Validated names for `%{p}` (resolved once, on demand).
    pnames: Option<Vec<String>>,
    matched: Option<Hit>,
    outcome: Option<SpfOutcome>,
    top_domain: String,
    dns_terms: u32,
    void_lookups: u32,
    queries: u32,
}

/// RFC 7208 4.3: a usable domain is a multi-label name with labels of 1-63
/// octets (a final empty label allowed) and is not a literal.
fn is_valid_domain(d: &str) -> bool {
    let d = d.as_bytes();
    let d = d.strip_suffix(b".").unwrap_or(d);
    if d.is_empty() || d.len() > 253 || d.first() == Some(&b'[') {
        return false;
    }
    let mut labels = 0;
    for l in d.split(|&c| c == b'.') {
        if l.is_empty() || l.len() > 63 {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

/// Shorten an expanded name to 253 octets by dropping labels on the left (RFC 7208 7.3).
fn truncate_name(mut s: String) -> String {
    if s.ends_with('.') {
        s.pop();
    }
    while s.len() > 253 {
        match memchr::memchr(b'.', s.as_bytes()) {
            Some(k) => {
                s.drain(..=k);
            }
            None => break,
        }
    }
    s
}

fn in_net4(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let p = u32::from(prefix.min(32));
    if p == 0 {
        return true;
    }
    let mask = u32::MAX << (32 - p);
    (u32::from(ip) & mask) == (u32::from(net) & mask)
}

fn in_net6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let p = u32::from(prefix.min(128));
    if p == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - p);
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

/// The reverse-mapping name of an address (`...in-addr.arpa` / `...ip6.arpa`).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => format!("{}.ip6.arpa", nibbles(&v6.octets(), true, false)),
    }
}

fn name_eq(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// `name` equals `target` or is a subdomain of it (case-insensitive).
fn name_within(name: &str, target: &str) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let t = target.trim_end_matches('.').to_ascii_lowercase();
    n == t || n.ends_with(&format!(".{t}"))
}

impl SpfCheck {
    /// Start `check_host(ip, domain, sender)` (RFC 7208 section 4).
    ///
    /// `sender` is the MAIL FROM address (empty for a null reverse-path: then
    /// `postmaster@<helo>` is used); a missing local-part becomes `postmaster`.
    pub fn new(ip: IpAddr, domain: &str, sender: &str, helo: &str, opts: SpfOptions) -> Self {
        let ip = ip.to_canonical();
        let (local, sdomain) = if sender.is_empty() {
            (String::new(), helo.to_string())
        } else {
            match sender.rsplit_once('@') {
                Some((l, d)) => (l.to_string(), d.to_string()),
                None => (String::new(), sender.to_string()),
            }
        };
        let local = if local.is_empty() {
            "postmaster".to_string()
        } else {
            local
        };
        let mut c = SpfCheck {
            ip,
            local,
            sender_domain: sdomain,
            helo: helo.to_string(),
            opts,
            stack: Vec::with_capacity(4),
            phase: Phase::Eval,
            wait: Wait::Nothing,
            batch: Batch::default(),
            pnames: None,
            matched: None,
            outcome: None,
            top_domain: domain.to_string(),
            dns_terms: 0,
            void_lookups: 0,
            queries: 0,
        };
        if is_valid_domain(domain) {
            c.fetch_record(domain.trim_end_matches('.').to_string(), Via::Top);
        } else {
            c.finish(
                SpfResult::None,
                Some("domain is not a valid multi-label name".into()),
            );
        }
        c.run();
        c
    }

    /// Check the MAIL FROM identity: the domain is the sender's (or the HELO
    /// name's when the reverse-path is null).
    pub fn mail_from(ip: IpAddr, sender: &str, helo: &str, opts: SpfOptions) -> Self {
        let domain = if sender.is_empty() {
            helo
        } else {
            sender.rsplit_once('@').map_or(sender, |(_, d)| d)
        };
        Self::new(ip, domain, sender, helo, opts)
    }

    /// Check the HELO identity (`postmaster@<helo>`).
    pub fn helo(ip: IpAddr, helo: &str, opts: SpfOptions) -> Self {
        Self::new(ip, helo, "", helo, opts)
    }

    /// What to do next.
    pub fn poll(&self) -> SpfPoll<'_> {
        match &self.outcome {
            Some(o) => SpfPoll::Done(o),
            None => SpfPoll::Lookups(self.batch.unanswered()),
        }
    }

    /// The outcome, once done.
    pub fn outcome(&self) -> Option<&SpfOutcome> {
        self.outcome.as_ref()
    }

    /// The outcome, once done, taken out of the check.
    pub fn into_outcome(self) -> Option<SpfOutcome> {
        self.outcome
    }

    /// Answer an outstanding question.
    pub fn answer(&mut self, lookup: &Lookup, answer: Answer) -> Result<(), UnexpectedAnswer> {
        let Some(pos) = self.batch.unanswered().iter().position(|l| l == lookup) else {
            return Err(UnexpectedAnswer(lookup.clone()));
        };
        self.batch.answer_at(pos, answer);
        self.run();
        Ok(())
    }

    /// Answer an outstanding TXT question for an SPF record with a policy the
    /// caller parsed before (e.g. kept in its own cache): the same as
    /// answering with a TXT RRset holding that one SPF record, without
    /// parsing it again.
    pub fn answer_policy(
        &mut self,
        lookup: &Lookup,
        policy: Arc<SpfPolicy>,
    ) -> Result<(), UnexpectedAnswer> {
        let pos = self
            .batch
            .unanswered()
            .iter()
            .position(|l| l == lookup && l.qtype == QType::Txt);
        let Some(pos) = pos else {
            return Err(UnexpectedAnswer(lookup.clone()));
        };
        if let Wait::Record { via } = self.wait {
            let name = self
                .batch
                .qs
                .get_mut(pos)
                .map(|q| std::mem::take(&mut q.name))
                .unwrap_or_default();
            self.batch.clear();
            self.wait = Wait::Nothing;
            self.push_frame(name, via, policy);
            self.run();
        } else {
            let txt = Record::Txt(policy.as_str().as_bytes().to_vec());
            self.batch.answer_at(pos, Answer::Records(vec![txt]));
            self.run();
        }
        Ok(())
    }

    /// Drive the check to the end with a synchronous resolver.
    pub fn run_with(mut self, mut resolve: impl FnMut(&Lookup) -> Answer) -> SpfOutcome {
        loop {
            if let Some(o) = self.outcome.take() {
                return o;
            }
            let Some(q) = self.batch.unanswered().first() else {
                // Cannot happen: a running check always has a question out.
                return SpfOutcome {
                    result: SpfResult::TempError,
                    explanation: None,
                    matched: None,
                    reason: Some("internal: no question outstanding".into()),
                    domain: self.top_domain.clone(),
                    dns_terms: self.dns_terms,
                    void_lookups: self.void_lookups,
                    queries: self.queries,
                };
            };
            let a = resolve(q);
            self.batch.answer_at(0, a);
            self.run();
        }
    }

    fn ask(&mut self, lookups: impl IntoIterator<Item = Lookup>, wait: Wait) {
        self.batch.set(lookups);
        self.queries = self
            .queries
            .saturating_add(u32::try_from(self.batch.qs.len()).unwrap_or(u32::MAX));
        self.wait = wait;
    }

    fn ask1(&mut self, name: String, qtype: QType, wait: Wait) {
        self.ask(std::iter::once(Lookup { name, qtype }), wait);
    }

    fn finish(&mut self, result: SpfResult, reason: Option<String>) {
        let explanation =
            (result == SpfResult::Fail).then(|| self.opts.default_explanation.clone());
        self.finish_with(result, reason, explanation);
    }

    fn finish_with(
        &mut self,
        result: SpfResult,
        reason: Option<String>,
        explanation: Option<String>,
    ) {
        let matched = match result {
            SpfResult::Pass | SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                self.matched.take().map(|h| SpfMatch {
                    domain: h.domain.unwrap_or_default(),
                    mechanism: h.text.of(&h.policy.text).to_string(),
                })
            }
            _ => None,
        };
        self.batch.clear();
        self.outcome = Some(SpfOutcome {
            result,
            explanation,
            matched,
            reason,
            domain: std::mem::take(&mut self.top_domain),
            dns_terms: self.dns_terms,
            void_lookups: self.void_lookups,
            queries: self.queries,
        });
    }

    fn fetch_record(&mut self, domain: String, via: Via) {
        self.ask1(domain, QType::Txt, Wait::Record { via });
    }

    fn run(&mut self) {
        // Each iteration either asks a question, finishes, or moves a term on;
        // the number of terms is finite and lookups are limited, so this ends.
        loop {
            if self.outcome.is_some() || self.batch.open > 0 {
                return;
            }
            if !self.batch.qs.is_empty() {
                let (mut qs, mut answers) = self.batch.take();
                let wait = std::mem::replace(&mut self.wait, Wait::Nothing);
                self.on_answers(wait, &mut qs, &mut answers);
                self.batch.recycle(qs, answers);
                continue;
            }
            self.step();
        }
    }

    fn ctx_domain(&self) -> &str {
        match &self.phase {
            Phase::Explain { domain, .. } => domain,
            Phase::Eval => self
                .stack
                .last()
                .map_or(self.top_domain.as_str(), |f| f.domain.as_str()),
        }
    }

    fn validated_name(&self, domain: &str) -> Option<&str> {
        let names = self.pnames.as_ref()?;
        names
            .iter()
            .find(|n| name_eq(n, domain))
            .or_else(|| names.iter().find(|n| name_within(n, domain)))
            .or_else(|| names.first())
            .map(String::as_str)
    }

    fn expand(&self, m: &MacroString) -> String {
        let domain = self.ctx_domain();
        let ctx = MacroContext {
            local: &self.local,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            validated: self.validated_name(domain),
            receiver: &self.opts.receiver,
            now: self.opts.now,
        };
        m.expand(&ctx)
    }

    /// The name a domain-spec expands to (RFC 7208 7.3: shortened to 253
    /// octets). A spec without `%` is its own text: nothing is parsed.
    fn target(&self, spec: &str) -> String {
        if memchr::memchr(b'%', spec.as_bytes()).is_none() {
            return truncate_name(spec.to_string());
        }
        match MacroString::parse(spec, false) {
            Ok(m) => truncate_name(self.expand(&m)),
            // Validated when the record was parsed.
            Err(_) => String::new(),
        }
    }

    /// Start resolving `%{p}` if `spec` needs it. Returns true when a lookup was asked.
    fn need_pname(&mut self, spec: Option<&str>, explain: bool) -> bool {
        if self.pnames.is_some() {
            return false;
        }
        let Some(spec) = spec.filter(|s| memchr::memchr(b'%', s.as_bytes()).is_some()) else {
            return false;
        };
        if MacroString::parse(spec, explain).is_ok_and(|m| m.uses_ptr()) {
            self.ask1(reverse_name(self.ip), QType::Ptr, Wait::PName);
            return true;
        }
        false
    }

    fn count_term(&mut self) -> bool {
        self.dns_terms = self.dns_terms.saturating_add(1);
        if self.dns_terms > self.opts.max_dns_terms {
            let max = self.opts.max_dns_terms;
            self.finish(
                SpfResult::PermError,
                Some(format!("more than {max} DNS-querying terms")),
            );
            return false;
        }
        true
    }

    fn count_void(&mut self) -> bool {
        self.void_lookups = self.void_lookups.saturating_add(1);
        if self.void_lookups > self.opts.max_void_lookups {
            let max = self.opts.max_void_lookups;
            self.finish(
                SpfResult::PermError,
                Some(format!("more than {max} void lookups")),
            );
            return false;
        }
        true
    }

    fn addr_qtype(&self) -> QType {
        match self.ip {
            IpAddr::V4(_) => QType::A,
            IpAddr::V6(_) => QType::Aaaa,
        }
    }

    fn addr_matches(&self, records: &Answer, cidr4: u8, cidr6: u8) -> bool {
        match self.ip {
            IpAddr::V4(ip) => records.records(QType::A).any(|r| match r {
                Record::A(a) => in_net4(ip, *a, cidr4),
                _ => false,
            }),
            IpAddr::V6(ip) => records.records(QType::Aaaa).any(|r| match r {
                Record::Aaaa(a) => in_net6(ip, *a, cidr6),
                _ => false,
            }),
        }
    }

    fn addr_equal(&self, records: &Answer) -> bool {
        self.addr_matches(records, 32, 128)
    }

    fn step_explain(&mut self) {
        let Phase::Explain { policy, text, .. } = &self.phase else {
            return;
        };
        match text.clone() {
            None => {
                let policy = Arc::clone(policy);
                let spec = policy.exp.map_or("", |s| s.of(&policy.text));
                if self.need_pname(Some(spec), false) {
                    return;
                }
                let name = self.target(spec);
                if !is_valid_domain(&name) {
                    self.finish(SpfResult::Fail, None);
                    return;
                }
                self.ask1(name, QType::Txt, Wait::ExpTxt);
            }
            Some(t) => {
                if self.pnames.is_none() && t.uses_ptr() {
                    self.ask1(reverse_name(self.ip), QType::Ptr, Wait::PName);
                    return;
                }
                let mut s = self.expand(&t);
                if s.len() > self.opts.max_explanation {
                    let mut cut = self.opts.max_explanation;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    s.truncate(cut);
                }
                self.finish_with(SpfResult::Fail, None, Some(s));
            }
        }
    }

    fn step(&mut self) {
        if matches!(self.phase, Phase::Explain { .. }) {
            self.step_explain();
            return;
        }
        // Fast path: move over the ip4/ip6 terms that do not match, without
        // going round the machine's loop for each.
        let ip = self.ip;
        if let Some(f) = self.stack.last_mut() {
            while let Some(TermK::Dir(d)) = f.policy.terms.get(f.idx) {
                let hit = match (d.mech, ip) {
                    (MechK::Ip4 { addr, prefix }, IpAddr::V4(ip)) => {
                        in_net4(ip, addr, prefix.unwrap_or(32))
                    }
                    (MechK::Ip6 { addr, prefix }, IpAddr::V6(ip)) => {
                        in_net6(ip, addr, prefix.unwrap_or(128))
                    }
                    (MechK::Ip4 { .. }, IpAddr::V6(_)) | (MechK::Ip6 { .. }, IpAddr::V4(_)) => {
                        false
                    }
                    _ => break,
                };
                if hit {
                    break;
                }
                f.idx += 1;
            }
        }
        let Some(frame) = self.stack.last() else {
            self.finish(SpfResult::TempError, Some("internal: empty stack".into()));
            return;
        };
        let policy = Arc::clone(&frame.policy);
        let text: &str = &policy.text;
        let Some(d) = policy.directive(frame.idx) else {
            // No mechanism matched.
            if let Some(r) = policy.redirect {
                let spec = r.of(text);
                if self.need_pname(Some(spec), false) {
                    return;
                }
                if !self.count_term() {
                    return;
                }
                let target = self.target(spec);
                if !is_valid_domain(&target) {
                    self.finish(
                        SpfResult::PermError,
                        Some(format!("redirect target {target:?} is not a valid domain")),
                    );
                    return;
                }
                self.fetch_record(target, Via::Redirect);
            } else {
                self.frame_done(SpfResult::Neutral);
            }
            return;
        };
        let target_spec = match d.mech {
            MechK::Include(m) | MechK::Exists(m) => Some(m),
            MechK::A { domain, .. } | MechK::Mx { domain, .. } | MechK::Ptr(domain) => domain,
            _ => None,
        }
        .map(|sp| sp.of(text));
        match d.mech {
            MechK::All => {
                self.matched_directive(d);
                return;
            }
            MechK::Ip4 { addr, prefix } => {
                let hit =
                    matches!(self.ip, IpAddr::V4(ip) if in_net4(ip, addr, prefix.unwrap_or(32)));
                self.next_or_match(hit, d);
                return;
            }
            MechK::Ip6 { addr, prefix } => {
                let hit =
                    matches!(self.ip, IpAddr::V6(ip) if in_net6(ip, addr, prefix.unwrap_or(128)));
                self.next_or_match(hit, d);
                return;
            }
            _ => {}
        }
        if self.need_pname(target_spec, false) {
            return;
        }
        if !self.count_term() {
            return;
        }
        let target = match target_spec {
            Some(spec) => self.target(spec),
            None => self.ctx_domain().to_string(),
        };
        // A target that cannot be a DNS name is treated as a name that does not exist.
        if !is_valid_domain(&target) {
            if matches!(d.mech, MechK::Include(_)) {
                self.finish(
                    SpfResult::PermError,
                    Some(format!("include target {target:?} is not a valid domain")),
                );
                return;
            }
            if self.count_void() {
                self.next_or_match(false, d);
            }
            return;
        }
        match d.mech {
            MechK::Include(_) => self.fetch_record(target, Via::Include),
            MechK::A { cidr4, cidr6, .. } => {
                let qt = self.addr_qtype();
                self.ask1(
                    target,
                    qt,
                    Wait::Addr {
                        cidr4: cidr4.unwrap_or(32),
                        cidr6: cidr6.unwrap_or(128),
                    },
                );
            }
            MechK::Mx { cidr4, cidr6, .. } => {
                self.ask1(
                    target,
                    QType::Mx,
                    Wait::Mx {
                        cidr4: cidr4.unwrap_or(32),
                        cidr6: cidr6.unwrap_or(128),
                    },
                );
            }
            MechK::Ptr(_) => {
                self.ask1(reverse_name(self.ip), QType::Ptr, Wait::Ptr { target });
            }
            MechK::Exists(_) => self.ask1(target, QType::A, Wait::Exists),
            MechK::All | MechK::Ip4 { .. } | MechK::Ip6 { .. } => {}
        }
    }

    /// The current directive of the innermost frame.
    fn current_directive(&self) -> Option<DirK> {
        let f = self.stack.last()?;
        f.policy.directive(f.idx)
    }

    /// The current directive matched (`hit`) or not.
    fn advance(&mut self, hit: bool) {
        if let Some(d) = self.current_directive() {
            self.next_or_match(hit, d);
        }
    }

    fn next_or_match(&mut self, hit: bool, d: DirK) {
        if hit {
            self.matched_directive(d);
        } else if let Some(f) = self.stack.last_mut() {
            f.idx += 1;
        }
    }

    fn match_of(&self, d: DirK) -> Option<Hit> {
        let f = self.stack.last()?;
        Some(Hit {
            policy: Arc::clone(&f.policy),
            text: d.text,
            domain: None,
        })
    }

    fn matched_directive(&mut self, d: DirK) {
        self.matched = self.match_of(d);
        self.frame_done(SpfResult::from_qualifier(d.qualifier));
    }

    /// The current frame ended with `result` (pass/fail/softfail/neutral).
    /// In a parent evaluating an include, a `pass` is a match of the include
    /// (which ends the parent too); anything else moves the parent on.
    fn frame_done(&mut self, mut result: SpfResult) {
        loop {
            let Some(mut frame) = self.stack.pop() else {
                return;
            };
            // A match without a domain was made in this frame.
            if let Some(h) = self.matched.as_mut().filter(|h| h.domain.is_none()) {
                h.domain = Some(if self.stack.is_empty() && frame.policy.exp.is_some() {
                    frame.domain.clone()
                } else {
                    std::mem::take(&mut frame.domain)
                });
            }
            if self.stack.is_empty() {
                if result == SpfResult::Fail && frame.policy.exp.is_some() {
                    self.phase = Phase::Explain {
                        domain: frame.domain,
                        policy: frame.policy,
                        text: None,
                    };
                    return;
                }
                self.finish(result, None);
                return;
            }
            if result != SpfResult::Pass {
                self.matched = None;
                if let Some(f) = self.stack.last_mut() {
                    f.idx += 1;
                }
                return;
            }
            // The parent's include matched; report the innermost mechanism.
            let Some(d) = self.current_directive() else {
                return;
            };
            if self.matched.is_none() {
                self.matched = self.match_of(d);
            }
            result = SpfResult::from_qualifier(d.qualifier);
        }
    }

    fn on_answers(&mut self, wait: Wait, qs: &mut [Lookup], answers: &mut [Answer]) {
        match wait {
            Wait::Nothing => {}
            Wait::Record { via } => {
                let domain = qs
                    .first_mut()
                    .map(|l| std::mem::take(&mut l.name))
                    .unwrap_or_default();
                let a0 = answers
                    .first_mut()
                    .map_or(Answer::TempFail, |a| std::mem::replace(a, Answer::TempFail));
                self.on_record(domain, via, a0);
            }
            Wait::Addr { cidr4, cidr6 } => {
                let Some(a0) = answers.first() else { return };
                if *a0 == Answer::TempFail {
                    self.finish(SpfResult::TempError, Some(lookup_failed(qs)));
                    return;
                }
                if a0.is_void(self.addr_qtype()) && !self.count_void() {
                    return;
                }
                let hit = self.addr_matches(a0, cidr4, cidr6);
                self.advance(hit);
            }
            Wait::Exists => {
                let Some(a0) = answers.first() else { return };
                if *a0 == Answer::TempFail {
                    self.finish(SpfResult::TempError, Some(lookup_failed(qs)));
                    return;
                }
                let void = a0.is_void(QType::A);
                if void && !self.count_void() {
                    return;
                }
                self.advance(!void);
            }
            Wait::Mx { cidr4, cidr6 } => {
                let Some(a0) = answers.first() else { return };
                if *a0 == Answer::TempFail {
                    self.finish(SpfResult::TempError, Some(lookup_failed(qs)));
                    return;
                }
                if a0.is_void(QType::Mx) && !self.count_void() {
                    return;
                }
                let mut mx: Vec<(u16, &str)> = a0
                    .records(QType::Mx)
                    .filter_map(|r| match r {
                        Record::Mx {
                            preference,
                            exchange,
                        } => Some((*preference, exchange.as_str())),
                        _ => None,
                    })
                    .collect();
                if mx.len() > self.opts.max_mx_names {
                    let max = self.opts.max_mx_names;
                    self.finish(
                        SpfResult::PermError,
                        Some(format!("more than {max} MX names")),
                    );
                    return;
                }
                mx.sort_by_key(|m| m.0);
                let qt = self.addr_qtype();
                let lookups: Vec<Lookup> = mx
                    .into_iter()
                    .map(|(_, h)| h.trim_end_matches('.'))
                    .filter(|h| !h.is_empty())
                    .map(|h| Lookup::new(h, qt))
                    .collect();
                if lookups.is_empty() {
                    self.advance(false);
                    return;
                }
                self.ask(lookups, Wait::MxAddrs { cidr4, cidr6 });
            }
            Wait::MxAddrs { cidr4, cidr6 } => {
                let mut hit = false;
                for a in answers.iter() {
                    if *a == Answer::TempFail {
                        self.finish(SpfResult::TempError, Some(lookup_failed(qs)));
                        return;
                    }
                    if self.addr_matches(a, cidr4, cidr6) {
                        hit = true;
                        break;
                    }
                }
                self.advance(hit);
            }
            Wait::Ptr { target } => {
                let Some(a0) = answers.first() else { return };
                // A DNS error on the PTR lookup: the mechanism does not match (5.5).
                if a0.is_void(QType::Ptr) && *a0 != Answer::TempFail && !self.count_void() {
                    return;
                }
                let qt = self.addr_qtype();
                let lookups: Vec<Lookup> = ptr_names(a0, self.opts.max_ptr_names)
                    .filter(|n| name_within(n, &target))
                    .map(|n| Lookup::new(n, qt))
                    .collect();
                if lookups.is_empty() {
                    self.advance(false);
                    return;
                }
                self.ask(lookups, Wait::PtrAddrs { target });
            }
            Wait::PtrAddrs { target } => {
                let hit = qs
                    .iter()
                    .zip(answers.iter())
                    .any(|(n, a)| self.addr_equal(a) && name_within(&n.name, &target));
                self.advance(hit);
            }
            Wait::PName => {
                let Some(a0) = answers.first() else { return };
                let qt = self.addr_qtype();
                let lookups: Vec<Lookup> = ptr_names(a0, self.opts.max_ptr_names)
                    .map(|n| Lookup::new(n, qt))
                    .collect();
                if lookups.is_empty() {
                    self.pnames = Some(Vec::new());
                    return;
                }
                self.ask(lookups, Wait::PNameAddrs);
            }
            Wait::PNameAddrs => {
                let valid = qs
                    .iter()
                    .zip(answers.iter())
                    .filter(|(_, a)| self.addr_equal(a))
                    .map(|(n, _)| n.name.clone())
                    .collect();
                self.pnames = Some(valid);
            }
            Wait::ExpTxt => {
                let Some(a0) = answers.first() else { return };
                let mut txts = a0.records(QType::Txt).filter_map(|r| match r {
                    Record::Txt(t) => Some(t.as_slice()),
                    _ => None,
                });
                let text = match (txts.next(), txts.next()) {
                    (Some(one), None) => std::str::from_utf8(one)
                        .ok()
                        .filter(|s| s.is_ascii())
                        .and_then(|s| MacroString::parse(s, true).ok()),
                    _ => None,
                };
                match text {
                    Some(t) => {
                        if let Phase::Explain { text, .. } = &mut self.phase {
                            *text = Some(t);
                        }
                    }
                    None => self.finish(SpfResult::Fail, None),
                }
            }
        }
    }

    fn on_record(&mut self, domain: String, via: Via, a: Answer) {
        let records = match a {
            Answer::TempFail => {
                self.finish(
                    SpfResult::TempError,
                    Some(format!("DNS error looking up TXT for {domain}")),
                );
                return;
            }
            Answer::Records(r) => r,
            Answer::NoData | Answer::NxDomain => Vec::new(),
        };
        let mut spf = records.into_iter().filter_map(|r| match r {
            Record::Txt(t) if is_spf1(&t) => Some(t),
            _ => None,
        });
        let rec = match (spf.next(), spf.next()) {
            (None, _) => {
                let (result, what) = if via == Via::Top {
                    (SpfResult::None, "")
                } else {
                    (SpfResult::PermError, "target ")
                };
                self.finish(result, Some(format!("no SPF record at {what}{domain}")));
                return;
            }
            (Some(one), None) => one,
            (Some(_), Some(_)) => {
                self.finish(
                    SpfResult::PermError,
                    Some(format!("more than one SPF record at {domain}")),
                );
                return;
            }
        };
        match SpfPolicy::from_vec(rec) {
            Ok(p) => self.push_frame(domain, via, Arc::new(p)),
            Err(e) => self.finish(SpfResult::PermError, Some(format!("{domain}: {e}"))),
        }
    }

    fn push_frame(&mut self, domain: String, via: Via, policy: Arc<SpfPolicy>) {
        if via == Via::Redirect {
            self.stack.pop();
        }
        self.stack.push(Frame {
            domain,
            policy,
            idx: 0,
        });
    }
}

fn lookup_failed(qs: &[Lookup]) -> String {
    match qs.first() {
        Some(l) => format!("DNS error looking up {l}"),
        None => "DNS error".to_string(),
    }
}

fn ptr_names(a: &Answer, max: usize) -> impl Iterator<Item = &str> {
    a.records(QType::Ptr)
        .filter_map(|r| match r {
            Record::Ptr(p) => Some(p.trim_end_matches('.')),
            _ => None,
        })
        .filter(|p| !p.is_empty())
        .take(max)
}
