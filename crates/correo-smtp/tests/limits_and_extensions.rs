//! RFC 5321 section 4.5.3.1.6 text-line limit in `DATA` (not in `BDAT`), and the
//! `MT-PRIORITY` (RFC 6710), `DELIVERBY` (RFC 2852) and `FUTURERELEASE` (RFC 4865)
//! extensions on both machines. Server input is fed whole, one byte at a time and at
//! every split.

use correo_smtp::client::ClientError;
use correo_smtp::params::ByMode;
use correo_smtp::server::{BodyRejection, Extensions, FutureRelease, ServerLimits};
use correo_smtp::*;

/// Runs a server over `pieces`, accepting every decision.
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
            if matches!(
                ev,
                ServerEvent::MailFrom { .. }
                    | ServerEvent::RcptTo { .. }
                    | ServerEvent::DataEnd { .. }
            ) {
                while s.is_waiting() {
                    s.accept();
                }
            }
            events.push(ev);
        }
    }
    (out, events)
}

/// Whole, byte by byte, and (when `every_split`) cut in two at every offset.
fn ways(input: &[u8], every_split: bool) -> Vec<Vec<&[u8]>> {
    let mut v = vec![vec![input], input.chunks(1).collect()];
    if every_split {
        for i in 1..input.len() {
            v.push(vec![&input[..i], &input[i..]]);
        }
    } else {
        for size in [7, 64, 999, 1000, 1001, 4096] {
            v.push(input.chunks(size).collect());
        }
    }
    v
}

/// The replies' codes with their enhanced codes (`"250 2.1.0"`, `"354"`).
fn replies(out: &[u8]) -> Vec<String> {
    let mut pos = 0;
    let mut v = Vec::new();
    while let Ok(Some((r, n))) = Reply::parse(&out[pos..], &ReplyLimits::default()) {
        v.push(match r.enhanced {
            Some(e) => format!("{} {e}", r.code.get()),
            None => r.code.get().to_string(),
        });
        pos += n;
    }
    v
}

fn messages(events: &[ServerEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ServerEvent::DataEnd { .. }))
        .count()
}

fn rejections(events: &[ServerEvent]) -> Vec<BodyRejection> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::DataRejected(r) => Some(*r),
            _ => None,
        })
        .collect()
}

const ENVELOPE: &[u8] =
    b"EHLO c.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n";

/// A session with one message whose body is `body` (already dot-stuffed, terminator
/// included), then a second, short message, then `QUIT`.
fn session(body: &[u8]) -> Vec<u8> {
    let mut input = ENVELOPE.to_vec();
    input.extend_from_slice(body);
    input.extend_from_slice(
        b"MAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\nshort\r\n.\r\nQUIT\r\n",
    );
    input
}

fn line(len_with_crlf: usize) -> Vec<u8> {
    let mut l = vec![b'x'; len_with_crlf - 2];
    l.extend_from_slice(b"\r\n");
    l
}

#[test]
fn data_text_line_of_1000_octets_is_accepted() {
    let mut body = b"Subject: t\r\n\r\n".to_vec();
    body.extend_from_slice(&line(1000));
    // The transparency dot is not counted: 1001 octets on the wire, 1000 in the text.
    body.push(b'.');
    body.push(b'.');
    body.extend_from_slice(&line(999));
    body.extend_from_slice(b".\r\n");
    let input = session(&body);
    for (i, way) in ways(&input, true).iter().enumerate() {
        let (out, events) = run_server(&ServerConfig::default(), way);
        assert_eq!(messages(&events), 2, "way #{i}");
        assert!(rejections(&events).is_empty(), "way #{i}");
        assert_eq!(
            replies(&out).iter().filter(|r| *r == "250 2.0.0").count(),
            2,
            "way #{i}"
        );
    }
}

#[test]
fn data_text_line_over_the_limit_is_refused_after_the_terminator() {
    for (limit, long) in [(1000, 1001), (1000, 70_000), (100, 101)] {
        let config = ServerConfig {
            limits: ServerLimits {
                max_text_line: Some(limit),
                // Small chunks, so the long line spans many of them.
                body_chunk_size: 512,
                ..ServerLimits::default()
            },
            ..ServerConfig::default()
        };
        let mut body = b"Subject: t\r\n\r\nfirst\r\n".to_vec();
        body.extend_from_slice(&line(long));
        body.extend_from_slice(b"last\r\n.\r\n");
        let input = session(&body);
        for (i, way) in ways(&input, long < 2000).iter().enumerate() {
            let (out, events) = run_server(&config, way);
            let ctx = format!("limit {limit}, line {long}, way #{i}");
            // The long message is refused once, after its terminator; the session stays
            // in sync: the second message is delivered and QUIT is answered.
            assert_eq!(rejections(&events), [BodyRejection::LineTooLong], "{ctx}");
            assert_eq!(messages(&events), 1, "{ctx}");
            let r = replies(&out);
            assert!(r.contains(&"500 5.5.2".to_string()), "{ctx}: {r:?}");
            assert_eq!(r.last().map(String::as_str), Some("221 2.0.0"), "{ctx}");
            assert_eq!(r.iter().filter(|r| *r == "250 2.0.0").count(), 1, "{ctx}");
            // No body event ever carried the long line: nothing was buffered for it.
            for e in &events {
                if let ServerEvent::Data(d) = e {
                    assert!(d.len() <= 512, "{ctx}");
                    assert!(
                        !d.windows(limit).any(|w| w.iter().all(|&b| b == b'x')),
                        "{ctx}"
                    );
                }
            }
        }
    }
}

#[test]
fn data_text_line_limit_can_be_disabled() {
    let config = ServerConfig {
        limits: ServerLimits {
            max_text_line: None,
            ..ServerLimits::default()
        },
        ..ServerConfig::default()
    };
    let mut body = line(100_000);
    body.extend_from_slice(b".\r\n");
    let input = session(&body);
    for way in ways(&input, false) {
        let (_, events) = run_server(&config, &way);
        assert_eq!(messages(&events), 2);
        assert!(rejections(&events).is_empty());
    }
}

#[test]
fn bdat_has_no_line_limit() {
    let chunk = line(5000);
    let mut input =
        b"EHLO c.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\n".to_vec();
    input.extend_from_slice(format!("BDAT {} LAST\r\n", chunk.len()).as_bytes());
    input.extend_from_slice(&chunk);
    input.extend_from_slice(b"QUIT\r\n");
    for way in ways(&input, false) {
        let (out, events) = run_server(&ServerConfig::default(), &way);
        assert_eq!(messages(&events), 1);
        assert!(rejections(&events).is_empty());
        assert_eq!(replies(&out).last().map(String::as_str), Some("221 2.0.0"));
    }
}

fn extended() -> ServerConfig {
    ServerConfig {
        extensions: Extensions {
            mt_priority: true,
            mt_priority_policy: Some("MIXER".into()),
            deliver_by: Some(60),
            future_release: Some(FutureRelease {
                max_interval: 86_400,
                max_datetime: "2026-11-27T12:00:00Z".into(),
            }),
            ..Extensions::default()
        },
        ..ServerConfig::default()
    }
}

/// `EHLO`, then `MAIL FROM:<a@a.example> <params>`, then `QUIT`: the reply to `MAIL`
/// and the parameters handed to the application (same for every split).
fn mail_with(config: &ServerConfig, params: &str) -> (String, Option<Vec<Parameter<'static>>>) {
    let input = format!("EHLO c.example\r\nMAIL FROM:<a@a.example> {params}\r\nQUIT\r\n");
    let mut result = None;
    for way in ways(input.as_bytes(), false) {
        let (out, events) = run_server(config, &way);
        let r = replies(&out);
        assert_eq!(r.len(), 4, "{params}: {r:?}");
        let given = events.iter().find_map(|e| match e {
            ServerEvent::MailFrom { params, .. } => Some(params.clone()),
            _ => None,
        });
        let got = (r[2].clone(), given);
        if let Some(first) = &result {
            assert_eq!(first, &got, "{params}");
        }
        result = Some(got);
    }
    result.unwrap_or_default()
}

#[test]
fn extensions_are_advertised_only_when_configured() {
    let ehlo = Server::new(ServerConfig::default()).ehlo_reply();
    let e = Ehlo::from_reply(&ehlo).unwrap();
    for kw in ["MT-PRIORITY", "DELIVERBY", "FUTURERELEASE"] {
        assert!(!e.has(kw), "{kw}");
    }
    let ehlo = Server::new(extended()).ehlo_reply();
    let e = Ehlo::from_reply(&ehlo).unwrap();
    assert!(
        e.capabilities
            .contains(&Capability::MtPriority(Some("MIXER".into())))
    );
    assert!(e.capabilities.contains(&Capability::DeliverBy(Some(60))));
    assert!(e.capabilities.contains(&Capability::FutureRelease {
        max_interval: 86_400,
        max_datetime: "2026-11-27T12:00:00Z".into()
    }));
    // A policy that is not a token, or a date-time that does not parse, is not advertised.
    let mut bad = extended();
    bad.extensions.mt_priority_policy = Some("MIXER\r\n250 EVIL".into());
    bad.extensions.future_release = Some(FutureRelease {
        max_interval: 1,
        max_datetime: "tomorrow".into(),
    });
    let ehlo = Server::new(bad.clone()).ehlo_reply();
    let e = Ehlo::from_reply(&ehlo).unwrap();
    assert!(e.capabilities.contains(&Capability::MtPriority(None)));
    assert!(!e.has("FUTURERELEASE"));
    assert_eq!(mail_with(&bad, "HOLDFOR=1").0, "555 5.5.4");
}

#[test]
fn parameters_of_extensions_not_offered_get_555() {
    let config = ServerConfig::default();
    for p in [
        "MT-PRIORITY=3",
        "BY=120;R",
        "HOLDFOR=10",
        "HOLDUNTIL=2026-11-27T00:00:00Z",
    ] {
        let (reply, given) = mail_with(&config, p);
        assert_eq!(reply, "555 5.5.4", "{p}");
        assert_eq!(given, None, "{p}");
    }
}

#[test]
fn offered_parameters_are_validated_and_handed_over() {
    let config = extended();
    let (reply, given) = mail_with(&config, "MT-PRIORITY=-3 BY=120;RT HOLDFOR=100");
    assert_eq!(reply, "250 2.1.0");
    assert_eq!(
        given,
        Some(vec![
            Parameter::MtPriority(-3),
            Parameter::By {
                time: 120,
                mode: ByMode::Return,
                trace: true
            },
            Parameter::HoldFor(100),
        ])
    );
    for ok in [
        "BY=60;R",
        "BY=-5;N",
        "BY=0;N",
        "HOLDFOR=86400",
        "HOLDUNTIL=2026-11-27T12:00:00Z",
        "HOLDUNTIL=2026-11-27T13:00:00+01:00",
        "MT-PRIORITY=9",
    ] {
        assert_eq!(mail_with(&config, ok).0, "250 2.1.0", "{ok}");
    }
    for (bad, code) in [
        ("BY=59;R", "501 5.5.4"),
        ("BY=0;R", "501 5.5.4"),
        ("BY=-1;R", "501 5.5.4"),
        ("HOLDFOR=86401", "501 5.5.4"),
        ("HOLDUNTIL=2026-11-27T12:00:01Z", "501 5.5.4"),
        ("HOLDUNTIL=2026-11-27T12:00:00-01:00", "501 5.5.4"),
        ("HOLDUNTIL=tomorrow", "501 5.5.4"),
        ("HOLDFOR=1 HOLDUNTIL=2026-11-27T00:00:00Z", "501 5.5.4"),
        ("MT-PRIORITY=1 MT-PRIORITY=2", "501 5.5.4"),
        ("MT-PRIORITY=10", "501 5.5.4"),
        ("HOLDFOR=99999999999999999999", "501 5.5.4"),
    ] {
        let (reply, given) = mail_with(&config, bad);
        assert_eq!(reply, code, "{bad}");
        assert_eq!(given, None, "{bad}");
    }
}

fn ready_client(caps: &str) -> Client {
    let mut c = Client::new(ClientConfig {
        tls: TlsMode::None,
        ..ClientConfig::default()
    });
    c.receive(b"220 mx.example.test ESMTP\r\n");
    c.receive(caps.as_bytes());
    let _ = c.poll_transmit();
    while let Some(e) = c.poll_event() {
        assert!(!matches!(e, ClientEvent::Error(_)), "{e:?}");
    }
    assert!(c.is_ready());
    c
}

fn envelope(params: Vec<Parameter<'static>>) -> Envelope {
    let mut e = Envelope::new(
        ReversePath::Mailbox(Mailbox::new("a", "a.example")),
        vec![ForwardPath::Mailbox(Mailbox::new("b", "b.example"))],
    );
    e.mail_params = params;
    e
}

#[test]
fn client_sends_extension_parameters_only_when_offered() {
    let by = |time, mode| Parameter::By {
        time,
        mode,
        trace: false,
    };
    let mut plain = ready_client("250-mx\r\n250 PIPELINING\r\n");
    for (p, name) in [
        (Parameter::MtPriority(3), "MT-PRIORITY"),
        (by(120, ByMode::Return), "DELIVERBY"),
        (Parameter::HoldFor(10), "FUTURERELEASE"),
        (
            Parameter::HoldUntil("2026-11-27T00:00:00Z".into()),
            "FUTURERELEASE",
        ),
        (Parameter::Ret(params::Ret::Hdrs), "DSN"),
        (Parameter::RequireTls, "REQUIRETLS"),
    ] {
        assert_eq!(
            plain.send_mail(envelope(vec![p])),
            Err(ClientError::Unsupported(name))
        );
    }
    let mut e = envelope(Vec::new());
    e.recipients[0].params = vec![Parameter::Notify(Notify::NEVER)];
    assert_eq!(plain.send_mail(e), Err(ClientError::Unsupported("DSN")));
    assert_eq!(plain.poll_transmit(), None);

    let caps = "250-mx\r\n250-MT-PRIORITY MIXER\r\n250-DELIVERBY 60\r\n250 FUTURERELEASE 86400 2026-11-27T12:00:00Z\r\n";
    let mut c = ready_client(caps);
    for (p, name) in [
        (by(59, ByMode::Return), "DELIVERBY"),
        (Parameter::HoldFor(86_401), "FUTURERELEASE"),
        (
            Parameter::HoldUntil("2026-11-27T12:00:01Z".into()),
            "FUTURERELEASE",
        ),
        (Parameter::HoldUntil("soon".into()), "FUTURERELEASE"),
    ] {
        assert_eq!(
            c.send_mail(envelope(vec![p])),
            Err(ClientError::Unsupported(name))
        );
    }
    assert_eq!(c.poll_transmit(), None);
    c.send_mail(envelope(vec![
        Parameter::MtPriority(3),
        by(-10, ByMode::Notify),
        Parameter::HoldFor(3600),
    ]))
    .unwrap();
    assert_eq!(
        c.poll_transmit().unwrap(),
        b"MAIL FROM:<a@a.example> MT-PRIORITY=3 BY=-10;N HOLDFOR=3600\r\n"
    );
}

#[test]
fn client_handles_421_at_every_point() {
    // The replies of a whole session; a 421 replaces each of them in turn.
    let script: [&[u8]; 6] = [
        b"220 mx ESMTP\r\n",
        b"250-mx\r\n250 PIPELINING\r\n",
        b"250 2.1.0 Ok\r\n",
        b"250 2.1.5 Ok\r\n",
        b"354 go ahead\r\n",
        b"250 2.0.0 queued\r\n",
    ];
    for cut in 0..script.len() {
        let mut c = Client::new(ClientConfig {
            tls: TlsMode::None,
            pipelining: false,
            ..ClientConfig::default()
        });
        let mut events = Vec::new();
        for (i, reply) in script.iter().enumerate() {
            let reply: &[u8] = if i == cut {
                b"421 4.3.2 shutting down\r\n"
            } else {
                reply
            };
            // Byte by byte: a 421 is a reply like any other, whatever the split.
            for b in reply.chunks(1) {
                c.receive(b);
            }
            while let Some(e) = c.poll_event() {
                match e {
                    ClientEvent::Ready(_) => c.send_mail(envelope(Vec::new())).unwrap(),
                    ClientEvent::SendBody => {
                        c.send_body(b"Subject: x\r\n\r\nhi\r\n", true).unwrap();
                    }
                    _ => {}
                }
                events.push(event_name(&e));
            }
            let _ = c.poll_transmit();
            if i == cut {
                break;
            }
        }
        assert!(c.is_closed(), "421 at reply #{cut}: {events:?}");
        assert!(
            events.iter().any(|e| e == "ServiceClosing"),
            "421 at reply #{cut}: {events:?}"
        );
        assert_eq!(events.last().map(String::as_str), Some("Closed"), "{cut}");
        assert!(!events.iter().any(|e| e == "Delivered"), "{cut}");
        // Whatever comes after is ignored.
        c.receive(b"250 2.0.0 Ok\r\n");
        assert!(c.is_closed());
    }
}

fn event_name(e: &ClientEvent) -> String {
    match e {
        ClientEvent::Error(ClientError::ServiceClosing(_)) => "ServiceClosing".into(),
        ClientEvent::Closed => "Closed".into(),
        ClientEvent::TransactionDone {
            delivered: true, ..
        } => "Delivered".into(),
        other => format!("{other:?}").chars().take(20).collect(),
    }
}

#[test]
fn server_timeout_answers_421_and_closes() {
    // Mid-DATA, the caller's clock says the client has been idle too long.
    let mut input = ENVELOPE.to_vec();
    input.extend_from_slice(b"Subject: x\r\n\r\npartial");
    for way in ways(&input, false) {
        let mut s = Server::new(ServerConfig::default());
        assert_eq!(s.poll_timeout(), Some(std::time::Duration::from_secs(300)));
        for p in way {
            s.receive(p);
            while let Some(e) = s.poll_event() {
                if matches!(e, ServerEvent::MailFrom { .. } | ServerEvent::RcptTo { .. }) {
                    s.accept();
                }
            }
        }
        s.handle_timeout();
        let mut out = Vec::new();
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
        assert_eq!(replies(&out).last().map(String::as_str), Some("421 4.4.2"));
        assert!(events.contains(&ServerEvent::Closed));
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ServerEvent::DataEnd { .. }))
        );
        assert!(s.is_closed());
        assert_eq!(s.poll_timeout(), None);
        // The rest of the message, arriving late, is never read.
        s.receive(b"\r\n.\r\nQUIT\r\n");
        assert_eq!(s.poll_transmit(), None);
        assert!(std::iter::from_fn(|| s.poll_event()).all(|e| matches!(e, ServerEvent::Error(_))));
    }
}

#[test]
fn repeated_parameters_are_refused_unless_identical() {
    let config = ServerConfig::default();
    // Python's smtplib repeats SMTPUTF8 when the caller also passes it to send_message.
    let (reply, given) = mail_with(&config, "SIZE=10 SMTPUTF8 BODY=8BITMIME SMTPUTF8");
    assert_eq!(reply, "250 2.1.0");
    assert!(given.is_some_and(|p| p.contains(&Parameter::SmtpUtf8)));
    for bad in ["BODY=7BIT BODY=8BITMIME", "SIZE=10 SIZE=11"] {
        let (reply, given) = mail_with(&config, bad);
        assert_eq!(reply, "501 5.5.4", "{bad}");
        assert_eq!(given, None, "{bad}");
    }
}
