//! SMTP: seed 000 ex. 1-2 and seed 004 — EHLO and its extensions, STARTTLS, AUTH PLAIN,
//! the "Test mail" with a false envelope sender, two `prueba` messages and a DKIM-signed
//! message with a GIF attachment, all in one pipelined session.

use base64::Engine as _;
use correo_auth::dkim::DkimSigner;
use correo_smtp::TlsMode;
use correo_wire::sasl::Mechanism;

use super::{Res, Tour, contains, data, side};
use crate::send::{self, Mail, Report, Submission};

/// The messages of the lab, built and signed: (what it is, envelope sender, bytes).
fn messages(tour: &mut Tour) -> Res<Vec<(&'static str, &'static str, Vec<u8>)>> {
    let gif_msg = data::gif_message(&tour.gif)?;
    tour.signed_at = crate::net::unix_now();
    let field = DkimSigner::new(tour.dkim_key(), data::DOMAIN, data::SELECTOR)
        .timestamp(tour.signed_at)
        .sign(&gif_msg)?;
    let mut signed = field.into_bytes();
    signed.extend_from_slice(&gif_msg);
    Ok(vec![
        (
            "\"Test mail\" with a false envelope sender",
            data::FAKE_SENDER,
            data::test_mail(),
        ),
        (
            "\"prueba\" in the body",
            "100429021@alumnos.uc3m.es",
            data::prueba_in_body()?,
        ),
        (
            "\"prueba\" in the subject",
            "100429021@alumnos.uc3m.es",
            data::prueba_in_subject()?,
        ),
        (
            "GIF attachment, accented text, DKIM-signed",
            "lab@lab.it.uc3m.es",
            signed,
        ),
    ])
}

/// One SMTP session submitting `mails`: STARTTLS required, AUTH PLAIN.
pub(super) fn session(tour: &Tour, mails: &[Mail<'_>]) -> Res<Report> {
    let server = tour.smtp.to_string();
    send::submit(
        &Submission {
            server: &server,
            tls: TlsMode::Required,
            tls_config: Some(std::sync::Arc::clone(&tour.tls)),
            credentials: Some((data::USER.to_owned(), tour.password.clone())),
            mechanisms: Some(vec![Mechanism::Plain]),
            insecure_auth: false,
            helo: data::DOMAIN,
            chunking: false,
            // Loopback: a server that says nothing for this long is broken.
            read_timeout: std::time::Duration::from_secs(20),
        },
        mails,
        &tour.transcript(),
    )
}

/// Builds and submits the four messages; records the steps.
pub(super) fn deliver(tour: &mut Tour) -> Res<()> {
    let messages = messages(tour)?;
    let rcpt = vec![data::rcpt()];
    let mails: Vec<Mail<'_>> = messages
        .iter()
        .map(|(_, from, bytes)| Mail {
            from,
            to: &rcpt,
            message: bytes,
        })
        .collect();
    let report = session(tour, &mails)?;
    let log = tour.take_log();

    let wanted = ["PIPELINING", "SIZE", "STARTTLS", "8BITMIME"];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|w| {
            !report.ehlo_before_tls.iter().any(|c| {
                c.split(' ')
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case(w))
            })
        })
        .copied()
        .collect();
    tour.check(
        "EHLO offers PIPELINING, SIZE, STARTTLS, 8BITMIME (ex. 1)",
        missing.is_empty(),
        format!("missing {missing:?}; offered {:?}", report.ehlo_before_tls),
    );
    tour.check(
        "STARTTLS: TLS up, the pinned certificate accepted (seed 004)",
        report.tls,
        "no TLS",
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!(
        "\0{}\0{}",
        data::USER,
        data::PASSWORD
    ));
    let client = side(&log, "C");
    tour.check(
        "AUTH PLAIN sends the base64 the seed computes with perl",
        contains(&client, format!("AUTH PLAIN {b64}\r\n").as_bytes()),
        format!("no `AUTH PLAIN {b64}` line was sent"),
    );
    tour.check(
        "AUTH PLAIN accepted (235)",
        report.authenticated,
        report.error.as_deref().unwrap_or("not authenticated"),
    );
    let pipelined = log.iter().any(|(who, b)| {
        *who == "C"
            && contains(b, b"MAIL FROM:")
            && contains(b, b"RCPT TO:")
            && contains(b, b"DATA\r\n")
    });
    tour.check(
        "PIPELINING: MAIL, RCPT and DATA sent in one write",
        pipelined,
        "every command went in a write of its own",
    );
    for (i, (what, _, _)) in messages.iter().enumerate() {
        let outcome = report.outcomes.get(i);
        let queued = outcome.is_some_and(|o| o.queued && o.accepted.iter().all(|&a| a));
        let detail = outcome.map_or_else(
            || report.error.clone().unwrap_or_else(|| "not sent".into()),
            |o| {
                o.error
                    .clone()
                    .unwrap_or_else(|| format!("last reply: {}", o.last_reply))
            },
        );
        tour.check(format!("queued: {what}"), queued, detail);
    }
    let stored = tour.inbox()?.messages.len();
    tour.check(
        "the Maildir INBOX holds the 4 messages",
        stored == messages.len(),
        format!("{stored} messages stored"),
    );
    tour.sent = messages.into_iter().map(|(_, _, m)| m).collect();
    Ok(())
}

/// The SMTP section.
pub(super) fn run(tour: &mut Tour) -> Res<()> {
    tour.heading("SMTP: seed 000 ex. 1-2 and seed 004 (EHLO, STARTTLS, AUTH PLAIN, pipelining)");
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!(
        "\0{}\0{}",
        data::USER,
        data::PASSWORD
    ));
    tour.say(format!(
        "$ perl -MMIME::Base64 -e 'print encode_base64(\"\\000{}\\000{}\")'\n{b64}",
        data::USER,
        data::PASSWORD
    ));
    tour.say(format!(
        "$ openssl s_client -starttls smtp -crlf -connect {}   # here: correo's SMTP client",
        tour.smtp
    ));
    tour.say(format!(
        "(the GIF message is DKIM-signed before sending: correo-auth, a=ed25519-sha256, d={} s={})",
        data::DOMAIN,
        data::SELECTOR
    ));
    deliver(tour)
}
