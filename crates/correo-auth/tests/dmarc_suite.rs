//! Runs tests/data/dmarc/dmarc-tests.yml as-is: RFC 9989 expectations in the
//! tree-walk mode, and the `rfc7489:` answers in the Public Suffix List mode.

use std::collections::BTreeMap;

use common::{build_zone, strings, yaml_str};
use correo_auth::dmarc::{DmarcCheck, DmarcInput, DmarcOptions, OrgDomainMode};
use correo_auth::spf::SpfResult;
use serde_yaml::Value;

mod common;

fn spf_result(s: &str) -> SpfResult {
    match s {
        "pass" => SpfResult::Pass,
        "fail" => SpfResult::Fail,
        "softfail" => SpfResult::SoftFail,
        "neutral" => SpfResult::Neutral,
        "none" => SpfResult::None,
        "temperror" => SpfResult::TempError,
        "permerror" => SpfResult::PermError,
        other => panic!("unknown SPF result {other}"),
    }
}

/// Runs every test of the suite in `mode`; in RFC 7489 mode a test's
/// `rfc7489:` answer replaces its `result`/`policy` where given.
fn run_suite(mode: OrgDomainMode) -> (usize, Vec<String>) {
    let text = include_str!("data/dmarc/dmarc-tests.yml");
    let mut total = 0;
    let mut failures = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v: Value = serde::Deserialize::deserialize(doc).unwrap();
        let zone = build_zone(&v["zonedata"]);
        let tests: BTreeMap<String, Value> = serde_yaml::from_value(v["tests"].clone()).unwrap();
        for (name, t) in tests {
            total += 1;
            let mut input = DmarcInput::new("");
            input.from = strings(&t["from"]);
            input = input.spf(&yaml_str(&t["mailfrom"]), spf_result(&yaml_str(&t["spf"])));
            for d in t["dkim"].as_sequence().cloned().unwrap_or_default() {
                input = input.dkim(&yaml_str(&d["d"]), yaml_str(&d["result"]) == "pass");
            }
            let opts = DmarcOptions {
                org_domain: mode,
                ..DmarcOptions::default()
            };
            let out = DmarcCheck::with_options(input, opts).run_with(|q| zone.answer(q));
            let mut want_result = yaml_str(&t["result"]);
            let mut want_policy = t.get("policy").map(yaml_str);
            if let (OrgDomainMode::PublicSuffixList, Some(alt)) = (mode, t.get("rfc7489")) {
                want_result = yaml_str(&alt["result"]);
                want_policy = alt.get("policy").map(yaml_str);
            }
            let got_policy = if out.result.as_str() == "none" {
                None
            } else {
                out.policy.map(|p| p.as_str().to_string())
            };
            let ok = out.result.as_str() == want_result
                && (want_result == "temperror" || want_policy == got_policy);
            if !ok {
                failures.push(format!(
                    "{name}: expected {want_result} {want_policy:?}, got {} {got_policy:?} ({:?})",
                    out.result, out.reason
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("FAIL ({mode:?}) {f}");
    }
    eprintln!("dmarc {mode:?}: {}/{total}", total - failures.len());
    (total, failures)
}

#[test]
fn dmarc_suite() {
    let (total, failures) = run_suite(OrgDomainMode::TreeWalk);
    assert_eq!(total, 40);
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The same suite with the RFC 7489 Public Suffix List mode and the
/// suite's `rfc7489:` answers.
#[test]
fn dmarc_suite_rfc7489_psl() {
    let (total, failures) = run_suite(OrgDomainMode::PublicSuffixList);
    assert_eq!(total, 40);
    assert!(failures.is_empty(), "{failures:#?}");
}
