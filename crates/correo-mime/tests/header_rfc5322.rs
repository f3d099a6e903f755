//! The messages of RFC 5322 Appendix A (IETF Trust; reproduced as test vectors under BCP 78),
//! parsed with CRLF and LF line endings.

use correo_mime::header::{
    Address, AddressList, DateTime, HeaderBlock, Protocol, Received, parse_block, parse_msg_ids,
};

fn each(msg: &str, f: impl Fn(&HeaderBlock<'_>, &[u8])) {
    let crlf = msg.replace('\n', "\r\n");
    for m in [msg.to_owned(), crlf] {
        let b = parse_block(m.as_bytes());
        f(&b, m.as_bytes());
    }
}

fn flat(b: &HeaderBlock<'_>, name: &str) -> Vec<(Option<String>, String)> {
    AddressList::parse(b.get(name).unwrap().value)
        .mailboxes()
        .map(|m| (m.name.as_deref().map(str::to_owned), m.address()))
        .collect()
}

#[allow(clippy::unnecessary_wraps)] // a display name, as the tests compare it
fn n(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn a_1_1_simple() {
    each(
        "From: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n",
        |b, m| {
            assert!(b.defects.is_empty());
            assert_eq!(
                flat(b, "from"),
                [(n("John Doe"), "jdoe@machine.example".into())]
            );
            assert_eq!(b.subject().as_deref(), Some("Saying Hello"));
            assert_eq!(
                b.date().unwrap().unwrap().to_rfc3339(),
                "1997-11-21T09:55:06-06:00"
            );
            assert_eq!(
                b.message_id().as_deref(),
                Some("1234@local.machine.example")
            );
            assert!(m[b.body_offset..].starts_with(b"This is a message"));
        },
    );
}

#[test]
fn a_1_2_and_a_1_3() {
    each(
        "From: \"Joe Q. Public\" <john.q.public@example.com>\nTo: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\nCc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>\nDate: Tue, 1 Jul 2003 10:52:37 +0200\nMessage-ID: <5678.21-Nov-1997@example.com>\n\nHi everyone.\n",
        |b, _| {
            assert_eq!(flat(b, "to").len(), 3);
            assert_eq!(
                flat(b, "cc")[1],
                (n("Giant; \"Big\" Box"), "sysservices@example.net".into())
            );
            assert_eq!(
                b.message_id().as_deref(),
                Some("5678.21-Nov-1997@example.com")
            );
        },
    );
    each(
        "From: Pete <pete@silly.example>\nTo: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\nCc: Undisclosed recipients:;\nDate: Thu, 13 Feb 1969 23:32:54 -0330\nMessage-ID: <testabcd.1234@silly.example>\n\nTesting.\n",
        |b, _| {
            let to = b.addresses("to").unwrap();
            let Address::Group(g) = &to.addresses[0] else {
                panic!("group")
            };
            assert_eq!(g.name, "A Group");
            assert_eq!(g.members.len(), 3);
            let cc = b.addresses("cc").unwrap();
            assert!(matches!(&cc.addresses[0], Address::Group(g) if g.members.is_empty()));
            let d = b.date().unwrap().unwrap();
            assert_eq!(d.offset_minutes, Some(-210));
            assert!(d.to_unix() < 0);
        },
    );
}

#[test]
fn a_2_replies() {
    each(
        "To: \"Mary Smith: Personal Account\" <smith@home.example>\nFrom: John Doe <jdoe@machine.example>\nSubject: Re: Saying Hello\nDate: Fri, 21 Nov 1997 11:00:00 -0600\nMessage-ID: <abcd.1234@local.machine.test>\nIn-Reply-To: <3456@example.net>\nReferences: <1234@local.machine.example> <3456@example.net>\n\nThis is a reply to your reply.\n",
        |b, _| {
            assert_eq!(
                flat(b, "to"),
                [(
                    n("Mary Smith: Personal Account"),
                    "smith@home.example".into()
                )]
            );
            let (refs, d) = parse_msg_ids(b.get("references").unwrap().value);
            assert_eq!(refs, ["1234@local.machine.example", "3456@example.net"]);
            assert!(d.is_empty());
            assert_eq!(
                parse_msg_ids(b.get("in-reply-to").unwrap().value).0,
                ["3456@example.net"]
            );
        },
    );
}

#[test]
fn a_3_resent_and_a_4_trace() {
    each(
        "Resent-From: Mary Smith <mary@example.net>\nResent-To: Jane Brown <j-brown@other.example>\nResent-Date: Mon, 24 Nov 1997 14:22:01 -0800\nResent-Message-ID: <78910@example.net>\nFrom: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\n",
        |b, _| {
            assert_eq!(
                flat(b, "resent-to"),
                [(n("Jane Brown"), "j-brown@other.example".into())]
            );
            let rd = DateTime::parse(b.get("resent-date").unwrap().value).unwrap();
            assert_eq!(rd.to_rfc5322(), "Mon, 24 Nov 1997 14:22:01 -0800");
            assert_eq!(b.fields.len(), 9);
            assert_eq!(b.fields[0].name, b"Resent-From");
        },
    );
    each(
        "Received: from x.y.test\n   by example.net\n   via TCP\n   with ESMTP\n   id ABC12345\n   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600\nReceived: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\nFrom: John Doe <jdoe@node.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.node.example>\n\nThis is a message just to say hello.\n",
        |b, _| {
            let r: Vec<_> = b
                .get_all("received")
                .map(|f| Received::parse(f.value))
                .collect();
            assert_eq!(r[0].from.as_deref(), Some("x.y.test"));
            assert_eq!(r[0].by.as_deref(), Some("example.net"));
            assert_eq!(r[0].via.as_deref(), Some("TCP"));
            assert_eq!(r[0].with, Some(Protocol::Esmtp));
            assert_eq!(r[0].id.as_deref(), Some("ABC12345"));
            assert_eq!(r[0].for_addr.as_deref(), Some("mary@example.net"));
            assert_eq!(
                r[0].date.unwrap().unwrap().to_rfc3339(),
                "1997-11-21T10:05:43-06:00"
            );
            assert_eq!(r[1].from.as_deref(), Some("node.example"));
            assert_eq!(r[1].by.as_deref(), Some("x.y.test"));
        },
    );
}

#[test]
fn a_5_white_space_and_comments() {
    each(
        "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\nTo:A Group(Some people)\n     :Chris Jones <c@(Chris's host.)public.example>,\n         joe@example.org,\n  John <jdoe@one.test> (my dear friend); (the end of the group)\nCc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\nDate: Thu,\n      13\n        Feb\n          1969\n      23:32\n               -0330 (Newfoundland Time)\nMessage-ID:              <testabcd.1234@silly.test>\n\nTesting.\n",
        |b, _| {
            assert_eq!(flat(b, "from"), [(n("Pete"), "pete@silly.test".into())]);
            let to = flat(b, "to");
            assert_eq!(
                to,
                [
                    (n("Chris Jones"), "c@public.example".into()),
                    (None, "joe@example.org".into()),
                    (n("John"), "jdoe@one.test".into())
                ]
            );
            let cc = b.addresses("cc").unwrap();
            assert!(
                matches!(&cc.addresses[0], Address::Group(g) if g.name == "Hidden recipients" && g.members.is_empty())
            );
            assert!(cc.defects.is_empty(), "{:?}", cc.defects);
            assert_eq!(
                b.date().unwrap().unwrap().to_rfc3339(),
                "1969-02-13T23:32:00-03:30"
            );
            assert_eq!(b.message_id().as_deref(), Some("testabcd.1234@silly.test"));
        },
    );
}

#[test]
fn a_6_obsolete() {
    each(
        "From: Joe Q. Public <john.q.public@example.com>\nTo: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\nDate: Tue, 1 Jul 2003 10:52:37 +0200\nMessage-ID: <5678.21-Nov-1997@example.com>\n\nHi everyone.\n",
        |b, _| {
            assert_eq!(
                flat(b, "from"),
                [(n("Joe Q. Public"), "john.q.public@example.com".into())]
            );
            assert_eq!(
                flat(b, "to"),
                [
                    (n("Mary Smith"), "mary@example.net".into()),
                    (None, "jdoe@test.example".into())
                ]
            );
        },
    );
    each(
        "From: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: 21 Nov 97 09:55:06 GMT\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\n",
        |b, _| {
            assert_eq!(
                b.date().unwrap().unwrap().to_rfc3339(),
                "1997-11-21T09:55:06+00:00"
            );
        },
    );
    // A.6.3: whitespace before colons, a whitespace-only line inside a fold, comments and
    // spaces inside the date's time and inside the message id.
    each(
        "From  : John Doe <jdoe@machine(comment).  example>\nTo    : Mary Smith\n  \n          <mary@example.net>\nSubject     : Saying Hello\nDate  : Fri, 21\n                 Nov 1997\n             09(comment):   55  :  06 -0600\nMessage-ID  : <1234   @   local(blah)  .machine .example>\n\nThis is a message just to say hello.\n",
        |b, m| {
            assert_eq!(b.fields.len(), 5);
            assert_eq!(
                flat(b, "from"),
                [(n("John Doe"), "jdoe@machine.example".into())]
            );
            assert_eq!(
                flat(b, "to"),
                [(n("Mary Smith"), "mary@example.net".into())]
            );
            assert_eq!(b.subject().as_deref(), Some("Saying Hello"));
            assert_eq!(
                b.date().unwrap().unwrap().to_rfc3339(),
                "1997-11-21T09:55:06-06:00"
            );
            assert_eq!(
                b.message_id().as_deref(),
                Some("1234@local.machine.example")
            );
            assert!(m[b.body_offset..].starts_with(b"This is a message"));
        },
    );
}
