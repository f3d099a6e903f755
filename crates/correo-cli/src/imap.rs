//! `correo imap`: run IMAP commands against a server with correo-imap's client machine and
//! print the transcript, as the lab practicals do with `openssl s_client ... -starttls imap`.
//!
//! Commands given as words are written as IMAP text and parsed with correo-imap's own
//! command parser, so `status INBOX "(MESSAGES UNSEEN)"` and `store 4 "+FLAGS (\Deleted)"`
//! take exactly the IMAP syntax.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use correo_imap::client::{Client, ClientConfig, Event, TlsMode};
use correo_imap::frame::RawMessage;
use correo_imap::parse::parse_command;
use correo_imap::types::Status;
use correo_imap::{Leniency, Limits};

use crate::net::{self, Conn};
use crate::transcript::{Sink, Transcript};

type BoxError = Box<dyn std::error::Error>;

/// Run IMAP commands and print the transcript.
#[derive(Debug, clap::Args)]
pub(crate) struct ImapArgs {
    /// The server, HOST:PORT.
    #[arg(long)]
    pub(crate) server: String,
    /// Require STARTTLS (fail closed when it is not offered).
    #[arg(long, conflicts_with = "tls")]
    pub(crate) starttls: bool,
    /// Implicit TLS from the first byte (port 993).
    #[arg(long)]
    pub(crate) tls: bool,
    /// Trust this CA certificate (PEM) in addition to the public roots.
    #[arg(long)]
    pub(crate) ca: Option<PathBuf>,
    /// The user name.
    #[arg(long)]
    pub(crate) user: String,
    /// The password.
    #[arg(long)]
    pub(crate) password: String,
    /// Commands, in order: `capability`, `list`, `select MBOX`, `examine MBOX`,
    /// `status MBOX ITEMS`, `fetch SET ITEMS [--out FILE]`, `search KEYS`, `create MBOX`,
    /// `delete MBOX`, `copy SET MBOX`, `move SET MBOX`, `store SET FLAGS`, `expunge`,
    /// `noop`, `idle SECONDS`, `compress` (COMPRESS DEFLATE: the rest of the session is
    /// deflated; the transcript shows it inflated).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub(crate) commands: Vec<String>,
}

/// One parsed command of the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cmd {
    /// A command given as IMAP text (without tag), with an output file for `fetch`.
    Text(String, Option<PathBuf>),
    /// IDLE for this many seconds.
    Idle(u64),
}

/// Quotes a mailbox name when it is not a plain atom.
fn astring(s: &str) -> String {
    if !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'"' | b'\\' | b'%' | b'*')
        })
    {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Parses the flat command words.
pub(crate) fn parse_commands(words: &[String]) -> Result<Vec<Cmd>, BoxError> {
    let mut out = Vec::new();
    let mut i = 0;
    let arg = |i: usize, what: &str| -> Result<String, BoxError> {
        words
            .get(i)
            .cloned()
            .ok_or_else(|| format!("{what}: missing argument").into())
    };
    while let Some(w) = words.get(i) {
        let (cmd, used) = match w.to_ascii_lowercase().as_str() {
            "capability" => (Cmd::Text("CAPABILITY".into(), None), 1),
            "noop" => (Cmd::Text("NOOP".into(), None), 1),
            "expunge" => (Cmd::Text("EXPUNGE".into(), None), 1),
            "compress" => (Cmd::Text("COMPRESS DEFLATE".into(), None), 1),
            "list" => (Cmd::Text("LIST \"\" *".into(), None), 1),
            "select" | "examine" | "create" | "delete" => (
                Cmd::Text(
                    format!("{} {}", w.to_ascii_uppercase(), astring(&arg(i + 1, w)?)),
                    None,
                ),
                2,
            ),
            "status" => (
                Cmd::Text(
                    format!(
                        "STATUS {} {}",
                        astring(&arg(i + 1, w)?),
                        arg(i + 2, "status")?
                    ),
                    None,
                ),
                3,
            ),
            "search" => (Cmd::Text(format!("SEARCH {}", arg(i + 1, w)?), None), 2),
            "store" => (
                Cmd::Text(format!("STORE {} {}", arg(i + 1, w)?, arg(i + 2, w)?), None),
                3,
            ),
            "copy" | "move" => (
                Cmd::Text(
                    format!(
                        "{} {} {}",
                        w.to_ascii_uppercase(),
                        arg(i + 1, w)?,
                        astring(&arg(i + 2, w)?)
                    ),
                    None,
                ),
                3,
            ),
            "fetch" => {
                let text = format!("FETCH {} {}", arg(i + 1, w)?, arg(i + 2, w)?);
                if words.get(i + 3).map(String::as_str) == Some("--out") {
                    let file = arg(i + 4, "--out")?;
                    (Cmd::Text(text, Some(PathBuf::from(file))), 5)
                } else {
                    (Cmd::Text(text, None), 3)
                }
            }
            "idle" => {
                let secs = arg(i + 1, w)?
                    .parse::<u64>()
                    .map_err(|e| format!("idle: {e}"))?;
                (Cmd::Idle(secs), 2)
            }
            other => return Err(format!("unknown IMAP command {other:?}").into()),
        };
        // Check the text parses as IMAP now, before connecting.
        if let Cmd::Text(t, _) = &cmd {
            let line = format!("x {t}\r\n");
            parse_command(
                RawMessage::new(line.as_bytes()),
                &Leniency::default(),
                &Limits::default(),
            )
            .map_err(|e| format!("{t}: {e}"))?;
        }
        out.push(cmd);
        i += used;
    }
    Ok(out)
}

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

/// A client session over a socket (used by `correo imap` and the tour).
pub(crate) struct Session {
    /// The client machine: queue commands on it, then [`Session::wait`].
    pub(crate) client: Client,
    conn: Option<Conn>,
    host: String,
    tls_config: Arc<rustls::ClientConfig>,
    pub(crate) transcript: Transcript,
    printer: ServerPrinter,
    buf: Vec<u8>,
    /// COMPRESS DEFLATE is active.
    deflate: Option<crate::net::Deflate>,
    /// Read timeout outside IDLE.
    timeout: Duration,
}

impl Session {
    /// Connects (TLS per `mode`; STARTTLS done before returning when required) and reads
    /// the greeting; reads give up after `timeout`.
    pub(crate) fn connect(
        server: &str,
        mode: TlsMode,
        tls_config: Arc<rustls::ClientConfig>,
        transcript: Transcript,
        timeout: Duration,
    ) -> Result<(Session, Vec<Event>), BoxError> {
        let host = server.rsplit_once(':').map_or(server, |(h, _)| h);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tcp = TcpStream::connect(server).map_err(|e| format!("connect {server}: {e}"))?;
        tcp.set_read_timeout(Some(timeout))?;
        let mut conn = Conn::Plain(tcp);
        if mode == TlsMode::Implicit {
            conn = conn.into_tls_client(Arc::clone(&tls_config), &host)?;
            transcript.note("[TLS established]");
        }
        let client = Client::new(ClientConfig {
            tls: mode,
            ..ClientConfig::default()
        });
        let mut session = Session {
            client,
            conn: Some(conn),
            host,
            tls_config,
            transcript,
            printer: ServerPrinter::default(),
            buf: vec![0u8; 64 * 1024],
            deflate: None,
            timeout,
        };
        let mut events = session.wait(|evs| evs.iter().any(|e| matches!(e, Event::Greeting(_))))?;
        // In StartTlsRequired mode the machine sends STARTTLS on its own after the greeting.
        if mode == TlsMode::StartTlsRequired && !session.client.is_tls() {
            events.extend(session.wait(|_| true)?);
        }
        if mode != TlsMode::Plain && !session.client.is_tls() {
            return Err("STARTTLS did not complete".into());
        }
        Ok((session, events))
    }

    /// Sends what is queued and reads until no command is pending (and `done` holds),
    /// handling a TLS upgrade on the way.
    pub(crate) fn wait(&mut self, done: impl Fn(&[Event]) -> bool) -> Result<Vec<Event>, BoxError> {
        let mut events = Vec::new();
        loop {
            self.flush()?;
            let mut upgrade = false;
            while let Some(ev) = self.client.poll_event() {
                upgrade |= matches!(ev, Event::StartTls);
                if let Event::CompressionActive { remaining } = &ev {
                    self.transcript.note("[DEFLATE active]");
                    self.deflate = Some(crate::net::Deflate::new());
                    if !remaining.is_empty() {
                        let remaining = remaining.clone();
                        self.feed(&remaining)?;
                    }
                }
                let closed = matches!(ev, Event::Closed { .. });
                events.push(ev);
                if closed {
                    let _ = self.flush();
                    return Ok(events);
                }
            }
            self.flush()?;
            if upgrade {
                let conn = self.conn.take().ok_or("connection lost")?;
                self.conn = Some(conn.into_tls_client(Arc::clone(&self.tls_config), &self.host)?);
                self.transcript.note("[TLS established]");
                self.client.tls_established();
                continue;
            }
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

    /// Reads once; false at end of stream.
    fn read(&mut self) -> Result<bool, BoxError> {
        let conn = self.conn.as_mut().ok_or("connection lost")?;
        let n = conn.read(&mut self.buf)?;
        if n == 0 {
            return Ok(false);
        }
        let data = self.buf.get(..n).unwrap_or_default().to_vec();
        self.feed(&data)?;
        Ok(true)
    }

    /// Bytes from the socket to the machine (inflated when COMPRESS is on).
    fn feed(&mut self, data: &[u8]) -> Result<(), BoxError> {
        match self.deflate.as_mut() {
            Some(d) => {
                let (client, transcript, printer) =
                    (&mut self.client, &self.transcript, &mut self.printer);
                d.decompress(data, |plain| {
                    transcript.record("S", plain);
                    printer.feed(transcript, plain);
                    client.receive(plain);
                })?;
            }
            None => {
                self.transcript.record("S", data);
                self.printer.feed(&self.transcript, data);
                self.client.receive(data);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BoxError> {
        let conn = self.conn.as_mut().ok_or("connection lost")?;
        while let Some(bytes) = self.client.poll_transmit() {
            self.transcript.lines("C", &bytes);
            match self.deflate.as_mut() {
                Some(d) => conn.write_all(&d.compress(&bytes)?)?,
                None => conn.write_all(&bytes)?,
            }
        }
        conn.flush()?;
        Ok(())
    }

    /// Sends what is queued and reads until an event matching `want` arrives (within the
    /// read timeout); the events go to `events`. False when the connection ended or a
    /// command completed first.
    pub(crate) fn until(
        &mut self,
        events: &mut Vec<Event>,
        want: impl Fn(&Event) -> bool,
    ) -> Result<bool, BoxError> {
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
    pub(crate) fn run(&mut self, text: &str) -> Result<Vec<Event>, BoxError> {
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

    /// IDLE for `secs` seconds, printing what the server pushes, then DONE.
    pub(crate) fn idle(&mut self, secs: u64) -> Result<Vec<Event>, BoxError> {
        self.client.idle(Instant::now())?;
        let mut events = Vec::new();
        let end = Instant::now() + Duration::from_secs(secs);
        let mut started = false;
        loop {
            self.flush()?;
            while let Some(ev) = self.client.poll_event() {
                started |= matches!(ev, Event::IdleStarted);
                events.push(ev);
            }
            if events
                .iter()
                .any(|e| matches!(e, Event::Completed { .. } | Event::Closed { .. }))
            {
                return Ok(events);
            }
            let now = Instant::now();
            if started && now >= end {
                break;
            }
            let left = end
                .saturating_duration_since(now)
                .max(Duration::from_millis(50));
            let conn = self.conn.as_ref().ok_or("connection lost")?;
            conn.tcp().set_read_timeout(Some(left))?;
            match self.read() {
                Ok(true) => {}
                Ok(false) => return Ok(events),
                Err(e)
                    if e.downcast_ref::<std::io::Error>().is_some_and(|e| {
                        matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        )
                    }) => {}
                Err(e) => return Err(e),
            }
        }
        let conn = self.conn.as_ref().ok_or("connection lost")?;
        conn.tcp().set_read_timeout(Some(self.timeout))?;
        self.client.done()?;
        events.extend(self.wait(|_| true)?);
        Ok(events)
    }
}

fn failed(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            Event::Completed {
                status: Status::No | Status::Bad,
                ..
            } | Event::Closed { .. }
        )
    })
}

pub(crate) fn run(args: ImapArgs) -> Result<ExitCode, BoxError> {
    let commands = parse_commands(&args.commands)?;
    let mode = if args.tls {
        TlsMode::Implicit
    } else if args.starttls {
        TlsMode::StartTlsRequired
    } else {
        TlsMode::Plain
    };
    let tls_config = net::client_config(args.ca.as_deref())?;
    let transcript = Transcript::new(Sink::Stdout);
    let (mut s, greeting) = Session::connect(
        &args.server,
        mode,
        tls_config,
        transcript,
        Duration::from_secs(120),
    )?;
    if failed(&greeting) {
        return Err("the server refused the session (or STARTTLS failed)".into());
    }
    s.client
        .login(args.user.as_bytes(), args.password.as_bytes())?;
    if failed(&s.wait(|_| true)?) {
        eprintln!("correo imap: login failed");
        return Ok(ExitCode::FAILURE);
    }
    let mut bad = false;
    for cmd in commands {
        let events = match cmd {
            Cmd::Idle(secs) => s.idle(secs)?,
            Cmd::Text(text, out_file) => {
                let events = s.run(&text)?;
                if let Some(path) = out_file {
                    let mut body = Vec::new();
                    let mut seen = false;
                    for ev in &events {
                        match ev {
                            Event::BodyBegin { .. } if seen => break,
                            Event::BodyBegin { .. } => seen = true,
                            Event::BodyChunk(b) => body.extend_from_slice(b),
                            Event::BodyEnd => break,
                            _ => {}
                        }
                    }
                    std::fs::write(&path, &body).map_err(|e| format!("{}: {e}", path.display()))?;
                    s.transcript.note(&format!(
                        "[{} bytes written to {}]",
                        body.len(),
                        path.display()
                    ));
                }
                events
            }
        };
        bad |= failed(&events);
    }
    s.client.logout()?;
    let _ = s.wait(|evs| evs.iter().any(|e| matches!(e, Event::Closed { .. })));
    Ok(if bad {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn parses_the_seed_exercise() {
        let cmds = parse_commands(&words(&[
            "select",
            "INBOX",
            "status",
            "INBOX",
            "(MESSAGES UNSEEN)",
            "fetch",
            "4",
            "(BODY[HEADER] BODY[TEXT])",
            "--out",
            "m.eml",
            "store",
            "4",
            "+FLAGS (\\Deleted)",
            "create",
            "laboratorio/prueba",
            "idle",
            "3",
        ]))
        .unwrap();
        assert_eq!(
            cmds,
            vec![
                Cmd::Text("SELECT INBOX".into(), None),
                Cmd::Text("STATUS INBOX (MESSAGES UNSEEN)".into(), None),
                Cmd::Text(
                    "FETCH 4 (BODY[HEADER] BODY[TEXT])".into(),
                    Some(PathBuf::from("m.eml"))
                ),
                Cmd::Text("STORE 4 +FLAGS (\\Deleted)".into(), None),
                Cmd::Text("CREATE laboratorio/prueba".into(), None),
                Cmd::Idle(3),
            ]
        );
        assert!(parse_commands(&words(&["fetch", "4", "(BODY[HEADER"])).is_err());
        assert!(parse_commands(&words(&["bogus"])).is_err());
        assert!(parse_commands(&words(&["idle", "x"])).is_err());
    }

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
