#![no_main]
//! Command codec: decode -> encode -> decode gives the same value (value -> encode ->
//! decode) and encoding it again the same bytes, with and without LITERAL+; and the input
//! framed as a stream of commands, whole and in input-driven chunks, gives the same frames
//! and parses.

use correo_imap::encode::{EncodeOptions, encode_command, join};
use correo_imap::frame::{Frame, Framer, RawMessage, Side};
use correo_imap::parse::{ClientLineKind, parse_client_line, parse_command};
use correo_imap::{Leniency, Limits};
use libfuzzer_sys::fuzz_target;

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
    let mut f = Framer::new(Side::Server, lim, true);
    let mut log = Vec::new();
    // Streamed bytes, merged across chunks.
    let mut body = Vec::new();
    for chunk in input {
        let mut feed = f.feed(chunk);
        while let Some(fr) = feed.next_frame() {
            if !matches!(fr, Ok(Frame::BodyData(_))) && !body.is_empty() {
                log.push(format!("+{body:?}"));
                body.clear();
            }
            match fr {
                Ok(Frame::Message(m)) => {
                    log.push(format!("{:?}", parse_command(m, &len, &lim)));
                }
                Ok(Frame::BodyData(d)) => {
                    body.extend_from_slice(d);
                    continue;
                }
                Ok(f) => log.push(format!("{f:?}")),
                Err(e) => log.push(format!("{e:?}")),
            }
        }
    }
    if !body.is_empty() {
        log.push(format!("+{body:?}"));
    }
    log
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
    if let Some((&size, rest)) = data.split_first() {
        let whole = framed(&[rest]);
        let n = 1 + usize::from(size % 17);
        let chunks: Vec<&[u8]> = rest.chunks(n).collect();
        assert_eq!(framed(&chunks), whole);
    }
});
