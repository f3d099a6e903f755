//! Real header blocks from the seeds and the Dovecot-delivered transcripts, parsed with LF
//! and CRLF line endings, whole and fed to `find_block_end` one byte at a time.

use correo_mime::defect::DefectKind;
use correo_mime::header::{
    Address, ContentType, DateTime, HeaderBlock, HeaderDefect, Protocol, Received, ReturnPath,
    find_block_end, parse_block,
};

fn variants(lf: &[u8]) -> [Vec<u8>; 2] {
    let mut crlf = Vec::with_capacity(lf.len() + 64);
    for &b in lf {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    [lf.to_vec(), crlf]
}

/// Checks the block invariants: raw slices tile the fields in order, `find_block_end`
/// agrees with `parse_block` on every prefix (one byte at a time).
fn check_block(input: &[u8]) -> HeaderBlock<'_> {
    let b = parse_block(input);
    let mut last_end = 0;
    for f in &b.fields {
        assert!(f.offset >= last_end);
        assert_eq!(&input[f.offset..f.offset + f.raw.len()], f.raw);
        assert!(f.raw.starts_with(f.name));
        last_end = f.offset + f.raw.len();
    }
    assert!(last_end <= b.body_offset);
    for i in 0..=input.len() {
        if let Some(end) = find_block_end(&input[..i]) {
            assert_eq!(end, b.body_offset, "prefix of {i} bytes");
        }
    }
    b
}

/// Offset just after the line that starts at `at`.
fn next_line(input: &[u8], at: usize) -> usize {
    at + input[at..].iter().position(|&c| c == b'\n').unwrap() + 1
}

fn memchr_count(b: &[u8]) -> usize {
    b.split(|&c| c == b'\n').count() - 1
}

fn names(b: &HeaderBlock<'_>) -> Vec<String> {
    b.fields
        .iter()
        .map(|f| String::from_utf8_lossy(f.name).into_owned())
        .collect()
}

#[test]
fn gmail_header_heavy() {
    for input in variants(include_bytes!("data/headers/gmail-noot-noot.hdr")) {
        let b = check_block(&input);
        assert_eq!(b.fields.len(), 13);
        assert!(b.defects.is_empty());
        let from = b.addresses("from").unwrap();
        let m: Vec<_> = from.mailboxes().collect();
        assert_eq!(m[0].name.as_deref(), Some("LUIS DANIEL CASAIS MEZQUIDA"));
        assert_eq!(m[0].address(), "100429021@alumnos.uc3m.es");
        assert_eq!(
            b.date().unwrap().unwrap().to_rfc3339(),
            "2024-11-23T19:55:10+01:00"
        );
        assert_eq!(b.subject().as_deref(), Some("noot noot"));
        let ct = b.content_type().unwrap();
        assert!(ct.is_multipart());
        assert_eq!(
            ct.boundary().as_deref(),
            Some(&b"0000000000006dd7bc0627990dc1"[..])
        );
        let rid = b.get("X-TMASE-MatchedRID").unwrap();
        let unfolded = rid.unfolded();
        assert!(
            unfolded.starts_with(
                b"LkeYFEC97tfdKephRYrhGinjDVPUYtjj7euC4Hkicftto7jS2jaQmcYW        bVREZ"
            )
        );
        assert!(!unfolded.contains(&b'\n') && !unfolded.contains(&b'\r'));
        assert!(unfolded.ends_with(b"DMW2E4M="));
    }
}

#[test]
fn lab_message_with_asctime_and_dkim() {
    for input in variants(include_bytes!("data/headers/seed-lab-dkim.eml")) {
        let b = check_block(&input);
        assert_eq!(b.unix_from, Some(&input[..next_line(&input, 0)]));
        assert_eq!(
            names(&b),
            [
                "X-Original-To",
                "DKIM-Signature",
                "From",
                "To",
                "Cc",
                "Date",
                "Subject"
            ]
        );
        let date = b.date().unwrap().unwrap();
        assert_eq!(date.offset_minutes, None);
        assert_eq!(date.to_rfc3339(), "2024-11-23T19:45:03");
        // DKIM needs the raw field, folding and line endings included.
        let dkim = b.get("dkim-signature").unwrap();
        assert!(dkim.raw.ends_with(b"pzI=\n") || dkim.raw.ends_with(b"pzI=\r\n"));
        assert_eq!(memchr_count(dkim.raw), 7);
        let body = &input[b.body_offset..];
        assert!(body.starts_with(b"We've been trying"));
        let cc = b.addresses("cc").unwrap();
        assert_eq!(
            cc.mailboxes().next().unwrap().address(),
            "admin@lab.it.uc3m.es"
        );
    }
}

#[test]
fn thunderbird_lost_fold() {
    for input in variants(include_bytes!("data/headers/seed-thunderbird.eml")) {
        let b = check_block(&input);
        // `Thunderbird/91.12.0` has no colon: the body is taken to start there, as Python's
        // email package does (MissingHeaderBodySeparatorDefect).
        assert_eq!(
            names(&b),
            ["Message-ID", "Date", "MIME-Version", "User-Agent"]
        );
        assert_eq!(b.defects.len(), 1);
        assert_eq!(
            b.defects[0].kind,
            DefectKind::Header(HeaderDefect::MissingColon)
        );
        assert!(input[b.body_offset..].starts_with(b"Thunderbird/91.12.0"));
        assert_eq!(
            b.message_id().as_deref(),
            Some("2a0fd16a-fc14-92f0-18fb-4357ceb90e9a@redes.unlp.edu.ar")
        );
        assert_eq!(
            b.date().unwrap().unwrap().to_rfc3339(),
            "2023-09-12T16:50:13-03:00"
        );
        // The rest of that header, parsed on its own.
        let skip = next_line(&input, b.body_offset);
        let rest = parse_block(&input[skip..]);
        let ct = rest.content_type().unwrap();
        assert_eq!(ct.param("format").as_deref(), Some("flowed"));
        assert_eq!(ct.charset().as_deref(), Some("UTF-8"));
        let from = rest.addresses("from").unwrap();
        let m = from.mailboxes().next().unwrap();
        assert_eq!(
            (m.name.as_deref(), m.address().as_str()),
            (Some("alumnopop"), "alumnopop@redes.unlp.edu.ar")
        );
    }
}

#[test]
fn pop3_retrieved_message() {
    for input in variants(include_bytes!("data/headers/seed-pop3-retr.eml")) {
        let b = check_block(&input);
        assert_eq!(
            ReturnPath::parse(b.get("return-path").unwrap().value),
            Some(ReturnPath::Address("alumnoimap@redes.unlp.edu.ar".into()))
        );
        let r = Received::parse(b.get("received").unwrap().value);
        assert_eq!(r.from.as_deref(), Some("[172.28.0.1]"));
        assert_eq!(r.from_comment.as_deref(), Some("unknown [172.28.0.1]"));
        assert_eq!(r.by.as_deref(), Some("mail.redes.unlp.edu.ar"));
        assert_eq!(r.by_comment.as_deref(), Some("Postfix"));
        assert_eq!(r.with, Some(Protocol::Esmtp));
        assert_eq!(r.id.as_deref(), Some("7334F60149"));
        assert_eq!(r.for_addr.as_deref(), Some("alumnoimap@redes.unlp.edu.ar"));
        assert_eq!(
            r.date.unwrap().unwrap().to_rfc3339(),
            "2023-09-12T20:20:46+00:00"
        );
        // Again the lost fold, then a block with no blank line before the body.
        let skip = next_line(&input, b.body_offset);
        let rest = parse_block(&input[skip..]);
        assert_eq!(rest.subject().as_deref(), Some("probando eier 4"));
        assert_eq!(rest.defects.len(), 1);
        assert!(input[skip + rest.body_offset..].starts_with(b"probando"));
    }
}

#[test]
fn dovecot_delivered() {
    for input in variants(include_bytes!("data/headers/delivered-alice-1.hdr")) {
        let b = check_block(&input);
        assert!(b.defects.is_empty());
        let rs: Vec<_> = b
            .get_all("received")
            .map(|f| Received::parse(f.value))
            .collect();
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].with, Some(Protocol::Lmtp));
        assert_eq!(rs[0].id.as_deref(), Some("6F2dDc14A2vwXAAAg+zDdQ"));
        assert_eq!(rs[1].with, Some(Protocol::Esmtpa));
        assert!(rs[1].with.as_ref().unwrap().is_authenticated());
        let d = b.date().unwrap().unwrap();
        assert_eq!(d.offset_minutes, None, "-0000 means unknown zone");
        assert_eq!(d.to_rfc5322(), "Sun, 22 Nov 2026 23:20:45 -0000");
        let to = b.addresses("to").unwrap();
        assert_eq!(
            to.mailboxes().next().unwrap().name.as_deref(),
            Some("Alice")
        );
        assert_eq!(
            b.content_type().unwrap().boundary().as_deref(),
            Some(&b"===============8904074320567183362=="[..])
        );
    }
    for input in variants(include_bytes!("data/headers/delivered-bob-1.hdr")) {
        let b = check_block(&input);
        let to = b.addresses("to").unwrap();
        let addrs: Vec<_> = to
            .mailboxes()
            .map(correo_mime::header::Mailbox::address)
            .collect();
        assert_eq!(addrs, ["alice@localhost", "bob@localhost"]);
        assert!(matches!(to.addresses[0], Address::Mailbox(_)));
        let r = Received::parse(b.get("received").unwrap().value);
        assert_eq!(r.by_comment, None);
        assert_eq!(
            r.date.unwrap().unwrap(),
            DateTime::parse(b"Sun, 22 Nov 2026 23:20:45 +0000").unwrap()
        );
        assert_eq!(
            b.date().unwrap().unwrap().to_rfc3339(),
            "2026-11-22T23:20:45+00:00"
        );
    }
}

#[test]
fn content_type_defaults() {
    assert_eq!(
        ContentType::text_plain().charset().as_deref(),
        Some("us-ascii")
    );
    assert!(ContentType::message_rfc822().is_message());
    assert!(ContentType::parse(b"message/global").is_message());
}
