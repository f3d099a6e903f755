//! Dot-stuffing throughput on a 20 MiB body: correo's streaming decoder against smtp-proto's
//! `DataReceiver`, in the same run (and a plain `memcpy` of the same bytes as the ceiling).
//! The encoder is measured against the same `memcpy` ceiling (smtp-proto has no encoder).
//! Line framing (`line_frame_20mib`) is measured against smtp-proto's `LineReceiver`.
//!
//! `cargo bench -p correo-benches --bench wire_dot -- --warm-up-time 1 --measurement-time 3`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use correo_benches::text_body;
use correo_wire::dot::{DotDecoder, DotEncoder};
use correo_wire::line::{LineConfig, LineFramer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::request::receiver::{DataReceiver, LineReceiver};

const SIZE: usize = 20 * 1024 * 1024;
/// Bytes handed over per call, like reads from a socket.
const READ: usize = 64 * 1024;

fn unstuff(c: &mut Criterion) {
    let body = text_body(SIZE, 76);
    let wire = DotEncoder::encode_all(&body);
    let mut group = c.benchmark_group("dot_unstuff_20mib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(wire.len() as u64));
    let mut out = Vec::with_capacity(wire.len());

    group.bench_function("correo", |b| {
        b.iter(|| {
            out.clear();
            let mut decoder = DotDecoder::default();
            for chunk in wire.chunks(READ) {
                decoder.decode_into(chunk, &mut out);
            }
            assert!(decoder.is_complete());
            black_box(out.len())
        });
    });
    group.bench_function("smtp-proto", |b| {
        b.iter(|| {
            out.clear();
            let mut receiver = DataReceiver::new();
            let mut done = false;
            for chunk in wire.chunks(READ) {
                let mut iter = chunk.iter();
                done = receiver.ingest(&mut iter, &mut out);
            }
            assert!(done);
            black_box(out.len())
        });
    });
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            for chunk in wire.chunks(READ) {
                out.extend_from_slice(chunk);
            }
            black_box(out.len())
        });
    });
    group.finish();

    // Both decoders must agree on the body, except that smtp-proto does not un-stuff the
    // first line (its state starts as if not at a line start), and this body starts with a
    // stuffed dot.
    let mut ours = Vec::new();
    DotDecoder::default().decode_into(&wire, &mut ours);
    let mut theirs = Vec::new();
    DataReceiver::new().ingest(&mut wire.iter(), &mut theirs);
    assert_eq!(ours, body);
    assert_eq!(
        &theirs[1..],
        &ours[..],
        "smtp-proto decoded a different body"
    );
}

fn stuff(c: &mut Criterion) {
    let body = text_body(SIZE, 76);
    let mut group = c.benchmark_group("dot_stuff_20mib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(body.len() as u64));
    let mut out = Vec::with_capacity(body.len() + body.len() / 32 + 8);

    group.bench_function("correo", |b| {
        b.iter(|| {
            out.clear();
            let mut encoder = DotEncoder::new();
            for chunk in body.chunks(READ) {
                encoder.encode_into(chunk, &mut out);
            }
            encoder.finish(|tail| out.extend_from_slice(tail));
            black_box(out.len())
        });
    });
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            out.clear();
            for chunk in body.chunks(READ) {
                out.extend_from_slice(chunk);
            }
            black_box(out.len())
        });
    });
    group.finish();
}

/// About `size` bytes of pipelined SMTP command lines of varied length.
fn command_lines(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    let mut i = 0u64;
    while out.len() < size {
        let line = match i % 4 {
            0 => format!("MAIL FROM:<sender{i}@example.org> SIZE={}\r\n", i * 7),
            1 => format!("RCPT TO:<recipient.number.{i}@mail.example.net>\r\n"),
            2 => "NOOP\r\n".to_owned(),
            _ => format!("EHLO client-{i}.example.com\r\n"),
        };
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out
}

fn frame(c: &mut Criterion) {
    let input = command_lines(SIZE);
    let mut group = c.benchmark_group("line_frame_20mib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(input.len() as u64));

    group.bench_function("correo", |b| {
        b.iter(|| {
            let mut framer = LineFramer::new(LineConfig::with_max_line_len(4096));
            let (mut lines, mut bytes) = (0usize, 0usize);
            for chunk in input.chunks(READ) {
                let mut feed = framer.feed(chunk);
                while let Some(line) = feed.next_line() {
                    let line = line.expect("well-formed");
                    lines += 1;
                    bytes += line.content().len();
                }
            }
            black_box((lines, bytes))
        });
    });
    group.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut receiver = LineReceiver::new(());
            let (mut lines, mut bytes) = (0usize, 0usize);
            for chunk in input.chunks(READ) {
                let mut iter = chunk.iter();
                while receiver.ingest(&mut iter) {
                    lines += 1;
                    bytes += receiver.buf.len();
                    receiver.buf.clear();
                }
            }
            black_box((lines, bytes))
        });
    });
    group.finish();
}

criterion_group!(benches, unstuff, stuff, frame);
criterion_main!(benches);
