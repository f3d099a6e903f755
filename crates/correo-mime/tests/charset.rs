//! Charsets: labels and aliases, borrowing, defects, UTF-7 (RFC 2152) and round trips.

use std::borrow::Cow;

use correo_mime::charset::{CharsetDefect, decode_text, decode_utf7, encode_text, encode_utf7};
use proptest::prelude::*;

#[test]
fn common_mail_charsets() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("iso-8859-1", b"Fran\xe7ais", "Français"),
        ("ISO-8859-15", b"\xa4", "€"),
        ("windows-1252", b"\x80 \x93q\x94", "€ “q”"),
        ("koi8-r", b"\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"),
        ("shift_jis", b"\x82\xb1\x82\xf1", "こん"),
        ("euc-jp", b"\xa4\xb3\xa4\xf3", "こん"),
        ("ks_c_5601-1987", b"\xc7\xd1", "한"),
        ("gb2312", b"\xc4\xe3\xba\xc3", "你好"),
        ("big5", b"\xa4\xa4", "中"),
        ("utf-7", b"+AOk-t+AOk-", "été"),
        ("UTF8", "ça".as_bytes(), "ça"),
    ];
    for &(cs, bytes, want) in cases {
        let (s, d) = decode_text(Some(cs), bytes);
        assert_eq!((&*s, d), (want, None), "{cs}");
    }
}

#[test]
fn borrowed_when_nothing_to_do() {
    for cs in [
        None,
        Some("us-ascii"),
        Some("utf-8"),
        Some("iso-8859-1"),
        Some("utf-7"),
        Some("gbk"),
    ] {
        let (s, d) = decode_text(cs, b"plain ascii text");
        assert!(matches!(s, Cow::Borrowed("plain ascii text")), "{cs:?}");
        assert_eq!(d, None);
    }
    assert!(matches!(
        decode_text(Some("utf-8"), "日本".as_bytes()).0,
        Cow::Borrowed("日本")
    ));
}

#[test]
fn defects() {
    assert_eq!(
        decode_text(Some("utf-8"), b"ok \xc3(").1,
        Some(CharsetDefect::MalformedSequence { offset: 3 })
    );
    assert_eq!(
        decode_text(Some("euc-kr"), b"ab\xc7").1,
        Some(CharsetDefect::MalformedSequence { offset: 2 })
    );
    let (s, d) = decode_text(Some("x-mac-klingon"), b"caf\xc3\xa9 \xff");
    assert_eq!(
        (&*s, d),
        ("café \u{fffd}", Some(CharsetDefect::UnknownCharset))
    );
    let (s, d) = decode_text(Some("utf-7"), b"+2D3-");
    assert_eq!(s, "\u{fffd}");
    assert_eq!(d, Some(CharsetDefect::MalformedSequence { offset: 0 }));
}

#[test]
fn encoder_side() {
    assert_eq!(
        encode_text("windows-1252", "€").as_deref(),
        Some(&b"\x80"[..])
    );
    assert_eq!(
        encode_text("koi8-r", "Привет").as_deref(),
        Some(&b"\xf0\xd2\xc9\xd7\xc5\xd4"[..])
    );
    assert_eq!(encode_text("us-ascii", "naïve"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn utf7_round_trip(s in "\\PC*") {
        let enc = encode_utf7(&s);
        prop_assert!(enc.is_ascii());
        let (dec, err) = decode_utf7(enc.as_bytes());
        prop_assert_eq!(&*dec, s.as_str());
        prop_assert_eq!(err, None);
        let (dec, d) = decode_text(Some("UTF-7"), enc.as_bytes());
        prop_assert_eq!(&*dec, s.as_str());
        prop_assert_eq!(d, None);
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200),
                    label in prop::sample::select(vec!["utf-8", "utf-7", "us-ascii", "iso-2022-jp", "shift_jis", "utf-16", "bogus", "x-unknown", "gb18030", "iso-8859-8-i"])) {
        let (s, d) = decode_text(Some(label), &bytes);
        // For charsets where decoding is one-to-one, a clean decode encodes back to the
        // same bytes (Shift_JIS, GB18030, UTF-7, ISO-2022-JP have several spellings of
        // some characters, so they only have to not panic).
        if d.is_none() && ["utf-8", "us-ascii", "iso-8859-8-i"].contains(&label) {
            let back = encode_text(label, &s);
            prop_assert_eq!(back.as_deref(), Some(&bytes[..]));
        }
    }

    #[test]
    fn single_byte_charsets_round_trip(s in "[ -~àéîõüßçñ€]{0,40}", cs in prop::sample::select(vec!["iso-8859-15", "windows-1252", "utf-8"])) {
        let bytes = encode_text(cs, &s).expect("representable");
        let (back, d) = decode_text(Some(cs), &bytes);
        prop_assert_eq!(&*back, s.as_str());
        prop_assert_eq!(d, None);
    }
}
