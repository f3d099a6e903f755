//! Date parser: no panic; every date read is written (RFC 5322 and RFC 3339) and read back
//! to the same value.
#![no_main]

use correo_mime::header::DateTime;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((d, _)) = DateTime::parse_with_defects(data) else { return };
    let s = d.to_rfc5322();
    assert_eq!(DateTime::parse(s.as_bytes()), Ok(d), "{s}");
    let s = d.to_rfc3339();
    assert_eq!(DateTime::parse(s.as_bytes()), Ok(d), "{s}");
    let _ = d.to_unix();
    if d.second < 60 {
        assert_eq!(DateTime::from_unix(d.to_unix(), d.offset_minutes), Some(d));
    }
});
