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

/// What happened to one message of a session.
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

/// What happened in a whole session (one or more messages).
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// The EHLO capabilities offered before TLS (when STARTTLS was used), as written.
    pub(crate) ehlo_before_tls: Vec<String>,
    /// The EHLO capabilities the transactions ran under, as written.
    pub(crate) ehlo: Vec<String>,
    /// TLS was active (STARTTLS or implicit).
    pub(crate) tls: bool,
    /// AUTH succeeded.
    pub(crate) authenticated: bool,
    /// One per message, in order (fewer when the session ended early).
    pub(crate) outcomes: Vec<Outcome>,
    /// An error that ended the session.
    pub(crate) error: Option<String>,
}

/// One message to submit: envelope and content.
pub(crate) struct Mail<'a> {
    /// The envelope sender (MAIL FROM); empty for `<>`.
    pub(crate) from: &'a str,
    /// The envelope recipients (RCPT TO).
    pub(crate) to: &'a [String],
    /// The message, CRLF line ends.
    pub(crate) message: &'a [u8],
}

/// How to reach and talk to the server; reusable by the tour.
pub(crate) struct Submission<'a> {
    pub(crate) server: &'a str,
    pub(crate) tls: TlsMode,
    pub(crate) tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
    pub(crate) credentials: Option<(String, String)>,
    /// The SASL mechanisms to consider (the strongest offered is used); `None` for the
    /// default list (SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN).
    pub(crate) mechanisms: Option<Vec<Mechanism>>,
    pub(crate) insecure_auth: bool,
    pub(crate) helo: &'a str,
    /// Use BDAT when offered.
    pub(crate) chunking: bool,
    /// How long to wait for the server before giving up.
    pub(crate) read_timeout: Duration,
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
    let report = submit(
        &Submission {
            server: &args.server,
            tls,
            tls_config: Some(tls_config),
            credentials,
            mechanisms: None,
            insecure_auth: args.insecure_auth,
            helo: &args.helo,
            chunking: false,
            read_timeout: Duration::from_secs(300),
        },
        &[Mail {
            from: &args.from,
            to: &args.to,
            message: &message,
        }],
        &transcript,
    )?;
    let mut outcome = report.outcomes.into_iter().next().unwrap_or_default();
    if outcome.error.is_none() {
        outcome.error = report.error;
    }
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

fn envelope_of(mail: &Mail<'_>) -> Result<Envelope, Box<dyn std::error::Error>> {
    let from = parse_reverse(mail.from)?;
    let recipients = mail
        .to
        .iter()
        .map(|t| parse_forward(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut envelope = Envelope::new(from, recipients);
    envelope.size = Some(mail.message.len() as u64);
    if mail.message.iter().any(|&b| b >= 0x80) {
        envelope.body = BodyType::EightBitMime;
    }
    envelope.smtputf8 = !mail.from.is_ascii() || mail.to.iter().any(|t| !t.is_ascii());
    Ok(envelope)
}

fn capability_lines(ehlo: &correo_smtp::Ehlo<'_>) -> Vec<String> {
    ehlo.capabilities.iter().map(ToString::to_string).collect()
}

/// Runs one SMTP session over a fresh connection and submits `mails` in order (the
/// envelope of each pipelined when the server offers PIPELINING).
pub(crate) fn submit(
    sub: &Submission<'_>,
    mails: &[Mail<'_>],
    transcript: &Transcript,
) -> Result<Report, Box<dyn std::error::Error>> {
    let envelopes = mails
        .iter()
        .map(envelope_of)
        .collect::<Result<Vec<_>, _>>()?;

    let host = sub.server.rsplit_once(':').map_or(sub.server, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect(sub.server).map_err(|e| format!("connect {}: {e}", sub.server))?;
    tcp.set_read_timeout(Some(sub.read_timeout))?;
    let mut conn = Conn::Plain(tcp);
    let tls_config = match &sub.tls_config {
        Some(c) => std::sync::Arc::clone(c),
        None => net::client_config(None)?,
    };
    let mut report = Report::default();
    if sub.tls == TlsMode::Implicit {
        conn = conn.into_tls_client(std::sync::Arc::clone(&tls_config), host)?;
        transcript.note("[TLS established]");
        report.tls = true;
    }
    let credentials = sub.credentials.as_ref().map(|(u, p)| Credentials {
        username: u.clone(),
        password: p.clone(),
        mechanisms: sub.mechanisms.clone().unwrap_or_else(|| {
            vec![
                Mechanism::ScramSha256,
                Mechanism::ScramSha1,
                Mechanism::Plain,
                Mechanism::Login,
            ]
        }),
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

    // The message whose transaction runs now (index into `mails`).
    let mut current = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        flush(&mut client, &mut conn, transcript)?;
        let mut upgrade = false;
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Ready(ehlo) => {
                    report.ehlo = capability_lines(&ehlo);
                    start_next(&mut client, &envelopes, mails, current, &mut report)?;
                }
                ClientEvent::SendBody => {
                    let message = mails.get(current).map_or(&[][..], |m| m.message);
                    // Shown as written (before dot-stuffing), long ones cut to a count.
                    transcript.lines("C", message);
                    client.send_body(message, true)?;
                    while let Some(bytes) = client.poll_transmit() {
                        conn.write_all(&bytes)?;
                    }
                    transcript.lines("C", b".");
                }
                ClientEvent::StartTls => upgrade = true,
                ClientEvent::Authenticated => report.authenticated = true,
                ClientEvent::RecipientResult { index, reply } => {
                    if let Some(slot) = report
                        .outcomes
                        .get_mut(current)
                        .and_then(|o| o.accepted.get_mut(index))
                    {
                        *slot = reply.code.is_positive();
                    }
                }
                ClientEvent::MessageResult { reply, .. } => {
                    if let Some(o) = report.outcomes.get_mut(current) {
                        reply.to_string().trim_end().clone_into(&mut o.last_reply);
                    }
                }
                ClientEvent::TransactionDone { delivered, .. } => {
                    if let Some(o) = report.outcomes.get_mut(current) {
                        o.queued = delivered;
                    }
                    current += 1;
                    start_next(&mut client, &envelopes, mails, current, &mut report)?;
                }
                ClientEvent::Error(e) => {
                    let text = describe(&e);
                    if let Some(o) = report.outcomes.get_mut(current) {
                        o.error = Some(text.clone());
                    }
                    report.error = Some(text);
                }
                ClientEvent::Closed => {
                    flush(&mut client, &mut conn, transcript)?;
                    return Ok(report);
                }
                ClientEvent::Greeting(_) | ClientEvent::MailResult(_) | ClientEvent::Reply(_) => {}
            }
        }
        flush(&mut client, &mut conn, transcript)?;
        if upgrade {
            conn = conn.into_tls_client(std::sync::Arc::clone(&tls_config), host)?;
            transcript.note("[TLS established]");
            report.tls = true;
            client.tls_established();
            continue;
        }
        if client.is_closed() {
            return Ok(report);
        }
        let n = conn.read(&mut buf)?;
        if n == 0 {
            report
                .error
                .get_or_insert_with(|| "connection closed by the server".into());
            return Ok(report);
        }
        transcript.lines("S", &buf[..n]);
        client.receive(&buf[..n]);
        if !report.tls
            && let Some(ehlo) = client.capabilities()
        {
            report.ehlo_before_tls = capability_lines(ehlo);
        }
    }
}

/// Starts the transaction of message `index`, or QUITs when all are done.
fn start_next(
    client: &mut Client,
    envelopes: &[Envelope],
    mails: &[Mail<'_>],
    index: usize,
    report: &mut Report,
) -> Result<(), ClientError> {
    match (envelopes.get(index), mails.get(index)) {
        (Some(env), Some(mail)) if report.outcomes.len() == index => {
            report.outcomes.push(Outcome {
                accepted: vec![false; mail.to.len()],
                ..Outcome::default()
            });
            client.send_mail(env.clone())
        }
        (Some(_), Some(_)) => Ok(()),
        _ => {
            client.quit();
            Ok(())
        }
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
