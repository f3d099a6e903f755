//! The sans-IO DKIM verifier (RFC 6376 section 6).

use rsa::Pkcs1v15Sign;

use super::canon::{BodyCanonicalizer, RawField, split_header};
use super::key::{DkimKey, PublicKey};
use super::signature::{Algorithm, DkimSignature, SignatureIds};
use super::{DkimError, DkimStatus, Hasher, hash_headers, name_is, strip_b_value};
use crate::authres::MethodResult;
use crate::dns::{Answer, Lookup, QType, Record};
use crate::spf::UnexpectedAnswer;

/// Verifier settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The current time (Unix seconds), for `x=` and `t=`.
    pub now: u64,
    /// Seconds of clock skew tolerated on `x=` and `t=` (default 0).
    pub clock_skew: u64,
    /// A `t=` later than `now + clock_skew` is reported as a warning (the
    /// pass is flagged weak). With `Some(s)`, a `t=` later than `now + s` is
    /// refused instead ([`DkimError::FutureTimestamp`], permerror), as RFC
    /// 6376 3.5 allows. Default `None`.
    pub max_future: Option<u64>,
    /// Verify rsa-sha1 signatures (RFC 8301 says not to; default false).
    /// When allowed, a passing rsa-sha1 signature is flagged weak.
    pub allow_sha1: bool,
    /// Signatures evaluated at most; the others get `permerror`.
    pub max_signatures: usize,
    /// Header fields read at most.
    pub max_header_fields: usize,
}

impl VerifyOptions {
    /// Defaults, at time `now`.
    pub fn at(now: u64) -> Self {
        VerifyOptions {
            now,
            clock_skew: 0,
            max_future: None,
            allow_sha1: false,
            max_signatures: 16,
            max_header_fields: 2000,
        }
    }
}

/// One signature's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimResult {
    /// The RFC 8601 result.
    pub status: DkimStatus,
    /// Why, when not `pass`.
    pub error: Option<DkimError>,
    /// `d=`, `s=`, `i=` and the start of `b=` (read even from a bad signature).
    pub ids: SignatureIds,
    /// The parsed signature, when it parsed.
    pub signature: Option<DkimSignature>,
    /// Key size in bits, when a key was decoded.
    pub key_bits: Option<usize>,
    /// The key says `t=y` (testing).
    pub testing: bool,
    /// A pass that deserves a warning: rsa-sha1 (when allowed) or an `l=`
    /// that leaves content unsigned.
    pub weak: bool,
    /// With `l=`: canonical body bytes after the signed length (appended
    /// content that the signature does not cover).
    pub unsigned_body_bytes: u64,
    /// What makes a pass weak, in words (rsa-sha1, `l=`, fields of a signed
    /// name that the signature does not cover).
    pub warnings: Vec<String>,
}

impl DkimResult {
    /// The RFC 6376 status line: `SUCCESS`, `PERMFAIL (reason)`, `TEMPFAIL (reason)`.
    pub fn rfc6376(&self) -> String {
        match (&self.status, &self.error) {
            (DkimStatus::Pass, _) => "SUCCESS".to_string(),
            (DkimStatus::TempError, Some(e)) => format!("TEMPFAIL ({e})"),
            (_, Some(e)) => format!("PERMFAIL ({e})"),
            (s, None) => s.as_str().to_string(),
        }
    }

    /// An Authentication-Results `dkim=` entry.
    pub fn to_method_result(&self) -> MethodResult {
        let mut m = MethodResult::new("dkim", self.status.as_str());
        if let Some(e) = &self.error {
            m = m.reason(&e.to_string());
        } else if let Some(w) = self.warnings.first() {
            m = m.reason(w);
        }
        if !self.ids.domain.is_empty() {
            m = m.prop("header", "d", &self.ids.domain);
        }
        if let Some(i) = &self.ids.identity {
            m = m.prop("header", "i", i);
        }
        if !self.ids.selector.is_empty() {
            m = m.prop("header", "s", &self.ids.selector);
        }
        if !self.ids.b_prefix.is_empty() {
            m = m.prop("header", "b", &self.ids.b_prefix);
        }
        m
    }
}

/// What the verifier needs next.
#[derive(Debug)]
pub enum DkimPoll<'a> {
    /// Key records to look up (TXT), answer with [`DkimVerifier::answer`].
    Lookups(&'a [Lookup]),
    /// More body, then [`DkimVerifier::finish_body`].
    NeedBody,
    /// One result per DKIM-Signature field, top first.
    Done(&'a [DkimResult]),
}

#[derive(Debug)]
struct BodyState {
    canon: BodyCanonicalizer,
    hasher: Option<Hasher>,
    limit: Option<u64>,
    total: u64,
    digest: Option<Vec<u8>>,
}

impl BodyState {
    fn feed(&mut self, data: &[u8]) {
        let BodyState {
            canon,
            hasher,
            limit,
            total,
            ..
        } = self;
        canon.update(data, &mut |out: &[u8]| {
            feed_limited(hasher.as_mut(), *limit, total, out);
        });
    }

    fn finish(&mut self) {
        let BodyState {
            canon,
            hasher,
            limit,
            total,
            ..
        } = self;
        canon.finish(&mut |out: &[u8]| feed_limited(hasher.as_mut(), *limit, total, out));
        self.digest = self.hasher.take().map(Hasher::finish);
    }
}

fn feed_limited(hasher: Option<&mut Hasher>, limit: Option<u64>, total: &mut u64, out: &[u8]) {
    let before = *total;
    *total = total.saturating_add(out.len() as u64);
    let Some(h) = hasher else { return };
    match limit {
        None => h.update(out),
        Some(l) if before < l => {
            let take = usize::try_from(l - before)
                .unwrap_or(usize::MAX)
                .min(out.len());
            h.update(&out[..take]);
        }
        Some(_) => {}
    }
}

#[derive(Debug)]
struct SigState {
    ids: SignatureIds,
    sig: Option<DkimSignature>,
    error: Option<DkimError>,
    header_hash: Vec<u8>,
    body: Option<BodyState>,
    lookup: Option<Lookup>,
    key: Option<Answer>,
    warnings: Vec<String>,
}

/// Verifies every DKIM-Signature of one message, sans-IO.
///
/// Give it the header block ([`DkimVerifier::new`]), the body in chunks
/// ([`DkimVerifier::body`], then [`DkimVerifier::finish_body`]) and the key
/// records it asks for ([`DkimVerifier::lookups`], [`DkimVerifier::answer`]),
/// in any order. Memory use does not grow with the body.
#[derive(Debug)]
pub struct DkimVerifier {
    sigs: Vec<SigState>,
    body_done: bool,
    unanswered: Vec<Lookup>,
    results: Option<Vec<DkimResult>>,
}

impl DkimVerifier {
    /// Start with the message's header block (the bytes before the body;
    /// anything after the empty line is ignored).
    pub fn new(header: &[u8], opts: VerifyOptions) -> Self {
        let mut v = DkimVerifier {
            sigs: Vec::new(),
            body_done: false,
            unanswered: Vec::new(),
            results: None,
        };
        let Some((fields, _)) = split_header(header, opts.max_header_fields) else {
            v.body_done = true;
            v.results = Some(vec![DkimResult {
                status: DkimStatus::PermError,
                error: Some(DkimError::Syntax("too many header fields".into())),
                ids: SignatureIds::default(),
                signature: None,
                key_bits: None,
                testing: false,
                weak: false,
                unsigned_body_bytes: 0,
                warnings: Vec::new(),
            }]);
            return v;
        };
        for f in fields.iter().filter(|f| name_is(f.name, "dkim-signature")) {
            let value_bytes = f.raw.get(f.name.len()..).unwrap_or_default();
            let value_bytes = value_bytes
                .iter()
                .position(|&c| c == b':')
                .and_then(|c| value_bytes.get(c + 1..))
                .unwrap_or_default();
            let value = String::from_utf8_lossy(value_bytes);
            let ids = SignatureIds::read(&value);
            let mut st = SigState {
                ids,
                sig: None,
                error: None,
                header_hash: Vec::new(),
                body: None,
                lookup: None,
                key: None,
                warnings: Vec::new(),
            };
            if v.sigs.len() >= opts.max_signatures {
                st.error = Some(DkimError::TooManySignatures);
                v.sigs.push(st);
                continue;
            }
            let parsed = std::str::from_utf8(value_bytes)
                .map_err(|_| DkimError::Syntax("not UTF-8".into()))
                .and_then(DkimSignature::parse)
                .and_then(|s| {
                    if let Some(x) = s.expiration {
                        if x.saturating_add(opts.clock_skew) < opts.now {
                            return Err(DkimError::Expired);
                        }
                    }
                    if let (Some(t), Some(max)) = (s.timestamp, opts.max_future) {
                        if t > opts.now.saturating_add(max) {
                            return Err(DkimError::FutureTimestamp);
                        }
                    }
                    if s.algorithm == Algorithm::RsaSha1 && !opts.allow_sha1 {
                        return Err(DkimError::Sha1Forbidden);
                    }
                    Ok(s)
                });
            match parsed {
                Err(e) => st.error = Some(e),
                Ok(sig) => {
                    let Some(stripped) = strip_b_value(f.raw) else {
                        st.error = Some(DkimError::Syntax("cannot locate b=".into()));
                        v.sigs.push(st);
                        continue;
                    };
                    let mut h = Hasher::for_alg(sig.algorithm);
                    hash_headers(&mut h, sig.header_canon, &fields, &sig.headers, &stripped);
                    st.header_hash = h.finish();
                    st.warnings = unsigned_instances(&fields, &sig.headers);
                    if let Some(t) = sig.timestamp {
                        let ahead = t.saturating_sub(opts.now);
                        if ahead > opts.clock_skew {
                            st.warnings
                                .push(format!("t= is {ahead} seconds in the future"));
                        }
                    }
                    st.body = Some(BodyState {
                        canon: BodyCanonicalizer::new(sig.body_canon),
                        hasher: Some(Hasher::for_alg(sig.algorithm)),
                        limit: sig.length,
                        total: 0,
                        digest: None,
                    });
                    let l = Lookup::new(sig.key_name(), QType::Txt);
                    if !v.unanswered.contains(&l) {
                        v.unanswered.push(l.clone());
                    }
                    st.lookup = Some(l);
                    st.sig = Some(sig);
                }
            }
            v.sigs.push(st);
        }
        v
    }

    /// Verify a whole message in memory: the header is split off and the body fed.
    pub fn from_message(msg: &[u8], opts: VerifyOptions) -> Self {
        let body_start = split_header(msg, opts.max_header_fields).map_or(msg.len(), |(_, b)| b);
        let mut v = Self::new(&msg[..body_start], opts);
        v.body(&msg[body_start..]);
        v.finish_body();
        v
    }

    /// Convenience: verify `msg` with a synchronous resolver.
    pub fn verify_message(
        msg: &[u8],
        opts: VerifyOptions,
        mut resolve: impl FnMut(&Lookup) -> Answer,
    ) -> Vec<DkimResult> {
        let mut v = Self::from_message(msg, opts);
        while let Some(l) = v.unanswered.first().cloned() {
            let a = resolve(&l);
            let _ = v.answer(&l, a);
        }
        v.results().map(<[DkimResult]>::to_vec).unwrap_or_default()
    }

    /// Feed a chunk of the body (as transmitted, CRLF line ends, any split).
    pub fn body(&mut self, chunk: &[u8]) {
        if self.body_done {
            return;
        }
        for s in &mut self.sigs {
            if let Some(b) = s.body.as_mut() {
                b.feed(chunk);
            }
        }
    }

    /// The body is complete.
    pub fn finish_body(&mut self) {
        if self.body_done {
            return;
        }
        self.body_done = true;
        for s in &mut self.sigs {
            if let Some(b) = s.body.as_mut() {
                b.finish();
            }
        }
        self.try_finish();
    }

    /// Key records still to look up.
    pub fn lookups(&self) -> &[Lookup] {
        &self.unanswered
    }

    /// What to do next.
    pub fn poll(&self) -> DkimPoll<'_> {
        if let Some(r) = &self.results {
            return DkimPoll::Done(r);
        }
        if !self.unanswered.is_empty() {
            return DkimPoll::Lookups(&self.unanswered);
        }
        DkimPoll::NeedBody
    }

    /// The results, once the body is finished and every key answered.
    pub fn results(&self) -> Option<&[DkimResult]> {
        self.results.as_deref()
    }

    /// Answer a key lookup.
    pub fn answer(&mut self, lookup: &Lookup, answer: Answer) -> Result<(), UnexpectedAnswer> {
        let Some(pos) = self.unanswered.iter().position(|l| l == lookup) else {
            return Err(UnexpectedAnswer(lookup.clone()));
        };
        self.unanswered.remove(pos);
        for s in &mut self.sigs {
            if s.lookup.as_ref() == Some(lookup) {
                s.key = Some(answer.clone());
            }
        }
        self.try_finish();
        Ok(())
    }

    fn try_finish(&mut self) {
        if !self.body_done || !self.unanswered.is_empty() || self.results.is_some() {
            return;
        }
        let results = self.sigs.iter().map(evaluate).collect();
        self.results = Some(results);
    }
}

fn evaluate(s: &SigState) -> DkimResult {
    let mut r = DkimResult {
        status: DkimStatus::PermError,
        error: s.error.clone(),
        ids: s.ids.clone(),
        signature: s.sig.clone(),
        key_bits: None,
        testing: false,
        weak: false,
        unsigned_body_bytes: 0,
        warnings: s.warnings.clone(),
    };
    let fail = |mut r: DkimResult, e: DkimError| {
        r.status = e.status();
        r.error = Some(e);
        r
    };
    if let Some(e) = &s.error {
        return fail(r, e.clone());
    }
    let (Some(sig), Some(answer), Some(body)) = (&s.sig, &s.key, &s.body) else {
        return fail(r, DkimError::KeyUnavailable);
    };
    let key = match answer {
        Answer::TempFail => return fail(r, DkimError::KeyUnavailable),
        Answer::NxDomain | Answer::NoData => return fail(r, DkimError::NoKey),
        Answer::Records(recs) => {
            let mut first_err = None;
            let mut found = None;
            for rec in recs {
                if let Record::Txt(t) = rec {
                    match DkimKey::parse(t) {
                        Ok(k) => {
                            found = Some(k);
                            break;
                        }
                        Err(e) => {
                            first_err.get_or_insert(e);
                        }
                    }
                }
            }
            match (found, first_err) {
                (Some(k), _) => k,
                (None, Some(e)) => return fail(r, e),
                (None, None) => return fail(r, DkimError::NoKey),
            }
        }
    };
    r.testing = key.testing();
    let public = match key.check_for(sig) {
        Ok(p) => p,
        Err(e) => return fail(r, e),
    };
    r.key_bits = Some(public.bits());
    if let Some(l) = sig.length {
        if body.total < l {
            return fail(r, DkimError::BodyHashMismatch);
        }
        r.unsigned_body_bytes = body.total - l;
    }
    if body.digest.as_deref() != Some(sig.body_hash.as_slice()) {
        return fail(r, DkimError::BodyHashMismatch);
    }
    let ok = match (&public, sig.algorithm) {
        (PublicKey::Rsa(k), Algorithm::RsaSha256) => k
            .verify(
                Pkcs1v15Sign::new::<sha2::Sha256>(),
                &s.header_hash,
                &sig.signature,
            )
            .is_ok(),
        (PublicKey::Rsa(k), Algorithm::RsaSha1) => k
            .verify(
                Pkcs1v15Sign::new::<sha1::Sha1>(),
                &s.header_hash,
                &sig.signature,
            )
            .is_ok(),
        (PublicKey::Ed25519(k), Algorithm::Ed25519Sha256) => {
            match ed25519_dalek::Signature::from_slice(&sig.signature) {
                Ok(sg) => k.verify_strict(&s.header_hash, &sg).is_ok(),
                Err(_) => false,
            }
        }
        _ => return fail(r, DkimError::InappropriateKeyAlgorithm),
    };
    if !ok {
        return fail(r, DkimError::BadSignature);
    }
    r.status = DkimStatus::Pass;
    r.error = None;
    if sig.algorithm == Algorithm::RsaSha1 {
        r.warnings
            .push("rsa-sha1 is a weak algorithm (RFC 8301)".into());
    }
    if r.unsigned_body_bytes > 0 {
        r.warnings.push(format!(
            "l= leaves {} body bytes unsigned",
            r.unsigned_body_bytes
        ));
    }
    r.weak = !r.warnings.is_empty();
    r
}

/// Names listed in `h=` that occur more often in the message than in `h=`:
/// the extra (upper) instances are not covered by the signature.
fn unsigned_instances(fields: &[RawField<'_>], h: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for name in h {
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            continue;
        }
        let listed = h.iter().filter(|n| n.eq_ignore_ascii_case(&lower)).count();
        let present = fields.iter().filter(|f| name_is(f.name, &lower)).count();
        if present > listed {
            out.push(format!(
                "{} of {present} {lower} fields are not signed",
                present - listed
            ));
        }
        seen.push(lower);
    }
    out
}
