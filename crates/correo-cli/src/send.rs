//! `correo send`: submit a message file over SMTP with correo-smtp's client machine.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use correo_smtp::client::{ClientError, Credentials};
use correo_smtp::{
    BodyType, Client, ClientConfig, ClientEvent, Envelope, ForwardPath, Host, Mailbox, ReversePath,
    TlsMode,
};
use correo_wire::sasl::Mechanism;

use crate::net::{self, Conn};
use crate::transcript::{Sink, Transcript};

/// Send a message file via SMTP.
#[derive(Debug, clap::Args)]
pub(crate) struct SendArgs {
    /// The server, HOST:PORT.
    #[arg(long)]
    pub(crate) server: String,
    /// Require STARTTLS (fail closed when it is not offered).
    #[arg(long, conflicts_with = "tls")]
    pub(crate) starttls: bool,
    /// Implicit TLS from the first byte (port 465).
    #[arg(long)]
    pub(crate) tls: bool,
    /// Trust this CA certificate (PEM) in addition to the public roots.
    #[arg(long)]
    pub(crate) ca: Option<PathBuf>,
    /// Authenticate as this user.
    #[arg(long, requires = "password")]
    pub(crate) user: Option<String>,
    /// The password for --user.
    #[arg(long)]
    pub(crate) password: Option<String>,
    /// Allow AUTH PLAIN/LOGIN without TLS (loopback tests only).
    #[arg(long)]
    pub(crate) insecure_auth: bool,
    /// The envelope sender (MAIL FROM); empty for the null sender `<>`.
    #[arg(long)]
    pub(crate) from: String,
    /// An envelope recipient (RCPT TO); repeat for several.
    #[arg(long, required = true)]
    pub(crate) to: Vec<String>,
    /// The name to send in EHLO.
    #[arg(long, default_value = "localhost")]
    pub(crate) helo: String,
    /// Print the transcript (C:/S: lines) to standard error.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// The message file (`-` for standard input).
    pub(crate) file: PathBuf,
}

/// What happened to a submission.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The server accepted the message for delivery.
    pub(crate) queued: bool,
    /// Per recipient: accepted at RCPT.
    pub(crate) accepted: Vec<bool>,
    /// The final reply text, for the user.
    pub(crate) last_reply: String,
    /// An error that ended the session.
    pub(crate) error: Option<String>,
}

/// The whole submission, reusable by the tour.
pub(crate) struct Submission<'a> {
    pub(crate) server: &'a str,
    pub(crate) tls: TlsMode,
    pub(crate) tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) insecure_auth: bool,
    pub(crate) helo: &'a str,
    pub(crate) from: &'a str,
    pub(crate) to: &'a [String],
    pub(crate) message: &'a [u8],
    /// Use BDAT when offered.
    pub(crate) chunking: bool,
}

pub(crate) fn run(args: SendArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let message = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?
    };
    let tls = if args.tls {
        TlsMode::Implicit
    } else if args.starttls {
        TlsMode::Required
    } else {
        TlsMode::Opportunistic
    };
    let tls_config = net::client_config(args.ca.as_deref())?;
    let credentials = match (args.user, args.password) {
        (Some(u), Some(p)) => Some((u, p)),
        _ => None,
    };
    let transcript = if args.verbose {
        Transcript::new(Sink::Stderr)
    } else {
        Transcript::off()
    };
    let outcome = submit(
        &Submission {
            server: &args.server,
            tls,
            tls_config: Some(tls_config),
            credentials,
            insecure_auth: args.insecure_auth,
            helo: &args.helo,
            from: &args.from,
            to: &args.to,
            message: &message,
            chunking: false,
        },
        &transcript,
    )?;
    for (rcpt, ok) in args.to.iter().zip(&outcome.accepted) {
        if !ok {
            eprintln!("correo send: recipient refused: {rcpt}");
        }
    }
    if let Some(err) = &outcome.error {
        eprintln!("correo send: {err}");
    }
    let all = outcome.accepted.len() == args.to.len() && outcome.accepted.iter().all(|&a| a);
    if outcome.queued && all {
        println!("queued: {}", outcome.last_reply);
        Ok(ExitCode::SUCCESS)
    } else {
        if !outcome.queued {
            eprintln!("correo send: not queued: {}", outcome.last_reply);
        }
        Ok(ExitCode::FAILURE)
    }
}

fn parse_reverse(from: &str) -> Result<ReversePath<'static>, Box<dyn std::error::Error>> {
    let from = from.trim().trim_start_matches('<').trim_end_matches('>');
    if from.is_empty() {
        return Ok(ReversePath::Null);
    }
    Ok(ReversePath::Mailbox(
        Mailbox::parse(from)
            .map_err(|e| format!("--from {from:?}: {e}"))?
            .into_owned(),
    ))
}

fn parse_forward(to: &str) -> Result<ForwardPath<'static>, Box<dyn std::error::Error>> {
    let to = to.trim().trim_start_matches('<').trim_end_matches('>');
    if to.eq_ignore_ascii_case("postmaster") {
        return Ok(ForwardPath::Postmaster);
    }
    Ok(ForwardPath::Mailbox(
        Mailbox::parse(to)
            .map_err(|e| format!("--to {to:?}: {e}"))?
            .into_owned(),
    ))
}

/// Runs one SMTP submission over a fresh connection.
pub(crate) fn submit(
    sub: &Submission<'_>,
    transcript: &Transcript,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let from = parse_reverse(sub.from)?;
    let recipients = sub
        .to
        .iter()
        .map(|t| parse_forward(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut envelope = Envelope::new(from, recipients);
    envelope.size = Some(sub.message.len() as u64);
    if sub.message.iter().any(|&b| b >= 0x80) {
        envelope.body = BodyType::EightBitMime;
    }
    envelope.smtputf8 = !sub.from.is_ascii() || sub.to.iter().any(|t| !t.is_ascii());

    let host = sub.server.rsplit_once(':').map_or(sub.server, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect(sub.server).map_err(|e| format!("connect {}: {e}", sub.server))?;
    tcp.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut conn = Conn::Plain(tcp);
    let tls_config = match &sub.tls_config {
        Some(c) => std::sync::Arc::clone(c),
        None => net::client_config(None)?,
    };
    if sub.tls == TlsMode::Implicit {
        conn = conn.into_tls_client(std::sync::Arc::clone(&tls_config), host)?;
        transcript.note("[TLS established]");
    }
    let credentials = sub.credentials.as_ref().map(|(u, p)| Credentials {
        username: u.clone(),
        password: p.clone(),
        mechanisms: vec![
            Mechanism::ScramSha256,
            Mechanism::ScramSha1,
            Mechanism::Plain,
            Mechanism::Login,
        ],
        allow_cleartext: sub.insecure_auth,
        scram_nonce: Some(net::random_token(24)),
    });
    let mut client = Client::new(ClientConfig {
        helo: Host::Domain(sub.helo.to_owned().into()),
        tls: sub.tls,
        credentials,
        chunking: sub.chunking,
        ..ClientConfig::default()
    });

    let mut outcome = Outcome {
        accepted: vec![false; sub.to.len()],
        ..Outcome::default()
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent_body = false;
    loop {
        flush(&mut client, &mut conn, transcript)?;
        let mut upgrade = false;
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Ready(_) => {
                    if sent_body {
                        client.quit();
                    } else {
                        client.send_mail(envelope.clone())?;
                    }
                }
                ClientEvent::SendBody => {
                    transcript.body("C", "message body, dot-stuffed", sub.message.len());
                    client.send_body(sub.message, true)?;
                    sent_body = true;
                    // The body is not echoed line by line.
                    while let Some(bytes) = client.poll_transmit() {
                        conn.write_all(&bytes)?;
                    }
                    transcript.lines("C", b".");
                }
                ClientEvent::StartTls => upgrade = true,
                ClientEvent::RecipientResult { index, reply } => {
                    if let Some(slot) = outcome.accepted.get_mut(index) {
                        *slot = reply.code.is_positive();
                    }
                }
                ClientEvent::MessageResult { reply, .. } => {
                    reply
                        .to_string()
                        .trim_end()
                        .clone_into(&mut outcome.last_reply);
                }
                ClientEvent::TransactionDone { delivered, .. } => {
                    outcome.queued = delivered;
                    sent_body = true;
                    client.quit();
                }
                ClientEvent::Error(e) => {
                    outcome.error = Some(describe(&e));
                }
                ClientEvent::Closed => {
                    flush(&mut client, &mut conn, transcript)?;
                    return Ok(outcome);
                }
                ClientEvent::Greeting(_)
                | ClientEvent::Authenticated
                | ClientEvent::MailResult(_)
                | ClientEvent::Reply(_) => {}
            }
        }
        flush(&mut client, &mut conn, transcript)?;
        if upgrade {
            conn = conn.into_tls_client(std::sync::Arc::clone(&tls_config), host)?;
            transcript.note("[TLS established]");
            client.tls_established();
            continue;
        }
        if client.is_closed() {
            return Ok(outcome);
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            outcome
                .error
                .get_or_insert_with(|| "connection closed by the server".into());
            return Ok(outcome);
        }
        transcript.lines("S", &buf[..n]);
        client.receive(&buf[..n]);
    }
}

fn flush(client: &mut Client, conn: &mut Conn, transcript: &Transcript) -> io::Result<()> {
    while let Some(bytes) = client.poll_transmit() {
        transcript.lines("C", &bytes);
        conn.write_all(&bytes)?;
    }
    conn.flush()
}

fn describe(e: &ClientError) -> String {
    e.to_string()
}
