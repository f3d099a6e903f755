//! The correo-mime bridge (feature `mime`): ENVELOPE and BODYSTRUCTURE computed from
//! [`correo_mime::message::Message`] the way Dovecot writes them, section extraction by
//! part number (`BODY[1.2]`, `BODY[1.2.MIME]`, `BODY[2.HEADER]`...), decoded parts for
//! `BINARY[...]`, and a SEARCH evaluator.
//!
//! ```
//! use correo_imap::mime::{body_structure, envelope};
//! use correo_imap::types::BodyStructure;
//! use correo_mime::message::Message;
//!
//! let raw = b"From: Ana <ana@example.org>\r\nSubject: hola\r\n\r\nHola\r\n";
//! let msg = Message::parse(raw);
//! let env = envelope(&msg);
//! assert_eq!(env.subject.as_deref(), Some(&b"hola"[..]));
//! match body_structure(&msg, true) {
//!     BodyStructure::Single { media_type, subtype, .. } => {
//!         assert_eq!((&media_type[..], &subtype[..]), (&b"text"[..], &b"plain"[..]));
//!     }
//!     BodyStructure::Multi { .. } => unreachable!(),
//! }
//! ```

pub mod search;
pub mod sort;

use std::borrow::Cow;

use correo_mime::header::HeaderBlock;
use correo_mime::header::{Address as MAddress, Mailbox as MMailbox};
use correo_mime::message::{Message, Part, PartKind};

use crate::server::{header_fields, split_header};
use crate::types::{
    Address, BodyFields, BodyStructure, CommonExtension, Disposition, Envelope, MultiPartExtension,
    NStr, Params, Section, SectionText, SinglePartExtension, SinglePartKind,
};

fn raw_field(h: &HeaderBlock<'_>, name: &str) -> NStr<'static> {
    h.get(name).map(|f| {
        let u = f.unfolded();
        Cow::Owned(u.trim_ascii().to_vec())
    })
}

fn mailbox(m: &MMailbox<'_>) -> Address<'static> {
    Address {
        name: m.name.as_ref().map(|n| Cow::Owned(n.as_bytes().to_vec())),
        adl: None,
        mailbox: Some(Cow::Owned(m.local.as_bytes().to_vec())),
        host: Some(Cow::Owned(m.domain.as_bytes().to_vec())),
    }
}

/// The display names of an address list as written (RFC 2047 words left encoded, quoted
/// strings unquoted), one per top-level element, as IMAP's ENVELOPE carries them
/// (RFC 3501 section 7.4.2) and Dovecot sends them. `None` where an element has no
/// `<...>` address or the list has groups.
fn raw_phrases(value: &[u8]) -> Option<Vec<Option<Vec<u8>>>> {
    let mut out = Vec::new();
    let (mut depth_paren, mut in_quote, mut in_angle, mut escaped) = (0u32, false, false, false);
    let mut start = 0usize;
    let mut angle_at = None;
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if in_quote || depth_paren > 0 => escaped = true,
            b'"' if depth_paren == 0 && !in_angle => in_quote = !in_quote,
            b'(' if !in_quote => depth_paren += 1,
            b')' if !in_quote => depth_paren = depth_paren.saturating_sub(1),
            b'<' if !in_quote && depth_paren == 0 => {
                in_angle = true;
                angle_at.get_or_insert(i);
            }
            b'>' if !in_quote && depth_paren == 0 => in_angle = false,
            b':' | b';' if !in_quote && depth_paren == 0 && !in_angle => return None,
            b',' if !in_quote && depth_paren == 0 && !in_angle => {
                out.push(phrase(
                    value.get(start..angle_at.unwrap_or(start))?,
                    angle_at.is_some(),
                ));
                start = i + 1;
                angle_at = None;
            }
            _ => {}
        }
    }
    let end = angle_at.unwrap_or(start);
    if value.get(start..)?.iter().any(|b| !b.is_ascii_whitespace()) {
        out.push(phrase(value.get(start..end)?, angle_at.is_some()));
    }
    Some(out)
}

fn phrase(raw: &[u8], has_angle: bool) -> Option<Vec<u8>> {
    if !has_angle {
        return None;
    }
    let t = raw.trim_ascii();
    if t.is_empty() {
        return None;
    }
    if t.len() >= 2 && t.first() == Some(&b'"') && t.last() == Some(&b'"') {
        let inner = t.get(1..t.len() - 1)?;
        let mut v = Vec::with_capacity(inner.len());
        let mut esc = false;
        for &b in inner {
            if !esc && b == b'\\' {
                esc = true;
                continue;
            }
            esc = false;
            v.push(b);
        }
        return Some(v);
    }
    Some(t.to_vec())
}

fn addresses(h: &HeaderBlock<'_>, name: &str) -> Option<Vec<Address<'static>>> {
    let list = h.addresses(name)?;
    let raw = h
        .get(name)
        .and_then(|f| raw_phrases(&f.unfolded()))
        .filter(|r| r.len() == list.addresses.len());
    let mut v = Vec::new();
    for (i, a) in list.addresses.iter().enumerate() {
        match a {
            MAddress::Mailbox(m) => {
                let mut addr = mailbox(m);
                // Prefer the name as written (encoded words kept), as RFC 3501 wants.
                if let Some(Some(Some(p))) = raw.as_ref().map(|r| r.get(i)) {
                    if m.name.is_some() {
                        addr.name = Some(Cow::Owned(p.clone()));
                    }
                }
                v.push(addr);
            }
            MAddress::Group(g) => {
                v.push(Address {
                    name: None,
                    adl: None,
                    mailbox: Some(Cow::Owned(g.name.as_bytes().to_vec())),
                    host: None,
                });
                v.extend(g.members.iter().map(mailbox));
                v.push(Address::default());
            }
        }
    }
    (!v.is_empty()).then_some(v)
}

/// The ENVELOPE of a header block: date, subject, in-reply-to and message-id raw
/// (unfolded, as Dovecot sends them), address lists parsed; `Sender` and `Reply-To`
/// default to `From`.
pub fn envelope_of(h: &HeaderBlock<'_>) -> Envelope<'static> {
    let from = addresses(h, "From");
    Envelope {
        date: raw_field(h, "Date"),
        subject: raw_field(h, "Subject"),
        sender: addresses(h, "Sender").or_else(|| from.clone()),
        reply_to: addresses(h, "Reply-To").or_else(|| from.clone()),
        from,
        to: addresses(h, "To"),
        cc: addresses(h, "Cc"),
        bcc: addresses(h, "Bcc"),
        in_reply_to: raw_field(h, "In-Reply-To"),
        message_id: raw_field(h, "Message-ID"),
    }
}

/// The ENVELOPE of a message.
pub fn envelope(m: &Message<'_>) -> Envelope<'static> {
    envelope_of(m.header())
}

fn params(p: &correo_mime::header::Params<'_>) -> Params<'static> {
    let v: Vec<_> = p
        .iter()
        .map(|p| {
            (
                Cow::Owned(p.name.as_bytes().to_vec()),
                Cow::Owned(p.raw.to_vec()),
            )
        })
        .collect();
    (!v.is_empty()).then_some(v)
}

fn common(part: &Part<'_>) -> CommonExtension<'static> {
    let disposition = Some(part.content_disposition().map(|d| Disposition {
        kind: Cow::Owned(d.kind().as_str().as_bytes().to_vec()),
        params: params(d.params()),
    }));
    let h = part.header();
    CommonExtension {
        disposition,
        language: Some(match raw_field(h, "Content-Language") {
            None => crate::types::Language::Nil,
            Some(l) => crate::types::Language::Single(l),
        }),
        location: Some(raw_field(h, "Content-Location")),
        extra: Vec::new(),
    }
}

fn structure(m: &Message<'_>, part: &Part<'_>, ext: bool, depth: usize) -> BodyStructure<'static> {
    let ct = part.content_type();
    let subtype = Cow::Owned(ct.subtype().as_bytes().to_vec());
    if part.kind() == PartKind::Multipart && depth < 64 {
        let mut parts: Vec<_> = m
            .children(part)
            .map(|c| structure(m, c, ext, depth + 1))
            .collect();
        if parts.is_empty() {
            // `1*body`: a multipart whose boundary never occurs gets Dovecot's empty part.
            parts.push(BodyStructure::Single {
                media_type: Cow::Borrowed(b"text"),
                subtype: Cow::Borrowed(b"plain"),
                fields: BodyFields {
                    params: Some(vec![(
                        Cow::Borrowed(&b"charset"[..]),
                        Cow::Borrowed(&b"us-ascii"[..]),
                    )]),
                    id: None,
                    description: None,
                    encoding: Some(Cow::Borrowed(b"7bit")),
                    size: 0,
                },
                kind: SinglePartKind::Text { lines: 0 },
                extension: None,
            });
        }
        return BodyStructure::Multi {
            parts,
            subtype,
            extension: ext.then(|| MultiPartExtension {
                params: params(ct.params()),
                common: common(part),
            }),
        };
    }
    let h = part.header();
    let mut p = params(ct.params());
    if !part.has_content_type() {
        p = Some(vec![(
            Cow::Borrowed(&b"charset"[..]),
            Cow::Borrowed(&b"us-ascii"[..]),
        )]);
    }
    let encoding = match part.encoding() {
        correo_mime::decode::TransferEncoding::SevenBit => "7bit".to_owned(),
        correo_mime::decode::TransferEncoding::EightBit => "8bit".to_owned(),
        correo_mime::decode::TransferEncoding::Binary => "binary".to_owned(),
        correo_mime::decode::TransferEncoding::QuotedPrintable => "quoted-printable".to_owned(),
        correo_mime::decode::TransferEncoding::Base64 => "base64".to_owned(),
        correo_mime::decode::TransferEncoding::UuEncode => "x-uuencode".to_owned(),
        correo_mime::decode::TransferEncoding::Other(s) => s.clone(),
    };
    let encoding = if part.has_encoding() {
        raw_field(h, "Content-Transfer-Encoding").unwrap_or(Cow::Owned(encoding.into_bytes()))
    } else {
        Cow::Owned(encoding.into_bytes())
    };
    let fields = BodyFields {
        params: p,
        id: raw_field(h, "Content-ID"),
        description: raw_field(h, "Content-Description"),
        encoding: Some(encoding),
        size: part.size() as u64,
    };
    let kind = if part.kind() == PartKind::Message && depth < 64 {
        match m.children(part).next() {
            Some(inner) => SinglePartKind::Message {
                envelope: Box::new(envelope_of(inner.header())),
                body: Box::new(structure(m, inner, ext, depth + 1)),
                lines: part.lines(),
            },
            None => SinglePartKind::Basic,
        }
    } else if ct.is_text() {
        SinglePartKind::Text {
            lines: part.lines(),
        }
    } else {
        SinglePartKind::Basic
    };
    BodyStructure::Single {
        media_type: Cow::Owned(ct.mime_type().as_bytes().to_vec()),
        subtype,
        fields,
        kind,
        extension: ext.then(|| SinglePartExtension {
            md5: raw_field(h, "Content-MD5"),
            common: common(part),
        }),
    }
}

/// The BODYSTRUCTURE (`extensions` true) or BODY of a message.
pub fn body_structure(m: &Message<'_>, extensions: bool) -> BodyStructure<'static> {
    structure(m, m.root(), extensions, 0)
}

fn part_number(part: &[u32]) -> String {
    part.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn find_part<'p, 'a>(m: &'p Message<'a>, part: &[u32]) -> Option<&'p Part<'a>> {
    // `1` of a non-multipart message is its body.
    if part == [1] && m.root().kind() != PartKind::Multipart {
        return Some(m.root());
    }
    m.part_by_number(&part_number(part))
}

/// The bytes of a section with part numbers (`BODY[1.2]`, `BODY[1.2.MIME]`,
/// `BODY[2.HEADER]` of a `message/rfc822` part...). `None` when the part does not exist.
#[allow(clippy::many_single_char_names)]
pub fn part_section<'m>(msg: &'m [u8], section: &Section<'_>) -> Option<Cow<'m, [u8]>> {
    let m = Message::parse(msg);
    let p = find_part(&m, &section.part)?;
    let body = msg.get(p.body_range())?;
    Some(match &section.text {
        None => Cow::Borrowed(body),
        Some(SectionText::Mime) => Cow::Borrowed(msg.get(p.header_range())?),
        Some(t) => {
            if p.kind() != PartKind::Message {
                return None;
            }
            let (h, text) = split_header(body);
            match t {
                SectionText::Header => Cow::Borrowed(h),
                SectionText::Text => Cow::Borrowed(text),
                SectionText::HeaderFields(n) => Cow::Owned(header_fields(h, n, false)),
                SectionText::HeaderFieldsNot(n) => Cow::Owned(header_fields(h, n, true)),
                SectionText::Mime => return None,
            }
        }
    })
}

/// The decoded content of a part (`BINARY[part]`); the whole message's decoded body for
/// an empty part list.
pub fn binary_part<'m>(msg: &'m [u8], part: &[u32]) -> Option<Cow<'m, [u8]>> {
    let m = Message::parse(msg);
    let p = if part.is_empty() {
        m.root()
    } else {
        find_part(&m, part)?
    };
    if p.kind() == PartKind::Multipart {
        return None;
    }
    Some(Cow::Owned(p.decoded().into_owned()))
}
