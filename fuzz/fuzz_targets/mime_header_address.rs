//! Address-list parser: no panic; mailboxes that encode parse back to themselves.
#![no_main]

use correo_mime::header::{AddressList, encode_mailbox, fold, parse_block, parse_mailbox};
use libfuzzer_sys::fuzz_target;

fn plain_domain(d: &str) -> bool {
    d.is_empty()
        || (d.starts_with('[') && d.ends_with(']') && d[1..d.len() - 1].bytes().all(|b| b.is_ascii_graphic() && !b"[]\\".contains(&b)))
        || d.split('.').all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

fuzz_target!(|data: &[u8]| {
    let list = AddressList::parse(data);
    let _ = parse_mailbox(data);
    for m in list.mailboxes() {
        let _ = m.address();
        if m.domain.is_empty() || !plain_domain(&m.domain) || m.local.is_empty() {
            continue;
        }
        let Ok(enc) = encode_mailbox(m, true) else { continue };
        let Ok(field) = fold("From", &enc) else { continue };
        let b = parse_block(field.as_bytes());
        let again = AddressList::parse(b.fields[0].value);
        let got: Vec<_> = again.mailboxes().collect();
        assert_eq!(got, vec![m], "{field:?}");
    }
});
