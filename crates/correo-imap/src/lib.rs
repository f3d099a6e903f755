//! IMAP4rev1 and IMAP4rev2: a sans-IO codec with streaming literals, and client and server
//! state machines.
//!
//! Layers, bottom up:
//! - [`frame`]: message boundaries (lines, `{n}`, `{n+}`, `{n-}`, `~{n}` literals), apart
//!   from the grammar, in one pass; message data literals are streamed as events.
//! - [`types`]: commands, responses and the values in them, borrowed (`Cow`) with an owned
//!   form (`into_static`).
//! - [`parse`] and [`encode`]: the grammar, both directions.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
mod config;
pub mod encode;
pub mod error;
pub mod frame;
pub mod parse;
pub mod types;
pub mod utf7;

pub use config::{Leniency, Limits};
pub use error::{FrameError, ParseError, ParseErrorKind};
