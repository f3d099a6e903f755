//! The error type shared by every SASL mechanism, client and server side.

use super::Mechanism;

/// Which field of a SASL message an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The authorization identity (the identity to act as).
    Authzid,
    /// The authentication identity (the user name).
    Username,
    /// The password or shared secret.
    Password,
    /// An OAuth 2.0 bearer token.
    Token,
    /// A SCRAM nonce (client or server part).
    Nonce,
    /// A challenge string chosen by the server (CRAM-MD5).
    Challenge,
    /// The `host` key of OAUTHBEARER.
    Host,
    /// A JSON error document (XOAUTH2 / OAUTHBEARER).
    ErrorDocument,
}

impl core::fmt::Display for Field {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Field::Authzid => "authorization identity",
            Field::Username => "user name",
            Field::Password => "password",
            Field::Token => "token",
            Field::Nonce => "nonce",
            Field::Challenge => "challenge",
            Field::Host => "host",
            Field::ErrorDocument => "error document",
        })
    }
}

/// Everything that can go wrong in a SASL exchange.
///
/// Errors that concern a received message carry the byte offset of the fault within the
/// (decoded) message. After a server or client returned an error, the exchange is over:
/// further calls return [`SaslError::UnexpectedStep`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The line is not valid base64.
    #[error("invalid base64 at byte {offset}")]
    InvalidBase64 {
        /// Offset of the first offending byte within the line (after leading whitespace).
        offset: usize,
    },
    /// A message (decoded, or its base64 line) is larger than the configured limit.
    #[error("SASL message of {len} bytes exceeds the limit of {limit} bytes")]
    TooLong {
        /// Length of the message.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The exchange needed more rounds than the configured limit.
    #[error("SASL exchange exceeded {limit} rounds")]
    TooManyRounds {
        /// The configured limit.
        limit: u32,
    },
    /// A field holds a byte it must not contain (NUL, CR, LF, a comma in a nonce...).
    #[error("{field} contains forbidden byte 0x{byte:02x} at offset {offset}")]
    ForbiddenByte {
        /// The field.
        field: Field,
        /// The offending byte.
        byte: u8,
        /// Offset of the byte within the field.
        offset: usize,
    },
    /// A field is not valid UTF-8.
    #[error("{field} is not valid UTF-8 (at offset {offset})")]
    InvalidUtf8 {
        /// The field.
        field: Field,
        /// Offset of the first invalid byte within the field.
        offset: usize,
    },
    /// A field is empty where the mechanism requires a value.
    #[error("{field} must not be empty")]
    EmptyField {
        /// The field.
        field: Field,
    },
    /// A field holds a character that SASLprep (RFC 4013) prohibits.
    #[error("{field} contains character U+{code_point:04X}, prohibited by SASLprep")]
    Prohibited {
        /// The field.
        field: Field,
        /// The prohibited character.
        code_point: u32,
    },
    /// A received message does not follow the mechanism's grammar.
    #[error("malformed {mechanism} message at byte {offset}: {reason}")]
    Malformed {
        /// The mechanism whose grammar was violated.
        mechanism: Mechanism,
        /// Offset of the fault within the decoded message.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A method was called in a state where it makes no sense (a challenge after the
    /// exchange finished, `accept()` with nothing to accept, ...).
    #[error("unexpected SASL step: {0}")]
    UnexpectedStep(&'static str),
    /// SCRAM: the server's signature (`v=`) does not prove knowledge of the password.
    #[error("SCRAM server signature does not match: the server is not who it claims")]
    ServerSignatureMismatch,
    /// SCRAM: the server's nonce does not extend the client's nonce.
    #[error("SCRAM server nonce does not start with the client nonce")]
    NonceMismatch,
    /// SCRAM: the iteration count is outside the configured bounds.
    #[error("SCRAM iteration count {count} is outside {min}..={max}")]
    IterationCount {
        /// The count the peer sent.
        count: u32,
        /// Configured minimum.
        min: u32,
        /// Configured maximum.
        max: u32,
    },
    /// SCRAM: the salt is empty or longer than the configured limit.
    #[error("SCRAM salt of {len} bytes is outside 1..={max}")]
    SaltLength {
        /// Decoded salt length.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
    /// Channel binding cannot work as requested.
    #[error("channel binding: {0}")]
    ChannelBinding(&'static str),
    /// SCRAM: the server ended the exchange with `e=<error>`.
    #[error("SCRAM server error: {0}")]
    ServerError(String),
    /// The mechanism cannot be used this way (e.g. a `-PLUS` mechanism without channel
    /// binding data, or an operation meant for another mechanism).
    #[error("mechanism {mechanism}: {reason}")]
    Unsupported {
        /// The mechanism.
        mechanism: Mechanism,
        /// Why.
        reason: &'static str,
    },
    /// A mechanism name that correo does not know.
    #[error("unknown SASL mechanism {0:?}")]
    UnknownMechanism(String),
}
