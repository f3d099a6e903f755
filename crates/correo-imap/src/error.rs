//! Errors of the framing layer and the grammar.

/// What went wrong in a parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes do not match the grammar.
    Syntax,
    /// A number does not fit its type (or is zero where zero is not allowed).
    Number,
    /// Parentheses nest deeper than [`Limits::max_depth`](crate::Limits).
    TooDeep,
    /// More items than [`Limits::max_items`](crate::Limits) in one list or response.
    TooMany,
    /// The message ended where more was needed.
    Incomplete,
}

/// A grammar error: where, what was expected, and the tag if one was read, so that a
/// server can answer `tag BAD` and a client can fail the right command.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("IMAP syntax error at offset {offset}: expected {expected} ({kind:?})")]
pub struct ParseError {
    /// Offset of the fault within the message (the first byte of its first line is 0).
    pub offset: usize,
    /// The token that was expected there.
    pub expected: &'static str,
    /// The tag of the command or response, when it could be read.
    pub tag: Option<String>,
    /// The kind of fault.
    pub kind: ParseErrorKind,
}

/// A framing error. The framer knows message boundaries independently of the grammar:
/// after an error it resynchronises at the end of the offending message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A line (the text between literals) was longer than
    /// [`Limits::max_line_len`](crate::Limits). The rest of the message is skipped.
    #[error("line at offset {offset} longer than {max} bytes")]
    LineTooLong {
        /// Stream offset of the message's first byte.
        offset: u64,
        /// The limit.
        max: usize,
        /// The message's tag, if it could be read before the limit.
        tag: Option<String>,
    },
    /// A literal that is not message data was larger than
    /// [`Limits::max_literal`](crate::Limits) (or a message's buffered text went past
    /// [`Limits::max_message`](crate::Limits)). Its bytes are skipped, as is the rest of the
    /// message.
    #[error("literal of {len} bytes at offset {offset} over the limit of {max}")]
    LiteralTooLarge {
        /// Stream offset of the message's first byte.
        offset: u64,
        /// The announced length.
        len: u64,
        /// The limit.
        max: u64,
        /// The message's tag, if any.
        tag: Option<String>,
    },
    /// A literal length that does not parse (`{99999999999999999999}`), or `{n-}` over
    /// 4096 (RFC 7888).
    #[error("bad literal length at offset {offset}")]
    BadLiteral {
        /// Stream offset of the message's first byte.
        offset: u64,
        /// The message's tag, if any.
        tag: Option<String>,
    },
    /// A line ended with a bare LF and [`Leniency::bare_lf`](crate::Leniency) is off.
    /// The message is skipped.
    #[error("bare LF at offset {offset}")]
    BareLf {
        /// Stream offset of the LF.
        offset: u64,
        /// The message's tag, if any.
        tag: Option<String>,
    },
}

impl FrameError {
    /// The tag of the message the error is about, if it could be read.
    pub fn tag(&self) -> Option<&str> {
        match self {
            FrameError::LineTooLong { tag, .. }
            | FrameError::LiteralTooLarge { tag, .. }
            | FrameError::BadLiteral { tag, .. }
            | FrameError::BareLf { tag, .. } => tag.as_deref(),
        }
    }
}
