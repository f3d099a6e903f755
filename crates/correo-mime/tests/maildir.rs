//! Maildir names and flags.

use correo_mime::maildir::{Flags, Info, MaildirName, Subdir, UniqueName, cur_name, with_flags};
use proptest::prelude::*;

#[test]
fn dovecot_style_names() {
    // As Dovecot names files in cur/ (with a keyword letter `a`).
    let n = MaildirName::parse("1732316445.M512345P23804.mail.example.test,S=9842,W=10003:2,Sa")
        .unwrap();
    assert_eq!(n.secs, Some(1_732_316_445));
    assert_eq!(n.usec, Some(512_345));
    assert_eq!(n.pid, Some(23804));
    assert_eq!(n.counter, None);
    assert_eq!(n.host.as_deref(), Some("mail.example.test"));
    assert_eq!(n.size, Some(9842));
    assert_eq!(n.vsize, Some(10003));
    assert!(n.flags().contains(Flags::SEEN));
    assert!(n.flags().contains(Flags::keyword('a').unwrap()));
    assert_eq!(n.subdir(), Subdir::Cur);
    assert_eq!(Subdir::Cur.as_str(), "cur");
    match n.info {
        Some(Info::Flags { raw, report, .. }) => {
            assert_eq!(raw, "Sa");
            assert!(!report.unsorted);
        }
        _ => panic!("no info"),
    }
}

#[test]
fn new_to_cur_and_flag_rules() {
    let new = UniqueName {
        secs: 1_732_391_318,
        usec: 7,
        pid: 42,
        counter: 3,
        host: "host",
    }
    .build(Some(100), None);
    let parsed = MaildirName::parse(&new).unwrap();
    assert_eq!(parsed.subdir(), Subdir::New);
    assert!(parsed.info.is_none());
    let cur = cur_name(&new);
    assert_eq!(cur, format!("{new}:2,"));
    // Flags are written sorted, without duplicates, whatever order they were set in.
    let f =
        Flags::TRASHED | Flags::SEEN | Flags::DRAFT | Flags::SEEN | Flags::keyword('c').unwrap();
    assert_eq!(with_flags(&cur, f), format!("{new}:2,DSTc"));
    let (g, report) = Flags::parse("TSDc");
    assert!(report.unsorted);
    assert_eq!(g, f);
    assert_eq!(
        with_flags(&format!("{new}:2,TSDc"), g.without(Flags::TRASHED)),
        format!("{new}:2,DSc")
    );
    // Experimental `:1,` info is kept, not read as flags.
    let e = MaildirName::parse("1.2.h:1,xyz").unwrap();
    assert_eq!(e.info, Some(Info::Other("1,xyz")));
    assert!(e.flags().is_empty());
}

proptest! {
    #[test]
    fn build_parse_round_trip(secs in 0u64..5_000_000_000, usec in 0u32..1_000_000, pid in any::<u32>(),
                              counter in any::<u64>(), host in "[a-z0-9./:-]{1,20}", size in proptest::option::of(any::<u64>()),
                              vsize in proptest::option::of(any::<u64>()), letters in "[DFPRSTa-z]{0,10}") {
        let name = UniqueName { secs, usec, pid, counter, host: &host }.build(size, vsize);
        let (flags, _) = Flags::parse(&letters);
        let full = with_flags(&name, flags);
        let p = MaildirName::parse(&full).unwrap();
        prop_assert_eq!(p.secs, Some(secs));
        prop_assert_eq!(p.usec, Some(usec));
        prop_assert_eq!(p.pid, Some(pid));
        prop_assert_eq!(p.counter, Some(counter));
        prop_assert_eq!(p.host.as_deref(), Some(host.as_str()));
        prop_assert_eq!(p.size, size);
        prop_assert_eq!(p.vsize, vsize);
        prop_assert_eq!(p.flags(), flags);
        prop_assert_eq!(p.unique, name.as_str());
        // Canonical: sorted, no duplicates.
        let text = flags.to_string();
        let mut sorted: Vec<u8> = text.bytes().collect();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted, text.into_bytes());
    }
}
