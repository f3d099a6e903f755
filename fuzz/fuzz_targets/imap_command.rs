#![no_main]
//! Command codec: decode -> encode -> decode -> encode is stable, with
//! and without LITERAL+.

use correo_imap::encode::{EncodeOptions, encode_command, join};
use correo_imap::frame::RawMessage;
use correo_imap::parse::{ClientLineKind, parse_client_line, parse_command};
use correo_imap::{Leniency, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_depth: 64,
        max_items: 10_000,
        ..Limits::default()
    };
    for kind in [ClientLineKind::AuthenticateData, ClientLineKind::IdleDone] {
        let _ = parse_client_line(RawMessage::new(data), kind, &Leniency::default(), &limits);
    }
    let Ok(v1) = parse_command(RawMessage::new(data), &Leniency::default(), &limits) else {
        return;
    };
    for lp in [false, true] {
        let opts = EncodeOptions {
            literal_plus: lp,
            ..EncodeOptions::default()
        };
        let w1 = join(&encode_command(&v1, &opts));
        let v2 = match parse_command(RawMessage::new(&w1), &Leniency::default(), &limits) {
            Ok(v) => v,
            Err(e) => panic!(
                "re-parse of {:?} failed: {e}\nvalue {v1:?}",
                String::from_utf8_lossy(&w1)
            ),
        };
        let w2 = join(&encode_command(&v2, &opts));
        assert_eq!(w1, w2, "encoding not stable");
    }
});
