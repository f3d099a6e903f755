//! Line framer: split invariance against a simple reference, limits, resynchronisation,
//! bare-LF policies, raw mode and discarding.

use correo_wire::line::{BareLf, LineConfig, LineEnding, LineError, LineFramer};
use proptest::prelude::*;

/// What the framer yields, owned, for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Line(Vec<u8>, LineEnding, u64),
    Err(LineError),
}

/// The reference: the whole input at once, the obvious way.
fn reference(config: LineConfig, input: &[u8]) -> (Vec<Item>, Vec<u8>) {
    let mut out = Vec::new();
    let mut start = 0usize;
    while let Some(rel) = input[start..].iter().position(|&b| b == b'\n') {
        let lf = start + rel;
        let raw = &input[start..=lf];
        let crlf = raw.len() >= 2 && raw[raw.len() - 2] == b'\r';
        let content = &raw[..raw.len() - if crlf { 2 } else { 1 }];
        let offset = start as u64;
        if content.len() > config.max_line_len {
            out.push(Item::Err(LineError::TooLong {
                offset,
                len: content.len() as u64,
                max: config.max_line_len,
            }));
        } else if crlf {
            out.push(Item::Line(content.to_vec(), LineEnding::CrLf, offset));
        } else if config.bare_lf == BareLf::Reject {
            out.push(Item::Err(LineError::BareLf {
                offset: lf as u64,
                line_offset: offset,
            }));
        } else {
            out.push(Item::Line(content.to_vec(), LineEnding::Lf, offset));
        }
        start = lf + 1;
    }
    let tail = &input[start..];
    let buffered = if tail.len() > config.max_line_len + 1 {
        Vec::new()
    } else {
        tail.to_vec()
    };
    (out, buffered)
}

/// Feeds `chunks` one after the other, pulling every line; checks the buffer bound.
fn run(config: LineConfig, chunks: &[&[u8]]) -> (Vec<Item>, Vec<u8>) {
    let mut framer = LineFramer::new(config);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut feed = framer.feed(chunk);
        while let Some(item) = feed.next_line() {
            out.push(match item {
                Ok(line) => {
                    assert_eq!(line.raw().len(), line.content().len() + line.ending().len());
                    Item::Line(line.content().to_vec(), line.ending(), line.offset())
                }
                Err(e) => Item::Err(e),
            });
        }
        drop(feed);
        assert!(
            framer.buffered_len() <= config.max_line_len + 1,
            "buffer {} over bound",
            framer.buffered_len()
        );
    }
    (out, framer.buffered().to_vec())
}

fn split_at_sizes<'a>(input: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            sizes[i % sizes.len()].clamp(1, rest.len())
        };
        let (a, b) = rest.split_at(n);
        chunks.push(a);
        rest = b;
        i += 1;
    }
    chunks
}

fn check_all_splits(config: LineConfig, input: &[u8]) {
    let expected = reference(config, input);
    assert_eq!(run(config, &[input]), expected, "whole");
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(config, &bytes), expected, "byte by byte");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(run(config, &[a, b]), expected, "split at {i}");
    }
}

const POLICIES: [BareLf; 3] = [BareLf::Reject, BareLf::Normalize, BareLf::Accept];

#[test]
fn vectors_every_split() {
    let vectors: &[&[u8]] = &[
        b"",
        b"\r\n",
        b"EHLO a\r\nMAIL FROM:<a@b>\r\n",
        b"one\ntwo\r\nthree\r\r\n\n",
        b"a\r\rb\r\n\rc\n\r",
        b"12345678\r\n123456789\r\n1234567890\r\nabc\r\n",
        b"123456789\n12345678901234567890\r\nok\r\n0123456789012",
        b"exact8!!\r\n8!!exact\n",
        b"\r\r\r\r\r\r\r\r\r\r\r\r\n",
    ];
    for policy in POLICIES {
        for max in [0, 1, 8, 9, 100] {
            let config = LineConfig::with_max_line_len(max).bare_lf(policy);
            for v in vectors {
                check_all_splits(config, v);
            }
        }
    }
}

#[test]
fn over_long_line_resyncs_without_buffering() {
    let config = LineConfig::with_max_line_len(10);
    let mut framer = LineFramer::new(config);
    let mut items = Vec::new();
    // 1 MiB of garbage without a line end, in 4 KiB pieces: never buffered.
    let garbage = vec![b'x'; 4096];
    for _ in 0..256 {
        let mut feed = framer.feed(&garbage);
        assert!(feed.next_line().is_none());
        drop(feed);
        assert_eq!(framer.buffered_len(), 0);
        assert!(framer.is_skipping());
    }
    let mut feed = framer.feed(b"tail\r\nNOOP\r\n");
    while let Some(item) = feed.next_line() {
        items.push(item.map(|l| l.content().to_vec()));
    }
    drop(feed);
    assert_eq!(
        items,
        vec![
            Err(LineError::TooLong {
                offset: 0,
                len: 256 * 4096 + 4,
                max: 10
            }),
            Ok(b"NOOP".to_vec())
        ]
    );
    assert!(!framer.is_skipping());
}

#[test]
fn bare_lf_policies() {
    let input = b"A\nB\r\n";
    let (reject, _) = run(LineConfig::default(), &[input]);
    assert_eq!(
        reject,
        vec![
            Item::Err(LineError::BareLf {
                offset: 1,
                line_offset: 0
            }),
            Item::Line(b"B".to_vec(), LineEnding::CrLf, 2)
        ]
    );
    for policy in [BareLf::Normalize, BareLf::Accept] {
        let (lines, _) = run(LineConfig::default().bare_lf(policy), &[input]);
        assert_eq!(
            lines,
            vec![
                Item::Line(b"A".to_vec(), LineEnding::Lf, 0),
                Item::Line(b"B".to_vec(), LineEnding::CrLf, 2)
            ]
        );
    }
}

#[test]
fn cr_at_chunk_end_then_lf() {
    let (lines, rest) = run(LineConfig::default(), &[b"QUIT\r", b"\n"]);
    assert_eq!(
        lines,
        vec![Item::Line(b"QUIT".to_vec(), LineEnding::CrLf, 0)]
    );
    assert!(rest.is_empty());
}

#[test]
fn lines_inside_the_chunk_are_borrowed() {
    let mut framer = LineFramer::default();
    let chunk = b"A\r\nB\r\nC".to_vec();
    let range = chunk.as_ptr_range();
    let mut feed = framer.feed(&chunk);
    for _ in 0..2 {
        let line = feed.next_line().unwrap().unwrap();
        assert!(range.contains(&line.content().as_ptr()), "line was copied");
    }
    assert!(feed.next_line().is_none());
    drop(feed);
    assert_eq!(framer.buffered(), b"C");
}

#[test]
fn stopping_mid_chunk_keeps_the_rest() {
    let mut framer = LineFramer::default();
    let mut feed = framer.feed(b"RCPT TO:<a@b>\r\nDATA\r\nQU");
    assert_eq!(
        feed.next_line().unwrap().unwrap().content(),
        b"RCPT TO:<a@b>"
    );
    drop(feed); // the application must decide on the recipient first
    assert_eq!(framer.buffered(), b"DATA\r\nQU");
    assert_eq!(framer.next_line().unwrap().unwrap().content(), b"DATA");
    assert!(framer.next_line().is_none());
    let mut feed = framer.feed(b"IT\r\n");
    assert_eq!(feed.next_line().unwrap().unwrap().content(), b"QUIT");
    assert!(feed.next_line().is_none());
}

#[test]
fn stash_over_limit_reports_buffer_full() {
    let config = LineConfig::with_max_line_len(10).max_buffered(16);
    let mut framer = LineFramer::new(config);
    let input = b"A\r\n0123456789\r\n0123456789\r\n";
    let mut feed = framer.feed(input);
    assert_eq!(feed.next_line().unwrap().unwrap().content(), b"A");
    drop(feed);
    assert_eq!(framer.buffered_len(), 0);
    assert_eq!(
        framer.next_line(),
        Some(Err(LineError::BufferFull {
            offset: 3,
            dropped: 24,
            max: 16
        }))
    );
    assert!(framer.next_line().is_none());
    let mut feed = framer.feed(b"NOOP\r\n");
    assert_eq!(feed.next_line().unwrap().unwrap().offset(), 27);
}

/// IMAP literal: `{6}` then 5 raw bytes, then lines again; every split.
#[test]
fn raw_mode_for_literals() {
    let input = b"A1 APPEND box {6}\r\nhe\r\nlo\r\nA2 NOOP\r\n";
    for i in 0..=input.len() {
        for j in i..=input.len() {
            let chunks = [&input[..i], &input[i..j], &input[j..]];
            let mut framer = LineFramer::default();
            let mut lines = Vec::new();
            let mut literal = Vec::new();
            let mut want: usize = 0;
            for chunk in chunks {
                let mut feed = framer.feed(chunk);
                loop {
                    if want > 0 {
                        let raw = feed.peek_raw();
                        if raw.is_empty() {
                            break;
                        }
                        let n = want.min(raw.len());
                        literal.extend_from_slice(&raw[..n]);
                        assert_eq!(feed.consume_raw(n), n);
                        want -= n;
                        continue;
                    }
                    let Some(line) = feed.next_line() else { break };
                    let line = line.unwrap().content().to_vec();
                    if line.ends_with(b"{6}") {
                        want = 6;
                    }
                    lines.push(line);
                }
            }
            assert_eq!(literal, b"he\r\nlo", "splits {i} {j}");
            assert_eq!(
                lines,
                vec![
                    b"A1 APPEND box {6}".to_vec(),
                    Vec::new(),
                    b"A2 NOOP".to_vec()
                ],
                "splits {i} {j}"
            );
            assert_eq!(framer.offset(), input.len() as u64);
        }
    }
}

/// STARTTLS: bytes pipelined after the command are never interpreted (CVE-2011-0411).
#[test]
fn starttls_discards_pipelined_bytes() {
    let input = b"STARTTLS\r\nRSET\r\nMAIL FROM:<x@y>\r\nQU";
    for i in 0..=input.len() {
        let mut framer = LineFramer::default();
        let mut dropped = 0;
        let mut upgraded = false;
        for chunk in [&input[..i], &input[i..]] {
            let mut feed = framer.feed(chunk);
            if upgraded {
                dropped += feed.discard_remaining();
                continue;
            }
            while let Some(line) = feed.next_line() {
                if line.unwrap().content() == b"STARTTLS" {
                    upgraded = true;
                    dropped += feed.discard_remaining();
                    break;
                }
            }
        }
        assert!(upgraded);
        assert_eq!(dropped, input.len() - 10, "split {i}");
        assert_eq!(framer.buffered_len(), 0);
        assert!(framer.next_line().is_none());
        let mut feed = framer.feed(b"EHLO tls\r\n");
        assert_eq!(feed.next_line().unwrap().unwrap().content(), b"EHLO tls");
    }
}

#[test]
fn take_buffered_hands_over_partial_bytes() {
    let mut framer = LineFramer::default();
    let mut feed = framer.feed(b"DATA\r\nSubject: x");
    assert_eq!(feed.next_line().unwrap().unwrap().content(), b"DATA");
    assert!(feed.next_line().is_none());
    drop(feed);
    assert_eq!(framer.take_buffered(), b"Subject: x");
    assert_eq!(framer.buffered_len(), 0);
    assert_eq!(framer.offset(), 16);
}

fn arb_line_input() -> impl Strategy<Value = Vec<u8>> {
    // Bytes biased towards CR, LF and short lines.
    proptest::collection::vec(
        prop_oneof![
            4 => Just(b'\r'),
            4 => Just(b'\n'),
            1 => Just(b'.'),
            8 => b'a'..=b'e',
            1 => any::<u8>(),
        ],
        0..200,
    )
}

proptest! {
    #[test]
    fn split_invariance(
        input in arb_line_input(),
        sizes in proptest::collection::vec(1usize..20, 0..8),
        max in 0usize..24,
        policy in 0usize..3,
    ) {
        let config = LineConfig::with_max_line_len(max).bare_lf(POLICIES[policy]);
        let expected = reference(config, &input);
        let chunks = split_at_sizes(&input, &sizes);
        prop_assert_eq!(run(config, &chunks), expected);
    }
}

#[test]
fn skipping_through_stashed_bytes() {
    let mut framer = LineFramer::new(LineConfig::with_max_line_len(4));
    let mut feed = framer.feed(b"0123456789");
    assert!(feed.next_line().is_none());
    drop(feed);
    assert!(framer.is_skipping());
    // The application is busy: bytes are kept unread, then pulled later.
    drop(framer.feed(b"abc\r\nOK\r\n"));
    assert_eq!(framer.buffered_len(), 9);
    assert_eq!(
        framer.next_line(),
        Some(Err(LineError::TooLong {
            offset: 0,
            len: 13,
            max: 4
        }))
    );
    assert_eq!(framer.next_line().unwrap().unwrap().content(), b"OK");
    assert!(framer.next_line().is_none());
}

/// The way an SMTP server uses the framer and the dot decoder together: command lines, then
/// the `DATA` body through raw mode, then command lines again; every 2-split and bytewise.
#[test]
fn smtp_session_lines_then_data_then_lines() {
    use correo_wire::dot::DotDecoder;

    let input: &[u8] = b"MAIL FROM:<a@b>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n";
    let run_chunks = |chunks: &[&[u8]]| {
        let mut framer = LineFramer::default();
        let mut data: Option<DotDecoder> = None;
        let mut lines = Vec::new();
        let mut body = Vec::new();
        for chunk in chunks {
            let mut feed = framer.feed(chunk);
            loop {
                if let Some(decoder) = data.as_mut() {
                    let raw = feed.peek_raw();
                    if raw.is_empty() {
                        break;
                    }
                    let progress = decoder.decode_into(raw, &mut body);
                    feed.consume_raw(progress.consumed);
                    if progress.complete {
                        data = None;
                        lines.push(b"<end of data>".to_vec());
                    }
                    continue;
                }
                let Some(line) = feed.next_line() else { break };
                let line = line.unwrap().content().to_vec();
                if line == b"DATA" {
                    data = Some(DotDecoder::default());
                }
                lines.push(line);
            }
        }
        (lines, body)
    };
    let expected = (
        vec![
            b"MAIL FROM:<a@b>".to_vec(),
            b"DATA".to_vec(),
            b"<end of data>".to_vec(),
            b"QUIT".to_vec(),
        ],
        b"Subject: x\r\n\r\n.dot\r\n".to_vec(),
    );
    assert_eq!(run_chunks(&[input]), expected);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run_chunks(&bytes), expected);
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(run_chunks(&[a, b]), expected, "split at {i}");
    }
}

#[test]
fn buffer_full_reports_after_the_lines_before_the_gap() {
    let config = LineConfig::with_max_line_len(10).max_buffered(12);
    let mut framer = LineFramer::new(config);
    // Keep "B\r\nC\r\npar" (9 bytes) unread, then overflow with 19 more bytes.
    let mut feed = framer.feed(b"A\r\nB\r\nC\r\npar");
    assert_eq!(feed.next_line().unwrap().unwrap().content(), b"A");
    drop(feed);
    assert_eq!(framer.buffered_len(), 9);
    drop(framer.feed(b"tial\r\nD\r\n0123456789"));
    // A later chunk, also unpulled, is counted as dropped: it follows the gap.
    drop(framer.feed(b"xx"));
    let mut items = Vec::new();
    while let Some(item) = framer.next_line() {
        items.push(item.map(|l| (l.content().to_vec(), l.offset())));
    }
    assert_eq!(
        items,
        vec![
            Ok((b"B".to_vec(), 3)),
            Ok((b"C".to_vec(), 6)),
            Err(LineError::BufferFull {
                offset: 12,
                dropped: 21,
                max: 12
            }),
        ]
    );
    assert_eq!(framer.offset(), 33);
    let mut feed = framer.feed(b"\r\nNOOP\r\n");
    assert_eq!(feed.next_line().unwrap().unwrap().content(), b"");
    assert_eq!(feed.next_line().unwrap().unwrap().offset(), 35);
}
