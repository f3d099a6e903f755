//! Interop: real SMTP clients (Python's smtplib, curl) against `correo serve`, and correo's
//! client (`correo send`) against a real Postfix. Loopback only. A missing peer skips the
//! test by name, or fails it under `CORREO_INTEROP=1`.

mod common;

use std::process::Command;

use common::*;

const USERS: &str = "alice:secret\nbob:secret\n";

const SMTPLIB: &str = r"
import smtplib, ssl, sys
from email.message import EmailMessage
port, sport, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
# 1. EHLO, STARTTLS, AUTH PLAIN, an 8-bit message.
m = EmailMessage()
m['From'] = 'pepe@pepito.es'; m['To'] = 'bob@servidor.es'; m['Subject'] = 'Asunto ñandú'
m.set_content('Este mensaje es de prueba.\nÜnïcödé 8-bit body\n.línea con punto\n', cte='8bit')
with smtplib.SMTP('127.0.0.1', port) as s:
    s.ehlo('pepito.es')
    assert s.has_extn('starttls'), 'STARTTLS offered'
    pre_tls = s.esmtp_features.get('auth', '').split()
    assert 'PLAIN' not in pre_tls and 'LOGIN' not in pre_tls, 'no plaintext AUTH before TLS'
    s.starttls(context=ctx)
    s.ehlo('pepito.es')
    assert 'PLAIN' in s.esmtp_features['auth'] and 'LOGIN' in s.esmtp_features['auth']
    s.user, s.password = 'bob', 'secret'
    code, _ = s.auth('PLAIN', s.auth_plain)
    assert code == 235, code
    assert s.send_message(m) == {}
# 2. AUTH LOGIN, SMTPUTF8 with a UTF-8 sender address.
u = EmailMessage()
u['From'] = 'josé@ejemplo.es'; u['To'] = 'alice@ejemplo.es'; u['Subject'] = 'Correo UTF-8'
u.set_content('Hola, José.\n')
with smtplib.SMTP('127.0.0.1', port) as s:
    s.starttls(context=ctx)
    s.ehlo()
    assert s.has_extn('smtputf8')
    s.user, s.password = 'alice', 'secret'
    code, _ = s.auth('LOGIN', s.auth_login)
    assert code == 235, code
    assert s.send_message(u, mail_options=['SMTPUTF8']) == {}
# 3. Implicit TLS, a wrong password, then the right one; an unknown recipient refused.
with smtplib.SMTP_SSL('127.0.0.1', sport, context=ctx) as s:
    try:
        s.login('alice', 'wrong'); raise SystemExit('wrong password accepted')
    except smtplib.SMTPAuthenticationError:
        pass
    s.login('alice', 'secret')
    refused = s.sendmail('x@y.org', ['alice@a.org', 'nobody@a.org'], b'Subject: two\r\n\r\nhi\r\n')
    assert list(refused) == ['nobody@a.org'], refused
sys.stdout.buffer.write(m.as_bytes(policy=m.policy.clone(linesep='\r\n')))
";

#[test]
fn smtplib_to_correo_serve() {
    if !require(
        "smtplib_to_correo_serve",
        "python3",
        &["-c", "import smtplib, ssl"],
    ) {
        return;
    }
    let Some(TlsServe {
        serve, cert: ca, ..
    }) = serve_with_tls("smtplib_to_correo_serve", USERS, &["--smtp", "--smtps"])
    else {
        return;
    };
    let (ok, out, err) = python(
        SMTPLIB,
        &[
            &serve.port("smtp").to_string(),
            &serve.port("smtps").to_string(),
            ca.to_str().unwrap(),
        ],
    );
    assert!(ok, "smtplib session failed:\n{err}");
    let bob = serve.inbox("bob");
    assert_eq!(bob.len(), 1);
    // smtplib's message, as it serialised it with CRLF, arrived byte for byte.
    assert_eq!(String::from_utf8_lossy(strip_trace(&bob[0])), out);
    assert!(bob[0].starts_with(b"Return-Path: <pepe@pepito.es>\r\nReceived: from pepito.es"));
    assert!(String::from_utf8_lossy(&bob[0]).contains("with ESMTPSA"));
    let alice = serve.inbox("alice");
    assert_eq!(alice.len(), 2);
    let all = String::from_utf8_lossy(&alice.concat()).into_owned();
    assert!(all.contains("From: josé@ejemplo.es"), "{all}");
    assert!(all.contains("Return-Path: <josé@ejemplo.es>"), "{all}");
    assert!(all.contains("Subject: two"), "{all}");
    assert!(all.contains("with UTF8SMTPSA"), "{all}");
}

#[test]
fn curl_to_correo_serve() {
    if !require("curl_to_correo_serve", "curl", &["--version"]) {
        return;
    }
    let Some(TlsServe {
        serve, cert: ca, ..
    }) = serve_with_tls("curl_to_correo_serve", USERS, &["--smtp", "--smtps"])
    else {
        return;
    };
    let dir = temp_dir("curl-msg");
    let msg = b"From: curl@example.org\r\nTo: alice@example.org\r\nSubject: via curl\r\n\r\n.dot first\r\nbody\r\n";
    std::fs::write(dir.join("msg.eml"), msg).unwrap();
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--ssl-reqd", "--cacert"])
        .arg(&ca)
        .arg("--url")
        .arg(format!("smtp://localhost:{}", serve.port("smtp")))
        .args([
            "--mail-from",
            "curl@example.org",
            "--mail-rcpt",
            "alice@example.org",
        ])
        .args(["--user", "alice:secret", "--upload-file"])
        .arg(dir.join("msg.eml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alice = serve.inbox("alice");
    assert_eq!(alice.len(), 1);
    assert_eq!(strip_trace(&alice[0]), msg);
}

#[test]
fn correo_send_to_postfix() {
    let Some(peers) = Peers::start("send_postfix", 300) else {
        return;
    };
    let dir = temp_dir("send-postfix");
    let msg = "From: feik@lab.it.uc3m.es\r\nTo: alice@localhost\r\nCc: admin@lab.it.uc3m.es\r\n\
Date: Sat, 23 Nov 2024 19:45:03 +0100\r\nMessage-ID: <test-1@lab.it.uc3m.es>\r\nSubject: Test mail\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
We've been trying to reach you about your car's extended warranty. Señor.\r\n.a line with a dot\r\n";
    std::fs::write(dir.join("msg.eml"), msg).unwrap();
    let out = Command::new(correo())
        .arg("send")
        .arg("--server")
        .arg(format!("127.0.0.1:{}", peers.port("SMTP_PORT")))
        .arg("--starttls")
        .arg("--ca")
        .arg(peers.ca())
        .args([
            "--from",
            "feik@lab.it.uc3m.es",
            "--to",
            "alice@localhost",
            "-v",
        ])
        .arg(dir.join("msg.eml"))
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "correo send failed:\n{transcript}");
    // STARTTLS was used, then SIZE and 8BITMIME declared, and the envelope pipelined
    // (RCPT and DATA sent before the reply to MAIL came).
    assert!(
        transcript.contains("C: STARTTLS") && transcript.contains("[TLS established]"),
        "{transcript}"
    );
    assert!(
        transcript.contains(&format!("SIZE={}", msg.len())),
        "{transcript}"
    );
    assert!(transcript.contains("BODY=8BITMIME"), "{transcript}");
    let after_tls = transcript
        .split("[TLS established]")
        .nth(1)
        .unwrap_or_default();
    assert!(after_tls.contains("S: 250-PIPELINING"), "{transcript}");
    let data = after_tls.find("C: DATA").expect("DATA sent");
    let mail_ok = after_tls.find("S: 250 2.1.0").expect("MAIL accepted");
    assert!(data < mail_ok, "envelope not pipelined:\n{transcript}");
    let stored = peers.wait_for_mail("alice", 1);
    assert_eq!(stored.len(), 1, "Postfix/Dovecot did not deliver");
    // Dovecot stores LF line ends; compare modulo the trace headers and that.
    let body = String::from_utf8_lossy(strip_trace(&stored[0])).replace("\r\n", "\n");
    assert_eq!(body, msg.replace("\r\n", "\n"));
}
