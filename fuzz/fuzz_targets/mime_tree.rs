//! Fuzz the tree parser: parse anything, then call every accessor on every part. Nothing
//! may panic, and the offsets must describe the input.
#![no_main]

use correo_mime::message::{Limits, Message, PartKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = match data.first() {
        Some(b) if b & 1 == 1 => Limits {
            max_depth: usize::from(b >> 4),
            max_parts: usize::from(b >> 2) + 1,
            max_header_size: usize::from(*b) * 4,
        },
        _ => Limits::default(),
    };
    let msg = Message::parse_with_limits(data, limits);
    assert!(!msg.parts().is_empty());
    for p in msg.walk() {
        let h = p.header_range();
        let b = p.body_range();
        assert!(h.start <= h.end && h.end <= b.start && b.end <= data.len());
        assert_eq!(p.raw_body(), &data[b.clone()]);
        let _ = p.header().fields.iter().map(|f| f.text()).count();
        let _ = p.content_type().essence();
        let _ = p.content_type().charset();
        let _ = p.filename();
        let _ = p.disposition();
        let _ = p.is_attachment();
        let _ = p.lines();
        let _ = p.defects();
        if p.kind() == PartKind::Leaf {
            let (d, _) = p.decoded_with_defects();
            let mut v = Vec::new();
            let _ = p.decode_into(&mut v);
            assert_eq!(&*d, &v[..]);
            let _ = p.text();
        }
        for c in msg.children(p) {
            assert_eq!(c.parent(), Some(p.index()));
        }
        assert!(msg.part_by_number(&p.number().to_string()).is_some());
        if let (Some(pre), Some(epi)) = (p.preamble(), p.epilogue()) {
            assert!(pre.end <= epi.start);
        }
    }
    let _ = msg.attachments().count();
    let _ = msg.text_body();
    let _ = msg.html_body();
});
