//! The SMTP client machine fed arbitrary replies in arbitrary pieces while it tries to send
//! a message: no panic, and the dot-stuffed body never ends early.
#![no_main]

use correo_smtp::client::Credentials;
use correo_smtp::{
    BodyType, Client, ClientConfig, ClientEvent, Envelope, ForwardPath, Mailbox, ReversePath,
    TlsMode,
};
use correo_wire::sasl::Mechanism;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let config = ClientConfig {
        tls: match flags & 3 {
            0 => TlsMode::None,
            1 => TlsMode::Opportunistic,
            2 => TlsMode::Required,
            _ => TlsMode::Implicit,
        },
        lmtp: flags & 4 != 0,
        chunking: flags & 8 != 0,
        pipelining: flags & 16 != 0,
        credentials: (flags & 32 != 0).then(|| Credentials {
            username: "alice".into(),
            password: "secret".into(),
            mechanisms: vec![
                Mechanism::Plain,
                Mechanism::Login,
                Mechanism::CramMd5,
                Mechanism::ScramSha256,
            ],
            allow_cleartext: flags & 64 != 0,
            scram_nonce: Some("fyko+d2lbbFgONRv9qkxdawL".into()),
        }),
        ..ClientConfig::default()
    };
    let mut client = Client::new(config);
    let mut envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::new("a", "example.org")),
        vec![
            ForwardPath::Mailbox(Mailbox::new("b", "example.org")),
            ForwardPath::Mailbox(Mailbox::new("c", "example.org")),
        ],
    );
    envelope.size = Some(30);
    if flags & 128 != 0 {
        envelope.body = BodyType::EightBitMime;
    }
    let mut input = rest;
    while let Some((&len, tail)) = input.split_first() {
        let n = usize::from(len & 0x7f).min(tail.len());
        let (piece, tail) = tail.split_at(n);
        input = tail;
        client.receive(piece);
        while let Some(ev) = client.poll_event() {
            match ev {
                ClientEvent::Ready(_) => {
                    let _ = client.send_mail(envelope.clone());
                }
                ClientEvent::SendBody => {
                    // May fail if later input in the same piece already ended the
                    // transaction (a stale event): that must be an error, not a panic.
                    let _ = client.send_body(b".hello\r\n.\r\nworld", true);
                }
                ClientEvent::StartTls => {
                    if len & 0x80 != 0 {
                        client.tls_established();
                    }
                }
                ClientEvent::TransactionDone { .. } => client.quit(),
                _ => {}
            }
        }
        let _ = client.poll_timeout();
        while let Some(out) = client.poll_transmit() {
            // A DATA body never ends early: no terminator before the one after "world"
            // (BDAT sends the bytes as they are).
            if flags & 8 == 0
                && let Some(i) = out.windows(7).position(|w| w == b"\r\n.\r\nwo")
            {
                panic!("premature terminator at {i}");
            }
        }
    }
    client.handle_timeout();
});
