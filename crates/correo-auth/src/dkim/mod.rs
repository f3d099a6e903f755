//! DKIM (RFC 6376, RFC 8463 Ed25519, RFC 8301 algorithm update).
//!
//! - [`DkimSignature`] / [`DkimKey`]: the DKIM-Signature field and key records.
//! - [`canon`]: simple/relaxed canonicalization; the body is canonicalized and
//!   hashed **streaming**, in chunks of any size, with constant memory.
//! - [`DkimVerifier`]: a sans-IO verifier for every signature of a message.
//!   It asks for key records as [`crate::dns::Lookup`]s, takes the body in
//!   chunks, and the time as a value.
//! - [`DkimSigner`]: signs with rsa-sha256 or ed25519-sha256.
//!
//! ```
//! use correo_auth::dkim::{DkimSigner, DkimStatus, DkimVerifier, SigningKey, VerifyOptions};
//! use correo_auth::dns::{Answer, Record};
//!
//! // RFC 8032 7.1 TEST 1 secret, as used by RFC 8463.
//! let seed = [0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92,
//!     0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac,
//!     0x03, 0x1c, 0xae, 0x7f, 0x60];
//! let key = SigningKey::ed25519_from_seed(&seed);
//! let record = key.dns_record();
//! let msg = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";
//! let field = DkimSigner::new(key, "example.org", "sel").sign(msg).unwrap();
//! let signed = [field.as_bytes(), msg].concat();
//!
//! let mut v = DkimVerifier::from_message(&signed, VerifyOptions::at(1_700_000_000));
//! let q = v.lookups()[0].clone();
//! assert_eq!(q.name, "sel._domainkey.example.org");
//! v.answer(&q, Answer::Records(vec![Record::Txt(record.into_bytes())])).unwrap();
//! let results = v.results().unwrap();
//! assert_eq!(results[0].status, DkimStatus::Pass);
//! ```
//!
//! # Timing note on RSA signing
//!
//! RSA signing uses the `rsa` crate, whose private-key operations are not
//! constant-time (RUSTSEC-2023-0071, the "Marvin" timing side channel). Signing
//! here calls it without blinding (there is no randomness source in a sans-IO
//! library), so an attacker who can time many signatures made with the same key,
//! from close by, may learn about the key. Verification uses only public keys
//! and is not affected. Sign on a host where signing time is not observable by
//! attackers, or prefer Ed25519 (`ed25519-dalek`), whose signing is constant-time.

pub mod canon;
mod key;
mod sign;
mod signature;
mod tags;
mod verify;

use std::fmt;

pub use canon::{BodyCanonicalizer, Canon, RawField, canon_body, canon_header, split_header};
pub use key::{DkimKey, MIN_RSA_BITS, PublicKey};
pub use sign::{DkimSigner, SignError, SigningKey, SigningSession};
pub use signature::{Algorithm, DkimSignature, SignatureIds, fold_field};
pub use verify::{DkimPoll, DkimResult, DkimVerifier, VerifyOptions};

/// Why a signature did not pass. The `Display` text is the RFC 6376 reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DkimError {
    /// Malformed signature.
    #[error("signature syntax: {0}")]
    Syntax(String),
    /// A required tag is missing.
    #[error("signature missing required tag {0}")]
    MissingTag(&'static str),
    /// `v=` is not `1`.
    #[error("incompatible version")]
    IncompatibleVersion,
    /// `a=` unknown.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// `c=` unknown.
    #[error("unsupported canonicalization")]
    UnsupportedCanonicalization,
    /// `q=` without `dns/txt`.
    #[error("unacceptable query method")]
    UnacceptableQuery,
    /// `i=` is not within `d=`.
    #[error("domain mismatch")]
    DomainMismatch,
    /// Key `t=s` and `i=` is a subdomain of `d=`.
    #[error("domain mismatch: key t=s forbids subdomains in i=")]
    DomainMismatchStrict,
    /// `h=` lacks From.
    #[error("From field not signed")]
    FromNotSigned,
    /// `x=` is in the past.
    #[error("signature expired")]
    Expired,
    /// `t=` is further in the future than [`VerifyOptions::max_future`] allows.
    #[error("signature timestamp in the future")]
    FutureTimestamp,
    /// rsa-sha1 refused (RFC 8301).
    #[error("RFC 8301: rsa-sha1 MUST NOT be used for verifying")]
    Sha1Forbidden,
    /// The key record does not exist.
    #[error("no key for signature")]
    NoKey,
    /// The key query failed temporarily.
    #[error("key unavailable")]
    KeyUnavailable,
    /// Empty `p=`.
    #[error("key revoked")]
    KeyRevoked,
    /// Malformed key record.
    #[error("key syntax error{}", .0.as_ref().map(|s| format!(": {s}")).unwrap_or_default())]
    KeySyntax(Option<String>),
    /// Key `h=` excludes the signature's hash.
    #[error("inappropriate hash algorithm")]
    InappropriateHash,
    /// Key `k=` does not match `a=`.
    #[error("inappropriate key algorithm")]
    InappropriateKeyAlgorithm,
    /// Key `s=` excludes email.
    #[error("key not for email: s={0}")]
    KeyNotForEmail(String),
    /// RSA key under 1024 bits (RFC 8301).
    #[error("key too small, RFC 8301")]
    KeyTooSmall,
    /// The body hash differs.
    #[error("body hash did not verify")]
    BodyHashMismatch,
    /// The signature does not verify.
    #[error("signature did not verify")]
    BadSignature,
    /// More signatures than the verifier's limit.
    #[error("too many signatures")]
    TooManySignatures,
}

impl DkimError {
    /// The RFC 8601 result for this error.
    pub fn status(&self) -> DkimStatus {
        match self {
            DkimError::BodyHashMismatch | DkimError::BadSignature => DkimStatus::Fail,
            DkimError::KeyUnavailable => DkimStatus::TempError,
            _ => DkimStatus::PermError,
        }
    }
}

/// A signature's result (RFC 8601 keywords).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DkimStatus {
    /// Verified.
    Pass,
    /// Did not verify (body hash or signature).
    Fail,
    /// Could not be evaluated: a permanent error.
    PermError,
    /// Could not be evaluated now (DNS).
    TempError,
}

impl DkimStatus {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            DkimStatus::Pass => "pass",
            DkimStatus::Fail => "fail",
            DkimStatus::PermError => "permerror",
            DkimStatus::TempError => "temperror",
        }
    }
}

impl fmt::Display for DkimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A running hash (SHA-256 or SHA-1).
#[derive(Debug, Clone)]
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    Sha1(sha1::Sha1),
}

impl Hasher {
    pub(crate) fn for_alg(a: Algorithm) -> Hasher {
        use sha2::Digest as _;
        match a {
            Algorithm::RsaSha1 => Hasher::Sha1(sha1::Sha1::new()),
            _ => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        use sha2::Digest as _;
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
        }
    }
}

/// Names are compared case-insensitively.
pub(crate) fn name_is(name: &[u8], want: &str) -> bool {
    name.eq_ignore_ascii_case(want.as_bytes())
}

/// Compute the header hash input: the `h=` fields picked bottom-up, then the
/// signature field itself (`sig_raw`, whose `b=` is already emptied) without
/// its final CRLF.
pub(crate) fn hash_headers(
    hasher: &mut Hasher,
    mode: Canon,
    fields: &[RawField<'_>],
    h: &[String],
    sig_raw: &[u8],
) {
    let mut used = vec![false; fields.len()];
    let mut buf = Vec::with_capacity(256);
    for name in h {
        let pick = fields
            .iter()
            .enumerate()
            .rev()
            .find(|(i, f)| !used[*i] && name_is(f.name, name));
        if let Some((i, f)) = pick {
            used[i] = true;
            buf.clear();
            canon_header(mode, f.raw, &mut buf);
            hasher.update(&buf);
        }
    }
    buf.clear();
    canon_header(mode, sig_raw, &mut buf);
    let trimmed = buf
        .strip_suffix(b"\r\n")
        .or_else(|| buf.strip_suffix(b"\n"))
        .unwrap_or(&buf);
    hasher.update(trimmed);
}

/// The field with the `b=` tag's value removed (RFC 6376 3.7): everything
/// after `b=` up to the next `;` (or the end of the value, keeping the final
/// line break).
pub(crate) fn strip_b_value(raw: &[u8]) -> Option<Vec<u8>> {
    let colon = memchr::memchr(b':', raw)?;
    let value = std::str::from_utf8(&raw[colon + 1..]).ok()?;
    let tags = tags::parse_tags(value, 64).ok()?;
    let b = tags.iter().find(|t| t.name == "b")?;
    // Remove from just after '=' (FWS included), as the signer wrote it.
    let mut start = colon + 1 + b.value_start;
    while start > colon + 1 && raw[start - 1] != b'=' {
        start -= 1;
    }
    let mut end_of_value = raw.len();
    if raw[..end_of_value].ends_with(b"\r\n") {
        end_of_value -= 2;
    } else if raw[..end_of_value].ends_with(b"\n") {
        end_of_value -= 1;
    }
    let end = memchr::memchr(b';', &raw[start..end_of_value]).map_or(end_of_value, |e| start + e);
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..start]);
    out.extend_from_slice(&raw[end..]);
    Some(out)
}
