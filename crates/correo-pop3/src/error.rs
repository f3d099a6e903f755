//! Error types.

/// Why a line could not be parsed. Offsets count bytes from the start of the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The line is empty.
    #[error("empty line")]
    Empty,
    /// The first word is not a POP3 command this crate knows.
    #[error("unknown command")]
    UnknownCommand,
    /// A required argument is missing.
    #[error("missing argument at byte {offset}")]
    MissingArgument {
        /// Where the argument was expected.
        offset: usize,
    },
    /// An argument the command does not take.
    #[error("unexpected argument at byte {offset}")]
    UnexpectedArgument {
        /// Where the extra argument starts.
        offset: usize,
    },
    /// A number holds something other than ASCII digits (or nothing).
    #[error("invalid number at byte {offset}")]
    InvalidNumber {
        /// The offending byte.
        offset: usize,
    },
    /// A number does not fit its type (`u32` message numbers, `u64` sizes).
    #[error("number too large at byte {offset}")]
    NumberOverflow {
        /// Where the number starts.
        offset: usize,
    },
    /// CR, LF or NUL inside a line.
    #[error("forbidden byte {byte:#04x} at byte {offset}")]
    ForbiddenByte {
        /// The byte.
        byte: u8,
        /// Its position.
        offset: usize,
    },
    /// A reply line that starts with neither `+OK`, `-ERR` nor `+ `.
    #[error("invalid status indicator at byte {offset}")]
    InvalidStatus {
        /// Where the fault is.
        offset: usize,
    },
}

/// Why a value could not be encoded so that it parses back to itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// CR, LF or NUL inside an argument or text.
    #[error("forbidden byte {byte:#04x} at byte {offset} of an argument")]
    ForbiddenByte {
        /// The byte.
        byte: u8,
        /// Its position in the argument.
        offset: usize,
    },
    /// A space inside a single-word argument.
    #[error("space at byte {offset} of a single-word argument")]
    SpaceInToken {
        /// Its position in the argument.
        offset: usize,
    },
    /// An empty single-word argument.
    #[error("empty argument")]
    EmptyToken,
    /// Text that would read back differently (e.g. starting with `[` without a code).
    #[error("text would not read back as itself")]
    AmbiguousText,
    /// A response code holding brackets or spaces.
    #[error("invalid response code")]
    InvalidResponseCode,
    /// A unique id outside RFC 1939's 1-70 printable characters.
    #[error("invalid unique id")]
    InvalidUid,
}
