//! MIME: seed 000 ex. 4-5 and seed 003 — the stored messages as Maildir files and as an
//! mbox, the part tree of the GIF message, and its attachment extracted and compared byte
//! for byte with what was sent.

use std::fmt::Write as _;

use correo_mime::mbox::{self, MboxFormat, MboxOptions};
use correo_mime::message::{Message, PartKind};
use sha2::{Digest, Sha256};

use super::{Res, Tour, contains, data};

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The envelope sender of a stored message (its `Return-Path`).
fn return_path(msg: &[u8]) -> String {
    let m = Message::parse(msg);
    m.header()
        .get("Return-Path")
        .map(|f| {
            String::from_utf8_lossy(&f.unfolded())
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "MAILER-DAEMON".to_owned())
}

/// The MIME section.
pub(super) fn run(tour: &mut Tour) -> Res<()> {
    tour.heading("MIME: seed 000 ex. 4-5 and seed 003 (Maildir, mbox, part tree, attachment)");
    let inbox = tour.inbox()?;
    tour.say(format!(
        "$ ls {}/{}/new {}/{}/cur",
        tour.root().display(),
        data::USER,
        tour.root().display(),
        data::USER
    ));
    let mut stored = Vec::new();
    for m in &inbox.messages {
        let rel = m.path.strip_prefix(tour.root()).unwrap_or(&m.path);
        tour.say(format!("{:>8}  {}", m.size, rel.display()));
        stored.push(std::fs::read(&m.path)?);
    }
    let same = stored.len() == tour.sent.len()
        && stored
            .iter()
            .zip(&tour.sent)
            .all(|(s, sent)| s.ends_with(sent));
    tour.check(
        "each Maildir file is the message as sent, after Return-Path and Received",
        same,
        format!(
            "{} stored, {} sent, or the bytes differ",
            stored.len(),
            tour.sent.len()
        ),
    );
    let first = stored.first().map(|m| return_path(m)).unwrap_or_default();
    tour.check(
        "the false envelope sender is kept: Return-Path: <feik@lab.it.uc3m.es> (ex. 2)",
        first == data::FAKE_SENDER,
        format!("Return-Path is {first:?}"),
    );

    // Ex. 5 reads /var/spool/mail/0xxxxxx, an mbox: write the same messages as one.
    let mut mbox_bytes = Vec::new();
    for (m, bytes) in inbox.messages.iter().zip(&stored) {
        mbox::write_mboxrd(
            &return_path(bytes),
            m.internal_date as i64,
            bytes,
            &mut mbox_bytes,
        );
    }
    let mbox_path = tour.tmp.join(data::USER);
    std::fs::write(&mbox_path, &mbox_bytes)?;
    tour.say(format!(
        "$ mail -f {}   # the same messages as an mbox ({} bytes)",
        mbox_path.display(),
        mbox_bytes.len()
    ));
    let split: Vec<_> = mbox::split(&mbox_bytes, MboxOptions::default()).collect();
    for (i, m) in split.iter().enumerate() {
        let raw = m.unquoted(MboxFormat::Mboxrd);
        let parsed = Message::parse(&raw);
        let subject = parsed.header().subject().unwrap_or_default().into_owned();
        // As `mail` lists them: sender cut to 18 characters, date to the minute.
        let envelope = String::from_utf8_lossy(m.envelope().unwrap_or_default()).into_owned();
        let (from, date) = envelope.split_once(' ').unwrap_or((&envelope, ""));
        let lines = raw.split(|&b| b == b'\n').count().saturating_sub(1);
        tour.say(format!(
            " N {:>2} {:<18} {:<16} {:>4}/{:<6} {}",
            i + 1,
            from.chars().take(18).collect::<String>(),
            date.chars().take(16).collect::<String>(),
            lines,
            raw.len(),
            subject
        ));
    }
    let round_trip = split.len() == stored.len()
        && split
            .iter()
            .zip(&stored)
            .all(|(m, s)| *m.unquoted(MboxFormat::Mboxrd) == **s);
    tour.check(
        "the mbox splits back into the 4 messages, byte for byte",
        round_trip,
        format!("{} messages read back", split.len()),
    );

    // Ex. 5: the MIME headers of the GIF message, and how many parts it has.
    let Some(gif_msg) = stored.iter().find(|m| contains(m, b"Subject: noot noot")) else {
        tour.check("the GIF message is in the INBOX", false, "not found");
        return Ok(());
    };
    let msg = Message::parse(gif_msg);
    tour.say("$ correo inspect   # the part tree of \"noot noot\"");
    let mut shape = Vec::new();
    for part in msg.walk() {
        let mut depth = 0;
        let mut p = part.parent();
        while let Some(i) = p {
            depth += 1;
            p = msg.part(i).and_then(correo_mime::message::Part::parent);
        }
        let number = part.number().to_string();
        let number = if number.is_empty() {
            "-".to_owned()
        } else {
            number
        };
        let ct = part.content_type();
        let mut line = format!(
            "{:indent$}{number:<5} {}",
            "",
            ct.essence(),
            indent = depth * 2
        );
        if let Some(c) = ct.charset() {
            let _ = write!(line, "; charset={c}");
        }
        if part.kind() == PartKind::Leaf {
            let _ = write!(
                line,
                "  [{}]  {} bytes",
                part.encoding(),
                part.decoded().len()
            );
        }
        if let Some(d) = part.disposition() {
            let _ = write!(line, "  {}", d.as_str());
        }
        if let Some(f) = part.filename() {
            let _ = write!(line, "  \"{f}\"");
        }
        tour.say(line);
        shape.push(format!("{number} {}", ct.essence()));
    }
    let want = [
        "- multipart/mixed",
        "1 multipart/alternative",
        "1.1 text/plain",
        "1.2 text/html",
        "2 image/gif",
    ];
    tour.check(
        "part tree: mixed { alternative { text/plain, text/html }, image/gif } (ex. 5)",
        shape == want,
        format!("{shape:?}"),
    );
    let text = msg
        .part_by_number("1.1")
        .map(|p| p.text().replace("\r\n", "\n"))
        .unwrap_or_default();
    let encoding = msg
        .part_by_number("1.1")
        .map(|p| p.encoding().to_string())
        .unwrap_or_default();
    tour.check(
        format!("the accented text decodes back exactly ({encoding}, UTF-8)"),
        text == data::ACCENTED,
        format!("got {text:?}"),
    );

    // Seed 003: extract the image as the mail client does.
    let Some(att) = msg.part_by_number("2") else {
        tour.check("the attachment is part 2", false, "no part 2");
        return Ok(());
    };
    let decoded = att.decoded();
    let name = att.filename().unwrap_or_default().into_owned();
    let out = tour
        .tmp
        .join(crate::inspect::sanitize(&name).unwrap_or("part-2.gif".into()));
    std::fs::write(&out, &*decoded)?;
    tour.say(format!(
        "$ correo inspect --extract {}   # part 2, {} -> {} bytes",
        tour.tmp.display(),
        att.encoding(),
        decoded.len()
    ));
    tour.say(format!(
        "{}  sha256 {}",
        out.display(),
        hex(&Sha256::digest(&*decoded))
    ));
    tour.say(format!(
        "sent         sha256 {}",
        hex(&Sha256::digest(&tour.gif))
    ));
    tour.check(
        format!(
            "\"{name}\" extracted, identical to the GIF sent ({} bytes)",
            tour.gif.len()
        ),
        *decoded == *tour.gif && name == data::GIF_NAME && decoded.starts_with(b"GIF89a"),
        format!("{} bytes, name {name:?}", decoded.len()),
    );
    Ok(())
}
