//! correo's header module against Python's `email` package (policy.default) on well-formed
//! values: the expectations in `data/headers/python-email.tsv` were produced by Python.

use correo_mime::header::{AddressList, ContentDisposition, ContentType, DateTime, parse_block};

fn unhex(s: &str) -> String {
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn agrees_with_python_email() {
    let data = include_str!("data/headers/python-email.tsv");
    let mut checked = 0;
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let mut cols = line.split('\t');
        let (kind, value, expected) = (
            cols.next().unwrap(),
            unhex(cols.next().unwrap()),
            unhex(cols.next().unwrap()),
        );
        let v = value.as_bytes();
        let got = match kind {
            "addr" => AddressList::parse(v)
                .mailboxes()
                .map(|m| format!("{}\x1f{}", m.name.as_deref().unwrap_or(""), m.address()))
                .collect::<Vec<_>>()
                .join("\x1e"),
            "date" => DateTime::parse(v).unwrap().to_rfc3339(),
            "subject" => {
                let field = format!("Subject: {value}\r\n\r\n");
                parse_block(field.as_bytes()).fields[0].text().into_owned()
            }
            "filename" => ContentDisposition::parse(v)
                .filename()
                .unwrap_or_default()
                .into_owned(),
            k => {
                let param = k.strip_prefix("ctparam:").unwrap();
                let ct = ContentType::parse(v);
                format!(
                    "{}\x1f{}",
                    ct.param(param).unwrap_or_default(),
                    ct.essence()
                )
            }
        };
        assert_eq!(got, expected, "{kind}: {value:?}");
        checked += 1;
    }
    assert!(checked > 60, "{checked}");
}
