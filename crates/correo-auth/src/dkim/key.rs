//! DKIM key records (RFC 6376 3.6.1, RFC 8463, RFC 8301).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;

use super::DkimError;
use super::signature::{Algorithm, DkimSignature};
use super::tags::{colon_list, parse_tags, strip_fws};

/// A public key usable for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An RSA key.
    Rsa(RsaPublicKey),
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// Key size in bits.
    pub fn bits(&self) -> usize {
        match self {
            PublicKey::Rsa(k) => k.n().bits(),
            PublicKey::Ed25519(_) => 256,
        }
    }
}

/// A parsed key record (`v=DKIM1; k=rsa; p=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// `k=` (default `rsa`), lower case.
    pub key_type: String,
    /// `h=`: acceptable hash algorithms (`None`: all).
    pub hashes: Option<Vec<String>>,
    /// `s=`: service types (default `*`).
    pub services: Vec<String>,
    /// `t=` flags (`y` testing, `s` strict identity).
    pub flags: Vec<String>,
    /// `n=` notes.
    pub notes: Option<String>,
    /// `p=`, decoded; empty means the key was revoked.
    pub public_key_data: Vec<u8>,
    /// Tags this parser does not know.
    pub unknown: Vec<(String, String)>,
}

/// Smallest RSA key accepted for verification (RFC 8301: 1024 bits).
pub const MIN_RSA_BITS: usize = 1024;

impl DkimKey {
    /// Parse a TXT record (character-strings already joined).
    pub fn parse(txt: &[u8]) -> Result<DkimKey, DkimError> {
        let s = std::str::from_utf8(txt).map_err(|_| DkimError::KeySyntax(None))?;
        let tags = parse_tags(s, 64).map_err(|_| DkimError::KeySyntax(None))?;
        if let Some(pos) = tags.iter().position(|t| t.name == "v") {
            if pos != 0 || tags[pos].value != "DKIM1" {
                return Err(DkimError::KeySyntax(Some("v= must be DKIM1".into())));
            }
        }
        let get = |n: &str| tags.iter().find(|t| t.name == n).map(|t| t.value);
        let p = get("p").ok_or(DkimError::KeySyntax(Some("missing p=".into())))?;
        let public_key_data = STANDARD
            .decode(strip_fws(p))
            .map_err(|_| DkimError::KeySyntax(None))?;
        let known = ["v", "h", "k", "n", "p", "s", "t"];
        Ok(DkimKey {
            key_type: get("k").map_or_else(|| "rsa".to_string(), str::to_ascii_lowercase),
            hashes: get("h").map(|h| {
                colon_list(h)
                    .into_iter()
                    .map(|x| x.to_ascii_lowercase())
                    .collect()
            }),
            services: get("s").map_or_else(
                || vec!["*".to_string()],
                |v| {
                    colon_list(v)
                        .into_iter()
                        .map(|x| x.to_ascii_lowercase())
                        .collect()
                },
            ),
            flags: get("t").map_or_else(Vec::new, |v| {
                colon_list(v)
                    .into_iter()
                    .map(|x| x.to_ascii_lowercase())
                    .collect()
            }),
            notes: get("n").map(str::to_string),
            public_key_data,
            unknown: tags
                .iter()
                .filter(|t| !known.contains(&t.name))
                .map(|t| (t.name.to_string(), t.value.to_string()))
                .collect(),
        })
    }

    /// True for `t=y` (the domain is testing DKIM).
    pub fn testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }

    /// True for `t=s` (`i=` must be exactly `d=`).
    pub fn strict(&self) -> bool {
        self.flags.iter().any(|f| f == "s")
    }

    /// Decode the public key of type `k=`.
    pub fn public_key(&self) -> Result<PublicKey, DkimError> {
        if self.public_key_data.is_empty() {
            return Err(DkimError::KeyRevoked);
        }
        match self.key_type.as_str() {
            "rsa" => {
                let k = RsaPublicKey::from_public_key_der(&self.public_key_data)
                    .or_else(|_| RsaPublicKey::from_pkcs1_der(&self.public_key_data))
                    .map_err(|_| DkimError::KeySyntax(None))?;
                if k.n().bits() < MIN_RSA_BITS {
                    return Err(DkimError::KeyTooSmall);
                }
                Ok(PublicKey::Rsa(k))
            }
            "ed25519" => {
                let bytes: [u8; 32] = self
                    .public_key_data
                    .as_slice()
                    .try_into()
                    .map_err(|_| DkimError::KeySyntax(None))?;
                let k = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| DkimError::KeySyntax(None))?;
                Ok(PublicKey::Ed25519(k))
            }
            _ => Err(DkimError::InappropriateKeyAlgorithm),
        }
    }

    /// Check that this key may verify `sig` (RFC 6376 6.1.2), and decode it.
    pub fn check_for(&self, sig: &DkimSignature) -> Result<PublicKey, DkimError> {
        if self.public_key_data.is_empty() {
            return Err(DkimError::KeyRevoked);
        }
        if let Some(h) = &self.hashes {
            if !h.iter().any(|x| x == sig.algorithm.hash_name()) {
                return Err(DkimError::InappropriateHash);
            }
        }
        if self.key_type != sig.algorithm.key_type() {
            return Err(DkimError::InappropriateKeyAlgorithm);
        }
        if !self.services.iter().any(|s| s == "*" || s == "email") {
            return Err(DkimError::KeyNotForEmail(self.services.join(":")));
        }
        if self.strict() && !sig.identity_domain().eq_ignore_ascii_case(&sig.domain) {
            return Err(DkimError::DomainMismatchStrict);
        }
        let key = self.public_key()?;
        if sig.algorithm == Algorithm::Ed25519Sha256 && !matches!(key, PublicKey::Ed25519(_)) {
            return Err(DkimError::InappropriateKeyAlgorithm);
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_key_record() {
        // From seed 000: google._domainkey.alumnos.uc3m.es, two strings joined.
        let txt = concat!(
            "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApAgIsSm5O97Kjpyuq8EgseOXqayuuns/LD1SQsneI/zZK0fhrgloVfI1TBVF0pryXKa5I8+qf9JS1ZKNTqglSsJD4vpSCUhwweQW42j9O3W3kN5GIULeBTfLJPUxWxq697FIeSCSFLG/aH6vQ47P6/FSto",
            "J2E0L2pZmfi/jB8UOwBATW2u0cwjaOXyg1vSTqUyFQSOhV9MrlehFQzwOwNTf0SvLd3ymjS3fdslomaxxnZtlkIqYkr5sFjU9MTRLTy2QnZXDqkNEheRvzf5aPrGaqOeiDi4THzHTI8M31aWBR/qRHt9muC+Hrdm/PRNPU0vyiDS54GvkF8n7euEJHZQIDAQAB"
        );
        let k = DkimKey::parse(txt.as_bytes()).unwrap();
        assert_eq!(k.key_type, "rsa");
        assert_eq!(k.public_key().unwrap().bits(), 2048);
        assert!(!k.testing());
    }

    #[test]
    fn key_errors() {
        assert_eq!(
            DkimKey::parse(b"k=rsa; v=DKIM1; p=AAAA"),
            Err(DkimError::KeySyntax(Some("v= must be DKIM1".into())))
        );
        assert_eq!(
            DkimKey::parse(b"v=DKIM1; p=!!").unwrap_err(),
            DkimError::KeySyntax(None)
        );
        assert_eq!(
            DkimKey::parse(b"v=DKIM1; p=").unwrap().public_key(),
            Err(DkimError::KeyRevoked)
        );
        assert_eq!(
            DkimKey::parse(b"v=DKIM1; k=ed25519; p=AAAA")
                .unwrap()
                .public_key(),
            Err(DkimError::KeySyntax(None))
        );
    }
}
