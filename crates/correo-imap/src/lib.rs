//! IMAP4rev1 and IMAP4rev2: a sans-IO codec with streaming literals, and client and server
//! state machines.
//!
//! Layers, bottom up:
//! - [`frame`]: message boundaries (lines, `{n}`, `{n+}`, `{n-}`, `~{n}` literals), apart
//!   from the grammar, in one pass whatever the chunking; message-data literals (FETCH
//!   `BODY[...]`, `BINARY[...]`, `RFC822*`, APPEND bodies) are streamed out as
//!   begin / bytes / end, never buffered whole.
//! - [`types`]: commands, responses and the values in them (BODYSTRUCTURE, ENVELOPE,
//!   sequence sets, sections, typed response codes incl. RFC 5530), borrowed (`Cow`) with
//!   an owned form (`into_static`).
//! - [`parse`] and [`encode`]: the grammar in both directions (RFC 3501, RFC 9051, and
//!   LITERAL+/-, IDLE, ENABLE, ID, NAMESPACE, UNSELECT, UIDPLUS, MOVE, SASL-IR, SPECIAL-USE and
//!   CREATE-SPECIAL-USE,
//!   CHILDREN, ESEARCH, LIST-EXTENDED, LIST-STATUS, CONDSTORE/QRESYNC, BINARY, SORT/THREAD,
//!   QUOTA, UTF8=ACCEPT, APPENDLIMIT, STATUS=SIZE, OBJECTID, SAVEDATE, WITHIN, SEARCHRES,
//!   PREVIEW, COMPRESS, Gmail's X-GM-*; METADATA and unknown extensions are kept raw), with
//!   [`Leniency`] as a runtime setting and [`Limits`] on every buffer, list and depth.
//! - [`client`]: the client state machine.
//! - [`utf7`]: modified UTF-7 mailbox names.
//!
//! # Example: a client session in memory
//!
//! ```
//! use correo_imap::client::{Client, ClientConfig, Event};
//! use correo_imap::types::{FetchAttr, Section, SectionText, SequenceSet, Status};
//!
//! let mut client = Client::new(ClientConfig::default());
//! let mut to_server = Vec::new();
//! let mut events = Vec::new();
//! let mut body = Vec::new();
//! let mut step = |client: &mut Client, server: &[u8], to_server: &mut Vec<u8>| {
//!     client.receive(server);
//!     while let Some(e) = client.poll_event() {
//!         match e {
//!             Event::BodyChunk(bytes) => body.extend_from_slice(&bytes),
//!             e => events.push(e),
//!         }
//!     }
//!     while let Some(out) = client.poll_transmit() {
//!         to_server.extend_from_slice(&out);
//!     }
//! };
//!
//! step(&mut client, b"* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] Dovecot ready.\r\n", &mut to_server);
//! client.login(b"alice", b"secret").unwrap();
//! client.select("INBOX").unwrap();
//! client
//!     .fetch(false, SequenceSet::single(1), vec![FetchAttr::BodySection {
//!         peek: true,
//!         section: Section { part: vec![], text: Some(SectionText::Text) },
//!         partial: None,
//!     }])
//!     .unwrap();
//! step(&mut client, b"", &mut to_server);
//! assert_eq!(
//!     to_server,
//!     b"a1 LOGIN alice secret\r\na2 SELECT INBOX\r\na3 FETCH 1 BODY.PEEK[TEXT]\r\n"
//! );
//!
//! // The server's answers, pipelined, arriving in two reads.
//! step(
//!     &mut client,
//!     b"a1 OK Logged in\r\n* 1 EXISTS\r\n* OK [UIDVALIDITY 1732389038] UIDs valid\r\n\
//!       a2 OK [READ-WRITE] Select completed\r\n* 1 FETCH (BODY[TEXT] {7}\r\nHol",
//!     &mut to_server,
//! );
//! step(&mut client, b"a!\r\n)\r\na3 OK Fetch completed\r\n", &mut to_server);
//!
//! assert_eq!(body, b"Hola!\r\n");
//! let completed = events
//!     .iter()
//!     .filter(|e| matches!(e, Event::Completed { status: Status::Ok, .. }))
//!     .count();
//! assert_eq!(completed, 3);
//! let selected = client.selected().unwrap();
//! assert_eq!((selected.exists, selected.uid_validity), (1, Some(1732389038)));
//! ```
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
mod config;
pub mod encode;
pub mod error;
pub mod frame;
#[cfg(feature = "mime")]
pub mod mime;
pub mod parse;
pub mod server;
pub mod types;
pub mod utf7;

pub use config::{Leniency, Limits};
pub use error::{FrameError, ParseError, ParseErrorKind};
