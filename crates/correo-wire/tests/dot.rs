//! Dot-stuffing: split invariance against a line-by-line reference, encode/decode round trip,
//! SMTP smuggling vectors, policies and limits.

use correo_wire::dot::{
    BareLf, DotConfig, DotDecoder, DotEncoder, DotError, normalize_line_endings,
};
use proptest::prelude::*;

const POLICIES: [BareLf; 3] = [BareLf::Reject, BareLf::Normalize, BareLf::Accept];

/// What a decoding run observably produces.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decoded {
    body: Vec<u8>,
    /// Input bytes consumed (all of them unless complete).
    consumed: usize,
    complete: bool,
    error: Option<DotError>,
}

/// The reference decoder: whole input, one line at a time, written for clarity.
fn reference_decode(config: DotConfig, input: &[u8]) -> Decoded {
    let mut body = Vec::new();
    let mut bare_lf: Option<u64> = None;
    let mut start = 0usize;
    let mut prev_crlf = true;
    let mut complete = false;
    loop {
        let Some(rel) = input[start..].iter().position(|&b| b == b'\n') else {
            // Unterminated last line: what a streaming decoder can already emit.
            let tail = &input[start..];
            if tail != b"." && tail != b".\r" {
                body.extend_from_slice(tail.strip_prefix(b".").unwrap_or(tail));
            }
            start = input.len();
            break;
        };
        let lf = start + rel;
        let crlf = lf > start && input[lf - 1] == b'\r';
        let content = &input[start..lf - usize::from(crlf)];
        if content == b"." && crlf && prev_crlf {
            start = lf + 1;
            complete = true;
            break;
        }
        if !crlf && bare_lf.is_none() {
            bare_lf = Some(lf as u64);
        }
        let content = if content.len() > 1 {
            content.strip_prefix(b".").unwrap_or(content)
        } else {
            content
        };
        body.extend_from_slice(content);
        body.extend_from_slice(match (crlf, config.bare_lf) {
            (true, _) | (false, BareLf::Normalize) => b"\r\n",
            (false, _) => b"\n",
        });
        prev_crlf = crlf;
        start = lf + 1;
    }
    let mut error = None;
    if let (BareLf::Reject, Some(offset)) = (config.bare_lf, bare_lf) {
        error = Some(DotError::BareLf { offset });
    }
    if let Some(max) = config.max_size {
        if body.len() as u64 > max {
            body.truncate(max as usize);
            if error.is_none() {
                error = Some(DotError::TooLarge { limit: max });
            }
        }
    }
    Decoded {
        body,
        consumed: start,
        complete,
        error,
    }
}

/// Runs the streaming decoder over `chunks`; stops feeding once complete. Both
/// `decode` (pieces to a callback) and `decode_into` (which copies while it scans) run side
/// by side and must agree after every chunk.
fn decode_chunks(config: DotConfig, chunks: &[&[u8]]) -> Decoded {
    let mut decoder = DotDecoder::new(config);
    let mut twin = DotDecoder::new(config);
    let mut body = Vec::new();
    let mut twin_body = Vec::new();
    let mut consumed = 0;
    for chunk in chunks {
        if decoder.is_complete() {
            break;
        }
        let progress = decoder.decode(chunk, |piece| body.extend_from_slice(piece));
        let twin_progress = twin.decode_into(chunk, &mut twin_body);
        assert_eq!(progress, twin_progress);
        assert_eq!(body, twin_body);
        assert_eq!(decoder.error(), twin.error());
        assert_eq!(decoder.body_len(), twin.body_len());
        assert_eq!(decoder.first_bare_lf(), twin.first_bare_lf());
        assert!(progress.consumed == chunk.len() || progress.complete);
        consumed += progress.consumed;
    }
    assert_eq!(decoder.consumed(), consumed as u64);
    Decoded {
        body,
        consumed,
        complete: decoder.is_complete(),
        error: decoder.error(),
    }
}

/// The reference encoder.
fn reference_encode(body: &[u8]) -> Vec<u8> {
    let normalized = normalize_line_endings(body);
    let mut out = Vec::new();
    let mut at_line_start = true;
    for &b in &normalized {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    out.extend_from_slice(b".\r\n");
    out
}

fn encode_chunks(chunks: &[&[u8]]) -> Vec<u8> {
    let mut encoder = DotEncoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        let progress = encoder.encode(chunk, |piece| out.extend_from_slice(piece));
        assert_eq!(progress.consumed, chunk.len());
    }
    encoder.finish(|piece| out.extend_from_slice(piece));
    assert!(encoder.is_finished());
    out
}

fn split_at_sizes<'a>(input: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            sizes[i % sizes.len()].clamp(1, rest.len())
        };
        let (a, b) = rest.split_at(n);
        chunks.push(a);
        rest = b;
        i += 1;
    }
    chunks
}

/// Whole, byte by byte, and every 2-split give the reference's result.
fn check_decode_splits(config: DotConfig, input: &[u8]) -> Decoded {
    let expected = reference_decode(config, input);
    assert_eq!(decode_chunks(config, &[input]), expected, "whole");
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode_chunks(config, &bytes), expected, "byte by byte");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(decode_chunks(config, &[a, b]), expected, "split at {i}");
    }
    expected
}

fn check_encode_splits(body: &[u8]) -> Vec<u8> {
    let expected = reference_encode(body);
    assert_eq!(encode_chunks(&[body]), expected, "whole");
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(encode_chunks(&bytes), expected, "byte by byte");
    for i in 0..=body.len() {
        let (a, b) = body.split_at(i);
        assert_eq!(encode_chunks(&[a, b]), expected, "split at {i}");
    }
    expected
}

/// Decodes with every policy and split; returns the Reject-policy result.
fn decode_all_ways(input: &[u8]) -> Decoded {
    let mut reject = None;
    for policy in POLICIES {
        let d = check_decode_splits(DotConfig::default().bare_lf(policy), input);
        if policy == BareLf::Reject {
            reject = Some(d);
        }
    }
    reject.unwrap()
}

#[test]
fn terminator_as_first_line() {
    let d = decode_all_ways(b".\r\nNEXT");
    assert!(d.complete);
    assert_eq!(d.consumed, 3);
    assert!(d.body.is_empty());
}

#[test]
fn plain_message_and_trailing_bytes() {
    let input = b"Subject: t\r\n\r\n..dot\r\n.x\r\nend\r\n.\r\nQUIT\r\n";
    let d = decode_all_ways(input);
    assert!(d.complete);
    assert_eq!(&input[d.consumed..], b"QUIT\r\n");
    assert_eq!(d.body, b"Subject: t\r\n\r\n.dot\r\nx\r\nend\r\n");
    assert_eq!(d.error, None);
}

/// SMTP smuggling: none of these end the message; the real CRLF.CRLF does.
#[test]
fn smuggling_patterns_do_not_terminate() {
    let fakes: &[&[u8]] = &[
        b"\n.\n",
        b"\n.\r\n",
        b"\r\n.\n",
        b"\r.\r",
        b"\r.\r\n",
        b"\n.\r",
        b"\r\n.\r",
        b"\r.\n",
        b"\n\n.\n\n",
        b"\r\r.\r\r",
        b"\r\n\n.\r\n",
        b"\r\n.\n\r\n",
        b"\r\n.\r\r\n",
        b"\r\n. \r\n",
        b"\r\n..\r\n",
    ];
    for fake in fakes {
        let mut input = b"DATA body".to_vec();
        input.extend_from_slice(fake);
        input.extend_from_slice(b"MAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\nDATA\r\nsmuggled");
        let cut = input.len();
        let d = decode_all_ways(&input);
        assert!(
            !d.complete,
            "{:?} ended the message",
            String::from_utf8_lossy(fake)
        );
        assert_eq!(d.consumed, cut);
        input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let d = decode_all_ways(&input);
        assert!(d.complete);
        assert_eq!(&input[d.consumed..], b"QUIT\r\n");
        let has_bare_lf = fake
            .windows(1)
            .enumerate()
            .any(|(i, w)| w == b"\n" && (i == 0 || fake[i - 1] != b'\r'));
        assert_eq!(d.error.is_some(), has_bare_lf, "{fake:?}");
    }
}

#[test]
fn the_classic_smuggling_payload() {
    let input = b"DATA body\n.\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n";
    for policy in POLICIES {
        let config = DotConfig::default().bare_lf(policy);
        let d = check_decode_splits(config, input);
        assert!(d.complete);
        assert_eq!(d.consumed, input.len());
        let expected: &[u8] = match policy {
            BareLf::Normalize => {
                b"DATA body\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n"
            }
            _ => b"DATA body\n.\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n",
        };
        assert_eq!(d.body, expected);
        assert_eq!(
            d.error,
            (policy == BareLf::Reject).then_some(DotError::BareLf { offset: 9 })
        );
    }
}

#[test]
fn cr_at_chunk_end() {
    let config = DotConfig::default();
    let d = decode_chunks(config, &[b"a\r", b"\n.\r", b"\nrest"]);
    assert!(d.complete);
    assert_eq!(d.body, b"a\r\n");
    assert_eq!(d.consumed, 6);
    assert_eq!(
        encode_chunks(&[b"a\r", b"\n.b\r", b"\r\n"]),
        b"a\r\n..b\r\n\r\n.\r\n"
    );
}

#[test]
fn size_limit_keeps_consuming() {
    let config = DotConfig::default().max_size(5);
    let input = b"0123456789\r\nabc\r\n.\r\nQUIT\r\n";
    let d = check_decode_splits(config, input);
    assert!(d.complete);
    assert_eq!(d.body, b"01234");
    assert_eq!(d.error, Some(DotError::TooLarge { limit: 5 }));
    assert_eq!(&input[d.consumed..], b"QUIT\r\n");
    let mut decoder = DotDecoder::new(config);
    decoder.decode(input, |_| {});
    assert!(decoder.size_exceeded());
    assert_eq!(decoder.body_len(), 17);
}

#[test]
fn decoder_memory_is_constant_for_a_huge_body() {
    // A long body in 64 KiB chunks (13 MB in debug builds, 1 GB in release; the same chunk
    // fed again and again, so the test itself holds little): the decoder only ever holds
    // its small state.
    let chunk: Vec<u8> = b"line of text\r\n..stuffed\r\n".repeat(2600);
    let mut decoder = DotDecoder::default();
    let mut total = 0u64;
    let rounds = if cfg!(debug_assertions) { 200 } else { 16_000 };
    for _ in 0..rounds {
        let p = decoder.decode(&chunk, |piece| total += piece.len() as u64);
        assert_eq!(p.consumed, chunk.len());
        assert!(!p.complete);
    }
    assert!(std::mem::size_of::<DotDecoder>() < 128);
    let p = decoder.decode(b".\r\n", |_| {});
    assert!(p.complete);
    assert_eq!(total, (chunk.len() as u64 - 2600) * rounds);
    assert_eq!(decoder.body_len(), total);
    assert_eq!(decoder.consumed(), chunk.len() as u64 * rounds + 3);
}

#[test]
fn decode_vectors_every_split() {
    let vectors: &[&[u8]] = &[
        b"",
        b".",
        b".\r",
        b"..\r\n.\r\n",
        b"...\r\n.\r\n",
        b".\n.\r\n",
        b"\r\n.\r\n",
        b"\n\r\n.\r\n",
        b".a\r\r\n.\r\n",
        b".\rb\r\n.\r\n",
        b"a\r\r\r\n.\r\n",
        b"\r\r\n\n\r.\r\n.\r\n",
        b"x\n..\n.\r\n.\r\n",
        b"x\r\n.\r\r\n.\r\n",
    ];
    for v in vectors {
        decode_all_ways(v);
        for max in [0, 1, 3] {
            check_decode_splits(DotConfig::default().max_size(max), v);
        }
    }
}

#[test]
fn encode_vectors_every_split() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b".\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b"a\r\n", b"a\r\n.\r\n"),
        (b"a\n.b\r.c\r\n.", b"a\r\n..b\r\n..c\r\n..\r\n.\r\n"),
        (b"\r\r\n\n", b"\r\n\r\n\r\n.\r\n"),
        (b".\r\n.\r\n", b"..\r\n..\r\n.\r\n"),
    ];
    for (body, wire) in cases {
        assert_eq!(check_encode_splits(body), *wire);
        assert_eq!(DotEncoder::encode_all(body), *wire);
    }
}

fn arb_body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => Just(b'\r'),
            4 => Just(b'\n'),
            4 => Just(b'.'),
            6 => b'a'..=b'c',
            1 => any::<u8>(),
        ],
        0..160,
    )
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(body in arb_body(), sizes in proptest::collection::vec(1usize..17, 0..6), policy in 0usize..3) {
        let wire = encode_chunks(&split_at_sizes(&body, &sizes));
        prop_assert_eq!(&wire, &reference_encode(&body));
        let mut with_tail = wire.clone();
        with_tail.extend_from_slice(b"NEXT");
        let config = DotConfig::default().bare_lf(POLICIES[policy]);
        let d = decode_chunks(config, &split_at_sizes(&with_tail, &sizes));
        prop_assert!(d.complete);
        prop_assert_eq!(d.consumed, wire.len());
        prop_assert_eq!(d.error, None);
        prop_assert_eq!(d.body, normalize_line_endings(&body));
    }

    #[test]
    fn decode_split_invariance(
        input in arb_body(),
        sizes in proptest::collection::vec(1usize..17, 0..6),
        policy in 0usize..3,
        max in proptest::option::of(prop_oneof![0u64..64, 1000u64..2000]),
    ) {
        let config = DotConfig { bare_lf: POLICIES[policy], max_size: max };
        let expected = reference_decode(config, &input);
        prop_assert_eq!(decode_chunks(config, &split_at_sizes(&input, &sizes)), expected);
    }

    #[test]
    fn decode_pull_steps_match(input in arb_body()) {
        // The pull API gives the same body as the callback API.
        let mut decoder = DotDecoder::default();
        let mut rest: &[u8] = &input;
        let mut body = Vec::new();
        let mut steps = 0;
        while !rest.is_empty() && !decoder.is_complete() {
            let step = decoder.decode_step(rest);
            body.extend_from_slice(step.data);
            rest = &rest[step.consumed..];
            steps += 1;
            prop_assert!(steps <= 3 * input.len() + 3);
        }
        prop_assert_eq!(body, reference_decode(DotConfig::default(), &input).body);
    }
}

/// Long well-formed lines with rare anomalies, so that the block skippers (64-byte blocks)
/// are exercised right up to every kind of event and across block boundaries.
fn arb_long_lines() -> impl Strategy<Value = Vec<u8>> {
    let line = (
        proptest::collection::vec(b'a'..=b'c', 0..150),
        prop_oneof![
            12 => Just(&b"\r\n"[..]),
            1 => Just(&b"\n"[..]),
            1 => Just(&b"\r"[..]),
            1 => Just(&b"\r\n."[..]),
            1 => Just(&b"\r\n.\r\n"[..]),
            1 => Just(&b"\n.\r\n"[..]),
        ],
    );
    proptest::collection::vec(line, 0..12).prop_map(|lines| {
        let mut out = Vec::new();
        for (text, sep) in lines {
            out.extend_from_slice(&text);
            out.extend_from_slice(sep);
        }
        out
    })
}

proptest! {
    #[test]
    fn long_lines_decode_like_the_reference(
        input in arb_long_lines(),
        sizes in proptest::collection::vec(1usize..200, 0..4),
        policy in 0usize..3,
    ) {
        let config = DotConfig::default().bare_lf(POLICIES[policy]);
        let expected = reference_decode(config, &input);
        prop_assert_eq!(decode_chunks(config, &[&input]), expected.clone());
        prop_assert_eq!(decode_chunks(config, &split_at_sizes(&input, &sizes)), expected);
    }

    #[test]
    fn long_lines_encode_like_the_reference(
        input in arb_long_lines(),
        sizes in proptest::collection::vec(1usize..200, 0..4),
    ) {
        let expected = reference_encode(&input);
        prop_assert_eq!(encode_chunks(&[&input]), expected.clone());
        prop_assert_eq!(encode_chunks(&split_at_sizes(&input, &sizes)), expected);
    }
}

#[test]
fn pieces_are_the_longest_runs_of_the_input() {
    // Plain lines come out as one borrowed piece; each stuffed dot splits a piece, and
    // nothing else does (no per-line work).
    let mut body = Vec::new();
    for i in 0..200 {
        body.extend_from_slice(format!("line {i} of a plain body, long enough\r\n").as_bytes());
    }
    let mut wire = body.clone();
    wire.extend_from_slice(b".\r\n");
    let mut pieces = Vec::new();
    let progress = DotDecoder::default().decode(&wire, |p| pieces.push(p.as_ptr() as usize));
    assert!(progress.complete);
    assert_eq!(pieces, [wire.as_ptr() as usize]);

    let wire = DotEncoder::encode_all(b"a\r\n.b\r\nc\r\n..d\r\ne\r\n");
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    DotDecoder::default().decode(&wire, |p| pieces.push(p.to_vec()));
    assert_eq!(pieces, [&b"a\r\n"[..], b".b\r\nc\r\n", b"..d\r\ne\r\n"]);
}
