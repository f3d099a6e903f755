//! Property tests: encoding any command, reply or EHLO capability list and parsing it back
//! gives the same value.

use std::borrow::Cow;

use correo_smtp::*;
use proptest::prelude::*;

fn cow(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

fn domain() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?){0,3}"
}

fn host() -> impl Strategy<Value = Host<'static>> {
    prop_oneof![
        domain().prop_map(|d| Host::Domain(cow(d))),
        domain().prop_map(|d| Host::Domain(cow(d))),
        "[a-zñé]{1,6}\\.[a-z]{2,4}".prop_map(|d| Host::Domain(cow(d))),
        any::<[u8; 4]>().prop_map(|o| Host::Ipv4(o.into())),
        any::<[u16; 8]>().prop_map(|o| Host::Ipv6(o.into())),
        ("X-[a-zA-Z0-9]{1,5}", "[!-Z^-~]{1,10}").prop_map(|(tag, content)| Host::General {
            tag: cow(tag),
            content: cow(content)
        }),
    ]
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,8}(\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,8}){0,2}",
        "[ -~]{0,12}",
        "[a-zéøü]{1,6}",
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    (local_part(), host()).prop_map(|(l, h)| Mailbox {
        local_part: cow(l),
        host: h,
    })
}

fn value() -> impl Strategy<Value = String> {
    "[!-<>-~]{1,12}"
}

fn param() -> impl Strategy<Value = Parameter<'static>> {
    prop_oneof![
        any::<u64>().prop_map(Parameter::Size),
        prop_oneof![
            Just(BodyType::SevenBit),
            Just(BodyType::EightBitMime),
            Just(BodyType::BinaryMime)
        ]
        .prop_map(Parameter::Body),
        Just(Parameter::SmtpUtf8),
        Just(Parameter::RequireTls),
        prop_oneof![Just(Ret::Full), Just(Ret::Hdrs)].prop_map(Parameter::Ret),
        "[ -~é]{1,12}".prop_map(|s| Parameter::EnvId(cow(s))),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(success, failure, delay)| {
            Parameter::Notify(Notify {
                success,
                failure,
                delay,
            })
        }),
        ("[a-zA-Z0-9][a-zA-Z0-9-]{0,6}", "[ -~]{1,12}").prop_map(|(t, a)| Parameter::Orcpt {
            addr_type: cow(t),
            addr: cow(a)
        }),
        proptest::option::of("[ -~]{1,12}").prop_map(|a| Parameter::Auth(a.map(cow))),
        (-9i8..=9).prop_map(Parameter::MtPriority),
        (
            -999_999_999i64..=999_999_999,
            prop_oneof![Just(ByMode::Return), Just(ByMode::Notify)],
            any::<bool>()
        )
            .prop_map(|(time, mode, trace)| Parameter::By { time, mode, trace }),
        any::<u64>().prop_map(Parameter::HoldFor),
        value().prop_map(|v| Parameter::HoldUntil(cow(v))),
        ("X-[A-Z0-9]{1,6}", proptest::option::of(value())).prop_map(|(k, v)| Parameter::Other {
            keyword: cow(k),
            value: v.map(cow)
        }),
    ]
    .prop_filter(
        "AUTH=<> is the null form",
        |p| !matches!(p, Parameter::Auth(Some(a)) if a == "<>"),
    )
}

fn text() -> impl Strategy<Value = String> {
    "[!-~]([ -~]{0,19}[!-~])?"
}

fn command() -> impl Strategy<Value = Command<'static>> {
    let params = || proptest::collection::vec(param(), 0..5);
    prop_oneof![
        host().prop_map(Command::Helo),
        host().prop_map(Command::Ehlo),
        host().prop_map(Command::Lhlo),
        (
            prop_oneof![
                Just(ReversePath::Null),
                mailbox().prop_map(ReversePath::Mailbox)
            ],
            params()
        )
            .prop_map(|(from, params)| Command::Mail { from, params }),
        (
            prop_oneof![
                Just(ForwardPath::Postmaster),
                mailbox().prop_map(ForwardPath::Mailbox)
            ],
            params()
        )
            .prop_map(|(to, params)| Command::Rcpt { to, params }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text().prop_map(|s| Command::Vrfy(cow(s))),
        text().prop_map(|s| Command::Expn(cow(s))),
        proptest::option::of(text()).prop_map(|s| Command::Help(s.map(cow))),
        proptest::option::of(text()).prop_map(|s| Command::Noop(s.map(cow))),
        Just(Command::Quit),
        Just(Command::StartTls),
        (
            "[A-Z0-9_-]{1,12}",
            proptest::option::of(prop_oneof![
                Just(String::new()),
                "[A-Za-z0-9+/]{1,20}={0,2}"
            ])
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: cow(m),
                initial_response: ir.map(cow)
            }),
        text().prop_map(|s| Command::Etrn(cow(s))),
        proptest::collection::vec(domain(), 0..4)
            .prop_map(|d| Command::Atrn(d.into_iter().map(cow).collect())),
        ("[!-~]{1,20}", any::<bool>()).prop_map(|(uri, last)| Command::Burl {
            uri: cow(uri),
            last
        }),
    ]
}

fn reply() -> impl Strategy<Value = Reply<'static>> {
    (
        (1u16..=5, 0u16..=5, 0u16..=9),
        any::<bool>(),
        (0u16..20, 0u16..20),
        proptest::collection::vec(
            prop_oneof![Just(String::new()), "[a-zA-Z<\\[(][ -~ñ✓]{0,30}"],
            1..6,
        ),
    )
        .prop_map(|((a, b, c), with_enh, (s, d), lines)| {
            let code = ReplyCode::new(a * 100 + b * 10 + c).unwrap();
            let enhanced = if with_enh {
                EnhancedCode::new(code.class(), s, d)
            } else {
                None
            };
            Reply {
                code,
                enhanced,
                lines: lines.into_iter().map(cow).collect(),
            }
        })
}

fn word() -> impl Strategy<Value = Cow<'static, str>> {
    "[A-Z0-9][A-Z0-9-]{0,7}".prop_map(cow)
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    prop_oneof![
        Just(Capability::Pipelining),
        proptest::option::of(any::<u64>()).prop_map(Capability::Size),
        Just(Capability::EightBitMime),
        Just(Capability::Dsn),
        Just(Capability::Chunking),
        Just(Capability::BinaryMime),
        Just(Capability::SmtpUtf8),
        Just(Capability::StartTls),
        Just(Capability::EnhancedStatusCodes),
        (proptest::collection::vec(word(), 0..4), any::<bool>())
            .prop_map(|(mechanisms, legacy)| Capability::Auth { mechanisms, legacy }),
        Just(Capability::Vrfy),
        Just(Capability::Expn),
        Just(Capability::Help),
        Just(Capability::Etrn),
        Just(Capability::Atrn),
        Just(Capability::RequireTls),
        proptest::option::of(any::<u64>()).prop_map(Capability::DeliverBy),
        proptest::option::of(word()).prop_map(Capability::MtPriority),
        (any::<u64>(), word()).prop_map(|(max_interval, max_datetime)| Capability::FutureRelease {
            max_interval,
            max_datetime
        }),
        proptest::collection::vec(word(), 0..3).prop_map(Capability::Burl),
        (
            "X-[A-Z]{1,6}",
            proptest::collection::vec("[!-~]{1,6}", 0..3)
        )
            .prop_map(|(k, p)| {
                Capability::Other {
                    keyword: cow(k),
                    params: p.into_iter().map(cow).collect(),
                }
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn command_round_trip(cmd in command()) {
        let mut out = Vec::new();
        cmd.encode(&mut out).unwrap();
        let mut opts = ParseOptions::strict();
        opts.max_line_length = 100_000;
        let parsed = Command::parse(&out, &opts)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&out)));
        prop_assert_eq!(&parsed, &cmd);
        // The lenient parser reads what the strict encoder writes the same way.
        let lenient = ParseOptions { max_line_length: 100_000, ..ParseOptions::default() };
        let parsed = Command::parse(&out, &lenient).unwrap();
        prop_assert_eq!(parsed, cmd);
    }

    #[test]
    fn reply_round_trip(r in reply()) {
        let bytes = r.to_bytes();
        let (parsed, used) = Reply::parse(&bytes, &ReplyLimits::default()).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(&parsed, &r);
        // Line by line through the builder as well.
        let mut b = ReplyBuilder::new(ReplyLimits::default());
        let mut got = None;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            got = b.push_line(line.strip_suffix(b"\r\n").unwrap()).unwrap();
        }
        prop_assert_eq!(got, Some(r));
    }

    #[test]
    fn ehlo_round_trip(
        domain in domain(),
        greeting in prop_oneof![Just(String::new()), "[a-zA-Z][ -~]{0,20}"],
        capabilities in proptest::collection::vec(capability(), 0..12),
    ) {
        let e = Ehlo { domain: cow(domain), greeting: cow(greeting), capabilities };
        let reply = e.to_reply();
        let bytes = reply.to_bytes();
        let (parsed, _) = Reply::parse(&bytes, &ReplyLimits::default()).unwrap().unwrap();
        let back = Ehlo::from_reply(&parsed).unwrap().into_owned();
        prop_assert_eq!(back, e);
    }

    #[test]
    fn command_parse_never_panics(line in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Command::parse(&line, &ParseOptions::default());
        let _ = Command::parse(&line, &ParseOptions::strict());
    }

    #[test]
    fn command_parse_text_never_panics(line in "(MAIL FROM:|RCPT TO:|EHLO |BDAT |AUTH )[ -~é]{0,60}") {
        if let Ok(c) = Command::parse(line.as_bytes(), &ParseOptions::default()) {
            let mut out = Vec::new();
            c.encode(&mut out).unwrap();
            let again = Command::parse(&out, &ParseOptions::default()).unwrap();
            prop_assert_eq!(again, c);
        }
    }
}
