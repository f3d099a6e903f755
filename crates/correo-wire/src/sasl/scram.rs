//! SCRAM (RFC 5802, RFC 7677): key derivation, the stored credentials a server keeps,
//! and the client and server halves of the exchange (driven through
//! [`SaslClient`](super::SaslClient) and [`SaslServer`](super::SaslServer)).
//!
//! ```text
//! SaltedPassword  = Hi(SASLprep(password), salt, i)        (PBKDF2-HMAC)
//! ClientKey       = HMAC(SaltedPassword, "Client Key")
//! StoredKey       = H(ClientKey)
//! ServerKey       = HMAC(SaltedPassword, "Server Key")
//! AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
//! ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
//! ServerSignature = HMAC(ServerKey, AuthMessage)
//! ```

use hmac::{Mac, SimpleHmac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::framing::{b64, decode_at};
use super::gs2::{self, CbFlag, ChannelBindingType};
use super::saslprep::saslprep;
use super::{Field, Mechanism, SaslError, SaslLimits, check_name, utf8};

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScramHash {
    /// SHA-1 (`SCRAM-SHA-1`, RFC 5802).
    Sha1,
    /// SHA-256 (`SCRAM-SHA-256`, RFC 7677).
    Sha256,
}

impl ScramHash {
    /// Output length in bytes (20 or 32): the length of StoredKey, ServerKey and proofs.
    pub const fn output_len(self) -> usize {
        match self {
            ScramHash::Sha1 => 20,
            ScramHash::Sha256 => 32,
        }
    }

    /// The mechanism using this hash, with or without channel binding.
    pub const fn mechanism(self, plus: bool) -> Mechanism {
        match (self, plus) {
            (ScramHash::Sha1, false) => Mechanism::ScramSha1,
            (ScramHash::Sha1, true) => Mechanism::ScramSha1Plus,
            (ScramHash::Sha256, false) => Mechanism::ScramSha256,
            (ScramHash::Sha256, true) => Mechanism::ScramSha256Plus,
        }
    }

    /// The hash of a SCRAM mechanism, or `None` for other mechanisms.
    pub const fn of(mechanism: Mechanism) -> Option<ScramHash> {
        match mechanism {
            Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => Some(ScramHash::Sha1),
            Mechanism::ScramSha256 | Mechanism::ScramSha256Plus => Some(ScramHash::Sha256),
            _ => None,
        }
    }

    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // SimpleHmac accepts keys of any length; `new_from_slice` cannot fail for it.
        match self {
            ScramHash::Sha1 => match SimpleHmac::<Sha1>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
            ScramHash::Sha256 => match SimpleHmac::<Sha256>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
        }
    }

    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => Sha1::digest(data).to_vec(),
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// `Hi()`: PBKDF2 with HMAC of this hash, one block.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        match self {
            ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
            ScramHash::Sha256 => {
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
            }
        }
        out
    }
}

/// What a SCRAM server stores for a user instead of the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The salt.
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count.
    pub iterations: u32,
    /// `H(HMAC(SaltedPassword, "Client Key"))`.
    pub stored_key: Vec<u8>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

impl core::fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("salt", &b64(&self.salt))
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramCredentials {
    /// Derives the stored credentials from a password (after SASLprep), a salt the
    /// caller generated (16 random bytes or more) and an iteration count (4096 or more).
    ///
    /// ```
    /// use correo_wire::sasl::scram::{ScramCredentials, ScramHash};
    /// let c = ScramCredentials::derive(ScramHash::Sha256, "pencil", b"salt-from-rng", 4096).unwrap();
    /// assert_eq!(c.stored_key.len(), 32);
    /// ```
    pub fn derive(
        hash: ScramHash,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, SaslError> {
        if iterations == 0 {
            return Err(SaslError::IterationCount {
                count: 0,
                min: 1,
                max: u32::MAX,
            });
        }
        if salt.is_empty() {
            return Err(SaslError::SaltLength { len: 0, max: 0 });
        }
        let password = saslprep(password, Field::Password)?;
        let salted = hash.hi(password.as_bytes(), salt, iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        Ok(ScramCredentials {
            salt: salt.to_vec(),
            iterations,
            stored_key: hash.hash(&client_key),
            server_key: hash.hmac(&salted, b"Server Key"),
        })
    }
}

/// Channel binding as the client sees it.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientChannelBinding {
    /// The client does not support channel binding (GS2 flag `n`).
    NotSupported,
    /// The client supports channel binding but the server did not offer a `-PLUS`
    /// mechanism (GS2 flag `y`; lets the server detect a downgrade).
    NotUsed,
    /// Use channel binding (GS2 flag `p=<type>`, a `-PLUS` mechanism) with the binding
    /// data the TLS library computed for this connection.
    Used(ChannelBindingType, Vec<u8>),
}

impl core::fmt::Debug for ClientChannelBinding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientChannelBinding::NotSupported => f.write_str("NotSupported"),
            ClientChannelBinding::NotUsed => f.write_str("NotUsed"),
            ClientChannelBinding::Used(t, d) => write!(f, "Used({t}, {} bytes)", d.len()),
        }
    }
}

impl ClientChannelBinding {
    /// The right choice for a client that has `binding` data for its TLS connection
    /// (`None` on a plain connection, or a TLS library without exporters) when the server
    /// does or does not advertise a `-PLUS` mechanism (RFC 5802 section 6):
    /// binding data and a `-PLUS` server give [`Used`](Self::Used); binding data and no
    /// `-PLUS` give [`NotUsed`](Self::NotUsed) (`y`, so a server that does support channel
    /// binding detects the downgrade); no (or empty) data gives [`NotSupported`](Self::NotSupported).
    ///
    /// ```
    /// use correo_wire::sasl::scram::ClientChannelBinding;
    /// use correo_wire::sasl::ChannelBindingType;
    /// let data = Some((ChannelBindingType::TlsExporter, vec![1; 32]));
    /// assert!(matches!(ClientChannelBinding::choose(data.clone(), true), ClientChannelBinding::Used(..)));
    /// assert_eq!(ClientChannelBinding::choose(data, false), ClientChannelBinding::NotUsed);
    /// assert_eq!(ClientChannelBinding::choose(None, true), ClientChannelBinding::NotSupported);
    /// ```
    pub fn choose(
        binding: Option<(ChannelBindingType, Vec<u8>)>,
        server_offers_plus: bool,
    ) -> Self {
        match binding {
            Some((t, data)) if server_offers_plus && !data.is_empty() => {
                ClientChannelBinding::Used(t, data)
            }
            Some((_, data)) if !data.is_empty() => ClientChannelBinding::NotUsed,
            // No data, or empty data (which binds nothing): no channel binding at all.
            _ => ClientChannelBinding::NotSupported,
        }
    }
}

/// One `x=value` attribute of a SCRAM message, with its offset.
struct Attr<'a> {
    name: u8,
    value: &'a [u8],
    offset: usize,
}

/// Splits `msg` into attributes; `base` is its offset in the whole message.
fn attrs(msg: &[u8], base: usize) -> impl Iterator<Item = Attr<'_>> {
    let mut pos = 0usize;
    msg.split(|&b| b == b',').map(move |part| {
        let offset = base.saturating_add(pos);
        pos = pos.saturating_add(part.len()).saturating_add(1);
        match part {
            [name, b'=', value @ ..] => Attr {
                name: *name,
                value,
                offset,
            },
            _ => Attr {
                name: 0,
                value: part,
                offset,
            },
        }
    })
}

fn malformed(mechanism: Mechanism, offset: usize, reason: &'static str) -> SaslError {
    SaslError::Malformed {
        mechanism,
        offset,
        reason,
    }
}

/// RFC 5802 `printable`: `%x21-2B / %x2D-7E` (visible ASCII except the comma).
pub(crate) fn check_nonce(nonce: &[u8]) -> Result<(), SaslError> {
    if nonce.is_empty() {
        return Err(SaslError::EmptyField {
            field: Field::Nonce,
        });
    }
    match nonce
        .iter()
        .position(|&b| !(0x21..=0x7e).contains(&b) || b == b',')
    {
        Some(offset) => Err(SaslError::ForbiddenByte {
            field: Field::Nonce,
            byte: nonce.get(offset).copied().unwrap_or(0),
            offset,
        }),
        None => Ok(()),
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------

pub(crate) struct ScramClient {
    hash: ScramHash,
    mechanism: Mechanism,
    gs2_header: String,
    cb_data: Vec<u8>,
    client_first_bare: String,
    nonce: String,
    password: String,
    state: ClientState,
}

enum ClientState {
    Initial,
    SentFirst,
    SentFinal { server_signature: Vec<u8> },
    Verified,
    Done,
}

impl ScramClient {
    pub(crate) fn new(
        hash: ScramHash,
        username: &str,
        password: &str,
        authzid: Option<&str>,
        client_nonce: &str,
        channel_binding: ClientChannelBinding,
    ) -> Result<Self, SaslError> {
        check_name(username.as_bytes(), Field::Username)?;
        let username = saslprep(username, Field::Username)?;
        if username.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        let authzid = authzid.filter(|a| !a.is_empty());
        if let Some(a) = authzid {
            check_name(a.as_bytes(), Field::Authzid)?;
        }
        let password = saslprep(password, Field::Password)?.into_owned();
        check_nonce(client_nonce.as_bytes())?;
        let (flag, cb_data) = match channel_binding {
            ClientChannelBinding::NotSupported => (CbFlag::NotSupported, Vec::new()),
            ClientChannelBinding::NotUsed => (CbFlag::NotUsed, Vec::new()),
            ClientChannelBinding::Used(t, data) => {
                if data.is_empty() {
                    return Err(SaslError::ChannelBinding("empty channel-binding data"));
                }
                (CbFlag::Used(t), data)
            }
        };
        let mut bare = String::from("n=");
        gs2::escape_into(&username, &mut bare);
        bare.push_str(",r=");
        bare.push_str(client_nonce);
        Ok(ScramClient {
            hash,
            mechanism: hash.mechanism(matches!(flag, CbFlag::Used(_))),
            gs2_header: gs2::encode_header(flag, authzid),
            cb_data,
            client_first_bare: bare,
            nonce: client_nonce.to_owned(),
            password,
            state: ClientState::Initial,
        })
    }

    pub(crate) fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    pub(crate) fn client_first(&mut self) -> Result<Vec<u8>, SaslError> {
        if !matches!(self.state, ClientState::Initial) {
            return Err(SaslError::UnexpectedStep(
                "client-first message already sent",
            ));
        }
        self.state = ClientState::SentFirst;
        let mut out = self.gs2_header.clone().into_bytes();
        out.extend_from_slice(self.client_first_bare.as_bytes());
        Ok(out)
    }

    pub(crate) fn step(
        &mut self,
        challenge: &[u8],
        limits: &SaslLimits,
    ) -> Result<Vec<u8>, SaslError> {
        match core::mem::replace(&mut self.state, ClientState::Done) {
            ClientState::Initial => {
                if !challenge.is_empty() {
                    return Err(malformed(self.mechanism, 0, "SCRAM starts with the client"));
                }
                self.state = ClientState::Initial;
                self.client_first()
            }
            ClientState::SentFirst => self.client_final(challenge, limits),
            ClientState::SentFinal { server_signature } => {
                self.verify_final(challenge, &server_signature)?;
                self.state = ClientState::Verified;
                Ok(Vec::new())
            }
            ClientState::Verified | ClientState::Done => {
                Err(SaslError::UnexpectedStep("SCRAM exchange already complete"))
            }
        }
    }

    /// The server reported success, with `additional` data or none.
    pub(crate) fn finish(&mut self, additional: Option<&[u8]>) -> Result<(), SaslError> {
        match core::mem::replace(&mut self.state, ClientState::Done) {
            ClientState::Verified if additional.is_none_or(<[u8]>::is_empty) => Ok(()),
            ClientState::SentFinal { server_signature } => match additional {
                Some(data) => self.verify_final(data, &server_signature),
                None => Err(SaslError::UnexpectedStep(
                    "server reported success without its SCRAM signature",
                )),
            },
            _ => Err(SaslError::UnexpectedStep(
                "success before the SCRAM exchange completed",
            )),
        }
    }

    fn client_final(
        &mut self,
        server_first: &[u8],
        limits: &SaslLimits,
    ) -> Result<Vec<u8>, SaslError> {
        let mech = self.mechanism;
        let sf = utf8(server_first, Field::Challenge)?;
        let mut it = attrs(server_first, 0);
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        // r=, s=, i= in this order, then optional extensions.
        for (want, a) in [b'r', b's', b'i'].into_iter().zip(it.by_ref()) {
            if a.name == b'm' {
                return Err(malformed(
                    mech,
                    a.offset,
                    "unsupported mandatory extension m=",
                ));
            }
            if let (b'e', 0) = (a.name, a.offset) {
                return Err(SaslError::ServerError(
                    String::from_utf8_lossy(a.value).chars().take(256).collect(),
                ));
            }
            if a.name != want {
                return Err(malformed(mech, a.offset, "expected r=, s= and i= in order"));
            }
            match want {
                b'r' => nonce = Some(a.value),
                b's' => salt = Some((a.value, a.offset)),
                _ => iterations = Some((a.value, a.offset)),
            }
        }
        let (Some(nonce), Some((salt_b64, salt_at)), Some((iter_raw, iter_at))) =
            (nonce, salt, iterations)
        else {
            return Err(malformed(
                mech,
                server_first.len(),
                "server-first message is incomplete",
            ));
        };
        check_nonce(nonce)?;
        if !nonce.starts_with(self.nonce.as_bytes()) || nonce.len() == self.nonce.len() {
            return Err(SaslError::NonceMismatch);
        }
        let salt = decode_at(salt_b64, salt_at + 2, limits.scram_max_salt_len)?;
        if salt.is_empty() {
            return Err(SaslError::SaltLength {
                len: 0,
                max: limits.scram_max_salt_len,
            });
        }
        let iterations =
            parse_count(iter_raw).ok_or(malformed(mech, iter_at + 2, "bad iteration count"))?;
        if iterations < limits.scram_min_iterations || iterations > limits.scram_max_iterations {
            return Err(SaslError::IterationCount {
                count: iterations,
                min: limits.scram_min_iterations,
                max: limits.scram_max_iterations,
            });
        }
        let mut cbind = self.gs2_header.clone().into_bytes();
        cbind.extend_from_slice(&self.cb_data);
        // `nonce` is printable ASCII (checked above), hence valid UTF-8.
        let nonce = String::from_utf8_lossy(nonce);
        let without_proof = format!("c={},r={}", b64(&cbind), nonce);
        let auth_message = format!("{},{},{}", self.client_first_bare, sf, without_proof);

        let h = self.hash;
        let salted = h.hi(self.password.as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.hash(&client_key);
        let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        let server_signature = h.hmac(&server_key, auth_message.as_bytes());
        self.state = ClientState::SentFinal { server_signature };
        Ok(format!("{without_proof},p={}", b64(&proof)).into_bytes())
    }

    fn verify_final(&self, server_final: &[u8], expected: &[u8]) -> Result<(), SaslError> {
        let first = attrs(server_final, 0).next();
        match first {
            Some(Attr {
                name: b'e', value, ..
            }) => Err(SaslError::ServerError(
                String::from_utf8_lossy(value).chars().take(256).collect(),
            )),
            Some(Attr {
                name: b'v', value, ..
            }) => {
                let v = decode_at(value, 2, 64)?;
                if ct_eq(&v, expected) {
                    Ok(())
                } else {
                    Err(SaslError::ServerSignatureMismatch)
                }
            }
            _ => Err(malformed(
                self.mechanism,
                0,
                "server-final must start v= or e=",
            )),
        }
    }
}

fn parse_count(raw: &[u8]) -> Option<u32> {
    if raw.is_empty()
        || raw.len() > 10
        || !raw.iter().all(u8::is_ascii_digit)
        || raw.first() == Some(&b'0')
    {
        return None;
    }
    raw.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

/// What the SCRAM server half asks of its driver.
pub(crate) enum ServerStep {
    NeedCredentials {
        username: String,
        authzid: Option<String>,
    },
    Challenge(Vec<u8>),
    Verified {
        username: String,
        authzid: Option<String>,
        server_final: Vec<u8>,
    },
    InvalidProof,
}

pub(crate) struct ScramServer {
    hash: ScramHash,
    mechanism: Mechanism,
    server_nonce: String,
    state: ServerState,
}

enum ServerState {
    Initial,
    AwaitCredentials(First),
    SentFirst {
        first: First,
        server_first: String,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    },
    Done,
}

struct First {
    username: String,
    authzid: Option<String>,
    /// The GS2 header bytes followed by the channel-binding data, as `c=` must carry.
    expected_cbind: Vec<u8>,
    client_first_bare: String,
    client_nonce: String,
}

impl ScramServer {
    pub(crate) fn new(mechanism: Mechanism, server_nonce: &str) -> Result<Self, SaslError> {
        let hash = ScramHash::of(mechanism).ok_or(SaslError::Unsupported {
            mechanism,
            reason: "not a SCRAM mechanism",
        })?;
        check_nonce(server_nonce.as_bytes())?;
        Ok(ScramServer {
            hash,
            mechanism,
            server_nonce: server_nonce.to_owned(),
            state: ServerState::Initial,
        })
    }

    pub(crate) fn step(
        &mut self,
        msg: &[u8],
        channel_bindings: &[(ChannelBindingType, Vec<u8>)],
    ) -> Result<ServerStep, SaslError> {
        match core::mem::replace(&mut self.state, ServerState::Done) {
            ServerState::Initial => self.client_first(msg, channel_bindings),
            ServerState::SentFirst {
                first,
                server_first,
                stored_key,
                server_key,
            } => self.client_final(msg, &first, &server_first, &stored_key, &server_key),
            ServerState::AwaitCredentials(_) => Err(SaslError::UnexpectedStep(
                "SCRAM server is waiting for the user's credentials",
            )),
            ServerState::Done => Err(SaslError::UnexpectedStep("SCRAM exchange is over")),
        }
    }

    fn client_first(
        &mut self,
        msg: &[u8],
        channel_bindings: &[(ChannelBindingType, Vec<u8>)],
    ) -> Result<ServerStep, SaslError> {
        let mech = self.mechanism;
        let header = gs2::parse_header(msg, mech)?;
        let cb_data: &[u8] = match header.flag {
            CbFlag::Used(t) => {
                if !mech.is_plus() {
                    return Err(SaslError::ChannelBinding(
                        "client sent p= with a mechanism without -PLUS",
                    ));
                }
                channel_bindings
                    .iter()
                    .find(|(ty, _)| *ty == t)
                    .map(|(_, d)| d.as_slice())
                    .ok_or(SaslError::ChannelBinding(
                        "client asked for a channel-binding type the server does not have",
                    ))?
            }
            CbFlag::NotUsed | CbFlag::NotSupported if mech.is_plus() => {
                return Err(SaslError::ChannelBinding(
                    "a -PLUS mechanism requires channel binding (p=)",
                ));
            }
            CbFlag::NotUsed if !channel_bindings.is_empty() => {
                return Err(SaslError::ChannelBinding(
                    "client says the server lacks channel binding, but it offers it: downgrade",
                ));
            }
            CbFlag::NotUsed | CbFlag::NotSupported => &[],
        };
        let bare_bytes = msg.get(header.len..).unwrap_or_default();
        let bare = utf8(bare_bytes, Field::Username)?;
        let mut it = attrs(bare_bytes, header.len);
        let user = it.next().filter(|a| a.name == b'n').ok_or_else(|| {
            if bare_bytes.starts_with(b"m=") {
                malformed(mech, header.len, "unsupported mandatory extension m=")
            } else {
                malformed(mech, header.len, "expected n=<user>")
            }
        })?;
        let username = gs2::unescape(user.value, Field::Username, mech, user.offset + 2)?;
        if username.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        let nonce = it.next().filter(|a| a.name == b'r').ok_or(malformed(
            mech,
            header.len,
            "expected r=<nonce> after n=",
        ))?;
        check_nonce(nonce.value)?;
        let mut expected_cbind = msg.get(..header.len).unwrap_or_default().to_vec();
        expected_cbind.extend_from_slice(cb_data);
        let first = First {
            username: username.clone(),
            authzid: header.authzid.clone(),
            expected_cbind,
            client_first_bare: bare.to_owned(),
            client_nonce: String::from_utf8_lossy(nonce.value).into_owned(),
        };
        self.state = ServerState::AwaitCredentials(first);
        Ok(ServerStep::NeedCredentials {
            username,
            authzid: header.authzid,
        })
    }

    pub(crate) fn credentials(
        &mut self,
        creds: &ScramCredentials,
        limits: &SaslLimits,
    ) -> Result<ServerStep, SaslError> {
        let ServerState::AwaitCredentials(first) =
            core::mem::replace(&mut self.state, ServerState::Done)
        else {
            return Err(SaslError::UnexpectedStep(
                "no SCRAM credentials were asked for",
            ));
        };
        let n = self.hash.output_len();
        if creds.stored_key.len() != n || creds.server_key.len() != n {
            return Err(SaslError::Unsupported {
                mechanism: self.mechanism,
                reason: "stored credentials have the wrong key length for this hash",
            });
        }
        if creds.salt.is_empty() || creds.salt.len() > limits.scram_max_salt_len {
            return Err(SaslError::SaltLength {
                len: creds.salt.len(),
                max: limits.scram_max_salt_len,
            });
        }
        if creds.iterations == 0 {
            return Err(SaslError::IterationCount {
                count: 0,
                min: 1,
                max: u32::MAX,
            });
        }
        let server_first = format!(
            "r={}{},s={},i={}",
            first.client_nonce,
            self.server_nonce,
            b64(&creds.salt),
            creds.iterations
        );
        let out = server_first.clone().into_bytes();
        self.state = ServerState::SentFirst {
            first,
            server_first,
            stored_key: creds.stored_key.clone(),
            server_key: creds.server_key.clone(),
        };
        Ok(ServerStep::Challenge(out))
    }

    fn client_final(
        &mut self,
        msg: &[u8],
        first: &First,
        server_first: &str,
        stored_key: &[u8],
        server_key: &[u8],
    ) -> Result<ServerStep, SaslError> {
        let mech = self.mechanism;
        let p = memchr::memmem::rfind(msg, b",p=").ok_or(malformed(
            mech,
            msg.len(),
            "missing proof p=",
        ))?;
        let without_proof = msg.get(..p).unwrap_or_default();
        let proof_b64 = msg.get(p + 3..).unwrap_or_default();
        let without_proof_str = utf8(without_proof, Field::Challenge)?;
        let mut it = attrs(without_proof, 0);
        let c = it.next().filter(|a| a.name == b'c').ok_or(malformed(
            mech,
            0,
            "expected c=<channel binding>",
        ))?;
        let cbind = decode_at(c.value, 2, first.expected_cbind.len().saturating_add(64))?;
        if cbind != first.expected_cbind {
            return Err(SaslError::ChannelBinding(
                "c= does not match the GS2 header and channel-binding data",
            ));
        }
        let r = it.next().filter(|a| a.name == b'r').ok_or(malformed(
            mech,
            c.offset,
            "expected r=<nonce> after c=",
        ))?;
        let full_nonce_len = first.client_nonce.len() + self.server_nonce.len();
        let nonce_ok = r.value.len() == full_nonce_len
            && r.value.starts_with(first.client_nonce.as_bytes())
            && r.value.ends_with(self.server_nonce.as_bytes());
        if !nonce_ok {
            return Err(SaslError::NonceMismatch);
        }
        if let Some(bad) = it.find(|a| a.name == 0 || !a.name.is_ascii_alphabetic()) {
            return Err(malformed(mech, bad.offset, "expected attribute=value"));
        }
        let proof = decode_at(proof_b64, p + 3, 64)?;
        let h = self.hash;
        if proof.len() != h.output_len() {
            return Err(malformed(mech, p + 3, "proof has the wrong length"));
        }
        let auth_message = format!(
            "{},{},{}",
            first.client_first_bare, server_first, without_proof_str
        );
        let client_signature = h.hmac(stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        if !ct_eq(&h.hash(&client_key), stored_key) {
            return Ok(ServerStep::InvalidProof);
        }
        let server_signature = h.hmac(server_key, auth_message.as_bytes());
        Ok(ServerStep::Verified {
            username: first.username.clone(),
            authzid: first.authzid.clone(),
            server_final: format!("v={}", b64(&server_signature)).into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_parsing() {
        assert_eq!(parse_count(b"4096"), Some(4096));
        assert_eq!(parse_count(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_count(b"4294967296"), None);
        assert_eq!(parse_count(b"0"), None);
        assert_eq!(parse_count(b"-1"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(parse_count(b"012"), None);
    }

    #[test]
    fn nonce_rules() {
        assert!(check_nonce(b"fyko+d2lbbFgONRv9qkxdawL").is_ok());
        assert!(matches!(
            check_nonce(b"ab,c"),
            Err(SaslError::ForbiddenByte {
                byte: b',',
                offset: 2,
                ..
            })
        ));
        assert!(check_nonce(b"a b").is_err());
        assert!(check_nonce(b"").is_err());
    }
}
