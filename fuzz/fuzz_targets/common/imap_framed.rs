//! Shared by the imap_command and imap_response targets: the framer's frames for an input
//! fed in chunks, as comparable lines, and the check that input-driven chunking changes
//! nothing.

use correo_imap::Limits;
use correo_imap::frame::{Frame, Framer, Side};

/// The frames of `input` fed chunk by chunk, one line each: `describe` gives the line of a
/// frame it knows (a parsed message, a body target), else its `Debug` form; streamed bytes
/// are merged across chunks into one `+[...]` line.
pub fn framed(
    side: Side,
    lim: Limits,
    input: &[&[u8]],
    describe: impl Fn(&Frame<'_>) -> Option<String>,
) -> Vec<String> {
    let mut f = Framer::new(side, lim, true);
    let mut log = Vec::new();
    let mut body = Vec::new();
    for chunk in input {
        let mut feed = f.feed(chunk);
        while let Some(fr) = feed.next_frame() {
            if !matches!(fr, Ok(Frame::BodyData(_))) && !body.is_empty() {
                log.push(format!("+{body:?}"));
                body.clear();
            }
            match fr {
                Ok(Frame::BodyData(d)) => body.extend_from_slice(d),
                Ok(f) => log.push(describe(&f).unwrap_or_else(|| format!("{f:?}"))),
                Err(e) => log.push(format!("{e:?}")),
            }
        }
    }
    if !body.is_empty() {
        log.push(format!("+{body:?}"));
    }
    log
}

/// The first byte picks a chunk size (1-17); the rest framed whole and in those chunks
/// must give the same lines.
pub fn same_in_chunks(data: &[u8], run: impl Fn(&[&[u8]]) -> Vec<String>) {
    if let Some((&size, rest)) = data.split_first() {
        let whole = run(&[rest]);
        let n = 1 + usize::from(size % 17);
        let chunks: Vec<&[u8]> = rest.chunks(n).collect();
        assert_eq!(run(&chunks), whole);
    }
}
