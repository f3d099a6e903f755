//! IMAP: seed 000 ex. 8-12 — CAPABILITY, LOGIN, SELECT, STATUS, FETCH (RFC822.SIZE,
//! BODYSTRUCTURE, `BODY[HEADER] BODY[TEXT]`), STORE, LIST, CREATE, SEARCH, COPY, SELECT of
//! the new mailbox, and IDLE woken by a new SMTP delivery.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use correo_imap::client::{Client, ClientConfig, Event, TlsMode};
use correo_imap::frame::RawMessage;
use correo_imap::parse::parse_command;
use correo_imap::types::{Status, Untagged};
use correo_imap::{Leniency, Limits};

use super::{Res, Tour, data, side};
use crate::net::Conn;
use crate::send::Mail;
use crate::transcript::Transcript;

/// Prints what the server sends the way the seed shows a FETCH: every line outside
/// literals, and each literal (`{4670}` and the bytes after it) cut to its first lines and
/// a count, so that the lines after a long literal stay in view.
#[derive(Default)]
struct ServerPrinter {
    /// A line begun in an earlier read.
    partial: Vec<u8>,
    /// Bytes of the current literal still to come, and those seen so far.
    literal_left: usize,
    literal: Vec<u8>,
}

/// The size announced by a line ending in a literal, `{n}` or `{n+}` then CRLF.
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = inner.get(open + 1..)?;
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

impl ServerPrinter {
    fn feed(&mut self, transcript: &Transcript, mut data: &[u8]) {
        while !data.is_empty() {
            if self.literal_left > 0 {
                let take = self.literal_left.min(data.len());
                let (lit, rest) = data.split_at(take);
                self.literal.extend_from_slice(lit);
                self.literal_left -= take;
                data = rest;
                if self.literal_left == 0 {
                    let mut short = transcript.clone();
                    short.max_lines = 4;
                    short.show("S", &self.literal);
                    self.literal.clear();
                }
                continue;
            }
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                self.partial.extend_from_slice(data);
                return;
            };
            let (line, rest) = data.split_at(nl + 1);
            self.partial.extend_from_slice(line);
            transcript.show("S", &self.partial);
            self.literal_left = literal_size(&self.partial).unwrap_or(0);
            self.partial.clear();
            data = rest;
        }
    }
}

/// A client session over a socket (plain TCP, as the seed's `telnet localhost 143`).
struct Session {
    client: Client,
    conn: Conn,
    transcript: Transcript,
    printer: ServerPrinter,
    buf: Vec<u8>,
}

impl Session {
    fn connect(addr: &str, transcript: Transcript) -> Res<(Session, Vec<Event>)> {
        let tcp = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut s = Session {
            client: Client::new(ClientConfig {
                tls: TlsMode::Plain,
                ..ClientConfig::default()
            }),
            conn: Conn::Plain(tcp),
            transcript,
            printer: ServerPrinter::default(),
            buf: vec![0u8; 64 * 1024],
        };
        let events = s.wait(|evs| evs.iter().any(|e| matches!(e, Event::Greeting(_))))?;
        Ok((s, events))
    }

    fn flush(&mut self) -> Res<()> {
        while let Some(bytes) = self.client.poll_transmit() {
            self.transcript.lines("C", &bytes);
            self.conn.write_all(&bytes)?;
        }
        self.conn.flush()?;
        Ok(())
    }

    /// Reads once into the machine; false at end of stream.
    fn read(&mut self) -> Res<bool> {
        let n = self.conn.read(&mut self.buf)?;
        if n == 0 {
            return Ok(false);
        }
        let data = self.buf.get(..n).unwrap_or_default();
        self.transcript.record("S", data);
        self.printer.feed(&self.transcript, data);
        self.client.receive(data);
        Ok(true)
    }

    /// Sends what is queued and reads until no command is pending and `done` holds.
    fn wait(&mut self, done: impl Fn(&[Event]) -> bool) -> Res<Vec<Event>> {
        let mut events = Vec::new();
        loop {
            self.flush()?;
            while let Some(ev) = self.client.poll_event() {
                let closed = matches!(ev, Event::Closed { .. });
                events.push(ev);
                if closed {
                    let _ = self.flush();
                    return Ok(events);
                }
            }
            self.flush()?;
            if self.client.pending() == 0 && done(&events) {
                return Ok(events);
            }
            if !self.read()? {
                self.client.connection_closed();
                events.extend(std::iter::from_fn(|| self.client.poll_event()));
                return Ok(events);
            }
        }
    }

    /// Sends what is queued and reads until an event matching `want` arrives (within the
    /// read timeout); the events go to `events`. False when the connection ended or a
    /// command completed first.
    fn until(&mut self, events: &mut Vec<Event>, want: impl Fn(&Event) -> bool) -> Res<bool> {
        loop {
            self.flush()?;
            while let Some(ev) = self.client.poll_event() {
                let hit = want(&ev);
                let over = matches!(ev, Event::Completed { .. } | Event::Closed { .. });
                events.push(ev);
                if hit {
                    return Ok(true);
                }
                if over {
                    return Ok(false);
                }
            }
            if !self.read()? {
                return Ok(false);
            }
        }
    }

    /// Sends one command written as IMAP text (the tag is the machine's) and waits for
    /// its completion.
    fn run(&mut self, text: &str) -> Res<Vec<Event>> {
        let line = format!("x {text}\r\n");
        let parsed = parse_command(
            RawMessage::new(line.as_bytes()),
            &Leniency::default(),
            &Limits::default(),
        )
        .map_err(|e| format!("{text}: {e}"))?;
        self.client.command(parsed.body)?;
        self.wait(|_| true)
    }
}

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

    let (mut s, greeting) = Session::connect(&tour.imap.to_string(), tour.transcript())?;
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

#[cfg(test)]
mod tests {
    use super::literal_size;

    #[test]
    fn literal_sizes() {
        assert_eq!(
            literal_size(b"* 4 FETCH (BODY[HEADER] {4670}\r\n"),
            Some(4670)
        );
        assert_eq!(literal_size(b"a2 LOGIN 0429021 {18+}\r\n"), Some(18));
        assert_eq!(literal_size(b"a7 OK Fetch completed.\r\n"), None);
        assert_eq!(literal_size(b"* OK {x}\r\n"), None);
        assert_eq!(literal_size(b"{12}"), None);
    }
}
