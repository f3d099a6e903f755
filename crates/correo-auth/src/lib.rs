//! Email authentication: DKIM, SPF, DMARC and Authentication-Results.
//!
//! (Being built: see the issue for this crate.)
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
