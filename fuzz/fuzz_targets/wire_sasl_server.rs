//! Fuzz the SASL server state machines (and, with the high bit of the first byte, the
//! clients): the input picks a mechanism and configuration, then a sequence of operations
//! (raw step, base64 line step, application decisions) with data taken from the input.
//! Nothing may panic, and no exchange may last more rounds than the limit allows.
#![no_main]

use correo_wire::sasl::scram::{ClientChannelBinding, ScramCredentials, ScramHash};
use correo_wire::sasl::{
    ChannelBindingType, Mechanism, SaslClient, SaslLimits, SaslServer, ServerConfig, ServerOutput,
};
use libfuzzer_sys::fuzz_target;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte().unwrap_or(0));
        let n = n.min(self.0.len());
        let (c, rest) = self.0.split_at(n);
        self.0 = rest;
        c
    }
}

const LIMITS: SaslLimits = SaslLimits {
    max_rounds: 6,
    max_message_len: 512,
    scram_min_iterations: 1,
    scram_max_iterations: 16,
    scram_max_salt_len: 64,
};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(sel) = input.byte() else { return };
    let flags = input.byte().unwrap_or(0);
    let mechanism = Mechanism::ALL[usize::from(sel & 0x7f) % Mechanism::ALL.len()];
    if sel & 0x80 != 0 {
        fuzz_client(mechanism, flags, input);
    } else {
        fuzz_server(mechanism, flags, input);
    }
});

fn honest_client(mechanism: Mechanism) -> Option<SaslClient> {
    let client = match ScramHash::of(mechanism) {
        Some(hash) => {
            let cb = if mechanism.is_plus() {
                ClientChannelBinding::Used(ChannelBindingType::TlsExporter, vec![0xcb; 32])
            } else {
                ClientChannelBinding::NotSupported
            };
            SaslClient::scram(hash, "user", "pencil", None, "cnonce", cb)
        }
        None => match mechanism {
            Mechanism::Plain => SaslClient::plain(None, "user", "pencil"),
            Mechanism::Login => SaslClient::login("user", "pencil"),
            Mechanism::CramMd5 => SaslClient::cram_md5("user", "pencil"),
            Mechanism::XOAuth2 => SaslClient::xoauth2("user", "token"),
            _ => SaslClient::oauthbearer(Some("user"), Some("h"), Some(1), "token"),
        },
    };
    client.ok().map(|c| c.with_limits(LIMITS))
}

/// The server, driven by fuzz operations: garbage steps, application decisions (right or
/// wrong), and steps of an honest client so that deep states are reached too.
fn fuzz_server(mechanism: Mechanism, flags: u8, mut input: Input<'_>) {
    let mut config = ServerConfig {
        limits: LIMITS,
        scram_nonce: Some("srv-nonce".into()),
        cram_challenge: Some("<1.2@fuzz>".into()),
        final_data_with_success: flags & 1 != 0,
        ..ServerConfig::default()
    };
    if flags & 2 != 0 || mechanism.is_plus() {
        config.channel_bindings = vec![(ChannelBindingType::TlsExporter, vec![0xcb; 32])];
    }
    let Ok(mut server) = SaslServer::new(mechanism, config) else {
        return;
    };
    let Some(mut client) = honest_client(mechanism) else {
        return;
    };
    let good_creds = ScramHash::of(mechanism)
        .and_then(|h| ScramCredentials::derive(h, "pencil", b"salt", 2).ok());
    let mut last = if flags & 4 != 0 {
        server.start(None)
    } else if flags & 8 != 0 {
        match client.initial_response() {
            Ok(ir) => server.start(ir.as_deref()),
            Err(_) => return,
        }
    } else {
        let ir = input.chunk();
        server.start(Some(ir))
    };
    let mut steps_ok = 0u32;
    while let Some(op) = input.byte() {
        let out = match op % 10 {
            0 | 1 => server.step(input.chunk()),
            2 => server.step_line(input.chunk()),
            3 => server.accept(),
            4 => server.reject(),
            5 => {
                let doc = String::from_utf8_lossy(input.chunk()).into_owned();
                server.reject_with_error(&doc)
            }
            6 => match (&good_creds, op & 0x40 != 0) {
                (Some(c), true) => server.scram_credentials(c),
                _ => {
                    let n = if op & 0x80 != 0 { 20 } else { 32 };
                    let mut stored_key = input.chunk().to_vec();
                    stored_key.resize(n, 0);
                    let creds = ScramCredentials {
                        salt: input.chunk().to_vec(),
                        iterations: u32::from(input.byte().unwrap_or(1)),
                        stored_key,
                        server_key: vec![op; n],
                    };
                    server.scram_credentials(&creds)
                }
            },
            7 => {
                if op & 0x40 != 0 {
                    server.cram_secret(b"pencil")
                } else {
                    server.cram_secret(input.chunk())
                }
            }
            _ => {
                // The honest client answers the last challenge.
                let challenge = match &last {
                    Ok(ServerOutput::Challenge(c)) => c.clone(),
                    _ => input.chunk().to_vec(),
                };
                match client.step(&challenge) {
                    Ok(resp) => server.step(&resp),
                    Err(_) => continue,
                }
            }
        };
        if op % 10 <= 2 || op % 10 >= 8 {
            if out.is_ok() {
                steps_ok += 1;
            }
        }
        last = out;
        assert!(steps_ok <= LIMITS.max_rounds, "more rounds than the limit");
    }
}

fn fuzz_client(mechanism: Mechanism, flags: u8, mut input: Input<'_>) {
    let client = match ScramHash::of(mechanism) {
        Some(hash) => {
            let cb = if mechanism.is_plus() {
                ClientChannelBinding::Used(ChannelBindingType::TlsExporter, vec![1; 32])
            } else if flags & 2 != 0 {
                ClientChannelBinding::NotUsed
            } else {
                ClientChannelBinding::NotSupported
            };
            SaslClient::scram(hash, "user", "pencil", None, "cnonce", cb)
        }
        None => match mechanism {
            Mechanism::Plain => SaslClient::plain(None, "user", "pencil"),
            Mechanism::Login => SaslClient::login("user", "pencil"),
            Mechanism::CramMd5 => SaslClient::cram_md5("user", "pencil"),
            Mechanism::XOAuth2 => SaslClient::xoauth2("user", "token"),
            _ => SaslClient::oauthbearer(Some("user"), Some("h"), Some(1), "token"),
        },
    };
    let Ok(client) = client else { return };
    let mut client = client.with_limits(LIMITS);
    if flags & 4 != 0 {
        let _ = client.initial_response();
    }
    let mut steps_ok = 0u32;
    while let Some(op) = input.byte() {
        match op % 4 {
            0 => {
                if client.step(input.chunk()).is_ok() {
                    steps_ok += 1;
                }
            }
            1 => {
                if client.step_line(input.chunk()).is_ok() {
                    steps_ok += 1;
                }
            }
            2 => {
                let extra = input.chunk();
                let _ = client.finish((!extra.is_empty()).then_some(extra));
            }
            _ => {
                let _ = client.cancel();
            }
        }
        assert!(steps_ok <= LIMITS.max_rounds, "more rounds than the limit");
    }
}
