//! Content-Type / Content-Disposition parameters: no panic; every parameter value read is
//! encoded (RFC 2231 and the RFC 2047 form) and read back unchanged.
#![no_main]

use correo_mime::header::{
    ContentDisposition, ContentType, encode_param, encode_param_rfc2047, fold, parse_block,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ct = ContentType::parse(data);
    let _ = (ct.boundary(), ct.charset(), ct.name(), ct.essence());
    let cd = ContentDisposition::parse(data);
    let _ = (cd.filename(), cd.kind());
    for p in ct.params().iter().chain(cd.params().iter()) {
        for legacy in [false, true] {
            let enc = if legacy {
                encode_param_rfc2047(&p.name, &p.value)
            } else {
                encode_param(&p.name, &p.value)
            };
            let Ok(enc) = enc else { continue };
            let field = fold("Content-Disposition", &format!("attachment; {enc}")).expect("folds");
            let b = parse_block(field.as_bytes());
            let again = ContentDisposition::parse(b.fields[0].value);
            assert_eq!(again.param(&p.name).as_deref(), Some(&*p.value), "{field:?}");
        }
    }
});
