//! Each leniency quirk with the line that needs it: rejected by the strict grammar,
//! accepted (with the right value) when that one quirk is switched on.

use correo_imap::frame::{Frame, Framer, RawMessage, Side};
use correo_imap::parse::parse_response;
use correo_imap::types::*;
use correo_imap::{Leniency, Limits};

fn parse(line: &[u8], len: Leniency) -> Result<Response<'_>, correo_imap::ParseError> {
    parse_response(RawMessage::new(line), &len, &Limits::default())
}

/// Strict rejects, strict + `set` accepts; returns the accepted value.
fn quirk(line: &'static [u8], set: fn(&mut Leniency)) -> Response<'static> {
    assert!(
        parse(line, Leniency::strict()).is_err(),
        "strict accepted {:?}",
        String::from_utf8_lossy(line)
    );
    let mut l = Leniency::strict();
    set(&mut l);
    let r = parse(line, l).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(line)));
    // And the default (lenient) setting accepts it too.
    assert_eq!(parse(line, Leniency::default()).unwrap(), r);
    r
}

#[test]
fn capability_with_double_space() {
    let r = quirk(
        b"* CAPABILITY IMAP4rev1  UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584\r\n",
        |l| l.capability_extra_space = true,
    );
    let Response::Untagged(Untagged::Capability(c)) = r else {
        panic!()
    };
    assert_eq!(c.len(), 21);
    assert!(c[1].is("unselect"));
    // Trailing space after the list.
    quirk(b"* CAPABILITY IMAP4rev1 IDLE \r\n", |l| {
        l.capability_extra_space = true;
    });
}

#[test]
fn gmail_empty_multipart() {
    let r = quirk(
        b"* 5 FETCH (UID 81 BODYSTRUCTURE ((\"ALTERNATIVE\")(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL))\r\n",
        |l| l.empty_multipart = true,
    );
    let Response::Untagged(Untagged::Fetch { items, .. }) = r else {
        panic!()
    };
    let FetchItem::BodyStructure(b) = &items[1] else {
        panic!()
    };
    let BodyStructure::Multi { parts, .. } = &**b else {
        panic!()
    };
    assert!(
        matches!(&parts[0], BodyStructure::Multi { parts, subtype, .. } if parts.is_empty() && &**subtype == b"ALTERNATIVE")
    );
}

#[test]
fn status_without_text() {
    let r = quirk(b"A1 NO\r\n", |l| {
        l.status_without_text = true;
    });
    assert!(matches!(
        r,
        Response::Tagged(Tagged {
            status: Status::No,
            ..
        })
    ));
    quirk(b"* OK [READ-WRITE]\r\n", |l| {
        l.status_without_text = true;
    });
}

#[test]
fn outlook_trailing_space_in_status() {
    let r = quirk(
        b"* STATUS \"INBOX\" (MESSAGES 6 UIDNEXT 7 UNSEEN 3) \r\n",
        |l| l.trailing_space = true,
    );
    let Response::Untagged(Untagged::MailboxStatus { mailbox, items }) = r else {
        panic!()
    };
    assert!(mailbox.is_inbox());
    assert_eq!(items.len(), 3);
    quirk(b"* STATUS INBOX (MESSAGES 6 )\r\n", |l| {
        l.trailing_space = true;
    });
}

#[test]
fn zoho_wildcard_in_flags() {
    let r = quirk(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)\r\n",
        |l| l.wildcard_in_flags = true,
    );
    let Response::Untagged(Untagged::Flags(f)) = r else {
        panic!()
    };
    assert_eq!(f.last(), Some(&Flag::Wildcard));
}

#[test]
fn yandex_bare_continuation() {
    let r = quirk(b"+\r\n", |l| {
        l.bare_continuation = true;
    });
    assert!(matches!(r, Response::Continuation(c) if c.text.is_empty()));
}

#[test]
fn uidvalidity_zero() {
    let r = quirk(b"* OK [UIDVALIDITY 0] UIDs valid\r\n", |l| {
        l.uidvalidity_zero = true;
    });
    let Response::Untagged(Untagged::State { text, .. }) = r else {
        panic!()
    };
    assert_eq!(text.code, Some(Code::UidValidity(0)));
}

#[test]
fn eight_bit_quoted_string() {
    let r = quirk(
        "* LIST (\\HasNoChildren) \"/\" \"Entwürfe\"\r\n".as_bytes(),
        |l| l.eight_bit_quoted = true,
    );
    let Response::Untagged(Untagged::List(l)) = r else {
        panic!()
    };
    assert_eq!(l.mailbox.to_unicode(true).as_deref(), Some("Entwürfe"));
}

#[test]
fn lower_case_status_keyword() {
    let r = quirk(b"a007 ok Store completed\r\n", |l| {
        l.lowercase_keywords = true;
    });
    assert!(matches!(
        r,
        Response::Tagged(Tagged {
            status: Status::Ok,
            ..
        })
    ));
    quirk(
        b"* 1 FETCH (ENVELOPE (nil nil nil nil nil nil nil nil nil nil))\r\n",
        |l| {
            l.lowercase_keywords = true;
        },
    );
}

#[test]
fn seed_double_space_after_fetch() {
    let r = quirk(b"* 4 FETCH  (FLAGS (\\Seen \\Deleted))\r\n", |l| {
        l.double_space = true;
    });
    assert_eq!(
        r,
        Response::Untagged(Untagged::Fetch {
            seq: 4,
            items: vec![FetchItem::Flags(vec![Flag::Seen, Flag::Deleted])]
        })
    );
}

#[test]
fn badcharset_without_parentheses() {
    // RFC 9051 6.4.4.4's own example.
    let r = quirk(
        b"B283 NO [BADCHARSET UTF-8] KOI8-R is not supported\r\n",
        |l| {
            l.bare_badcharset = true;
        },
    );
    let Response::Tagged(t) = r else {
        panic!("{r:?}")
    };
    assert_eq!(t.status, Status::No);
    assert!(
        matches!(&t.text.code, Some(Code::BadCharset(v)) if v.len() == 1 && v[0].as_ref() == b"UTF-8"),
        "{:?}",
        t.text.code
    );
}

#[test]
fn bare_lf_is_a_framing_setting() {
    let input = b"* 3 EXISTS\n* ESEARCH (TAG \"a4\") UID ALL 1:3,5 COUNT 4\n";
    let mut strict = Framer::new(Side::Client, Limits::default(), false);
    let mut feed = strict.feed(input);
    assert!(matches!(
        feed.next_frame(),
        Some(Err(correo_imap::FrameError::BareLf { .. }))
    ));
    drop(feed);
    let mut lenient = Framer::new(Side::Client, Limits::default(), true);
    let mut feed = lenient.feed(input);
    let mut got = Vec::new();
    while let Some(f) = feed.next_frame() {
        if let Ok(Frame::Message(m)) = f {
            got.push(
                parse_response(m, &Leniency::strict(), &Limits::default())
                    .unwrap()
                    .into_static(),
            );
        }
    }
    assert_eq!(got[0], Response::Untagged(Untagged::Exists(3)));
    let Response::Untagged(Untagged::ESearch(e)) = &got[1] else {
        panic!()
    };
    assert!(e.uid);
    assert_eq!(e.tag.as_deref(), Some(&b"a4"[..]));
    assert_eq!(e.items[1], ESearchItem::Count(4));
}
