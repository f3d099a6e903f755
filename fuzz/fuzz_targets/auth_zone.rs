//! The zone-file reader and its answers.
#![no_main]

use correo_auth::dns::{Lookup, QType};
use correo_auth::zone::Zone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(z) = Zone::parse(s) {
        for name in s.split_whitespace().take(4) {
            for q in [QType::Txt, QType::A, QType::Aaaa, QType::Mx, QType::Ptr] {
                let _ = z.answer(&Lookup::new(name, q));
            }
        }
    }
});
