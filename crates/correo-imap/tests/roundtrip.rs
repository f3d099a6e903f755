//! Property tests: value -> encode -> parse == value, for responses and commands; and the
//! encoded bytes framed at random splits give the same message.

use std::borrow::Cow;

use correo_imap::encode::{EncodeOptions, encode_command, encode_response, join};
use correo_imap::frame::{Frame, Framer, RawMessage, Side};
use correo_imap::parse::{parse_command, parse_response};
use correo_imap::types::*;
use correo_imap::{Leniency, Limits};
use proptest::prelude::*;

fn c(s: String) -> Cow<'static, [u8]> {
    Cow::Owned(s.into_bytes())
}

fn bytes() -> impl Strategy<Value = Cow<'static, [u8]>> {
    prop_oneof![
        "[a-zA-Z0-9 ._-]{0,12}".prop_map(c),
        proptest::collection::vec(1u8..=255, 0..24).prop_map(Cow::Owned),
    ]
}

fn atom() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9.-]{0,8}"
}

fn nstr() -> impl Strategy<Value = NStr<'static>> {
    proptest::option::of(bytes())
}

fn text() -> impl Strategy<Value = Cow<'static, [u8]>> {
    "[a-zA-Z0-9][a-zA-Z0-9 .,()]{0,20}".prop_map(c)
}

fn seqset() -> impl Strategy<Value = SequenceSet> {
    let num = prop_oneof![
        (1u32..100_000).prop_map(SeqNum::Value),
        Just(SeqNum::Largest)
    ];
    let range = prop_oneof![
        num.clone().prop_map(SeqRange::Single),
        (num.clone(), num).prop_map(|(a, b)| SeqRange::Range(a, b)),
    ];
    prop_oneof![
        proptest::collection::vec(range, 1..5).prop_map(SequenceSet::Ranges),
        Just(SequenceSet::Saved),
    ]
}

fn uid_set() -> impl Strategy<Value = SequenceSet> {
    seqset().prop_filter("no $", |s| *s != SequenceSet::Saved)
}

fn flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        Just(Flag::Recent),
        "X[A-Za-z0-9]{0,6}".prop_map(|s| Flag::Extension(Cow::Owned(s))),
        "[$A-Za-z][A-Za-z0-9]{0,6}".prop_map(|s| Flag::Keyword(Cow::Owned(s))),
    ]
}

fn flags() -> impl Strategy<Value = Vec<Flag<'static>>> {
    proptest::collection::vec(flag(), 0..5)
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    bytes().prop_map(|b| Mailbox::from_wire(b).into_static())
}

fn address() -> impl Strategy<Value = Address<'static>> {
    (nstr(), nstr(), nstr(), nstr()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

fn addresses() -> impl Strategy<Value = Option<Vec<Address<'static>>>> {
    proptest::option::of(proptest::collection::vec(address(), 1..3))
}

fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    (
        (nstr(), nstr(), addresses(), addresses(), addresses()),
        (addresses(), addresses(), addresses(), nstr(), nstr()),
    )
        .prop_map(
            |((date, subject, from, sender, reply_to), (to, cc, bcc, in_reply_to, message_id))| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn params() -> impl Strategy<Value = Params<'static>> {
    proptest::option::of(proptest::collection::vec((bytes(), bytes()), 1..3))
}

fn body_ext() -> impl Strategy<Value = BodyExtension<'static>> {
    let leaf = prop_oneof![
        nstr().prop_map(BodyExtension::Str),
        any::<u32>().prop_map(|n| BodyExtension::Number(u64::from(n))),
    ];
    leaf.prop_recursive(2, 6, 3, |inner| {
        proptest::collection::vec(inner, 1..3).prop_map(BodyExtension::List)
    })
}

fn common_ext() -> impl Strategy<Value = CommonExtension<'static>> {
    let disp = proptest::option::of(
        (bytes(), params()).prop_map(|(kind, params)| Disposition { kind, params }),
    );
    let lang = prop_oneof![
        Just(Language::Nil),
        bytes().prop_map(Language::Single),
        proptest::collection::vec(bytes(), 1..3).prop_map(Language::List),
    ];
    (
        0u8..5,
        disp,
        lang,
        nstr(),
        proptest::collection::vec(body_ext(), 1..3),
    )
        .prop_map(|(level, d, l, loc, extra)| CommonExtension {
            disposition: (level >= 1).then_some(d),
            language: (level >= 2).then_some(l),
            location: (level >= 3).then_some(loc),
            extra: if level >= 4 { extra } else { Vec::new() },
        })
}

fn fields() -> impl Strategy<Value = BodyFields<'static>> {
    (params(), nstr(), nstr(), nstr(), any::<u32>()).prop_map(
        |(params, id, description, encoding, size)| BodyFields {
            params,
            id,
            description,
            encoding,
            size: u64::from(size),
        },
    )
}

fn single_ext() -> impl Strategy<Value = Option<SinglePartExtension<'static>>> {
    proptest::option::of(
        (nstr(), common_ext()).prop_map(|(md5, common)| SinglePartExtension { md5, common }),
    )
}

fn caps() -> impl Strategy<Value = Vec<Capability<'static>>> {
    proptest::collection::vec(atom().prop_map(|a| Capability(Cow::Owned(a))), 1..5)
}

fn ns() -> impl Strategy<Value = Namespaces<'static>> {
    proptest::option::of(proptest::collection::vec(
        (bytes(), proptest::option::of(0x21u8..0x7f)),
        1..3,
    ))
}

fn body() -> impl Strategy<Value = BodyStructure<'static>> {
    let leaf = prop_oneof![
        (bytes(), fields(), any::<u16>(), single_ext()).prop_map(
            |(sub, fields, lines, extension)| {
                BodyStructure::Single {
                    media_type: Cow::Borrowed(b"TEXT"),
                    subtype: sub,
                    fields,
                    kind: SinglePartKind::Text {
                        lines: u64::from(lines),
                    },
                    extension,
                }
            }
        ),
        ("IMAGE|APPLICATION|AUDIO", bytes(), fields(), single_ext()).prop_map(
            |(t, sub, fields, extension)| {
                BodyStructure::Single {
                    media_type: c(t),
                    subtype: sub,
                    fields,
                    kind: SinglePartKind::Basic,
                    extension,
                }
            }
        ),
    ];
    leaf.prop_recursive(3, 12, 3, move |inner| {
        let mext = proptest::option::of(
            (params(), common_ext())
                .prop_map(|(params, common)| MultiPartExtension { params, common }),
        );
        prop_oneof![
            (
                proptest::collection::vec(inner.clone(), 1..3),
                bytes(),
                mext
            )
                .prop_map(|(parts, subtype, extension)| {
                    BodyStructure::Multi {
                        parts,
                        subtype,
                        extension,
                    }
                }),
            (envelope(), inner, fields(), any::<u16>()).prop_map(|(e, b, fields, lines)| {
                BodyStructure::Single {
                    media_type: Cow::Borrowed(b"MESSAGE"),
                    subtype: Cow::Borrowed(b"RFC822"),
                    fields,
                    kind: SinglePartKind::Message {
                        envelope: Box::new(e),
                        body: Box::new(b),
                        lines: u64::from(lines),
                    },
                    extension: None,
                }
            }),
        ]
    })
}

fn body_data() -> impl Strategy<Value = BodyData<'static>> {
    prop_oneof![Just(BodyData::Nil), bytes().prop_map(BodyData::Bytes)]
}

fn section() -> impl Strategy<Value = Section<'static>> {
    let names = proptest::collection::vec("[A-Za-z][A-Za-z0-9-]{0,8}".prop_map(c), 1..3);
    let text = prop_oneof![
        Just(SectionText::Header),
        Just(SectionText::Text),
        names.clone().prop_map(SectionText::HeaderFields),
        names.prop_map(SectionText::HeaderFieldsNot),
    ];
    (
        proptest::collection::vec(1u32..20, 0..3),
        proptest::option::of(text),
        any::<bool>(),
    )
        .prop_map(|(part, text, mime)| {
            let text = if mime && !part.is_empty() {
                Some(SectionText::Mime)
            } else {
                text
            };
            Section { part, text }
        })
}

fn fetch_item() -> impl Strategy<Value = FetchItem<'static>> {
    prop_oneof![
        flags().prop_map(FetchItem::Flags),
        envelope().prop_map(|e| FetchItem::Envelope(Box::new(e))),
        "[0-9]{2}-Jan-2024 [0-9:]{8} \\+0000".prop_map(|s| FetchItem::InternalDate(c(s))),
        any::<u32>().prop_map(|n| FetchItem::Rfc822Size(u64::from(n))),
        (1u32..).prop_map(FetchItem::Uid),
        body().prop_map(|b| FetchItem::BodyStructure(Box::new(b))),
        (section(), proptest::option::of(any::<u32>()), body_data()).prop_map(
            |(section, origin, data)| FetchItem::BodySection {
                section,
                origin,
                data
            }
        ),
        (
            proptest::collection::vec(1u32..9, 0..3),
            proptest::option::of(any::<u32>()),
            body_data()
        )
            .prop_map(|(part, origin, data)| FetchItem::Binary { part, origin, data }),
        (proptest::collection::vec(1u32..9, 0..3), any::<u32>()).prop_map(|(part, s)| {
            FetchItem::BinarySize {
                part,
                size: u64::from(s),
            }
        }),
        body_data().prop_map(FetchItem::Rfc822),
        body_data().prop_map(FetchItem::Rfc822Header),
        body_data().prop_map(FetchItem::Rfc822Text),
        any::<u64>().prop_map(FetchItem::ModSeq),
        any::<u64>().prop_map(FetchItem::GmMsgId),
        proptest::collection::vec("[A-Za-z][A-Za-z0-9]{0,5}".prop_map(c), 0..3)
            .prop_map(FetchItem::GmLabels),
        nstr().prop_map(FetchItem::Preview),
        "[A-Za-z0-9_-]{1,10}".prop_map(|s| FetchItem::EmailId(c(s))),
        proptest::option::of("[A-Za-z0-9_-]{1,10}".prop_map(c)).prop_map(FetchItem::ThreadId),
    ]
}

fn code() -> impl Strategy<Value = Code<'static>> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::ReadOnly),
        Just(Code::TryCreate),
        Just(Code::ClientBug),
        Just(Code::Closed),
        Just(Code::NoModSeq),
        Just(Code::AuthenticationFailed),
        proptest::collection::vec(atom().prop_map(|a| Capability(Cow::Owned(a))), 1..4)
            .prop_map(Code::Capability),
        proptest::collection::vec(flag(), 0..4).prop_map(Code::PermanentFlags),
        (1u32..).prop_map(Code::UidNext),
        (1u32..).prop_map(Code::UidValidity),
        ((1u32..), uid_set()).prop_map(|(validity, uids)| Code::AppendUid { validity, uids }),
        ((1u32..), uid_set(), uid_set()).prop_map(|(validity, source, destination)| {
            Code::CopyUid {
                validity,
                source,
                destination,
            }
        }),
        any::<u64>().prop_map(Code::HighestModSeq),
        uid_set().prop_map(Code::Modified),
        proptest::collection::vec("[A-Za-z0-9-]{1,8}".prop_map(c), 0..3).prop_map(Code::BadCharset),
        (
            "X[A-Z0-9]{1,8}",
            proptest::option::of("[a-z0-9]{1,6}".prop_map(c))
        )
            .prop_map(|(name, value)| Code::Other {
                name: Cow::Owned(name),
                value
            }),
    ]
}

fn status_text() -> impl Strategy<Value = StatusText<'static>> {
    (proptest::option::of(code()), text()).prop_map(|(code, text)| StatusText { code, text })
}

fn thread() -> impl Strategy<Value = Thread> {
    let leaf = (1u32..1000).prop_map(|id| Thread {
        id: Some(id),
        children: vec![],
    });
    leaf.prop_recursive(3, 10, 3, |inner| {
        ((1u32..1000), proptest::collection::vec(inner, 0..3)).prop_map(|(id, children)| Thread {
            id: Some(id),
            children,
        })
    })
}

fn untagged() -> impl Strategy<Value = Untagged<'static>> {
    let status = prop_oneof![
        Just(Status::Ok),
        Just(Status::No),
        Just(Status::Bad),
        Just(Status::PreAuth),
        Just(Status::Bye)
    ];
    let item_name = prop_oneof![
        Just(StatusItem::Messages),
        Just(StatusItem::UidNext),
        Just(StatusItem::Unseen),
        Just(StatusItem::Size),
        Just(StatusItem::HighestModSeq),
        "X[A-Z]{1,6}".prop_map(|s| StatusItem::Other(Cow::Owned(s))),
    ];
    prop_oneof![
        (status, status_text()).prop_map(|(status, text)| Untagged::State { status, text }),
        caps().prop_map(Untagged::Capability),
        caps().prop_map(Untagged::Enabled),
        flags().prop_map(Untagged::Flags),
        (flags(), proptest::option::of(0x20u8..0x7f), mailbox()).prop_map(
            |(attributes, delimiter, mailbox)| {
                Untagged::List(ListItem {
                    attributes,
                    delimiter,
                    mailbox,
                    extended: None,
                })
            }
        ),
        (
            mailbox(),
            proptest::collection::vec((item_name, any::<u32>().prop_map(u64::from)), 0..4)
        )
            .prop_map(|(mailbox, items)| Untagged::MailboxStatus { mailbox, items }),
        (
            proptest::collection::vec(1u32.., 0..20),
            proptest::option::of(any::<u64>())
        )
            .prop_map(|(ids, modseq)| Untagged::Search { ids, modseq }),
        (
            proptest::collection::vec(1u32.., 0..20),
            proptest::option::of(any::<u64>())
        )
            .prop_map(|(ids, modseq)| Untagged::Sort { ids, modseq }),
        proptest::collection::vec(thread(), 0..3).prop_map(Untagged::Thread),
        (
            proptest::option::of(bytes()),
            any::<bool>(),
            proptest::collection::vec(
                prop_oneof![
                    (1u32..).prop_map(ESearchItem::Min),
                    (1u32..).prop_map(ESearchItem::Max),
                    any::<u32>().prop_map(ESearchItem::Count),
                    uid_set().prop_map(ESearchItem::All),
                    any::<u64>().prop_map(ESearchItem::ModSeq),
                ],
                0..4,
            )
        )
            .prop_map(|(tag, uid, items)| Untagged::ESearch(ESearch { tag, uid, items })),
        any::<u32>().prop_map(Untagged::Exists),
        any::<u32>().prop_map(Untagged::Recent),
        any::<u32>().prop_map(Untagged::Expunge),
        (any::<u32>(), proptest::collection::vec(fetch_item(), 1..4))
            .prop_map(|(seq, items)| Untagged::Fetch { seq, items }),
        (any::<bool>(), uid_set()).prop_map(|(earlier, uids)| Untagged::Vanished { earlier, uids }),
        (ns(), ns(), ns()).prop_map(|(personal, other, shared)| Untagged::Namespace {
            personal,
            other,
            shared
        }),
        proptest::option::of(proptest::collection::vec((bytes(), nstr()), 0..3))
            .prop_map(Untagged::Id),
        (
            bytes(),
            proptest::collection::vec(
                ("[A-Z]{1,8}", any::<u64>(), any::<u64>()).prop_map(|(n, usage, limit)| {
                    QuotaResource {
                        name: Cow::Owned(n),
                        usage,
                        limit,
                    }
                }),
                0..3,
            )
        )
            .prop_map(|(root, resources)| Untagged::Quota { root, resources }),
        (mailbox(), proptest::collection::vec(bytes(), 0..3))
            .prop_map(|(mailbox, roots)| Untagged::QuotaRoot { mailbox, roots }),
    ]
}

fn response() -> impl Strategy<Value = Response<'static>> {
    let status = prop_oneof![Just(Status::Ok), Just(Status::No), Just(Status::Bad)];
    prop_oneof![
        4 => untagged().prop_map(Response::Untagged),
        1 => ("[A-Za-z0-9]{1,6}", status, status_text()).prop_map(|(tag, status, text)| {
            Response::Tagged(Tagged { tag: Tag(Cow::Owned(tag)), status, text })
        }),
        1 => text().prop_map(|text| Response::Continuation(Continuation { text })),
    ]
}

fn search_key() -> impl Strategy<Value = SearchKey<'static>> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Seen),
        Just(SearchKey::Unseen),
        Just(SearchKey::Deleted),
        bytes().prop_map(SearchKey::Subject),
        bytes().prop_map(SearchKey::From),
        bytes().prop_map(SearchKey::Body),
        (bytes(), bytes()).prop_map(|(a, b)| SearchKey::Header(a, b)),
        "[0-9]{1,2}-Feb-2024".prop_map(|s| SearchKey::Since(c(s))),
        any::<u32>().prop_map(|n| SearchKey::Larger(u64::from(n))),
        "[$A-Za-z][A-Za-z0-9]{0,5}".prop_map(|s| SearchKey::Keyword(Cow::Owned(s))),
        seqset().prop_map(SearchKey::Uid),
        seqset().prop_map(SearchKey::SequenceSet),
        any::<u64>().prop_map(SearchKey::ModSeq),
        any::<u32>().prop_map(|n| SearchKey::Younger(u64::from(n))),
        bytes().prop_map(SearchKey::GmRaw),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            proptest::collection::vec(inner, 1..3).prop_map(SearchKey::And),
        ]
    })
}

fn fetch_attr() -> impl Strategy<Value = FetchAttr<'static>> {
    let partial = proptest::option::of((any::<u32>(), 1u32..));
    prop_oneof![
        Just(FetchAttr::Envelope),
        Just(FetchAttr::Flags),
        Just(FetchAttr::Uid),
        Just(FetchAttr::Rfc822Size),
        Just(FetchAttr::BodyStructure),
        Just(FetchAttr::Body),
        Just(FetchAttr::ModSeq),
        Just(FetchAttr::Preview { lazy: true }),
        (any::<bool>(), section(), partial.clone()).prop_map(|(peek, section, partial)| {
            FetchAttr::BodySection {
                peek,
                section,
                partial,
            }
        }),
        (
            any::<bool>(),
            proptest::collection::vec(1u32..9, 0..3),
            partial
        )
            .prop_map(|(peek, part, partial)| FetchAttr::Binary {
                peek,
                part,
                partial
            }),
    ]
}

fn command() -> impl Strategy<Value = Command<'static>> {
    use CommandBody as C;
    let body = prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Logout),
        Just(C::Idle),
        Just(C::Unselect),
        (bytes(), bytes()).prop_map(|(username, password)| C::Login { username, password }),
        (any::<bool>(), mailbox(), any::<bool>()).prop_map(|(examine, mailbox, condstore)| {
            C::Select {
                examine,
                mailbox,
                condstore,
                qresync: None,
            }
        }),
        (mailbox(), flags()).prop_map(|(mailbox, special_use)| C::Create {
            mailbox,
            special_use
        }),
        (mailbox(), mailbox()).prop_map(|(a, b)| C::Rename(a, b)),
        (mailbox(), proptest::collection::vec(mailbox(), 1..3)).prop_map(
            |(reference, patterns)| C::List {
                reference,
                patterns,
                options: ListOptions::default()
            }
        ),
        (
            mailbox(),
            proptest::collection::vec(
                prop_oneof![
                    Just(StatusItem::Messages),
                    Just(StatusItem::Unseen),
                    Just(StatusItem::Size)
                ],
                1..3,
            )
        )
            .prop_map(|(mailbox, items)| C::Status { mailbox, items }),
        (
            mailbox(),
            proptest::collection::vec(
                (
                    proptest::option::of(flags()),
                    proptest::option::of(Just(c("17-Jul-1996 02:44:25 -0700".into()))),
                    bytes()
                )
                    .prop_map(|(flags, date, b)| AppendMessage {
                        flags,
                        date,
                        binary: false,
                        data: BodyData::Bytes(b),
                    }),
                1..3,
            )
        )
            .prop_map(|(mailbox, messages)| C::Append { mailbox, messages }),
        (
            any::<bool>(),
            proptest::option::of(bytes()),
            proptest::collection::vec(search_key(), 1..3)
        )
            .prop_map(|(uid, charset, keys)| C::Search {
                uid,
                ret: None,
                charset,
                keys
            }),
        (
            any::<bool>(),
            proptest::option::of(proptest::collection::vec(
                prop_oneof![
                    Just(SearchReturn::Min),
                    Just(SearchReturn::Max),
                    Just(SearchReturn::All),
                    Just(SearchReturn::Count),
                    Just(SearchReturn::Save),
                ],
                0..4
            )),
            proptest::collection::vec("(REVERSE|ARRIVAL|DATE|SUBJECT|X-[A-Z]{1,4})", 1..4),
            bytes(),
            proptest::collection::vec(search_key(), 1..3)
        )
            .prop_map(|(uid, ret, criteria, charset, keys)| C::Sort {
                uid,
                ret,
                criteria: criteria.into_iter().map(Cow::Owned).collect(),
                charset,
                keys
            }),
        (
            any::<bool>(),
            seqset(),
            proptest::collection::vec(fetch_attr(), 1..4),
            proptest::option::of(any::<u64>())
        )
            .prop_map(|(uid, set, items, cs)| C::Fetch {
                uid,
                set,
                attrs: FetchAttrs::List {
                    paren: items.len() > 1,
                    items
                },
                modifiers: FetchModifiers {
                    changed_since: cs,
                    vanished: false
                },
            }),
        (
            any::<bool>(),
            seqset(),
            prop_oneof![
                Just(StoreMode::Add),
                Just(StoreMode::Remove),
                Just(StoreMode::Replace)
            ],
            any::<bool>(),
            flags()
        )
            .prop_map(|(uid, set, mode, silent, flags)| C::Store {
                uid,
                set,
                unchanged_since: None,
                mode,
                silent,
                gm_labels: false,
                flags
            }),
        (any::<bool>(), seqset(), mailbox()).prop_map(|(uid, set, mailbox)| C::Copy {
            uid,
            set,
            mailbox
        }),
        (any::<bool>(), seqset(), mailbox()).prop_map(|(uid, set, mailbox)| C::Move {
            uid,
            set,
            mailbox
        }),
        uid_set().prop_map(|s| C::Expunge { uids: Some(s) }),
        proptest::collection::vec(atom().prop_map(|a| Capability(Cow::Owned(a))), 1..3)
            .prop_map(C::Enable),
        proptest::option::of(proptest::collection::vec((bytes(), nstr()), 0..3)).prop_map(C::Id),
        (
            "[A-Z0-9-]{1,10}",
            proptest::option::of("[A-Za-z0-9+/]{1,20}=?".prop_map(c))
        )
            .prop_map(|(m, initial)| C::Authenticate {
                mechanism: Cow::Owned(m),
                initial
            }),
    ];
    ("[A-Za-z0-9]{1,6}", body).prop_map(|(tag, body)| Command {
        tag: Tag(Cow::Owned(tag)),
        body,
    })
}

fn frame_all(side: Side, chunks: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut f = Framer::new(side, Limits::default(), false);
    let mut out = Vec::new();
    for ch in chunks {
        let mut feed = f.feed(ch);
        while let Some(fr) = feed.next_frame() {
            match fr.unwrap() {
                Frame::Message(m) => out.push(m.bytes().to_vec()),
                Frame::BodyData(d) => out.push(d.to_vec()),
                _ => {}
            }
        }
    }
    out
}

fn check_response(r: &Response<'static>, split: prop::sample::Index) -> Result<(), TestCaseError> {
    let opts = EncodeOptions::default();
    let wire = join(&encode_response(r, &opts));
    let parsed = parse_response(
        RawMessage::new(&wire),
        &Leniency::strict(),
        &Limits::default(),
    );
    prop_assert!(
        parsed.is_ok(),
        "{:?} -> {:?}: {:?}",
        r,
        String::from_utf8_lossy(&wire),
        parsed
    );
    prop_assert_eq!(&parsed.unwrap(), r);
    // Framing at any split gives the same message (and streamed pieces).
    let at = split.index(wire.len() + 1);
    let whole = frame_all(Side::Client, &[&wire]);
    let parts = frame_all(Side::Client, &[&wire[..at], &wire[at..]]);
    prop_assert_eq!(whole.concat(), parts.concat());
    Ok(())
}

/// Deeply nested generated values need more stack than a test thread has in debug builds.
fn big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn response_round_trip() {
    big_stack(|| {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
        runner
            .run(&(response(), any::<prop::sample::Index>()), |(r, split)| {
                check_response(&r, split)
            })
            .unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn command_round_trip(cmd in command(), lp in any::<bool>()) {
        let opts = EncodeOptions { literal_plus: lp, ..EncodeOptions::default() };
        let wire = join(&encode_command(&cmd, &opts));
        let parsed = parse_command(RawMessage::new(&wire), &Leniency::strict(), &Limits::default());
        prop_assert!(parsed.is_ok(), "{:?} -> {:?}: {:?}", cmd, String::from_utf8_lossy(&wire), parsed);
        prop_assert_eq!(parsed.unwrap(), cmd.clone());
        let owned = cmd.clone().into_static();
        prop_assert_eq!(owned, cmd);
    }
}
