//! Fuzz the line framer: the input picks the configuration and the chunking; the lines (and
//! errors) must be the same whatever the chunking, and the buffer stays bounded.
#![no_main]

use correo_wire::line::{BareLf, LineConfig, LineEnding, LineError, LineFramer};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq, Eq)]
enum Item {
    Line(Vec<u8>, LineEnding, u64),
    Err(LineError),
}

fn pull(framer: &mut LineFramer, chunk: &[u8], out: &mut Vec<Item>) {
    let mut feed = framer.feed(chunk);
    while let Some(item) = feed.next_line() {
        out.push(match item {
            Ok(line) => Item::Line(line.content().to_vec(), line.ending(), line.offset()),
            Err(e) => Item::Err(e),
        });
    }
}

fuzz_target!(|data: &[u8]| {
    let [cfg, nsizes, rest @ ..] = data else {
        return;
    };
    let nsizes = usize::from(*nsizes % 8);
    let Some((sizes, input)) = rest.split_at_checked(nsizes) else {
        return;
    };
    let policy = [BareLf::Reject, BareLf::Normalize, BareLf::Accept][usize::from(cfg >> 6) % 3];
    let config = LineConfig::with_max_line_len(usize::from(cfg & 0x3f)).bare_lf(policy);

    // Whole input.
    let mut whole = Vec::new();
    let mut framer = LineFramer::new(config);
    pull(&mut framer, input, &mut whole);
    let whole_rest = framer.buffered().to_vec();
    assert!(whole_rest.len() <= config.max_line_len + 1);

    // Chunked as the input says.
    let mut chunked = Vec::new();
    let mut framer = LineFramer::new(config);
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .map_or(rest.len(), |&s| usize::from(s).max(1));
        let (a, b) = rest.split_at(n.min(rest.len()));
        pull(&mut framer, a, &mut chunked);
        assert!(framer.buffered_len() <= config.max_line_len + 1);
        rest = b;
        i += 1;
    }
    assert_eq!(whole, chunked);
    assert_eq!(whole_rest, framer.buffered());
    assert_eq!(
        framer.offset() + framer.buffered_len() as u64,
        input.len() as u64
    );

    // One line per feed: stop after each line and resume from the kept bytes.
    let config = config.max_buffered(input.len());
    let mut framer = LineFramer::new(config);
    let mut stepped = Vec::new();
    {
        let mut feed = framer.feed(input);
        if let Some(item) = feed.next_line() {
            stepped.push(match item {
                Ok(line) => Item::Line(line.content().to_vec(), line.ending(), line.offset()),
                Err(e) => Item::Err(e),
            });
        }
    }
    while let Some(item) = framer.next_line() {
        stepped.push(match item {
            Ok(line) => Item::Line(line.content().to_vec(), line.ending(), line.offset()),
            Err(e) => Item::Err(e),
        });
    }
    assert_eq!(whole, stepped);
    assert_eq!(whole_rest, framer.buffered());

    // Stop at arbitrary points (lines pulled per feed and raw bytes taken, driven by the
    // sizes), with a small buffer limit: no panic, bounded buffer, monotonic offsets.
    let config = config.max_buffered(usize::from(cfg & 0x1f));
    let cap = config.max_buffered.max(config.max_line_len + 1);
    let mut framer = LineFramer::new(config);
    let mut last_offset = 0;
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let op = sizes.get(i % sizes.len().max(1)).copied().unwrap_or(0);
        let n = usize::from(op % 16).max(1).min(rest.len());
        let (a, b) = rest.split_at(n);
        let mut feed = framer.feed(a);
        for _ in 0..(op >> 6) {
            match feed.next_line() {
                Some(Ok(line)) => assert!(line.content().len() <= config.max_line_len),
                Some(Err(_)) => {}
                None => break,
            }
        }
        if op & 0x20 != 0 {
            let take = feed.peek_raw().len().min(usize::from(op & 7));
            assert_eq!(feed.consume_raw(take), take);
        }
        drop(feed);
        assert!(framer.buffered_len() <= cap);
        assert!(framer.offset() >= last_offset);
        last_offset = framer.offset();
        rest = b;
        i += 1;
    }
    while framer.next_line().is_some() {}
    assert!(framer.offset() <= input.len() as u64);
});
