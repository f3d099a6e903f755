//! Shared helpers for the integration tests: transcript loading, a naive reference
//! reader for POP3 replies, maildrops.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

/// One recorded chunk.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Sent by the client.
    pub client: bool,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Decodes the JSON string starting at `s[0] == '"'` into latin-1 bytes.
fn json_string(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'"' => return out,
            b'\\' => {
                i += 1;
                match s[i] {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = std::str::from_utf8(&s[i + 1..i + 5]).unwrap();
                        let v = u32::from_str_radix(hex, 16).unwrap();
                        assert!(v < 256, "not latin-1");
                        out.push(v as u8);
                        i += 4;
                    }
                    c => out.push(c),
                }
            }
            c => {
                // JSON text is UTF-8: non-ASCII latin-1 characters come as 2-byte sequences.
                if c < 0x80 {
                    out.push(c);
                } else {
                    let ch = std::str::from_utf8(&s[i..])
                        .ok()
                        .or_else(|| std::str::from_utf8(&s[i..i + 2]).ok())
                        .and_then(|t| t.chars().next())
                        .unwrap();
                    out.push(u32::from(ch) as u8);
                    i += ch.len_utf8() - 1;
                }
            }
        }
        i += 1;
    }
    panic!("unterminated string");
}

/// Loads `tests/data/NAME.jsonl`.
pub fn load(name: &str) -> Vec<Chunk> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format!("{name}.jsonl"));
    let text = std::fs::read(&path).unwrap();
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|line| {
            let dir = find(line, b"\"dir\": \"").unwrap();
            let client = line[dir + 8] == b'C';
            let data = find(line, b"\"data\": ").unwrap();
            Chunk {
                client,
                data: json_string(&line[data + 8..]),
            }
        })
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits a byte string into CRLF-terminated lines (terminators kept).
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..data.len() {
        if data[i] == b'\n' {
            out.push(&data[start..=i]);
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out
}

/// A reply as read by the naive reference reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaiveReply {
    /// The status line, without CRLF.
    pub status: Vec<u8>,
    /// Un-stuffed body of a multi-line reply (lines with CRLF).
    pub body: Option<Vec<u8>>,
}

/// Reads replies from a server stream, one per command, the simplest way possible.
/// `commands` are the command lines (without CRLF); `AUTH` continuation rounds are read
/// as extra single lines ("+ ...") that belong to the AUTH.
pub fn naive_replies(commands: &[Vec<u8>], stream: &[u8]) -> Vec<NaiveReply> {
    let all = lines(stream);
    let mut it = all.into_iter();
    let mut out = Vec::new();
    let greeting = it.next().unwrap();
    out.push(NaiveReply {
        status: greeting[..greeting.len() - 2].to_vec(),
        body: None,
    });
    for cmd in commands {
        let Some(mut line) = it.next() else { break };
        while line.starts_with(b"+ ") || line == b"+\r\n" {
            line = match it.next() {
                Some(l) => l,
                None => return out,
            };
        }
        let status = line[..line.len() - 2].to_vec();
        let upper = cmd.to_ascii_uppercase();
        let multi = status.starts_with(b"+OK")
            && (upper == b"CAPA"
                || upper == b"LIST"
                || upper == b"UIDL"
                || upper.starts_with(b"TOP ")
                || upper.starts_with(b"RETR "));
        let body = multi.then(|| {
            let mut body = Vec::new();
            for l in it.by_ref() {
                if l == b".\r\n" {
                    break;
                }
                body.extend_from_slice(l.strip_prefix(b".").unwrap_or(l));
            }
            body
        });
        out.push(NaiveReply { status, body });
    }
    out
}

/// Command lines (without CRLF) sent by the client, SASL responses excluded.
pub fn client_commands(chunks: &[Chunk]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut after_auth_challenge = false;
    for c in chunks {
        if c.client {
            for l in lines(&c.data) {
                let l = &l[..l.len() - 2];
                if after_auth_challenge {
                    after_auth_challenge = false;
                    continue;
                }
                out.push(l.to_vec());
            }
        } else {
            after_auth_challenge = c.data.starts_with(b"+ ") || c.data == b"+\r\n";
        }
    }
    out
}

/// All server bytes up to (excluding) the first TLS record.
pub fn server_stream(chunks: &[Chunk]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in chunks {
        if c.data.first() == Some(&0x16) || c.data.first() == Some(&0x17) {
            break;
        }
        if !c.client {
            out.extend_from_slice(&c.data);
        }
    }
    out
}

/// How input is cut before being fed.
#[derive(Debug, Clone, Copy)]
pub enum Split {
    /// Each recorded chunk whole.
    Whole,
    /// One byte at a time.
    Bytes,
    /// Each chunk cut in two at this offset (clamped).
    At(usize),
}

impl Split {
    /// The pieces of `data`.
    pub fn pieces<'a>(&self, data: &'a [u8]) -> Vec<&'a [u8]> {
        match *self {
            Split::Whole => vec![data],
            Split::Bytes => data.chunks(1).collect(),
            Split::At(k) => {
                let k = k.min(data.len());
                vec![&data[..k], &data[k..]]
            }
        }
    }
}

/// The five messages of alice's maildrop in the client-* transcripts, as Dovecot sent them
/// (read from getmail's RETR 1-5 by the naive reader).
pub fn alice_messages() -> Vec<Vec<u8>> {
    let chunks = load("client-getmail");
    let replies = naive_replies(&client_commands(&chunks), &server_stream(&chunks));
    let bodies: Vec<Vec<u8>> = replies
        .iter()
        .filter(|r| r.status.ends_with(b"octets"))
        .map(|r| r.body.clone().unwrap())
        .collect();
    assert_eq!(bodies.len(), 5);
    bodies
}

use correo_pop3::client::{Client, Event as CEvent};
use correo_pop3::codec::{ResponseCode, apop_digest, apop_digest_matches};
use correo_pop3::server::{Event as SEvent, MessageInfo, Server};
use std::collections::BTreeMap;

/// One account: password and messages as (uid, bytes).
pub type Account = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>);

/// An in-memory mail store: user -> (password, messages as (uid, bytes)).
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// The accounts.
    pub users: BTreeMap<Vec<u8>, Account>,
    /// The maildrop opened by the current session.
    pub open: Option<Vec<u8>>,
    /// Events the server raised, for assertions.
    pub seen: Vec<SEvent>,
    /// Size of the pieces message bytes are handed over in.
    pub piece: usize,
}

impl Store {
    /// Adds a user.
    pub fn user(mut self, name: &str, password: &str, messages: &[&[u8]]) -> Self {
        let msgs = messages
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("uid{:04}", i + 1).into_bytes(), m.to_vec()))
            .collect();
        self.users.insert(
            name.as_bytes().to_vec(),
            (password.as_bytes().to_vec(), msgs),
        );
        self
    }

    fn maildrop(&self, user: &[u8]) -> Vec<MessageInfo> {
        self.users[user]
            .1
            .iter()
            .map(|(uid, m)| MessageInfo {
                size: correo_wire::dot::normalize_line_endings(m).len() as u64,
                uid: uid.clone(),
            })
            .collect()
    }

    fn login(&mut self, s: &mut Server, user: &[u8], ok: bool) {
        if ok && self.users.contains_key(user) {
            self.open = Some(user.to_vec());
            s.accept_login(self.maildrop(user)).unwrap();
        } else {
            s.reject_login(Some(ResponseCode::Auth), b"").unwrap();
        }
    }

    /// Answers every pending server event.
    pub fn serve(&mut self, s: &mut Server) {
        while let Some(ev) = s.poll_event() {
            self.seen.push(ev.clone());
            match ev {
                SEvent::CheckPassword { user, password, .. } => {
                    let ok = self.users.get(&user).is_some_and(|(p, _)| *p == password);
                    self.login(s, &user, ok);
                }
                SEvent::CheckApop {
                    user,
                    digest,
                    timestamp,
                } => {
                    let ok = self.users.get(&user).is_some_and(|(p, _)| {
                        apop_digest_matches(&apop_digest(&timestamp, p), &digest)
                    });
                    self.login(s, &user, ok);
                }
                SEvent::NeedCramSecret { user } => match self.users.get(user.as_bytes()) {
                    Some((p, _)) => {
                        let p = p.clone();
                        s.cram_secret(&p).unwrap();
                    }
                    None => s.reject_login(Some(ResponseCode::Auth), b"").unwrap(),
                },
                SEvent::OpenMaildrop { user, .. } => self.login(s, user.as_bytes(), true),
                SEvent::Retrieve { msg, .. } => {
                    let user = self.open.clone().unwrap();
                    let body = self.users[&user].1[msg as usize - 1].1.clone();
                    for part in body.chunks(self.piece.max(1)) {
                        if !s.wants_message_data() {
                            break;
                        }
                        s.message_data(part).unwrap();
                    }
                    s.message_end().unwrap();
                }
                SEvent::Update { deleted } => {
                    let user = self.open.clone().unwrap();
                    let msgs = &mut self.users.get_mut(&user).unwrap().1;
                    msgs.retain(|(uid, _)| !deleted.iter().any(|d| d.uid == *uid));
                    s.update_complete(true).unwrap();
                }
                SEvent::StartTls => s.tls_established().unwrap(),
                SEvent::Closed => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

/// Moves bytes both ways until neither side has anything to say; returns the client's
/// events. `wire` records the conversation (`C: `/`S: ` chunks).
pub fn pump(c: &mut Client, s: &mut Server, store: &mut Store, wire: &mut Vec<u8>) -> Vec<CEvent> {
    let mut events = Vec::new();
    loop {
        let mut moved = false;
        store.serve(s);
        while let Some(out) = s.poll_transmit() {
            wire.extend_from_slice(b"S: ");
            wire.extend_from_slice(&out);
            c.receive(&out).unwrap();
            moved = true;
        }
        while let Some(e) = c.poll_event() {
            if e == CEvent::StartTls {
                c.tls_established().unwrap();
            }
            events.push(e);
        }
        while let Some(out) = c.poll_transmit() {
            wire.extend_from_slice(b"C: ");
            wire.extend_from_slice(&out);
            if s.receive(&out).is_ok() {
                moved = true;
            }
        }
        if !moved {
            return events;
        }
    }
}

/// Concatenated body chunks.
pub fn bodies(events: &[CEvent]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    for e in events {
        match e {
            CEvent::MessageStart { .. } => cur = Some(Vec::new()),
            CEvent::BodyChunk(c) => cur.as_mut().unwrap().extend_from_slice(c),
            CEvent::MessageEnd { .. } => out.push(cur.take().unwrap()),
            _ => {}
        }
    }
    out
}
