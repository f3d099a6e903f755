//! Header parsing on a header-heavy message (the seed's Gmail message with the `X-TM*`
//! fields): correo's raw block, correo's block plus the typed fields a mail client reads,
//! and mail-parser's header parse (which always builds typed values), in one run.
//!
//! `cargo bench -p correo-benches --bench mime_header -- --warm-up-time 1 --measurement-time 3`

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use correo_mime::header::{
    AddressList, ContentType, DateTime, find_block_end, parse_block, parse_msg_id,
};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

const MSG: &[u8] = include_bytes!("../../crates/correo-mime/tests/data/gmail-noot-noot.eml");

fn typed(hdr: &[u8]) -> usize {
    let block = parse_block(hdr);
    let mut n = 0usize;
    for f in &block.fields {
        if f.name_eq("from") || f.name_eq("to") || f.name_eq("cc") {
            n += AddressList::parse(f.value).addresses.len();
        } else if f.name_eq("date") {
            n += DateTime::parse(f.value).map_or(0, |d| usize::from(d.day));
        } else if f.name_eq("content-type") {
            n += ContentType::parse(f.value).params().len();
        } else if f.name_eq("message-id") {
            n += parse_msg_id(f.value).map_or(0, |s| s.len());
        } else {
            n += f.text().len();
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let end = find_block_end(MSG).unwrap_or(MSG.len());
    let hdr = &MSG[..end];
    let mut g = c.benchmark_group("header_heavy");
    g.bench_function("correo_block", |b| {
        b.iter(|| parse_block(black_box(hdr)).fields.len());
    });
    g.bench_function("correo_typed", |b| b.iter(|| typed(black_box(hdr))));
    g.bench_function("mail-parser", |b| {
        b.iter(|| {
            mail_parser::MessageParser::default()
                .parse_headers(black_box(hdr))
                .map_or(0, |m| m.headers().len())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
