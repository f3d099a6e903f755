//! IMAP: correo-imap against imap-proto and imap-codec, in the same run.
//!
//! - `imap_fetch_1_6k`: parse a ~1.6 KB FETCH response with ENVELOPE and BODYSTRUCTURE.
//! - `imap_body_10mib`: a 10 MiB `BODY[]` literal arriving in 16 KiB reads, the body
//!   stored by the consumer; `memcpy` is the floor (storing the same reads, no parsing).
//!   Peers need the whole message in one buffer and are retried after every read.
//! - `imap_search_500k`: a 500 000-UID SEARCH line (3.4 MB) in 16 KiB reads (correo, one
//!   pass) against one parse of the whole buffer by each peer (their best case; retrying
//!   after every read, as a client must, is quadratic and left out to keep the run short).
//! - `imap_encode_*`: encoding the same FETCH, 10 MiB `BODY[]` (held whole, or streamed by
//!   correo with the caller writing the body) and SEARCH responses.
//!
//! `cargo bench -p correo-benches --bench imap -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;

use correo_imap::encode::{EncodeOptions, encode_response_to};
use correo_imap::frame::{Frame, Framer, RawMessage, Side};
use correo_imap::parse::parse_response;
use correo_imap::{Leniency, Limits};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder;
use imap_codec::encode::Encoder;

fn fetch_line() -> Vec<u8> {
    let addr =
        |n: usize| format!("(\"Person Number {n}\" NIL \"person.number{n}\" \"example.org\")");
    let to: String = (0..6).map(addr).collect();
    let cc: String = (6..10).map(addr).collect();
    let line = format!(
        "* 4 FETCH (UID 2041 FLAGS (\\Seen $Forwarded) RFC822.SIZE 504023 INTERNALDATE \"23-Nov-2024 20:49:12 +0100\" \
         ENVELOPE (\"Sat, 23 Nov 2024 20:49:10 +0100\" \"Re: Laboratorio de correo: entrega de la practica 3\" \
         ((\"Alumno Ejemplo\" NIL \"alumno\" \"alumnos.uc3m.es\")) ((\"Alumno Ejemplo\" NIL \"alumno\" \"alumnos.uc3m.es\")) \
         ((\"Alumno Ejemplo\" NIL \"alumno\" \"alumnos.uc3m.es\")) ({to}) ({cc}) NIL \"<CAB1234@mail.gmail.com>\" \"<CAB5678@mail.gmail.com>\") \
         BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 2 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 94 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"0000000000006dd7b90627990dbf\") NIL NIL NIL)\
         (\"image\" \"gif\" (\"name\" \"noot-noot.gif\") \"<f_m3uj5f1y0>\" NIL \"base64\" 498686 NIL (\"attachment\" (\"filename\" \"noot-noot.gif\")) NIL NIL)\
         (\"application\" \"pdf\" (\"name\" \"enunciado.pdf\") NIL NIL \"base64\" 120432 NIL (\"attachment\" (\"filename\" \"enunciado.pdf\" \"size\" \"88011\")) NIL NIL) \
         \"mixed\" (\"boundary\" \"0000000000006dd7bc0627990dc1\") NIL NIL NIL))\r\n"
    );
    line.into_bytes()
}

fn bench_fetch(c: &mut Criterion) {
    let line = fetch_line();
    let len = Leniency::default();
    let lim = Limits::default();
    assert!(parse_response(RawMessage::new(&line), &len, &lim).is_ok());
    assert!(imap_proto::Response::parse(&line).is_ok());
    assert!(ResponseCodec::default().decode(&line).is_ok());
    let mut g = c.benchmark_group("imap_fetch_1_6k");
    g.throughput(Throughput::Bytes(line.len() as u64));
    g.bench_function("correo", |b| {
        b.iter(|| {
            black_box(parse_response(
                RawMessage::new(black_box(&line)),
                &len,
                &lim,
            ))
            .is_ok()
        });
    });
    g.bench_function("correo_framed", |b| {
        let mut framer = Framer::new(Side::Client, lim, true);
        b.iter(|| {
            let mut feed = framer.feed(black_box(&line));
            while let Some(Ok(Frame::Message(m))) = feed.next_frame() {
                black_box(parse_response(m, &len, &lim).is_ok());
            }
        });
    });
    g.bench_function("imap-proto", |b| {
        b.iter(|| black_box(imap_proto::Response::parse(black_box(&line))).is_ok());
    });
    g.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| black_box(codec.decode(black_box(&line))).is_ok());
    });
    g.finish();

    let mut g = c.benchmark_group("imap_encode_fetch_1_6k");
    g.throughput(Throughput::Bytes(line.len() as u64));
    let ours = parse_response(RawMessage::new(&line), &len, &lim).unwrap();
    let (_, theirs) = ResponseCodec::default().decode(&line).unwrap();
    g.bench_function("correo", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            out.clear();
            encode_response_to(black_box(&ours), &EncodeOptions::default(), &mut out);
            black_box(out.len())
        });
    });
    g.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| black_box(codec.encode(black_box(&theirs)).dump().len()));
    });
    g.finish();
}

const MIB10: usize = 10 << 20;
const READ: usize = 16 << 10;

fn bench_body(c: &mut Criterion) {
    let mut msg = format!("* 1 FETCH (UID 7 BODY[] {{{MIB10}}}\r\n").into_bytes();
    msg.extend((0..MIB10).map(|i| b"abcdefghijklmnopqrstuvwxyz\r\n"[i % 28]));
    msg.extend_from_slice(b")\r\n");
    let len = Leniency::default();
    let lim = Limits::default();
    let mut g = c.benchmark_group("imap_body_10mib");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("memcpy", |b| {
        let mut dst = Vec::with_capacity(msg.len());
        b.iter(|| {
            dst.clear();
            for read in msg.chunks(READ) {
                dst.extend_from_slice(black_box(read));
            }
            black_box(dst.len())
        });
    });
    g.bench_function("correo", |b| {
        let mut framer = Framer::new(Side::Client, lim, true);
        let mut dst = Vec::with_capacity(msg.len());
        b.iter(|| {
            dst.clear();
            let mut done = 0;
            for read in msg.chunks(READ) {
                let mut feed = framer.feed(black_box(read));
                while let Some(f) = feed.next_frame() {
                    match f {
                        Ok(Frame::BodyData(d)) => dst.extend_from_slice(d),
                        Ok(Frame::Message(m)) => {
                            done += usize::from(parse_response(m, &len, &lim).is_ok());
                        }
                        _ => {}
                    }
                }
            }
            assert_eq!((done, dst.len()), (1, MIB10));
        });
    });
    g.bench_function("imap-proto", |b| {
        let mut buf = Vec::with_capacity(msg.len());
        b.iter(|| {
            buf.clear();
            let mut ok = false;
            for read in msg.chunks(READ) {
                buf.extend_from_slice(black_box(read));
                if imap_proto::Response::parse(&buf).is_ok() {
                    ok = true;
                }
            }
            assert!(ok);
        });
    });
    g.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        let mut buf = Vec::with_capacity(msg.len());
        b.iter(|| {
            buf.clear();
            let mut ok = false;
            for read in msg.chunks(READ) {
                buf.extend_from_slice(black_box(read));
                if codec.decode(&buf).is_ok() {
                    ok = true;
                }
            }
            assert!(ok);
        });
    });
    g.finish();

    // Encoding the same response into one buffer: the value holding the 10 MiB (correo,
    // imap-codec), or correo's streamed form (the response around a `{n}` announcement,
    // the body bytes written by the caller as they come, 16 KiB at a time).
    let mut g = c.benchmark_group("imap_encode_body_10mib");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(msg.len() as u64));
    let ours = parse_response(RawMessage::new(&msg), &len, &lim).unwrap();
    let (_, theirs) = ResponseCodec::default().decode(&msg).unwrap();
    let body = &msg[msg.len() - MIB10 - 3..msg.len() - 3];
    let streamed = correo_imap::types::Response::Untagged(correo_imap::types::Untagged::Fetch {
        seq: 1,
        items: vec![
            correo_imap::types::FetchItem::Uid(7),
            correo_imap::types::FetchItem::BodySection {
                section: correo_imap::types::Section::default(),
                origin: None,
                data: correo_imap::types::BodyData::Streamed(MIB10 as u64),
            },
        ],
    });
    {
        let mut out = Vec::new();
        encode_response_to(&ours, &EncodeOptions::default(), &mut out);
        assert_eq!(out, msg);
        let mut out = Vec::new();
        for f in correo_imap::encode::encode_response(&streamed, &EncodeOptions::default()) {
            out.extend_from_slice(&f.bytes);
            if let correo_imap::encode::Next::Body { .. } = f.next {
                out.extend_from_slice(body);
            }
        }
        assert_eq!(out, msg);
    }
    g.bench_function("memcpy", |b| {
        let mut out = Vec::with_capacity(msg.len());
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&msg));
            black_box(out.len())
        });
    });
    g.bench_function("correo", |b| {
        let mut out = Vec::with_capacity(msg.len());
        b.iter(|| {
            out.clear();
            encode_response_to(black_box(&ours), &EncodeOptions::default(), &mut out);
            black_box(out.len())
        });
    });
    g.bench_function("correo_streamed", |b| {
        let mut out = Vec::with_capacity(msg.len());
        b.iter(|| {
            out.clear();
            for f in correo_imap::encode::encode_response(
                black_box(&streamed),
                &EncodeOptions::default(),
            ) {
                out.extend_from_slice(&f.bytes);
                if let correo_imap::encode::Next::Body { .. } = f.next {
                    for read in body.chunks(READ) {
                        out.extend_from_slice(black_box(read));
                    }
                }
            }
            black_box(out.len())
        });
    });
    g.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| black_box(codec.encode(black_box(&theirs)).dump().len()));
    });
    g.finish();
}

fn bench_search(c: &mut Criterion) {
    let mut line = b"* SEARCH".to_vec();
    for i in 1..=500_000u32 {
        line.push(b' ');
        line.extend_from_slice(i.to_string().as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    let len = Leniency::default();
    let lim = Limits::default();
    let mut g = c.benchmark_group("imap_search_500k");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(line.len() as u64));
    g.bench_function("correo_16k_reads", |b| {
        let mut framer = Framer::new(Side::Client, lim, true);
        b.iter(|| {
            let mut n = 0;
            for read in line.chunks(READ) {
                let mut feed = framer.feed(black_box(read));
                while let Some(Ok(Frame::Message(m))) = feed.next_frame() {
                    if let Ok(correo_imap::types::Response::Untagged(
                        correo_imap::types::Untagged::Search { ids, .. },
                    )) = parse_response(m, &len, &lim)
                    {
                        n = ids.len();
                    }
                }
            }
            assert_eq!(n, 500_000);
        });
    });
    g.bench_function("imap-proto_whole", |b| {
        b.iter(|| black_box(imap_proto::Response::parse(black_box(&line))).is_ok());
    });
    g.bench_function("imap-codec_whole", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| black_box(codec.decode(black_box(&line))).is_ok());
    });
    g.finish();

    let mut g = c.benchmark_group("imap_encode_search_500k");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(line.len() as u64));
    let ours = parse_response(RawMessage::new(&line), &len, &lim).unwrap();
    let (_, theirs) = ResponseCodec::default().decode(&line).unwrap();
    g.bench_function("correo", |b| {
        let mut out = Vec::with_capacity(line.len());
        b.iter(|| {
            out.clear();
            encode_response_to(black_box(&ours), &EncodeOptions::default(), &mut out);
            black_box(out.len())
        });
    });
    g.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| black_box(codec.encode(black_box(&theirs)).dump().len()));
    });
    g.finish();
}

criterion_group!(benches, bench_fetch, bench_body, bench_search);
criterion_main!(benches);
