//! IMAP4rev1 and IMAP4rev2: a sans-IO codec with streaming literals, and client and server
//! state machines.
//!
//! (Being built: see the issue for this crate.)
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
