//! Server state machine: the imaplib session against Dovecot replayed into the server with an
//! in-memory application; the seed's exercises; literals, STARTTLS, state gating, IDLE,
//! EXPUNGE queuing; a client <-> server run. The in-memory application answers SEARCH,
//! SORT and THREAD through the `mime` bridge, so these tests need that (default) feature.
#![cfg(feature = "mime")]
#![allow(clippy::many_single_char_names)]

use std::borrow::Cow;

use correo_imap::server::{ChangedMessage, Event, MailboxView, MessageData, Server, ServerConfig};
use correo_imap::types::{Code, Flag, ListItem, Mailbox, Status, StatusItem, StoreMode};

const DATE: &str = "22-Nov-2026 23:20:45 +0000";

fn crlf(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for &c in b {
        if c == b'\n' && v.last() != Some(&b'\r') {
            v.push(b'\r');
        }
        v.push(c);
    }
    v
}

fn eml(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/data/server/{name}", env!("CARGO_MANIFEST_DIR"));
    crlf(&std::fs::read(p).unwrap())
}

#[derive(Debug, Clone)]
struct Msg {
    uid: u32,
    flags: Vec<Flag<'static>>,
    bytes: Vec<u8>,
    modseq: u64,
}

#[derive(Debug, Clone)]
struct Mbox {
    name: String,
    validity: u32,
    next: u32,
    msgs: Vec<Msg>,
    special: Option<&'static str>,
    /// Highest mod-sequence, and expunged UIDs with the mod-sequence of their removal.
    highest: u64,
    vanished: Vec<(u32, u64)>,
}

/// An in-memory mail store answering the server's events.
#[derive(Debug)]
struct App {
    boxes: Vec<Mbox>,
    selected: Option<usize>,
    appended: Vec<Vec<u8>>,
    log: Vec<String>,
    /// Store the `\Seen` a body FETCH sets before answering the message
    /// (`fetch_message_seen_stored`) instead of on `Event::SeenSet`.
    seen_first: bool,
}

fn order(f: &Flag<'_>) -> u8 {
    match f {
        Flag::Answered => 0,
        Flag::Flagged => 1,
        Flag::Deleted => 2,
        Flag::Seen => 3,
        Flag::Draft => 4,
        _ => 5,
    }
}

impl App {
    fn new(inbox: Vec<Vec<u8>>) -> App {
        let mut boxes = Vec::new();
        for (n, s) in [
            ("Drafts", Some("Drafts")),
            ("Sent", Some("Sent")),
            ("Trash", Some("Trash")),
            ("Junk", Some("Junk")),
        ] {
            boxes.push(Mbox {
                name: n.into(),
                validity: 1,
                next: 1,
                msgs: vec![],
                special: s,
                highest: 1,
                vanished: vec![],
            });
        }
        let msgs: Vec<Msg> = inbox
            .into_iter()
            .zip(1..)
            .map(|(bytes, uid)| Msg {
                uid,
                flags: vec![],
                bytes,
                modseq: u64::from(uid),
            })
            .collect();
        boxes.push(Mbox {
            name: "INBOX".into(),
            validity: 1_795_389_645,
            next: msgs.len() as u32 + 1,
            highest: msgs.len() as u64 + 1,
            msgs,
            special: None,
            vanished: vec![],
        });
        App {
            boxes,
            selected: None,
            appended: vec![],
            log: vec![],
            seen_first: false,
        }
    }

    fn find(&self, m: &Mailbox<'_>) -> Option<usize> {
        self.boxes
            .iter()
            .position(|b| b.name.as_bytes() == m.as_bytes())
    }

    fn drive(&mut self, s: &mut Server) {
        while let Some(e) = s.poll_event() {
            self.log.push(format!("{e:?}").chars().take(60).collect());
            self.on(s, e);
        }
    }

    #[allow(clippy::too_many_lines)]
    fn on(&mut self, s: &mut Server, e: Event) {
        match e {
            Event::Login { username, password } => {
                if username == b"alice"
                    && (password == b"secret" || password == "MiSuperContraseña".as_bytes())
                {
                    s.accept_login();
                } else {
                    s.reject_login("Authentication failed.");
                }
            }
            Event::Authenticate { initial, .. } => match initial {
                Some(i) if i == b"\0alice\0secret" => s.accept_login(),
                Some(_) => s.reject_login("Authentication failed."),
                None => s.auth_challenge(b""),
            },
            Event::AuthResponse(r) => {
                if r == b"\0alice\0secret" {
                    s.accept_login();
                } else {
                    s.reject_login("Authentication failed.");
                }
            }
            Event::Select {
                mailbox, qresync, ..
            } => match self.find(&mailbox) {
                Some(i) => {
                    self.selected = Some(i);
                    let b = &self.boxes[i];
                    let since = qresync.as_ref().map_or(u64::MAX, |q| q.modseq);
                    let vanished = b
                        .vanished
                        .iter()
                        .filter(|v| v.1 > since)
                        .map(|v| v.0)
                        .collect();
                    let changed = b
                        .msgs
                        .iter()
                        .filter(|m| m.modseq > since)
                        .map(|m| ChangedMessage {
                            uid: m.uid,
                            flags: m.flags.clone(),
                            modseq: m.modseq,
                        })
                        .collect();
                    let first_unseen = b
                        .msgs
                        .iter()
                        .position(|m| !m.flags.contains(&Flag::Seen))
                        .map(|p| p as u32 + 1);
                    s.select_ok(MailboxView {
                        uids: b.msgs.iter().map(|m| m.uid).collect(),
                        recent: if b.name == "INBOX" {
                            0
                        } else {
                            b.msgs.len() as u32
                        },
                        first_unseen,
                        uid_validity: b.validity,
                        uid_next: b.next,
                        highest_modseq: Some(b.highest),
                        vanished,
                        changed,
                        ..MailboxView::default()
                    });
                }
                None => {
                    self.selected = None;
                    let name = String::from_utf8_lossy(mailbox.as_bytes()).into_owned();
                    s.complete(Status::No, None, &format!("Mailbox doesn't exist: {name}."));
                }
            },
            Event::Create {
                mailbox: m,
                special_use,
            } => {
                let name = String::from_utf8_lossy(m.as_bytes()).into_owned();
                // This store keeps at most one special use, and not \All (as in the
                // RFC 6154 example).
                let special = match special_use.as_slice() {
                    [] => None,
                    [Flag::Extension(a)] if a.eq_ignore_ascii_case("Important") => {
                        Some("Important")
                    }
                    [Flag::Extension(a)] if a.eq_ignore_ascii_case("Archive") => Some("Archive"),
                    _ => {
                        let attrs: Vec<String> = special_use
                            .iter()
                            .map(|f| f.to_wire().into_owned())
                            .collect();
                        let text = format!("{} not supported", attrs.join(" "));
                        s.complete(Status::No, Some(Code::UseAttr), &text);
                        return;
                    }
                };
                self.boxes.push(Mbox {
                    name,
                    validity: 1_795_389_646,
                    next: 1,
                    msgs: vec![],
                    special,
                    highest: 1,
                    vanished: vec![],
                });
                s.complete(Status::Ok, None, "");
            }
            Event::List { lsub, options, .. } => {
                let names: Vec<_> = self
                    .boxes
                    .iter()
                    .map(|b| (b.name.clone(), b.special, b.msgs.len() as u64))
                    .collect();
                for (name, special, count) in names {
                    if lsub || name.contains('/') {
                        continue;
                    }
                    let mut attributes = vec![Flag::Extension(Cow::Borrowed("HasNoChildren"))];
                    if let Some(sp) = special {
                        attributes.push(Flag::Extension(Cow::Owned(sp.into())));
                    }
                    s.list_item(ListItem {
                        attributes,
                        delimiter: Some(b'/'),
                        mailbox: Mailbox(Cow::Owned(name.clone().into_bytes())),
                        extended: None,
                    });
                    if options.status.is_some() {
                        s.status(
                            Mailbox(Cow::Owned(name.into_bytes())),
                            vec![(StatusItem::Messages, count)],
                        );
                    }
                }
                s.complete(Status::Ok, None, "");
            }
            Event::Status { mailbox, items } => {
                let Some(i) = self.find(&mailbox) else {
                    s.complete(Status::No, None, "Mailbox doesn't exist.");
                    return;
                };
                let b = &self.boxes[i];
                let vals = items
                    .into_iter()
                    .map(|it| {
                        let v = match it {
                            StatusItem::Messages => b.msgs.len() as u64,
                            StatusItem::UidNext => u64::from(b.next),
                            StatusItem::UidValidity => u64::from(b.validity),
                            StatusItem::Unseen => b
                                .msgs
                                .iter()
                                .filter(|m| !m.flags.contains(&Flag::Seen))
                                .count() as u64,
                            _ => 0,
                        };
                        (it, v)
                    })
                    .collect();
                s.status(mailbox.clone(), vals);
                if self.selected == Some(i) {
                    s.complete(
                        Status::Ok,
                        Some(Code::ClientBug),
                        "Status on selected mailbox completed.",
                    );
                } else {
                    s.complete(Status::Ok, None, "");
                }
            }
            Event::AppendBegin { .. } => self.appended.push(vec![]),
            Event::AppendData(d) => {
                if let Some(l) = self.appended.last_mut() {
                    l.extend_from_slice(&d);
                }
            }
            Event::AppendEnd => {}
            Event::Append { mailbox, messages } => {
                let Some(i) = self.find(&mailbox) else {
                    s.complete(Status::No, Some(Code::TryCreate), "Mailbox doesn't exist.");
                    return;
                };
                let b = &mut self.boxes[i];
                let mut uids = vec![];
                for ((flags, _), bytes) in
                    messages.into_iter().zip(std::mem::take(&mut self.appended))
                {
                    let uid = b.next;
                    b.next += 1;
                    b.highest += 1;
                    uids.push(uid);
                    b.msgs.push(Msg {
                        uid,
                        flags: flags.unwrap_or_default(),
                        bytes,
                        modseq: b.highest,
                    });
                }
                let v = b.validity;
                s.append_ok(Some((v, uids)));
            }
            Event::Fetch {
                messages,
                vanished,
                changed_since,
                ..
            } => {
                let seen_first = self.seen_first;
                let b = &mut self.boxes[self.selected.unwrap()];
                if vanished {
                    let since = changed_since.unwrap_or(0);
                    let v: Vec<u32> = b
                        .vanished
                        .iter()
                        .filter(|v| v.1 > since)
                        .map(|v| v.0)
                        .collect();
                    s.vanished_earlier(&v);
                }
                for r in messages {
                    let m = b.msgs.iter_mut().find(|m| m.uid == r.uid).unwrap();
                    if seen_first && s.fetch_sets_seen(&m.flags) {
                        // Store \Seen first: one FETCH line with the new MODSEQ.
                        let before = m.flags.clone();
                        m.flags.push(Flag::Seen);
                        m.flags.sort_by_key(order);
                        b.highest += 1;
                        m.modseq = b.highest;
                        let data = MessageData {
                            uid: m.uid,
                            flags: before,
                            internal_date: Cow::Borrowed(DATE),
                            size: m.bytes.len() as u64,
                            bytes: Some(&m.bytes),
                            envelope: None,
                            body_structure: None,
                        };
                        s.fetch_message_seen_stored(r.seq, &data, Some(m.modseq));
                        continue;
                    }
                    let data = MessageData {
                        uid: m.uid,
                        flags: m.flags.clone(),
                        internal_date: Cow::Borrowed(DATE),
                        size: m.bytes.len() as u64,
                        bytes: Some(&m.bytes),
                        envelope: None,
                        body_structure: None,
                    };
                    s.fetch_message_modseq(r.seq, &data, Some(m.modseq));
                }
                s.complete(Status::Ok, None, "");
            }
            Event::SeenSet { uid } => {
                let b = &mut self.boxes[self.selected.unwrap()];
                if let Some(m) = b.msgs.iter_mut().find(|m| m.uid == uid) {
                    m.flags.push(Flag::Seen);
                    m.flags.sort_by_key(order);
                    b.highest += 1;
                    m.modseq = b.highest;
                }
            }
            Event::Store {
                messages,
                mode,
                flags,
                unchanged_since,
                ..
            } => {
                let b = &mut self.boxes[self.selected.unwrap()];
                for r in messages {
                    let m = b.msgs.iter_mut().find(|m| m.uid == r.uid).unwrap();
                    if unchanged_since.is_some_and(|u| m.modseq > u) {
                        s.store_modified(r.seq);
                        continue;
                    }
                    b.highest += 1;
                    m.modseq = b.highest;
                    match mode {
                        StoreMode::Replace => m.flags.clone_from(&flags),
                        StoreMode::Add => {
                            for f in &flags {
                                if !m.flags.contains(f) {
                                    m.flags.push(f.clone());
                                }
                            }
                        }
                        StoreMode::Remove => m.flags.retain(|f| !flags.contains(f)),
                    }
                    m.flags.sort_by_key(order);
                    let mut shown = m.flags.clone();
                    if b.name != "INBOX" {
                        shown.push(Flag::Recent);
                    }
                    s.store_result(r.seq, shown, Some(m.modseq));
                }
                s.complete(Status::Ok, None, "");
            }
            Event::Copy {
                uids,
                mailbox,
                is_move,
            } => {
                let Some(d) = self.find(&mailbox) else {
                    s.complete(Status::No, Some(Code::TryCreate), "Mailbox doesn't exist.");
                    return;
                };
                let src = self.selected.unwrap();
                let mut dst_uids = vec![];
                for &u in &uids {
                    let m = self.boxes[src]
                        .msgs
                        .iter()
                        .find(|m| m.uid == u)
                        .unwrap()
                        .clone();
                    let b = &mut self.boxes[d];
                    let uid = b.next;
                    b.next += 1;
                    dst_uids.push(uid);
                    b.highest += 1;
                    let modseq = b.highest;
                    b.msgs.push(Msg { uid, modseq, ..m });
                }
                if is_move {
                    let b = &mut self.boxes[src];
                    b.msgs.retain(|m| !uids.contains(&m.uid));
                    for &u in &uids {
                        b.highest += 1;
                        b.vanished.push((u, b.highest));
                        s.expunged(u);
                    }
                }
                let v = self.boxes[d].validity;
                s.copy_ok(Some((v, uids, dst_uids)));
            }
            Event::Expunge { uids } => {
                let b = &mut self.boxes[self.selected.unwrap()];
                let gone: Vec<u32> = b
                    .msgs
                    .iter()
                    .filter(|m| m.flags.contains(&Flag::Deleted))
                    .filter(|m| uids.as_ref().is_none_or(|u| u.contains(&m.uid)))
                    .map(|m| m.uid)
                    .collect();
                b.msgs.retain(|m| !gone.contains(&m.uid));
                let recent = b.msgs.len() as u32;
                let inbox = b.name == "INBOX";
                for u in gone {
                    b.highest += 1;
                    b.vanished.push((u, b.highest));
                    s.expunged(u);
                }
                if !inbox {
                    s.recent(recent);
                }
                s.complete(Status::Ok, None, "");
            }
            Event::Search { uid, keys, .. } => {
                let (ids, modseq) = self.search(uid, &keys);
                s.search_result_modseq(&ids, modseq);
            }
            Event::Sort {
                uid,
                criteria,
                keys,
            } => {
                let k = self.sort_keys(uid, &keys);
                s.sort_result(&correo_imap::mime::sort::sort(&criteria, &k));
            }
            Event::Thread {
                uid,
                algorithm,
                keys,
            } => {
                let k = self.sort_keys(uid, &keys);
                s.thread_result(correo_imap::mime::sort::thread(algorithm, &k));
            }
            Event::Close { .. } => {
                self.selected = None;
                s.complete(Status::Ok, None, "");
            }
            Event::Compress => {
                self.log.push("compress".into());
                s.compression_started();
            }
            Event::Noop | Event::Subscribe { .. } | Event::Delete(_) | Event::Rename { .. } => {
                s.complete(Status::Ok, None, "");
            }
            _ => {}
        }
    }

    fn sort_keys(
        &self,
        uid: bool,
        keys: &[correo_imap::types::SearchKey<'_>],
    ) -> Vec<correo_imap::mime::sort::SortKeys> {
        let (hits, _) = self.search(true, keys);
        let b = &self.boxes[self.selected.unwrap()];
        b.msgs
            .iter()
            .enumerate()
            .filter(|(_, m)| hits.contains(&m.uid))
            .map(|(i, m)| {
                let parsed = correo_mime::message::Message::parse(&m.bytes);
                let seq = i as u32 + 1;
                correo_imap::mime::sort::SortKeys::new(
                    if uid { m.uid } else { seq },
                    seq,
                    m.bytes.len() as u64,
                    DATE,
                    &parsed,
                )
            })
            .collect()
    }

    fn search(
        &self,
        uid: bool,
        keys: &[correo_imap::types::SearchKey<'_>],
    ) -> (Vec<u32>, Option<u64>) {
        {
            {
                use correo_imap::mime::search::{SearchInput, matches_all};
                let b = &self.boxes[self.selected.unwrap()];
                let max_seq = b.msgs.len() as u32;
                let max_uid = b.msgs.last().map_or(0, |m| m.uid);
                let mut ids = vec![];
                let mut best = None;
                for (i, m) in b.msgs.iter().enumerate() {
                    let parsed = correo_mime::message::Message::parse(&m.bytes);
                    let input = SearchInput {
                        seq: i as u32 + 1,
                        uid: m.uid,
                        max_seq,
                        max_uid,
                        flags: &m.flags,
                        recent: false,
                        internal_date: DATE,
                        size: m.bytes.len() as u64,
                        message: Some(&parsed),
                        modseq: m.modseq,
                    };
                    if matches_all(keys, &input) {
                        ids.push(if uid { m.uid } else { i as u32 + 1 });
                        best = best.max(Some(m.modseq));
                    }
                }
                (ids, best)
            }
        }
    }
}

fn chunks(name: &str) -> Vec<(u8, Vec<u8>)> {
    let path = format!("{}/tests/data/{name}.chunks", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(path).unwrap();
    let mut out = vec![];
    let mut i = 0;
    while i < data.len() {
        let nl = i + data[i..].iter().position(|&b| b == b'\n').unwrap();
        let head = std::str::from_utf8(&data[i..nl]).unwrap();
        let (d, n) = head.split_once(' ').unwrap();
        let n: usize = n.parse().unwrap();
        out.push((d.as_bytes()[0], data[nl + 1..nl + 1 + n].to_vec()));
        i = nl + 1 + n + 1;
    }
    out
}

fn plain_config() -> ServerConfig {
    ServerConfig {
        allow_plaintext_auth: true,
        ..ServerConfig::default()
    }
}

/// Replays the client side of a session; returns the server's output.
fn replay(client: &[Vec<u8>], app: &mut App, split: usize) -> Vec<u8> {
    let mut s = Server::new(plain_config());
    let mut out = vec![];
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    for c in client {
        for piece in c.chunks(split.max(1)) {
            s.receive(piece);
            app.drive(&mut s);
            while let Some(b) = s.poll_transmit() {
                out.extend_from_slice(&b);
            }
        }
    }
    out
}

/// Strips Dovecot's timing `(0.001 + 0.000 secs)`, and splits in lines.
fn norm(b: &[u8]) -> Vec<String> {
    let t = String::from_utf8_lossy(b).into_owned();
    let mut v = vec![];
    for line in t.split("\r\n") {
        let mut l = line.to_owned();
        if let Some(p) = l.find(" (0.") {
            if let Some(q) = l[p..].find("secs)") {
                l.replace_range(p..p + q + 5, "");
            }
        }
        v.push(l);
    }
    v
}

fn imaplib_inbox() -> Vec<Vec<u8>> {
    let lmtp = b"Return-Path: <lmtp@example.org>\r\nFrom: lmtp@example.org\r\nSubject: correo interop 4: LMTP\r\n\r\nvia LMTP\r\n".to_vec();
    vec![
        eml("delivered-alice-1.eml"),
        eml("delivered-alice-2.eml"),
        lmtp,
    ]
}

#[test]
fn imaplib_session_matches_dovecot() {
    let ch = chunks("imap-imaplib");
    let client: Vec<Vec<u8>> = ch
        .iter()
        .filter(|c| c.0 == b'C')
        .map(|c| c.1.clone())
        .collect();
    let dovecot: Vec<u8> = ch
        .iter()
        .filter(|c| c.0 == b'S')
        .flat_map(|c| c.1.clone())
        .collect();
    let want = norm(&dovecot);
    let mut whole = None;
    for split in [usize::MAX, 1, 7, 64] {
        let mut app = App::new(imaplib_inbox());
        // Message 2 was read by an earlier session (curl) before this one.
        app.boxes[4].msgs[1].flags = vec![Flag::Seen];
        let got = replay(&client, &mut app, split);
        match &whole {
            None => whole = Some(got.clone()),
            Some(w) => assert_eq!(w, &got, "split {split}"),
        }
    }
    let got = norm(&whole.unwrap());
    // Lines that differ by design: capability lists (correo advertises what it implements,
    // not Dovecot's extension set), the greeting text, and the LOGIN answer (correo puts the
    // capabilities in the tagged OK, as Dovecot does in other sessions of the transcripts).
    let differs = |l: &str| {
        l.contains("CAPABILITY") || l.contains("EIEO1 OK") || l.starts_with("* OK [CAPABILITY")
    };
    let w: Vec<&String> = want.iter().filter(|l| !differs(l)).collect();
    let g: Vec<&String> = got.iter().filter(|l| !differs(l)).collect();
    for (i, (a, b)) in w.iter().zip(g.iter()).enumerate() {
        assert_eq!(a, b, "line {i}");
    }
    assert_eq!(w.len(), g.len());
}

#[test]
fn envelope_and_bodystructure_as_dovecot() {
    let p = format!(
        "{}/tests/data/server/expected-dovecot.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let want = std::fs::read(p).unwrap();
    let msg = eml("delivered-alice-1.eml");
    let mut s = Server::new(plain_config());
    let mut app = App::new(vec![msg]);
    for c in [
        &b"a LOGIN alice secret\r\n"[..],
        b"b SELECT INBOX\r\n",
        b"c FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)\r\n",
    ] {
        s.receive(c);
        app.drive(&mut s);
    }
    let mut out = vec![];
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let line = out
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"* 1 FETCH"))
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(line).trim_end(),
        String::from_utf8_lossy(&want).trim_end()
    );
}

fn run(s: &mut Server, app: &mut App, input: &[u8]) -> String {
    s.receive(input);
    app.drive(s);
    let mut out = vec![];
    while let Some(b) = s.poll_transmit() {
        out.extend_from_slice(&b);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn seed_inbox() -> Vec<Vec<u8>> {
    let gif = "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==";
    let m4 = format!(
        "From: Profesor <prof@example.org>\r\nTo: alumno@example.org\r\nSubject: noot noot\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"0000000000006dd7bc0627990dc1\"\r\n\r\n\
--0000000000006dd7bc0627990dc1\r\nContent-Type: multipart/alternative; boundary=\"0000000000006dd7b90627990dbf\"\r\n\r\n\
--0000000000006dd7b90627990dbf\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n\r\n\r\n\
--0000000000006dd7b90627990dbf\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<div dir=\"ltr\"><br></div>\r\n\r\n\
--0000000000006dd7b90627990dbf--\r\n\
--0000000000006dd7bc0627990dc1\r\nContent-Type: image/gif; name=\"noot-noot.gif\"\r\n\
Content-Disposition: attachment; filename=\"noot-noot.gif\"\r\nContent-Transfer-Encoding: base64\r\n\
Content-ID: <f_m3uj5f1y0>\r\nX-Attachment-Id: f_m3uj5f1y0\r\n\r\n{gif}\r\n--0000000000006dd7bc0627990dc1--\r\n"
    );
    vec![
        eml("delivered-alice-2.eml"),
        eml("delivered-bob-2.eml"),
        b"From: a@example.org\r\nSubject: una prueba\r\n\r\nhola\r\n".to_vec(),
        m4.into_bytes(),
    ]
}

/// The seed's exercises 8-12, typed in telnet (LF line ends, an 8-bit password).
#[test]
fn seed_exercises() {
    let mut s = Server::new(ServerConfig {
        id: Some(vec![("name".into(), "correo".into())]),
        ..plain_config()
    });
    let mut app = App::new(seed_inbox());
    let greeting = run(&mut s, &mut app, b"");
    assert!(
        greeting
            .starts_with("* OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=PLAIN] ")
    );
    let caps = run(&mut s, &mut app, b"A001 CAPABILITY\n");
    assert_eq!(
        caps,
        "* CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=PLAIN\r\n\
         A001 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"
    );
    let login = run(
        &mut s,
        &mut app,
        "A001 LOGIN alice MiSuperContraseña\n".as_bytes(),
    );
    assert!(
        login.starts_with("A001 OK [CAPABILITY IMAP4rev1 "),
        "{login}"
    );
    assert!(login.contains(" UIDPLUS ") && login.ends_with("] Logged in\r\n"));
    let sel = run(&mut s, &mut app, b"A002 SELECT INBOX\n");
    assert_eq!(
        sel,
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n\
         * 4 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n\
         * OK [UIDVALIDITY 1795389645] UIDs valid\r\n* OK [UIDNEXT 5] Predicted next UID\r\n\
         A002 OK [READ-WRITE] Select completed.\r\n"
    );
    let st = run(&mut s, &mut app, b"A003 STATUS INBOX (MESSAGES)\n");
    assert_eq!(
        st,
        "* STATUS INBOX (MESSAGES 4)\r\nA003 OK [CLIENTBUG] Status on selected mailbox completed.\r\n"
    );
    let m4len = seed_inbox()[3].len();
    let size = run(&mut s, &mut app, b"A004 FETCH 4 (RFC822.SIZE)\n");
    assert_eq!(
        size,
        format!("* 4 FETCH (RFC822.SIZE {m4len})\r\nA004 OK Fetch completed.\r\n")
    );
    let bs = run(&mut s, &mut app, b"A005 FETCH 4 (BODYSTRUCTURE)\n");
    // The seed's answer, with this stand-in message's sizes.
    assert_eq!(
        bs,
        "* 4 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 2 1 NIL NIL NIL NIL)\
(\"text\" \"html\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 27 1 NIL NIL NIL NIL) \"alternative\" \
(\"boundary\" \"0000000000006dd7b90627990dbf\") NIL NIL NIL)(\"image\" \"gif\" (\"name\" \"noot-noot.gif\") \
\"<f_m3uj5f1y0>\" NIL \"base64\" 60 NIL (\"attachment\" (\"filename\" \"noot-noot.gif\")) NIL NIL) \"mixed\" \
(\"boundary\" \"0000000000006dd7bc0627990dc1\") NIL NIL NIL))\r\nA005 OK Fetch completed.\r\n"
    );
    let ht = run(
        &mut s,
        &mut app,
        b"A006 FETCH 4 (BODY[HEADER] BODY[TEXT])\n",
    );
    let raw = &seed_inbox()[3];
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(
        ht.starts_with(&format!("* 4 FETCH (BODY[HEADER] {{{split}}}\r\n")),
        "{ht}"
    );
    assert!(ht.contains(&format!(" BODY[TEXT] {{{}}}\r\n", raw.len() - split)));
    // Not PEEK: \Seen set implicitly and reported.
    assert!(
        ht.ends_with(" FLAGS (\\Seen))\r\nA006 OK Fetch completed.\r\n"),
        "{ht}"
    );
    assert!(app.boxes[4].msgs[3].flags.contains(&Flag::Seen));
    let store = run(&mut s, &mut app, b"A007 STORE 4 +FLAGS \\Deleted\n");
    assert_eq!(
        store,
        "* 4 FETCH (FLAGS (\\Deleted \\Seen))\r\nA007 OK Store completed.\r\n"
    );
    let list = run(&mut s, &mut app, b"A008 LIST \"\" *\n");
    assert!(list.contains("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"));
    assert!(list.contains("* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"));
    assert!(list.ends_with("A008 OK List completed.\r\n"));
    let create = run(&mut s, &mut app, b"A009 CREATE laboratorio/prueba\n");
    assert_eq!(create, "A009 OK Create completed.\r\n");
    let search = run(&mut s, &mut app, b"A010 search subject prueba\n");
    assert_eq!(search, "* SEARCH 3\r\nA010 OK Search completed.\r\n");
    let copy = run(&mut s, &mut app, b"A011 COPY 3 laboratorio/prueba\n");
    assert_eq!(copy, "A011 OK [COPYUID 1795389646 3 1] Copy completed.\r\n");
    let sel2 = run(&mut s, &mut app, b"A012 SELECT laboratorio/prueba\n");
    assert!(sel2.starts_with("* OK [CLOSED] Previous mailbox closed.\r\n"));
    assert!(sel2.contains("* 1 EXISTS\r\n* 1 RECENT\r\n"));
    let bye = run(&mut s, &mut app, b"A013 LOGOUT\n");
    assert_eq!(bye, "* BYE Logging out\r\nA013 OK Logout completed.\r\n");
    assert_eq!(s.poll_event(), None);
}

#[test]
fn idle_pushes_changes_and_done_ends_it() {
    let ch = chunks("imap-idle-raw");
    let mut s = Server::new(plain_config());
    let mut app = App::new(imaplib_inbox());
    app.boxes[4].msgs[0].flags = vec![Flag::Seen];
    app.boxes[4].msgs[1].flags = vec![Flag::Seen];
    let mut out = run(&mut s, &mut app, b"");
    for (d, bytes) in &ch {
        if *d != b'C' {
            continue;
        }
        out += &run(&mut s, &mut app, bytes);
        if bytes.ends_with(b"IDLE\r\n") {
            // A message arrives while idling: pushed at once.
            s.exists(4);
            s.recent(1);
            out += &run(&mut s, &mut app, b"");
        }
    }
    let dovecot: Vec<u8> = ch
        .iter()
        .filter(|c| c.0 == b'S')
        .flat_map(|c| c.1.clone())
        .collect();
    let want: Vec<String> = norm(&dovecot)
        .into_iter()
        .filter(|l| !l.contains("CAPABILITY"))
        .collect();
    let got: Vec<String> = norm(out.as_bytes())
        .into_iter()
        .filter(|l| !l.contains("CAPABILITY"))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn expunge_is_queued_during_fetch_and_sent_after_noop() {
    let mut s = Server::new(plain_config());
    let mut app = App::new(imaplib_inbox());
    run(
        &mut s,
        &mut app,
        b"a LOGIN alice secret\r\nb SELECT INBOX\r\n",
    );
    s.receive(b"c FETCH 1:* (FLAGS)\r\n");
    let Some(Event::Fetch { messages, .. }) = s.poll_event() else {
        panic!()
    };
    // Another session expunges message 2 meanwhile.
    s.expunged(2);
    s.exists(9);
    for m in &messages {
        let d = MessageData {
            uid: m.uid,
            ..MessageData::default()
        };
        s.fetch_message(m.seq, &d);
    }
    s.complete(Status::Ok, None, "");
    let out = run(&mut s, &mut app, b"");
    // No EXPUNGE during FETCH; nor the EXISTS behind it (order is kept).
    assert!(!out.contains("EXPUNGE") && !out.contains("EXISTS"), "{out}");
    assert_eq!(s.uid_of(2), Some(2));
    let out = run(&mut s, &mut app, b"d NOOP\r\n");
    assert_eq!(out, "* 2 EXPUNGE\r\n* 3 EXISTS\r\nd OK NOOP completed.\r\n");
    assert_eq!(
        (s.uid_of(2), s.uid_of(3), s.seq_of(9)),
        (Some(3), Some(9), Some(3))
    );
}

#[test]
fn literals_sync_nonsync_and_too_big() {
    let mut config = plain_config();
    config.max_append = 10;
    config.limits.max_literal = 16;
    let mut s = Server::new(config);
    let mut app = App::new(vec![]);
    run(&mut s, &mut app, b"");
    // A synchronising literal gets `+ OK`.
    assert_eq!(run(&mut s, &mut app, b"a LOGIN {5}\r\n"), "+ OK\r\n");
    assert_eq!(run(&mut s, &mut app, b"alice {6}\r\n"), "+ OK\r\n");
    assert!(run(&mut s, &mut app, b"secret\r\n").starts_with("a OK [CAPABILITY"));
    // Over max_literal, synchronising: refused, the client does not send it.
    let r = run(&mut s, &mut app, b"b CREATE {100}\r\n");
    assert_eq!(r, "b NO [TOOBIG] Literal too large\r\n");
    // Over max_literal, non-synchronising: consumed, then the next command works.
    let mut big = b"c CREATE {20+}\r\n".to_vec();
    big.extend_from_slice(&[b'x'; 20]);
    big.extend_from_slice(b"\r\nd NOOP\r\n");
    let r = run(&mut s, &mut app, &big);
    assert_eq!(
        r,
        "c NO [TOOBIG] Literal too large\r\nd OK NOOP completed.\r\n"
    );
    // APPEND over max_append: refused before the data (sync) ...
    let r = run(&mut s, &mut app, b"e APPEND INBOX {11}\r\n");
    assert_eq!(r, "e NO [TOOBIG] Message too large\r\n");
    // ... or consumed and refused (LITERAL+), nothing reaches the application.
    let r = run(
        &mut s,
        &mut app,
        b"f APPEND INBOX {11+}\r\nhello world\r\ng NOOP\r\n",
    );
    assert_eq!(
        r,
        "f NO [TOOBIG] Message too large\r\ng OK NOOP completed.\r\n"
    );
    assert!(app.appended.is_empty());
    // A small APPEND streams to the application.
    let r = run(
        &mut s,
        &mut app,
        b"h APPEND INBOX (\\Seen) {5+}\r\nhello\r\n",
    );
    assert_eq!(r, "h OK [APPENDUID 1795389645 1] Append completed.\r\n");
    assert_eq!(app.boxes[4].msgs[0].bytes, b"hello");
}

#[test]
fn state_gating_and_login_disabled() {
    let mut s = Server::new(ServerConfig {
        starttls: true,
        ..ServerConfig::default()
    });
    let mut app = App::new(vec![]);
    let g = run(&mut s, &mut app, b"");
    assert!(g.contains(" STARTTLS LOGINDISABLED]"), "{g}");
    assert!(!g.contains("AUTH="));
    let r = run(
        &mut s,
        &mut app,
        b"a SELECT INBOX\r\nb LOGIN alice secret\r\nc FETCH 1 FLAGS\r\n",
    );
    assert_eq!(
        r,
        "a BAD Not authenticated.\r\nb NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\nc BAD Not authenticated.\r\n"
    );
    // STARTTLS: bytes after the command are discarded (command injection).
    let r = run(&mut s, &mut app, b"d STARTTLS\r\ne LOGIN alice secret\r\n");
    assert_eq!(r, "d OK Begin TLS negotiation now.\r\n");
    assert_eq!(app.log.last().map(String::as_str), Some("StartTls"));
    s.receive(b"more plaintext\r\n");
    s.tls_established();
    assert!(s.is_tls());
    assert!(s.poll_event().is_none());
    let caps = run(&mut s, &mut app, b"f CAPABILITY\r\n");
    assert!(
        !caps.contains("STARTTLS") && caps.contains("AUTH=PLAIN"),
        "{caps}"
    );
    // AUTHENTICATE PLAIN without and with SASL-IR.
    let r = run(&mut s, &mut app, b"g AUTHENTICATE PLAIN\r\n");
    assert_eq!(r, "+ \r\n");
    let r = run(&mut s, &mut app, b"*\r\n");
    assert_eq!(r, "g BAD Authentication aborted by client.\r\n");
    let r = run(
        &mut s,
        &mut app,
        b"h AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
    );
    assert!(r.starts_with("h OK [CAPABILITY IMAP4rev1 "), "{r}");
    let r = run(
        &mut s,
        &mut app,
        b"i FETCH 1 FLAGS\r\nj BOGUS\r\nk LOGIN a b\r\n",
    );
    assert_eq!(
        r,
        "i BAD No mailbox selected.\r\nj BAD Error in IMAP command BOGUS: Unknown command.\r\nk BAD Already authenticated.\r\n"
    );
}

#[test]
fn fetch_partial_clamps_and_literal_lengths_match() {
    let mut s = Server::new(plain_config());
    let mut app = App::new(imaplib_inbox());
    run(
        &mut s,
        &mut app,
        b"a LOGIN alice secret\r\nb EXAMINE INBOX\r\n",
    );
    let r = run(
        &mut s,
        &mut app,
        b"c FETCH 3 (BODY.PEEK[TEXT]<2.100> BODY[TEXT]<200.5> RFC822.HEADER)\r\n",
    );
    assert!(
        r.starts_with(
            "* 3 FETCH (BODY[TEXT]<2> {8}\r\na LMTP\r\n BODY[TEXT]<200> {0}\r\n RFC822.HEADER {"
        ),
        "{r}"
    );
    // EXAMINE: read-only, no implicit \Seen.
    assert!(!r.contains("FLAGS"));
    // Every literal's length equals the bytes that follow it.
    let b = r.as_bytes();
    let mut i = 0;
    while let Some(p) = r[i..].find('{') {
        let start = i + p;
        let end = start + r[start..].find('}').unwrap();
        let n: usize = r[start + 1..end].parse().unwrap();
        assert_eq!(&b[end + 1..end + 3], b"\r\n");
        let after = end + 3 + n;
        assert!(b[after] == b' ' || b[after] == b')');
        i = after;
    }
}

/// correo's client against correo's server, in memory.
#[test]
fn client_and_server_in_memory() {
    use correo_imap::client::{Client, ClientConfig, Event as CEvent, TlsMode};
    use correo_imap::types::{FetchAttr, Section, SectionText, SequenceSet};

    let mut server = Server::new(plain_config());
    let mut app = App::new(imaplib_inbox());
    let mut client = Client::new(ClientConfig {
        tls: TlsMode::Plain,
        ..ClientConfig::default()
    });
    let mut events = vec![];
    let mut body = vec![];
    fn shuttle_io(
        client: &mut Client,
        server: &mut Server,
        app: &mut App,
        events: &mut Vec<CEvent>,
        body: &mut Vec<u8>,
    ) {
        for _ in 0..20 {
            let mut moved = false;
            while let Some(b) = server.poll_transmit() {
                moved = true;
                // One byte at a time towards the client.
                for c in b.chunks(1) {
                    client.receive(c);
                }
            }
            while let Some(e) = client.poll_event() {
                match e {
                    CEvent::BodyChunk(b) => body.extend_from_slice(&b),
                    e => events.push(e),
                }
            }
            while let Some(b) = client.poll_transmit() {
                moved = true;
                server.receive(&b);
                app.drive(server);
            }
            if !moved {
                break;
            }
        }
    }
    macro_rules! shuttle {
        ($c:expr, $s:expr, $a:expr) => {
            shuttle_io($c, $s, $a, &mut events, &mut body)
        };
    }
    shuttle!(&mut client, &mut server, &mut app);
    assert!(client.has_capability("IDLE") && client.has_capability("AUTH=PLAIN"));
    client.login(b"alice", b"secret").unwrap();
    client.select("INBOX").unwrap();
    client
        .fetch(
            false,
            SequenceSet::single(2),
            vec![FetchAttr::BodySection {
                peek: true,
                section: Section {
                    part: vec![],
                    text: Some(SectionText::Text),
                },
                partial: None,
            }],
        )
        .unwrap();
    shuttle!(&mut client, &mut server, &mut app);
    let sel = client.selected().unwrap();
    assert_eq!(
        (sel.exists, sel.uid_validity, sel.uid_next),
        (3, Some(1_795_389_645), Some(4))
    );
    assert!(client.has_capability("UIDPLUS"), "capabilities after LOGIN");
    assert_eq!(
        body,
        b"Sent by curl.\r\n.leading dot line must be dot-stuffed\r\n"
    );
    let oks = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                CEvent::Completed {
                    status: Status::Ok,
                    ..
                }
            )
        })
        .count();
    assert_eq!(oks, 3);
    // IDLE: a delivery is pushed, DONE ends it.
    client.idle(std::time::Instant::now()).unwrap();
    shuttle!(&mut client, &mut server, &mut app);
    server.exists(4);
    shuttle!(&mut client, &mut server, &mut app);
    assert_eq!(client.selected().unwrap().exists, 4);
    client.done().unwrap();
    shuttle!(&mut client, &mut server, &mut app);
    client.logout().unwrap();
    shuttle!(&mut client, &mut server, &mut app);
    assert!(client.is_closed());
    assert_eq!(server.state(), correo_imap::server::State::Logout);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// The imaplib session gives the same output however the client's bytes are split.
    #[test]
    fn imaplib_session_any_split(cuts in proptest::collection::vec(1usize..200, 1..40)) {
        let ch = chunks("imap-imaplib");
        let client: Vec<u8> = ch.iter().filter(|c| c.0 == b'C').flat_map(|c| c.1.clone()).collect();
        let mut app = App::new(imaplib_inbox());
        let reference = replay(std::slice::from_ref(&client), &mut app, usize::MAX);
        let mut pieces = vec![];
        let mut i = 0;
        let mut k = 0;
        while i < client.len() {
            let n = cuts[k % cuts.len()].min(client.len() - i);
            pieces.push(client[i..i + n].to_vec());
            i += n;
            k += 1;
        }
        let mut app = App::new(imaplib_inbox());
        let got = replay(&pieces, &mut app, usize::MAX);
        proptest::prop_assert_eq!(got, reference);
    }
}

/// Lines of the raw-extensions session (LITERAL+ LOGIN, ID, ESEARCH, UID MOVE) in
/// Dovecot's shape.
#[test]
fn extensions_as_dovecot() {
    let mut s = Server::new(ServerConfig {
        id: Some(vec![("name".into(), "Dovecot".into())]),
        ..plain_config()
    });
    let mut five: Vec<Vec<u8>> = imaplib_inbox();
    five.push(eml("delivered-alice-3.eml"));
    five.push(eml("delivered-alice-4.eml"));
    let mut app = App::new(five);
    app.boxes.push(Mbox {
        name: "Archive".into(),
        validity: 1_795_389_646,
        next: 3,
        msgs: vec![],
        special: None,
        highest: 1,
        vanished: vec![],
    });
    run(&mut s, &mut app, b"");
    let r = run(
        &mut s,
        &mut app,
        b"a1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n",
    );
    assert!(r.starts_with("a1 OK [CAPABILITY IMAP4rev1 ") && r.ends_with("] Logged in\r\n"));
    let r = run(&mut s, &mut app, b"a2 ID (\"name\" \"peers-verify\")\r\n");
    assert_eq!(r, "* ID (\"name\" \"Dovecot\")\r\na2 OK ID completed.\r\n");
    let r = run(
        &mut s,
        &mut app,
        b"a4 LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES))\r\n",
    );
    assert!(
        r.contains("* LIST (\\HasNoChildren) \"/\" INBOX\r\n* STATUS INBOX (MESSAGES 5)\r\n"),
        "{r}"
    );
    let r = run(&mut s, &mut app, b"a3 ENABLE CONDSTORE\r\n");
    // CONDSTORE is not implemented: nothing is enabled.
    assert_eq!(r, "* ENABLED\r\na3 OK Enabled.\r\n");
    run(&mut s, &mut app, b"a5 SELECT INBOX\r\n");
    let r = run(
        &mut s,
        &mut app,
        b"a7 SEARCH RETURN (MIN MAX COUNT) ALL\r\n",
    );
    assert_eq!(
        r,
        "* ESEARCH (TAG \"a7\") MIN 1 MAX 5 COUNT 5\r\na7 OK Search completed.\r\n"
    );
    let r = run(&mut s, &mut app, b"a8 UID SEARCH RETURN () 2:4\r\n");
    assert_eq!(
        r,
        "* ESEARCH (TAG \"a8\") UID ALL 2:4\r\na8 OK Search completed.\r\n"
    );
    let r = run(&mut s, &mut app, b"a12 UID MOVE 3 Archive\r\n");
    assert_eq!(
        r,
        "* OK [COPYUID 1795389646 3 3] Moved UIDs.\r\n* 3 EXPUNGE\r\na12 OK Move completed.\r\n"
    );
    assert_eq!((s.uid_of(3), s.seq_of(5)), (Some(4), Some(4)));
    let r = run(
        &mut s,
        &mut app,
        b"a15 FETCH 9 FLAGS\r\na16 UNSELECT\r\na17 FETCH 1 FLAGS\r\n",
    );
    assert_eq!(
        r,
        "a15 BAD Error in IMAP command FETCH: Invalid messageset\r\na16 OK Unselect completed.\r\na17 BAD No mailbox selected.\r\n"
    );
}

/// Runs `steps` (each a chunk of client input) against a fresh server and app, whole and
/// one byte at a time; asserts both give the same output per step and returns it.
fn session(config: &ServerConfig, inbox: &[Vec<u8>], steps: &[&str]) -> Vec<String> {
    session_with(config, inbox, steps, false)
}

/// Like [`session`]; `seen_first`: the application stores the `\Seen` of a body FETCH
/// before answering the message.
fn session_with(
    config: &ServerConfig,
    inbox: &[Vec<u8>],
    steps: &[&str],
    seen_first: bool,
) -> Vec<String> {
    let mut results: Vec<Vec<String>> = Vec::new();
    for bytewise in [false, true] {
        let mut s = Server::new(config.clone());
        let mut app = App::new(inbox.to_vec());
        app.seen_first = seen_first;
        let mut outs = vec![run(&mut s, &mut app, b"")];
        for step in steps {
            if bytewise {
                let mut o = String::new();
                for b in step.as_bytes() {
                    o.push_str(&run(&mut s, &mut app, std::slice::from_ref(b)));
                }
                outs.push(o);
            } else {
                outs.push(run(&mut s, &mut app, step.as_bytes()));
            }
        }
        results.push(outs);
    }
    assert_eq!(results[0], results[1], "whole vs byte at a time");
    results.swap_remove(0)
}

fn ext_config() -> ServerConfig {
    ServerConfig {
        condstore: true,
        qresync: true,
        sort: true,
        thread: true,
        searchres: true,
        compress: true,
        ..plain_config()
    }
}

#[test]
fn condstore_and_qresync() {
    let out = session(
        &ext_config(),
        &imaplib_inbox(),
        &[
            "a1 LOGIN alice secret\r\n",
            "a2 ENABLE CONDSTORE QRESYNC X-UNKNOWN\r\n",
            "a3 ENABLE CONDSTORE\r\n",
            "a4 SELECT INBOX\r\n",
            "a5 STORE 1 +FLAGS (\\Flagged)\r\n",
            "a6 FETCH 1:* (FLAGS) (CHANGEDSINCE 4)\r\n",
            "a7 STORE 1:2 (UNCHANGEDSINCE 4) +FLAGS (\\Seen)\r\n",
            "a8 UID SEARCH MODSEQ 5\r\n",
            "a9 STORE 3 +FLAGS.SILENT (\\Deleted)\r\na10 EXPUNGE\r\n",
            "a11 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4 VANISHED)\r\n",
            "a12 SELECT INBOX (QRESYNC (1795389645 5 1:3))\r\n",
            "a13 EXAMINE INBOX (QRESYNC (999 5))\r\n",
            "a14 FETCH 1 (MODSEQ)\r\n",
            "a15 UID STORE 2 (UNCHANGEDSINCE 6) FLAGS.SILENT (\\Answered)\r\n",
            "a16 FETCH 1 (FLAGS) (VANISHED)\r\n",
        ],
    );
    assert!(out[1].contains(" CONDSTORE QRESYNC "), "{}", out[1]);
    assert_eq!(out[2], "* ENABLED CONDSTORE QRESYNC\r\na2 OK Enabled.\r\n");
    assert_eq!(out[3], "* ENABLED\r\na3 OK Enabled.\r\n");
    assert!(
        out[4]
            .contains("* OK [UIDNEXT 4] Predicted next UID\r\n* OK [HIGHESTMODSEQ 4] Highest\r\n"),
        "{}",
        out[4]
    );
    assert_eq!(
        out[5],
        "* 1 FETCH (FLAGS (\\Flagged) MODSEQ (5))\r\na5 OK Store completed.\r\n"
    );
    assert_eq!(
        out[6],
        "* 1 FETCH (FLAGS (\\Flagged) MODSEQ (5))\r\na6 OK Fetch completed.\r\n"
    );
    assert_eq!(
        out[7],
        "* 2 FETCH (FLAGS (\\Seen) MODSEQ (6))\r\na7 OK [MODIFIED 1] Conditional STORE failed.\r\n"
    );
    assert_eq!(
        out[8],
        "* SEARCH 1 2 (MODSEQ 6)\r\na8 OK Search completed.\r\n"
    );
    assert_eq!(
        out[9],
        "a9 OK Store completed.\r\n* VANISHED 3\r\na10 OK Expunge completed.\r\n"
    );
    assert_eq!(
        out[10],
        "* VANISHED (EARLIER) 3\r\n* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (5))\r\n\
         * 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (6))\r\na11 OK Fetch completed.\r\n"
    );
    let sel = &out[11];
    assert!(sel.starts_with("* OK [CLOSED] "), "{sel}");
    assert!(sel.contains("* 2 EXISTS\r\n"), "{sel}");
    assert!(
        sel.ends_with(
            "* OK [HIGHESTMODSEQ 8] Highest\r\n* VANISHED (EARLIER) 3\r\n\
             * 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (6))\r\na12 OK [READ-WRITE] Select completed.\r\n"
        ),
        "{sel}"
    );
    assert!(
        !out[12].contains("VANISHED") && !out[12].contains("FETCH"),
        "{}",
        out[12]
    );
    assert!(out[12].ends_with("a13 OK [READ-ONLY] Examine completed.\r\n"));
    assert_eq!(
        out[13],
        "* 1 FETCH (MODSEQ (5))\r\na14 OK Fetch completed.\r\n"
    );
    // Read-only after EXAMINE.
    assert_eq!(out[14], "a15 NO Mailbox is read-only.\r\n");
    assert!(out[15].starts_with("a16 BAD "), "{}", out[15]);
}

#[test]
fn body_fetch_reports_the_new_modseq_of_its_seen() {
    let steps = [
        "a1 LOGIN alice secret\r\n",
        "a2 ENABLE CONDSTORE\r\n",
        "a3 SELECT INBOX\r\n",
        "a4 FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])\r\n",
        "a5 FETCH 1 (FLAGS MODSEQ)\r\n",
        "a6 FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n",
        "a7 UID FETCH 2 (RFC822.SIZE BODY[HEADER.FIELDS (SUBJECT)])\r\n",
        "a8 FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])\r\n",
        "a9 FETCH 3 (MODSEQ)\r\n",
    ];
    let out = session_with(&ext_config(), &imaplib_inbox(), &steps, true);
    assert!(out[3].contains("[HIGHESTMODSEQ 4]"), "{}", out[3]);
    // One FETCH line: the \Seen set by the fetch with its new mod-sequence (5 > 4).
    let fetches = |o: &str| o.matches(" FETCH (").count();
    assert_eq!(fetches(&out[4]), 1, "{}", out[4]);
    assert!(out[4].starts_with("* 1 FETCH ("), "{}", out[4]);
    assert!(
        out[4].ends_with(" FLAGS (\\Seen) MODSEQ (5))\r\na4 OK Fetch completed.\r\n"),
        "{}",
        out[4]
    );
    assert_eq!(
        out[5],
        "* 1 FETCH (FLAGS (\\Seen) MODSEQ (5))\r\na5 OK Fetch completed.\r\n"
    );
    // PEEK: no change, the old mod-sequence.
    assert!(
        out[6].starts_with("* 2 FETCH (FLAGS () BODY["),
        "{}",
        out[6]
    );
    assert!(
        out[6].ends_with(" MODSEQ (2))\r\na6 OK Fetch completed.\r\n"),
        "{}",
        out[6]
    );
    assert_eq!(fetches(&out[7]), 1, "{}", out[7]);
    assert!(
        out[7].starts_with("* 2 FETCH (UID 2 RFC822.SIZE "),
        "{}",
        out[7]
    );
    assert!(
        out[7].ends_with(" FLAGS (\\Seen) MODSEQ (6))\r\na7 OK Fetch completed.\r\n"),
        "{}",
        out[7]
    );
    // Already \Seen: nothing stored, no FLAGS item, no MODSEQ.
    assert!(
        !out[8].contains("FLAGS") && !out[8].contains("MODSEQ"),
        "{}",
        out[8]
    );
    assert_eq!(
        out[9],
        "* 3 FETCH (MODSEQ (3))\r\na9 OK Fetch completed.\r\n"
    );

    // Read-only (EXAMINE): fetch_sets_seen is false, nothing stored.
    let out = session_with(
        &ext_config(),
        &imaplib_inbox(),
        &[
            "a1 LOGIN alice secret\r\n",
            "a2 ENABLE CONDSTORE\r\n",
            "a3 EXAMINE INBOX\r\n",
            "a4 FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])\r\n",
            "a5 FETCH 1 (FLAGS MODSEQ)\r\n",
        ],
        true,
    );
    assert!(!out[4].contains("FLAGS"), "{}", out[4]);
    assert_eq!(
        out[5],
        "* 1 FETCH (FLAGS () MODSEQ (1))\r\na5 OK Fetch completed.\r\n"
    );
}

#[test]
fn condstore_silent_conditional_store_and_gating() {
    let out = session(
        &ext_config(),
        &imaplib_inbox(),
        &[
            "a1 LOGIN alice secret\r\n",
            "a2 SELECT INBOX (QRESYNC (1 1))\r\n",
            "a3 SELECT INBOX (CONDSTORE)\r\n",
            "a4 UID STORE 2 (UNCHANGEDSINCE 9) FLAGS.SILENT (\\Answered)\r\n",
            "a5 STORE 3 +FLAGS (\\Deleted)\r\na6 EXPUNGE\r\n",
        ],
    );
    assert!(out[2].starts_with("a2 BAD "), "{}", out[2]);
    assert!(out[3].contains("[HIGHESTMODSEQ 4]"));
    // SELECT (CONDSTORE) enables CONDSTORE: the silent conditional STORE still reports
    // the new mod-sequence.
    assert_eq!(
        out[4],
        "* 2 FETCH (UID 2 MODSEQ (5))\r\na4 OK Store completed.\r\n"
    );
    // Without QRESYNC, EXPUNGE is reported as such.
    assert!(out[5].contains("* 3 EXPUNGE\r\n"), "{}", out[5]);

    // CONDSTORE not configured: its syntax is refused and nothing is advertised.
    let out = session(
        &plain_config(),
        &imaplib_inbox(),
        &[
            "a1 LOGIN alice secret\r\n",
            "a2 SELECT INBOX\r\n",
            "a3 FETCH 1 (MODSEQ)\r\n",
            "a4 FETCH 1 (FLAGS) (CHANGEDSINCE 1)\r\n",
            "a5 STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)\r\n",
            "a6 ENABLE CONDSTORE\r\n",
        ],
    );
    assert!(!out[1].contains("CONDSTORE"));
    assert!(!out[2].contains("HIGHESTMODSEQ") && !out[2].contains("NOMODSEQ"));
    for (i, tag) in [(3, "a3"), (4, "a4"), (5, "a5")] {
        assert!(out[i].starts_with(&format!("{tag} BAD ")), "{}", out[i]);
    }
    assert_eq!(out[6], "* ENABLED\r\na6 OK Enabled.\r\n");
}

#[test]
fn nomodseq_when_the_application_has_none() {
    let mut s = Server::new(ext_config());
    while s.poll_transmit().is_some() {}
    s.receive(b"a1 LOGIN u p\r\na2 SELECT INBOX\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Login { .. })));
    s.accept_login();
    assert!(matches!(
        s.poll_event(),
        Some(Event::Select {
            condstore: false,
            qresync: None,
            ..
        })
    ));
    s.select_ok(MailboxView::default());
    let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("* OK [NOMODSEQ] "), "{out}");
}

fn thread_inbox() -> Vec<Vec<u8>> {
    let m = |id: &str, subject: &str, date: &str, from: &str, refs: &str| {
        format!(
            "Message-ID: <{id}@x>\r\nSubject: {subject}\r\nDate: {date}\r\nFrom: {from}@x\r\n{refs}\r\nbody\r\n"
        )
        .into_bytes()
    };
    vec![
        m("a", "Plan", "Tue, 1 Dec 2026 10:00:00 +0000", "carol", ""),
        m(
            "b",
            "Re: Plan",
            "Tue, 1 Dec 2026 12:00:00 +0100",
            "bob",
            "In-Reply-To: <a@x>\r\n",
        ),
        m("c", "Lunch", "Mon, 30 Nov 2026 09:00:00 +0000", "alice", ""),
        m(
            "d",
            "Re: [lab] Re: Plan (fwd)",
            "Wed, 2 Dec 2026 09:00:00 +0000",
            "dave",
            "References: <a@x> <b@x>\r\n",
        ),
        m(
            "e",
            "Fwd: Lunch",
            "Thu, 3 Dec 2026 09:00:00 +0000",
            "erin",
            "References: <zz@x>\r\n",
        ),
        m(
            "f",
            "=?utf-8?q?Other?=",
            "Sun, 29 Nov 2026 09:00:00 +0000",
            "Alice",
            "References: <zz@x>\r\n",
        ),
        m("g", "lunch", "Fri, 4 Dec 2026 09:00:00 +0000", "gina", ""),
    ]
}

#[test]
fn sort_and_thread() {
    let out = session(
        &ext_config(),
        &thread_inbox(),
        &[
            "a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n",
            "a3 SORT (SUBJECT) UTF-8 ALL\r\n",
            "a4 SORT (DATE) US-ASCII ALL\r\n",
            "a5 SORT (REVERSE DATE) UTF-8 ALL\r\n",
            "a6 SORT (FROM) UTF-8 ALL\r\n",
            "a7 SORT (REVERSE ARRIVAL) UTF-8 ALL\r\n",
            "a8 UID SORT (SUBJECT DATE) UTF-8 SUBJECT plan\r\n",
            "a9 THREAD ORDEREDSUBJECT UTF-8 ALL\r\n",
            "a10 THREAD REFERENCES UTF-8 ALL\r\n",
            "a11 SORT (DATE REVERSE) UTF-8 ALL\r\n",
            "a12 SORT (DATE) KOI8-R ALL\r\n",
            "a13 THREAD XYZ UTF-8 ALL\r\n",
            "a14 UID THREAD REFERENCES UTF-8 SUBJECT lunch\r\n",
            // ESORT (RFC 5267): MIN/MAX are the first/last in the sorted order, ALL keeps
            // that order (ascending runs only as ranges).
            "a15 SORT RETURN (MIN MAX COUNT) (SUBJECT) UTF-8 ALL\r\n",
            "a16 SORT RETURN (ALL) (DATE) UTF-8 ALL\r\n",
            "a17 sort return () (date) utf-8 all\r\n",
            "a18 UID SORT RETURN (COUNT ALL) (SUBJECT DATE) UTF-8 SUBJECT plan\r\n",
            "a19 SORT RETURN (SAVE MIN) (REVERSE DATE) UTF-8 ALL\r\na20 FETCH $ (UID)\r\n",
            "a21 SORT RETURN (SAVE) (SUBJECT) UTF-8 SUBJECT lunch\r\na22 UID FETCH $ (UID)\r\n",
            "a23 SORT RETURN (MIN MAX) (SUBJECT) UTF-8 SUBJECT zzz-no-match\r\n",
            "a24 SORT RETURN (BOGUS) (SUBJECT) UTF-8 ALL\r\n",
            "a25 SORT RETURN (COUNT) (SUBJECT) KOI8-R ALL\r\n",
        ],
    );
    assert!(
        out[1].contains(" SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES ESORT "),
        "{}",
        out[1]
    );
    assert_eq!(out[2], "* SORT 3 5 7 6 1 2 4\r\na3 OK Sort completed.\r\n");
    assert_eq!(out[3], "* SORT 6 3 1 2 4 5 7\r\na4 OK Sort completed.\r\n");
    assert_eq!(out[4], "* SORT 7 5 4 2 1 3 6\r\na5 OK Sort completed.\r\n");
    assert_eq!(out[5], "* SORT 3 6 2 1 4 5 7\r\na6 OK Sort completed.\r\n");
    // Equal arrival times: sequence order, not reversed.
    assert_eq!(out[6], "* SORT 1 2 3 4 5 6 7\r\na7 OK Sort completed.\r\n");
    assert_eq!(out[7], "* SORT 1 2 4\r\na8 OK Sort completed.\r\n");
    assert_eq!(
        out[8],
        "* THREAD (6)(3 (5)(7))(1 (2)(4))\r\na9 OK Thread completed.\r\n"
    );
    assert_eq!(
        out[9],
        "* THREAD ((6)(5))((3)(7))(1 2 4)\r\na10 OK Thread completed.\r\n"
    );
    assert!(out[10].starts_with("a11 BAD "), "{}", out[10]);
    assert_eq!(
        out[11],
        "a12 NO [BADCHARSET (US-ASCII UTF-8)] Unknown charset.\r\n"
    );
    assert!(out[12].starts_with("a13 BAD "), "{}", out[12]);
    // Without message 6, the dummy parent of 5 is pruned; 5 ("Fwd: Lunch") joins 3 as a
    // reply, and 3 and 7 (both "Lunch") are gathered under a new dummy (RFC 5256 step 6).
    assert_eq!(
        out[13],
        "* THREAD ((3 5)(7))\r\na14 OK Thread completed.\r\n"
    );
    assert_eq!(
        out[14],
        "* ESEARCH (TAG \"a15\") MIN 3 MAX 4 COUNT 7\r\na15 OK Sort completed.\r\n"
    );
    assert_eq!(
        out[15],
        "* ESEARCH (TAG \"a16\") ALL 6,3,1:2,4:5,7\r\na16 OK Sort completed.\r\n"
    );
    assert_eq!(
        out[16],
        "* ESEARCH (TAG \"a17\") ALL 6,3,1:2,4:5,7\r\na17 OK Sort completed.\r\n"
    );
    assert_eq!(
        out[17],
        "* ESEARCH (TAG \"a18\") UID COUNT 3 ALL 1:2,4\r\na18 OK Sort completed.\r\n"
    );
    // SAVE with MIN saves only the first sorted message (RFC 5182 2.1).
    assert_eq!(
        out[18],
        "* ESEARCH (TAG \"a19\") MIN 7\r\na19 OK Sort completed.\r\n\
         * 7 FETCH (UID 7)\r\na20 OK Fetch completed.\r\n"
    );
    // SAVE alone: no ESEARCH; `$` is the matches (as a set).
    assert_eq!(
        out[19],
        "a21 OK Sort completed.\r\n* 3 FETCH (UID 3)\r\n* 5 FETCH (UID 5)\r\n\
         * 7 FETCH (UID 7)\r\na22 OK Fetch completed.\r\n"
    );
    // No match: MIN and MAX are left out.
    assert_eq!(
        out[20],
        "* ESEARCH (TAG \"a23\")\r\na23 OK Sort completed.\r\n"
    );
    assert!(out[21].starts_with("a24 BAD "), "{}", out[21]);
    assert_eq!(
        out[22],
        "a25 NO [BADCHARSET (US-ASCII UTF-8)] Unknown charset.\r\n"
    );
}

#[test]
fn searchres_saves_and_dollar_names_the_result() {
    let out = session(
        &ext_config(),
        &seed_inbox(),
        &[
            "a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n",
            "a3 FETCH $ (UID)\r\n",
            "a4 SEARCH RETURN (SAVE) SUBJECT prueba\r\n",
            "a5 FETCH $ (UID)\r\n",
            "a6 UID SEARCH RETURN (SAVE MIN COUNT) OR SUBJECT prueba SUBJECT noot\r\n",
            "a7 UID STORE $ +FLAGS.SILENT (\\Deleted)\r\na8 SEARCH $ DELETED\r\n",
            "a9 UID SEARCH RETURN (SAVE MAX) ALL\r\na10 SEARCH UID $\r\n",
            "a11 STORE 4 +FLAGS (\\Deleted)\r\na12 EXPUNGE\r\na13 FETCH $ (UID)\r\n",
            "a14 SEARCH RETURN (SAVE) BEFORE 1-Jan-1990\r\na15 FETCH $ FLAGS\r\n",
            "a16 SEARCH RETURN (SAVE) SUBJECT\r\na17 SEARCH $\r\n",
        ],
    );
    assert!(out[1].contains(" SEARCHRES"), "{}", out[1]);
    assert_eq!(out[2], "a3 OK Fetch completed.\r\n");
    assert_eq!(out[3], "a4 OK Search completed.\r\n");
    assert_eq!(out[4], "* 3 FETCH (UID 3)\r\na5 OK Fetch completed.\r\n");
    assert_eq!(
        out[5],
        "* ESEARCH (TAG \"a6\") UID MIN 3 COUNT 2\r\na6 OK Search completed.\r\n"
    );
    assert_eq!(
        out[6],
        "a7 OK Store completed.\r\n* SEARCH 3 4\r\na8 OK Search completed.\r\n"
    );
    assert_eq!(
        out[7],
        "* ESEARCH (TAG \"a9\") UID MAX 4\r\na9 OK Search completed.\r\n\
         * SEARCH 4\r\na10 OK Search completed.\r\n"
    );
    assert_eq!(
        out[8],
        "* 4 FETCH (FLAGS (\\Deleted))\r\na11 OK Store completed.\r\n\
         * 3 EXPUNGE\r\n* 3 EXPUNGE\r\na12 OK Expunge completed.\r\na13 OK Fetch completed.\r\n"
    );
    assert_eq!(
        out[9],
        "a14 OK Search completed.\r\na15 OK Fetch completed.\r\n"
    );
    // A failed SEARCH ... RETURN (SAVE) leaves `$` empty.
    assert!(out[10].starts_with("a16 BAD "), "{}", out[10]);
    assert!(
        out[10].ends_with("* SEARCH\r\na17 OK Search completed.\r\n"),
        "{}",
        out[10]
    );

    let out = session(
        &plain_config(),
        &seed_inbox(),
        &[
            "a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n",
            "a3 SEARCH RETURN (SAVE) ALL\r\n",
        ],
    );
    assert!(!out[1].contains("SEARCHRES"));
    assert!(out[2].starts_with("a3 BAD "), "{}", out[2]);
}

#[test]
fn compress_is_a_transport_switch() {
    let out = session(
        &ext_config(),
        &seed_inbox(),
        &[
            "a0 COMPRESS DEFLATE\r\n",
            "a1 LOGIN alice secret\r\n",
            "a2 COMPRESS XZ\r\n",
            "a3 COMPRESS DEFLATE\r\n",
            "a4 NOOP\r\na5 CAPABILITY\r\n",
            "a6 COMPRESS DEFLATE\r\n",
        ],
    );
    assert!(out[1].starts_with("a0 BAD "), "{}", out[1]);
    assert!(out[2].contains(" COMPRESS=DEFLATE"), "{}", out[2]);
    assert!(out[3].starts_with("a2 BAD "), "{}", out[3]);
    assert_eq!(out[4], "a3 OK DEFLATE active\r\n");
    assert!(out[5].starts_with("a4 OK NOOP completed.\r\n* CAPABILITY "));
    assert!(
        !out[5].contains("COMPRESS=DEFLATE") && out[5].ends_with("a5 OK Capability completed.\r\n")
    );
    assert_eq!(
        out[6],
        "a6 NO [COMPRESSIONACTIVE] Compression is already active.\r\n"
    );

    // Until the application confirms, input is ignored.
    let mut s = Server::new(ext_config());
    while s.poll_transmit().is_some() {}
    s.receive(b"a1 LOGIN u p\r\n");
    s.poll_event();
    s.accept_login();
    // A command pipelined behind COMPRESS (not compressed) is discarded.
    s.receive(b"a2 COMPRESS DEFLATE\r\nx1 NOOP\r\n");
    assert_eq!(s.poll_event(), Some(Event::Compress));
    s.receive(b"a3 NOOP\r\n");
    assert!(!s.is_compressed());
    let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with("a2 OK DEFLATE active\r\n")
    );
    s.compression_started();
    assert!(s.is_compressed());
    s.receive(b"a4 NOOP\r\n");
    let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    assert_eq!(out, b"a4 OK NOOP completed.\r\n");
}

#[test]
fn deep_threads_are_sent_flattened() {
    use correo_imap::types::Thread;
    let mut config = ext_config();
    config.limits.max_thread_depth = 3;
    let mut s = Server::new(config);
    while s.poll_transmit().is_some() {}
    s.receive(b"a1 LOGIN u p\r\n");
    s.poll_event();
    s.accept_login();
    s.receive(b"a2 SELECT INBOX\r\n");
    s.poll_event();
    s.select_ok(MailboxView {
        uids: (1..=5).collect(),
        ..MailboxView::default()
    });
    while s.poll_transmit().is_some() {}
    let leaf = |id| Thread {
        id: Some(id),
        children: vec![],
    };
    let chain = |ids: &[u32]| {
        let mut t = leaf(*ids.last().unwrap());
        for &i in ids.iter().rev().skip(1) {
            t = Thread {
                id: Some(i),
                children: vec![t],
            };
        }
        t
    };
    s.receive(b"a3 THREAD REFERENCES UTF-8 ALL\r\n");
    assert!(matches!(s.poll_event(), Some(Event::Thread { .. })));
    s.thread_result(vec![chain(&[1, 2, 3]), chain(&[4, 5, 6, 7])]);
    let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "* THREAD (1 2 3)(4 (5)(6)(7))\r\na3 OK Thread completed.\r\n"
    );
}

/// All of the extension sessions above as one client stream (COMPRESS aside: what follows
/// it depends on when the application switches).
const EXT_STREAM: &str = "a1 LOGIN alice secret\r\na2 ENABLE CONDSTORE QRESYNC\r\n\
a3 SELECT INBOX\r\na4 STORE 1 +FLAGS (\\Flagged)\r\na5 FETCH 1:* (FLAGS) (CHANGEDSINCE 4)\r\n\
a6 STORE 1:2 (UNCHANGEDSINCE 4) +FLAGS (\\Seen)\r\na7 UID SEARCH MODSEQ 5\r\n\
a8 SEARCH RETURN (SAVE) SUBJECT plan\r\na9 FETCH $ (UID MODSEQ)\r\n\
a10 SORT (REVERSE DATE) UTF-8 $\r\na11 THREAD REFERENCES UTF-8 ALL\r\n\
a12 STORE 3 +FLAGS.SILENT (\\Deleted)\r\na13 EXPUNGE\r\n\
a14 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4 VANISHED)\r\n\
a15 SELECT INBOX (QRESYNC (1795389645 5 1:9))\r\na16 THREAD ORDEREDSUBJECT UTF-8 ALL\r\n";

fn ext_stream_output(pieces: &[&[u8]]) -> String {
    let mut s = Server::new(ext_config());
    let mut app = App::new(thread_inbox());
    let mut out = run(&mut s, &mut app, b"");
    for p in pieces {
        out.push_str(&run(&mut s, &mut app, p));
    }
    out
}

#[test]
fn extension_stream_reference() {
    let out = ext_stream_output(&[EXT_STREAM.as_bytes()]);
    for want in [
        "* ENABLED CONDSTORE QRESYNC\r\n",
        "a6 OK [MODIFIED 1] Conditional STORE failed.\r\n",
        "* 1 FETCH (UID 1 MODSEQ (9))\r\n* 2 FETCH (UID 2 MODSEQ (10))\r\n\
         * 4 FETCH (UID 4 MODSEQ (4))\r\na9 OK Fetch completed.\r\n",
        "* SORT 4 2 1\r\n",
        "* THREAD ((6)(5))((3)(7))(1 2 4)\r\n",
        "* VANISHED 3\r\na13 OK Expunge completed.\r\n",
        "* OK [HIGHESTMODSEQ 12] Highest\r\n* VANISHED (EARLIER) 3\r\n\
         * 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (9))\r\n\
         * 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (10))\r\n\
         * 5 FETCH (UID 6 FLAGS () MODSEQ (6))\r\n* 6 FETCH (UID 7 FLAGS () MODSEQ (7))\r\n\
         a15 OK [READ-WRITE] Select completed.\r\n",
        "* THREAD (5)(1 (2)(3))(4 6)\r\na16 OK Thread completed.\r\n",
    ] {
        assert!(out.contains(want), "{want:?} not in\n{out}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// The extension stream gives the same output however it is split.
    #[test]
    fn extension_stream_any_split(cuts in proptest::collection::vec(1usize..120, 1..30)) {
        let all = EXT_STREAM.as_bytes();
        let reference = ext_stream_output(&[all]);
        let mut pieces = vec![];
        let (mut i, mut k) = (0, 0);
        while i < all.len() {
            let n = cuts[k % cuts.len()].min(all.len() - i);
            pieces.push(&all[i..i + n]);
            i += n;
            k += 1;
        }
        proptest::prop_assert_eq!(ext_stream_output(&pieces), reference);
    }
}

#[test]
fn idle_pushes_vanished_and_modseq_once_enabled() {
    let mut s = Server::new(ext_config());
    while s.poll_transmit().is_some() {}
    s.receive(b"a1 LOGIN u p\r\na2 ENABLE QRESYNC\r\na3 SELECT INBOX\r\n");
    s.poll_event();
    s.accept_login();
    assert!(matches!(s.poll_event(), Some(Event::Select { .. })));
    s.select_ok(MailboxView {
        uids: vec![3, 5, 9],
        highest_modseq: Some(40),
        ..MailboxView::default()
    });
    assert!(s.condstore_enabled() && s.qresync_enabled());
    while s.poll_transmit().is_some() {}
    s.receive(b"a4 IDLE\r\n");
    assert_eq!(s.poll_event(), Some(Event::Idle));
    s.expunged(5);
    s.expunged(9);
    s.message_changed(3, vec![Flag::Seen], Some(41));
    s.exists(12);
    s.receive(b"DONE\r\n");
    let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "+ idling\r\n* VANISHED 5\r\n* VANISHED 9\r\n\
         * 1 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (41))\r\n* 2 EXISTS\r\na4 OK Idle completed.\r\n"
    );
    // Outside IDLE, consecutive expunges go out as one VANISHED.
    s.receive(b"a5 NOOP\r\n");
    assert_eq!(s.poll_event(), Some(Event::IdleDone));
    assert_eq!(s.poll_event(), Some(Event::Noop));
    s.expunged(3);
    s.expunged(12);
    s.complete(Status::Ok, None, "");
    let out: Vec<u8> = std::iter::from_fn(|| s.poll_transmit()).flatten().collect();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "* VANISHED 3,12\r\na5 OK NOOP completed.\r\n"
    );
    assert_eq!(s.messages().count(), 0);
}

/// RFC 6154 CREATE-SPECIAL-USE (and RFC 4466's unknown parameters): with it off (the default), a CREATE with `USE` is refused
/// `NO [USEATTR]` by the machine and nothing is created; with it on, the attributes reach
/// the application, which sets them or answers `NO [USEATTR]` itself.
#[test]
fn create_special_use() {
    let steps = [
        "a1 LOGIN alice secret\r\n",
        "a2 CAPABILITY\r\n",
        "t1 CREATE \"Important Messages\" (USE (\\Important))\r\n",
        "t2 CREATE \"Some Other Name\" (USE (\\All))\r\n",
        "t3 LIST \"\" \"Important*\"\r\n",
        "t4 LIST \"\" \"Some*\"\r\n",
        "t5 CREATE Plain\r\n",
        "t6 CREATE Bad (NOSUCH 1)\r\n",
        "t7 SELECT INBOX (NOSUCH)\r\n",
    ];
    let off = session(&plain_config(), &imaplib_inbox(), &steps);
    assert!(!off[2].contains("CREATE-SPECIAL-USE"), "{}", off[2]);
    assert_eq!(
        off[3],
        "t1 NO [USEATTR] CREATE-SPECIAL-USE is not supported\r\n"
    );
    assert_eq!(
        off[4],
        "t2 NO [USEATTR] CREATE-SPECIAL-USE is not supported\r\n"
    );
    // (This test application lists every mailbox whatever the pattern.)
    assert!(!off[5].contains("Important Messages"), "{}", off[5]);
    assert!(off[5].ends_with("t3 OK List completed.\r\n"), "{}", off[5]);
    assert_eq!(off[7], "t5 OK Create completed.\r\n");
    assert!(off[8].starts_with("t6 BAD "), "{}", off[8]);
    // Unknown select parameters are refused too (RFC 4466), not silently dropped.
    assert!(off[9].starts_with("t7 BAD "), "{}", off[9]);

    let config = ServerConfig {
        create_special_use: true,
        ..plain_config()
    };
    let on = session(&config, &imaplib_inbox(), &steps);
    assert!(
        on[2].contains(" SPECIAL-USE CREATE-SPECIAL-USE"),
        "{}",
        on[2]
    );
    assert_eq!(on[3], "t1 OK Create completed.\r\n");
    assert_eq!(on[4], "t2 NO [USEATTR] \\All not supported\r\n");
    assert!(
        on[5].contains("* LIST (\\HasNoChildren \\Important) \"/\" \"Important Messages\"\r\n"),
        "{}",
        on[5]
    );
    assert!(!on[6].contains("Some Other Name"), "{}", on[6]);
}

/// QRESYNC sequence match data (RFC 7162 3.2.5.2): when the client's message numbers still
/// match the server's UIDs, nothing below the highest matching UID is reported vanished,
/// however far back the mod-sequence goes; a mismatch changes nothing.
#[test]
fn qresync_sequence_match_data() {
    let out = session(
        &ext_config(),
        &imaplib_inbox(),
        &[
            "b1 LOGIN alice secret\r\n",
            "b2 ENABLE QRESYNC\r\n",
            "b3 SELECT INBOX\r\n",
            "b4 STORE 1 +FLAGS.SILENT (\\Deleted)\r\nb5 EXPUNGE\r\n",
            // The client saw the expunge: message 1 is UID 2, message 2 is UID 3.
            "b6 SELECT INBOX (QRESYNC (1795389645 1 1:3 (1:2 2:3)))\r\n",
            // A client that did not: message 1 was UID 1 for it.
            "b7 SELECT INBOX (QRESYNC (1795389645 1 1:3 (1:2 1:2)))\r\n",
            "b8 SELECT INBOX (QRESYNC (1795389645 1 1:3))\r\n",
            // Pairs that do not pair up are ignored.
            "b9 SELECT INBOX (QRESYNC (1795389645 1 1:3 (1:2 3)))\r\n",
        ],
    );
    assert_eq!(
        out[4],
        "b4 OK Store completed.\r\n* VANISHED 1\r\nb5 OK Expunge completed.\r\n"
    );
    assert!(!out[5].contains("VANISHED"), "{}", out[5]);
    assert!(out[5].ends_with("b6 OK [READ-WRITE] Select completed.\r\n"));
    for (i, tag) in [(6, "b7"), (7, "b8"), (8, "b9")] {
        assert!(out[i].contains("* VANISHED (EARLIER) 1\r\n"), "{}", out[i]);
        assert!(out[i].ends_with(&format!("{tag} OK [READ-WRITE] Select completed.\r\n")));
    }
}
