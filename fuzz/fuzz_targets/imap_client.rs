#![no_main]
//! Client state machine: arbitrary server bytes, in input-driven chunks, after a few
//! commands (some with literals, IDLE, STARTTLS); it must never panic, and after BYE or a
//! fail-closed it must stay closed. And with the commands issued after the greeting, the
//! rest of the input gives the same events fed whole, in input-driven chunks and one
//! byte at a time.

use std::time::{Duration, Instant};

use correo_imap::Limits;
use correo_imap::client::{Client, ClientConfig, Event, TlsMode};
use correo_imap::types::*;
use libfuzzer_sys::fuzz_target;

/// Greeting, then commands, then `rest` in pieces of `split` bytes: the events, with body
/// chunks merged, and what was sent.
fn session(config: ClientConfig, greeting: &[u8], rest: &[u8], split: usize) -> Vec<Event> {
    let mut c = Client::new(config);
    let mut ev = Vec::new();
    let pull = |c: &mut Client, ev: &mut Vec<Event>| {
        while let Some(e) = c.poll_event() {
            if let (Event::BodyChunk(d), Some(Event::BodyChunk(prev))) = (&e, ev.last_mut()) {
                prev.extend_from_slice(d);
                continue;
            }
            ev.push(e);
        }
        while c.poll_transmit().is_some() {}
    };
    c.receive(greeting);
    pull(&mut c, &mut ev);
    let _ = c.login(b"user", b"p\"w\r\n");
    let _ = c.select("INBOX");
    let _ = c.noop();
    let _ = c.examine("Archive");
    let _ = c.fetch(
        true,
        SequenceSet::range(SeqNum::Value(1), SeqNum::Largest),
        vec![FetchAttr::Flags, FetchAttr::Uid],
    );
    pull(&mut c, &mut ev);
    for piece in rest.chunks(split.max(1)) {
        c.receive(piece);
        pull(&mut c, &mut ev);
    }
    ev
}

fuzz_target!(|data: &[u8]| {
    if let Some((&ctl, input)) = data.split_first() {
        let config = ClientConfig {
            tls: if ctl & 1 == 0 {
                TlsMode::Plain
            } else {
                TlsMode::Implicit
            },
            limits: Limits {
                max_depth: 64,
                max_items: 10_000,
                max_line_len: 4096,
                ..Limits::default()
            },
            ..ClientConfig::default()
        };
        let cut = input
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |i| i + 1);
        let (greeting, rest) = input.split_at(cut);
        let whole = session(config, greeting, rest, usize::MAX);
        let chunked = session(config, greeting, rest, 1 + usize::from(ctl >> 1));
        assert_eq!(chunked, whole, "chunked");
        if rest.len() <= 512 {
            assert_eq!(session(config, greeting, rest, 1), whole, "byte by byte");
        }
    }
    robustness(data);
});

fn robustness(data: &[u8]) {
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
}
