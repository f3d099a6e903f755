//! Choosing a transfer encoding for a body the builder is about to write.

use super::TransferEncoding;

/// Longest line SMTP carries (RFC 5322 §2.1.1: 998 characters plus CRLF).
const MAX_LINE: usize = 998;

/// Picks the transfer encoding for `bytes`.
///
/// - Not text (`is_text == false`): `base64`.
/// - Text that is 7-bit clean, without NUL or lone CR, with lines of at most 998 bytes:
///   `7bit`.
/// - Text that would be 7bit but for bytes >= 0x80, when the caller says the transport
///   has 8BITMIME (`allow_8bit`): `8bit`.
/// - Otherwise `quoted-printable` when it is not larger than base64 would be (mostly-ASCII
///   text stays readable), else `base64`.
///
/// ```
/// use correo_mime::decode::{choose_encoding, TransferEncoding};
///
/// assert_eq!(choose_encoding(b"hello\r\n", true, false), TransferEncoding::SevenBit);
/// assert_eq!(choose_encoding("café\r\n".as_bytes(), true, false), TransferEncoding::QuotedPrintable);
/// assert_eq!(choose_encoding("café\r\n".as_bytes(), true, true), TransferEncoding::EightBit);
/// assert_eq!(choose_encoding("日本語のテキスト".as_bytes(), true, false), TransferEncoding::Base64);
/// assert_eq!(choose_encoding(b"GIF89a", false, true), TransferEncoding::Base64);
/// ```
pub fn choose_encoding(bytes: &[u8], is_text: bool, allow_8bit: bool) -> TransferEncoding {
    if !is_text {
        return TransferEncoding::Base64;
    }
    let mut high = 0usize;
    let mut controls = false;
    let mut escaped = 0usize;
    let mut line_len = 0usize;
    let mut long_line = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' => {
                line_len = 0;
                continue;
            }
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                controls = true;
                escaped += 1;
            }
            b'\r' => {}
            0 => {
                controls = true;
                escaped += 1;
            }
            0x80..=0xff => {
                high += 1;
                escaped += 1;
            }
            b'=' => escaped += 1,
            b'\t' | b' ' => {}
            0x01..=0x1f | 0x7f => {
                escaped += 1;
            }
            _ => {}
        }
        if b != b'\r' {
            line_len += 1;
            if line_len > MAX_LINE {
                long_line = true;
            }
        }
    }
    if !controls && !long_line {
        if high == 0 {
            return TransferEncoding::SevenBit;
        }
        if allow_8bit {
            return TransferEncoding::EightBit;
        }
    }
    // Sizes: each escaped byte costs 3, plus about one soft break per 73 characters.
    let qp = bytes.len() + 2 * escaped;
    let qp = qp + qp / 73 * 3;
    let b64 = bytes.len().div_ceil(3) * 4;
    let b64 = b64 + b64 / 76 * 2;
    if qp <= b64 {
        TransferEncoding::QuotedPrintable
    } else {
        TransferEncoding::Base64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_need_qp() {
        let long = vec![b'a'; 1200];
        assert_eq!(
            choose_encoding(&long, true, true),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            choose_encoding(b"a line\rwith a lone CR", true, true),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            choose_encoding(b"a line with a \0 NUL", true, true),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(
            choose_encoding(b"\0\0\0\0", true, true),
            TransferEncoding::Base64
        );
        assert_eq!(
            choose_encoding(b"", true, false),
            TransferEncoding::SevenBit
        );
        assert_eq!(
            choose_encoding(b"x", false, false),
            TransferEncoding::Base64
        );
    }
}
