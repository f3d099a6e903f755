//! Fuzz the quoted-printable decoder (chunking invariance, bounded output) and the encoder
//! (binary round trip, line lengths).
#![no_main]

use correo_mime::decode::qp::{QpDecoder, QpMode, encode};
use libfuzzer_sys::fuzz_target;

fn run(input: &[u8], sizes: &[u8]) -> (Vec<u8>, Vec<correo_mime::defect::Defect>) {
    let mut d = QpDecoder::new();
    let mut out = Vec::new();
    let mut rest = input;
    let mut k = 0;
    while !rest.is_empty() {
        let n = match sizes.get(k % sizes.len().max(1)) {
            Some(&s) if s > 0 => usize::from(s).min(rest.len()),
            _ => rest.len(),
        };
        d.decode(&rest[..n], &mut out);
        rest = &rest[n..];
        k += 1;
    }
    d.finish(&mut out);
    assert!(out.len() <= input.len());
    (out, d.take_defects())
}

fuzz_target!(|data: &[u8]| {
    let [nsizes, rest @ ..] = data else {
        return;
    };
    let Some((sizes, input)) = rest.split_at_checked(usize::from(*nsizes % 6)) else {
        return;
    };
    let whole = run(input, &[]);
    assert_eq!(run(input, sizes), whole);
    assert_eq!(run(input, &[1]), whole);

    let mut enc = Vec::new();
    encode(input, QpMode::Binary, &mut enc);
    for line in enc.split(|&b| b == b'\n') {
        assert!(line.len() <= 77);
    }
    let back = run(&enc, sizes);
    assert_eq!(back.0, input);
    assert!(back.1.is_empty());

    let mut text = Vec::new();
    encode(input, QpMode::Text, &mut text);
    let _ = run(&text, sizes);
});
