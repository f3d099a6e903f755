//! RFC 5322 and MIME: parse, decode and build Internet messages.
//!
//! - [`header`]: header fields (raw, unfolded, RFC 2047 decoded) and their typed grammars:
//!   addresses, dates, message ids, `Content-Type`/`Content-Disposition` with RFC 2231
//!   parameters, `Received`.
//! - [`decode`]: body transfer decodings (base64, quoted-printable, uuencode) as streaming
//!   decoders, and the encoders the builder uses.
//! - [`charset`]: text in any charset to Unicode (encoding_rs, plus UTF-7).
//! - [`defect`]: what was wrong with a message, recorded, never silently dropped.
//! - [`message`]: the zero-copy tree parser over a whole message; [`push`]: the sans-IO
//!   streaming parser (same reading, bounded memory); [`multipart`]: RFC 2046 delimiters.
//! - [`build`]: the message builder; [`mbox`] and [`maildir`]: mailbox formats as pure
//!   functions.
//!
//! Parse a message held in memory, look at its parts, and read what was wrong with it:
//!
//! ```
//! use correo_mime::message::Message;
//!
//! let raw = b"From: Ana <ana@example.org>\r\n\
//! Subject: =?UTF-8?Q?Fotograf=C3=ADa?=\r\n\
//! Content-Type: multipart/mixed; boundary=b1\r\n\r\n\
//! --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAh\xC3\xAD va\r\n\
//! --b1\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\
//! Content-Disposition: attachment; filename=\"p.gif\"\r\n\r\nR0lGODlh\r\n";
//! let msg = Message::parse(raw);
//! assert_eq!(msg.header().get("Subject").unwrap().text(), "Fotografía");
//! let numbers: Vec<String> = msg.walk().map(|p| p.number().to_string()).collect();
//! assert_eq!(numbers, ["", "1", "2"]); // as IMAP numbers them
//! assert_eq!(msg.text_body().unwrap().text(), "Ahí va");
//! let gif = msg.attachments().next().unwrap();
//! assert_eq!(gif.filename().as_deref(), Some("p.gif"));
//! assert_eq!(&*gif.decoded(), b"GIF89a");
//! // The close delimiter `--b1--` is missing: recorded, and nothing was lost.
//! assert_eq!(msg.defects().count(), 1);
//! ```
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
