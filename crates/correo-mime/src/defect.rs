//! Defects: what was wrong with a message.
//!
//! Parsing never drops bytes silently. When the input deviates from the RFCs, the parser
//! does what real mail software does and records a [`Defect`] on the part where it happened,
//! with the byte offset in the input, so callers can tell a clean message from a repaired one.

/// One thing that was wrong with a message, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    /// What was wrong.
    pub kind: DefectKind,
    /// Byte offset in the input where it was found, when known.
    pub offset: Option<usize>,
}

impl Defect {
    /// A defect found at `offset`.
    pub fn at(kind: impl Into<DefectKind>, offset: usize) -> Self {
        Defect {
            kind: kind.into(),
            offset: Some(offset),
        }
    }

    /// A defect with no precise position.
    pub fn new(kind: impl Into<DefectKind>) -> Self {
        Defect {
            kind: kind.into(),
            offset: None,
        }
    }
}

/// The kinds of defect, grouped by the layer that finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DefectKind {
    /// A header field or header block was malformed.
    Header(crate::header::HeaderDefect),
    /// A body's transfer encoding was malformed.
    Decode(crate::decode::DecodeDefect),
    /// Text could not be decoded cleanly from its charset.
    Charset(crate::charset::CharsetDefect),
    /// The multipart or nesting structure was malformed, or a limit was reached.
    Structure(crate::multipart::StructureDefect),
}

impl From<crate::header::HeaderDefect> for DefectKind {
    fn from(d: crate::header::HeaderDefect) -> Self {
        DefectKind::Header(d)
    }
}

impl From<crate::decode::DecodeDefect> for DefectKind {
    fn from(d: crate::decode::DecodeDefect) -> Self {
        DefectKind::Decode(d)
    }
}

impl From<crate::charset::CharsetDefect> for DefectKind {
    fn from(d: crate::charset::CharsetDefect) -> Self {
        DefectKind::Charset(d)
    }
}
