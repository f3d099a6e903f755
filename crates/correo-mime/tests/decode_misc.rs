//! uuencode, identity and unknown encodings, and the encoding chooser.

use std::borrow::Cow;

use correo_mime::decode::uu::UuDecoder;
use correo_mime::decode::{
    BodyDecoder, DecodeDefect, TransferEncoding, choose_encoding, decode_body,
};
use correo_mime::defect::DefectKind;

const UU: &[u8] = b"begin 644 fox.txt\r\nM5&AE('%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R('1H92!L87IY(&1O9RX*\r\n`\r\nend\r\n";

#[test]
fn uuencode_whole_and_byte_at_a_time() {
    let (out, d) = decode_body(&TransferEncoding::parse(b"x-uuencode"), UU);
    assert_eq!(&*out, b"The quick brown fox jumps over the lazy dog.\n");
    assert!(d.is_empty());
    let mut dec = UuDecoder::new();
    let mut out2 = Vec::new();
    for b in UU {
        dec.decode(std::slice::from_ref(b), &mut out2);
    }
    dec.finish(&mut out2);
    assert_eq!(out2, &*out);
    assert_eq!(dec.file_name(), Some("fox.txt"));
}

#[test]
fn uuencode_defects() {
    let (out, d) = decode_body(&TransferEncoding::UuEncode, b"hello\nbegin 600 a\n#0V%T\n");
    assert_eq!(&*out, b"Cat");
    let kinds: Vec<_> = d.iter().map(|d| (d.kind.clone(), d.offset)).collect();
    assert_eq!(
        kinds,
        vec![
            (
                DefectKind::Decode(DecodeDefect::UuTextOutsideBlock),
                Some(0)
            ),
            (DefectKind::Decode(DecodeDefect::UuMissingEnd), Some(24)),
        ]
    );
    let long = [b"begin 644 x\n".as_slice(), &[b'M'; 5000], b"\nend\n"].concat();
    let (_, d) = decode_body(&TransferEncoding::UuEncode, &long);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, DefectKind::Decode(DecodeDefect::LineTooLong));
    assert_eq!(d[0].offset, Some(12));
}

#[test]
fn identity_encodings_borrow() {
    for enc in ["7bit", "8bit", "binary", ""] {
        let (out, d) = decode_body(&TransferEncoding::parse(enc.as_bytes()), b"a=3D\r\n");
        assert!(matches!(out, Cow::Borrowed(b"a=3D\r\n")));
        assert!(d.is_empty());
    }
    let mut d = BodyDecoder::new(&TransferEncoding::parse(b"8bit"));
    let mut out = Vec::new();
    d.decode(b"x", &mut out);
    d.finish(&mut out);
    assert_eq!(out, b"x");
}

#[test]
fn chooser() {
    assert_eq!(
        choose_encoding(b"Hello\r\n", true, false),
        TransferEncoding::SevenBit
    );
    assert_eq!(
        choose_encoding(
            "Viele Grüße aus Köln, bis bald und danke für alles!\r\n".as_bytes(),
            true,
            false
        ),
        TransferEncoding::QuotedPrintable
    );
    assert_eq!(
        choose_encoding("Grüße\r\n".as_bytes(), true, true),
        TransferEncoding::EightBit
    );
    assert_eq!(
        choose_encoding("Привет, мир".as_bytes(), true, false),
        TransferEncoding::Base64
    );
    assert_eq!(
        choose_encoding(&[b'a'; 2000], true, true),
        TransferEncoding::QuotedPrintable
    );
    // Short text with several non-ASCII bytes: base64 is smaller (as Python's heuristic).
    assert_eq!(
        choose_encoding("Grüße!".as_bytes(), true, false),
        TransferEncoding::Base64
    );
    assert_eq!(
        choose_encoding(b"\x89PNG", false, true),
        TransferEncoding::Base64
    );
}
