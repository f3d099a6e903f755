//! Fuzz the POP3 server machine: arbitrary client bytes in arbitrary pieces, and the
//! application's decisions (accept or reject, message bytes, update outcome) taken from the
//! fuzz input. The machine must never panic, and its output must stay bounded.
#![no_main]

use correo_pop3::codec::ResponseCode;
use correo_pop3::server::{Event, MessageInfo, Server, ServerConfig};
use correo_wire::sasl::Mechanism;
use libfuzzer_sys::fuzz_target;

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let flags = input.byte();
    let mut config = ServerConfig {
        stls: flags & 1 != 0,
        allow_cleartext_login: flags & 2 != 0,
        implicit_tls: flags & 4 != 0,
        apop_timestamp: (flags & 8 != 0).then(|| b"<1.2@fuzz>".to_vec()),
        mechanisms: vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5],
        max_line_pre_auth: 64 + usize::from(input.byte()),
        max_buffered: 256 + usize::from(input.byte()) * 16,
        ..ServerConfig::default()
    };
    config.sasl.cram_challenge = Some("<3.4@fuzz>".into());
    let mut s = Server::new(config);
    let messages: [&[u8]; 3] = [
        b"Subject: a\r\n\r\n.x\r\n",
        b"Subject: b\n\nbare\n.\n..\n",
        b"",
    ];
    let mut out_total = 0usize;
    let mut fed = 0usize;
    while !input.0.is_empty() {
        let n = usize::from(input.byte() % 64) + 1;
        let piece = input.take(n).to_vec();
        fed += piece.len();
        let _ = s.receive(&piece);
        while let Some(ev) = s.poll_event() {
            let choice = input.byte();
            let _ = match ev {
                Event::CheckPassword { .. }
                | Event::CheckApop { .. }
                | Event::CheckToken(_)
                | Event::OpenMaildrop { .. } => {
                    if choice & 1 == 0 {
                        let maildrop = messages
                            .iter()
                            .enumerate()
                            .map(|(i, m)| MessageInfo {
                                size: m.len() as u64,
                                uid: format!("u{i}").into_bytes(),
                            })
                            .collect();
                        s.accept_login(maildrop)
                    } else {
                        s.reject_login(Some(ResponseCode::InUse), b"locked")
                    }
                }
                Event::NeedCramSecret { .. } => s.cram_secret(b"secret"),
                Event::NeedScramCredentials { .. } => s.reject_login(None, b""),
                Event::Retrieve { msg, .. } => {
                    if choice & 3 == 3 {
                        s.message_unavailable(b"gone")
                    } else {
                        let m = messages.get(msg as usize - 1).copied().unwrap_or_default();
                        for part in m.chunks(usize::from(choice % 5) + 1) {
                            if !s.wants_message_data() {
                                break;
                            }
                            let _ = s.message_data(part);
                        }
                        s.message_end()
                    }
                }
                Event::Update { .. } => s.update_complete(choice & 1 == 0),
                Event::StartTls => {
                    if choice & 1 == 0 {
                        s.tls_established()
                    } else {
                        Ok(())
                    }
                }
                Event::Closed => Ok(()),
            };
        }
        while let Some(out) = s.poll_transmit() {
            out_total += out.len();
        }
        // Replies are bounded by the input: a constant per line plus the listings and
        // the (small) messages.
        assert!(
            out_total <= 4096 + fed * 64,
            "{out_total} bytes out for {fed} in"
        );
    }
    s.connection_closed();
});
