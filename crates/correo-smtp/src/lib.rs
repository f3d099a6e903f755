//! SMTP, ESMTP and LMTP for Rust: sans-IO codec with client and server state machines.
//!
//! - [`command`]: commands (`EHLO`, `MAIL FROM`, `BDAT`, `AUTH`, ...), parsed from and
//!   encoded to lines, with [`ParseOptions`] for the leniency real servers have.
//! - [`reply`]: replies, multi-line, with enhanced status codes.
//! - [`ehlo`]: the typed capabilities of an `EHLO`/`LHLO` reply.
//! - [`path`] and [`params`]: mailboxes, paths and ESMTP parameters.
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

pub use client::{Client, ClientConfig, ClientEvent, Envelope, TlsMode};
