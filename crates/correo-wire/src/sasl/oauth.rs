//! The OAuth 2.0 bearer-token messages: Google's `XOAUTH2` and RFC 7628 `OAUTHBEARER`.

use super::gs2::{self, CbFlag};
use super::{Field, Mechanism, SaslError, check_name, utf8};

const KVSEP: u8 = 0x01;

/// An XOAUTH2 client message: `user=<user>^Aauth=Bearer <token>^A^A`.
///
/// ```
/// use correo_wire::sasl::oauth::XOAuth2Message;
/// let m = XOAuth2Message { user: "someuser@example.com", token: "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg" };
/// assert_eq!(XOAuth2Message::parse(&m.encode()).unwrap(), m);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XOAuth2Message<'a> {
    /// The mailbox to log in to.
    pub user: &'a str,
    /// The OAuth 2.0 access token.
    pub token: &'a str,
}

impl<'a> XOAuth2Message<'a> {
    /// The bytes a client sends (before base64).
    pub fn encode(&self) -> Vec<u8> {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token).into_bytes()
    }

    /// Checks the fields: no NUL/CR/LF/^A in the user name, a non-empty token of visible
    /// characters.
    pub fn validate(&self) -> Result<(), SaslError> {
        check_kv_value(self.user.as_bytes(), Field::Username)?;
        if self.user.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        check_token(self.token.as_bytes())
    }

    /// Parses the bytes a client sent (after base64 decoding).
    pub fn parse(msg: &'a [u8]) -> Result<Self, SaslError> {
        let kv = parse_kvpairs(msg, 0, Mechanism::XOAuth2)?;
        let user = kv.user.ok_or(SaslError::Malformed {
            mechanism: Mechanism::XOAuth2,
            offset: 0,
            reason: "missing user=",
        })?;
        let token = kv.token.ok_or(SaslError::Malformed {
            mechanism: Mechanism::XOAuth2,
            offset: 0,
            reason: "missing auth=Bearer",
        })?;
        let m = XOAuth2Message { user, token };
        m.validate()?;
        Ok(m)
    }
}

/// An OAUTHBEARER client message (RFC 7628 section 3.1):
/// `n,a=<authzid>,^Ahost=<host>^Aport=<port>^Aauth=Bearer <token>^A^A`.
///
/// ```
/// use correo_wire::sasl::oauth::OAuthBearerMessage;
/// let m = OAuthBearerMessage {
///     authzid: Some("user@example.com".into()),
///     host: Some("server.example.com"),
///     port: Some(143),
///     token: "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
/// };
/// assert_eq!(
///     m.encode(),
///     b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
/// );
/// assert_eq!(OAuthBearerMessage::parse(&m.encode()).unwrap(), m);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthBearerMessage<'a> {
    /// The authorization identity from the GS2 header (`a=`), unescaped.
    pub authzid: Option<String>,
    /// The `host` key: the host name the client connected to.
    pub host: Option<&'a str>,
    /// The `port` key: the port the client connected to.
    pub port: Option<u16>,
    /// The bearer token.
    pub token: &'a str,
}

impl<'a> OAuthBearerMessage<'a> {
    /// The bytes a client sends (before base64). The GS2 flag is always `n`: OAUTHBEARER
    /// has no channel binding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = gs2::encode_header(CbFlag::NotSupported, self.authzid.as_deref());
        out.push('\x01');
        if let Some(h) = self.host {
            out.push_str("host=");
            out.push_str(h);
            out.push('\x01');
        }
        if let Some(p) = self.port {
            out.push_str("port=");
            out.push_str(&p.to_string());
            out.push('\x01');
        }
        out.push_str("auth=Bearer ");
        out.push_str(self.token);
        out.push_str("\x01\x01");
        out.into_bytes()
    }

    /// Checks the fields (no NUL/CR/LF/^A in names, a token of visible characters).
    pub fn validate(&self) -> Result<(), SaslError> {
        if let Some(a) = &self.authzid {
            check_kv_value(a.as_bytes(), Field::Authzid)?;
        }
        if let Some(h) = self.host {
            check_kv_value(h.as_bytes(), Field::Host)?;
        }
        check_token(self.token.as_bytes())
    }

    /// Parses the bytes a client sent (after base64 decoding).
    pub fn parse(msg: &'a [u8]) -> Result<Self, SaslError> {
        let header = gs2::parse_header(msg, Mechanism::OAuthBearer)?;
        if matches!(header.flag, CbFlag::Used(_)) {
            return Err(SaslError::ChannelBinding(
                "OAUTHBEARER does not support channel binding",
            ));
        }
        let body = msg.get(header.len..).unwrap_or_default();
        let Some((&KVSEP, pairs)) = body.split_first() else {
            return Err(SaslError::Malformed {
                mechanism: Mechanism::OAuthBearer,
                offset: header.len,
                reason: "expected ^A after the GS2 header",
            });
        };
        let kv = parse_kvpairs(pairs, header.len + 1, Mechanism::OAuthBearer)?;
        let token = kv.token.ok_or(SaslError::Malformed {
            mechanism: Mechanism::OAuthBearer,
            offset: 0,
            reason: "missing auth=Bearer",
        })?;
        let port = match kv.port {
            None => None,
            Some(p) => Some(p.parse::<u16>().map_err(|_| SaslError::Malformed {
                mechanism: Mechanism::OAuthBearer,
                offset: 0,
                reason: "port is not a number in 0..=65535",
            })?),
        };
        let m = OAuthBearerMessage {
            authzid: header.authzid,
            host: kv.host,
            port,
            token,
        };
        m.validate()?;
        Ok(m)
    }
}

#[derive(Default)]
struct KvPairs<'a> {
    user: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<&'a str>,
    token: Option<&'a str>,
}

/// Parses `*(key=value ^A) ^A` (the end of both formats). `base` is the offset of `msg`
/// in the whole message.
fn parse_kvpairs(msg: &[u8], base: usize, mechanism: Mechanism) -> Result<KvPairs<'_>, SaslError> {
    let malformed = |offset: usize, reason| SaslError::Malformed {
        mechanism,
        offset: base.saturating_add(offset),
        reason,
    };
    let mut kv = KvPairs::default();
    let mut pos = 0usize;
    loop {
        let rest = msg.get(pos..).unwrap_or_default();
        let end =
            memchr::memchr(KVSEP, rest).ok_or(malformed(msg.len(), "missing ^A terminator"))?;
        if end == 0 {
            // The final, empty pair: nothing may follow.
            if rest.len() != 1 {
                return Err(malformed(pos + 1, "data after the final ^A"));
            }
            return Ok(kv);
        }
        let pair = rest.get(..end).unwrap_or_default();
        let eq = memchr::memchr(b'=', pair).ok_or(malformed(pos, "expected key=value"))?;
        let key = pair.get(..eq).unwrap_or_default();
        if key.is_empty() || !key.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed(pos, "key must be letters"));
        }
        let value_bytes = pair.get(eq + 1..).unwrap_or_default();
        let value = utf8(value_bytes, Field::Token)
            .map_err(|_| malformed(pos + eq + 1, "value is not UTF-8"))?;
        match key {
            b"user" => kv.user = Some(value),
            b"host" => kv.host = Some(value),
            b"port" => kv.port = Some(value),
            b"auth" => {
                let (scheme, token) = value
                    .split_once(' ')
                    .ok_or(malformed(pos + eq + 1, "auth must be 'Bearer <token>'"))?;
                if !scheme.eq_ignore_ascii_case("Bearer") {
                    return Err(malformed(pos + eq + 1, "auth scheme is not Bearer"));
                }
                kv.token = Some(token.trim_start_matches(' '));
            }
            _ => {} // Other keys (e.g. mthd, path, post) are allowed and ignored.
        }
        pos = pos.saturating_add(end).saturating_add(1);
    }
}

fn check_kv_value(v: &[u8], field: Field) -> Result<(), SaslError> {
    check_name(v, field)?;
    match memchr::memchr(KVSEP, v) {
        Some(offset) => Err(SaslError::ForbiddenByte {
            field,
            byte: KVSEP,
            offset,
        }),
        None => Ok(()),
    }
}

/// RFC 6750 b64token: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// Accepted a little more liberally: any visible ASCII.
fn check_token(t: &[u8]) -> Result<(), SaslError> {
    if t.is_empty() {
        return Err(SaslError::EmptyField {
            field: Field::Token,
        });
    }
    match t.iter().position(|b| !b.is_ascii_graphic()) {
        Some(offset) => Err(SaslError::ForbiddenByte {
            field: Field::Token,
            byte: t.get(offset).copied().unwrap_or(0),
            offset,
        }),
        None => Ok(()),
    }
}

/// Checks that a server error challenge is a JSON object (as both formats require), at
/// least superficially: `{ ... }`, UTF-8, no NUL/CR/LF.
pub(crate) fn check_error_document(doc: &str, mechanism: Mechanism) -> Result<(), SaslError> {
    check_name(doc.as_bytes(), Field::ErrorDocument)?;
    let t = doc.trim();
    if t.starts_with('{') && t.ends_with('}') {
        Ok(())
    } else {
        Err(SaslError::Malformed {
            mechanism,
            offset: 0,
            reason: "error document must be a JSON object",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_malformed() {
        assert!(matches!(
            XOAuth2Message::parse(b"user=a\x01auth=Bearer t\x01"),
            Err(SaslError::Malformed {
                reason: "missing ^A terminator",
                ..
            })
        ));
        assert!(matches!(
            XOAuth2Message::parse(b"user=a\x01auth=Basic t\x01\x01"),
            Err(SaslError::Malformed { offset: 12, .. })
        ));
        assert!(matches!(
            XOAuth2Message::parse(b"user=a\x01\x01\x01"),
            Err(SaslError::Malformed { .. })
        ));
        assert!(matches!(
            XOAuth2Message::parse(b"user=a\rb\x01auth=Bearer t\x01\x01"),
            Err(SaslError::ForbiddenByte { byte: b'\r', .. })
        ));
    }

    #[test]
    fn oauthbearer_rejects_channel_binding_and_bad_port() {
        assert!(matches!(
            OAuthBearerMessage::parse(b"p=tls-exporter,,\x01auth=Bearer x\x01\x01"),
            Err(SaslError::ChannelBinding(_))
        ));
        assert!(matches!(
            OAuthBearerMessage::parse(b"n,,\x01port=99999\x01auth=Bearer x\x01\x01"),
            Err(SaslError::Malformed { .. })
        ));
        assert!(OAuthBearerMessage::parse(b"n,,\x01auth=Bearer x\x01\x01").is_ok());
    }
}
