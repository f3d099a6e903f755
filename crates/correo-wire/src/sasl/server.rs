//! The server side of every mechanism, behind one type: [`SaslServer`].

use super::client::cram_digest_hex;
use super::framing::{self, Decoded};
use super::gs2::ChannelBindingType;
use super::oauth::{OAuthBearerMessage, XOAuth2Message, check_error_document};
use super::plain::PlainMessage;
use super::scram::{ScramCredentials, ScramServer, ServerStep};
use super::{Field, Mechanism, SaslError, SaslLimits, check_name, utf8};

/// Settings of a [`SaslServer`]: the values the mechanism needs from the caller (no
/// randomness and no clock inside) and the limits.
#[derive(Clone, Default)]
pub struct ServerConfig {
    /// Limits on rounds, message size and SCRAM parameters.
    pub limits: SaslLimits,
    /// SCRAM: the server's part of the nonce (printable ASCII without commas, at least
    /// 18 bytes of entropy). Required for SCRAM mechanisms. It must be fresh and random
    /// for **every** exchange: a reused nonce lets a recorded exchange be replayed.
    pub scram_nonce: Option<String>,
    /// CRAM-MD5: the challenge, conventionally `<random.timestamp@hostname>`. Required
    /// for CRAM-MD5.
    pub cram_challenge: Option<String>,
    /// The channel-binding data of this TLS connection, per type. A non-empty list means
    /// the server advertises the `-PLUS` mechanisms (a SCRAM client sending `y` is then
    /// refused as a downgrade).
    pub channel_bindings: Vec<(ChannelBindingType, Vec<u8>)>,
    /// Where SCRAM's final message (`v=...`) goes. `false` (the default, what SMTP,
    /// POP3 and IMAP4rev1 need): it is sent as a last [`ServerOutput::Challenge`] that the
    /// client answers with an empty response. `true` (IMAP4rev2's `OK [SASL ...]`, or
    /// any protocol with additional data on success): it is returned in
    /// [`ServerOutput::Success::additional_data`].
    pub final_data_with_success: bool,
}

impl core::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("limits", &self.limits)
            .field("cram_challenge", &self.cram_challenge)
            .field("channel_bindings", &self.channel_bindings.len())
            .finish_non_exhaustive()
    }
}

/// A user name and password the application must check (PLAIN, LOGIN).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordCheck {
    /// The identity to act as, if the client asked for one other than its own.
    pub authzid: Option<String>,
    /// The authentication identity.
    pub username: String,
    /// The password, as sent (not SASLprep'ed: apply
    /// [`saslprep`](super::saslprep::saslprep) if the stored password was).
    pub password: String,
}

impl core::fmt::Debug for PasswordCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PasswordCheck")
            .field("authzid", &self.authzid)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An OAuth 2.0 bearer token the application must validate (XOAUTH2, OAUTHBEARER).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCheck {
    /// XOAUTH2's `user=`, or OAUTHBEARER's authzid (`a=`), if any.
    pub username: Option<String>,
    /// OAUTHBEARER's `host` key.
    pub host: Option<String>,
    /// OAUTHBEARER's `port` key.
    pub port: Option<u16>,
    /// The bearer token.
    pub token: String,
}

impl core::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenCheck")
            .field("username", &self.username)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Why an exchange failed without a protocol error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureReason {
    /// The application rejected the credentials or the token.
    Rejected,
    /// The client's proof (SCRAM) or digest (CRAM-MD5) does not match the stored
    /// credentials: wrong password.
    InvalidCredentials,
}

/// What the server wants done next. Returned by every [`SaslServer`] method.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerOutput {
    /// Send this challenge (base64 it with [`framing::encode_response`] and prefix
    /// `334 ` or `+ `), then feed the client's answer to [`SaslServer::step`].
    Challenge(Vec<u8>),
    /// Check this password; answer with [`SaslServer::accept`] or [`SaslServer::reject`].
    VerifyPassword(PasswordCheck),
    /// Validate this bearer token; answer with [`SaslServer::accept`],
    /// [`SaslServer::reject`] or [`SaslServer::reject_with_error`].
    VerifyToken(TokenCheck),
    /// Look up this user's SCRAM credentials; answer with
    /// [`SaslServer::scram_credentials`] (or [`SaslServer::reject`] for an unknown user;
    /// to hide which users exist, answer with made-up credentials instead).
    NeedScramCredentials {
        /// The user name the client sent (unescaped; not SASLprep'ed).
        username: String,
        /// The authorization identity, if any.
        authzid: Option<String>,
    },
    /// Look up this user's CRAM-MD5 shared secret; answer with
    /// [`SaslServer::cram_secret`] or [`SaslServer::reject`].
    NeedCramSecret {
        /// The user name the client sent.
        username: String,
    },
    /// Authentication succeeded.
    Success {
        /// The authenticated user name (for OAUTHBEARER: the authzid, if sent).
        username: String,
        /// The identity the client asked to act as; the application decides whether
        /// `username` may do so.
        authzid: Option<String>,
        /// Data to send with the success reply, when the protocol allows it.
        additional_data: Option<Vec<u8>>,
    },
    /// Authentication failed; send the protocol's failure reply.
    Failure(FailureReason),
    /// The client cancelled with `*`.
    Cancelled,
}

/// The server half of a SASL exchange.
///
/// The application makes every decision: the server returns [`ServerOutput`] values
/// that say what it needs (a password checked, SCRAM credentials looked up, a token
/// validated) and the application answers with a method call. Nothing is called back.
/// After an error or a final outcome the exchange is over; later calls give
/// [`SaslError::UnexpectedStep`].
///
/// ```
/// use correo_wire::sasl::{Mechanism, SaslServer, ServerConfig, ServerOutput};
/// // The seed's POP3 `AUTH PLAIN`, reconstructed (see the tests for the exact bytes).
/// let mut s = SaslServer::new(Mechanism::Plain, ServerConfig::default()).unwrap();
/// assert_eq!(s.start(None).unwrap(), ServerOutput::Challenge(vec![])); // "+ "
/// let ServerOutput::VerifyPassword(check) = s.step_line(b"AGFsdW1ub3BvcABhbHVtbm9wb3BwYXNz").unwrap() else {
///     panic!()
/// };
/// assert_eq!((check.username.as_str(), check.password.as_str()), ("alumnopop", "alumnopoppass"));
/// assert!(matches!(s.accept().unwrap(), ServerOutput::Success { .. }));
/// ```
pub struct SaslServer {
    mechanism: Mechanism,
    config: ServerConfig,
    rounds: u32,
    started: bool,
    state: State,
}

enum State {
    Start,
    PlainWait,
    LoginUser,
    LoginPass {
        username: String,
    },
    CramWait {
        challenge: String,
    },
    CramSecret {
        username: String,
        digest: Vec<u8>,
        challenge: String,
    },
    OAuthWait,
    Verdict {
        username: String,
        authzid: Option<String>,
    },
    OAuthErrorSent,
    Scram(Box<ScramServer>),
    ScramFinalSent {
        username: String,
        authzid: Option<String>,
    },
    Done,
}

impl core::fmt::Debug for SaslServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SaslServer")
            .field("mechanism", &self.mechanism)
            .field("rounds", &self.rounds)
            .finish_non_exhaustive()
    }
}

impl SaslServer {
    /// A server for `mechanism`. SCRAM needs [`ServerConfig::scram_nonce`], CRAM-MD5
    /// [`ServerConfig::cram_challenge`]; a `-PLUS` mechanism needs channel bindings.
    pub fn new(mechanism: Mechanism, config: ServerConfig) -> Result<Self, SaslError> {
        let state = if mechanism.is_scram() {
            if mechanism.is_plus() && config.channel_bindings.is_empty() {
                return Err(SaslError::Unsupported {
                    mechanism,
                    reason: "a -PLUS mechanism needs channel-binding data",
                });
            }
            let nonce = config
                .scram_nonce
                .as_deref()
                .ok_or(SaslError::Unsupported {
                    mechanism,
                    reason: "ServerConfig::scram_nonce is required",
                })?;
            State::Scram(Box::new(ScramServer::new(mechanism, nonce)?))
        } else {
            if mechanism == Mechanism::CramMd5 {
                let ch = config
                    .cram_challenge
                    .as_deref()
                    .ok_or(SaslError::Unsupported {
                        mechanism,
                        reason: "ServerConfig::cram_challenge is required",
                    })?;
                check_name(ch.as_bytes(), Field::Challenge)?;
                if ch.is_empty() {
                    return Err(SaslError::EmptyField {
                        field: Field::Challenge,
                    });
                }
            }
            State::Start
        };
        Ok(SaslServer {
            mechanism,
            config,
            rounds: 0,
            started: false,
            state,
        })
    }

    /// The mechanism this server runs.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Whether the exchange is over.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Starts the exchange, with the client's initial response if it sent one (SASL-IR;
    /// `=` on the wire is `Some(&[])`).
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerOutput, SaslError> {
        if self.started {
            self.state = State::Done;
            return Err(SaslError::UnexpectedStep("start() called twice"));
        }
        self.started = true;
        match (self.mechanism, initial_response) {
            (Mechanism::CramMd5, Some(_)) => {
                self.state = State::Done;
                Err(SaslError::Unsupported {
                    mechanism: Mechanism::CramMd5,
                    reason: "CRAM-MD5 has no initial response",
                })
            }
            (Mechanism::CramMd5, None) => {
                let challenge = self.config.cram_challenge.clone().unwrap_or_default();
                let out = challenge.as_bytes().to_vec();
                self.state = State::CramWait { challenge };
                Ok(ServerOutput::Challenge(out))
            }
            (Mechanism::Login, None) => {
                self.state = State::LoginUser;
                Ok(ServerOutput::Challenge(b"Username:".to_vec()))
            }
            (Mechanism::Plain, None) => {
                self.state = State::PlainWait;
                Ok(ServerOutput::Challenge(Vec::new()))
            }
            (Mechanism::XOAuth2 | Mechanism::OAuthBearer, None) => {
                self.state = State::OAuthWait;
                Ok(ServerOutput::Challenge(Vec::new()))
            }
            (_, None) => Ok(ServerOutput::Challenge(Vec::new())),
            (m, Some(ir)) => {
                match m {
                    Mechanism::Login => self.state = State::LoginUser,
                    Mechanism::Plain => self.state = State::PlainWait,
                    Mechanism::XOAuth2 | Mechanism::OAuthBearer => self.state = State::OAuthWait,
                    _ => {}
                }
                self.step(ir)
            }
        }
    }

    /// Feeds one client response (already base64-decoded).
    pub fn step(&mut self, response: &[u8]) -> Result<ServerOutput, SaslError> {
        let r = self.step_inner(response);
        if r.is_err() {
            self.state = State::Done;
        }
        r
    }

    /// Feeds one client response line as received (base64, `*` to cancel, surrounding
    /// whitespace ignored).
    pub fn step_line(&mut self, line: &[u8]) -> Result<ServerOutput, SaslError> {
        if matches!(self.state, State::Done) {
            return Err(SaslError::UnexpectedStep("the exchange is over"));
        }
        match framing::decode_line(line, self.config.limits.max_message_len) {
            Ok(Decoded::Data(d)) => {
                if !self.started {
                    // No start() yet: the line is an initial response.
                    return self.start(Some(&d));
                }
                self.step(&d)
            }
            Ok(Decoded::Cancel) => Ok(self.cancel()),
            Err(e) => {
                self.state = State::Done;
                Err(e)
            }
        }
    }

    /// The client cancelled (`*`): ends the exchange.
    pub fn cancel(&mut self) -> ServerOutput {
        self.state = State::Done;
        ServerOutput::Cancelled
    }

    fn step_inner(&mut self, response: &[u8]) -> Result<ServerOutput, SaslError> {
        let limits = &self.config.limits;
        self.rounds = self.rounds.saturating_add(1);
        if self.rounds > limits.max_rounds {
            return Err(SaslError::TooManyRounds {
                limit: limits.max_rounds,
            });
        }
        if response.len() > limits.max_message_len {
            return Err(SaslError::TooLong {
                len: response.len(),
                limit: limits.max_message_len,
            });
        }
        match core::mem::replace(&mut self.state, State::Done) {
            State::PlainWait => {
                let m = PlainMessage::parse(response)?;
                self.state = State::Verdict {
                    username: m.username.to_owned(),
                    authzid: m.authzid.map(str::to_owned),
                };
                Ok(ServerOutput::VerifyPassword(PasswordCheck {
                    authzid: m.authzid.map(str::to_owned),
                    username: m.username.to_owned(),
                    password: m.password.to_owned(),
                }))
            }
            State::LoginUser => {
                let user = utf8(response, Field::Username)?;
                check_name(response, Field::Username)?;
                if user.is_empty() {
                    return Err(SaslError::EmptyField {
                        field: Field::Username,
                    });
                }
                self.state = State::LoginPass {
                    username: user.to_owned(),
                };
                Ok(ServerOutput::Challenge(b"Password:".to_vec()))
            }
            State::LoginPass { username } => {
                let password = utf8(response, Field::Password)?;
                if let Some(offset) = memchr::memchr(0, response) {
                    return Err(SaslError::ForbiddenByte {
                        field: Field::Password,
                        byte: 0,
                        offset,
                    });
                }
                self.state = State::Verdict {
                    username: username.clone(),
                    authzid: None,
                };
                Ok(ServerOutput::VerifyPassword(PasswordCheck {
                    authzid: None,
                    username,
                    password: password.to_owned(),
                }))
            }
            State::CramWait { challenge } => {
                let sp = memchr::memrchr(b' ', response).ok_or(SaslError::Malformed {
                    mechanism: Mechanism::CramMd5,
                    offset: response.len(),
                    reason: "expected '<user> <hex digest>'",
                })?;
                let user_bytes = response.get(..sp).unwrap_or_default();
                let digest = response.get(sp + 1..).unwrap_or_default();
                if digest.len() != 32 || !digest.iter().all(u8::is_ascii_hexdigit) {
                    return Err(SaslError::Malformed {
                        mechanism: Mechanism::CramMd5,
                        offset: sp + 1,
                        reason: "digest must be 32 hex digits",
                    });
                }
                let username = utf8(user_bytes, Field::Username)?;
                check_name(user_bytes, Field::Username)?;
                if username.is_empty() {
                    return Err(SaslError::EmptyField {
                        field: Field::Username,
                    });
                }
                self.state = State::CramSecret {
                    username: username.to_owned(),
                    digest: digest.to_ascii_lowercase(),
                    challenge,
                };
                Ok(ServerOutput::NeedCramSecret {
                    username: username.to_owned(),
                })
            }
            State::OAuthWait => {
                let check = if self.mechanism == Mechanism::XOAuth2 {
                    let m = XOAuth2Message::parse(response)?;
                    TokenCheck {
                        username: Some(m.user.to_owned()),
                        host: None,
                        port: None,
                        token: m.token.to_owned(),
                    }
                } else {
                    let m = OAuthBearerMessage::parse(response)?;
                    TokenCheck {
                        username: m.authzid.clone(),
                        host: m.host.map(str::to_owned),
                        port: m.port,
                        token: m.token.to_owned(),
                    }
                };
                self.state = State::Verdict {
                    username: check.username.clone().unwrap_or_default(),
                    authzid: if self.mechanism == Mechanism::OAuthBearer {
                        check.username.clone()
                    } else {
                        None
                    },
                };
                Ok(ServerOutput::VerifyToken(check))
            }
            State::OAuthErrorSent => {
                let ok = if self.mechanism == Mechanism::OAuthBearer {
                    response == b"\x01"
                } else {
                    response.is_empty()
                };
                if ok {
                    Ok(ServerOutput::Failure(FailureReason::Rejected))
                } else {
                    Err(SaslError::Malformed {
                        mechanism: self.mechanism,
                        offset: 0,
                        reason: "expected the client's acknowledgement of the error",
                    })
                }
            }
            State::Scram(mut s) => {
                let out = s.step(response, &self.config.channel_bindings)?;
                Ok(self.scram_outcome(s, out))
            }
            State::ScramFinalSent { username, authzid } => {
                if !response.is_empty() {
                    return Err(SaslError::Malformed {
                        mechanism: self.mechanism,
                        offset: 0,
                        reason: "expected an empty response to the server-final message",
                    });
                }
                Ok(ServerOutput::Success {
                    username,
                    authzid,
                    additional_data: None,
                })
            }
            State::Start => Err(SaslError::UnexpectedStep("call start() first")),
            State::Verdict { .. } | State::CramSecret { .. } => Err(SaslError::UnexpectedStep(
                "waiting for the application's decision",
            )),
            State::Done => Err(SaslError::UnexpectedStep("the exchange is over")),
        }
    }

    fn scram_outcome(&mut self, s: Box<ScramServer>, out: ServerStep) -> ServerOutput {
        match out {
            ServerStep::NeedCredentials { username, authzid } => {
                self.state = State::Scram(s);
                ServerOutput::NeedScramCredentials { username, authzid }
            }
            ServerStep::Challenge(c) => {
                self.state = State::Scram(s);
                ServerOutput::Challenge(c)
            }
            ServerStep::Verified {
                username,
                authzid,
                server_final,
            } => {
                if !self.config.final_data_with_success {
                    self.state = State::ScramFinalSent { username, authzid };
                    ServerOutput::Challenge(server_final)
                } else {
                    ServerOutput::Success {
                        username,
                        authzid,
                        additional_data: Some(server_final),
                    }
                }
            }
            ServerStep::InvalidProof => ServerOutput::Failure(FailureReason::InvalidCredentials),
        }
    }

    /// Answers [`ServerOutput::VerifyPassword`] / [`ServerOutput::VerifyToken`]: the
    /// credentials are good.
    pub fn accept(&mut self) -> Result<ServerOutput, SaslError> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::Verdict { username, authzid } => Ok(ServerOutput::Success {
                username,
                authzid,
                additional_data: None,
            }),
            _ => Err(SaslError::UnexpectedStep("nothing to accept")),
        }
    }

    /// Refuses the credentials (or an unknown user, at any decision point).
    pub fn reject(&mut self) -> Result<ServerOutput, SaslError> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::Verdict { .. } | State::CramSecret { .. } => {
                Ok(ServerOutput::Failure(FailureReason::Rejected))
            }
            State::Scram(_) if self.started => Ok(ServerOutput::Failure(FailureReason::Rejected)),
            _ => Err(SaslError::UnexpectedStep("nothing to reject")),
        }
    }

    /// XOAUTH2 / OAUTHBEARER: refuses the token, sending the JSON error document as a
    /// challenge (e.g. `{"status":"invalid_token"}`). The client acknowledges it and the
    /// next [`step`](Self::step) returns [`ServerOutput::Failure`].
    pub fn reject_with_error(&mut self, error_json: &str) -> Result<ServerOutput, SaslError> {
        if !matches!(self.mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer) {
            return Err(SaslError::Unsupported {
                mechanism: self.mechanism,
                reason: "only OAuth mechanisms send error documents",
            });
        }
        check_error_document(error_json, self.mechanism)?;
        match core::mem::replace(&mut self.state, State::Done) {
            State::Verdict { .. } => {
                self.state = State::OAuthErrorSent;
                Ok(ServerOutput::Challenge(error_json.as_bytes().to_vec()))
            }
            _ => Err(SaslError::UnexpectedStep("nothing to reject")),
        }
    }

    /// Answers [`ServerOutput::NeedScramCredentials`] with the user's stored
    /// credentials (see [`ScramCredentials::derive`]).
    pub fn scram_credentials(
        &mut self,
        creds: &ScramCredentials,
    ) -> Result<ServerOutput, SaslError> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::Scram(mut s) => {
                let out = s.credentials(creds, &self.config.limits)?;
                Ok(self.scram_outcome(s, out))
            }
            _ => Err(SaslError::UnexpectedStep(
                "no SCRAM credentials were asked for",
            )),
        }
    }

    /// Answers [`ServerOutput::NeedCramSecret`] with the user's shared secret: the
    /// outcome is [`ServerOutput::Success`] or [`ServerOutput::Failure`].
    pub fn cram_secret(&mut self, secret: &[u8]) -> Result<ServerOutput, SaslError> {
        match core::mem::replace(&mut self.state, State::Done) {
            State::CramSecret {
                username,
                digest,
                challenge,
            } => {
                let expected = cram_digest_hex(secret, challenge.as_bytes());
                let equal = expected.len() == digest.len()
                    && expected
                        .bytes()
                        .zip(&digest)
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0;
                if equal {
                    Ok(ServerOutput::Success {
                        username,
                        authzid: None,
                        additional_data: None,
                    })
                } else {
                    Ok(ServerOutput::Failure(FailureReason::InvalidCredentials))
                }
            }
            _ => Err(SaslError::UnexpectedStep(
                "no CRAM-MD5 secret was asked for",
            )),
        }
    }
}
