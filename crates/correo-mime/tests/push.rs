//! Push parser: describes every message exactly as the tree parser does, whatever the
//! chunking, with bounded memory.

use correo_mime::message::{Limits, Message};
use correo_mime::push::{Event, PushLimits, PushParser, describe_push, describe_tree};
use proptest::prelude::*;

fn crlf(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 20);
    for &b in s {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut out = Vec::new();
    for sub in ["corpus", "."] {
        let mut names: Vec<_> = std::fs::read_dir(format!("{dir}/{sub}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml" || e == "mbox"))
            .collect();
        names.sort();
        for p in names {
            let raw = std::fs::read(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.push((format!("{name} (CRLF)"), crlf(&raw)));
            out.push((name, raw));
        }
    }
    out.extend(extra_cases().into_iter().map(|(n, v)| (n.to_owned(), v)));
    out
}

/// Cases aimed at the points where chunking could change a decision.
fn extra_cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("only headers", b"Subject: x\r\nX-A: y".to_vec()),
        ("lone cr", b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\r\n--b\r--b--".to_vec()),
        (
            "delimiter with padding at eof",
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b-- \t".to_vec(),
        ),
        (
            "header folded across chunks",
            b"Content-Type: multipart/mixed;\r\n boundary=\"a b\"\r\n\r\n--a b\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\n\xc3\xa9\r\n--a b--\r\n".to_vec(),
        ),
        (
            "rfc822 without multipart",
            b"Content-Type: message/rfc822\n\nSubject: in\n\nbody\n".to_vec(),
        ),
        (
            "base64 with junk",
            b"Content-Transfer-Encoding: base64\n\naGVs*bG8=\nd29y\nbGQ\n".to_vec(),
        ),
        (
            "qp soft breaks",
            b"Content-Transfer-Encoding: quoted-printable\n\na=\nb=3D=\r\nc=4\n".to_vec(),
        ),
    ]
}

fn check_equal(name: &str, raw: &[u8], limits: PushLimits) {
    let msg = Message::parse_with_limits(raw, limits.structure);
    let tree = describe_tree(&msg);
    let whole = describe_push([raw], limits);
    assert_eq!(tree, whole, "{name}: whole");
    let bytes = describe_push(raw.chunks(1), limits);
    assert_eq!(tree, bytes, "{name}: byte by byte");
    for n in [2, 3, 7, 64] {
        let c = describe_push(raw.chunks(n), limits);
        assert_eq!(tree, c, "{name}: chunks of {n}");
    }
}

#[test]
fn corpus_push_equals_tree() {
    for (name, raw) in corpus() {
        check_equal(&name, &raw, PushLimits::default());
        // Small body chunks and tight limits exercise the other paths.
        let tight = PushLimits {
            structure: Limits {
                max_depth: 2,
                max_parts: 4,
                max_header_size: 120,
            },
            max_chunk: 5,
        };
        check_equal(&name, &raw, tight);
    }
}

/// Regression (found by the mime_push fuzz target): a header block exactly as long as the
/// limit, ended by a non-header line at the end of the input.
#[test]
fn header_limit_edges() {
    let msgs: [&[u8]; 3] = [
        b"-5.000-AS-Result: No--3.949-5.0-(((\nContdnt-Tn",
        b"A: 1\r\nB: 2\r\n\r\nbody",
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nX: y\nno colon\n--b--",
    ];
    for raw in msgs {
        for max in 0..=raw.len() + 2 {
            let limits = PushLimits {
                structure: Limits {
                    max_header_size: max,
                    ..Limits::default()
                },
                max_chunk: 4,
            };
            check_equal(&format!("max {max}"), raw, limits);
        }
    }
}

/// A 90 KB header block of short lines pushed one byte at a time: the work stays linear
/// (re-checking the whole block at every new line would take minutes here).
#[test]
fn tiny_pushes_long_header() {
    let mut raw = Vec::new();
    for i in 0..30_000 {
        raw.extend_from_slice(if i % 5 == 0 { b"a:\n" } else { b" b\n" });
    }
    raw.extend_from_slice(b"\nbody\n");
    let t = std::time::Instant::now();
    let push = describe_push(raw.chunks(1), PushLimits::default());
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    assert_eq!(push, describe_tree(&Message::parse(&raw)));
    assert_eq!(push[0].header_range, 0..90_001);
}

#[test]
fn events_shape() {
    let raw = include_bytes!("data/gmail-noot-noot.eml");
    let mut p = PushParser::default();
    p.push(raw);
    p.finish();
    let mut log = Vec::new();
    let mut gif = Vec::new();
    while let Some(ev) = p.poll_event() {
        match ev {
            Event::PartStart(i) => log.push(format!("start {} {}", i.number, i.mime_type)),
            Event::BodyChunk { decoded, .. } => {
                if log.last().is_some_and(|l| l.contains("image/gif")) {
                    gif.extend_from_slice(decoded);
                }
            }
            Event::PartEnd(e) => log.push(format!("end {}", e.number)),
            Event::End => log.push("END".into()),
        }
    }
    assert_eq!(
        log,
        [
            "start  multipart/mixed",
            "start 1 multipart/alternative",
            "start 1.1 text/plain",
            "end 1.1",
            "start 1.2 text/html",
            "end 1.2",
            "end 1",
            "start 2 image/gif",
            "end 2",
            "end ",
            "END"
        ]
    );
    assert_eq!(gif, include_bytes!("data/noot-noot.gif"));
    assert!(p.poll_event().is_none());
}

/// A large base64 attachment flows through with a bounded buffer.
#[test]
fn bounded_memory_large_attachment() {
    let payload: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut raw = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    let b64 = base64_encode(&payload);
    for line in b64.chunks(76) {
        raw.extend_from_slice(line);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"--zz--\r\n");
    let mut p = PushParser::new(PushLimits {
        max_chunk: 16 * 1024,
        ..PushLimits::default()
    });
    let mut out = Vec::new();
    let mut max_buf = 0;
    let mut max_chunk = 0;
    for c in raw.chunks(8 * 1024) {
        p.push(c);
        max_buf = max_buf.max(p.buffered());
        while let Some(ev) = p.poll_event() {
            if let Event::BodyChunk { decoded, raw } = ev {
                max_chunk = max_chunk.max(raw.len());
                out.extend_from_slice(decoded);
            }
        }
    }
    p.finish();
    while let Some(ev) = p.poll_event() {
        if let Event::BodyChunk { decoded, .. } = ev {
            out.extend_from_slice(decoded);
        }
    }
    assert_eq!(out, payload);
    assert!(max_buf < 8 * 1024 + 512, "buffer grew to {max_buf}");
    assert!(max_chunk <= 16 * 1024);
}

/// 48 MiB of base64 generated on the fly (never held whole) flows through a push parser
/// whose buffer stays under a few KiB beyond the chunk size.
#[test]
fn streaming_48mib_bounded() {
    const LINES: usize = 48 * 1024 * 1024 / 78;
    let mut p = PushParser::default();
    p.push(b"Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    // One 76-column line encodes 57 bytes; use a line that decodes to a known pattern.
    let plain: Vec<u8> = (0..57u8).collect();
    let mut line = base64_encode(&plain);
    line.extend_from_slice(b"\r\n");
    let chunk: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 840)
        .collect();
    let (mut decoded, mut sum, mut max_buf, mut ends) = (0usize, 0u64, 0usize, 0);
    let drain = |p: &mut PushParser, decoded: &mut usize, sum: &mut u64, ends: &mut i32| {
        while let Some(ev) = p.poll_event() {
            match ev {
                Event::BodyChunk { decoded: d, .. } => {
                    *decoded += d.len();
                    *sum += d.iter().map(|&b| u64::from(b)).sum::<u64>();
                }
                Event::PartEnd(e) => {
                    *ends += 1;
                    assert!(e.decode_defects.is_empty());
                }
                _ => {}
            }
        }
    };
    for _ in 0..LINES / 840 {
        p.push(&chunk);
        max_buf = max_buf.max(p.buffered());
        drain(&mut p, &mut decoded, &mut sum, &mut ends);
    }
    p.push(b"--=_b--\r\n");
    p.finish();
    drain(&mut p, &mut decoded, &mut sum, &mut ends);
    let n = (LINES / 840) * 840;
    assert_eq!(decoded, n * 57);
    assert_eq!(sum, n as u64 * (0..57u64).sum::<u64>());
    assert_eq!(ends, 2);
    assert!(max_buf < chunk.len() + 1024, "{max_buf}");
}

fn base64_encode(data: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63]);
        out.push(A[(n >> 12) as usize & 63]);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63]
        } else {
            b'='
        });
    }
    out
}

fn split_at_points<'a>(raw: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut pts: Vec<usize> = points.iter().map(|&p| p % (raw.len() + 1)).collect();
    pts.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in pts {
        out.push(&raw[last..p]);
        last = p;
    }
    out.push(&raw[last..]);
    out
}

/// Messages built from pieces that stress boundaries, folding and encodings.
fn arb_message() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(&b"--b\n"[..]),
        Just(&b"--b\r\n"[..]),
        Just(&b"--b--\n"[..]),
        Just(&b"--b1\n"[..]),
        Just(&b"--b10\n"[..]),
        Just(&b"--c\r\n"[..]),
        Just(&b"--c--\r\n"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"Content-Type: multipart/mixed; boundary=c\n"[..]),
        Just(&b"Content-Type: multipart/digest; boundary=b1\r\n"[..]),
        Just(&b"Content-Type: message/rfc822\n"[..]),
        Just(&b"Content-Transfer-Encoding: base64\n"[..]),
        Just(&b"Content-Transfer-Encoding: quoted-printable\n"[..]),
        Just(&b"Content-Disposition: attachment; filename=a.bin\n"[..]),
        Just(&b" folded\n"[..]),
        Just(&b"aGVsbG8=\n"[..]),
        Just(&b"aGVsbG8\n"[..]),
        Just(&b"caf=E9=\n"[..]),
        Just(&b"text --b mid\n"[..]),
        Just(&b"no colon line\n"[..]),
        Just(&b"From x\n"[..]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| {
        let mut m = b"Content-Type: multipart/mixed; boundary=b\n\n".to_vec();
        for p in v {
            m.extend_from_slice(p);
        }
        m
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_splits_equal_tree(raw in arb_message(), points in prop::collection::vec(any::<usize>(), 0..12), small in any::<bool>()) {
        let limits = if small {
            PushLimits { structure: Limits { max_depth: 3, max_parts: 6, max_header_size: 64 }, max_chunk: 3 }
        } else {
            PushLimits::default()
        };
        let tree = describe_tree(&Message::parse_with_limits(&raw, limits.structure));
        let chunks = split_at_points(&raw, &points);
        let push = describe_push(chunks.iter().copied(), limits);
        prop_assert_eq!(tree, push);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(raw in prop::collection::vec(any::<u8>(), 0..300), points in prop::collection::vec(any::<usize>(), 0..6)) {
        let tree = describe_tree(&Message::parse(&raw));
        let chunks = split_at_points(&raw, &points);
        prop_assert_eq!(tree, describe_push(chunks.iter().copied(), PushLimits::default()));
    }
}

/// Adversarial input cannot make the push parser hold more than its limits allow: a header
/// block that never ends, a delimiter-like line padded forever, deep nesting and many parts,
/// all pushed in small chunks.
#[test]
fn bounded_memory_adversarial() {
    let limits = PushLimits {
        structure: Limits {
            max_depth: 8,
            max_parts: 50,
            max_header_size: 4096,
        },
        max_chunk: 1024,
    };
    let run = |raw: &[u8], name: &str| {
        let mut p = PushParser::new(limits);
        let mut max_buf = 0;
        let mut parts = 0;
        for c in raw.chunks(512) {
            p.push(c);
            max_buf = max_buf.max(p.buffered());
            while let Some(ev) = p.poll_event() {
                if let Event::PartStart(_) = ev {
                    parts += 1;
                }
            }
        }
        p.finish();
        while p.poll_event().is_some() {}
        // The header limit, one delimiter line (boundary + padding) and one push.
        assert!(
            max_buf <= 4096 + 8 + 200 + 256 + 512 + 512,
            "{name}: buffer grew to {max_buf}"
        );
        assert!(parts <= 50, "{name}: {parts} parts");
        // And the tree parser agrees with it.
        check_equal(name, &raw[..raw.len().min(40_000)], limits);
    };
    // 1. A header block of 2 MB without a blank line.
    let mut raw = Vec::new();
    while raw.len() < 2_000_000 {
        raw.extend_from_slice(
            b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    run(&raw, "endless header");
    // 2. One header field folded forever.
    let mut raw = b"Subject: x".to_vec();
    while raw.len() < 2_000_000 {
        raw.extend_from_slice(b"\r\n continued continued continued continued continued");
    }
    run(&raw, "endless folding");
    // 3. A body line that starts like a delimiter and is padded with spaces forever.
    let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b".to_vec();
    raw.extend(std::iter::repeat_n(b' ', 2_000_000));
    run(&raw, "padded delimiter");
    // 4. 1000 nested multiparts, then 1000 sibling parts.
    let mut raw = Vec::new();
    for i in 0..1000 {
        raw.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    for _ in 0..1000 {
        raw.extend_from_slice(b"\r\nx\r\n--b999\r\n");
    }
    run(&raw, "deep and wide");
    // 5. A part header that keeps growing inside a multipart (limit hit mid-multipart).
    let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n".to_vec();
    while raw.len() < 1_000_000 {
        raw.extend_from_slice(
            b"X-Filler: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n",
        );
    }
    raw.extend_from_slice(b"\r\nbody\r\n--b--\r\n");
    run(&raw, "huge part header");
}
