//! The GS2 header (RFC 5801) shared by SCRAM and OAUTHBEARER, and SCRAM's `saslname`
//! escaping (`,` as `=2C`, `=` as `=3D`).

use core::fmt;

use super::{Field, Mechanism, SaslError, check_name, utf8};

/// A TLS channel-binding type (RFC 5929, RFC 9266).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelBindingType {
    /// `tls-server-end-point` (RFC 5929): the hash of the server's certificate.
    TlsServerEndPoint,
    /// `tls-unique` (RFC 5929): the first Finished message; TLS 1.2 only.
    TlsUnique,
    /// `tls-exporter` (RFC 9266): a TLS exporter value; the binding for TLS 1.3.
    TlsExporter,
}

impl ChannelBindingType {
    /// The registered name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelBindingType::TlsServerEndPoint => "tls-server-end-point",
            ChannelBindingType::TlsUnique => "tls-unique",
            ChannelBindingType::TlsExporter => "tls-exporter",
        }
    }

    /// Parses a registered name (case-sensitive, as RFC 5802 compares them).
    pub fn parse(name: &[u8]) -> Option<Self> {
        [
            ChannelBindingType::TlsServerEndPoint,
            ChannelBindingType::TlsUnique,
            ChannelBindingType::TlsExporter,
        ]
        .into_iter()
        .find(|t| t.as_str().as_bytes() == name)
    }
}

impl fmt::Display for ChannelBindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The GS2 channel-binding flag a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CbFlag {
    /// `n`: the client does not support channel binding.
    NotSupported,
    /// `y`: the client supports channel binding but believes the server does not.
    NotUsed,
    /// `p=<type>`: the client uses channel binding of this type.
    Used(ChannelBindingType),
}

/// Parsed GS2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gs2Header {
    pub(crate) flag: CbFlag,
    pub(crate) authzid: Option<String>,
    /// Length of the header in bytes, including its final comma.
    pub(crate) len: usize,
}

pub(crate) fn encode_header(flag: CbFlag, authzid: Option<&str>) -> String {
    let mut out = String::new();
    match flag {
        CbFlag::NotSupported => out.push('n'),
        CbFlag::NotUsed => out.push('y'),
        CbFlag::Used(t) => {
            out.push_str("p=");
            out.push_str(t.as_str());
        }
    }
    out.push(',');
    if let Some(a) = authzid {
        out.push_str("a=");
        escape_into(a, &mut out);
    }
    out.push(',');
    out
}

pub(crate) fn parse_header(msg: &[u8], mechanism: Mechanism) -> Result<Gs2Header, SaslError> {
    let malformed = |offset, reason| SaslError::Malformed {
        mechanism,
        offset,
        reason,
    };
    let comma = memchr::memchr(b',', msg).ok_or(malformed(0, "missing GS2 header"))?;
    let flag_bytes = msg.get(..comma).unwrap_or_default();
    let flag = match flag_bytes {
        b"n" => CbFlag::NotSupported,
        b"y" => CbFlag::NotUsed,
        [b'p', b'=', name @ ..] => CbFlag::Used(ChannelBindingType::parse(name).ok_or(
            SaslError::ChannelBinding("unsupported channel-binding type"),
        )?),
        _ => return Err(malformed(0, "GS2 flag must be n, y or p=<type>")),
    };
    let rest_start = comma.saturating_add(1);
    let rest = msg.get(rest_start..).unwrap_or_default();
    let comma2 =
        memchr::memchr(b',', rest).ok_or(malformed(rest_start, "unterminated GS2 header"))?;
    let az = rest.get(..comma2).unwrap_or_default();
    let authzid = match az {
        [] => None,
        [b'a', b'=', name @ ..] => {
            let name = unescape(
                name,
                Field::Authzid,
                mechanism,
                rest_start.saturating_add(2),
            )?;
            if name.is_empty() {
                return Err(SaslError::EmptyField {
                    field: Field::Authzid,
                });
            }
            Some(name)
        }
        _ => {
            return Err(malformed(
                rest_start,
                "expected a=<authzid> or an empty field",
            ));
        }
    };
    Ok(Gs2Header {
        flag,
        authzid,
        len: rest_start.saturating_add(comma2).saturating_add(1),
    })
}

/// Appends `name` escaped as a SCRAM `saslname`.
pub(crate) fn escape_into(name: &str, out: &mut String) {
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
}

/// Decodes a `saslname` (`=2C`, `=3D`), validating UTF-8 and rejecting NUL/CR/LF.
/// `base` is the offset of `raw` within the message, for error reports.
pub(crate) fn unescape(
    raw: &[u8],
    field: Field,
    mechanism: Mechanism,
    base: usize,
) -> Result<String, SaslError> {
    let s = utf8(raw, field)?;
    check_name(raw, field)?;
    if !s.contains('=') {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut pos = 0usize;
    while let Some(i) = rest.find('=') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i..).unwrap_or_default();
        if after.starts_with("=2C") {
            out.push(',');
        } else if after.starts_with("=3D") {
            out.push('=');
        } else {
            return Err(SaslError::Malformed {
                mechanism,
                offset: base.saturating_add(pos).saturating_add(i),
                reason: "'=' in a name must start =2C or =3D",
            });
        }
        rest = after.get(3..).unwrap_or_default();
        pos = pos.saturating_add(i).saturating_add(3);
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        for flag in [
            CbFlag::NotSupported,
            CbFlag::NotUsed,
            CbFlag::Used(ChannelBindingType::TlsExporter),
            CbFlag::Used(ChannelBindingType::TlsServerEndPoint),
        ] {
            for az in [None, Some("bob"), Some("a,b=c")] {
                let h = encode_header(flag, az);
                let p = parse_header(h.as_bytes(), Mechanism::ScramSha256).unwrap();
                assert_eq!(p.flag, flag);
                assert_eq!(p.authzid.as_deref(), az);
                assert_eq!(p.len, h.len());
            }
        }
        assert_eq!(
            encode_header(CbFlag::NotSupported, Some("a,b=c")),
            "n,a=a=2Cb=3Dc,"
        );
    }

    #[test]
    fn bad_escape_reports_offset() {
        assert_eq!(
            parse_header(b"n,a=ab=2X,", Mechanism::ScramSha1),
            Err(SaslError::Malformed {
                mechanism: Mechanism::ScramSha1,
                offset: 6,
                reason: "'=' in a name must start =2C or =3D"
            })
        );
        assert!(matches!(
            parse_header(b"n,a=a\rb,", Mechanism::ScramSha1),
            Err(SaslError::ForbiddenByte { byte: b'\r', .. })
        ));
        assert!(matches!(
            parse_header(b"p=tls-foo,,", Mechanism::ScramSha1Plus),
            Err(SaslError::ChannelBinding(_))
        ));
    }
}
