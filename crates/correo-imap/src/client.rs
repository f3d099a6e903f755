//! The client state machine (sans-IO).
//!
//! Feed it what the server sent with [`Client::receive`], pull [`Event`]s with
//! [`Client::poll_event`] and bytes to send with [`Client::poll_transmit`]. Commands are
//! issued with methods ([`Client::login`], [`Client::select`], [`Client::fetch`], or any
//! [`CommandBody`] with [`Client::command`]) that return the tag; they are pipelined, and
//! each completion is reported with its tag. Untagged responses are reported in the order
//! they arrived, never attached to a command.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use correo_wire::sasl::{SaslClient, SaslError};

use crate::encode::{EncodeOptions, Fragment, Next, encode_command};
use crate::frame::{Frame, Framer, Side};
use crate::parse::{body_target, parse_greeting, parse_response};
use crate::types::*;
use crate::{FrameError, Leniency, Limits, ParseError};

/// The latest IDLE refresh hint: RFC 2177 asks clients to re-issue IDLE at least every
/// 29 minutes.
const IDLE_REFRESH_MAX: Duration = Duration::from_secs(29 * 60);

/// How the connection is, or must be, protected by TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TlsMode {
    /// Clear text unless the application calls [`Client::starttls`].
    #[default]
    Plain,
    /// STARTTLS is mandatory: the machine sends it right after the greeting; no other
    /// command leaves before TLS is up; a refusal, a missing `STARTTLS` capability or a
    /// `PREAUTH` greeting over clear text closes the session (fail closed).
    StartTlsRequired,
    /// The connection is TLS from the first byte (port 993).
    Implicit,
}

/// Configuration of a [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientConfig {
    /// TLS policy.
    pub tls: TlsMode,
    /// Limits for framing and parsing.
    pub limits: Limits,
    /// Accepted deviations from the grammar.
    pub leniency: Leniency,
    /// When to hint that IDLE should be restarted (servers may drop idle clients after
    /// 30 minutes; RFC 2177 recommends re-issuing at least every 29). Default 28 minutes;
    /// longer values are taken as 29 minutes.
    pub idle_refresh: Duration,
    /// Maximum number of commands queued or in flight.
    pub max_queued: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            tls: TlsMode::Plain,
            limits: Limits::default(),
            leniency: Leniency::default(),
            idle_refresh: Duration::from_secs(28 * 60),
            max_queued: 1024,
        }
    }
}

/// What the selected mailbox looks like, from the responses seen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selected {
    /// The mailbox name.
    pub mailbox: Vec<u8>,
    /// Opened with EXAMINE or reported `READ-ONLY`.
    pub read_only: bool,
    /// Number of messages (`EXISTS`, minus expunges and vanished UIDs).
    pub exists: u32,
    /// `RECENT` (IMAP4rev1).
    pub recent: u32,
    /// `UIDVALIDITY`.
    pub uid_validity: Option<u32>,
    /// `UIDNEXT`.
    pub uid_next: Option<u32>,
    /// `HIGHESTMODSEQ`.
    pub highest_modseq: Option<u64>,
    /// `FLAGS`.
    pub flags: Vec<Flag<'static>>,
    /// `PERMANENTFLAGS`.
    pub permanent_flags: Vec<Flag<'static>>,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server greeted: `Ok` (not authenticated), `PreAuth` or `Bye`.
    Greeting(Greeting<'static>),
    /// An untagged response, in arrival order.
    Untagged(Untagged<'static>),
    /// A command completed.
    Completed {
        /// Its tag.
        tag: String,
        /// The command's name (`SELECT`, `UID FETCH`...), or empty for an unknown tag.
        command: &'static str,
        /// `Ok`, `No` or `Bad`.
        status: Status,
        /// Code and text.
        text: StatusText<'static>,
    },
    /// A command with a synchronising literal was refused before its literal was sent
    /// (the server answered the tag instead of `+`); a `Completed` event follows.
    LiteralRejected {
        /// The tag.
        tag: String,
    },
    /// A continuation request that no command was waiting for.
    Continuation(Vec<u8>),
    /// A streamed FETCH value starts.
    BodyBegin {
        /// Message sequence number.
        seq: u32,
        /// UID, if the server sent it before the data.
        uid: Option<u32>,
        /// The item, with [`BodyData::Streamed`] as its data.
        item: FetchItem<'static>,
        /// Length in bytes.
        length: u64,
    },
    /// Bytes of the streamed value.
    BodyChunk(Vec<u8>),
    /// The streamed value ended (the FETCH response follows as `Untagged`).
    BodyEnd,
    /// An APPEND is ready for `length` bytes of message data: call
    /// [`Client::send_body`] until they are given.
    AppendReady {
        /// The APPEND's tag.
        tag: String,
        /// Bytes expected.
        length: u64,
    },
    /// `STARTTLS` was accepted: wrap the connection in TLS now, then call
    /// [`Client::tls_established`]. Bytes received after the OK were discarded, and so
    /// are any received before `tls_established`; the capability cache is emptied.
    StartTls,
    /// `COMPRESS DEFLATE` was accepted: from now on the caller inflates what it receives
    /// and deflates what it sends. `remaining` holds bytes received after the OK (already
    /// compressed), to inflate and feed back.
    CompressionActive {
        /// Compressed bytes that followed the OK in the same read.
        remaining: Vec<u8>,
    },
    /// The server accepted IDLE (`+ idling`).
    IdleStarted,
    /// IDLE has run for [`ClientConfig::idle_refresh`]: call [`Client::done`] and
    /// [`Client::idle`] again.
    IdleRefreshDue,
    /// The selected mailbox's UIDVALIDITY differs from the one seen before for the same
    /// name: cached UIDs are void.
    UidValidityChanged {
        /// The mailbox.
        mailbox: Vec<u8>,
        /// The previous value.
        old: u32,
        /// The new value.
        new: u32,
    },
    /// A response or a frame could not be parsed. The machine carries on with the next
    /// message; if the error names a tag, that command is failed with `Bad`.
    ProtocolError(String),
    /// The server said `BYE`, or the session was closed by policy (fail closed); no more
    /// commands are accepted.
    Closed {
        /// Why.
        reason: String,
    },
}

/// A command could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
    /// The greeting has not arrived yet.
    #[error("the server has not greeted yet")]
    NotGreeted,
    /// TLS is required and not up yet.
    #[error("TLS is required before this command")]
    TlsRequired,
    /// Too many commands queued.
    #[error("too many commands queued")]
    QueueFull,
    /// A command that must run alone (IDLE, STARTTLS, AUTHENTICATE) is running.
    #[error("waiting for {0} to complete")]
    Busy(&'static str),
    /// `DONE` without IDLE running.
    #[error("not idling")]
    NotIdling,
    /// No APPEND body is expected, or more bytes than announced.
    #[error("no message data expected")]
    NoBodyExpected,
    /// SASL failed on the client side.
    #[error("SASL: {0}")]
    Sasl(#[from] SaslError),
}

/// For SELECT/EXAMINE: the mailbox and whether it was EXAMINE.
type Selecting = Option<(Vec<u8>, bool)>;

#[derive(Debug)]
struct Pending {
    tag: String,
    name: &'static str,
    fragments: VecDeque<Fragment>,
    select: Selecting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Running,
    AwaitTls,
    Closed,
}

/// The IMAP client state machine. See the [module documentation](self).
pub struct Client {
    config: ClientConfig,
    framer: Framer,
    phase: Phase,
    tls: bool,
    next_tag: u64,
    events: VecDeque<Event>,
    out: VecDeque<Vec<u8>>,
    /// Commands not fully sent, in order.
    queue: VecDeque<Pending>,
    /// Sent, waiting for completion: tag -> (name, selecting).
    in_flight: HashMap<String, (&'static str, Selecting)>,
    /// The head of `queue` waits for `+`.
    waiting_continuation: bool,
    /// Bytes of an APPEND body still to be given by the caller.
    body_left: u64,
    capabilities: Vec<Capability<'static>>,
    enabled: Vec<Capability<'static>>,
    selected: Option<Selected>,
    /// The mailbox a SELECT/EXAMINE in flight is building.
    selecting: Option<Selected>,
    /// Tag number of that SELECT.
    select_tag: Option<u64>,
    /// The server said `[CLOSED]`: what follows describes the mailbox being selected.
    select_closed: bool,
    /// Tag numbers of commands queued or in flight, oldest first.
    open_tags: BTreeSet<u64>,
    uid_validities: HashMap<Vec<u8>, u32>,
    sasl: Option<(String, SaslClient)>,
    idle: Option<(String, Option<Instant>, bool)>,
    idle_hinted: bool,
    starttls_tag: Option<String>,
    compress_tag: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("phase", &self.phase)
            .field("tls", &self.tls)
            .field("queue", &self.queue.len())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for a new connection (nothing received yet).
    pub fn new(config: ClientConfig) -> Client {
        Client {
            framer: Framer::new(Side::Client, config.limits, config.leniency.bare_lf),
            tls: config.tls == TlsMode::Implicit,
            config,
            phase: Phase::Greeting,
            next_tag: 1,
            events: VecDeque::new(),
            out: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: HashMap::new(),
            waiting_continuation: false,
            body_left: 0,
            capabilities: Vec::new(),
            enabled: Vec::new(),
            selected: None,
            selecting: None,
            select_tag: None,
            select_closed: false,
            open_tags: BTreeSet::new(),
            uid_validities: HashMap::new(),
            sasl: None,
            idle: None,
            idle_hinted: false,
            starttls_tag: None,
            compress_tag: None,
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next bytes to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// The cached capabilities (from the greeting, `CAPABILITY` responses and codes);
    /// emptied when TLS starts.
    pub fn capabilities(&self) -> &[Capability<'static>] {
        &self.capabilities
    }

    /// Whether the server announced `name`.
    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.iter().any(|c| c.is(name))
    }

    /// Capabilities the server reported `ENABLED`.
    pub fn enabled(&self) -> &[Capability<'static>] {
        &self.enabled
    }

    /// The selected mailbox's state.
    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    /// Whether TLS is up.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Number of commands sent or queued and not completed.
    pub fn pending(&self) -> usize {
        self.queue.len() + self.in_flight.len()
    }

    /// The encoder options implied by the capabilities.
    pub fn encode_options(&self) -> EncodeOptions {
        EncodeOptions {
            literal_plus: self.has_capability("LITERAL+"),
            literal_minus: self.has_capability("LITERAL-") || self.has_capability("IMAP4rev2"),
            utf8: self.enabled.iter().any(|c| c.is("UTF8=ACCEPT")),
        }
    }

    /// When [`handle_timeout`](Client::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.idle {
            Some((_, Some(since), true)) if !self.idle_hinted => {
                Some(*since + self.config.idle_refresh.min(IDLE_REFRESH_MAX))
            }
            _ => None,
        }
    }

    /// Tells the machine what time it is (IDLE refresh hint).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(t) = self.poll_timeout()
            && now >= t
        {
            self.idle_hinted = true;
            self.events.push_back(Event::IdleRefreshDue);
        }
    }

    /// TLS is up (after [`Event::StartTls`]): the capability cache is emptied and a
    /// `CAPABILITY` command is sent.
    pub fn tls_established(&mut self) {
        self.tls = true;
        self.framer.discard();
        self.capabilities.clear();
        if self.phase == Phase::AwaitTls {
            self.phase = Phase::Running;
        }
        let _ = self.command(CommandBody::Capability);
    }

    /// The connection ended.
    pub fn connection_closed(&mut self) {
        if self.phase != Phase::Closed {
            self.close("connection closed");
        }
    }

    fn close(&mut self, reason: &str) {
        self.phase = Phase::Closed;
        for p in &self.queue {
            if let Some(n) = tag_number(&p.tag) {
                self.open_tags.remove(&n);
            }
        }
        self.queue.clear();
        self.events.push_back(Event::Closed {
            reason: reason.to_owned(),
        });
    }

    fn tag(&mut self) -> String {
        let t = format!("a{}", self.next_tag);
        self.open_tags.insert(self.next_tag);
        self.next_tag += 1;
        t
    }

    /// A command completed (or was dropped): it no longer holds back a selection.
    fn tag_done(&mut self, tag: &str) {
        if let Some(n) = tag_number(tag) {
            self.open_tags.remove(&n);
        }
    }

    fn check(&self, body: &CommandBody<'_>) -> Result<(), ClientError> {
        match self.phase {
            Phase::Closed => return Err(ClientError::Closed),
            Phase::Greeting => return Err(ClientError::NotGreeted),
            _ => {}
        }
        if self.pending() >= self.config.max_queued {
            return Err(ClientError::QueueFull);
        }
        if self.idle.is_some() {
            return Err(ClientError::Busy("IDLE"));
        }
        if self.sasl.is_some() {
            return Err(ClientError::Busy("AUTHENTICATE"));
        }
        if self.starttls_tag.is_some() || self.phase == Phase::AwaitTls {
            return Err(ClientError::Busy("STARTTLS"));
        }
        if self.config.tls == TlsMode::StartTlsRequired
            && !self.tls
            && !matches!(
                body,
                CommandBody::Capability | CommandBody::Noop | CommandBody::Logout
            )
        {
            return Err(ClientError::TlsRequired);
        }
        Ok(())
    }

    /// Queues any command; returns its tag.
    pub fn command(&mut self, body: CommandBody<'_>) -> Result<String, ClientError> {
        self.check(&body)?;
        Ok(self.submit(body))
    }

    fn submit(&mut self, body: CommandBody<'_>) -> String {
        let tag = self.tag();
        let name = command_name(&body);
        let select = match &body {
            CommandBody::Select {
                examine, mailbox, ..
            } => Some((mailbox.as_bytes().to_vec(), *examine)),
            _ => None,
        };
        if select.is_some() {
            // Untagged data describes the mailbox being selected once the commands before
            // this one have completed, or once the server says `[CLOSED]`; until then it
            // is still about the mailbox selected now.
            self.selecting = Some(Selected::default());
            self.select_tag = tag_number(&tag);
            self.select_closed = false;
        }
        match &body {
            CommandBody::Idle => self.idle = Some((tag.clone(), None, false)),
            CommandBody::StartTls => self.starttls_tag = Some(tag.clone()),
            CommandBody::Compress(_) => self.compress_tag = Some(tag.clone()),
            _ => {}
        }
        let cmd = Command {
            tag: Tag(std::borrow::Cow::Borrowed(&tag)),
            body,
        };
        let fragments = encode_command(&cmd, &self.encode_options()).into();
        self.queue.push_back(Pending {
            tag: tag.clone(),
            name,
            fragments,
            select,
        });
        self.pump();
        tag
    }

    /// Moves what can be sent from the queue to the output.
    fn pump(&mut self) {
        while !self.waiting_continuation && self.body_left == 0 {
            let Some(head) = self.queue.front_mut() else {
                return;
            };
            let Some(f) = head.fragments.pop_front() else {
                if let Some(p) = self.queue.pop_front() {
                    self.in_flight.insert(p.tag, (p.name, p.select));
                }
                continue;
            };
            self.out.push_back(f.bytes);
            match f.next {
                Next::Done => {}
                Next::Continuation => self.waiting_continuation = true,
                Next::Body { length, sync } => {
                    if sync {
                        self.waiting_continuation = true;
                        // Body announced after the `+`.
                        head.fragments.push_front(Fragment {
                            bytes: Vec::new(),
                            next: Next::Body {
                                length,
                                sync: false,
                            },
                        });
                    } else {
                        self.body_left = length;
                        let tag = head.tag.clone();
                        self.events.push_back(Event::AppendReady { tag, length });
                    }
                }
            }
        }
    }

    /// Gives bytes of an APPEND body announced by [`Event::AppendReady`].
    pub fn send_body(&mut self, data: &[u8]) -> Result<(), ClientError> {
        if data.len() as u64 > self.body_left {
            return Err(ClientError::NoBodyExpected);
        }
        self.body_left -= data.len() as u64;
        self.out.push_back(data.to_vec());
        if self.body_left == 0 {
            self.pump();
        }
        Ok(())
    }

    /// `CAPABILITY`.
    pub fn capability(&mut self) -> Result<String, ClientError> {
        self.command(CommandBody::Capability)
    }

    /// `NOOP` (also polls for mailbox updates).
    pub fn noop(&mut self) -> Result<String, ClientError> {
        self.command(CommandBody::Noop)
    }

    /// `LOGOUT`.
    pub fn logout(&mut self) -> Result<String, ClientError> {
        self.command(CommandBody::Logout)
    }

    /// `STARTTLS`; on success [`Event::StartTls`] asks for the upgrade.
    pub fn starttls(&mut self) -> Result<String, ClientError> {
        if self.tls {
            return Err(ClientError::Busy("TLS already active"));
        }
        self.command(CommandBody::StartTls)
    }

    /// `LOGIN user password`.
    pub fn login(&mut self, user: &[u8], password: &[u8]) -> Result<String, ClientError> {
        self.command(CommandBody::Login {
            username: user.into(),
            password: password.into(),
        })
    }

    /// `AUTHENTICATE` driven by a SASL client; the initial response goes on the command
    /// line when the server has `SASL-IR` (or is IMAP4rev2).
    pub fn authenticate(&mut self, mut sasl: SaslClient) -> Result<String, ClientError> {
        let body = CommandBody::Capability;
        self.check(&body)?;
        if self.config.tls == TlsMode::StartTlsRequired && !self.tls {
            return Err(ClientError::TlsRequired);
        }
        let ir = if self.has_capability("SASL-IR") || self.has_capability("IMAP4rev2") {
            sasl.initial_response_line()?
        } else {
            None
        };
        let mechanism = sasl.mechanism().as_str().to_owned();
        let tag = self.submit(CommandBody::Authenticate {
            mechanism: mechanism.into(),
            initial: ir.map(|s| s.into_bytes().into()),
        });
        self.sasl = Some((tag.clone(), sasl));
        Ok(tag)
    }

    /// `ENABLE caps`.
    pub fn enable(&mut self, caps: &[&str]) -> Result<String, ClientError> {
        self.command(CommandBody::Enable(
            caps.iter()
                .map(|c| Capability((*c).to_owned().into()))
                .collect(),
        ))
    }

    /// `SELECT mailbox` (a Unicode name, encoded as the session requires).
    pub fn select(&mut self, mailbox: &str) -> Result<String, ClientError> {
        let utf8 = self.encode_options().utf8;
        self.command(CommandBody::Select {
            examine: false,
            mailbox: Mailbox::from_unicode(mailbox, utf8),
            condstore: false,
            qresync: None,
        })
    }

    /// `EXAMINE mailbox`.
    pub fn examine(&mut self, mailbox: &str) -> Result<String, ClientError> {
        let utf8 = self.encode_options().utf8;
        self.command(CommandBody::Select {
            examine: true,
            mailbox: Mailbox::from_unicode(mailbox, utf8),
            condstore: false,
            qresync: None,
        })
    }

    /// `[UID] FETCH set items`.
    pub fn fetch(
        &mut self,
        uid: bool,
        set: SequenceSet,
        items: Vec<FetchAttr<'_>>,
    ) -> Result<String, ClientError> {
        self.command(CommandBody::Fetch {
            uid,
            set,
            attrs: FetchAttrs::List {
                paren: items.len() != 1,
                items,
            },
            modifiers: FetchModifiers::default(),
        })
    }

    /// `IDLE`; `now` starts the refresh timer. End it with [`done`](Client::done).
    pub fn idle(&mut self, now: Instant) -> Result<String, ClientError> {
        let tag = self.command(CommandBody::Idle)?;
        self.idle = Some((tag.clone(), Some(now), false));
        self.idle_hinted = false;
        Ok(tag)
    }

    /// `DONE`, ending IDLE (the completion arrives as [`Event::Completed`]).
    pub fn done(&mut self) -> Result<(), ClientError> {
        match &mut self.idle {
            Some((_, _, started)) if *started => {
                *started = false;
                self.out.push_back(b"DONE\r\n".to_vec());
                Ok(())
            }
            _ => Err(ClientError::NotIdling),
        }
    }

    /// Processes bytes received from the server (any split).
    pub fn receive(&mut self, bytes: &[u8]) {
        if self.phase == Phase::Closed || self.phase == Phase::AwaitTls {
            // After STARTTLS OK nothing in clear text may be interpreted.
            return;
        }
        let len = self.config.leniency;
        let lim = self.config.limits;
        // The framer is taken out while its feed is alive, so handlers can borrow `self`.
        let mut framer = std::mem::replace(
            &mut self.framer,
            Framer::new(Side::Client, lim, len.bare_lf),
        );
        let mut feed = framer.feed(bytes);
        while let Some(frame) = feed.next_frame() {
            let action = match frame {
                Err(e) => Action::FrameError(e),
                Ok(Frame::Message(m)) => {
                    if self.phase == Phase::Greeting {
                        match parse_greeting(m, &len, &lim) {
                            Ok(g) => Action::Greeting(g.into_static()),
                            Err(e) => Action::ParseError(e),
                        }
                    } else {
                        match parse_response(m, &len, &lim) {
                            Ok(r) => Action::Response(r.into_static()),
                            Err(e) => Action::ParseError(e),
                        }
                    }
                }
                Ok(Frame::BodyBegin(b)) => match body_target(&b, &len, &lim) {
                    Ok(t) => Action::Event(Event::BodyBegin {
                        seq: t.seq,
                        uid: t.uid(),
                        item: t.item.into_static(),
                        length: b.length,
                    }),
                    Err(e) => Action::ParseError(e),
                },
                Ok(Frame::BodyData(d)) => Action::Event(Event::BodyChunk(d.to_vec())),
                Ok(Frame::BodyEnd) => Action::Event(Event::BodyEnd),
                Ok(Frame::LiteralRequest { .. }) => continue,
            };
            let stop = match action {
                Action::Event(e) => {
                    self.events.push_back(e);
                    Stop::No
                }
                Action::FrameError(e) => {
                    self.protocol_error(e.tag().map(str::to_owned), &e.to_string());
                    Stop::No
                }
                Action::ParseError(e) => {
                    let tag = e.tag.clone();
                    self.protocol_error_parse(tag, &e);
                    Stop::No
                }
                Action::Greeting(g) => self.on_greeting(g),
                Action::Response(r) => self.on_response(r),
            };
            match stop {
                Stop::No => {}
                Stop::Discard => {
                    feed.discard_remaining();
                    break;
                }
                Stop::Compress => {
                    let remaining = feed.take_remaining();
                    self.events
                        .push_back(Event::CompressionActive { remaining });
                    break;
                }
            }
            if self.phase == Phase::Closed {
                break;
            }
        }
        drop(feed);
        self.framer = framer;
    }

    fn protocol_error_parse(&mut self, tag: Option<String>, e: &ParseError) {
        self.protocol_error(tag, &e.to_string());
    }

    fn protocol_error(&mut self, tag: Option<String>, msg: &str) {
        self.events.push_back(Event::ProtocolError(msg.to_owned()));
        if let Some(tag) = tag
            && let Some((name, _)) = self.in_flight.remove(&tag)
        {
            self.tag_done(&tag);
            self.events.push_back(Event::Completed {
                tag,
                command: name,
                status: Status::Bad,
                text: StatusText {
                    code: None,
                    text: b"unparsable completion".to_vec().into(),
                },
            });
        }
    }

    fn on_greeting(&mut self, g: Greeting<'static>) -> Stop {
        if let Some(Code::Capability(c)) = &g.text.code {
            self.capabilities.clone_from(c);
        }
        let status = g.status;
        self.events.push_back(Event::Greeting(g));
        match status {
            Status::Bye => {
                self.close("server refused the connection (BYE greeting)");
                return Stop::No;
            }
            Status::PreAuth if self.config.tls == TlsMode::StartTlsRequired && !self.tls => {
                self.close("PREAUTH over clear text while TLS is required");
                return Stop::No;
            }
            _ => {}
        }
        self.phase = Phase::Running;
        if self.config.tls == TlsMode::StartTlsRequired && !self.tls {
            let known = !self.capabilities.is_empty();
            if known && !self.has_capability("STARTTLS") {
                self.close("server does not offer STARTTLS and TLS is required");
                return Stop::No;
            }
            self.submit(CommandBody::StartTls);
        }
        Stop::No
    }

    fn on_untagged(&mut self, u: &Untagged<'static>) {
        match u {
            Untagged::Capability(c) => self.capabilities.clone_from(c),
            Untagged::Enabled(c) => self.enabled.extend(c.iter().cloned()),
            Untagged::State { status, text } => {
                if let Some(code) = &text.code {
                    self.apply_code(code);
                }
                if *status == Status::Bye {
                    // The tagged LOGOUT completion may still follow; close afterwards.
                }
            }
            Untagged::Flags(f) => {
                if let Some(s) = self.mailbox_mut() {
                    s.flags.clone_from(f);
                }
            }
            Untagged::Exists(n) => {
                if let Some(s) = self.mailbox_mut() {
                    s.exists = *n;
                }
            }
            Untagged::Recent(n) => {
                if let Some(s) = self.mailbox_mut() {
                    s.recent = *n;
                }
            }
            Untagged::Expunge(_) => {
                if let Some(s) = self.mailbox_mut() {
                    s.exists = s.exists.saturating_sub(1);
                }
            }
            Untagged::Vanished { earlier, uids } => {
                if !earlier && let Some(s) = self.mailbox_mut() {
                    let n = uids.iter_values(u32::MAX, s.exists as usize).len();
                    s.exists = s.exists.saturating_sub(n as u32);
                }
            }
            Untagged::Fetch { items, .. } => {
                for i in items {
                    if let FetchItem::ModSeq(m) = i
                        && let Some(s) = self.mailbox_mut()
                        && s.highest_modseq.is_some_and(|h| *m > h)
                    {
                        s.highest_modseq = Some(*m);
                    }
                }
            }
            _ => {}
        }
    }

    fn mailbox_mut(&mut self) -> Option<&mut Selected> {
        let switched = self.select_closed
            || self
                .select_tag
                .is_some_and(|t| self.open_tags.first().is_none_or(|&o| o >= t));
        if self.selecting.is_some() && switched {
            self.selecting.as_mut()
        } else {
            self.selected.as_mut()
        }
    }

    fn apply_code(&mut self, code: &Code<'static>) {
        match code {
            Code::Capability(c) => self.capabilities.clone_from(c),
            Code::PermanentFlags(f) => {
                if let Some(s) = self.mailbox_mut() {
                    s.permanent_flags.clone_from(f);
                }
            }
            Code::UidValidity(v) => {
                if let Some(s) = self.mailbox_mut() {
                    let old = s.uid_validity.replace(*v);
                    if let Some(old) = old
                        && old != *v
                        && !s.mailbox.is_empty()
                    {
                        // Changed while selected (the mailbox was recreated): cached UIDs
                        // are void now, not only at the next SELECT.
                        let mailbox = s.mailbox.clone();
                        self.uid_validities.insert(mailbox.clone(), *v);
                        self.events.push_back(Event::UidValidityChanged {
                            mailbox,
                            old,
                            new: *v,
                        });
                    }
                }
            }
            Code::UidNext(v) => {
                if let Some(s) = self.mailbox_mut() {
                    s.uid_next = Some(*v);
                }
            }
            Code::HighestModSeq(v) => {
                if let Some(s) = self.mailbox_mut() {
                    s.highest_modseq = Some(*v);
                }
            }
            Code::ReadOnly => {
                if let Some(s) = self.mailbox_mut() {
                    s.read_only = true;
                }
            }
            Code::ReadWrite => {
                if let Some(s) = self.mailbox_mut() {
                    s.read_only = false;
                }
            }
            Code::Closed => {
                // The previous mailbox is closed; what follows is about the new one.
                self.selected = None;
                if self.selecting.is_some() {
                    self.select_closed = true;
                }
            }
            _ => {}
        }
    }

    fn on_response(&mut self, r: Response<'static>) -> Stop {
        match r {
            Response::Untagged(u) => {
                self.on_untagged(&u);
                let bye = matches!(
                    u,
                    Untagged::State {
                        status: Status::Bye,
                        ..
                    }
                );
                self.events.push_back(Event::Untagged(u));
                if bye && !self.in_flight.values().any(|(n, _)| *n == "LOGOUT") {
                    self.close("server said BYE");
                }
                Stop::No
            }
            Response::Continuation(c) => {
                self.on_continuation(c.text.into_owned());
                Stop::No
            }
            Response::Tagged(t) => self.on_tagged(t),
        }
    }

    fn on_continuation(&mut self, text: Vec<u8>) {
        if self.waiting_continuation {
            self.waiting_continuation = false;
            // A body announced after `+`?
            if let Some(head) = self.queue.front_mut()
                && let Some(Fragment {
                    next: Next::Body { length, .. },
                    bytes,
                }) = head.fragments.front()
                && bytes.is_empty()
            {
                let length = *length;
                head.fragments.pop_front();
                self.body_left = length;
                let tag = head.tag.clone();
                self.events.push_back(Event::AppendReady { tag, length });
            }
            self.pump();
            return;
        }
        if let Some((tag, sasl)) = &mut self.sasl
            && self.in_flight.contains_key(tag.as_str())
        {
            let line = match sasl.step_line(&text) {
                Ok(l) => l,
                Err(e) => {
                    self.events
                        .push_back(Event::ProtocolError(format!("SASL: {e}")));
                    sasl.cancel().to_owned()
                }
            };
            let mut l = line.into_bytes();
            l.extend_from_slice(b"\r\n");
            self.out.push_back(l);
            return;
        }
        if let Some((tag, _, started)) = &mut self.idle
            && !*started
            && self.in_flight.contains_key(tag.as_str())
        {
            *started = true;
            self.events.push_back(Event::IdleStarted);
            return;
        }
        self.events.push_back(Event::Continuation(text));
    }

    fn on_tagged(&mut self, t: Tagged<'static>) -> Stop {
        let tag = t.tag.as_str().to_owned();
        let mut stop = Stop::No;
        // A command waiting for `+` that was refused instead.
        if self.waiting_continuation
            && self.queue.front().is_some_and(|p| p.tag == tag)
            && let Some(p) = self.queue.pop_front()
        {
            self.waiting_continuation = false;
            self.events
                .push_back(Event::LiteralRejected { tag: tag.clone() });
            self.in_flight.insert(p.tag, (p.name, p.select));
            self.pump();
        }
        let entry = self.in_flight.remove(&tag);
        if entry.is_some() {
            self.tag_done(&tag);
        }
        let (name, select) = entry.unwrap_or(("", None));
        if let Some(code) = &t.text.code {
            self.apply_code(code);
        }
        // Selection bookkeeping.
        if let Some((mailbox, examine)) = select {
            let mut s = self.selecting.take().unwrap_or_default();
            self.select_tag = None;
            self.select_closed = false;
            if t.status == Status::Ok {
                s.mailbox = mailbox;
                if examine {
                    s.read_only = true;
                }
                if let Some(v) = s.uid_validity {
                    if let Some(old) = self.uid_validities.insert(s.mailbox.clone(), v)
                        && old != v
                    {
                        self.events.push_back(Event::UidValidityChanged {
                            mailbox: s.mailbox.clone(),
                            old,
                            new: v,
                        });
                    }
                }
                self.selected = Some(s);
            } else {
                self.selected = None;
            }
        }
        if self.sasl.as_ref().is_some_and(|(t2, _)| *t2 == tag)
            && let Some((_, mut sasl)) = self.sasl.take()
            && t.status == Status::Ok
            && let Err(e) = sasl.finish(None)
        {
            self.events
                .push_back(Event::ProtocolError(format!("SASL: {e}")));
            self.close("server authentication could not be verified");
        }
        if self.idle.as_ref().is_some_and(|(t2, _, _)| *t2 == tag) {
            self.idle = None;
        }
        if self.starttls_tag.as_deref() == Some(tag.as_str()) {
            self.starttls_tag = None;
            if t.status == Status::Ok {
                // RFC 3501 6.2.1: what was learnt in clear text is void from here.
                self.phase = Phase::AwaitTls;
                self.capabilities.clear();
                stop = Stop::Discard;
            } else if self.config.tls == TlsMode::StartTlsRequired {
                self.events.push_back(Event::Completed {
                    tag,
                    command: name,
                    status: t.status,
                    text: t.text,
                });
                self.close("STARTTLS refused while TLS is required");
                return Stop::No;
            }
        }
        if self.compress_tag.as_deref() == Some(tag.as_str()) {
            self.compress_tag = None;
            if t.status == Status::Ok {
                stop = Stop::Compress;
            }
        }
        let logout = name == "LOGOUT";
        self.events.push_back(Event::Completed {
            tag,
            command: name,
            status: t.status,
            text: t.text,
        });
        if stop == Stop::Discard {
            self.events.push_back(Event::StartTls);
        }
        if logout {
            self.close("logged out");
        }
        stop
    }
}

enum Action {
    Event(Event),
    FrameError(FrameError),
    ParseError(ParseError),
    Greeting(Greeting<'static>),
    Response(Response<'static>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    No,
    Discard,
    Compress,
}

/// The number in one of our tags (`a17` -> 17).
fn tag_number(tag: &str) -> Option<u64> {
    tag.strip_prefix('a')?.parse().ok()
}

fn command_name(b: &CommandBody<'_>) -> &'static str {
    use CommandBody as C;
    match b {
        C::Capability => "CAPABILITY",
        C::Noop => "NOOP",
        C::Logout => "LOGOUT",
        C::StartTls => "STARTTLS",
        C::Authenticate { .. } => "AUTHENTICATE",
        C::Login { .. } => "LOGIN",
        C::Enable(_) => "ENABLE",
        C::Select { examine: false, .. } => "SELECT",
        C::Select { examine: true, .. } => "EXAMINE",
        C::Create { .. } => "CREATE",
        C::Delete(_) => "DELETE",
        C::Rename(..) => "RENAME",
        C::Subscribe(_) => "SUBSCRIBE",
        C::Unsubscribe(_) => "UNSUBSCRIBE",
        C::List { .. } => "LIST",
        C::Lsub { .. } => "LSUB",
        C::Namespace => "NAMESPACE",
        C::Status { .. } => "STATUS",
        C::Append { .. } => "APPEND",
        C::Idle => "IDLE",
        C::Check => "CHECK",
        C::Close => "CLOSE",
        C::Unselect => "UNSELECT",
        C::Expunge { uids: None } => "EXPUNGE",
        C::Expunge { uids: Some(_) } => "UID EXPUNGE",
        C::Search { uid: false, .. } => "SEARCH",
        C::Search { uid: true, .. } => "UID SEARCH",
        C::Fetch { uid: false, .. } => "FETCH",
        C::Fetch { uid: true, .. } => "UID FETCH",
        C::Store { uid: false, .. } => "STORE",
        C::Store { uid: true, .. } => "UID STORE",
        C::Copy { uid: false, .. } => "COPY",
        C::Copy { uid: true, .. } => "UID COPY",
        C::Move { uid: false, .. } => "MOVE",
        C::Move { uid: true, .. } => "UID MOVE",
        C::Id(_) => "ID",
        C::Sort { .. } => "SORT",
        C::Thread { .. } => "THREAD",
        C::GetQuota(_) => "GETQUOTA",
        C::GetQuotaRoot(_) => "GETQUOTAROOT",
        C::Compress(_) => "COMPRESS",
        C::Other { .. } => "OTHER",
    }
}
