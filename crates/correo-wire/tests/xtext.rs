//! xtext (RFC 3461): round trip, strictness of the encoder, typed decode errors.

use correo_wire::xtext::{self, XtextError, decode, encode, is_xchar};
use proptest::prelude::*;

#[test]
fn rfc3461_examples() {
    // ORCPT as in RFC 3461 section 4.2, with characters that must be escaped.
    assert_eq!(
        encode(b"rfc822;Joe+Smith=Jr@example.com"),
        "rfc822;Joe+2BSmith+3DJr@example.com"
    );
    assert_eq!(encode(b"a b\tc"), "a+20b+09c");
    assert_eq!(encode("é".as_bytes()), "+C3+A9");
    assert_eq!(decode(b"+C3+A9").unwrap().as_ref(), "é".as_bytes());
    // Escaping a character that did not need it is still valid input.
    assert_eq!(decode(b"+41+62c").unwrap().as_ref(), b"Abc");
}

#[test]
fn errors_say_where() {
    let e = decode(b"abc+4").unwrap_err();
    assert_eq!(e, XtextError::BadEscape { offset: 3 });
    assert_eq!(e.offset(), 3);
    assert_eq!(
        decode(b"+").unwrap_err(),
        XtextError::BadEscape { offset: 0 }
    );
    assert_eq!(
        decode(b"ok+4x").unwrap_err(),
        XtextError::BadEscape { offset: 2 }
    );
    assert_eq!(
        decode(b"ok\x7f").unwrap_err(),
        XtextError::InvalidByte {
            offset: 2,
            byte: 0x7f
        }
    );
    assert_eq!(
        decode("né".as_bytes()).unwrap_err(),
        XtextError::InvalidByte {
            offset: 1,
            byte: 0xC3
        }
    );
    assert!(decode(b"x=y").unwrap_err().to_string().contains("offset 1"));
}

proptest! {
    #[test]
    fn roundtrip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let encoded = encode(&bytes);
        prop_assert!(encoded.bytes().all(|b| is_xchar(b) || b == b'+'));
        let decoded = decode(encoded.as_bytes()).unwrap();
        prop_assert_eq!(decoded.as_ref(), &bytes[..]);
    }

    #[test]
    fn encoder_is_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        // Decoding valid xtext and encoding it again gives the canonical form, whose
        // escapes are upper-case and only where needed.
        let encoded = encode(&bytes);
        let mut i = 0;
        let e = encoded.as_bytes();
        while i < e.len() {
            if e[i] == b'+' {
                let v = u8::from_str_radix(std::str::from_utf8(&e[i + 1..i + 3]).unwrap(), 16).unwrap();
                prop_assert!(!is_xchar(v));
                prop_assert!(!e[i + 1..i + 3].iter().any(u8::is_ascii_lowercase));
                i += 3;
            } else {
                i += 1;
            }
        }
        let mut into = String::new();
        xtext::encode_into(&bytes, &mut into);
        prop_assert_eq!(into, encoded.into_owned());
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        match decode(&bytes) {
            Ok(d) => prop_assert!(d.len() <= bytes.len()),
            Err(e) => prop_assert!(e.offset() < bytes.len()),
        }
    }
}
