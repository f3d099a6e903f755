//! Interop: Python's imaplib against `correo serve --imap`. Loopback only. A missing peer
//! skips the test by name, or fails it under `CORREO_INTEROP=1`.

mod common;

use std::process::Command;

use common::*;

const IMAPLIB: &str = r#"
import imaplib, smtplib, ssl, sys, threading, time
smtp, imap, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
subjects = ['Test mail', 'uno', 'otra', 'prueba de correo']
def send(sub, i):
    with smtplib.SMTP('127.0.0.1', smtp) as s:
        body = (f'Subject: {sub}\r\nFrom: feik@lab.it.uc3m.es\r\nTo: alice@lab.it.uc3m.es\r\n'
                f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
                f'--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody {i}\r\n'
                f'--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n')
        s.sendmail('feik@lab.it.uc3m.es', ['alice@lab.it.uc3m.es'], body.encode())
for i, sub in enumerate(subjects):
    send(sub, i)
m = imaplib.IMAP4('127.0.0.1', imap)
typ, caps = m.capability(); assert typ == 'OK' and b'STARTTLS' in caps[0], caps
m.starttls(ssl_context=ctx)
m.login('alice', 'secret')
typ, data = m.select('INBOX'); assert typ == 'OK' and data == [b'4'], data
typ, data = m.status('INBOX', '(MESSAGES UNSEEN)'); assert typ == 'OK' and b'MESSAGES 4' in data[0] and b'UNSEEN 4' in data[0], data
typ, data = m.fetch('4', '(RFC822.SIZE)'); assert typ == 'OK' and b'RFC822.SIZE' in data[0], data
typ, data = m.fetch('4', '(BODYSTRUCTURE)'); assert typ == 'OK' and b'"MIXED"' in data[0].upper() and b'"OCTET-STREAM"' in data[0].upper(), data
typ, data = m.fetch('4', '(BODY[HEADER] BODY[TEXT])'); assert typ == 'OK', data
assert b'Subject: prueba de correo' in data[0][1], data
assert b'body 3' in data[1][1], data
typ, data = m.store('4', '+FLAGS', '(\\Deleted)'); assert typ == 'OK' and b'\\Deleted' in data[0], data
typ, data = m.list(); assert typ == 'OK' and any(b'INBOX' in l for l in data), data
typ, data = m.create('laboratorio/prueba'); assert typ == 'OK', data
typ, data = m.list(); assert any(b'laboratorio/prueba' in l for l in data), data
typ, data = m.search(None, 'SUBJECT', 'prueba'); assert typ == 'OK' and data == [b'4'], data
typ, data = m.copy('4', 'laboratorio/prueba'); assert typ == 'OK', data
assert m.untagged_responses.get('COPYUID') or b'COPYUID' in data[0], (data, m.untagged_responses)
typ, data = m.select('laboratorio/prueba'); assert typ == 'OK' and data == [b'1'], data
typ, data = m.fetch('1', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])'); assert b'prueba de correo' in data[0][1] and b'\\Deleted' in data[0][0], data
# IDLE wakes when SMTP delivers into the selected mailbox.
m.select('INBOX')
tag = m._new_tag().decode()
m.send(f'{tag} IDLE\r\n'.encode())
assert m.readline().startswith(b'+'), 'no continuation'
threading.Timer(0.5, send, args=('despierta', 9)).start()
line = m.readline(); assert line == b'* 5 EXISTS\r\n', line
m.send(b'DONE\r\n')
line = m.readline(); assert line.startswith(tag.encode() + b' OK'), line
m.logout()
# A second session: UIDs are stable and \Deleted persisted; EXPUNGE removes it.
m = imaplib.IMAP4('127.0.0.1', imap); m.starttls(ssl_context=ctx); m.login('alice', 'secret')
m.select('INBOX')
typ, data = m.uid('SEARCH', 'DELETED'); assert data == [b'4'], data
typ, data = m.expunge(); assert data == [b'4'], data
m.logout()
print('ok')
"#;

#[test]
fn imaplib_to_correo_serve() {
    if !require(
        "imaplib_to_correo_serve",
        "python3",
        &["-c", "import imaplib, ssl"],
    ) {
        return;
    }
    let dir = temp_dir("imaplib");
    let Some((cert, key)) = make_cert(&dir) else {
        assert!(!interop_required(), "openssl missing and CORREO_INTEROP=1");
        eprintln!("skipped: imaplib_to_correo_serve: openssl not found");
        return;
    };
    std::fs::write(dir.join("users"), "alice:secret\n").unwrap();
    let serve = Serve::start(
        &dir.join("mail"),
        &[
            "--users",
            dir.join("users").to_str().unwrap(),
            "--smtp",
            "127.0.0.1:0",
            "--imap",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let (ok, out, err) = python(
        IMAPLIB,
        &[
            &serve.port("smtp").to_string(),
            &serve.port("imap").to_string(),
            cert.to_str().unwrap(),
        ],
    );
    assert!(ok, "imaplib session failed:\n{out}\n{err}");
    assert_eq!(out.trim(), "ok");
    // The copy is a Maildir file in the new folder, flags kept (T = \Deleted).
    let folder = dir
        .join("mail")
        .join("alice")
        .join(".laboratorio.prueba")
        .join("cur");
    let copied: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(copied.len(), 1, "{copied:?}");
    let name = copied[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.ends_with(",T")
            || name.contains(":2,") && name.rsplit(":2,").next().unwrap().contains('T'),
        "{name}"
    );
    let body = std::fs::read(&copied[0]).unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Subject: prueba de correo"));
    // EXPUNGE removed the original: four left in INBOX (three plus the IDLE one).
    assert_eq!(serve.inbox("alice").len(), 4);
}

#[test]
fn correo_imap_to_dovecot() {
    let Some(peers) = Peers::start("imap_dovecot", 600) else {
        return;
    };
    let dir = temp_dir("imap-dovecot");
    let msg = "From: bob@localhost\r\nTo: alice@localhost\r\nSubject: prueba\r\nMessage-ID: <i1@localhost>\r\n\
Date: Sat, 23 Nov 2024 19:55:10 +0100\r\n\r\nprimera linea\r\nsegunda linea\r\n";
    std::fs::write(dir.join("msg.eml"), msg).unwrap();
    let sent = Command::new(correo())
        .arg("send")
        .arg("--server")
        .arg(format!("127.0.0.1:{}", peers.port("SMTP_PORT")))
        .arg("--ca")
        .arg(peers.ca())
        .args(["--from", "bob@localhost", "--to", "alice@localhost"])
        .arg(dir.join("msg.eml"))
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let stored = peers.wait_for_mail("alice", 1);
    assert_eq!(stored.len(), 1);
    let out_file = dir.join("text.eml");
    let out = Command::new(correo())
        .arg("imap")
        .arg("--server")
        .arg(format!("localhost:{}", peers.port("IMAP_PORT")))
        .arg("--starttls")
        .arg("--ca")
        .arg(peers.ca())
        .args(["--user", "alice", "--password", "secret"])
        .args([
            "capability",
            "list",
            "select",
            "INBOX",
            "status",
            "INBOX",
            "(MESSAGES UNSEEN)",
        ])
        .args(["fetch", "1", "(BODY.PEEK[TEXT])", "--out"])
        .arg(&out_file)
        .args([
            "search",
            "SUBJECT prueba",
            "create",
            "laboratorio/prueba",
            "copy",
            "1",
            "laboratorio/prueba",
        ])
        .args(["store", "1", "+FLAGS (\\Deleted)", "idle", "1"])
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "correo imap failed:\n{transcript}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        transcript.contains("S: * STATUS INBOX (MESSAGES 1 UNSEEN 1)"),
        "{transcript}"
    );
    assert!(transcript.contains("S: * SEARCH 1"), "{transcript}");
    assert!(transcript.contains("[COPYUID "), "{transcript}");
    assert!(transcript.contains("+ idling"), "{transcript}");
    let got = std::fs::read(&out_file).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got).replace("\r\n", "\n"),
        "primera linea\nsegunda linea\n"
    );
    // A command the server refuses makes the exit status non-zero.
    let out = Command::new(correo())
        .arg("imap")
        .arg("--server")
        .arg(format!("localhost:{}", peers.port("IMAP_PORT")))
        .arg("--starttls")
        .arg("--ca")
        .arg(peers.ca())
        .args([
            "--user",
            "alice",
            "--password",
            "secret",
            "select",
            "no-such-mailbox",
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// APPENDs the same bytes to a server and prints `FETCH 1 (BODYSTRUCTURE ENVELOPE)`.
const APPEND_FETCH: &str = r"
import imaplib, ssl, sys
port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4('localhost', port)
m.starttls(ssl_context=ssl.create_default_context(cafile=ca))
m.login('alice', 'secret')
m.create('cmp')
typ, data = m.append('cmp', None, None, open(path, 'rb').read()); assert typ == 'OK', data
m.select('cmp')
def flat(data):
    # A literal inside the response comes as a (prefix, literal) tuple.
    return b''.join(b''.join(x) if isinstance(x, tuple) else x for x in data).decode()
typ, data = m.fetch('1', '(BODYSTRUCTURE)'); assert typ == 'OK', data
print(flat(data).split('BODYSTRUCTURE ', 1)[1][:-1])
typ, data = m.fetch('1', '(ENVELOPE)'); assert typ == 'OK', data
print(flat(data).split('ENVELOPE ', 1)[1][:-1])
m.logout()
";

#[test]
fn bodystructure_and_envelope_match_dovecot() {
    if !require(
        "bodystructure_and_envelope_match_dovecot",
        "python3",
        &["-c", "import imaplib, ssl"],
    ) {
        return;
    }
    let Some(peers) = Peers::start("imap_bodystructure", 610) else {
        return;
    };
    let dir = temp_dir("imap-bs");
    let msg = "From: =?utf-8?q?Bob_Ni=C3=B1o?= <bob@localhost>\r\nTo: alice@localhost, \"Carol C\" <carol@example.org>\r\n\
Cc: dave@example.org\r\nSubject: prueba de estructura\r\nMessage-ID: <bs1@localhost>\r\nIn-Reply-To: <p0@localhost>\r\n\
Date: Sat, 23 Nov 2024 19:55:10 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n\
--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHola =C3=B1\r\nsegunda\r\n\
--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hola</p>\r\n--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--outer--\r\n";
    std::fs::write(dir.join("msg.eml"), msg).unwrap();
    let Some((cert, key)) = make_cert(&dir) else {
        assert!(!interop_required(), "openssl missing and CORREO_INTEROP=1");
        eprintln!("skipped: bodystructure_and_envelope_match_dovecot: openssl not found");
        return;
    };
    std::fs::write(dir.join("users"), "alice:secret\n").unwrap();
    let serve = Serve::start(
        &dir.join("mail"),
        &[
            "--users",
            dir.join("users").to_str().unwrap(),
            "--imap",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let path = dir.join("msg.eml");
    let (ok, ours, err) = python(
        APPEND_FETCH,
        &[
            &serve.port("imap").to_string(),
            cert.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "correo serve:\n{ours}\n{err}");
    let (ok, theirs, err) = python(
        APPEND_FETCH,
        &[
            &peers.port("IMAP_PORT").to_string(),
            peers.ca().to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "dovecot:\n{theirs}\n{err}");
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(ours[0], theirs[0], "BODYSTRUCTURE differs");
    assert_eq!(ours[1], theirs[1], "ENVELOPE differs");
}
