//! Fuzz the base64 body decoder: the SIMD kernel and the scalar twin must produce the same
//! bytes and defects, whatever the chunking; re-encoding the output and decoding it again
//! gives it back.
#![no_main]

use correo_mime::decode::base64::{Base64Decoder, Base64Kernel, encode_lines, encode_mime};
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

/// Structured mode: encode the data at a fuzz-chosen width and line ending, then apply a
/// few fuzz-chosen byte edits, so the SIMD whole-line paths see long valid runs with
/// irregularities in them.
fn structured(width: u8, edits: &[u8], data: &[u8]) -> Vec<u8> {
    let mut enc = Vec::new();
    encode_lines(data, usize::from(width).max(4), &mut enc);
    if width & 1 == 1 {
        enc.retain(|&b| b != b'\r');
    }
    for e in edits.chunks_exact(3) {
        if enc.is_empty() {
            break;
        }
        let at = (usize::from(e[0]) << 8 | usize::from(e[1])) % enc.len();
        match e[2] % 3 {
            0 => enc.insert(at, e[2]),
            1 => {
                enc.remove(at);
            }
            _ => enc[at] = e[2],
        }
    }
    enc
}

fuzz_target!(|data: &[u8]| {
    let [nsizes, rest @ ..] = data else {
        return;
    };
    let Some((sizes, input)) = rest.split_at_checked(usize::from(*nsizes % 6)) else {
        return;
    };
    let built;
    let input = if *nsizes & 0x80 != 0 {
        let [width, nedits, tail @ ..] = input else {
            return;
        };
        let Some((edits, payload)) = tail.split_at_checked(usize::from(*nedits % 8) * 3) else {
            return;
        };
        built = structured(*width, edits, payload);
        &built[..]
    } else {
        input
    };
    let whole = run(Base64Decoder::scalar(), input, &[]);
    assert_eq!(run(Base64Decoder::scalar(), input, sizes), whole);
    for kernel in [Base64Kernel::Avx2, Base64Kernel::Avx512Vbmi] {
        if let Some(d) = Base64Decoder::with_kernel(kernel) {
            assert_eq!(run(d.clone(), input, &[]), whole, "{kernel:?}");
            assert_eq!(run(d, input, sizes), whole, "{kernel:?} chunked");
        }
    }
    assert_eq!(run(Base64Decoder::new(), input, &[1]), whole);
    let mut enc = Vec::new();
    encode_mime(&whole.0, &mut enc);
    let again = run(Base64Decoder::new(), &enc, sizes);
    assert_eq!(again.0, whole.0);
    assert!(again.1.is_empty());
});
