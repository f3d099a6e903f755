//! correo-auth against mail-auth, in the same run.
//!
//! - `spf_seed_chain`: SPF evaluation of the seed's include chain
//!   (lab.it.uc3m.es -> _spf.uc3m.es -> _spf.google.com -> 3 netblocks, and
//!   _spf.salesforce.com), for a softfail client (every include is walked) and
//!   a pass client. correo answers from an in-memory `Zone` (raw TXT, parsed on
//!   every check, as the sans-IO machine receives it). mail-auth answers from
//!   its DNS cache pre-filled with the same records, already parsed (its own
//!   in-memory path; no query reaches the network), and, as `mail-auth+parse`,
//!   from a cache it fills by parsing the same raw TXT strings in each iteration.
//!   `correo-auth+cache` is correo with the caller keeping parsed records
//!   (`SpfPolicy`, answered with `SpfCheck::answer_policy`), the counterpart of
//!   mail-auth's pre-filled cache.
//! - `dkim_verify_1mib`: verify a 1 MiB message signed rsa-sha256 (2048-bit)
//!   or ed25519-sha256, relaxed/relaxed; the key is answered from memory (correo)
//!   or from the pre-filled cache (mail-auth).
#![allow(missing_docs)]

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use correo_auth::dkim::{DkimSigner, DkimStatus, DkimVerifier, SigningKey, VerifyOptions};
use correo_auth::dns::{Lookup, QType, Record};
use correo_auth::spf::{SpfCheck, SpfOptions, SpfPolicy, SpfPoll, SpfResult};
use correo_auth::zone::Zone;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::spf::Spf;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters, ResolverCache, Txt};

const ZONE: &str = include_str!("../../crates/correo-auth/tests/data/spf/seed-uc3m.zone");
const RSA2048: &str =
    include_str!("../../crates/correo-auth/tests/data/dkim/vectors/keys/rsa2048.pem");
const ED25519: &str =
    include_str!("../../crates/correo-auth/tests/data/dkim/vectors/keys/ed25519.pkcs8.pem");

/// Poll a future that never waits (every answer is in the cache) to completion.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// mail-auth's TXT cache, filled before timing.
struct TxtCache(Mutex<HashMap<Box<str>, Txt>>);

impl ResolverCache<Box<str>, Txt> for TxtCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().unwrap().get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().unwrap().remove(name)
    }

    fn insert(&self, key: Box<str>, value: Txt, _: std::time::Instant) {
        self.0.lock().unwrap().insert(key, value);
    }
}

fn txt_cache() -> TxtCache {
    TxtCache(Mutex::new(HashMap::new()))
}

/// The zone's TXT records, for filling mail-auth's cache.
fn zone_txt(zone_text: &str, names: &[&str]) -> Vec<(String, Vec<u8>)> {
    let zone = Zone::parse(zone_text).unwrap();
    names
        .iter()
        .map(|n| {
            let a = zone.answer(&Lookup::new(*n, QType::Txt));
            let Some(Record::Txt(t)) = a.records(QType::Txt).next().cloned() else {
                panic!("no TXT for {n}")
            };
            ((*n).to_string(), t)
        })
        .collect()
}

fn spf(c: &mut Criterion) {
    let zone = Zone::parse(ZONE).unwrap();
    let names = [
        "lab.it.uc3m.es",
        "_spf.uc3m.es",
        "_spf.google.com",
        "_netblocks.google.com",
        "_netblocks2.google.com",
        "_netblocks3.google.com",
        "_spf.salesforce.com",
    ];
    let cache = txt_cache();
    for (name, txt) in zone_txt(ZONE, &names) {
        let rec = Spf::parse(&txt).unwrap();
        cache.insert(
            format!("{name}.").into_boxed_str(),
            Txt::from(rec),
            std::time::Instant::now(),
        );
    }
    let authenticator = MessageAuthenticator::new_cloudflare().unwrap();
    let mut g = c.benchmark_group("spf_seed_chain");
    for (label, ip, want) in [
        ("softfail", "192.0.2.1", SpfResult::SoftFail),
        ("pass", "163.117.20.30", SpfResult::Pass),
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        // Both agree before being timed.
        let ours = SpfCheck::mail_from(
            ip,
            "direccion@lab.it.uc3m.es",
            "mail.example.net",
            SpfOptions::default(),
        )
        .run_with(|q| zone.answer(q));
        assert_eq!(ours.result, want);
        let theirs = block_on(
            authenticator.verify_spf(
                Parameters::new(SpfParameters::verify_mail_from(
                    ip,
                    "mail.example.net",
                    "mx.example",
                    "direccion@lab.it.uc3m.es",
                ))
                .with_txt_cache(&cache),
            ),
        );
        assert_eq!(
            format!("{:?}", theirs.result()).to_lowercase(),
            want.as_str(),
            "mail-auth"
        );
        g.bench_function(BenchmarkId::new("correo-auth", label), |b| {
            b.iter(|| {
                SpfCheck::mail_from(
                    ip,
                    "direccion@lab.it.uc3m.es",
                    "mail.example.net",
                    SpfOptions::default(),
                )
                .run_with(|q| zone.answer(q))
                .result
            });
        });
        // correo with the caller keeping parsed records (`SpfPolicy`), as
        // mail-auth's cache keeps them: record questions are answered with
        // `answer_policy`, nothing is parsed in the loop.
        let policies: HashMap<String, Arc<SpfPolicy>> = zone_txt(ZONE, &names)
            .into_iter()
            .map(|(n, t)| (n, Arc::new(SpfPolicy::parse(&t).unwrap())))
            .collect();
        let cached = || {
            let mut c = SpfCheck::mail_from(
                ip,
                "direccion@lab.it.uc3m.es",
                "mail.example.net",
                SpfOptions::default(),
            );
            loop {
                let q = match c.poll() {
                    SpfPoll::Done(o) => return o.result,
                    SpfPoll::Lookups(q) => q[0].clone(),
                };
                match policies.get(&q.name) {
                    Some(p) if q.qtype == QType::Txt => c.answer_policy(&q, Arc::clone(p)),
                    _ => c.answer(&q, zone.answer(&q)),
                }
                .unwrap();
            }
        };
        assert_eq!(cached(), want);
        g.bench_function(BenchmarkId::new("correo-auth+cache", label), |b| {
            b.iter(cached);
        });
        // mail-auth given the raw TXT answers too: parse them into a fresh cache
        // on every iteration, as correo parses what its caller hands it.
        let raw = zone_txt(ZONE, &names);
        g.bench_function(BenchmarkId::new("mail-auth+parse", label), |b| {
            b.iter(|| {
                let fresh = txt_cache();
                for (name, txt) in &raw {
                    let rec = Spf::parse(txt).unwrap();
                    fresh.insert(
                        format!("{name}.").into_boxed_str(),
                        Txt::from(rec),
                        std::time::Instant::now(),
                    );
                }
                block_on(
                    authenticator.verify_spf(
                        Parameters::new(SpfParameters::verify_mail_from(
                            ip,
                            "mail.example.net",
                            "mx.example",
                            "direccion@lab.it.uc3m.es",
                        ))
                        .with_txt_cache(&fresh),
                    ),
                )
                .result()
            });
        });
        g.bench_function(BenchmarkId::new("mail-auth", label), |b| {
            b.iter(|| {
                block_on(
                    authenticator.verify_spf(
                        Parameters::new(SpfParameters::verify_mail_from(
                            ip,
                            "mail.example.net",
                            "mx.example",
                            "direccion@lab.it.uc3m.es",
                        ))
                        .with_txt_cache(&cache),
                    ),
                )
                .result()
            });
        });
    }
    g.finish();
}

fn message_1mib() -> Vec<u8> {
    let mut m = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: one mebibyte\r\nDate: Fri, 15 Jan 2027 07:00:00 +0000\r\nMessage-ID: <big@example.org>\r\n\r\n".to_vec();
    let line =
        b"Lorem ipsum dolor sit amet,  consectetur\tadipiscing elit, sed do eiusmod tempor. \r\n";
    while m.len() < 1 << 20 {
        m.extend_from_slice(line);
    }
    m
}

fn dkim(c: &mut Criterion) {
    let msg = message_1mib();
    let authenticator = MessageAuthenticator::new_cloudflare().unwrap();
    let mut g = c.benchmark_group("dkim_verify_1mib");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.sample_size(20);
    for (label, pem) in [("rsa2048", RSA2048), ("ed25519", ED25519)] {
        let key = SigningKey::from_pem(pem).unwrap();
        let record = key.dns_record();
        let field = DkimSigner::new(key, "example.org", "bench")
            .sign(&msg)
            .unwrap();
        let signed = [field.as_bytes(), msg.as_slice()].concat();
        let txt = Record::Txt(record.clone().into_bytes());
        let answer = correo_auth::dns::Answer::Records(vec![txt]);
        let verify = |m: &[u8]| {
            DkimVerifier::verify_message(m, VerifyOptions::at(1_800_000_000), |_| answer.clone())
        };
        assert_eq!(verify(&signed)[0].status, DkimStatus::Pass);
        let cache = txt_cache();
        cache.insert(
            "bench._domainkey.example.org.".into(),
            Txt::from(DomainKey::parse(record.as_bytes()).unwrap()),
            std::time::Instant::now(),
        );
        {
            let parsed = AuthenticatedMessage::parse(&signed).unwrap();
            let out = block_on(
                authenticator.verify_dkim(Parameters::new(&parsed).with_txt_cache(&cache)),
            );
            assert_eq!(out[0].result(), &mail_auth::DkimResult::Pass, "mail-auth");
        }
        g.bench_function(BenchmarkId::new("correo-auth", label), |b| {
            b.iter(|| verify(&signed)[0].status);
        });
        g.bench_function(BenchmarkId::new("mail-auth", label), |b| {
            b.iter(|| {
                let parsed = AuthenticatedMessage::parse(&signed).unwrap();
                let out = block_on(
                    authenticator.verify_dkim(Parameters::new(&parsed).with_txt_cache(&cache)),
                );
                out.len()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, spf, dkim);
criterion_main!(benches);
