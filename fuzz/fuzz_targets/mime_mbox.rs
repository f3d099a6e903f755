//! Fuzz the mbox splitter: the incremental splitter (fuzz-driven chunking) must give the
//! messages the whole-buffer `split` gives; writing then splitting gives the message back.
#![no_main]

use correo_mime::mbox::{MboxEvent, MboxFormat, MboxOptions, MboxSplitter, split, write_mboxrd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [cfg, chunk, input @ ..] = data else {
        return;
    };
    let opts = MboxOptions {
        format: if cfg & 1 == 1 {
            MboxFormat::Mboxo
        } else {
            MboxFormat::Mboxrd
        },
        require_blank_line: cfg & 2 == 0,
        max_from_line: usize::from(cfg >> 2) + 8,
    };
    let whole: Vec<(Vec<u8>, Vec<u8>)> = split(input, opts)
        .map(|m| (m.from_line.to_vec(), m.unquoted(opts.format).into_owned()))
        .collect();
    let mut s = MboxSplitter::new(opts);
    let mut inc: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let feed = |s: &mut MboxSplitter, inc: &mut Vec<(Vec<u8>, Vec<u8>)>| {
        while let Some(ev) = s.poll_event() {
            match ev {
                MboxEvent::MessageStart { from_line, .. } => {
                    inc.push((from_line.to_vec(), Vec::new()))
                }
                MboxEvent::Data(d) => {
                    if let Some(last) = inc.last_mut() {
                        last.1.extend_from_slice(d);
                    }
                }
                MboxEvent::MessageEnd => {}
            }
        }
    };
    for c in input.chunks(usize::from(*chunk) + 1) {
        s.push(c);
        feed(&mut s, &mut inc);
    }
    s.finish();
    feed(&mut s, &mut inc);
    // Only lines longer than max_from_line may be classified differently.
    if !input
        .split(|&b| b == b'\n')
        .any(|l| l.len() > opts.max_from_line)
    {
        assert_eq!(whole, inc);
    }
    let mut out = Vec::new();
    write_mboxrd("a@b", i64::from(*cfg) * 1_000_000, input, &mut out);
    let back: Vec<_> = split(&out, MboxOptions::default()).collect();
    assert_eq!(back.len(), 1);
    let mut want = input.to_vec();
    if !want.is_empty() && !want.ends_with(b"\n") {
        want.extend_from_slice(
            if out.starts_with(b"From a@b")
                && out
                    .iter()
                    .position(|&b| b == b'\n')
                    .is_some_and(|i| out[i - 1] == b'\r')
            {
                b"\r\n"
            } else {
                b"\n"
            },
        );
    }
    assert_eq!(back[0].unquoted(MboxFormat::Mboxrd), &want[..]);
});
