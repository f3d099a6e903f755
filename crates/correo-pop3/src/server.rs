//! The POP3 server state machine (sans-IO).
//!
//! AUTHORIZATION -> TRANSACTION -> UPDATE (RFC 1939). The machine parses commands, keeps
//! the session's deletion marks and writes every reply; the application makes the
//! decisions and supplies the data, answering [`Event`]s with methods:
//!
//! | Event | Answer |
//! |-------|--------|
//! | [`Event::CheckPassword`] (`USER`/`PASS`, SASL PLAIN/LOGIN) | [`Server::accept_login`] / [`Server::reject_login`] |
//! | [`Event::CheckApop`] | [`Server::accept_login`] / [`Server::reject_login`] (see [`crate::codec::apop_digest`]) |
//! | [`Event::NeedCramSecret`] | [`Server::cram_secret`] / [`Server::reject_login`] |
//! | [`Event::NeedScramCredentials`] | [`Server::scram_credentials`] / [`Server::reject_login`] |
//! | [`Event::CheckToken`] | [`Server::accept_login`] / [`Server::reject_login`] |
//! | [`Event::OpenMaildrop`] (after CRAM-MD5/SCRAM proved the user) | [`Server::accept_login`] / [`Server::reject_login`] |
//! | [`Event::Retrieve`] (`RETR`, `TOP`) | [`Server::message_data`]* then [`Server::message_end`], or [`Server::message_unavailable`] |
//! | [`Event::Update`] (`QUIT` in TRANSACTION with deletions) | [`Server::update_complete`] |
//! | [`Event::StartTls`] | negotiate TLS, then [`Server::tls_established`] |
//!
//! Commands that arrive while the machine waits for an answer stay buffered and are
//! processed, in order, after it. Nothing is deleted unless `QUIT` is received in
//! TRANSACTION: a dropped connection deletes nothing.

use std::collections::VecDeque;

use correo_wire::dot::DotEncoder;
use correo_wire::line::{BareLf, LineConfig, LineError, LineFramer};
use correo_wire::sasl::framing::encode_response;
use correo_wire::sasl::scram::ScramCredentials;
use correo_wire::sasl::{
    Mechanism, SaslError, SaslServer, ServerConfig as SaslServerConfig, ServerOutput, TokenCheck,
};

use crate::codec::{Command, ResponseCode, ScanListing, StatusLine, UidListing};
use crate::error::ParseError;

/// Settings of a [`Server`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Greeting text after `+OK ` (the APOP timestamp, if any, is appended).
    pub greeting: Vec<u8>,
    /// APOP timestamp (`<...@...>`), supplied by the caller (no clock or randomness
    /// inside). `None`, or a value that is not a strict msg-id, disables APOP.
    pub apop_timestamp: Option<Vec<u8>>,
    /// Offer STLS (the caller has a certificate).
    pub stls: bool,
    /// The connection is TLS from the first byte (port 995).
    pub implicit_tls: bool,
    /// Accept `USER`/`PASS` and plaintext SASL mechanisms without TLS.
    pub allow_cleartext_login: bool,
    /// SASL mechanisms offered (in `CAPA` order).
    pub mechanisms: Vec<Mechanism>,
    /// Values the SASL mechanisms need (CRAM-MD5 challenge, SCRAM nonce).
    pub sasl: SaslServerConfig,
    /// `IMPLEMENTATION` capability text, if any.
    pub implementation: Option<Vec<u8>>,
    /// Further `CAPA` lines, sent as given after the built-in ones (e.g. `EXPIRE NEVER`,
    /// `LOGIN-DELAY 900`, `UTF8`); CR, LF and NUL are dropped.
    pub extra_capabilities: Vec<Vec<u8>>,
    /// Maximum command line length before login.
    pub max_line_pre_auth: usize,
    /// Maximum command line length after login.
    pub max_line: usize,
    /// Failed logins and bad commands before login tolerated before the session is closed.
    pub max_failures: u32,
    /// Bytes of pipelined input kept while the application is answering.
    pub max_buffered: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            greeting: b"POP3 server ready.".to_vec(),
            apop_timestamp: None,
            stls: false,
            implicit_tls: false,
            allow_cleartext_login: false,
            mechanisms: vec![Mechanism::Plain, Mechanism::Login],
            sasl: SaslServerConfig::default(),
            implementation: None,
            extra_capabilities: Vec::new(),
            max_line_pre_auth: 1024,
            max_line: 8192,
            max_failures: 3,
            max_buffered: 64 * 1024,
        }
    }
}

/// One message of the maildrop, as the application describes it at login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageInfo {
    /// Size in octets, as it will be sent (CRLF line ends, before dot-stuffing).
    pub size: u64,
    /// Unique id, stable across sessions (1-70 characters in 0x21..=0x7E).
    pub uid: Vec<u8>,
}

/// The RFC 1939 state of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerPhase {
    /// Before login.
    Authorization,
    /// STLS accepted; waiting for [`Server::tls_established`].
    TlsHandshake,
    /// Logged in.
    Transaction,
    /// `QUIT` received in TRANSACTION: deletions being committed.
    Update,
    /// Session over: transmit what is left and close the connection.
    Closed,
}

/// A message marked deleted, handed over at [`Event::Update`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Deleted {
    /// Message number in this session.
    pub msg: u32,
    /// Its unique id.
    pub uid: Vec<u8>,
}

/// What the application must know or decide, pulled with [`Server::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Check a user name and password (`USER`/`PASS`, SASL PLAIN or LOGIN).
    CheckPassword {
        /// User name.
        user: Vec<u8>,
        /// Password.
        password: Vec<u8>,
        /// SASL authorization identity, when the client asked for one.
        authzid: Option<String>,
    },
    /// Check an `APOP` digest against [`crate::codec::apop_digest`]`(timestamp, secret)`.
    CheckApop {
        /// User name.
        user: Vec<u8>,
        /// Digest sent (hex).
        digest: Vec<u8>,
        /// The timestamp of this session's greeting.
        timestamp: Vec<u8>,
    },
    /// CRAM-MD5: supply the user's shared secret.
    NeedCramSecret {
        /// User name.
        user: String,
    },
    /// SCRAM: supply the user's stored credentials.
    NeedScramCredentials {
        /// User name.
        user: String,
        /// Authorization identity, if any.
        authzid: Option<String>,
    },
    /// XOAUTH2/OAUTHBEARER: validate the token.
    CheckToken(TokenCheck),
    /// The user proved its identity (CRAM-MD5, SCRAM): open the maildrop.
    OpenMaildrop {
        /// User name.
        user: String,
        /// Authorization identity, if any.
        authzid: Option<String>,
    },
    /// Supply the message's bytes (`RETR`), or enough of them (`TOP`).
    Retrieve {
        /// Message number.
        msg: u32,
        /// Its unique id.
        uid: Vec<u8>,
        /// `TOP`'s body line count; `None` for `RETR`.
        top: Option<u32>,
    },
    /// `QUIT` in TRANSACTION: delete these messages, then call
    /// [`Server::update_complete`].
    Update {
        /// The messages marked deleted.
        deleted: Vec<Deleted>,
    },
    /// STLS accepted: negotiate TLS, then call [`Server::tls_established`]. Bytes received
    /// after the STLS line were discarded.
    StartTls,
    /// The session is over: send what [`Server::poll_transmit`] still gives, then close.
    Closed,
}

/// A fault of the server machine's use or of the client's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerError {
    /// An answer method was called when the machine was not waiting for it.
    #[error("no {0} is awaited now")]
    NotAwaited(&'static str),
    /// Bytes arrived while TLS was being negotiated; they were dropped.
    #[error("{dropped} bytes received while TLS was being negotiated were dropped")]
    DataBeforeTls {
        /// How many.
        dropped: usize,
    },
    /// More pipelined input than [`ServerConfig::max_buffered`].
    #[error("framing: {0}")]
    Line(#[from] LineError),
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
    /// SASL misuse.
    #[error("SASL: {0}")]
    Sasl(#[from] SaslError),
    /// A unique id in the maildrop is not valid.
    #[error("message {msg} has an invalid unique id")]
    InvalidUid {
        /// The message number.
        msg: u32,
    },
}

#[derive(Debug)]
enum Awaiting {
    Nothing,
    /// A login decision (password, APOP, token, open maildrop).
    Login(LoginVia),
    /// A SASL line from the client.
    SaslLine,
    /// CRAM secret or SCRAM credentials.
    SaslSecret,
    /// Message bytes.
    Message(Retrieval),
    /// Deletions committed.
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginVia {
    Pass,
    Apop,
    Sasl,
}

#[derive(Debug)]
struct Retrieval {
    started: bool,
    size: u64,
    top: Option<TopFilter>,
    encoder: DotEncoder,
}

/// Cuts a message after its header, the blank line and `lines` body lines.
#[derive(Debug, Clone, Copy)]
struct TopFilter {
    lines: u32,
    in_header: bool,
    /// The current line has no byte yet.
    at_line_start: bool,
    /// The current line is, so far, only a CR.
    only_cr: bool,
    done: bool,
}

impl TopFilter {
    fn new(lines: u32) -> Self {
        Self {
            lines,
            in_header: true,
            at_line_start: true,
            only_cr: false,
            done: false,
        }
    }

    /// How many bytes of `data` to pass on.
    fn take(&mut self, data: &[u8]) -> usize {
        let mut pos = 0;
        while pos < data.len() && !self.done {
            if !self.in_header && self.lines == 0 {
                self.done = true;
                break;
            }
            let Some(&b) = data.get(pos) else { break };
            pos += 1;
            if b == b'\n' {
                let empty = self.at_line_start || self.only_cr;
                if self.in_header {
                    if empty {
                        self.in_header = false;
                    }
                } else {
                    self.lines -= 1;
                }
                self.at_line_start = true;
                self.only_cr = false;
            } else {
                self.only_cr = self.at_line_start && b == b'\r';
                self.at_line_start = false;
            }
        }
        if !self.in_header && self.lines == 0 {
            self.done = true;
        }
        pos
    }
}

/// The POP3 server machine. See the [module documentation](self).
pub struct Server {
    config: ServerConfig,
    framer: LineFramer,
    phase: ServerPhase,
    awaiting: Awaiting,
    tls_active: bool,
    events: VecDeque<Event>,
    out: Vec<u8>,
    user: Option<Vec<u8>>,
    failures: u32,
    maildrop: Vec<MessageInfo>,
    deleted: Vec<bool>,
    sasl: Option<SaslServer>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("phase", &self.phase)
            .field("awaiting", &self.awaiting)
            .field("tls_active", &self.tls_active)
            .finish_non_exhaustive()
    }
}

fn ok_line(out: &mut Vec<u8>, text: &[u8]) {
    out.extend_from_slice(b"+OK");
    if !text.is_empty() {
        out.push(b' ');
        out.extend_from_slice(text);
    }
    out.extend_from_slice(b"\r\n");
}

fn err_line(out: &mut Vec<u8>, code: Option<ResponseCode<'_>>, text: &[u8]) {
    let line = StatusLine::err(code, text);
    if line.encode(out).is_err() {
        out.extend_from_slice(b"-ERR\r\n");
    }
}

impl Server {
    /// A server session; the greeting is ready in [`poll_transmit`](Self::poll_transmit).
    pub fn new(mut config: ServerConfig) -> Self {
        // A timestamp that is not a strict msg-id (RFC 1939) disables APOP.
        if let Some(ts) = &config.apop_timestamp {
            if crate::codec::apop_timestamp(ts) != Some(ts.as_slice()) {
                config.apop_timestamp = None;
            }
        }
        let mut out = Vec::new();
        let mut greeting = config.greeting.clone();
        if let Some(ts) = &config.apop_timestamp {
            if !greeting.is_empty() {
                greeting.push(b' ');
            }
            greeting.extend_from_slice(ts);
        }
        greeting.retain(|&b| !matches!(b, b'\r' | b'\n' | 0));
        ok_line(&mut out, &greeting);
        Self {
            framer: LineFramer::new(line_config(config.max_line_pre_auth, config.max_buffered)),
            phase: ServerPhase::Authorization,
            awaiting: Awaiting::Nothing,
            tls_active: config.implicit_tls,
            events: VecDeque::new(),
            out,
            user: None,
            failures: 0,
            maildrop: Vec::new(),
            deleted: Vec::new(),
            sasl: None,
            config,
        }
    }

    /// The session's phase.
    pub fn phase(&self) -> ServerPhase {
        self.phase
    }

    /// Whether TLS is active.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// Message numbers marked deleted so far (deleted only at `QUIT`).
    pub fn marked_deleted(&self) -> impl Iterator<Item = u32> + '_ {
        self.deleted
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .map(|(i, _)| (i + 1) as u32)
    }

    /// Next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to send to the client, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.out))
        }
    }

    /// Takes bytes from the client (any split).
    pub fn receive(&mut self, bytes: &[u8]) -> Result<(), ServerError> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self.phase {
            ServerPhase::Closed => return Err(ServerError::Closed),
            ServerPhase::TlsHandshake => {
                if bytes.is_empty() {
                    return Ok(());
                }
                return Err(ServerError::DataBeforeTls {
                    dropped: bytes.len(),
                });
            }
            _ => {}
        }
        let mut framer = std::mem::take(&mut self.framer);
        let result = {
            let mut feed = framer.feed(bytes);
            let mut result = Ok(());
            while self.ready_for_input() {
                match feed.next_line() {
                    None => break,
                    Some(Ok(line)) => self.on_line(line.content()),
                    Some(Err(e)) => {
                        if let Err(fatal) = self.on_line_error(e) {
                            result = Err(fatal);
                            break;
                        }
                    }
                }
                if self.phase == ServerPhase::TlsHandshake {
                    feed.discard_remaining();
                    break;
                }
            }
            result
        };
        self.framer = framer;
        result
    }

    /// The client closed the connection (or it broke): nothing is deleted.
    pub fn connection_closed(&mut self) {
        self.phase = ServerPhase::Closed;
        self.awaiting = Awaiting::Nothing;
        self.deleted.iter_mut().for_each(|d| *d = false);
    }

    /// TLS is up after [`Event::StartTls`]: the session restarts in AUTHORIZATION.
    pub fn tls_established(&mut self) -> Result<(), ServerError> {
        if self.phase != ServerPhase::TlsHandshake {
            return Err(ServerError::NotAwaited("TLS handshake"));
        }
        self.framer.discard_buffered();
        self.tls_active = true;
        self.phase = ServerPhase::Authorization;
        self.user = None;
        Ok(())
    }

    // ---- answers ----

    /// The credentials are good and the maildrop is open: enter TRANSACTION with these
    /// messages (numbered from 1 in this order).
    pub fn accept_login(&mut self, maildrop: Vec<MessageInfo>) -> Result<(), ServerError> {
        let Awaiting::Login(via) = self.awaiting else {
            return Err(ServerError::NotAwaited("login decision"));
        };
        if let Some(i) = maildrop
            .iter()
            .position(|m| !crate::codec::is_valid_uid(&m.uid))
        {
            return Err(ServerError::InvalidUid {
                msg: (i + 1) as u32,
            });
        }
        if via == LoginVia::Sasl {
            if let Some(mut sasl) = self.sasl.take() {
                // Token and password checks end with accept(); CRAM/SCRAM already
                // succeeded (the exchange is over and accept() would fail).
                if !sasl.is_done() {
                    sasl.accept()?;
                }
            }
        }
        self.awaiting = Awaiting::Nothing;
        self.deleted = vec![false; maildrop.len()];
        self.maildrop = maildrop;
        self.phase = ServerPhase::Transaction;
        self.user = None;
        self.framer
            .set_config(line_config(self.config.max_line, self.config.max_buffered));
        ok_line(&mut self.out, b"Logged in.");
        self.resume();
        Ok(())
    }

    /// Refuses the login (wrong credentials: `[AUTH]`; locked maildrop: `[IN-USE]`;
    /// `[SYS/TEMP]`, `[LOGIN-DELAY]`...). Counts towards the failure limit.
    pub fn reject_login(
        &mut self,
        code: Option<ResponseCode<'_>>,
        text: &[u8],
    ) -> Result<(), ServerError> {
        if !matches!(self.awaiting, Awaiting::Login(_) | Awaiting::SaslSecret) {
            return Err(ServerError::NotAwaited("login decision"));
        }
        self.sasl = None;
        self.awaiting = Awaiting::Nothing;
        self.user = None;
        let text = if text.is_empty() {
            b"Authentication failed.".as_slice()
        } else {
            text
        };
        err_line(&mut self.out, code, text);
        self.fail();
        self.resume();
        Ok(())
    }

    /// Answers [`Event::NeedCramSecret`].
    pub fn cram_secret(&mut self, secret: &[u8]) -> Result<(), ServerError> {
        if !matches!(self.awaiting, Awaiting::SaslSecret) {
            return Err(ServerError::NotAwaited("CRAM-MD5 secret"));
        }
        let out = match self.sasl.as_mut() {
            Some(s) => s.cram_secret(secret),
            None => return Err(ServerError::NotAwaited("CRAM-MD5 secret")),
        };
        self.awaiting = Awaiting::Nothing;
        self.on_sasl_output(out);
        self.resume();
        Ok(())
    }

    /// Answers [`Event::NeedScramCredentials`].
    pub fn scram_credentials(&mut self, creds: &ScramCredentials) -> Result<(), ServerError> {
        if !matches!(self.awaiting, Awaiting::SaslSecret) {
            return Err(ServerError::NotAwaited("SCRAM credentials"));
        }
        let out = match self.sasl.as_mut() {
            Some(s) => s.scram_credentials(creds),
            None => return Err(ServerError::NotAwaited("SCRAM credentials")),
        };
        self.awaiting = Awaiting::Nothing;
        self.on_sasl_output(out);
        self.resume();
        Ok(())
    }

    /// Supplies the next bytes of the message asked for by [`Event::Retrieve`], as stored
    /// (CRLF or bare LF line ends; they go out as CRLF, dot-stuffed).
    pub fn message_data(&mut self, data: &[u8]) -> Result<(), ServerError> {
        let Awaiting::Message(r) = &mut self.awaiting else {
            return Err(ServerError::NotAwaited("message data"));
        };
        if !r.started {
            r.started = true;
            if r.top.is_some() {
                ok_line(&mut self.out, b"");
            } else {
                let mut text = Vec::with_capacity(24);
                text.extend_from_slice(r.size.to_string().as_bytes());
                text.extend_from_slice(b" octets");
                ok_line(&mut self.out, &text);
            }
        }
        let data = match &mut r.top {
            Some(f) => data.get(..f.take(data)).unwrap_or_default(),
            None => data,
        };
        self.out.reserve(data.len() + data.len() / 32 + 16);
        r.encoder.encode_into(data, &mut self.out);
        Ok(())
    }

    /// Whether the pending `RETR`/`TOP` still wants bytes (`TOP` stops early).
    pub fn wants_message_data(&self) -> bool {
        match &self.awaiting {
            Awaiting::Message(r) => r.top.is_none_or(|f| !f.done),
            _ => false,
        }
    }

    /// Ends the message asked for by [`Event::Retrieve`].
    pub fn message_end(&mut self) -> Result<(), ServerError> {
        if !matches!(self.awaiting, Awaiting::Message(_)) {
            return Err(ServerError::NotAwaited("message end"));
        }
        self.message_data(b"")?;
        if let Awaiting::Message(r) = &mut self.awaiting {
            let out = &mut self.out;
            r.encoder.finish(|piece| out.extend_from_slice(piece));
        }
        self.awaiting = Awaiting::Nothing;
        self.resume();
        Ok(())
    }

    /// The message asked for cannot be read: `-ERR [SYS/TEMP]` (only before any data).
    pub fn message_unavailable(&mut self, text: &[u8]) -> Result<(), ServerError> {
        match &self.awaiting {
            Awaiting::Message(r) if !r.started => {}
            _ => return Err(ServerError::NotAwaited("message failure")),
        }
        err_line(&mut self.out, Some(ResponseCode::SysTemp), text);
        self.awaiting = Awaiting::Nothing;
        self.resume();
        Ok(())
    }

    /// Answers [`Event::Update`]: `true` if every marked message was deleted.
    pub fn update_complete(&mut self, ok: bool) -> Result<(), ServerError> {
        if !matches!(self.awaiting, Awaiting::Update) {
            return Err(ServerError::NotAwaited("update"));
        }
        if ok {
            ok_line(&mut self.out, b"Logging out.");
        } else {
            err_line(
                &mut self.out,
                Some(ResponseCode::SysTemp),
                b"Some deleted messages were not removed.",
            );
        }
        self.awaiting = Awaiting::Nothing;
        self.close();
        Ok(())
    }

    // ---- internals ----

    fn ready_for_input(&self) -> bool {
        matches!(self.awaiting, Awaiting::Nothing | Awaiting::SaslLine)
            && matches!(
                self.phase,
                ServerPhase::Authorization | ServerPhase::Transaction
            )
    }

    /// Processes lines buffered while the application was answering.
    fn resume(&mut self) {
        while self.ready_for_input() {
            let line = match self.framer.next_line() {
                None => return,
                Some(Ok(line)) => line.content().to_vec(),
                Some(Err(e)) => {
                    if self.on_line_error(e).is_err() {
                        return;
                    }
                    continue;
                }
            };
            self.on_line(&line);
            if self.phase == ServerPhase::TlsHandshake {
                self.framer.discard_buffered();
            }
        }
    }

    fn close(&mut self) {
        self.phase = ServerPhase::Closed;
        self.events.push_back(Event::Closed);
    }

    fn fail(&mut self) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.config.max_failures {
            err_line(&mut self.out, None, b"Too many failures, closing.");
            self.close();
        }
    }

    fn on_line_error(&mut self, e: LineError) -> Result<(), ServerError> {
        match e {
            LineError::TooLong { .. } => {
                err_line(&mut self.out, None, b"Line too long.");
                if self.phase == ServerPhase::Authorization {
                    self.abort_sasl();
                    self.fail();
                }
                Ok(())
            }
            LineError::BareLf { .. } => Ok(()),
            LineError::BufferFull { .. } => {
                err_line(&mut self.out, None, b"Too much pipelined input.");
                self.close();
                Err(ServerError::Line(e))
            }
        }
    }

    fn abort_sasl(&mut self) {
        if self.sasl.take().is_some() {
            self.awaiting = Awaiting::Nothing;
        }
    }

    fn plaintext_allowed(&self) -> bool {
        self.tls_active || self.config.allow_cleartext_login
    }

    fn on_line(&mut self, line: &[u8]) {
        if matches!(self.awaiting, Awaiting::SaslLine) {
            self.on_sasl_line(line);
            return;
        }
        let command = match Command::parse(line) {
            Ok(c) => c,
            Err(e) => {
                let text: &[u8] = match e {
                    ParseError::UnknownCommand => b"Unknown command.",
                    ParseError::Empty => b"Empty command.",
                    ParseError::NumberOverflow { .. } | ParseError::InvalidNumber { .. } => {
                        b"Invalid message number."
                    }
                    _ => b"Invalid arguments.",
                };
                err_line(&mut self.out, None, text);
                if self.phase == ServerPhase::Authorization {
                    self.user = None;
                    self.fail();
                }
                return;
            }
        };
        match self.phase {
            ServerPhase::Authorization => self.authorization(command),
            ServerPhase::Transaction => self.transaction(command),
            _ => {}
        }
    }

    fn capa(&mut self) {
        let pre_auth = self.phase == ServerPhase::Authorization;
        let mut out = std::mem::take(&mut self.out);
        ok_line(&mut out, b"");
        for cap in [
            b"CAPA".as_slice(),
            b"TOP",
            b"UIDL",
            b"RESP-CODES",
            b"PIPELINING",
            b"AUTH-RESP-CODE",
        ] {
            out.extend_from_slice(cap);
            out.extend_from_slice(b"\r\n");
        }
        if pre_auth && self.config.stls && !self.tls_active {
            out.extend_from_slice(b"STLS\r\n");
        }
        if pre_auth {
            if self.plaintext_allowed() {
                out.extend_from_slice(b"USER\r\n");
            }
            let mechs: Vec<&str> = self
                .config
                .mechanisms
                .iter()
                .filter(|m| !m.is_plaintext() || self.plaintext_allowed())
                .map(|m| m.as_str())
                .collect();
            if !mechs.is_empty() {
                out.extend_from_slice(b"SASL ");
                out.extend_from_slice(mechs.join(" ").as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        if let Some(imp) = &self.config.implementation {
            out.extend_from_slice(b"IMPLEMENTATION ");
            out.extend(imp.iter().filter(|b| !matches!(b, b'\r' | b'\n' | 0)));
            out.extend_from_slice(b"\r\n");
        }
        for cap in &self.config.extra_capabilities {
            let start = out.len();
            out.extend(cap.iter().filter(|b| !matches!(b, b'\r' | b'\n' | 0)));
            if out.get(start) == Some(&b'.') {
                out.insert(start, b'.');
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        self.out = out;
    }

    fn authorization(&mut self, command: Command<'_>) {
        let user = self.user.take();
        match command {
            Command::Capa => self.capa(),
            Command::Quit => {
                ok_line(&mut self.out, b"Logging out.");
                self.close();
            }
            Command::Stls => {
                if !self.config.stls || self.tls_active {
                    err_line(&mut self.out, None, b"TLS is not available.");
                } else {
                    ok_line(&mut self.out, b"Begin TLS negotiation now.");
                    self.phase = ServerPhase::TlsHandshake;
                    self.events.push_back(Event::StartTls);
                }
            }
            Command::User(name) => {
                if !self.plaintext_allowed() {
                    err_line(
                        &mut self.out,
                        Some(ResponseCode::Auth),
                        b"Plaintext authentication disallowed on non-secure connections.",
                    );
                    self.fail();
                } else if name.is_empty() {
                    err_line(&mut self.out, None, b"No user name given.");
                    self.fail();
                } else {
                    self.user = Some(name.to_vec());
                    ok_line(&mut self.out, b"");
                }
            }
            Command::Pass(password) => match user {
                Some(user) => {
                    self.awaiting = Awaiting::Login(LoginVia::Pass);
                    self.events.push_back(Event::CheckPassword {
                        user,
                        password: password.to_vec(),
                        authzid: None,
                    });
                }
                None => {
                    err_line(&mut self.out, None, b"No username given.");
                    self.fail();
                }
            },
            Command::Apop { name, digest } => match &self.config.apop_timestamp {
                Some(ts) => {
                    self.awaiting = Awaiting::Login(LoginVia::Apop);
                    self.events.push_back(Event::CheckApop {
                        user: name.to_vec(),
                        digest: digest.to_vec(),
                        timestamp: ts.clone(),
                    });
                }
                None => {
                    err_line(&mut self.out, None, b"APOP is not available.");
                    self.fail();
                }
            },
            Command::Auth { mechanism, initial } => self.start_sasl(mechanism, initial),
            Command::Utf8 => ok_line(&mut self.out, b"UTF8 enabled."),
            _ => {
                err_line(&mut self.out, None, b"Unknown command or not logged in.");
                self.fail();
            }
        }
    }

    fn start_sasl(&mut self, mechanism: &[u8], initial: Option<&[u8]>) {
        let offered = Mechanism::parse(mechanism).filter(|m| {
            self.config.mechanisms.contains(m) && (!m.is_plaintext() || self.plaintext_allowed())
        });
        let Some(mech) = offered else {
            err_line(
                &mut self.out,
                None,
                b"Unsupported authentication mechanism.",
            );
            self.fail();
            return;
        };
        let mut sasl = match SaslServer::new(mech, self.config.sasl.clone()) {
            Ok(s) => s,
            Err(_) => {
                err_line(
                    &mut self.out,
                    None,
                    b"Unsupported authentication mechanism.",
                );
                self.fail();
                return;
            }
        };
        let out = match initial {
            None => sasl.start(None),
            Some(ir) => {
                self.sasl = Some(sasl);
                self.on_sasl_line(ir);
                return;
            }
        };
        self.sasl = Some(sasl);
        self.on_sasl_output(out);
    }

    fn on_sasl_line(&mut self, line: &[u8]) {
        let out = match self.sasl.as_mut() {
            Some(s) => s.step_line(line),
            None => return,
        };
        self.awaiting = Awaiting::Nothing;
        self.on_sasl_output(out);
    }

    fn on_sasl_output(&mut self, out: Result<ServerOutput, SaslError>) {
        match out {
            Ok(ServerOutput::Challenge(c)) => {
                self.out.extend_from_slice(b"+ ");
                self.out.extend_from_slice(encode_response(&c).as_bytes());
                self.out.extend_from_slice(b"\r\n");
                self.awaiting = Awaiting::SaslLine;
            }
            Ok(ServerOutput::VerifyPassword(p)) => {
                self.awaiting = Awaiting::Login(LoginVia::Sasl);
                self.events.push_back(Event::CheckPassword {
                    user: p.username.into_bytes(),
                    password: p.password.into_bytes(),
                    authzid: p.authzid,
                });
            }
            Ok(ServerOutput::VerifyToken(t)) => {
                self.awaiting = Awaiting::Login(LoginVia::Sasl);
                self.events.push_back(Event::CheckToken(t));
            }
            Ok(ServerOutput::NeedCramSecret { username }) => {
                self.awaiting = Awaiting::SaslSecret;
                self.events
                    .push_back(Event::NeedCramSecret { user: username });
            }
            Ok(ServerOutput::NeedScramCredentials { username, authzid }) => {
                self.awaiting = Awaiting::SaslSecret;
                self.events.push_back(Event::NeedScramCredentials {
                    user: username,
                    authzid,
                });
            }
            Ok(ServerOutput::Success {
                username, authzid, ..
            }) => {
                self.awaiting = Awaiting::Login(LoginVia::Sasl);
                self.events.push_back(Event::OpenMaildrop {
                    user: username,
                    authzid,
                });
            }
            Ok(ServerOutput::Cancelled) => {
                self.sasl = None;
                err_line(&mut self.out, None, b"Authentication aborted by client.");
                self.fail();
            }
            Ok(_) => {
                self.sasl = None;
                err_line(
                    &mut self.out,
                    Some(ResponseCode::Auth),
                    b"Authentication failed.",
                );
                self.fail();
            }
            Err(_) => {
                self.sasl = None;
                err_line(&mut self.out, None, b"Invalid authentication exchange.");
                self.fail();
            }
        }
    }

    /// The 0-based index of a live (not deleted) message, or the error text.
    fn live(&self, msg: u32) -> Result<usize, Vec<u8>> {
        let idx = (msg as usize).checked_sub(1);
        match idx.and_then(|i| self.deleted.get(i).map(|d| (i, *d))) {
            Some((i, false)) => Ok(i),
            Some((_, true)) => Err(b"Message is deleted.".to_vec()),
            None => Err(format!("There's no message {msg}.").into_bytes()),
        }
    }

    fn transaction(&mut self, command: Command<'_>) {
        match command {
            Command::Capa => self.capa(),
            Command::Stat => {
                let (count, size) = self.live_totals();
                let mut text = Vec::with_capacity(24);
                crate::codec::Stat { count, size }.encode(&mut text);
                ok_line(&mut self.out, &text);
            }
            Command::List(None) => {
                let (count, _) = self.live_totals();
                ok_line(&mut self.out, format!("{count} messages:").as_bytes());
                for (i, m) in self.maildrop.iter().enumerate() {
                    if !self.deleted.get(i).copied().unwrap_or(true) {
                        ScanListing {
                            msg: (i + 1) as u32,
                            size: m.size,
                        }
                        .encode(&mut self.out);
                    }
                }
                self.out.extend_from_slice(b".\r\n");
            }
            Command::Uidl(None) => {
                ok_line(&mut self.out, b"");
                for (i, m) in self.maildrop.iter().enumerate() {
                    if !self.deleted.get(i).copied().unwrap_or(true) {
                        // Validated at accept_login.
                        let _ = UidListing {
                            msg: (i + 1) as u32,
                            uid: &m.uid,
                        }
                        .encode(&mut self.out);
                    }
                }
                self.out.extend_from_slice(b".\r\n");
            }
            Command::List(Some(msg)) | Command::Uidl(Some(msg)) => match self.live(msg) {
                Ok(i) => {
                    let mut text = Vec::new();
                    let info = self.maildrop.get(i).cloned().unwrap_or(MessageInfo {
                        size: 0,
                        uid: Vec::new(),
                    });
                    if matches!(command, Command::List(_)) {
                        ScanListing {
                            msg,
                            size: info.size,
                        }
                        .encode(&mut text);
                    } else {
                        let _ = UidListing {
                            msg,
                            uid: &info.uid,
                        }
                        .encode(&mut text);
                    }
                    text.truncate(text.len().saturating_sub(2));
                    ok_line(&mut self.out, &text);
                }
                Err(e) => err_line(&mut self.out, None, &e),
            },
            Command::Retr(msg) | Command::Top { msg, .. } => match self.live(msg) {
                Ok(i) => {
                    let top = match command {
                        Command::Top { lines, .. } => Some(lines),
                        _ => None,
                    };
                    let info = self.maildrop.get(i).cloned().unwrap_or(MessageInfo {
                        size: 0,
                        uid: Vec::new(),
                    });
                    self.awaiting = Awaiting::Message(Retrieval {
                        started: false,
                        size: info.size,
                        top: top.map(TopFilter::new),
                        encoder: DotEncoder::new(),
                    });
                    self.events.push_back(Event::Retrieve {
                        msg,
                        uid: info.uid,
                        top,
                    });
                }
                Err(e) => err_line(&mut self.out, None, &e),
            },
            Command::Dele(msg) => match self.live(msg) {
                Ok(i) => {
                    if let Some(d) = self.deleted.get_mut(i) {
                        *d = true;
                    }
                    ok_line(&mut self.out, b"Marked to be deleted.");
                }
                Err(e) => err_line(&mut self.out, None, &e),
            },
            Command::Rset => {
                self.deleted.iter_mut().for_each(|d| *d = false);
                ok_line(&mut self.out, b"");
            }
            Command::Noop => ok_line(&mut self.out, b""),
            Command::Quit => {
                let deleted: Vec<Deleted> = self
                    .marked_deleted()
                    .map(|msg| Deleted {
                        msg,
                        uid: self
                            .maildrop
                            .get(msg as usize - 1)
                            .map(|m| m.uid.clone())
                            .unwrap_or_default(),
                    })
                    .collect();
                self.phase = ServerPhase::Update;
                if deleted.is_empty() {
                    ok_line(&mut self.out, b"Logging out.");
                    self.close();
                } else {
                    self.awaiting = Awaiting::Update;
                    self.events.push_back(Event::Update { deleted });
                }
            }
            Command::Stls => err_line(&mut self.out, None, b"STLS is only valid before login."),
            _ => err_line(&mut self.out, None, b"Unknown command."),
        }
    }

    fn live_totals(&self) -> (u32, u64) {
        self.maildrop
            .iter()
            .zip(&self.deleted)
            .filter(|(_, d)| !**d)
            .fold((0u32, 0u64), |(c, s), (m, _)| {
                (c.saturating_add(1), s.saturating_add(m.size))
            })
    }
}

fn line_config(max_line: usize, max_buffered: usize) -> LineConfig {
    LineConfig::with_max_line_len(max_line)
        .bare_lf(BareLf::Normalize)
        .max_buffered(max_buffered)
}
