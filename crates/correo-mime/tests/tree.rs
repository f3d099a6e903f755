//! Tree parser: structure, numbering, offsets, limits, defects.

use correo_mime::defect::DefectKind;
use correo_mime::message::{Limits, Message, PartKind};
use correo_mime::multipart::StructureDefect;

fn crlf(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 20);
    for &b in s {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn structure_defects(m: &Message<'_>, number: &str) -> Vec<StructureDefect> {
    m.part_by_number(number)
        .unwrap()
        .defects()
        .iter()
        .filter_map(|d| match &d.kind {
            DefectKind::Structure(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

const SIMPLE: &[u8] = b"Content-Type: multipart/mixed; boundary=b1\n\npre\n--b1\nContent-Type: text/plain\n\none\n--b1\n\ntwo\n\n--b1--\nepi\n";

#[test]
fn single_part_is_numbered_1() {
    let m = Message::parse(b"Subject: x\r\n\r\nbody\r\n");
    assert_eq!(m.parts().len(), 1);
    let p = m.part_by_number("1").unwrap();
    assert_eq!(p.kind(), PartKind::Leaf);
    assert_eq!(p.content_type().mime_type(), "text");
    assert_eq!(p.content_type().charset().as_deref(), Some("us-ascii"));
    assert_eq!(p.raw_body(), b"body\r\n");
    assert_eq!(p.header_range(), 0..14);
    assert_eq!(p.body_range(), 14..20);
    assert_eq!(p.lines(), 1);
    assert!(m.part_by_number("").is_none());
}

#[test]
fn multipart_ranges_preamble_epilogue() {
    for input in [SIMPLE.to_vec(), crlf(SIMPLE)] {
        let m = Message::parse(&input);
        let root = m.root();
        assert_eq!(root.kind(), PartKind::Multipart);
        assert!(root.number().is_empty());
        assert_eq!(root.children().len(), 2);
        let pre = root.preamble().unwrap();
        assert_eq!(&input[pre], b"pre");
        let epi = root.epilogue().unwrap();
        assert!(input[epi].starts_with(b"epi"));
        let one = m.part_by_number("1").unwrap();
        assert_eq!(one.raw_body(), b"one");
        assert_eq!(one.text(), "one");
        let two = m.part_by_number("2").unwrap();
        // The line ending before the delimiter belongs to it: the empty line stays.
        let nl: &[u8] = if input.contains(&b'\r') {
            b"two\r\n"
        } else {
            b"two\n"
        };
        assert_eq!(two.raw_body(), nl);
        assert!(two.header().fields.is_empty());
        // `BODY[2.MIME]` is the (empty) header plus its blank line.
        assert_eq!(
            &input[two.header_range()],
            if nl.len() == 5 { &b"\r\n"[..] } else { b"\n" }
        );
        assert!(
            m.defects().next().is_none(),
            "{:?}",
            m.defects().collect::<Vec<_>>()
        );
    }
}

#[test]
fn rfc3501_numbering() {
    let raw = include_bytes!("data/corpus/rfc3501-numbering.eml");
    for input in [raw.to_vec(), crlf(raw)] {
        let m = Message::parse(&input);
        let want = [
            ("1", "text/plain"),
            ("2", "application/octet-stream"),
            ("3", "message/rfc822"),
            ("3.1", "text/plain"),
            ("3.2", "application/octet-stream"),
            ("4", "multipart/mixed"),
            ("4.1", "image/gif"),
            ("4.2", "message/rfc822"),
            ("4.2.1", "text/plain"),
            ("4.2.2", "multipart/alternative"),
            ("4.2.2.1", "text/plain"),
            ("4.2.2.2", "text/richtext"),
        ];
        for (n, ty) in want {
            let p = m.part_by_number(n).unwrap_or_else(|| panic!("no part {n}"));
            assert_eq!(p.content_type().essence(), ty, "part {n}");
            if p.kind() == PartKind::Leaf && ty.starts_with("text/") {
                assert_eq!(p.text().trim_end(), format!("part {n}"));
            }
        }
        // The multipart inside message/rfc822 part 3 shares its number; the walk shows it.
        let numbers: Vec<String> = m.walk().map(|p| p.number().to_string()).collect();
        assert_eq!(
            numbers,
            [
                "", "1", "2", "3", "3", "3.1", "3.2", "4", "4.1", "4.2", "4.2", "4.2.1", "4.2.2",
                "4.2.2.1", "4.2.2.2"
            ]
        );
        let three = m.part_by_number("3").unwrap();
        assert_eq!(three.kind(), PartKind::Message);
        let inner = m.part(three.children()[0]).unwrap();
        assert_eq!(inner.header().get("Subject").unwrap().text(), "inner 3");
        assert_eq!(
            &*m.part_by_number("4.1").unwrap().decoded(),
            &include_bytes!("data/pixel.gif")[..]
        );
        assert!(m.defects().next().is_none());
    }
}

#[test]
fn b1_never_matches_b10_and_midline() {
    let raw = include_bytes!("data/corpus/bad-b1-b10.eml");
    for input in [raw.to_vec(), crlf(raw)] {
        let m = Message::parse(&input);
        assert_eq!(
            m.part_by_number("1").unwrap().content_type().subtype(),
            "alternative"
        );
        assert_eq!(m.part_by_number("1.1").unwrap().text(), "inner one");
        let t = m.part_by_number("1.2").unwrap().text().replace('\r', "");
        assert_eq!(
            t,
            "inner two --b1 mid-line, not a delimiter\n--b1x is not a delimiter either"
        );
        assert_eq!(m.part_by_number("2").unwrap().text(), "outer two");
        assert!(m.part_by_number("3").is_none());
        assert!(m.defects().next().is_none());
    }
    let raw = include_bytes!("data/corpus/bad-midline-boundary.eml");
    let m = Message::parse(raw);
    assert_eq!(m.parts().len(), 2);
    assert!(
        m.part_by_number("1")
            .unwrap()
            .text()
            .contains("text--XyZ--")
    );
}

#[test]
fn missing_close_boundary_is_tolerated_and_flagged() {
    let raw = include_bytes!("data/corpus/bad-missing-close.eml");
    for input in [raw.to_vec(), crlf(raw)] {
        let m = Message::parse(&input);
        assert_eq!(m.parts().len(), 3);
        assert!(
            m.part_by_number("2")
                .unwrap()
                .text()
                .starts_with("second, and the message just ends")
        );
        assert_eq!(
            structure_defects(&m, ""),
            [StructureDefect::MissingCloseBoundary]
        );
        assert_eq!(m.root().epilogue(), None);
    }
    let raw = include_bytes!("data/corpus/bad-inner-not-closed.eml");
    let m = Message::parse(raw);
    assert_eq!(
        structure_defects(&m, "1"),
        [StructureDefect::MissingCloseBoundary]
    );
    assert_eq!(m.part_by_number("1.2").unwrap().text(), "<p>html</p>");
    assert_eq!(m.part_by_number("2").unwrap().text(), "after");
    assert!(structure_defects(&m, "").is_empty());
}

#[test]
fn unpadded_base64_tail_is_decoded() {
    let raw = include_bytes!("data/corpus/bad-unpadded-base64.eml");
    let m = Message::parse(raw);
    let p = m.root();
    let (d, defects) = p.decoded_with_defects();
    assert_eq!(&*d, b"hello world");
    assert_eq!(defects.len(), 1);
    // The defect offset is in the input, inside the body.
    let range = p.body_range();
    assert!((range.start..=range.end).contains(&defects[0].offset.unwrap()));
    let mut v = b"prefix:".to_vec();
    p.decode_into(&mut v);
    assert_eq!(v, b"prefix:hello world");
}

#[test]
fn no_boundary_parameter_is_an_opaque_leaf() {
    let m = Message::parse(include_bytes!("data/corpus/bad-no-boundary.eml"));
    assert_eq!(m.parts().len(), 1);
    assert_eq!(m.root().kind(), PartKind::Leaf);
    assert_eq!(structure_defects(&m, "1"), [StructureDefect::BadBoundary]);
}

#[test]
fn digest_children_default_to_message_rfc822() {
    let m = Message::parse(include_bytes!("data/corpus/digest.eml"));
    let one = m.part_by_number("1").unwrap();
    assert_eq!(one.content_type().essence(), "message/rfc822");
    assert!(!one.has_content_type());
    assert_eq!(m.part_by_number("1.1").unwrap().text(), "one");
    assert_eq!(
        m.part_by_number("2").unwrap().content_type().essence(),
        "text/plain"
    );
}

#[test]
fn header_without_separator() {
    let m = Message::parse(include_bytes!("data/corpus/bad-headers.eml"));
    let p = m.root();
    assert_eq!(p.header().fields.len(), 2);
    assert!(p.raw_body().starts_with(b"this line is not a header"));
    assert!(structure_defects(&m, "1").contains(&StructureDefect::MissingHeaderBodySeparator));
}

#[test]
fn qp_latin1_text() {
    let m = Message::parse(include_bytes!("data/corpus/qp-latin1.eml"));
    assert_eq!(m.root().text(), "café con leche\n");
}

#[test]
fn empty_parts() {
    let m = Message::parse(include_bytes!("data/corpus/empty-parts.eml"));
    assert_eq!(m.parts().len(), 4);
    for n in ["1", "2", "3"] {
        assert_eq!(m.part_by_number(n).unwrap().raw_body(), b"", "{n}");
    }
    assert_eq!(m.part_by_number("3").unwrap().header().fields.len(), 1);
}

#[test]
fn limits_depth_parts_header() {
    // 100 nested multiparts: depth limit makes the deep one opaque, no recursion.
    let mut raw = Vec::new();
    for i in 0..100 {
        raw.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes(),
        );
    }
    raw.extend_from_slice(b"\nleaf\n");
    let lim = Limits {
        max_depth: 10,
        ..Limits::default()
    };
    let m = Message::parse_with_limits(&raw, lim);
    assert_eq!(m.parts().len(), 11);
    assert!(
        m.defects()
            .any(|d| d.kind == DefectKind::Structure(StructureDefect::DepthLimit))
    );
    let m = Message::parse(&raw);
    assert_eq!(m.parts().len(), 65);

    let mut raw = b"Content-Type: multipart/mixed; boundary=b\n\n".to_vec();
    for _ in 0..50 {
        raw.extend_from_slice(b"--b\n\nx\n");
    }
    raw.extend_from_slice(b"--b--\n");
    let m = Message::parse_with_limits(
        &raw,
        Limits {
            max_parts: 10,
            ..Limits::default()
        },
    );
    assert_eq!(m.parts().len(), 10);
    assert_eq!(structure_defects(&m, ""), [StructureDefect::PartLimit]);
    assert!(m.root().epilogue().is_some());

    let mut raw = Vec::new();
    for i in 0..100 {
        raw.extend_from_slice(format!("X-H{i}: value\n").as_bytes());
    }
    raw.extend_from_slice(b"\nbody\n");
    let m = Message::parse_with_limits(
        &raw,
        Limits {
            max_header_size: 500,
            ..Limits::default()
        },
    );
    assert!(m.root().header().fields.is_empty());
    assert_eq!(m.root().raw_body(), &raw[..]);
    assert_eq!(
        structure_defects(&m, "1"),
        [StructureDefect::HeaderTooLarge]
    );
}

#[test]
fn text_html_and_attachments() {
    let raw = include_bytes!("data/gmail-noot-noot.eml");
    let m = Message::parse(raw);
    assert_eq!(m.text_body().unwrap().number().to_string(), "1.1");
    assert_eq!(m.html_body().unwrap().number().to_string(), "1.2");
    let att: Vec<_> = m.attachments().collect();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].filename().as_deref(), Some("noot-noot.gif"));
}
