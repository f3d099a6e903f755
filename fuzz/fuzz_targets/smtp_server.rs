//! The SMTP server machine fed arbitrary bytes in arbitrary pieces, answering its
//! decisions from the fuzz input: no panic, bounded output, and never more messages than
//! DATA/BDAT commands.
#![no_main]

use correo_smtp::server::{AuthRequest, Extensions, FutureRelease};
use correo_smtp::{Reply, ReplyCode, Server, ServerConfig, ServerEvent};
use correo_wire::sasl::Mechanism;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut config = ServerConfig {
        lmtp: flags & 1 != 0,
        starttls: flags & 2 != 0,
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5],
        auth_without_tls: flags & 4 != 0,
        require_auth: flags & 8 != 0,
        max_message_size: Some(4096),
        bare_lf: if flags & 16 != 0 {
            correo_wire::dot::BareLf::Normalize
        } else {
            correo_wire::dot::BareLf::Reject
        },
        extensions: Extensions {
            dsn: true,
            vrfy: true,
            expn: true,
            etrn: true,
            binarymime: true,
            mt_priority: flags & 32 != 0,
            deliver_by: (flags & 32 != 0).then_some(60),
            future_release: (flags & 32 != 0).then(|| FutureRelease {
                max_interval: 86_400,
                max_datetime: "2026-11-27T12:00:00Z".into(),
            }),
            ..Extensions::default()
        },
        ..ServerConfig::default()
    };
    config.sasl.cram_challenge = Some("<1.2@fuzz>".into());
    config.limits.body_chunk_size = 64;
    // Short text lines, so the DATA line limit is reached often.
    config.limits.max_text_line = (flags & 64 != 0).then_some(40);
    let mut server = Server::new(config);
    // Pieces: a length byte, then that many bytes; decisions use the length byte's top bit.
    let mut input = rest;
    let mut messages = 0usize;
    let mut total_out = 0usize;
    let mut total_in = 0usize;
    while let Some((&len, tail)) = input.split_first() {
        let n = usize::from(len & 0x3f).min(tail.len());
        let (piece, tail) = tail.split_at(n);
        input = tail;
        total_in += piece.len();
        server.receive(piece);
        let accept = len & 0x80 != 0;
        while let Some(ev) = server.poll_event() {
            match ev {
                ServerEvent::MailFrom { .. }
                | ServerEvent::RcptTo { .. }
                | ServerEvent::Vrfy(_)
                | ServerEvent::Expn(_)
                | ServerEvent::Etrn(_)
                | ServerEvent::Auth(AuthRequest::Password(_) | AuthRequest::Token(_)) => {
                    if accept {
                        server.accept();
                    } else {
                        server.reject(Reply::new(ReplyCode::MAILBOX_UNAVAILABLE, None, "no"));
                    }
                }
                ServerEvent::Auth(AuthRequest::CramSecret { .. }) => {
                    server.auth_cram_secret(b"secret")
                }
                ServerEvent::Auth(AuthRequest::ScramCredentials { .. }) => {
                    server.reject(Reply::new(ReplyCode::AUTH_FAILED, None, "no"));
                }
                ServerEvent::DataEnd { answers } => {
                    messages += 1;
                    for _ in 0..answers {
                        server.accept();
                    }
                }
                ServerEvent::Data(d) => assert!(d.len() <= 64),
                ServerEvent::StartTls => {
                    if accept {
                        server.tls_established();
                    }
                }
                _ => {}
            }
        }
        while let Some(out) = server.poll_transmit() {
            total_out += out.len();
        }
    }
    let _ = server.received_header(Some("192.0.2.1"), None, "now");
    // Output stays proportionate to input (no amplification loops).
    assert!(
        total_out <= 4096 + total_in * 64,
        "{total_out} out for {total_in} in"
    );
    let data_cmds = data
        .windows(4)
        .filter(|w| w.eq_ignore_ascii_case(b"DATA") || w.eq_ignore_ascii_case(b"BDAT"))
        .count();
    assert!(messages <= data_cmds);
});
