//! Quoted-printable: RFC 2045 rules, defects with offsets, encoder limits, and round trips
//! through the streaming decoder at random splits.

use correo_mime::decode::qp::{QpDecoder, QpMode, decode, encode};
use correo_mime::decode::{BodyDecoder, DecodeDefect, TransferEncoding};
use correo_mime::defect::DefectKind;
use proptest::prelude::*;

fn run_split(input: &[u8], splits: &[usize]) -> (Vec<u8>, Vec<(DecodeDefect, Option<usize>)>) {
    let mut d = QpDecoder::new();
    let mut out = Vec::new();
    let mut rest = input;
    let mut k = 0;
    while !rest.is_empty() {
        let n = splits.get(k % splits.len().max(1)).copied().unwrap_or(0);
        let n = if n == 0 {
            rest.len()
        } else {
            n.min(rest.len())
        };
        d.decode(&rest[..n], &mut out);
        rest = &rest[n..];
        k += 1;
    }
    d.finish(&mut out);
    let defects = d
        .take_defects()
        .into_iter()
        .map(|d| match d.kind {
            DefectKind::Decode(k) => (k, d.offset),
            other => panic!("{other:?}"),
        })
        .collect();
    (out, defects)
}

fn all_ways(input: &[u8], splits: &[usize]) -> (Vec<u8>, Vec<(DecodeDefect, Option<usize>)>) {
    let whole = run_split(input, &[]);
    assert_eq!(run_split(input, &[1]), whole, "byte at a time");
    assert_eq!(run_split(input, splits), whole, "splits {splits:?}");
    whole
}

#[test]
fn rfc2045_rules() {
    // Soft breaks (CRLF and LF), lowercase hex, trailing whitespace deleted, hard breaks kept.
    let (out, d) = all_ways(b"J=C3=a9r=C3=B4me =\r\nest l=\n=C3=A0   \r\nfin\t\n", &[3]);
    assert_eq!(out, "Jérôme est là\r\nfin\n".as_bytes());
    assert!(d.is_empty());
    // Whitespace between `=` and the line end: still a soft break.
    let (out, _) = all_ways(b"a=  \r\nb", &[2]);
    assert_eq!(out, b"ab");
}

#[test]
fn invalid_escapes_are_kept_and_flagged_with_offsets() {
    let (out, d) = all_ways(b"100% =GG\r\nx=3\r\ny==41", &[5]);
    assert_eq!(out, b"100% =GG\r\nx=3\r\ny=A");
    assert_eq!(
        d,
        vec![
            (DecodeDefect::QpInvalidEscape, Some(5)),
            (DecodeDefect::QpInvalidEscape, Some(11)),
            (DecodeDefect::QpInvalidEscape, Some(16)),
        ]
    );
}

#[test]
fn body_decoder_dispatch() {
    let enc = TransferEncoding::parse(b"Quoted-Printable");
    let mut d = BodyDecoder::new(&enc);
    let mut out = Vec::new();
    d.decode(b"a=3D", &mut out);
    d.decode(b"b", &mut out);
    d.finish(&mut out);
    assert_eq!(out, b"a=b");
    assert!(d.take_defects().is_empty());
}

#[test]
fn encoder_keeps_lines_short_and_encodes_what_it_must() {
    let text = format!(
        "{}\r\n{}=\t \r\n.\r\nFrom me\r\n",
        "x".repeat(200),
        "é".repeat(40)
    );
    let mut enc = Vec::new();
    encode(text.as_bytes(), QpMode::Text, &mut enc);
    for line in enc.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(line.len() <= 76, "{:?}", String::from_utf8_lossy(line));
        assert!(!line.ends_with(b" ") && !line.ends_with(b"\t"));
        assert!(line.iter().all(|&b| (32..127).contains(&b) || b == b'\t'));
    }
    assert!(enc.windows(3).any(|w| w == b"=3D"));
    let mut small = Vec::new();
    encode(b"a\t \r\n.", QpMode::Text, &mut small);
    assert_eq!(small, b"a\t=20\r\n.");
    assert!(enc.windows(7).any(|w| w == b"=46rom "));
    assert_eq!(decode(&enc).0, text.as_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn binary_round_trip(data in proptest::collection::vec(any::<u8>(), 0..1500), splits in proptest::collection::vec(0usize..100, 1..4)) {
        let mut enc = Vec::new();
        encode(&data, QpMode::Binary, &mut enc);
        for line in enc.split(|&b| b == b'\n') {
            prop_assert!(line.len() <= 77);
        }
        let (out, d) = all_ways(&enc, &splits);
        prop_assert_eq!(out, data);
        prop_assert!(d.is_empty());
    }

    #[test]
    fn text_round_trip(
        lines in proptest::collection::vec("[ -~\t\u{e9}\u{4e16}=]{0,120}", 0..8),
        splits in proptest::collection::vec(0usize..100, 1..4),
    ) {
        let text = lines.join("\r\n");
        let mut enc = Vec::new();
        encode(text.as_bytes(), QpMode::Text, &mut enc);
        let (out, d) = all_ways(&enc, &splits);
        prop_assert_eq!(out, text.as_bytes());
        prop_assert!(d.is_empty());
    }

    #[test]
    fn any_input_split_invariant(input in proptest::collection::vec(prop::sample::select(b"=AF3d \t\r\nx\xe9".to_vec()), 0..400), splits in proptest::collection::vec(0usize..40, 1..4)) {
        all_ways(&input, &splits);
    }
}
