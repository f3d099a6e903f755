//! Client state machine behaviour, each fed whole and one byte at a time.

use correo_pop3::client::{Client, ClientConfig, ClientError, ClientPhase, Event, TlsMode};
use correo_pop3::codec::{CommandKind, OwnedResponseCode, Stat};
use correo_wire::sasl::SaslClient;
use proptest::prelude::*;

fn feed(c: &mut Client, bytes: &[u8], bytewise: bool) -> Result<Vec<Event>, ClientError> {
    if bytewise {
        for b in bytes.chunks(1) {
            c.receive(b)?;
        }
    } else {
        c.receive(bytes)?;
    }
    Ok(std::iter::from_fn(|| c.poll_event()).collect())
}

fn config() -> ClientConfig {
    ClientConfig {
        auto_capa: false,
        allow_cleartext_login: true,
        ..ClientConfig::default()
    }
}

/// A client logged in with USER/PASS.
fn logged_in(config: ClientConfig, bytewise: bool) -> Client {
    let mut c = Client::new(config);
    feed(&mut c, b"+OK ready\r\n", bytewise).unwrap();
    c.login(b"u", b"p").unwrap();
    assert_eq!(c.poll_transmit().unwrap(), b"USER u\r\n");
    feed(&mut c, b"+OK\r\n", bytewise).unwrap();
    assert_eq!(c.poll_transmit().unwrap(), b"PASS p\r\n");
    let ev = feed(&mut c, b"+OK Logged in.\r\n", bytewise).unwrap();
    assert!(matches!(ev[..], [Event::Authenticated { .. }]));
    assert_eq!(c.phase(), ClientPhase::Transaction);
    c
}

fn body(events: &[Event]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::BodyChunk(c) => Some(c.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

#[test]
fn apop_timestamp_must_be_a_strict_msg_id_and_apop_is_opt_in() {
    for bytewise in [false, true] {
        let mut c = Client::new(config());
        let ev = feed(
            &mut c,
            b"+OK hi <1896.697170952@dbc.mtview.ca.us>\r\n",
            bytewise,
        )
        .unwrap();
        assert_eq!(
            ev,
            [Event::Greeting {
                text: b"hi <1896.697170952@dbc.mtview.ca.us>".to_vec(),
                apop_timestamp: Some(b"<1896.697170952@dbc.mtview.ca.us>".to_vec()),
            }]
        );
        // Off by default.
        assert_eq!(
            c.apop(b"mrose", b"tanstaaf"),
            Err(ClientError::ApopDisabled)
        );

        let mut c = Client::new(ClientConfig {
            enable_apop: true,
            ..config()
        });
        feed(
            &mut c,
            b"+OK hi <1896.697170952@dbc.mtview.ca.us>\r\n",
            bytewise,
        )
        .unwrap();
        c.apop(b"mrose", b"tanstaaf").unwrap();
        // RFC 1939's example digest.
        assert_eq!(
            c.poll_transmit().unwrap(),
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
        );

        for bad in [
            &b"+OK hi <no-at>\r\n"[..],
            b"+OK hi <a b@c>\r\n",
            b"+OK hi <@c>\r\n",
            b"+OK hi\r\n",
        ] {
            let mut c = Client::new(ClientConfig {
                enable_apop: true,
                ..config()
            });
            feed(&mut c, bad, bytewise).unwrap();
            assert_eq!(c.apop_timestamp(), None);
            assert_eq!(c.apop(b"u", b"p"), Err(ClientError::NoApopTimestamp));
        }
    }
}

#[test]
fn capa_after_greeting_after_stls_and_after_login() {
    for bytewise in [false, true] {
        let mut c = Client::new(ClientConfig::default());
        feed(&mut c, b"+OK ready\r\n", bytewise).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"CAPA\r\n");
        let ev = feed(
            &mut c,
            b"+OK\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
            bytewise,
        )
        .unwrap();
        assert!(matches!(&ev[..], [Event::Capabilities(caps)] if caps.stls()));
        c.stls().unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"STLS\r\n");
        // The +OK and an injected reply in the same segment: the injected bytes are dropped.
        let ev = feed(&mut c, b"+OK Begin TLS\r\n+OK injected\r\n", bytewise);
        if bytewise {
            // Byte by byte, the bytes after the +OK arrive once the machine is waiting
            // for the handshake: refused, and dropped.
            assert!(matches!(ev, Err(ClientError::DataBeforeTls { .. })));
            assert_eq!(c.poll_event(), Some(Event::StartTls));
        } else {
            assert_eq!(ev.unwrap(), [Event::StartTls]);
        }
        assert_eq!(c.poll_event(), None);
        assert_eq!(c.phase(), ClientPhase::TlsHandshake);
        assert!(c.capabilities().is_none(), "capabilities forgotten at STLS");
        c.tls_established().unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"CAPA\r\n");
        let ev = feed(&mut c, b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n", bytewise).unwrap();
        assert!(matches!(&ev[..], [Event::Capabilities(caps)] if !caps.stls()));
        // Over TLS a cleartext login is fine.
        c.login(b"u", b"p").unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"USER u\r\n");
        feed(&mut c, b"+OK\r\n", bytewise).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"PASS p\r\n");
        feed(&mut c, b"+OK\r\n", bytewise).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"CAPA\r\n", "CAPA after login");
        assert_eq!(c.stls(), Err(ClientError::AlreadyTls));
    }
}

#[test]
fn stls_required_fails_closed() {
    for bytewise in [false, true] {
        let mut c = Client::new(ClientConfig {
            tls: TlsMode::StlsRequired,
            auto_capa: false,
            allow_cleartext_login: true,
            enable_apop: true,
            ..ClientConfig::default()
        });
        feed(&mut c, b"+OK ready <1.2@h>\r\n", bytewise).unwrap();
        // No credentials of any kind before TLS, even with cleartext allowed.
        assert_eq!(c.user(b"u"), Err(ClientError::TlsRequired));
        assert_eq!(c.apop(b"u", b"p"), Err(ClientError::TlsRequired));
        let sasl = SaslClient::cram_md5("u", "p").unwrap();
        assert_eq!(c.authenticate(sasl, false), Err(ClientError::TlsRequired));
        c.stls().unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"STLS\r\n");
        let r = feed(&mut c, b"-ERR no TLS here\r\n", bytewise);
        assert_eq!(r, Err(ClientError::TlsRequired));
        assert_eq!(c.phase(), ClientPhase::Closed);
        assert_eq!(c.poll_transmit(), None, "nothing more is sent");
    }
}

#[test]
fn no_cleartext_password_unless_allowed() {
    let mut c = Client::new(ClientConfig {
        auto_capa: false,
        ..ClientConfig::default()
    });
    c.receive(b"+OK ready\r\n").unwrap();
    assert_eq!(c.user(b"u"), Err(ClientError::CleartextForbidden));
    assert_eq!(c.pass(b"p"), Err(ClientError::CleartextForbidden));
    let plain = SaslClient::plain(None, "u", "p").unwrap();
    assert_eq!(
        c.authenticate(plain, true),
        Err(ClientError::CleartextForbidden)
    );
    // CRAM-MD5 does not reveal the password.
    c.authenticate(SaslClient::cram_md5("u", "p").unwrap(), false)
        .unwrap();
    assert_eq!(c.poll_transmit().unwrap(), b"AUTH CRAM-MD5\r\n");
    // Port 995: implicit TLS.
    let mut c = Client::new(ClientConfig {
        tls: TlsMode::Implicit,
        auto_capa: false,
        ..ClientConfig::default()
    });
    c.receive(b"+OK ready\r\n").unwrap();
    c.user(b"u").unwrap();
    assert_eq!(c.stls(), Err(ClientError::AlreadyTls));
}

#[test]
fn sasl_plain_with_continuation_and_failure() {
    for bytewise in [false, true] {
        let mut c = Client::new(config());
        feed(&mut c, b"+OK ready\r\n", bytewise).unwrap();
        c.authenticate(
            SaslClient::plain(None, "alumnopop", "alumnopoppass").unwrap(),
            false,
        )
        .unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"AUTH PLAIN\r\n");
        feed(&mut c, b"+\r\n", bytewise).unwrap();
        assert_eq!(
            c.poll_transmit().unwrap(),
            b"AGFsdW1ub3BvcABhbHVtbm9wb3BwYXNz\r\n"
        );
        let ev = feed(&mut c, b"-ERR [AUTH] Authentication failed.\r\n", bytewise).unwrap();
        assert_eq!(
            ev,
            [Event::Err {
                command: CommandKind::Auth,
                code: Some(OwnedResponseCode::Auth),
                text: b"Authentication failed.".to_vec()
            }]
        );
        assert_eq!(c.phase(), ClientPhase::Authorization);
        // A continuation outside AUTH is a protocol violation.
        c.noop().unwrap_err();
        c.capa().unwrap();
        c.poll_transmit().unwrap();
        assert!(matches!(
            feed(&mut c, b"+ Zm9v\r\n", bytewise),
            Err(ClientError::UnexpectedReply { .. })
        ));
        assert_eq!(c.phase(), ClientPhase::Closed);
    }
}

#[test]
fn pipelining_only_when_offered() {
    for bytewise in [false, true] {
        let mut c = logged_in(config(), bytewise);
        c.stat().unwrap();
        c.list(Some(1)).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"STAT\r\n", "one at a time");
        assert_eq!(c.poll_transmit(), None);
        feed(&mut c, b"+OK 1 10\r\n", bytewise).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"LIST 1\r\n");
        feed(&mut c, b"+OK 1 10\r\n", bytewise).unwrap();

        c.capa().unwrap();
        c.poll_transmit().unwrap();
        feed(&mut c, b"+OK\r\nPIPELINING\r\n.\r\n", bytewise).unwrap();
        c.stat().unwrap();
        c.list(None).unwrap();
        c.retr(1).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"STAT\r\nLIST\r\nRETR 1\r\n");
        let ev = feed(
            &mut c,
            b"+OK 1 10\r\n+OK 1 messages:\r\n1 10\r\n.\r\n+OK 10 octets\r\n12345678\r\n.\r\n",
            bytewise,
        )
        .unwrap();
        assert_eq!(ev[0], Event::Stat(Stat { count: 1, size: 10 }));
        assert_eq!(body(&ev), b"12345678\r\n");
    }
}

#[test]
fn list_with_argument_is_single_line() {
    for bytewise in [false, true] {
        let mut c = logged_in(config(), bytewise);
        c.list(Some(1)).unwrap();
        c.poll_transmit().unwrap();
        // The single-line reply must not make the machine wait for a "." line.
        let ev = feed(&mut c, b"+OK 1 10003\r\n", bytewise).unwrap();
        assert_eq!(
            ev,
            [Event::Scan(correo_pop3::codec::ScanListing {
                msg: 1,
                size: 10003
            })]
        );
        c.noop().unwrap();
        assert_eq!(c.poll_transmit().unwrap(), b"NOOP\r\n");
        c.uidl(None).unwrap();
        c.list(None).unwrap();
        let ev = feed(&mut c, b"+OK\r\n", bytewise).unwrap();
        assert!(matches!(
            ev[..],
            [Event::Ok {
                command: CommandKind::Noop,
                ..
            }]
        ));
        c.poll_transmit().unwrap();
        // A multi-line listing whose first entry looks like a status line is still data.
        let ev = feed(&mut c, b"+OK\r\n1 abc\r\n.\r\n", bytewise).unwrap();
        assert_eq!(
            ev,
            [
                Event::UniqueId {
                    msg: 1,
                    uid: b"abc".to_vec()
                },
                Event::ListingEnd {
                    command: CommandKind::Uidl
                }
            ]
        );
        // An empty listing.
        c.poll_transmit().unwrap();
        let ev = feed(&mut c, b"+OK 0 messages:\r\n.\r\n", bytewise).unwrap();
        assert_eq!(
            ev,
            [Event::ListingEnd {
                command: CommandKind::List
            }]
        );
    }
}

#[test]
fn bodies_are_byte_exact_unstuffed_and_chunked() {
    // Bare LF, NUL, 0xFF, trailing spaces, a leading dot, a 100 KB line, no final newline
    // issue: the server's bytes come back exactly, minus the stuffing.
    let mut stored = b"Subject: x  \r\n\r\n.dot\r\n..two\r\nbare\nlf\n\0\xff\xfe  \r\n".to_vec();
    stored.extend(std::iter::repeat_n(b'a', 100_000));
    stored.extend_from_slice(b"\r\n. \r\n.\r\nx\r\n");
    let wire = correo_wire::dot::DotEncoder::encode_all(&stored);
    // Bare LF lines are normalised by the encoder: compute what the server would send.
    let expected = correo_wire::dot::normalize_line_endings(&stored);
    for bytewise in [false, true] {
        let mut c = logged_in(
            ClientConfig {
                max_chunk: 4096,
                ..config()
            },
            bytewise,
        );
        c.retr(1).unwrap();
        c.poll_transmit().unwrap();
        let mut input = b"+OK message follows\r\n".to_vec();
        input.extend_from_slice(&wire);
        let ev = feed(&mut c, &input, bytewise).unwrap();
        assert!(
            ev.iter()
                .all(|e| !matches!(e, Event::BodyChunk(b) if b.len() > 4096 || b.is_empty()))
        );
        assert_eq!(body(&ev), expected);
        assert!(ev.contains(&Event::MessageEnd {
            msg: 1,
            size: expected.len() as u64,
            truncated: false
        }));
    }
    // Bare LF from a sloppy server is kept as is (no normalisation on the client side).
    let mut c = logged_in(config(), false);
    c.retr(2).unwrap();
    c.poll_transmit().unwrap();
    let ev = feed(&mut c, b"+OK\r\na\nb\r\n.\r\n", false).unwrap();
    assert_eq!(body(&ev), b"a\nb\r\n");
}

#[test]
fn empty_body_and_size_limit() {
    for bytewise in [false, true] {
        let mut c = logged_in(
            ClientConfig {
                max_message_size: Some(4),
                ..config()
            },
            bytewise,
        );
        c.top(1, 0).unwrap();
        c.poll_transmit().unwrap();
        let ev = feed(&mut c, b"+OK\r\n.\r\n", bytewise).unwrap();
        assert_eq!(
            ev,
            [
                Event::MessageStart {
                    command: CommandKind::Top,
                    msg: 1,
                    text: vec![]
                },
                Event::MessageEnd {
                    msg: 1,
                    size: 0,
                    truncated: false
                }
            ]
        );
        c.retr(1).unwrap();
        c.poll_transmit().unwrap();
        let ev = feed(&mut c, b"+OK\r\n123456789\r\n.\r\n", bytewise).unwrap();
        assert_eq!(body(&ev), b"1234");
        assert!(matches!(
            ev.last(),
            Some(Event::MessageEnd {
                truncated: true,
                ..
            })
        ));
    }
}

#[test]
fn deletes_are_pending_until_quit() {
    for bytewise in [false, true] {
        let mut c = logged_in(config(), bytewise);
        for n in [1, 2] {
            c.dele(n).unwrap();
            c.poll_transmit().unwrap();
            feed(&mut c, b"+OK Marked to be deleted.\r\n", bytewise).unwrap();
        }
        c.dele(9).unwrap();
        c.poll_transmit().unwrap();
        feed(&mut c, b"-ERR There's no message 9.\r\n", bytewise).unwrap();
        assert_eq!(c.pending_deletes().collect::<Vec<_>>(), [1, 2]);
        c.rset().unwrap();
        c.poll_transmit().unwrap();
        feed(&mut c, b"+OK\r\n", bytewise).unwrap();
        assert_eq!(c.pending_deletes().count(), 0);
        c.dele(3).unwrap();
        c.poll_transmit().unwrap();
        feed(&mut c, b"+OK\r\n", bytewise).unwrap();
        c.quit().unwrap();
        c.poll_transmit().unwrap();
        let ev = feed(&mut c, b"+OK Logging out.\r\n", bytewise).unwrap();
        assert_eq!(ev, [Event::Closed { deleted: vec![3] }]);
        assert_eq!(c.connection_closed(), Ok(()));

        // The connection drops before QUIT: nothing was deleted.
        let mut c = logged_in(config(), bytewise);
        c.dele(1).unwrap();
        c.poll_transmit().unwrap();
        feed(&mut c, b"+OK\r\n", bytewise).unwrap();
        assert_eq!(c.connection_closed(), Err(ClientError::UnexpectedEof));
        assert_eq!(c.poll_event(), None);
        assert_eq!(c.phase(), ClientPhase::Closed);
    }
}

#[test]
fn user_refused_drops_the_queued_pass() {
    let mut c = Client::new(config());
    c.receive(b"+OK\r\n").unwrap();
    c.login(b"nobody", b"secret").unwrap();
    assert_eq!(c.poll_transmit().unwrap(), b"USER nobody\r\n");
    c.receive(b"-ERR no such user\r\n").unwrap();
    assert_eq!(c.poll_transmit(), None, "the password is not sent");
}

#[test]
fn malformed_replies_are_typed_errors_and_close() {
    let cases: [&[u8]; 5] = [
        b"+OK 99999999999 1\r\n",             // message count overflows u32
        b"+OK 1 99999999999999999999999\r\n", // size overflows u64
        b"* OK hello\r\n",
        b"+OK\0\r\n",
        b"+OKAY\r\n",
    ];
    for bytes in cases {
        let mut c = logged_in(config(), false);
        c.stat().unwrap();
        c.poll_transmit().unwrap();
        let err = c.receive(bytes).unwrap_err();
        assert!(matches!(err, ClientError::Parse { .. }), "{err:?}");
        assert_eq!(c.phase(), ClientPhase::Closed);
        assert_eq!(c.receive(b"+OK\r\n"), Err(ClientError::Closed));
    }
    // A reply with nothing in flight.
    let mut c = logged_in(config(), false);
    assert!(matches!(
        c.receive(b"+OK surprise\r\n"),
        Err(ClientError::UnexpectedReply { .. })
    ));
    // An over-long status line.
    let mut c = logged_in(config(), false);
    c.stat().unwrap();
    let mut long = b"+OK ".to_vec();
    long.resize(20_000, b'9');
    long.extend_from_slice(b"\r\n");
    assert!(matches!(c.receive(&long), Err(ClientError::Line(_))));
}

#[test]
fn commands_check_phase() {
    let mut c = Client::new(config());
    assert!(matches!(c.stat(), Err(ClientError::WrongPhase { .. })));
    c.receive(b"+OK\r\n").unwrap();
    assert!(matches!(c.retr(1), Err(ClientError::WrongPhase { .. })));
    assert!(matches!(
        c.user(b"a\r\nDELE 1"),
        Err(ClientError::Encode(_))
    ));
    let mut c = logged_in(config(), false);
    assert!(matches!(c.user(b"u"), Err(ClientError::WrongPhase { .. })));
    assert!(matches!(c.stls(), Err(ClientError::WrongPhase { .. })));
}

/// The server's side of a session, block by block: each block answers what the client
/// sent after the previous one.
const SESSION: [&[u8]; 6] = [
    b"+OK ready <1.2@h>\r\n",
    b"+OK\r\nPIPELINING\r\nUSER\r\n.\r\n",
    b"+OK\r\n",
    b"+OK Logged in.\r\n",
    b"+OK\r\nTOP\r\nPIPELINING\r\n.\r\n",
    b"+OK 2 20\r\n+OK 2 messages:\r\n1 10\r\n2 10\r\n.\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK 10 octets\r\n..1234567\r\n.\r\n+OK\r\nhdr\r\n\r\n.\r\n+OK\r\n+OK bye\r\n",
];

fn run_session(splits: &[usize]) -> (Vec<Event>, Vec<u8>) {
    let mut c = Client::new(ClientConfig {
        allow_cleartext_login: true,
        max_chunk: 3,
        ..ClientConfig::default()
    });
    let mut events = Vec::new();
    let mut sent = Vec::new();
    let mut splits = splits.iter();
    for block in SESSION {
        let mut pos = 0;
        while pos < block.len() {
            let n = splits.next().map_or(block.len(), |s| 1 + s % block.len());
            let end = (pos + n).min(block.len());
            c.receive(&block[pos..end]).unwrap();
            pos = end;
        }
        events.extend(std::iter::from_fn(|| c.poll_event()));
        if c.phase() == ClientPhase::Authorization && c.capabilities().is_some() && !c.is_busy() {
            c.login(b"u", b"p").unwrap();
        }
        if c.phase() == ClientPhase::Transaction && c.capabilities().is_some() && !c.is_busy() {
            c.stat().unwrap();
            c.list(None).unwrap();
            c.uidl(None).unwrap();
            c.retr(1).unwrap();
            c.top(2, 0).unwrap();
            c.dele(2).unwrap();
            c.quit().unwrap();
        }
        while let Some(out) = c.poll_transmit() {
            sent.extend_from_slice(&out);
        }
    }
    let events = events
        .into_iter()
        .filter(|e| !matches!(e, Event::BodyChunk(_)))
        .collect();
    (events, sent)
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events(splits in proptest::collection::vec(any::<usize>(), 0..12)) {
        let reference = run_session(&[]);
        prop_assert!(reference.0.contains(&Event::Closed { deleted: vec![2] }), "{:?}", reference);
        prop_assert_eq!(
            &reference.1[..],
            &b"CAPA\r\nUSER u\r\nPASS p\r\nCAPA\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 2 0\r\nDELE 2\r\nQUIT\r\n"[..]
        );
        prop_assert_eq!(run_session(&splits), reference);
    }
}
