//! A deliberately small SASLprep (RFC 4013) for user names and passwords.
//!
//! What is done:
//!
//! - **Mapping**: non-ASCII space characters (RFC 3454 table C.1.2) become U+0020; the
//!   "commonly mapped to nothing" characters (table B.1: soft hyphen, zero-width joiners,
//!   variation selectors, BOM...) are removed.
//! - **Prohibition**: ASCII and non-ASCII control characters (C.2.1, C.2.2), private-use
//!   code points (C.3), non-characters (C.4), characters inappropriate for plain text or
//!   canonical representation (C.6, C.7), display-changing and deprecated characters (C.8)
//!   and tagging characters (C.9) are rejected with [`SaslError::Prohibited`]. Surrogates
//!   (C.5) cannot occur in a Rust `str`.
//!
//! What is **not** done: Unicode NFKC normalisation, the bidirectional-text checks and
//! the unassigned-code-point check. Pure-ASCII strings (the overwhelming majority of user
//! names and passwords) are therefore handled exactly as RFC 4013 specifies; a non-ASCII
//! password that is not already in NFKC (e.g. one typed with a combining accent rather than
//! a precomposed letter) may hash differently from a peer that normalises. Applications that
//! need full SASLprep can normalise beforehand: the mapping here is idempotent on NFKC text.

use std::borrow::Cow;

use super::{Field, SaslError};

/// Applies the SASLprep subset described in the [module docs](self).
///
/// Returns the input borrowed when nothing had to be mapped.
///
/// ```
/// use correo_wire::sasl::saslprep::saslprep;
/// use correo_wire::sasl::Field;
/// assert_eq!(saslprep("pencil", Field::Password).unwrap(), "pencil");
/// assert_eq!(saslprep("I\u{00AD}X", Field::Password).unwrap(), "IX");
/// assert_eq!(saslprep("a\u{00A0}b", Field::Password).unwrap(), "a b");
/// assert!(saslprep("a\u{7}b", Field::Password).is_err());
/// ```
pub fn saslprep(input: &str, field: Field) -> Result<Cow<'_, str>, SaslError> {
    let needs_work = input.bytes().any(|b| !(0x20..0x7f).contains(&b));
    if !needs_work {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if mapped_to_nothing(c) {
            continue;
        }
        let c = if non_ascii_space(c) { ' ' } else { c };
        if prohibited(c) {
            return Err(SaslError::Prohibited {
                field,
                code_point: u32::from(c),
            });
        }
        out.push(c);
    }
    if out == input {
        Ok(Cow::Borrowed(input))
    } else {
        Ok(Cow::Owned(out))
    }
}

/// RFC 3454 table C.1.2.
fn non_ascii_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200B}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// RFC 3454 table B.1 (U+200B is in C.1.2 too; it is treated as a space, like the
/// mapping order of RFC 4013 section 2.1 lists spaces first).
fn mapped_to_nothing(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{1806}'
            | '\u{180B}'..='\u{180D}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{2060}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// RFC 3454 tables C.2.1, C.2.2, C.3, C.4, C.6, C.7, C.8, C.9.
fn prohibited(c: char) -> bool {
    let u = u32::from(c);
    // C.4: U+FDD0..U+FDEF and the last two code points of every plane.
    let noncharacter = (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE;
    noncharacter
        || matches!(
            c,
            // C.2.1
            '\u{0000}'..='\u{001F}' | '\u{007F}'
            // C.2.2
            | '\u{0080}'..='\u{009F}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{180E}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2061}'..='\u{2063}'
            | '\u{FFF9}'..='\u{FFFC}'
            | '\u{1D173}'..='\u{1D17A}'
            // C.3
            | '\u{E000}'..='\u{F8FF}'
            | '\u{F0000}'..='\u{FFFFD}'
            | '\u{100000}'..='\u{10FFFD}'
            // C.6
            | '\u{FFFD}'
            // C.7
            | '\u{2FF0}'..='\u{2FFB}'
            // C.8
            | '\u{0340}'
            | '\u{0341}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{206A}'..='\u{206F}'
            // C.9
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4013 section 3 examples (those that do not depend on NFKC).
    #[test]
    fn rfc4013_examples() {
        assert_eq!(saslprep("I\u{00AD}X", Field::Password).unwrap(), "IX");
        assert_eq!(saslprep("user", Field::Password).unwrap(), "user");
        assert_eq!(saslprep("USER", Field::Password).unwrap(), "USER");
        assert_eq!(
            saslprep("\u{0007}", Field::Password),
            Err(SaslError::Prohibited {
                field: Field::Password,
                code_point: 7
            })
        );
    }

    #[test]
    fn borrowed_when_unchanged() {
        assert!(matches!(
            saslprep("contraseña", Field::Password).unwrap(),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            saslprep("a\u{3000}b", Field::Password).unwrap(),
            Cow::Owned(ref s) if s == "a b"
        ));
    }

    #[test]
    fn prohibited_classes() {
        for c in [
            '\u{85}',
            '\u{E000}',
            '\u{FFFF}',
            '\u{10FFFF}',
            '\u{202E}',
            '\u{E0041}',
        ] {
            let s = format!("x{c}");
            assert!(saslprep(&s, Field::Username).is_err(), "{c:?}");
        }
    }
}
