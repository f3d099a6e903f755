//! The client state machine against canned server bytes, whole and one byte at a time.

use std::time::{Duration, Instant};

use correo_imap::client::{Client, ClientConfig, ClientError, Event, TlsMode};
use correo_imap::types::*;
use correo_wire::sasl::SaslClient;

/// Feeds `server` in pieces of `split` bytes; returns the events, with body chunks merged.
fn feed(c: &mut Client, server: &[u8], split: usize) -> Vec<Event> {
    let mut ev = Vec::new();
    for piece in server.chunks(split.max(1)) {
        c.receive(piece);
        while let Some(e) = c.poll_event() {
            if let (Event::BodyChunk(d), Some(Event::BodyChunk(prev))) = (&e, ev.last_mut()) {
                prev.extend_from_slice(d);
                continue;
            }
            ev.push(e);
        }
    }
    ev
}

fn sent(c: &mut Client) -> Vec<u8> {
    let mut v = Vec::new();
    while let Some(b) = c.poll_transmit() {
        v.extend_from_slice(&b);
    }
    v
}

const GREETING: &[u8] = b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot (Debian) ready.\r\n";

fn completed(ev: &[Event]) -> Vec<(String, Status)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Completed { tag, status, .. } => Some((tag.clone(), *status)),
            _ => None,
        })
        .collect()
}

/// The seed's exercises 8-12, as the client sends them, with Dovecot's answers.
fn seed_session(split: usize) -> (Vec<Event>, Vec<u8>, Client) {
    let mut c = Client::new(ClientConfig::default());
    let mut ev = feed(&mut c, GREETING, split);
    assert!(matches!(&ev[0], Event::Greeting(g) if g.status == Status::Ok));
    assert!(c.has_capability("literal+"));
    let t1 = c.login(b"0429021", "MiSuperContraseña".as_bytes()).unwrap();
    let t2 = c.select("INBOX").unwrap();
    let t3 = c
        .command(CommandBody::Status {
            mailbox: Mailbox::from_unicode("INBOX", false),
            items: vec![StatusItem::Messages],
        })
        .unwrap();
    let t4 = c
        .fetch(false, SequenceSet::single(4), vec![FetchAttr::Rfc822Size])
        .unwrap();
    let t5 = c
        .fetch(
            false,
            SequenceSet::single(4),
            vec![FetchAttr::BodyStructure],
        )
        .unwrap();
    let t6 = c
        .fetch(
            false,
            SequenceSet::single(4),
            vec![
                FetchAttr::BodySection {
                    peek: false,
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::Header),
                    },
                    partial: None,
                },
                FetchAttr::BodySection {
                    peek: false,
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::Text),
                    },
                    partial: None,
                },
            ],
        )
        .unwrap();
    assert_eq!((t1.as_str(), t6.as_str()), ("a1", "a6"));
    let out = sent(&mut c);
    let header = "From: x@y\r\nSubject: prueba\r\n\r\n";
    let server = format!(
        "{t1} OK [CAPABILITY IMAP4rev1 SASL-IR IDLE UIDPLUS MOVE LITERAL+] Logged in\r\n\
         * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n\
         * 4 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n\
         * OK [UIDVALIDITY 1732389038] UIDs valid\r\n* OK [UIDNEXT 5] Predicted next UID\r\n\
         {t2} OK [READ-WRITE] Select completed (0.035 + 0.000 + 0.034 secs).\r\n\
         * STATUS INBOX (MESSAGES 4)\r\n\
         {t3} OK [CLIENTBUG] Status on selected mailbox completed (0.001 + 0.000 secs).\r\n\
         * 4 FETCH (RFC822.SIZE 504023)\r\n{t4} OK Fetch completed (0.012 + 0.000 + 0.011 secs).\r\n\
         * 4 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 2 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 94 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"0000000000006dd7b90627990dbf\") NIL NIL NIL)(\"image\" \"gif\" (\"name\" \"noot-noot.gif\") \"<f_m3uj5f1y0>\" NIL \"base64\" 498686 NIL (\"attachment\" (\"filename\" \"noot-noot.gif\")) NIL NIL) \"mixed\" (\"boundary\" \"0000000000006dd7bc0627990dc1\") NIL NIL NIL))\r\n\
         {t5} OK Fetch completed (0.029 + 0.000 + 0.028 secs).\r\n\
         * 4 FETCH (BODY[HEADER] {{{}}}\r\n{header} BODY[TEXT] {{5}}\r\nhola!)\r\n\
         {t6} OK Fetch completed (0.020 + 0.000 + 0.019 secs).\r\n",
        header.len()
    );
    ev.extend(feed(&mut c, server.as_bytes(), split));
    (ev, out, c)
}

#[test]
fn seed_session_whole_and_byte_by_byte() {
    let (ev, out, c) = seed_session(usize::MAX);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "a1 LOGIN 0429021 {18+}\r\nMiSuperContraseña \
         a2 SELECT INBOX\r\na3 STATUS INBOX (MESSAGES)\r\na4 FETCH 4 RFC822.SIZE\r\n\
         a5 FETCH 4 BODYSTRUCTURE\r\na6 FETCH 4 (BODY[HEADER] BODY[TEXT])\r\n"
            .replace("MiSuperContraseña ", "MiSuperContraseña\r\n")
    );
    let done = completed(&ev);
    assert_eq!(done.len(), 6);
    assert!(done.iter().all(|(_, s)| *s == Status::Ok));
    let sel = c.selected().unwrap();
    assert_eq!(sel.mailbox, b"INBOX");
    assert_eq!(
        (sel.exists, sel.uid_validity, sel.uid_next, sel.read_only),
        (4, Some(1_732_389_038), Some(5), false)
    );
    assert!(
        c.has_capability("MOVE"),
        "capabilities replaced from the LOGIN OK"
    );
    // The streamed literals.
    let bodies: Vec<&Event> = ev
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::BodyBegin { .. } | Event::BodyChunk(_) | Event::BodyEnd
            )
        })
        .collect();
    assert_eq!(bodies.len(), 6, "{bodies:?}");
    assert!(
        matches!(bodies[0], Event::BodyBegin { seq: 4, uid: None, item: FetchItem::BodySection { section, .. }, length: 30 } if section.text == Some(SectionText::Header))
    );
    assert_eq!(
        bodies[1],
        &Event::BodyChunk(b"From: x@y\r\nSubject: prueba\r\n\r\n".to_vec())
    );
    assert_eq!(bodies[4], &Event::BodyChunk(b"hola!".to_vec()));
    // Every piece of the session, byte by byte, gives the same events.
    let (ev1, _, _) = seed_session(1);
    assert_eq!(ev1, ev);
    let (ev7, _, _) = seed_session(7);
    assert_eq!(ev7, ev);
}

#[test]
fn synchronising_literal_waits_for_continuation_or_is_rejected() {
    let greeting = b"* OK [CAPABILITY IMAP4rev1] ready\r\n";
    for (answer, accepted) in [
        (&b"+ OK\r\n"[..], true),
        (&b"a1 NO [AUTHENTICATIONFAILED] no\r\n"[..], false),
    ] {
        let mut c = Client::new(ClientConfig::default());
        feed(&mut c, greeting, usize::MAX);
        c.login(b"user", b"pa\"ss\r\n").unwrap();
        c.noop().unwrap();
        assert_eq!(
            sent(&mut c),
            b"a1 LOGIN user {7}\r\n",
            "nothing else before the +"
        );
        let ev = feed(&mut c, answer, 1);
        if accepted {
            assert_eq!(sent(&mut c), b"pa\"ss\r\n\r\na2 NOOP\r\n");
            assert!(ev.is_empty());
        } else {
            assert_eq!(ev[0], Event::LiteralRejected { tag: "a1".into() });
            assert!(
                matches!(&ev[1], Event::Completed { tag, status: Status::No, command: "LOGIN", .. } if tag == "a1")
            );
            assert_eq!(sent(&mut c), b"a2 NOOP\r\n", "the literal is never sent");
        }
    }
}

#[test]
fn starttls_required_discards_injected_bytes() {
    let cfg = ClientConfig {
        tls: TlsMode::StartTlsRequired,
        ..ClientConfig::default()
    };
    let mut c = Client::new(cfg);
    let ev = feed(
        &mut c,
        b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n",
        1,
    );
    assert_eq!(ev.len(), 1);
    assert_eq!(sent(&mut c), b"a1 STARTTLS\r\n");
    assert_eq!(c.login(b"u", b"p"), Err(ClientError::Busy("STARTTLS")));
    let ev = feed(
        &mut c,
        b"a1 OK Begin TLS negotiation now.\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n",
        usize::MAX,
    );
    assert!(matches!(ev.last(), Some(Event::StartTls)), "{ev:?}");
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Untagged(_))),
        "injected response interpreted"
    );
    // Still clear text: more bytes are ignored until TLS is up.
    assert!(feed(&mut c, b"* OK injected too\r\n", usize::MAX).is_empty());
    c.tls_established();
    assert!(c.capabilities().is_empty());
    assert_eq!(sent(&mut c), b"a2 CAPABILITY\r\n");
    assert!(c.is_tls());
    c.login(b"u", b"p").unwrap();
}

#[test]
fn starttls_required_fails_closed() {
    let cfg = ClientConfig {
        tls: TlsMode::StartTlsRequired,
        ..ClientConfig::default()
    };
    // PREAUTH over clear text.
    let mut c = Client::new(cfg);
    let ev = feed(
        &mut c,
        b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome\r\n",
        usize::MAX,
    );
    assert!(matches!(ev.last(), Some(Event::Closed { .. })));
    assert!(c.is_closed());
    assert!(sent(&mut c).is_empty());
    // No STARTTLS capability.
    let mut c = Client::new(cfg);
    feed(&mut c, b"* OK [CAPABILITY IMAP4rev1] hi\r\n", usize::MAX);
    assert!(c.is_closed());
    // STARTTLS refused.
    let mut c = Client::new(cfg);
    feed(&mut c, b"* OK hi\r\n", usize::MAX);
    assert_eq!(sent(&mut c), b"a1 STARTTLS\r\n");
    let ev = feed(&mut c, b"a1 BAD no TLS here\r\n", usize::MAX);
    assert!(matches!(ev.last(), Some(Event::Closed { .. })));
    assert_eq!(c.login(b"u", b"p"), Err(ClientError::Closed));
}

#[test]
fn authenticate_plain_with_sasl_ir_and_without() {
    let mut c = Client::new(ClientConfig::default());
    feed(&mut c, GREETING, usize::MAX);
    c.authenticate(SaslClient::plain(None, "alice", "secret").unwrap())
        .unwrap();
    assert_eq!(
        sent(&mut c),
        b"a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"
    );
    let ev = feed(
        &mut c,
        b"a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n",
        1,
    );
    assert!(matches!(
        &ev[0],
        Event::Completed {
            status: Status::Ok,
            command: "AUTHENTICATE",
            ..
        }
    ));
    // Without SASL-IR: empty challenge, then the response.
    let mut c = Client::new(ClientConfig::default());
    feed(
        &mut c,
        b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n",
        usize::MAX,
    );
    c.authenticate(SaslClient::plain(None, "alice", "secret").unwrap())
        .unwrap();
    assert_eq!(sent(&mut c), b"a1 AUTHENTICATE PLAIN\r\n");
    feed(&mut c, b"+ \r\n", usize::MAX);
    assert_eq!(sent(&mut c), b"AGFsaWNlAHNlY3JldA==\r\n");
}

#[test]
fn idle_done_refresh_and_server_ending_idle() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default());
    feed(&mut c, GREETING, usize::MAX);
    c.login(b"a", b"b").unwrap();
    feed(&mut c, b"a1 OK ok\r\n", usize::MAX);
    sent(&mut c);
    c.idle(t0).unwrap();
    assert_eq!(sent(&mut c), b"a2 IDLE\r\n");
    assert_eq!(c.done(), Err(ClientError::NotIdling), "not before + idling");
    let ev = feed(&mut c, b"+ idling\r\n* 4 EXISTS\r\n* 1 RECENT\r\n", 1);
    assert_eq!(ev[0], Event::IdleStarted);
    assert_eq!(ev[1], Event::Untagged(Untagged::Exists(4)));
    assert_eq!(c.noop(), Err(ClientError::Busy("IDLE")));
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(28 * 60)));
    c.handle_timeout(t0 + Duration::from_secs(60));
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(t0 + Duration::from_secs(28 * 60));
    assert_eq!(c.poll_event(), Some(Event::IdleRefreshDue));
    c.done().unwrap();
    assert_eq!(sent(&mut c), b"DONE\r\n");
    let ev = feed(
        &mut c,
        b"a2 OK Idle completed (0.510 + 0.509 + 0.509 secs).\r\n",
        usize::MAX,
    );
    assert!(matches!(
        &ev[0],
        Event::Completed {
            command: "IDLE",
            status: Status::Ok,
            ..
        }
    ));
    c.noop().unwrap();
    // A server that ends IDLE on its own.
    c.idle(t0).unwrap();
    sent(&mut c);
    feed(&mut c, b"a3 OK NOOP done\r\n+ idling\r\n", usize::MAX);
    let ev = feed(&mut c, b"* BYE idle timeout\r\n", usize::MAX);
    assert!(matches!(ev.last(), Some(Event::Closed { .. })), "{ev:?}");
}

#[test]
fn idle_ended_by_server_completion() {
    let mut c = Client::new(ClientConfig::default());
    feed(&mut c, GREETING, usize::MAX);
    let t = c.idle(Instant::now()).unwrap();
    feed(&mut c, b"+ idling\r\n", usize::MAX);
    let ev = feed(
        &mut c,
        format!("{t} OK IDLE terminated\r\n").as_bytes(),
        usize::MAX,
    );
    assert!(matches!(
        &ev[0],
        Event::Completed {
            command: "IDLE",
            ..
        }
    ));
    assert_eq!(c.done(), Err(ClientError::NotIdling));
    c.noop().unwrap();
}

#[test]
fn unsolicited_responses_in_order_and_uidvalidity_change() {
    let mut c = Client::new(ClientConfig::default());
    feed(&mut c, GREETING, usize::MAX);
    c.select("INBOX").unwrap();
    c.noop().unwrap();
    let ev = feed(
        &mut c,
        b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [HIGHESTMODSEQ 10] x\r\na1 OK [READ-WRITE] done\r\n* 2 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Seen) MODSEQ (12))\r\n* VANISHED 5:6\r\n* VANISHED (EARLIER) 1:4\r\n* OK [ALERT] progress 50%\r\na2 OK NOOP\r\n",
        3,
    );
    let kinds: Vec<String> = ev
        .iter()
        .map(|e| match e {
            Event::Untagged(Untagged::Exists(n)) => format!("exists {n}"),
            Event::Untagged(Untagged::Expunge(n)) => format!("expunge {n}"),
            Event::Untagged(Untagged::Fetch { seq, .. }) => format!("fetch {seq}"),
            Event::Untagged(Untagged::Vanished { earlier, .. }) => format!("vanished {earlier}"),
            Event::Untagged(Untagged::State { .. }) => "ok".into(),
            Event::Completed { tag, .. } => format!("done {tag}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "exists 3",
            "ok",
            "ok",
            "done a1",
            "expunge 2",
            "fetch 1",
            "vanished false",
            "vanished true",
            "ok",
            "done a2"
        ]
    );
    let s = c.selected().unwrap();
    assert_eq!(
        (s.exists, s.uid_validity, s.highest_modseq),
        (0, Some(7), Some(12))
    );
    // Re-select: a different UIDVALIDITY is reported.
    c.select("INBOX").unwrap();
    let ev = feed(
        &mut c,
        b"* OK [CLOSED] x\r\n* 1 EXISTS\r\n* OK [UIDVALIDITY 9] x\r\na3 OK done\r\n",
        usize::MAX,
    );
    assert!(ev.contains(&Event::UidValidityChanged {
        mailbox: b"INBOX".to_vec(),
        old: 7,
        new: 9
    }));
    assert_eq!(c.selected().unwrap().exists, 1);
}

#[test]
fn bad_response_fails_its_command_and_the_machine_goes_on() {
    let mut c = Client::new(ClientConfig::default());
    feed(&mut c, GREETING, usize::MAX);
    c.noop().unwrap();
    c.capability().unwrap();
    let ev = feed(
        &mut c,
        b"* 1 FETCH (FLAGS (\\Seen)\r\na1 FOO bar\r\n* CAPABILITY IMAP4rev1\r\na2 OK ok\r\n",
        1,
    );
    assert!(matches!(&ev[0], Event::ProtocolError(_)));
    assert!(matches!(&ev[1], Event::ProtocolError(_)));
    assert!(matches!(&ev[2], Event::Completed { tag, status: Status::Bad, .. } if tag == "a1"));
    assert!(matches!(&ev[4], Event::Completed { tag, status: Status::Ok, .. } if tag == "a2"));
}

#[test]
fn append_streams_the_body() {
    let mut c = Client::new(ClientConfig::default());
    feed(&mut c, b"* OK [CAPABILITY IMAP4rev1] hi\r\n", usize::MAX);
    let tag = c
        .command(CommandBody::Append {
            mailbox: Mailbox::from_unicode("Sent", false),
            messages: vec![AppendMessage {
                flags: Some(vec![Flag::Seen]),
                date: None,
                binary: false,
                data: BodyData::Streamed(12),
            }],
        })
        .unwrap();
    assert_eq!(sent(&mut c), b"a1 APPEND Sent (\\Seen) {12}\r\n");
    assert!(c.poll_event().is_none());
    let ev = feed(&mut c, b"+ Ready\r\n", usize::MAX);
    assert_eq!(
        ev,
        [Event::AppendReady {
            tag: tag.clone(),
            length: 12
        }]
    );
    c.send_body(b"Subje").unwrap();
    assert_eq!(
        c.send_body(b"ct: x\r\n\r\n"),
        Err(ClientError::NoBodyExpected)
    );
    c.noop().unwrap();
    assert_eq!(
        sent(&mut c),
        b"Subje",
        "nothing else while the body is incomplete"
    );
    c.send_body(b"ct: x\r\n").unwrap();
    assert_eq!(sent(&mut c), b"ct: x\r\n\r\na2 NOOP\r\n");
    let ev = feed(
        &mut c,
        b"a1 OK [APPENDUID 38505 3955] APPEND completed\r\na2 OK done\r\n",
        usize::MAX,
    );
    assert!(
        matches!(&ev[0], Event::Completed { text, .. } if text.code == Some(Code::AppendUid { validity: 38505, uids: SequenceSet::single(3955) }))
    );
}

#[test]
fn compress_hands_back_the_compressed_tail() {
    let mut c = Client::new(ClientConfig::default());
    feed(
        &mut c,
        b"* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n",
        usize::MAX,
    );
    c.command(CommandBody::Compress("DEFLATE".into())).unwrap();
    assert_eq!(sent(&mut c), b"a1 COMPRESS DEFLATE\r\n");
    let ev = feed(
        &mut c,
        b"a1 OK DEFLATE active\r\n\x78\x9c\x01\x02",
        usize::MAX,
    );
    assert!(matches!(
        &ev[0],
        Event::Completed {
            command: "COMPRESS",
            ..
        }
    ));
    assert_eq!(
        ev[1],
        Event::CompressionActive {
            remaining: b"\x78\x9c\x01\x02".to_vec()
        }
    );
    // The caller now feeds inflated bytes.
    let ev = feed(&mut c, b"* 2 EXISTS\r\n", usize::MAX);
    assert_eq!(ev, [Event::Untagged(Untagged::Exists(2))]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn seed_session_at_random_splits(split in 1usize..64) {
        let (whole, _, _) = seed_session(usize::MAX);
        let (ev, _, _) = seed_session(split);
        proptest::prop_assert_eq!(ev, whole);
    }
}
