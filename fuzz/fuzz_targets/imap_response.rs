#![no_main]
//! Response codec, three ways:
//! - decode -> encode -> decode: the value comes back equal (value -> encode -> decode),
//!   and encoding it again gives the same bytes (raw extension data keeps what leniency let
//!   in, so the second decode is lenient too);
//! - the input framed as a stream of responses, whole and in input-driven chunks: the same
//!   frames and the same parses (streamed literals through `body_target`);
//! - the input as a message (correo-imap's `mime` feature): BODYSTRUCTURE, BODY and ENVELOPE computed by
//!   correo-mime, encoded in a FETCH response and decoded strictly, equal.

use correo_imap::encode::{EncodeOptions, encode_response, join};
use correo_imap::frame::{Frame, RawMessage, Side};
use correo_imap::parse::{body_target, parse_greeting, parse_response};
use std::borrow::Cow;

use correo_imap::types::{
    BodyFields, BodyStructure, FetchItem, Response, SinglePartKind, Untagged,
};
use correo_imap::{Leniency, Limits};
use libfuzzer_sys::fuzz_target;

#[path = "common/imap_framed.rs"]
mod common;

fn limits() -> Limits {
    Limits {
        max_depth: 64,
        max_items: 10_000,
        max_line_len: 1 << 16,
        ..Limits::default()
    }
}

/// What the encoder writes for a multipart without parts: Dovecot's empty text part.
fn empty_part() -> BodyStructure<'static> {
    BodyStructure::Single {
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
    }
}

fn fill_empty(b: &mut BodyStructure<'_>) {
    match b {
        BodyStructure::Multi { parts, .. } if parts.is_empty() => parts.push(empty_part()),
        BodyStructure::Multi { parts, .. } => parts.iter_mut().for_each(fill_empty),
        BodyStructure::Single {
            kind: SinglePartKind::Message { body, .. },
            ..
        } => fill_empty(body),
        BodyStructure::Single { .. } => {}
    }
}

/// The value as it comes back from the wire: empty multiparts get their empty part.
fn normalised(mut r: Response<'static>) -> Response<'static> {
    if let Response::Untagged(Untagged::Fetch { items, .. }) = &mut r {
        for i in items {
            if let FetchItem::BodyStructure(b) | FetchItem::Body(b) = i {
                fill_empty(b);
            }
        }
    }
    r
}

fn framed(input: &[&[u8]]) -> Vec<String> {
    let (len, lim) = (Leniency::default(), limits());
    common::framed(Side::Client, lim, input, |f| match f {
        Frame::Message(m) => Some(format!("{:?}", parse_response(*m, &len, &lim))),
        Frame::BodyBegin(b) => Some(format!("{:?}", body_target(b, &len, &lim))),
        _ => None,
    })
}

fn mime_round_trip(data: &[u8]) {
    use correo_imap::mime::{body_structure, envelope};
    let msg = correo_mime::message::Message::parse(data);
    let r = Response::Untagged(Untagged::Fetch {
        seq: 1,
        items: vec![
            FetchItem::BodyStructure(Box::new(body_structure(&msg, true))),
            FetchItem::Body(Box::new(body_structure(&msg, false))),
            FetchItem::Envelope(Box::new(envelope(&msg))),
        ],
    });
    let wire = join(&encode_response(&r, &EncodeOptions::default()));
    let back = parse_response(RawMessage::new(&wire), &Leniency::strict(), &limits());
    match back {
        Ok(v) => assert_eq!(v, normalised(r), "{:?}", String::from_utf8_lossy(&wire)),
        // Only a structure deeper than the limit may be refused.
        Err(e) => assert_eq!(
            e.kind,
            correo_imap::ParseErrorKind::TooDeep,
            "{e} in {:?}",
            String::from_utf8_lossy(&wire)
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let lim = limits();
    let _ = parse_greeting(RawMessage::new(data), &Leniency::default(), &lim);
    if let Ok(v1) = parse_response(RawMessage::new(data), &Leniency::default(), &lim) {
        let opts = EncodeOptions::default();
        let w1 = join(&encode_response(&v1, &opts));
        let v2 = match parse_response(RawMessage::new(&w1), &Leniency::default(), &lim) {
            Ok(v) => v,
            Err(e) => panic!(
                "re-parse of {:?} failed: {e}\nvalue {v1:?}",
                String::from_utf8_lossy(&w1)
            ),
        };
        assert_eq!(
            v2.clone().into_static(),
            normalised(v1.clone().into_static()),
            "value changed through {:?}",
            String::from_utf8_lossy(&w1)
        );
        let w2 = join(&encode_response(&v2, &opts));
        assert_eq!(w1, w2, "encoding not stable");
        assert_eq!(v2.clone().into_static(), v2);
    }
    // Framing and parsing whatever the chunking.
    common::same_in_chunks(data, framed);
    mime_round_trip(data);
});
