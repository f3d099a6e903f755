//! Server state machine behaviour, each fed whole and one byte at a time.

use correo_pop3::codec::ResponseCode;
use correo_pop3::server::{Deleted, Event, MessageInfo, Server, ServerConfig, ServerPhase};
use correo_wire::sasl::Mechanism;

const MSG1: &[u8] = b"Subject: one\r\nFrom: a@b\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n";
/// Stored with bare LF (Maildir style), with lines that start with dots.
const MSG2: &[u8] = b"Subject: two\n\n.\n..x\nend";
const MSG3: &[u8] = b"Subject: three\r\n\r\nbody\r\n";

fn maildrop() -> Vec<MessageInfo> {
    [MSG1, MSG2, MSG3]
        .iter()
        .enumerate()
        .map(|(i, m)| MessageInfo {
            size: correo_wire::dot::normalize_line_endings(m).len() as u64,
            uid: format!("uid-{}", i + 1).into_bytes(),
        })
        .collect()
}

fn config() -> ServerConfig {
    ServerConfig {
        allow_cleartext_login: true,
        stls: true,
        ..ServerConfig::default()
    }
}

/// Feeds `input`, answers events like a simple application, returns what the server sent.
fn exchange(s: &mut Server, input: &[u8], bytewise: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let pieces: Vec<&[u8]> = if bytewise {
        input.chunks(1).collect()
    } else {
        vec![input]
    };
    for p in pieces {
        if s.receive(p).is_err() {
            break;
        }
        answer(s);
        while let Some(o) = s.poll_transmit() {
            out.extend_from_slice(&o);
        }
    }
    out
}

fn answer(s: &mut Server) {
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::CheckPassword { password, .. } => {
                if password == b"secret" {
                    s.accept_login(maildrop()).unwrap();
                } else {
                    s.reject_login(Some(ResponseCode::Auth), b"").unwrap();
                }
            }
            Event::Retrieve { msg, .. } => {
                let m = [MSG1, MSG2, MSG3][msg as usize - 1];
                // In small pieces, to check the streaming.
                for part in m.chunks(3) {
                    if !s.wants_message_data() {
                        break;
                    }
                    s.message_data(part).unwrap();
                }
                s.message_end().unwrap();
            }
            Event::Update { .. } => s.update_complete(true).unwrap(),
            _ => {}
        }
    }
}

fn logged_in(bytewise: bool) -> Server {
    let mut s = Server::new(config());
    s.poll_transmit().unwrap();
    let out = exchange(&mut s, b"USER alice\r\nPASS secret\r\n", bytewise);
    assert_eq!(out, b"+OK\r\n+OK Logged in.\r\n");
    assert_eq!(s.phase(), ServerPhase::Transaction);
    s
}

#[test]
fn greeting_with_apop_timestamp() {
    let mut s = Server::new(ServerConfig {
        greeting: b"Dovecot ready.".to_vec(),
        apop_timestamp: Some(b"<1.2@host>".to_vec()),
        ..ServerConfig::default()
    });
    assert_eq!(
        s.poll_transmit().unwrap(),
        b"+OK Dovecot ready. <1.2@host>\r\n"
    );
    for bytewise in [false, true] {
        let mut s = Server::new(ServerConfig {
            apop_timestamp: Some(b"<1.2@host>".to_vec()),
            ..ServerConfig::default()
        });
        s.poll_transmit();
        let input: &[u8] = b"APOP bob 0123456789abcdef0123456789abcdef\r\n";
        let pieces: Vec<&[u8]> = if bytewise {
            input.chunks(1).collect()
        } else {
            vec![input]
        };
        for p in pieces {
            s.receive(p).unwrap();
        }
        let ev = s.poll_event().unwrap();
        assert_eq!(
            ev,
            Event::CheckApop {
                user: b"bob".to_vec(),
                digest: b"0123456789abcdef0123456789abcdef".to_vec(),
                timestamp: b"<1.2@host>".to_vec()
            }
        );
        s.reject_login(Some(ResponseCode::Auth), b"").unwrap();
        assert_eq!(
            s.poll_transmit().unwrap(),
            b"-ERR [AUTH] Authentication failed.\r\n"
        );
    }
}

#[test]
fn pre_auth_command_set_is_restricted() {
    for bytewise in [false, true] {
        let mut s = Server::new(ServerConfig {
            max_failures: 10,
            ..config()
        });
        s.poll_transmit();
        for cmd in [
            "STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 0", "RSET", "NOOP",
        ] {
            let out = exchange(&mut s, format!("{cmd}\r\n").as_bytes(), bytewise);
            assert!(
                out.starts_with(b"-ERR"),
                "{cmd}: {}",
                String::from_utf8_lossy(&out)
            );
        }
        assert_eq!(s.phase(), ServerPhase::Authorization);
        assert_eq!(
            exchange(&mut s, b"PASS secret\r\n", bytewise),
            b"-ERR No username given.\r\n"
        );
        assert_eq!(s.poll_event(), None, "no login without USER");
    }
}

#[test]
fn failure_limit_closes_the_session() {
    for bytewise in [false, true] {
        let mut s = Server::new(config());
        s.poll_transmit();
        let out = exchange(
            &mut s,
            b"USER a\r\nPASS x\r\nUSER a\r\nPASS y\r\nUSER a\r\nPASS z\r\nUSER a\r\nPASS secret\r\n",
            bytewise,
        );
        let text = String::from_utf8_lossy(&out);
        assert_eq!(
            text.matches("-ERR [AUTH] Authentication failed.").count(),
            3,
            "{text}"
        );
        assert!(
            text.ends_with("-ERR Too many failures, closing.\r\n"),
            "{text}"
        );
        assert_eq!(s.phase(), ServerPhase::Closed);
        assert!(s.receive(b"USER a\r\n").is_err());
    }
}

#[test]
fn line_limit_before_auth_is_tighter() {
    for bytewise in [false, true] {
        let mut s = Server::new(config());
        s.poll_transmit();
        let mut long = b"USER ".to_vec();
        long.resize(2000, b'a');
        long.extend_from_slice(b"\r\n");
        let out = exchange(&mut s, &long, bytewise);
        assert_eq!(out, b"-ERR Line too long.\r\n");
        // After login, the same length is fine (here: an unknown but parseable command).
        let mut s = logged_in(bytewise);
        let mut long = b"NOOP".to_vec();
        long.resize(2000, b' ');
        long.extend_from_slice(b"\r\n");
        assert_eq!(exchange(&mut s, &long, bytewise), b"+OK\r\n");
    }
}

#[test]
fn deleted_messages_are_hidden_and_restored_by_rset() {
    for bytewise in [false, true] {
        let mut s = logged_in(bytewise);
        let sizes: Vec<u64> = maildrop().iter().map(|m| m.size).collect();
        let total: u64 = sizes.iter().sum();
        assert_eq!(
            exchange(&mut s, b"STAT\r\n", bytewise),
            format!("+OK 3 {total}\r\n").as_bytes()
        );
        assert_eq!(
            exchange(&mut s, b"DELE 2\r\n", bytewise),
            b"+OK Marked to be deleted.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"DELE 2\r\n", bytewise),
            b"-ERR Message is deleted.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"STAT\r\n", bytewise),
            format!("+OK 2 {}\r\n", total - sizes[1]).as_bytes()
        );
        assert_eq!(
            exchange(&mut s, b"LIST\r\n", bytewise),
            format!(
                "+OK 2 messages:\r\n1 {}\r\n3 {}\r\n.\r\n",
                sizes[0], sizes[2]
            )
            .as_bytes()
        );
        assert_eq!(
            exchange(&mut s, b"UIDL\r\n", bytewise),
            b"+OK\r\n1 uid-1\r\n3 uid-3\r\n.\r\n"
        );
        for cmd in ["LIST 2", "UIDL 2", "RETR 2", "TOP 2 0"] {
            assert_eq!(
                exchange(&mut s, format!("{cmd}\r\n").as_bytes(), bytewise),
                b"-ERR Message is deleted.\r\n",
                "{cmd}"
            );
        }
        assert_eq!(
            exchange(&mut s, b"RETR 4\r\n", bytewise),
            b"-ERR There's no message 4.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"RETR 0\r\n", bytewise),
            b"-ERR There's no message 0.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"RETR 99999999999\r\n", bytewise),
            b"-ERR Invalid message number.\r\n"
        );
        assert_eq!(exchange(&mut s, b"RSET\r\n", bytewise), b"+OK\r\n");
        assert_eq!(
            exchange(&mut s, b"STAT\r\n", bytewise),
            format!("+OK 3 {total}\r\n").as_bytes()
        );
        assert_eq!(
            exchange(&mut s, b"UIDL 2\r\n", bytewise),
            b"+OK 2 uid-2\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"LIST 2\r\n", bytewise),
            format!("+OK 2 {}\r\n", sizes[1]).as_bytes()
        );
    }
}

#[test]
fn update_only_after_quit_in_transaction() {
    for bytewise in [false, true] {
        // QUIT with deletions: the application is asked to delete, then +OK.
        let mut s = logged_in(bytewise);
        exchange(&mut s, b"DELE 1\r\nDELE 3\r\n", bytewise);
        s.receive(b"QUIT\r\n").unwrap();
        assert_eq!(
            s.poll_event(),
            Some(Event::Update {
                deleted: vec![
                    Deleted {
                        msg: 1,
                        uid: b"uid-1".to_vec()
                    },
                    Deleted {
                        msg: 3,
                        uid: b"uid-3".to_vec()
                    }
                ]
            })
        );
        assert_eq!(s.phase(), ServerPhase::Update);
        s.update_complete(false).unwrap();
        assert_eq!(
            s.poll_transmit().unwrap(),
            b"-ERR [SYS/TEMP] Some deleted messages were not removed.\r\n"
        );
        assert_eq!(s.poll_event(), Some(Event::Closed));

        // A dropped connection deletes nothing.
        let mut s = logged_in(bytewise);
        exchange(&mut s, b"DELE 1\r\n", bytewise);
        s.connection_closed();
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.marked_deleted().count(), 0);
        assert_eq!(s.phase(), ServerPhase::Closed);

        // QUIT in AUTHORIZATION: no UPDATE.
        let mut s = Server::new(config());
        s.poll_transmit();
        assert_eq!(
            exchange(&mut s, b"QUIT\r\n", bytewise),
            b"+OK Logging out.\r\n"
        );
        assert_eq!(s.phase(), ServerPhase::Closed);
    }
}

#[test]
fn top_gives_header_blank_line_and_n_lines() {
    for bytewise in [false, true] {
        let mut s = logged_in(bytewise);
        assert_eq!(
            exchange(&mut s, b"TOP 1 0\r\n", bytewise),
            b"+OK\r\nSubject: one\r\nFrom: a@b\r\n\r\n.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"TOP 1 2\r\n", bytewise),
            b"+OK\r\nSubject: one\r\nFrom: a@b\r\n\r\nline 1\r\n..line 2\r\n.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"TOP 1 100\r\n", bytewise),
            b"+OK\r\nSubject: one\r\nFrom: a@b\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n"
        );
        // Bare-LF storage: same shape, CRLF on the wire.
        assert_eq!(
            exchange(&mut s, b"TOP 2 0\r\n", bytewise),
            b"+OK\r\nSubject: two\r\n\r\n.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"TOP 2 1\r\n", bytewise),
            b"+OK\r\nSubject: two\r\n\r\n..\r\n.\r\n"
        );
    }
}

#[test]
fn retr_is_dot_stuffed_even_for_bare_lf_storage() {
    for bytewise in [false, true] {
        let mut s = logged_in(bytewise);
        let size = maildrop()[1].size;
        assert_eq!(
            exchange(&mut s, b"RETR 2\r\n", bytewise),
            format!("+OK {size} octets\r\nSubject: two\r\n\r\n..\r\n...x\r\nend\r\n.\r\n")
                .as_bytes()
        );
        assert_eq!(
            exchange(&mut s, b"RETR 1\r\n", bytewise),
            b"+OK 52 octets\r\nSubject: one\r\nFrom: a@b\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n"
        );
    }
}

#[test]
fn message_unavailable_and_answer_misuse() {
    let mut s = logged_in(false);
    assert!(s.message_data(b"x").is_err());
    assert!(s.accept_login(maildrop()).is_err());
    assert!(s.update_complete(true).is_err());
    s.receive(b"RETR 1\r\nNOOP\r\n").unwrap();
    assert!(matches!(
        s.poll_event(),
        Some(Event::Retrieve {
            msg: 1,
            top: None,
            ..
        })
    ));
    // The pipelined NOOP waits for the message.
    assert_eq!(s.poll_transmit(), None);
    s.message_unavailable(b"Cannot read the message.").unwrap();
    assert_eq!(
        s.poll_transmit().unwrap(),
        b"-ERR [SYS/TEMP] Cannot read the message.\r\n+OK\r\n"
    );
}

#[test]
fn pipelined_commands_wait_for_answers_in_order() {
    for bytewise in [false, true] {
        let mut s = Server::new(config());
        s.poll_transmit();
        let out = exchange(
            &mut s,
            b"USER alice\r\nPASS secret\r\nSTAT\r\nRETR 3\r\nDELE 3\r\nQUIT\r\n",
            bytewise,
        );
        let total: u64 = maildrop().iter().map(|m| m.size).sum();
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!(
                "+OK\r\n+OK Logged in.\r\n+OK 3 {total}\r\n+OK 24 octets\r\nSubject: three\r\n\r\nbody\r\n.\r\n+OK Marked to be deleted.\r\n+OK Logging out.\r\n"
            )
        );
    }
}

#[test]
fn stls_only_before_login_and_discards_what_follows() {
    for bytewise in [false, true] {
        let mut s = Server::new(config());
        s.poll_transmit();
        // A command injected after STLS in the same segment, plus a partial line.
        let r = {
            let mut r = Ok(());
            let input: &[u8] = b"STLS\r\nUSER evil\r\nPASS x\r\nRE";
            let pieces: Vec<&[u8]> = if bytewise {
                input.chunks(1).collect()
            } else {
                vec![input]
            };
            for p in pieces {
                r = s.receive(p);
                if r.is_err() {
                    break;
                }
            }
            r
        };
        if bytewise {
            assert!(
                r.is_err(),
                "bytes after STLS before the handshake are refused"
            );
        }
        assert_eq!(
            s.poll_transmit().unwrap(),
            b"+OK Begin TLS negotiation now.\r\n"
        );
        assert_eq!(s.poll_event(), Some(Event::StartTls));
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.phase(), ServerPhase::TlsHandshake);
        s.tls_established().unwrap();
        assert!(s.is_tls());
        assert_eq!(s.poll_transmit(), None, "nothing injected was answered");
        // Inside TLS: no second STLS, and CAPA no longer offers it.
        assert_eq!(
            exchange(&mut s, b"STLS\r\n", bytewise),
            b"-ERR TLS is not available.\r\n"
        );
        let capa = exchange(&mut s, b"CAPA\r\n", bytewise);
        assert!(!String::from_utf8_lossy(&capa).contains("STLS"));
        // After login: not allowed either.
        let mut s = logged_in(bytewise);
        assert_eq!(
            exchange(&mut s, b"STLS\r\n", bytewise),
            b"-ERR STLS is only valid before login.\r\n"
        );
    }
}

#[test]
fn no_plaintext_login_without_tls_unless_allowed() {
    for bytewise in [false, true] {
        let mut s = Server::new(ServerConfig {
            stls: true,
            ..ServerConfig::default()
        });
        s.poll_transmit();
        let capa = exchange(&mut s, b"CAPA\r\n", bytewise);
        assert_eq!(
            capa,
            b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n.\r\n"
        );
        assert!(exchange(&mut s, b"USER a\r\n", bytewise).starts_with(b"-ERR [AUTH] Plaintext"));
        assert_eq!(
            exchange(&mut s, b"AUTH PLAIN AGEAYg==\r\n", bytewise),
            b"-ERR Unsupported authentication mechanism.\r\n"
        );
    }
}

#[test]
fn sasl_plain_login_and_cancel() {
    for bytewise in [false, true] {
        let mut s = Server::new(ServerConfig {
            mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            max_failures: 10,
            ..config()
        });
        s.poll_transmit();
        // SASL-IR.
        let out = exchange(&mut s, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", bytewise);
        assert_eq!(out, b"+OK Logged in.\r\n");
        // Continuations, then cancel.
        let mut s = Server::new(ServerConfig {
            mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            ..config()
        });
        s.poll_transmit();
        assert_eq!(
            exchange(&mut s, b"AUTH LOGIN\r\n", bytewise),
            b"+ VXNlcm5hbWU6\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"YWxpY2U=\r\n", bytewise),
            b"+ UGFzc3dvcmQ6\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"*\r\n", bytewise),
            b"-ERR Authentication aborted by client.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"AUTH LOGIN\r\n", bytewise),
            b"+ VXNlcm5hbWU6\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"YWxpY2U=\r\n", bytewise),
            b"+ UGFzc3dvcmQ6\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"c2VjcmV0\r\n", bytewise),
            b"+OK Logged in.\r\n"
        );
        assert_eq!(
            exchange(&mut s, b"AUTH X-UNKNOWN\r\n", bytewise),
            b"-ERR Unknown command.\r\n"
        );
    }
}

#[test]
fn capa_lists_extra_capabilities_and_parses_back() {
    let mut s = Server::new(ServerConfig {
        implementation: Some(b"correo".to_vec()),
        extra_capabilities: vec![
            b"EXPIRE NEVER".to_vec(),
            b"LOGIN-DELAY 900".to_vec(),
            b"UTF8".to_vec(),
        ],
        ..config()
    });
    s.poll_transmit();
    let out = exchange(&mut s, b"CAPA\r\n", false);
    let mut c = correo_pop3::client::Client::new(correo_pop3::client::ClientConfig::default());
    c.receive(b"+OK\r\n").unwrap();
    c.poll_transmit().unwrap();
    c.receive(&out).unwrap();
    let caps = c.capabilities().unwrap();
    use correo_pop3::codec::{Capability, Expire};
    assert!(caps.has(|k| *k
        == Capability::Expire {
            policy: Expire::Never,
            per_user: false
        }));
    assert!(caps.has(|k| *k
        == Capability::LoginDelay {
            seconds: 900,
            per_user: false
        }));
    assert!(caps.has(|k| *k == Capability::Utf8 { user: false }));
    assert!(caps.has(|k| *k == Capability::Implementation(b"correo")));
    assert!(caps.stls() && caps.user() && caps.pipelining());
    assert_eq!(
        caps.sasl_mechanisms(),
        vec![b"PLAIN".to_vec(), b"LOGIN".to_vec()]
    );
}

#[test]
fn an_invalid_apop_timestamp_disables_apop() {
    let mut s = Server::new(ServerConfig {
        greeting: b"ready".to_vec(),
        apop_timestamp: Some(b"<not a msg-id>".to_vec()),
        ..config()
    });
    assert_eq!(s.poll_transmit().unwrap(), b"+OK ready\r\n");
    assert_eq!(
        exchange(
            &mut s,
            b"APOP bob 0123456789abcdef0123456789abcdef\r\n",
            false
        ),
        b"-ERR APOP is not available.\r\n"
    );
}
