//! Example lines from RFC 3501 and RFC 9051 (and the extension RFCs), both directions, and
//! the seed's exercise 8-12 lines; plus limits on deep and long input.

use correo_imap::frame::{Frame, Framer, RawMessage, Side};
use correo_imap::parse::{
    ClientLineKind, body_target, parse_client_line, parse_command, parse_response,
};
use correo_imap::types::*;
use correo_imap::{Leniency, Limits, ParseErrorKind};

fn resp(line: &str) -> Response<'_> {
    parse_response(
        RawMessage::new(line.as_bytes()),
        &Leniency::strict(),
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

fn cmd(line: &str) -> Command<'_> {
    parse_command(
        RawMessage::new(line.as_bytes()),
        &Leniency::strict(),
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

const SERVER: &[&str] = &[
    // RFC 3501
    "* OK IMAP4rev1 Service Ready\r\n",
    "* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
    "* BYE Autologout; idle for too long\r\n",
    "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n",
    "abcd OK CAPABILITY completed\r\n",
    "a002 OK NOOP completed\r\n",
    "* 22 EXPUNGE\r\n",
    "* 23 EXISTS\r\n",
    "* 3 RECENT\r\n",
    "* 14 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
    "A023 OK LOGOUT completed\r\n",
    "+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSjBIoAMCAQGiQQQ/\r\n",
    "* 172 EXISTS\r\n",
    "* 1 RECENT\r\n",
    "* OK [UNSEEN 12] Message 12 is first unseen\r\n",
    "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
    "* OK [UIDNEXT 4392] Predicted next UID\r\n",
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
    "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
    "A142 OK [READ-WRITE] SELECT completed\r\n",
    "A932 OK [READ-ONLY] EXAMINE completed\r\n",
    "* LIST () \"/\" blurdybloop\r\n",
    "* LIST (\\Noselect) \"/\" foo\r\n",
    "* LIST () \"/\" foo/bar\r\n",
    "* LIST (\\Noselect) \"/\" \"\"\r\n",
    "* LIST (\\Noselect) \".\" #news.\r\n",
    "* LIST (\\Noselect) \"/\" /\r\n",
    "* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n",
    "* LIST () \"/\" ~/Mail/meetings\r\n",
    "* LSUB () \".\" #news.comp.mail.misc\r\n",
    "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
    "A003 OK APPEND completed\r\n",
    "A003 NO [TRYCREATE] No such mailbox\r\n",
    "* SEARCH 2 84 882\r\n",
    "* SEARCH\r\n",
    "* 2 FETCH (FLAGS (\\Deleted \\Seen))\r\n",
    "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
    "* 12 FETCH (BODY[HEADER] {342}\r\nDate: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n)\r\n",
    "* 4 FETCH (FLAGS (\\Flagged \\Seen))\r\n",
    "* 23 FETCH (FLAGS (\\Seen) UID 4827313)\r\n",
    "A003 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
    "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
    "* NO Disk is 98% full, please delete unnecessary data\r\n",
    "* OK [ALERT] System shutdown in 10 minutes\r\n",
    "A001 OK LOGIN completed\r\n",
    "* BAD Command line too long\r\n",
    "* BAD Empty command line\r\n",
    "+ Ready for additional command text\r\n",
    // RFC 9051 and extensions
    "* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI] Capabilities\r\n",
    "* ENABLED CONDSTORE QRESYNC\r\n",
    "* ENABLED\r\n",
    "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n",
    "* ESEARCH (TAG \"A283\") ALL 2,10:11\r\n",
    "* ESEARCH (TAG \"A284\") UID ALL 4800:4802,4828 MODSEQ 917162500\r\n",
    "* ESEARCH (TAG \"A285\")\r\n",
    "* 3 FETCH (UID 4 MODSEQ (65402) FLAGS (\\Seen))\r\n",
    "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
    "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n",
    "d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n",
    "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n",
    "* VANISHED 405,407,410,425\r\n",
    "* OK [CLOSED] Previous mailbox is now closed\r\n",
    "A01 NO [UNAVAILABLE] User's backend down for maintenance\r\n",
    "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n",
    "b NO [AUTHORIZATIONFAILED] No such authorization-ID\r\n",
    "c NO [EXPIRED] That password isn't valid any more\r\n",
    "d NO [PRIVACYREQUIRED] Connection security required\r\n",
    "e NO [CONTACTADMIN] Contact the administrator\r\n",
    "f NO [NOPERM] Access denied\r\n",
    "g NO [INUSE] Mailbox in use\r\n",
    "h OK [EXPUNGEISSUED] Search completed\r\n",
    "i NO [CORRUPTION] Cannot open mailbox\r\n",
    "j NO [SERVERBUG] UID FETCH server inconsistency\r\n",
    "k OK [CLIENTBUG] Done, but the client sent a no-op\r\n",
    "l NO [CANNOT] Too many dots in a name\r\n",
    "m NO [LIMIT] At most 32 flags in one mailbox\r\n",
    "n NO [OVERQUOTA] Sorry\r\n",
    "o NO [ALREADYEXISTS] Mailbox already exists\r\n",
    "p NO [NONEXISTENT] No such mailbox\r\n",
    "q NO [BADCHARSET (UTF-8 US-ASCII)] unsupported charset\r\n",
    "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n",
    "* NAMESPACE NIL NIL NIL\r\n",
    "* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \"support-url\" \"mailto:cyrus-bugs+@andrew.cmu.edu\")\r\n",
    "* ID NIL\r\n",
    "* LIST (\\Marked \\NoInferiors \\Sent) \"/\" \"Sent Mail\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
    "* LIST (\\HasNoChildren) \".\" \"INBOX.Drafts\" (\"OLDNAME\" (\"INBOX.Old\"))\r\n",
    "* SORT 2 84 882\r\n",
    "* ESEARCH (TAG \"A282\") MIN 2 MAX 882 COUNT 3\r\n",
    "* ESEARCH (TAG \"A283\") UID ALL 23765,23764,23763,23761,1:3\r\n",
    "* ESEARCH (TAG \"A284\")\r\n",
    "* THREAD (2)(3 6 (4 23)(44 7 96))\r\n",
    "* THREAD ((3)(5))\r\n",
    "* QUOTA \"\" (STORAGE 10 512)\r\n",
    "* QUOTAROOT INBOX \"\"\r\n",
    "* METADATA \"\" (/shared/comment \"Shared comment\")\r\n",
    "* 1 FETCH (BINARY[1] ~{5}\r\nab\0cd)\r\n",
    "* 1 FETCH (BINARY.SIZE[1] 5)\r\n",
    "* 1 FETCH (UID 4 PREVIEW \"Hello there\")\r\n",
    "* 1 FETCH (EMAILID (M6d99ac3275bb4e) THREADID (T64b478a75b7ea9) SAVEDATE \"04-Jan-2020 12:00:00 +0000\")\r\n",
    "* 1 FETCH (X-GM-MSGID 1278455344230334865 X-GM-THRID 1266894439832287888 X-GM-LABELS (\\Inbox \\Sent Important \"Muy Importante\"))\r\n",
    "* STATUS INBOX (MESSAGES 3 SIZE 14000 DELETED 1 APPENDLIMIT 35651584 HIGHESTMODSEQ 9)\r\n",
    "* OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Ok\r\n",
    "A1 OK [COMPRESSIONACTIVE] DEFLATE active\r\n",
];

#[test]
fn server_examples_parse_and_re_encode() {
    for line in SERVER {
        let r = resp(line);
        // Re-encoding and parsing again gives the same value.
        let wire = correo_imap::encode::join(&correo_imap::encode::encode_response(
            &r,
            &correo_imap::encode::EncodeOptions::default(),
        ));
        let again = parse_response(
            RawMessage::new(&wire),
            &Leniency::strict(),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{line:?} -> {:?}: {e}", String::from_utf8_lossy(&wire)));
        assert_eq!(again, r, "{line:?}");
    }
}

#[test]
fn typed_values_of_examples() {
    let Response::Untagged(Untagged::Thread(t)) = resp("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n")
    else {
        panic!()
    };
    assert_eq!(t.len(), 2);
    let six = &t[1].children[0];
    assert_eq!(six.id, Some(6));
    assert_eq!(six.children.len(), 2);
    assert_eq!(six.children[1].children[0].id, Some(7));
    let Response::Tagged(tg) = resp("A003 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n")
    else {
        panic!()
    };
    assert_eq!(
        tg.text.code,
        Some(Code::CopyUid {
            validity: 38505,
            source: SequenceSet::Ranges(vec![
                SeqRange::Single(SeqNum::Value(304)),
                SeqRange::Range(SeqNum::Value(319), SeqNum::Value(320))
            ]),
            destination: SequenceSet::range(SeqNum::Value(3956), SeqNum::Value(3958)),
        })
    );
    let Response::Tagged(tg) = resp("k OK [CLIENTBUG] Done, but the client sent a no-op\r\n")
    else {
        panic!()
    };
    assert_eq!(tg.text.code, Some(Code::ClientBug));
    let Response::Tagged(tg) = resp("z NO [XFOO 1 2] unknown\r\n") else {
        panic!()
    };
    assert_eq!(
        tg.text.code,
        Some(Code::Other {
            name: "XFOO".into(),
            value: Some(b"1 2"[..].into())
        })
    );
}

const CLIENT: &[&str] = &[
    "abcd CAPABILITY\r\n",
    "a002 NOOP\r\n",
    "A023 LOGOUT\r\n",
    "a001 STARTTLS\r\n",
    "A001 AUTHENTICATE GSSAPI\r\n",
    "a001 LOGIN SMITH SESAME\r\n",
    "A142 SELECT INBOX\r\n",
    "A932 EXAMINE blurdybloop\r\n",
    "A003 CREATE owatagusiam/\r\n",
    "A683 DELETE blurdybloop\r\n",
    "A683 RENAME blurdybloop sarasoop\r\n",
    "A002 SUBSCRIBE #news.comp.mail.mime\r\n",
    "A002 UNSUBSCRIBE #news.comp.mail.mime\r\n",
    "A101 LIST \"\" \"\"\r\n",
    "A102 LIST #news.comp.mail.misc \"\"\r\n",
    "A202 LIST ~/Mail/ %\r\n",
    "A002 LSUB \"#news.\" \"comp.mail.*\"\r\n",
    "A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
    "A003 APPEND saved-messages (\\Seen) {310}\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu\r\nMessage-Id: <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n\r\n",
    "FXXZ CHECK\r\n",
    "A341 CLOSE\r\n",
    "A202 EXPUNGE\r\n",
    "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
    "A283 SEARCH TEXT \"string not in mailbox\"\r\n",
    "A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX\r\n",
    "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
    "A003 STORE 2:4 +FLAGS (\\Deleted)\r\n",
    "A003 COPY 2:4 MEETING\r\n",
    "A999 UID FETCH 4827313:4828442 FLAGS\r\n",
    "a UID STORE 1:* -FLAGS.SILENT \\Seen \\Flagged\r\n",
    "a ENABLE CONDSTORE QRESYNC\r\n",
    "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
    "A301 SEARCH RETURN (SAVE) SINCE 19-Mar-2007 NOT SEEN\r\n",
    "A303 UID FETCH $ (FLAGS)\r\n",
    "a103 UID EXPUNGE 3000:3002\r\n",
    "a UID MOVE 42:69 foo\r\n",
    "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\")\r\n",
    "a NAMESPACE\r\n",
    "a IDLE\r\n",
    "a UNSELECT\r\n",
    "a SELECT INBOX (CONDSTORE)\r\n",
    "A02 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r\n",
    "a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n",
    "d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)\r\n",
    "A01 LIST (SUBSCRIBED) \"\" \"*\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n",
    "A01 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n",
    "a UID SORT (REVERSE DATE) UTF-8 ALL\r\n",
    // ESORT (RFC 5267 section 3, 4.2).
    "A282 SORT RETURN (MIN MAX COUNT ALL SAVE) (DATE) UTF-8 SINCE 1-Feb-1994\r\n",
    "A283 UID SORT RETURN (ALL) (REVERSE SUBJECT) UTF-8 UNDELETED\r\n",
    "A284 SORT RETURN () (SUBJECT) US-ASCII ALL\r\n",
    "a THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n",
    "a GETQUOTAROOT INBOX\r\n",
    "a GETQUOTA \"\"\r\n",
    "a COMPRESS DEFLATE\r\n",
    "a SEARCH YOUNGER 3600 OLDER 60 SAVEDSINCE 1-Jan-2020 MODSEQ 620162338\r\n",
    "a FETCH 1 (BINARY.PEEK[1]<0.100> BINARY.SIZE[1] PREVIEW (LAZY) EMAILID THREADID SAVEDATE)\r\n",
    "a UID SEARCH X-GM-RAW \"has:attachment in:unread\"\r\n",
    "a UID STORE 1 +X-GM-LABELS (foo)\r\n",
    "a APPEND INBOX ~{3}\r\na\0b\r\n",
    "a APPEND INBOX (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {1+}\r\nx {1+}\r\ny\r\n",
    "a SETQUOTA \"\" (STORAGE 512)\r\n",
    "a GETMETADATA \"\" /shared/comment\r\n",
    // The seed and Thunderbird.
    "A001 LOGIN 0429021 MiSuperContrase\u{f1}a\r\n",
    "A010 search subject prueba\r\n",
    "A011 COPY 3 laboratorio/prueba\r\n",
    "134 UID fetch 5:* (FLAGS)\r\n",
    "135 UID fetch 5 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
    "137 UID fetch 5 (UID BODY.PEEK[HEADER.FIELDS (Content-Type Content-Transfer-Encoding)] BODY.PEEK[TEXT]<0.2048>)\r\n",
];

#[test]
fn client_examples_parse_and_re_encode() {
    for line in CLIENT {
        let c = match parse_command(
            RawMessage::new(line.as_bytes()),
            &Leniency::strict(),
            &Limits::default(),
        ) {
            Ok(c) => c,
            Err(e) if line.contains('\u{f1}') => {
                // The seed's 8-bit password typed as an atom: a quirk.
                assert_eq!(e.expected, "CRLF", "{line:?}: {e}");
                let mut l = Leniency::strict();
                l.eight_bit_atoms = true;
                let c = parse_command(RawMessage::new(line.as_bytes()), &l, &Limits::default())
                    .unwrap();
                assert!(
                    matches!(c.body, CommandBody::Login { ref password, .. } if **password == *"MiSuperContrase\u{f1}a".as_bytes())
                );
                continue;
            }
            Err(e) => panic!("{line:?}: {e}"),
        };
        let wire = correo_imap::encode::join(&correo_imap::encode::encode_command(
            &c,
            &correo_imap::encode::EncodeOptions::default(),
        ));
        let again = parse_command(
            RawMessage::new(&wire),
            &Leniency::strict(),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{line:?} -> {:?}: {e}", String::from_utf8_lossy(&wire)));
        assert_eq!(again, c, "{line:?}");
    }
    let c = cmd("135 UID fetch 5 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To)])\r\n");
    let CommandBody::Fetch {
        uid: true,
        attrs: FetchAttrs::List { items, .. },
        ..
    } = c.body
    else {
        panic!()
    };
    // Section names are kept byte for byte (a server echoes them).
    assert!(
        matches!(&items[3], FetchAttr::BodySection { peek: true, section: Section { text: Some(SectionText::HeaderFields(v)), .. }, .. } if v[0] == &b"From"[..])
    );
    let c = cmd("A010 search subject prueba\r\n");
    assert!(
        matches!(c.body, CommandBody::Search { uid: false, ref keys, .. } if keys == &[SearchKey::Subject(b"prueba"[..].into())])
    );
}

#[test]
fn seed_server_lines() {
    let text = include_str!("data/seed-000-imap.txt");
    let mut n = 0;
    for line in text.lines() {
        let is_server = line.starts_with("* ")
            || line
                .split(' ')
                .nth(1)
                .is_some_and(|w| matches!(w, "OK" | "NO" | "BAD"));
        if !is_server {
            continue;
        }
        n += 1;
        let wire = format!("{line}\r\n");
        parse_response(
            RawMessage::new(wire.as_bytes()),
            &Leniency::default(),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{line:?}: {e}"));
    }
    assert!(n > 30, "{n}");
}

#[test]
fn nesting_and_list_limits_are_errors_not_crashes() {
    let deep = format!(
        "* 1 FETCH (BODYSTRUCTURE {}\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1{} \"MIXED\"))\r\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let e = parse_response(
        RawMessage::new(deep.as_bytes()),
        &Leniency::default(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::TooDeep);
    let keys = format!(
        "a SEARCH {}ALL{}\r\n",
        "NOT (".repeat(3000),
        ")".repeat(3000)
    );
    let e = parse_command(
        RawMessage::new(keys.as_bytes()),
        &Leniency::default(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.kind, e.tag.as_deref()),
        (ParseErrorKind::TooDeep, Some("a"))
    );
    // 60 levels of multipart parse (well above imap-codec's 8).
    let ok = format!(
        "* 1 FETCH (BODYSTRUCTURE {}(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1){}))\r\n",
        "(".repeat(60),
        " \"MIXED\")".repeat(60).trim_end_matches(')')
    );
    parse_response(
        RawMessage::new(ok.as_bytes()),
        &Leniency::default(),
        &Limits::default(),
    )
    .unwrap();
    let small = Limits {
        max_items: 3,
        ..Limits::default()
    };
    let e = parse_response(
        RawMessage::new(b"* SEARCH 1 2 3 4 5\r\n"),
        &Leniency::default(),
        &small,
    )
    .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::TooMany);
}

fn parse_resp_with<'a>(
    line: &'a str,
    limits: &Limits,
) -> Result<Response<'a>, correo_imap::ParseError> {
    parse_response(
        RawMessage::new(line.as_bytes()),
        &Leniency::default(),
        limits,
    )
}

fn parse_cmd_with<'a>(
    line: &'a str,
    limits: &Limits,
) -> Result<Command<'a>, correo_imap::ParseError> {
    parse_command(
        RawMessage::new(line.as_bytes()),
        &Leniency::default(),
        limits,
    )
}

/// `depth` nested multiparts around one text part.
fn nested_multipart(depth: usize) -> String {
    format!(
        "* 1 FETCH (BODYSTRUCTURE {}(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1){})\r\n",
        "(".repeat(depth),
        " \"MIXED\")".repeat(depth)
    )
}

/// `depth` MESSAGE/RFC822 parts, each inside the previous.
fn nested_message(depth: usize) -> String {
    let head = "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 100 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ";
    format!(
        "* 1 FETCH (BODY {}(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1){})\r\n",
        head.repeat(depth),
        " 5)".repeat(depth)
    )
}

/// Every recursive grammar: 60 levels parse (and round-trip), 1000 are a typed error.
#[test]
fn every_nesting_grammar_parses_60_and_refuses_1000() {
    let limits = Limits::default();
    assert!(limits.max_depth >= 64, "default depth well above 8");
    let body_ext = |d: usize| {
        format!(
            "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL NIL NIL {}1{}))\r\n",
            "(".repeat(d),
            ")".repeat(d)
        )
    };
    let thread = |d: usize| format!("* THREAD {}1{}\r\n", "(".repeat(d), ")".repeat(d));
    let metadata = |d: usize| {
        format!(
            "* METADATA INBOX (/private/x {}\"v\"{})\r\n",
            "(".repeat(d),
            ")".repeat(d)
        )
    };
    let list_ext = |d: usize| {
        format!(
            "* LIST () \"/\" INBOX (\"X\" {}a{})\r\n",
            "(".repeat(d),
            ")".repeat(d)
        )
    };
    let unknown = |d: usize| format!("* XFOO {}a{}\r\n", "(".repeat(d), ")".repeat(d));
    let responses: [(&str, &dyn Fn(usize) -> String); 7] = [
        ("multipart", &nested_multipart),
        ("message/rfc822", &nested_message),
        ("body extension", &body_ext),
        ("thread", &thread),
        ("metadata", &metadata),
        ("list-extended", &list_ext),
        ("unknown response", &unknown),
    ];
    for (name, make) in responses {
        let ok = make(60);
        let r = parse_resp_with(&ok, &limits).unwrap_or_else(|e| panic!("{name} 60: {e}"));
        let wire = correo_imap::encode::join(&correo_imap::encode::encode_response(
            &r,
            &correo_imap::encode::EncodeOptions::default(),
        ));
        let again = parse_response(RawMessage::new(&wire), &Leniency::strict(), &limits)
            .unwrap_or_else(|e| panic!("{name} re-parse: {e}"));
        assert_eq!(again, r, "{name}");
        let deep = make(1000);
        let e = parse_resp_with(&deep, &limits).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::TooDeep, "{name}: {e}");
        // The limit is exact and configurable.
        let tight = Limits {
            max_depth: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse_resp_with(&make(60), &tight).unwrap_err().kind,
            ParseErrorKind::TooDeep,
            "{name}"
        );
    }
    type Make = fn(usize) -> String;
    let commands: [(&str, Make); 4] = [
        ("parens", |d| {
            format!("a SEARCH {}ALL{}\r\n", "(".repeat(d), ")".repeat(d))
        }),
        ("not", |d| format!("a SEARCH {}SEEN\r\n", "NOT ".repeat(d))),
        ("or", |d| {
            format!("a SEARCH {}SEEN{}\r\n", "OR ".repeat(d), " DRAFT".repeat(d))
        }),
        ("mixed", |d| {
            format!(
                "a UID SEARCH {}ALL{}\r\n",
                "NOT (OR SEEN ".repeat(d / 2),
                ")".repeat(d / 2)
            )
        }),
    ];
    for (name, make) in commands {
        let ok = make(60);
        let c = parse_cmd_with(&ok, &limits).unwrap_or_else(|e| panic!("{name} 60: {e}"));
        let wire = correo_imap::encode::join(&correo_imap::encode::encode_command(
            &c,
            &correo_imap::encode::EncodeOptions::default(),
        ));
        let again = parse_command(RawMessage::new(&wire), &Leniency::strict(), &limits)
            .unwrap_or_else(|e| panic!("{name} re-parse: {e}"));
        assert_eq!(again, c, "{name}");
        let e = parse_cmd_with(&make(1000), &limits).unwrap_err();
        assert_eq!(
            (e.kind, e.tag.as_deref()),
            (ParseErrorKind::TooDeep, Some("a")),
            "{name}: {e}"
        );
    }
}

/// The parsers keep no recursion of their own: with the depth limit lifted, 50 000 levels
/// are parsed on a 256 KiB stack. (The input breaks off at its deepest point, so that no
/// deep value is built: values are dropped recursively. The error is the missing token,
/// not a stack overflow.)
#[test]
fn parsing_is_iterative() {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let limits = Limits {
                max_depth: usize::MAX,
                max_thread_depth: usize::MAX,
                ..Limits::default()
            };
            let n = 50_000;
            let cut = |s: String, at: &str| {
                let i = s.find(at).unwrap();
                format!("{}\r\n", &s[..i])
            };
            let cases = [
                cut(nested_multipart(n), "1 1"),
                cut(nested_message(n), "1 1"),
                cut(
                    format!("* THREAD {}1{}\r\n", "(".repeat(n), ")".repeat(n)),
                    ")",
                ),
                cut(
                    format!("* XFOO {}a{}\r\n", "(".repeat(n), ")".repeat(n)),
                    ")",
                ),
            ];
            for c in &cases {
                let e = parse_resp_with(c, &limits).unwrap_err();
                assert_ne!(e.kind, ParseErrorKind::TooDeep, "{e}");
                assert!(e.offset > n, "{e}");
            }
            for k in [
                format!("a SEARCH {}\r\n", "(".repeat(n)),
                format!("a SEARCH {}\r\n", "NOT ".repeat(n)),
                format!("a SEARCH {}\r\n", "OR ".repeat(n)),
            ] {
                let e = parse_cmd_with(&k, &limits).unwrap_err();
                assert_ne!(e.kind, ParseErrorKind::TooDeep, "{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// THREAD chains nest as deep as they are long: their own, larger limit.
#[test]
fn thread_chains_have_their_own_limit() {
    let chain = |n: u32| {
        let ids: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        format!("* THREAD ({})\r\n", ids.join(" "))
    };
    let limits = Limits::default();
    let long = chain(1000);
    let r = parse_resp_with(&long, &limits).unwrap();
    let Response::Untagged(Untagged::Thread(t)) = &r else {
        panic!()
    };
    let mut depth = 0;
    let mut node = &t[0];
    while let [next] = node.children.as_slice() {
        depth += 1;
        node = next;
    }
    assert_eq!((depth, node.id), (999, Some(1000)));
    // The value is cloned and compared recursively: fine at the default limit.
    assert_eq!(r.clone(), r);

    let wire = correo_imap::encode::join(&correo_imap::encode::encode_response(
        &r,
        &correo_imap::encode::EncodeOptions::default(),
    ));
    assert_eq!(wire, long.as_bytes());
    let e = parse_resp_with(&chain(1001), &limits).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::TooDeep);
    let small = Limits {
        max_thread_depth: 3,
        ..Limits::default()
    };
    assert!(parse_resp_with("* THREAD (1 2 3)\r\n", &small).is_ok());
    assert!(parse_resp_with("* THREAD (1 (2 3))\r\n", &small).is_ok());
    assert!(parse_resp_with("* THREAD (1 (2 3 4))\r\n", &small).is_err());
    assert!(parse_resp_with("* THREAD (1 (2 3)(4 5))\r\n", &small).is_ok());
    assert!(parse_resp_with("* THREAD (1 2 3 4)\r\n", &small).is_err());
    assert!(parse_resp_with("* THREAD (1 2)(3 4 5)(6)\r\n", &small).is_ok());
}

#[test]
fn errors_carry_offset_expected_and_tag() {
    let e = parse_command(
        RawMessage::new(b"A7 FETCH 1 (FLAGS BODY[FOO])\r\n"),
        &Leniency::default(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(e.tag.as_deref(), Some("A7"));
    assert_eq!(e.offset, 23);
    assert_eq!(e.expected, "section text");
}

// ---------------------------------------------------------------------------------------
// Every example line of the RFCs (tests/data/rfc-examples.txt), both directions.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A server line, grammar as written.
    Server,
    /// A server line the RFC prints with a named departure from the grammar.
    ServerLenient,
    /// A server line that must be refused.
    ServerBad,
    /// A command.
    Client,
    /// A command that must be refused (with its tag).
    ClientBad,
    /// A line of AUTHENTICATE data.
    AuthData,
    /// DONE.
    Done,
}

struct Example {
    line: usize,
    kind: Kind,
    bytes: Vec<u8>,
}

/// The length of a literal announced at the end of `s` (`{n}`, `{n+}`, `{n-}`, `~{n}`).
fn literal_at_end(s: &str) -> Option<usize> {
    let body = s.strip_suffix('}')?;
    let open = body.rfind('{')?;
    let n = body[open + 1..].trim_end_matches(['+', '-']);
    n.parse().ok()
}

/// Reads the examples file: messages reassembled from the RFCs' printed lines.
fn examples() -> Vec<Example> {
    struct Pending {
        line: usize,
        kind: Kind,
        bytes: Vec<u8>,
        /// Literal bytes still to come, or `None` when the next line continues the text.
        need: Option<usize>,
    }
    let text = include_str!("data/rfc-examples.txt");
    let mut out = Vec::new();
    let mut pending: [Option<Pending>; 2] = [None, None];
    for (i, raw) in text.lines().enumerate() {
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let (prefix, rest) = raw.split_once(':').unwrap();
        let content = rest.strip_prefix(' ').unwrap_or(rest);
        let kind = match prefix {
            "S" => Kind::Server,
            "SL" => Kind::ServerLenient,
            "S!" => Kind::ServerBad,
            "C" => Kind::Client,
            "C!" => Kind::ClientBad,
            "CA" => Kind::AuthData,
            "CD" => Kind::Done,
            _ => panic!("line {}: {raw:?}", i + 1),
        };
        let side = usize::from(prefix.starts_with('S'));
        let mut p = match pending[side].take() {
            Some(p) => p,
            None if matches!(
                kind,
                Kind::ServerBad | Kind::ClientBad | Kind::AuthData | Kind::Done
            ) =>
            {
                out.push(Example {
                    line: i + 1,
                    kind,
                    bytes: format!("{content}\r\n").into_bytes(),
                });
                continue;
            }
            None => Pending {
                line: i + 1,
                kind,
                bytes: Vec::new(),
                need: None,
            },
        };
        let mut c = content;
        if let Some(need) = p.need {
            if c.len() >= need {
                p.bytes.extend_from_slice(&c.as_bytes()[..need]);
                c = &c[need..];
                p.need = None;
            } else {
                p.bytes.extend_from_slice(c.as_bytes());
                p.bytes.extend_from_slice(b"\r\n");
                let left = need - (c.len() + 2).min(need);
                // Exactly used up by the line end: the next line continues the text.
                // Used up exactly by the line end: the next line continues the text.
                p.need = if left == 0 { None } else { Some(left) };
                pending[side] = Some(p);
                continue;
            }
        }
        p.bytes.extend_from_slice(c.as_bytes());
        p.bytes.extend_from_slice(b"\r\n");
        match literal_at_end(c) {
            Some(0) => {
                p.need = None;
                pending[side] = Some(p);
            }
            Some(n) => {
                p.need = Some(n);
                pending[side] = Some(p);
            }
            None => out.push(Example {
                line: p.line,
                kind: p.kind,
                bytes: p.bytes,
            }),
        }
    }
    assert!(
        pending.iter().all(Option::is_none),
        "unfinished literal at the end"
    );
    out
}

/// Frames `bytes` (one message) on `side`, fed whole or one byte at a time, and returns a
/// log of the frames with the parse of each message (Debug renderings).
fn framed_log(bytes: &[u8], side: Side, leniency: &Leniency, one_byte: bool) -> Vec<String> {
    let limits = Limits::default();
    let mut framer = Framer::new(side, limits, leniency.bare_lf);
    let mut log = Vec::new();
    let mut body = Vec::new();
    let pieces: Vec<&[u8]> = if one_byte {
        bytes.chunks(1).collect()
    } else {
        vec![bytes]
    };
    for piece in pieces {
        let mut feed = framer.feed(piece);
        while let Some(f) = feed.next_frame() {
            match f.unwrap_or_else(|e| panic!("framing: {e}")) {
                Frame::Message(m) => {
                    let parsed = match side {
                        Side::Client => format!("{:?}", parse_response(m, leniency, &limits)),
                        Side::Server => format!("{:?}", parse_command(m, leniency, &limits)),
                    };
                    log.push(format!("message {parsed}"));
                }
                Frame::LiteralRequest { length, body, .. } => {
                    log.push(format!("literal request {length} {body}"));
                }
                Frame::BodyBegin(b) => {
                    let target = match side {
                        Side::Client => format!("{:?}", body_target(&b, leniency, &limits)),
                        Side::Server => String::new(),
                    };
                    log.push(format!("begin {} {target}", b.length));
                }
                Frame::BodyData(d) => body.extend_from_slice(d),
                Frame::BodyEnd => {
                    log.push(format!("end {:?}", String::from_utf8_lossy(&body)));
                    body.clear();
                }
            }
        }
    }
    assert!(framer.is_idle(), "message not complete");
    log
}

fn round_trip_response(ex: &Example, leniency: &Leniency) -> Response<'static> {
    let limits = Limits::default();
    let where_ = format!("line {}: {:?}", ex.line, String::from_utf8_lossy(&ex.bytes));
    let r = parse_response(RawMessage::new(&ex.bytes), leniency, &limits)
        .unwrap_or_else(|e| panic!("{where_}: {e}"));
    let wire = correo_imap::encode::join(&correo_imap::encode::encode_response(
        &r,
        &correo_imap::encode::EncodeOptions::default(),
    ));
    // What correo emits is strict.
    let again = parse_response(RawMessage::new(&wire), &Leniency::strict(), &limits)
        .unwrap_or_else(|e| {
            panic!(
                "{where_} re-encoded {:?}: {e}",
                String::from_utf8_lossy(&wire)
            )
        });
    assert_eq!(again, r, "{where_}");
    r.into_static()
}

fn round_trip_command(ex: &Example) -> Command<'static> {
    let limits = Limits::default();
    let where_ = format!("line {}: {:?}", ex.line, String::from_utf8_lossy(&ex.bytes));
    let c = parse_command(RawMessage::new(&ex.bytes), &Leniency::strict(), &limits)
        .unwrap_or_else(|e| panic!("{where_}: {e}"));
    let wire = correo_imap::encode::join(&correo_imap::encode::encode_command(
        &c,
        &correo_imap::encode::EncodeOptions::default(),
    ));
    let again =
        parse_command(RawMessage::new(&wire), &Leniency::strict(), &limits).unwrap_or_else(|e| {
            panic!(
                "{where_} re-encoded {:?}: {e}",
                String::from_utf8_lossy(&wire)
            )
        });
    assert_eq!(again, c, "{where_}");
    c.into_static()
}

#[test]
fn every_rfc_example_line() {
    let all = examples();
    let count = |k: Kind| all.iter().filter(|e| e.kind == k).count();
    // The file holds what it claims (a truncated file would pass vacuously).
    assert!(count(Kind::Server) > 1000, "{}", count(Kind::Server));
    assert!(count(Kind::Client) > 400, "{}", count(Kind::Client));
    // Every line is checked; the failures are reported together.
    let failures: Vec<String> = all
        .iter()
        .filter_map(|ex| {
            std::panic::catch_unwind(|| check_example(ex))
                .err()
                .map(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default()
                })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} examples fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

fn check_example(ex: &Example) {
    let limits = Limits::default();
    {
        let where_ = format!("line {}: {:?}", ex.line, String::from_utf8_lossy(&ex.bytes));
        match ex.kind {
            Kind::Server | Kind::ServerLenient => {
                let leniency = if ex.kind == Kind::Server {
                    Leniency::strict()
                } else {
                    // Marked lenient only if strict parsing really refuses it.
                    assert!(
                        parse_response(RawMessage::new(&ex.bytes), &Leniency::strict(), &limits)
                            .is_err(),
                        "{where_} parses strictly: mark it S:"
                    );
                    Leniency::default()
                };
                let r = round_trip_response(ex, &leniency);
                let whole = framed_log(&ex.bytes, Side::Client, &leniency, false);
                let bytewise = framed_log(&ex.bytes, Side::Client, &leniency, true);
                assert_eq!(whole, bytewise, "{where_}");
                assert_eq!(
                    whole.iter().filter(|l| l.starts_with("message")).count(),
                    1,
                    "{where_}"
                );
                if !whole.iter().any(|l| l.starts_with("begin")) {
                    assert_eq!(
                        whole.last(),
                        Some(&format!("message Ok({r:?})")),
                        "{where_}"
                    );
                }
            }
            Kind::Client => {
                let c = round_trip_command(ex);
                let strict = Leniency::strict();
                let whole = framed_log(&ex.bytes, Side::Server, &strict, false);
                let bytewise = framed_log(&ex.bytes, Side::Server, &strict, true);
                assert_eq!(whole, bytewise, "{where_}");
                if !whole.iter().any(|l| l.starts_with("begin")) {
                    assert_eq!(
                        whole.last(),
                        Some(&format!("message Ok({c:?})")),
                        "{where_}"
                    );
                }
            }
            Kind::ServerBad => {
                assert!(
                    parse_response(RawMessage::new(&ex.bytes), &Leniency::default(), &limits)
                        .is_err(),
                    "{where_}"
                );
            }
            Kind::ClientBad => {
                let e = parse_command(RawMessage::new(&ex.bytes), &Leniency::default(), &limits)
                    .unwrap_err();
                let tag = std::str::from_utf8(&ex.bytes)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                assert_eq!(e.tag.as_deref(), Some(tag), "{where_}");
            }
            Kind::AuthData => {
                let l = parse_client_line(
                    RawMessage::new(&ex.bytes),
                    ClientLineKind::AuthenticateData,
                    &Leniency::strict(),
                    &limits,
                )
                .unwrap_or_else(|e| panic!("{where_}: {e}"));
                let expect = ex.bytes.strip_suffix(b"\r\n").unwrap();
                match l {
                    ClientLine::AuthenticateData(None) => assert_eq!(expect, b"*"),
                    ClientLine::AuthenticateData(Some(d)) => assert_eq!(&*d, expect),
                    other => panic!("{where_}: {other:?}"),
                }
            }
            Kind::Done => {
                let l = parse_client_line(
                    RawMessage::new(&ex.bytes),
                    ClientLineKind::IdleDone,
                    &Leniency::strict(),
                    &limits,
                )
                .unwrap_or_else(|e| panic!("{where_}: {e}"));
                assert_eq!(l, ClientLine::IdleDone);
            }
        }
    }
}

/// A multipart without parts (Gmail's `("ALTERNATIVE")`, read under leniency) is written
/// the way Dovecot writes it: one empty text part, so that strict peers can read it.
#[test]
fn empty_multipart_is_written_with_an_empty_part() {
    let line = b"* 5 FETCH (BODYSTRUCTURE ((\"ALTERNATIVE\")(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 12 1) \"MIXED\"))\r\n";
    let r = parse_response(
        RawMessage::new(line),
        &Leniency::default(),
        &Limits::default(),
    )
    .unwrap();
    let wire = correo_imap::encode::join(&correo_imap::encode::encode_response(
        &r,
        &correo_imap::encode::EncodeOptions::default(),
    ));
    assert_eq!(
        String::from_utf8(wire.clone()).unwrap(),
        "* 5 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"ALTERNATIVE\")(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 12 1) \"MIXED\"))\r\n"
    );
    parse_response(
        RawMessage::new(&wire),
        &Leniency::strict(),
        &Limits::default(),
    )
    .unwrap();
}

/// ESORT (RFC 5267): `SORT RETURN (...)` is typed, written back as it came, and wrong
/// return lists are errors.
#[test]
fn esort_return_options() {
    let c = cmd("A282 SORT RETURN (MIN MAX COUNT ALL SAVE) (DATE) UTF-8 SINCE 1-Feb-1994\r\n");
    let CommandBody::Sort {
        uid: false,
        ret: Some(ref ret),
        ref criteria,
        ..
    } = c.body
    else {
        panic!("{c:?}")
    };
    assert_eq!(
        ret,
        &[
            SearchReturn::Min,
            SearchReturn::Max,
            SearchReturn::Count,
            SearchReturn::All,
            SearchReturn::Save
        ]
    );
    assert_eq!(criteria, &["DATE"]);
    let wire = correo_imap::encode::join(&correo_imap::encode::encode_command(
        &c,
        &correo_imap::encode::EncodeOptions::default(),
    ));
    assert_eq!(
        wire,
        b"A282 SORT RETURN (MIN MAX COUNT ALL SAVE) (DATE) UTF-8 SINCE 1-Feb-1994\r\n"
    );
    let c = cmd("a uid sort return () (subject) utf-8 all\r\n");
    assert!(
        matches!(c.body, CommandBody::Sort { uid: true, ret: Some(ref r), .. } if r.is_empty())
    );
    let c = cmd("a SORT (SUBJECT) UTF-8 ALL\r\n");
    assert!(matches!(c.body, CommandBody::Sort { ret: None, .. }));
    for bad in [
        "a SORT RETURN (FIRST) (DATE) UTF-8 ALL\r\n",
        "a SORT RETURN (MIN)(DATE) UTF-8 ALL\r\n",
        "a SORT RETURN MIN (DATE) UTF-8 ALL\r\n",
        "a SORT RETURN (MIN) UTF-8 ALL\r\n",
    ] {
        assert!(
            parse_command(
                RawMessage::new(bad.as_bytes()),
                &Leniency::strict(),
                &Limits::default()
            )
            .is_err(),
            "{bad:?}"
        );
    }
    // The ALL of an ESORT answer keeps the sorted order.
    let Response::Untagged(Untagged::ESearch(e)) =
        resp("* ESEARCH (TAG \"A283\") UID ALL 23765,23764,23763,23761,1:3\r\n")
    else {
        panic!()
    };
    assert!(e.uid);
    let [ESearchItem::All(SequenceSet::Ranges(r))] = &e.items[..] else {
        panic!("{e:?}")
    };
    assert_eq!(r[0], SeqRange::Single(SeqNum::Value(23765)));
    assert_eq!(r[3], SeqRange::Single(SeqNum::Value(23761)));
    assert_eq!(r[4], SeqRange::Range(SeqNum::Value(1), SeqNum::Value(3)));
}
