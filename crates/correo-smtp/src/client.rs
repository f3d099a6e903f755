//! The client (sender) state machine: SMTP, ESMTP (STARTTLS, AUTH, PIPELINING, CHUNKING,
//! SIZE, 8BITMIME, SMTPUTF8) and LMTP, sans-IO.
//!
//! ```text
//! let mut client = Client::new(config);
//! loop {
//!     while let Some(bytes) = client.poll_transmit() { socket.write_all(&bytes)?; }
//!     while let Some(event) = client.poll_event() {
//!         match event {
//!             ClientEvent::Ready(_) => client.send_mail(envelope.clone())?,
//!             ClientEvent::SendBody => client.send_body(&message, true)?,
//!             ClientEvent::StartTls => { /* flush, wrap the socket */ client.tls_established() }
//!             ClientEvent::TransactionDone { .. } => client.quit(),
//!             ClientEvent::Closed => return,
//!             _ => {}
//!         }
//!     }
//!     let n = socket.read(&mut buf)?;   // with client.poll_timeout() as read timeout
//!     client.receive(&buf[..n]);
//! }
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use correo_wire::dot::DotEncoder;
use correo_wire::line::{BareLf, Feed, LineConfig, LineFramer};
use correo_wire::sasl::scram::{ClientChannelBinding, ScramHash};
use correo_wire::sasl::{Mechanism, SaslClient, select};

use crate::command::{Command, CommandError};
use crate::ehlo::{Capability, Ehlo};
use crate::params::{BodyType, Parameter};
use crate::path::{ForwardPath, Host, ReversePath};
use crate::reply::{Reply, ReplyBuilder, ReplyCode, ReplyError, ReplyLimits};

/// How the client uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Never (plain text).
    None,
    /// `STARTTLS` when the server offers it, plain text otherwise.
    #[default]
    Opportunistic,
    /// `STARTTLS` required: fail closed (no `MAIL`, `QUIT`) if it is not offered or fails.
    Required,
    /// The connection is TLS from the first byte (port 465).
    Implicit,
}

/// Credentials for `AUTH`.
#[derive(Clone)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password (or, for XOAUTH2/OAUTHBEARER, the token).
    pub password: String,
    /// Mechanisms the client is willing to use, any order; the strongest that the server
    /// offers is chosen. Plaintext ones (PLAIN, LOGIN, tokens) only over TLS unless
    /// [`Credentials::allow_cleartext`].
    pub mechanisms: Vec<Mechanism>,
    /// Allow PLAIN/LOGIN without TLS (e.g. loopback to a local server).
    pub allow_cleartext: bool,
    /// The SCRAM client nonce (random, from the caller); SCRAM is skipped without one.
    pub scram_nonce: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("mechanisms", &self.mechanisms)
            .field("allow_cleartext", &self.allow_cleartext)
            .finish_non_exhaustive()
    }
}

/// Client configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The name sent in `EHLO`/`HELO`/`LHLO`.
    pub helo: Host<'static>,
    /// TLS use.
    pub tls: TlsMode,
    /// LMTP (RFC 2033): `LHLO`, one reply per accepted recipient after the data.
    pub lmtp: bool,
    /// Authenticate with these credentials after `EHLO` (and TLS).
    pub credentials: Option<Credentials>,
    /// Pipeline the envelope when the server offers `PIPELINING`.
    pub pipelining: bool,
    /// Send bodies with `BDAT` when the server offers `CHUNKING` and `PIPELINING`.
    pub chunking: bool,
    /// Fall back to `HELO` when `EHLO` is refused (not with [`TlsMode::Required`]).
    pub helo_fallback: bool,
    /// Caps on reply lines.
    pub reply_limits: ReplyLimits,
    /// Bytes of received replies kept while a reply is incomplete.
    pub max_buffered: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            helo: Host::Domain("localhost".into()),
            tls: TlsMode::Opportunistic,
            lmtp: false,
            credentials: None,
            pipelining: true,
            chunking: false,
            helo_fallback: true,
            reply_limits: ReplyLimits::default(),
            max_buffered: 64 * 1024,
        }
    }
}

/// One recipient of an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The forward path.
    pub path: ForwardPath<'static>,
    /// `RCPT` parameters (DSN `NOTIFY`, `ORCPT`), sent only if the server offers `DSN`.
    pub params: Vec<Parameter<'static>>,
}

impl From<ForwardPath<'static>> for Recipient {
    fn from(path: ForwardPath<'static>) -> Self {
        Recipient {
            path,
            params: Vec::new(),
        }
    }
}

/// What to send: sender, recipients and facts about the body the client must declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path.
    pub from: ReversePath<'static>,
    /// The recipients, in order.
    pub recipients: Vec<Recipient>,
    /// The body's size in octets, if known: sent as `SIZE=` and checked against the
    /// server's limit before anything is sent.
    pub size: Option<u64>,
    /// The body type: 8-bit needs `8BITMIME`, binary needs `BINARYMIME` and `CHUNKING`.
    pub body: BodyType,
    /// Request `SMTPUTF8` (also implied by a non-ASCII address).
    pub smtputf8: bool,
    /// Other `MAIL` parameters (DSN `RET`/`ENVID`, `REQUIRETLS`, `MT-PRIORITY`, `BY`,
    /// `HOLDFOR`/`HOLDUNTIL`, ...), sent as given once the server is known to offer their
    /// extension (within its advertised `DELIVERBY`/`FUTURERELEASE` limits); otherwise
    /// [`Client::send_mail`] fails with [`ClientError::Unsupported`] and sends nothing.
    pub mail_params: Vec<Parameter<'static>>,
}

impl Envelope {
    /// A plain 7-bit envelope.
    pub fn new(from: ReversePath<'static>, recipients: Vec<ForwardPath<'static>>) -> Self {
        Envelope {
            from,
            recipients: recipients.into_iter().map(Recipient::from).collect(),
            size: None,
            body: BodyType::SevenBit,
            smtputf8: false,
            mail_params: Vec::new(),
        }
    }
}

/// Which RFC 5321 section 4.5.3.2 timeout applies now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Waiting for the `220` greeting: 5 minutes.
    Greeting,
    /// Waiting for the reply to `MAIL`: 5 minutes.
    Mail,
    /// Waiting for the reply to `RCPT`: 5 minutes.
    Rcpt,
    /// Waiting for the `354` reply to `DATA`: 2 minutes.
    DataInitiation,
    /// Sending the body (between two sends): 3 minutes.
    DataBlock,
    /// Waiting for the reply after the final `.` (or `BDAT LAST`): 10 minutes.
    DataTermination,
    /// Any other command: 5 minutes.
    Command,
}

impl TimeoutKind {
    /// The RFC 5321 minimum.
    pub fn duration(self) -> Duration {
        Duration::from_secs(match self {
            TimeoutKind::DataInitiation => 120,
            TimeoutKind::DataBlock => 180,
            TimeoutKind::DataTermination => 600,
            _ => 300,
        })
    }
}

/// What went wrong on the client side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A reply that does not parse (or breaks a limit): the session is closed.
    #[error("bad reply: {0}")]
    Reply(#[from] ReplyError),
    /// A reply when none was expected: the session is closed.
    #[error("unexpected reply {0}")]
    UnexpectedReply(u16),
    /// The server greeted with something else than `220`.
    #[error("service refused: {0}")]
    Refused(String),
    /// `421`: the server is closing the session.
    #[error("service closing: {0}")]
    ServiceClosing(String),
    /// TLS was required but `STARTTLS` is not offered or failed.
    #[error("TLS required but not available: {0}")]
    TlsUnavailable(String),
    /// Bytes that arrived after the `220` to `STARTTLS` and before the upgrade (an
    /// injection attempt); they were discarded.
    #[error("{0} bytes received before the TLS upgrade were discarded")]
    DataBeforeTls(usize),
    /// No mechanism acceptable to both sides (plaintext ones need TLS).
    #[error("no usable authentication mechanism")]
    NoAuthMechanism,
    /// Authentication failed.
    #[error("authentication failed: {0}")]
    AuthFailed(String),
    /// The message is larger than the server's `SIZE`.
    #[error("message of {size} octets exceeds the server's limit of {limit}")]
    TooLarge {
        /// The declared size.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// An extension the message needs is not offered (`8BITMIME`, `SMTPUTF8`, ...), or a
    /// parameter is outside the limits the server advertised (`DELIVERBY`,
    /// `FUTURERELEASE`).
    #[error("server does not support {0}")]
    Unsupported(&'static str),
    /// The method was called in a state where it makes no sense.
    #[error("not possible now: {0}")]
    InvalidState(&'static str),
    /// A command could not be encoded (CR/LF/NUL in an argument).
    #[error("bad command: {0}")]
    Command(#[from] CommandError),
    /// The timeout ran out.
    #[error("timeout waiting ({0:?})")]
    Timeout(TimeoutKind),
    /// Received bytes over the buffer limit.
    #[error("receive buffer full")]
    BufferFull,
}

/// What happened, pulled with [`Client::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server's greeting.
    Greeting(Reply<'static>),
    /// The session is ready for [`Client::send_mail`] (after EHLO, TLS and AUTH). The
    /// capabilities are empty after a `HELO` fallback.
    Ready(Ehlo<'static>),
    /// Send everything [`Client::poll_transmit`] holds, start TLS, then call
    /// [`Client::tls_established`].
    StartTls,
    /// `AUTH` succeeded.
    Authenticated,
    /// The reply to `MAIL`.
    MailResult(Reply<'static>),
    /// The reply to one `RCPT` (index into the envelope's recipients).
    RecipientResult {
        /// Index of the recipient.
        index: usize,
        /// The reply.
        reply: Reply<'static>,
    },
    /// The server takes the body now: call [`Client::send_body`] until `last`.
    SendBody,
    /// The reply after the body: one for SMTP, one per accepted recipient for LMTP.
    MessageResult {
        /// LMTP: the recipient this reply is for.
        recipient: Option<usize>,
        /// The reply.
        reply: Reply<'static>,
    },
    /// The transaction is over; `delivered` when the message was accepted (for every
    /// accepted recipient, in LMTP).
    TransactionDone {
        /// Whether the message was accepted.
        delivered: bool,
        /// Indexes of the recipients the server accepted at `RCPT`.
        accepted: Vec<usize>,
    },
    /// The reply to a command sent with [`Client::send_command`] (`NOOP`, `VRFY`, `RSET`...).
    Reply(Reply<'static>),
    /// Something went wrong.
    Error(ClientError),
    /// The session is over; close the connection after sending what
    /// [`Client::poll_transmit`] holds.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    /// The lone `.` after a 354 with no accepted recipient.
    DotAlone,
    BdatChunk {
        last: bool,
    },
    DataEnd,
    /// RSET sent by the machine itself (not reported).
    AutoRset,
    User,
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    AwaitTls,
    Ready,
    Transaction,
    Closed,
}

#[derive(Debug)]
struct Tx {
    recipients: usize,
    accepted: Vec<usize>,
    mail_ok: Option<bool>,
    rcpt_replies: usize,
    chunked: bool,
    /// Body being sent (after 354, or BDAT mode).
    sending: bool,
    body_done: bool,
    encoder: DotEncoder,
    /// LMTP: answers still expected after the body, and the recipients they belong to.
    results: VecDeque<usize>,
    all_ok: bool,
    failed: bool,
    pending_rcpts: VecDeque<Recipient>,
}

#[derive(Debug)]
struct Core {
    config: ClientConfig,
    phase: Phase,
    expect: VecDeque<Expect>,
    builder: ReplyBuilder,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    tls: bool,
    ehlo: Option<Ehlo<'static>>,
    esmtp: bool,
    authenticated: bool,
    sasl: Option<SaslClient>,
    tx: Option<Tx>,
    pipelining: bool,
    deferred_ir: Option<String>,
    auth_error: Option<String>,
}

/// The client state machine. See the [module documentation](self).
#[derive(Debug)]
pub struct Client {
    framer: LineFramer,
    core: Core,
}

impl Client {
    /// A new session, waiting for the greeting.
    pub fn new(config: ClientConfig) -> Client {
        let framer = LineFramer::new(
            LineConfig::with_max_line_len(config.reply_limits.max_line_length)
                .bare_lf(BareLf::Normalize)
                .max_buffered(config.max_buffered),
        );
        let tls = config.tls == TlsMode::Implicit;
        let builder = ReplyBuilder::new(config.reply_limits);
        Client {
            framer,
            core: Core {
                config,
                phase: Phase::Connecting,
                expect: VecDeque::from([Expect::Greeting]),
                builder,
                out: Vec::new(),
                events: VecDeque::new(),
                tls,
                ehlo: None,
                esmtp: false,
                authenticated: false,
                sasl: None,
                tx: None,
                pipelining: false,
                deferred_ir: None,
                auth_error: None,
            },
        }
    }

    /// Feeds bytes received from the server (any split).
    pub fn receive(&mut self, bytes: &[u8]) {
        match self.core.phase {
            Phase::AwaitTls => {
                if !bytes.is_empty() {
                    self.core
                        .events
                        .push_back(ClientEvent::Error(ClientError::DataBeforeTls(bytes.len())));
                }
                return;
            }
            Phase::Closed => return,
            _ => {}
        }
        let mut feed = self.framer.feed(bytes);
        self.core.process(&mut feed);
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.core.events.pop_front()
    }

    /// Bytes to send to the server, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.core.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.core.out))
        }
    }

    /// The capabilities of the current session (`None` before `EHLO` and after `STARTTLS`
    /// until the new `EHLO` reply).
    pub fn capabilities(&self) -> Option<&Ehlo<'static>> {
        self.core.ehlo.as_ref()
    }

    /// Whether the session runs over TLS.
    pub fn is_tls(&self) -> bool {
        self.core.tls
    }

    /// Whether the client authenticated.
    pub fn is_authenticated(&self) -> bool {
        self.core.authenticated
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.core.phase == Phase::Closed
    }

    /// Whether [`Client::send_mail`] may be called.
    pub fn is_ready(&self) -> bool {
        self.core.phase == Phase::Ready && self.core.expect.is_empty()
    }

    /// Which timeout applies now (RFC 5321 section 4.5.3.2), or `None` when nothing is
    /// awaited from the server (and no body is being sent). The caller measures it.
    pub fn poll_timeout(&self) -> Option<TimeoutKind> {
        let c = &self.core;
        if c.phase == Phase::Closed {
            return None;
        }
        match c.expect.front() {
            Some(Expect::Greeting) => Some(TimeoutKind::Greeting),
            Some(Expect::Mail) => Some(TimeoutKind::Mail),
            Some(Expect::Rcpt(_)) => Some(TimeoutKind::Rcpt),
            Some(Expect::Data) => Some(TimeoutKind::DataInitiation),
            Some(Expect::DataEnd | Expect::DotAlone | Expect::BdatChunk { last: true }) => {
                Some(TimeoutKind::DataTermination)
            }
            Some(_) => Some(TimeoutKind::Command),
            None if c.tx.as_ref().is_some_and(|t| t.sending && !t.body_done) => {
                Some(TimeoutKind::DataBlock)
            }
            None => None,
        }
    }

    /// The timeout from [`Client::poll_timeout`] ran out: the session is abandoned.
    pub fn handle_timeout(&mut self) {
        if let Some(kind) = self.poll_timeout() {
            self.core
                .events
                .push_back(ClientEvent::Error(ClientError::Timeout(kind)));
            self.core.close();
        }
    }

    /// The caller finished the TLS handshake after [`ClientEvent::StartTls`]: the
    /// capabilities learnt before are forgotten and `EHLO` is sent again.
    pub fn tls_established(&mut self) {
        if self.core.phase != Phase::AwaitTls {
            self.core
                .events
                .push_back(ClientEvent::Error(ClientError::InvalidState(
                    "no STARTTLS pending",
                )));
            return;
        }
        self.framer.reset();
        self.core.builder.reset();
        self.core.tls = true;
        self.core.ehlo = None;
        self.core.phase = Phase::Connecting;
        self.core.send_hello();
    }

    /// Starts a mail transaction. Checks the envelope against the server's capabilities
    /// first (`SIZE`, `8BITMIME`, `BINARYMIME`, `SMTPUTF8`): on error nothing is sent.
    pub fn send_mail(&mut self, envelope: Envelope) -> Result<(), ClientError> {
        self.core.send_mail(envelope)
    }

    /// Sends a piece of the body (after [`ClientEvent::SendBody`]); `last` ends it. With
    /// `DATA` the body is dot-stuffed as it goes (line ends normalised to CRLF); with
    /// `BDAT` each call is one chunk, sent as is.
    pub fn send_body(&mut self, chunk: &[u8], last: bool) -> Result<(), ClientError> {
        self.core.send_body(chunk, last)
    }

    /// Sends any command and reports its reply as [`ClientEvent::Reply`] (for `NOOP`,
    /// `VRFY`, `EXPN`, `HELP`, `RSET`, `ETRN`). Not for commands that change the session
    /// (`MAIL`, `DATA`, `STARTTLS`, `AUTH`...): those have their own methods.
    pub fn send_command(&mut self, command: &Command<'_>) -> Result<(), ClientError> {
        use crate::command::Verb::*;
        let c = &mut self.core;
        if c.phase == Phase::Closed {
            return Err(ClientError::InvalidState("session closed"));
        }
        match command.verb() {
            Noop | Vrfy | Expn | Help | Rset | Etrn => {}
            _ => return Err(ClientError::InvalidState("use the dedicated method")),
        }
        if command.verb() == Rset && c.tx.is_some() {
            return Err(ClientError::InvalidState("transaction in progress"));
        }
        command.encode(&mut c.out)?;
        c.expect.push_back(Expect::User);
        Ok(())
    }

    /// Turns `BDAT` use on or off for the next transactions (see
    /// [`ClientConfig::chunking`]).
    pub fn set_chunking(&mut self, chunking: bool) {
        self.core.config.chunking = chunking;
    }

    /// Sends `QUIT`; [`ClientEvent::Closed`] follows the reply.
    pub fn quit(&mut self) {
        self.core.quit();
    }
}

impl Core {
    fn process(&mut self, feed: &mut Feed<'_, '_>) {
        while self.phase != Phase::Closed && self.phase != Phase::AwaitTls {
            let Some(line) = feed.next_line() else { return };
            let reply = match line {
                Ok(line) => self.builder.push_line(line.content()),
                Err(correo_wire::line::LineError::TooLong { max, .. }) => Err(ReplyError {
                    kind: crate::reply::ReplyErrorKind::LineTooLong,
                    offset: max,
                }),
                Err(_) => {
                    self.fail(ClientError::BufferFull);
                    return;
                }
            };
            match reply {
                Ok(None) => {}
                Ok(Some(r)) => self.on_reply(r),
                Err(e) => {
                    self.fail(ClientError::Reply(e));
                    return;
                }
            }
            if self.phase == Phase::AwaitTls {
                let n = feed.discard_remaining();
                if n > 0 {
                    self.events
                        .push_back(ClientEvent::Error(ClientError::DataBeforeTls(n)));
                }
                return;
            }
        }
        if self.phase == Phase::Closed {
            feed.discard_remaining();
        }
    }

    fn fail(&mut self, e: ClientError) {
        self.events.push_back(ClientEvent::Error(e));
        self.close();
    }

    fn close(&mut self) {
        if self.phase != Phase::Closed {
            self.phase = Phase::Closed;
            self.expect.clear();
            self.tx = None;
            self.events.push_back(ClientEvent::Closed);
        }
    }

    fn quit(&mut self) {
        if self.phase == Phase::Closed || self.expect.contains(&Expect::Quit) {
            return;
        }
        self.out.extend_from_slice(b"QUIT\r\n");
        self.expect.push_back(Expect::Quit);
    }

    /// Gives up politely: an error event, then `QUIT`.
    fn abort(&mut self, e: ClientError) {
        self.events.push_back(ClientEvent::Error(e));
        self.tx = None;
        self.phase = Phase::Ready;
        self.quit();
    }

    fn send(&mut self, cmd: &Command<'_>, expect: Expect) {
        if cmd.encode(&mut self.out).is_ok() {
            self.expect.push_back(expect);
        }
    }

    fn send_hello(&mut self) {
        let host = self.config.helo.clone();
        if self.config.lmtp {
            self.send(&Command::Lhlo(host), Expect::Ehlo);
        } else {
            self.send(&Command::Ehlo(host), Expect::Ehlo);
        }
    }

    fn on_reply(&mut self, r: Reply<'static>) {
        let Some(expect) = self.expect.pop_front() else {
            self.fail(ClientError::UnexpectedReply(r.code.get()));
            return;
        };
        if r.code == ReplyCode::SERVICE_UNAVAILABLE && expect != Expect::Quit {
            self.events
                .push_back(ClientEvent::Error(ClientError::ServiceClosing(r.text())));
            self.close();
            return;
        }
        match expect {
            Expect::Greeting => {
                let ok = r.code == ReplyCode::SERVICE_READY;
                let text = r.text();
                self.events.push_back(ClientEvent::Greeting(r));
                if ok {
                    self.send_hello();
                } else {
                    self.events
                        .push_back(ClientEvent::Error(ClientError::Refused(text)));
                    self.quit();
                }
            }
            Expect::Ehlo => {
                if r.code == ReplyCode::OK {
                    let ehlo = Ehlo::from_reply(&r).map(Ehlo::into_owned);
                    self.ehlo = ehlo;
                    self.esmtp = true;
                    self.after_hello();
                } else if self.config.helo_fallback
                    && !self.config.lmtp
                    && r.code.is_permanent()
                    && self.config.tls != TlsMode::Required
                {
                    let host = self.config.helo.clone();
                    self.send(&Command::Helo(host), Expect::Helo);
                } else {
                    self.abort(ClientError::Refused(r.text()));
                }
            }
            Expect::Helo => {
                if r.code == ReplyCode::OK {
                    self.esmtp = false;
                    self.ehlo = Some(Ehlo {
                        domain: r.lines.first().cloned().unwrap_or_default(),
                        greeting: "".into(),
                        capabilities: Vec::new(),
                    });
                    self.after_hello();
                } else {
                    self.abort(ClientError::Refused(r.text()));
                }
            }
            Expect::StartTls => {
                if r.code == ReplyCode::SERVICE_READY {
                    // RFC 3207: forget everything learnt before the upgrade.
                    self.ehlo = None;
                    self.esmtp = false;
                    self.phase = Phase::AwaitTls;
                    self.events.push_back(ClientEvent::StartTls);
                } else if self.config.tls == TlsMode::Required {
                    self.abort(ClientError::TlsUnavailable(r.text()));
                } else {
                    self.after_tls_decision();
                }
            }
            Expect::Auth => self.on_auth_reply(&r),
            Expect::Mail
            | Expect::Rcpt(_)
            | Expect::Data
            | Expect::DotAlone
            | Expect::BdatChunk { .. }
            | Expect::DataEnd
            | Expect::AutoRset => self.on_tx_reply(expect, r),
            Expect::User => self.events.push_back(ClientEvent::Reply(r)),
            Expect::Quit => {
                self.events.push_back(ClientEvent::Reply(r));
                self.close();
            }
        }
    }

    fn has(&self, cap: &Capability<'_>) -> bool {
        self.ehlo.as_ref().is_some_and(|e| e.supports(cap))
    }

    /// Checks that the server offers the extension a `MAIL`/`RCPT` parameter belongs to
    /// (and, where it advertises limits, that the parameter is within them), so that no
    /// parameter is sent that the server would have to refuse.
    fn check_offered(&self, p: &Parameter<'_>) -> Result<(), ClientError> {
        let caps = self.ehlo.as_ref().map_or(&[][..], |e| &e.capabilities[..]);
        let (name, offered) = match p {
            Parameter::Ret(_)
            | Parameter::EnvId(_)
            | Parameter::Notify(_)
            | Parameter::Orcpt { .. } => ("DSN", self.has(&Capability::Dsn)),
            Parameter::RequireTls => ("REQUIRETLS", self.has(&Capability::RequireTls)),
            Parameter::MtPriority(_) => ("MT-PRIORITY", self.has(&Capability::MtPriority(None))),
            Parameter::By { time, mode, .. } => {
                let min = caps.iter().find_map(|c| match c {
                    Capability::DeliverBy(min) => Some(min.unwrap_or(0)),
                    _ => None,
                });
                let ok = min.is_some_and(|min| {
                    *mode == crate::params::ByMode::Notify
                        || (*time > 0 && u64::try_from(*time).is_ok_and(|t| t >= min))
                });
                ("DELIVERBY", ok)
            }
            Parameter::HoldFor(_) | Parameter::HoldUntil(_) => {
                let limits = caps.iter().find_map(|c| match c {
                    Capability::FutureRelease {
                        max_interval,
                        max_datetime,
                    } => Some((*max_interval, crate::params::parse_datetime(max_datetime))),
                    _ => None,
                });
                let ok = limits.is_some_and(|(interval, until)| match p {
                    Parameter::HoldFor(s) => *s <= interval,
                    Parameter::HoldUntil(t) => crate::params::parse_datetime(t)
                        .is_some_and(|t| until.is_none_or(|u| t <= u)),
                    _ => false,
                });
                ("FUTURERELEASE", ok)
            }
            Parameter::Auth(_) => (
                "AUTH",
                self.has(&Capability::Auth {
                    mechanisms: Vec::new(),
                    legacy: false,
                }),
            ),
            _ => ("", true),
        };
        if offered {
            Ok(())
        } else {
            Err(ClientError::Unsupported(name))
        }
    }

    fn after_hello(&mut self) {
        if !self.tls && self.config.tls != TlsMode::None && self.config.tls != TlsMode::Implicit {
            if self.has(&Capability::StartTls) {
                self.send(&Command::StartTls, Expect::StartTls);
                return;
            }
            if self.config.tls == TlsMode::Required {
                self.abort(ClientError::TlsUnavailable("STARTTLS not offered".into()));
                return;
            }
        }
        self.after_tls_decision();
    }

    fn after_tls_decision(&mut self) {
        if self.config.credentials.is_some() && !self.authenticated {
            self.start_auth();
        } else {
            self.ready();
        }
    }

    fn ready(&mut self) {
        self.phase = Phase::Ready;
        self.pipelining = self.config.pipelining && self.has(&Capability::Pipelining);
        let ehlo = self.ehlo.clone().unwrap_or(Ehlo {
            domain: "".into(),
            greeting: "".into(),
            capabilities: Vec::new(),
        });
        self.events.push_back(ClientEvent::Ready(ehlo));
    }

    fn start_auth(&mut self) {
        let Some(creds) = self.config.credentials.clone() else {
            return self.ready();
        };
        let advertised: Vec<String> = self
            .ehlo
            .as_ref()
            .map(|e| e.auth_mechanisms().into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let ours: Vec<Mechanism> = creds
            .mechanisms
            .iter()
            .copied()
            .filter(|m| !m.is_plus() && (!m.is_scram() || creds.scram_nonce.is_some()))
            .collect();
        let secure = self.tls || creds.allow_cleartext;
        let Some(mech) = select(&ours, advertised.iter().map(String::as_str), secure) else {
            return self.abort(ClientError::NoAuthMechanism);
        };
        let client = match mech {
            Mechanism::Plain => SaslClient::plain(None, &creds.username, &creds.password),
            Mechanism::Login => SaslClient::login(&creds.username, &creds.password),
            Mechanism::CramMd5 => SaslClient::cram_md5(&creds.username, &creds.password),
            Mechanism::XOAuth2 => SaslClient::xoauth2(&creds.username, &creds.password),
            Mechanism::ScramSha1 | Mechanism::ScramSha256 => SaslClient::scram(
                if mech == Mechanism::ScramSha1 {
                    ScramHash::Sha1
                } else {
                    ScramHash::Sha256
                },
                &creds.username,
                &creds.password,
                None,
                creds.scram_nonce.as_deref().unwrap_or_default(),
                ClientChannelBinding::NotSupported,
            ),
            _ => return self.abort(ClientError::NoAuthMechanism),
        };
        let mut client = match client {
            Ok(c) => c,
            Err(e) => return self.abort(ClientError::AuthFailed(e.to_string())),
        };
        let ir = if mech.client_first() {
            match client.initial_response_line() {
                Ok(ir) => ir,
                Err(e) => return self.abort(ClientError::AuthFailed(e.to_string())),
            }
        } else {
            None
        };
        // RFC 4954: an initial response that would make the line longer than 512 octets
        // is sent after an empty 334 instead.
        let (ir_now, ir_later) = match ir {
            Some(ir) if ir.len() + mech.as_str().len() + 8 > 512 => (None, Some(ir)),
            other => (other, None),
        };
        let cmd = Command::Auth {
            mechanism: mech.as_str().into(),
            initial_response: ir_now.map(Into::into),
        };
        self.send(&cmd, Expect::Auth);
        self.sasl = Some(client);
        self.deferred_ir = ir_later;
    }

    fn on_auth_reply(&mut self, r: &Reply<'static>) {
        if r.code == ReplyCode::AUTH_CONTINUE {
            let line = r.lines.first().map_or("", |l| l);
            let resp = if let Some(ir) = self.deferred_ir.take() {
                Ok(ir)
            } else {
                match self.sasl.as_mut() {
                    Some(s) => s.step_line(line.as_bytes()).map_err(|e| e.to_string()),
                    None => Err("no exchange".into()),
                }
            };
            match resp {
                Ok(resp) => {
                    self.out.extend_from_slice(resp.as_bytes());
                    self.out.extend_from_slice(b"\r\n");
                    self.expect.push_back(Expect::Auth);
                }
                Err(e) => {
                    // Cancel the exchange; the server answers 501.
                    self.out.extend_from_slice(b"*\r\n");
                    self.expect.push_back(Expect::Auth);
                    self.auth_error = Some(e);
                }
            }
            return;
        }
        let sasl = self.sasl.take();
        if r.code.is_positive() && self.auth_error.is_none() {
            let verified = sasl.map_or(Ok(()), |mut s| s.finish(None).map_err(|e| e.to_string()));
            match verified {
                Ok(()) => {
                    self.authenticated = true;
                    self.events.push_back(ClientEvent::Authenticated);
                    self.ready();
                }
                Err(e) => self.abort(ClientError::AuthFailed(e)),
            }
        } else {
            let why = self.auth_error.take().unwrap_or_else(|| r.text());
            self.abort(ClientError::AuthFailed(why));
        }
    }

    fn send_mail(&mut self, env: Envelope) -> Result<(), ClientError> {
        if self.phase != Phase::Ready || !self.expect.iter().all(|e| *e == Expect::User) {
            return Err(ClientError::InvalidState(
                "session not ready for a transaction",
            ));
        }
        if env.recipients.is_empty() {
            return Err(ClientError::InvalidState("no recipients"));
        }
        let caps = |c: &Capability<'_>| self.has(c);
        let mut params: Vec<Parameter<'static>> = Vec::new();
        if let Some(size) = env.size {
            let limit = self.ehlo.as_ref().and_then(Ehlo::size);
            if let Some(Some(limit)) = limit
                && limit > 0
                && size > limit
            {
                return Err(ClientError::TooLarge { size, limit });
            }
            if limit.is_some() {
                params.push(Parameter::Size(size));
            }
        }
        match env.body {
            BodyType::SevenBit => {}
            BodyType::EightBitMime => {
                if !caps(&Capability::EightBitMime) {
                    return Err(ClientError::Unsupported("8BITMIME"));
                }
                params.push(Parameter::Body(BodyType::EightBitMime));
            }
            BodyType::BinaryMime => {
                if !(caps(&Capability::BinaryMime)
                    && caps(&Capability::Chunking)
                    && self.pipelining)
                {
                    return Err(ClientError::Unsupported("BINARYMIME"));
                }
                params.push(Parameter::Body(BodyType::BinaryMime));
            }
        }
        let needs_utf8 = env.smtputf8
            || env
                .from
                .mailbox()
                .is_some_and(crate::path::Mailbox::needs_smtputf8)
            || env.recipients.iter().any(|r| {
                r.path
                    .mailbox()
                    .is_some_and(crate::path::Mailbox::needs_smtputf8)
            });
        if needs_utf8 {
            if !caps(&Capability::SmtpUtf8) {
                return Err(ClientError::Unsupported("SMTPUTF8"));
            }
            params.push(Parameter::SmtpUtf8);
        }
        for p in &env.mail_params {
            self.check_offered(p)?;
        }
        for r in &env.recipients {
            for p in &r.params {
                self.check_offered(p)?;
            }
        }
        params.extend(env.mail_params.iter().cloned());
        let chunked = env.body == BodyType::BinaryMime
            || (self.config.chunking && caps(&Capability::Chunking) && self.pipelining);
        let mail = Command::Mail {
            from: env.from.clone(),
            params,
        };
        // Encode everything first so a bad argument sends nothing.
        let mut batch = Vec::new();
        mail.encode(&mut batch)?;
        for r in &env.recipients {
            Command::Rcpt {
                to: r.path.clone(),
                params: r.params.clone(),
            }
            .encode(&mut Vec::new())?;
        }
        self.out.extend_from_slice(&batch);
        self.expect.push_back(Expect::Mail);
        let mut tx = Tx {
            recipients: env.recipients.len(),
            accepted: Vec::new(),
            mail_ok: None,
            rcpt_replies: 0,
            chunked,
            sending: false,
            body_done: false,
            encoder: DotEncoder::new(),
            results: VecDeque::new(),
            all_ok: true,
            failed: false,
            pending_rcpts: env.recipients.into_iter().collect(),
        };
        self.phase = Phase::Transaction;
        if self.pipelining {
            let mut i = 0;
            while let Some(r) = tx.pending_rcpts.pop_front() {
                self.send(
                    &Command::Rcpt {
                        to: r.path,
                        params: r.params,
                    },
                    Expect::Rcpt(i),
                );
                i += 1;
            }
            if chunked {
                tx.sending = true;
                self.events.push_back(ClientEvent::SendBody);
            } else {
                self.send(&Command::Data, Expect::Data);
            }
        }
        self.tx = Some(tx);
        Ok(())
    }

    fn next_rcpt_or_data(&mut self) {
        let Some(tx) = self.tx.as_mut() else { return };
        if let Some(r) = tx.pending_rcpts.pop_front() {
            let i = tx.recipients - tx.pending_rcpts.len() - 1;
            self.send(
                &Command::Rcpt {
                    to: r.path,
                    params: r.params,
                },
                Expect::Rcpt(i),
            );
            return;
        }
        if tx.accepted.is_empty() {
            self.send(&Command::Rset, Expect::AutoRset);
            self.finish_tx(false);
        } else if tx.chunked {
            tx.sending = true;
            self.events.push_back(ClientEvent::SendBody);
        } else {
            self.send(&Command::Data, Expect::Data);
        }
    }

    fn finish_tx(&mut self, delivered: bool) {
        if let Some(tx) = self.tx.take() {
            self.events.push_back(ClientEvent::TransactionDone {
                delivered: delivered && !tx.failed,
                accepted: tx.accepted,
            });
        }
        self.phase = Phase::Ready;
    }

    fn on_tx_reply(&mut self, expect: Expect, r: Reply<'static>) {
        if expect == Expect::AutoRset {
            return;
        }
        let pipelining = self.pipelining;
        let lmtp = self.config.lmtp;
        let Some(tx) = self.tx.as_mut() else {
            // Replies to a transaction already given up (after a DotAlone, say).
            if expect == Expect::DotAlone {
                return;
            }
            self.fail(ClientError::UnexpectedReply(r.code.get()));
            return;
        };
        match expect {
            Expect::Mail => {
                let ok = r.code.is_positive();
                tx.mail_ok = Some(ok);
                self.events.push_back(ClientEvent::MailResult(r));
                if !ok {
                    tx.failed = true;
                    if !pipelining {
                        self.finish_tx(false);
                    }
                } else if !pipelining {
                    self.next_rcpt_or_data();
                }
            }
            Expect::Rcpt(index) => {
                tx.rcpt_replies += 1;
                if r.code.is_positive() {
                    tx.accepted.push(index);
                }
                self.events
                    .push_back(ClientEvent::RecipientResult { index, reply: r });
                if !pipelining {
                    self.next_rcpt_or_data();
                }
            }
            Expect::Data => {
                if r.code == ReplyCode::START_DATA {
                    if tx.accepted.is_empty() || tx.mail_ok != Some(true) {
                        // RFC 2920: the server accepted DATA although no recipient was
                        // accepted: end it at once with a lone dot.
                        self.out.extend_from_slice(b".\r\n");
                        self.expect.push_back(Expect::DotAlone);
                        tx.failed = true;
                        self.finish_tx(false);
                    } else {
                        tx.sending = true;
                        self.events.push_back(ClientEvent::SendBody);
                    }
                } else {
                    tx.failed = true;
                    let need_rset = tx.mail_ok == Some(true);
                    if need_rset {
                        self.send(&Command::Rset, Expect::AutoRset);
                    }
                    self.finish_tx(false);
                }
            }
            Expect::DotAlone => {}
            Expect::BdatChunk { last } => {
                if !r.code.is_positive() {
                    tx.all_ok = false;
                }
                if last {
                    if lmtp && !tx.accepted.is_empty() {
                        // LMTP: one more reply per accepted recipient after this one?
                        // No: for BDAT LAST the per-recipient replies replace the chunk
                        // reply; this was the first of them.
                        let first = tx.accepted.first().copied();
                        let ok = r.code.is_positive();
                        self.events.push_back(ClientEvent::MessageResult {
                            recipient: first,
                            reply: r,
                        });
                        tx.all_ok &= ok;
                        tx.results = tx.accepted.iter().skip(1).copied().collect();
                        for _ in 0..tx.results.len() {
                            self.expect.push_back(Expect::DataEnd);
                        }
                        if tx.results.is_empty() {
                            let ok =
                                tx.all_ok && tx.mail_ok == Some(true) && !tx.accepted.is_empty();
                            self.finish_tx(ok);
                        }
                    } else {
                        let ok = r.code.is_positive()
                            && tx.all_ok
                            && !tx.accepted.is_empty()
                            && tx.mail_ok == Some(true);
                        self.events.push_back(ClientEvent::MessageResult {
                            recipient: None,
                            reply: r,
                        });
                        self.finish_tx(ok);
                    }
                }
            }
            Expect::DataEnd => {
                let ok = r.code.is_positive();
                tx.all_ok &= ok;
                let recipient = if lmtp { tx.results.pop_front() } else { None };
                self.events.push_back(ClientEvent::MessageResult {
                    recipient,
                    reply: r,
                });
                if !lmtp || tx.results.is_empty() {
                    let ok = tx.all_ok;
                    self.finish_tx(ok);
                }
            }
            _ => {}
        }
    }

    fn send_body(&mut self, chunk: &[u8], last: bool) -> Result<(), ClientError> {
        let lmtp = self.config.lmtp;
        let Some(tx) = self.tx.as_mut() else {
            return Err(ClientError::InvalidState("no transaction"));
        };
        if !tx.sending || tx.body_done {
            return Err(ClientError::InvalidState(
                "the server is not taking the body now",
            ));
        }
        if tx.chunked {
            let cmd = Command::Bdat {
                size: chunk.len() as u64,
                last,
            };
            cmd.encode(&mut self.out)?;
            self.out.extend_from_slice(chunk);
            self.expect.push_back(Expect::BdatChunk { last });
        } else {
            let out = &mut self.out;
            tx.encoder
                .encode(chunk, |piece| out.extend_from_slice(piece));
            if last {
                tx.encoder.finish(|piece| out.extend_from_slice(piece));
                if lmtp {
                    tx.results = tx.accepted.iter().copied().collect();
                    for _ in 0..tx.results.len() {
                        self.expect.push_back(Expect::DataEnd);
                    }
                } else {
                    self.expect.push_back(Expect::DataEnd);
                }
            }
        }
        if last {
            tx.body_done = true;
        }
        Ok(())
    }
}
