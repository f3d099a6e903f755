#![no_main]
//! Framing: whatever the chunking (driven by the input), the frames are the same as with
//! the input whole, and a prefix never completes a message early; both sides; small
//! limits so that the error paths are reached.

use correo_imap::Limits;
use correo_imap::frame::{Frame, Framer, Side};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Msg(Vec<u8>, Vec<usize>),
    Req(u64, bool),
    Begin(Vec<u8>, u64),
    Data(Vec<u8>),
    End,
    Err(String),
}

fn run(side: Side, limits: Limits, bare_lf: bool, chunks: &[&[u8]]) -> Vec<Ev> {
    let mut f = Framer::new(side, limits, bare_lf);
    let mut out: Vec<Ev> = Vec::new();
    for c in chunks {
        let mut feed = f.feed(c);
        while let Some(r) = feed.next_frame() {
            let ev = match r {
                Ok(Frame::Message(m)) => Ev::Msg(m.bytes().to_vec(), m.streamed().to_vec()),
                Ok(Frame::LiteralRequest { length, body, .. }) => Ev::Req(length, body),
                Ok(Frame::BodyBegin(b)) => {
                    assert_eq!(b.streamed.last(), Some(&b.prefix.len()));
                    Ev::Begin(b.prefix.to_vec(), b.length)
                }
                Ok(Frame::BodyData(d)) => {
                    assert!(!d.is_empty());
                    if let Some(Ev::Data(v)) = out.last_mut() {
                        v.extend_from_slice(d);
                        continue;
                    }
                    Ev::Data(d.to_vec())
                }
                Ok(Frame::BodyEnd) => Ev::End,
                Err(e) => Ev::Err(format!("{e:?}")),
            };
            out.push(ev);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let Some((&sizes, input)) = rest.split_first() else {
        return;
    };
    let side = if ctl & 1 == 0 {
        Side::Client
    } else {
        Side::Server
    };
    let bare_lf = ctl & 2 != 0;
    let limits = Limits {
        max_line_len: 16 + usize::from(ctl >> 4) * 8,
        max_literal: u64::from(ctl >> 2 & 3) * 8,
        max_message: 256,
        ..Limits::default()
    };
    let whole = run(side, limits, bare_lf, &[input]);
    // Chunk sizes cycle through a pattern taken from the control byte.
    let mut chunks = Vec::new();
    let mut i = 0;
    let mut k = 0u32;
    while i < input.len() {
        let n = 1 + ((u32::from(sizes).rotate_left(k) ^ k) % 7) as usize;
        let end = (i + n).min(input.len());
        chunks.push(&input[i..end]);
        i = end;
        k += 1;
    }
    assert_eq!(run(side, limits, bare_lf, &chunks), whole);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(side, limits, bare_lf, &bytes), whole);
    // Every prefix is incomplete: a cut anywhere yields only messages of the whole run,
    // in order, none completed early.
    let cut = input.len() * usize::from(sizes) / 256;
    let messages = |ev: Vec<Ev>| -> Vec<Ev> {
        ev.into_iter()
            .filter(|e| matches!(e, Ev::Msg(..) | Ev::Err(_)))
            .collect()
    };
    let part = messages(run(side, limits, bare_lf, &[&input[..cut]]));
    let all = messages(whole);
    assert!(all.starts_with(&part), "{part:?} not a prefix of {all:?}");
});
