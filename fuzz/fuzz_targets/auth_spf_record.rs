//! SPF: the record parser, and the evaluator over a zone where the record
//! under test is published (every run must end, without panicking).
#![no_main]

use correo_auth::dns::Record;
use correo_auth::spf::{SpfCheck, SpfOptions, SpfPolicy, SpfRecord};
use correo_auth::zone::Zone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // Mostly records that get past the version check.
    let owned;
    let data = if input.first() == Some(&b'!') {
        &input[1..]
    } else {
        owned = [b"v=spf1 ".as_slice(), input].concat();
        owned.as_slice()
    };
    // The evaluator's allocation-free parse agrees with the syntax tree.
    let policy = SpfPolicy::parse(data);
    match (&policy, SpfRecord::parse(data)) {
        (Ok(p), Ok(r)) => assert_eq!(p.to_record(), r),
        (Err(a), Err(b)) => assert_eq!(*a, b),
        (a, b) => panic!("SpfPolicy {a:?} but SpfRecord {b:?}"),
    }
    if let Ok(r) = SpfRecord::parse(data) {
        // Encoding a parsed record gives a record that parses to the same text.
        let text = r.to_string();
        let again = SpfRecord::parse(text.as_bytes()).expect("re-parse");
        assert_eq!(again.to_string(), text);
    }
    let mut zone = Zone::new();
    zone.add_record("example.org", Record::Txt(data.to_vec()));
    zone.add_record(
        "a.example.org",
        Record::Txt(b"v=spf1 include:example.org -all".to_vec()),
    );
    zone.add_record("example.org", Record::A("192.0.2.1".parse().unwrap()));
    zone.add_record(
        "example.org",
        Record::Mx {
            preference: 1,
            exchange: "a.example.org".into(),
        },
    );
    zone.add_record("1.2.0.192.in-addr.arpa", Record::Ptr("example.org".into()));
    for ip in ["192.0.2.1", "2001:db8::1"] {
        let out = SpfCheck::mail_from(
            ip.parse().unwrap(),
            "user@example.org",
            "helo.example",
            SpfOptions::default(),
        )
        .run_with(|q| zone.answer(q));
        assert!(out.dns_terms <= 11);
        assert!(out.queries < 500);
    }
});
