#![no_main]
//! Command codec: decode -> encode -> decode gives the same value (value -> encode ->
//! decode) and encoding it again the same bytes, with and without LITERAL+; and the input
//! framed as a stream of commands, whole and in input-driven chunks, gives the same frames
//! and parses.

use correo_imap::encode::{EncodeOptions, encode_command, join};
use correo_imap::frame::{Frame, RawMessage, Side};
use correo_imap::parse::{ClientLineKind, parse_client_line, parse_command};
use correo_imap::{Leniency, Limits};
use libfuzzer_sys::fuzz_target;

#[path = "common/imap_framed.rs"]
mod common;

fn limits() -> Limits {
    Limits {
        max_depth: 64,
        max_items: 10_000,
        max_line_len: 1 << 16,
        ..Limits::default()
    }
}

fn framed(input: &[&[u8]]) -> Vec<String> {
    let (len, lim) = (Leniency::default(), limits());
    common::framed(Side::Server, lim, input, |f| match f {
        Frame::Message(m) => Some(format!("{:?}", parse_command(*m, &len, &lim))),
        _ => None,
    })
}

fuzz_target!(|data: &[u8]| {
    let lim = limits();
    for kind in [ClientLineKind::AuthenticateData, ClientLineKind::IdleDone] {
        let _ = parse_client_line(RawMessage::new(data), kind, &Leniency::default(), &lim);
    }
    if let Ok(v1) = parse_command(RawMessage::new(data), &Leniency::default(), &lim) {
        for lp in [false, true] {
            let opts = EncodeOptions {
                literal_plus: lp,
                ..EncodeOptions::default()
            };
            let w1 = join(&encode_command(&v1, &opts));
            let v2 = match parse_command(RawMessage::new(&w1), &Leniency::default(), &lim) {
                Ok(v) => v,
                Err(e) => panic!(
                    "re-parse of {:?} failed: {e}\nvalue {v1:?}",
                    String::from_utf8_lossy(&w1)
                ),
            };
            assert_eq!(
                v2,
                v1,
                "value changed through {:?}",
                String::from_utf8_lossy(&w1)
            );
            let w2 = join(&encode_command(&v2, &opts));
            assert_eq!(w1, w2, "encoding not stable");
        }
    }
    common::same_in_chunks(data, framed);
});
