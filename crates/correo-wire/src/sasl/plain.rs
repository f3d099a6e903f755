//! The PLAIN message (RFC 4616): `[authzid] NUL authcid NUL passwd`.

use super::{Field, Mechanism, SaslError, check_name, utf8};

/// A PLAIN message, borrowed from the bytes it was parsed from.
///
/// ```
/// use correo_wire::sasl::plain::PlainMessage;
/// let m = PlainMessage::new(None, "tim", "tanstaaftanstaaf").unwrap();
/// assert_eq!(m.encode(), b"\0tim\0tanstaaftanstaaf");
/// assert_eq!(PlainMessage::parse(b"Ursel\0Kurt\0xipj3plmq").unwrap().authzid, Some("Ursel"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainMessage<'a> {
    /// The identity to act as; `None` (sent as an empty field) means "the user's own".
    pub authzid: Option<&'a str>,
    /// The authentication identity (user name).
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
}

impl<'a> PlainMessage<'a> {
    /// Builds a message, checking every field: no NUL anywhere, no CR/LF in the names,
    /// non-empty user name and password. `Some("")` as authzid means `None`.
    pub fn new(
        authzid: Option<&'a str>,
        username: &'a str,
        password: &'a str,
    ) -> Result<Self, SaslError> {
        let authzid = authzid.filter(|a| !a.is_empty());
        if let Some(a) = authzid {
            check_name(a.as_bytes(), Field::Authzid)?;
        }
        check_name(username.as_bytes(), Field::Username)?;
        if username.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        if password.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Password,
            });
        }
        if let Some(offset) = memchr::memchr(0, password.as_bytes()) {
            return Err(SaslError::ForbiddenByte {
                field: Field::Password,
                byte: 0,
                offset,
            });
        }
        Ok(PlainMessage {
            authzid,
            username,
            password,
        })
    }

    /// The bytes a client sends (before base64).
    pub fn encode(&self) -> Vec<u8> {
        let az = self.authzid.unwrap_or("");
        let mut out = Vec::with_capacity(az.len() + self.username.len() + self.password.len() + 2);
        out.extend_from_slice(az.as_bytes());
        out.push(0);
        out.extend_from_slice(self.username.as_bytes());
        out.push(0);
        out.extend_from_slice(self.password.as_bytes());
        out
    }

    /// Parses the bytes a client sent (after base64 decoding).
    pub fn parse(msg: &'a [u8]) -> Result<Self, SaslError> {
        let malformed = |offset, reason| SaslError::Malformed {
            mechanism: Mechanism::Plain,
            offset,
            reason,
        };
        let n1 =
            memchr::memchr(0, msg).ok_or(malformed(msg.len(), "expected NUL after authzid"))?;
        let rest = msg.get(n1 + 1..).unwrap_or_default();
        let n2 =
            memchr::memchr(0, rest).ok_or(malformed(msg.len(), "expected NUL after user name"))?;
        let pw_start = n1 + 1 + n2 + 1;
        let pw = msg.get(pw_start..).unwrap_or_default();
        if let Some(extra) = memchr::memchr(0, pw) {
            return Err(malformed(pw_start + extra, "NUL in password"));
        }
        let az = msg.get(..n1).unwrap_or_default();
        let user = rest.get(..n2).unwrap_or_default();
        let authzid = utf8(az, Field::Authzid)?;
        check_name(az, Field::Authzid)?;
        let username = utf8(user, Field::Username)?;
        check_name(user, Field::Username)?;
        let password = utf8(pw, Field::Password)?;
        if username.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Username,
            });
        }
        if password.is_empty() {
            return Err(SaslError::EmptyField {
                field: Field::Password,
            });
        }
        Ok(PlainMessage {
            authzid: (!authzid.is_empty()).then_some(authzid),
            username,
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_structure_errors() {
        assert!(matches!(
            PlainMessage::parse(b"user\0pass"),
            Err(SaslError::Malformed { offset: 9, .. })
        ));
        assert!(matches!(
            PlainMessage::parse(b"\0u\0p\0q"),
            Err(SaslError::Malformed { offset: 4, .. })
        ));
        assert_eq!(
            PlainMessage::parse(b"\0\0p"),
            Err(SaslError::EmptyField {
                field: Field::Username
            })
        );
        assert_eq!(
            PlainMessage::parse(b"\0u\0"),
            Err(SaslError::EmptyField {
                field: Field::Password
            })
        );
        assert_eq!(
            PlainMessage::parse(b"\0u\xff\0p"),
            Err(SaslError::InvalidUtf8 {
                field: Field::Username,
                offset: 1
            })
        );
        assert_eq!(
            PlainMessage::parse(b"a\nb\0u\0p"),
            Err(SaslError::ForbiddenByte {
                field: Field::Authzid,
                byte: b'\n',
                offset: 1
            })
        );
    }

    #[test]
    fn new_checks_fields() {
        assert!(matches!(
            PlainMessage::new(None, "u\0x", "p"),
            Err(SaslError::ForbiddenByte {
                byte: 0,
                offset: 1,
                ..
            })
        ));
        assert!(matches!(
            PlainMessage::new(None, "u", "p\0"),
            Err(SaslError::ForbiddenByte {
                field: Field::Password,
                ..
            })
        ));
        assert_eq!(PlainMessage::new(Some(""), "u", "p").unwrap().authzid, None);
    }
}
