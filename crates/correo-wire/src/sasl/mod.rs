//! SASL (RFC 4422) mechanisms, client and server side, as small sans-IO exchanges.
//!
//! SMTP carries SASL in `334 <base64>` lines (RFC 4954), POP3 and IMAP in `+ <base64>`
//! lines (RFC 5034, RFC 3501/9051). This module knows nothing of those prefixes: a
//! [`SaslClient`] turns challenges into responses, a [`SaslServer`] turns responses into
//! challenges and into *decisions the application makes* ([`ServerOutput`]): check this
//! password, look up these SCRAM credentials, validate this token. Nothing calls back
//! into the application and nothing does I/O; nonces, salts and CRAM-MD5 challenges come
//! from the caller. [`framing`] converts the base64 lines, including `*` (cancel) and `=`
//! (empty initial response).
//!
//! | Mechanism | Client | Server decision |
//! |-----------|--------|-----------------|
//! | `PLAIN` (RFC 4616) | [`SaslClient::plain`] | [`ServerOutput::VerifyPassword`] |
//! | `LOGIN` | [`SaslClient::login`] | [`ServerOutput::VerifyPassword`] |
//! | `CRAM-MD5` (RFC 2195, opt-in) | [`SaslClient::cram_md5`] | [`ServerOutput::NeedCramSecret`] |
//! | `XOAUTH2` | [`SaslClient::xoauth2`] | [`ServerOutput::VerifyToken`] |
//! | `OAUTHBEARER` (RFC 7628) | [`SaslClient::oauthbearer`] | [`ServerOutput::VerifyToken`] |
//! | `SCRAM-SHA-1[-PLUS]`, `SCRAM-SHA-256[-PLUS]` (RFC 5802, 7677) | [`SaslClient::scram`] | [`ServerOutput::NeedScramCredentials`] |
//!
//! Every exchange is bounded ([`SaslLimits`]): number of rounds, message size, SCRAM
//! iteration count and salt length. Names containing NUL, CR or LF are typed errors
//! ([`SaslError::ForbiddenByte`]). [`select`] picks the strongest mechanism both sides
//! support, refusing plaintext mechanisms unless the channel is secure.
//!
//! # Example: SCRAM-SHA-256, client and server in memory
//!
//! ```
//! use correo_wire::sasl::framing::{decode_line, encode_response, Decoded};
//! use correo_wire::sasl::scram::{ClientChannelBinding, ScramCredentials, ScramHash};
//! use correo_wire::sasl::{SaslClient, SaslServer, ServerConfig, ServerOutput};
//!
//! // What the server stored when the user chose the password (salt from an RNG).
//! let stored = ScramCredentials::derive(ScramHash::Sha256, "pencil", b"0123456789abcdef", 4096)?;
//!
//! let mut client = SaslClient::scram(
//!     ScramHash::Sha256, "user", "pencil", None,
//!     "rOprNGfwEbeRWgbNEkqO",              // client nonce: random, from the caller
//!     ClientChannelBinding::NotSupported,
//! )?;
//! let config = ServerConfig {
//!     scram_nonce: Some("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into()), // random, from the caller
//!     ..ServerConfig::default()
//! };
//! let mut server = SaslServer::new(client.mechanism(), config)?;
//!
//! // C: AUTH SCRAM-SHA-256 <initial response>   (SASL-IR)
//! let ir = client.initial_response()?.expect("SCRAM is client-first");
//! let ServerOutput::NeedScramCredentials { username, .. } = server.start(Some(&ir))? else {
//!     unreachable!()
//! };
//! assert_eq!(username, "user");
//! // The application looks the user up and hands the credentials over.
//! let ServerOutput::Challenge(server_first) = server.scram_credentials(&stored)? else {
//!     unreachable!()
//! };
//! // S: 334 <base64>; the bytes travel as base64 lines.
//! let line = encode_response(&server_first);
//! let client_final = client.step_line(line.as_bytes())?;
//! let Decoded::Data(client_final) = decode_line(client_final.as_bytes(), 4096)? else {
//!     unreachable!()
//! };
//! // The server checks the proof and sends its own signature as a last challenge...
//! let ServerOutput::Challenge(server_final) = server.step(&client_final)? else {
//!     unreachable!()
//! };
//! // ...which the client verifies before answering with an empty response.
//! let empty = client.step(&server_final)?;
//! let ServerOutput::Success { username, .. } = server.step(&empty)? else { unreachable!() };
//! assert_eq!(username, "user");
//! client.finish(None)?; // S: 235 Authentication successful
//! # Ok::<(), correo_wire::sasl::SaslError>(())
//! ```

mod client;
mod error;
pub mod framing;
mod gs2;
mod mechanism;
pub mod oauth;
pub mod plain;
pub mod saslprep;
pub mod scram;
mod server;

pub use client::SaslClient;
pub use error::{Field, SaslError};
pub use gs2::{CbFlag, ChannelBindingType};
pub use mechanism::{Mechanism, select};
pub use server::{
    FailureReason, PasswordCheck, SaslServer, ServerConfig, ServerOutput, TokenCheck,
};

/// Bounds on a SASL exchange. The defaults suit SMTP, POP3 and IMAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaslLimits {
    /// Maximum number of messages received from the peer (default 8; the longest
    /// exchange here, SCRAM, needs 3).
    pub max_rounds: u32,
    /// Maximum size of one decoded message, in bytes (default 16 KiB, room for large
    /// OAuth tokens).
    pub max_message_len: usize,
    /// SCRAM client: smallest iteration count accepted from a server (default 4096, the
    /// RFC 7677 minimum; lower counts make offline guessing cheap).
    pub scram_min_iterations: u32,
    /// SCRAM client: largest iteration count accepted from a server (default 1,000,000;
    /// bounds the CPU time a hostile server can make the client spend).
    pub scram_max_iterations: u32,
    /// SCRAM: longest salt accepted, in bytes (default 256).
    pub scram_max_salt_len: usize,
}

impl Default for SaslLimits {
    fn default() -> Self {
        SaslLimits {
            max_rounds: 8,
            max_message_len: 16 * 1024,
            scram_min_iterations: 4096,
            scram_max_iterations: 1_000_000,
            scram_max_salt_len: 256,
        }
    }
}

/// Rejects NUL, CR and LF in a name (user name, authzid, challenge).
pub(crate) fn check_name(name: &[u8], field: Field) -> Result<(), SaslError> {
    match memchr::memchr3(0, b'\r', b'\n', name) {
        Some(offset) => Err(SaslError::ForbiddenByte {
            field,
            byte: name.get(offset).copied().unwrap_or(0),
            offset,
        }),
        None => Ok(()),
    }
}

/// Validates UTF-8, reporting the offset of the first invalid byte.
pub(crate) fn utf8(bytes: &[u8], field: Field) -> Result<&str, SaslError> {
    core::str::from_utf8(bytes).map_err(|e| SaslError::InvalidUtf8 {
        field,
        offset: e.valid_up_to(),
    })
}
