#![no_main]
//! Response codec: decode -> encode -> decode -> encode is stable (raw
//! extension data keeps what leniency let in, so the second decode is lenient too).

use correo_imap::encode::{EncodeOptions, encode_response, join};
use correo_imap::frame::RawMessage;
use correo_imap::parse::{parse_greeting, parse_response};
use correo_imap::{Leniency, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_depth: 64,
        max_items: 10_000,
        ..Limits::default()
    };
    let _ = parse_greeting(RawMessage::new(data), &Leniency::default(), &limits);
    let Ok(v1) = parse_response(RawMessage::new(data), &Leniency::default(), &limits) else {
        return;
    };
    let opts = EncodeOptions::default();
    let w1 = join(&encode_response(&v1, &opts));
    let v2 = match parse_response(RawMessage::new(&w1), &Leniency::default(), &limits) {
        Ok(v) => v,
        Err(e) => panic!(
            "re-parse of {:?} failed: {e}\nvalue {v1:?}",
            String::from_utf8_lossy(&w1)
        ),
    };
    let w2 = join(&encode_response(&v2, &opts));
    assert_eq!(w1, w2, "encoding not stable");
    assert_eq!(v2.clone().into_static(), v2);
});
