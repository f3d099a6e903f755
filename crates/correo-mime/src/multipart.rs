//! RFC 2046 multipart structure: delimiter lines and structural defects.
//!
//! A delimiter is recognised only at the start of a line (at the start of the scanned
//! region, or right after a line feed), as `--` followed by the boundary, then an optional
//! `--` (the close delimiter), then optional linear white space (at most
//! [`MAX_DELIMITER_PADDING`] bytes of space or tab), then the end of the line (CRLF, LF, or
//! the end of the input). So `--b1` never matches a line `--b10`, and a boundary string in
//! the middle of a line never splits a part. The line ending *before* a delimiter belongs
//! to the delimiter, not to the body that precedes it.
//!
//! Scanning is driven by `memchr` over `-` (a delimiter line starts with a dash right after a
//! line feed), never byte by byte.
//!
//! ```
//! use correo_mime::multipart::{find_delimiter, Scan};
//! let body = b"preamble\r\n--b1\r\nfirst\r\n--b10 not ours\r\n--b1--\r\n";
//! let Scan::Found(d) = find_delimiter(body, 0, true, &[b"b1".as_slice()], true) else { panic!() };
//! assert_eq!(&body[..d.body_end], b"preamble");
//! assert!(!d.close);
//! let Scan::Found(d2) = find_delimiter(body, d.end, true, &[b"b1".as_slice()], true) else { panic!() };
//! assert_eq!(&body[d.end..d2.body_end], b"first\r\n--b10 not ours");
//! assert!(d2.close);
//! ```

/// The most white space (space or tab) accepted between a boundary and the end of its line.
pub const MAX_DELIMITER_PADDING: usize = 256;

/// The longest boundary accepted (RFC 2046 allows 70 characters; real mail is a little
/// looser). A longer one makes the multipart an opaque leaf with a
/// [`StructureDefect::BadBoundary`].
pub const MAX_BOUNDARY_LEN: usize = 200;

/// A defect in the structure of a message (multipart framing, nesting, limits).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StructureDefect {
    /// A multipart body ended (end of input, or an enclosing boundary) without its close
    /// delimiter `--boundary--`.
    MissingCloseBoundary,
    /// A multipart body contained no delimiter line opening a part (none at all, or only
    /// the close delimiter); all of it before the close delimiter is the preamble.
    StartBoundaryNotFound,
    /// A `multipart/*` part had no usable `boundary` parameter (missing, empty, or longer
    /// than [`MAX_BOUNDARY_LEN`]); it is kept as an opaque leaf.
    BadBoundary,
    /// The header block was larger than the configured limit; the part got no header
    /// fields and all its bytes are kept as its body.
    HeaderTooLarge,
    /// A line in the header block was neither a header field nor a continuation; the
    /// header block ends there and that line starts the body.
    MissingHeaderBodySeparator,
    /// Nesting went deeper than the configured limit; this part is kept as an opaque leaf.
    DepthLimit,
    /// The message has more parts than the configured limit; the rest of this multipart is
    /// kept as opaque bytes (in its epilogue).
    PartLimit,
    /// A `message/rfc822` or `message/global` part had a non-identity transfer encoding; it
    /// is kept as a leaf (decode it and parse the result to see the inner message).
    EncodedMessage,
    /// A nested multipart used the same boundary as an enclosing one (RFC 2046 section
    /// 5.1.2 forbids it). The innermost multipart's delimiters are matched first, so its
    /// parts are read as the sender nested them; a part of the enclosing multipart can only
    /// follow once the inner one is closed.
    BoundaryReused,
    /// A delimiter line directly followed another one (no blank line between them): an
    /// empty part without headers was recorded between the two.
    ConsecutiveDelimiters,
}

impl std::fmt::Display for StructureDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            StructureDefect::MissingCloseBoundary => "multipart without its close delimiter",
            StructureDefect::StartBoundaryNotFound => "multipart without any delimiter line",
            StructureDefect::BadBoundary => "multipart without a usable boundary parameter",
            StructureDefect::HeaderTooLarge => "header block larger than the limit",
            StructureDefect::MissingHeaderBodySeparator => {
                "header block ended by a non-header line"
            }
            StructureDefect::DepthLimit => "nesting deeper than the limit",
            StructureDefect::PartLimit => "more parts than the limit",
            StructureDefect::EncodedMessage => "message/rfc822 with a non-identity encoding",
            StructureDefect::BoundaryReused => "nested multipart reuses an enclosing boundary",
            StructureDefect::ConsecutiveDelimiters => "delimiter line right after another",
        };
        f.write_str(s)
    }
}

impl From<StructureDefect> for crate::defect::DefectKind {
    fn from(d: StructureDefect) -> Self {
        crate::defect::DefectKind::Structure(d)
    }
}

/// A delimiter line found by [`find_delimiter`]. All offsets index the scanned slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiter {
    /// Where the body before the delimiter ends: the start of the line ending that precedes
    /// `--boundary` (that line ending belongs to the delimiter), or the `--` itself when the
    /// delimiter opens the scanned region.
    pub body_end: usize,
    /// Offset of the `--` that starts the delimiter line.
    pub line_start: usize,
    /// Offset just past the delimiter line, including its line ending (the next part's
    /// header, or the epilogue, starts here).
    pub end: usize,
    /// `true` for a close delimiter `--boundary--`.
    pub close: bool,
    /// Index in the `boundaries` slice of the boundary that matched.
    pub which: usize,
}

/// The result of [`find_delimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A delimiter line.
    Found(Delimiter),
    /// No delimiter in the data seen so far. Bytes before `safe_end` certainly belong to the
    /// current body; bytes from `safe_end` on might start a delimiter once more input arrives
    /// (always the input length when `eof` was set).
    NotFound {
        /// End of the bytes that are certainly body.
        safe_end: usize,
    },
}

/// What [`check_delimiter_line`] decided about a line starting at a given offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Match {
        which: usize,
        close: bool,
        end: usize,
    },
    NoMatch,
    Undecided,
}

/// Decide whether the line starting at `data[i..]` is a delimiter for one of `boundaries`.
fn check_delimiter_line(data: &[u8], i: usize, boundaries: &[&[u8]], eof: bool) -> Check {
    let rest = data.get(i..).unwrap_or_default();
    if rest.len() < 2 {
        return if !eof && b"--".starts_with(rest) {
            Check::Undecided
        } else {
            Check::NoMatch
        };
    }
    if &rest[..2] != b"--" {
        return Check::NoMatch;
    }
    let after = &rest[2..];
    let mut undecided = false;
    for (which, b) in boundaries.iter().enumerate() {
        if after.len() < b.len() {
            if !eof && b.starts_with(after) {
                undecided = true;
            }
            continue;
        }
        if !after.starts_with(b) {
            continue;
        }
        let mut t = &after[b.len()..];
        let mut close = false;
        match t {
            [b'-', b'-', ..] => {
                close = true;
                t = &t[2..];
            }
            [b'-'] | [] if !eof => {
                undecided = true;
                continue;
            }
            _ => {}
        }
        let pad = t
            .iter()
            .take(MAX_DELIMITER_PADDING + 1)
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        if pad > MAX_DELIMITER_PADDING {
            continue;
        }
        let t = &t[pad..];
        let consumed = rest.len() - t.len();
        match t {
            [b'\n', ..] => {
                return Check::Match {
                    which,
                    close,
                    end: i + consumed + 1,
                };
            }
            [b'\r', b'\n', ..] => {
                return Check::Match {
                    which,
                    close,
                    end: i + consumed + 2,
                };
            }
            [] | [b'\r'] if !eof => undecided = true,
            [] => {
                return Check::Match {
                    which,
                    close,
                    end: data.len(),
                };
            }
            _ => {}
        }
    }
    if undecided {
        Check::Undecided
    } else {
        Check::NoMatch
    }
}

/// Find the first delimiter line for any of `boundaries` in `data[from..]`.
///
/// `at_line_start` says whether `from` is the start of a line whose preceding line ending
/// was already consumed (the start of a body, of a part, of an epilogue): a delimiter is
/// then accepted right at `from`. `boundaries` are raw boundary strings (without the
/// leading `--`), innermost first; when two could match, the first listed wins. With
/// `eof` false, a line that could still become a delimiter once more bytes arrive stops
/// the scan ([`Scan::NotFound`] with `safe_end` before it); with `eof` true the end of
/// `data` also ends a delimiter line.
pub fn find_delimiter(
    data: &[u8],
    from: usize,
    at_line_start: bool,
    boundaries: &[&[u8]],
    eof: bool,
) -> Scan {
    let from = from.min(data.len());
    if boundaries.is_empty() {
        return Scan::NotFound {
            safe_end: data.len(),
        };
    }
    if at_line_start {
        match check_delimiter_line(data, from, boundaries, eof) {
            Check::Match { which, close, end } => {
                return Scan::Found(Delimiter {
                    body_end: from,
                    line_start: from,
                    end,
                    close,
                    which,
                });
            }
            Check::Undecided => return Scan::NotFound { safe_end: from },
            Check::NoMatch => {}
        }
    }
    let line_end_start = |nl: usize| {
        if nl > from && data.get(nl - 1) == Some(&b'\r') {
            nl - 1
        } else {
            nl
        }
    };
    // Candidates are dashes right after a line feed; memchr for the dash is the fastest
    // filter (base64 never contains one, text rarely at a line start).
    let mut search = from;
    while let Some(j) = memchr::memchr(b'-', data.get(search..).unwrap_or_default()) {
        let i = search + j;
        search = i + 1;
        if i <= from || data.get(i - 1) != Some(&b'\n') {
            continue;
        }
        let nl = i - 1;
        match check_delimiter_line(data, i, boundaries, eof) {
            Check::Match { which, close, end } => {
                return Scan::Found(Delimiter {
                    body_end: line_end_start(nl),
                    line_start: i,
                    end,
                    close,
                    which,
                });
            }
            Check::Undecided => {
                return Scan::NotFound {
                    safe_end: line_end_start(nl),
                };
            }
            Check::NoMatch => {}
        }
    }
    if eof {
        return Scan::NotFound {
            safe_end: data.len(),
        };
    }
    // A line ending (or a line ending and one dash) at the very end might begin a delimiter.
    let len = data.len();
    let tail = data.get(from..).unwrap_or_default();
    let safe_end = match tail {
        [.., b'\n'] => line_end_start(len - 1),
        [.., b'\n', b'-'] => line_end_start(len - 2),
        [.., b'\r'] => len - 1,
        _ => len,
    };
    Scan::NotFound {
        safe_end: safe_end.max(from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(data: &[u8], from: usize, ls: bool, b: &[&[u8]], eof: bool) -> Option<Delimiter> {
        match find_delimiter(data, from, ls, b, eof) {
            Scan::Found(d) => Some(d),
            Scan::NotFound { .. } => None,
        }
    }

    #[test]
    fn b1_never_matches_b10() {
        let data = b"x\r\n--b10\r\ny\r\n--b1 \t\r\nz";
        let d = found(data, 0, true, &[b"b1"], true).unwrap();
        assert_eq!(d.body_end, 11);
        assert_eq!(&data[..d.body_end], b"x\r\n--b10\r\ny");
        assert_eq!(&data[d.end..], b"z");
    }

    #[test]
    fn mid_line_boundary_does_not_split() {
        let data = b"text --b1 more\r\nand --b1\r\n";
        assert_eq!(found(data, 0, true, &[b"b1"], true), None);
    }

    #[test]
    fn crlf_before_belongs_to_delimiter_and_lf_works() {
        let data = b"body\n--b--\n";
        let d = found(data, 0, true, &[b"b"], true).unwrap();
        assert_eq!(d.body_end, 4);
        assert!(d.close);
        assert_eq!(d.end, data.len());
    }

    #[test]
    fn delimiter_at_eof_without_line_end() {
        let data = b"a\r\n--b--";
        let d = found(data, 0, true, &[b"b"], true).unwrap();
        assert!(d.close);
        assert_eq!(d.end, data.len());
        // Not yet at eof: undecided.
        assert_eq!(
            find_delimiter(data, 0, true, &[b"b"], false),
            Scan::NotFound { safe_end: 1 }
        );
    }

    #[test]
    fn partial_tail_kept() {
        for (data, safe) in [
            (&b"abc\r"[..], 3),
            (b"abc\r\n", 3),
            (b"abc\n-", 3),
            (b"abc\r\n--", 3),
            (b"abc\r\n--x", 8),
            (b"abc\r\n--b", 3),
            (b"abc", 3),
        ] {
            assert_eq!(
                find_delimiter(data, 0, false, &[b"b"], false),
                Scan::NotFound { safe_end: safe },
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn innermost_first_and_which() {
        let data = b"--outer\r\n";
        let d = found(data, 0, true, &[b"inner", b"outer"], true).unwrap();
        assert_eq!(d.which, 1);
        assert_eq!(d.body_end, 0);
    }

    #[test]
    fn padding_limit() {
        let mut data = b"--b".to_vec();
        data.extend(std::iter::repeat_n(b' ', MAX_DELIMITER_PADDING));
        data.extend_from_slice(b"\r\n");
        assert!(found(&data, 0, true, &[b"b"], true).is_some());
        data.insert(3, b' ');
        assert!(found(&data, 0, true, &[b"b"], true).is_none());
    }
}
