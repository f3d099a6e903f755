//! The client side of every mechanism, behind one type: [`SaslClient`].

use hmac::{Mac, SimpleHmac};
use md5::Md5;

use super::framing::{self, Decoded};
use super::oauth::{OAuthBearerMessage, XOAuth2Message};
use super::plain::PlainMessage;
use super::scram::{ClientChannelBinding, ScramClient, ScramHash};
use super::{Field, Mechanism, SaslError, SaslLimits, check_name};

/// The client half of a SASL exchange.
///
/// Construct it for one mechanism, then:
///
/// 1. if the protocol lets the client send an initial response (SMTP `AUTH <mech> <ir>`,
///    POP3 `AUTH <mech> <ir>`, IMAP with SASL-IR), call [`initial_response`](Self::initial_response);
/// 2. answer each server challenge with [`step`](Self::step) (or [`step_line`](Self::step_line)
///    for base64 lines);
/// 3. when the server reports success, call [`finish`](Self::finish): for SCRAM this is
///    where the server's signature must have been verified, so a server that does not
///    know the password cannot make the client believe it authenticated.
///
/// Nothing is random inside: the SCRAM client nonce is given by the caller.
///
/// ```
/// use correo_wire::sasl::{SaslClient, framing::encode_response};
/// // The seeds' `AUTH LOGIN`: the server prompts, the client answers in base64.
/// let mut c = SaslClient::login("usuario", "contraseña").unwrap();
/// assert_eq!(c.initial_response().unwrap(), None);
/// assert_eq!(c.step_line(b"VXNlcm5hbWU6").unwrap(), encode_response(b"usuario"));
/// assert_eq!(c.step_line(b"UGFzc3dvcmQ6").unwrap(), encode_response("contraseña".as_bytes()));
/// c.finish(None).unwrap();
/// ```
pub struct SaslClient {
    mechanism: Mechanism,
    kind: Kind,
    limits: SaslLimits,
    rounds: u32,
    started: bool,
    done: bool,
    server_error: Option<String>,
}

enum Kind {
    Plain {
        message: Vec<u8>,
        sent: bool,
    },
    Login {
        username: String,
        password: String,
        answered: u8,
    },
    CramMd5 {
        username: String,
        secret: Vec<u8>,
        sent: bool,
    },
    OAuth {
        message: Vec<u8>,
        sent: bool,
        error_answer: &'static [u8],
    },
    Scram(Box<ScramClient>),
}

impl core::fmt::Debug for SaslClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SaslClient")
            .field("mechanism", &self.mechanism)
            .field("rounds", &self.rounds)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl SaslClient {
    fn with(mechanism: Mechanism, kind: Kind) -> Self {
        SaslClient {
            mechanism,
            kind,
            limits: SaslLimits::default(),
            rounds: 0,
            started: false,
            done: false,
            server_error: None,
        }
    }

    /// PLAIN (RFC 4616). `authzid` is the identity to act as (`None`: the user's own).
    pub fn plain(authzid: Option<&str>, username: &str, password: &str) -> Result<Self, SaslError> {
        let message = PlainMessage::new(authzid, username, password)?.encode();
        Ok(Self::with(
            Mechanism::Plain,
            Kind::Plain {
                message,
                sent: false,
            },
        ))
    }

    /// LOGIN: answers the first challenge (`Username:`) with the user name and the
    /// second (`Password:`) with the password, whatever their exact text.
    pub fn login(username: &str, password: &str) -> Result<Self, SaslError> {
        check_name(username.as_bytes(), Field::Username)?;
        if username.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        Ok(Self::with(
            Mechanism::Login,
            Kind::Login {
                username: username.to_owned(),
                password: password.to_owned(),
                answered: 0,
            },
        ))
    }

    /// CRAM-MD5 (RFC 2195): legacy, weak (the server must store the password in clear
    /// or an equivalent); use only when nothing better is offered.
    pub fn cram_md5(username: &str, secret: &str) -> Result<Self, SaslError> {
        check_name(username.as_bytes(), Field::Username)?;
        if username.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        Ok(Self::with(
            Mechanism::CramMd5,
            Kind::CramMd5 {
                username: username.to_owned(),
                secret: secret.as_bytes().to_vec(),
                sent: false,
            },
        ))
    }

    /// XOAUTH2 with an OAuth 2.0 access token.
    pub fn xoauth2(user: &str, token: &str) -> Result<Self, SaslError> {
        let m = XOAuth2Message { user, token };
        m.validate()?;
        Ok(Self::with(
            Mechanism::XOAuth2,
            Kind::OAuth {
                message: m.encode(),
                sent: false,
                error_answer: b"",
            },
        ))
    }

    /// OAUTHBEARER (RFC 7628) with an OAuth 2.0 bearer token; `host` and `port` are
    /// those the client connected to (recommended by the RFC).
    pub fn oauthbearer(
        authzid: Option<&str>,
        host: Option<&str>,
        port: Option<u16>,
        token: &str,
    ) -> Result<Self, SaslError> {
        let m = OAuthBearerMessage {
            authzid: authzid.filter(|a| !a.is_empty()).map(str::to_owned),
            host,
            port,
            token,
        };
        m.validate()?;
        Ok(Self::with(
            Mechanism::OAuthBearer,
            Kind::OAuth {
                message: m.encode(),
                sent: false,
                error_answer: b"\x01",
            },
        ))
    }

    /// SCRAM-SHA-1 / SCRAM-SHA-256, and their `-PLUS` variants when `channel_binding`
    /// is [`ClientChannelBinding::Used`]. `client_nonce` must be fresh and random (at
    /// least 18 bytes of entropy; printable ASCII without commas), chosen by the caller.
    /// User name and password go through [`saslprep`](super::saslprep::saslprep).
    pub fn scram(
        hash: ScramHash,
        username: &str,
        password: &str,
        authzid: Option<&str>,
        client_nonce: &str,
        channel_binding: ClientChannelBinding,
    ) -> Result<Self, SaslError> {
        let s = ScramClient::new(
            hash,
            username,
            password,
            authzid,
            client_nonce,
            channel_binding,
        )?;
        Ok(Self::with(s.mechanism(), Kind::Scram(Box::new(s))))
    }

    /// Replaces the limits (rounds, message size, SCRAM iteration and salt bounds).
    pub fn with_limits(mut self, limits: SaslLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The mechanism name to send in `AUTH` / `AUTHENTICATE`.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The initial response for SASL-IR, or `None` for mechanisms where the server
    /// speaks first (LOGIN, CRAM-MD5). Must be called before any [`step`](Self::step),
    /// or not at all (the client then answers the server's first, empty, challenge).
    pub fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        if self.started || self.done {
            return Err(SaslError::UnexpectedStep(
                "initial response after the exchange started",
            ));
        }
        self.started = true;
        match &mut self.kind {
            Kind::Plain { message, sent } | Kind::OAuth { message, sent, .. } => {
                *sent = true;
                Ok(Some(message.clone()))
            }
            Kind::Scram(s) => s.client_first().map(Some),
            Kind::Login { .. } | Kind::CramMd5 { .. } => Ok(None),
        }
    }

    /// [`initial_response`](Self::initial_response), base64-encoded for the wire (`=`
    /// when empty).
    pub fn initial_response_line(&mut self) -> Result<Option<String>, SaslError> {
        Ok(self
            .initial_response()?
            .map(|ir| framing::encode_initial_response(&ir)))
    }

    /// Answers one server challenge (already base64-decoded).
    ///
    /// For XOAUTH2 and OAUTHBEARER a challenge after the token is the server's JSON
    /// error: it is kept (see [`server_error`](Self::server_error)) and answered with
    /// the empty response (XOAUTH2) or `^A` (OAUTHBEARER) that ends the exchange.
    pub fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        let r = self.step_inner(challenge);
        if r.is_err() {
            self.done = true;
        }
        r
    }

    fn step_inner(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if self.done {
            return Err(SaslError::UnexpectedStep("the exchange is over"));
        }
        self.started = true;
        self.rounds = self.rounds.saturating_add(1);
        if self.rounds > self.limits.max_rounds {
            return Err(SaslError::TooManyRounds {
                limit: self.limits.max_rounds,
            });
        }
        if challenge.len() > self.limits.max_message_len {
            return Err(SaslError::TooLong {
                len: challenge.len(),
                limit: self.limits.max_message_len,
            });
        }
        match &mut self.kind {
            Kind::Plain { message, sent } => {
                if *sent || !challenge.is_empty() {
                    return Err(SaslError::UnexpectedStep("PLAIN expects no challenge"));
                }
                *sent = true;
                Ok(message.clone())
            }
            Kind::Login {
                username,
                password,
                answered,
            } => {
                *answered = answered.saturating_add(1);
                match *answered {
                    1 => Ok(username.as_bytes().to_vec()),
                    2 => Ok(password.as_bytes().to_vec()),
                    _ => Err(SaslError::UnexpectedStep(
                        "LOGIN expects exactly two challenges",
                    )),
                }
            }
            Kind::CramMd5 {
                username,
                secret,
                sent,
            } => {
                if *sent {
                    return Err(SaslError::UnexpectedStep("CRAM-MD5 expects one challenge"));
                }
                if challenge.is_empty() {
                    return Err(SaslError::EmptyField {
                        field: Field::Challenge,
                    });
                }
                *sent = true;
                let mut out = username.as_bytes().to_vec();
                out.push(b' ');
                out.extend_from_slice(cram_digest_hex(secret, challenge).as_bytes());
                Ok(out)
            }
            Kind::OAuth {
                message,
                sent,
                error_answer,
            } => {
                if !*sent {
                    if !challenge.is_empty() {
                        return Err(SaslError::UnexpectedStep(
                            "the token must be sent before any challenge",
                        ));
                    }
                    *sent = true;
                    return Ok(message.clone());
                }
                if self.server_error.is_some() {
                    return Err(SaslError::UnexpectedStep(
                        "second challenge after the server's error",
                    ));
                }
                let doc = String::from_utf8_lossy(challenge);
                self.server_error = Some(doc.into_owned());
                Ok(error_answer.to_vec())
            }
            Kind::Scram(s) => s.step(challenge, &self.limits),
        }
    }

    /// Decodes a base64 challenge line (without `334 ` / `+ `), answers it and returns
    /// the base64 response line.
    pub fn step_line(&mut self, line: &[u8]) -> Result<String, SaslError> {
        match framing::decode_line(line, self.limits.max_message_len) {
            Ok(Decoded::Data(challenge)) => {
                let resp = self.step(&challenge)?;
                Ok(framing::encode_response(&resp))
            }
            Ok(Decoded::Cancel) => {
                self.done = true;
                Err(SaslError::UnexpectedStep("the server sent '*'"))
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Aborts the exchange: returns the `*` line to send.
    pub fn cancel(&mut self) -> &'static str {
        self.done = true;
        framing::CANCEL
    }

    /// The server reported success (SMTP `235`, POP3 `+OK`, IMAP `OK`), with optional
    /// additional data (IMAP4rev2 `[SASL ...]`, already base64-decoded). Checks that the
    /// exchange really completed: for SCRAM, that the server proved it knows the
    /// password; for the OAuth mechanisms, that the server did not send an error.
    pub fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        if self.done {
            return Err(SaslError::UnexpectedStep("the exchange is over"));
        }
        self.done = true;
        let extra = additional_data.is_some_and(|d| !d.is_empty());
        let complete = match &mut self.kind {
            Kind::Scram(s) => return s.finish(additional_data),
            Kind::Plain { sent, .. } | Kind::CramMd5 { sent, .. } => *sent,
            Kind::OAuth { sent, .. } => *sent && self.server_error.is_none(),
            Kind::Login { answered, .. } => *answered == 2,
        };
        if complete && !extra {
            Ok(())
        } else {
            Err(SaslError::UnexpectedStep(
                "server reported success before the exchange completed",
            ))
        }
    }

    /// The JSON error document an OAuth server sent, if any.
    pub fn server_error(&self) -> Option<&str> {
        self.server_error.as_deref()
    }

    /// Whether the exchange is over (finished, failed or cancelled).
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// `hex(HMAC-MD5(secret, challenge))`, lower case (RFC 2195).
pub(crate) fn cram_digest_hex(secret: &[u8], challenge: &[u8]) -> String {
    let digest = match SimpleHmac::<Md5>::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(challenge);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    let mut hex = String::with_capacity(32);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";
