//! POP3 `RETR` of a 20 MiB message (un-stuffing throughput, status line to terminator):
//! correo's client machine against peers, in the same run.
//!
//! - 20 MiB: correo's `Client` vs smtp-proto's `DataReceiver` (the same un-stuffing job,
//!   SMTP side) vs a naive line-by-line un-stuffer over the whole buffer. async-pop is not
//!   in this group: by its source (1.1.3), its response buffer is capped at exactly 20 MiB
//!   (`Buffer::MAX_SIZE`; the status line and the stuffing push a 20 MiB message past it)
//!   and it re-parses the whole buffer after every read of at most 2 KiB (quadratic).
//!   The `pop3` and `rust-pop3-client` crates were not tried.
//! - 256 KiB: correo's `Client` vs async-pop 1.1 (the POP3 client crate the issue names),
//!   driven over an in-memory stream. async-pop returns the body still dot-stuffed.
//!
//! `cargo bench -p correo-benches --bench pop3 -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use correo_benches::text_body;
use correo_pop3::client::{Client, ClientConfig, Event};
use correo_wire::dot::DotEncoder;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::request::receiver::DataReceiver;

/// Bytes handed over per call, like reads from a socket.
const READ: usize = 64 * 1024;

/// A correo client in TRANSACTION state that has sent `RETR 1`.
fn client_waiting_for_retr() -> Client {
    let mut c = Client::new(ClientConfig {
        allow_cleartext_login: true,
        auto_capa: false,
        ..ClientConfig::default()
    });
    c.receive(b"+OK ready\r\n").unwrap();
    c.login(b"u", b"p").unwrap();
    c.poll_transmit().unwrap();
    c.receive(b"+OK\r\n").unwrap();
    c.poll_transmit().unwrap();
    c.receive(b"+OK\r\n").unwrap();
    while c.poll_event().is_some() {}
    c.retr(1).unwrap();
    c.poll_transmit().unwrap();
    c
}

/// Feeds the reply to the client in socket-sized reads; returns the body length.
fn correo_retr(reply: &[u8]) -> usize {
    let mut c = client_waiting_for_retr();
    let mut got = 0;
    let mut done = false;
    for chunk in reply.chunks(READ) {
        c.receive(chunk).unwrap();
        while let Some(e) = c.poll_event() {
            match e {
                Event::BodyChunk(b) => got += b.len(),
                Event::MessageEnd { .. } => done = true,
                _ => {}
            }
        }
    }
    assert!(done);
    got
}

/// The simplest correct un-stuffer: split the whole reply into lines, stop at ".", drop one
/// leading dot.
fn naive_retr(reply: &[u8], out: &mut Vec<u8>) -> usize {
    let mut rest = reply;
    let mut first = true;
    while let Some(end) = memchr_nl(rest) {
        let (line, tail) = rest.split_at(end + 1);
        rest = tail;
        if first {
            first = false;
            continue; // status line
        }
        if line == b".\r\n" {
            return out.len();
        }
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    panic!("no terminator");
}

fn memchr_nl(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

/// An in-memory socket for async-pop: reads come from a script, writes are dropped.
struct Script {
    input: Vec<u8>,
    pos: usize,
}

impl futures::io::AsyncRead for Script {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

impl futures::io::AsyncWrite for Script {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Greeting, CAPA, USER, PASS, CAPA (async-pop asks again after login), then the reply.
fn async_pop_retr(reply: &[u8]) -> usize {
    let mut input = b"+OK ready\r\n+OK\r\nUSER\r\n.\r\n+OK\r\n+OK\r\n+OK\r\nUSER\r\n.\r\n".to_vec();
    input.extend_from_slice(reply);
    futures::executor::block_on(async {
        let mut client = async_pop::new(Script { input, pos: 0 }).await.unwrap();
        client.login("u", "p").await.unwrap();
        client.retr(1).await.unwrap().len()
    })
}

fn retr_reply(size: usize) -> (Vec<u8>, Vec<u8>) {
    let body = text_body(size, 76);
    let mut reply = format!("+OK {} octets\r\n", body.len()).into_bytes();
    reply.extend_from_slice(&DotEncoder::encode_all(&body));
    (body, reply)
}

fn retr_20mib(c: &mut Criterion) {
    let (body, reply) = retr_reply(20 * 1024 * 1024);
    let status_len = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
    let stuffed = &reply[status_len..];
    assert_eq!(correo_retr(&reply), body.len());
    let mut out = Vec::with_capacity(reply.len());
    assert_eq!(naive_retr(&reply, &mut out), body.len());
    assert_eq!(out, body);

    let mut group = c.benchmark_group("pop3_retr_20mib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(reply.len() as u64));
    group.bench_function("correo-client", |b| {
        b.iter(|| black_box(correo_retr(&reply)));
    });
    group.bench_function("smtp-proto-data-receiver", |b| {
        b.iter(|| {
            out.clear();
            let mut receiver = DataReceiver::new();
            let mut done = false;
            for chunk in stuffed.chunks(READ) {
                done = receiver.ingest(&mut chunk.iter(), &mut out);
            }
            assert!(done);
            black_box(out.len())
        });
    });
    group.bench_function("naive-lines", |b| {
        b.iter(|| {
            out.clear();
            black_box(naive_retr(&reply, &mut out))
        });
    });
    group.finish();
}

fn retr_256kib(c: &mut Criterion) {
    let (body, reply) = retr_reply(256 * 1024);
    assert_eq!(correo_retr(&reply), body.len());
    // async-pop hands the body back still dot-stuffed: longer than the message.
    assert!(async_pop_retr(&reply) > body.len());
    let mut group = c.benchmark_group("pop3_retr_256kib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(reply.len() as u64));
    group.bench_function("correo-client", |b| {
        b.iter(|| black_box(correo_retr(&reply)));
    });
    group.bench_function("async-pop", |b| {
        b.iter(|| black_box(async_pop_retr(&reply)));
    });
    group.finish();
}

criterion_group!(benches, retr_20mib, retr_256kib);
criterion_main!(benches);
