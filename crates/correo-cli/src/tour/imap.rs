//! IMAP: seed 000 ex. 8-12 — CAPABILITY, LOGIN, SELECT, STATUS, FETCH (RFC822.SIZE,
//! BODYSTRUCTURE, `BODY[HEADER] BODY[TEXT]`), STORE, LIST, CREATE, SEARCH, COPY, SELECT of
//! the new mailbox, and IDLE woken by a new SMTP delivery.

use std::sync::Arc;
use std::time::{Duration, Instant};

use correo_imap::client::{Event, TlsMode};
use correo_imap::types::{Status, Untagged};

use super::{Res, Tour, data, side};
use crate::imap::Session;
use crate::send::Mail;

/// Whether the events hold a tagged OK.
fn ok(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            Event::Completed {
                status: Status::Ok,
                ..
            }
        )
    })
}

fn exists(events: &[Event]) -> Option<u32> {
    events.iter().rev().find_map(|e| match e {
        Event::Untagged(Untagged::Exists(n)) => Some(*n),
        _ => None,
    })
}

/// The server's side of the exchange since the last look, lower-cased.
fn server_text(tour: &Tour) -> String {
    String::from_utf8_lossy(&side(&tour.take_log(), "S")).to_ascii_lowercase()
}

/// The IMAP section.
pub(super) fn run(tour: &mut Tour) -> Res<()> {
    tour.heading("IMAP: seed 000 ex. 8-12 (FETCH, STORE, CREATE, SEARCH, COPY, IDLE)");
    tour.say(format!("$ telnet {} {}", tour.imap.ip(), tour.imap.port()));
    let inbox = tour.inbox()?;
    let n = inbox.messages.len();
    let last = inbox.messages.last().ok_or("the INBOX is empty")?;
    let last_bytes = std::fs::read(&last.path)?;
    tour.take_log();

    let (mut s, greeting) = Session::connect(
        &tour.imap.to_string(),
        TlsMode::Plain,
        Arc::clone(&tour.tls),
        tour.transcript(),
        Duration::from_secs(20),
    )?;
    tour.check(
        "greeting * OK (ex. 8)",
        greeting.iter().any(|e| matches!(e, Event::Greeting(_))),
        "no greeting",
    );
    let ev = s.run("CAPABILITY")?;
    let text = server_text(tour);
    tour.check(
        "CAPABILITY lists IMAP4rev1 and IDLE (ex. 8)",
        ok(&ev) && text.contains("imap4rev1") && text.contains("idle"),
        text.lines().next().unwrap_or_default(),
    );
    s.client
        .login(data::USER.as_bytes(), tour.password.as_bytes())?;
    let ev = s.wait(|_| true)?;
    tour.check("LOGIN (ex. 9.1)", ok(&ev), "login refused");
    let ev = s.run("SELECT INBOX")?;
    tour.check(
        format!("SELECT INBOX: {n} EXISTS (ex. 9.2)"),
        ok(&ev) && exists(&ev) == Some(u32::try_from(n)?),
        format!("EXISTS {:?}", exists(&ev)),
    );
    tour.take_log();
    let ev = s.run("STATUS INBOX (MESSAGES)")?;
    let text = server_text(tour);
    tour.check(
        format!("STATUS INBOX (MESSAGES {n}) (ex. 9.3)"),
        ok(&ev) && text.contains(&format!("(messages {n})")),
        text.trim_end(),
    );
    let ev = s.run(&format!("FETCH {n} (RFC822.SIZE)"))?;
    let text = server_text(tour);
    tour.check(
        format!("FETCH {n} (RFC822.SIZE {}) (ex. 9.4)", last.size),
        ok(&ev) && text.contains(&format!("rfc822.size {}", last.size)),
        text.trim_end(),
    );
    let ev = s.run(&format!("FETCH {n} (BODYSTRUCTURE)"))?;
    let text = server_text(tour);
    tour.check(
        "BODYSTRUCTURE: (text/plain text/html \"alternative\") image/gif \"noot-noot.gif\" base64 \"mixed\" (ex. 9.5)",
        ok(&ev)
            && text.contains("\"image\" \"gif\"")
            && text.contains("\"noot-noot.gif\"")
            && text.contains("\"base64\"")
            && text.contains("\"alternative\"")
            && text.contains("\"mixed\""),
        text.trim_end(),
    );
    let ev = s.run(&format!("FETCH {n} (BODY[HEADER] BODY[TEXT])"))?;
    tour.take_log();
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for e in &ev {
        match e {
            Event::BodyBegin { .. } => parts.push(Vec::new()),
            Event::BodyChunk(b) => {
                if let Some(p) = parts.last_mut() {
                    p.extend_from_slice(b);
                }
            }
            _ => {}
        }
    }
    let whole: Vec<u8> = parts.concat();
    tour.check(
        format!(
            "BODY[HEADER] ({} bytes) + BODY[TEXT] ({} bytes) = the stored message (ex. 9.6)",
            parts.first().map_or(0, Vec::len),
            parts.get(1).map_or(0, Vec::len)
        ),
        ok(&ev) && parts.len() == 2 && whole == last_bytes,
        format!("{} sections, {} bytes", parts.len(), whole.len()),
    );
    let ev = s.run(&format!("STORE {n} +FLAGS (\\Deleted)"))?;
    let text = server_text(tour);
    tour.check(
        "STORE +FLAGS \\Deleted: the FETCH shows \\Deleted (ex. 9.7)",
        ok(&ev) && text.contains("\\deleted"),
        text.trim_end(),
    );
    let ev = s.run("LIST \"\" *")?;
    let text = server_text(tour);
    tour.check(
        "LIST \"\" *: INBOX, hierarchy delimiter \"/\" (ex. 10)",
        ok(&ev) && text.contains("\"/\" inbox"),
        text.trim_end(),
    );
    let ev = s.run("CREATE laboratorio/prueba")?;
    let dir = tour
        .ctx
        .store
        .mailbox_dir(data::USER, "laboratorio/prueba")?;
    let shown = dir.strip_prefix(tour.root()).unwrap_or(&dir).to_path_buf();
    tour.say(format!(
        "$ ls -d {}/{}   # where CREATE put it (Maildir++)",
        tour.root().display(),
        shown.display()
    ));
    tour.check(
        format!(
            "CREATE laboratorio/prueba: {} exists on disk (ex. 10)",
            shown.display()
        ),
        ok(&ev) && dir.join("cur").is_dir(),
        format!("{} missing", dir.display()),
    );
    tour.take_log();
    let ev = s.run("SEARCH SUBJECT prueba")?;
    let found: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Untagged(Untagged::Search { ids, .. }) => Some(ids.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    tour.check(
        "SEARCH SUBJECT prueba: * SEARCH 3 (ex. 11)",
        ok(&ev) && found == [3],
        format!("found {found:?}"),
    );
    let ev = s.run("COPY 3 laboratorio/prueba")?;
    tour.check(
        "COPY 3 laboratorio/prueba (ex. 12)",
        ok(&ev),
        "COPY refused",
    );
    let ev = s.run("SELECT laboratorio/prueba")?;
    let copied = tour
        .ctx
        .store
        .scan(data::USER, "laboratorio/prueba")
        .map_or(0, |m| m.messages.len());
    tour.check(
        "SELECT laboratorio/prueba: 1 EXISTS, the copy is there (ex. 12)",
        ok(&ev) && exists(&ev) == Some(1) && copied == 1,
        format!("EXISTS {:?}, {copied} on disk", exists(&ev)),
    );

    // IDLE on INBOX, woken by a delivery over SMTP from another connection.
    let ev = s.run("SELECT INBOX")?;
    let before = exists(&ev).unwrap_or(0);
    s.client.idle(Instant::now())?;
    let mut events = Vec::new();
    let started = s.until(&mut events, |e| matches!(e, Event::IdleStarted))?;
    tour.check("IDLE: + idling", started, "IDLE refused");
    if !started {
        return Ok(());
    }
    let wake = data::idle_wakeup()?;
    let rcpt = vec![data::rcpt()];
    let printing = tour.printing;
    tour.say("   (meanwhile a second SMTP client delivers a new message to INBOX)");
    tour.printing = false;
    let report = super::smtp::session(
        tour,
        &[Mail {
            from: "100429021@alumnos.uc3m.es",
            to: &rcpt,
            message: &wake,
        }],
    );
    tour.printing = printing;
    let queued = report
        .as_ref()
        .is_ok_and(|r| r.outcomes.first().is_some_and(|o| o.queued));
    tour.check(
        "the new message is delivered over SMTP",
        queued,
        report
            .err()
            .map_or_else(|| "not queued".to_owned(), |e| e.to_string()),
    );
    s.until(&mut events, |e| {
        matches!(e, Event::Untagged(Untagged::Exists(_)))
    })?;
    let woken = exists(&events);
    tour.check(
        format!("IDLE woken: * {} EXISTS pushed by the server", before + 1),
        woken == Some(before + 1),
        format!("EXISTS {woken:?}"),
    );
    s.client.done()?;
    let ev = s.wait(|_| true)?;
    tour.check("DONE ends IDLE", ok(&ev), "no tagged OK after DONE");
    s.client.logout()?;
    let _ = s.wait(|evs| evs.iter().any(|e| matches!(e, Event::Closed { .. })));
    Ok(())
}
