//! Security vectors on both machines: SMTP smuggling, dot-stuffing, STARTTLS injection,
//! CR/LF/NUL in arguments, over-long lines and replies, overflowing numbers, limits.
//! Input is fed whole, one byte at a time, and split at every offset.

use correo_smtp::client::{ClientError, TimeoutKind};
use correo_smtp::server::{AuthRequest, BodyRejection, ServerError};
use correo_smtp::*;
use correo_wire::dot::{BareLf, DotDecoder};
use correo_wire::sasl::Mechanism;

/// Runs a server over `input` cut by `cuts`, accepting every decision.
fn run_server(config: &ServerConfig, pieces: &[&[u8]]) -> (Vec<u8>, Vec<ServerEvent>) {
    let mut s = Server::new(config.clone());
    let mut out = Vec::new();
    let mut events = Vec::new();
    for p in pieces {
        s.receive(p);
        loop {
            while let Some(b) = s.poll_transmit() {
                out.extend_from_slice(&b);
            }
            let Some(ev) = s.poll_event() else { break };
            match &ev {
                ServerEvent::MailFrom { .. }
                | ServerEvent::RcptTo { .. }
                | ServerEvent::DataEnd { .. }
                | ServerEvent::Auth(AuthRequest::Password(_)) => {
                    while s.is_waiting() {
                        s.accept();
                    }
                }
                ServerEvent::StartTls => s.tls_established(),
                _ => {}
            }
            events.push(ev);
        }
    }
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    (out, events)
}

/// Every way of cutting `input` this test suite uses.
fn ways(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut v = vec![vec![input], input.chunks(1).collect()];
    for i in 1..input.len() {
        v.push(vec![&input[..i], &input[i..]]);
    }
    v
}

fn codes(out: &[u8]) -> Vec<u16> {
    let mut pos = 0;
    let mut v = Vec::new();
    while let Ok(Some((r, n))) = Reply::parse(&out[pos..], &reply::ReplyLimits::default()) {
        v.push(r.code.get());
        pos += n;
    }
    v
}

fn count(events: &[ServerEvent], f: impl Fn(&ServerEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn body_of(events: &[ServerEvent]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Data(d) => Some(d.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

const SMUGGLING: [&[u8]; 5] = [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r.\r"];

#[test]
fn server_never_yields_two_messages_from_smuggling() {
    for policy in [BareLf::Reject, BareLf::Normalize] {
        let config = ServerConfig {
            bare_lf: policy,
            ..ServerConfig::default()
        };
        for sep in SMUGGLING {
            let mut input = b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\nSubject: a\r\n\r\nhello"
                .to_vec();
            input.extend_from_slice(sep);
            input.extend_from_slice(
                b"MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@b.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n",
            );
            for (i, way) in ways(&input).iter().enumerate() {
                let (out, events) = run_server(&config, way);
                let ctx = format!("{policy:?} {sep:?} way #{i}");
                assert!(
                    count(&events, |e| matches!(e, ServerEvent::DataEnd { .. })) <= 1,
                    "{ctx}"
                );
                assert_eq!(
                    count(&events, |e| matches!(e, ServerEvent::MailFrom { .. })),
                    1,
                    "{ctx}"
                );
                assert_eq!(
                    count(&events, |e| matches!(e, ServerEvent::RcptTo { .. })),
                    1,
                    "{ctx}"
                );
                // The session is still in sync: QUIT was read as a command.
                assert_eq!(codes(&out).last(), Some(&221), "{ctx}");
                let bare_lf = sep
                    .iter()
                    .enumerate()
                    .any(|(i, &b)| b == b'\n' && (i == 0 || sep[i - 1] != b'\r'));
                if policy == BareLf::Reject && bare_lf {
                    assert!(
                        events.contains(&ServerEvent::DataRejected(BodyRejection::BareLf)),
                        "{ctx}"
                    );
                    assert!(codes(&out).contains(&550), "{ctx}");
                } else {
                    // One message, with the smuggled text inside it.
                    let body = body_of(&events);
                    assert!(body.windows(4).any(|w| w == b"evil"), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn server_discards_bytes_pipelined_after_starttls() {
    let config = ServerConfig {
        starttls: true,
        ..ServerConfig::default()
    };
    let input: &[u8] =
        b"EHLO a.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<v@y.example>\r\n";
    for (i, way) in ways(input).iter().enumerate() {
        let mut s = Server::new(config.clone());
        let mut events = Vec::new();
        for p in way {
            s.receive(p);
            while let Some(e) = s.poll_event() {
                events.push(e);
            }
        }
        let out = s.poll_transmit().unwrap();
        assert_eq!(codes(&out), vec![220, 250, 220], "way #{i}");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ServerEvent::MailFrom { .. })),
            "way #{i}"
        );
        let dropped: usize = events
            .iter()
            .map(|e| match e {
                ServerEvent::Error(ServerError::DiscardedBeforeTls(n)) => *n,
                _ => 0,
            })
            .sum();
        assert_eq!(dropped, input.len() - 26, "way #{i}");
        // After the upgrade the session starts over: EHLO again, STARTTLS not offered.
        s.tls_established();
        s.receive(b"MAIL FROM:<a@a.example>\r\n");
        assert_eq!(codes(&s.poll_transmit().unwrap()), vec![503]);
        s.receive(b"EHLO a.example\r\n");
        let ehlo = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
        assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
        assert_eq!(s.protocol(), Protocol::Esmtps);
    }
}

#[test]
fn server_rejects_bad_arguments_and_stays_in_sync() {
    let config = ServerConfig::default();
    let cases: [(&[u8], u16); 9] = [
        (b"MAIL FROM:<a\0b@x.example>\r\n", 500),
        (b"VRFY a\rb\r\n", 500),
        (b"NOOP \xff\xfe\r\n", 500),
        (
            b"MAIL FROM:<a@b.example> SIZE=99999999999999999999\r\n",
            501,
        ),
        (b"BDAT 99999999999999999999\r\n", 501),
        (b"MAIL FROM:<a@b.example> BODY=9BIT\r\n", 501),
        (b"RCPT TO:<>\r\n", 501),
        (b"HELO\r\n", 501),
        (b"EHLO a\nNOOP\r\n", 500),
    ];
    for (bad, code) in cases {
        let mut input = bad.to_vec();
        input.extend_from_slice(b"NOOP\r\n");
        for (i, way) in ways(&input).iter().enumerate() {
            let (out, _) = run_server(&config, way);
            let c = codes(&out);
            assert_eq!(
                c.get(1),
                Some(&code),
                "{:?} way #{i}: {c:?}",
                String::from_utf8_lossy(bad)
            );
            assert_eq!(
                c.last(),
                Some(&250),
                "{:?} way #{i}",
                String::from_utf8_lossy(bad)
            );
        }
    }
    // An over-long command line is refused without being buffered; the session goes on.
    let mut input = b"NOOP ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100_000));
    input.extend_from_slice(b"\r\nNOOP\r\n");
    for way in [vec![&input[..]], input.chunks(7).collect()] {
        let (out, _) = run_server(&config, &way);
        assert_eq!(codes(&out), vec![220, 500, 250]);
    }
}

#[test]
fn server_sequencing_is_enforced() {
    let config = ServerConfig::default();
    let input: &[u8] = b"MAIL FROM:<a@a.example>\r\nEHLO a.example\r\nRCPT TO:<b@b.example>\r\nDATA\r\nBDAT 3\r\nxyzMAIL FROM:<a@a.example>\r\nMAIL FROM:<a@a.example>\r\nDATA\r\nRSET\r\nQUIT\r\n";
    for way in ways(input) {
        let (out, events) = run_server(&config, &way);
        assert_eq!(
            codes(&out),
            vec![220, 503, 250, 503, 503, 503, 250, 503, 503, 250, 221]
        );
        // The BDAT chunk of a refused BDAT was consumed, not read as a command.
        assert_eq!(
            count(&events, |e| matches!(e, ServerEvent::MailFrom { .. })),
            1
        );
    }
}

#[test]
fn server_size_limit_answers_552_after_the_rest() {
    let config = ServerConfig {
        max_message_size: Some(100),
        ..ServerConfig::default()
    };
    let mut input = b"EHLO a.example\r\nMAIL FROM:<a@a.example> SIZE=101\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n".to_vec();
    for _ in 0..20 {
        input.extend_from_slice(b"0123456789\r\n");
    }
    input.extend_from_slice(
        b".\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nBDAT 200 LAST\r\n",
    );
    input.extend(std::iter::repeat_n(b'z', 200));
    input.extend_from_slice(b"NOOP\r\n");
    for way in [
        vec![&input[..]],
        input.chunks(1).collect(),
        input.chunks(33).collect(),
    ] {
        let (out, events) = run_server(&config, &way);
        assert_eq!(
            codes(&out),
            vec![220, 250, 552, 250, 250, 354, 552, 250, 250, 552, 250]
        );
        assert_eq!(
            count(&events, |e| *e
                == ServerEvent::DataRejected(BodyRejection::TooLarge)),
            2
        );
        assert_eq!(
            count(&events, |e| matches!(e, ServerEvent::DataEnd { .. })),
            0
        );
        assert!(body_of(&events).len() <= 100);
    }
}

#[test]
fn server_error_limit_ends_in_421() {
    let config = ServerConfig::default();
    let mut input = Vec::new();
    for _ in 0..25 {
        input.extend_from_slice(b"BOGUS\r\n");
    }
    let (out, events) = run_server(&config, &[&input]);
    let c = codes(&out);
    assert_eq!(c.len(), 1 + 20 + 1);
    assert_eq!(c.last(), Some(&421));
    assert!(events.contains(&ServerEvent::Closed));
    assert!(events.contains(&ServerEvent::Error(ServerError::TooManyErrors)));
    assert!(events.contains(&ServerEvent::Error(ServerError::DiscardedAfterClose(5 * 7))));
}

#[test]
fn server_lmtp_answers_per_recipient_and_writes_received() {
    let config = ServerConfig {
        lmtp: true,
        hostname: "mx.example.test".into(),
        ..ServerConfig::default()
    };
    let input: &[u8] = b"LHLO c.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nRCPT TO:<c@b.example>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n";
    let (out, events) = run_server(&config, &[input]);
    assert_eq!(
        codes(&out),
        vec![220, 250, 250, 250, 250, 354, 250, 250, 221]
    );
    assert!(events.contains(&ServerEvent::DataEnd { answers: 2 }));
    let mut s = Server::new(config.clone());
    s.receive(b"HELO c.example\r\n");
    assert_eq!(codes(&s.poll_transmit().unwrap()), vec![220, 500]);
    s.receive(b"LHLO c.example\r\nMAIL FROM:<a@a.example>\r\n");
    s.accept();
    s.receive(b"RCPT TO:<b@b.example>\r\n");
    s.accept();
    let h = s.received_header(
        Some("192.0.2.1"),
        Some("ID1"),
        "Thu, 26 Nov 2026 10:00:00 +0000",
    );
    assert_eq!(
        h,
        "Received: from c.example ([192.0.2.1])\r\n\tby mx.example.test with LMTP id ID1\r\n\tfor <b@b.example>; Thu, 26 Nov 2026 10:00:00 +0000\r\n"
    );
}

#[test]
fn server_auth_plain_only_with_tls() {
    let config = ServerConfig {
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
        starttls: true,
        require_auth: true,
        ..ServerConfig::default()
    };
    let mut s = Server::new(config.clone());
    s.receive(b"EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@a.example>\r\n");
    let out = String::from_utf8(s.poll_transmit().unwrap()).unwrap();
    assert!(!out.contains("AUTH PLAIN"), "{out}");
    assert_eq!(codes(out.as_bytes()), vec![220, 250, 538, 530]);
    // Inside TLS: offered, checked by the application.
    let (out, events) = run_server(
        &config,
        &[
            b"EHLO c.example\r\nSTARTTLS\r\n",
            b"EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@a.example>\r\n",
        ],
    );
    assert_eq!(codes(&out), vec![220, 250, 220, 250, 235, 250]);
    assert!(events.contains(&ServerEvent::Authenticated {
        username: "alice".into(),
        authzid: None
    }));
}

// ---------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------

fn ready_client(caps: &str, config: ClientConfig) -> Client {
    let mut c = Client::new(config);
    c.receive(b"220 mx.example.test ESMTP\r\n");
    c.receive(caps.as_bytes());
    let _ = c.poll_transmit();
    while let Some(e) = c.poll_event() {
        if matches!(e, ClientEvent::Error(_)) {
            panic!("{e:?}");
        }
    }
    assert!(c.is_ready());
    c
}

fn plain_config() -> ClientConfig {
    ClientConfig {
        tls: TlsMode::None,
        ..ClientConfig::default()
    }
}

fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(Mailbox::new("a", "a.example")),
        vec![ForwardPath::Mailbox(Mailbox::new("b", "b.example"))],
    )
}

#[test]
fn client_dot_stuffs_hostile_bodies() {
    let bodies: [&[u8]; 6] = [
        b".starts with a dot\r\n",
        b"a\r\n.\r\nMAIL FROM:<evil@x>\r\n",
        b"a\n.\nb",
        b"a\r.\rb\r\n.",
        b"..\r\n.\r\n.",
        b"",
    ];
    for body in bodies {
        for split in 0..=body.len() {
            let mut c = ready_client("250 mx.example.test\r\n", plain_config());
            c.send_mail(envelope()).unwrap();
            c.receive(b"250 ok\r\n250 ok\r\n354 go\r\n");
            let _ = c.poll_transmit();
            assert!(std::iter::from_fn(|| c.poll_event()).any(|e| e == ClientEvent::SendBody));
            c.send_body(&body[..split], false).unwrap();
            c.send_body(&body[split..], true).unwrap();
            let wire = c.poll_transmit().unwrap();
            // Decoding the wire gives back exactly one message, ending at the very end.
            let mut d = DotDecoder::default();
            let mut back = Vec::new();
            let p = d.decode_into(&wire, &mut back);
            assert!(p.complete, "{body:?}");
            assert_eq!(p.consumed, wire.len(), "{body:?} split {split}");
            assert_eq!(
                back,
                correo_wire::dot::normalize_line_endings(body),
                "{body:?}"
            );
        }
    }
}

#[test]
fn client_lone_dot_when_no_recipient_accepted() {
    let mut c = ready_client("250-mx.example.test\r\n250 PIPELINING\r\n", plain_config());
    c.send_mail(envelope()).unwrap();
    assert_eq!(
        c.poll_transmit().unwrap(),
        b"MAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n"
    );
    c.receive(b"250 ok\r\n550 no such user\r\n354 go ahead\r\n");
    assert_eq!(c.poll_transmit().unwrap(), b".\r\n");
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(!events.contains(&ClientEvent::SendBody));
    assert!(events.contains(&ClientEvent::TransactionDone {
        delivered: false,
        accepted: vec![]
    }));
    c.receive(b"554 no valid recipients\r\n");
    assert!(c.is_ready());
}

#[test]
fn client_drops_replies_injected_before_tls() {
    let config = ClientConfig {
        tls: TlsMode::Required,
        ..ClientConfig::default()
    };
    let mut c = Client::new(config);
    c.receive(b"220 mx ESMTP\r\n");
    c.receive(b"250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n");
    assert_eq!(
        c.poll_transmit().unwrap(),
        b"EHLO localhost\r\nSTARTTLS\r\n"
    );
    // A man in the middle appends a fake EHLO reply to the 220.
    c.receive(b"220 go ahead\r\n250-mx\r\n250 AUTH PLAIN\r\n");
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.contains(&ClientEvent::StartTls));
    assert!(events.contains(&ClientEvent::Error(ClientError::DataBeforeTls(24))));
    assert!(c.capabilities().is_none());
    c.receive(b"more plaintext\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Error(ClientError::DataBeforeTls(16)))
    ));
    c.tls_established();
    assert_eq!(c.poll_transmit().unwrap(), b"EHLO localhost\r\n");
    c.receive(b"250-mx\r\n250 SIZE 10\r\n");
    assert!(matches!(c.poll_event(), Some(ClientEvent::Ready(_))));
    assert!(c.is_tls());
}

#[test]
fn client_fails_closed_without_starttls() {
    let config = ClientConfig {
        tls: TlsMode::Required,
        ..ClientConfig::default()
    };
    let mut c = Client::new(config);
    c.receive(b"220 mx ESMTP\r\n250-mx\r\n250 PIPELINING\r\n");
    assert_eq!(c.poll_transmit().unwrap(), b"EHLO localhost\r\nQUIT\r\n");
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Error(ClientError::TlsUnavailable(_))))
    );
    assert!(!events.iter().any(|e| matches!(e, ClientEvent::Ready(_))));
    assert!(c.send_mail(envelope()).is_err());
    // Refused STARTTLS fails closed too.
    let mut c = Client::new(ClientConfig {
        tls: TlsMode::Required,
        ..ClientConfig::default()
    });
    c.receive(b"220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n454 TLS not available\r\n");
    assert_eq!(
        c.poll_transmit().unwrap(),
        b"EHLO localhost\r\nSTARTTLS\r\nQUIT\r\n"
    );
}

#[test]
fn client_checks_envelope_against_capabilities() {
    let mut c = ready_client("250-mx\r\n250 SIZE 1000\r\n", plain_config());
    let mut e = envelope();
    e.size = Some(1001);
    assert_eq!(
        c.send_mail(e),
        Err(ClientError::TooLarge {
            size: 1001,
            limit: 1000
        })
    );
    let mut e = envelope();
    e.body = BodyType::EightBitMime;
    assert_eq!(c.send_mail(e), Err(ClientError::Unsupported("8BITMIME")));
    let mut e = envelope();
    e.from = ReversePath::Mailbox(Mailbox::new("josé", "a.example"));
    assert_eq!(c.send_mail(e), Err(ClientError::Unsupported("SMTPUTF8")));
    let mut e = envelope();
    e.recipients[0].path = ForwardPath::Mailbox(Mailbox::new("b\r\nRCPT TO:<evil@x>", "b.example"));
    assert!(matches!(c.send_mail(e), Err(ClientError::Command(_))));
    assert_eq!(c.poll_transmit(), None);
    let mut e = envelope();
    e.size = Some(999);
    c.send_mail(e).unwrap();
    assert_eq!(
        c.poll_transmit().unwrap(),
        b"MAIL FROM:<a@a.example> SIZE=999\r\n"
    );
}

#[test]
fn client_caps_replies_and_handles_421() {
    // An over-long reply line closes the session.
    let mut c = Client::new(plain_config());
    let mut long = b"220 ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 10_000));
    long.extend_from_slice(b"\r\n");
    for piece in long.chunks(100) {
        c.receive(piece);
    }
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Error(ClientError::Reply(_))))
    );
    assert!(c.is_closed());
    // Mixed codes in one reply.
    let mut c = Client::new(plain_config());
    c.receive(b"220-mx\r\n554 no\r\n");
    assert!(c.is_closed());
    // Too many lines.
    let mut c = Client::new(plain_config());
    for _ in 0..300 {
        c.receive(b"220-mx\r\n");
    }
    assert!(c.is_closed());
    // 421 in the middle of a transaction.
    let mut c = ready_client("250 mx\r\n", plain_config());
    c.send_mail(envelope()).unwrap();
    c.receive(b"421 4.3.2 shutting down\r\n");
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::Error(ClientError::ServiceClosing(_))))
    );
    assert_eq!(events.last(), Some(&ClientEvent::Closed));
    // 554 greeting: QUIT, never EHLO.
    let mut c = Client::new(plain_config());
    c.receive(b"554 go away\r\n");
    assert_eq!(c.poll_transmit().unwrap(), b"QUIT\r\n");
}

#[test]
fn client_timeouts_follow_rfc5321() {
    let mut c = Client::new(plain_config());
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::Greeting));
    c.receive(b"220 mx\r\n");
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::Command));
    c.receive(b"250 mx\r\n");
    assert_eq!(c.poll_timeout(), None);
    c.send_mail(envelope()).unwrap();
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::Mail));
    c.receive(b"250 ok\r\n");
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::Rcpt));
    c.receive(b"250 ok\r\n");
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::DataInitiation));
    assert_eq!(TimeoutKind::DataInitiation.duration().as_secs(), 120);
    c.receive(b"354 go\r\n");
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::DataBlock));
    c.send_body(b"x", true).unwrap();
    assert_eq!(c.poll_timeout(), Some(TimeoutKind::DataTermination));
    assert_eq!(TimeoutKind::DataTermination.duration().as_secs(), 600);
    c.handle_timeout();
    assert!(c.is_closed());
}

#[test]
fn client_helo_fallback() {
    let mut c = Client::new(plain_config());
    c.receive(b"220 old.example\r\n502 5.5.1 command not implemented\r\n250 old.example\r\n");
    assert_eq!(
        c.poll_transmit().unwrap(),
        b"EHLO localhost\r\nHELO localhost\r\n"
    );
    assert!(std::iter::from_fn(|| c.poll_event()).any(|e| matches!(e, ClientEvent::Ready(_))));
    // No ESMTP parameters over HELO: SIZE is not sent.
    let mut e = envelope();
    e.size = Some(10);
    c.send_mail(e).unwrap();
    assert_eq!(c.poll_transmit().unwrap(), b"MAIL FROM:<a@a.example>\r\n");
}

#[test]
fn server_body_chunks_stay_bounded_when_normalising() {
    // Regression (found by the smtp_server fuzz target): bare LFs normalised to CRLF made
    // a body event longer than the configured chunk size.
    let mut config = ServerConfig {
        bare_lf: BareLf::Normalize,
        ..ServerConfig::default()
    };
    config.limits.body_chunk_size = 8;
    let mut input =
        b"EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'\n', 100));
    input.extend_from_slice(b"x\r\n.\r\n");
    let (_, events) = run_server(&config, &[&input]);
    let sizes: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Data(d) => Some(d.len()),
            _ => None,
        })
        .collect();
    assert!(sizes.iter().all(|&n| n <= 8), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 200 + 3);
    assert_eq!(
        count(&events, |e| matches!(e, ServerEvent::DataEnd { .. })),
        1
    );
}
