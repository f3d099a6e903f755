//! Whole-message parsing: correo's tree parser against mail-parser and mailparse.
//!
//! Groups (each with functions `correo`, `mail-parser`, `mailparse`; throughput in bytes of
//! the message):
//! - `attachment_20mib`: multipart/mixed with a short text part and a 20 MiB attachment
//!   (base64, 76-column CRLF lines); parse and obtain the decoded attachment bytes. One more
//!   function, `correo-scalar`, does the same with correo's scalar base64 kernel forced
//!   (`correo_mime::decode::base64::decode_scalar`: no SIMD), so the portable path's ratio
//!   to the peers is read from the same run.
//! - `typical_5k`: a ~5 KB multipart/alternative message (quoted-printable text and HTML,
//!   a dozen ordinary headers); parse and obtain the decoded text and HTML bodies.
//! - `header_heavy`: the seed's Gmail message (multipart/mixed, multipart/alternative, a
//!   base64 GIF) with its anti-spam X- headers and dozens more (Received, ARC, DKIM, X-);
//!   parse, read Subject and From, and obtain the text body and the decoded GIF.
//!
//! Every function must produce the same bytes (checked before measuring).
// `criterion_main!` generates an undocumented `main`.
#![allow(missing_docs)]

use std::fmt::Write as _;

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

use correo_mime::message::Message;

const GMAIL: &[u8] = include_bytes!("../../crates/correo-mime/tests/data/gmail-noot-noot.eml");

fn payload(size: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

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

fn attachment_message(raw: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    correo_mime::decode::base64::encode_mime(raw, &mut encoded);
    let mut m = b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: big attachment\r\n\
Date: Sat, 23 Nov 2024 19:55:10 +0100\r\nMessage-ID: <big@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"0000000000006dd7bc0627990dc1\"\r\n\r\n\
--0000000000006dd7bc0627990dc1\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nHere it is.\r\n\r\n\
--0000000000006dd7bc0627990dc1\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n\
Content-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    m.extend_from_slice(&encoded);
    if !m.ends_with(b"\r\n") {
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--0000000000006dd7bc0627990dc1--\r\n");
    m
}

fn typical_message() -> Vec<u8> {
    let mut text = String::new();
    let mut html = String::from("<html><body>");
    for i in 0..24 {
        let _ = writeln!(
            text,
            "L=C3=ADnea {i}: el informe trimestral est=C3=A1 listo para revisi=C3=B3n, sal=\nudos."
        );
        let _ = writeln!(
            html,
            "<p style=3D\"margin:0\">L=C3=ADnea {i}: el informe est=C3=A1 listo.</p>="
        );
    }
    html.push_str("</body></html>\n");
    let m = format!(
        "Return-Path: <alice@example.org>\n\
Received: from mail.example.org (mail.example.org [192.0.2.1])\n\tby mx.example.net (Postfix) with ESMTPS id 4F2A1C0123\n\tfor <bob@example.net>; Sat, 23 Nov 2024 19:55:11 +0100 (CET)\n\
From: =?UTF-8?Q?Alicia_Mart=C3=ADnez?= <alice@example.org>\n\
To: Bob <bob@example.net>, Carol <carol@example.net>\n\
Cc: team@example.net\n\
Subject: =?UTF-8?Q?Informe_trimestral_=E2=80=94_revisi=C3=B3n?=\n\
Date: Sat, 23 Nov 2024 19:55:10 +0100\n\
Message-ID: <CAF=typical.5k@mail.example.org>\n\
In-Reply-To: <prev@example.net>\n\
References: <first@example.net> <prev@example.net>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/alternative; boundary=\"00000000000071a2b30627990e11\"\n\
\n\
--00000000000071a2b30627990e11\n\
Content-Type: text/plain; charset=\"UTF-8\"\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
{text}\n\
--00000000000071a2b30627990e11\n\
Content-Type: text/html; charset=\"UTF-8\"\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
{html}\n\
--00000000000071a2b30627990e11--\n"
    );
    crlf(m.as_bytes())
}

fn header_heavy_message() -> Vec<u8> {
    let mut extra = String::new();
    for i in 0..6 {
        let _ = write!(
            extra,
            "Received: from mx{i}.google.com (mx{i}.google.com [209.85.128.{i}])\n\tby lab.it.uc3m.es (Postfix) with ESMTPS id 4Xw{i}Q2kLmz\n\tfor <0429021@lab.it.uc3m.es>; Sat, 23 Nov 2024 19:56:0{i} +0100 (CET)\n"
        );
    }
    for i in 0..3 {
        let _ = write!(
            extra,
            "ARC-Seal: i={i}; a=rsa-sha256; t=1732388110; cv=none;\n        d=google.com; s=arc-20240605;\n        b=Qm9ndXMgc2lnbmF0dXJlIGZvciBiZW5jaG1hcmtpbmcgb25seSwgbm90IHJlYWwgZGF0YQ==\n"
        );
        let _ = write!(
            extra,
            "ARC-Message-Signature: i={i}; a=rsa-sha256; c=relaxed/relaxed; d=google.com;\n        s=arc-20240605; h=to:subject:message-id:date:from:mime-version;\n        bh=rLSo3v+b1bqsJYKmkm4Zl3PsJTwW6qzTgaQZFouOqUs=;\n        b=ZmFrZSBzaWduYXR1cmUgZm9yIHRoZSBoZWFkZXItaGVhdnkgYmVuY2htYXJr\n"
        );
    }
    extra.push_str("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n        d=alumnos.uc3m.es; s=google; t=1732388110; x=1732992910;\n        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject\n         :date:message-id:reply-to;\n        bh=rLSo3v+b1bqsJYKmkm4Zl3PsJTwW6qzTgaQZFouOqUs=;\n        b=bZC4VDQ+jTUYByXnJIchJnlMEYAntx5IkPM9l46HfNNzZm1KRwT5qZl9kUNT6BF1J\n         TIcc2HVg0WBdrAH57hI+C6o2b/vW5Gc1y6VeKsh6T8019wa4fiv+bzoZjvCYpLYEmi\n");
    for i in 0..30 {
        let _ = writeln!(
            extra,
            "X-Gm-Header-{i}: AOJu0Yx{i}kP3vQ9rT2sLmN8bW5eXcZ1aF7gH4jK6oU0iY-{i}"
        );
    }
    for i in 0..8 {
        let _ = writeln!(
            extra,
            "X-TMASE-Extra-{i}: 10--3.949400-10.000000 No--3.949-5.0-31-10"
        );
    }
    let gmail = std::str::from_utf8(GMAIL).expect("utf-8 seed");
    // Put the extra headers after the seed's first line (From:), keeping the seed's own.
    let (first, rest) = gmail.split_once('\n').expect("has lines");
    crlf(format!("{extra}{first}\n{rest}").as_bytes())
}

fn bench(c: &mut Criterion) {
    // attachment_20mib
    let raw = payload(20 << 20);
    let big = attachment_message(&raw);
    {
        let m = Message::parse(&big);
        assert!(*m.part_by_number("2").expect("part 2").decoded() == raw[..]);
        let (scalar, defects) = correo_mime::decode::base64::decode_scalar(
            m.part_by_number("2").expect("2").raw_body(),
        );
        assert!(scalar == raw && defects.is_empty());
        let mp = mail_parser::MessageParser::default()
            .parse(&big)
            .expect("mail-parser parses");
        assert!(mp.attachment(0).expect("attachment").contents() == &raw[..]);
        let ms = mailparse::parse_mail(&big).expect("mailparse parses");
        assert!(ms.subparts[1].get_body_raw().expect("body") == raw);
    }
    let mut g = c.benchmark_group("attachment_20mib");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.sample_size(10);
    g.bench_function("correo", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&big));
            let att = m
                .attachments()
                .next()
                .map(correo_mime::message::Part::decoded);
            black_box(att.as_deref().map(<[u8]>::len))
        });
    });
    g.bench_function("correo-scalar", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&big));
            let att = m
                .attachments()
                .next()
                .map(|p| correo_mime::decode::base64::decode_scalar(p.raw_body()).0);
            black_box(att.as_deref().map(<[u8]>::len))
        });
    });
    g.bench_function("mail-parser", |b| {
        b.iter(|| {
            let m = mail_parser::MessageParser::default().parse(black_box(&big[..]));
            black_box(m.and_then(|m| m.attachment(0).map(|a| a.contents().len())))
        });
    });
    g.bench_function("mailparse", |b| {
        b.iter(|| {
            let m = mailparse::parse_mail(black_box(&big)).expect("parses");
            black_box(
                m.subparts
                    .get(1)
                    .and_then(|p| p.get_body_raw().ok())
                    .map(|v| v.len()),
            )
        });
    });
    g.finish();
    drop(big);
    drop(raw);

    // typical_5k
    let typical = typical_message();
    {
        let m = Message::parse(&typical);
        let t = m.text_body().expect("text").text();
        let mp = mail_parser::MessageParser::default()
            .parse(&typical)
            .expect("parses");
        assert_eq!(mp.body_text(0).expect("text").trim_end(), t.trim_end());
        let ms = mailparse::parse_mail(&typical).expect("parses");
        assert_eq!(
            ms.subparts[0].get_body().expect("body").trim_end(),
            t.trim_end()
        );
        assert!(t.contains("Línea 23"));
    }
    group3(c, "typical_5k", &typical);

    // header_heavy
    let heavy = header_heavy_message();
    {
        let m = Message::parse(&heavy);
        assert!(m.header().fields.len() > 60, "{}", m.header().fields.len());
        assert_eq!(
            &*m.part_by_number("2").expect("gif").decoded(),
            &include_bytes!("../../crates/correo-mime/tests/data/noot-noot.gif")[..]
        );
    }
    group3(c, "header_heavy", &heavy);
}

/// The three parsers on one message: parse, read Subject and From, obtain the decoded text
/// body (and the first attachment, when there is one).
fn group3(c: &mut Criterion, name: &str, msg: &[u8]) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("correo", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(msg));
            let h = m.header();
            let subject = h.get("Subject").map(|f| f.text().len());
            let from = h.get("From").map(|f| f.text().len());
            let text = m.text_body().map(|p| p.text().len());
            let html = m.html_body().map(|p| p.text().len());
            let att = m.attachments().next().map(|p| p.decoded().len());
            black_box((subject, from, text, html, att))
        });
    });
    g.bench_function("mail-parser", |b| {
        b.iter(|| {
            let m = mail_parser::MessageParser::default()
                .parse(black_box(msg))
                .expect("parses");
            let subject = m.subject().map(str::len);
            let from = m
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::len);
            let text = m.body_text(0).map(|t| t.len());
            let html = m.body_html(0).map(|t| t.len());
            let att = m.attachment(0).map(|a| a.contents().len());
            black_box((subject, from, text, html, att))
        });
    });
    g.bench_function("mailparse", |b| {
        b.iter(|| {
            let m = mailparse::parse_mail(black_box(msg)).expect("parses");
            let subject = m
                .headers
                .iter()
                .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))
                .map(|h| h.get_value().len());
            let from = m
                .headers
                .iter()
                .find(|h| h.get_key_ref().eq_ignore_ascii_case("from"))
                .map(|h| h.get_value().len());
            // Walk to the leaves: text/plain and text/html bodies, the first attachment.
            let mut stack = vec![&m];
            let (mut text, mut html, mut att) = (None, None, None);
            while let Some(p) = stack.pop() {
                if p.subparts.is_empty() {
                    let ty = p.ctype.mimetype.as_str();
                    if p.get_content_disposition().disposition
                        == mailparse::DispositionType::Attachment
                    {
                        att = att.or_else(|| p.get_body_raw().ok().map(|v| v.len()));
                    } else if ty == "text/plain" {
                        text = text.or_else(|| p.get_body().ok().map(|v| v.len()));
                    } else if ty == "text/html" {
                        html = html.or_else(|| p.get_body().ok().map(|v| v.len()));
                    }
                }
                stack.extend(p.subparts.iter().rev());
            }
            black_box((subject, from, text, html, att))
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
