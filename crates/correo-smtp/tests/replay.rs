//! Replays of real sessions (Postfix, Dovecot LMTP, Gmail, the seeds' lab sessions) on both
//! machines: the server fed the client's bytes must answer like the real server (byte for
//! byte where the real server was Postfix with the same configuration); the client fed the
//! server's bytes must send the same commands and bodies. Input is fed as recorded, whole,
//! one byte at a time, and (for short sessions) split at every offset.

mod common;

use common::*;
use correo_smtp::client::{Credentials, Recipient};
use correo_smtp::server::{AuthRequest, Extensions};
use correo_smtp::*;
use correo_wire::sasl::Mechanism;

// ---------------------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------------------

fn postfix_config() -> ServerConfig {
    let mut c = ServerConfig {
        hostname: "mail.example.test".into(),
        greeting: "ESMTP Postfix".into(),
        starttls: true,
        auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5],
        auth_without_tls: true,
        max_message_size: Some(52_428_800),
        extensions: Extensions {
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            binarymime: false,
            dsn: true,
            enhanced_status_codes: true,
            vrfy: true,
            expn: false,
            etrn: true,
            help: false,
            requiretls: false,
            ..Extensions::default()
        },
        ..ServerConfig::default()
    };
    c.sasl.cram_challenge = Some("<6030993371155739.1795389645@vm>".into());
    c
}

fn lab_postfix(hostname: &str, greeting: &str) -> ServerConfig {
    let mut c = postfix_config();
    c.hostname = hostname.into();
    c.greeting = greeting.into();
    c.auth_mechanisms.clear();
    c.max_message_size = Some(10_240_000);
    c.extensions.smtputf8 = false;
    c
}

/// Feeds `pieces` to a server, answering every decision with the reply the real server
/// gave at that point. Returns everything the server sent, and its events.
fn drive_server(
    config: ServerConfig,
    pieces: &[&[u8]],
    expected: &[Reply<'static>],
) -> (Vec<u8>, Vec<ServerEvent>) {
    let mut s = Server::new(config);
    let mut out = Vec::new();
    let mut events = Vec::new();
    let next = |out: &[u8]| expected[replies(out).len()].clone();
    for piece in pieces {
        s.receive(piece);
        loop {
            while let Some(b) = s.poll_transmit() {
                out.extend_from_slice(&b);
            }
            let Some(ev) = s.poll_event() else { break };
            match &ev {
                ServerEvent::MailFrom { .. }
                | ServerEvent::RcptTo { .. }
                | ServerEvent::DataEnd { .. }
                | ServerEvent::Vrfy(_)
                | ServerEvent::Expn(_)
                | ServerEvent::Etrn(_) => {
                    while s.is_waiting() {
                        while let Some(b) = s.poll_transmit() {
                            out.extend_from_slice(&b);
                        }
                        let r = next(&out);
                        s.respond(r);
                    }
                }
                ServerEvent::Auth(AuthRequest::CramSecret { username }) => {
                    assert_eq!(username, "alice");
                    s.auth_cram_secret(b"secret");
                }
                ServerEvent::Auth(_) => {
                    let r = next(&out);
                    if r.code == ReplyCode::AUTH_OK {
                        s.accept();
                    } else {
                        s.reject(r);
                    }
                }
                _ => {}
            }
            events.push(ev);
        }
    }
    (out, events)
}

fn all_splits(chunks: &[(Dir, Vec<u8>)]) -> Vec<Vec<Vec<u8>>> {
    let c: Vec<&Vec<u8>> = chunks
        .iter()
        .filter(|(d, _)| *d == Dir::C)
        .map(|(_, b)| b)
        .collect();
    let whole = side(chunks, Dir::C);
    let mut ways: Vec<Vec<Vec<u8>>> = vec![
        c.iter().map(|b| (*b).clone()).collect(),
        vec![whole.clone()],
        whole.chunks(1).map(<[u8]>::to_vec).collect(),
    ];
    if whole.len() <= 1500 {
        for i in 1..whole.len() {
            ways.push(vec![whole[..i].to_vec(), whole[i..].to_vec()]);
        }
    } else {
        for i in (1..whole.len()).step_by(97) {
            ways.push(vec![whole[..i].to_vec(), whole[i..].to_vec()]);
        }
    }
    ways
}

/// The server must answer exactly like Postfix did.
fn server_exact(name: &str, chunks: &[(Dir, Vec<u8>)], config: &ServerConfig) {
    let expected_bytes = side(chunks, Dir::S);
    let expected = replies(&expected_bytes);
    let expected_text: Vec<u8> = expected.iter().flat_map(Reply::to_bytes).collect();
    for (i, way) in all_splits(chunks).iter().enumerate() {
        let pieces: Vec<&[u8]> = way.iter().map(Vec::as_slice).collect();
        let (out, events) = drive_server(config.clone(), &pieces, &expected);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected_text),
            "{name}: split #{i}"
        );
        let messages = events
            .iter()
            .filter(|e| matches!(e, ServerEvent::DataEnd { .. }))
            .count();
        let expected_messages = expected
            .iter()
            .filter(|r| {
                r.code.is_positive() && r.text().contains("queued") || r.text().contains("Saved")
            })
            .count();
        assert_eq!(messages, expected_messages, "{name}: split #{i}");
    }
}

/// The server must answer with the same codes as the real server (another brand).
fn server_codes(name: &str, chunks: &[(Dir, Vec<u8>)], config: &ServerConfig) {
    let expected = replies(&side(chunks, Dir::S));
    for (i, way) in all_splits(chunks).iter().enumerate() {
        let pieces: Vec<&[u8]> = way.iter().map(Vec::as_slice).collect();
        let (out, _) = drive_server(config.clone(), &pieces, &expected);
        let got: Vec<u16> = replies(&out).iter().map(|r| r.code.get()).collect();
        let want: Vec<u16> = expected.iter().map(|r| r.code.get()).collect();
        assert_eq!(got, want, "{name}: split #{i}");
    }
}

#[test]
fn server_replays_postfix_transcripts() {
    for name in [
        "smtp-curl.jsonl",
        "smtp-raw-pipelining-bdat-smtputf8.jsonl",
        "smtp-smtplib-auth.jsonl",
        "smtp-smtplib-rejects.jsonl",
        "smtp-swaks-auth-login-attach.jsonl",
    ] {
        server_exact(name, &load_jsonl(name), &postfix_config());
    }
}

#[test]
fn server_replays_seed_postfix_sessions() {
    server_exact(
        "seed-uc3m-postfix-telnet",
        &load_txt("seed-uc3m-postfix-telnet.txt"),
        &lab_postfix("vit125.lab.it.uc3m.es", "ESMTP Postfix"),
    );
    server_exact(
        "seed-unlp-thunderbird",
        &load_txt("seed-unlp-thunderbird.txt"),
        &lab_postfix("mail.redes.unlp.edu.ar", "ESMTP Postfix (Lihuen-4.01/GNU)"),
    );
}

#[test]
fn server_replays_other_servers_by_code() {
    let mut gmail = ServerConfig {
        hostname: "smtp.gmail.com".into(),
        starttls: true,
        require_tls: true,
        ..ServerConfig::default()
    };
    server_codes(
        "seed-gmail-587",
        &load_txt("seed-gmail-587-starttls-required.txt"),
        &gmail,
    );
    gmail.require_tls = false;
    gmail.implicit_tls = true;
    gmail.auth_mechanisms = vec![Mechanism::Login, Mechanism::Plain];
    server_codes(
        "seed-gmail-465",
        &load_txt("seed-gmail-465-auth-login.txt"),
        &gmail,
    );
    server_codes(
        "seed-pepito",
        &load_txt("seed-pepito-helo.txt"),
        &ServerConfig::default(),
    );
    server_codes(
        "seed-hamburger",
        &load_txt("seed-hamburger-helo.txt"),
        &ServerConfig::default(),
    );
    let dovecot = ServerConfig {
        hostname: "mail.example.test".into(),
        lmtp: true,
        starttls: true,
        max_message_size: None,
        ..ServerConfig::default()
    };
    server_codes("lmtp-smtplib", &load_jsonl("lmtp-smtplib.jsonl"), &dovecot);
}

#[test]
fn server_starttls_transcript_discards_tls_bytes() {
    let chunks = load_jsonl("smtp-starttls.jsonl");
    let s_bytes = side(&chunks, Dir::S);
    let expected = replies(&s_bytes);
    assert_eq!(expected.last().unwrap().code, ReplyCode::SERVICE_READY);
    for (i, way) in all_splits(&chunks).iter().enumerate().take(40) {
        let pieces: Vec<&[u8]> = way.iter().map(Vec::as_slice).collect();
        let (out, events) = drive_server(postfix_config(), &pieces, &expected);
        // Every plaintext reply, then nothing: the TLS bytes were never read as commands.
        let text: Vec<u8> = expected.iter().flat_map(Reply::to_bytes).collect();
        assert_eq!(out, text, "split #{i}");
        assert!(events.contains(&ServerEvent::StartTls));
        let discarded: usize = events
            .iter()
            .map(|e| match e {
                ServerEvent::Error(server::ServerError::DiscardedBeforeTls(n)) => *n,
                _ => 0,
            })
            .sum();
        let tls_bytes: usize =
            side(&chunks, Dir::C).len() - b"ehlo client.example.org\r\nSTARTTLS\r\n".len();
        assert_eq!(discarded, tls_bytes, "split #{i}");
    }
}

// ---------------------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------------------

/// What the test driver does when the client asks.
struct Script {
    envelopes: Vec<Envelope>,
    /// Body pieces per envelope (sent with `last` on the final one).
    bodies: Vec<Vec<Vec<u8>>>,
    /// `BDAT` per envelope.
    chunking: Vec<bool>,
}

fn drive_client(
    mut config: ClientConfig,
    chunks: &[(Dir, Vec<u8>)],
    script: &Script,
    split: Split,
) -> (Vec<u8>, Vec<ClientEvent>) {
    config.chunking = script.chunking.first().copied().unwrap_or(false);
    let mut c = Client::new(config.clone());
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut n = 0;
    let pump = |c: &mut Client, out: &mut Vec<u8>, events: &mut Vec<ClientEvent>, n: &mut usize| loop {
        while let Some(b) = c.poll_transmit() {
            out.extend_from_slice(&b);
        }
        let Some(ev) = c.poll_event() else { break };
        match &ev {
            ClientEvent::Ready(_) | ClientEvent::TransactionDone { .. } => {
                if *n < script.envelopes.len() {
                    if let Some(&ch) = script.chunking.get(*n) {
                        c.set_chunking(ch);
                    }
                    c.send_mail(script.envelopes[*n].clone()).unwrap();
                    *n += 1;
                } else {
                    c.quit();
                }
            }
            ClientEvent::SendBody => {
                let pieces = &script.bodies[*n - 1];
                for (i, p) in pieces.iter().enumerate() {
                    c.send_body(p, i + 1 == pieces.len()).unwrap();
                }
            }
            _ => {}
        }
        events.push(ev);
    };
    for (dir, bytes) in chunks {
        if *dir == Dir::S {
            for piece in cut(bytes, split) {
                c.receive(piece);
                pump(&mut c, &mut out, &mut events, &mut n);
            }
        }
    }
    pump(&mut c, &mut out, &mut events, &mut n);
    (out, events)
}

fn client_matches(
    name: &str,
    chunks: &[(Dir, Vec<u8>)],
    config: &ClientConfig,
    script: &Script,
) -> Vec<ClientEvent> {
    let want = canonical(&side(chunks, Dir::C));
    let mut last = Vec::new();
    for split in [
        Split::Recorded,
        Split::ByteByByte,
        Split::At(1),
        Split::At(5),
        Split::At(13),
        Split::At(40),
    ] {
        let (out, events) = drive_client(config.clone(), chunks, script, split);
        assert_eq!(
            canonical(&out),
            want,
            "{name}: {split:?}\n{}",
            String::from_utf8_lossy(&out)
        );
        assert!(
            !events.iter().any(|e| matches!(e, ClientEvent::Error(_))) || name.contains("starttls"),
            "{name}: {events:?}"
        );
        last = events;
    }
    last
}

fn mbox(s: &str) -> Mailbox<'static> {
    Mailbox::parse(s).unwrap().into_owned()
}

fn env(from: &str, to: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(mbox(from)),
        to.iter().map(|t| ForwardPath::Mailbox(mbox(t))).collect(),
    )
}

fn cfg(helo: &str) -> ClientConfig {
    let helo = match Command::parse(format!("EHLO {helo}").as_bytes(), &ParseOptions::default())
        .unwrap()
    {
        Command::Ehlo(h) => h.into_owned(),
        _ => unreachable!(),
    };
    ClientConfig {
        helo,
        tls: TlsMode::None,
        ..ClientConfig::default()
    }
}

fn delivered(events: &[ClientEvent]) -> usize {
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::TransactionDone {
                    delivered: true,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn client_replays_curl() {
    let chunks = load_jsonl("smtp-curl.jsonl");
    let body = first_body(&side(&chunks, Dir::C));
    let mut e = env("sender@example.org", &["alice@localhost", "bob@localhost"]);
    e.size = Some(192);
    let script = Script {
        envelopes: vec![e],
        bodies: vec![vec![body]],
        chunking: vec![false],
    };
    let events = client_matches("smtp-curl", &chunks, &cfg("m2.eml"), &script);
    assert_eq!(delivered(&events), 1);
}

#[test]
fn client_replays_smtplib_cram_md5() {
    let chunks = load_jsonl("smtp-smtplib-auth.jsonl");
    let body = first_body(&side(&chunks, Dir::C));
    let mut e = env("tester@example.org", &["alice@localhost"]);
    e.size = Some(9552);
    let mut config = cfg("client.example.org");
    config.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
        mechanisms: vec![Mechanism::CramMd5],
        allow_cleartext: false,
        scram_nonce: None,
    });
    // The body goes in three pieces, to exercise streaming dot-stuffing.
    let (a, rest) = body.split_at(1000);
    let (b, c) = rest.split_at(3333);
    let script = Script {
        envelopes: vec![e],
        bodies: vec![vec![a.to_vec(), b.to_vec(), c.to_vec()]],
        chunking: vec![false],
    };
    let events = client_matches("smtp-smtplib-auth", &chunks, &config, &script);
    assert!(events.contains(&ClientEvent::Authenticated));
    assert_eq!(delivered(&events), 1);
}

#[test]
fn client_replays_swaks_auth_login() {
    let chunks = load_jsonl("smtp-swaks-auth-login-attach.jsonl");
    let body = first_body(&side(&chunks, Dir::C));
    let mut config = cfg("swaks.example.org");
    config.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
        mechanisms: vec![Mechanism::Login],
        allow_cleartext: true,
        scram_nonce: None,
    });
    let script = Script {
        envelopes: vec![env("swaks@example.org", &["bob@localhost"])],
        bodies: vec![vec![body]],
        chunking: vec![false],
    };
    let events = client_matches("swaks", &chunks, &config, &script);
    assert_eq!(delivered(&events), 1);
}

#[test]
fn client_refuses_cleartext_login_without_tls() {
    let chunks = load_jsonl("smtp-swaks-auth-login-attach.jsonl");
    let mut config = cfg("swaks.example.org");
    config.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
        mechanisms: vec![Mechanism::Login, Mechanism::Plain],
        allow_cleartext: false,
        scram_nonce: None,
    });
    let script = Script {
        envelopes: vec![],
        bodies: vec![],
        chunking: vec![],
    };
    let (out, events) = drive_client(config, &chunks[..3], &script, Split::Recorded);
    assert_eq!(out, b"EHLO swaks.example.org\r\nQUIT\r\n");
    assert!(events.contains(&ClientEvent::Error(client::ClientError::NoAuthMechanism)));
}

#[test]
fn client_replays_pipelining_bdat_smtputf8() {
    let chunks = load_jsonl("smtp-raw-pipelining-bdat-smtputf8.jsonl");
    let c_side = side(&chunks, Dir::C);
    let items = canonical(&c_side);
    let chunk_bytes: Vec<Vec<u8>> = items
        .iter()
        .filter_map(|i| match i {
            Item::Chunk(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let body2 = first_body(&c_side);
    let mut e1 = env(
        "raw@example.org",
        &[
            "alice@localhost",
            "nobody@elsewhere.example",
            "bob@localhost",
        ],
    );
    e1.body = BodyType::EightBitMime;
    let e2 = env("josé@example.org", &["alice@localhost"]);
    let script = Script {
        envelopes: vec![e1, e2],
        bodies: vec![chunk_bytes, vec![body2]],
        chunking: vec![true, false],
    };
    let events = client_matches("raw-pipelining", &chunks, &cfg("raw.example.org"), &script);
    assert_eq!(delivered(&events), 2);
    let accepted: Vec<Vec<usize>> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::TransactionDone { accepted, .. } => Some(accepted.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(accepted, vec![vec![0, 2], vec![0]]);
}

#[test]
fn client_replays_lmtp() {
    let chunks = load_jsonl("lmtp-smtplib.jsonl");
    let body = first_body(&side(&chunks, Dir::C));
    let mut config = cfg("mx.example.test");
    config.lmtp = true;
    let script = Script {
        envelopes: vec![env(
            "lmtp@example.org",
            &["alice@localhost", "nosuchuser@localhost"],
        )],
        bodies: vec![vec![body]],
        chunking: vec![false],
    };
    let events = client_matches("lmtp", &chunks, &config, &script);
    let results: Vec<(Option<usize>, u16)> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::MessageResult { recipient, reply } => Some((*recipient, reply.code.get())),
            _ => None,
        })
        .collect();
    assert_eq!(results, vec![(Some(0), 250)]);
    assert_eq!(delivered(&events), 1);
}

#[test]
fn client_replays_starttls_and_drops_tls_bytes() {
    let chunks = load_jsonl("smtp-starttls.jsonl");
    let mut config = cfg("client.example.org");
    config.tls = TlsMode::Required;
    let script = Script {
        envelopes: vec![],
        bodies: vec![],
        chunking: vec![],
    };
    let want = b"EHLO client.example.org\r\nSTARTTLS\r\n".to_vec();
    for split in [Split::Recorded, Split::ByteByByte, Split::At(3)] {
        let (out, events) = drive_client(config.clone(), &chunks, &script, split);
        assert_eq!(out, want, "{split:?}");
        assert!(events.contains(&ClientEvent::StartTls));
        // The server's TLS records were never read as replies.
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ClientEvent::Reply(_) | ClientEvent::Closed))
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ClientEvent::Error(client::ClientError::DataBeforeTls(_))))
        );
    }
}

#[test]
fn client_replays_seed_sessions() {
    let chunks = load_txt("seed-uc3m-postfix-telnet.txt");
    let body = first_body(&side(&chunks, Dir::C));
    let script = Script {
        envelopes: vec![env("feik@lab.it.uc3m.es", &["0429021@lab.it.uc3m.es"])],
        bodies: vec![vec![body]],
        chunking: vec![false],
    };
    let events = client_matches("seed-uc3m", &chunks, &cfg("lab.it.uc3m.es"), &script);
    assert_eq!(delivered(&events), 1);

    let chunks = load_txt("seed-unlp-thunderbird.txt");
    let body = first_body(&side(&chunks, Dir::C));
    let mut e = env(
        "alumnopop@redes.unlp.edu.ar",
        &["alumnoimap@redes.unlp.edu.ar"],
    );
    e.size = Some(467);
    e.body = BodyType::EightBitMime;
    let script = Script {
        envelopes: vec![e],
        bodies: vec![vec![body]],
        chunking: vec![false],
    };
    let events = client_matches("seed-unlp", &chunks, &cfg("[172.28.0.1]"), &script);
    assert_eq!(delivered(&events), 1);

    let chunks = load_txt("seed-gmail-465-auth-login.txt");
    let body = first_body(&side(&chunks, Dir::C));
    let mut config = cfg("usuario");
    config.tls = TlsMode::Implicit;
    config.credentials = Some(Credentials {
        username: "usuario".into(),
        password: "contraseña".into(),
        mechanisms: vec![Mechanism::Login],
        allow_cleartext: false,
        scram_nonce: None,
    });
    let script = Script {
        envelopes: vec![env("usuario@servidor.com", &["destino@otroservidor.com"])],
        bodies: vec![vec![body]],
        chunking: vec![false],
    };
    let events = client_matches("seed-gmail-465", &chunks, &config, &script);
    assert_eq!(delivered(&events), 1);
}

#[test]
fn client_recipient_params_and_rejects() {
    // Postfix's answer to a pipelined envelope where one RCPT is refused.
    let mut c = Client::new(cfg("x.example"));
    c.receive(b"220 mail.example.test ESMTP Postfix\r\n");
    c.receive(b"250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
    while c.poll_event().is_some() {}
    let mut e = env("a@example.org", &["b@example.org", "c@example.org"]);
    e.recipients[1] = Recipient {
        path: ForwardPath::Mailbox(mbox("c@example.org")),
        params: vec![],
    };
    c.send_mail(e).unwrap();
    let _ = c.poll_transmit();
    c.receive(
        b"250 2.1.0 Ok\r\n550 5.1.1 no\r\n550 5.1.1 no\r\n554 5.5.1 Error: no valid recipients\r\n",
    );
    assert_eq!(c.poll_transmit().unwrap(), b"RSET\r\n");
    let evs: Vec<ClientEvent> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(evs.iter().any(|e| matches!(
        e,
        ClientEvent::TransactionDone {
            delivered: false,
            ..
        }
    )));
}
