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

/// STARTTLS asked for by the application (plain mode): the capability cache goes at the
/// OK, and nothing received in clear text after it is interpreted, whether it came in the
/// same read, in a later read before the upgrade, or cut in the middle of a line.
#[test]
fn starttls_drops_capabilities_and_every_clear_text_byte() {
    for split in [usize::MAX, 1, 5] {
        let mut c = Client::new(ClientConfig::default());
        feed(
            &mut c,
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS SASL-IR AUTH=PLAIN] hi\r\n",
            split,
        );
        assert!(c.has_capability("SASL-IR"));
        c.starttls().unwrap();
        assert_eq!(sent(&mut c), b"a1 STARTTLS\r\n");
        let ev = feed(
            &mut c,
            b"a1 OK Begin TLS\r\n* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN XINJECTED\r\n* CAPAB",
            split,
        );
        assert!(
            matches!(
                &ev[..],
                [
                    Event::Completed {
                        command: "STARTTLS",
                        status: Status::Ok,
                        ..
                    },
                    Event::StartTls
                ]
            ),
            "{ev:?}"
        );
        assert!(c.capabilities().is_empty(), "cache dropped at the OK");
        assert!(feed(&mut c, b"ILITY XINJECTED2\r\n* 1 EXISTS\r\n", split).is_empty());
        assert!(!c.is_tls());
        c.tls_established();
        assert!(c.is_tls());
        assert_eq!(sent(&mut c), b"a2 CAPABILITY\r\n");
        let ev = feed(
            &mut c,
            b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na2 OK done\r\n",
            split,
        );
        assert_eq!(completed(&ev), [("a2".to_owned(), Status::Ok)]);
        let caps: Vec<&str> = c.capabilities().iter().map(|c| c.0.as_ref()).collect();
        assert_eq!(caps, ["IMAP4rev1", "AUTH=PLAIN"]);
        // SASL-IR was only claimed in clear text: no initial response now.
        c.authenticate(SaslClient::plain(None, "alice", "secret").unwrap())
            .unwrap();
        assert_eq!(sent(&mut c), b"a3 AUTHENTICATE PLAIN\r\n");
        assert_eq!(c.starttls(), Err(ClientError::Busy("TLS already active")));
    }
}

/// PREAUTH over clear text is refused when TLS is required, but accepted over implicit
/// TLS and in plain mode.
#[test]
fn preauth_refused_only_over_clear_text_when_tls_is_required() {
    let preauth = b"* PREAUTH [CAPABILITY IMAP4rev2] logged in as alice\r\n";
    for split in [usize::MAX, 1] {
        let mut c = Client::new(ClientConfig {
            tls: TlsMode::StartTlsRequired,
            ..ClientConfig::default()
        });
        let ev = feed(&mut c, preauth, split);
        assert!(
            matches!(&ev[..], [Event::Greeting(_), Event::Closed { .. }]),
            "{ev:?}"
        );
        assert_eq!(c.noop(), Err(ClientError::Closed));
        assert!(sent(&mut c).is_empty(), "not even STARTTLS");
        for tls in [TlsMode::Implicit, TlsMode::Plain] {
            let mut c = Client::new(ClientConfig {
                tls,
                ..ClientConfig::default()
            });
            feed(&mut c, preauth, split);
            assert!(!c.is_closed());
            c.select("INBOX").unwrap();
            assert_eq!(sent(&mut c), b"a1 SELECT INBOX\r\n");
        }
    }
}

/// A UIDVALIDITY that changes while the mailbox is selected is reported at once.
#[test]
fn uidvalidity_change_while_selected() {
    for split in [usize::MAX, 1] {
        let mut c = Client::new(ClientConfig::default());
        feed(&mut c, GREETING, split);
        c.select("INBOX").unwrap();
        feed(
            &mut c,
            b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\na1 OK [READ-WRITE] done\r\n",
            split,
        );
        c.noop().unwrap();
        let ev = feed(
            &mut c,
            b"* OK [UIDVALIDITY 8] mailbox recreated\r\n* 0 EXISTS\r\na2 OK done\r\n",
            split,
        );
        assert_eq!(
            ev[0],
            Event::UidValidityChanged {
                mailbox: b"INBOX".to_vec(),
                old: 7,
                new: 8
            }
        );
        assert!(matches!(&ev[1], Event::Untagged(Untagged::State { .. })));
        let s = c.selected().unwrap();
        assert_eq!((s.uid_validity, s.exists), (Some(8), 0));
        // Selecting again with the new value is no change.
        c.select("INBOX").unwrap();
        let ev = feed(
            &mut c,
            b"* 0 EXISTS\r\n* OK [UIDVALIDITY 8] x\r\na3 OK done\r\n",
            split,
        );
        assert!(
            !ev.iter()
                .any(|e| matches!(e, Event::UidValidityChanged { .. }))
        );
    }
}

/// Pipelined NOOP then SELECT: what the server says before the NOOP completes is about
/// the old mailbox, what follows about the new one (or everything after `[CLOSED]`).
#[test]
fn pipelined_select_keeps_the_two_mailboxes_apart() {
    for split in [usize::MAX, 1, 4] {
        let mut c = Client::new(ClientConfig::default());
        feed(&mut c, GREETING, split);
        c.select("INBOX").unwrap();
        feed(
            &mut c,
            b"* 5 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\na1 OK done\r\n",
            split,
        );
        c.noop().unwrap();
        c.examine("Archive").unwrap();
        feed(
            &mut c,
            b"* 7 EXISTS\r\n* 3 RECENT\r\na2 OK NOOP done\r\n",
            split,
        );
        let s = c.selected().unwrap();
        assert_eq!(
            (s.mailbox.as_slice(), s.exists, s.recent),
            (&b"INBOX"[..], 7, 3)
        );
        feed(
            &mut c,
            b"* 2 EXISTS\r\n* OK [UIDVALIDITY 100] x\r\na3 OK [READ-ONLY] done\r\n",
            split,
        );
        let s = c.selected().unwrap();
        assert_eq!(
            (
                s.mailbox.as_slice(),
                s.exists,
                s.recent,
                s.uid_validity,
                s.read_only
            ),
            (&b"Archive"[..], 2, 0, Some(100), true)
        );
        // [CLOSED] marks the switch even with an earlier command still open.
        c.noop().unwrap();
        c.select("INBOX").unwrap();
        feed(
            &mut c,
            b"* 2 EXPUNGE\r\n* OK [CLOSED] x\r\n* 9 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n",
            split,
        );
        assert!(c.selected().is_none(), "Archive is closed");
        feed(&mut c, b"a4 OK done\r\na5 OK done\r\n", split);
        let s = c.selected().unwrap();
        assert_eq!((s.mailbox.as_slice(), s.exists), (&b"INBOX"[..], 9));
    }
}

/// QRESYNC: SELECT with known UIDs, then VANISHED (EARLIER), FETCH, EXPUNGE and
/// VANISHED applied to the mailbox in the order they arrive.
#[test]
fn qresync_and_vanished_applied_in_order() {
    let server: &[u8] = b"* OK [CLOSED]\r\n* 100 EXISTS\r\n* OK [UIDVALIDITY 67890007] Ok\r\n\
        * OK [UIDNEXT 600] Ok\r\n* OK [HIGHESTMODSEQ 90060115205545359] Highest\r\n\
        * VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n\
        * 49 FETCH (UID 117 FLAGS (\\Seen \\Answered) MODSEQ (90060115205545360))\r\n\
        A2 OK [READ-WRITE] mailbox selected\r\n";
    let server = String::from_utf8(server.to_vec())
        .unwrap()
        .replace("A2", "a2");
    for split in [usize::MAX, 1, 7] {
        let mut c = Client::new(ClientConfig::default());
        feed(&mut c, b"* OK [CAPABILITY IMAP4rev2 QRESYNC] hi\r\n", split);
        c.enable(&["QRESYNC"]).unwrap();
        c.command(CommandBody::Select {
            examine: false,
            mailbox: Mailbox::from_unicode("INBOX", false),
            condstore: false,
            qresync: Some(b"67890007 90060115194045000 41:211,214:541"[..].into()),
        })
        .unwrap();
        assert_eq!(
            sent(&mut c),
            b"a1 ENABLE QRESYNC\r\na2 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r\n"
        );
        let mut ev = feed(&mut c, b"* ENABLED QRESYNC\r\na1 OK done\r\n", split);
        ev.extend(feed(&mut c, server.as_bytes(), split));
        assert!(c.enabled().iter().any(|e| e.is("QRESYNC")));
        let order: Vec<String> = ev
            .iter()
            .filter_map(|e| match e {
                Event::Untagged(Untagged::Vanished { earlier, .. }) => {
                    Some(format!("vanished {earlier}"))
                }
                Event::Untagged(Untagged::Exists(n)) => Some(format!("exists {n}")),
                Event::Untagged(Untagged::Fetch { seq, .. }) => Some(format!("fetch {seq}")),
                Event::Completed { tag, .. } => Some(format!("done {tag}")),
                _ => None,
            })
            .collect();
        assert_eq!(
            order,
            [
                "done a1",
                "exists 100",
                "vanished true",
                "fetch 49",
                "done a2"
            ]
        );
        let s = c.selected().unwrap();
        // VANISHED (EARLIER) is about messages already gone: the count stays.
        assert_eq!(
            (s.exists, s.uid_validity, s.uid_next, s.highest_modseq),
            (
                100,
                Some(67_890_007),
                Some(600),
                Some(90_060_115_205_545_360)
            )
        );
        c.noop().unwrap();
        feed(
            &mut c,
            b"* VANISHED 405,407,410\r\n* 3 EXPUNGE\r\n* 101 EXISTS\r\n* VANISHED 411:412\r\na3 OK done\r\n",
            split,
        );
        // 100 - 3 - 1, then 101 reported, then - 2.
        assert_eq!(c.selected().unwrap().exists, 99);
    }
}

/// The re-IDLE hint comes at the configured time, never later than 29 minutes; a server
/// that ends IDLE itself stops the timer.
#[test]
fn idle_hint_capped_at_29_minutes_and_server_end_stops_it() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig {
        idle_refresh: Duration::from_secs(45 * 60),
        ..ClientConfig::default()
    });
    feed(&mut c, GREETING, usize::MAX);
    let tag = c.idle(t0).unwrap();
    assert_eq!(c.poll_timeout(), None, "not before the server accepts");
    feed(&mut c, b"+ idling\r\n", 1);
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(29 * 60)));
    c.handle_timeout(t0 + Duration::from_secs(29 * 60 - 1));
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(t0 + Duration::from_secs(29 * 60));
    assert_eq!(c.poll_event(), Some(Event::IdleRefreshDue));
    assert_eq!(c.poll_timeout(), None, "hinted once");
    // The server ends IDLE before the client does.
    let ev = feed(
        &mut c,
        format!("* 3 EXISTS\r\n{tag} OK IDLE timed out\r\n").as_bytes(),
        1,
    );
    assert_eq!(ev[0], Event::Untagged(Untagged::Exists(3)));
    assert!(matches!(
        &ev[1],
        Event::Completed {
            command: "IDLE",
            ..
        }
    ));
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.done(), Err(ClientError::NotIdling));
    // A new IDLE restarts the timer.
    let t1 = t0 + Duration::from_secs(3600);
    c.idle(t1).unwrap();
    feed(&mut c, b"+ idling\r\n", usize::MAX);
    assert_eq!(c.poll_timeout(), Some(t1 + Duration::from_secs(29 * 60)));
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
