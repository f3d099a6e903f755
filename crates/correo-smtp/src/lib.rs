//! SMTP, ESMTP and LMTP for Rust: sans-IO codec with client and server state machines.
//!
//! - [`command`]: commands (`EHLO`, `MAIL FROM`, `BDAT`, `AUTH`, ...), parsed from and
//!   encoded to lines, with [`ParseOptions`] for the leniency real servers have
//!   (`MAIL FROM: user@host`).
//! - [`reply`]: replies, multi-line, with enhanced status codes.
//! - [`ehlo`]: the typed capabilities of an `EHLO`/`LHLO` reply.
//! - [`path`] and [`params`]: mailboxes, paths and ESMTP parameters.
//! - [`client`]: the sender's state machine; [`server`]: the receiver's.
//! - [`received`]: the `Received:` trace header with RFC 3848 protocol names.
//!
//! Nothing here does I/O: the machines take the bytes that arrived
//! ([`Client::receive`], [`Server::receive`]), hand out bytes to send
//! ([`Client::poll_transmit`], [`Server::poll_transmit`]) and events
//! ([`Client::poll_event`], [`Server::poll_event`]). Decisions (accept this recipient?
//! this password? this message?) are events the application answers. Line framing,
//! dot-stuffing and SASL come from `correo_wire`.
//!
//! # Example: a client and a server talking in memory
//!
//! ```
//! use correo_smtp::*;
//!
//! let mut server = Server::new(ServerConfig {
//!     hostname: "mx.example.test".into(),
//!     ..ServerConfig::default()
//! });
//! let mut client = Client::new(ClientConfig {
//!     helo: Host::Domain("client.example.org".into()),
//!     tls: TlsMode::None, // a real program would use STARTTLS (the default)
//!     ..ClientConfig::default()
//! });
//! let envelope = Envelope::new(
//!     ReversePath::Mailbox(Mailbox::new("alice", "example.org")),
//!     vec![ForwardPath::Mailbox(Mailbox::new("bob", "example.test"))],
//! );
//! let message = b"Subject: hi\r\n\r\n.a line starting with a dot\r\n";
//! let mut received = Vec::new();
//! let mut done = false;
//! while !done {
//!     // Server -> client.
//!     while let Some(bytes) = server.poll_transmit() {
//!         client.receive(&bytes);
//!     }
//!     while let Some(event) = client.poll_event() {
//!         match event {
//!             ClientEvent::Ready(_) => client.send_mail(envelope.clone()).unwrap(),
//!             ClientEvent::SendBody => client.send_body(message, true).unwrap(),
//!             ClientEvent::TransactionDone { delivered, .. } => {
//!                 assert!(delivered);
//!                 client.quit();
//!             }
//!             ClientEvent::Closed => done = true,
//!             _ => {}
//!         }
//!     }
//!     // Client -> server.
//!     while let Some(bytes) = client.poll_transmit() {
//!         server.receive(&bytes);
//!     }
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             ServerEvent::MailFrom { .. } | ServerEvent::RcptTo { .. } => server.accept(),
//!             ServerEvent::Data(chunk) => received.extend_from_slice(&chunk),
//!             ServerEvent::DataEnd { .. } => server.accept(), // "250 2.0.0 Ok: queued"
//!             _ => {}
//!         }
//!     }
//! }
//! assert_eq!(received, message);
//! assert!(server.is_closed());
//! ```
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod command;
pub mod ehlo;
pub mod params;
pub mod path;
pub mod reply;

pub use command::{Command, CommandError, CommandErrorKind, ParseOptions, Verb};
pub use ehlo::{Capability, Ehlo};
pub use params::{BodyType, ByMode, Notify, Parameter, Ret};
pub use path::{ForwardPath, Host, Mailbox, PathError, PathErrorKind, ReversePath};
pub use reply::{
    EnhancedCode, Reply, ReplyBuilder, ReplyCode, ReplyError, ReplyErrorKind, ReplyLimits,
};
pub mod received;
pub mod server;

pub use received::{Protocol, Received};
pub use server::{Server, ServerConfig, ServerEvent};
pub mod client;

pub use client::{Client, ClientConfig, ClientEvent, Envelope, Recipient, TlsMode};
