//! Charsets. (Being built: see issue 3.)

/// A defect met while decoding text from its charset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharsetDefect {
    /// The charset label is not known; the text was read as UTF-8 with replacement.
    UnknownCharset,
}
