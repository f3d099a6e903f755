//! `correo dkim`, `correo spf` and `correo auth`, run as the built binary against the
//! data in `tests/data/auth/` (see its README).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/auth")
        .join(rel)
}

fn d(rel: &str) -> String {
    data(rel).to_str().expect("utf-8 path").to_string()
}

fn correo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_correo"))
        .args(args)
        .output()
        .expect("run correo")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

fn stdout_ok(args: &[&str]) -> String {
    let out = correo(args);
    assert!(
        out.status.success(),
        "correo {args:?} failed: {}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("correo-auth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn write_tmp(name: &str, bytes: &[u8]) -> String {
    let p = tmp(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p.to_str().expect("utf-8 path").to_string()
}

const NOW: &str = "1800000000";

fn spf(ip: &str, sender: &str) -> Vec<String> {
    stdout_ok(&[
        "spf",
        "check",
        "--dns",
        &d("seed-uc3m.zone"),
        "--ip",
        ip,
        "--sender",
        sender,
        "--helo",
        "mx.lab.it.uc3m.es",
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

/// Seed 000: `lab.it.uc3m.es` -> include:_spf.uc3m.es (ip4:163.117.0.0/16 ... -all) ~all.
#[test]
fn spf_seed_chain_pass_inside_uc3m_softfail_elsewhere() {
    for ip in ["163.117.0.1", "163.117.139.7", "163.117.255.254"] {
        let lines = spf(ip, "alumno@lab.it.uc3m.es");
        assert_eq!(lines[0], "pass", "{ip}: {lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l == "mechanism: ip4:163.117.0.0/16 (in the record of _spf.uc3m.es)"),
            "{lines:?}"
        );
    }
    // The IPv6 block of the same record.
    assert_eq!(spf("2001:720:410::25", "alumno@lab.it.uc3m.es")[0], "pass");
    for ip in ["163.118.0.1", "192.0.2.1", "8.8.8.8", "2001:db8::1"] {
        let lines = spf(ip, "alumno@lab.it.uc3m.es");
        assert_eq!(lines[0], "softfail", "{ip}: {lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l == "mechanism: ~all (in the record of lab.it.uc3m.es)"),
            "{lines:?}"
        );
        // include:_spf.uc3m.es, include:_spf.google.com (+3 netblocks), include:_spf.salesforce.com
        assert!(
            lines.iter().any(|l| l.starts_with("lookups: 6 ")),
            "{lines:?}"
        );
    }
    // _spf.uc3m.es itself ends in -all: fail, with the default explanation.
    let lines = spf("192.0.2.1", "postmaster@_spf.uc3m.es");
    assert_eq!(lines[0], "fail", "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("explanation: ")));
    // A Google stand-in netblock passes through the nested include.
    assert_eq!(spf("209.85.128.5", "alumno@lab.it.uc3m.es")[0], "pass");
    // No record at all.
    assert_eq!(spf("163.117.0.1", "someone@nowhere.example")[0], "none");
}

#[test]
fn commands_needing_dns_say_a_zone_is_required() {
    for args in [
        vec![
            "spf",
            "check",
            "--ip",
            "192.0.2.1",
            "--sender",
            "a@example.org",
        ],
        vec!["dkim", "verify", "--now", NOW],
        vec![
            "auth",
            "--ip",
            "192.0.2.1",
            "--helo",
            "h.example",
            "--mail-from",
            "a@example.org",
        ],
    ] {
        let mut args = args;
        let file = d("dkim-vectors/rsa2048-rr.eml");
        if args[0] != "spf" {
            args.push(&file);
        }
        let out = correo(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--dns ZONE"), "{args:?}: {err}");
        if args[0] == "dkim" {
            // 1 is kept for "no signature passed".
            assert_eq!(out.status.code(), Some(2));
        }
    }
}

fn dkim_verify(file: &str, now: &str) -> (bool, Vec<String>) {
    let out = correo(&[
        "dkim",
        "verify",
        "--dns",
        &d("dkim-vectors/zone.txt"),
        "--now",
        now,
        file,
    ]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{file}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success(),
        stdout(&out).lines().map(str::to_string).collect(),
    )
}

/// Every case of the shared DKIM vectors, through the binary: one line per signature
/// whose first word is the expected RFC 8601 keyword; exit 0 iff one passes.
#[test]
fn dkim_verify_vectors() {
    let list = std::fs::read_to_string(data("dkim-vectors/expect.txt")).expect("expect.txt");
    let mut cases = 0;
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut it = line.split_whitespace();
        let (file, now, expect) = (
            it.next().expect("file"),
            it.next().expect("now"),
            it.next().expect("expect"),
        );
        let expect: Vec<&str> = expect.split(',').collect();
        let (ok, lines) = dkim_verify(&d(&format!("dkim-vectors/{file}")), now);
        let got: Vec<&str> = lines
            .iter()
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        assert_eq!(got, expect, "{file}: {lines:?}");
        assert_eq!(ok, expect.contains(&"pass"), "{file}: exit status");
        for l in &lines {
            assert!(l.contains(" d=") && l.contains(" s="), "{file}: {l}");
            if !l.starts_with("pass") {
                assert!(l.contains(" reason=\""), "{file}: {l}");
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 75);
}

#[test]
fn dkim_verify_lines_name_domain_selector_and_reason() {
    let (ok, lines) = dkim_verify(&d("dkim-vectors/dual-rsa-ed25519.eml"), NOW);
    assert!(ok);
    assert_eq!(
        lines,
        [
            "pass d=example.org s=rsa2048 a=rsa-sha256",
            "pass d=example.org s=ed25519 a=ed25519-sha256"
        ]
    );
    let (ok, lines) = dkim_verify(&d("dkim-vectors/body-modified.eml"), NOW);
    assert!(!ok);
    assert_eq!(
        lines,
        ["fail d=example.org s=rsa2048 a=rsa-sha256 reason=\"body hash did not verify\""]
    );
    let (ok, lines) = dkim_verify(&d("dkim-vectors/x-expired-60s.eml"), NOW);
    assert!(!ok);
    assert!(lines[0].starts_with("permerror d=example.org"), "{lines:?}");
    assert!(
        lines[0].contains("reason=\"signature expired\""),
        "{lines:?}"
    );
    // No signature at all: exit 1.
    let unsigned = d("rfc8463/message.eml");
    let (ok, lines) = dkim_verify(&unsigned, NOW);
    assert!(!ok);
    assert_eq!(lines, ["none (no DKIM-Signature field)"]);
}

/// The RFC 8463 example verifies; signing its message with the same tags reproduces
/// both b= values of signed.eml exactly.
#[test]
fn dkim_rfc8463_verify_and_sign_reproduces_b() {
    let out = stdout_ok(&[
        "dkim",
        "verify",
        "--dns",
        &d("rfc8463/zone.txt"),
        "--now",
        "1528637909",
        &d("rfc8463/signed.eml"),
    ]);
    assert_eq!(
        out,
        "pass d=football.example.com s=brisbane a=ed25519-sha256\n\
         pass d=football.example.com s=test a=rsa-sha256\n"
    );
    let signed = std::fs::read_to_string(data("rfc8463/signed.eml")).expect("signed.eml");
    let want_b = b_values(&signed);
    assert_eq!(want_b.len(), 2);
    for (key, selector, want) in [
        ("rfc8463/ed25519.seed.b64", "brisbane", &want_b[0]),
        ("rfc8463/rsa.pem", "test", &want_b[1]),
    ] {
        let out = stdout_ok(&[
            "dkim",
            "sign",
            "--key",
            &d(key),
            "--domain",
            "football.example.com",
            "--selector",
            selector,
            "--identity",
            "@football.example.com",
            "--query-tag",
            "--time",
            "1528637909",
            "--header-separator",
            " : ",
            "--exact-headers",
            "--headers",
            "from:to:subject:date:message-id:from:subject:date",
            &d("rfc8463/message.eml"),
        ]);
        let got = b_values(&out);
        assert_eq!(&got[0], want, "{selector}");
        // And the output is the message with the field prepended.
        let message = std::fs::read_to_string(data("rfc8463/message.eml")).expect("message");
        assert!(out.starts_with("DKIM-Signature: v=1; a="));
        assert!(out.ends_with(&message));
    }
}

/// The b= values (whitespace removed) of the DKIM-Signature fields of a message.
fn b_values(msg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = msg;
    while let Some(p) = rest.find("DKIM-Signature:") {
        rest = &rest[p + 15..];
        let end = rest.find("\r\n\r\n").unwrap_or(rest.len());
        let field = &rest[..end];
        let field = &field[..field.find("\r\nDKIM-Signature:").unwrap_or(field.len())];
        let field = field
            .split("\r\n")
            .take_while(|l| !l.is_empty())
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with([' ', '\t']))
            .map(|(_, l)| l)
            .collect::<String>();
        let compact: String = field.chars().filter(|c| !c.is_whitespace()).collect();
        let b = compact
            .split(';')
            .find_map(|t| t.strip_prefix("b="))
            .expect("b= tag")
            .to_string();
        out.push(b);
    }
    out
}

const MSG: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: round trip\r\nDate: Fri, 15 Jan 2027 07:00:00 +0000\r\nMessage-ID: <rt@example.org>\r\n\r\nHello  Bob,\t\r\n\r\nbye.\r\n\r\n";

fn sign(key: &str, selector: &str, extra: &[&str], msg_path: &str) -> String {
    let mut args = vec![
        "dkim",
        "sign",
        "--key",
        key,
        "--domain",
        "example.org",
        "--selector",
        selector,
        "--time",
        "1790000000",
    ];
    args.extend_from_slice(extra);
    args.push(msg_path);
    stdout_ok(&args)
}

/// Sign with every key form and canonicalization, then verify through the CLI against the
/// vectors' zone (selectors rsa2048 and ed25519 of example.org hold these keys).
#[test]
fn dkim_sign_then_verify_round_trips() {
    let msg = write_tmp("rt.eml", MSG);
    let keys = [
        (d("dkim-vectors/keys/rsa2048.pem"), "rsa2048", "rsa-sha256"),
        (d("keys/rsa2048.pkcs8.pem"), "rsa2048", "rsa-sha256"),
        (
            d("dkim-vectors/keys/ed25519.pkcs8.pem"),
            "ed25519",
            "ed25519-sha256",
        ),
        (
            d("dkim-vectors/keys/ed25519.seed.b64"),
            "ed25519",
            "ed25519-sha256",
        ),
    ];
    let mut n = 0;
    for (key, sel, alg) in &keys {
        for c in [
            "relaxed/relaxed",
            "relaxed/simple",
            "simple/relaxed",
            "simple/simple",
        ] {
            for oversign in [false, true] {
                let mut extra = vec!["--algorithm", alg, "--canonicalization", c];
                if oversign {
                    extra.push("--oversign");
                }
                let signed = sign(key, sel, &extra, &msg);
                assert!(signed.contains(&format!("a={alg}; c={c};")), "{signed}");
                assert!(signed.contains(" t=1790000000;"), "{signed}");
                let path = write_tmp(&format!("rt-{n}.eml"), signed.as_bytes());
                let (ok, lines) = dkim_verify(&path, NOW);
                assert!(ok, "{key} {c} oversign={oversign}: {lines:?}");
                assert_eq!(lines.len(), 1);
                assert!(lines[0].starts_with(&format!("pass d=example.org s={sel} a={alg}")));

                // A Subject added above: breaks an over-signed signature only.
                let added = format!("Subject: added\r\n{signed}");
                let path = write_tmp(&format!("rt-{n}-added.eml"), added.as_bytes());
                let (ok, lines) = dkim_verify(&path, NOW);
                assert_eq!(ok, !oversign, "{key} {c} oversign={oversign}: {lines:?}");
                // A changed body fails either way.
                let tampered = signed.replace("bye.", "BYE.");
                let path = write_tmp(&format!("rt-{n}-body.eml"), tampered.as_bytes());
                let (ok, lines) = dkim_verify(&path, NOW);
                assert!(!ok);
                assert!(lines[0].contains("body hash did not verify"), "{lines:?}");
                n += 1;
            }
        }
    }
    assert_eq!(n, 32);
}

#[test]
fn dkim_sign_options() {
    let msg = write_tmp("opts.eml", MSG);
    let ed = d("dkim-vectors/keys/ed25519.seed.b64");
    // --headers picks the fields (From always), --expire writes x=.
    let signed = sign(
        &ed,
        "ed25519",
        &["--headers", "to:subject", "--expire", "1790000100"],
        &msg,
    );
    assert!(signed.contains("h=from:to:subject;"), "{signed}");
    assert!(signed.contains("x=1790000100;"), "{signed}");
    let path = write_tmp("opts-x.eml", signed.as_bytes());
    assert!(dkim_verify(&path, "1790000050").0);
    let (ok, lines) = dkim_verify(&path, NOW);
    assert!(!ok);
    assert!(lines[0].contains("signature expired"), "{lines:?}");
    // Changing an unsigned header keeps the pass; a signed one breaks it.
    let changed = signed.replace("Message-ID: <rt@", "Message-ID: <other@");
    assert!(dkim_verify(&write_tmp("opts-mid.eml", changed.as_bytes()), "1790000050").0);
    let changed = signed.replace("To: bob@", "To: eve@");
    let (ok, lines) = dkim_verify(&write_tmp("opts-to.eml", changed.as_bytes()), "1790000050");
    assert!(!ok);
    assert!(lines[0].starts_with("fail "), "{lines:?}");
    // LF-only input is signed as CRLF.
    let lf = String::from_utf8(MSG.to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    let signed_lf = sign(&ed, "ed25519", &[], &write_tmp("lf.eml", lf.as_bytes()));
    assert!(signed_lf.contains("\r\nTo: bob@example.net\r\n"));
    assert!(dkim_verify(&write_tmp("lf-signed.eml", signed_lf.as_bytes()), NOW).0);
    // A key that does not fit --algorithm, and an unreadable key, are errors.
    let out = correo(&[
        "dkim",
        "sign",
        "--key",
        &ed,
        "--domain",
        "example.org",
        "--selector",
        "s",
        "--algorithm",
        "rsa-sha256",
        &msg,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match the key"));
    let bad = write_tmp("bad.key", b"not a key at all\n");
    let out = correo(&[
        "dkim",
        "sign",
        "--key",
        &bad,
        "--domain",
        "example.org",
        "--selector",
        "s",
        &msg,
    ]);
    assert!(!out.status.success());
    // Signed with a key whose selector publishes another key: fails.
    let signed = sign(&ed, "rsa2048", &[], &msg);
    let (ok, lines) = dkim_verify(&write_tmp("wrongsel.eml", signed.as_bytes()), NOW);
    assert!(!ok);
    assert!(lines[0].starts_with("permerror"), "{lines:?}");
}

fn auth(zone: &str, ip: &str, mail_from: &str, file: &str) -> String {
    stdout_ok(&[
        "auth",
        "--dns",
        zone,
        "--ip",
        ip,
        "--helo",
        "mx.example.org",
        "--mail-from",
        mail_from,
        "--authserv-id",
        "mx.test",
        "--now",
        NOW,
        file,
    ])
}

/// The header joined onto one line (folding removed).
fn unfold(h: &str) -> String {
    h.replace("\n\t", " ").replace("\n ", " ")
}

#[test]
fn auth_prints_spf_dkim_dmarc() {
    let mut zone = std::fs::read_to_string(data("seed-uc3m.zone")).expect("zone");
    zone.push_str(&std::fs::read_to_string(data("dkim-vectors/zone.txt")).expect("zone"));
    zone.push_str("example.org. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
    let zone = write_tmp("auth.zone", zone.as_bytes());

    // Aligned DKIM pass and SPF pass: DMARC pass.
    let h = unfold(&auth(
        &zone,
        "192.0.2.9",
        "bounce@example.org",
        &d("dkim-vectors/rsa2048-rr.eml"),
    ));
    assert!(h.starts_with("Authentication-Results: mx.test;"), "{h}");
    assert!(
        h.contains("spf=pass smtp.mailfrom=bounce@example.org"),
        "{h}"
    );
    assert!(h.contains("dkim=pass header.d=example.org"), "{h}");
    assert!(h.contains("header.s=rsa2048"), "{h}");
    assert!(h.contains("dmarc=pass header.from=example.org"), "{h}");
    assert!(h.ends_with('\n'));

    // Only the seed's SPF passes (not aligned with example.org) and the body was changed:
    // DMARC fails and the policy is reject.
    let h = unfold(&auth(
        &zone,
        "163.117.1.1",
        "alumno@lab.it.uc3m.es",
        &d("dkim-vectors/body-modified.eml"),
    ));
    assert!(
        h.contains("spf=pass smtp.mailfrom=alumno@lab.it.uc3m.es"),
        "{h}"
    );
    assert!(h.contains("dkim=fail"), "{h}");
    assert!(
        h.contains("dmarc=fail header.from=example.org policy.dmarc=reject"),
        "{h}"
    );

    // SPF softfail from outside, DKIM still aligned: DMARC pass.
    let h = unfold(&auth(
        &zone,
        "198.51.100.1",
        "alumno@lab.it.uc3m.es",
        &d("dkim-vectors/ed25519-rr.eml"),
    ));
    assert!(h.contains("spf=softfail"), "{h}");
    assert!(h.contains("dkim=pass header.d=example.org"), "{h}");
    assert!(h.contains("dmarc=pass"), "{h}");

    // Unsigned message: dkim=none.
    let h = unfold(&auth(
        &zone,
        "192.0.2.9",
        "bounce@example.org",
        &d("rfc8463/message.eml"),
    ));
    assert!(h.contains("dkim=none"), "{h}");
}

/// Seed 000's "Test mail": its key is not published in the seed (permerror, no key), but
/// signing the same message with relaxed body canonicalization reproduces the seed's bh=.
#[test]
fn seed_test_mail_body_hash() {
    let file = d("seed-000-testmail.eml");
    let out = correo(&[
        "dkim",
        "verify",
        "--dns",
        &d("seed-uc3m.zone"),
        "--now",
        "1732387718",
        &file,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "permerror d=lab.it.uc3m.es s=mail a=rsa-sha256 reason=\"no key for signature\"\n"
    );
    let signed = stdout_ok(&[
        "dkim",
        "sign",
        "--key",
        &d("dkim-vectors/keys/ed25519.seed.b64"),
        "--domain",
        "lab.it.uc3m.es",
        "--selector",
        "x",
        "--time",
        "0",
        &file,
    ]);
    let first = signed.split("\r\nX-Original-To:").next().unwrap_or("");
    let compact: String = first.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        compact.contains(";bh=rLSo3v+b1bqsJYKmkm4Zl3PsJTwW6qzTgaQZFouOqUs=;"),
        "{first}"
    );
    // --time 0 leaves t= out.
    assert!(!compact.contains(";t="), "{first}");
}

/// A null reverse-path checks the HELO name; a TIMEOUT line gives temperror; a bad
/// record permerror with the reason.
#[test]
fn spf_helo_identity_timeout_and_syntax_error() {
    let out = stdout_ok(&[
        "spf",
        "check",
        "--dns",
        &d("seed-uc3m.zone"),
        "--ip",
        "163.117.20.20",
        "--sender",
        "",
        "--helo",
        "lab.it.uc3m.es",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "pass", "{out}");
    assert!(lines.contains(&"domain: lab.it.uc3m.es"), "{out}");

    let zone = write_tmp(
        "spf-misc.zone",
        b"slow.example. TIMEOUT\nbad.example. 60 IN TXT \"v=spf1 ip4:300.1.1.1 -all\"\n",
    );
    let check = |sender: &str| {
        stdout_ok(&[
            "spf",
            "check",
            "--dns",
            &zone,
            "--ip",
            "192.0.2.1",
            "--sender",
            sender,
        ])
    };
    let out = check("a@slow.example");
    assert_eq!(out.lines().next(), Some("temperror"), "{out}");
    let out = check("a@bad.example");
    assert_eq!(out.lines().next(), Some("permerror"), "{out}");
    assert!(out.contains("\nreason: "), "{out}");
    // A malformed zone is an error naming the line.
    let broken = write_tmp(
        "broken.zone",
        b"ok.example. TXT \"v=spf1 -all\"\nx. IN A not-an-ip\n",
    );
    let out = correo(&[
        "spf",
        "check",
        "--dns",
        &broken,
        "--ip",
        "192.0.2.1",
        "--sender",
        "a@ok.example",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{out:?}"
    );
}

/// `--org-domain`: `github.io` publishes a DMARC record but is a public suffix (private
/// section of the PSL). The RFC 9989 tree walk finds the record and treats `github.io` as
/// the Organizational Domain, so `user2.github.io`'s SPF pass aligns with
/// `user1.github.io`; the RFC 7489 PSL mode keeps the two apart and finds no policy.
#[test]
fn auth_org_domain_modes_differ_on_a_private_suffix() {
    let zone = write_tmp(
        "psl.zone",
        b"user2.github.io. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
          _dmarc.github.io. 300 IN TXT \"v=DMARC1; p=reject\"\n",
    );
    let msg = write_tmp(
        "psl.eml",
        b"From: alice@user1.github.io\r\nSubject: psl\r\n\r\nhola\r\n",
    );
    let run = |mode: &str| {
        unfold(&stdout_ok(&[
            "auth",
            "--dns",
            &zone,
            "--ip",
            "192.0.2.7",
            "--helo",
            "mx.example.org",
            "--mail-from",
            "bounce@user2.github.io",
            "--now",
            NOW,
            "--org-domain",
            mode,
            &msg,
        ]))
    };
    let walk = run("tree-walk");
    assert!(walk.contains("spf=pass"), "{walk}");
    assert!(
        walk.contains("dmarc=pass header.from=user1.github.io"),
        "{walk}"
    );
    let psl = run("psl");
    assert!(psl.contains("spf=pass"), "{psl}");
    assert!(
        psl.contains("dmarc=none reason=\"no DMARC record\" header.from=user1.github.io"),
        "{psl}"
    );
}
