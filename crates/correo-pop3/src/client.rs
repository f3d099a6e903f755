//! The POP3 client state machine (sans-IO).
//!
//! ```text
//! client.receive(&bytes_from_server)?;            // any split
//! while let Some(event) = client.poll_event() { .. }
//! while let Some(out) = client.poll_transmit() { socket.write_all(&out)? }
//! ```
//!
//! Commands are queued with methods ([`Client::user`], [`Client::retr`], ...). They are sent
//! one at a time, or several at once when the server offered `PIPELINING`. Replies come back
//! as [`Event`]s; message bodies (`RETR`, `TOP`) are un-stuffed and streamed as
//! [`Event::BodyChunk`]s of at most [`ClientConfig::max_chunk`] bytes, byte for byte as the
//! server sent them (no UTF-8 assumption, no trimming, lines of any length).

use std::collections::{BTreeSet, VecDeque};

use correo_wire::dot::{BareLf, DotConfig, DotDecoder};
use correo_wire::line::{LineConfig, LineError, LineFramer};
use correo_wire::sasl::{SaslClient, SaslError};

use crate::codec::{
    Capability, Command, CommandKind, OwnedResponseCode, ReplyLine, ScanListing, Stat, Status,
    StatusLine, UidListing, apop_digest, apop_timestamp,
};
use crate::error::{EncodeError, ParseError};

/// How the connection is, or must be, protected by TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TlsMode {
    /// Clear text unless the application calls [`Client::stls`].
    #[default]
    Plain,
    /// STLS is mandatory: no credentials leave before TLS is up, and a refused STLS closes
    /// the session (fail closed).
    StlsRequired,
    /// The connection is TLS from the first byte (port 995).
    Implicit,
}

/// Limits and policy of a [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientConfig {
    /// TLS policy.
    pub tls: TlsMode,
    /// Allow `USER`/`PASS` and plaintext SASL mechanisms (PLAIN, LOGIN) without TLS.
    pub allow_cleartext_login: bool,
    /// Allow `APOP` (MD5 of a shared secret: off unless asked for).
    pub enable_apop: bool,
    /// Send `CAPA` by itself after the greeting, after STLS and after logging in.
    pub auto_capa: bool,
    /// Pipeline commands when the server offers `PIPELINING`.
    pub pipelining: bool,
    /// Maximum length of a status, capability or listing line (bodies have no line limit).
    pub max_line_len: usize,
    /// Maximum size of one [`Event::BodyChunk`].
    pub max_chunk: usize,
    /// Maximum number of `CAPA` lines kept.
    pub max_capabilities: usize,
    /// Maximum decoded size of one message; past it the rest is consumed but not emitted.
    pub max_message_size: Option<u64>,
    /// Maximum number of commands queued or in flight.
    pub max_queued: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            tls: TlsMode::Plain,
            allow_cleartext_login: false,
            enable_apop: false,
            auto_capa: true,
            pipelining: true,
            max_line_len: 8192,
            max_chunk: 64 * 1024,
            max_capabilities: 128,
            max_message_size: None,
            max_queued: 1024,
        }
    }
}

/// Where the session is (RFC 1939 states, plus the TLS step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientPhase {
    /// Waiting for the server's greeting.
    Greeting,
    /// Logged out: USER/PASS, APOP, AUTH, CAPA, STLS.
    Authorization,
    /// STLS accepted: the caller must negotiate TLS and call [`Client::tls_established`].
    TlsHandshake,
    /// Logged in.
    Transaction,
    /// QUIT answered, the connection failed, or the session was closed for a fault.
    Closed,
}

/// The server's capabilities, as the raw lines of its last `CAPA` reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    lines: Vec<Vec<u8>>,
}

impl Capabilities {
    /// Each capability, parsed; malformed known ones come back as [`Capability::Other`].
    pub fn iter(&self) -> impl Iterator<Item = Capability<'_>> {
        self.lines
            .iter()
            .map(|l| Capability::parse(l).unwrap_or(Capability::Other(l)))
    }

    /// The raw lines (dot-unstuffed, without CRLF).
    pub fn lines(&self) -> &[Vec<u8>] {
        &self.lines
    }

    /// Whether a capability satisfying `f` is present.
    pub fn has(&self, f: impl Fn(&Capability<'_>) -> bool) -> bool {
        self.iter().any(|c| f(&c))
    }

    /// `STLS` is offered.
    pub fn stls(&self) -> bool {
        self.has(|c| *c == Capability::Stls)
    }

    /// `PIPELINING` is offered.
    pub fn pipelining(&self) -> bool {
        self.has(|c| *c == Capability::Pipelining)
    }

    /// `USER` is offered.
    pub fn user(&self) -> bool {
        self.has(|c| *c == Capability::User)
    }

    /// The SASL mechanisms offered (upper-cased copies).
    pub fn sasl_mechanisms(&self) -> Vec<Vec<u8>> {
        self.iter()
            .filter_map(|c| match c {
                Capability::Sasl(list) => Some(list),
                _ => None,
            })
            .flat_map(crate::codec::sasl_mechanisms)
            .map(<[u8]>::to_ascii_uppercase)
            .collect()
    }
}

/// What happened, pulled with [`Client::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server's `+OK` greeting, with its APOP timestamp when it holds a valid one.
    Greeting {
        /// Text after `+OK `.
        text: Vec<u8>,
        /// The `<...>` timestamp, brackets included.
        apop_timestamp: Option<Vec<u8>>,
    },
    /// The server refused the session with a `-ERR` greeting; the session is closed.
    Refused {
        /// Response code, if any.
        code: Option<OwnedResponseCode>,
        /// Text after the code.
        text: Vec<u8>,
    },
    /// A `CAPA` reply, complete.
    Capabilities(Capabilities),
    /// A login command (`PASS`, `APOP`, `AUTH`) succeeded: the session is in TRANSACTION.
    Authenticated {
        /// The command that logged in.
        command: CommandKind,
        /// Text after `+OK`.
        text: Vec<u8>,
    },
    /// A single-line `+OK` with nothing more specific to report (`USER`, `DELE`, `RSET`,
    /// `NOOP`, `UTF8`, `LANG tag`).
    Ok {
        /// The command answered.
        command: CommandKind,
        /// Text after `+OK`.
        text: Vec<u8>,
    },
    /// A `-ERR` for any command.
    Err {
        /// The command answered.
        command: CommandKind,
        /// Response code, if any.
        code: Option<OwnedResponseCode>,
        /// Text after the code.
        text: Vec<u8>,
    },
    /// `STAT` answered.
    Stat(Stat),
    /// `LIST n` answered, or one entry of a `LIST` listing.
    Scan(ScanListing),
    /// `UIDL n` answered, or one entry of a `UIDL` listing.
    UniqueId {
        /// Message number.
        msg: u32,
        /// Unique id, as sent.
        uid: Vec<u8>,
    },
    /// One line of a `LANG` listing.
    LangEntry(Vec<u8>),
    /// The end of a `LIST`, `UIDL` or `LANG` listing.
    ListingEnd {
        /// The listing command.
        command: CommandKind,
    },
    /// `RETR`/`TOP` answered `+OK`: body chunks follow.
    MessageStart {
        /// `RETR` or `TOP`.
        command: CommandKind,
        /// Message number.
        msg: u32,
        /// Text after `+OK` (e.g. `10003 octets`).
        text: Vec<u8>,
    },
    /// Un-stuffed message bytes, exactly as the server stored them.
    BodyChunk(Vec<u8>),
    /// The end of a message body.
    MessageEnd {
        /// Message number.
        msg: u32,
        /// Decoded size in bytes.
        size: u64,
        /// The body went past [`ClientConfig::max_message_size`]; the chunks stopped there.
        truncated: bool,
    },
    /// `STLS` was accepted: negotiate TLS on the socket now, then call
    /// [`Client::tls_established`]. Bytes received before this point were discarded.
    StartTls,
    /// `QUIT` answered: the session is over.
    Closed {
        /// Messages whose deletion the server committed (`+OK` to `QUIT` in TRANSACTION).
        deleted: Vec<u32>,
    },
}

/// A fault of the client machine or of the server's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The command is not allowed in this phase.
    #[error("{command} is not allowed in phase {phase:?}")]
    WrongPhase {
        /// The command.
        command: CommandKind,
        /// The phase.
        phase: ClientPhase,
    },
    /// TLS is required before credentials are sent (or STLS was refused in required mode).
    #[error("TLS is required")]
    TlsRequired,
    /// A cleartext password would be sent without TLS.
    #[error("refusing to send a cleartext password without TLS")]
    CleartextForbidden,
    /// APOP is disabled in the configuration.
    #[error("APOP is disabled")]
    ApopDisabled,
    /// The greeting held no valid APOP timestamp.
    #[error("the greeting has no APOP timestamp")]
    NoApopTimestamp,
    /// STLS on a connection that is already TLS.
    #[error("TLS is already active")]
    AlreadyTls,
    /// STLS or AUTH must be sent alone, with nothing in flight.
    #[error("{0} must be sent with nothing else in flight")]
    NotAlone(CommandKind),
    /// Too many commands queued.
    #[error("too many commands queued")]
    QueueFull,
    /// A command argument cannot be encoded.
    #[error("cannot encode command: {0}")]
    Encode(#[from] EncodeError),
    /// SASL failure (our mechanism, or a server that claimed success without proof).
    #[error("SASL: {0}")]
    Sasl(#[from] SaslError),
    /// A reply line could not be parsed.
    #[error("bad reply at stream offset {offset}: {source}")]
    Parse {
        /// Stream offset of the line.
        offset: u64,
        /// What was wrong.
        source: ParseError,
    },
    /// Line framing failed (too long, buffer full).
    #[error("framing: {0}")]
    Line(#[from] LineError),
    /// A reply arrived with no command in flight, or a continuation outside AUTH.
    #[error("unexpected reply at stream offset {offset}")]
    UnexpectedReply {
        /// Stream offset of the line.
        offset: u64,
    },
    /// More `CAPA` lines than [`ClientConfig::max_capabilities`].
    #[error("too many capabilities")]
    TooManyCapabilities,
    /// Bytes arrived between STLS's `+OK` and [`Client::tls_established`]; they were dropped.
    #[error("{dropped} bytes received while TLS was being negotiated were dropped")]
    DataBeforeTls {
        /// How many.
        dropped: usize,
    },
    /// The server closed the connection before the session ended; nothing was deleted.
    #[error("connection closed unexpectedly")]
    UnexpectedEof,
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    kind: CommandKind,
    multiline: bool,
    msg: u32,
}

impl Pending {
    fn pipelinable(self) -> bool {
        !matches!(
            self.kind,
            CommandKind::Stls
                | CommandKind::Auth
                | CommandKind::User
                | CommandKind::Pass
                | CommandKind::Apop
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Greeting,
    Status,
    Lines(CommandKind),
    Body(u32),
    TlsPending,
    Closed,
}

/// The POP3 client machine. See the [module documentation](self).
pub struct Client {
    config: ClientConfig,
    framer: LineFramer,
    phase: ClientPhase,
    reading: Reading,
    tls_active: bool,
    events: VecDeque<Event>,
    out: Vec<u8>,
    queued: VecDeque<(Pending, Vec<u8>)>,
    in_flight: VecDeque<Pending>,
    caps: Option<Capabilities>,
    caps_building: Vec<Vec<u8>>,
    timestamp: Option<Vec<u8>>,
    deleted: BTreeSet<u32>,
    sasl: Option<SaslClient>,
    dot: DotDecoder,
    chunk: Vec<u8>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("phase", &self.phase)
            .field("tls_active", &self.tls_active)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client waiting for the greeting.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            framer: LineFramer::new(
                LineConfig::with_max_line_len(config.max_line_len).bare_lf(BareLf::Normalize),
            ),
            phase: ClientPhase::Greeting,
            reading: Reading::Greeting,
            tls_active: config.tls == TlsMode::Implicit,
            events: VecDeque::new(),
            out: Vec::new(),
            queued: VecDeque::new(),
            in_flight: VecDeque::new(),
            caps: None,
            caps_building: Vec::new(),
            timestamp: None,
            deleted: BTreeSet::new(),
            sasl: None,
            dot: DotDecoder::new(dot_config(&config)),
            chunk: Vec::new(),
            config,
        }
    }

    /// The phase the session is in.
    pub fn phase(&self) -> ClientPhase {
        self.phase
    }

    /// Whether TLS is active (implicit, or after STLS).
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// The capabilities of the last complete `CAPA` reply (forgotten at STLS).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// The greeting's APOP timestamp, if valid.
    pub fn apop_timestamp(&self) -> Option<&[u8]> {
        self.timestamp.as_deref()
    }

    /// Messages marked deleted in this session: they are deleted only if `QUIT` succeeds.
    pub fn pending_deletes(&self) -> impl Iterator<Item = u32> + '_ {
        self.deleted.iter().copied()
    }

    /// Whether a command is waiting for its reply or to be sent.
    pub fn is_busy(&self) -> bool {
        !self.in_flight.is_empty() || !self.queued.is_empty()
    }

    /// Next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to send to the server, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.flush_queue();
        if self.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.out))
        }
    }

    /// Takes bytes from the server (any split). On an error the session is closed, except
    /// for [`ClientError::DataBeforeTls`].
    pub fn receive(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self.reading {
            Reading::Closed => return Err(ClientError::Closed),
            Reading::TlsPending => {
                if bytes.is_empty() {
                    return Ok(());
                }
                return Err(ClientError::DataBeforeTls {
                    dropped: bytes.len(),
                });
            }
            _ => {}
        }
        let mut framer = std::mem::take(&mut self.framer);
        let result = self.process(&mut framer, bytes);
        self.framer = framer;
        if result.is_err() {
            self.close();
        }
        result
    }

    /// The server closed the connection. Nothing is deleted unless `QUIT` was answered.
    pub fn connection_closed(&mut self) -> Result<(), ClientError> {
        let was_closed = self.phase == ClientPhase::Closed && self.in_flight.is_empty();
        self.close();
        if was_closed {
            Ok(())
        } else {
            Err(ClientError::UnexpectedEof)
        }
    }

    /// The caller has completed the TLS handshake after [`Event::StartTls`]. Capabilities
    /// are forgotten (and asked again when [`ClientConfig::auto_capa`] is set).
    pub fn tls_established(&mut self) -> Result<(), ClientError> {
        if self.reading != Reading::TlsPending {
            return Err(ClientError::WrongPhase {
                command: CommandKind::Stls,
                phase: self.phase,
            });
        }
        self.framer.discard_buffered();
        self.tls_active = true;
        self.caps = None;
        self.reading = Reading::Status;
        self.phase = ClientPhase::Authorization;
        if self.config.auto_capa {
            self.capa()?;
        }
        Ok(())
    }

    // ---- commands ----

    /// `CAPA`.
    pub fn capa(&mut self) -> Result<(), ClientError> {
        self.submit(&Command::Capa, 0)
    }

    /// `STLS`: on `+OK` the machine emits [`Event::StartTls`].
    pub fn stls(&mut self) -> Result<(), ClientError> {
        if self.tls_active {
            return Err(ClientError::AlreadyTls);
        }
        self.check_phase(CommandKind::Stls, &[ClientPhase::Authorization])?;
        if self.is_busy() {
            return Err(ClientError::NotAlone(CommandKind::Stls));
        }
        self.submit(&Command::Stls, 0)
    }

    /// `USER name`.
    pub fn user(&mut self, name: &[u8]) -> Result<(), ClientError> {
        self.check_credentials(true)?;
        self.check_phase(CommandKind::User, &[ClientPhase::Authorization])?;
        self.submit(&Command::User(name), 0)
    }

    /// `PASS secret`.
    pub fn pass(&mut self, secret: &[u8]) -> Result<(), ClientError> {
        self.check_credentials(true)?;
        self.check_phase(CommandKind::Pass, &[ClientPhase::Authorization])?;
        self.submit(&Command::Pass(secret), 0)
    }

    /// `USER` then `PASS` (the `PASS` is dropped if `USER` is refused).
    pub fn login(&mut self, name: &[u8], secret: &[u8]) -> Result<(), ClientError> {
        self.check_credentials(true)?;
        self.check_phase(CommandKind::User, &[ClientPhase::Authorization])?;
        Command::Pass(secret).to_bytes()?;
        self.user(name)?;
        self.pass(secret)
    }

    /// `APOP name digest`, computed from the greeting's timestamp. Needs
    /// [`ClientConfig::enable_apop`].
    pub fn apop(&mut self, name: &[u8], secret: &[u8]) -> Result<(), ClientError> {
        if !self.config.enable_apop {
            return Err(ClientError::ApopDisabled);
        }
        self.check_credentials(false)?;
        self.check_phase(CommandKind::Apop, &[ClientPhase::Authorization])?;
        let ts = self
            .timestamp
            .as_deref()
            .ok_or(ClientError::NoApopTimestamp)?;
        let digest = apop_digest(ts, secret);
        self.submit(
            &Command::Apop {
                name,
                digest: &digest,
            },
            0,
        )
    }

    /// `AUTH mechanism [initial-response]` driven by a SASL client from `correo_wire::sasl`.
    /// With `initial_response`, the first response goes on the AUTH line (RFC 5034
    /// SASL-IR); challenges (`+ ...`) are answered by the machine.
    pub fn authenticate(
        &mut self,
        mut sasl: SaslClient,
        initial_response: bool,
    ) -> Result<(), ClientError> {
        self.check_credentials(sasl.mechanism().is_plaintext())?;
        self.check_phase(CommandKind::Auth, &[ClientPhase::Authorization])?;
        if self.is_busy() {
            return Err(ClientError::NotAlone(CommandKind::Auth));
        }
        let ir = if initial_response {
            sasl.initial_response_line()?
        } else {
            None
        };
        let mech = sasl.mechanism().as_str();
        self.submit(
            &Command::Auth {
                mechanism: mech.as_bytes(),
                initial: ir.as_deref().map(str::as_bytes),
            },
            0,
        )?;
        self.sasl = Some(sasl);
        Ok(())
    }

    /// `STAT`.
    pub fn stat(&mut self) -> Result<(), ClientError> {
        self.transaction(&Command::Stat, 0)
    }

    /// `LIST` (multi-line) or `LIST msg`.
    pub fn list(&mut self, msg: Option<u32>) -> Result<(), ClientError> {
        self.transaction(&Command::List(msg), msg.unwrap_or(0))
    }

    /// `UIDL` (multi-line) or `UIDL msg`.
    pub fn uidl(&mut self, msg: Option<u32>) -> Result<(), ClientError> {
        self.transaction(&Command::Uidl(msg), msg.unwrap_or(0))
    }

    /// `TOP msg lines`.
    pub fn top(&mut self, msg: u32, lines: u32) -> Result<(), ClientError> {
        self.transaction(&Command::Top { msg, lines }, msg)
    }

    /// `RETR msg`.
    pub fn retr(&mut self, msg: u32) -> Result<(), ClientError> {
        self.transaction(&Command::Retr(msg), msg)
    }

    /// `DELE msg`: pending until `QUIT` succeeds.
    pub fn dele(&mut self, msg: u32) -> Result<(), ClientError> {
        self.transaction(&Command::Dele(msg), msg)
    }

    /// `RSET`: un-marks every deletion.
    pub fn rset(&mut self) -> Result<(), ClientError> {
        self.transaction(&Command::Rset, 0)
    }

    /// `NOOP`.
    pub fn noop(&mut self) -> Result<(), ClientError> {
        self.transaction(&Command::Noop, 0)
    }

    /// `UTF8` (RFC 6856).
    pub fn utf8(&mut self) -> Result<(), ClientError> {
        self.check_phase(CommandKind::Utf8, &[ClientPhase::Authorization])?;
        self.submit(&Command::Utf8, 0)
    }

    /// `LANG` (listing) or `LANG tag` (RFC 6856).
    pub fn lang(&mut self, tag: Option<&[u8]>) -> Result<(), ClientError> {
        self.check_phase(
            CommandKind::Lang,
            &[ClientPhase::Authorization, ClientPhase::Transaction],
        )?;
        self.submit(&Command::Lang(tag), 0)
    }

    /// `QUIT`: in TRANSACTION, the server then deletes the marked messages.
    pub fn quit(&mut self) -> Result<(), ClientError> {
        self.check_phase(
            CommandKind::Quit,
            &[
                ClientPhase::Greeting,
                ClientPhase::Authorization,
                ClientPhase::Transaction,
            ],
        )?;
        self.submit(&Command::Quit, 0)
    }

    // ---- internals ----

    fn transaction(&mut self, cmd: &Command<'_>, msg: u32) -> Result<(), ClientError> {
        self.check_phase(cmd.kind(), &[ClientPhase::Transaction])?;
        self.submit(cmd, msg)
    }

    fn check_phase(
        &self,
        command: CommandKind,
        allowed: &[ClientPhase],
    ) -> Result<(), ClientError> {
        if allowed.contains(&self.phase) {
            Ok(())
        } else {
            Err(ClientError::WrongPhase {
                command,
                phase: self.phase,
            })
        }
    }

    fn check_credentials(&self, plaintext: bool) -> Result<(), ClientError> {
        if self.tls_active {
            return Ok(());
        }
        if self.config.tls == TlsMode::StlsRequired {
            return Err(ClientError::TlsRequired);
        }
        if plaintext && !self.config.allow_cleartext_login {
            return Err(ClientError::CleartextForbidden);
        }
        Ok(())
    }

    fn submit(&mut self, cmd: &Command<'_>, msg: u32) -> Result<(), ClientError> {
        if self.phase == ClientPhase::Closed {
            return Err(ClientError::Closed);
        }
        if self.queued.len() + self.in_flight.len() >= self.config.max_queued {
            return Err(ClientError::QueueFull);
        }
        let bytes = cmd.to_bytes()?;
        self.queued.push_back((
            Pending {
                kind: cmd.kind(),
                multiline: cmd.is_multiline(),
                msg,
            },
            bytes,
        ));
        Ok(())
    }

    fn pipelining(&self) -> bool {
        self.config.pipelining && self.caps.as_ref().is_some_and(Capabilities::pipelining)
    }

    fn flush_queue(&mut self) {
        if matches!(
            self.reading,
            Reading::Greeting | Reading::TlsPending | Reading::Closed
        ) {
            return;
        }
        while let Some((next, _)) = self.queued.front() {
            let may_send = self.in_flight.is_empty()
                || (self.pipelining()
                    && next.pipelinable()
                    && self.in_flight.iter().all(|p| p.pipelinable()));
            if !may_send {
                break;
            }
            let Some((pending, bytes)) = self.queued.pop_front() else {
                break;
            };
            self.out.extend_from_slice(&bytes);
            self.in_flight.push_back(pending);
        }
    }

    fn close(&mut self) {
        self.phase = ClientPhase::Closed;
        self.reading = Reading::Closed;
        self.queued.clear();
        self.in_flight.clear();
        self.sasl = None;
    }

    fn process(&mut self, framer: &mut LineFramer, bytes: &[u8]) -> Result<(), ClientError> {
        let mut feed = framer.feed(bytes);
        loop {
            match self.reading {
                Reading::Body(msg) => {
                    let raw = feed.peek_raw();
                    if raw.is_empty() {
                        return Ok(());
                    }
                    let step = self.dot.decode_step(raw);
                    let consumed = step.consumed;
                    self.push_body(step.data);
                    feed.consume_raw(consumed);
                    if self.dot.is_complete() {
                        self.end_body(msg);
                    }
                }
                Reading::TlsPending => {
                    feed.discard_remaining();
                    return Ok(());
                }
                Reading::Closed => return Ok(()),
                Reading::Greeting | Reading::Status | Reading::Lines(_) => {
                    let Some(line) = feed.next_line() else {
                        return Ok(());
                    };
                    let line = line?;
                    self.on_line(line.content(), line.offset())?;
                }
            }
        }
    }

    fn push_body(&mut self, mut data: &[u8]) {
        let max = self.config.max_chunk.max(1);
        while !data.is_empty() {
            let room = max - self.chunk.len().min(max);
            let (now, later) = data.split_at(room.min(data.len()));
            if self.chunk.is_empty() && now.len() == max {
                self.events.push_back(Event::BodyChunk(now.to_vec()));
            } else {
                self.chunk.extend_from_slice(now);
                if self.chunk.len() >= max {
                    let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(max));
                    self.events.push_back(Event::BodyChunk(full));
                }
            }
            data = later;
        }
    }

    fn end_body(&mut self, msg: u32) {
        if !self.chunk.is_empty() {
            self.events
                .push_back(Event::BodyChunk(std::mem::take(&mut self.chunk)));
        }
        self.events.push_back(Event::MessageEnd {
            msg,
            size: self.dot.body_len(),
            truncated: self.dot.size_exceeded(),
        });
        self.dot = DotDecoder::new(dot_config(&self.config));
        self.reading = Reading::Status;
    }

    fn on_line(&mut self, line: &[u8], offset: u64) -> Result<(), ClientError> {
        let parse_err = |source| ClientError::Parse { offset, source };
        match self.reading {
            Reading::Greeting => {
                let status = StatusLine::parse(line).map_err(parse_err)?;
                if status.is_ok() {
                    self.timestamp = apop_timestamp(status.text).map(<[u8]>::to_vec);
                    self.events.push_back(Event::Greeting {
                        text: line
                            .get(3..)
                            .map_or_else(Vec::new, |t| t.strip_prefix(b" ").unwrap_or(t).to_vec()),
                        apop_timestamp: self.timestamp.clone(),
                    });
                    self.phase = ClientPhase::Authorization;
                    self.reading = Reading::Status;
                    if self.config.auto_capa {
                        self.capa()?;
                    }
                } else {
                    self.events.push_back(Event::Refused {
                        code: status.code.map(|c| c.to_owned_code()),
                        text: status.text.to_vec(),
                    });
                    self.close();
                }
                Ok(())
            }
            Reading::Lines(kind) => self.on_listing_line(kind, line, offset),
            Reading::Status => {
                let reply = ReplyLine::parse(line).map_err(parse_err)?;
                let Some(pending) = self.in_flight.pop_front() else {
                    return Err(ClientError::UnexpectedReply { offset });
                };
                match reply {
                    ReplyLine::Continue(challenge) => {
                        let Some(sasl) = self
                            .sasl
                            .as_mut()
                            .filter(|_| pending.kind == CommandKind::Auth)
                        else {
                            return Err(ClientError::UnexpectedReply { offset });
                        };
                        self.in_flight.push_front(pending);
                        match sasl.step_line(challenge) {
                            Ok(resp) => self.out.extend_from_slice(resp.as_bytes()),
                            Err(_) => self.out.extend_from_slice(sasl.cancel().as_bytes()),
                        }
                        self.out.extend_from_slice(b"\r\n");
                        Ok(())
                    }
                    ReplyLine::Status(status) => self.on_status(pending, status, offset),
                }
            }
            Reading::Body(_) | Reading::TlsPending | Reading::Closed => Ok(()),
        }
    }

    fn on_status(
        &mut self,
        pending: Pending,
        status: StatusLine<'_>,
        offset: u64,
    ) -> Result<(), ClientError> {
        let parse_err = |source| ClientError::Parse { offset, source };
        let kind = pending.kind;
        if status.status == Status::Err {
            self.events.push_back(Event::Err {
                command: kind,
                code: status.code.map(|c| c.to_owned_code()),
                text: status.text.to_vec(),
            });
            match kind {
                CommandKind::User
                    if self
                        .queued
                        .front()
                        .is_some_and(|(p, _)| p.kind == CommandKind::Pass) =>
                {
                    self.queued.pop_front();
                }
                CommandKind::Auth => self.sasl = None,
                CommandKind::Stls if self.config.tls == TlsMode::StlsRequired => {
                    self.close();
                    return Err(ClientError::TlsRequired);
                }
                CommandKind::Quit => {
                    self.events.push_back(Event::Closed {
                        deleted: Vec::new(),
                    });
                    self.close();
                }
                _ => {}
            }
            return Ok(());
        }
        let text = status.text;
        if pending.multiline {
            match kind {
                CommandKind::Retr | CommandKind::Top => {
                    self.events.push_back(Event::MessageStart {
                        command: kind,
                        msg: pending.msg,
                        text: text.to_vec(),
                    });
                    self.reading = Reading::Body(pending.msg);
                }
                _ => {
                    self.caps_building.clear();
                    self.reading = Reading::Lines(kind);
                }
            }
            return Ok(());
        }
        match kind {
            CommandKind::Stat => {
                let stat = Stat::parse(text).map_err(parse_err)?;
                self.events.push_back(Event::Stat(stat));
            }
            CommandKind::List => {
                let scan = ScanListing::parse(text).map_err(parse_err)?;
                self.events.push_back(Event::Scan(scan));
            }
            CommandKind::Uidl => {
                let u = UidListing::parse(text).map_err(parse_err)?;
                self.events.push_back(Event::UniqueId {
                    msg: u.msg,
                    uid: u.uid.to_vec(),
                });
            }
            CommandKind::Pass | CommandKind::Apop | CommandKind::Auth => {
                if let Some(mut sasl) = self.sasl.take() {
                    if let Err(e) = sasl.finish(None) {
                        self.close();
                        return Err(ClientError::Sasl(e));
                    }
                }
                self.phase = ClientPhase::Transaction;
                self.events.push_back(Event::Authenticated {
                    command: kind,
                    text: text.to_vec(),
                });
                if self.config.auto_capa {
                    self.capa()?;
                }
            }
            CommandKind::Stls => {
                self.phase = ClientPhase::TlsHandshake;
                self.reading = Reading::TlsPending;
                self.caps = None;
                self.in_flight.clear();
                self.events.push_back(Event::StartTls);
            }
            CommandKind::Quit => {
                let deleted = if self.phase == ClientPhase::Transaction {
                    std::mem::take(&mut self.deleted).into_iter().collect()
                } else {
                    Vec::new()
                };
                self.events.push_back(Event::Closed { deleted });
                self.close();
            }
            _ => {
                match kind {
                    CommandKind::Dele => {
                        self.deleted.insert(pending.msg);
                    }
                    CommandKind::Rset => self.deleted.clear(),
                    _ => {}
                }
                self.events.push_back(Event::Ok {
                    command: kind,
                    text: text.to_vec(),
                });
            }
        }
        Ok(())
    }

    fn on_listing_line(
        &mut self,
        kind: CommandKind,
        line: &[u8],
        offset: u64,
    ) -> Result<(), ClientError> {
        let parse_err = |source| ClientError::Parse { offset, source };
        if line == b"." {
            self.reading = Reading::Status;
            if kind == CommandKind::Capa {
                let caps = Capabilities {
                    lines: std::mem::take(&mut self.caps_building),
                };
                self.caps = Some(caps.clone());
                self.events.push_back(Event::Capabilities(caps));
            } else {
                self.events.push_back(Event::ListingEnd { command: kind });
            }
            return Ok(());
        }
        let line = match line {
            [b'.', rest @ ..] => rest,
            _ => line,
        };
        match kind {
            CommandKind::Capa => {
                if self.caps_building.len() >= self.config.max_capabilities {
                    return Err(ClientError::TooManyCapabilities);
                }
                self.caps_building.push(line.to_vec());
            }
            CommandKind::List => {
                let scan = ScanListing::parse(line).map_err(parse_err)?;
                self.events.push_back(Event::Scan(scan));
            }
            CommandKind::Uidl => {
                let u = UidListing::parse(line).map_err(parse_err)?;
                self.events.push_back(Event::UniqueId {
                    msg: u.msg,
                    uid: u.uid.to_vec(),
                });
            }
            _ => self.events.push_back(Event::LangEntry(line.to_vec())),
        }
        Ok(())
    }
}

fn dot_config(config: &ClientConfig) -> DotConfig {
    let c = DotConfig::default().bare_lf(BareLf::Accept);
    match config.max_message_size {
        Some(max) => c.max_size(max),
        None => c,
    }
}
