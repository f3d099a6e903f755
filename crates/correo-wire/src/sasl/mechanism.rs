//! SASL mechanism names and mechanism selection.

use core::fmt;
use core::str::FromStr;

use super::SaslError;

/// A SASL mechanism correo implements.
///
/// Names are parsed case-insensitively (servers advertise `AUTH=plain` as well as
/// `AUTH PLAIN`) and always printed in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): authzid, user name and password in one message.
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login): user name and password in answer to the
    /// `Username:` and `Password:` challenges.
    Login,
    /// `CRAM-MD5` (RFC 2195): legacy challenge/response with HMAC-MD5. Opt-in only.
    CramMd5,
    /// `XOAUTH2` (Google, Microsoft): an OAuth 2.0 bearer token.
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628): an OAuth 2.0 bearer token with a GS2 header.
    OAuthBearer,
    /// `SCRAM-SHA-1` (RFC 5802).
    ScramSha1,
    /// `SCRAM-SHA-1-PLUS` (RFC 5802, with channel binding).
    ScramSha1Plus,
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS` (RFC 7677, with channel binding).
    ScramSha256Plus,
}

impl Mechanism {
    /// Every mechanism, strongest first (the order [`select`] prefers).
    pub const ALL: [Mechanism; 9] = [
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1,
        Mechanism::OAuthBearer,
        Mechanism::XOAuth2,
        Mechanism::CramMd5,
        Mechanism::Plain,
        Mechanism::Login,
    ];

    /// The registered name, upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::ScramSha1 => "SCRAM-SHA-1",
            Mechanism::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
        }
    }

    /// Parses a mechanism name, ignoring ASCII case. Unknown names give `None`.
    ///
    /// ```
    /// use correo_wire::sasl::Mechanism;
    /// assert_eq!(Mechanism::parse(b"scram-sha-256"), Some(Mechanism::ScramSha256));
    /// assert_eq!(Mechanism::parse(b"XOAUTH"), None);
    /// ```
    pub fn parse(name: &[u8]) -> Option<Mechanism> {
        Mechanism::ALL
            .into_iter()
            .find(|m| m.as_str().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether the mechanism sends the password or a bearer token in a form an
    /// eavesdropper can reuse (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER): such mechanisms are
    /// only selected over a channel the caller declares secure (TLS).
    pub const fn is_plaintext(self) -> bool {
        matches!(
            self,
            Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 | Mechanism::OAuthBearer
        )
    }

    /// Whether this is a SCRAM mechanism with channel binding (`-PLUS`).
    pub const fn is_plus(self) -> bool {
        matches!(self, Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus)
    }

    /// Whether this is one of the SCRAM mechanisms.
    pub const fn is_scram(self) -> bool {
        matches!(
            self,
            Mechanism::ScramSha1
                | Mechanism::ScramSha1Plus
                | Mechanism::ScramSha256
                | Mechanism::ScramSha256Plus
        )
    }

    /// Whether the client speaks first (and can therefore send an initial response with
    /// SASL-IR). LOGIN and CRAM-MD5 start with a server challenge.
    pub const fn client_first(self) -> bool {
        !matches!(self, Mechanism::Login | Mechanism::CramMd5)
    }

    /// Rank used by [`select`]: higher is stronger.
    const fn strength(self) -> u8 {
        match self {
            Mechanism::ScramSha256Plus => 9,
            Mechanism::ScramSha1Plus => 8,
            Mechanism::ScramSha256 => 7,
            Mechanism::ScramSha1 => 6,
            Mechanism::OAuthBearer => 5,
            Mechanism::XOAuth2 => 4,
            Mechanism::CramMd5 => 3,
            Mechanism::Plain => 2,
            Mechanism::Login => 1,
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mechanism {
    type Err = SaslError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mechanism::parse(s.as_bytes())
            .ok_or_else(|| SaslError::UnknownMechanism(s.chars().take(64).collect()))
    }
}

/// Picks the strongest mechanism that both sides support.
///
/// `ours` lists what the caller is able to use (include `-PLUS` variants only when it
/// has channel-binding data, CRAM-MD5 only if it opts in, OAuth mechanisms only with a
/// token). `advertised` lists the server's names as they appear on the wire (`EHLO`'s
/// `AUTH` line, IMAP's `AUTH=` capabilities, POP3's `SASL` capability); unknown names
/// are skipped and case is ignored. Mechanisms that expose the password or a bearer
/// token ([`Mechanism::is_plaintext`]) are only chosen when `channel_is_secure`.
///
/// ```
/// use correo_wire::sasl::{select, Mechanism};
/// let ehlo = "LOGIN PLAIN XOAUTH XOAUTH2 scram-sha-1".split(' ');
/// let ours = [Mechanism::Plain, Mechanism::Login, Mechanism::ScramSha1];
/// assert_eq!(select(&ours, ehlo.clone(), false), Some(Mechanism::ScramSha1));
/// assert_eq!(select(&[Mechanism::Plain], ehlo.clone(), false), None);
/// assert_eq!(select(&[Mechanism::Plain], ehlo, true), Some(Mechanism::Plain));
/// ```
pub fn select<'a, I>(
    ours: &[Mechanism],
    advertised: I,
    channel_is_secure: bool,
) -> Option<Mechanism>
where
    I: IntoIterator<Item = &'a str>,
{
    advertised
        .into_iter()
        .filter_map(|name| Mechanism::parse(name.trim().as_bytes()))
        .filter(|m| ours.contains(m))
        .filter(|m| channel_is_secure || !m.is_plaintext())
        .max_by_key(|m| m.strength())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::parse(m.as_str().as_bytes()), Some(m));
            assert_eq!(m.as_str().to_ascii_lowercase().parse::<Mechanism>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        assert!(matches!(
            "SCRAM-SHA-512".parse::<Mechanism>(),
            Err(SaslError::UnknownMechanism(_))
        ));
    }

    #[test]
    fn strength_order_matches_all() {
        let ranks: Vec<u8> = Mechanism::ALL.iter().map(|m| m.strength()).collect();
        assert!(ranks.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn select_prefers_plus_then_sha256() {
        let adv = [
            "SCRAM-SHA-1",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-256",
            "PLAIN",
        ];
        assert_eq!(
            select(&Mechanism::ALL, adv, true),
            Some(Mechanism::ScramSha256Plus)
        );
        assert_eq!(
            select(
                &[
                    Mechanism::ScramSha1,
                    Mechanism::ScramSha256,
                    Mechanism::Plain
                ],
                adv,
                false
            ),
            Some(Mechanism::ScramSha256)
        );
        assert_eq!(select(&[Mechanism::Login], adv, true), None);
    }

    #[test]
    fn cram_md5_allowed_in_clear_only_if_opted_in() {
        let adv = ["CRAM-MD5", "PLAIN"];
        assert_eq!(select(&[Mechanism::Plain], adv, false), None);
        assert_eq!(
            select(&[Mechanism::Plain, Mechanism::CramMd5], adv, false),
            Some(Mechanism::CramMd5)
        );
    }
}
