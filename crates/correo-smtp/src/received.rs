//! The `Received:` trace header (RFC 5321 section 4.4) with RFC 3848 / RFC 6531 protocol names.

use std::fmt;

/// The `with` protocol name of a `Received:` header (RFC 3848, RFC 6531, RFC 2033).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Plain SMTP (`HELO`).
    Smtp,
    /// `ESMTP`.
    Esmtp,
    /// `ESMTPS`: over TLS.
    Esmtps,
    /// `ESMTPA`: authenticated.
    Esmtpa,
    /// `ESMTPSA`: over TLS and authenticated.
    Esmtpsa,
    /// `LMTP`.
    Lmtp,
    /// `LMTPS`.
    Lmtps,
    /// `LMTPA`.
    Lmtpa,
    /// `LMTPSA`.
    Lmtpsa,
    /// `UTF8SMTP`: ESMTP with SMTPUTF8 in use (RFC 6531).
    Utf8Smtp,
    /// `UTF8SMTPS`.
    Utf8Smtps,
    /// `UTF8SMTPA`.
    Utf8Smtpa,
    /// `UTF8SMTPSA`.
    Utf8Smtpsa,
    /// `UTF8LMTP`.
    Utf8Lmtp,
    /// `UTF8LMTPS`.
    Utf8Lmtps,
    /// `UTF8LMTPA`.
    Utf8Lmtpa,
    /// `UTF8LMTPSA`.
    Utf8Lmtpsa,
}

impl Protocol {
    /// Picks the name for a session: LMTP or not, `EHLO` (vs `HELO`), TLS, authenticated,
    /// SMTPUTF8 used by the transaction.
    pub fn for_session(lmtp: bool, esmtp: bool, tls: bool, auth: bool, utf8: bool) -> Protocol {
        use Protocol::*;
        match (lmtp, utf8, tls, auth) {
            (true, false, false, false) => Lmtp,
            (true, false, true, false) => Lmtps,
            (true, false, false, true) => Lmtpa,
            (true, false, true, true) => Lmtpsa,
            (true, true, false, false) => Utf8Lmtp,
            (true, true, true, false) => Utf8Lmtps,
            (true, true, false, true) => Utf8Lmtpa,
            (true, true, true, true) => Utf8Lmtpsa,
            (false, _, false, false) if !esmtp => Smtp,
            (false, false, false, false) => Esmtp,
            (false, false, true, false) => Esmtps,
            (false, false, false, true) => Esmtpa,
            (false, false, true, true) => Esmtpsa,
            (false, true, false, false) => Utf8Smtp,
            (false, true, true, false) => Utf8Smtps,
            (false, true, false, true) => Utf8Smtpa,
            (false, true, true, true) => Utf8Smtpsa,
        }
    }

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        use Protocol::*;
        match self {
            Smtp => "SMTP",
            Esmtp => "ESMTP",
            Esmtps => "ESMTPS",
            Esmtpa => "ESMTPA",
            Esmtpsa => "ESMTPSA",
            Lmtp => "LMTP",
            Lmtps => "LMTPS",
            Lmtpa => "LMTPA",
            Lmtpsa => "LMTPSA",
            Utf8Smtp => "UTF8SMTP",
            Utf8Smtps => "UTF8SMTPS",
            Utf8Smtpa => "UTF8SMTPA",
            Utf8Smtpsa => "UTF8SMTPSA",
            Utf8Lmtp => "UTF8LMTP",
            Utf8Lmtps => "UTF8LMTPS",
            Utf8Lmtpa => "UTF8LMTPA",
            Utf8Lmtpsa => "UTF8LMTPSA",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What goes into a `Received:` header. Every field is text the caller already has; the
/// date is passed in (no clock is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received<'a> {
    /// The name the client gave in `HELO`/`EHLO`/`LHLO`.
    pub helo: Option<&'a str>,
    /// The client's reverse-DNS name, if the caller looked it up.
    pub remote_name: Option<&'a str>,
    /// The client's address (`192.0.2.1` or `IPv6:2001:db8::1`).
    pub remote_addr: Option<&'a str>,
    /// This server's name.
    pub by: &'a str,
    /// The protocol name.
    pub protocol: Protocol,
    /// The queue id, if any.
    pub id: Option<&'a str>,
    /// The single recipient, when there was exactly one (`<alice@example.org>`).
    pub for_recipient: Option<&'a str>,
    /// The RFC 5322 date-time (`Sun, 22 Nov 2026 23:20:45 +0000`).
    pub date: &'a str,
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == ';' || c == '(' || c == ')' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

impl Received<'_> {
    /// The header field, folded, ending in CRLF.
    ///
    /// ```
    /// use correo_smtp::received::{Protocol, Received};
    /// let h = Received {
    ///     helo: Some("client.example.org"),
    ///     remote_name: None,
    ///     remote_addr: Some("192.0.2.7"),
    ///     by: "mx.example.test",
    ///     protocol: Protocol::Esmtpsa,
    ///     id: Some("4Xyz"),
    ///     for_recipient: Some("<alice@example.test>"),
    ///     date: "Sun, 22 Nov 2026 23:20:45 +0000",
    /// }
    /// .to_header();
    /// assert_eq!(
    ///     h,
    ///     "Received: from client.example.org ([192.0.2.7])\r\n\tby mx.example.test with ESMTPSA id 4Xyz\r\n\tfor <alice@example.test>; Sun, 22 Nov 2026 23:20:45 +0000\r\n"
    /// );
    /// ```
    pub fn to_header(&self) -> String {
        let mut h = String::from("Received:");
        if self.helo.is_some() || self.remote_addr.is_some() || self.remote_name.is_some() {
            h.push_str(" from ");
            h.push_str(&clean(self.helo.unwrap_or("unknown")));
            let tcp = match (self.remote_name, self.remote_addr) {
                (Some(n), Some(a)) => Some(format!("{} [{}]", clean(n), clean(a))),
                (None, Some(a)) => Some(format!("[{}]", clean(a))),
                (Some(n), None) => Some(clean(n)),
                (None, None) => None,
            };
            if let Some(t) = tcp {
                h.push_str(" (");
                h.push_str(&t);
                h.push(')');
            }
            h.push_str("\r\n\t");
        } else {
            h.push(' ');
        }
        h.push_str("by ");
        h.push_str(&clean(self.by));
        h.push_str(" with ");
        h.push_str(self.protocol.as_str());
        if let Some(id) = self.id {
            h.push_str(" id ");
            h.push_str(&clean(id));
        }
        if let Some(r) = self.for_recipient {
            h.push_str("\r\n\tfor ");
            h.push_str(&clean(r));
        }
        h.push_str("; ");
        h.push_str(&clean(self.date));
        h.push_str("\r\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            Protocol::for_session(false, false, false, false, false).as_str(),
            "SMTP"
        );
        assert_eq!(
            Protocol::for_session(false, true, false, false, false).as_str(),
            "ESMTP"
        );
        assert_eq!(
            Protocol::for_session(false, true, true, false, false).as_str(),
            "ESMTPS"
        );
        assert_eq!(
            Protocol::for_session(false, true, false, true, false).as_str(),
            "ESMTPA"
        );
        assert_eq!(
            Protocol::for_session(false, true, true, true, false).as_str(),
            "ESMTPSA"
        );
        assert_eq!(
            Protocol::for_session(true, true, false, false, false).as_str(),
            "LMTP"
        );
        assert_eq!(
            Protocol::for_session(false, true, true, true, true).as_str(),
            "UTF8SMTPSA"
        );
    }

    #[test]
    fn no_injection() {
        let h = Received {
            helo: Some("evil\r\nBcc: x"),
            remote_name: None,
            remote_addr: None,
            by: "mx",
            protocol: Protocol::Esmtp,
            id: None,
            for_recipient: None,
            date: "now",
        }
        .to_header();
        assert_eq!(h.matches("\r\n").count(), 2);
        assert!(h.contains("evil  Bcc: x"));
    }
}
