//! DKIM signing (rsa-sha256, ed25519-sha256).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signer as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};

use super::canon::{BodyCanonicalizer, Canon, RawField, split_header};
use super::signature::{Algorithm, DkimSignature, fold_field};
use super::{Hasher, hash_headers, name_is};

/// A private key for signing.
#[derive(Debug, Clone)]
pub enum SigningKey {
    /// RSA (rsa-sha256). See the module's timing note.
    Rsa(Box<RsaPrivateKey>),
    /// Ed25519 (ed25519-sha256).
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A signing error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key could not be read.
    #[error("cannot read the private key: {0}")]
    Key(String),
    /// The message has no From field.
    #[error("the message has no From field")]
    NoFrom,
    /// Too many header fields.
    #[error("too many header fields")]
    TooManyFields,
    /// The RSA operation failed.
    #[error("RSA signing failed: {0}")]
    Rsa(String),
}

impl SigningKey {
    /// Read a PEM key: PKCS#1 RSA (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`, RSA or Ed25519).
    pub fn from_pem(pem: &str) -> Result<SigningKey, SignError> {
        if let Ok(k) = RsaPrivateKey::from_pkcs1_pem(pem) {
            return Ok(SigningKey::Rsa(Box::new(k)));
        }
        if let Ok(k) = RsaPrivateKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey::Rsa(Box::new(k)));
        }
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(|k| SigningKey::Ed25519(Box::new(k)))
            .map_err(|e| SignError::Key(e.to_string()))
    }

    /// An Ed25519 key from its 32-byte secret seed.
    pub fn ed25519_from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SigningKey::Rsa(_) => Algorithm::RsaSha256,
            SigningKey::Ed25519(_) => Algorithm::Ed25519Sha256,
        }
    }

    /// The key record to publish at `<selector>._domainkey.<domain>`.
    pub fn dns_record(&self) -> String {
        match self {
            SigningKey::Rsa(k) => {
                let der = k
                    .to_public_key()
                    .to_public_key_der()
                    .map(|d| STANDARD.encode(d.as_bytes()))
                    .unwrap_or_default();
                format!("v=DKIM1; k=rsa; p={der}")
            }
            SigningKey::Ed25519(k) => format!(
                "v=DKIM1; k=ed25519; p={}",
                STANDARD.encode(k.verifying_key().as_bytes())
            ),
        }
    }

    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            SigningKey::Rsa(k) => k
                .sign(Pkcs1v15Sign::new::<sha2::Sha256>(), digest)
                .map_err(|e| SignError::Rsa(e.to_string())),
            SigningKey::Ed25519(k) => Ok(k.sign(digest).to_bytes().to_vec()),
        }
    }
}

/// Header fields signed by default.
pub(crate) const DEFAULT_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Signs messages for one domain and selector.
#[derive(Debug, Clone)]
pub struct DkimSigner {
    key: SigningKey,
    domain: String,
    selector: String,
    headers: Vec<String>,
    verbatim: bool,
    oversign: bool,
    header_canon: Canon,
    body_canon: Canon,
    identity: Option<String>,
    timestamp: Option<u64>,
    expiration: Option<u64>,
    body_length: bool,
    query_tag: bool,
    h_separator: String,
    max_header_fields: usize,
}

impl DkimSigner {
    /// A signer with relaxed/relaxed canonicalization and the default
    /// header list (only fields present are signed; no over-signing).
    pub fn new(key: SigningKey, domain: &str, selector: &str) -> Self {
        DkimSigner {
            key,
            domain: domain.to_string(),
            selector: selector.to_string(),
            headers: DEFAULT_HEADERS.iter().map(|s| (*s).to_string()).collect(),
            verbatim: false,
            oversign: false,
            header_canon: Canon::Relaxed,
            body_canon: Canon::Relaxed,
            identity: None,
            timestamp: None,
            expiration: None,
            body_length: false,
            query_tag: false,
            h_separator: ":".to_string(),
            max_header_fields: 2000,
        }
    }

    /// Sign these header fields: each name once per instance in the message
    /// (From is always signed).
    pub fn headers<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.headers = names
            .iter()
            .map(|s| s.as_ref().to_ascii_lowercase())
            .collect();
        self.verbatim = false;
        self
    }

    /// Use this exact `h=` list, repetitions included.
    pub fn headers_verbatim<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.headers = names.iter().map(|s| s.as_ref().to_string()).collect();
        self.verbatim = true;
        self
    }

    /// Over-sign: list every signed name once more than it occurs, so that a
    /// field of that name added later breaks the signature.
    pub fn oversign(mut self, on: bool) -> Self {
        self.oversign = on;
        self
    }

    /// Canonicalization for header and body.
    pub fn canonicalization(mut self, header: Canon, body: Canon) -> Self {
        self.header_canon = header;
        self.body_canon = body;
        self
    }

    /// `i=`.
    pub fn identity(mut self, i: &str) -> Self {
        self.identity = Some(i.to_string());
        self
    }

    /// `t=` (signing time, Unix seconds).
    pub fn timestamp(mut self, t: u64) -> Self {
        self.timestamp = Some(t);
        self
    }

    /// `x=` (expiry, Unix seconds).
    pub fn expiration(mut self, x: u64) -> Self {
        self.expiration = Some(x);
        self
    }

    /// Add `l=` with the body length (lets content be appended: not advised).
    pub fn body_length(mut self, on: bool) -> Self {
        self.body_length = on;
        self
    }

    /// Write `q=dns/txt` (the default, normally left out).
    pub fn query_tag(mut self, on: bool) -> Self {
        self.query_tag = on;
        self
    }

    /// Separator between `h=` names (`":"`; dkimpy writes `" : "`).
    pub fn header_separator(mut self, sep: &str) -> Self {
        self.h_separator = sep.to_string();
        self
    }

    /// Sign a whole message; returns the DKIM-Signature field (folded,
    /// CRLF-terminated) to put above it.
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        let body_start =
            split_header(message, self.max_header_fields).map_or(message.len(), |(_, b)| b);
        let mut s = self.start(&message[..body_start])?;
        s.body(&message[body_start..]);
        s.finish()
    }

    /// Start signing: the header block now, the body streamed after.
    pub fn start<'a>(&'a self, header: &'a [u8]) -> Result<SigningSession<'a>, SignError> {
        let (fields, _) =
            split_header(header, self.max_header_fields).ok_or(SignError::TooManyFields)?;
        if !fields.iter().any(|f| name_is(f.name, "from")) {
            return Err(SignError::NoFrom);
        }
        Ok(SigningSession {
            signer: self,
            fields,
            canon: BodyCanonicalizer::new(self.body_canon),
            hasher: Hasher::for_alg(self.key.algorithm()),
            length: 0,
        })
    }

    fn h_list(&self, fields: &[RawField<'_>]) -> Vec<String> {
        if self.verbatim {
            return self.headers.clone();
        }
        let mut names: Vec<String> = Vec::new();
        let mut want: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        if !want.iter().any(|n| n.eq_ignore_ascii_case("from")) {
            want.insert(0, "from");
        }
        let mut seen: Vec<String> = Vec::new();
        for n in want {
            let lower = n.to_ascii_lowercase();
            if seen.contains(&lower) {
                continue;
            }
            seen.push(lower.clone());
            let count = fields.iter().filter(|f| name_is(f.name, &lower)).count();
            for _ in 0..count {
                names.push(lower.clone());
            }
            if self.oversign {
                names.push(lower);
            }
        }
        names
    }
}

/// A signature in progress: feed the body, then [`SigningSession::finish`].
#[derive(Debug)]
pub struct SigningSession<'a> {
    signer: &'a DkimSigner,
    fields: Vec<RawField<'a>>,
    canon: BodyCanonicalizer,
    hasher: Hasher,
    length: u64,
}

impl SigningSession<'_> {
    /// Feed a chunk of the body.
    pub fn body(&mut self, chunk: &[u8]) {
        let SigningSession {
            canon,
            hasher,
            length,
            ..
        } = self;
        canon.update(chunk, &mut |out: &[u8]| {
            *length += out.len() as u64;
            hasher.update(out);
        });
    }

    /// Finish: the DKIM-Signature field, folded and CRLF-terminated.
    pub fn finish(self) -> Result<String, SignError> {
        let SigningSession {
            signer,
            fields,
            mut canon,
            mut hasher,
            mut length,
        } = self;
        canon.finish(&mut |out: &[u8]| {
            length += out.len() as u64;
            hasher.update(out);
        });
        let body_hash = hasher.finish();
        let mut sig = DkimSignature {
            algorithm: signer.key.algorithm(),
            signature: Vec::new(),
            body_hash,
            header_canon: signer.header_canon,
            body_canon: signer.body_canon,
            domain: signer.domain.clone(),
            selector: signer.selector.clone(),
            headers: signer.h_list(&fields),
            identity: signer.identity.clone(),
            length: signer.body_length.then_some(length),
            query: signer.query_tag.then(|| "dns/txt".to_string()),
            timestamp: signer.timestamp,
            expiration: signer.expiration,
            copied_headers: None,
            unknown: Vec::new(),
        };
        let unsigned = fold_field("DKIM-Signature", &sig.to_value(false, &signer.h_separator));
        let mut h = Hasher::for_alg(sig.algorithm);
        hash_headers(
            &mut h,
            sig.header_canon,
            &fields,
            &sig.headers,
            unsigned.as_bytes(),
        );
        let digest = h.finish();
        sig.signature = signer.key.sign_digest(&digest)?;
        // Insert b= after "b=" in the unsigned field, folded (FWS is allowed in b=).
        let head = unsigned.strip_suffix("\r\n").unwrap_or(&unsigned);
        let last_line = head.rsplit("\r\n").next().unwrap_or(head).len();
        let b64 = STANDARD.encode(&sig.signature);
        let mut out = String::with_capacity(head.len() + b64.len() + 16);
        out.push_str(head);
        let mut line = last_line;
        let mut rest = b64.as_str();
        while !rest.is_empty() {
            let room = 78usize.saturating_sub(line).max(8).min(rest.len());
            out.push_str(&rest[..room]);
            rest = &rest[room..];
            if !rest.is_empty() {
                out.push_str("\r\n ");
                line = 1;
            }
        }
        out.push_str("\r\n");
        Ok(out)
    }
}
