//! Base64 body decoding: RFC 4648 vectors, defects with offsets, the SIMD kernel against
//! its scalar twin, and streaming (whole, byte at a time, random splits) on random input
//! and random line layouts.

use base64::Engine as _;
use correo_mime::decode::base64::{
    Base64Decoder, Base64Encoder, Base64Kernel, encode_lines, encode_mime,
};
use correo_mime::decode::{BodyDecoder, DecodeDefect, TransferEncoding, decode_body};
use correo_mime::defect::{Defect, DefectKind};
use proptest::prelude::*;

type Kinds = Vec<(DecodeDefect, Option<usize>)>;

fn kinds(d: &[Defect]) -> Kinds {
    d.iter()
        .map(|d| match &d.kind {
            DefectKind::Decode(k) => (k.clone(), d.offset),
            other => panic!("unexpected defect {other:?}"),
        })
        .collect()
}

/// Decodes `input` fed in the given chunk sizes (cycled; 0 = whole).
fn run(mut d: Base64Decoder, input: &[u8], splits: &[usize]) -> (Vec<u8>, Kinds) {
    let mut out = Vec::new();
    let mut rest = input;
    let mut chunk_no = 0;
    while !rest.is_empty() {
        let len = match splits.get(chunk_no % splits.len().max(1)) {
            Some(&n) if n > 0 => n.min(rest.len()),
            _ => rest.len(),
        };
        let (head, tail) = rest.split_at(len);
        d.decode(head, &mut out);
        rest = tail;
        chunk_no += 1;
    }
    d.finish(&mut out);
    (out, kinds(&d.take_defects()))
}

const KERNELS: [Base64Kernel; 3] = [
    Base64Kernel::Scalar,
    Base64Kernel::Avx2,
    Base64Kernel::Avx512Vbmi,
];

/// Every available kernel and every split gives the same result; returns it.
fn all_ways(input: &[u8], splits: &[usize]) -> (Vec<u8>, Kinds) {
    let whole = run(Base64Decoder::scalar(), input, &[]);
    for kernel in KERNELS {
        let Some(d) = Base64Decoder::with_kernel(kernel) else {
            continue;
        };
        assert_eq!(run(d.clone(), input, &[]), whole, "{kernel:?} whole");
        assert_eq!(
            run(d.clone(), input, &[1]),
            whole,
            "{kernel:?} byte at a time"
        );
        if !splits.is_empty() {
            assert_eq!(run(d, input, splits), whole, "{kernel:?} splits {splits:?}");
        }
    }
    whole
}

#[test]
fn kernels_detected() {
    assert!(Base64Kernel::Scalar.is_available());
    assert!(Base64Kernel::best().is_available());
    assert_eq!(Base64Decoder::new().kernel(), Base64Kernel::best());
    if is_x86_feature_detected!("avx2") {
        assert!(Base64Decoder::with_kernel(Base64Kernel::Avx2).is_some());
    }
}

#[test]
fn rfc4648_section_10() {
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(
            all_ways(enc.as_bytes(), &[]),
            (plain.as_bytes().to_vec(), vec![])
        );
        let (out, d) = decode_body(&TransferEncoding::Base64, enc.as_bytes());
        assert_eq!(&*out, plain.as_bytes());
        assert!(d.is_empty());
    }
}

#[test]
fn seed_gif_attachment_layout() {
    // A GIF as the seed mailbox carries it: 76-column CRLF lines, last line short.
    let gif: Vec<u8> = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
        .iter()
        .copied()
        .cycle()
        .take(3000)
        .collect();
    let mut enc = Vec::new();
    encode_mime(&gif, &mut enc);
    assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77));
    assert_eq!(all_ways(&enc, &[77, 3, 1000]), (gif, vec![]));
}

#[test]
fn defects_carry_offsets() {
    let (out, d) = all_ways(b"Zm9v\r\n!!Zm9v\r\nZm9vYg", &[]);
    assert_eq!(out, b"foofoofoob");
    assert_eq!(
        d,
        vec![
            (DecodeDefect::InvalidBase64Char, Some(6)),
            (DecodeDefect::Base64MissingPadding, Some(20)),
        ]
    );
    let (out, d) = all_ways(b"Zm9vYg==\r\nZm9v", &[]);
    assert_eq!(out, b"foobfoo");
    assert_eq!(d, vec![(DecodeDefect::Base64DataAfterPadding, Some(10))]);
    let (out, d) = all_ways(b"Zm9vY", &[]);
    assert_eq!(out, b"foo");
    assert_eq!(d, vec![(DecodeDefect::Base64TruncatedQuantum, Some(5))]);
}

#[test]
fn invalid_char_inside_a_long_line() {
    // The SIMD block path must stop at the bad byte and the scalar machine pick up there.
    let data: Vec<u8> = (0..600u32).map(|i| (i * 13) as u8).collect();
    let mut enc = Vec::new();
    encode_mime(&data, &mut enc);
    for pos in [0, 1, 31, 32, 33, 63, 64, 75, 76, 77, 78, 200, 401] {
        let mut bad = enc.clone();
        bad.insert(pos, b'*');
        let (out, d) = all_ways(&bad, &[]);
        assert_eq!(out, data, "bad byte at {pos}");
        assert_eq!(d, vec![(DecodeDefect::InvalidBase64Char, Some(pos))]);
    }
}

#[test]
fn defect_flood_is_capped() {
    let garbage = b"!a!a!a!a".repeat(1000);
    let mut d = BodyDecoder::new(&TransferEncoding::Base64);
    d.set_max_defects(10);
    let mut out = Vec::new();
    d.decode(&garbage, &mut out);
    d.finish(&mut out);
    let defects = d.take_defects();
    assert_eq!(defects.len(), 11);
    assert_eq!(
        defects[10].kind,
        DefectKind::Decode(DecodeDefect::TooManyDefects)
    );
    assert_eq!(out.len(), 3000);
}

/// Re-wraps base64 text into lines of the given lengths (cycled) with the given breaks.
fn rewrap(flat: &[u8], lens: &[usize], crlf: &[bool]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = flat;
    let mut k = 0;
    while !rest.is_empty() {
        let n = lens[k % lens.len()].clamp(1, rest.len());
        let (a, b) = rest.split_at(n);
        out.extend_from_slice(a);
        out.extend_from_slice(if crlf[k % crlf.len()] { b"\r\n" } else { b"\n" });
        rest = b;
        k += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip_any_width_and_split(
        data in proptest::collection::vec(any::<u8>(), 0..3000),
        width in 1usize..200,
        lf in any::<bool>(),
        splits in proptest::collection::vec(0usize..300, 1..6),
    ) {
        let mut enc = Vec::new();
        encode_lines(&data, width, &mut enc);
        if lf {
            enc.retain(|&b| b != b'\r');
        }
        prop_assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(enc.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect::<Vec<_>>())
                .ok(),
            Some(data.clone())
        );
        let (out, d) = all_ways(&enc, &splits);
        prop_assert_eq!(out, data);
        prop_assert!(d.is_empty());
    }

    #[test]
    fn random_line_layouts(
        data in proptest::collection::vec(any::<u8>(), 0..4000),
        lens in proptest::collection::vec(1usize..130, 1..8),
        crlf in proptest::collection::vec(any::<bool>(), 1..4),
        splits in proptest::collection::vec(0usize..200, 1..4),
    ) {
        let flat = base64::engine::general_purpose::STANDARD.encode(&data);
        let wrapped = rewrap(flat.as_bytes(), &lens, &crlf);
        let (out, d) = all_ways(&wrapped, &splits);
        prop_assert_eq!(out, data);
        prop_assert!(d.is_empty());
    }

    #[test]
    fn simd_equals_scalar_on_noisy_input(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        noise in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![b'\r', b'\n', b' ', b'=', b'*', 0xC3, b'-', b'A', b'\t'])), 0..12),
        splits in proptest::collection::vec(0usize..150, 1..4),
    ) {
        let mut enc = Vec::new();
        encode_mime(&data, &mut enc);
        for (idx, byte) in noise {
            if enc.is_empty() {
                enc.push(byte);
            } else {
                let at = idx.index(enc.len());
                enc.insert(at, byte);
            }
        }
        // `all_ways` asserts SIMD == scalar == every split, output and defects.
        all_ways(&enc, &splits);
    }

    #[test]
    fn arbitrary_bytes_agree(
        input in proptest::collection::vec(any::<u8>(), 0..600),
        splits in proptest::collection::vec(0usize..70, 1..4),
    ) {
        all_ways(&input, &splits);
    }

    #[test]
    fn streaming_encoder_equals_whole(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        width in 4usize..120,
        splits in proptest::collection::vec(1usize..200, 1..5),
    ) {
        let mut whole = Vec::new();
        encode_lines(&data, width, &mut whole);
        let mut e = Base64Encoder::new(width);
        let mut out = Vec::new();
        let mut rest = &data[..];
        let mut k = 0;
        while !rest.is_empty() {
            let n = splits[k % splits.len()].min(rest.len());
            e.encode(&rest[..n], &mut out);
            rest = &rest[n..];
            k += 1;
        }
        e.finish(&mut out);
        prop_assert_eq!(out, whole);
    }
}
