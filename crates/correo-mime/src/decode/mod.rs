//! Body transfer decodings. (Being built: see issue 3.)

/// A defect in a transfer-encoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeDefect {
    /// A character outside the base64 alphabet was skipped.
    InvalidBase64Char,
}
