//! Fuzz the POP3 client machine: arbitrary server bytes in arbitrary pieces, with commands
//! chosen by the fuzz input between pieces. The machine must never panic and must keep
//! its memory bounded (body chunks never larger than the configured chunk).
#![no_main]

use correo_pop3::client::{Client, ClientConfig, Event, TlsMode};
use correo_wire::sasl::SaslClient;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let max_chunk = 1 + usize::from(flags >> 4);
    let mut c = Client::new(ClientConfig {
        tls: match flags & 3 {
            0 => TlsMode::Plain,
            1 => TlsMode::StlsRequired,
            _ => TlsMode::Implicit,
        },
        allow_cleartext_login: flags & 4 != 0,
        enable_apop: flags & 8 != 0,
        max_chunk,
        max_line_len: 256,
        max_message_size: Some(4096),
        ..ClientConfig::default()
    });
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let n = usize::from(op >> 3) + 1;
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        let _ = match op & 7 {
            0 => c.login(b"user", b"pass"),
            1 => c.stat(),
            2 => c.list(if op & 8 == 0 { None } else { Some(1) }),
            3 => c.retr(u32::from(op >> 4)),
            4 => c.top(1, u32::from(op >> 4)),
            5 => c.dele(1).and_then(|()| c.rset()),
            6 => match op >> 4 {
                0 => c.stls(),
                1 => c.tls_established(),
                2 => c.apop(b"u", b"p"),
                3 => c.authenticate(SaslClient::plain(None, "u", "p").expect("plain"), true),
                4 => c.authenticate(SaslClient::cram_md5("u", "p").expect("cram"), false),
                5 => c.uidl(None),
                _ => c.quit(),
            },
            _ => c.capa(),
        };
        while c.poll_transmit().is_some() {}
        let _ = c.receive(piece);
        while let Some(ev) = c.poll_event() {
            if let Event::BodyChunk(b) = ev {
                assert!(!b.is_empty() && b.len() <= max_chunk);
            }
        }
    }
    let _ = c.connection_closed();
});
