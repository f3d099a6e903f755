//! SPF (RFC 7208): record parser and the sans-IO `check_host()` evaluator.
//!
//! ```
//! use correo_auth::spf::{SpfCheck, SpfOptions, SpfResult};
//! use correo_auth::zone::Zone;
//!
//! let zone = Zone::parse(r#"
//! lab.it.uc3m.es. 60 IN TXT "v=spf1 include:_spf.uc3m.es ~all"
//! _spf.uc3m.es. 300 IN TXT "v=spf1 ip4:163.117.0.0/16 -all"
//! "#).unwrap();
//! let check = SpfCheck::mail_from("163.117.1.2".parse().unwrap(), "alice@lab.it.uc3m.es",
//!                                 "mx.example", SpfOptions::default());
//! let out = check.run_with(|q| zone.answer(q));
//! assert_eq!(out.result, SpfResult::Pass);
//! assert_eq!(out.matched.unwrap().mechanism, "ip4:163.117.0.0/16");
//! ```

mod eval;
mod macros;
mod record;

pub use eval::{
    SpfCheck, SpfMatch, SpfOptions, SpfOutcome, SpfPolicy, SpfPoll, SpfResult, UnexpectedAnswer,
    reverse_name,
};
pub use macros::{MacroContext, MacroError, MacroExpand, MacroLetter, MacroPart, MacroString};
pub use record::{
    Directive, Mechanism, Modifier, Qualifier, SpfRecord, SpfSyntaxError, Term, is_spf1,
};
