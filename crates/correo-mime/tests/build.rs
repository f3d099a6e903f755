//! The message builder: built -> `Message::parse` -> the same headers, tree, bodies and
//! file names (proptest over random trees), header injection refused, transports honoured,
//! streaming outputs identical.

use std::io::Read;

use correo_mime::build::{BuildError, MessageBuilder, Part, Transport};
use correo_mime::header::{DateTime, Disposition, EncodeError, Mailbox};
use correo_mime::message::{Message, PartKind};
use proptest::prelude::*;

/// What a generated part should parse back as.
#[derive(Debug, Clone)]
enum Spec {
    Text {
        sub: &'static str,
        text: String,
        charset: &'static str,
    },
    Att {
        ty: (&'static str, &'static str),
        filename: Option<String>,
        cid: Option<String>,
        data: Vec<u8>,
    },
    Multi {
        sub: &'static str,
        kids: Vec<Spec>,
    },
    Msg {
        subject: String,
        body: Box<Spec>,
    },
}

fn to_part(s: &Spec, transport: Transport) -> Part<'static> {
    match s {
        Spec::Text { sub, text, charset } => Part::text_subtype(sub, text.clone()).charset(charset),
        Spec::Att {
            ty,
            filename,
            cid,
            data,
        } => {
            let mut p = Part::bytes(ty.0, ty.1, data.clone());
            if let Some(f) = filename {
                p = p.filename(f).disposition(Disposition::Attachment);
            }
            if let Some(c) = cid {
                p = p.content_id(c).disposition(Disposition::Inline);
            }
            p
        }
        Spec::Multi { sub, kids } => {
            Part::multipart(sub, kids.iter().map(|k| to_part(k, transport)).collect())
        }
        Spec::Msg { subject, body } => Part::message(
            MessageBuilder::new()
                .subject(subject)
                .from(Mailbox::new(Some("Inner"), "in", "example.org"))
                .transport(transport)
                .body(to_part(body, transport)),
        ),
    }
}

/// Line ends as CRLF, as the builder writes text.
fn crlf(t: &str) -> String {
    t.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

fn check(msg: &Message<'_>, idx: usize, spec: &Spec, path: &str) {
    let part = msg
        .part(idx)
        .unwrap_or_else(|| panic!("{path}: no part {idx}"));
    let ct = part.content_type();
    match spec {
        Spec::Text { sub, text, charset } => {
            assert_eq!(ct.essence(), format!("text/{sub}"), "{path}");
            assert_eq!(ct.charset().as_deref(), Some(*charset), "{path}");
            assert_eq!(part.text(), crlf(text), "{path}: text");
            assert!(part.defects().is_empty(), "{path}: {:?}", part.defects());
        }
        Spec::Att {
            ty,
            filename,
            cid,
            data,
        } => {
            assert_eq!(ct.essence(), format!("{}/{}", ty.0, ty.1), "{path}");
            assert_eq!(&*part.decoded(), data.as_slice(), "{path}: bytes");
            assert_eq!(
                part.filename().as_deref(),
                filename.as_deref(),
                "{path}: filename"
            );
            if let Some(c) = cid {
                let got = part
                    .header()
                    .get("Content-ID")
                    .map(|f| f.text().into_owned());
                assert_eq!(got, Some(format!("<{c}>")), "{path}");
            }
        }
        Spec::Multi { sub, kids } => {
            assert_eq!(ct.essence(), format!("multipart/{sub}"), "{path}");
            assert_eq!(part.kind(), PartKind::Multipart);
            assert_eq!(part.children().len(), kids.len(), "{path}: children");
            for (i, (&c, k)) in part.children().iter().zip(kids).enumerate() {
                check(msg, c, k, &format!("{path}.{}", i + 1));
            }
        }
        Spec::Msg { subject, body } => {
            assert_eq!(ct.essence(), "message/rfc822", "{path}");
            assert_eq!(part.kind(), PartKind::Message);
            let &[inner] = part.children() else {
                panic!("{path}: message/rfc822 with {:?}", part.children())
            };
            let ih = msg.part(inner).expect("inner").header();
            assert_eq!(
                ih.subject().as_deref(),
                Some(subject.as_str()),
                "{path}: subject"
            );
            check(msg, inner, body, &format!("{path}/msg"));
        }
    }
}

fn unicode_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,200}",
        any::<String>(),
        "[a-z \\r\\n.]{0,300}",
        "(From |--|=_|\\.\r\n|[ \t]+\r\n|é){0,40}",
    ]
}

fn header_text() -> impl Strategy<Value = String> {
    // Any Unicode without line breaks; the ends are trimmed because unfolding
    // cannot keep leading or trailing blanks.
    "[^\r\n]{0,120}".prop_map(|s| s.trim_matches([' ', '\t']).to_owned())
}

fn spec() -> impl Strategy<Value = Spec> {
    let leaf = prop_oneof![
        (prop_oneof![Just("plain"), Just("html")], unicode_text(),).prop_map(|(sub, text)| {
            Spec::Text {
                sub,
                text,
                charset: "utf-8",
            }
        }),
        (
            "[ -~\u{a0}-\u{17f}]{0,80}",
            prop_oneof![Just("iso-8859-1"), Just("utf-8")],
        )
            .prop_map(|(text, charset)| Spec::Text {
                sub: "plain",
                text: if charset == "iso-8859-1" {
                    text.chars().filter(|c| (*c as u32) < 0x100).collect()
                } else {
                    text
                },
                charset,
            }),
        (
            prop_oneof![
                Just(("application", "octet-stream")),
                Just(("image", "gif")),
                Just(("application", "pdf"))
            ],
            proptest::option::of(
                "[^\r\n\u{0}-\u{1f}\u{7f}]{1,90}"
                    .prop_filter("a name with something in it", |s| !s.trim().is_empty()
                        && s.trim() == s)
            ),
            proptest::option::of("[a-z0-9.]{1,12}@[a-z]{1,8}"),
            proptest::collection::vec(any::<u8>(), 0..2000),
        )
            .prop_map(|(ty, filename, cid, data)| Spec::Att {
                ty,
                filename,
                cid,
                data
            }),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (
                prop_oneof![Just("mixed"), Just("alternative"), Just("related")],
                proptest::collection::vec(inner.clone(), 1..4),
            )
                .prop_map(|(sub, kids)| Spec::Multi { sub, kids }),
            (header_text(), inner).prop_map(|(subject, body)| Spec::Msg {
                subject,
                body: Box::new(body)
            }),
        ]
    })
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![
        Just(Transport::SevenBit),
        Just(Transport::EightBitMime),
        Just(Transport::SmtpUtf8)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn built_messages_parse_back(
        body in spec(),
        subject in header_text(),
        name in header_text(),
        extra in header_text(),
        t in transport(),
        seed in any::<u64>(),
        secs in 0i64..4_000_000_000,
        off in proptest::option::of(-720i32..840),
    ) {
        let date = DateTime::from_unix(secs, off).expect("date");
        let from = Mailbox::new(Some(name.as_str()), "from", "example.org");
        let to = Mailbox::new(None::<&str>, "to.someone", "example.net");
        let b = MessageBuilder::new()
            .from(from)
            .to(to)
            .subject(&subject)
            .date(date)
            .message_id_from(&seed.to_le_bytes(), "example.org")
            .header("X-Extra", &extra)
            .transport(t)
            .boundary_seed(seed)
            .body(to_part(&body, t));
        let built = b.build().expect("build");
        let raw = built.to_vec();
        prop_assert_eq!(built.len(), raw.len());
        // Streaming outputs agree.
        let mut via_write = Vec::new();
        built.write_to(&mut via_write).expect("write");
        prop_assert_eq!(&via_write, &raw);
        let mut via_read = Vec::new();
        let mut r = built.reader();
        let mut small = [0u8; 13];
        loop {
            let n = r.read(&mut small).expect("read");
            if n == 0 { break; }
            via_read.extend_from_slice(&small[..n]);
        }
        prop_assert_eq!(&via_read, &raw);
        // Transport rules: lines fit 998 octets; 7-bit everywhere or in headers.
        for line in raw.split(|&b| b == b'\n') {
            prop_assert!(line.len() <= 999, "long line");
        }
        match t {
            Transport::SevenBit => prop_assert!(raw.is_ascii(), "8-bit byte on a 7-bit transport"),
            Transport::EightBitMime => {
                let hdr_end = memchr_blank(&raw);
                prop_assert!(raw[..hdr_end].is_ascii());
            }
            Transport::SmtpUtf8 => {}
        }
        let msg = Message::parse(&raw);
        let h = msg.header();
        let got_subject = h.subject();
        prop_assert_eq!(got_subject.as_deref(), Some(subject.as_str()));
        let x = h.get("X-Extra").map(|f| f.text().into_owned());
        prop_assert_eq!(x.as_deref(), Some(extra.as_str()));
        let from: Vec<_> = h.addresses("From").expect("from").mailboxes().cloned().collect();
        prop_assert_eq!(from.len(), 1);
        let want_name = if name.is_empty() { None } else { Some(name.as_str()) };
        prop_assert_eq!(from[0].name.as_deref(), want_name);
        prop_assert_eq!(from[0].address(), "from@example.org");
        let d = h.date().expect("date").expect("valid date");
        prop_assert_eq!(d.to_unix(), secs);
        prop_assert_eq!(d.offset_minutes, off);
        let root = msg.root().index();
        check(&msg, root, &body, "root");
    }
}

fn memchr_blank(raw: &[u8]) -> usize {
    raw.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |p| p + 2)
}

fn line_break(r: Result<Vec<u8>, BuildError>) -> bool {
    matches!(
        r,
        Err(BuildError::Header {
            source: EncodeError::LineBreak { .. },
            ..
        })
    )
}

#[test]
fn header_injection_is_a_typed_error() {
    let evil = "hi\r\nBcc: victim@example.com";
    let base = || MessageBuilder::new().from(Mailbox::new(None::<&str>, "a", "example.org"));
    assert!(line_break(base().subject(evil).to_vec()));
    assert!(line_break(base().subject("x\ny").to_vec()));
    assert!(line_break(base().header("X-A", evil).to_vec()));
    assert!(line_break(base().message_id(evil).to_vec()));
    assert!(line_break(
        base()
            .to(Mailbox::new(Some(evil), "b", "example.org"))
            .to_vec()
    ));
    assert!(line_break(
        base()
            .to(Mailbox::new(None::<&str>, "b\r\n", "example.org"))
            .to_vec()
    ));
    assert!(line_break(
        base()
            .body(Part::attachment("a", "b", "x\r\n.gif", vec![1]))
            .to_vec()
    ));
    assert!(line_break(
        base()
            .body(Part::inline("a", "b", "cid\n@x", vec![1]))
            .to_vec()
    ));
    assert!(line_break(
        base().body(Part::text("x").header("X-P", "a\rb")).to_vec()
    ));
    assert!(matches!(
        base().header("Bad Name", "v").to_vec(),
        Err(BuildError::Header {
            source: EncodeError::InvalidFieldName,
            ..
        })
    ));
    assert!(matches!(
        base().header("Content-Type", "text/html").to_vec(),
        Err(BuildError::ReservedField(_))
    ));
    // SMTPUTF8 is needed for a non-ASCII address.
    let utf8_addr = || base().to(Mailbox::new(None::<&str>, "josé", "ejemplo.es"));
    assert!(matches!(
        utf8_addr().to_vec(),
        Err(BuildError::Header {
            source: EncodeError::NonAsciiAddress,
            ..
        })
    ));
    assert!(utf8_addr().transport(Transport::SmtpUtf8).to_vec().is_ok());
    assert!(matches!(
        base().body(Part::text("ñ").charset("us-ascii")).to_vec(),
        Err(BuildError::Unencodable { .. })
    ));
}

#[test]
fn transports_choose_encodings() {
    let m = |t| {
        let raw = MessageBuilder::new()
            .subject("Año nuevo")
            .transport(t)
            .text("Feliz año\n")
            .to_vec()
            .expect("build");
        String::from_utf8(raw).expect("utf-8")
    };
    let seven = m(Transport::SevenBit);
    assert!(seven.contains("Subject: =?utf-8?"), "{seven}");
    assert!(
        seven.contains("Content-Transfer-Encoding: quoted-printable\r\n"),
        "{seven}"
    );
    assert!(seven.ends_with("\r\n\r\nFeliz a=C3=B1o\r\n"), "{seven}");
    let eight = m(Transport::EightBitMime);
    assert!(eight.contains("Subject: =?utf-8?"), "{eight}");
    assert!(
        eight.contains("Content-Transfer-Encoding: 8bit\r\n"),
        "{eight}"
    );
    let utf8 = m(Transport::SmtpUtf8);
    assert!(utf8.contains("Subject: Año nuevo\r\n"), "{utf8}");
}

#[test]
fn exact_simple_message() {
    let raw = MessageBuilder::new()
        .from(Mailbox::new(Some("Ana"), "ana", "example.org"))
        .to(Mailbox::new(None::<&str>, "bob", "example.net"))
        .subject("hello")
        .date(DateTime::from_unix(1_732_387_503, Some(60)).expect("date"))
        .message_id("1@example.org")
        .text("hi\n")
        .to_vec()
        .expect("build");
    assert_eq!(
        String::from_utf8(raw).expect("ascii"),
        "Date: Sat, 23 Nov 2024 19:45:03 +0100\r\n\
         From: Ana <ana@example.org>\r\n\
         To: bob@example.net\r\n\
         Subject: hello\r\n\
         Message-ID: <1@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\
         \r\n\
         hi\r\n"
    );
}

#[test]
fn attachment_is_base64_at_76_with_both_filename_forms() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let raw = MessageBuilder::new()
        .boundary_seed(3)
        .body(Part::mixed(vec![
            Part::text("x"),
            Part::attachment("image", "gif", "foto de José.gif", data.clone()),
        ]))
        .to_vec()
        .expect("build");
    let s = String::from_utf8(raw.clone()).expect("ascii");
    assert!(
        s.contains("filename*=utf-8''foto%20de%20Jos%C3%A9.gif"),
        "{s}"
    );
    assert!(s.contains("name=\"=?utf-8?"), "{s}");
    let b64_lines: Vec<&str> = s
        .split("\r\n")
        .filter(|l| l.len() == 76 && !l.contains(' ') && !l.contains(':'))
        .collect();
    assert_eq!(b64_lines.len(), 1000 / 57, "{s}");
    let msg = Message::parse(&raw);
    let p = msg.part_by_number("2").expect("part 2");
    assert_eq!(p.filename().as_deref(), Some("foto de José.gif"));
    assert_eq!(&*p.decoded(), data.as_slice());
}

#[test]
fn boundaries_differ_with_the_seed_and_avoid_content() {
    let build = |seed, text: &str| {
        MessageBuilder::new()
            .boundary_seed(seed)
            .body(Part::mixed(vec![Part::text(text.to_owned())]))
            .to_vec()
            .expect("build")
    };
    let b = |raw: &[u8]| {
        Message::parse(raw)
            .root()
            .content_type()
            .boundary()
            .expect("boundary")
            .into_owned()
    };
    let b1 = b(&build(1, "x"));
    let b2 = b(&build(2, "x"));
    assert_ne!(b1, b2);
    // Text that contains seed 1's boundary gets another one.
    let text = format!("--{}\r\n", String::from_utf8_lossy(&b1));
    let raw = build(1, &text);
    assert_ne!(b(&raw), b1);
    assert_eq!(
        Message::parse(&raw).part_by_number("1").expect("1").text(),
        text
    );
}
