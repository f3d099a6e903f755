//! `correo pop3`: run POP3 commands against a server with correo-pop3's client machine and
//! print the transcript, as the lab practicals do with `telnet host 110`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use correo_pop3::client::{Client, ClientConfig, Event, TlsMode};

use crate::net::{self, Conn};
use crate::transcript::{Sink, Transcript};

type BoxError = Box<dyn std::error::Error>;

/// Run POP3 commands and print the transcript.
#[derive(Debug, clap::Args)]
pub(crate) struct Pop3Args {
    /// The server, HOST:PORT.
    #[arg(long)]
    pub(crate) server: String,
    /// Require STLS (fail closed when it is not offered).
    #[arg(long, conflicts_with = "tls")]
    pub(crate) stls: bool,
    /// Implicit TLS from the first byte (port 995).
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
    /// Log in with APOP instead of USER/PASS.
    #[arg(long)]
    pub(crate) apop: bool,
    /// Allow USER/PASS without TLS (loopback tests only).
    #[arg(long)]
    pub(crate) insecure_auth: bool,
    /// Commands, in order: `stat`, `list [N]`, `uidl [N]`, `top N LINES`,
    /// `retr N [--out FILE]`, `dele N`, `rset`, `noop`, `capa`.
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
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Top(u32, u32),
    Retr(u32, Option<PathBuf>),
    Dele(u32),
    Rset,
    Noop,
    Capa,
}

/// Parses the flat command words (`stat list top 4 0 retr 4 --out m.eml`).
pub(crate) fn parse_commands(words: &[String]) -> Result<Vec<Cmd>, BoxError> {
    let mut out = Vec::new();
    let mut i = 0;
    let num = |i: usize, what: &str| -> Result<u32, BoxError> {
        words
            .get(i)
            .ok_or_else(|| format!("{what} needs a number"))?
            .parse::<u32>()
            .map_err(|e| format!("{what}: {e}").into())
    };
    let opt_num = |i: usize| words.get(i).and_then(|w| w.parse::<u32>().ok());
    while let Some(word) = words.get(i) {
        i += 1;
        let cmd = match word.to_ascii_lowercase().as_str() {
            "stat" => Cmd::Stat,
            "list" => {
                let n = opt_num(i);
                i += usize::from(n.is_some());
                Cmd::List(n)
            }
            "uidl" => {
                let n = opt_num(i);
                i += usize::from(n.is_some());
                Cmd::Uidl(n)
            }
            "top" => {
                let (n, l) = (num(i, "top")?, num(i + 1, "top")?);
                i += 2;
                Cmd::Top(n, l)
            }
            "retr" => {
                let n = num(i, "retr")?;
                i += 1;
                let out = if words.get(i).map(String::as_str) == Some("--out") {
                    let f = words.get(i + 1).ok_or("--out needs a file name")?;
                    i += 2;
                    Some(PathBuf::from(f))
                } else {
                    None
                };
                Cmd::Retr(n, out)
            }
            "dele" => {
                let n = num(i, "dele")?;
                i += 1;
                Cmd::Dele(n)
            }
            "rset" => Cmd::Rset,
            "noop" => Cmd::Noop,
            "capa" => Cmd::Capa,
            other => return Err(format!("unknown POP3 command {other:?}").into()),
        };
        out.push(cmd);
    }
    Ok(out)
}

/// A client session over a socket.
pub(crate) struct Session {
    client: Client,
    conn: Option<Conn>,
    host: String,
    tls_config: Arc<rustls::ClientConfig>,
    pub(crate) transcript: Transcript,
    buf: Vec<u8>,
}

impl Session {
    /// Connects and waits for the greeting (and STLS when asked).
    pub(crate) fn connect(
        server: &str,
        mode: TlsMode,
        tls_config: Arc<rustls::ClientConfig>,
        insecure_auth: bool,
        apop: bool,
        transcript: Transcript,
    ) -> Result<(Session, Vec<Event>), BoxError> {
        let host = server.rsplit_once(':').map_or(server, |(h, _)| h);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tcp = TcpStream::connect(server).map_err(|e| format!("connect {server}: {e}"))?;
        tcp.set_read_timeout(Some(Duration::from_secs(120)))?;
        let mut conn = Conn::Plain(tcp);
        if mode == TlsMode::Implicit {
            conn = conn.into_tls_client(Arc::clone(&tls_config), &host)?;
            transcript.note("[TLS established]");
        }
        let client = Client::new(ClientConfig {
            tls: mode,
            allow_cleartext_login: insecure_auth,
            enable_apop: apop,
            auto_capa: false,
            ..ClientConfig::default()
        });
        let mut session = Session {
            client,
            conn: Some(conn),
            host,
            tls_config,
            transcript,
            buf: vec![0u8; 64 * 1024],
        };
        let mut events = session.wait(|evs| {
            evs.iter()
                .any(|e| matches!(e, Event::Greeting { .. } | Event::Refused { .. }))
        })?;
        if mode == TlsMode::StlsRequired {
            session.client.stls()?;
            events.extend(session.wait(|_| true)?);
        }
        Ok((session, events))
    }

    /// The client machine, to issue commands.
    pub(crate) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Sends what is queued and reads until the machine is idle (and `done` holds for the
    /// events so far), handling a TLS upgrade on the way.
    pub(crate) fn wait(&mut self, done: impl Fn(&[Event]) -> bool) -> Result<Vec<Event>, BoxError> {
        let mut events = Vec::new();
        loop {
            self.flush()?;
            let mut upgrade = false;
            while let Some(ev) = self.client.poll_event() {
                upgrade |= matches!(ev, Event::StartTls);
                let closed = matches!(ev, Event::Closed { .. });
                events.push(ev);
                if closed {
                    self.flush()?;
                    return Ok(events);
                }
            }
            self.flush()?;
            if upgrade {
                let conn = self.conn.take().ok_or("connection lost")?;
                self.conn = Some(conn.into_tls_client(Arc::clone(&self.tls_config), &self.host)?);
                self.transcript.note("[TLS established]");
                self.client.tls_established()?;
                continue;
            }
            if !self.client.is_busy() && done(&events) {
                return Ok(events);
            }
            let conn = self.conn.as_mut().ok_or("connection lost")?;
            let n = conn.read(&mut self.buf)?;
            if n == 0 {
                let _ = self.client.connection_closed();
                events.extend(std::iter::from_fn(|| self.client.poll_event()));
                return Ok(events);
            }
            self.transcript.lines("S", &self.buf[..n]);
            self.client.receive(&self.buf[..n])?;
        }
    }

    fn flush(&mut self) -> Result<(), BoxError> {
        let conn = self.conn.as_mut().ok_or("connection lost")?;
        while let Some(bytes) = self.client.poll_transmit() {
            self.transcript.lines("C", &bytes);
            conn.write_all(&bytes)?;
        }
        conn.flush()?;
        Ok(())
    }
}

pub(crate) fn run(args: Pop3Args) -> Result<ExitCode, BoxError> {
    let commands = parse_commands(&args.commands)?;
    let mode = if args.tls {
        TlsMode::Implicit
    } else if args.stls {
        TlsMode::StlsRequired
    } else {
        TlsMode::Plain
    };
    let tls_config = net::client_config(args.ca.as_deref())?;
    let transcript = Transcript::new(Sink::Stdout);
    let (mut s, greeting) = Session::connect(
        &args.server,
        mode,
        tls_config,
        args.insecure_auth,
        args.apop,
        transcript,
    )?;
    if greeting.iter().any(|e| matches!(e, Event::Refused { .. })) {
        return Err("the server refused the session".into());
    }
    if args.apop {
        s.client()
            .apop(args.user.as_bytes(), args.password.as_bytes())?;
    } else {
        s.client()
            .login(args.user.as_bytes(), args.password.as_bytes())?;
    }
    let events = s.wait(|_| true)?;
    if !events
        .iter()
        .any(|e| matches!(e, Event::Authenticated { .. }))
    {
        eprintln!("correo pop3: login failed");
        return Ok(ExitCode::FAILURE);
    }
    let mut failed = false;
    for cmd in commands {
        let mut out_file = None;
        match cmd {
            Cmd::Stat => s.client().stat()?,
            Cmd::List(n) => s.client().list(n)?,
            Cmd::Uidl(n) => s.client().uidl(n)?,
            Cmd::Top(n, l) => s.client().top(n, l)?,
            Cmd::Retr(n, out) => {
                out_file = out;
                s.client().retr(n)?;
            }
            Cmd::Dele(n) => s.client().dele(n)?,
            Cmd::Rset => s.client().rset()?,
            Cmd::Noop => s.client().noop()?,
            Cmd::Capa => s.client().capa()?,
        }
        let events = s.wait(|_| true)?;
        let mut body = Vec::new();
        for ev in &events {
            match ev {
                Event::BodyChunk(b) => body.extend_from_slice(b),
                Event::Err { .. } => failed = true,
                _ => {}
            }
        }
        if let Some(path) = out_file {
            std::fs::write(&path, &body).map_err(|e| format!("{}: {e}", path.display()))?;
            s.transcript.note(&format!(
                "[{} bytes written to {}]",
                body.len(),
                path.display()
            ));
        }
    }
    s.client().quit()?;
    let _ = s.wait(|evs| evs.iter().any(|e| matches!(e, Event::Closed { .. })))?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_exercise() {
        let words: Vec<String> = "stat list top 4 0 retr 4 --out m.eml dele 4 rset uidl 2"
            .split(' ')
            .map(str::to_owned)
            .collect();
        assert_eq!(
            parse_commands(&words).unwrap(),
            vec![
                Cmd::Stat,
                Cmd::List(None),
                Cmd::Top(4, 0),
                Cmd::Retr(4, Some(PathBuf::from("m.eml"))),
                Cmd::Dele(4),
                Cmd::Rset,
                Cmd::Uidl(Some(2)),
            ]
        );
        assert!(parse_commands(&["top".into(), "x".into()]).is_err());
        assert!(parse_commands(&["bogus".into()]).is_err());
    }
}
