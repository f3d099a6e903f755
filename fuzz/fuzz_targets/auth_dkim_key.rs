//! DKIM key records.
#![no_main]

use correo_auth::dkim::DkimKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = DkimKey::parse(data) {
        let _ = k.public_key();
        let _ = (k.testing(), k.strict());
    }
});
