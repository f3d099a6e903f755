//! POP3 for Rust: sans-IO codec with client and server state machines.
//!
//! (Being built: see the issue for this crate.)
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod codec;
pub mod error;

pub use codec::{
    Capability, Command, CommandKind, Expire, OwnedResponseCode, ReplyLine, ResponseCode,
    ScanListing, Stat, Status, StatusLine, UidListing,
};
pub use error::{EncodeError, ParseError};
pub mod client;
pub mod server;
