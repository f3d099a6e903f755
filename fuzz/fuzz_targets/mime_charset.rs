//! Fuzz charset decoding: every label the input picks, any bytes; UTF-7 round trip of
//! whatever text comes out.
#![no_main]

use correo_mime::charset::{decode_text, decode_utf7, encode_text, encode_utf7};
use libfuzzer_sys::fuzz_target;

const LABELS: &[&str] = &[
    "utf-8",
    "utf-7",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "iso-2022-jp",
    "shift_jis",
    "euc-jp",
    "euc-kr",
    "gb18030",
    "gbk",
    "big5",
    "utf-16",
    "utf-16be",
    "koi8-r",
    "x-unknown",
    "bogus",
    "iso-8859-8-i",
    "x-user-defined",
];

fuzz_target!(|data: &[u8]| {
    let [pick, input @ ..] = data else {
        return;
    };
    let label = LABELS[usize::from(*pick) % LABELS.len()];
    let (text, _) = decode_text(Some(label), input);
    let _ = encode_text(label, &text);
    let utf7 = encode_utf7(&text);
    let (again, err) = decode_utf7(utf7.as_bytes());
    assert_eq!(err, None);
    assert_eq!(again, text);
    // A label made of the input itself must not panic either.
    if let Ok(l) = std::str::from_utf8(input) {
        let _ = decode_text(Some(l), input);
    }
});
