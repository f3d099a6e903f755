//! The server state machine (sans-IO).
//!
//! Bytes from the client go in through [`Server::receive`]; what to send comes out of
//! [`Server::poll_transmit`]; what happened and what the application must decide comes out
//! of [`Server::poll_event`]. Decisions that need storage (a password, a mailbox, message
//! data) are events the application answers with methods (`accept_login`, `select_ok`,
//! `fetch_message`, `complete`, ...). One command is decided at a time: while an answer is
//! pending, later input stays buffered (pipelined commands are handled in order).
//!
//! The machine owns the protocol: CAPABILITY from the configuration, state gating
//! (not authenticated / authenticated / selected / logout), literal acceptance with limits
//! (`+ OK` for synchronising literals, `NO [TOOBIG]` over the limits, the rest consumed to
//! resynchronise), STARTTLS (bytes buffered before the upgrade are discarded), the
//! sequence-number / UID map of the selected mailbox, EXPUNGE/EXISTS only where RFC 3501
//! 7.4.1 allows them, and the FETCH response items computed from the message data the
//! application supplies (with the `mime` feature, ENVELOPE, BODYSTRUCTURE and part
//! sections come from [`correo_mime`]).
//!
//! ```
//! use correo_imap::server::{Event, MailboxView, Server, ServerConfig};
//!
//! let mut config = ServerConfig::default();
//! config.allow_plaintext_auth = true;
//! let mut server = Server::new(config);
//! let mut out = Vec::new();
//! while let Some(b) = server.poll_transmit() { out.extend_from_slice(&b); }
//! assert!(out.starts_with(b"* OK [CAPABILITY IMAP4rev1 "));
//!
//! server.receive(b"a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n");
//! match server.poll_event() {
//!     Some(Event::Login { username, password }) => {
//!         assert_eq!((&username[..], &password[..]), (&b"alice"[..], &b"secret"[..]));
//!         server.accept_login();
//!     }
//!     e => panic!("{e:?}"),
//! }
//! match server.poll_event() {
//!     Some(Event::Select { .. }) => server.select_ok(MailboxView {
//!         uids: vec![1, 2],
//!         uid_validity: 7,
//!         uid_next: 3,
//!         ..MailboxView::default()
//!     }),
//!     e => panic!("{e:?}"),
//! }
//! out.clear();
//! while let Some(b) = server.poll_transmit() { out.extend_from_slice(&b); }
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("* 2 EXISTS\r\n"));
//! assert!(text.ends_with("a2 OK [READ-WRITE] Select completed.\r\n"));
//! ```

mod fetch;

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::encode::{EncodeOptions, encode_greeting, encode_response_to};
use crate::frame::{Frame, Framer, RawMessage, Side};
use crate::parse::{ClientLineKind, parse_client_line};
use crate::types::{
    Capability, ClientLine, Code, Command, CommandBody, ESearch, ESearchItem, FetchAttr,
    FetchAttrs, Flag, Greeting, ListItem, ListOptions, Mailbox, Response, SearchKey, SearchReturn,
    SeqNum, SeqRange, SequenceSet, Status, StatusItem, StatusText, StoreMode, Tag, Tagged,
    Untagged,
};
use crate::{FrameError, Leniency, Limits};

pub use fetch::{
    MessageData, fetch_items, header_fields, needs_bytes, section_bytes, split_header,
};

/// How the server greets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GreetingKind {
    /// `* OK`: not authenticated.
    #[default]
    Ok,
    /// `* PREAUTH`: already authenticated (for example on a local socket).
    PreAuth,
    /// `* BYE`: the server refuses the connection.
    Bye,
}

/// The server's configuration: what it advertises and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The greeting's kind.
    pub greeting: GreetingKind,
    /// The greeting's text. Default `correo ready.`
    pub greeting_text: String,
    /// The connection is TLS from the start (imaps).
    pub implicit_tls: bool,
    /// STARTTLS is offered (the caller has a certificate). Never advertised inside TLS.
    pub starttls: bool,
    /// LOGIN and AUTHENTICATE are allowed without TLS. When false, `LOGINDISABLED` is
    /// advertised before TLS and no `AUTH=` mechanism is.
    pub allow_plaintext_auth: bool,
    /// SASL mechanisms, upper case (`PLAIN`, `LOGIN`, `CRAM-MD5`); advertised as `AUTH=`.
    /// The application runs them (for example with `correo_wire::sasl::server`).
    pub auth_mechanisms: Vec<String>,
    /// Advertise and accept SASL-IR (an initial response in AUTHENTICATE).
    pub sasl_ir: bool,
    /// `LITERAL+` (true) — non-synchronising literals of any size. When false and
    /// [`literal_minus`](Self::literal_minus) is true, `LITERAL-`.
    pub literal_plus: bool,
    /// `LITERAL-`: non-synchronising literals up to 4096 bytes.
    pub literal_minus: bool,
    /// `IDLE`.
    pub idle: bool,
    /// `ID`; with the parameters answered (`None`: `* ID NIL`).
    pub id: Option<Vec<(String, String)>>,
    /// `ENABLE` (answered with an empty `* ENABLED`: no enableable extension is implemented).
    pub enable: bool,
    /// `NAMESPACE`, answered with the personal namespace `("" "/")`.
    pub namespace: bool,
    /// The hierarchy delimiter (for NAMESPACE). Default `/`.
    pub delimiter: u8,
    /// `UIDPLUS` (APPENDUID/COPYUID, UID EXPUNGE).
    pub uidplus: bool,
    /// `MOVE`.
    pub move_command: bool,
    /// `UNSELECT`.
    pub unselect: bool,
    /// `CHILDREN`.
    pub children: bool,
    /// `SPECIAL-USE`.
    pub special_use: bool,
    /// `LIST-EXTENDED` (options are passed to the application).
    pub list_extended: bool,
    /// `ESEARCH` (SEARCH RETURN).
    pub esearch: bool,
    /// `BINARY` (FETCH BINARY[...] decoded by correo-mime; advertised only with the `mime`
    /// feature).
    pub binary: bool,
    /// Largest APPEND message accepted, in bytes (`NO [TOOBIG]` over it).
    pub max_append: u64,
    /// Framing and grammar limits (line, non-message literals, depth, items).
    pub limits: Limits,
    /// Leniency of the command parser.
    pub leniency: Leniency,
    /// Bad commands in a row before `* BYE` (Dovecot: 20).
    pub max_bad_commands: u32,
    /// Most messages one FETCH/STORE/COPY/SEARCH may name (the UID set is expanded).
    pub max_set_size: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: GreetingKind::Ok,
            greeting_text: "correo ready.".into(),
            implicit_tls: false,
            starttls: false,
            allow_plaintext_auth: false,
            auth_mechanisms: vec!["PLAIN".into()],
            sasl_ir: true,
            literal_plus: true,
            literal_minus: false,
            idle: true,
            id: None,
            enable: true,
            namespace: true,
            delimiter: b'/',
            uidplus: true,
            move_command: true,
            unselect: true,
            children: true,
            special_use: true,
            list_extended: true,
            esearch: true,
            binary: true,
            max_append: 64 << 20,
            limits: Limits::default(),
            leniency: Leniency::default(),
            max_bad_commands: 20,
            max_set_size: 1_000_000,
        }
    }
}

/// The protocol state (RFC 3501 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Before LOGIN/AUTHENTICATE.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected,
    /// LOGOUT (or BYE) done: the caller closes the connection.
    Logout,
}

/// What the application supplies when a SELECT/EXAMINE succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxView {
    /// `* FLAGS`. Default: the five system flags.
    pub flags: Vec<Flag<'static>>,
    /// `PERMANENTFLAGS`; `None`: the flags plus `\*` (read-write) or `()` (read-only).
    pub permanent_flags: Option<Vec<Flag<'static>>>,
    /// UIDs of the messages, in sequence order (strictly ascending).
    pub uids: Vec<u32>,
    /// `* n RECENT`.
    pub recent: u32,
    /// Sequence number of the first unseen message (`OK [UNSEEN n]`).
    pub first_unseen: Option<u32>,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDNEXT.
    pub uid_next: u32,
    /// Read-only (EXAMINE always is).
    pub read_only: bool,
}

impl Default for MailboxView {
    fn default() -> Self {
        MailboxView {
            flags: vec![
                Flag::Answered,
                Flag::Flagged,
                Flag::Deleted,
                Flag::Seen,
                Flag::Draft,
            ],
            permanent_flags: None,
            uids: Vec::new(),
            recent: 0,
            first_unseen: None,
            uid_validity: 1,
            uid_next: 1,
            read_only: false,
        }
    }
}

/// A message of the selected mailbox named by a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageRef {
    /// Sequence number.
    pub seq: u32,
    /// UID.
    pub uid: u32,
}

/// What happened, or what the application must decide. Answers are given with the
/// methods named on each variant; until then later commands wait.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `LOGIN`: answer [`Server::accept_login`] or [`Server::reject_login`].
    Login {
        /// User name.
        username: Vec<u8>,
        /// Password.
        password: Vec<u8>,
    },
    /// `AUTHENTICATE`: answer [`Server::auth_challenge`] (more steps),
    /// [`Server::accept_login`] or [`Server::reject_login`].
    Authenticate {
        /// Mechanism, upper case (one of the configured ones).
        mechanism: String,
        /// The decoded initial response (SASL-IR), if given.
        initial: Option<Vec<u8>>,
    },
    /// A decoded client response during AUTHENTICATE.
    AuthResponse(Vec<u8>),
    /// The client cancelled AUTHENTICATE (`*`); already answered `BAD`.
    AuthCancelled,
    /// STARTTLS accepted: start TLS on the connection, then call
    /// [`Server::tls_established`]. Bytes received before it were discarded.
    StartTls,
    /// `SELECT`/`EXAMINE`: answer [`Server::select_ok`] or [`Server::complete`] (`NO`).
    /// Any previously selected mailbox is already deselected.
    Select {
        /// The mailbox.
        mailbox: Mailbox<'static>,
        /// `EXAMINE`.
        examine: bool,
    },
    /// `CREATE`: answer [`Server::complete`].
    Create(Mailbox<'static>),
    /// `DELETE`: answer [`Server::complete`].
    Delete(Mailbox<'static>),
    /// `RENAME`: answer [`Server::complete`].
    Rename {
        /// Old name.
        from: Mailbox<'static>,
        /// New name.
        to: Mailbox<'static>,
    },
    /// `SUBSCRIBE`/`UNSUBSCRIBE`: answer [`Server::complete`].
    Subscribe {
        /// The mailbox.
        mailbox: Mailbox<'static>,
        /// `SUBSCRIBE` (true) or `UNSUBSCRIBE`.
        subscribe: bool,
    },
    /// `LIST`/`LSUB`: answer [`Server::list_item`] per mailbox, then [`Server::complete`].
    List {
        /// Reference.
        reference: Mailbox<'static>,
        /// Patterns.
        patterns: Vec<Mailbox<'static>>,
        /// `LSUB`.
        lsub: bool,
        /// LIST-EXTENDED options.
        options: ListOptions<'static>,
    },
    /// `STATUS`: answer [`Server::status`] then [`Server::complete`].
    Status {
        /// The mailbox.
        mailbox: Mailbox<'static>,
        /// Items.
        items: Vec<StatusItem<'static>>,
    },
    /// An APPEND message starts (its data follows as [`Event::AppendData`]).
    AppendBegin {
        /// Its length.
        length: u64,
        /// `~{n}` (BINARY).
        binary: bool,
    },
    /// Bytes of an APPEND message.
    AppendData(Vec<u8>),
    /// The APPEND message ended.
    AppendEnd,
    /// The APPEND command is complete (its messages were streamed before): answer
    /// [`Server::append_ok`] or [`Server::complete`] (`NO [TRYCREATE]`).
    Append {
        /// Destination.
        mailbox: Mailbox<'static>,
        /// Per message streamed: flags and raw internal date.
        messages: Vec<AppendedMessage>,
    },
    /// `FETCH`: answer [`Server::fetch_message`] per message, then [`Server::complete`].
    Fetch {
        /// `UID FETCH`.
        uid: bool,
        /// The messages (existing ones, in order).
        messages: Vec<MessageRef>,
        /// The items (macros expanded).
        attrs: Vec<FetchAttr<'static>>,
    },
    /// A non-PEEK body fetch set `\Seen` on a message: store it.
    SeenSet {
        /// The message's UID.
        uid: u32,
    },
    /// `STORE`: answer [`Server::store_flags`] per message (the new flags), then
    /// [`Server::complete`].
    Store {
        /// `UID STORE`.
        uid: bool,
        /// The messages.
        messages: Vec<MessageRef>,
        /// Replace, add or remove.
        mode: StoreMode,
        /// The flags.
        flags: Vec<Flag<'static>>,
        /// `.SILENT`.
        silent: bool,
    },
    /// `COPY`/`MOVE`: answer [`Server::copy_ok`] (for MOVE, report the moved messages
    /// with [`Server::expunged`] first) or [`Server::complete`] (`NO [TRYCREATE]`).
    Copy {
        /// Source UIDs, in order.
        uids: Vec<u32>,
        /// Destination.
        mailbox: Mailbox<'static>,
        /// `MOVE`.
        is_move: bool,
    },
    /// `EXPUNGE` / `UID EXPUNGE`: report each removed message with [`Server::expunged`],
    /// then [`Server::complete`].
    Expunge {
        /// For `UID EXPUNGE`: only these UIDs (among those flagged `\Deleted`).
        uids: Option<Vec<u32>>,
    },
    /// `CLOSE` (expunge silently, `expunge` true) or `UNSELECT`: answer
    /// [`Server::complete`]. Nothing is reported to the client.
    Close {
        /// `CLOSE`.
        expunge: bool,
    },
    /// `SEARCH`: answer [`Server::search_result`].
    Search {
        /// `UID SEARCH`: answer with UIDs.
        uid: bool,
        /// `CHARSET`.
        charset: Option<Vec<u8>>,
        /// The keys (ANDed).
        keys: Vec<SearchKey<'static>>,
    },
    /// `NOOP`/`CHECK`: a chance to report mailbox changes; answer [`Server::complete`].
    Noop,
    /// IDLE started (`+ idling` sent): push changes with [`Server::exists`],
    /// [`Server::expunged`], [`Server::flags_changed`]; they are sent at once.
    Idle,
    /// IDLE ended (`DONE`, answered).
    IdleDone,
    /// The session ended (LOGOUT, BYE, too many errors): close the connection after
    /// sending what [`Server::poll_transmit`] gives.
    Closed,
}

/// One message of an APPEND: its flags and raw internal date, if given.
pub type AppendedMessage = (Option<Vec<Flag<'static>>>, Option<Vec<u8>>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Login,
    Auth,
    Select {
        examine: bool,
    },
    Simple(&'static str),
    List {
        lsub: bool,
    },
    Status,
    Append,
    Fetch {
        uid: bool,
    },
    Store {
        uid: bool,
        silent: bool,
    },
    Copy {
        is_move: bool,
    },
    Expunge,
    Close(&'static str),
    Search {
        uid: bool,
        ret: Option<Vec<SearchReturn>>,
    },
    Noop(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Command,
    AuthData,
    Idle,
    AwaitTls,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Update {
    Exists(u32),
    Expunge(u32),
    Flags(u32, Vec<Flag<'static>>),
    Recent(u32),
}

#[derive(Debug, Clone)]
struct Selected {
    uids: Vec<u32>,
    read_only: bool,
    /// Exists announced since the last flush (coalesced).
    queue: Vec<Update>,
}

/// What a frame handler asks the feeding loop to do.
enum Ctl {
    Go,
    Reject,
    Discard,
}

/// The server state machine. See the [module documentation](self).
#[derive(Debug)]
pub struct Server {
    framer: Framer,
    core: Core,
    held: Vec<u8>,
}

#[derive(Debug)]
struct Core {
    config: ServerConfig,
    state: State,
    mode: Mode,
    tls: bool,
    out: Vec<u8>,
    events: VecDeque<Event>,
    tag: String,
    pending: Option<Pending>,
    selected: Option<Selected>,
    bad: u32,
    /// APPEND in progress: (skip the data, reason).
    append_skip: Option<&'static str>,
    append_count: usize,
    fetch_attrs: Option<Vec<FetchAttr<'static>>>,
}

impl Server {
    /// A server; the greeting is ready in [`poll_transmit`](Self::poll_transmit).
    pub fn new(config: ServerConfig) -> Server {
        let framer = Framer::new(Side::Server, config.limits, config.leniency.bare_lf);
        let tls = config.implicit_tls;
        let mut core = Core {
            state: State::NotAuthenticated,
            mode: Mode::Command,
            tls,
            out: Vec::new(),
            events: VecDeque::new(),
            tag: String::new(),
            pending: None,
            selected: None,
            bad: 0,
            append_skip: None,
            append_count: 0,
            fetch_attrs: None,
            config,
        };
        core.greet();
        Server {
            framer,
            core,
            held: Vec::new(),
        }
    }

    /// The protocol state.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// Whether the connection is (now) under TLS.
    pub fn is_tls(&self) -> bool {
        self.core.tls
    }

    /// The capabilities advertised now.
    pub fn capabilities(&self) -> Vec<String> {
        self.core.capabilities()
    }

    /// The messages of the selected mailbox as the client knows them (sequence order).
    pub fn messages(&self) -> impl Iterator<Item = MessageRef> + '_ {
        self.core
            .selected
            .iter()
            .flat_map(|s| s.uids.iter())
            .zip(1u32..)
            .map(|(&uid, seq)| MessageRef { seq, uid })
    }

    /// The UID of sequence number `seq` in the client's view.
    pub fn uid_of(&self, seq: u32) -> Option<u32> {
        let s = self.core.selected.as_ref()?;
        s.uids
            .get(usize::try_from(seq.checked_sub(1)?).ok()?)
            .copied()
    }

    /// The sequence number of `uid` in the client's view.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        let s = self.core.selected.as_ref()?;
        let i = s.uids.binary_search(&uid).ok()?;
        u32::try_from(i + 1).ok()
    }

    /// Bytes from the client (any split).
    pub fn receive(&mut self, bytes: &[u8]) {
        if matches!(self.core.mode, Mode::Closed | Mode::AwaitTls) {
            return;
        }
        self.pump(bytes);
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// Bytes to send to the client.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.core.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.core.out))
        }
    }

    /// TLS is up after [`Event::StartTls`]: commands are read again (capabilities change).
    pub fn tls_established(&mut self) {
        if self.core.mode == Mode::AwaitTls {
            self.framer.discard();
            self.held.clear();
            self.core.tls = true;
            self.core.mode = Mode::Command;
        }
    }

    /// Whether an answer from the application is awaited.
    pub fn is_waiting(&self) -> bool {
        self.core.pending.is_some()
    }

    fn pump(&mut self, chunk: &[u8]) {
        // Bytes not framed yet because an answer is pending are held here (the framer's
        // `Feed` does not keep unpulled bytes when dropped).
        let mut input: Cow<'_, [u8]> = if self.held.is_empty() {
            Cow::Borrowed(chunk)
        } else {
            let mut v = std::mem::take(&mut self.held);
            v.extend_from_slice(chunk);
            Cow::Owned(v)
        };
        loop {
            let mut reject = false;
            let mut rest = Vec::new();
            {
                let mut feed = self.framer.feed(&input);
                loop {
                    if !self.core.ready() {
                        rest = feed.remaining().to_vec();
                        break;
                    }
                    let Some(r) = feed.next_frame() else { break };
                    match self.core.on_frame(r) {
                        Ctl::Go => {}
                        Ctl::Reject => {
                            reject = true;
                            rest = feed.remaining().to_vec();
                            break;
                        }
                        Ctl::Discard => {
                            feed.discard_remaining();
                            break;
                        }
                    }
                }
            }
            if reject {
                self.framer.reject_literal();
                input = Cow::Owned(rest);
                continue;
            }
            if self.core.mode == Mode::Closed || self.core.mode == Mode::AwaitTls {
                rest.clear();
            }
            // Input piling up while the application does not answer: bounded.
            let cap = self
                .core
                .config
                .limits
                .max_message
                .saturating_add(self.core.config.limits.max_line_len);
            if rest.len() > cap {
                rest.clear();
                self.core.bye("Too much pipelined input.");
            }
            self.held = rest;
            break;
        }
    }

    fn answered(&mut self) {
        self.core.pending = None;
        if self.core.ready() {
            self.pump(&[]);
        }
    }

    // ----- answers -----

    /// LOGIN/AUTHENTICATE succeeded: `tag OK [CAPABILITY ...] Logged in`.
    pub fn accept_login(&mut self) {
        if !matches!(self.core.pending, Some(Pending::Login | Pending::Auth)) {
            return;
        }
        self.core.state = State::Authenticated;
        self.core.mode = Mode::Command;
        let caps = self.core.capability_list();
        self.core
            .tagged(Status::Ok, Some(Code::Capability(caps)), "Logged in");
        self.answered();
    }

    /// LOGIN/AUTHENTICATE failed: `tag NO [AUTHENTICATIONFAILED] text`.
    pub fn reject_login(&mut self, text: &str) {
        if !matches!(self.core.pending, Some(Pending::Login | Pending::Auth)) {
            return;
        }
        self.core.mode = Mode::Command;
        self.core
            .tagged(Status::No, Some(Code::AuthenticationFailed), text);
        self.answered();
    }

    /// Sends an AUTHENTICATE challenge (`+ base64`); the client's answer comes as
    /// [`Event::AuthResponse`].
    pub fn auth_challenge(&mut self, challenge: &[u8]) {
        if self.core.pending != Some(Pending::Auth) {
            return;
        }
        self.core.out.extend_from_slice(b"+ ");
        self.core
            .out
            .extend_from_slice(correo_wire::sasl::framing::encode_response(challenge).as_bytes());
        self.core.out.extend_from_slice(b"\r\n");
        self.core.mode = Mode::AuthData;
        // The response is read as input: let the loop run.
        self.pump(&[]);
    }

    /// SELECT/EXAMINE succeeded: writes FLAGS, PERMANENTFLAGS, EXISTS, RECENT, UNSEEN,
    /// UIDVALIDITY, UIDNEXT and the tagged `OK [READ-WRITE]`/`[READ-ONLY]`.
    pub fn select_ok(&mut self, mut view: MailboxView) {
        let Some(Pending::Select { examine }) = self.core.pending else {
            return;
        };
        view.read_only |= examine;
        view.uids.sort_unstable();
        view.uids.dedup();
        let c = &mut self.core;
        c.untagged(Untagged::Flags(view.flags.clone()));
        let (perm, text) = match view.permanent_flags.take() {
            Some(p) => (p, "Flags permitted."),
            None if view.read_only => (Vec::new(), "Read-only mailbox."),
            None => {
                let mut p = view.flags.clone();
                p.push(Flag::Wildcard);
                (p, "Flags permitted.")
            }
        };
        c.state_line(Code::PermanentFlags(perm), text);
        let n = u32::try_from(view.uids.len()).unwrap_or(u32::MAX);
        c.untagged(Untagged::Exists(n));
        c.untagged(Untagged::Recent(view.recent));
        if let Some(u) = view.first_unseen {
            c.state_line(Code::Unseen(u), "First unseen.");
        }
        c.state_line(Code::UidValidity(view.uid_validity), "UIDs valid");
        c.state_line(Code::UidNext(view.uid_next), "Predicted next UID");
        c.selected = Some(Selected {
            uids: view.uids,
            read_only: view.read_only,
            queue: Vec::new(),
        });
        c.state = State::Selected;
        let (code, text) = if view.read_only {
            (
                Code::ReadOnly,
                if examine {
                    "Examine completed."
                } else {
                    "Select completed."
                },
            )
        } else {
            (Code::ReadWrite, "Select completed.")
        };
        c.tagged(Status::Ok, Some(code), text);
        self.answered();
    }

    /// Sends one LIST/LSUB line for the pending LIST/LSUB.
    pub fn list_item(&mut self, item: ListItem<'_>) {
        let Some(Pending::List { lsub }) = self.core.pending else {
            return;
        };
        let u = if lsub {
            Untagged::Lsub(item)
        } else {
            Untagged::List(item)
        };
        self.core.untagged(u);
    }

    /// Sends a STATUS line for the pending STATUS (or LIST with `RETURN (STATUS ...)`).
    pub fn status(&mut self, mailbox: Mailbox<'_>, items: Vec<(StatusItem<'_>, u64)>) {
        // Also during LIST ... RETURN (STATUS (...)) (LIST-STATUS), after each LIST line.
        if !matches!(
            self.core.pending,
            Some(Pending::Status | Pending::List { lsub: false })
        ) {
            return;
        }
        self.core
            .untagged(Untagged::MailboxStatus { mailbox, items });
    }

    /// APPEND done: `tag OK [APPENDUID validity uids] Append completed` (the code when
    /// `uids` is given and UIDPLUS is on).
    pub fn append_ok(&mut self, uids: Option<(u32, Vec<u32>)>) {
        if self.core.pending != Some(Pending::Append) {
            return;
        }
        let code = uids
            .filter(|_| self.core.config.uidplus)
            .map(|(validity, uids)| Code::AppendUid {
                validity,
                uids: compress(&uids),
            });
        self.core.flush_updates();
        self.core.tagged(Status::Ok, code, "Append completed.");
        self.answered();
    }

    /// One message of the pending FETCH: the response items are computed from `data`.
    pub fn fetch_message(&mut self, seq: u32, data: &MessageData<'_>) {
        let Some(Pending::Fetch { uid }) = self.core.pending else {
            return;
        };
        let Some(attrs) = self.core.fetch_attrs.take() else {
            return;
        };
        let read_only = self.core.selected.as_ref().is_none_or(|s| s.read_only);
        let (items, seen) = fetch_items(&attrs, data, uid, read_only);
        self.core.fetch_attrs = Some(attrs);
        if seen {
            self.core.events.push_back(Event::SeenSet { uid: data.uid });
        }
        self.core.untagged(Untagged::Fetch { seq, items });
    }

    /// The new flags of one message of the pending STORE (sent unless `.SILENT`).
    pub fn store_flags(&mut self, seq: u32, flags: Vec<Flag<'_>>) {
        let Some(Pending::Store { uid, silent }) = self.core.pending else {
            return;
        };
        if silent {
            return;
        }
        let mut items = vec![crate::types::FetchItem::Flags(flags)];
        if uid && let Some(u) = self.uid_of(seq) {
            items.push(crate::types::FetchItem::Uid(u));
        }
        self.core.untagged(Untagged::Fetch { seq, items });
    }

    /// COPY/MOVE done. `uids`: (destination UIDVALIDITY, source UIDs, destination UIDs)
    /// for `COPYUID`.
    pub fn copy_ok(&mut self, uids: Option<(u32, Vec<u32>, Vec<u32>)>) {
        let Some(Pending::Copy { is_move }) = self.core.pending else {
            return;
        };
        let code = uids
            .filter(|_| self.core.config.uidplus)
            .map(|(validity, s, d)| Code::CopyUid {
                validity,
                source: compress(&s),
                destination: compress(&d),
            });
        if is_move {
            if let Some(code) = code {
                self.core.state_line(code, "Moved UIDs.");
            }
            self.core.flush_updates();
            self.core.tagged(Status::Ok, None, "Move completed.");
        } else {
            self.core.flush_updates();
            self.core.tagged(Status::Ok, code, "Copy completed.");
        }
        self.answered();
    }

    /// The result of the pending SEARCH: sequence numbers (SEARCH) or UIDs (UID SEARCH).
    pub fn search_result(&mut self, ids: &[u32]) {
        let Some(Pending::Search { uid, ret }) = self.core.pending.clone() else {
            return;
        };
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        match ret {
            None => self.core.untagged(Untagged::Search { ids, modseq: None }),
            Some(ret) => {
                let ret = if ret.is_empty() {
                    vec![SearchReturn::All]
                } else {
                    ret
                };
                let mut items = Vec::new();
                for r in ret {
                    match r {
                        SearchReturn::Min => {
                            items.extend(ids.first().map(|&n| ESearchItem::Min(n)));
                        }
                        SearchReturn::Max => items.extend(ids.last().map(|&n| ESearchItem::Max(n))),
                        SearchReturn::Count => items.push(ESearchItem::Count(
                            u32::try_from(ids.len()).unwrap_or(u32::MAX),
                        )),
                        SearchReturn::All if !ids.is_empty() => {
                            items.push(ESearchItem::All(compress(&ids)));
                        }
                        _ => {}
                    }
                }
                let tag = self.core.tag.clone().into_bytes();
                self.core.untagged(Untagged::ESearch(ESearch {
                    tag: Some(Cow::Owned(tag)),
                    uid,
                    items,
                }));
            }
        }
        if uid {
            self.core.flush_updates();
        }
        self.core.tagged(Status::Ok, None, "Search completed.");
        self.answered();
    }

    /// Ends the pending command: `tag OK/NO/BAD [code] text` (an empty text gives the
    /// command's usual one, `Create completed`, ...). Queued mailbox changes are sent
    /// first where allowed.
    pub fn complete(&mut self, status: Status, code: Option<Code<'_>>, text: &str) {
        let Some(p) = self.core.pending.clone() else {
            return;
        };
        let c = &mut self.core;
        match p {
            Pending::Login | Pending::Auth => {
                if status == Status::Ok {
                    self.accept_login();
                } else {
                    let t = if text.is_empty() {
                        "Authentication failed."
                    } else {
                        text
                    };
                    self.reject_login(t);
                }
                return;
            }
            Pending::Select { .. } => {
                if status == Status::Ok {
                    // An OK without a view: an empty mailbox.
                    self.select_ok(MailboxView::default());
                    return;
                }
            }
            Pending::Close(_) => {
                c.selected = None;
                c.state = State::Authenticated;
            }
            Pending::Fetch { .. } | Pending::Store { .. } => {
                c.fetch_attrs = None;
                if c.pending_uid_variant() {
                    c.flush_updates();
                } else {
                    c.flush_exists_only();
                }
            }
            Pending::Search { uid, .. } => {
                if uid {
                    c.flush_updates();
                }
            }
            _ => c.flush_updates(),
        }
        let default = match &p {
            Pending::Simple(t) | Pending::Noop(t) => *t,
            Pending::List { lsub: false } => "List completed.",
            Pending::List { lsub: true } => "Lsub completed.",
            Pending::Status => "Status completed.",
            Pending::Append => "Append completed.",
            Pending::Fetch { .. } => "Fetch completed.",
            Pending::Store { .. } => "Store completed.",
            Pending::Copy { is_move: false } => "Copy completed.",
            Pending::Copy { is_move: true } => "Move completed.",
            Pending::Expunge => "Expunge completed.",
            Pending::Close(t) => t,
            Pending::Search { .. } => "Search completed.",
            Pending::Select { .. } => "Select failed",
            Pending::Login | Pending::Auth => "",
        };
        let text = if text.is_empty() { default } else { text };
        c.tagged(status, code, text);
        self.answered();
    }

    // ----- mailbox changes (any time while a mailbox is selected) -----

    /// A new message with `uid` arrived in the selected mailbox.
    pub fn exists(&mut self, uid: u32) {
        self.core.update(Update::Exists(uid));
    }

    /// The message with `uid` was removed from the selected mailbox.
    pub fn expunged(&mut self, uid: u32) {
        if matches!(self.core.pending, Some(Pending::Close(_))) {
            return;
        }
        self.core.update(Update::Expunge(uid));
    }

    /// The flags of the message with `uid` changed (by another session).
    pub fn flags_changed(&mut self, uid: u32, flags: Vec<Flag<'_>>) {
        let flags = flags.into_iter().map(Flag::into_static).collect();
        self.core.update(Update::Flags(uid, flags));
    }

    /// The number of `\Recent` messages changed (IMAP4rev1 `* n RECENT`, sent with the
    /// other mailbox changes).
    pub fn recent(&mut self, count: u32) {
        self.core.update(Update::Recent(count));
    }

    /// Sends `* BYE text` and ends the session (shutdown, idle timeout).
    pub fn bye(&mut self, text: &str) {
        self.core.bye(text);
    }
}

/// A sequence set from sorted numbers, ranges compressed (`1:3,7`).
pub fn compress(ids: &[u32]) -> SequenceSet {
    let mut v = Vec::new();
    let mut it = ids.iter().copied().peekable();
    while let Some(a) = it.next() {
        let mut b = a;
        while let Some(&n) = it.peek() {
            if Some(n) == b.checked_add(1) {
                b = n;
                it.next();
            } else {
                break;
            }
        }
        v.push(if a == b {
            SeqRange::Single(SeqNum::Value(a))
        } else {
            SeqRange::Range(SeqNum::Value(a), SeqNum::Value(b))
        });
    }
    SequenceSet::Ranges(v)
}

impl Core {
    fn ready(&self) -> bool {
        self.pending.is_none() && matches!(self.mode, Mode::Command | Mode::Idle)
            || self.mode == Mode::AuthData
    }

    fn untagged(&mut self, u: Untagged<'_>) {
        let o = EncodeOptions::default();
        encode_response_to(&Response::Untagged(u), &o, &mut self.out);
    }

    fn state_line(&mut self, code: Code<'_>, text: &str) {
        self.untagged(Untagged::State {
            status: Status::Ok,
            text: StatusText {
                code: Some(code),
                text: Cow::Borrowed(text.as_bytes()),
            },
        });
    }

    fn tagged_to(&mut self, tag: &str, status: Status, code: Option<Code<'_>>, text: &str) {
        let o = EncodeOptions::default();
        encode_response_to(
            &Response::Tagged(Tagged {
                tag: Tag(Cow::Borrowed(tag)),
                status,
                text: StatusText {
                    code,
                    text: Cow::Borrowed(text.as_bytes()),
                },
            }),
            &o,
            &mut self.out,
        );
    }

    fn tagged(&mut self, status: Status, code: Option<Code<'_>>, text: &str) {
        let tag = std::mem::take(&mut self.tag);
        self.tagged_to(&tag, status, code, text);
        self.tag = tag;
    }

    fn bye(&mut self, text: &str) {
        if self.mode == Mode::Closed {
            return;
        }
        self.untagged(Untagged::State {
            status: Status::Bye,
            text: StatusText {
                code: None,
                text: Cow::Borrowed(text.as_bytes()),
            },
        });
        self.close();
    }

    fn close(&mut self) {
        self.mode = Mode::Closed;
        self.state = State::Logout;
        self.pending = None;
        self.events.push_back(Event::Closed);
    }

    fn greet(&mut self) {
        let (status, code) = match self.config.greeting {
            GreetingKind::Ok => (Status::Ok, Some(Code::Capability(self.capability_list()))),
            GreetingKind::PreAuth => {
                self.state = State::Authenticated;
                (
                    Status::PreAuth,
                    Some(Code::Capability(self.capability_list())),
                )
            }
            GreetingKind::Bye => (Status::Bye, None),
        };
        let g = Greeting {
            status,
            text: StatusText {
                code,
                text: Cow::Owned(self.config.greeting_text.clone().into_bytes()),
            },
        };
        self.out.extend_from_slice(&encode_greeting(&g));
        if status == Status::Bye {
            self.close();
        }
    }

    fn capabilities(&self) -> Vec<String> {
        let c = &self.config;
        let mut v: Vec<String> = vec!["IMAP4rev1".into()];
        let auth_ok = self.tls || c.allow_plaintext_auth;
        let pre = self.state == State::NotAuthenticated;
        if c.sasl_ir && !c.auth_mechanisms.is_empty() {
            v.push("SASL-IR".into());
        }
        if c.id.is_some() {
            v.push("ID".into());
        }
        if c.enable {
            v.push("ENABLE".into());
        }
        if c.idle {
            v.push("IDLE".into());
        }
        if c.literal_plus {
            v.push("LITERAL+".into());
        } else if c.literal_minus {
            v.push("LITERAL-".into());
        }
        if pre {
            if c.starttls && !self.tls {
                v.push("STARTTLS".into());
            }
            if auth_ok {
                v.extend(c.auth_mechanisms.iter().map(|m| format!("AUTH={m}")));
            } else {
                v.push("LOGINDISABLED".into());
            }
        } else {
            for (on, name) in [
                (c.unselect, "UNSELECT"),
                (c.children, "CHILDREN"),
                (c.namespace, "NAMESPACE"),
                (c.uidplus, "UIDPLUS"),
                (c.list_extended, "LIST-EXTENDED"),
                (c.esearch, "ESEARCH"),
                (c.move_command, "MOVE"),
                (c.special_use, "SPECIAL-USE"),
                (c.binary && cfg!(feature = "mime"), "BINARY"),
            ] {
                if on {
                    v.push(name.into());
                }
            }
        }
        v
    }

    fn capability_list(&self) -> Vec<Capability<'static>> {
        self.capabilities()
            .into_iter()
            .map(|s| Capability(Cow::Owned(s)))
            .collect()
    }

    fn pending_uid_variant(&self) -> bool {
        matches!(
            self.pending,
            Some(Pending::Fetch { uid: true } | Pending::Store { uid: true, .. })
        )
    }

    fn update(&mut self, u: Update) {
        let idle = self.mode == Mode::Idle;
        let Some(sel) = self.selected.as_mut() else {
            return;
        };
        if sel.queue.len() >= self.config.max_set_size {
            return;
        }
        sel.queue.push(u);
        if idle {
            self.flush_updates();
        }
    }

    /// Sends only the EXISTS updates at the front of the queue (during FETCH/STORE/SEARCH,
    /// RFC 3501 7.4.1: no EXPUNGE). Processing stops at the first EXPUNGE, so that the
    /// sequence numbers stay in order.
    fn flush_exists_only(&mut self) {
        self.flush(false);
    }

    fn flush_updates(&mut self) {
        self.flush(true);
    }

    fn flush(&mut self, expunges: bool) {
        let Some(sel) = self.selected.as_mut() else {
            return;
        };
        let queue = std::mem::take(&mut sel.queue);
        let mut lines: Vec<Untagged<'static>> = Vec::new();
        let mut rest = Vec::new();
        let mut exists_dirty = false;
        for (i, u) in queue.iter().enumerate() {
            match u {
                Update::Exists(uid) => {
                    if sel.uids.last().is_none_or(|&l| l < *uid) {
                        sel.uids.push(*uid);
                        exists_dirty = true;
                    }
                }
                Update::Expunge(uid) => {
                    if !expunges {
                        rest.extend(queue.get(i..).unwrap_or_default().iter().cloned());
                        break;
                    }
                    if let Ok(pos) = sel.uids.binary_search(uid) {
                        if exists_dirty {
                            lines.push(Untagged::Exists(len32(&sel.uids)));
                            exists_dirty = false;
                        }
                        // Announced EXISTS must precede an expunge of a new message.
                        sel.uids.remove(pos);
                        lines.push(Untagged::Expunge(
                            u32::try_from(pos + 1).unwrap_or(u32::MAX),
                        ));
                    }
                }
                Update::Recent(n) => {
                    if exists_dirty {
                        lines.push(Untagged::Exists(len32(&sel.uids)));
                        exists_dirty = false;
                    }
                    lines.push(Untagged::Recent(*n));
                }
                Update::Flags(uid, flags) => {
                    if let Ok(pos) = sel.uids.binary_search(uid) {
                        lines.push(Untagged::Fetch {
                            seq: u32::try_from(pos + 1).unwrap_or(u32::MAX),
                            items: vec![
                                crate::types::FetchItem::Uid(*uid),
                                crate::types::FetchItem::Flags(flags.clone()),
                            ],
                        });
                    }
                }
            }
        }
        if exists_dirty {
            lines.push(Untagged::Exists(len32(&sel.uids)));
        }
        sel.queue = rest;
        for l in lines {
            self.untagged(l);
        }
    }

    fn bad(&mut self, tag: Option<&str>, text: &str) {
        self.bad_code(tag, None, text);
    }

    fn bad_code(&mut self, tag: Option<&str>, code: Option<Code<'_>>, text: &str) {
        match tag {
            Some(t) => self.tagged_to(t, Status::Bad, code, text),
            None => self.untagged(Untagged::State {
                status: Status::Bad,
                text: StatusText {
                    code,
                    text: Cow::Borrowed(text.as_bytes()),
                },
            }),
        }
        self.bad += 1;
        if self.bad >= self.config.max_bad_commands {
            self.bye("Too many invalid IMAP commands.");
        }
    }

    fn on_frame(&mut self, r: Result<Frame<'_>, FrameError>) -> Ctl {
        let f = match r {
            Ok(f) => f,
            Err(e) => {
                self.append_skip = None;
                let tag = e.tag().map(str::to_owned);
                match e {
                    FrameError::LiteralTooLarge { .. } => {
                        if let Some(t) = tag.as_deref() {
                            self.tagged_to(t, Status::No, Some(Code::TooBig), "Literal too large");
                        } else {
                            self.bad(None, "Literal too large");
                        }
                    }
                    FrameError::LineTooLong { .. } => {
                        self.bad(tag.as_deref(), "Command line too long");
                    }
                    _ => self.bad(tag.as_deref(), "Error in IMAP command received by server."),
                }
                return Ctl::Go;
            }
        };
        match f {
            Frame::LiteralRequest {
                prefix,
                length,
                body,
            } => {
                let tag = first_word(prefix);
                if body {
                    let refuse =
                        if self.state == State::NotAuthenticated || self.state == State::Logout {
                            Some((Status::Bad, None, "Not authenticated."))
                        } else if length > self.config.max_append {
                            Some((Status::No, Some(Code::TooBig), "Message too large"))
                        } else {
                            None
                        };
                    if let Some((st, code, text)) = refuse {
                        let tag = tag.unwrap_or("*").to_owned();
                        self.tagged_to(&tag, st, code, text);
                        self.append_skip = None;
                        self.append_count = 0;
                        return Ctl::Reject;
                    }
                }
                self.out.extend_from_slice(b"+ OK\r\n");
                Ctl::Go
            }
            Frame::BodyBegin(b) => {
                if self.append_skip.is_none() {
                    if self.state == State::NotAuthenticated || self.state == State::Logout {
                        self.append_skip = Some("Not authenticated.");
                    } else if b.length > self.config.max_append {
                        self.append_skip = Some("Message too large");
                    }
                }
                if self.append_skip.is_none() {
                    self.append_count += 1;
                    self.events.push_back(Event::AppendBegin {
                        length: b.length,
                        binary: b.binary,
                    });
                }
                Ctl::Go
            }
            Frame::BodyData(d) => {
                if self.append_skip.is_none() {
                    self.events.push_back(Event::AppendData(d.to_vec()));
                }
                Ctl::Go
            }
            Frame::BodyEnd => {
                if self.append_skip.is_none() {
                    self.events.push_back(Event::AppendEnd);
                }
                Ctl::Go
            }
            Frame::Message(m) => self.on_message(m),
        }
    }

    fn on_message(&mut self, m: RawMessage<'_>) -> Ctl {
        let kind = match self.mode {
            Mode::AuthData => ClientLineKind::AuthenticateData,
            Mode::Idle => ClientLineKind::IdleDone,
            _ => ClientLineKind::Command,
        };
        let skip = self.append_skip.take();
        let count = std::mem::take(&mut self.append_count);
        let line = match parse_client_line(m, kind, &self.config.leniency, &self.config.limits) {
            Ok(l) => l.into_static_line(),
            Err(e) => {
                match kind {
                    ClientLineKind::AuthenticateData => {
                        self.mode = Mode::Command;
                        self.pending = None;
                        self.bad(None, "Invalid base64 data");
                        let tag = self.tag.clone();
                        self.tagged_to(&tag, Status::Bad, None, "Invalid base64 data");
                    }
                    ClientLineKind::IdleDone => {
                        self.mode = Mode::Command;
                        self.events.push_back(Event::IdleDone);
                        let tag = self.tag.clone();
                        self.tagged_to(&tag, Status::Bad, None, "Expected DONE.");
                        self.bad += 1;
                    }
                    ClientLineKind::Command => {
                        let text = if e.tag.is_some() {
                            "Error in IMAP command: syntax error"
                        } else {
                            "Error in IMAP command received by server."
                        };
                        self.bad(e.tag.as_deref(), text);
                    }
                }
                return Ctl::Go;
            }
        };
        match line {
            ClientLine::AuthenticateData(d) => {
                self.mode = Mode::Command;
                match d {
                    None => {
                        self.pending = None;
                        self.tagged(Status::Bad, None, "Authentication aborted by client.");
                        self.events.push_back(Event::AuthCancelled);
                    }
                    Some(d) => match correo_wire::sasl::framing::decode_line(&d, 64 * 1024) {
                        Ok(correo_wire::sasl::framing::Decoded::Data(v)) => {
                            self.events.push_back(Event::AuthResponse(v));
                        }
                        _ => {
                            self.pending = None;
                            self.tagged(Status::Bad, None, "Invalid base64 data");
                        }
                    },
                }
                Ctl::Go
            }
            ClientLine::IdleDone => {
                self.mode = Mode::Command;
                self.tagged(Status::Ok, None, "Idle completed.");
                self.events.push_back(Event::IdleDone);
                Ctl::Go
            }
            ClientLine::Command(c) => {
                if let Some(why) = skip {
                    let tag = c.tag.as_str().to_owned();
                    if why == "Message too large" {
                        self.tagged_to(&tag, Status::No, Some(Code::TooBig), why);
                    } else {
                        self.bad(Some(&tag), why);
                    }
                    return Ctl::Go;
                }
                self.command(c, count)
            }
        }
    }

    fn need(&mut self, tag: &str, ok: bool, text: &str) -> bool {
        if !ok {
            self.bad(Some(tag), text);
        }
        ok
    }

    #[allow(clippy::too_many_lines)]
    fn command(&mut self, c: Command<'static>, appended: usize) -> Ctl {
        let tag = c.tag.as_str().to_owned();
        self.tag.clone_from(&tag);
        let st = self.state;
        let authed = matches!(st, State::Authenticated | State::Selected);
        let selected = st == State::Selected;
        const NOT_AUTH: &str = "Not authenticated.";
        const NO_MBOX: &str = "No mailbox selected.";
        let unknown_text = match &c.body {
            CommandBody::Other { name, .. } => {
                format!("Error in IMAP command {name}: Unknown command.")
            }
            _ => "Error in IMAP command: Unknown command.".to_owned(),
        };
        let unknown = unknown_text.as_str();
        let name = command_name(&c.body);
        let ev = |core: &mut Core, p: Pending, e: Event| {
            core.bad = 0;
            core.pending = Some(p);
            core.events.push_back(e);
        };
        match c.body {
            CommandBody::Capability => {
                let caps = self.capability_list();
                self.untagged(Untagged::Capability(caps));
                let text = if st == State::NotAuthenticated {
                    "Pre-login capabilities listed, post-login capabilities have more."
                } else {
                    "Capability completed."
                };
                self.tagged(Status::Ok, None, text);
            }
            CommandBody::Noop | CommandBody::Check => {
                if selected || name == "NOOP" {
                    let t = if name == "NOOP" {
                        "NOOP completed."
                    } else {
                        "Check completed."
                    };
                    if selected {
                        ev(self, Pending::Noop(t), Event::Noop);
                    } else {
                        self.tagged(Status::Ok, None, t);
                    }
                } else {
                    self.need(&tag, false, NO_MBOX);
                }
            }
            CommandBody::Logout => {
                self.untagged(Untagged::State {
                    status: Status::Bye,
                    text: StatusText {
                        code: None,
                        text: Cow::Borrowed(b"Logging out"),
                    },
                });
                self.tagged(Status::Ok, None, "Logout completed.");
                self.close();
            }
            CommandBody::Id(_) if self.config.id.is_some() => {
                let params = self.config.id.as_ref().map(|v| {
                    v.iter()
                        .map(|(k, x)| {
                            (
                                Cow::Owned(k.clone().into_bytes()),
                                Some(Cow::Owned(x.clone().into_bytes())),
                            )
                        })
                        .collect::<Vec<_>>()
                });
                let params = params.filter(|v| !v.is_empty());
                self.untagged(Untagged::Id(params));
                self.tagged(Status::Ok, None, "ID completed.");
            }
            CommandBody::StartTls if self.config.starttls => {
                if self.tls {
                    self.bad(Some(&tag), "TLS is already active.");
                } else if st != State::NotAuthenticated {
                    self.bad(Some(&tag), "STARTTLS only before authentication.");
                } else {
                    self.tagged(Status::Ok, None, "Begin TLS negotiation now.");
                    self.mode = Mode::AwaitTls;
                    self.events.push_back(Event::StartTls);
                    return Ctl::Discard;
                }
            }
            CommandBody::Login { username, password } => {
                if st != State::NotAuthenticated {
                    self.bad(Some(&tag), "Already authenticated.");
                } else if !(self.tls || self.config.allow_plaintext_auth) {
                    self.tagged(
                        Status::No,
                        Some(Code::PrivacyRequired),
                        "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
                    );
                } else {
                    ev(
                        self,
                        Pending::Login,
                        Event::Login {
                            username: username.into_owned(),
                            password: password.into_owned(),
                        },
                    );
                }
            }
            CommandBody::Authenticate { mechanism, initial } => {
                let known = self
                    .config
                    .auth_mechanisms
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(&mechanism));
                if st != State::NotAuthenticated {
                    self.bad(Some(&tag), "Already authenticated.");
                } else if !(self.tls || self.config.allow_plaintext_auth) {
                    self.tagged(
                        Status::No,
                        Some(Code::PrivacyRequired),
                        "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
                    );
                } else if !known {
                    self.tagged(Status::No, None, "Unsupported authentication mechanism.");
                } else if initial.is_some() && !self.config.sasl_ir {
                    self.bad(Some(&tag), "SASL-IR is not enabled.");
                } else {
                    let initial = match initial {
                        None => Ok(None),
                        Some(i) => match correo_wire::sasl::framing::decode_line(&i, 64 * 1024) {
                            Ok(correo_wire::sasl::framing::Decoded::Data(v)) => Ok(Some(v)),
                            _ => Err(()),
                        },
                    };
                    match initial {
                        Ok(initial) => ev(
                            self,
                            Pending::Auth,
                            Event::Authenticate {
                                mechanism: mechanism.to_ascii_uppercase(),
                                initial,
                            },
                        ),
                        Err(()) => self.bad(Some(&tag), "Invalid base64 data"),
                    }
                }
            }
            _ if !authed => {
                let known = !matches!(c.body, CommandBody::Other { .. });
                self.bad(Some(&tag), if known { NOT_AUTH } else { unknown });
            }
            CommandBody::Enable(_) if self.config.enable => {
                self.untagged(Untagged::Enabled(Vec::new()));
                self.tagged(Status::Ok, None, "Enabled.");
            }
            CommandBody::Namespace if self.config.namespace => {
                let d = self.config.delimiter;
                self.untagged(Untagged::Namespace {
                    personal: Some(vec![(Cow::Borrowed(&b""[..]), Some(d))]),
                    other: None,
                    shared: None,
                });
                self.tagged(Status::Ok, None, "Namespace completed.");
            }
            CommandBody::Select {
                examine, mailbox, ..
            } => {
                if selected {
                    self.selected = None;
                    self.state = State::Authenticated;
                    self.state_line(Code::Closed, "Previous mailbox closed.");
                }
                ev(
                    self,
                    Pending::Select { examine },
                    Event::Select { mailbox, examine },
                );
            }
            CommandBody::Create(m) => {
                ev(self, Pending::Simple("Create completed."), Event::Create(m));
            }
            CommandBody::Delete(m) => {
                ev(self, Pending::Simple("Delete completed."), Event::Delete(m));
            }
            CommandBody::Rename(from, to) => ev(
                self,
                Pending::Simple("Rename completed."),
                Event::Rename { from, to },
            ),
            CommandBody::Subscribe(mailbox) => ev(
                self,
                Pending::Simple("Subscribe completed."),
                Event::Subscribe {
                    mailbox,
                    subscribe: true,
                },
            ),
            CommandBody::Unsubscribe(mailbox) => ev(
                self,
                Pending::Simple("Unsubscribe completed."),
                Event::Subscribe {
                    mailbox,
                    subscribe: false,
                },
            ),
            CommandBody::List {
                reference,
                patterns,
                options,
            } => {
                let ext = options != ListOptions::default() || patterns.len() != 1;
                if ext && !self.config.list_extended {
                    self.bad(Some(&tag), "LIST-EXTENDED is not supported.");
                } else {
                    ev(
                        self,
                        Pending::List { lsub: false },
                        Event::List {
                            reference,
                            patterns,
                            lsub: false,
                            options,
                        },
                    );
                }
            }
            CommandBody::Lsub { reference, pattern } => ev(
                self,
                Pending::List { lsub: true },
                Event::List {
                    reference,
                    patterns: vec![pattern],
                    lsub: true,
                    options: ListOptions::default(),
                },
            ),
            CommandBody::Status { mailbox, items } => {
                ev(self, Pending::Status, Event::Status { mailbox, items });
            }
            CommandBody::Append { mailbox, messages } => {
                if appended != messages.len() {
                    self.bad(Some(&tag), "Message data must be a literal.");
                } else {
                    let messages = messages
                        .into_iter()
                        .map(|m| (m.flags, m.date.map(Cow::into_owned)))
                        .collect();
                    ev(self, Pending::Append, Event::Append { mailbox, messages });
                }
            }
            CommandBody::Idle if self.config.idle => {
                self.bad = 0;
                self.out.extend_from_slice(b"+ idling\r\n");
                self.mode = Mode::Idle;
                self.events.push_back(Event::Idle);
                self.flush_updates();
            }
            _ if !selected => {
                let known = !matches!(c.body, CommandBody::Other { .. });
                self.bad(Some(&tag), if known { NO_MBOX } else { unknown });
            }
            CommandBody::Close => ev(
                self,
                Pending::Close("Close completed."),
                Event::Close { expunge: true },
            ),
            CommandBody::Unselect if self.config.unselect => {
                ev(
                    self,
                    Pending::Close("Unselect completed."),
                    Event::Close { expunge: false },
                );
            }
            CommandBody::Expunge { uids } => {
                if uids.is_some() && !self.config.uidplus {
                    self.bad(Some(&tag), unknown);
                } else if self.read_only() {
                    self.tagged(Status::No, None, "Mailbox is read-only.");
                } else {
                    let uids = uids.map(|s| {
                        self.resolve(&s, true)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|m| m.uid)
                            .collect()
                    });
                    ev(self, Pending::Expunge, Event::Expunge { uids });
                }
            }
            CommandBody::Search {
                uid,
                ret,
                charset,
                keys,
            } => {
                if ret.is_some() && !self.config.esearch {
                    self.bad(Some(&tag), "ESEARCH is not supported.");
                } else if ret
                    .as_ref()
                    .is_some_and(|r| r.contains(&SearchReturn::Save))
                {
                    self.bad(Some(&tag), "SEARCHRES is not supported.");
                } else {
                    ev(
                        self,
                        Pending::Search { uid, ret },
                        Event::Search {
                            uid,
                            charset: charset.map(Cow::into_owned),
                            keys,
                        },
                    );
                }
            }
            CommandBody::Fetch {
                uid, set, attrs, ..
            } => match self.resolve(&set, uid) {
                Some(messages) => {
                    let attrs = expand_attrs(attrs);
                    self.fetch_attrs = Some(attrs.clone());
                    ev(
                        self,
                        Pending::Fetch { uid },
                        Event::Fetch {
                            uid,
                            messages,
                            attrs,
                        },
                    );
                }
                None => self.bad(
                    Some(&tag),
                    "Error in IMAP command FETCH: Invalid messageset",
                ),
            },
            CommandBody::Store {
                uid,
                set,
                mode,
                silent,
                flags,
                gm_labels: false,
                unchanged_since: None,
            } => {
                if self.read_only() {
                    self.tagged(Status::No, None, "Mailbox is read-only.");
                } else {
                    match self.resolve(&set, uid) {
                        Some(messages) => ev(
                            self,
                            Pending::Store { uid, silent },
                            Event::Store {
                                uid,
                                messages,
                                mode,
                                flags,
                                silent,
                            },
                        ),
                        None => self.bad(
                            Some(&tag),
                            "Error in IMAP command STORE: Invalid messageset",
                        ),
                    }
                }
            }
            CommandBody::Copy { uid, set, mailbox } => match self.resolve(&set, uid) {
                Some(m) => ev(
                    self,
                    Pending::Copy { is_move: false },
                    Event::Copy {
                        uids: m.into_iter().map(|m| m.uid).collect(),
                        mailbox,
                        is_move: false,
                    },
                ),
                None => self.bad(Some(&tag), "Error in IMAP command COPY: Invalid messageset"),
            },
            CommandBody::Move { uid, set, mailbox } if self.config.move_command => {
                if self.read_only() {
                    self.tagged(Status::No, None, "Mailbox is read-only.");
                } else {
                    match self.resolve(&set, uid) {
                        Some(m) => ev(
                            self,
                            Pending::Copy { is_move: true },
                            Event::Copy {
                                uids: m.into_iter().map(|m| m.uid).collect(),
                                mailbox,
                                is_move: true,
                            },
                        ),
                        None => {
                            self.bad(Some(&tag), "Error in IMAP command MOVE: Invalid messageset");
                        }
                    }
                }
            }
            _ => self.bad(Some(&tag), unknown),
        }
        Ctl::Go
    }

    fn read_only(&self) -> bool {
        self.selected.as_ref().is_none_or(|s| s.read_only)
    }

    /// The messages a set names. Sequence sets: `None` when a number is past the end (or
    /// the mailbox is empty), as Dovecot answers `Invalid messageset`. UID sets: the
    /// existing UIDs in the set.
    fn resolve(&self, set: &SequenceSet, uid: bool) -> Option<Vec<MessageRef>> {
        let sel = self.selected.as_ref()?;
        let SequenceSet::Ranges(ranges) = set else {
            return if uid { Some(Vec::new()) } else { None };
        };
        let n = len32(&sel.uids);
        if uid {
            let max = sel.uids.last().copied().unwrap_or(0);
            let mut v = Vec::new();
            for (i, &u) in sel.uids.iter().enumerate() {
                if set.contains(u, max) {
                    if v.len() >= self.config.max_set_size {
                        break;
                    }
                    v.push(MessageRef {
                        seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        uid: u,
                    });
                }
            }
            return Some(v);
        }
        let val = |s: SeqNum| match s {
            SeqNum::Value(v) => v,
            SeqNum::Largest => n,
        };
        for r in ranges {
            let (a, b) = match *r {
                SeqRange::Single(s) => (val(s), val(s)),
                SeqRange::Range(a, b) => (val(a), val(b)),
            };
            if a == 0 || b == 0 || a > n || b > n {
                return None;
            }
        }
        let mut v = Vec::new();
        for (i, &u) in sel.uids.iter().enumerate() {
            let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if set.contains(seq, n) {
                if v.len() >= self.config.max_set_size {
                    break;
                }
                v.push(MessageRef { seq, uid: u });
            }
        }
        Some(v)
    }
}

fn len32(v: &[u32]) -> u32 {
    u32::try_from(v.len()).unwrap_or(u32::MAX)
}

fn first_word(b: &[u8]) -> Option<&str> {
    let w = b.split(|&c| c == b' ').next()?;
    std::str::from_utf8(w)
        .ok()
        .filter(|w| !w.is_empty() && w.len() <= 64)
}

fn command_name(b: &CommandBody<'_>) -> &'static str {
    match b {
        CommandBody::Noop => "NOOP",
        CommandBody::Check => "CHECK",
        _ => "",
    }
}

/// FETCH macros expanded; UID kept where asked.
fn expand_attrs(a: FetchAttrs<'static>) -> Vec<FetchAttr<'static>> {
    let mut v = match a {
        FetchAttrs::All => vec![
            FetchAttr::Flags,
            FetchAttr::InternalDate,
            FetchAttr::Rfc822Size,
            FetchAttr::Envelope,
        ],
        FetchAttrs::Fast => vec![
            FetchAttr::Flags,
            FetchAttr::InternalDate,
            FetchAttr::Rfc822Size,
        ],
        FetchAttrs::Full => vec![
            FetchAttr::Flags,
            FetchAttr::InternalDate,
            FetchAttr::Rfc822Size,
            FetchAttr::Envelope,
            FetchAttr::Body,
        ],
        FetchAttrs::List { items, .. } => items,
    };
    v.dedup();
    v
}

trait IntoStaticLine {
    fn into_static_line(self) -> ClientLine<'static>;
}

impl IntoStaticLine for ClientLine<'_> {
    fn into_static_line(self) -> ClientLine<'static> {
        match self {
            ClientLine::Command(c) => ClientLine::Command(c.into_static()),
            ClientLine::AuthenticateData(d) => {
                ClientLine::AuthenticateData(d.map(|d| Cow::Owned(d.into_owned())))
            }
            ClientLine::IdleDone => ClientLine::IdleDone,
        }
    }
}
