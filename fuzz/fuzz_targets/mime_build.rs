//! Builder round trip: fuzz bytes describe a part tree (texts, attachments with file
//! names, multiparts, nested messages) and header values; whatever builds must parse
//! back (with `Message::parse`) to the same subject, tree, bodies and file names.
#![no_main]

use correo_mime::build::{MessageBuilder, Part, Transport};
use correo_mime::header::{Disposition, Mailbox};
use correo_mime::message::{Message, PartKind};
use libfuzzer_sys::fuzz_target;

struct Src<'a>(&'a [u8]);

impl Src<'_> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = usize::from(self.byte()).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a.to_vec()
    }
    fn text(&mut self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

enum Spec {
    Text(String),
    Att(Option<String>, Vec<u8>),
    Multi(Vec<Spec>),
    Msg(String, Box<Spec>),
}

fn spec(s: &mut Src<'_>, depth: usize) -> Spec {
    match s.byte() % if depth > 4 { 2 } else { 4 } {
        0 => Spec::Text(s.text()),
        1 => {
            let name = (s.byte() & 1 == 1).then(|| s.text());
            Spec::Att(name, s.bytes())
        }
        2 => {
            let n = 1 + usize::from(s.byte() % 4);
            Spec::Multi((0..n).map(|_| spec(s, depth + 1)).collect())
        }
        _ => Spec::Msg(s.text(), Box::new(spec(s, depth + 1))),
    }
}

fn part(sp: &Spec, t: Transport) -> Part<'static> {
    match sp {
        Spec::Text(x) => Part::text(x.clone()),
        Spec::Att(name, data) => {
            let p = Part::bytes("application", "octet-stream", data.clone());
            match name {
                Some(n) => p.filename(n).disposition(Disposition::Attachment),
                None => p,
            }
        }
        Spec::Multi(kids) => Part::mixed(kids.iter().map(|k| part(k, t)).collect()),
        Spec::Msg(subject, body) => Part::message(
            MessageBuilder::new()
                .subject(subject)
                .transport(t)
                .body(part(body, t)),
        ),
    }
}

fn crlf(t: &str) -> String {
    t.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

fn check(msg: &Message<'_>, idx: usize, sp: &Spec) {
    let p = msg.part(idx).expect("part");
    match sp {
        Spec::Text(x) => assert_eq!(p.text(), crlf(x)),
        Spec::Att(name, data) => {
            assert_eq!(&*p.decoded(), data.as_slice());
            match name {
                Some(n) if !n.trim().is_empty() && n.trim() == n => {
                    assert_eq!(p.filename().as_deref(), Some(n.as_str()));
                }
                Some(_) => {}
                None => assert_eq!(p.filename(), None),
            }
        }
        Spec::Multi(kids) => {
            assert_eq!(p.kind(), PartKind::Multipart);
            assert_eq!(p.children().len(), kids.len());
            for (&c, k) in p.children().iter().zip(kids) {
                check(msg, c, k);
            }
        }
        Spec::Msg(subject, body) => {
            assert_eq!(p.kind(), PartKind::Message);
            let &[inner] = p.children() else {
                panic!("message without its child")
            };
            let h = msg.part(inner).expect("inner").header();
            if subject.trim_matches([' ', '\t']) == subject {
                assert_eq!(h.subject().as_deref(), Some(subject.as_str()));
            }
            check(msg, inner, body);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Src(data);
    let t = match s.byte() % 3 {
        0 => Transport::SevenBit,
        1 => Transport::EightBitMime,
        _ => Transport::SmtpUtf8,
    };
    let seed = u64::from(s.byte());
    let subject = s.text();
    let name = s.text();
    let sp = spec(&mut s, 0);
    let b = MessageBuilder::new()
        .from(Mailbox::new(Some(name.as_str()), "a", "example.org"))
        .subject(&subject)
        .transport(t)
        .boundary_seed(seed)
        .body(part(&sp, t));
    let Ok(built) = b.build() else { return };
    let raw = built.to_vec();
    assert_eq!(raw.len(), built.len());
    if t == Transport::SevenBit {
        assert!(raw.is_ascii());
    }
    let msg = Message::parse(&raw);
    if subject.trim_matches([' ', '\t']) == subject {
        assert_eq!(msg.header().subject().as_deref(), Some(subject.as_str()));
    }
    check(&msg, msg.root().index(), &sp);
});
