//! Property tests: encode -> parse gives the same value (Authentication-Results,
//! DMARC records).

use correo_auth::authres::{AuthResults, MethodResult, Property};
use correo_auth::dmarc::{Alignment, DmarcRecord, Policy, Psd, ReportUri};
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}"
}

fn pvalue() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,3}",
        "[a-z0-9.+_-]{1,8}@[a-z0-9]{1,8}\\.[a-z]{2,4}",
        "@[a-z0-9]{1,8}\\.[a-z]{2,4}",
        "[ -~]{0,20}",
    ]
}

fn method() -> impl Strategy<Value = MethodResult> {
    (
        token(),
        proptest::option::of(0u32..5),
        token(),
        proptest::option::of("[ -~]{0,30}"),
        proptest::collection::vec(
            (
                prop_oneof![Just("smtp"), Just("header"), Just("body"), Just("policy")],
                "[a-z][a-z0-9_-]{0,8}",
                pvalue(),
            ),
            0..4,
        ),
    )
        .prop_map(|(m, v, r, reason, props)| {
            let mut mr = MethodResult::new(&m, &r);
            mr.version = v;
            mr.reason = reason;
            mr.props = props
                .into_iter()
                .map(|(t, p, v)| Property {
                    ptype: t.to_string(),
                    property: p,
                    value: v,
                })
                .collect();
            mr
        })
}

fn policy() -> impl Strategy<Value = Option<Policy>> {
    proptest::option::of(prop_oneof![
        Just(Policy::None),
        Just(Policy::Quarantine),
        Just(Policy::Reject)
    ])
}

proptest! {
    #[test]
    fn authres_round_trip(id in "[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){0,2}",
                          version in proptest::option::of(1u32..3),
                          results in proptest::collection::vec(method(), 0..5)) {
        let mut ar = AuthResults::new(&id);
        ar.version = version;
        // "none" as the first method name would read as the no-result form.
        prop_assume!(results.first().is_none_or(|m| m.method != "none"));
        ar.results = results;
        let value = ar.to_string();
        prop_assert_eq!(AuthResults::parse(&value).unwrap(), ar.clone(), "{}", value);
        let header = ar.to_header();
        let folded = header.strip_prefix("Authentication-Results:").unwrap();
        prop_assert_eq!(AuthResults::parse(folded).unwrap(), ar);
    }

    #[test]
    fn authres_parser_total(s in "[ -~\r\n\t]{0,200}") {
        let _ = AuthResults::parse(&s);
    }

    #[test]
    fn dmarc_record_round_trip(p in policy(), sp in policy(), np in policy(),
                               adkim in any::<bool>(), aspf in any::<bool>(),
                               pct in 0u8..=100, ri in any::<u32>(), t in any::<bool>(),
                               psd in 0u8..3,
                               rua in proptest::collection::vec("mailto:[a-z]{1,6}@[a-z]{1,6}\\.example", 0..3),
                               fo in proptest::collection::vec(prop_oneof![Just("0"), Just("1"), Just("d"), Just("s")], 0..3),
                               unknown in proptest::collection::vec(("x[a-z]{1,5}", "[a-z0-9]{1,5}"), 0..2)) {
        let rec = DmarcRecord {
            p, sp, np,
            adkim: if adkim { Alignment::Strict } else { Alignment::Relaxed },
            aspf: if aspf { Alignment::Strict } else { Alignment::Relaxed },
            pct, rua: rua.clone(), ruf: rua, fo: fo.into_iter().map(str::to_string).collect(),
            rf: vec![], ri, t,
            psd: [Psd::Unknown, Psd::Yes, Psd::No][usize::from(psd)],
            unknown,
        };
        let text = rec.to_string();
        prop_assert_eq!(DmarcRecord::parse(text.as_bytes()).unwrap(), rec, "{}", text);
    }

    /// A report URI with a size limit: encode, parse, same value; and the
    /// `rua` list of a record gives the same URIs.
    #[test]
    fn report_uri_round_trip(uri in "(mailto:[a-z]{1,6}@[a-z]{1,6}\\.example|https://[a-z]{1,8}\\.example/[a-z]{0,5})",
                             size in proptest::option::of(0u64..1_000_000),
                             unit in prop_oneof![Just(""), Just("k"), Just("m"), Just("g"), Just("t")]) {
        let written = match size {
            Some(n) => format!("{uri}!{n}{unit}"),
            None => uri.clone(),
        };
        let parsed = ReportUri::parse(&written).unwrap();
        let shift = match unit { "k" => 10, "m" => 20, "g" => 30, "t" => 40, _ => 0 };
        prop_assert_eq!(&parsed.uri, &uri);
        prop_assert_eq!(parsed.max_size, size.map(|n| n << shift));
        prop_assert_eq!(ReportUri::parse(&parsed.to_string()), Some(parsed.clone()));
        let rec = DmarcRecord::parse(format!("v=DMARC1; p=none; rua={written},{written}").as_bytes()).unwrap();
        prop_assert_eq!(rec.rua_uris(), vec![parsed.clone(), parsed]);
    }
}
