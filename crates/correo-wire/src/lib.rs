//! Sans-IO wire pieces shared by correo's protocol crates.
//!
//! - [`line`](mod@line): CRLF line framing over arbitrary chunks, with a maximum line length and a
//!   bare-LF policy.
//! - [`dot`]: dot-stuffing (SMTP `DATA`, POP3 multi-line replies): a streaming encoder and a
//!   streaming decoder that ends only on `CRLF.CRLF`.
//! - [`sasl`]: SASL mechanisms, client and server side, as small sans-IO exchanges.
//! - [`xtext`]: RFC 3461 xtext encoding (DSN parameters).
//!
//! Nothing here does I/O: every type takes bytes in and hands bytes or events out.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod dot;
pub mod line;
pub mod sasl;
pub mod xtext;
