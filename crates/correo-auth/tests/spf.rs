//! SPF behaviour beyond the OpenSPF suite: the seed's chain, the sans-IO
//! protocol (several questions at once, any answer order), and round trips.

#![allow(clippy::format_push_string)]
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use correo_auth::dns::{Answer, Lookup, QType, Record};
use correo_auth::spf::{SpfCheck, SpfOptions, SpfPolicy, SpfPoll, SpfRecord, SpfResult};
use correo_auth::zone::Zone;
use proptest::prelude::*;

fn seed_zone() -> Zone {
    Zone::parse(include_str!("data/spf/seed-uc3m.zone")).unwrap()
}

fn check(zone: &Zone, ip: &str, sender: &str) -> correo_auth::spf::SpfOutcome {
    let ip: IpAddr = ip.parse().unwrap();
    SpfCheck::mail_from(ip, sender, "mail.example.net", SpfOptions::default())
        .run_with(|q| zone.answer(q))
}

#[test]
fn seed_chain_pass_inside_uc3m() {
    let zone = seed_zone();
    for ip in [
        "163.117.0.1",
        "163.117.144.129",
        "163.117.255.254",
        "176.58.10.138",
        "2001:720:410::25",
    ] {
        let out = check(&zone, ip, "direccion@lab.it.uc3m.es");
        assert_eq!(out.result, SpfResult::Pass, "{ip}");
        let m = out.matched.unwrap();
        assert_eq!(m.domain, "_spf.uc3m.es");
    }
    let out = check(&zone, "163.117.1.1", "direccion@lab.it.uc3m.es");
    assert_eq!(out.matched.unwrap().mechanism, "ip4:163.117.0.0/16");
    assert_eq!(out.dns_terms, 1);
}

#[test]
fn seed_chain_softfail_elsewhere() {
    let zone = seed_zone();
    for ip in ["192.0.2.1", "163.118.0.1", "2001:db8::1"] {
        let out = check(&zone, ip, "direccion@lab.it.uc3m.es");
        assert_eq!(out.result, SpfResult::SoftFail, "{ip}");
        let m = out.matched.unwrap();
        assert_eq!(
            (m.domain.as_str(), m.mechanism.as_str()),
            ("lab.it.uc3m.es", "~all")
        );
        assert_eq!(out.explanation, None);
        // include _spf.uc3m.es, _spf.google.com, 3 netblocks, _spf.salesforce.com
        assert_eq!(out.dns_terms, 6, "{ip}");
    }
    // Google's netblocks pass through the nested includes.
    let out = check(&zone, "209.85.128.5", "direccion@lab.it.uc3m.es");
    assert_eq!(out.result, SpfResult::Pass);
    assert_eq!(out.matched.unwrap().mechanism, "ip4:209.85.128.0/17");
}

/// Answer every outstanding question, last first, to show that order does not matter.
#[test]
fn several_questions_any_order() {
    let zone = Zone::parse(
        "example.org. TXT \"v=spf1 mx -all\"\n\
         example.org. MX 10 a.example.org.\n\
         example.org. MX 20 b.example.org.\n\
         example.org. MX 30 c.example.org.\n\
         a.example.org. A 192.0.2.1\n\
         b.example.org. TIMEOUT\n\
         c.example.org. A 192.0.2.3\n",
    )
    .unwrap();
    let run = |ip: &str| {
        let mut c = SpfCheck::mail_from(
            ip.parse().unwrap(),
            "x@example.org",
            "h.example",
            SpfOptions::default(),
        );
        let mut max_batch = 0;
        loop {
            let qs: Vec<Lookup> = match c.poll() {
                SpfPoll::Done(o) => return (o.clone(), max_batch),
                SpfPoll::Lookups(q) => q.to_vec(),
            };
            max_batch = max_batch.max(qs.len());
            for q in qs.iter().rev() {
                let a = zone.answer(q);
                c.answer(q, a).unwrap();
            }
        }
    };
    let (o, batch) = run("192.0.2.1");
    assert_eq!(o.result, SpfResult::Pass);
    assert_eq!(batch, 3, "the three MX hosts are asked at once");
    // b times out before c would have matched: temperror, as in sequential order.
    let (o, _) = run("192.0.2.3");
    assert_eq!(o.result, SpfResult::TempError);
    let (o, _) = run("192.0.2.9");
    assert_eq!(o.result, SpfResult::TempError);
}

#[test]
fn unexpected_answer_is_refused() {
    let mut c = SpfCheck::mail_from(
        "192.0.2.1".parse().unwrap(),
        "x@example.org",
        "h",
        SpfOptions::default(),
    );
    let wrong = Lookup::new("other.example", QType::Txt);
    assert!(c.answer(&wrong, Answer::NxDomain).is_err());
    let right = Lookup::new("example.org", QType::Txt);
    c.answer(
        &right,
        Answer::Records(vec![Record::Txt(b"v=spf1 -all exp=e.example.org".to_vec())]),
    )
    .unwrap();
    let SpfPoll::Lookups(q) = c.poll() else {
        panic!("wants the exp TXT")
    };
    assert_eq!(q, [Lookup::new("e.example.org", QType::Txt)]);
    c.answer(
        &q[0].clone(),
        Answer::Records(vec![Record::Txt(b"%{i} is not %{d}'s".to_vec())]),
    )
    .unwrap();
    let SpfPoll::Done(o) = c.poll() else {
        panic!("done")
    };
    assert_eq!(o.result, SpfResult::Fail);
    assert_eq!(
        o.explanation.as_deref(),
        Some("192.0.2.1 is not example.org's")
    );
    assert_eq!(o.matched.as_ref().unwrap().mechanism, "-all");
}

/// A caller that keeps parsed records answers record questions with
/// `answer_policy`; the outcome is the same as with raw TXT answers.
#[test]
fn cached_policies_give_the_same_outcome() {
    let zone = seed_zone();
    let mut cache: HashMap<String, Arc<SpfPolicy>> = HashMap::new();
    for ip in [
        "163.117.1.1",
        "192.0.2.1",
        "2001:720:410::25",
        "209.85.128.9",
        "13.110.208.1",
        "2c0f:fb50:4000::1",
    ] {
        let raw = check(&zone, ip, "direccion@lab.it.uc3m.es");
        for pass in 0..2 {
            let mut c = SpfCheck::mail_from(
                ip.parse().unwrap(),
                "direccion@lab.it.uc3m.es",
                "mail.example.net",
                SpfOptions::default(),
            );
            let out = loop {
                let q = match c.poll() {
                    SpfPoll::Done(o) => break o.clone(),
                    SpfPoll::Lookups(q) => q[0].clone(),
                };
                if q.qtype == QType::Txt {
                    if let Some(p) = cache.get(&q.name) {
                        c.answer_policy(&q, Arc::clone(p)).unwrap();
                        continue;
                    }
                    let a = zone.answer(&q);
                    if let Some(Record::Txt(t)) = a.records(QType::Txt).next() {
                        cache.insert(q.name.clone(), Arc::new(SpfPolicy::parse(t).unwrap()));
                    }
                    c.answer(&q, a).unwrap();
                } else {
                    let a = zone.answer(&q);
                    c.answer(&q, a).unwrap();
                }
            };
            assert_eq!(out, raw, "{ip}, pass {pass}");
        }
    }
    assert_eq!(cache.len(), 7);
    // Not an outstanding question: refused.
    let mut c = SpfCheck::mail_from(
        "192.0.2.1".parse().unwrap(),
        "x@example.org",
        "h",
        SpfOptions::default(),
    );
    let p = Arc::new(SpfPolicy::parse(b"v=spf1 -all").unwrap());
    let wrong = Lookup::new("example.net", QType::Txt);
    assert!(c.answer_policy(&wrong, Arc::clone(&p)).is_err());
    let right = Lookup::new("example.org", QType::Txt);
    c.answer_policy(&right, p).unwrap();
    assert_eq!(c.outcome().unwrap().result, SpfResult::Fail);
    assert_eq!(
        c.outcome().unwrap().matched.as_ref().unwrap().mechanism,
        "-all"
    );
}

/// An include whose record fails (here through `-include:` of a passing
/// record) does not match; when nothing else matches the result is the
/// default neutral, with no mechanism reported.
#[test]
fn failed_include_leaves_no_match_behind() {
    let zone = Zone::parse(
        "example.org. TXT \"v=spf1 include:a.example.org\"\n\
         a.example.org. TXT \"v=spf1 -include:b.example.org ?all\"\n\
         b.example.org. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
    )
    .unwrap();
    let o = check(&zone, "192.0.2.1", "x@example.org");
    assert_eq!(o.result, SpfResult::Neutral);
    assert_eq!(o.matched, None);
    assert_eq!(o.dns_terms, 2);
    // Pass through two includes: the innermost mechanism is reported.
    let zone = Zone::parse(
        "example.org. TXT \"v=spf1 ~include:a.example.org -all\"\n\
         a.example.org. TXT \"v=spf1 include:b.example.org -all\"\n\
         b.example.org. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
    )
    .unwrap();
    let o = check(&zone, "192.0.2.1", "x@example.org");
    assert_eq!(o.result, SpfResult::SoftFail);
    let m = o.matched.unwrap();
    assert_eq!(
        (m.domain.as_str(), m.mechanism.as_str()),
        ("b.example.org", "ip4:192.0.2.0/24")
    );
}

#[test]
fn permerror_reports_position() {
    let zone = Zone::parse("example.org. TXT \"v=spf1 ip4:192.0.2.1 a:foo -all\"").unwrap();
    let o = check(&zone, "192.0.2.9", "x@example.org");
    assert_eq!(o.result, SpfResult::PermError);
    assert!(o.reason.unwrap().contains("byte 23"));
}

fn arb_term() -> impl Strategy<Value = String> {
    let q = prop_oneof![Just(""), Just("+"), Just("-"), Just("~"), Just("?")];
    let dom = prop_oneof![
        Just("example.org".to_string()),
        Just("%{d}".to_string()),
        Just("%{ir}.%{v}._spf.%{d2}".to_string()),
        Just("%{l1r-}.x.example".to_string()),
        "[a-z]{1,8}\\.[a-z]{2,5}",
    ];
    let ip4 = any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string());
    let mech = prop_oneof![
        Just("all".to_string()),
        dom.clone().prop_map(|d| format!("include:{d}")),
        dom.clone().prop_map(|d| format!("exists:{d}")),
        (
            proptest::option::of(dom.clone()),
            proptest::option::of(0u8..=32),
            proptest::option::of(0u8..=128)
        )
            .prop_map(|(d, c4, c6)| {
                let mut s = "a".to_string();
                if let Some(d) = d {
                    s += &format!(":{d}");
                }
                if let Some(c) = c4 {
                    s += &format!("/{c}");
                }
                if let Some(c) = c6 {
                    s += &format!("//{c}");
                }
                s
            }),
        (
            proptest::option::of(dom.clone()),
            proptest::option::of(0u8..=32)
        )
            .prop_map(|(d, c4)| {
                let mut s = "mx".to_string();
                if let Some(d) = d {
                    s += &format!(":{d}");
                }
                if let Some(c) = c4 {
                    s += &format!("/{c}");
                }
                s
            }),
        proptest::option::of(dom.clone())
            .prop_map(|d| d.map_or("ptr".to_string(), |d| format!("ptr:{d}"))),
        (ip4, proptest::option::of(0u8..=32))
            .prop_map(|(a, p)| p.map_or(format!("ip4:{a}"), |p| format!("ip4:{a}/{p}"))),
        (any::<u128>(), 0u8..=128)
            .prop_map(|(a, p)| format!("ip6:{}/{p}", std::net::Ipv6Addr::from(a))),
    ];
    prop_oneof![
        4 => (q, mech).prop_map(|(q, m)| format!("{q}{m}")),
        1 => "[a-z][a-z0-9._-]{0,6}".prop_filter("not a known modifier", |n| n != "redirect" && n != "exp")
            .prop_map(|n| format!("{n}=v%{{d}}")),
    ]
}

proptest! {
    #[test]
    fn record_round_trip(terms in proptest::collection::vec(arb_term(), 0..8),
                         redirect in proptest::option::of("[a-z]{1,8}\\.example"),
                         exp in proptest::option::of("[a-z]{1,8}\\.example")) {
        let mut text = "v=spf1".to_string();
        for t in &terms { text += " "; text += t; }
        if let Some(r) = &redirect { text += &format!(" redirect={r}"); }
        if let Some(e) = &exp { text += &format!(" exp={e}"); }
        let rec = SpfRecord::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(&SpfPolicy::parse(text.as_bytes()).unwrap().to_record(), &rec);
        prop_assert_eq!(rec.terms.len(), terms.len() + usize::from(redirect.is_some()) + usize::from(exp.is_some()));
        let encoded = rec.to_string();
        let again = SpfRecord::parse(encoded.as_bytes()).unwrap();
        prop_assert_eq!(again.to_string(), encoded);
        prop_assert_eq!(again.terms.len(), rec.terms.len());
        for (a, b) in rec.terms.iter().zip(again.terms.iter()) {
            match (a, b) {
                (correo_auth::spf::Term::Directive(x), correo_auth::spf::Term::Directive(y)) => {
                    prop_assert_eq!(&x.mechanism, &y.mechanism);
                    prop_assert_eq!(x.qualifier, y.qualifier);
                }
                (x, y) => prop_assert_eq!(x, y),
            }
        }
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut rec = b"v=spf1 ".to_vec();
        rec.extend_from_slice(&bytes);
        let a = SpfRecord::parse(&rec);
        let b = SpfPolicy::parse(&rec);
        prop_assert_eq!(a.as_ref().err(), b.as_ref().err());
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(a, b.to_record());
        }
    }
}
