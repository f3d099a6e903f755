//! Header fields. (Being built: see issue 3.)

/// A defect in a header field or header block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderDefect {
    /// A line in the header block had no colon.
    MissingColon,
}
