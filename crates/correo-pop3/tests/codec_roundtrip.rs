//! Property tests: encoding any value and parsing it back gives the same value.

use correo_pop3::codec::{
    Capability, Command, Expire, ReplyLine, ResponseCode, ScanListing, Stat, Status, StatusLine,
    UidListing, strip_eol,
};
use proptest::prelude::*;

/// Free text: any bytes but CR, LF, NUL.
fn text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF/NUL", |b| !matches!(b, b'\r' | b'\n' | 0)),
        0..40,
    )
}

/// A token: non-empty, no space/CR/LF/NUL.
fn token() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        any::<u8>().prop_filter("token byte", |b| !matches!(b, b'\r' | b'\n' | 0 | b' ')),
        1..20,
    )
}

#[derive(Debug, Clone)]
enum Cmd {
    User(Vec<u8>),
    Pass(Vec<u8>),
    Apop(Vec<u8>, Vec<u8>),
    Auth(Vec<u8>, Option<Vec<u8>>),
    Lang(Option<Vec<u8>>),
    Simple(u8),
    List(Option<u32>),
    Uidl(Option<u32>),
    Top(u32, u32),
    Retr(u32),
    Dele(u32),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        text().prop_map(Cmd::User),
        text().prop_map(Cmd::Pass),
        (token(), token()).prop_map(|(a, b)| Cmd::Apop(a, b)),
        (token(), proptest::option::of(token())).prop_map(|(a, b)| Cmd::Auth(a, b)),
        proptest::option::of(token()).prop_map(Cmd::Lang),
        (0u8..8).prop_map(Cmd::Simple),
        proptest::option::of(any::<u32>()).prop_map(Cmd::List),
        proptest::option::of(any::<u32>()).prop_map(Cmd::Uidl),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| Cmd::Top(a, b)),
        any::<u32>().prop_map(Cmd::Retr),
        any::<u32>().prop_map(Cmd::Dele),
    ]
}

fn borrow(c: &Cmd) -> Command<'_> {
    match c {
        Cmd::User(a) => Command::User(a),
        Cmd::Pass(a) => Command::Pass(a),
        Cmd::Apop(a, b) => Command::Apop { name: a, digest: b },
        Cmd::Auth(a, b) => Command::Auth {
            mechanism: a,
            initial: b.as_deref(),
        },
        Cmd::Lang(a) => Command::Lang(a.as_deref()),
        Cmd::Simple(n) => [
            Command::Capa,
            Command::Stls,
            Command::Stat,
            Command::Rset,
            Command::Noop,
            Command::Quit,
            Command::Utf8,
            Command::Capa,
        ][usize::from(*n % 8)],
        Cmd::List(n) => Command::List(*n),
        Cmd::Uidl(n) => Command::Uidl(*n),
        Cmd::Top(msg, lines) => Command::Top {
            msg: *msg,
            lines: *lines,
        },
        Cmd::Retr(n) => Command::Retr(*n),
        Cmd::Dele(n) => Command::Dele(*n),
    }
}

fn code() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::of(prop_oneof![
        Just(b"IN-USE".to_vec()),
        Just(b"LOGIN-DELAY".to_vec()),
        Just(b"SYS/TEMP".to_vec()),
        Just(b"SYS/PERM".to_vec()),
        Just(b"AUTH".to_vec()),
        proptest::collection::vec(
            any::<u8>().prop_filter("code byte", |b| !matches!(
                b,
                b'\r' | b'\n' | 0 | b' ' | b'[' | b']'
            )),
            1..12
        ),
    ])
}

proptest! {
    #[test]
    fn command_roundtrip(c in cmd()) {
        let command = borrow(&c);
        let bytes = command.to_bytes().unwrap();
        prop_assert!(bytes.ends_with(b"\r\n"));
        let parsed = Command::parse(strip_eol(&bytes)).unwrap();
        prop_assert_eq!(parsed, command);
    }

    #[test]
    fn command_parse_never_panics(line in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Command::parse(&line);
        let _ = ReplyLine::parse(&line);
        let _ = Capability::parse(&line);
        let _ = ScanListing::parse(&line);
        let _ = UidListing::parse(&line);
    }

    #[test]
    fn status_roundtrip(ok in any::<bool>(), code in code(), text in text()) {
        let line = StatusLine {
            status: if ok { Status::Ok } else { Status::Err },
            code: code.as_deref().map(ResponseCode::from_bytes),
            text: &text,
        };
        let mut out = Vec::new();
        match line.encode(&mut out) {
            Ok(()) => {
                let parsed = ReplyLine::parse(strip_eol(&out)).unwrap();
                prop_assert_eq!(parsed, ReplyLine::Status(line));
            }
            Err(_) => prop_assert!(line.code.is_none() && text.first() == Some(&b'[')),
        }
    }

    #[test]
    fn continuation_roundtrip(challenge in proptest::collection::vec(any::<u8>().prop_filter("b64ish", |b| !matches!(b, b'\r' | b'\n' | 0)), 0..40)) {
        let line = ReplyLine::Continue(&challenge);
        let mut out = Vec::new();
        line.encode(&mut out).unwrap();
        let parsed = ReplyLine::parse(strip_eol(&out));
        // "+ OK..." is a continuation whose challenge happens to start with "OK": still a
        // continuation, because of the space after '+'.
        prop_assert_eq!(parsed, Ok(line));
    }

    #[test]
    fn listing_roundtrip(msg in any::<u32>(), size in any::<u64>(), uid in proptest::collection::vec(0x21u8..=0x7e, 1..=70)) {
        let mut out = Vec::new();
        let s = ScanListing { msg, size };
        s.encode(&mut out);
        prop_assert_eq!(ScanListing::parse(strip_eol(&out)), Ok(s));
        out.clear();
        let u = UidListing { msg, uid: &uid };
        u.encode(&mut out).unwrap();
        prop_assert_eq!(UidListing::parse(strip_eol(&out)), Ok(u));
        out.clear();
        let st = Stat { count: msg, size };
        st.encode(&mut out);
        prop_assert_eq!(Stat::parse(&out), Ok(st));
    }

    #[test]
    fn capability_roundtrip(which in 0u8..14, n in any::<u64>(), d in proptest::option::of(any::<u32>()), user in any::<bool>(), words in proptest::collection::vec(token(), 0..4), raw in token()) {
        let joined = words.join(&b' ');
        let cap = match which {
            0 => Capability::Top,
            1 => Capability::User,
            2 => Capability::Sasl(&joined),
            3 => Capability::RespCodes,
            4 => Capability::AuthRespCode,
            5 => Capability::LoginDelay { seconds: n, per_user: user },
            6 => Capability::Pipelining,
            7 => Capability::Expire { policy: d.map_or(Expire::Never, Expire::Days), per_user: user },
            8 => Capability::Uidl,
            9 => Capability::Implementation(&joined),
            10 => Capability::Stls,
            11 => Capability::Utf8 { user },
            12 => Capability::Lang,
            _ => Capability::Other(&raw),
        };
        let mut out = Vec::new();
        match cap.encode(&mut out) {
            Ok(()) => prop_assert_eq!(Capability::parse(strip_eol(&out)), Ok(cap)),
            // Only a raw line that reads back as a known capability may be refused.
            Err(_) => prop_assert!(matches!(cap, Capability::Other(_))),
        }
    }
}
