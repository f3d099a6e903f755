//! Canonicalization (RFC 6376 3.4) and raw header splitting.

use std::fmt;

/// A canonicalization algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Canon {
    /// `simple`: almost byte-exact.
    #[default]
    Simple,
    /// `relaxed`: tolerant of whitespace and header case changes.
    Relaxed,
}

impl Canon {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

impl fmt::Display for Canon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One raw header field of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    /// The field name (without trailing whitespace).
    pub name: &'a [u8],
    /// The whole field: name, colon, value, folding and the final CRLF.
    pub raw: &'a [u8],
}

/// Split a message's header block into raw fields. Returns the fields and
/// the offset where the body starts (just past the empty line; the input
/// length when there is no body). Lines before the first field that start
/// with whitespace, and lines without a colon, are kept as nameless fields
/// (they are never signed). At most `max_fields` fields are returned; `None`
/// when there are more.
pub fn split_header(msg: &[u8], max_fields: usize) -> Option<(Vec<RawField<'_>>, usize)> {
    fn push<'a>(
        msg: &'a [u8],
        max_fields: usize,
        fields: &mut Vec<RawField<'a>>,
        start: usize,
        end: usize,
    ) -> bool {
        if fields.len() >= max_fields {
            return false;
        }
        let raw = &msg[start..end];
        let name = match memchr::memchr(b':', raw) {
            Some(c) => {
                let mut n = &raw[..c];
                while let [rest @ .., b' ' | b'\t'] = n {
                    n = rest;
                }
                n
            }
            None => &raw[..0],
        };
        fields.push(RawField { name, raw });
        true
    }
    let mut fields: Vec<RawField<'_>> = Vec::new();
    let mut pos = 0;
    let mut cur_start: Option<usize> = None;
    while pos < msg.len() {
        let line_end = memchr::memchr(b'\n', &msg[pos..]).map_or(msg.len(), |e| pos + e + 1);
        let line = &msg[pos..line_end];
        if line == b"\r\n" || line == b"\n" {
            if let Some(s) = cur_start.take() {
                if !push(msg, max_fields, &mut fields, s, pos) {
                    return None;
                }
            }
            return Some((fields, line_end));
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            if let Some(s) = cur_start.take() {
                if !push(msg, max_fields, &mut fields, s, pos) {
                    return None;
                }
            }
            cur_start = Some(pos);
        } else if cur_start.is_none() {
            cur_start = Some(pos);
        }
        pos = line_end;
    }
    if let Some(s) = cur_start.take() {
        if !push(msg, max_fields, &mut fields, s, msg.len()) {
            return None;
        }
    }
    Some((fields, msg.len()))
}

fn is_wsp(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Canonicalize one header field into `out`. `raw` is the whole field with
/// its CRLF (see [`RawField::raw`]).
pub fn canon_header(mode: Canon, raw: &[u8], out: &mut Vec<u8>) {
    match mode {
        Canon::Simple => out.extend_from_slice(raw),
        Canon::Relaxed => {
            let Some(colon) = memchr::memchr(b':', raw) else {
                return;
            };
            let mut name = &raw[..colon];
            while let [rest @ .., b' ' | b'\t'] = name {
                name = rest;
            }
            out.extend(name.iter().map(u8::to_ascii_lowercase));
            out.push(b':');
            relaxed_value(&raw[colon + 1..], out);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Relaxed value: unfold, compress WSP runs to one SP, trim both ends.
pub(crate) fn relaxed_value(v: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    let mut started = false;
    for &c in v {
        match c {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => pending_space = started,
            _ => {
                if pending_space {
                    out.push(b' ');
                    pending_space = false;
                }
                started = true;
                out.push(c);
            }
        }
    }
}

/// Streaming body canonicalizer: feed chunks of any size; output is passed
/// to a sink. Memory is constant (a few counters).
#[derive(Debug, Clone)]
pub struct BodyCanonicalizer {
    mode: Canon,
    pending_crlf: u64,
    pending_wsp: bool,
    cr: bool,
    any: bool,
    buf: Vec<u8>,
}

const BUF: usize = 8192;

impl BodyCanonicalizer {
    /// A canonicalizer for `mode`.
    pub fn new(mode: Canon) -> Self {
        BodyCanonicalizer {
            mode,
            pending_crlf: 0,
            pending_wsp: false,
            cr: false,
            any: false,
            buf: Vec::with_capacity(BUF),
        }
    }

    fn flush_pending(&mut self, sink: &mut impl FnMut(&[u8])) {
        while self.pending_crlf > 0 {
            if self.buf.len() + 2 > BUF {
                sink(&self.buf);
                self.buf.clear();
            }
            self.buf.extend_from_slice(b"\r\n");
            self.pending_crlf -= 1;
        }
    }

    #[inline]
    fn content(&mut self, c: u8, sink: &mut impl FnMut(&[u8])) {
        if self.mode == Canon::Relaxed && is_wsp(c) {
            self.pending_wsp = true;
            return;
        }
        if self.pending_crlf > 0 {
            self.flush_pending(sink);
        }
        if self.buf.len() + 2 > BUF {
            sink(&self.buf);
            self.buf.clear();
        }
        if self.pending_wsp {
            self.buf.push(b' ');
            self.pending_wsp = false;
        }
        self.buf.push(c);
        self.any = true;
    }

    /// Feed a chunk.
    pub fn update(&mut self, chunk: &[u8], sink: &mut impl FnMut(&[u8])) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.cr {
                self.cr = false;
                if rest[0] == b'\n' {
                    self.pending_wsp = false;
                    self.pending_crlf += 1;
                    rest = &rest[1..];
                    continue;
                }
                self.content(b'\r', sink);
            }
            // Fast path for simple mode: copy runs up to the next CR.
            if self.mode == Canon::Simple {
                let n = memchr::memchr(b'\r', rest).unwrap_or(rest.len());
                if n > 0 {
                    self.run(&rest[..n], sink);
                    rest = &rest[n..];
                    continue;
                }
                self.cr = true;
                rest = &rest[1..];
                continue;
            }
            // Relaxed: copy runs of ordinary bytes in bulk.
            // A single space between two content bytes is its own canonical
            // form, so it stays inside the run: runs are then mostly lines.
            let mut n = 0;
            while let Some(&c) = rest.get(n) {
                if c == b'\t' || c == b'\r' {
                    break;
                }
                if c == b' '
                    && (n == 0 || matches!(rest.get(n + 1), None | Some(b' ' | b'\t' | b'\r')))
                {
                    break;
                }
                n += 1;
            }
            if n > 0 {
                self.run(&rest[..n], sink);
                rest = &rest[n..];
                continue;
            }
            let c = rest[0];
            rest = &rest[1..];
            if c == b'\r' {
                self.cr = true;
            } else {
                self.pending_wsp = true;
            }
        }
    }

    /// Emit a run of non-WSP, non-CR content bytes.
    fn run(&mut self, bytes: &[u8], sink: &mut impl FnMut(&[u8])) {
        if self.pending_crlf > 0 {
            self.flush_pending(sink);
        }
        if self.pending_wsp {
            if self.buf.len() + 1 > BUF {
                sink(&self.buf);
                self.buf.clear();
            }
            self.buf.push(b' ');
            self.pending_wsp = false;
        }
        if self.buf.len() + bytes.len() > BUF {
            sink(&self.buf);
            self.buf.clear();
        }
        if bytes.len() >= BUF {
            sink(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
        self.any = true;
    }

    /// End of body: emit what remains (the final CRLF rules of RFC 6376 3.4.3/3.4.4).
    pub fn finish(&mut self, sink: &mut impl FnMut(&[u8])) {
        if self.cr {
            self.cr = false;
            self.content(b'\r', sink);
        }
        self.pending_wsp = false;
        if self.any || self.mode == Canon::Simple {
            self.pending_crlf = 1;
            self.flush_pending(sink);
        }
        if !self.buf.is_empty() {
            sink(&self.buf);
            self.buf.clear();
        }
        self.pending_crlf = 0;
        self.any = false;
    }
}

/// Canonicalize a whole body at once (convenience over [`BodyCanonicalizer`]).
pub fn canon_body(mode: Canon, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut c = BodyCanonicalizer::new(mode);
    c.update(body, &mut |b: &[u8]| out.extend_from_slice(b));
    c.finish(&mut |b: &[u8]| out.extend_from_slice(b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6376_3_4_5_example() {
        let hdr = b"A: X\r\nB : Y\t\r\n\tZ  \r\n";
        let (fields, end) = split_header(
            b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n",
            10,
        )
        .unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(end, hdr.len() + 2);
        assert_eq!(fields[1].name, b"B");
        let mut out = Vec::new();
        for f in &fields {
            canon_header(Canon::Relaxed, f.raw, &mut out);
        }
        assert_eq!(out, b"a:X\r\nb:Y Z\r\n");
        out.clear();
        for f in &fields {
            canon_header(Canon::Simple, f.raw, &mut out);
        }
        assert_eq!(out, hdr);
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(canon_body(Canon::Relaxed, body), b" C\r\nD E\r\n");
        assert_eq!(canon_body(Canon::Simple, body), b" C \r\nD \t E\r\n");
    }

    #[test]
    fn empty_and_unterminated_bodies() {
        assert_eq!(canon_body(Canon::Simple, b""), b"\r\n");
        assert_eq!(canon_body(Canon::Relaxed, b""), b"");
        assert_eq!(canon_body(Canon::Simple, b"\r\n\r\n"), b"\r\n");
        assert_eq!(canon_body(Canon::Relaxed, b"\r\n \r\n"), b"");
        assert_eq!(canon_body(Canon::Simple, b"abc"), b"abc\r\n");
        assert_eq!(canon_body(Canon::Relaxed, b"abc  "), b"abc\r\n");
        assert_eq!(canon_body(Canon::Simple, b"a\rb\nc\r"), b"a\rb\nc\r\r\n");
        assert_eq!(canon_body(Canon::Relaxed, b"a \r"), b"a \r\r\n");
    }

    /// RFC 6376 3.4.4, written the obvious way: lines split at CRLF, WSP
    /// runs to one SP, trailing WSP dropped, trailing empty lines dropped.
    fn relaxed_reference(body: &[u8]) -> Vec<u8> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut rest = body;
        loop {
            let (line, more) = match rest.windows(2).position(|w| w == b"\r\n") {
                Some(k) => (&rest[..k], Some(&rest[k + 2..])),
                None => (rest, None),
            };
            let mut out = Vec::new();
            let mut wsp = false;
            for &c in line {
                if c == b' ' || c == b'\t' {
                    wsp = true;
                } else {
                    if wsp {
                        out.push(b' ');
                    }
                    wsp = false;
                    out.push(c);
                }
            }
            if more.is_some() || !line.is_empty() {
                lines.push(out);
            }
            match more {
                Some(m) => rest = m,
                None => break,
            }
        }
        while lines.last().is_some_and(Vec::is_empty) {
            lines.pop();
        }
        let mut out = Vec::new();
        for l in lines {
            out.extend_from_slice(&l);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn relaxed_body_matches_reference(
            body in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'b', b' ', b' ', b'\t', b'\r', b'\n']),
                0..200,
            ),
            split in 0usize..200,
        ) {
            let want = relaxed_reference(&body);
            proptest::prop_assert_eq!(&canon_body(Canon::Relaxed, &body), &want);
            let (a, b) = body.split_at(split.min(body.len()));
            let mut out = Vec::new();
            let mut c = BodyCanonicalizer::new(Canon::Relaxed);
            c.update(a, &mut |x: &[u8]| out.extend_from_slice(x));
            c.update(b, &mut |x: &[u8]| out.extend_from_slice(x));
            c.finish(&mut |x: &[u8]| out.extend_from_slice(x));
            proptest::prop_assert_eq!(out, want);
        }
    }

    #[test]
    fn chunked_equals_whole() {
        let body: &[u8] =
            b"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\t \r\n\r\nJoe.\r\n \r\n\r\n";
        for mode in [Canon::Simple, Canon::Relaxed] {
            let whole = canon_body(mode, body);
            let mut out = Vec::new();
            let mut c = BodyCanonicalizer::new(mode);
            for b in body {
                c.update(std::slice::from_ref(b), &mut |x: &[u8]| {
                    out.extend_from_slice(x);
                });
            }
            c.finish(&mut |x: &[u8]| out.extend_from_slice(x));
            assert_eq!(out, whole, "{mode}");
        }
    }
}
