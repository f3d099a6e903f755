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
    let Some(TlsServe { serve, dir, cert }) = serve_with_tls(
        "imaplib_to_correo_serve",
        "alice:secret\n",
        &["--smtp", "--imap"],
    ) else {
        return;
    };
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
    let stored = peers.deliver_to_alice(&dir, msg);
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
    let msg = "From: =?utf-8?q?Bob_Ni=C3=B1o?= <bob@localhost>\r\nTo: alice@localhost, \"Carol C\" <carol@example.org>\r\n\
Cc: dave@example.org\r\nSubject: prueba de estructura\r\nMessage-ID: <bs1@localhost>\r\nIn-Reply-To: <p0@localhost>\r\n\
Date: Sat, 23 Nov 2024 19:55:10 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n\
--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHola =C3=B1\r\nsegunda\r\n\
--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hola</p>\r\n--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--outer--\r\n";
    let Some(TlsServe { serve, dir, cert }) = serve_with_tls(
        "bodystructure_and_envelope_match_dovecot",
        "alice:secret\n",
        &["--imap"],
    ) else {
        return;
    };
    std::fs::write(dir.join("msg.eml"), msg).unwrap();
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

/// The seed's exercise list again, then the extensions `correo serve` adds: CONDSTORE and
/// QRESYNC (mod-sequences persisted across sessions), SORT and THREAD, SEARCHRES, RENAME
/// (INBOX included), DELETE with inferiors, SUBSCRIBE/LSUB, and UIDs stable across them.
const IMAPLIB_EXT: &str = r#"
import imaplib, re, smtplib, ssl, sys
smtp, imap, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
mails = [
    ('a', 'Plan', 'Tue, 1 Dec 2026 10:00:00 +0000', 'carol', ''),
    ('b', 'Re: Plan', 'Tue, 1 Dec 2026 12:00:00 +0100', 'bob', 'In-Reply-To: <a@x>\r\n'),
    ('c', 'Lunch', 'Mon, 30 Nov 2026 09:00:00 +0000', 'alice', ''),
    ('d', 'Re: [lab] Re: Plan (fwd)', 'Wed, 2 Dec 2026 09:00:00 +0000', 'dave', 'References: <a@x> <b@x>\r\n'),
    ('e', 'Fwd: Lunch', 'Thu, 3 Dec 2026 09:00:00 +0000', 'erin', 'References: <zz@x>\r\n'),
    ('f', 'Other', 'Sun, 29 Nov 2026 09:00:00 +0000', 'alice', 'References: <zz@x>\r\n'),
    ('g', 'lunch', 'Fri, 4 Dec 2026 09:00:00 +0000', 'gina', ''),
]
def send(i, sub, date, frm, refs):
    body = (f'Message-ID: <{i}@x>\r\nSubject: {sub}\r\nDate: {date}\r\nFrom: {frm}@x\r\n'
            f'To: alice@lab.it.uc3m.es\r\n{refs}\r\nbody {i}\r\n')
    with smtplib.SMTP('127.0.0.1', smtp) as s:
        s.sendmail(f'{frm}@x', ['alice@lab.it.uc3m.es'], body.encode())
for m_ in mails:
    send(*m_)
def session():
    m = imaplib.IMAP4('127.0.0.1', imap)
    m.starttls(ssl_context=ctx)
    m.login('alice', 'secret')
    return m
def code(m, name):
    typ, data = m.response(name)
    return data[0] if data and data[0] is not None else None
m = session()
typ, data = m.capability(); caps = data[0].split()
for c in [b'CONDSTORE', b'QRESYNC', b'SORT', b'ESORT', b'THREAD=ORDEREDSUBJECT', b'THREAD=REFERENCES', b'SEARCHRES', b'COMPRESS=DEFLATE']:
    assert c in caps, (c, caps)
# ENABLE answers what it enabled (imaplib allows it before SELECT only).
typ, data = m._simple_command('ENABLE', 'CONDSTORE', 'QRESYNC'); assert typ == 'OK', data
typ, data = m._untagged_response(typ, data, 'ENABLED'); assert data == [b'CONDSTORE QRESYNC'], data
# The seed's exercises still work with the extensions on.
typ, data = m.select('INBOX'); assert typ == 'OK' and data == [b'7'], data
hms0 = int(code(m, 'HIGHESTMODSEQ')); assert hms0 >= 7, hms0
validity = int(code(m, 'UIDVALIDITY'))
typ, data = m.fetch('4', '(RFC822.SIZE)'); assert typ == 'OK' and b'RFC822.SIZE' in data[0], data
typ, data = m.search(None, 'SUBJECT', 'lunch'); assert data == [b'3 5 7'], data
# SORT and THREAD (RFC 5256).
typ, data = m.sort('(SUBJECT)', 'UTF-8', 'ALL'); assert typ == 'OK' and data == [b'3 5 7 6 1 2 4'], data
typ, data = m.sort('(REVERSE DATE)', 'UTF-8', 'ALL'); assert data == [b'7 5 4 2 1 3 6'], data
typ, data = m.sort('(FROM)', 'UTF-8', 'ALL'); assert data == [b'3 6 2 1 4 5 7'], data
typ, data = m.uid('SORT', '(DATE)', 'UTF-8', 'SUBJECT', 'plan'); assert data == [b'1 2 4'], data
# ESORT (RFC 5267): MIN/MAX first/last in sorted order, ALL in sorted order.
typ, data = m._simple_command('SORT', 'RETURN', '(MIN MAX COUNT ALL)', '(SUBJECT)', 'UTF-8', 'ALL'); assert typ == 'OK', data
typ, data = m._untagged_response(typ, data, 'ESEARCH')
assert re.fullmatch(rb'\(TAG "[^"]+"\) MIN 3 MAX 4 COUNT 7 ALL 3,5,7,6,1:2,4', data[0]), data
typ, data = m.thread('ORDEREDSUBJECT', 'UTF-8', 'ALL'); assert data == [b'(6)(3 (5)(7))(1 (2)(4))'], data
typ, data = m.thread('REFERENCES', 'UTF-8', 'ALL'); assert data == [b'((6)(5))((3)(7))(1 2 4)'], data
# CONDSTORE / QRESYNC (RFC 7162).
typ, data = m.store('1', '+FLAGS', '(\\Flagged)'); assert typ == 'OK', data
ms1 = int(re.search(rb'MODSEQ \((\d+)\)', data[0]).group(1)); assert ms1 > hms0, (ms1, hms0)
typ, data = m.fetch('1:*', '(FLAGS) (CHANGEDSINCE %d)' % hms0); assert len(data) == 1 and data[0].startswith(b'1 (FLAGS (\\Flagged) MODSEQ'), data
typ, data = m.store('1:2', '(UNCHANGEDSINCE %d) +FLAGS' % hms0, '(\\Seen)'); assert typ == 'OK', data
assert code(m, 'MODIFIED') == b'1', m.untagged_responses
typ, data = m.uid('SEARCH', 'MODSEQ', str(ms1)); assert re.fullmatch(rb'1 2 \(MODSEQ \d+\)', data[0]), data
typ, data = m.store('3', '+FLAGS.SILENT', '(\\Deleted)')
typ, data = m.expunge(); assert typ == 'OK', data
assert code(m, 'VANISHED') == b'3', m.untagged_responses
typ, data = m.uid('FETCH', '1:*', '(FLAGS) (CHANGEDSINCE %d VANISHED)' % hms0); assert typ == 'OK', data
assert code(m, 'VANISHED') == b'(EARLIER) 3', m.untagged_responses
typ, data = m.status('INBOX', '(HIGHESTMODSEQ MESSAGES)'); assert b'MESSAGES 6' in data[0], data
hms1 = int(re.search(rb'HIGHESTMODSEQ (\d+)', data[0]).group(1)); assert hms1 > ms1, data
# SEARCHRES (RFC 5182).
typ, data = m._simple_command('SEARCH', 'RETURN', '(SAVE)', 'SUBJECT', 'plan'); assert typ == 'OK', data
typ, data = m.fetch('$', '(UID)'); assert [d for d in data] == [b'1 (UID 1)', b'2 (UID 2)', b'3 (UID 4)'], data
m.logout()
# A new session: mod-sequences persisted; QRESYNC resynchronises.
m = session()
typ, data = m._simple_command('ENABLE', 'QRESYNC'); assert typ == 'OK', data
typ, data = m._simple_command('SELECT', 'INBOX', '(QRESYNC (%d %d))' % (validity, hms0)); assert typ == 'OK', data
m.state = 'SELECTED'
assert int(code(m, 'HIGHESTMODSEQ')) == hms1, m.untagged_responses
assert code(m, 'VANISHED') == b'(EARLIER) 3', m.untagged_responses
fetches = m.untagged_responses.get('FETCH', [])
assert any(b'UID 1 ' in f and b'\\Flagged' in f for f in fetches), fetches
assert any(b'UID 2 ' in f and b'\\Seen' in f for f in fetches), fetches
# A body fetch sets \Seen: its one FETCH line carries it with the new mod-sequence
# (RFC 7162 3.1.4.1).
m.untagged_responses.pop('FETCH', None)
typ, data = m.fetch('5', '(BODY[TEXT])'); assert typ == 'OK', data
heads = [x[0] if isinstance(x, tuple) else x for x in data]
heads = [h for h in heads if re.match(rb'\d+ \(', h)]
flat = b' '.join(x[0] + x[1] if isinstance(x, tuple) else x for x in data)
ms = [int(x) for x in re.findall(rb'MODSEQ \((\d+)\)', flat)]
assert len(heads) == 1 and heads[0].startswith(b'5 (') and b'BODY[TEXT]' in heads[0], data
assert re.search(rb'FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$', flat), data
assert len(ms) == 1 and ms[0] > hms1, data
typ, data = m.fetch('5', '(FLAGS MODSEQ)'); assert data == [b'5 (FLAGS (\\Seen) MODSEQ (%d))' % ms[0]], data
# STORE on several messages (one rescan): each reports its own new mod-sequence.
typ, data = m.store('1:*', '+FLAGS', '(\\Answered)'); assert typ == 'OK', data
got = [re.fullmatch(rb'(\d+) \(FLAGS \(.*\\Answered.*\) MODSEQ \((\d+)\)\)', d) for d in data]
assert all(got) and [int(g.group(1)) for g in got] == list(range(1, len(data) + 1)), data
mods = [int(g.group(2)) for g in got]
assert len(set(mods)) == len(mods) and min(mods) > ms[0], data
# Folders: CREATE, SUBSCRIBE/LSUB, RENAME with inferiors, DELETE with inferiors.
for name in ['proyecto/a', 'proyecto/b']:
    typ, data = m.create(name); assert typ == 'OK', data
typ, data = m.subscribe('proyecto/a'); assert typ == 'OK', data
typ, data = m.lsub(); assert data == [b'() "/" proyecto/a'], data
typ, data = m.copy('1', 'proyecto/a'); assert typ == 'OK', data
typ, data = m.rename('proyecto', 'trabajo/2026'); assert typ == 'OK', data
typ, data = m.rename('nada', 'x'); assert typ == 'NO', data
typ, data = m.rename('INBOX', 'trabajo'); assert typ == 'NO', data
typ, data = m.list('""', '*'); names = [l.decode() for l in data]
assert names == ['(\\HasNoChildren) "/" INBOX', '(\\HasChildren) "/" trabajo', '(\\HasChildren) "/" trabajo/2026',
                 '(\\HasNoChildren) "/" trabajo/2026/a', '(\\HasNoChildren) "/" trabajo/2026/b'], names
typ, data = m.select('trabajo/2026/a'); assert typ == 'OK' and data == [b'1'], data
typ, data = m.delete('trabajo/2026'); assert typ == 'OK', data
typ, data = m.list('""', 'trabajo/%'); assert data == [b'(\\Noselect \\HasChildren) "/" trabajo/2026'], data
typ, data = m.delete('trabajo/2026'); assert typ == 'NO' and data[0].startswith(b'[HASCHILDREN]'), data
typ, data = m.select('trabajo/2026'); assert typ == 'NO', data
# RENAME INBOX: the messages move, INBOX stays (empty), its UIDs are not reused.
typ, data = m.select('INBOX'); assert data == [b'6'], data
typ, data = m.rename('INBOX', 'viejo'); assert typ == 'OK', data
typ, data = m.select('INBOX'); assert data == [b'0'], data
typ, data = m.select('viejo'); assert data == [b'6'], data
typ, data = m.fetch('1:*', '(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
assert b'<a@x>' in data[0][1] and b'<g@x>' in data[-2][1], data
m.logout()
send('h', 'Despues', 'Sat, 5 Dec 2026 09:00:00 +0000', 'hugo', '')
m = session()
typ, data = m.select('INBOX'); assert data == [b'1'], data
typ, data = m.uid('SEARCH', 'ALL'); assert data == [b'8'], data
typ, data = m.list('""', '*'); assert [l for l in data if b'viejo' in l] == [b'(\\HasNoChildren) "/" viejo'], data
typ, data = m.unsubscribe('proyecto/a'); assert typ == 'OK', data
typ, data = m.lsub(); assert data == [None], data
m.logout()
print('ok')
"#;

#[test]
fn imaplib_extensions_against_correo_serve() {
    if !require(
        "imaplib_extensions_against_correo_serve",
        "python3",
        &["-c", "import imaplib, ssl"],
    ) {
        return;
    }
    let Some(TlsServe { serve, dir, cert }) = serve_with_tls(
        "imaplib_extensions_against_correo_serve",
        "alice:secret\n",
        &["--smtp", "--imap"],
    ) else {
        return;
    };
    let (ok, out, err) = python(
        IMAPLIB_EXT,
        &[
            &serve.port("smtp").to_string(),
            &serve.port("imap").to_string(),
            cert.to_str().unwrap(),
        ],
    );
    assert!(ok, "imaplib session failed:\n{out}\n{err}");
    assert_eq!(out.trim(), "ok");
    // The mod-sequence state sits beside the UID list.
    let state = std::fs::read_to_string(dir.join("mail/alice/.viejo/correo-modseq")).unwrap();
    assert!(state.starts_with('H'), "{state}");
}

/// COMPRESS=DEFLATE against `correo serve`: after the tagged OK both directions are raw
/// DEFLATE (RFC 1951) with sync flushes; a zlib stream on a loopback socket talks to it.
#[test]
fn compress_deflate_on_the_socket() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    let dir = temp_dir("imap-compress");
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
            "--insecure-auth",
        ],
    );
    let sock = TcpStream::connect(serve.addr("imap")).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut w = sock.try_clone().unwrap();
    let mut r = BufReader::new(sock);
    let mut line = String::new();
    let mut read_line = |r: &mut BufReader<TcpStream>| {
        line.clear();
        r.read_line(&mut line).unwrap();
        line.clone()
    };
    assert!(read_line(&mut r).starts_with("* OK "));
    w.write_all(b"a1 LOGIN alice secret\r\n").unwrap();
    let ok = read_line(&mut r);
    assert!(
        ok.starts_with("a1 OK") && ok.contains("COMPRESS=DEFLATE"),
        "{ok}"
    );
    w.write_all(b"a2 COMPRESS DEFLATE\r\n").unwrap();
    assert_eq!(read_line(&mut r), "a2 OK DEFLATE active\r\n");
    // From here on: raw DEFLATE both ways.
    let mut comp = flate2::Compress::new(flate2::Compression::fast(), false);
    let mut decomp = flate2::Decompress::new(false);
    let mut send = |w: &mut TcpStream, text: &[u8]| {
        let mut out = Vec::with_capacity(text.len() + 1024);
        comp.compress_vec(text, &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        w.write_all(&out).unwrap();
    };
    let mut plain = Vec::new();
    let mut until = |r: &mut BufReader<TcpStream>, plain: &mut Vec<u8>, end: &[u8]| {
        let mut buf = [0u8; 4096];
        while !plain.windows(end.len()).any(|x| x == end) {
            let n = r.read(&mut buf).unwrap();
            assert!(n > 0, "closed; got {:?}", String::from_utf8_lossy(plain));
            let mut input = &buf[..n];
            while !input.is_empty() {
                let mut out = Vec::with_capacity(64 * 1024);
                let before = decomp.total_in();
                decomp
                    .decompress_vec(input, &mut out, flate2::FlushDecompress::Sync)
                    .unwrap();
                let used = (decomp.total_in() - before) as usize;
                input = &input[used..];
                plain.extend_from_slice(&out);
                if used == 0 && out.is_empty() {
                    break;
                }
            }
        }
        String::from_utf8_lossy(plain).into_owned()
    };
    send(&mut w, b"a3 CAPABILITY\r\na4 CREATE comprimido\r\n");
    let got = until(&mut r, &mut plain, b"a4 OK");
    assert!(got.contains("* CAPABILITY IMAP4rev1 "), "{got}");
    assert!(!got.contains("COMPRESS=DEFLATE"), "{got}");
    assert!(got.contains("a3 OK"), "{got}");
    plain.clear();
    // A literal and a larger answer through the compressed stream.
    let body = "Subject: comprimido\r\n\r\n".to_owned() + &"linea de prueba\r\n".repeat(2000);
    send(
        &mut w,
        format!("a5 APPEND comprimido {{{}+}}\r\n", body.len()).as_bytes(),
    );
    send(&mut w, body.as_bytes());
    send(
        &mut w,
        b"\r\na6 SELECT comprimido\r\na7 FETCH 1 BODY.PEEK[]\r\n",
    );
    let got = until(&mut r, &mut plain, b"a7 OK");
    assert!(got.contains("a5 OK [APPENDUID "), "{got}");
    assert!(
        got.contains(&format!("* 1 FETCH (BODY[] {{{}}}\r\n{body})", body.len())),
        "{}",
        &got[..got.len().min(300)]
    );
    plain.clear();
    send(&mut w, b"a8 COMPRESS DEFLATE\r\na9 LOGOUT\r\n");
    let got = until(&mut r, &mut plain, b"a9 OK");
    assert!(got.contains("a8 NO [COMPRESSIONACTIVE]"), "{got}");
    let stored = std::fs::read_dir(dir.join("mail/alice/.comprimido/new"))
        .unwrap()
        .count()
        + std::fs::read_dir(dir.join("mail/alice/.comprimido/cur"))
            .unwrap()
            .count();
    assert_eq!(stored, 1);
}

/// `correo imap ... compress ...` against `correo serve`: the session goes on deflated
/// (both ends are correo; the socket test above checks the wire format with zlib).
#[test]
fn correo_imap_compress_against_correo_serve() {
    let dir = temp_dir("imap-compress-cli");
    std::fs::write(dir.join("users"), "alice:secret\n").unwrap();
    let serve = Serve::start(
        &dir.join("mail"),
        &[
            "--users",
            dir.join("users").to_str().unwrap(),
            "--imap",
            "127.0.0.1:0",
            "--insecure-auth",
        ],
    );
    let out = Command::new(correo())
        .arg("imap")
        .arg("--server")
        .arg(serve.addr("imap"))
        .args(["--user", "alice", "--password", "secret"])
        .args([
            "compress",
            "create",
            "comprimido/sub",
            "list",
            "select",
            "comprimido/sub",
            "status",
            "INBOX",
            "(MESSAGES HIGHESTMODSEQ)",
        ])
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{transcript}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = transcript
        .split("[DEFLATE active]")
        .nth(1)
        .unwrap_or_else(|| panic!("no DEFLATE: {transcript}"));
    assert!(
        after.contains("S: * LIST (\\HasChildren) \"/\" comprimido"),
        "{transcript}"
    );
    assert!(after.contains("S: * OK [HIGHESTMODSEQ "), "{transcript}");
    assert!(
        after.contains("S: * STATUS INBOX (MESSAGES 0 HIGHESTMODSEQ "),
        "{transcript}"
    );
}
