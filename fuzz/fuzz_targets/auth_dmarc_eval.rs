//! DMARC evaluation in both modes (RFC 9989 tree walk, RFC 7489 Public
//! Suffix List) over fuzzed domains and a fuzzed record, and the `rua`/`ruf`
//! report-URI parser. Input: `from \n dkim-d \n spf-domain \n record`.
#![no_main]

use correo_auth::dmarc::{
    DmarcCheck, DmarcInput, DmarcOptions, DmarcRecord, OrgDomainMode, ReportUri,
    psl_organizational_domain,
};
use correo_auth::dns::Record;
use correo_auth::spf::SpfResult;
use correo_auth::zone::Zone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = s.splitn(4, '\n');
    let from = parts.next().unwrap_or("");
    let dkim = parts.next().unwrap_or("");
    let spf = parts.next().unwrap_or("");
    let record = parts.next().unwrap_or("");

    // The PSL Organizational Domain is the input's tail (normalized).
    for d in [from, dkim, spf] {
        let org = psl_organizational_domain(d);
        let norm = d.trim().trim_end_matches('.').to_ascii_lowercase();
        assert!(norm.ends_with(&org), "{org:?} not a tail of {norm:?}");
    }

    // Report URIs: parse, print, parse again to the same value.
    for u in record.split([',', ';', '=']) {
        if let Some(r) = ReportUri::parse(u) {
            assert_eq!(ReportUri::parse(&r.to_string()), Some(r.clone()));
            let _ = r.mailto_domain();
            let _ = r.external_lookup(from);
        }
    }
    if let Ok(r) = DmarcRecord::parse(record.as_bytes()) {
        let _ = (r.rua_uris(), r.ruf_uris());
    }

    let mut zone = Zone::new();
    for owner in [
        format!("_dmarc.{from}"),
        format!("_dmarc.{}", psl_organizational_domain(from)),
        "_dmarc.example.com".to_string(),
    ] {
        zone.add_record(&owner, Record::Txt(record.as_bytes().to_vec()));
    }
    zone.add_record(from, Record::A("192.0.2.1".parse().unwrap()));
    for mode in [OrgDomainMode::TreeWalk, OrgDomainMode::PublicSuffixList] {
        let input = DmarcInput::new(from)
            .dkim(dkim, true)
            .spf(spf, SpfResult::Pass);
        let opts = DmarcOptions {
            org_domain: mode,
            ..DmarcOptions::default()
        };
        let mut asked = 0usize;
        let out = DmarcCheck::with_options(input, opts).run_with(|q| {
            asked += 1;
            zone.answer(q)
        });
        assert!(asked <= 64 + 8, "{asked} questions");
        assert_eq!(out.mode, mode);
        let _ = out.sampled_policy(50);
    }
});
