#![no_main]
//! Client state machine: arbitrary server bytes, in input-driven chunks, after a few
//! commands (some with literals, IDLE, STARTTLS); it must never panic, and after BYE or a
//! fail-closed it must stay closed.

use std::time::{Duration, Instant};

use correo_imap::Limits;
use correo_imap::client::{Client, ClientConfig, TlsMode};
use correo_imap::types::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let tls = match ctl & 3 {
        0 => TlsMode::Plain,
        1 => TlsMode::StartTlsRequired,
        _ => TlsMode::Implicit,
    };
    let config = ClientConfig {
        tls,
        limits: Limits {
            max_depth: 64,
            max_items: 10_000,
            max_line_len: 4096,
            ..Limits::default()
        },
        ..ClientConfig::default()
    };
    let mut c = Client::new(config);
    let t0 = Instant::now();
    let mut issued = false;
    for (i, chunk) in input.chunks(1 + usize::from(ctl >> 3)).enumerate() {
        c.receive(chunk);
        while c.poll_event().is_some() {}
        while c.poll_transmit().is_some() {}
        if !issued && i > 0 {
            issued = true;
            let _ = c.login(b"user", b"p\"w\r\n");
            let _ = c.select("Entw\u{fc}rfe");
            let _ = c.fetch(
                true,
                SequenceSet::range(SeqNum::Value(1), SeqNum::Largest),
                vec![FetchAttr::Flags, FetchAttr::Uid],
            );
            let _ = c.command(CommandBody::Append {
                mailbox: Mailbox::from_unicode("INBOX", false),
                messages: vec![AppendMessage {
                    flags: None,
                    date: None,
                    binary: false,
                    data: BodyData::Streamed(3),
                }],
            });
        }
        if ctl & 4 != 0 {
            let _ = c.idle(t0);
            c.handle_timeout(t0 + Duration::from_secs(29 * 60));
            let _ = c.done();
        }
        let _ = c.send_body(b"abc");
        if c.is_closed() {
            assert!(c.noop().is_err());
        }
    }
    c.tls_established();
    c.connection_closed();
    assert!(c.is_closed());
});
