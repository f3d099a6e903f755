//! RFC 5322 and MIME: parse, decode and build Internet messages.
//!
//! - [`header`]: header fields (raw, unfolded, RFC 2047 decoded) and their typed grammars:
//!   addresses, dates, message ids, `Content-Type`/`Content-Disposition` with RFC 2231
//!   parameters, `Received`.
//! - [`decode`]: body transfer decodings (base64, quoted-printable, uuencode) as streaming
//!   decoders, and the encoders the builder uses.
//! - [`charset`]: text in any charset to Unicode (encoding_rs, plus UTF-7).
//! - [`defect`]: what was wrong with a message, recorded, never silently dropped.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod build;
pub mod charset;
pub mod decode;
pub mod defect;
pub mod header;
pub mod maildir;
pub mod mbox;
pub mod message;
pub mod multipart;
pub mod push;
