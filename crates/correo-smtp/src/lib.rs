//! SMTP, ESMTP and LMTP for Rust: sans-IO codec with client and server state machines.
//!
//! (Being built: see the issue for this crate.)
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
