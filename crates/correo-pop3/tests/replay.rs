//! Replays the recorded Dovecot sessions on both machines: the client must send exactly the
//! recorded client bytes and read the server's replies as a naive reference reader does; the
//! server must answer the recorded client bytes with exactly the recorded server bytes.
//! Input is fed whole, one byte at a time, and (for short sessions) cut at every offset.

mod common;

use common::{
    Chunk, NaiveReply, Split, alice_messages, client_commands, load, naive_replies, server_stream,
};
use correo_pop3::client::{Client, ClientConfig, ClientPhase, Event as CEvent};
use correo_pop3::codec::{Command, apop_digest, apop_digest_matches, apop_timestamp, strip_eol};
use correo_pop3::server::{Event as SEvent, MessageInfo, Server, ServerConfig, ServerPhase};
use correo_wire::sasl::{Mechanism, SaslClient};

const TRANSCRIPTS: [&str; 9] = [
    "pop3-poplib",
    "pop3-poplib-apop",
    "pop3-poplib-auth-plain",
    "pop3-curl-list",
    "pop3-curl-retr",
    "pop3-stls",
    "client-fetchmail-pop3",
    "client-mpop",
    "client-getmail",
];

// ---------------------------------------------------------------- client side

fn issue(c: &mut Client, line: &[u8]) {
    let cmd = Command::parse(line).unwrap();
    match cmd {
        Command::User(u) => c.user(u),
        Command::Pass(p) => c.pass(p),
        Command::Apop { name, .. } => c.apop(name, b"secret"),
        Command::Auth { mechanism, initial } => {
            let sasl = match mechanism {
                b"PLAIN" => SaslClient::plain(None, "alice", "secret").unwrap(),
                b"CRAM-MD5" => SaslClient::cram_md5("alice", "secret").unwrap(),
                other => panic!("mechanism {other:?}"),
            };
            c.authenticate(sasl, initial.is_some())
        }
        Command::Capa => c.capa(),
        Command::Stls => c.stls(),
        Command::Stat => c.stat(),
        Command::List(n) => c.list(n),
        Command::Uidl(n) => c.uidl(n),
        Command::Top { msg, lines } => c.top(msg, lines),
        Command::Retr(n) => c.retr(n),
        Command::Dele(n) => c.dele(n),
        Command::Rset => c.rset(),
        Command::Noop => c.noop(),
        Command::Quit => c.quit(),
        other => panic!("unexpected {other:?}"),
    }
    .unwrap();
}

/// Turns the client's events into one reply record per command, in the naive reader's
/// shape, so the two can be compared.
fn client_replies(events: &[CEvent], commands: &[Vec<u8>]) -> Vec<NaiveReply> {
    let mut it = events.iter().peekable();
    let mut out = Vec::new();
    let Some(CEvent::Greeting { text, .. }) = it.next() else {
        panic!("no greeting first: {events:?}")
    };
    let mut g = b"+OK ".to_vec();
    g.extend_from_slice(text);
    out.push(NaiveReply {
        status: g,
        body: None,
    });
    for cmd in commands {
        let Some(ev) = it.next() else { break };
        let upper = cmd.to_ascii_uppercase();
        let status = |ok: bool| {
            if ok {
                b"+OK".to_vec()
            } else {
                b"-ERR".to_vec()
            }
        };
        let reply = match ev {
            CEvent::Err { .. } => NaiveReply {
                status: status(false),
                body: None,
            },
            CEvent::Capabilities(caps) => {
                let mut body = Vec::new();
                for l in caps.lines() {
                    body.extend_from_slice(l);
                    body.extend_from_slice(b"\r\n");
                }
                NaiveReply {
                    status: status(true),
                    body: Some(body),
                }
            }
            CEvent::Scan(first) if upper == b"LIST" => {
                let mut body = Vec::new();
                let mut cur = Some(*first);
                loop {
                    if let Some(s) = cur.take() {
                        body.extend_from_slice(format!("{} {}\r\n", s.msg, s.size).as_bytes());
                    }
                    match it.next() {
                        Some(CEvent::Scan(s)) => cur = Some(*s),
                        Some(CEvent::ListingEnd { .. }) => break,
                        other => panic!("in LIST: {other:?}"),
                    }
                }
                NaiveReply {
                    status: status(true),
                    body: Some(body),
                }
            }
            CEvent::UniqueId { msg, uid } if upper == b"UIDL" => {
                let mut body = format!("{msg} ").into_bytes();
                body.extend_from_slice(uid);
                body.extend_from_slice(b"\r\n");
                loop {
                    match it.next() {
                        Some(CEvent::UniqueId { msg, uid }) => {
                            body.extend_from_slice(format!("{msg} ").as_bytes());
                            body.extend_from_slice(uid);
                            body.extend_from_slice(b"\r\n");
                        }
                        Some(CEvent::ListingEnd { .. }) => break,
                        other => panic!("in UIDL: {other:?}"),
                    }
                }
                NaiveReply {
                    status: status(true),
                    body: Some(body),
                }
            }
            CEvent::ListingEnd { .. } => NaiveReply {
                status: status(true),
                body: Some(Vec::new()),
            },
            CEvent::MessageStart { .. } => {
                let mut body = Vec::new();
                loop {
                    match it.next() {
                        Some(CEvent::BodyChunk(c)) => body.extend_from_slice(c),
                        Some(CEvent::MessageEnd {
                            size, truncated, ..
                        }) => {
                            assert!(!truncated);
                            assert_eq!(*size, body.len() as u64);
                            break;
                        }
                        other => panic!("in body: {other:?}"),
                    }
                }
                NaiveReply {
                    status: status(true),
                    body: Some(body),
                }
            }
            CEvent::Ok { .. }
            | CEvent::Authenticated { .. }
            | CEvent::Stat(_)
            | CEvent::Scan(_)
            | CEvent::UniqueId { .. }
            | CEvent::StartTls
            | CEvent::Closed { .. } => NaiveReply {
                status: status(true),
                body: None,
            },
            other => panic!("unexpected event {other:?}"),
        };
        out.push(reply);
    }
    assert!(it.next().is_none(), "events left over");
    out
}

fn replay_client(name: &str, split: Split) -> (Vec<CEvent>, Client) {
    let chunks: Vec<Chunk> = load(name);
    let mut c = Client::new(ClientConfig {
        auto_capa: false,
        allow_cleartext_login: true,
        enable_apop: true,
        ..ClientConfig::default()
    });
    let mut events = Vec::new();
    for chunk in &chunks {
        if c.phase() == ClientPhase::TlsHandshake {
            break; // the rest is TLS records
        }
        if chunk.client {
            if let Some(out) = c.poll_transmit() {
                // A SASL response the machine produced by itself.
                assert_eq!(out, chunk.data, "{name}: client bytes");
                continue;
            }
            for line in common::lines(&chunk.data) {
                issue(&mut c, strip_eol(line));
            }
            let out = c.poll_transmit().unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&chunk.data),
                "{name}: client bytes"
            );
        } else {
            for piece in split.pieces(&chunk.data) {
                c.receive(piece).unwrap();
                while let Some(e) = c.poll_event() {
                    events.push(e);
                }
            }
        }
    }
    let commands = client_commands(&chunks);
    let expected = naive_replies(&commands, &server_stream(&chunks));
    let got = client_replies(&events, &commands);
    assert_eq!(got.len(), expected.len(), "{name}");
    for (g, e) in got.iter().zip(&expected) {
        let ok = e.status.starts_with(b"+OK");
        assert_eq!(
            g.status.starts_with(b"+OK"),
            ok,
            "{name}: {:?}",
            String::from_utf8_lossy(&e.status)
        );
        assert_eq!(
            g.body,
            e.body,
            "{name}: body of {:?}",
            String::from_utf8_lossy(&e.status)
        );
    }
    (events, c)
}

#[test]
fn client_replays_every_transcript_whole_and_bytewise() {
    for name in TRANSCRIPTS {
        let (whole, _) = replay_client(name, Split::Whole);
        let (bytes, _) = replay_client(name, Split::Bytes);
        // Body chunks may be cut differently; everything else is identical.
        let strip = |evs: &[CEvent]| -> Vec<CEvent> {
            evs.iter()
                .filter(|e| !matches!(e, CEvent::BodyChunk(_)))
                .cloned()
                .collect()
        };
        assert_eq!(strip(&whole), strip(&bytes), "{name}");
    }
}

#[test]
fn client_replays_short_transcripts_at_every_split() {
    for name in [
        "pop3-poplib-apop",
        "pop3-poplib-auth-plain",
        "pop3-curl-list",
        "pop3-curl-retr",
        "pop3-stls",
    ] {
        let longest = load(name)
            .iter()
            .filter(|c| !c.client)
            .map(|c| c.data.len())
            .max()
            .unwrap();
        for k in 0..=longest {
            replay_client(name, Split::At(k));
        }
    }
}

#[test]
fn client_poplib_session_details() {
    let (events, c) = replay_client("pop3-poplib", Split::Whole);
    assert!(events.contains(&CEvent::Stat(correo_pop3::codec::Stat {
        count: 3,
        size: 10966
    })));
    assert!(events.contains(&CEvent::Stat(correo_pop3::codec::Stat {
        count: 2,
        size: 963
    })));
    // DELE 1 then RSET: nothing is deleted at QUIT.
    assert_eq!(events.last(), Some(&CEvent::Closed { deleted: vec![] }));
    assert_eq!(c.phase(), ClientPhase::Closed);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, CEvent::Err { text, .. } if text == b"There's no message 99."))
    );
    let CEvent::Greeting { apop_timestamp, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(
        apop_timestamp.as_deref(),
        Some(&b"<5d0c.b.6b0378cd.tWAY7fQjbVzOqcHOzTe3hQ==@vm>"[..])
    );
}

#[test]
fn client_curl_retr_unstuffs_leading_dot() {
    let (events, _) = replay_client("pop3-curl-retr", Split::Bytes);
    let body: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            CEvent::BodyChunk(c) => Some(c.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(body.len(), 598);
    assert!(body.ends_with(b"Sent by curl.\r\n.leading dot line must be dot-stuffed\r\n"));
}

#[test]
fn client_stls_stops_at_the_upgrade() {
    let (events, mut c) = replay_client("pop3-stls", Split::Whole);
    assert_eq!(events.last(), Some(&CEvent::StartTls));
    assert_eq!(c.phase(), ClientPhase::TlsHandshake);
    // Bytes before tls_established are refused and dropped.
    assert!(c.receive(b"+OK injected\r\n").is_err());
    c.tls_established().unwrap();
    assert!(c.is_tls());
    assert!(c.capabilities().is_none());
}

// ---------------------------------------------------------------- server side

fn maildrop_for(name: &str, user: &[u8]) -> (Vec<MessageInfo>, Vec<Vec<u8>>) {
    let alice = alice_messages();
    let uid = |n: u32| format!("{n:08x}6b0378cd").into_bytes();
    if user == b"bob" {
        let bodies = vec![vec![b'x'; 866], vec![b'y'; 871]];
        let infos = bodies
            .iter()
            .zip([1, 2])
            .map(|(b, n)| MessageInfo {
                size: b.len() as u64,
                uid: uid(n),
            })
            .collect();
        return (infos, bodies);
    }
    let (bodies, uids): (Vec<Vec<u8>>, Vec<u32>) = if name.starts_with("client-") {
        (alice, vec![1, 2, 4, 5, 6])
    } else {
        let mut third = b"Subject: filler\r\n\r\n".to_vec();
        third.resize(363, b'z');
        third.extend_from_slice(b"\r\n");
        (
            vec![alice[0].clone(), alice[1].clone(), third],
            vec![1, 2, 3],
        )
    };
    let infos = bodies
        .iter()
        .zip(uids)
        .map(|(b, n)| MessageInfo {
            size: b.len() as u64,
            uid: uid(n),
        })
        .collect();
    (infos, bodies)
}

fn drive_server(s: &mut Server, name: &str, bodies: &mut Option<Vec<Vec<u8>>>, piece: usize) {
    while let Some(ev) = s.poll_event() {
        match ev {
            SEvent::CheckPassword { user, password, .. } => {
                assert_eq!(password, b"secret");
                let (infos, b) = maildrop_for(name, &user);
                *bodies = Some(b);
                s.accept_login(infos).unwrap();
            }
            SEvent::CheckApop {
                user,
                digest,
                timestamp,
            } => {
                assert!(apop_digest_matches(
                    &apop_digest(&timestamp, b"secret"),
                    &digest
                ));
                let (infos, b) = maildrop_for(name, &user);
                *bodies = Some(b);
                s.accept_login(infos).unwrap();
            }
            SEvent::NeedCramSecret { user } => {
                assert_eq!(user, "alice");
                s.cram_secret(b"secret").unwrap();
            }
            SEvent::OpenMaildrop { user, .. } => {
                let (infos, b) = maildrop_for(name, user.as_bytes());
                *bodies = Some(b);
                s.accept_login(infos).unwrap();
            }
            SEvent::Retrieve { msg, .. } => {
                let body = bodies.as_ref().unwrap()[msg as usize - 1].clone();
                for part in body.chunks(piece.max(1)) {
                    if !s.wants_message_data() {
                        break;
                    }
                    s.message_data(part).unwrap();
                }
                s.message_end().unwrap();
            }
            SEvent::Update { .. } => s.update_complete(true).unwrap(),
            SEvent::StartTls | SEvent::Closed => {}
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
}

fn replay_server(name: &str, split: Split, piece: usize) {
    let chunks = load(name);
    let greeting = &chunks[0].data;
    let ts = apop_timestamp(strip_eol(greeting)).map(<[u8]>::to_vec);
    let cram = chunks
        .iter()
        .find(|c| !c.client && c.data.starts_with(b"+ PD"))
        .map(|c| {
            let b64 = std::str::from_utf8(strip_eol(&c.data[2..])).unwrap();
            let correo_wire::sasl::framing::Decoded::Data(d) =
                correo_wire::sasl::framing::decode_line(b64.as_bytes(), 1024).unwrap()
            else {
                panic!()
            };
            String::from_utf8(d).unwrap()
        });
    let mut config = ServerConfig {
        greeting: b"Dovecot (Debian) ready.".to_vec(),
        apop_timestamp: ts,
        stls: true,
        allow_cleartext_login: true,
        mechanisms: vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5],
        ..ServerConfig::default()
    };
    config.sasl.cram_challenge = cram.or_else(|| Some("<1.2@vm>".into()));
    let mut s = Server::new(config);
    let mut bodies = None;
    let mut produced = s.poll_transmit().unwrap();
    let mut expected = Vec::new();
    for chunk in &chunks {
        if chunk.client && s.phase() == ServerPhase::TlsHandshake {
            // The rest is TLS records; the clear-text bytes must have stopped here.
            assert_eq!(s.poll_event(), None);
            break;
        }
        if chunk.client {
            for p in split.pieces(&chunk.data) {
                s.receive(p).unwrap();
                drive_server(&mut s, name, &mut bodies, piece);
                while let Some(out) = s.poll_transmit() {
                    produced.extend_from_slice(&out);
                }
            }
        } else {
            expected.extend_from_slice(&chunk.data);
            // Everything the server owed so far has been produced, and nothing more.
            if produced.len() >= expected.len() {
                assert_eq!(
                    String::from_utf8_lossy(&produced[..expected.len()]),
                    String::from_utf8_lossy(&expected),
                    "{name}"
                );
            }
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&produced),
        String::from_utf8_lossy(&expected),
        "{name}"
    );
}

#[test]
fn server_replays_every_transcript_whole_and_bytewise() {
    for name in TRANSCRIPTS {
        replay_server(name, Split::Whole, 1 << 20);
        replay_server(name, Split::Bytes, 7);
    }
}

#[test]
fn server_replays_short_transcripts_at_every_split() {
    for name in [
        "pop3-poplib-apop",
        "pop3-poplib-auth-plain",
        "pop3-curl-list",
        "pop3-stls",
        "client-mpop",
    ] {
        let longest = load(name)
            .iter()
            .filter(|c| c.client)
            .map(|c| c.data.len())
            .max()
            .unwrap();
        for k in 0..=longest.min(64) {
            replay_server(name, Split::At(k), 1 + k);
        }
    }
}
