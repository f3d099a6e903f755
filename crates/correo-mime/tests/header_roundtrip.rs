//! Property tests: everything the header module encodes parses back to the same value, and
//! the block parser agrees with itself under any split.

use correo_mime::header::{
    Address, AddressList, ContentDisposition, DateTime, Group, Mailbox, encode_address_list,
    encode_mailbox, encode_param, encode_param_rfc2047, encode_unstructured, find_block_end, fold,
    parse_block,
};
use proptest::prelude::*;

fn field_line_lengths_ok(field: &str) {
    for line in field.split("\r\n") {
        // Folding happens only at whitespace; a line longer than 78 is one unbreakable word.
        if line.len() > 78 {
            assert!(
                !line.trim_start().contains(' '),
                "long line with a space: {line:?}"
            );
        }
        assert!(
            line.is_empty() || !line.trim().is_empty(),
            "whitespace-only line in {field:?}"
        );
    }
}

fn parse_single(field: &str) -> (String, Vec<u8>) {
    let b = parse_block(field.as_bytes());
    assert_eq!(b.fields.len(), 1, "{field:?}");
    assert_eq!(b.body_offset, field.len());
    (b.fields[0].text().into_owned(), b.fields[0].value.to_vec())
}

fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn date_strategy() -> impl Strategy<Value = DateTime> {
    (
        0u16..=9999,
        1u8..=12,
        1u8..=31,
        0u8..=23,
        0u8..=59,
        0u8..=59,
        prop::option::of(-5999i32..=5999),
    )
        .prop_map(|(year, month, day, hour, minute, second, off)| DateTime {
            year,
            month,
            day: day.min(days_in_month(year, month)),
            hour,
            minute,
            second,
            offset_minutes: off.filter(|o| o.unsigned_abs() % 100 < 100),
        })
}

fn mailbox_strategy() -> impl Strategy<Value = Mailbox<'static>> {
    (
        prop::option::of("[^\r\n]{0,40}"),
        "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~ \"\\\\()<>@,;:-]{1,20}",
        "[a-z0-9-]{1,10}(\\.[a-z0-9]{1,10}){0,3}",
    )
        .prop_map(|(name, local, domain)| {
            Mailbox::new(name.filter(|n| !n.trim().is_empty()), local, domain)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn unstructured_round_trip(text in "[^\r\n]{0,300}", utf8 in any::<bool>()) {
        let enc = encode_unstructured(&text, utf8).unwrap();
        if !utf8 {
            prop_assert!(enc.is_ascii());
        }
        let field = fold("Subject", &enc).unwrap();
        field_line_lengths_ok(&field);
        for w in field.split([' ', '\t', '\r', '\n']).filter(|w| w.starts_with("=?")) {
            prop_assert!(w.len() <= 75, "{}", w);
        }
        let (decoded, _) = parse_single(&field);
        prop_assert_eq!(decoded, text);
    }

    #[test]
    fn unstructured_ascii_words_round_trip(words in prop::collection::vec("[!-~]{1,12}", 0..40)) {
        let text = words.join(" ");
        let enc = encode_unstructured(&text, false).unwrap();
        let field = fold("Subject", &enc).unwrap();
        field_line_lengths_ok(&field);
        prop_assert_eq!(parse_single(&field).0, text);
    }

    #[test]
    fn params_round_trip(value in "[^\r\n]{0,200}", legacy in any::<bool>()) {
        let p = if legacy {
            encode_param_rfc2047("filename", &value).unwrap()
        } else {
            encode_param("filename", &value).unwrap()
        };
        let field = fold("Content-Disposition", &format!("attachment; {p}")).unwrap();
        field_line_lengths_ok(&field);
        let b = parse_block(field.as_bytes());
        let cd = ContentDisposition::parse(b.fields[0].value);
        let got = cd.param("filename");
        prop_assert_eq!(got.as_deref(), Some(value.as_str()));
        prop_assert!(cd.defects().is_empty(), "{:?} {:?}", field, cd.defects());
    }

    #[test]
    fn mailbox_round_trip(m in mailbox_strategy(), utf8 in any::<bool>()) {
        let enc = encode_mailbox(&m, utf8).unwrap();
        let field = fold("From", &enc).unwrap();
        let b = parse_block(field.as_bytes());
        let list = AddressList::parse(b.fields[0].value);
        let got: Vec<_> = list.mailboxes().cloned().collect();
        prop_assert_eq!(got, vec![m], "{:?} {:?}", field, list.defects);
        prop_assert!(list.defects.is_empty(), "{:?}", list.defects);
    }

    #[test]
    fn address_list_round_trip(
        ms in prop::collection::vec(mailbox_strategy(), 0..5),
        group in prop::option::of(("[a-zA-Z ]{1,20}", prop::collection::vec(mailbox_strategy(), 0..3))),
    ) {
        let mut list: Vec<Address<'static>> = ms.into_iter().map(Address::Mailbox).collect();
        if let Some((name, members)) = group {
            let name = name.trim().to_owned();
            if !name.is_empty() {
                list.push(Address::Group(Group { name: name.into(), members }));
            }
        }
        let enc = encode_address_list(&list, false).unwrap();
        let field = fold("To", &enc).unwrap();
        let b = parse_block(field.as_bytes());
        let parsed = AddressList::parse(b.fields[0].value);
        prop_assert_eq!(parsed.addresses, list, "{:?}", field);
    }

    #[test]
    fn date_round_trip(d in date_strategy()) {
        let s = d.to_rfc5322();
        prop_assert_eq!(DateTime::parse(s.as_bytes()), Ok(d), "{}", s);
        let (_, defects) = DateTime::parse_with_defects(s.as_bytes()).unwrap();
        prop_assert!(defects.is_empty(), "{} {:?}", s, defects);
        prop_assert_eq!(DateTime::from_unix(d.to_unix(), d.offset_minutes), Some(d));
        let rfc3339 = d.to_rfc3339();
        prop_assert_eq!(DateTime::parse(rfc3339.as_bytes()), Ok(d), "{}", rfc3339);
    }

    #[test]
    fn block_any_split(lines in prop::collection::vec(
        prop_oneof![
            "[A-Za-z-]{1,10}: [ -~]{0,30}",
            " [ -~]{0,20}",
            "\t[ -~]{0,20}",
            "[ -~]{0,20}",
            Just(String::new()),
        ],
        0..12,
    ), crlf in any::<bool>(), tail in "[ -~]{0,10}") {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut input = String::new();
        for l in &lines {
            input.push_str(l);
            input.push_str(nl);
        }
        input.push_str(&tail);
        let bytes = input.as_bytes();
        let b = parse_block(bytes);
        for i in 0..=bytes.len() {
            if let Some(end) = find_block_end(&bytes[..i]) {
                prop_assert_eq!(end, b.body_offset);
                // Once known, more bytes never change it.
                prop_assert_eq!(find_block_end(bytes), Some(end));
            }
        }
        let mut last = 0;
        for f in &b.fields {
            prop_assert!(f.offset >= last);
            prop_assert_eq!(&bytes[f.offset..f.offset + f.raw.len()], f.raw);
            last = f.offset + f.raw.len();
        }
        prop_assert!(last <= b.body_offset && b.body_offset <= bytes.len());
    }
}
