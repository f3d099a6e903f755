//! Fuzz the push parser with fuzz-driven chunking: it must describe the message exactly as
//! the tree parser does.
#![no_main]

use correo_mime::message::{Limits, Message};
use correo_mime::push::{PushLimits, describe_push, describe_tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [cfg, nsizes, rest @ ..] = data else {
        return;
    };
    let nsizes = usize::from(*nsizes % 8);
    let Some((sizes, input)) = rest.split_at_checked(nsizes) else {
        return;
    };
    let limits = if cfg & 1 == 1 {
        PushLimits {
            structure: Limits {
                max_depth: usize::from(cfg >> 5),
                max_parts: usize::from(cfg >> 3) + 1,
                max_header_size: usize::from(*cfg) + 1,
            },
            max_chunk: usize::from(cfg >> 4) + 1,
        }
    } else {
        PushLimits::default()
    };
    let mut chunks = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .map_or(rest.len(), |&s| usize::from(s) + 1);
        let (a, b) = rest.split_at(n.min(rest.len()));
        chunks.push(a);
        rest = b;
        i += 1;
    }
    let tree = describe_tree(&Message::parse_with_limits(input, limits.structure));
    let push = describe_push(chunks, limits);
    assert_eq!(tree, push);
});
