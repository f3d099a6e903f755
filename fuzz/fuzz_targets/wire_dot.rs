//! Fuzz the dot-stuffing codec: the input picks the policy, the size limit and the chunking;
//! decoding must give the same result whatever the chunking, and encoding then decoding
//! must give the line-ending-normalised input back.
#![no_main]

use correo_wire::dot::{BareLf, DotConfig, DotDecoder, DotEncoder, normalize_line_endings};
use libfuzzer_sys::fuzz_target;

fn chunks<'a>(input: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .map_or(rest.len(), |&s| usize::from(s).max(1));
        let (a, b) = rest.split_at(n.min(rest.len()));
        out.push(a);
        rest = b;
        i += 1;
    }
    out
}

fn decode(
    config: DotConfig,
    pieces: &[&[u8]],
) -> (Vec<u8>, usize, bool, Option<correo_wire::dot::DotError>) {
    let mut decoder = DotDecoder::new(config);
    // `decode_into` copies while it scans: it must agree with `decode` after every piece.
    let mut twin = DotDecoder::new(config);
    let mut body = Vec::new();
    let mut twin_body = Vec::new();
    let mut consumed = 0;
    for piece in pieces {
        if decoder.is_complete() {
            break;
        }
        let p = decoder.decode(piece, |d| body.extend_from_slice(d));
        assert_eq!(p, twin.decode_into(piece, &mut twin_body));
        assert_eq!(body, twin_body);
        assert_eq!(decoder.error(), twin.error());
        assert!(p.complete || p.consumed == piece.len());
        consumed += p.consumed;
    }
    if let Some(max) = config.max_size {
        assert!(body.len() as u64 <= max);
    }
    (body, consumed, decoder.is_complete(), decoder.error())
}

fuzz_target!(|data: &[u8]| {
    let [cfg, nsizes, rest @ ..] = data else {
        return;
    };
    let nsizes = usize::from(*nsizes % 8);
    let Some((sizes, input)) = rest.split_at_checked(nsizes) else {
        return;
    };
    let policy = [BareLf::Reject, BareLf::Normalize, BareLf::Accept][usize::from(cfg & 3) % 3];
    let max_size = (cfg & 4 != 0).then_some(u64::from(cfg >> 3) * 4);
    let config = DotConfig {
        bare_lf: policy,
        max_size,
    };

    let whole = decode(config, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(whole, decode(config, &chunks(input, sizes)));
    assert_eq!(whole, decode(config, &bytes));

    // The same input expanded into long lines, so the block skippers see whole blocks.
    let long = expand(input);
    let whole_long = decode(config, &[&long]);
    assert_eq!(whole_long, decode(config, &chunks(&long, sizes)));
    assert_eq!(
        whole_long,
        decode(config, &long.chunks(1).collect::<Vec<_>>())
    );
    let mut encoder = DotEncoder::new();
    let mut wire = Vec::new();
    for piece in chunks(&long, sizes) {
        encoder.encode(piece, |d| wire.extend_from_slice(d));
    }
    encoder.finish(|d| wire.extend_from_slice(d));
    assert_eq!(wire, DotEncoder::encode_all(&long));

    // Encode (chunked), decode (chunked differently): identity after normalisation.
    let mut encoder = DotEncoder::new();
    let mut wire = Vec::new();
    for piece in chunks(input, sizes) {
        encoder.encode(piece, |d| wire.extend_from_slice(d));
    }
    encoder.finish(|d| wire.extend_from_slice(d));
    assert_eq!(wire, DotEncoder::encode_all(input));
    let config = DotConfig {
        bare_lf: policy,
        max_size: None,
    };
    let (body, consumed, complete, error) = decode(config, &bytes_of(&wire));
    assert!(complete);
    assert_eq!(consumed, wire.len());
    assert_eq!(error, None);
    assert_eq!(body, normalize_line_endings(input));
});

fn bytes_of(wire: &[u8]) -> Vec<&[u8]> {
    wire.chunks(3).collect()
}

/// Maps each byte to a token: line endings (mostly CRLF), dots, the terminator, or a run of
/// plain text up to 120 bytes long. At most about 16 KiB, to keep runs fast.
fn expand(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in input {
        if out.len() > 16 * 1024 {
            break;
        }
        match b {
            0..=5 => out.extend_from_slice(b"\r\n"),
            6 => out.push(b'\n'),
            7 => out.push(b'\r'),
            8 => out.push(b'.'),
            9 => out.extend_from_slice(b"\r\n.\r\n"),
            _ => out.extend(std::iter::repeat_n(b'x', usize::from(b - 10) % 121)),
        }
    }
    out
}
