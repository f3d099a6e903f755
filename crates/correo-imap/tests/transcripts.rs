//! Every message of the real sessions in `tests/data` parsed by the client codec (server
//! messages) and by the command parser (client messages), with the input whole and one byte
//! at a time giving the same results.

use correo_imap::frame::{Frame, Framer, Side};
use correo_imap::parse::{
    ClientLineKind, body_target, parse_client_line, parse_greeting, parse_response,
};
use correo_imap::types::{ClientLine, CommandBody, Response, Status};
use correo_imap::{Leniency, Limits};

fn chunks(name: &str) -> Vec<(u8, Vec<u8>)> {
    let path = format!("{}/tests/data/{name}.chunks", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let nl = i + data[i..].iter().position(|&b| b == b'\n').unwrap();
        let head = std::str::from_utf8(&data[i..nl]).unwrap();
        let (dir, len) = head.split_once(' ').unwrap();
        let len: usize = len.parse().unwrap();
        let body = data[nl + 1..nl + 1 + len].to_vec();
        out.push((dir.as_bytes()[0], body));
        i = nl + 1 + len + 1;
    }
    out
}

/// Replays a session; `split` feeds each chunk in pieces of that size. Returns a log of
/// everything parsed (Debug renderings), to compare across splits.
fn replay(name: &str, split: usize) -> (Vec<String>, usize, usize) {
    let len = Leniency::default();
    let lim = Limits::default();
    let mut sf = Framer::new(Side::Client, lim, true);
    let mut cf = Framer::new(Side::Server, lim, true);
    let mut log = Vec::new();
    let mut greeted = false;
    let mut mode = ClientLineKind::Command;
    let mut auth_tag: Option<String> = None;
    let (mut nserver, mut nclient) = (0, 0);
    for (dir, bytes) in chunks(name) {
        let mut stop = false;
        for piece in bytes.chunks(split) {
            if dir == b'S' {
                let mut feed = sf.feed(piece);
                while let Some(f) = feed.next_frame() {
                    match f.unwrap_or_else(|e| panic!("{name}: framing: {e}")) {
                        Frame::Message(m) => {
                            nserver += 1;
                            if !greeted {
                                greeted = true;
                                let g = parse_greeting(m, &len, &lim).unwrap_or_else(|e| {
                                    panic!(
                                        "{name}: greeting {:?}: {e}",
                                        String::from_utf8_lossy(m.bytes())
                                    )
                                });
                                log.push(format!("G {g:?}"));
                                continue;
                            }
                            let r = parse_response(m, &len, &lim).unwrap_or_else(|e| {
                                panic!("{name}: {:?}: {e}", String::from_utf8_lossy(m.bytes()))
                            });
                            if let Response::Tagged(t) = &r {
                                if auth_tag.as_deref() == Some(t.tag.as_str()) {
                                    mode = ClientLineKind::Command;
                                    auth_tag = None;
                                }
                                if t.status == Status::Ok && t.text.text.starts_with(b"Begin TLS") {
                                    stop = true;
                                }
                            }
                            if mode == ClientLineKind::IdleDone {
                                // stays until DONE is sent
                            }
                            log.push(format!("S {r:?}"));
                        }
                        Frame::BodyBegin(b) => {
                            let t = body_target(&b, &len, &lim).unwrap_or_else(|e| {
                                panic!(
                                    "{name}: body target {:?}: {e}",
                                    String::from_utf8_lossy(b.prefix)
                                )
                            });
                            log.push(format!("B {t:?} {}", b.length));
                        }
                        Frame::BodyData(d) => log.push(format!("D {}", d.len())),
                        Frame::BodyEnd => log.push("E".into()),
                        Frame::LiteralRequest { .. } => unreachable!(),
                    }
                }
            } else {
                let mut feed = cf.feed(piece);
                while let Some(f) = feed.next_frame() {
                    match f.unwrap_or_else(|e| panic!("{name}: client framing: {e}")) {
                        Frame::Message(m) => {
                            nclient += 1;
                            let l = parse_client_line(m, mode, &len, &lim).unwrap_or_else(|e| {
                                panic!(
                                    "{name}: client {:?} ({mode:?}): {e}",
                                    String::from_utf8_lossy(m.bytes())
                                )
                            });
                            match &l {
                                ClientLine::Command(c) => match &c.body {
                                    CommandBody::Authenticate { .. } => {
                                        mode = ClientLineKind::AuthenticateData;
                                        auth_tag = Some(c.tag.as_str().to_owned());
                                    }
                                    CommandBody::Idle => mode = ClientLineKind::IdleDone,
                                    _ => {}
                                },
                                ClientLine::IdleDone => mode = ClientLineKind::Command,
                                ClientLine::AuthenticateData(_) => {}
                            }
                            log.push(format!("C {l:?}"));
                        }
                        Frame::LiteralRequest { length, body, .. } => {
                            log.push(format!("R {length} {body}"));
                        }
                        Frame::BodyBegin(b) => log.push(format!("CB {}", b.length)),
                        Frame::BodyData(d) => log.push(format!("CD {}", d.len())),
                        Frame::BodyEnd => log.push("CE".into()),
                    }
                }
            }
        }
        if stop {
            break;
        }
    }
    (log, nserver, nclient)
}

fn merge_data(log: Vec<String>) -> Vec<String> {
    // Data events depend on chunking: sum consecutive ones.
    let mut out: Vec<String> = Vec::new();
    let mut acc: Option<(String, usize)> = None;
    for l in log {
        let kind = if l.starts_with("D ") {
            Some("D")
        } else if l.starts_with("CD ") {
            Some("CD")
        } else {
            None
        };
        match kind {
            Some(k) => {
                let n: usize = l.rsplit(' ').next().unwrap().parse().unwrap();
                match &mut acc {
                    Some((kk, total)) if kk == k => *total += n,
                    _ => {
                        if let Some((kk, t)) = acc.take() {
                            out.push(format!("{kk} {t}"));
                        }
                        acc = Some((k.to_owned(), n));
                    }
                }
            }
            None => {
                if let Some((kk, t)) = acc.take() {
                    out.push(format!("{kk} {t}"));
                }
                out.push(l);
            }
        }
    }
    if let Some((kk, t)) = acc {
        out.push(format!("{kk} {t}"));
    }
    out
}

const SESSIONS: &[&str] = &[
    "imap-curl-examine",
    "imap-curl-fetch",
    "imap-idle-raw",
    "imap-imaplib",
    "imap-raw-extensions",
    "imap-starttls",
    "client-mbsync",
    "client-offlineimap",
    "client-fetchmail-imap",
];

#[test]
fn every_transcript_message_parses_whole_and_byte_by_byte() {
    for name in SESSIONS {
        let (whole, ns, nc) = replay(name, usize::MAX);
        assert!(
            ns > 3 && nc > 1,
            "{name}: {ns} server, {nc} client messages"
        );
        let (bytewise, ns2, nc2) = replay(name, 1);
        assert_eq!((ns, nc), (ns2, nc2));
        assert_eq!(merge_data(whole), merge_data(bytewise), "{name}");
    }
}

#[test]
fn known_responses_are_typed() {
    // Nothing the transcripts contain should fall back to the raw `Other` forms, except
    // Dovecot's own untyped extension data listed here.
    for name in SESSIONS {
        let (log, _, _) = replay(name, usize::MAX);
        for l in log {
            assert!(
                !l.contains("Other") || l.contains("\"BOGUS\""),
                "{name}: untyped: {l}"
            );
        }
    }
}
