//! mbox: splitting (whole and incremental), un-quoting, writing.

use correo_mime::mbox::{
    MboxEvent, MboxFormat, MboxMessage, MboxOptions, MboxSplitter, asctime, split, write_mboxrd,
};
use proptest::prelude::*;

/// (from line, unquoted bytes) per message, via the incremental splitter.
fn incremental<'c>(
    chunks: impl IntoIterator<Item = &'c [u8]>,
    opts: MboxOptions,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut s = MboxSplitter::new(opts);
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut open = false;
    let mut drain = |s: &mut MboxSplitter, out: &mut Vec<(Vec<u8>, Vec<u8>)>| {
        while let Some(ev) = s.poll_event() {
            match ev {
                MboxEvent::MessageStart { from_line, .. } => {
                    assert!(!open, "start inside a message");
                    open = true;
                    out.push((from_line.to_vec(), Vec::new()));
                }
                MboxEvent::Data(d) => {
                    assert!(open);
                    out.last_mut().unwrap().1.extend_from_slice(d);
                }
                MboxEvent::MessageEnd => {
                    assert!(open);
                    open = false;
                }
            }
        }
    };
    for c in chunks {
        s.push(c);
        drain(&mut s, &mut out);
    }
    s.finish();
    drain(&mut s, &mut out);
    assert!(!open, "last message not ended");
    out
}

fn whole(input: &[u8], opts: MboxOptions) -> Vec<(Vec<u8>, Vec<u8>)> {
    split(input, opts)
        .map(|m: MboxMessage<'_>| (m.from_line.to_vec(), m.unquoted(opts.format).into_owned()))
        .collect()
}

#[test]
fn asctime_dates() {
    // The seed's mbox From_ line and Date: header.
    assert_eq!(asctime(1_732_391_318), "Sat Nov 23 19:48:38 2024");
    assert_eq!(asctime(1_732_391_103), "Sat Nov 23 19:45:03 2024");
    assert_eq!(asctime(1_709_251_199), "Thu Feb 29 23:59:59 2024");
    assert_eq!(asctime(-5), "Thu Jan  1 00:00:00 1970");
}

#[test]
fn write_then_split_round_trip() {
    let msgs: [&[u8]; 4] = [
        b"Subject: a\n\nFrom the start\n>From quoted\n>>From twice\n",
        b"Subject: b\n\nno final newline",
        b"Subject: c\r\n\r\nFrom crlf\r\n",
        b"",
    ];
    let mut mbox = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        write_mboxrd(
            &format!("u{i}@example.org"),
            1_732_391_318 + i as i64,
            m,
            &mut mbox,
        );
    }
    let got = whole(&mbox, MboxOptions::default());
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].1, msgs[0]);
    assert_eq!(got[1].1, b"Subject: b\n\nno final newline\n");
    assert_eq!(got[2].1, msgs[2]);
    assert_eq!(got[2].0, b"From u2@example.org Sat Nov 23 19:48:40 2024");
    assert_eq!(got[3].1, b"");
    assert!(mbox.windows(14).any(|w| w == b"\n>>>From twice"));
    for n in [1, 2, 5, 100] {
        assert_eq!(
            incremental(mbox.chunks(n), MboxOptions::default()),
            got,
            "chunks of {n}"
        );
    }
}

#[test]
fn separator_rules() {
    let input = b"preamble junk\n\nFrom a Sat Nov 23 19:48:38 2024\nX: 1\n\nbody\nFrom not-a-separator\n\nFrom b Sat Nov 23 19:48:38 2024\nY: 2\n\n";
    let strict = whole(input, MboxOptions::default());
    assert_eq!(strict.len(), 3);
    assert_eq!(strict[0], (Vec::new(), b"preamble junk\n".to_vec()));
    assert_eq!(strict[1].1, b"X: 1\n\nbody\nFrom not-a-separator\n");
    assert_eq!(strict[2].1, b"Y: 2\n");
    let lenient = MboxOptions {
        require_blank_line: false,
        ..MboxOptions::default()
    };
    let l = whole(input, lenient);
    assert_eq!(l.len(), 4);
    assert_eq!(l[2].0, b"From not-a-separator");
    for opts in [MboxOptions::default(), lenient] {
        assert_eq!(incremental(input.chunks(1), opts), whole(input, opts));
    }
}

#[test]
fn mboxo_vs_mboxrd() {
    let input = b"From x\n>From a\n>>From b\n";
    let rd = whole(input, MboxOptions::with_format(MboxFormat::Mboxrd));
    assert_eq!(rd[0].1, b"From a\n>From b\n");
    let o = whole(input, MboxOptions::with_format(MboxFormat::Mboxo));
    assert_eq!(o[0].1, b"From a\n>>From b\n");
    for f in [MboxFormat::Mboxo, MboxFormat::Mboxrd] {
        let opts = MboxOptions::with_format(f);
        assert_eq!(incremental(input.chunks(3), opts), whole(input, opts));
    }
}

#[test]
fn long_lines_bounded() {
    let opts = MboxOptions {
        max_from_line: 16,
        ..MboxOptions::default()
    };
    let mut input = b"From someone-with-a-very-long-envelope-line Sat Nov 23\nX: 1\n\n".to_vec();
    input.extend(std::iter::repeat_n(b'a', 10_000));
    input.extend_from_slice(b"\n>From q\n");
    let w = whole(&input, opts);
    assert_eq!(w[0].0, b"From someone-wit");
    let mut s = MboxSplitter::new(opts);
    let mut max = 0;
    for c in input.chunks(100) {
        s.push(c);
        while let Some(ev) = s.poll_event() {
            let _ = ev;
        }
        max = max.max(s_buffered(&s));
    }
    assert_eq!(incremental(input.chunks(7), opts), w);
    assert!(max < 400, "{max}");
}

fn s_buffered(s: &MboxSplitter) -> usize {
    s.buffered()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incremental_equals_whole(
        lines in prop::collection::vec(prop_oneof![
            Just(&b"From a b\n"[..]), Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b">From x\n"[..]),
            Just(&b">>From y\r\n"[..]), Just(&b"From"[..]), Just(&b"text\n"[..]), Just(&b">"[..]),
            Just(&b"\r"[..]), Just(&b"F"[..]),
        ], 0..30),
        points in prop::collection::vec(any::<usize>(), 0..8),
        lenient in any::<bool>(), mboxo in any::<bool>(),
    ) {
        let input: Vec<u8> = lines.concat();
        let opts = MboxOptions {
            format: if mboxo { MboxFormat::Mboxo } else { MboxFormat::Mboxrd },
            require_blank_line: !lenient,
            max_from_line: 4096,
        };
        let mut pts: Vec<usize> = points.iter().map(|p| p % (input.len() + 1)).collect();
        pts.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in pts { chunks.push(&input[last..p]); last = p; }
        chunks.push(&input[last..]);
        prop_assert_eq!(incremental(chunks, opts), whole(&input, opts));
    }

    #[test]
    fn mboxrd_round_trip(msgs in prop::collection::vec(prop::collection::vec(prop_oneof![
            Just(&b"From x\n"[..]), Just(&b">From y\n"[..]), Just(&b"\n"[..]), Just(&b"a line\n"[..]),
            Just(&b">>>From z\n"[..]), Just(&b"Subject: s\n"[..]),
        ], 1..8), 1..5), t in 0i64..4_000_000_000) {
        let mut mbox = Vec::new();
        let msgs: Vec<Vec<u8>> = msgs.into_iter().map(|m| m.concat()).collect();
        for m in &msgs {
            write_mboxrd("a@b", t, m, &mut mbox);
        }
        let got = whole(&mbox, MboxOptions::default());
        prop_assert_eq!(got.len(), msgs.len());
        for (g, m) in got.iter().zip(&msgs) {
            prop_assert_eq!(&g.1, m);
        }
    }
}
