//! Transport-neutral framing of SASL messages.
//!
//! SMTP (`334 <base64>`, RFC 4954), POP3 (`+ <base64>`, RFC 5034) and IMAP (`+ <base64>`,
//! RFC 3501/9051) all carry SASL challenges and responses as one line of base64. This
//! module turns those lines into bytes and back; the protocol crates add their own prefix
//! (`334 `, `+ `) and line ending.
//!
//! - An *initial response* (SASL-IR, RFC 4959, or `AUTH PLAIN <ir>` in SMTP/POP3) that is
//!   empty is sent as `=`: see [`encode_initial_response`].
//! - A response in answer to a challenge that is empty is an empty line: see
//!   [`encode_response`].
//! - A client that wants to abort sends `*` ([`CANCEL`]); [`decode_line`] reports it as
//!   [`Decoded::Cancel`].
//! - Whitespace around the base64 (real servers send `334 ` with a trailing space, or a
//!   stray CR) is tolerated; padding may be present or missing.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::SaslError;

/// What a client sends to abort an exchange (RFC 4954 section 4, RFC 5034, RFC 3501).
pub const CANCEL: &str = "*";

/// Standard alphabet, padded on output, padding optional on input.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A decoded SASL line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// The decoded bytes (empty for an empty line or `=`).
    Data(Vec<u8>),
    /// The line was `*`: the client cancels the exchange.
    Cancel,
}

/// Encodes a response to a challenge (or a challenge) as base64. Empty data gives an
/// empty string, which is what an empty response looks like on the wire.
///
/// ```
/// use correo_wire::sasl::framing::encode_response;
/// assert_eq!(encode_response(b"Username:"), "VXNlcm5hbWU6");
/// assert_eq!(encode_response(b""), "");
/// ```
pub fn encode_response(data: &[u8]) -> String {
    ENGINE.encode(data)
}

/// Encodes an initial response (SASL-IR): like [`encode_response`], except that empty
/// data is sent as `=` so that it is distinguishable from "no initial response".
///
/// ```
/// use correo_wire::sasl::framing::encode_initial_response;
/// assert_eq!(encode_initial_response(b""), "=");
/// assert_eq!(encode_initial_response(b"\0u\0p"), "AHUAcA==");
/// ```
pub fn encode_initial_response(data: &[u8]) -> String {
    if data.is_empty() {
        "=".to_owned()
    } else {
        ENGINE.encode(data)
    }
}

/// Decodes one challenge or response line (without its `334 ` / `+ ` prefix).
///
/// Surrounding spaces, tabs, CR and LF are ignored. `*` is [`Decoded::Cancel`]; an empty
/// line and `=` are empty data. `max_len` bounds the decoded size; it is checked before
/// anything is allocated.
///
/// ```
/// use correo_wire::sasl::framing::{decode_line, Decoded};
/// assert_eq!(decode_line(b"VXNlcm5hbWU6 \r\n", 1024).unwrap(), Decoded::Data(b"Username:".to_vec()));
/// assert_eq!(decode_line(b"*", 1024).unwrap(), Decoded::Cancel);
/// assert!(decode_line(b"VXNl!m5h", 1024).is_err());
/// ```
pub fn decode_line(line: &[u8], max_len: usize) -> Result<Decoded, SaslError> {
    let (start, trimmed) = trim(line);
    match trimmed {
        b"*" => Ok(Decoded::Cancel),
        b"" | b"=" => Ok(Decoded::Data(Vec::new())),
        _ => decode_at(trimmed, start, max_len).map(Decoded::Data),
    }
}

/// Decodes base64 `data` (no whitespace trimming, no `*`), reporting offsets shifted by
/// `base`. Shared with the SCRAM attribute decoder.
pub(crate) fn decode_at(data: &[u8], base: usize, max_len: usize) -> Result<Vec<u8>, SaslError> {
    let estimate = data.len().div_ceil(4).saturating_mul(3);
    if estimate > max_len.saturating_add(2) {
        return Err(SaslError::TooLong {
            len: estimate,
            limit: max_len,
        });
    }
    let out = ENGINE.decode(data).map_err(|e| {
        let offset = match e {
            base64::DecodeError::InvalidByte(at, _)
            | base64::DecodeError::InvalidLastSymbol(at, _) => at,
            base64::DecodeError::InvalidLength(_) => data.len(),
            base64::DecodeError::InvalidPadding => memchr::memchr(b'=', data).unwrap_or(data.len()),
        };
        SaslError::InvalidBase64 {
            offset: base.saturating_add(offset),
        }
    })?;
    if out.len() > max_len {
        return Err(SaslError::TooLong {
            len: out.len(),
            limit: max_len,
        });
    }
    Ok(out)
}

/// Encodes bytes as padded standard base64 (shared helper).
pub(crate) fn b64(data: &[u8]) -> String {
    ENGINE.encode(data)
}

fn trim(line: &[u8]) -> (usize, &[u8]) {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !is_ws(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |p| p.saturating_add(1));
    (start, line.get(start..end).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_optional_on_input() {
        assert_eq!(
            decode_line(b"AHUAcA", 100).unwrap(),
            Decoded::Data(b"\0u\0p".to_vec())
        );
        assert_eq!(
            decode_line(b"AHUAcA==", 100).unwrap(),
            Decoded::Data(b"\0u\0p".to_vec())
        );
    }

    #[test]
    fn offsets_account_for_leading_whitespace() {
        assert_eq!(
            decode_line(b"  AB$D", 100),
            Err(SaslError::InvalidBase64 { offset: 4 })
        );
    }

    #[test]
    fn limit_checked() {
        assert!(matches!(
            decode_line(b"QUFBQUFBQUFB", 4),
            Err(SaslError::TooLong { .. })
        ));
        assert!(decode_line(b"QUFBQQ==", 4).is_ok());
    }

    #[test]
    fn whitespace_only_is_empty() {
        assert_eq!(decode_line(b" \r\n", 10).unwrap(), Decoded::Data(vec![]));
        assert_eq!(decode_line(b" * ", 10).unwrap(), Decoded::Cancel);
    }
}
