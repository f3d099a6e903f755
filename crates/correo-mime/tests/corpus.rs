//! The golden corpus, each message twice (LF as stored, and CRLF).

use correo_mime::mbox::{self, MboxFormat, MboxOptions};
use correo_mime::message::{Message, PartKind};

fn crlf(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 20);
    for &b in s {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn both(raw: &[u8]) -> [Vec<u8>; 2] {
    [raw.to_vec(), crlf(raw)]
}

/// (number, type, size, lines) for every part, as IMAP BODYSTRUCTURE would report them.
fn shape(m: &Message<'_>) -> Vec<(String, String, usize, u64)> {
    m.walk()
        .map(|p| {
            (
                p.number().to_string(),
                p.content_type().essence(),
                p.size(),
                p.lines(),
            )
        })
        .collect()
}

#[test]
fn seed_gmail_gif_extracted_byte_for_byte() {
    let gif = include_bytes!("data/noot-noot.gif");
    for raw in both(include_bytes!("data/gmail-noot-noot.eml")) {
        let m = Message::parse(&raw);
        let numbers: Vec<String> = m.walk().map(|p| p.number().to_string()).collect();
        assert_eq!(numbers, ["", "1", "1.1", "1.2", "2"]);
        let root = m.root();
        assert_eq!(root.header().get("Subject").unwrap().text(), "noot noot");
        assert!(root.header().get_all("X-TMASE-MatchedRID").count() == 1);
        let att = m.part_by_number("2").unwrap();
        assert_eq!(att.content_type().essence(), "image/gif");
        assert_eq!(att.content_type().name().as_deref(), Some("noot-noot.gif"));
        assert_eq!(att.filename().as_deref(), Some("noot-noot.gif"));
        assert_eq!(att.encoding().as_str(), "base64");
        assert_eq!(
            att.header().get("Content-ID").unwrap().text(),
            "<f_m3uj5f1y0>"
        );
        assert_eq!(&*att.decoded(), &gif[..]);
        let (_, defects) = att.decoded_with_defects();
        assert!(defects.is_empty(), "{defects:?}");
        // The plain alternative is the seed's empty text: two line breaks, the second of which
        // belongs to the boundary line.
        let plain = m.part_by_number("1.1").unwrap();
        assert_eq!(plain.text().replace('\r', ""), "\n");
        let html = m.part_by_number("1.2").unwrap();
        assert!(html.text().starts_with("<div dir=\"ltr\">"));
        assert!(m.defects().next().is_none());
        // Structure between the two boundaries: `--inner--` directly followed by `--outer`.
        assert_eq!(
            m.part_by_number("1").unwrap().epilogue().map(|r| r.len()),
            Some(0)
        );
    }
}

/// Dovecot's own BODYSTRUCTURE for this message (recorded in the imaplib transcript, sizes
/// in CRLF form): ((("text" "plain" ... "8bit" 69 3 ...)("text" "html" ... "8bit" 58 1 ...)
/// "alternative" ...)("image" "gif" ... "base64" 62 ...)("application" "octet-stream" ...
/// "base64" 8212 ...) "mixed" ...)
#[test]
fn dovecot_bodystructure_sizes() {
    let raw = crlf(include_bytes!("data/corpus/delivered-alice-1.eml"));
    assert_eq!(raw.len(), 10003, "RFC822.SIZE");
    let m = Message::parse(&raw);
    let s = shape(&m);
    let get = |n: &str| s.iter().find(|x| x.0 == n).unwrap().clone();
    assert_eq!(get("1.1"), ("1.1".into(), "text/plain".into(), 69, 3));
    assert_eq!(get("1.2"), ("1.2".into(), "text/html".into(), 58, 1));
    assert_eq!(get("2").2, 62);
    assert_eq!(get("3").2, 8212);
    assert_eq!(
        m.part_by_number("2").unwrap().filename().as_deref(),
        Some("pixel.gif")
    );
    assert_eq!(
        &*m.part_by_number("2").unwrap().decoded(),
        &include_bytes!("data/pixel.gif")[..]
    );
    assert_eq!(
        m.part_by_number("3").unwrap().filename().as_deref(),
        Some("datos.bin")
    );
    assert_eq!(
        m.part_by_number("1.1").unwrap().text().replace('\r', ""),
        "Hola Alice,\n\nadjunto un GIF y unos datos binarios. ¿Llegan bien?\n"
    );
    assert!(m.defects().next().is_none());
}

#[test]
fn dovecot_delivered_messages() {
    for raw in both(include_bytes!("data/corpus/delivered-bob-2.eml")) {
        let m = Message::parse(&raw);
        let s = shape(&m);
        assert_eq!(
            s.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(),
            ["multipart/mixed", "text/plain", "image/gif"]
        );
        let gif = m.part_by_number("2").unwrap();
        assert_eq!(gif.encoding().as_str(), "base64", "BASE64 upper case");
        assert_eq!(&*gif.decoded(), &include_bytes!("data/pixel.gif")[..]);
        assert_eq!(
            m.part_by_number("1").unwrap().text(),
            "This is a test mailing"
        );
        // The epilogue is the two empty lines after the close delimiter.
        let epi = m.root().epilogue().unwrap();
        assert_eq!(memchr_count(&raw[epi]), 2);
    }
    for raw in both(include_bytes!("data/corpus/delivered-alice-2.eml")) {
        let m = Message::parse(&raw);
        assert_eq!(m.parts().len(), 1);
        let p = m.root();
        assert_eq!(p.number().to_string(), "1");
        assert_eq!(p.header().get_all("Received").count(), 2);
        assert!(p.text().contains(".leading dot line"));
        assert_eq!(p.lines(), 2);
    }
}

#[test]
fn rfc2046_simple_example() {
    for raw in both(include_bytes!("data/corpus/rfc2046-simple.eml")) {
        let m = Message::parse(&raw);
        let root = m.root();
        assert!(raw[root.preamble().unwrap()].starts_with(b"This is the preamble."));
        assert!(
            raw[root.epilogue().unwrap()]
                .windows(12)
                .any(|w| w == b"the epilogue")
        );
        let one = m.part_by_number("1").unwrap();
        assert!(!one.has_content_type());
        assert_eq!(
            one.text().replace('\r', ""),
            "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak."
        );
        let two = m.part_by_number("2").unwrap();
        assert_eq!(
            two.text().replace('\r', ""),
            "This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n"
        );
        assert!(m.defects().next().is_none());
    }
}

#[test]
fn rfc2049_example() {
    for raw in both(include_bytes!("data/corpus/rfc2049-multipart.eml")) {
        let m = Message::parse(&raw);
        let s: Vec<(String, String)> = shape(&m).into_iter().map(|x| (x.0, x.1)).collect();
        let want = [
            ("", "multipart/mixed"),
            ("1", "text/plain"),
            ("2", "text/plain"),
            ("3", "multipart/parallel"),
            ("3.1", "audio/basic"),
            ("3.2", "image/jpeg"),
            ("4", "text/enriched"),
            ("5", "message/rfc822"),
            ("5.1", "text/plain"),
        ];
        assert_eq!(s, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
        let inner = m.part_by_number("5.1").unwrap();
        assert_eq!(
            inner.content_type().charset().as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(inner.encoding().as_str(), "quoted-printable");
        assert_eq!(m.part_by_number("5").unwrap().kind(), PartKind::Message);
        assert_eq!(
            m.attachments()
                .map(|p| p.number().to_string())
                .collect::<Vec<_>>(),
            ["5"]
        );
    }
}

#[test]
fn seed_mbox_with_asctime_date() {
    let raw = include_bytes!("data/seed-lab.mbox");
    for input in both(raw) {
        let msgs: Vec<_> =
            mbox::split(&input, MboxOptions::with_format(MboxFormat::Mboxo)).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0]
                .from_line
                .strip_suffix(b"\r")
                .unwrap_or(msgs[0].from_line),
            b"From feik@lab.it.uc3m.es  Sat Nov 23 19:48:38 2024"
        );
        let first = msgs[0].unquoted(MboxFormat::Mboxo);
        let m = Message::parse(&first);
        assert_eq!(
            m.header().get("Date").unwrap().text(),
            "Sat Nov 23 19:45:03 2024"
        );
        assert!(
            m.root()
                .text()
                .contains("\nFrom now on, this line is quoted")
        );
        let second = msgs[1].unquoted(MboxFormat::Mboxo);
        let m = Message::parse(&second);
        assert_eq!(
            &*m.part_by_number("2").unwrap().decoded(),
            &include_bytes!("data/noot-noot.gif")[..]
        );
    }
}

/// Every corpus message has the same structure and decoded binary parts with LF and CRLF.
#[test]
fn lf_and_crlf_agree() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let raw = std::fs::read(e.unwrap().path()).unwrap();
        let [lf, cr] = both(&raw);
        let (a, b) = (Message::parse(&lf), Message::parse(&cr));
        let key = |m: &Message<'_>| {
            m.walk()
                .map(|p| {
                    let d = if p.encoding().as_str() == "base64" {
                        p.decoded().into_owned()
                    } else {
                        Vec::new()
                    };
                    (
                        p.number().to_string(),
                        p.content_type().essence(),
                        p.filename().map(std::borrow::Cow::into_owned),
                        p.lines(),
                        d,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        n += 1;
    }
    assert!(n >= 15);
}

fn memchr_count(s: &[u8]) -> usize {
    s.split(|&b| b == b'\n').count() - 1
}
