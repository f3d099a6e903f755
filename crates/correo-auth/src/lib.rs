//! Email authentication: SPF, DKIM, DMARC and Authentication-Results, as
//! sans-IO machines.
//!
//! Nothing here does DNS, reads a clock or opens a file. A machine yields
//! [`dns::Lookup`] questions and the caller answers each with a
//! [`dns::Answer`] (records, NXDOMAIN, no data, or a temporary failure) from
//! any resolver, or from an in-memory [`zone::Zone`]. Time is passed in.
//!
//! ```
//! use correo_auth::dns::{Answer, Lookup};
//! use correo_auth::spf::{SpfCheck, SpfOptions, SpfPoll, SpfResult};
//! use correo_auth::zone::Zone;
//!
//! let zone = Zone::parse("example.org. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"").unwrap();
//! let mut check = SpfCheck::mail_from("192.0.2.7".parse().unwrap(), "bob@example.org",
//!                                     "mx.example.org", SpfOptions::default());
//! let outcome = loop {
//!     let question: Lookup = match check.poll() {
//!         SpfPoll::Done(outcome) => break outcome.clone(),
//!         SpfPoll::Lookups(questions) => questions[0].clone(),
//!     };
//!     let answer: Answer = zone.answer(&question); // or any real resolver
//!     check.answer(&question, answer).unwrap();
//! };
//! assert_eq!(outcome.result, SpfResult::Pass);
//! ```
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
// Short names (b, i, j, s) are the clearest in byte-level parsers.
#![allow(clippy::many_single_char_names)]

pub mod authres;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod spf;
pub mod zone;
