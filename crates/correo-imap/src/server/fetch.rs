//! FETCH response items computed from the message data the application supplies.

use std::borrow::Cow;

use crate::types::{
    BodyData, BodyStructure, Envelope, FetchAttr, FetchItem, Flag, Section, SectionText,
};

/// One message's data, as the application has it, for a FETCH.
#[derive(Debug, Clone, Default)]
pub struct MessageData<'a> {
    /// UID.
    pub uid: u32,
    /// Current flags.
    pub flags: Vec<Flag<'a>>,
    /// Internal date as IMAP writes it: `22-Nov-2026 23:20:45 +0000`.
    pub internal_date: Cow<'a, str>,
    /// RFC822.SIZE (the size of `bytes` when they are given).
    pub size: u64,
    /// The whole message, when the request needs it (sections, ENVELOPE, BODYSTRUCTURE).
    pub bytes: Option<&'a [u8]>,
    /// A precomputed ENVELOPE (else computed from `bytes` with the `mime` feature).
    pub envelope: Option<Envelope<'a>>,
    /// A precomputed BODYSTRUCTURE (else computed from `bytes` with the `mime` feature).
    pub body_structure: Option<BodyStructure<'a>>,
}

/// Whether a FETCH item needs the message bytes.
pub fn needs_bytes(attr: &FetchAttr<'_>) -> bool {
    !matches!(
        attr,
        FetchAttr::Flags | FetchAttr::Uid | FetchAttr::InternalDate | FetchAttr::Rfc822Size
    )
}

/// The header of a message (blank line included) and its text.
pub fn split_header(msg: &[u8]) -> (&[u8], &[u8]) {
    if msg.starts_with(b"\r\n") {
        return msg.split_at(2);
    }
    if msg.starts_with(b"\n") {
        return msg.split_at(1);
    }
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\n', msg.get(i..).unwrap_or_default()) {
        let nl = i + j;
        let next = msg.get(nl + 1..).unwrap_or_default();
        if next.starts_with(b"\r\n") {
            return msg.split_at(nl + 3);
        }
        if next.starts_with(b"\n") {
            return msg.split_at(nl + 2);
        }
        i = nl + 1;
    }
    (msg, &[])
}

/// `HEADER.FIELDS (names)` (`not` false) or `HEADER.FIELDS.NOT` (`not` true) of a header
/// block: the matching fields in message order (continuation lines included), then a blank
/// line, as Dovecot writes them.
pub fn header_fields(header: &[u8], names: &[Cow<'_, [u8]>], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            let name = line
                .iter()
                .position(|&b| b == b':')
                .and_then(|i| line.get(..i))
                .map(<[u8]>::trim_ascii_end);
            keep = name.is_some_and(|n| names.iter().any(|w| w.eq_ignore_ascii_case(n)) != not);
        }
        if keep {
            out.extend_from_slice(line);
            if !line.ends_with(b"\r\n") {
                if line.ends_with(b"\n") {
                    out.pop();
                }
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The bytes of a section of a message, or `None` when it does not exist.
pub fn section_bytes<'m>(msg: &'m [u8], section: &Section<'_>) -> Option<Cow<'m, [u8]>> {
    if !section.part.is_empty() {
        #[cfg(feature = "mime")]
        {
            return crate::mime::part_section(msg, section);
        }
        #[cfg(not(feature = "mime"))]
        {
            return None;
        }
    }
    let (h, t) = split_header(msg);
    Some(match &section.text {
        None => Cow::Borrowed(msg),
        Some(SectionText::Header) => Cow::Borrowed(h),
        Some(SectionText::Text) => Cow::Borrowed(t),
        Some(SectionText::HeaderFields(n)) => Cow::Owned(header_fields(h, n, false)),
        Some(SectionText::HeaderFieldsNot(n)) => Cow::Owned(header_fields(h, n, true)),
        Some(SectionText::Mime) => return None,
    })
}

#[allow(clippy::many_single_char_names)]
fn partial(data: Cow<'_, [u8]>, p: Option<(u32, u32)>) -> Cow<'_, [u8]> {
    let Some((o, n)) = p else { return data };
    let len = data.len();
    let a = usize::try_from(o).unwrap_or(usize::MAX).min(len);
    let b = a
        .saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
        .min(len);
    match data {
        Cow::Borrowed(d) => Cow::Borrowed(d.get(a..b).unwrap_or_default()),
        Cow::Owned(d) => Cow::Owned(d.get(a..b).unwrap_or_default().to_vec()),
    }
}

fn body(d: Option<Cow<'_, [u8]>>) -> BodyData<'_> {
    d.map_or(BodyData::Nil, BodyData::Bytes)
}

/// Computes the response items for one message. Returns them and whether `\Seen` was set
/// implicitly (a non-PEEK body fetch of an unseen message in a read-write mailbox); in
/// that case a `FLAGS` item with `\Seen` is included. `UID` comes first for UID FETCH.
pub fn fetch_items<'m>(
    attrs: &[FetchAttr<'_>],
    data: &'m MessageData<'m>,
    uid_command: bool,
    read_only: bool,
) -> (Vec<FetchItem<'m>>, bool) {
    let mut items = Vec::new();
    let msg = data.bytes;
    if uid_command || attrs.contains(&FetchAttr::Uid) {
        items.push(FetchItem::Uid(data.uid));
    }
    let sets_seen = attrs.iter().any(|a| {
        matches!(
            a,
            FetchAttr::BodySection { peek: false, .. }
                | FetchAttr::Binary { peek: false, .. }
                | FetchAttr::Rfc822
                | FetchAttr::Rfc822Text
        )
    });
    let seen_now = sets_seen && !read_only && !data.flags.contains(&Flag::Seen);
    let flags = || {
        let mut f = data.flags.clone();
        if seen_now {
            f.push(Flag::Seen);
        }
        f
    };
    let mut flags_written = false;
    #[cfg(feature = "mime")]
    let parsed = msg.map(correo_mime::message::Message::parse);
    for a in attrs {
        let item = match a {
            FetchAttr::Uid => continue,
            FetchAttr::Flags => {
                flags_written = true;
                FetchItem::Flags(flags())
            }
            FetchAttr::InternalDate => {
                FetchItem::InternalDate(Cow::Borrowed(data.internal_date.as_bytes()))
            }
            FetchAttr::Rfc822Size => FetchItem::Rfc822Size(data.size),
            FetchAttr::Envelope => {
                let e = match &data.envelope {
                    Some(e) => e.clone(),
                    None => {
                        #[cfg(feature = "mime")]
                        {
                            parsed
                                .as_ref()
                                .map(crate::mime::envelope)
                                .unwrap_or_default()
                        }
                        #[cfg(not(feature = "mime"))]
                        {
                            Envelope::default()
                        }
                    }
                };
                FetchItem::Envelope(Box::new(e))
            }
            FetchAttr::BodyStructure | FetchAttr::Body => {
                let ext = *a == FetchAttr::BodyStructure;
                #[allow(unused_mut)]
                let mut b = data.body_structure.clone();
                #[cfg(feature = "mime")]
                if b.is_none() {
                    b = parsed.as_ref().map(|m| crate::mime::body_structure(m, ext));
                }
                let Some(mut b) = b else { continue };
                if !ext {
                    strip_extensions(&mut b);
                }
                if ext {
                    FetchItem::BodyStructure(Box::new(b))
                } else {
                    FetchItem::Body(Box::new(b))
                }
            }
            FetchAttr::BodySection {
                section,
                partial: p,
                ..
            } => {
                let d = msg.and_then(|m| section_bytes(m, section));
                FetchItem::BodySection {
                    section: section.clone().into_static(),
                    origin: p.map(|(o, _)| o),
                    data: body(d.map(|d| partial(d, *p))),
                }
            }
            FetchAttr::Binary {
                part, partial: p, ..
            } => {
                #[cfg(feature = "mime")]
                let d = msg.and_then(|m| crate::mime::binary_part(m, part));
                #[cfg(not(feature = "mime"))]
                let d: Option<Cow<'_, [u8]>> = None;
                FetchItem::Binary {
                    part: part.clone(),
                    origin: p.map(|(o, _)| o),
                    data: body(d.map(|d| partial(d, *p))),
                }
            }
            FetchAttr::BinarySize(part) => {
                #[cfg(feature = "mime")]
                let d = msg.and_then(|m| crate::mime::binary_part(m, part));
                #[cfg(not(feature = "mime"))]
                let d: Option<Cow<'_, [u8]>> = None;
                FetchItem::BinarySize {
                    part: part.clone(),
                    size: d.map_or(0, |d| d.len() as u64),
                }
            }
            FetchAttr::Rfc822 => FetchItem::Rfc822(body(msg.map(Cow::Borrowed))),
            FetchAttr::Rfc822Header => {
                FetchItem::Rfc822Header(body(msg.map(|m| Cow::Borrowed(split_header(m).0))))
            }
            FetchAttr::Rfc822Text => {
                FetchItem::Rfc822Text(body(msg.map(|m| Cow::Borrowed(split_header(m).1))))
            }
            _ => continue,
        };
        items.push(item);
    }
    if seen_now && !flags_written {
        items.push(FetchItem::Flags(flags()));
    }
    (items, seen_now)
}

/// BODY is BODYSTRUCTURE without extension data.
fn strip_extensions(b: &mut BodyStructure<'_>) {
    match b {
        BodyStructure::Single {
            extension, kind, ..
        } => {
            *extension = None;
            if let crate::types::SinglePartKind::Message { body, .. } = kind {
                strip_extensions(body);
            }
        }
        BodyStructure::Multi {
            parts, extension, ..
        } => {
            *extension = None;
            for p in parts {
                strip_extensions(p);
            }
        }
    }
}
