//! Base64 body decoding: a 20 MiB attachment as mail carries it (76-column lines, CRLF).
//!
//! Functions in group `base64_20mib` (all decode the same encoded body):
//! - `correo`: `correo_mime::decode::BodyDecoder` (AVX2 kernel when the CPU has it);
//! - `correo-scalar`: the same decoder forced onto its scalar path;
//! - `base64-crate`: the `base64` crate's standard engine, after stripping the line breaks
//!   (it rejects them), as peers that use it do; the strip is included in the time;
//! - `mail-parser`: mail-parser's public decoder `mail_parser::decoders::base64::base64_decode`
//!   (it skips line breaks itself);
//! - `mail-parser-message`: mail-parser parsing a minimal one-part message with that body
//!   and handing out the decoded attachment (its `decode_base64_mime` path).
//!
//! correo and base64-crate decode into a reused output buffer (their APIs allow it);
//! mail-parser allocates a fresh one per call (its API returns a `Vec`).
// `criterion_main!` generates an undocumented `main`.
#![allow(missing_docs)]

use base64::Engine as _;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

use correo_mime::decode::base64::Base64Decoder;
use correo_mime::decode::{BodyDecoder, TransferEncoding};

const SIZE: usize = 20 << 20;

fn payload() -> Vec<u8> {
    // Deterministic, incompressible-looking bytes (xorshift).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let raw = payload();
    let mut encoded = Vec::new();
    correo_mime::decode::base64::encode_mime(&raw, &mut encoded);
    let mut message =
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
    message.extend_from_slice(&encoded);

    // Every function must produce the same bytes.
    {
        let (out, defects) = correo_mime::decode::decode_body(&TransferEncoding::Base64, &encoded);
        assert!(out == raw && defects.is_empty());
        let mut out = Vec::new();
        let mut d = Base64Decoder::scalar();
        d.decode(&encoded, &mut out);
        d.finish(&mut out);
        assert!(out == raw);
        assert!(
            mail_parser::decoders::base64::base64_decode(&encoded).as_deref() == Some(&raw[..])
        );
        let msg = mail_parser::MessageParser::default()
            .parse(&message)
            .expect("parses");
        assert!(msg.parts.iter().any(|p| p.contents() == &raw[..]));
    }

    let mut g = c.benchmark_group("base64_20mib");
    g.throughput(Throughput::Bytes(encoded.len() as u64));
    g.sample_size(10);
    let mut out = Vec::with_capacity(SIZE + 64);
    g.bench_function("correo", |b| {
        b.iter(|| {
            out.clear();
            let mut d = BodyDecoder::new(&TransferEncoding::Base64);
            d.decode(black_box(&encoded), &mut out);
            d.finish(&mut out);
            black_box(out.len())
        });
    });
    g.bench_function("correo-scalar", |b| {
        b.iter(|| {
            out.clear();
            let mut d = Base64Decoder::scalar();
            d.decode(black_box(&encoded), &mut out);
            d.finish(&mut out);
            black_box(out.len())
        });
    });
    let mut stripped = Vec::with_capacity(encoded.len());
    g.bench_function("base64-crate", |b| {
        b.iter(|| {
            stripped.clear();
            stripped.extend(
                black_box(&encoded)
                    .iter()
                    .copied()
                    .filter(|&c| c != b'\r' && c != b'\n'),
            );
            out.clear();
            base64::engine::general_purpose::STANDARD
                .decode_vec(&stripped, &mut out)
                .expect("valid");
            black_box(out.len())
        });
    });
    g.bench_function("mail-parser", |b| {
        b.iter(|| {
            black_box(mail_parser::decoders::base64::base64_decode(black_box(
                &encoded,
            )))
            .map(|v| v.len())
        });
    });
    g.bench_function("mail-parser-message", |b| {
        b.iter(|| {
            let msg = mail_parser::MessageParser::default().parse(black_box(&message[..]));
            black_box(msg.map(|m| m.parts.len()))
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
