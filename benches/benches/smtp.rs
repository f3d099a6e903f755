//! SMTP: command parsing and DATA throughput, correo-smtp against smtp-proto in the same run.
//!
//! - `smtp_command_parse`: the command lines of real sessions (Postfix transcripts and the
//!   seeds), parsed one by one: correo's `Command::parse` against smtp-proto's
//!   `Request::parse`.
//! - `smtp_data_20mib`: a whole session with a 20 MiB body fed in 64 KiB reads to correo's
//!   server state machine (framing, command parsing, dot-unstuffing, body events) against
//!   smtp-proto's `RequestReceiver` + `DataReceiver` doing the same job.
//!
//! `cargo bench -p correo-benches --bench smtp -- --warm-up-time 1 --measurement-time 3`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use correo_benches::text_body;
use correo_smtp::{Command, ParseOptions, Server, ServerConfig, ServerEvent};
use correo_wire::dot::DotEncoder;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::Request;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};

const LINES: &[&str] = &[
    "EHLO client.example.org",
    "ehlo client.example.org",
    "HELO crepes.fr",
    "MAIL FROM:<tester@example.org> SIZE=9552",
    "MAIL FROM:<raw@example.org> BODY=8BITMIME",
    "MAIL FROM:<alumnopop@redes.unlp.edu.ar> BODY=8BITMIME SIZE=467",
    "MAIL FROM:<josé@example.org> SMTPUTF8",
    "MAIL FROM:<> RET=HDRS ENVID=QQ314159",
    "RCPT TO:<alice@localhost>",
    "RCPT TO:<nobody@elsewhere.example>",
    "RCPT TO:<bob@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@localhost",
    "rcpt to:<destino@otroservidor.com>",
    "DATA",
    "BDAT 47 LAST",
    "RSET",
    "NOOP",
    "VRFY alice",
    "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
    "STARTTLS",
    "QUIT",
];

fn command_parse(c: &mut Criterion) {
    let lines: Vec<Vec<u8>> = LINES
        .iter()
        .map(|l| format!("{l}\r\n").into_bytes())
        .collect();
    let total: usize = lines.iter().map(Vec::len).sum();
    // Both parsers accept every line (checked once, outside the timing).
    let opts = ParseOptions::default();
    for l in &lines {
        assert!(
            Command::parse(l, &opts).is_ok(),
            "correo: {}",
            String::from_utf8_lossy(l)
        );
        assert!(
            Request::parse(&mut l.iter()).is_ok(),
            "smtp-proto: {}",
            String::from_utf8_lossy(l)
        );
    }
    let mut group = c.benchmark_group("smtp_command_parse");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("correo", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for l in &lines {
                if let Ok(cmd) = Command::parse(black_box(l), &opts) {
                    n += usize::from(matches!(cmd, Command::Mail { .. }));
                }
            }
            black_box(n)
        });
    });
    group.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for l in &lines {
                if let Ok(req) = Request::parse(&mut black_box(l).iter()) {
                    n += usize::from(matches!(req, Request::Mail { .. }));
                }
            }
            black_box(n)
        });
    });
    group.finish();
}

const SIZE: usize = 20 * 1024 * 1024;
const READ: usize = 64 * 1024;

fn data_throughput(c: &mut Criterion) {
    let body = text_body(SIZE, 76);
    let mut session = b"EHLO client.example.org\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n".to_vec();
    session.extend_from_slice(&DotEncoder::encode_all(&body));
    session.extend_from_slice(b"QUIT\r\n");
    let mut group = c.benchmark_group("smtp_data_20mib");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(session.len() as u64));
    let config = ServerConfig {
        max_message_size: None,
        ..ServerConfig::default()
    };
    group.bench_function("correo", |b| {
        b.iter(|| {
            let mut server = Server::new(config.clone());
            let mut got = 0usize;
            let mut messages = 0;
            for chunk in session.chunks(READ) {
                server.receive(chunk);
                while let Some(ev) = server.poll_event() {
                    match ev {
                        ServerEvent::Data(d) => got += d.len(),
                        ServerEvent::MailFrom { .. } | ServerEvent::RcptTo { .. } => {
                            server.accept();
                        }
                        ServerEvent::DataEnd { .. } => {
                            messages += 1;
                            server.accept();
                        }
                        _ => {}
                    }
                }
                black_box(server.poll_transmit());
            }
            assert_eq!(messages, 1);
            assert!(server.is_closed());
            black_box(got)
        });
    });
    group.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut requests = RequestReceiver::default();
            let mut data: Option<DataReceiver> = None;
            let mut body_out = Vec::with_capacity(READ);
            let mut got = 0usize;
            let mut messages = 0;
            let mut quit = false;
            for chunk in session.chunks(READ) {
                let mut iter = chunk.iter();
                loop {
                    if let Some(d) = data.as_mut() {
                        body_out.clear();
                        let done = d.ingest(&mut iter, &mut body_out);
                        got += body_out.len();
                        if done {
                            data = None;
                            messages += 1;
                        } else {
                            break;
                        }
                    }
                    match requests.ingest(&mut iter) {
                        Ok(Request::Data) => data = Some(DataReceiver::new()),
                        Ok(Request::Quit) => quit = true,
                        Ok(_) => {}
                        Err(smtp_proto::Error::NeedsMoreData { .. }) => break,
                        Err(_) => {}
                    }
                    if iter.as_slice().is_empty() && data.is_none() {
                        break;
                    }
                }
            }
            assert_eq!(messages, 1);
            assert!(quit);
            black_box(got)
        });
    });
    group.finish();
}

criterion_group!(benches, command_parse, data_throughput);
criterion_main!(benches);
