//! The sans-IO `check_host()` evaluator (RFC 7208 sections 4 and 5).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use super::macros::{MacroContext, MacroString, nibbles};
use super::record::{Directive, Mechanism, Modifier, Qualifier, SpfRecord, Term, is_spf1};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Top,
    Include,
    Redirect,
}

#[derive(Debug)]
struct Frame {
    domain: Rc<str>,
    directives: Rc<[Directive]>,
    redirect: Option<MacroString>,
    exp: Option<MacroString>,
    idx: usize,
}

#[derive(Debug)]
enum Wait {
    Nothing,
    Record { domain: String, via: Via },
    Addr { cidr4: u8, cidr6: u8 },
    Exists,
    Mx { cidr4: u8, cidr6: u8 },
    MxAddrs { cidr4: u8, cidr6: u8 },
    Ptr { target: String },
    PtrAddrs { target: String, names: Vec<String> },
    PName,
    PNameAddrs { names: Vec<String> },
    ExpTxt,
}

#[derive(Debug)]
enum Phase {
    Eval,
    /// Final `fail` with an `exp=` to fetch.
    Explain {
        domain: Rc<str>,
        spec: MacroString,
        text: Option<MacroString>,
    },
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
    pending: Vec<Lookup>,
    answers: Vec<Option<Answer>>,
    unanswered: Vec<Lookup>,
    /// Validated names for `%{p}` (resolved once, on demand).
    pnames: Option<Vec<String>>,
    matched: Option<SpfMatch>,
    outcome: Option<SpfOutcome>,
    top_domain: String,
    dns_terms: u32,
    void_lookups: u32,
    queries: u32,
}

/// RFC 7208 4.3: a usable domain is a multi-label name with labels of 1-63
/// octets (a final empty label allowed) and is not a literal.
fn is_valid_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.is_empty() || d.len() > 253 || d.starts_with('[') {
        return false;
    }
    let mut labels = 0;
    for l in d.split('.') {
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
        match s.find('.') {
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
        let sender = if sender.is_empty() {
            format!("postmaster@{helo}")
        } else {
            sender.to_string()
        };
        let (local, sdomain) = match sender.rsplit_once('@') {
            Some((l, d)) => (l.to_string(), d.to_string()),
            None => (String::new(), sender.clone()),
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
            stack: Vec::new(),
            phase: Phase::Eval,
            wait: Wait::Nothing,
            pending: Vec::new(),
            answers: Vec::new(),
            unanswered: Vec::new(),
            pnames: None,
            matched: None,
            outcome: None,
            top_domain: domain.to_string(),
            dns_terms: 0,
            void_lookups: 0,
            queries: 0,
        };
        if !is_valid_domain(domain) {
            c.finish(
                SpfResult::None,
                Some("domain is not a valid multi-label name".into()),
            );
        } else {
            c.fetch_record(domain.trim_end_matches('.').to_string(), Via::Top);
        }
        c.run();
        c
    }

    /// Check the MAIL FROM identity: the domain is the sender's (or the HELO
    /// name's when the reverse-path is null).
    pub fn mail_from(ip: IpAddr, sender: &str, helo: &str, opts: SpfOptions) -> Self {
        let domain = if sender.is_empty() {
            helo.to_string()
        } else {
            sender
                .rsplit_once('@')
                .map_or(sender, |(_, d)| d)
                .to_string()
        };
        Self::new(ip, &domain, sender, helo, opts)
    }

    /// Check the HELO identity (`postmaster@<helo>`).
    pub fn helo(ip: IpAddr, helo: &str, opts: SpfOptions) -> Self {
        Self::new(ip, helo, "", helo, opts)
    }

    /// What to do next.
    pub fn poll(&self) -> SpfPoll<'_> {
        match &self.outcome {
            Some(o) => SpfPoll::Done(o),
            None => SpfPoll::Lookups(&self.unanswered),
        }
    }

    /// The outcome, once done.
    pub fn outcome(&self) -> Option<&SpfOutcome> {
        self.outcome.as_ref()
    }

    /// Answer an outstanding question.
    pub fn answer(&mut self, lookup: &Lookup, answer: Answer) -> Result<(), UnexpectedAnswer> {
        let Some(pos) = self.unanswered.iter().position(|l| l == lookup) else {
            return Err(UnexpectedAnswer(lookup.clone()));
        };
        self.unanswered.remove(pos);
        let slot = self
            .pending
            .iter()
            .zip(self.answers.iter())
            .position(|(l, a)| a.is_none() && l == lookup);
        if let Some(slot) = slot {
            if let Some(a) = self.answers.get_mut(slot) {
                *a = Some(answer);
            }
        }
        self.run();
        Ok(())
    }

    /// Drive the check to the end with a synchronous resolver.
    pub fn run_with(mut self, mut resolve: impl FnMut(&Lookup) -> Answer) -> SpfOutcome {
        loop {
            let next = match self.poll() {
                SpfPoll::Done(o) => return o.clone(),
                SpfPoll::Lookups(l) => l.first().cloned(),
            };
            let Some(l) = next else {
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
            let a = resolve(&l);
            let _ = self.answer(&l, a);
        }
    }

    fn ask(&mut self, lookups: Vec<Lookup>, wait: Wait) {
        self.queries = self.queries.saturating_add(lookups.len() as u32);
        self.answers = vec![None; lookups.len()];
        self.unanswered.clone_from(&lookups);
        self.pending = lookups;
        self.wait = wait;
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
                self.matched.take()
            }
            _ => None,
        };
        self.pending.clear();
        self.answers.clear();
        self.unanswered.clear();
        self.outcome = Some(SpfOutcome {
            result,
            explanation,
            matched,
            reason,
            domain: self.top_domain.clone(),
            dns_terms: self.dns_terms,
            void_lookups: self.void_lookups,
            queries: self.queries,
        });
    }

    fn fetch_record(&mut self, domain: String, via: Via) {
        let l = Lookup::new(domain.clone(), QType::Txt);
        self.ask(vec![l], Wait::Record { domain, via });
    }

    fn run(&mut self) {
        // Each iteration either asks a question, finishes, or moves a term on;
        // the number of terms is finite and lookups are limited, so this ends.
        loop {
            if self.outcome.is_some() || !self.unanswered.is_empty() {
                return;
            }
            if !self.pending.is_empty() {
                let answers: Vec<Answer> = std::mem::take(&mut self.answers)
                    .into_iter()
                    .map(|a| a.unwrap_or(Answer::TempFail))
                    .collect();
                let pending = std::mem::take(&mut self.pending);
                let wait = std::mem::replace(&mut self.wait, Wait::Nothing);
                self.on_answers(wait, &pending, answers);
                continue;
            }
            self.step();
        }
    }

    fn ctx_domain(&self) -> Rc<str> {
        match &self.phase {
            Phase::Explain { domain, .. } => Rc::clone(domain),
            Phase::Eval => self.stack.last().map_or_else(
                || Rc::from(self.top_domain.as_str()),
                |f| Rc::clone(&f.domain),
            ),
        }
    }

    fn validated_name(&self, domain: &str) -> Option<String> {
        let names = self.pnames.as_ref()?;
        names
            .iter()
            .find(|n| name_eq(n, domain))
            .or_else(|| names.iter().find(|n| name_within(n, domain)))
            .or_else(|| names.first())
            .cloned()
    }

    fn expand(&self, m: &MacroString) -> String {
        let domain = self.ctx_domain();
        let validated = self.validated_name(&domain);
        let ctx = MacroContext {
            local: &self.local,
            sender_domain: &self.sender_domain,
            domain: &domain,
            ip: self.ip,
            helo: &self.helo,
            validated: validated.as_deref(),
            receiver: &self.opts.receiver,
            now: self.opts.now,
        };
        m.expand(&ctx)
    }

    /// Start resolving `%{p}` if `m` needs it. Returns true when a lookup was asked.
    fn need_pname(&mut self, m: Option<&MacroString>) -> bool {
        if self.pnames.is_none() && m.is_some_and(MacroString::uses_ptr) {
            let l = Lookup::new(reverse_name(self.ip), QType::Ptr);
            self.ask(vec![l], Wait::PName);
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

    fn step(&mut self) {
        if let Phase::Explain { spec, text, .. } = &self.phase {
            let (spec, text) = (spec.clone(), text.clone());
            match text {
                None => {
                    if self.need_pname(Some(&spec)) {
                        return;
                    }
                    let name = truncate_name(self.expand(&spec));
                    if !is_valid_domain(&name) {
                        self.finish(SpfResult::Fail, None);
                        return;
                    }
                    let l = Lookup::new(name, QType::Txt);
                    self.ask(vec![l], Wait::ExpTxt);
                }
                Some(t) => {
                    if self.need_pname(Some(&t)) {
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
            return;
        }
        let Some(frame) = self.stack.last() else {
            self.finish(SpfResult::TempError, Some("internal: empty stack".into()));
            return;
        };
        let dirs = Rc::clone(&frame.directives);
        let domain = Rc::clone(&frame.domain);
        let Some(d) = dirs.get(frame.idx) else {
            // No mechanism matched.
            if let Some(r) = frame.redirect.clone() {
                if self.need_pname(Some(&r)) {
                    return;
                }
                if !self.count_term() {
                    return;
                }
                let target = truncate_name(self.expand(&r));
                if !is_valid_domain(&target) {
                    self.finish(
                        SpfResult::PermError,
                        Some(format!("redirect target {target:?} is not a valid domain")),
                    );
                    return;
                }
                self.fetch_record(target, Via::Redirect);
            } else {
                self.frame_done(SpfResult::Neutral, None);
            }
            return;
        };
        let target_spec = match &d.mechanism {
            Mechanism::Include(m) | Mechanism::Exists(m) => Some(m),
            Mechanism::A { domain, .. } | Mechanism::Mx { domain, .. } | Mechanism::Ptr(domain) => {
                domain.as_ref()
            }
            _ => None,
        };
        if self.need_pname(target_spec) {
            return;
        }
        if d.mechanism.needs_dns() && !self.count_term() {
            return;
        }
        let target = match target_spec {
            Some(m) => truncate_name(self.expand(m)),
            None => domain.to_string(),
        };
        // A target that cannot be a DNS name is treated as a name that does not exist.
        let target_ok = d.mechanism.needs_dns() && is_valid_domain(&target);
        match &d.mechanism {
            Mechanism::All => self.matched_directive(d, &domain),
            Mechanism::Ip4 { addr, prefix } => {
                let hit =
                    matches!(self.ip, IpAddr::V4(ip) if in_net4(ip, *addr, prefix.unwrap_or(32)));
                self.next_or_match(hit, d, &domain);
            }
            Mechanism::Ip6 { addr, prefix } => {
                let hit =
                    matches!(self.ip, IpAddr::V6(ip) if in_net6(ip, *addr, prefix.unwrap_or(128)));
                self.next_or_match(hit, d, &domain);
            }
            _ if !target_ok => {
                if matches!(d.mechanism, Mechanism::Include(_)) {
                    self.finish(
                        SpfResult::PermError,
                        Some(format!("include target {target:?} is not a valid domain")),
                    );
                    return;
                }
                if self.count_void() {
                    self.next_or_match(false, d, &domain);
                }
            }
            Mechanism::Include(_) => self.fetch_record(target, Via::Include),
            Mechanism::A { cidr4, cidr6, .. } => {
                let l = Lookup::new(target, self.addr_qtype());
                self.ask(
                    vec![l],
                    Wait::Addr {
                        cidr4: cidr4.unwrap_or(32),
                        cidr6: cidr6.unwrap_or(128),
                    },
                );
            }
            Mechanism::Mx { cidr4, cidr6, .. } => {
                let l = Lookup::new(target, QType::Mx);
                self.ask(
                    vec![l],
                    Wait::Mx {
                        cidr4: cidr4.unwrap_or(32),
                        cidr6: cidr6.unwrap_or(128),
                    },
                );
            }
            Mechanism::Ptr(_) => {
                let l = Lookup::new(reverse_name(self.ip), QType::Ptr);
                self.ask(vec![l], Wait::Ptr { target });
            }
            Mechanism::Exists(_) => {
                let l = Lookup::new(target, QType::A);
                self.ask(vec![l], Wait::Exists);
            }
        }
    }

    fn current_directive(&self) -> Option<(Rc<[Directive]>, usize, Rc<str>)> {
        let f = self.stack.last()?;
        f.directives.get(f.idx)?;
        Some((Rc::clone(&f.directives), f.idx, Rc::clone(&f.domain)))
    }

    /// The current directive matched (`hit`) or not.
    fn advance(&mut self, hit: bool) {
        if let Some((dirs, i, dom)) = self.current_directive() {
            if let Some(d) = dirs.get(i) {
                self.next_or_match(hit, d, &dom);
            }
        }
    }

    fn next_or_match(&mut self, hit: bool, d: &Directive, domain: &str) {
        if hit {
            self.matched_directive(d, domain);
        } else if let Some(f) = self.stack.last_mut() {
            f.idx += 1;
        }
    }

    fn matched_directive(&mut self, d: &Directive, domain: &str) {
        self.matched = Some(SpfMatch {
            domain: domain.to_string(),
            mechanism: d.text.clone(),
        });
        self.frame_done(SpfResult::from_qualifier(d.qualifier), None);
    }

    /// The current frame ended with `result` (pass/fail/softfail/neutral).
    fn frame_done(&mut self, result: SpfResult, _why: Option<String>) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if self.stack.is_empty() {
            if result == SpfResult::Fail {
                if let Some(spec) = frame.exp {
                    self.phase = Phase::Explain {
                        domain: frame.domain,
                        spec,
                        text: None,
                    };
                    return;
                }
            }
            self.finish(result, None);
            return;
        }
        // The parent is evaluating an include.
        if result == SpfResult::Pass {
            let inner = self.matched.take();
            if let Some((dirs, i, domain)) = self.current_directive() {
                if let Some(d) = dirs.get(i) {
                    self.matched_directive(d, &domain);
                }
                // Report the innermost mechanism, not the include.
                if inner.is_some() {
                    if let Some(o) = self.outcome.as_mut() {
                        if o.matched.is_some() {
                            o.matched = inner;
                        }
                    } else {
                        self.matched = inner;
                    }
                }
            }
        } else {
            self.matched = None;
            if let Some(f) = self.stack.last_mut() {
                f.idx += 1;
            }
        }
    }

    fn on_answers(&mut self, wait: Wait, pending: &[Lookup], answers: Vec<Answer>) {
        let first = answers.into_iter().collect::<Vec<_>>();
        let a0 = first.first().cloned().unwrap_or(Answer::TempFail);
        match wait {
            Wait::Nothing => {}
            Wait::Record { domain, via } => self.on_record(domain, via, &a0),
            Wait::Addr { cidr4, cidr6 } => {
                if a0 == Answer::TempFail {
                    self.finish(SpfResult::TempError, Some(lookup_failed(pending)));
                    return;
                }
                if a0.is_void(self.addr_qtype()) && !self.count_void() {
                    return;
                }
                let hit = self.addr_matches(&a0, cidr4, cidr6);
                self.advance(hit);
            }
            Wait::Exists => {
                if a0 == Answer::TempFail {
                    self.finish(SpfResult::TempError, Some(lookup_failed(pending)));
                    return;
                }
                let void = a0.is_void(QType::A);
                if void && !self.count_void() {
                    return;
                }
                self.advance(!void);
            }
            Wait::Mx { cidr4, cidr6 } => {
                if a0 == Answer::TempFail {
                    self.finish(SpfResult::TempError, Some(lookup_failed(pending)));
                    return;
                }
                if a0.is_void(QType::Mx) && !self.count_void() {
                    return;
                }
                let mut mx: Vec<(u16, String)> = a0
                    .records(QType::Mx)
                    .filter_map(|r| match r {
                        Record::Mx {
                            preference,
                            exchange,
                        } => Some((*preference, exchange.clone())),
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
                    .filter(|(_, h)| !h.trim_end_matches('.').is_empty())
                    .map(|(_, h)| Lookup::new(h.trim_end_matches('.').to_string(), qt))
                    .collect();
                if lookups.is_empty() {
                    self.advance(false);
                    return;
                }
                self.ask(lookups, Wait::MxAddrs { cidr4, cidr6 });
            }
            Wait::MxAddrs { cidr4, cidr6 } => {
                let mut hit = false;
                for a in &first {
                    if *a == Answer::TempFail {
                        self.finish(SpfResult::TempError, Some(lookup_failed(pending)));
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
                // A DNS error on the PTR lookup: the mechanism does not match (5.5).
                let names = ptr_names(&a0, self.opts.max_ptr_names);
                if a0.is_void(QType::Ptr) && a0 != Answer::TempFail && !self.count_void() {
                    return;
                }
                let names: Vec<String> = names
                    .into_iter()
                    .filter(|n| name_within(n, &target))
                    .collect();
                if names.is_empty() {
                    self.advance(false);
                    return;
                }
                let qt = self.addr_qtype();
                let lookups = names.iter().map(|n| Lookup::new(n.clone(), qt)).collect();
                self.ask(lookups, Wait::PtrAddrs { target, names });
            }
            Wait::PtrAddrs { target, names } => {
                let hit = names
                    .iter()
                    .zip(first.iter())
                    .any(|(n, a)| self.addr_equal(a) && name_within(n, &target));
                self.advance(hit);
            }
            Wait::PName => {
                let names = ptr_names(&a0, self.opts.max_ptr_names);
                if names.is_empty() {
                    self.pnames = Some(Vec::new());
                    return;
                }
                let qt = self.addr_qtype();
                let lookups = names.iter().map(|n| Lookup::new(n.clone(), qt)).collect();
                self.ask(lookups, Wait::PNameAddrs { names });
            }
            Wait::PNameAddrs { names } => {
                let valid = names
                    .into_iter()
                    .zip(first.iter())
                    .filter(|(_, a)| self.addr_equal(a))
                    .map(|(n, _)| n)
                    .collect();
                self.pnames = Some(valid);
            }
            Wait::ExpTxt => {
                let txts: Vec<&[u8]> = a0
                    .records(QType::Txt)
                    .filter_map(|r| match r {
                        Record::Txt(t) => Some(t.as_slice()),
                        _ => None,
                    })
                    .collect();
                let text = match txts.as_slice() {
                    [one] => std::str::from_utf8(one)
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

    fn on_record(&mut self, domain: String, via: Via, a: &Answer) {
        if *a == Answer::TempFail {
            self.finish(
                SpfResult::TempError,
                Some(format!("DNS error looking up TXT for {domain}")),
            );
            return;
        }
        let spf: Vec<&[u8]> = a
            .records(QType::Txt)
            .filter_map(|r| match r {
                Record::Txt(t) if is_spf1(t) => Some(t.as_slice()),
                _ => None,
            })
            .collect();
        let none_result = if via == Via::Top {
            SpfResult::None
        } else {
            SpfResult::PermError
        };
        let rec = match spf.as_slice() {
            [] => {
                let what = if via == Via::Top { "" } else { "target " };
                self.finish(
                    none_result,
                    Some(format!("no SPF record at {what}{domain}")),
                );
                return;
            }
            [one] => *one,
            _ => {
                self.finish(
                    SpfResult::PermError,
                    Some(format!("more than one SPF record at {domain}")),
                );
                return;
            }
        };
        let parsed = match SpfRecord::parse(rec) {
            Ok(p) => p,
            Err(e) => {
                self.finish(SpfResult::PermError, Some(format!("{domain}: {e}")));
                return;
            }
        };
        let mut directives = Vec::new();
        let mut redirect = None;
        let mut exp = None;
        for t in parsed.terms {
            match t {
                Term::Directive(d) => directives.push(d),
                Term::Modifier(Modifier::Redirect(m)) => redirect = Some(m),
                Term::Modifier(Modifier::Exp(m)) => exp = Some(m),
                Term::Modifier(Modifier::Unknown { .. }) => {}
            }
        }
        let frame = Frame {
            domain: Rc::from(domain.as_str()),
            redirect,
            exp,
            directives: Rc::from(directives),
            idx: 0,
        };
        if via == Via::Redirect {
            self.stack.pop();
        }
        self.stack.push(frame);
    }
}

fn lookup_failed(pending: &[Lookup]) -> String {
    match pending.first() {
        Some(l) => format!("DNS error looking up {l}"),
        None => "DNS error".to_string(),
    }
}

fn ptr_names(a: &Answer, max: usize) -> Vec<String> {
    a.records(QType::Ptr)
        .filter_map(|r| match r {
            Record::Ptr(p) => Some(p.trim_end_matches('.').to_string()),
            _ => None,
        })
        .filter(|p| !p.is_empty())
        .take(max)
        .collect()
}
