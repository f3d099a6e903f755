//! DKIM-Signature parsing, and a whole verification of a message carrying it.
#![no_main]

use correo_auth::dkim::{DkimSignature, DkimVerifier, SignatureIds, VerifyOptions};
use correo_auth::dns::{Answer, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = SignatureIds::read(s);
        if let Ok(sig) = DkimSignature::parse(s) {
            let v = sig.to_value(true, ":");
            assert_eq!(DkimSignature::parse(&v).expect("re-parse"), sig);
        }
    }
    let mut msg = b"DKIM-Signature:".to_vec();
    msg.extend_from_slice(data);
    msg.extend_from_slice(b"\r\nFrom: a@example.org\r\nSubject: x\r\n\r\nbody\r\n");
    let key = b"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".to_vec();
    let r = DkimVerifier::verify_message(&msg, VerifyOptions::at(1_700_000_000), |_| {
        Answer::Records(vec![Record::Txt(key.clone())])
    });
    assert!(r.len() <= 16 + 1);
});
