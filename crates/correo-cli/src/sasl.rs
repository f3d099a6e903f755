//! `correo sasl`: compute and decode SASL exchanges by hand.
//!
//! What the lab notes do with `perl -MMIME::Base64 -e 'print encode_base64("\000user\000pass")'`
//! and `openssl enc -base64`, with the messages built by `correo_wire::sasl` so that they
//! are exactly what correo's clients send.

use std::error::Error;
use std::fmt::Write as _;
use std::process::ExitCode;

use correo_wire::sasl::SaslClient;
use correo_wire::sasl::framing::{Decoded, decode_line, encode_initial_response, encode_response};
use correo_wire::sasl::plain::PlainMessage;
use correo_wire::sasl::scram::{ScramCredentials, ScramHash};

/// Largest message `decode` accepts (decoded bytes).
const MAX_DECODED: usize = 1 << 20;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SaslCommand {
    /// Print the base64 a client sends for AUTH PLAIN (RFC 4616).
    ///
    /// Same as `perl -MMIME::Base64 -e 'print encode_base64("\000USER\000PASS")'`.
    /// Note that arguments are visible to other users of the machine (ps).
    Plain {
        /// The user name (authentication identity).
        user: String,
        /// The password.
        pass: String,
        /// Identity to act as (authorization identity); empty by default.
        #[arg(long)]
        authzid: Option<String>,
    },
    /// Print the two base64 lines a client sends for AUTH LOGIN (user, then password).
    Login {
        /// The user name, sent after `334 VXNlcm5hbWU6` (Username:).
        user: String,
        /// The password, sent after `334 UGFzc3dvcmQ6` (Password:).
        pass: String,
    },
    /// Decode a base64 challenge or response and print it (e.g. `VXNlcm5hbWU6`).
    ///
    /// Bytes that are not printable are shown as escapes: `\0`, `\r`, `\n`, `\t`,
    /// `\x01`, `\\`. A leading `334 ` (SMTP) or `+ ` (POP3, IMAP) is ignored, so a server line can be
    /// pasted as it is.
    Decode {
        /// The base64 text, e.g. `VXNlcm5hbWU6`.
        base64: String,
    },
    /// Encode text as base64, with `\0`-style escapes (the inverse of `decode`).
    ///
    /// `\0`, `\r`, `\n`, `\t`, `\\` and `\xNN` are understood, so
    /// `correo sasl encode '\0user\0pass'` is an AUTH PLAIN line.
    Encode {
        /// The text, with escapes.
        text: String,
    },
    /// Answer a CRAM-MD5 challenge (RFC 2195): prints the base64 response.
    CramMd5 {
        /// The user name.
        user: String,
        /// The shared secret (password).
        secret: String,
        /// The server's challenge, base64 as sent after `334 ` / `+ `.
        challenge: String,
    },
    /// Derive the SCRAM credentials a server stores for a password.
    ///
    /// Printed as `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64
    /// fields), the format PostgreSQL uses.
    ScramCredentials {
        /// The password.
        pass: String,
        /// The salt, base64 (use 16 random bytes: `openssl rand -base64 16`).
        #[arg(long)]
        salt: String,
        /// PBKDF2 iteration count.
        #[arg(long, default_value_t = 4096)]
        iterations: u32,
        /// Use SCRAM-SHA-1 instead of SCRAM-SHA-256.
        #[arg(long)]
        sha1: bool,
    },
}

pub(crate) fn run(cmd: SaslCommand) -> Result<ExitCode, Box<dyn Error>> {
    match cmd {
        SaslCommand::Plain {
            user,
            pass,
            authzid,
        } => {
            let m = PlainMessage::new(authzid.as_deref(), &user, &pass)?;
            println!("{}", encode_initial_response(&m.encode()));
        }
        SaslCommand::Login { user, pass } => {
            let mut client = SaslClient::login(&user, &pass)?;
            println!("{}", client.step_line(b"VXNlcm5hbWU6")?);
            println!("{}", client.step_line(b"UGFzc3dvcmQ6")?);
        }
        SaslCommand::Decode { base64 } => {
            let line = strip_prefix(&base64);
            match decode_line(line.as_bytes(), MAX_DECODED)? {
                Decoded::Data(bytes) => println!("{}", escape(&bytes)),
                Decoded::Cancel => println!("* (the client cancels the exchange)"),
            }
        }
        SaslCommand::Encode { text } => {
            println!("{}", encode_response(&unescape(&text)?));
        }
        SaslCommand::CramMd5 {
            user,
            secret,
            challenge,
        } => {
            let mut client = SaslClient::cram_md5(&user, &secret)?;
            println!("{}", client.step_line(strip_prefix(&challenge).as_bytes())?);
        }
        SaslCommand::ScramCredentials {
            pass,
            salt,
            iterations,
            sha1,
        } => {
            let salt_bytes = match decode_line(salt.as_bytes(), 1024)? {
                Decoded::Data(d) if !d.is_empty() => d,
                _ => return Err("--salt must be non-empty base64".into()),
            };
            let hash = if sha1 {
                ScramHash::Sha1
            } else {
                ScramHash::Sha256
            };
            let c = ScramCredentials::derive(hash, &pass, &salt_bytes, iterations)?;
            println!(
                "{}${}:{}${}:{}",
                hash.mechanism(false),
                c.iterations,
                encode_response(&c.salt),
                encode_response(&c.stored_key),
                encode_response(&c.server_key)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn strip_prefix(line: &str) -> &str {
    let t = line.trim_start();
    t.strip_prefix("334 ")
        .or_else(|| t.strip_prefix("+ "))
        .unwrap_or(t)
}

/// Shows bytes as text: printable characters as they are, the rest as escapes.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\0' => out.push_str("\\0"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_ascii_control() => {
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                }
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// The inverse of [`escape`] (plus `\xNN` for any byte).
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next().map(|(_, e)| e) {
            Some('0') => out.push(0),
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).map(|(_, h)| h).collect();
                let byte = u8::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 2);
                out.push(byte.ok_or_else(|| format!("bad \\x escape at byte {i}"))?);
            }
            _ => {
                return Err(format!(
                    "unknown escape at byte {i} (use \\0 \\r \\n \\t \\\\ \\xNN)"
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_unescape_round_trip() {
        let raw = b"\0user\0pa\\ss\r\n\t\x01\xff\xc3\xb1";
        let shown = escape(raw);
        assert_eq!(shown, "\\0user\\0pa\\\\ss\\r\\n\\t\\x01\\xffñ");
        assert_eq!(unescape(&shown).unwrap(), raw);
        assert!(unescape("bad \\q").is_err());
        assert!(unescape("bad \\x4").is_err());
    }
}
