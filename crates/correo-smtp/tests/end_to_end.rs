//! A client machine and a server machine wired to each other in memory, with bytes cut at
//! random places in both directions (proptest): whatever the body, the split, DATA or BDAT,
//! SMTP or LMTP, the server receives exactly the message once.

use correo_smtp::server::AuthRequest;
use correo_smtp::*;
use correo_wire::sasl::Mechanism;
use proptest::prelude::*;

struct Outcome {
    received: Vec<u8>,
    messages: usize,
    delivered: bool,
    client_closed: bool,
}

fn exchange(
    mut client: Client,
    mut server: Server,
    envelope: &Envelope,
    body: &[u8],
    pieces: usize,
    cuts: &[usize],
) -> Outcome {
    let mut received = Vec::new();
    let mut messages = 0;
    let mut delivered = false;
    let mut cut_i = 0;
    let mut next_cut = |len: usize| {
        let c = cuts.get(cut_i % cuts.len().max(1)).copied().unwrap_or(len);
        cut_i += 1;
        c.clamp(1, len.max(1))
    };
    for _round in 0..500 {
        let mut progressed = false;
        if let Some(bytes) = server.poll_transmit() {
            progressed = true;
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = next_cut(rest.len()).min(rest.len());
                client.receive(&rest[..n]);
                rest = &rest[n..];
            }
        }
        while let Some(ev) = client.poll_event() {
            progressed = true;
            match ev {
                ClientEvent::Ready(_) => client.send_mail(envelope.clone()).unwrap(),
                ClientEvent::SendBody => {
                    let size = body.len().div_ceil(pieces.max(1)).max(1);
                    let mut chunks: Vec<&[u8]> = body.chunks(size).collect();
                    if chunks.is_empty() {
                        chunks.push(b"");
                    }
                    let n = chunks.len();
                    for (i, c) in chunks.into_iter().enumerate() {
                        client.send_body(c, i + 1 == n).unwrap();
                    }
                }
                ClientEvent::TransactionDone { delivered: d, .. } => {
                    delivered = d;
                    client.quit();
                }
                ClientEvent::Error(e) => panic!("client error {e}"),
                _ => {}
            }
        }
        if let Some(bytes) = client.poll_transmit() {
            progressed = true;
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = next_cut(rest.len()).min(rest.len());
                server.receive(&rest[..n]);
                rest = &rest[n..];
            }
        }
        while let Some(ev) = server.poll_event() {
            progressed = true;
            match ev {
                ServerEvent::MailFrom { .. } | ServerEvent::RcptTo { .. } => server.accept(),
                ServerEvent::Data(d) => received.extend_from_slice(&d),
                ServerEvent::DataEnd { answers } => {
                    messages += 1;
                    for _ in 0..answers {
                        server.accept();
                    }
                }
                ServerEvent::Auth(AuthRequest::Password(p)) => {
                    if p.username == "alice" && p.password == "secret" {
                        server.accept();
                    } else {
                        server.reject(Reply::new(ReplyCode::AUTH_FAILED, None, "no"));
                    }
                }
                ServerEvent::Error(e) => panic!("server error {e}"),
                _ => {}
            }
        }
        if !progressed {
            break;
        }
    }
    Outcome {
        received,
        messages,
        delivered,
        client_closed: client.is_closed(),
    }
}

fn envelope(n: usize) -> Envelope {
    let mut e = Envelope::new(
        ReversePath::Mailbox(Mailbox::new("alice", "example.org")),
        (0..n)
            .map(|i| ForwardPath::Mailbox(Mailbox::new(format!("r{i}"), "example.test")))
            .collect(),
    );
    e.body = BodyType::EightBitMime;
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn data_and_bdat_deliver_the_message_once(
        body in proptest::collection::vec(prop_oneof![
            Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(0xc3u8), any::<u8>()
        ], 0..400),
        pieces in 1usize..6,
        cuts in proptest::collection::vec(1usize..40, 1..8),
        chunking in any::<bool>(),
        lmtp in any::<bool>(),
        pipelining in any::<bool>(),
        recipients in 1usize..4,
    ) {
        let client = Client::new(ClientConfig {
            tls: TlsMode::None,
            lmtp,
            chunking,
            pipelining,
            credentials: Some(client::Credentials {
                username: "alice".into(),
                password: "secret".into(),
                mechanisms: vec![Mechanism::Plain, Mechanism::Login],
                allow_cleartext: true,
                scram_nonce: None,
            }),
            ..ClientConfig::default()
        });
        let server = Server::new(ServerConfig {
            lmtp,
            auth_mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            auth_without_tls: true,
            bare_lf: correo_wire::dot::BareLf::Reject,
            ..ServerConfig::default()
        });
        let out = exchange(client, server, &envelope(recipients), &body, pieces, &cuts);
        prop_assert_eq!(out.messages, 1);
        prop_assert!(out.delivered);
        prop_assert!(out.client_closed);
        // DATA normalises line ends (the dot-stuffer); BDAT (used with PIPELINING) sends bytes as they are.
        let expected = if chunking && pipelining {
            body.clone()
        } else {
            correo_wire::dot::normalize_line_endings(&body)
        };
        prop_assert_eq!(out.received, expected);
    }
}
