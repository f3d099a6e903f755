//! SPF and DKIM: seed 000 ex. 13-14 — the seed's `dig` answers as an in-memory zone, SPF
//! for an address inside 163.117.0.0/16 (pass) and outside (softfail), DKIM verification
//! of the signed message as stored (pass) and of a tampered copy (fail), and the
//! Authentication-Results header a receiving MTA would add.

use std::net::IpAddr;

use correo_auth::authres::{AuthResults, MethodResult};
use correo_auth::dkim::{DkimKey, DkimStatus};
use correo_auth::spf::{SpfOutcome, SpfResult};
use correo_auth::zone::Zone;

use super::{Res, Tour, contains, data};
use crate::auth::{describe, spf_outcome, verify_all};

fn describe_spf(tour: &Tour, ip: IpAddr, o: &SpfOutcome) {
    tour.say(format!(
        "$ correo spf check --ip {ip} --sender {}",
        data::FAKE_SENDER
    ));
    tour.say(o.result);
    match &o.matched {
        Some(m) => tour.say(format!(
            "mechanism: {} (in the record of {})",
            m.mechanism, m.domain
        )),
        None => tour.say("mechanism: none matched"),
    }
    tour.say(format!(
        "lookups: {} DNS-querying terms (limit 10), {} queries",
        o.dns_terms, o.queries
    ));
}

/// The SPF and DKIM section.
pub(super) fn run(tour: &mut Tour) -> Res<()> {
    tour.heading("SPF and DKIM: seed 000 ex. 13-14 (the seed's DNS answers, in memory)");
    let zone = Zone::parse(&tour.zone_text)?;
    tour.say("The zone the checks are answered from (no resolver, no network):");
    for line in tour.zone_text.lines() {
        tour.say(format!("  {line}"));
    }

    // Ex. 13: who may send as direccion@lab.it.uc3m.es.
    let inside: IpAddr = "163.117.172.176".parse()?;
    let o = spf_outcome(&zone, inside, data::FAKE_SENDER, data::DOMAIN);
    describe_spf(tour, inside, &o);
    tour.check(
        "SPF: 163.117.172.176 (inside 163.117.0.0/16) -> pass (ex. 13)",
        o.result == SpfResult::Pass,
        format!("{} {:?}", o.result, o.reason),
    );
    let outside: IpAddr = "192.0.2.25".parse()?;
    let o2 = spf_outcome(&zone, outside, data::FAKE_SENDER, data::DOMAIN);
    describe_spf(tour, outside, &o2);
    tour.check(
        "SPF: 192.0.2.25 (outside) -> softfail, from lab.it.uc3m.es's ~all (ex. 13)",
        o2.result == SpfResult::SoftFail,
        format!("{} {:?}", o2.result, o2.reason),
    );

    // Ex. 14: the seed's public key, as fetched with dig.
    let bits = zone
        .answer(&correo_auth::dns::Lookup::new(
            "google._domainkey.alumnos.uc3m.es",
            correo_auth::dns::QType::Txt,
        ))
        .records(correo_auth::dns::QType::Txt)
        .find_map(|r| match r {
            correo_auth::dns::Record::Txt(t) => DkimKey::parse(t).ok(),
            _ => None,
        })
        .and_then(|k| k.public_key().ok())
        .map(|k| k.bits());
    tour.say(format!(
        "google._domainkey.alumnos.uc3m.es: k=rsa, {} bits",
        bits.unwrap_or(0)
    ));
    tour.check(
        "the seed's DKIM key record (ex. 14) parses: RSA 2048 bits",
        bits == Some(2048),
        format!("{bits:?}"),
    );

    // The signed GIF message, as stored in the Maildir (Return-Path and Received added).
    let inbox = tour.inbox()?;
    let mut stored = None;
    for m in &inbox.messages {
        let bytes = std::fs::read(&m.path)?;
        if contains(&bytes, b"DKIM-Signature:") && contains(&bytes, b"Subject: noot noot") {
            stored = Some(bytes);
            break;
        }
    }
    let Some(stored) = stored else {
        tour.check("the signed message is in the INBOX", false, "not found");
        return Ok(());
    };
    let now = crate::net::unix_now().max(tour.signed_at);
    let results = verify_all(&stored, &zone, now);
    tour.say(format!(
        "$ correo dkim verify --dns ZONE {}/new/...   # \"noot noot\" as stored",
        data::USER
    ));
    for r in &results {
        tour.say(describe(r));
    }
    tour.check(
        "DKIM: the stored message verifies (pass, a=ed25519-sha256)",
        results.len() == 1 && results.iter().all(|r| r.status == DkimStatus::Pass),
        results.iter().map(describe).collect::<Vec<_>>().join("; "),
    );

    // A copy with the image swapped for a GIF87a one: the body hash no longer matches.
    let mut tampered = stored.clone();
    let at = tampered
        .windows(8)
        .position(|w| w == b"R0lGODlh")
        .ok_or("no GIF89a base64 in the message")?;
    if let Some(b) = tampered.get_mut(at + 6) {
        *b = b'd';
    }
    let bad = verify_all(&tampered, &zone, now);
    tour.say(
        "$ sed 's/R0lGODlh/R0lGODdh/' (GIF89a -> GIF87a in the attachment) | correo dkim verify",
    );
    for r in &bad {
        tour.say(describe(r));
    }
    tour.check(
        "DKIM: the tampered copy fails (body hash mismatch)",
        !bad.is_empty() && bad.iter().all(|r| r.status == DkimStatus::Fail),
        bad.iter().map(describe).collect::<Vec<_>>().join("; "),
    );

    // What the receiving MTA would add.
    let mut ar = AuthResults::new(data::HOSTNAME).with(MethodResult::spf(
        &o,
        data::FAKE_SENDER,
        data::DOMAIN,
    ));
    for r in &results {
        ar = ar.with(r.to_method_result());
    }
    let header = ar.to_header();
    tour.say(format!(
        "As {} would record it for a message from 163.117.172.176:",
        data::HOSTNAME
    ));
    tour.say(header.trim_end().replace("\r\n", "\n"));
    let lower = header.to_ascii_lowercase();
    tour.check(
        "Authentication-Results: spf=pass, dkim=pass",
        lower.starts_with("authentication-results:")
            && lower.contains("spf=pass")
            && lower.contains("dkim=pass"),
        header.trim_end(),
    );
    Ok(())
}
