//! Interop: Python's poplib against `correo serve`, and `correo pop3` against a real
//! Dovecot. Loopback only. A missing peer skips the test by name, or fails it under
//! `CORREO_INTEROP=1`.

mod common;

use std::process::Command;

use common::*;

const POPLIB: &str = r"
import poplib, smtplib, ssl, sys
smtp, pop, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
subjects = ['Test mail', 'uno', 'prueba', 'noot noot']
with smtplib.SMTP('127.0.0.1', smtp) as s:
    for i, sub in enumerate(subjects):
        s.sendmail('feik@lab.it.uc3m.es', ['alice@lab.it.uc3m.es'],
                   f'Subject: {sub}\r\nFrom: feik@lab.it.uc3m.es\r\n\r\nbody {i}\r\n.dot\r\n'.encode())
def session():
    p = poplib.POP3('127.0.0.1', pop)
    p.stls(context=ctx)
    p.user('alice'); p.pass_('secret')
    return p
# The seed's exercise: STAT, LIST, TOP 4 0, RETR 4, DELE 4, RSET, QUIT.
p = session()
count, size = p.stat(); assert count == 4, count
resp, listing, _ = p.list(); assert len(listing) == 4
resp, top, _ = p.top(4, 0)
assert b'Subject: noot noot' in top and top[-1] == b'', top
resp, lines, octets = p.retr(4)
assert lines[-2:] == [b'body 3', b'.dot'], lines
assert octets == int(listing[3].split()[1]), (octets, listing)
p.dele(4); assert p.stat()[0] == 3
p.rset(); assert p.stat()[0] == 4
uidl = p.uidl()[1]
p.quit()
# Reconnect: the message is still there, with the same UIDL.
p = session(); assert p.stat()[0] == 4; assert p.uidl()[1] == uidl
p.dele(4); p.quit()
# Reconnect: now it is gone. A dropped connection deletes nothing.
p = session(); assert p.stat()[0] == 3
p.dele(1); p.sock.close()
p = session(); assert p.stat()[0] == 3; p.quit()
print('ok')
";

#[test]
fn poplib_to_correo_serve() {
    if !require(
        "poplib_to_correo_serve",
        "python3",
        &["-c", "import poplib, ssl"],
    ) {
        return;
    }
    let Some(TlsServe { serve, cert, .. }) = serve_with_tls(
        "poplib_to_correo_serve",
        "alice:secret\n",
        &["--smtp", "--pop3"],
    ) else {
        return;
    };
    let (ok, out, err) = python(
        POPLIB,
        &[
            &serve.port("smtp").to_string(),
            &serve.port("pop3").to_string(),
            cert.to_str().unwrap(),
        ],
    );
    assert!(ok, "poplib session failed:\n{out}\n{err}");
    assert_eq!(out.trim(), "ok");
    assert_eq!(serve.inbox("alice").len(), 3);
}

#[test]
fn correo_pop3_to_dovecot() {
    let Some(peers) = Peers::start("pop3_dovecot", 400) else {
        return;
    };
    let dir = temp_dir("pop3-dovecot");
    let msg = "From: bob@localhost\r\nTo: alice@localhost\r\nSubject: prueba\r\nMessage-ID: <p1@localhost>\r\n\
Date: Sat, 23 Nov 2024 19:55:10 +0100\r\n\r\n.leading dot\r\nsecond line\r\n";
    let stored = peers.deliver_to_alice(&dir, msg);
    assert_eq!(stored.len(), 1);
    let out_file = dir.join("retr.eml");
    let out = Command::new(correo())
        .arg("pop3")
        .arg("--server")
        .arg(format!("localhost:{}", peers.port("POP3_PORT")))
        .arg("--stls")
        .arg("--ca")
        .arg(peers.ca())
        .args(["--user", "alice", "--password", "secret"])
        .args([
            "stat", "list", "uidl", "top", "1", "0", "retr", "1", "--out",
        ])
        .arg(&out_file)
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "correo pop3 failed:\n{transcript}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(transcript.contains("S: +OK 1 "), "{transcript}");
    assert!(transcript.contains("C: TOP 1 0"), "{transcript}");
    // What RETR gave, un-stuffed, is what Dovecot stored (which uses LF line ends).
    let got = std::fs::read(&out_file).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got).replace("\r\n", "\n"),
        String::from_utf8_lossy(&stored[0])
    );
    assert!(String::from_utf8_lossy(&got).ends_with("\r\n.leading dot\r\nsecond line\r\n"));
}
