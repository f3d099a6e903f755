//! The IMAP server state machine driven by arbitrary client bytes, with every decision
//! (accept/reject, message data, mailbox changes) answered from fuzz bytes. No panic, and
//! memory stays bounded (the output is drained and its size checked against the input).
#![no_main]

use std::borrow::Cow;

use correo_imap::server::{ChangedMessage, Event, MailboxView, MessageData, Server, ServerConfig};
use correo_imap::types::{Flag, ListItem, Mailbox, Status, StatusItem, Thread};
use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

const MSG: &[u8] = b"From: a@b.c\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nhi\r\n--z\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n--z--\r\n";

fn answer(s: &mut Server, e: Event, f: &mut Bytes<'_>) {
    let c = f.byte();
    match e {
        Event::Login { .. } | Event::Authenticate { .. } | Event::AuthResponse(_) => match c % 3 {
            0 => s.accept_login(),
            1 => s.reject_login("no"),
            _ => s.auth_challenge(f.take(8)),
        },
        Event::Select { .. } => {
            if c % 4 == 0 {
                s.complete(Status::No, None, "no such mailbox");
            } else {
                let n = u32::from(f.byte() % 8);
                let m = f.byte();
                s.select_ok(MailboxView {
                    uids: (1..=n).map(|i| i * 2).collect(),
                    uid_next: n * 2 + 1,
                    read_only: c % 2 == 0,
                    highest_modseq: (m % 4 != 0).then_some(u64::from(m)),
                    vanished: f.take(3).iter().map(|&b| u32::from(b)).collect(),
                    changed: f
                        .take(2)
                        .iter()
                        .map(|&b| ChangedMessage {
                            uid: u32::from(b % 20),
                            flags: vec![Flag::Seen],
                            modseq: u64::from(b),
                        })
                        .collect(),
                    ..MailboxView::default()
                });
            }
        }
        Event::List { .. } => {
            for _ in 0..c % 3 {
                s.list_item(ListItem {
                    attributes: vec![Flag::Extension(Cow::Borrowed("HasNoChildren"))],
                    delimiter: Some(b'/'),
                    mailbox: Mailbox(Cow::Borrowed(b"INBOX")),
                    extended: None,
                });
            }
            s.complete(Status::Ok, None, "");
        }
        Event::Status { mailbox, items } => {
            let v = items
                .into_iter()
                .map(|i| (i, u64::from(c)))
                .collect::<Vec<(StatusItem<'_>, u64)>>();
            s.status(mailbox, v);
            s.complete(Status::Ok, None, "");
        }
        Event::Fetch {
            messages, vanished, ..
        } => {
            if vanished {
                let v: Vec<u32> = f.take(4).iter().map(|&b| u32::from(b)).collect();
                s.vanished_earlier(&v);
            }
            for m in messages.iter().take(64) {
                let flags = if f.byte() % 2 == 0 {
                    vec![Flag::Seen]
                } else {
                    vec![]
                };
                let stored = s.fetch_sets_seen(&flags) && f.byte() % 2 == 0;
                let d = MessageData {
                    uid: m.uid,
                    flags,
                    internal_date: Cow::Borrowed("22-Nov-2026 23:20:45 +0000"),
                    size: MSG.len() as u64,
                    bytes: (c % 2 == 0).then_some(MSG),
                    envelope: None,
                    body_structure: None,
                };
                let modseq = f.byte();
                let modseq = (modseq % 3 != 0).then_some(u64::from(modseq));
                if stored {
                    s.fetch_message_seen_stored(m.seq, &d, modseq);
                } else {
                    s.fetch_message_modseq(m.seq, &d, modseq);
                }
            }
            s.complete(Status::Ok, None, "");
        }
        Event::Store {
            messages, flags, ..
        } => {
            for m in messages.iter().take(64) {
                match f.byte() % 3 {
                    0 => s.store_flags(m.seq, flags.clone()),
                    1 => s.store_result(m.seq, flags.clone(), Some(u64::from(c))),
                    _ => s.store_modified(m.seq),
                }
            }
            s.complete(Status::Ok, None, "");
        }
        Event::Copy { uids, is_move, .. } => {
            if is_move {
                for &u in uids.iter().take(64) {
                    s.expunged(u);
                }
            }
            let d: Vec<u32> = (1..=u32::try_from(uids.len().min(64)).unwrap_or(0)).collect();
            let src: Vec<u32> = uids.iter().copied().take(64).collect();
            s.copy_ok((c % 2 == 0).then_some((7, src, d)));
        }
        Event::Expunge { .. } => {
            s.expunged(u32::from(f.byte()));
            s.complete(Status::Ok, None, "");
        }
        Event::Search { .. } => {
            let ids: Vec<u32> = f.take(4).iter().map(|&b| u32::from(b)).collect();
            s.search_result_modseq(&ids, (c % 2 == 0).then_some(u64::from(c)));
        }
        Event::Sort { .. } => {
            let ids: Vec<u32> = f.take(4).iter().map(|&b| u32::from(b)).collect();
            s.sort_result(&ids);
        }
        Event::Thread { .. } => {
            // A chain as deep as the fuzz bytes say, and a dummy root.
            let mut t = Thread {
                id: Some(1),
                children: Vec::new(),
            };
            for i in 0..u32::from(f.byte()) {
                t = Thread {
                    id: (i % 5 != 0).then_some(i + 2),
                    children: vec![t],
                };
            }
            s.thread_result(vec![t]);
        }
        Event::Compress => s.compression_started(),
        Event::Append { .. } => s.append_ok((c % 2 == 0).then(|| (3, vec![9]))),
        Event::StartTls => s.tls_established(),
        Event::Idle
        | Event::IdleDone
        | Event::AppendBegin { .. }
        | Event::AppendData(_)
        | Event::AppendEnd
        | Event::SeenSet { .. }
        | Event::Closed
        | Event::AuthCancelled => {}
        _ => {
            let st = match c % 3 {
                0 => Status::Ok,
                1 => Status::No,
                _ => Status::Bad,
            };
            s.complete(st, None, "");
        }
    }
    // Unsolicited changes now and then.
    match f.byte() % 8 {
        0 => s.exists(u32::from(f.byte()) + 100),
        1 => s.expunged(u32::from(f.byte())),
        2 => s.flags_changed(u32::from(f.byte()), vec![Flag::Flagged]),
        3 => s.message_changed(
            u32::from(f.byte()),
            vec![Flag::Seen],
            Some(u64::from(f.byte())),
        ),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut f = Bytes(data);
    let c = f.byte();
    let mut config = ServerConfig {
        allow_plaintext_auth: c & 1 != 0,
        starttls: c & 2 != 0,
        implicit_tls: c & 4 != 0,
        max_append: 64,
        condstore: c & 8 != 0,
        qresync: c & 16 != 0,
        sort: c & 32 != 0,
        thread: c & 32 != 0,
        searchres: c & 64 != 0,
        compress: c & 128 != 0,
        ..ServerConfig::default()
    };
    config.limits.max_line_len = 256;
    config.limits.max_literal = 64;
    config.limits.max_message = 1024;
    let mut s = Server::new(config);
    let mut out = 0usize;
    let mut fed = 0usize;
    while !f.0.is_empty() {
        let n = usize::from(f.byte() % 64) + 1;
        let chunk = f.take(n).to_vec();
        fed += chunk.len();
        s.receive(&chunk);
        let mut guard = 0;
        while let Some(e) = s.poll_event() {
            answer(&mut s, e, &mut f);
            guard += 1;
            if guard > 10_000 {
                break;
            }
        }
        while let Some(b) = s.poll_transmit() {
            out += b.len();
        }
        // Output grows at most linearly with the input and the decisions.
        assert!(
            out <= 64 * 1024 + fed * 4096,
            "output {out} for {fed} input bytes"
        );
    }
});
