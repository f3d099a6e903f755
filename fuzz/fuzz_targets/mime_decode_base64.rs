//! Fuzz the base64 body decoder: the SIMD kernel and the scalar twin must produce the same
//! bytes and defects, whatever the chunking; re-encoding the output and decoding it again
//! gives it back.
#![no_main]

use correo_mime::decode::base64::{Base64Decoder, encode_mime};
use libfuzzer_sys::fuzz_target;

fn run(
    mut d: Base64Decoder,
    input: &[u8],
    sizes: &[u8],
) -> (Vec<u8>, Vec<correo_mime::defect::Defect>) {
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
    assert!(out.len() <= input.len() / 4 * 3 + 3);
    (out, d.take_defects())
}

fuzz_target!(|data: &[u8]| {
    let [nsizes, rest @ ..] = data else {
        return;
    };
    let Some((sizes, input)) = rest.split_at_checked(usize::from(*nsizes % 6)) else {
        return;
    };
    let whole = run(Base64Decoder::new(), input, &[]);
    assert_eq!(run(Base64Decoder::scalar(), input, &[]), whole);
    assert_eq!(run(Base64Decoder::new(), input, sizes), whole);
    assert_eq!(run(Base64Decoder::scalar(), input, sizes), whole);
    assert_eq!(run(Base64Decoder::new(), input, &[1]), whole);
    let mut enc = Vec::new();
    encode_mime(&whole.0, &mut enc);
    let again = run(Base64Decoder::new(), &enc, sizes);
    assert_eq!(again.0, whole.0);
    assert!(again.1.is_empty());
});
