//! The tour's demo data: the seed lab's user, messages, GIF, DNS answers and DKIM key.

use correo_mime::build::{MessageBuilder, Part, Transport};
use correo_mime::header::{DateTime, Mailbox};

/// The lab account of seed 000 (`0xxxxxx` = 0429021) and its password.
pub(crate) const USER: &str = "0429021";
/// The password the seed types at `PASS` and `A001 LOGIN`.
pub(crate) const PASSWORD: &str = "MiSuperContraseña";
/// The lab's mail domain.
pub(crate) const DOMAIN: &str = "lab.it.uc3m.es";
/// The lab machine's name (greetings, Received fields).
pub(crate) const HOSTNAME: &str = "vit125.lab.it.uc3m.es";
/// The false envelope sender of ex. 2.
pub(crate) const FAKE_SENDER: &str = "feik@lab.it.uc3m.es";
/// The DKIM selector the tour signs with (`s=mail`, as the lab's Postfix does).
pub(crate) const SELECTOR: &str = "mail";
/// The attachment's file name (seed 000, ex. 4).
pub(crate) const GIF_NAME: &str = "noot-noot.gif";
/// The accented text of the GIF message (seed 000 ex. 3: "texto con acentos").
pub(crate) const ACCENTED: &str = "Hola:\n\nTe envío la imagen que comentamos en la práctica, \
con acentos y eñes: «¿Qué tal?», pingüino, canción, árbol, corazón.\n\nUn saludo.\n";

/// The recipient address.
pub(crate) fn rcpt() -> String {
    format!("{USER}@{DOMAIN}")
}

/// Seed 000, ex. 2, exactly as typed at the DATA prompt (CRLF line ends).
pub(crate) fn test_mail() -> Vec<u8> {
    "From: feik@lab.it.uc3m.es\r\n\
To: 0429021@lab.it.uc3m.es\r\n\
Cc: admin@lab.it.uc3m.es\r\n\
Date: Sat Nov 23 19:45:03 2024\r\n\
Subject: Test mail\r\n\
\r\n\
We've been trying to reach you about your car's extended warranty.\r\n"
        .as_bytes()
        .to_vec()
}

fn student() -> Mailbox<'static> {
    Mailbox::new(Some("Alumno de Telemática"), "100429021", "alumnos.uc3m.es")
}

fn lab_user() -> Mailbox<'static> {
    Mailbox::new(None::<&str>, USER, DOMAIN)
}

/// `Date:` at `unix` seconds, in the lab's time zone (CET, +0100).
fn dated(b: MessageBuilder<'static>, unix: i64) -> MessageBuilder<'static> {
    match DateTime::from_unix(unix, Some(60)) {
        Some(d) => b.date(d),
        None => b,
    }
}

/// Seed 000 ex. 3: a message with `prueba` in the body only.
pub(crate) fn prueba_in_body() -> Result<Vec<u8>, correo_mime::build::BuildError> {
    dated(MessageBuilder::new(), 1_732_388_040)
        .from(student())
        .to(lab_user())
        .subject("Apuntes de la práctica")
        .message_id_from(&[2; 12], "alumnos.uc3m.es")
        .transport(Transport::EightBitMime)
        .text("Este correo es una prueba: la palabra está en el cuerpo.\n")
        .to_vec()
}

/// Seed 000 ex. 3: a message with `prueba` in the subject.
pub(crate) fn prueba_in_subject() -> Result<Vec<u8>, correo_mime::build::BuildError> {
    dated(MessageBuilder::new(), 1_732_388_110)
        .from(student())
        .to(lab_user())
        .subject("prueba")
        .message_id_from(&[3; 12], "alumnos.uc3m.es")
        .transport(Transport::EightBitMime)
        .text("Aquí la palabra solo aparece en el asunto.\n")
        .to_vec()
}

/// Seed 000 ex. 3-4: multipart/mixed { multipart/alternative { text, html }, image/gif },
/// accented text, as Gmail sent it in the seed.
pub(crate) fn gif_message(gif: &[u8]) -> Result<Vec<u8>, correo_mime::build::BuildError> {
    let html = format!(
        "<div dir=\"ltr\">{}</div>\n",
        ACCENTED.trim_end().replace("\n\n", "<br><br>")
    );
    dated(MessageBuilder::new(), 1_732_388_170)
        .from(Mailbox::new(
            Some("Laboratorio de Telemática"),
            "lab",
            DOMAIN,
        ))
        .to(lab_user())
        .subject("noot noot")
        .message_id_from(&[4; 12], DOMAIN)
        .boundary_seed(0x6dd7_bc06_2799_0dc1)
        .body(Part::mixed(vec![
            Part::alternative(vec![Part::text(ACCENTED), Part::html(html)]),
            Part::attachment("image", "gif", GIF_NAME, gif.to_vec()).content_id("f_m3uj5f1y0"),
        ]))
        .to_vec()
}

/// The message IDLE is woken by (seed 000 ex. 12 carries on with new mail arriving).
pub(crate) fn idle_wakeup() -> Result<Vec<u8>, correo_mime::build::BuildError> {
    dated(MessageBuilder::new(), 1_732_389_000)
        .from(student())
        .to(lab_user())
        .subject("IDLE: correo nuevo")
        .message_id_from(&[5; 12], "alumnos.uc3m.es")
        .text("Este mensaje llega mientras el cliente IMAP espera en IDLE.\n")
        .to_vec()
}

/// A small but real GIF89a (a 1x1 image) standing in for the seed's 498 kB
/// `noot-noot.gif`: a comment block makes it span many base64 lines, and an application
/// block holds every byte value 0..=255 (CR, LF, NUL included), so the byte-for-byte check
/// after base64 and SMTP/IMAP/POP3 transport means something.
pub(crate) fn gif() -> Vec<u8> {
    let mut g = Vec::with_capacity(2048);
    g.extend_from_slice(b"GIF89a");
    // Logical screen 1x1, global colour table of 2 entries: white, black.
    g.extend_from_slice(&[0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]);
    g.extend_from_slice(&[0xff, 0xff, 0xff, 0x00, 0x00, 0x00]);
    // Comment extension.
    let comment = "noot noot! correo tour: a stand-in for the lab's noot-noot.gif. ".repeat(16);
    g.extend_from_slice(&[0x21, 0xfe]);
    sub_blocks(&mut g, comment.as_bytes());
    // Application extension "CORREOTOUR1" with all byte values.
    g.extend_from_slice(&[0x21, 0xff, 0x0b]);
    g.extend_from_slice(b"CORREOTOUR1");
    let all: Vec<u8> = (0..=255u8).collect();
    sub_blocks(&mut g, &all);
    // Graphic control, image descriptor, LZW data for one pixel, trailer.
    g.extend_from_slice(&[0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00]);
    g.extend_from_slice(&[0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
    g.extend_from_slice(&[0x02, 0x02, 0x44, 0x01, 0x00]);
    g.push(0x3b);
    g
}

/// GIF data sub-blocks (at most 255 bytes each) and the block terminator.
fn sub_blocks(out: &mut Vec<u8>, data: &[u8]) {
    for chunk in data.chunks(255) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    out.push(0);
}

/// The DNS the tour answers from: the seed's `dig` answers verbatim, two stand-ins the
/// seed's includes need, and the tour's own DKIM key record.
pub(crate) fn zone_text(dkim_record: &str) -> String {
    format!(
        r#"; seed 000, ex. 13: dig -t TXT lab.it.uc3m.es
lab.it.uc3m.es.         60      IN      TXT     "MS=ms84224798"
lab.it.uc3m.es.         60      IN      TXT     "v=spf1 include:_spf.uc3m.es ~all"
; seed 000, ex. 13: dig -t TXT _spf.uc3m.es
_spf.uc3m.es.           300     IN      TXT     "v=spf1 ip4:163.117.0.0/16 ip4:176.58.10.138 ip6:2001:720:410::/48  ip4:194.140.59.15 include:_spf.google.com include:_spf.salesforce.com -all"
; seed 000, ex. 14: dig -t TXT google._domainkey.alumnos.uc3m.es
google._domainkey.alumnos.uc3m.es. 59303 IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApAgIsSm5O97Kjpyuq8EgseOXqayuuns/LD1SQsneI/zZK0fhrgloVfI1TBVF0pryXKa5I8+qf9JS1ZKNTqglSsJD4vpSCUhwweQW42j9O3W3kN5GIULeBTfLJPUxWxq697FIeSCSFLG/aH6vQ47P6/FSto" "J2E0L2pZmfi/jB8UOwBATW2u0cwjaOXyg1vSTqUyFQSOhV9MrlehFQzwOwNTf0SvLd3ymjS3fdslomaxxnZtlkIqYkr5sFjU9MTRLTy2QnZXDqkNEheRvzf5aPrGaqOeiDi4THzHTI8M31aWBR/qRHt9muC+Hrdm/PRNPU0vyiDS54GvkF8n7euEJHZQIDAQAB"
; not in the seed: stand-ins so that its includes resolve (no network is used)
_spf.google.com.        300     IN      TXT     "v=spf1 ip4:74.125.0.0/16 ~all"
_spf.salesforce.com.    300     IN      TXT     "v=spf1 ip4:136.146.0.0/15 ~all"
; the tour's own key (a fresh Ed25519 key, RFC 8463)
{SELECTOR}._domainkey.{DOMAIN}. 60 IN TXT "{dkim_record}"
"#
    )
}
