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
//!
//! # Example: the server side of a whole submission, in memory
//!
//! The pieces a protocol crate combines: lines framed from arbitrary chunks, an `AUTH PLAIN`
//! exchange decided by the application, then a `DATA` body un-stuffed until `CRLF.CRLF`,
//! with the bytes after the terminator handed back to the command reader.
//!
//! ```
//! use correo_wire::dot::{DotConfig, DotDecoder};
//! use correo_wire::line::{LineConfig, LineFramer};
//! use correo_wire::sasl::framing::{Decoded, decode_line};
//! use correo_wire::sasl::{Mechanism, SaslServer, ServerConfig, ServerOutput};
//!
//! // What the client sent, cut at awkward places as a network would.
//! let wire: &[&[u8]] = &[
//!     b"EHLO client.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA",
//!     b"==\r\nDATA\r\nSubject: hi\r\n\r\n..leading dot\r",
//!     b"\n.\r\nQUIT\r\n",
//! ];
//!
//! let mut framer = LineFramer::new(LineConfig::default());
//! let mut data: Option<DotDecoder> = None;
//! let (mut body, mut commands, mut user) = (Vec::new(), Vec::new(), None);
//! for chunk in wire {
//!     let mut feed = framer.feed(chunk);
//!     loop {
//!         if let Some(decoder) = data.as_mut() {
//!             // DATA mode: raw bytes go to the dot decoder, not to the line reader.
//!             let progress = decoder.decode(feed.peek_raw(), |piece| body.extend_from_slice(piece));
//!             feed.consume_raw(progress.consumed);
//!             if !progress.complete {
//!                 break;
//!             }
//!             data = None; // "250 OK"; back to commands
//!         }
//!         let Some(line) = feed.next_line() else { break };
//!         let line = line?.content().to_vec();
//!         if let Some(ir) = line.strip_prefix(b"AUTH PLAIN ") {
//!             let Decoded::Data(ir) = decode_line(ir, 4096)? else { unreachable!() };
//!             let mut server = SaslServer::new(Mechanism::Plain, ServerConfig::default())?;
//!             // The application decides; the machine never looks a password up itself.
//!             if let ServerOutput::VerifyPassword(check) = server.start(Some(&ir))? {
//!                 assert_eq!((check.username.as_str(), check.password.as_str()), ("alice", "secret"));
//!                 if let ServerOutput::Success { username, .. } = server.accept()? {
//!                     user = Some(username);
//!                 }
//!             }
//!         } else if line == b"DATA" {
//!             data = Some(DotDecoder::new(DotConfig::default()));
//!         }
//!         commands.push(String::from_utf8_lossy(&line).into_owned());
//!     }
//! }
//! assert_eq!(user.as_deref(), Some("alice"));
//! assert_eq!(body, b"Subject: hi\r\n\r\n.leading dot\r\n");
//! assert_eq!(commands.last().map(String::as_str), Some("QUIT"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod dot;
pub mod line;
pub mod sasl;
pub mod xtext;
