//! The correo-mime bridge: sections by part number, BODY vs BODYSTRUCTURE, ENVELOPE
//! defaults, and the SEARCH evaluator.
#![cfg(feature = "mime")]

use std::borrow::Cow;

use correo_imap::mime::search::{SearchInput, matches, matches_all, parse_date};
use correo_imap::mime::{body_structure, envelope, part_section};
use correo_imap::types::Section;
use correo_imap::types::{
    BodyStructure, Flag, SearchKey, SectionText, SeqNum, SeqRange, SequenceSet, SinglePartKind,
};
use correo_mime::message::Message;

const NESTED: &[u8] = b"From: =?utf-8?q?Jos=C3=A9?= <jose@example.org>\r\n\
To: Grupo: ana@example.org, luis@example.org;\r\n\
Subject: =?utf-8?q?reuni=C3=B3n?= semanal\r\n\
Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\
Message-ID: <m1@example.org>\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 con le=\r\nche\r\n\
--b1\r\nContent-Type: message/rfc822\r\n\r\n\
From: inner@example.org\r\nSubject: dentro\r\n\r\ncuerpo interior\r\n\
--b1--\r\n";

#[test]
fn sections_by_part_number() {
    let part = |p: Vec<u32>, t: Option<SectionText<'static>>| {
        part_section(NESTED, &Section { part: p, text: t }).map(Cow::into_owned)
    };
    assert_eq!(part(vec![1], None).unwrap(), b"Caf=C3=A9 con le=\r\nche");
    assert_eq!(
        part(vec![1], Some(SectionText::Mime)).unwrap(),
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    );
    assert_eq!(
        part(vec![2], Some(SectionText::Header)).unwrap(),
        b"From: inner@example.org\r\nSubject: dentro\r\n\r\n"
    );
    assert_eq!(
        part(vec![2], Some(SectionText::Text)).unwrap(),
        b"cuerpo interior"
    );
    assert_eq!(
        part(
            vec![2],
            Some(SectionText::HeaderFields(vec![Cow::Borrowed(b"subject")]))
        )
        .unwrap(),
        b"Subject: dentro\r\n\r\n"
    );
    assert_eq!(part(vec![2, 1], None).unwrap(), b"cuerpo interior");
    // HEADER of a part that is not a message, and parts that do not exist.
    assert!(part(vec![1], Some(SectionText::Header)).is_none());
    assert!(part(vec![3], None).is_none());
    assert!(part(vec![1, 1, 1], None).is_none());
}

#[test]
fn body_has_no_extensions_and_counts_lines() {
    let m = Message::parse(NESTED);
    let BodyStructure::Multi {
        parts,
        subtype,
        extension,
    } = body_structure(&m, false)
    else {
        panic!()
    };
    assert_eq!(&subtype[..], b"mixed");
    assert!(extension.is_none());
    let BodyStructure::Single {
        kind: SinglePartKind::Text { lines },
        fields,
        extension,
        ..
    } = &parts[0]
    else {
        panic!()
    };
    assert_eq!((*lines, fields.size), (1, 22));
    assert_eq!(fields.encoding.as_deref(), Some(&b"quoted-printable"[..]));
    assert!(extension.is_none());
    let BodyStructure::Single {
        kind: SinglePartKind::Message {
            envelope, lines, ..
        },
        ..
    } = &parts[1]
    else {
        panic!()
    };
    assert_eq!(*lines, 3);
    assert_eq!(envelope.subject.as_deref(), Some(&b"dentro"[..]));
    // A message without Content-Type: text/plain us-ascii, 7bit.
    let plain = Message::parse(b"Subject: x\r\n\r\nhola\r\n");
    let BodyStructure::Single { fields, .. } = body_structure(&plain, true) else {
        panic!()
    };
    assert_eq!(fields.params.unwrap()[0].1.as_ref(), b"us-ascii");
    assert_eq!(fields.encoding.as_deref(), Some(&b"7bit"[..]));
}

#[test]
fn envelope_raw_fields_groups_and_defaults() {
    let e = envelope(&Message::parse(NESTED));
    // Subject and date raw, as Dovecot sends them (encoded words kept).
    assert_eq!(
        e.subject.as_deref(),
        Some(&b"=?utf-8?q?reuni=C3=B3n?= semanal"[..])
    );
    assert_eq!(
        e.date.as_deref(),
        Some(&b"Mon, 23 Nov 2026 10:00:00 +0100"[..])
    );
    assert_eq!(e.message_id.as_deref(), Some(&b"<m1@example.org>"[..]));
    // Sender and Reply-To default to From.
    assert_eq!(e.sender, e.from);
    assert_eq!(e.reply_to, e.from);
    // A group: start marker, members, end marker.
    let to = e.to.unwrap();
    assert_eq!(to.len(), 4);
    assert_eq!(
        (to[0].mailbox.as_deref(), to[0].host.as_deref()),
        (Some(&b"Grupo"[..]), None)
    );
    assert_eq!(to[3], correo_imap::types::Address::default());
    assert!(e.cc.is_none() && e.in_reply_to.is_none());
}

fn input<'a>(m: &'a Message<'a>, flags: &'a [Flag<'a>]) -> SearchInput<'a, 'a> {
    SearchInput {
        seq: 2,
        uid: 20,
        max_seq: 3,
        max_uid: 30,
        flags,
        recent: true,
        internal_date: "23-Nov-2026 09:00:00 +0000",
        size: NESTED.len() as u64,
        message: Some(m),
        modseq: 7,
    }
}

#[test]
fn search_keys() {
    let m = Message::parse(NESTED);
    let flags = [Flag::Seen, Flag::Keyword(Cow::Borrowed("$Work"))];
    let i = input(&m, &flags);
    let s = |b: &'static [u8]| Cow::Borrowed(b);
    let yes = [
        SearchKey::All,
        SearchKey::Seen,
        SearchKey::Unanswered,
        SearchKey::Recent,
        SearchKey::Keyword(Cow::Borrowed("$work")),
        SearchKey::Subject(s(b"REUNI\xc3\x93N")),
        SearchKey::From(s(b"jos\xc3\xa9")),
        SearchKey::To(s(b"luis@")),
        SearchKey::Body(s(b"caf\xc3\xa9 con leche")),
        SearchKey::Text(s(b"message-id")),
        SearchKey::Header(s(b"message-id"), s(b"m1@")),
        SearchKey::On(s(b"23-Nov-2026")),
        SearchKey::Since(s(b"1-Nov-2026")),
        SearchKey::Before(s(b"24-Nov-2026")),
        SearchKey::SentOn(s(b"23-Nov-2026")),
        SearchKey::Larger(100),
        SearchKey::Uid(SequenceSet::Ranges(vec![SeqRange::Range(
            SeqNum::Value(15),
            SeqNum::Largest,
        )])),
        SearchKey::SequenceSet(SequenceSet::single(2)),
        SearchKey::Or(Box::new(SearchKey::Deleted), Box::new(SearchKey::Seen)),
        SearchKey::Not(Box::new(SearchKey::New)),
    ];
    for k in &yes {
        assert!(matches(k, &i), "{k:?}");
    }
    let no = [
        SearchKey::Unseen,
        SearchKey::Deleted,
        SearchKey::Subject(s(b"prueba")),
        SearchKey::Body(s(b"dentro")),
        SearchKey::Before(s(b"23-Nov-2026")),
        SearchKey::SentSince(s(b"24-Nov-2026")),
        SearchKey::Smaller(10),
        SearchKey::Uid(SequenceSet::single(21)),
        SearchKey::Cc(s(b"x")),
    ];
    for k in &no {
        assert!(!matches(k, &i), "{k:?}");
    }
    assert!(matches_all(&yes, &i));
    assert!(!matches_all(&[SearchKey::All, SearchKey::Unseen], &i));
    assert_eq!(parse_date(b"\"1-Feb-1994\""), Some((1994, 2, 1)));
    assert_eq!(parse_date(b"31-Foo-1994"), None);
}

proptest::proptest! {
    /// Arbitrary (mostly MIME-shaped) input: the bridge never panics, and section bytes
    /// always lie within the message.
    #[test]
    fn bridge_never_panics(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        part in proptest::collection::vec(0u32..4, 0..4),
    ) {
        let mut raw = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n".to_vec();
        raw.extend_from_slice(&body);
        raw.extend_from_slice(b"\r\n--x--\r\n");
        for input in [&raw[..], &body[..]] {
            let m = Message::parse(input);
            let _ = body_structure(&m, true);
            let _ = envelope(&m);
            for text in [None, Some(SectionText::Mime), Some(SectionText::Header), Some(SectionText::Text)] {
                if let Some(Cow::Borrowed(b)) = part_section(input, &Section { part: part.clone(), text }) {
                    if b.is_empty() {
                        continue;
                    }
                    let start = (b.as_ptr() as usize).checked_sub(input.as_ptr() as usize);
                    proptest::prop_assert!(start.is_some());
                    let start = start.unwrap_or(0);
                    proptest::prop_assert!(start + b.len() <= input.len());
                }
            }
            let _ = correo_imap::mime::binary_part(input, &part);
        }
    }
}

#[test]
fn base_subject_rfc5256() {
    use correo_imap::mime::sort::base_subject;
    let cases: &[(&str, &str, bool)] = &[
        ("Hola", "HOLA", false),
        ("Re: Hola", "HOLA", true),
        ("RE:   re: Fwd:Hola", "HOLA", true),
        ("Fw: Hola (fwd) (FWD)  ", "HOLA", true),
        ("[lab] Re: [x] Hola", "HOLA", true),
        ("[lab] Hola", "HOLA", false),
        ("[lab]", "[LAB]", false),
        ("[Fwd: Re: Hola]", "HOLA", true),
        ("Re [lab]: Hola", "HOLA", true),
        (
            "  Una\t  prueba \r\n de  espacios ",
            "UNA PRUEBA DE ESPACIOS",
            false,
        ),
        ("Reunión", "REUNIóN", false),
        ("", "", false),
    ];
    for (s, want, reply) in cases {
        assert_eq!(base_subject(s), ((*want).to_owned(), *reply), "{s:?}");
    }
}

#[test]
fn internal_dates_to_unix() {
    use correo_imap::mime::sort::parse_internal_date;
    assert_eq!(parse_internal_date("01-Jan-1970 00:00:00 +0000"), Some(0));
    assert_eq!(
        parse_internal_date("\"01-Jan-1970 01:00:00 +0100\""),
        Some(0)
    );
    assert_eq!(
        parse_internal_date(" 2-Jan-1970 00:00:00 -0030"),
        Some(86_400 + 1800)
    );
    assert_eq!(parse_internal_date("01-Foo-1970 00:00:00 +0000"), None);
    assert_eq!(parse_internal_date("01-Jan-1970 00:00:00 0000"), None);
}

#[test]
fn multipart_without_parts_gets_an_empty_text_part() {
    use correo_imap::types::{BodyStructure, SinglePartKind};
    let raw = b"Content-Type: multipart/mixed; boundary=nunca\r\n\r\nno boundary here\r\n";
    let msg = Message::parse(raw);
    for ext in [false, true] {
        let BodyStructure::Multi { parts, .. } = correo_imap::mime::body_structure(&msg, ext)
        else {
            panic!("not multipart");
        };
        assert_eq!(parts.len(), 1);
        let BodyStructure::Single {
            media_type,
            subtype,
            fields,
            kind,
            ..
        } = &parts[0]
        else {
            panic!("nested multipart");
        };
        assert_eq!(
            (&media_type[..], &subtype[..]),
            (&b"text"[..], &b"plain"[..])
        );
        assert_eq!((fields.size, kind), (0, &SinglePartKind::Text { lines: 0 }));
    }
    let mut enc = Vec::new();
    correo_imap::encode::encode_response_to(
        &correo_imap::types::Response::Untagged(correo_imap::types::Untagged::Fetch {
            seq: 1,
            items: vec![correo_imap::types::FetchItem::Body(Box::new(
                correo_imap::mime::body_structure(&msg, false),
            ))],
        }),
        &correo_imap::encode::EncodeOptions::default(),
        &mut enc,
    );
    assert_eq!(
        String::from_utf8_lossy(&enc),
        "* 1 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\"))\r\n"
    );
}
