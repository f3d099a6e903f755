//! POP3 for Rust: a sans-IO codec with client and server state machines.
//!
//! - [`codec`]: commands, `+OK`/`-ERR` lines with response codes, `CAPA` lines, `LIST`/`UIDL`
//!   entries and the APOP digest, parsed from borrowed bytes and encoded back. Whether a
//!   reply is multi-line is decided by the command and its arguments
//!   ([`Command::is_multiline`]: `LIST` is, `LIST 1` is not), never guessed from the reply.
//! - [`client`]: the client machine. Greeting and APOP timestamp, `CAPA` before and after
//!   STLS and after login, STLS as an explicit upgrade (fail-closed when TLS is required),
//!   no cleartext password without TLS unless allowed, SASL through `correo_wire::sasl`,
//!   pipelining when offered, bodies un-stuffed byte for byte and streamed in bounded chunks,
//!   deletions pending until `QUIT`.
//! - [`server`]: the server machine. AUTHORIZATION -> TRANSACTION -> UPDATE; the
//!   application answers login checks and supplies the maildrop and the message bytes (in
//!   chunks); output dot-stuffed, deletions hidden until `RSET` or committed at `QUIT`.
//!
//! Neither machine does I/O: bytes go in with `receive`, come out with `poll_transmit`,
//! and what happened comes out with `poll_event`; the application answers events with
//! methods. Input may be split anywhere, down to one byte at a time.
//!
//! # Example: client and server wired together in memory
//!
//! ```
//! use correo_pop3::client::{Client, ClientConfig, Event as C};
//! use correo_pop3::server::{Event as S, MessageInfo, Server, ServerConfig};
//!
//! let message = b"Subject: hola\r\n\r\n.hidden dot\r\nbye\r\n";
//! let mut server = Server::new(ServerConfig {
//!     allow_cleartext_login: true, // a loopback demo: no TLS
//!     ..ServerConfig::default()
//! });
//! let mut client = Client::new(ClientConfig {
//!     allow_cleartext_login: true,
//!     auto_capa: false,
//!     ..ClientConfig::default()
//! });
//! let mut events = Vec::new();
//! let mut deleted_by_server = Vec::new();
//!
//! // Moves bytes both ways and plays the server application until both sides are idle.
//! let mut pump = |client: &mut Client, server: &mut Server, events: &mut Vec<C>| loop {
//!     while let Some(ev) = server.poll_event() {
//!         match ev {
//!             S::CheckPassword { user, password, .. } => {
//!                 assert_eq!((&user[..], &password[..]), (&b"alice"[..], &b"secret"[..]));
//!                 let maildrop = vec![MessageInfo { size: message.len() as u64, uid: b"m1".to_vec() }];
//!                 server.accept_login(maildrop).unwrap();
//!             }
//!             S::Retrieve { msg: 1, .. } => {
//!                 server.message_data(&message[..10]).unwrap(); // any chunking
//!                 server.message_data(&message[10..]).unwrap();
//!                 server.message_end().unwrap();
//!             }
//!             S::Update { deleted } => {
//!                 deleted_by_server.extend(deleted.into_iter().map(|d| d.uid));
//!                 server.update_complete(true).unwrap();
//!             }
//!             _ => {}
//!         }
//!     }
//!     let mut idle = true;
//!     while let Some(bytes) = server.poll_transmit() {
//!         client.receive(&bytes).unwrap();
//!         idle = false;
//!     }
//!     events.extend(std::iter::from_fn(|| client.poll_event()));
//!     while let Some(bytes) = client.poll_transmit() {
//!         server.receive(&bytes).unwrap();
//!         idle = false;
//!     }
//!     if idle {
//!         break;
//!     }
//! };
//!
//! pump(&mut client, &mut server, &mut events); // greeting
//! client.login(b"alice", b"secret").unwrap();
//! pump(&mut client, &mut server, &mut events);
//! client.stat().unwrap();
//! client.retr(1).unwrap();
//! client.dele(1).unwrap();
//! client.quit().unwrap();
//! pump(&mut client, &mut server, &mut events);
//!
//! let body: Vec<u8> = events
//!     .iter()
//!     .filter_map(|e| match e { C::BodyChunk(b) => Some(b.clone()), _ => None })
//!     .flatten()
//!     .collect();
//! assert_eq!(body, message); // un-stuffed, byte for byte
//! assert!(events.contains(&C::Stat(correo_pop3::codec::Stat { count: 1, size: message.len() as u64 })));
//! assert_eq!(events.last(), Some(&C::Closed { deleted: vec![1] }));
//! drop(pump);
//! assert_eq!(deleted_by_server, [b"m1".to_vec()]);
//! ```
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
pub mod codec;
pub mod error;
pub mod server;

pub use codec::{
    Capability, Command, CommandKind, Expire, OwnedResponseCode, ReplyLine, ResponseCode,
    ScanListing, Stat, Status, StatusLine, UidListing,
};
pub use error::{EncodeError, ParseError};
