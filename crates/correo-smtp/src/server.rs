//! The server (receiver) state machine: SMTP, ESMTP and LMTP, sans-IO.
//!
//! ```text
//! let mut server = Server::new(config);           // the 220 greeting is queued
//! loop {
//!     while let Some(bytes) = server.poll_transmit() { socket.write_all(&bytes)?; }
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             ServerEvent::MailFrom { .. } | ServerEvent::RcptTo { .. } => server.accept(),
//!             ServerEvent::Data(chunk) => spool.write_all(&chunk)?,
//!             ServerEvent::DataEnd { .. } => server.accept(),   // queued
//!             ServerEvent::StartTls => { /* flush, wrap the socket */ server.tls_established() }
//!             ServerEvent::Closed => return,
//!             _ => {}
//!         }
//!     }
//!     let n = socket.read(&mut buf)?;
//!     server.receive(&buf[..n]);
//! }
//! ```
//!
//! Decisions (`MailFrom`, `RcptTo`, `DataEnd`, `Auth`, `Vrfy`, `Expn`, `Etrn`) stop the
//! machine until the application answers with [`Server::accept`], [`Server::reject`] or
//! [`Server::respond`] (or, for SASL look-ups, [`Server::auth_scram_credentials`] /
//! [`Server::auth_cram_secret`]). Input that arrives meanwhile (pipelining) is kept, up to
//! [`ServerLimits::max_buffered_input`].

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::Duration;

use correo_wire::dot::{DotConfig, DotDecoder, DotError};
use correo_wire::line::{BareLf, Feed, LineConfig, LineError, LineFramer};
use correo_wire::sasl::framing::{Decoded, decode_line, encode_response};
use correo_wire::sasl::scram::ScramCredentials;
use correo_wire::sasl::{
    Mechanism, PasswordCheck, SaslServer, ServerConfig as SaslConfig, ServerOutput, TokenCheck,
};

use crate::command::{Command, CommandError, CommandErrorKind, ParseOptions, Verb};
use crate::ehlo::{Capability, Ehlo};
use crate::params::{BodyType, Parameter};
use crate::path::{ForwardPath, Host, Mailbox, ReversePath};
use crate::received::{Protocol, Received};
use crate::reply::{EnhancedCode, Reply, ReplyCode};

/// Limits (RFC 5321 section 4.5.3.1 and this machine's own buffers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Longest command line, CRLF excluded (RFC 5321: 510; Postfix allows 2048).
    pub max_command_line: usize,
    /// Most recipients per transaction (RFC 5321 requires at least 100).
    pub max_recipients: usize,
    /// Longest local part (RFC 5321: 64).
    pub max_local_part: usize,
    /// Longest domain (RFC 5321: 255).
    pub max_domain: usize,
    /// Client errors tolerated before `421` and closing (Postfix: 20).
    pub max_errors: usize,
    /// Unprocessed input kept while waiting for the application (pipelined commands).
    pub max_buffered_input: usize,
    /// Largest body chunk handed out in one [`ServerEvent::Data`].
    pub body_chunk_size: usize,
    /// Largest SASL response line.
    pub max_auth_line: usize,
    /// Idle timeout reported by [`Server::poll_timeout`] (RFC 5321 4.5.3.2.7: 5 minutes).
    pub timeout: Duration,
    /// Longest text line of a `DATA` body, CRLF included and the transparency dot not
    /// counted (RFC 5321 section 4.5.3.1.6: 1000 octets); `None` for no limit. The line is
    /// never buffered: the body is measured as it streams by. Past the limit the rest of
    /// the body is read and thrown away up to the terminator, and the message is refused
    /// with `500 5.5.2` (RFC 5321 section 4.5.3.1.10 gives `500 Line too long`; RFC 3463
    /// has no code for line length, X.5.2 is its code for a protocol syntax error). `BDAT`
    /// chunks are binary (RFC 3030) and have no line limit.
    pub max_text_line: Option<usize>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_command_line: 2048,
            max_recipients: 100,
            max_local_part: 64,
            max_domain: 255,
            max_errors: 20,
            max_buffered_input: 1024 * 1024,
            body_chunk_size: 64 * 1024,
            max_auth_line: 24 * 1024,
            timeout: Duration::from_secs(300),
            max_text_line: Some(1000),
        }
    }
}

/// The service extensions a server offers. Nothing is advertised that the machine does
/// not implement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Extensions {
    /// `PIPELINING`.
    pub pipelining: bool,
    /// `8BITMIME`.
    pub eight_bit_mime: bool,
    /// `SMTPUTF8`.
    pub smtputf8: bool,
    /// `CHUNKING` (`BDAT`).
    pub chunking: bool,
    /// `BINARYMIME` (only advertised with `CHUNKING`).
    pub binarymime: bool,
    /// `DSN` (parameters accepted and passed to the application).
    pub dsn: bool,
    /// `ENHANCEDSTATUSCODES`.
    pub enhanced_status_codes: bool,
    /// `VRFY` (answered by the application).
    pub vrfy: bool,
    /// `EXPN` (answered by the application).
    pub expn: bool,
    /// `ETRN` (answered by the application).
    pub etrn: bool,
    /// `HELP`.
    pub help: bool,
    /// `REQUIRETLS` (advertised only inside TLS).
    pub requiretls: bool,
    /// `MT-PRIORITY` (RFC 6710): `MT-PRIORITY=n` on `MAIL` is accepted and handed to the
    /// application, which decides what the priority means for the message.
    pub mt_priority: bool,
    /// The priority assignment policy advertised with `MT-PRIORITY` (`MIXER`,
    /// `STANAG4406`, `NSEP`); left out unless it is a plain token.
    pub mt_priority_policy: Option<String>,
    /// `DELIVERBY` (RFC 2852) with its min-by-time in seconds (`Some(0)`: advertised
    /// without one); `None`: not offered. `BY=` in `R` mode below the minimum (or not
    /// positive) is refused with `501 5.5.4`; a valid one is handed to the application.
    pub deliver_by: Option<u64>,
    /// `FUTURERELEASE` (RFC 4865); `None`: not offered. `HOLDFOR=` over the interval,
    /// `HOLDUNTIL=` after the date-time, a `HOLDUNTIL=` that is not an RFC 3339 date-time,
    /// and both together are refused with `501 5.5.4`; whether a `HOLDUNTIL` is in the
    /// past is the application's call (the machine has no clock).
    pub future_release: Option<FutureRelease>,
}

/// The limits advertised with `FUTURERELEASE` (RFC 4865).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FutureRelease {
    /// Longest `HOLDFOR=` accepted, in seconds.
    pub max_interval: u64,
    /// Latest `HOLDUNTIL=` accepted, an RFC 3339 date-time in UTC
    /// (`2026-12-26T12:00:00Z`), usually now plus `max_interval`, computed by the caller
    /// from its clock. `FUTURERELEASE` is not advertised (nor `HOLDFOR`/`HOLDUNTIL`
    /// accepted) if it does not parse.
    pub max_datetime: String,
}

impl FutureRelease {
    fn max_unix(&self) -> Option<i64> {
        crate::params::parse_datetime(&self.max_datetime)
    }
}

impl Default for Extensions {
    fn default() -> Self {
        Extensions {
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            binarymime: false,
            dsn: false,
            enhanced_status_codes: true,
            vrfy: false,
            expn: false,
            etrn: false,
            help: true,
            requiretls: false,
            mt_priority: false,
            mt_priority_policy: None,
            deliver_by: None,
            future_release: None,
        }
    }
}

/// Server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// This server's name, first word of the greeting and of the `EHLO` reply.
    pub hostname: String,
    /// Text after the name in the greeting (`ESMTP`).
    pub greeting: String,
    /// Refuse the session: greet with `554` and answer `503` to everything but `QUIT`.
    pub refuse: bool,
    /// LMTP (RFC 2033): `LHLO`, one reply per recipient after the data.
    pub lmtp: bool,
    /// Offer `STARTTLS` (on a connection that is not already TLS).
    pub starttls: bool,
    /// The connection is TLS from the start (port 465).
    pub implicit_tls: bool,
    /// Refuse `MAIL` (`530`) until TLS is up.
    pub require_tls: bool,
    /// SASL mechanisms offered (`AUTH`); empty for none.
    pub auth_mechanisms: Vec<Mechanism>,
    /// Offer plaintext mechanisms (PLAIN, LOGIN, tokens) before TLS. Off by default:
    /// without TLS only CRAM-MD5 and SCRAM are offered.
    pub auth_without_tls: bool,
    /// Refuse `MAIL` (`530`) until the client authenticated (submission).
    pub require_auth: bool,
    /// SASL settings (nonce, CRAM-MD5 challenge, channel bindings) used for the next
    /// `AUTH`; change them between exchanges with [`Server::set_sasl_config`].
    pub sasl: SaslConfig,
    /// Largest message accepted (`SIZE`); `None` for no limit.
    pub max_message_size: Option<u64>,
    /// What a bare LF means in commands and in `DATA` (default: reject, like Postfix's
    /// `smtpd_forbid_bare_newline`).
    pub bare_lf: BareLf,
    /// Extensions offered.
    pub extensions: Extensions,
    /// Limits.
    pub limits: ServerLimits,
    /// Command parser leniency.
    pub parse: ParseOptions,
    /// Text of the `HELP` reply.
    pub help_text: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            hostname: "localhost".into(),
            greeting: "ESMTP correo".into(),
            refuse: false,
            lmtp: false,
            starttls: false,
            implicit_tls: false,
            require_tls: false,
            auth_mechanisms: Vec::new(),
            auth_without_tls: false,
            require_auth: false,
            sasl: SaslConfig::default(),
            max_message_size: Some(50 * 1024 * 1024),
            bare_lf: BareLf::Reject,
            extensions: Extensions::default(),
            limits: ServerLimits::default(),
            parse: ParseOptions::default(),
            help_text: "See RFC 5321".into(),
        }
    }
}

/// A SASL decision the application makes (see [`ServerEvent::Auth`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRequest {
    /// Check this password (PLAIN, LOGIN): [`Server::accept`] or [`Server::reject`].
    Password(PasswordCheck),
    /// Validate this token (XOAUTH2, OAUTHBEARER): [`Server::accept`] or [`Server::reject`].
    Token(TokenCheck),
    /// Look up SCRAM credentials: [`Server::auth_scram_credentials`] or [`Server::reject`].
    ScramCredentials {
        /// The user name.
        username: String,
        /// The requested authorization identity.
        authzid: Option<String>,
    },
    /// Look up the CRAM-MD5 secret: [`Server::auth_cram_secret`] or [`Server::reject`].
    CramSecret {
        /// The user name.
        username: String,
    },
}

/// Why a message was refused by the machine itself (the reply was already queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRejection {
    /// Larger than [`ServerConfig::max_message_size`] (`552`).
    TooLarge,
    /// A bare LF under [`BareLf::Reject`] (`550 5.5.2`).
    BareLf,
    /// A text line longer than [`ServerLimits::max_text_line`] (`500 5.5.2`).
    LineTooLong,
}

/// Problems the machine met and answered by itself; reported for logging.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A command line that does not parse.
    #[error("bad command: {0}")]
    Command(CommandError),
    /// A line the framer refused (too long, bare LF).
    #[error("bad line: {0}")]
    Line(LineError),
    /// A command out of sequence (`503`).
    #[error("{0} out of sequence")]
    Sequence(Verb),
    /// Bytes received after `STARTTLS` and before the upgrade, thrown away.
    #[error("{0} bytes received before the TLS upgrade were discarded")]
    DiscardedBeforeTls(usize),
    /// Bytes received after the session closed, thrown away.
    #[error("{0} bytes received after the session closed were discarded")]
    DiscardedAfterClose(usize),
    /// The error limit was reached (`421`).
    #[error("too many errors")]
    TooManyErrors,
    /// Input arrived faster than the application answered.
    #[error("input backlog over the limit")]
    Backlog,
    /// A SASL exchange failed.
    #[error("authentication exchange failed: {0}")]
    Sasl(String),
    /// A decision method was called with no decision pending.
    #[error("no decision is pending")]
    NoDecisionPending,
}

/// What happened, pulled with [`Server::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// `HELO`/`EHLO`/`LHLO` (answered by the machine).
    Hello {
        /// Which verb.
        verb: Verb,
        /// The name the client gave.
        host: Host<'static>,
    },
    /// Decision: accept this sender?
    MailFrom {
        /// The reverse path.
        from: ReversePath<'static>,
        /// Its (validated) parameters.
        params: Vec<Parameter<'static>>,
    },
    /// Decision: accept this recipient?
    RcptTo {
        /// The forward path.
        to: ForwardPath<'static>,
        /// Its (validated) parameters.
        params: Vec<Parameter<'static>>,
    },
    /// The body starts (`354` sent, or the first `BDAT` chunk).
    DataStart {
        /// Sent with `BDAT`.
        chunked: bool,
    },
    /// A piece of the body, un-dot-stuffed, at most [`ServerLimits::body_chunk_size`].
    Data(Vec<u8>),
    /// Decision: the body is complete; accept the message? In LMTP mode, answer once per
    /// accepted recipient, in order.
    DataEnd {
        /// Number of answers expected (1 for SMTP, the accepted recipients for LMTP).
        answers: usize,
    },
    /// The machine refused the body after reading all of it (reply already queued); throw
    /// away what was received.
    DataRejected(BodyRejection),
    /// Decision: a SASL step needs the application.
    Auth(AuthRequest),
    /// The client authenticated.
    Authenticated {
        /// The user name.
        username: String,
        /// The authorization identity asked for, if any.
        authzid: Option<String>,
    },
    /// Decision: `VRFY` (answer with [`Server::respond`]).
    Vrfy(String),
    /// Decision: `EXPN` (answer with [`Server::respond`]).
    Expn(String),
    /// Decision: `ETRN` (answer with [`Server::respond`] or [`Server::accept`]).
    Etrn(String),
    /// The transaction was reset (`RSET`, a new `EHLO`, an error).
    Reset,
    /// Send everything [`Server::poll_transmit`] holds, start TLS, then call
    /// [`Server::tls_established`].
    StartTls,
    /// Something went wrong and was answered (for logs).
    Error(ServerError),
    /// The session is over (`QUIT`, `421`): close the connection after sending what
    /// [`Server::poll_transmit`] holds.
    Closed,
}

#[derive(Debug)]
enum Mode {
    Command,
    Data(DotDecoder, TextLines),
    Bdat {
        remaining: u64,
        last: bool,
        discard: Option<Reply<'static>>,
    },
    Auth,
    StartTls,
    Closed,
}

/// Measures the text lines of a `DATA` body as it streams by, without buffering them.
#[derive(Debug, Clone, Copy)]
struct TextLines {
    /// Longest line, CRLF included.
    max: Option<usize>,
    /// Octets of the current line seen so far.
    len: usize,
    /// A line was over the limit.
    too_long: bool,
}

impl TextLines {
    fn new(max: Option<usize>) -> Self {
        TextLines {
            max,
            len: 0,
            too_long: false,
        }
    }

    /// Takes the next piece of the decoded body. Looks at one LF per `max` octets at most
    /// (`memrchr` over the window a line may span), never at every line.
    fn check(&mut self, mut body: &[u8]) {
        let Some(max) = self.max else { return };
        if self.too_long {
            return;
        }
        loop {
            // The current line must end within `max - len` more octets.
            let allowed = max.saturating_sub(self.len);
            let window = body.get(..allowed.min(body.len())).unwrap_or_default();
            if let Some(lf) = memchr::memrchr(b'\n', window) {
                self.len = 0;
                body = body.get(lf + 1..).unwrap_or_default();
            } else if window.len() == body.len() {
                self.len = self.len.saturating_add(body.len());
                // Even an LF next would make the line longer than `max`.
                self.too_long = self.len >= max;
                return;
            } else {
                self.too_long = true;
                return;
            }
        }
    }
}

#[derive(Debug)]
enum Pending {
    Mail {
        from: ReversePath<'static>,
        params: Vec<Parameter<'static>>,
    },
    Rcpt {
        to: ForwardPath<'static>,
    },
    DataEnd {
        answers: usize,
    },
    Auth,
    Vrfy,
    Expn,
    Etrn,
}

#[derive(Debug, Default)]
struct Transaction {
    smtputf8: bool,
    body: Option<BodyType>,
    recipients: Vec<ForwardPath<'static>>,
    rcpt_attempts: usize,
    /// `Some(true)` once BDAT started, `Some(false)` once DATA started.
    chunked: Option<bool>,
    bdat_size: u64,
}

#[derive(Debug)]
struct Core {
    config: ServerConfig,
    mode: Mode,
    pending: Option<Pending>,
    out: Vec<u8>,
    events: VecDeque<ServerEvent>,
    helo: Option<(Verb, Host<'static>)>,
    tls: bool,
    auth: Option<String>,
    sasl: Option<SaslServer>,
    tx: Option<Transaction>,
    errors: usize,
}

/// The server state machine. See the [module documentation](self).
#[derive(Debug)]
pub struct Server {
    framer: LineFramer,
    core: Core,
}

fn enh(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
    EnhancedCode::new(class, subject, detail)
}

fn code(n: u16) -> ReplyCode {
    ReplyCode::new(n).unwrap_or(ReplyCode::TRANSACTION_FAILED)
}

/// Whether `s` is a plain token, safe to advertise in a capability line.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Why offered `MAIL` parameters are refused (`501 5.5.4`): a keyword given twice with
/// different values (an exact repeat, such as the `SMTPUTF8 ... SMTPUTF8` Python's
/// `smtplib` sends when `SMTPUTF8` is passed to `send_message`, is tolerated), a
/// `BY=` in return mode that is not positive or under the advertised minimum (RFC 2852),
/// a `HOLDFOR=` over the advertised interval, a `HOLDUNTIL=` that is no RFC 3339
/// date-time or after the advertised one, or both (RFC 4865).
fn invalid_mail_params(params: &[Parameter<'_>], x: &Extensions) -> Option<&'static str> {
    for (i, p) in params.iter().enumerate() {
        let kw = p.keyword();
        if params
            .get(..i)
            .unwrap_or_default()
            .iter()
            .any(|q| q.keyword().eq_ignore_ascii_case(kw) && q != p)
        {
            return Some("Duplicate parameter");
        }
    }
    let mut hold = false;
    for p in params {
        match p {
            Parameter::By {
                time,
                mode: crate::params::ByMode::Return,
                ..
            } => {
                let min = x.deliver_by.unwrap_or(0);
                if *time <= 0 || u64::try_from(*time).is_ok_and(|t| t < min) {
                    return Some("BY time is shorter than the minimum");
                }
            }
            Parameter::HoldFor(secs) => {
                if hold {
                    return Some("HOLDFOR and HOLDUNTIL are exclusive");
                }
                hold = true;
                if x.future_release
                    .as_ref()
                    .is_some_and(|f| *secs > f.max_interval)
                {
                    return Some("HOLDFOR is longer than the maximum interval");
                }
            }
            Parameter::HoldUntil(when) => {
                if hold {
                    return Some("HOLDFOR and HOLDUNTIL are exclusive");
                }
                hold = true;
                let Some(t) = crate::params::parse_datetime(when) else {
                    return Some("HOLDUNTIL is not a date-time");
                };
                let max = x.future_release.as_ref().and_then(FutureRelease::max_unix);
                if max.is_some_and(|m| t > m) {
                    return Some("HOLDUNTIL is later than the maximum date-time");
                }
            }
            _ => {}
        }
    }
    None
}

impl Server {
    /// A new session; the greeting (`220`, or `554` when refusing) is queued.
    pub fn new(config: ServerConfig) -> Server {
        let framer = LineFramer::new(Core::line_config(&config));
        let tls = config.implicit_tls;
        let mut core = Core {
            config,
            mode: Mode::Command,
            pending: None,
            out: Vec::new(),
            events: VecDeque::new(),
            helo: None,
            tls,
            auth: None,
            sasl: None,
            tx: None,
            errors: 0,
        };
        let text = format!("{} {}", core.config.hostname, core.config.greeting);
        if core.config.refuse {
            core.reply_plain(554, text.trim_end());
        } else {
            core.reply_plain(220, text.trim_end());
        }
        Server { framer, core }
    }

    /// Feeds bytes received from the client (any split). Everything that can be processed
    /// is processed; processing stops at a pending decision.
    pub fn receive(&mut self, bytes: &[u8]) {
        match self.core.mode {
            Mode::StartTls if self.core.pending.is_none() => {
                if !bytes.is_empty() {
                    self.core.events.push_back(ServerEvent::Error(
                        ServerError::DiscardedBeforeTls(bytes.len()),
                    ));
                }
                return;
            }
            Mode::Closed => {
                if !bytes.is_empty() {
                    self.core.events.push_back(ServerEvent::Error(
                        ServerError::DiscardedAfterClose(bytes.len()),
                    ));
                }
                return;
            }
            _ => {}
        }
        let mut feed = self.framer.feed(bytes);
        self.core.process(&mut feed);
        let backlog = feed.available();
        drop(feed);
        if backlog > self.core.config.limits.max_buffered_input
            || self.framer.buffered_len() > self.core.config.limits.max_buffered_input
        {
            self.framer.discard_buffered();
            self.core
                .events
                .push_back(ServerEvent::Error(ServerError::Backlog));
            self.core
                .close(421, (4, 3, 0), "Error: input backlog too large");
        }
    }

    /// Resumes processing after a decision, with the input kept meanwhile.
    fn resume(&mut self) {
        if matches!(self.core.mode, Mode::StartTls) {
            let n = self.framer.discard_buffered();
            if n > 0 {
                self.core
                    .events
                    .push_back(ServerEvent::Error(ServerError::DiscardedBeforeTls(n)));
            }
            return;
        }
        let mut feed = self.framer.feed(&[]);
        self.core.process(&mut feed);
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.core.events.pop_front()
    }

    /// Bytes to send to the client, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.core.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.core.out))
        }
    }

    /// Whether a decision is waiting for the application.
    pub fn is_waiting(&self) -> bool {
        self.core.pending.is_some()
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.core.mode, Mode::Closed)
    }

    /// Whether the connection is TLS (implicit, or after `STARTTLS`).
    pub fn is_tls(&self) -> bool {
        self.core.tls
    }

    /// The authenticated user, if any.
    pub fn authenticated_user(&self) -> Option<&str> {
        self.core.auth.as_deref()
    }

    /// The name the client gave in `HELO`/`EHLO`/`LHLO`.
    pub fn helo_name(&self) -> Option<&Host<'static>> {
        self.core.helo.as_ref().map(|(_, h)| h)
    }

    /// The accepted recipients of the current transaction.
    pub fn recipients(&self) -> &[ForwardPath<'static>] {
        self.core
            .tx
            .as_ref()
            .map_or(&[], |t| t.recipients.as_slice())
    }

    /// The RFC 3848 protocol name of the session so far.
    pub fn protocol(&self) -> Protocol {
        let c = &self.core;
        Protocol::for_session(
            c.config.lmtp,
            matches!(c.helo, Some((Verb::Ehlo | Verb::Lhlo, _))),
            c.tls,
            c.auth.is_some(),
            c.tx.as_ref().is_some_and(|t| t.smtputf8),
        )
    }

    /// A `Received:` header for the current transaction (call it at [`ServerEvent::DataEnd`]
    /// or earlier). `remote_addr`, `id` and `date` come from the caller.
    pub fn received_header(
        &self,
        remote_addr: Option<&str>,
        id: Option<&str>,
        date: &str,
    ) -> String {
        let helo = self.core.helo.as_ref().map(|(_, h)| h.to_string());
        let rcpt = match self.recipients() {
            [one] => Some(one.to_string()),
            _ => None,
        };
        Received {
            helo: helo.as_deref(),
            remote_name: None,
            remote_addr,
            by: &self.core.config.hostname,
            protocol: self.protocol(),
            id,
            for_recipient: rcpt.as_deref(),
            date,
        }
        .to_header()
    }

    /// Replaces the SASL settings for the next `AUTH` (a fresh SCRAM nonce or CRAM-MD5
    /// challenge for every exchange).
    pub fn set_sasl_config(&mut self, sasl: SaslConfig) {
        self.core.config.sasl = sasl;
    }

    /// The idle timeout in force (RFC 5321 section 4.5.3.2.7), `None` once closed. The
    /// caller measures time; when it runs out, call [`Server::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Duration> {
        (!self.is_closed()).then_some(self.core.config.limits.timeout)
    }

    /// The client was idle too long: queues `421` and closes.
    pub fn handle_timeout(&mut self) {
        if !self.is_closed() {
            self.core.close(421, (4, 4, 2), "Error: timeout exceeded");
        }
    }

    /// The caller finished the TLS handshake after [`ServerEvent::StartTls`]: the session
    /// starts over (RFC 3207: the client must `EHLO` again); nothing received before is kept.
    pub fn tls_established(&mut self) {
        self.framer.reset();
        let c = &mut self.core;
        c.tls = true;
        c.helo = None;
        c.auth = None;
        c.sasl = None;
        c.tx = None;
        c.pending = None;
        if matches!(c.mode, Mode::StartTls) {
            c.mode = Mode::Command;
        }
    }

    /// Accepts the pending decision with the usual positive reply.
    pub fn accept(&mut self) {
        let r = match &self.core.pending {
            Some(Pending::Mail { .. }) => self.core.mk(250, (2, 1, 0), "Ok"),
            Some(Pending::Rcpt { .. }) => self.core.mk(250, (2, 1, 5), "Ok"),
            Some(Pending::DataEnd { .. }) => self.core.mk(250, (2, 0, 0), "Ok: queued"),
            Some(Pending::Etrn) => self.core.mk(250, (2, 0, 0), "Queuing started"),
            Some(Pending::Vrfy | Pending::Expn) => {
                self.core
                    .mk(252, (2, 0, 0), "Cannot VRFY user, but will accept message")
            }
            Some(Pending::Auth) => {
                let out = self.core.sasl.as_mut().map(SaslServer::accept);
                self.core.sasl_outcome(out);
                self.resume();
                return;
            }
            None => {
                self.core
                    .events
                    .push_back(ServerEvent::Error(ServerError::NoDecisionPending));
                return;
            }
        };
        self.respond(r);
    }

    /// Refuses the pending decision with `reply` (a 4yz or 5yz reply).
    pub fn reject(&mut self, reply: Reply<'_>) {
        if matches!(self.core.pending, Some(Pending::Auth)) {
            let out = self.core.sasl.as_mut().map(SaslServer::reject);
            if let Some(Ok(ServerOutput::Failure(_))) = out {
                self.core.sasl = None;
                self.core.pending = None;
                self.core.mode = Mode::Command;
                self.core.push_reply(&reply);
                self.core.errors += 1;
                self.resume();
            } else {
                self.core.sasl_outcome(out);
                self.resume();
            }
            return;
        }
        self.respond(reply);
    }

    /// Answers the pending decision with `reply`: a 2yz reply accepts, anything else
    /// refuses. In LMTP mode a [`ServerEvent::DataEnd`] takes one answer per recipient.
    pub fn respond(&mut self, reply: Reply<'_>) {
        let Some(p) = self.core.pending.take() else {
            self.core
                .events
                .push_back(ServerEvent::Error(ServerError::NoDecisionPending));
            return;
        };
        let ok = reply.code.is_positive();
        let c = &mut self.core;
        match p {
            Pending::Mail { from, params } => {
                if ok {
                    drop(from);
                    c.tx = Some(Transaction {
                        smtputf8: params.iter().any(|p| matches!(p, Parameter::SmtpUtf8)),
                        body: params.iter().find_map(|p| match p {
                            Parameter::Body(b) => Some(*b),
                            _ => None,
                        }),
                        ..Transaction::default()
                    });
                }
                c.push_reply(&reply);
            }
            Pending::Rcpt { to } => {
                if let Some(tx) = c.tx.as_mut() {
                    tx.rcpt_attempts += 1;
                    if ok {
                        tx.recipients.push(to);
                    }
                }
                c.push_reply(&reply);
            }
            Pending::DataEnd { answers } => {
                c.push_reply(&reply);
                if answers > 1 {
                    c.pending = Some(Pending::DataEnd {
                        answers: answers - 1,
                    });
                    return;
                }
                c.tx = None;
            }
            Pending::Auth => {
                // A plain reply for an auth decision: treat as accept/reject.
                c.pending = Some(Pending::Auth);
                if ok {
                    self.accept();
                } else {
                    self.reject(reply);
                }
                return;
            }
            Pending::Vrfy | Pending::Expn | Pending::Etrn => c.push_reply(&reply),
        }
        self.resume();
    }

    /// Answers [`AuthRequest::ScramCredentials`].
    pub fn auth_scram_credentials(&mut self, creds: &ScramCredentials) {
        if !matches!(self.core.pending, Some(Pending::Auth)) {
            self.core
                .events
                .push_back(ServerEvent::Error(ServerError::NoDecisionPending));
            return;
        }
        let out = self.core.sasl.as_mut().map(|s| s.scram_credentials(creds));
        self.core.sasl_outcome(out);
        self.resume();
    }

    /// Answers [`AuthRequest::CramSecret`].
    pub fn auth_cram_secret(&mut self, secret: &[u8]) {
        if !matches!(self.core.pending, Some(Pending::Auth)) {
            self.core
                .events
                .push_back(ServerEvent::Error(ServerError::NoDecisionPending));
            return;
        }
        let out = self.core.sasl.as_mut().map(|s| s.cram_secret(secret));
        self.core.sasl_outcome(out);
        self.resume();
    }

    /// The `EHLO`/`LHLO` reply this server sends in its current state.
    pub fn ehlo_reply(&self) -> Reply<'static> {
        self.core.ehlo().to_reply()
    }
}

impl Core {
    /// One framer limit for commands and SASL lines (the larger); the command parser
    /// enforces the command line limit itself, so a mode switch never re-frames bytes.
    fn line_config(config: &ServerConfig) -> LineConfig {
        let max = config
            .limits
            .max_auth_line
            .max(config.limits.max_command_line);
        LineConfig::with_max_line_len(max)
            .bare_lf(match config.bare_lf {
                BareLf::Reject => BareLf::Reject,
                _ => BareLf::Normalize,
            })
            .max_buffered(config.limits.max_buffered_input.saturating_add(max))
    }

    fn mk(&self, n: u16, e: (u8, u16, u16), text: &str) -> Reply<'static> {
        Reply {
            code: code(n),
            enhanced: if self.config.extensions.enhanced_status_codes {
                enh(e.0, e.1, e.2)
            } else {
                None
            },
            lines: vec![Cow::Owned(text.to_owned())],
        }
    }

    fn push_reply(&mut self, r: &Reply<'_>) {
        r.encode(&mut self.out);
    }

    fn reply(&mut self, n: u16, e: (u8, u16, u16), text: &str) {
        let r = self.mk(n, e, text);
        self.push_reply(&r);
    }

    fn reply_plain(&mut self, n: u16, text: &str) {
        let r = Reply::new(code(n), None, text.to_owned());
        self.push_reply(&r);
    }

    /// A client error: reply, count, and close at the limit.
    fn error(&mut self, n: u16, e: (u8, u16, u16), text: &str, err: ServerError) {
        self.events.push_back(ServerEvent::Error(err));
        self.reply(n, e, text);
        self.errors += 1;
        if self.errors >= self.config.limits.max_errors {
            self.events
                .push_back(ServerEvent::Error(ServerError::TooManyErrors));
            self.close(421, (4, 7, 0), "Error: too many errors");
        }
    }

    fn close(&mut self, n: u16, e: (u8, u16, u16), text: &str) {
        if matches!(self.mode, Mode::Closed) {
            return;
        }
        let t = format!("{} {text}", self.config.hostname);
        self.reply(n, e, &t);
        self.mode = Mode::Closed;
        self.pending = None;
        self.events.push_back(ServerEvent::Closed);
    }

    fn reset_tx(&mut self) {
        if self.tx.take().is_some() {
            self.events.push_back(ServerEvent::Reset);
        }
    }

    fn offered_mechanisms(&self) -> Vec<Mechanism> {
        self.config
            .auth_mechanisms
            .iter()
            .copied()
            .filter(|m| self.tls || self.config.auth_without_tls || !m.is_plaintext())
            .filter(|m| !m.is_plus() || !self.config.sasl.channel_bindings.is_empty())
            .collect()
    }

    fn ehlo(&self) -> Ehlo<'static> {
        let x = &self.config.extensions;
        let mut caps = Vec::new();
        if x.pipelining {
            caps.push(Capability::Pipelining);
        }
        if let Some(n) = self.config.max_message_size {
            caps.push(Capability::Size(Some(n)));
        }
        if x.vrfy {
            caps.push(Capability::Vrfy);
        }
        if x.etrn {
            caps.push(Capability::Etrn);
        }
        if self.config.starttls && !self.tls {
            caps.push(Capability::StartTls);
        }
        let mechs = self.offered_mechanisms();
        if !mechs.is_empty() && self.auth.is_none() {
            caps.push(Capability::Auth {
                mechanisms: mechs.iter().map(|m| Cow::Borrowed(m.as_str())).collect(),
                legacy: false,
            });
        }
        if x.enhanced_status_codes {
            caps.push(Capability::EnhancedStatusCodes);
        }
        if x.eight_bit_mime {
            caps.push(Capability::EightBitMime);
        }
        if x.dsn {
            caps.push(Capability::Dsn);
        }
        if x.smtputf8 {
            caps.push(Capability::SmtpUtf8);
        }
        if x.chunking {
            caps.push(Capability::Chunking);
            if x.binarymime {
                caps.push(Capability::BinaryMime);
            }
        }
        if x.expn {
            caps.push(Capability::Expn);
        }
        if x.help {
            caps.push(Capability::Help);
        }
        if x.requiretls && self.tls {
            caps.push(Capability::RequireTls);
        }
        if x.mt_priority {
            let policy = x
                .mt_priority_policy
                .as_deref()
                .filter(|p| is_token(p))
                .map(|p| Cow::Owned(p.to_owned()));
            caps.push(Capability::MtPriority(policy));
        }
        if let Some(min) = x.deliver_by {
            caps.push(Capability::DeliverBy((min > 0).then_some(min)));
        }
        if let Some(fr) = x.future_release.as_ref().filter(|f| f.max_unix().is_some()) {
            caps.push(Capability::FutureRelease {
                max_interval: fr.max_interval,
                max_datetime: Cow::Owned(fr.max_datetime.clone()),
            });
        }
        Ehlo {
            domain: Cow::Owned(self.config.hostname.clone()),
            greeting: Cow::Borrowed(""),
            capabilities: caps,
        }
    }

    fn process(&mut self, feed: &mut Feed<'_, '_>) {
        loop {
            if self.pending.is_some() {
                return;
            }
            match &mut self.mode {
                Mode::Closed => {
                    let n = feed.discard_remaining();
                    if n > 0 {
                        self.events
                            .push_back(ServerEvent::Error(ServerError::DiscardedAfterClose(n)));
                    }
                    return;
                }
                Mode::StartTls => {
                    let n = feed.discard_remaining();
                    if n > 0 {
                        self.events
                            .push_back(ServerEvent::Error(ServerError::DiscardedBeforeTls(n)));
                    }
                    return;
                }
                Mode::Data(decoder, lines) => {
                    let raw = feed.peek_raw();
                    if raw.is_empty() {
                        return;
                    }
                    let take = raw.len().min(self.config.limits.body_chunk_size);
                    let mut chunk = Vec::with_capacity(take);
                    let progress =
                        decoder.decode_into(raw.get(..take).unwrap_or_default(), &mut chunk);
                    feed.consume_raw(progress.consumed);
                    lines.check(&chunk);
                    if !chunk.is_empty() && decoder.error().is_none() && !lines.too_long {
                        // Normalising bare LFs (and held-back dots) can make the output a
                        // little longer than the input taken: keep every event bounded.
                        let max = self.config.limits.body_chunk_size.max(1);
                        if chunk.len() <= max {
                            self.events.push_back(ServerEvent::Data(chunk));
                        } else {
                            for piece in chunk.chunks(max) {
                                self.events.push_back(ServerEvent::Data(piece.to_vec()));
                            }
                        }
                    }
                    if progress.complete {
                        // A bare LF is answered first, then a long line, then the size:
                        // the same answer however the input was split.
                        let err = match decoder.error() {
                            Some(DotError::BareLf { .. }) => Some(BodyRejection::BareLf),
                            _ if lines.too_long => Some(BodyRejection::LineTooLong),
                            Some(DotError::TooLarge { .. }) => Some(BodyRejection::TooLarge),
                            None => None,
                        };
                        self.mode = Mode::Command;
                        self.end_of_data(err);
                    }
                }
                Mode::Bdat {
                    remaining,
                    last,
                    discard,
                } => {
                    if *remaining > 0 {
                        let raw = feed.peek_raw();
                        if raw.is_empty() {
                            return;
                        }
                        let take = usize::try_from(*remaining)
                            .unwrap_or(usize::MAX)
                            .min(raw.len())
                            .min(self.config.limits.body_chunk_size);
                        let chunk = raw.get(..take).unwrap_or_default().to_vec();
                        feed.consume_raw(take);
                        *remaining -= take as u64;
                        if discard.is_none() {
                            self.events.push_back(ServerEvent::Data(chunk));
                        }
                        continue;
                    }
                    let last = *last;
                    let discard = discard.take();
                    self.mode = Mode::Command;
                    self.end_of_bdat(last, discard);
                }
                Mode::Auth => {
                    let Some(line) = feed.next_line() else { return };
                    match line {
                        Ok(line) => {
                            let out = self.sasl.as_mut().map(|s| s.step_line(line.content()));
                            self.sasl_outcome(out);
                        }
                        Err(e) => {
                            self.sasl = None;
                            self.mode = Mode::Command;
                            self.error(
                                501,
                                (5, 5, 2),
                                "Error: bad authentication response",
                                ServerError::Line(e),
                            );
                        }
                    }
                }
                Mode::Command => {
                    let Some(line) = feed.next_line() else { return };
                    match line {
                        Ok(line) => self.command(line.content()),
                        Err(e) => {
                            let (n, text) = match e {
                                LineError::TooLong { .. } => (500, "Error: command line too long"),
                                LineError::BareLf { .. } => (500, "Error: bare <LF> received"),
                                LineError::BufferFull { .. } => {
                                    self.events
                                        .push_back(ServerEvent::Error(ServerError::Line(e)));
                                    self.close(421, (4, 3, 0), "Error: input buffer full");
                                    return;
                                }
                            };
                            self.error(n, (5, 5, 2), text, ServerError::Line(e));
                        }
                    }
                    if matches!(self.mode, Mode::StartTls) {
                        let n = feed.discard_remaining();
                        if n > 0 {
                            self.events
                                .push_back(ServerEvent::Error(ServerError::DiscardedBeforeTls(n)));
                        }
                        return;
                    }
                }
            }
        }
    }

    fn end_of_data(&mut self, err: Option<BodyRejection>) {
        match err {
            Some(BodyRejection::TooLarge) => {
                self.events
                    .push_back(ServerEvent::DataRejected(BodyRejection::TooLarge));
                self.reply(552, (5, 3, 4), "Error: message file too big");
                self.tx = None;
            }
            Some(BodyRejection::BareLf) => {
                self.events
                    .push_back(ServerEvent::DataRejected(BodyRejection::BareLf));
                self.reply(550, (5, 5, 2), "Error: bare <LF> received");
                self.tx = None;
            }
            Some(BodyRejection::LineTooLong) => {
                self.events
                    .push_back(ServerEvent::DataRejected(BodyRejection::LineTooLong));
                self.reply(500, (5, 5, 2), "Error: line too long");
                self.tx = None;
            }
            None => {
                let answers = if self.config.lmtp {
                    self.tx.as_ref().map_or(1, |t| t.recipients.len().max(1))
                } else {
                    1
                };
                self.events.push_back(ServerEvent::DataEnd { answers });
                self.pending = Some(Pending::DataEnd { answers });
            }
        }
    }

    fn end_of_bdat(&mut self, last: bool, discard: Option<Reply<'static>>) {
        if let Some(r) = discard {
            self.push_reply(&r);
            self.errors += 1;
            if r.code == ReplyCode::SIZE_EXCEEDED {
                self.events
                    .push_back(ServerEvent::DataRejected(BodyRejection::TooLarge));
                self.tx = None;
            }
            return;
        }
        let size = self.tx.as_ref().map_or(0, |t| t.bdat_size);
        if last {
            self.end_of_data(None);
        } else {
            let text = format!("Ok: {size} bytes");
            self.reply(250, (2, 0, 0), &text);
        }
    }

    fn sequence(&mut self, verb: Verb, n: u16, e: (u8, u16, u16), text: &str) {
        self.error(n, e, text, ServerError::Sequence(verb));
    }

    fn command(&mut self, line: &[u8]) {
        let opts = ParseOptions {
            max_line_length: self.config.limits.max_command_line,
            ..self.config.parse.clone()
        };
        let cmd = match Command::parse(line, &opts) {
            Ok(c) => c,
            Err(e) => {
                self.command_error(e);
                return;
            }
        };
        if self.config.refuse && cmd.verb() != Verb::Quit {
            self.sequence(
                cmd.verb(),
                503,
                (5, 5, 1),
                "Error: service refused, send QUIT",
            );
            return;
        }
        match cmd {
            Command::Helo(h) | Command::Ehlo(h) | Command::Lhlo(h) => {
                let verb = match line.get(..4) {
                    Some(v) if v.eq_ignore_ascii_case(b"HELO") => Verb::Helo,
                    Some(v) if v.eq_ignore_ascii_case(b"EHLO") => Verb::Ehlo,
                    _ => Verb::Lhlo,
                };
                self.hello(verb, h.into_owned());
            }
            Command::Mail { from, params } => self.mail(from.into_owned(), params),
            Command::Rcpt { to, params } => self.rcpt(to.into_owned(), params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.reset_tx();
                self.reply(250, (2, 0, 0), "Ok");
            }
            Command::Noop(_) => self.reply(250, (2, 0, 0), "Ok"),
            Command::Quit => {
                self.reply(221, (2, 0, 0), "Bye");
                self.mode = Mode::Closed;
                self.events.push_back(ServerEvent::Closed);
            }
            Command::Help(_) => {
                if self.config.extensions.help {
                    let t = self.config.help_text.clone();
                    self.reply(214, (2, 0, 0), &t);
                } else {
                    self.error(
                        502,
                        (5, 5, 1),
                        "Error: command not implemented",
                        ServerError::Sequence(Verb::Help),
                    );
                }
            }
            Command::Vrfy(s) => self.ask(
                self.config.extensions.vrfy,
                Pending::Vrfy,
                ServerEvent::Vrfy(s.into_owned()),
                Verb::Vrfy,
            ),
            Command::Expn(s) => self.ask(
                self.config.extensions.expn,
                Pending::Expn,
                ServerEvent::Expn(s.into_owned()),
                Verb::Expn,
            ),
            Command::Etrn(s) => self.ask(
                self.config.extensions.etrn,
                Pending::Etrn,
                ServerEvent::Etrn(s.into_owned()),
                Verb::Etrn,
            ),
            Command::Atrn(_) | Command::Burl { .. } => {
                self.error(
                    502,
                    (5, 5, 1),
                    "Error: command not implemented",
                    ServerError::Sequence(cmd.verb()),
                );
            }
            Command::StartTls => self.starttls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth_start(&mechanism, initial_response.as_deref()),
        }
    }

    fn ask(&mut self, enabled: bool, p: Pending, ev: ServerEvent, verb: Verb) {
        if !enabled {
            let text = format!("Error: {} command is disabled", verb.as_str());
            self.error(502, (5, 5, 1), &text, ServerError::Sequence(verb));
            return;
        }
        if self.helo.is_none() && verb == Verb::Etrn {
            self.sequence(verb, 503, (5, 5, 1), "Error: send HELO/EHLO first");
            return;
        }
        self.events.push_back(ev);
        self.pending = Some(p);
    }

    fn command_error(&mut self, e: CommandError) {
        let (n, en, text): (u16, (u8, u16, u16), &str) = match (e.kind, e.verb) {
            (CommandErrorKind::UnknownCommand, _) => {
                (500, (5, 5, 2), "Error: command not recognized")
            }
            (CommandErrorKind::TooLong, _) => (500, (5, 5, 2), "Error: command line too long"),
            (CommandErrorKind::Empty, _) => (500, (5, 5, 2), "Error: bad syntax"),
            (CommandErrorKind::ForbiddenByte(_) | CommandErrorKind::InvalidUtf8, _) => {
                (500, (5, 5, 2), "Error: bad syntax")
            }
            (CommandErrorKind::Path(_), Some(Verb::Mail)) => {
                (501, (5, 1, 7), "Bad sender address syntax")
            }
            (CommandErrorKind::Path(_), Some(Verb::Rcpt)) => {
                (501, (5, 1, 3), "Bad recipient address syntax")
            }
            (CommandErrorKind::Parameter(_) | CommandErrorKind::TooManyParameters, _) => {
                (501, (5, 5, 4), "Bad parameter syntax")
            }
            (_, Some(Verb::Mail)) => (501, (5, 5, 4), "Syntax: MAIL FROM:<address>"),
            (_, Some(Verb::Rcpt)) => (501, (5, 5, 4), "Syntax: RCPT TO:<address>"),
            (_, Some(Verb::Helo | Verb::Ehlo | Verb::Lhlo)) => {
                (501, (5, 5, 4), "Syntax: EHLO hostname")
            }
            _ => (501, (5, 5, 4), "Syntax error in parameters or arguments"),
        };
        self.error(n, en, text, ServerError::Command(e));
    }

    fn hello(&mut self, verb: Verb, host: Host<'static>) {
        let lmtp = self.config.lmtp;
        if (lmtp && verb != Verb::Lhlo) || (!lmtp && verb == Verb::Lhlo) {
            self.error(
                500,
                (5, 5, 1),
                "Error: command not recognized",
                ServerError::Sequence(verb),
            );
            return;
        }
        self.reset_tx();
        self.events.push_back(ServerEvent::Hello {
            verb,
            host: host.clone(),
        });
        self.helo = Some((verb, host));
        if verb == Verb::Helo {
            let t = self.config.hostname.clone();
            self.reply_plain(250, &t);
        } else {
            let r = self.ehlo().to_reply();
            self.push_reply(&r);
        }
    }

    fn mailbox_too_long(&self, m: Option<&Mailbox<'_>>) -> bool {
        m.is_some_and(|m| {
            m.local_part.len() > self.config.limits.max_local_part
                || m.host.to_string().len() > self.config.limits.max_domain
        })
    }

    fn mail(&mut self, from: ReversePath<'static>, params: Vec<Parameter<'_>>) {
        if self.helo.is_none() {
            return self.sequence(Verb::Mail, 503, (5, 5, 1), "Error: send HELO/EHLO first");
        }
        if self.tx.is_some() {
            return self.sequence(Verb::Mail, 503, (5, 5, 1), "Error: nested MAIL command");
        }
        if (self.config.require_tls || (self.config.require_auth && !self.config.auth_without_tls))
            && !self.tls
        {
            return self.sequence(
                Verb::Mail,
                530,
                (5, 7, 0),
                "Must issue a STARTTLS command first",
            );
        }
        if self.config.require_auth && self.auth.is_none() {
            return self.sequence(Verb::Mail, 530, (5, 7, 0), "Authentication required");
        }
        if self.mailbox_too_long(from.mailbox()) {
            return self.sequence(Verb::Mail, 501, (5, 1, 7), "Bad sender address syntax");
        }
        let esmtp = !matches!(self.helo, Some((Verb::Helo, _)));
        let x = self.config.extensions.clone();
        let mut smtputf8 = false;
        for p in &params {
            let ok = esmtp
                && match p {
                    Parameter::Size(n) => {
                        if self.config.max_message_size.is_some_and(|max| *n > max) {
                            return self.sequence(
                                Verb::Mail,
                                552,
                                (5, 3, 4),
                                "Message size exceeds fixed limit",
                            );
                        }
                        true
                    }
                    Parameter::Body(BodyType::SevenBit) => true,
                    Parameter::Body(BodyType::EightBitMime) => x.eight_bit_mime,
                    Parameter::Body(BodyType::BinaryMime) => x.binarymime && x.chunking,
                    Parameter::SmtpUtf8 => {
                        smtputf8 = true;
                        x.smtputf8
                    }
                    Parameter::Ret(_) | Parameter::EnvId(_) => x.dsn,
                    Parameter::Auth(_) => !self.offered_mechanisms().is_empty(),
                    Parameter::RequireTls => x.requiretls && self.tls,
                    Parameter::MtPriority(_) => x.mt_priority,
                    Parameter::By { .. } => x.deliver_by.is_some(),
                    Parameter::HoldFor(_) | Parameter::HoldUntil(_) => x
                        .future_release
                        .as_ref()
                        .is_some_and(|f| f.max_unix().is_some()),
                    _ => false,
                };
            if !ok {
                let text = format!("Unsupported option: {p}");
                return self.sequence(Verb::Mail, 555, (5, 5, 4), &text);
            }
        }
        if let Some(text) = invalid_mail_params(&params, &x) {
            return self.sequence(Verb::Mail, 501, (5, 5, 4), text);
        }
        if from.mailbox().is_some_and(Mailbox::needs_smtputf8) && !smtputf8 {
            return self.sequence(
                Verb::Mail,
                553,
                (5, 6, 7),
                "Error: SMTPUTF8 required for this address",
            );
        }
        let params: Vec<Parameter<'static>> =
            params.into_iter().map(Parameter::into_owned).collect();
        self.events.push_back(ServerEvent::MailFrom {
            from: from.clone(),
            params: params.clone(),
        });
        self.pending = Some(Pending::Mail { from, params });
    }

    fn rcpt(&mut self, to: ForwardPath<'static>, params: Vec<Parameter<'_>>) {
        let Some(tx) = self.tx.as_ref() else {
            return self.sequence(Verb::Rcpt, 503, (5, 5, 1), "Error: need MAIL command");
        };
        if tx.chunked.is_some() {
            return self.sequence(
                Verb::Rcpt,
                503,
                (5, 5, 1),
                "Error: message data already started",
            );
        }
        if tx.recipients.len() >= self.config.limits.max_recipients {
            return self.error(
                452,
                (4, 5, 3),
                "Error: too many recipients",
                ServerError::Sequence(Verb::Rcpt),
            );
        }
        let smtputf8 = tx.smtputf8;
        if self.mailbox_too_long(to.mailbox()) {
            return self.sequence(Verb::Rcpt, 501, (5, 1, 3), "Bad recipient address syntax");
        }
        for p in &params {
            let ok = matches!(p, Parameter::Notify(_) | Parameter::Orcpt { .. })
                && self.config.extensions.dsn;
            if !ok {
                let text = format!("Unsupported option: {p}");
                return self.sequence(Verb::Rcpt, 555, (5, 5, 4), &text);
            }
        }
        if to.mailbox().is_some_and(Mailbox::needs_smtputf8) && !smtputf8 {
            return self.sequence(
                Verb::Rcpt,
                553,
                (5, 6, 7),
                "Error: SMTPUTF8 required for this address",
            );
        }
        let params: Vec<Parameter<'static>> =
            params.into_iter().map(Parameter::into_owned).collect();
        self.events.push_back(ServerEvent::RcptTo {
            to: to.clone(),
            params,
        });
        self.pending = Some(Pending::Rcpt { to });
    }

    fn data(&mut self) {
        let Some(tx) = self.tx.as_mut() else {
            return self.sequence(Verb::Data, 503, (5, 5, 1), "Error: need MAIL command");
        };
        if tx.chunked.is_some() {
            return self.sequence(Verb::Data, 503, (5, 5, 1), "Error: BDAT in progress");
        }
        if tx.recipients.is_empty() {
            if tx.rcpt_attempts > 0 {
                return self.sequence(Verb::Data, 554, (5, 5, 1), "Error: no valid recipients");
            }
            return self.sequence(Verb::Data, 503, (5, 5, 1), "Error: need RCPT command");
        }
        if tx.body == Some(BodyType::BinaryMime) {
            return self.sequence(
                Verb::Data,
                503,
                (5, 5, 1),
                "Error: BINARYMIME requires BDAT",
            );
        }
        tx.chunked = Some(false);
        let mut dc = DotConfig::default().bare_lf(self.config.bare_lf);
        if let Some(max) = self.config.max_message_size {
            dc = dc.max_size(max);
        }
        self.reply_plain(354, "End data with <CR><LF>.<CR><LF>");
        self.events
            .push_back(ServerEvent::DataStart { chunked: false });
        self.mode = Mode::Data(
            DotDecoder::new(dc),
            TextLines::new(self.config.limits.max_text_line),
        );
    }

    fn bdat(&mut self, size: u64, last: bool) {
        let refuse = |c: &Core, n: u16, e: (u8, u16, u16), text: &str| Some(c.mk(n, e, text));
        let discard = if !self.config.extensions.chunking {
            refuse(self, 502, (5, 5, 1), "Error: command not implemented")
        } else {
            match self.tx.as_mut() {
                None => refuse(self, 503, (5, 5, 1), "Error: need MAIL command"),
                Some(tx) if tx.chunked == Some(false) => {
                    refuse(self, 503, (5, 5, 1), "Error: DATA in progress")
                }
                Some(tx) if tx.recipients.is_empty() => {
                    if tx.rcpt_attempts > 0 {
                        refuse(self, 554, (5, 5, 1), "Error: no valid recipients")
                    } else {
                        refuse(self, 503, (5, 5, 1), "Error: need RCPT command")
                    }
                }
                Some(tx) => {
                    let total = tx.bdat_size.saturating_add(size);
                    let first = tx.chunked.is_none();
                    tx.chunked = Some(true);
                    tx.bdat_size = total;
                    if self.config.max_message_size.is_some_and(|m| total > m) {
                        refuse(self, 552, (5, 3, 4), "Error: message file too big")
                    } else {
                        if first {
                            self.events
                                .push_back(ServerEvent::DataStart { chunked: true });
                        }
                        None
                    }
                }
            }
        };
        if discard.is_some() {
            self.events
                .push_back(ServerEvent::Error(ServerError::Sequence(Verb::Bdat)));
        }
        self.mode = Mode::Bdat {
            remaining: size,
            last,
            discard,
        };
    }

    fn starttls(&mut self) {
        if self.tls {
            return self.sequence(Verb::StartTls, 554, (5, 5, 1), "Error: TLS already active");
        }
        if !self.config.starttls {
            return self.error(
                502,
                (5, 5, 1),
                "Error: command not implemented",
                ServerError::Sequence(Verb::StartTls),
            );
        }
        if self.tx.is_some() {
            return self.sequence(
                Verb::StartTls,
                503,
                (5, 5, 1),
                "Error: MAIL transaction in progress",
            );
        }
        self.reply(220, (2, 0, 0), "Ready to start TLS");
        self.mode = Mode::StartTls;
        self.events.push_back(ServerEvent::StartTls);
    }

    fn auth_start(&mut self, mechanism: &str, ir: Option<&str>) {
        if self.helo.is_none() || matches!(self.helo, Some((Verb::Helo, _))) {
            return self.sequence(Verb::Auth, 503, (5, 5, 1), "Error: send EHLO first");
        }
        if self.auth.is_some() {
            return self.sequence(Verb::Auth, 503, (5, 5, 1), "Error: already authenticated");
        }
        if self.tx.is_some() {
            return self.sequence(
                Verb::Auth,
                503,
                (5, 5, 1),
                "Error: MAIL transaction in progress",
            );
        }
        let offered = self.offered_mechanisms();
        if self.config.auth_mechanisms.is_empty() {
            return self.sequence(
                Verb::Auth,
                503,
                (5, 5, 1),
                "Error: authentication not enabled",
            );
        }
        let mech = Mechanism::parse(mechanism.as_bytes());
        let Some(mech) = mech.filter(|m| offered.contains(m)) else {
            if mech.is_some_and(|m| self.config.auth_mechanisms.contains(&m)) {
                return self.sequence(
                    Verb::Auth,
                    538,
                    (5, 7, 11),
                    "Encryption required for requested authentication mechanism",
                );
            }
            return self.sequence(
                Verb::Auth,
                504,
                (5, 5, 4),
                "Unrecognized authentication type",
            );
        };
        let server = match SaslServer::new(mech, self.config.sasl.clone()) {
            Ok(s) => s,
            Err(e) => {
                return self.error(
                    454,
                    (4, 7, 0),
                    "Temporary authentication failure",
                    ServerError::Sasl(e.to_string()),
                );
            }
        };
        self.sasl = Some(server);
        let ir = match ir.map(|s| decode_line(s.as_bytes(), self.config.limits.max_auth_line)) {
            None => None,
            Some(Ok(Decoded::Data(d))) => Some(d),
            Some(Ok(Decoded::Cancel)) => {
                self.sasl = None;
                return self.error(
                    501,
                    (5, 7, 0),
                    "Authentication aborted",
                    ServerError::Sasl("cancelled".into()),
                );
            }
            Some(Err(e)) => {
                self.sasl = None;
                return self.error(
                    501,
                    (5, 5, 2),
                    "Cannot decode response",
                    ServerError::Sasl(e.to_string()),
                );
            }
        };
        let out = self.sasl.as_mut().map(|s| s.start(ir.as_deref()));
        self.sasl_outcome(out);
    }

    fn sasl_outcome(&mut self, out: Option<Result<ServerOutput, correo_wire::sasl::SaslError>>) {
        self.pending = None;
        let out = match out {
            None => {
                self.mode = Mode::Command;
                return;
            }
            Some(Err(e)) => {
                self.sasl = None;
                self.mode = Mode::Command;
                self.error(
                    535,
                    (5, 7, 8),
                    "Authentication failed",
                    ServerError::Sasl(e.to_string()),
                );
                return;
            }
            Some(Ok(o)) => o,
        };
        match out {
            ServerOutput::Challenge(c) => {
                let line = encode_response(&c);
                self.reply_plain(334, &line);
                self.mode = Mode::Auth;
            }
            ServerOutput::VerifyPassword(check) => self.auth_ask(AuthRequest::Password(check)),
            ServerOutput::VerifyToken(check) => self.auth_ask(AuthRequest::Token(check)),
            ServerOutput::NeedScramCredentials { username, authzid } => {
                self.auth_ask(AuthRequest::ScramCredentials { username, authzid });
            }
            ServerOutput::NeedCramSecret { username } => {
                self.auth_ask(AuthRequest::CramSecret { username });
            }
            ServerOutput::Success {
                username, authzid, ..
            } => {
                self.sasl = None;
                self.mode = Mode::Command;
                self.reply(235, (2, 7, 0), "Authentication successful");
                self.auth = Some(username.clone());
                self.events
                    .push_back(ServerEvent::Authenticated { username, authzid });
            }
            ServerOutput::Failure(_) => {
                self.sasl = None;
                self.mode = Mode::Command;
                self.error(
                    535,
                    (5, 7, 8),
                    "Error: authentication failed",
                    ServerError::Sasl("credentials rejected".into()),
                );
            }
            ServerOutput::Cancelled => {
                self.sasl = None;
                self.mode = Mode::Command;
                self.error(
                    501,
                    (5, 7, 0),
                    "Authentication aborted",
                    ServerError::Sasl("cancelled".into()),
                );
            }
            _ => {
                self.sasl = None;
                self.mode = Mode::Command;
                self.error(
                    454,
                    (4, 7, 0),
                    "Temporary authentication failure",
                    ServerError::Sasl("unexpected step".into()),
                );
            }
        }
    }

    fn auth_ask(&mut self, req: AuthRequest) {
        self.mode = Mode::Auth;
        self.events.push_back(ServerEvent::Auth(req));
        self.pending = Some(Pending::Auth);
    }
}
