//! POP3: seed 000 ex. 6-7 — USER/PASS, STAT, LIST, TOP n 0, RETR, DELE, RSET, QUIT, and a
//! second connection whose STAT proves that RSET undid the delete.

use std::sync::Arc;

use correo_pop3::client::{Event, TlsMode};

use super::{Res, Tour, contains, data};
use crate::pop3::Session;

type Box2 = Box<dyn std::error::Error>;

fn stat(events: &[Event]) -> Option<(u32, u64)> {
    events.iter().find_map(|e| match e {
        Event::Stat(s) => Some((s.count, s.size)),
        _ => None,
    })
}

fn body(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let Event::BodyChunk(b) = e {
            out.extend_from_slice(b);
        }
    }
    out
}

fn ok(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::Ok { .. }))
        && !events.iter().any(|e| matches!(e, Event::Err { .. }))
}

/// Connects and logs in with USER/PASS; `stls` first upgrades with STLS.
fn login(tour: &mut Tour, stls: bool) -> Result<Session, Box2> {
    let mode = if stls {
        TlsMode::StlsRequired
    } else {
        TlsMode::Plain
    };
    let (mut s, greeting) = Session::connect(
        &tour.pop3.to_string(),
        mode,
        Arc::clone(&tour.tls),
        true,
        false,
        tour.transcript(),
    )?;
    tour.check(
        if stls {
            "greeting +OK, STLS: TLS up"
        } else {
            "greeting +OK (ex. 6)"
        },
        greeting.iter().any(|e| matches!(e, Event::Greeting { .. })),
        "no +OK greeting",
    );
    s.client()
        .login(data::USER.as_bytes(), tour.password.as_bytes())?;
    let events = s.wait(|_| true)?;
    tour.check(
        "USER/PASS: logged in (ex. 6.1)",
        events
            .iter()
            .any(|e| matches!(e, Event::Authenticated { .. })),
        "login refused",
    );
    Ok(s)
}

/// The POP3 section.
pub(super) fn run(tour: &mut Tour) -> Res<()> {
    tour.heading("POP3: seed 000 ex. 6-7 (USER/PASS, STAT, LIST, TOP, RETR, DELE, RSET)");
    tour.say(format!("$ telnet {} {}", tour.pop3.ip(), tour.pop3.port()));
    let inbox = tour.inbox()?;
    let n = u32::try_from(inbox.messages.len())?;
    let total: u64 = inbox.messages.iter().map(|m| m.size).sum();
    let last = inbox.messages.last().ok_or("the INBOX is empty")?;
    let last_bytes = std::fs::read(&last.path)?;

    let mut s = login(tour, false)?;
    s.client().stat()?;
    let events = s.wait(|_| true)?;
    tour.check(
        format!("STAT: {n} messages, {total} bytes (ex. 6.2)"),
        stat(&events) == Some((n, total)),
        format!("STAT said {:?}", stat(&events)),
    );
    s.client().list(None)?;
    let events = s.wait(|_| true)?;
    let sizes: Vec<(u32, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Scan(l) => Some((l.msg, l.size)),
            _ => None,
        })
        .collect();
    tour.check(
        format!("LIST: message {n} is {} bytes (ex. 6.3)", last.size),
        sizes.len() == inbox.messages.len() && sizes.last() == Some(&(n, last.size)),
        format!("LIST said {sizes:?}"),
    );
    s.client().top(n, 0)?;
    let top = body(&s.wait(|_| true)?);
    let header_len = last_bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |p| p + 4);
    tour.check(
        format!("TOP {n} 0: the header only, {} bytes (ex. 6.4)", top.len()),
        top.get(..header_len) == last_bytes.get(..header_len)
            && top.len() <= header_len + 2
            && contains(&top, b"Subject: noot noot"),
        format!("{} bytes, header is {header_len}", top.len()),
    );
    s.client().retr(n)?;
    let retr = body(&s.wait(|_| true)?);
    tour.check(
        format!("RETR {n}: the whole message, byte for byte as stored (ex. 6.5)"),
        retr == last_bytes,
        format!("{} bytes, stored {}", retr.len(), last_bytes.len()),
    );
    s.client().dele(n)?;
    let events = s.wait(|_| true)?;
    tour.check(
        format!("DELE {n}: marked (ex. 6.6)"),
        ok(&events),
        "DELE refused",
    );
    s.client().stat()?;
    let events = s.wait(|_| true)?;
    tour.check(
        format!("STAT after DELE: {} messages", n - 1),
        stat(&events).map(|s| s.0) == Some(n - 1),
        format!("STAT said {:?}", stat(&events)),
    );
    s.client().rset()?;
    let events = s.wait(|_| true)?;
    tour.check("RSET (ex. 7)", ok(&events), "RSET refused");
    s.client().stat()?;
    let events = s.wait(|_| true)?;
    tour.check(
        format!("STAT after RSET: {n} messages again"),
        stat(&events) == Some((n, total)),
        format!("STAT said {:?}", stat(&events)),
    );
    s.client().quit()?;
    let events = s.wait(|evs| evs.iter().any(|e| matches!(e, Event::Closed { .. })))?;
    tour.check(
        "QUIT",
        events.iter().any(|e| matches!(e, Event::Closed { .. })),
        "no close",
    );

    tour.say(
        "Reconnecting (this time with STLS, as on port 110 with TLS) to see if it is still there:",
    );
    let mut s = login(tour, true)?;
    s.client().stat()?;
    let events = s.wait(|_| true)?;
    tour.check(
        format!("after reconnecting, STAT still says {n}: RSET undid the delete (ex. 7)"),
        stat(&events) == Some((n, total)),
        format!("STAT said {:?}", stat(&events)),
    );
    s.client().quit()?;
    let _ = s.wait(|evs| evs.iter().any(|e| matches!(e, Event::Closed { .. })))?;
    let left = tour.inbox()?.messages.len();
    tour.check(
        format!("the Maildir still holds {n} messages"),
        left == inbox.messages.len(),
        format!("{left} left"),
    );
    Ok(())
}
