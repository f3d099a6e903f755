//! DKIM canonicalization: streaming in chunks equals the whole at once;
//! header splitting and header canonicalization never panic.
#![no_main]

use correo_auth::dkim::{BodyCanonicalizer, Canon, canon_body, canon_header, split_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 17) + 1;
    for mode in [Canon::Simple, Canon::Relaxed] {
        let whole = canon_body(mode, body);
        let mut out = Vec::new();
        let mut c = BodyCanonicalizer::new(mode);
        for chunk in body.chunks(step) {
            c.update(chunk, &mut |x: &[u8]| out.extend_from_slice(x));
        }
        c.finish(&mut |x: &[u8]| out.extend_from_slice(x));
        assert_eq!(out, whole);
        // Canonicalizing twice changes nothing more.
        assert_eq!(canon_body(mode, &whole), whole);
    }
    if let Some((fields, end)) = split_header(body, 1000) {
        assert!(end <= body.len());
        let mut out = Vec::new();
        for f in &fields {
            canon_header(Canon::Relaxed, f.raw, &mut out);
            canon_header(Canon::Simple, f.raw, &mut out);
        }
    }
});
