//! DMARC records (parse, encode, parse again) and Authentication-Results values.
#![no_main]

use correo_auth::authres::AuthResults;
use correo_auth::dmarc::DmarcRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = DmarcRecord::parse(data) {
        let _ = (r.policy(), r.subdomain_policy(), r.nonexistent_policy());
        let _ = DmarcRecord::parse(r.to_string().as_bytes());
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(ar) = AuthResults::parse(s) {
            let _ = AuthResults::parse(&ar.to_string());
            let _ = ar.to_header();
        }
    }
});
