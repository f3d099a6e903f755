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
//! Extensions, each switched on in [`ServerConfig`]:
//! - CONDSTORE / QRESYNC (RFC 7162): `ENABLE` answers `* ENABLED` with what it enabled;
//!   `HIGHESTMODSEQ`/`NOMODSEQ` in SELECT; `MODSEQ` in FETCH (the application gives each
//!   message's mod-sequence with [`Server::fetch_message_modseq`], [`Server::store_result`],
//!   [`Server::message_changed`]); `CHANGEDSINCE` filtering; `UNCHANGEDSINCE` with
//!   `[MODIFIED ...]` ([`Server::store_modified`]); SEARCH `MODSEQ`
//!   ([`Server::search_result_modseq`]); `SELECT ... (QRESYNC ...)` with `VANISHED
//!   (EARLIER)` and changed messages ([`MailboxView::vanished`], [`MailboxView::changed`]);
//!   `UID FETCH ... (VANISHED)` ([`Server::vanished_earlier`]); and `VANISHED` instead of
//!   `EXPUNGE` once QRESYNC is enabled.
//! - SORT and THREAD (RFC 5256): [`Event::Sort`] and [`Event::Thread`], answered with
//!   [`Server::sort_result`] and [`Server::thread_result`]; `crate::mime::sort` computes
//!   them from correo-mime.
//! - SEARCHRES (RFC 5182): `RETURN (SAVE)` and `$` are handled by the machine alone.
//! - COMPRESS=DEFLATE (RFC 4978): [`Event::Compress`] tells the application to switch
//!   the transport, then [`Server::compression_started`].
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
    /// `CREATE-SPECIAL-USE` (RFC 6154): `CREATE ... (USE (...))` is passed to the
    /// application in [`Event::Create`]; when off, such a CREATE is answered
    /// `NO [USEATTR]` by the machine and nothing is created.
    pub create_special_use: bool,
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
    /// `CONDSTORE` (RFC 7162): HIGHESTMODSEQ/NOMODSEQ in SELECT, MODSEQ in FETCH,
    /// `CHANGEDSINCE`, `UNCHANGEDSINCE` with `[MODIFIED ...]`, SEARCH `MODSEQ`. The
    /// application supplies the mod-sequences ([`MailboxView::highest_modseq`],
    /// [`Server::fetch_message_modseq`], [`Server::store_result`], ...). Default off.
    pub condstore: bool,
    /// `QRESYNC` (RFC 7162; implies `CONDSTORE`): `SELECT (QRESYNC ...)`, `VANISHED
    /// (EARLIER)`, and `VANISHED` instead of `EXPUNGE` once enabled. Default off.
    pub qresync: bool,
    /// `SORT` (RFC 5256): [`Event::Sort`]. Default off.
    pub sort: bool,
    /// `THREAD=ORDEREDSUBJECT` and `THREAD=REFERENCES` (RFC 5256): [`Event::Thread`].
    /// Default off.
    pub thread: bool,
    /// `SEARCHRES` (RFC 5182): `SEARCH RETURN (SAVE)` and `$`, handled by the machine.
    /// Default off.
    pub searchres: bool,
    /// `COMPRESS=DEFLATE` (RFC 4978): [`Event::Compress`] tells the application to switch
    /// the transport. Default off.
    pub compress: bool,
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
            create_special_use: false,
            list_extended: true,
            esearch: true,
            binary: true,
            max_append: 64 << 20,
            limits: Limits::default(),
            leniency: Leniency::default(),
            max_bad_commands: 20,
            max_set_size: 1_000_000,
            condstore: false,
            qresync: false,
            sort: false,
            thread: false,
            searchres: false,
            compress: false,
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
    /// `HIGHESTMODSEQ` (CONDSTORE); `None` sends `NOMODSEQ` (no persistent
    /// mod-sequences). Only sent when CONDSTORE is configured.
    pub highest_modseq: Option<u64>,
    /// For `SELECT (QRESYNC ...)`: UIDs expunged since the client's mod-sequence, sent
    /// as `VANISHED (EARLIER)` (limited to the client's known UIDs). Ignored when the
    /// QRESYNC parameters are absent or the UIDVALIDITY differs.
    pub vanished: Vec<u32>,
    /// For `SELECT (QRESYNC ...)`: messages changed since the client's mod-sequence,
    /// sent as `FETCH (UID FLAGS MODSEQ)`. Same conditions as
    /// [`vanished`](Self::vanished).
    pub changed: Vec<ChangedMessage>,
}

/// A message whose flags changed since a mod-sequence (QRESYNC SELECT).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChangedMessage {
    /// UID.
    pub uid: u32,
    /// Its flags now.
    pub flags: Vec<Flag<'static>>,
    /// Its mod-sequence.
    pub modseq: u64,
}

/// The parameters of `SELECT mailbox (QRESYNC (uidvalidity modseq [known-uids]))`
/// (the optional sequence match data is not used).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Qresync {
    /// The UIDVALIDITY the client knows.
    pub uid_validity: u32,
    /// The last mod-sequence the client knows.
    pub modseq: u64,
    /// The UIDs the client knows (`None`: all).
    pub known_uids: Option<SequenceSet>,
    /// Sequence match data (RFC 7162 3.2.5.2): message numbers and the UIDs the client
    /// had for them, paired in order. The machine uses it to leave out of `VANISHED
    /// (EARLIER)` every UID below the highest pair that still matches (no message the
    /// client knew below it can have been expunged), which matters when the application
    /// no longer knows exactly what was expunged and reports more than that.
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}

/// A SORT key (RFC 5256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// `ARRIVAL`: internal date.
    Arrival,
    /// `CC`: first Cc mailbox's local part.
    Cc,
    /// `DATE`: sent date (the internal date when absent).
    Date,
    /// `FROM`: first From mailbox's local part.
    From,
    /// `SIZE`: RFC822.SIZE.
    Size,
    /// `SUBJECT`: base subject.
    Subject,
    /// `TO`: first To mailbox's local part.
    To,
}

/// A SORT criterion: a key, possibly reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`.
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// A THREAD algorithm (RFC 5256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThreadAlgorithm {
    /// `ORDEREDSUBJECT`.
    OrderedSubject,
    /// `REFERENCES`.
    References,
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
            highest_modseq: None,
            vanished: Vec::new(),
            changed: Vec::new(),
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
        /// `(CONDSTORE)` was given (CONDSTORE is now enabled for the session).
        condstore: bool,
        /// `(QRESYNC (...))`: fill [`MailboxView::vanished`] and
        /// [`MailboxView::changed`] from it.
        qresync: Option<Qresync>,
    },
    /// `CREATE`: answer [`Server::complete`]. With `special_use` non-empty (only when
    /// [`ServerConfig::create_special_use`] is on) the mailbox must get those attributes or
    /// not be created: RFC 6154 section 3 asks for `NO [USEATTR]` when they cannot be set.
    Create {
        /// The mailbox to create.
        mailbox: Mailbox<'static>,
        /// The special-use attributes asked for (`\Sent`, ...), empty when none.
        special_use: Vec<Flag<'static>>,
    },
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
        /// `(CHANGEDSINCE n)`: the machine leaves out messages whose mod-sequence (given
        /// with [`Server::fetch_message_modseq`]) is not greater.
        changed_since: Option<u64>,
        /// `(VANISHED)` (QRESYNC, UID FETCH): report the UIDs in the set expunged since
        /// `changed_since` with [`Server::vanished_earlier`] before the messages.
        vanished: bool,
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
        /// `(UNCHANGEDSINCE n)`: messages whose mod-sequence is greater are not changed
        /// but reported with [`Server::store_modified`].
        unchanged_since: Option<u64>,
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
    /// `SORT`/`UID SORT`: answer [`Server::sort_result`] with the matching messages in
    /// order (see `correo_imap::mime::sort` for an implementation).
    Sort {
        /// `UID SORT`: answer with UIDs.
        uid: bool,
        /// The criteria, most significant first.
        criteria: Vec<SortCriterion>,
        /// The search keys (ANDed; `$` already replaced).
        keys: Vec<SearchKey<'static>>,
    },
    /// `THREAD`/`UID THREAD`: answer [`Server::thread_result`].
    Thread {
        /// `UID THREAD`: answer with UIDs.
        uid: bool,
        /// The algorithm.
        algorithm: ThreadAlgorithm,
        /// The search keys (ANDed; `$` already replaced).
        keys: Vec<SearchKey<'static>>,
    },
    /// `COMPRESS DEFLATE` accepted (`OK` is in [`Server::poll_transmit`]): send what is
    /// pending uncompressed, switch the connection to raw DEFLATE (RFC 1951) both ways,
    /// then call [`Server::compression_started`]. Bytes received after the command were
    /// discarded.
    Compress,
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
        conditional: bool,
    },
    Sort {
        uid: bool,
        ret: Option<Vec<SearchReturn>>,
    },
    Thread {
        uid: bool,
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
    AwaitCompress,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Update {
    Exists(u32),
    Expunge(u32),
    Flags(u32, Vec<Flag<'static>>, Option<u64>),
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
    /// The pending FETCH's CHANGEDSINCE and (for VANISHED) its UID set.
    fetch_changed_since: Option<u64>,
    fetch_vanished_set: Option<SequenceSet>,
    /// The pending conditional STORE's failures (`[MODIFIED ...]`).
    modified: Vec<u32>,
    /// The pending SEARCH asked for MODSEQ.
    search_modseq: bool,
    /// The pending SELECT's QRESYNC parameters.
    select_qresync: Option<Qresync>,
    /// CONDSTORE / QRESYNC enabled in this session.
    condstore_on: bool,
    qresync_on: bool,
    /// COMPRESS is active.
    compressed: bool,
    /// The SEARCHRES saved result, as UIDs (sorted).
    saved: Vec<u32>,
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
            fetch_changed_since: None,
            fetch_vanished_set: None,
            modified: Vec::new(),
            search_modseq: false,
            select_qresync: None,
            condstore_on: false,
            qresync_on: false,
            compressed: false,
            saved: Vec::new(),
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
        if matches!(
            self.core.mode,
            Mode::Closed | Mode::AwaitTls | Mode::AwaitCompress
        ) {
            return;
        }
        self.pump(bytes);
    }

    /// The transport is compressed after [`Event::Compress`]: commands are read again
    /// (the caller now gives decompressed bytes to [`receive`](Self::receive) and
    /// compresses what [`poll_transmit`](Self::poll_transmit) gives).
    pub fn compression_started(&mut self) {
        if self.core.mode == Mode::AwaitCompress {
            self.framer.discard();
            self.held.clear();
            self.core.compressed = true;
            self.core.mode = Mode::Command;
        }
    }

    /// Whether COMPRESS is active.
    pub fn is_compressed(&self) -> bool {
        self.core.compressed
    }

    /// Whether CONDSTORE is enabled in this session (by ENABLE, SELECT (CONDSTORE), a
    /// MODSEQ fetch or search, CHANGEDSINCE or UNCHANGEDSINCE; QRESYNC implies it).
    pub fn condstore_enabled(&self) -> bool {
        self.core.condstore_on
    }

    /// Whether QRESYNC is enabled in this session (`ENABLE QRESYNC`).
    pub fn qresync_enabled(&self) -> bool {
        self.core.qresync_on
    }

    /// The SEARCHRES saved result (`$`), as UIDs.
    pub fn saved_result(&self) -> &[u32] {
        &self.core.saved
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
            if matches!(
                self.core.mode,
                Mode::Closed | Mode::AwaitTls | Mode::AwaitCompress
            ) {
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
        if c.config.condstore || c.config.qresync {
            match view.highest_modseq {
                Some(m) => c.state_line(Code::HighestModSeq(m), "Highest"),
                None => c.state_line(Code::NoModSeq, "No permanent modsequences"),
            }
        }
        let qresync = c
            .select_qresync
            .take()
            .filter(|q| q.uid_validity == view.uid_validity);
        if let Some(q) = qresync {
            let floor = q
                .seq_match
                .as_ref()
                .map_or(0, |m| seq_match_floor(m, &view.uids));
            let mut gone: Vec<u32> = view
                .vanished
                .iter()
                .copied()
                .filter(|&u| {
                    u > floor
                        && view.uids.binary_search(&u).is_err()
                        && q.known_uids
                            .as_ref()
                            .is_none_or(|k| k.contains(u, u32::MAX))
                })
                .collect();
            gone.sort_unstable();
            gone.dedup();
            if !gone.is_empty() {
                c.untagged(Untagged::Vanished {
                    earlier: true,
                    uids: compress(&gone),
                });
            }
            let mut changed = view.changed.clone();
            changed.sort_by_key(|m| m.uid);
            for m in changed {
                if m.modseq <= q.modseq {
                    continue;
                }
                if let Ok(pos) = view.uids.binary_search(&m.uid) {
                    c.untagged(Untagged::Fetch {
                        seq: u32::try_from(pos + 1).unwrap_or(u32::MAX),
                        items: vec![
                            crate::types::FetchItem::Uid(m.uid),
                            crate::types::FetchItem::Flags(m.flags),
                            crate::types::FetchItem::ModSeq(m.modseq),
                        ],
                    });
                }
            }
        }
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
        self.fetch_message_modseq(seq, data, None);
    }

    /// One message of the pending FETCH with its mod-sequence (CONDSTORE): `MODSEQ (n)`
    /// is added when asked for, with `CHANGEDSINCE`, or with `FLAGS` once CONDSTORE is
    /// enabled; with `CHANGEDSINCE n` the message is left out unless `modseq > n`.
    pub fn fetch_message_modseq(&mut self, seq: u32, data: &MessageData<'_>, modseq: Option<u64>) {
        self.fetch_one(seq, data, modseq, false);
    }

    /// Whether the pending FETCH sets `\Seen` implicitly on a message whose flags are
    /// `flags`: a non-PEEK body item (`BODY[...]`, `BINARY[...]`, `RFC822`,
    /// `RFC822.TEXT`) in a read-write mailbox on a message without `\Seen`. An
    /// application that stores that flag itself before answering uses
    /// [`Server::fetch_message_seen_stored`].
    #[must_use]
    pub fn fetch_sets_seen(&self, flags: &[Flag<'_>]) -> bool {
        if !matches!(self.core.pending, Some(Pending::Fetch { .. })) {
            return false;
        }
        let read_only = self.core.selected.as_ref().is_none_or(|s| s.read_only);
        !read_only
            && !flags.contains(&Flag::Seen)
            && self.core.fetch_attrs.as_ref().is_some_and(|attrs| {
                attrs.iter().any(|a| {
                    matches!(
                        a,
                        FetchAttr::BodySection { peek: false, .. }
                            | FetchAttr::Binary { peek: false, .. }
                            | FetchAttr::Rfc822
                            | FetchAttr::Rfc822Text
                    )
                })
            })
    }

    /// One message of the pending FETCH, for an application that has already stored the
    /// `\Seen` this FETCH sets implicitly ([`Server::fetch_sets_seen`]): `data.flags` are
    /// the flags before the FETCH and `modseq` the mod-sequence after storing `\Seen`.
    /// The message's one FETCH line then carries `FLAGS (\Seen ...)` and, with CONDSTORE
    /// enabled, that new `MODSEQ` (RFC 7162 3.1.4.1, 3.2); no [`Event::SeenSet`] is
    /// queued. Otherwise like [`Server::fetch_message_modseq`].
    pub fn fetch_message_seen_stored(
        &mut self,
        seq: u32,
        data: &MessageData<'_>,
        modseq: Option<u64>,
    ) {
        self.fetch_one(seq, data, modseq, true);
    }

    fn fetch_one(&mut self, seq: u32, data: &MessageData<'_>, modseq: Option<u64>, stored: bool) {
        let Some(Pending::Fetch { uid }) = self.core.pending else {
            return;
        };
        if let (Some(since), Some(m)) = (self.core.fetch_changed_since, modseq)
            && m <= since
        {
            return;
        }
        let Some(attrs) = self.core.fetch_attrs.take() else {
            return;
        };
        let read_only = self.core.selected.as_ref().is_none_or(|s| s.read_only);
        let (mut items, seen) = fetch_items(&attrs, data, uid, read_only);
        if let Some(m) = modseq {
            let has_flags = items
                .iter()
                .any(|i| matches!(i, crate::types::FetchItem::Flags(_)));
            if attrs.contains(&FetchAttr::ModSeq)
                || self.core.fetch_changed_since.is_some()
                || (self.core.condstore_on && has_flags)
            {
                items.push(crate::types::FetchItem::ModSeq(m));
            }
        }
        self.core.fetch_attrs = Some(attrs);
        if seen && !stored {
            self.core.events.push_back(Event::SeenSet { uid: data.uid });
        }
        self.core.untagged(Untagged::Fetch { seq, items });
    }

    /// `* VANISHED (EARLIER) uids` during a `UID FETCH ... (CHANGEDSINCE n VANISHED)`:
    /// the UIDs expunged since `n`, given before the messages. Only those in the
    /// command's UID set and not in the mailbox are sent.
    pub fn vanished_earlier(&mut self, uids: &[u32]) {
        if !matches!(self.core.pending, Some(Pending::Fetch { uid: true })) {
            return;
        }
        let Some(set) = self.core.fetch_vanished_set.as_ref() else {
            return;
        };
        let sel = self.core.selected.as_ref();
        let mut v: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|&u| u != 0 && set.contains(u, u32::MAX))
            .filter(|u| sel.is_none_or(|s| s.uids.binary_search(u).is_err()))
            .take(self.core.config.max_set_size)
            .collect();
        v.sort_unstable();
        v.dedup();
        if !v.is_empty() {
            self.core.untagged(Untagged::Vanished {
                earlier: true,
                uids: compress(&v),
            });
        }
    }

    /// The new flags of one message of the pending STORE (sent unless `.SILENT`).
    pub fn store_flags(&mut self, seq: u32, flags: Vec<Flag<'_>>) {
        self.store_result(seq, flags, None);
    }

    /// The new flags and mod-sequence of one message of the pending STORE. With
    /// CONDSTORE enabled `MODSEQ (n)` is added; with `.SILENT` nothing is sent, except
    /// `FETCH (MODSEQ (n))` for a conditional STORE (RFC 7162 3.1.3).
    pub fn store_result(&mut self, seq: u32, flags: Vec<Flag<'_>>, modseq: Option<u64>) {
        let Some(Pending::Store {
            uid,
            silent,
            conditional,
        }) = self.core.pending
        else {
            return;
        };
        let modseq = modseq.filter(|_| self.core.condstore_on);
        if silent && !(conditional && modseq.is_some()) {
            return;
        }
        let mut items = Vec::new();
        if !silent {
            items.push(crate::types::FetchItem::Flags(flags));
        }
        if uid && let Some(u) = self.uid_of(seq) {
            items.push(crate::types::FetchItem::Uid(u));
        }
        if let Some(m) = modseq {
            items.push(crate::types::FetchItem::ModSeq(m));
        }
        self.core.untagged(Untagged::Fetch { seq, items });
    }

    /// A message of the pending conditional STORE was not changed: its mod-sequence is
    /// greater than `UNCHANGEDSINCE`. Reported in the tagged `OK [MODIFIED set]` (UIDs
    /// for UID STORE, sequence numbers otherwise).
    pub fn store_modified(&mut self, seq: u32) {
        let Some(Pending::Store { uid, .. }) = self.core.pending else {
            return;
        };
        let id = if uid { self.uid_of(seq) } else { Some(seq) };
        if let Some(id) = id
            && self.core.modified.len() < self.core.config.max_set_size
        {
            self.core.modified.push(id);
        }
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
        self.search_result_modseq(ids, None);
    }

    /// The result of the pending SEARCH with the highest mod-sequence of the matches,
    /// sent as `(MODSEQ n)` when the search used the `MODSEQ` key (CONDSTORE).
    /// `RETURN (SAVE)` (SEARCHRES) stores the result for `$`.
    pub fn search_result_modseq(&mut self, ids: &[u32], modseq: Option<u64>) {
        let Some(Pending::Search { uid, ret }) = self.core.pending.clone() else {
            return;
        };
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let modseq = modseq.filter(|_| self.core.search_modseq && !ids.is_empty());
        let save = ret
            .as_ref()
            .is_some_and(|r| r.contains(&SearchReturn::Save));
        if let Some(r) = ret.as_deref().filter(|_| save) {
            self.save_result(uid, r, &ids);
        }
        match ret {
            None => self.core.untagged(Untagged::Search { ids, modseq }),
            Some(ret) if save && ret.iter().all(|r| *r == SearchReturn::Save) => {}
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
                if let Some(m) = modseq {
                    items.push(ESearchItem::ModSeq(m));
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

    /// The result of the pending SORT: sequence numbers (SORT) or UIDs (UID SORT), in
    /// the sorted order. For `SORT RETURN (...)` (ESORT, RFC 5267) the answer is
    /// `* ESEARCH (TAG "t") [UID] ...`: `MIN`/`MAX` are the first/last message in the
    /// sorted order, `ALL` the matches in that order (ascending runs as ranges), and
    /// `SAVE` (SEARCHRES) stores the result (or its `MIN`/`MAX` only) for `$`.
    pub fn sort_result(&mut self, ids: &[u32]) {
        let Some(Pending::Sort { uid, ret }) = self.core.pending.clone() else {
            return;
        };
        let mut ids: Vec<u32> = ids
            .iter()
            .copied()
            .take(self.core.config.max_set_size)
            .collect();
        if let Some(ret) = ret {
            // A message listed twice would make the sets wrong: keep its first place.
            let mut seen = std::collections::HashSet::with_capacity(ids.len());
            ids.retain(|&n| seen.insert(n));
            self.esort(uid, &ret, &ids);
        } else {
            self.core.untagged(Untagged::Sort { ids, modseq: None });
        }
        if uid {
            self.core.flush_updates();
        }
        self.core.tagged(Status::Ok, None, "Sort completed.");
        self.answered();
    }

    /// SEARCHRES: what `RETURN (... SAVE)` keeps for `$` (RFC 5182 2.4: only MIN/MAX when
    /// those are all that is asked besides SAVE), as UIDs. `ids` in result order (numbers
    /// or UIDs as `uid` says).
    fn save_result(&mut self, uid: bool, ret: &[SearchReturn], ids: &[u32]) {
        let has = |x| ret.contains(&x);
        let mut pick: Vec<u32> = if !has(SearchReturn::All)
            && !has(SearchReturn::Count)
            && (has(SearchReturn::Min) || has(SearchReturn::Max))
        {
            let min = ids.first().filter(|_| has(SearchReturn::Min));
            let max = ids.last().filter(|_| has(SearchReturn::Max));
            min.into_iter().chain(max).copied().collect()
        } else {
            ids.to_vec()
        };
        if !uid {
            pick = pick.into_iter().filter_map(|s| self.uid_of(s)).collect();
        }
        pick.sort_unstable();
        pick.dedup();
        self.core.saved = pick;
    }

    fn esort(&mut self, uid: bool, ret: &[SearchReturn], ids: &[u32]) {
        if ret.contains(&SearchReturn::Save) {
            self.save_result(uid, ret, ids);
            if ret.iter().all(|r| *r == SearchReturn::Save) {
                return;
            }
        }
        let all = [SearchReturn::All];
        let ret = if ret.is_empty() { &all[..] } else { ret };
        let mut items = Vec::new();
        for r in ret {
            match r {
                SearchReturn::Min => items.extend(ids.first().map(|&n| ESearchItem::Min(n))),
                SearchReturn::Max => items.extend(ids.last().map(|&n| ESearchItem::Max(n))),
                SearchReturn::Count => items.push(ESearchItem::Count(
                    u32::try_from(ids.len()).unwrap_or(u32::MAX),
                )),
                SearchReturn::All if !ids.is_empty() => {
                    items.push(ESearchItem::All(compress(ids)));
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

    /// The result of the pending THREAD: the threads, with sequence numbers (THREAD) or
    /// UIDs (UID THREAD). A thread deeper than
    /// [`Limits::max_thread_depth`](crate::Limits::max_thread_depth) is sent flattened
    /// (its messages as children of its root), so that encoding stays shallow.
    pub fn thread_result(&mut self, threads: Vec<crate::types::Thread>) {
        let Some(Pending::Thread { uid }) = self.core.pending else {
            return;
        };
        let threads = cap_thread_depth(threads, self.core.config.limits.max_thread_depth);
        self.core.untagged(Untagged::Thread(threads));
        if uid {
            self.core.flush_updates();
        }
        self.core.tagged(Status::Ok, None, "Thread completed.");
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
                c.select_qresync = None;
            }
            Pending::Close(_) => {
                c.selected = None;
                c.state = State::Authenticated;
            }
            Pending::Fetch { .. } | Pending::Store { .. } => {
                c.fetch_attrs = None;
                c.fetch_changed_since = None;
                c.fetch_vanished_set = None;
                if c.pending_uid_variant() {
                    c.flush_updates();
                } else {
                    c.flush_exists_only();
                }
            }
            Pending::Search { uid, ref ret }
            | Pending::Sort {
                uid,
                ret: ref ret @ Some(_),
            } => {
                if status != Status::Ok
                    && ret
                        .as_ref()
                        .is_some_and(|r| r.contains(&SearchReturn::Save))
                {
                    c.saved.clear();
                }
                if uid {
                    c.flush_updates();
                }
            }
            Pending::Sort { uid, ret: None } | Pending::Thread { uid } => {
                if uid {
                    c.flush_updates();
                }
            }
            _ => c.flush_updates(),
        }
        let mut code = code;
        if matches!(p, Pending::Store { .. }) {
            let mut m = std::mem::take(&mut c.modified);
            if status == Status::Ok && code.is_none() && !m.is_empty() {
                m.sort_unstable();
                m.dedup();
                code = Some(Code::Modified(compress(&m)));
            }
        }
        let default = match &p {
            Pending::Simple(t) | Pending::Noop(t) => *t,
            Pending::List { lsub: false } => "List completed.",
            Pending::List { lsub: true } => "Lsub completed.",
            Pending::Status => "Status completed.",
            Pending::Append => "Append completed.",
            Pending::Fetch { .. } => "Fetch completed.",
            Pending::Store { .. } if matches!(code, Some(Code::Modified(_))) => {
                "Conditional STORE failed."
            }
            Pending::Store { .. } => "Store completed.",
            Pending::Copy { is_move: false } => "Copy completed.",
            Pending::Copy { is_move: true } => "Move completed.",
            Pending::Expunge => "Expunge completed.",
            Pending::Close(t) => t,
            Pending::Search { .. } => "Search completed.",
            Pending::Sort { .. } => "Sort completed.",
            Pending::Thread { .. } => "Thread completed.",
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
        self.message_changed(uid, flags, None);
    }

    /// The flags of the message with `uid` changed (by another session), with its new
    /// mod-sequence (sent as `MODSEQ (n)` once CONDSTORE is enabled).
    pub fn message_changed(&mut self, uid: u32, flags: Vec<Flag<'_>>, modseq: Option<u64>) {
        let flags = flags.into_iter().map(Flag::into_static).collect();
        self.core.update(Update::Flags(uid, flags, modseq));
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
                (c.create_special_use, "CREATE-SPECIAL-USE"),
                (c.binary && cfg!(feature = "mime"), "BINARY"),
                (c.condstore || c.qresync, "CONDSTORE"),
                (c.qresync, "QRESYNC"),
                (c.sort, "SORT"),
                (c.thread, "THREAD=ORDEREDSUBJECT"),
                (c.thread, "THREAD=REFERENCES"),
                (c.sort, "ESORT"),
                (c.searchres, "SEARCHRES"),
                (c.compress && !self.compressed, "COMPRESS=DEFLATE"),
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
        let vanished_mode = self.qresync_on;
        let with_modseq = self.condstore_on;
        // With QRESYNC, consecutive expunges go out as one `VANISHED uids`.
        let mut vanished: Vec<u32> = Vec::new();
        let flush_vanished = |lines: &mut Vec<Untagged<'static>>, v: &mut Vec<u32>| {
            if !v.is_empty() {
                v.sort_unstable();
                lines.push(Untagged::Vanished {
                    earlier: false,
                    uids: compress(v),
                });
                v.clear();
            }
        };
        for (i, u) in queue.iter().enumerate() {
            if !matches!(u, Update::Expunge(_)) {
                flush_vanished(&mut lines, &mut vanished);
            }
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
                        if vanished_mode {
                            vanished.push(*uid);
                        } else {
                            lines.push(Untagged::Expunge(
                                u32::try_from(pos + 1).unwrap_or(u32::MAX),
                            ));
                        }
                    }
                }
                Update::Recent(n) => {
                    if exists_dirty {
                        lines.push(Untagged::Exists(len32(&sel.uids)));
                        exists_dirty = false;
                    }
                    lines.push(Untagged::Recent(*n));
                }
                Update::Flags(uid, flags, modseq) => {
                    if let Ok(pos) = sel.uids.binary_search(uid) {
                        let mut items = vec![
                            crate::types::FetchItem::Uid(*uid),
                            crate::types::FetchItem::Flags(flags.clone()),
                        ];
                        if let Some(m) = modseq.filter(|_| with_modseq) {
                            items.push(crate::types::FetchItem::ModSeq(m));
                        }
                        lines.push(Untagged::Fetch {
                            seq: u32::try_from(pos + 1).unwrap_or(u32::MAX),
                            items,
                        });
                    }
                }
            }
        }
        flush_vanished(&mut lines, &mut vanished);
        if exists_dirty {
            lines.push(Untagged::Exists(len32(&sel.uids)));
        }
        sel.queue = rest;
        for l in lines {
            self.untagged(l);
        }
    }

    /// `NO [BADCHARSET (US-ASCII UTF-8)]`: the charsets SORT and THREAD understand.
    fn bad_charset(&mut self) {
        self.tagged(
            Status::No,
            Some(Code::BadCharset(vec![
                Cow::Borrowed(b"US-ASCII"),
                Cow::Borrowed(b"UTF-8"),
            ])),
            "Unknown charset.",
        );
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
            CommandBody::Enable(caps) if self.config.enable => {
                let mut on = Vec::new();
                for cap in caps {
                    let name = cap.0.to_ascii_uppercase();
                    let newly = match name.as_str() {
                        "CONDSTORE" if self.config.condstore || self.config.qresync => {
                            !std::mem::replace(&mut self.condstore_on, true)
                        }
                        "QRESYNC" if self.config.qresync => {
                            self.condstore_on = true;
                            !std::mem::replace(&mut self.qresync_on, true)
                        }
                        _ => false,
                    };
                    if newly {
                        on.push(Capability(Cow::Owned(name)));
                    }
                }
                self.untagged(Untagged::Enabled(on));
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
                examine,
                mailbox,
                condstore,
                qresync,
            } => {
                let cs_ok = self.config.condstore || self.config.qresync;
                let qresync = match qresync {
                    None => Ok(None),
                    Some(_) if !self.qresync_on => Err("QRESYNC is not enabled."),
                    Some(raw) => parse_qresync(&raw)
                        .map(Some)
                        .ok_or("Invalid QRESYNC parameters."),
                };
                match qresync {
                    _ if condstore && !cs_ok => {
                        self.bad(Some(&tag), "CONDSTORE is not supported.");
                    }
                    Err(why) => self.bad(Some(&tag), why),
                    Ok(qresync) => {
                        if selected {
                            self.selected = None;
                            self.state = State::Authenticated;
                            self.state_line(Code::Closed, "Previous mailbox closed.");
                        }
                        self.saved.clear();
                        if condstore {
                            self.condstore_on = true;
                        }
                        self.select_qresync.clone_from(&qresync);
                        ev(
                            self,
                            Pending::Select { examine },
                            Event::Select {
                                mailbox,
                                examine,
                                condstore,
                                qresync,
                            },
                        );
                    }
                }
            }
            CommandBody::Create {
                mailbox,
                special_use,
            } => {
                if !special_use.is_empty() && !self.config.create_special_use {
                    // RFC 6154 section 3: never create it without the attributes.
                    self.tagged_to(
                        &tag,
                        Status::No,
                        Some(Code::UseAttr),
                        "CREATE-SPECIAL-USE is not supported",
                    );
                } else {
                    ev(
                        self,
                        Pending::Simple("Create completed."),
                        Event::Create {
                            mailbox,
                            special_use,
                        },
                    );
                }
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
                if items.contains(&StatusItem::HighestModSeq)
                    && (self.config.condstore || self.config.qresync)
                {
                    self.condstore_on = true;
                }
                ev(self, Pending::Status, Event::Status { mailbox, items });
            }
            CommandBody::Compress(mechanism) if self.config.compress => {
                if self.compressed {
                    self.tagged(
                        Status::No,
                        Some(Code::CompressionActive),
                        "Compression is already active.",
                    );
                } else if !mechanism.eq_ignore_ascii_case("DEFLATE") {
                    self.bad(Some(&tag), "Unknown compression mechanism.");
                } else {
                    self.bad = 0;
                    self.tagged(Status::Ok, None, "DEFLATE active");
                    self.mode = Mode::AwaitCompress;
                    self.events.push_back(Event::Compress);
                    return Ctl::Discard;
                }
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
                let save = ret
                    .as_ref()
                    .is_some_and(|r| r.contains(&SearchReturn::Save));
                let only_save = ret
                    .as_ref()
                    .is_some_and(|r| !r.is_empty() && r.iter().all(|x| *x == SearchReturn::Save));
                if ret.is_some() && !self.config.esearch && !(only_save && self.config.searchres) {
                    self.bad(Some(&tag), "ESEARCH is not supported.");
                } else if save && !self.config.searchres {
                    self.bad(Some(&tag), "SEARCHRES is not supported.");
                } else if keys_use(&keys, &|k| matches!(k, SearchKey::ModSeq(_)))
                    && !(self.config.condstore || self.config.qresync)
                {
                    self.bad(Some(&tag), "CONDSTORE is not supported.");
                } else {
                    self.search_modseq = keys_use(&keys, &|k| matches!(k, SearchKey::ModSeq(_)));
                    if self.search_modseq {
                        self.condstore_on = true;
                    }
                    let keys = subst_saved(keys, &self.saved);
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
            CommandBody::Sort {
                uid,
                ret,
                criteria,
                charset,
                keys,
            } if self.config.sort => match parse_sort_criteria(&criteria) {
                None => self.bad(Some(&tag), "Invalid sort criteria."),
                Some(_)
                    if !self.config.searchres
                        && ret
                            .as_ref()
                            .is_some_and(|r| r.contains(&SearchReturn::Save)) =>
                {
                    self.bad(Some(&tag), "SEARCHRES is not supported.");
                }
                Some(_) if !known_charset(&charset) => self.bad_charset(),
                Some(criteria) => {
                    let keys = subst_saved(keys, &self.saved);
                    ev(
                        self,
                        Pending::Sort { uid, ret },
                        Event::Sort {
                            uid,
                            criteria,
                            keys,
                        },
                    );
                }
            },
            CommandBody::Thread {
                uid,
                algorithm,
                charset,
                keys,
            } if self.config.thread => {
                let algorithm = if algorithm.eq_ignore_ascii_case("ORDEREDSUBJECT") {
                    Some(ThreadAlgorithm::OrderedSubject)
                } else if algorithm.eq_ignore_ascii_case("REFERENCES") {
                    Some(ThreadAlgorithm::References)
                } else {
                    None
                };
                match algorithm {
                    None => self.bad(Some(&tag), "Unknown thread algorithm."),
                    Some(_) if !known_charset(&charset) => self.bad_charset(),
                    Some(algorithm) => {
                        let keys = subst_saved(keys, &self.saved);
                        ev(
                            self,
                            Pending::Thread { uid },
                            Event::Thread {
                                uid,
                                algorithm,
                                keys,
                            },
                        );
                    }
                }
            }
            CommandBody::Fetch {
                uid,
                set,
                attrs,
                modifiers,
            } => match self.resolve(&set, uid) {
                _ if (modifiers.changed_since.is_some() || attrs_use_modseq(&attrs))
                    && !(self.config.condstore || self.config.qresync) =>
                {
                    self.bad(Some(&tag), "CONDSTORE is not supported.");
                }
                _ if modifiers.vanished
                    && !(uid && self.qresync_on && modifiers.changed_since.is_some()) =>
                {
                    self.bad(
                        Some(&tag),
                        "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled.",
                    );
                }
                Some(messages) => {
                    let attrs = expand_attrs(attrs);
                    if modifiers.changed_since.is_some() || attrs.contains(&FetchAttr::ModSeq) {
                        self.condstore_on = true;
                    }
                    self.fetch_attrs = Some(attrs.clone());
                    self.fetch_changed_since = modifiers.changed_since;
                    self.fetch_vanished_set = modifiers.vanished.then(|| set.clone());
                    ev(
                        self,
                        Pending::Fetch { uid },
                        Event::Fetch {
                            uid,
                            messages,
                            attrs,
                            changed_since: modifiers.changed_since,
                            vanished: modifiers.vanished,
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
                unchanged_since,
            } => {
                if unchanged_since.is_some() && !(self.config.condstore || self.config.qresync) {
                    self.bad(Some(&tag), "CONDSTORE is not supported.");
                } else if self.read_only() {
                    self.tagged(Status::No, None, "Mailbox is read-only.");
                } else {
                    match self.resolve(&set, uid) {
                        Some(messages) => {
                            if unchanged_since.is_some() {
                                self.condstore_on = true;
                            }
                            self.modified.clear();
                            ev(
                                self,
                                Pending::Store {
                                    uid,
                                    silent,
                                    conditional: unchanged_since.is_some(),
                                },
                                Event::Store {
                                    uid,
                                    messages,
                                    mode,
                                    flags,
                                    silent,
                                    unchanged_since,
                                },
                            );
                        }
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
            // `$` (SEARCHRES): the saved messages still in the mailbox.
            return Some(
                sel.uids
                    .iter()
                    .zip(1u32..)
                    .filter(|(u, _)| self.saved.binary_search(u).is_ok())
                    .map(|(&uid, seq)| MessageRef { seq, uid })
                    .take(self.config.max_set_size)
                    .collect(),
            );
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

fn thread_depth(t: &crate::types::Thread) -> usize {
    let mut max = 0;
    let mut stack = vec![(t, 1usize)];
    while let Some((n, d)) = stack.pop() {
        max = max.max(d);
        stack.extend(n.children.iter().map(|c| (c, d + 1)));
    }
    max
}

/// Threads deeper than `max` flattened: their messages become leaves under the root (taken
/// apart iteratively, so that no recursive drop runs on them either).
fn cap_thread_depth(threads: Vec<crate::types::Thread>, max: usize) -> Vec<crate::types::Thread> {
    use crate::types::Thread;
    threads
        .into_iter()
        .map(|t| {
            if thread_depth(&t) <= max.max(2) {
                return t;
            }
            let root = t.id;
            let mut leaves = Vec::new();
            let mut stack = t.children;
            stack.reverse();
            while let Some(mut n) = stack.pop() {
                let mut ch = std::mem::take(&mut n.children);
                ch.reverse();
                stack.extend(ch);
                if let Some(id) = n.id {
                    leaves.push(Thread {
                        id: Some(id),
                        children: Vec::new(),
                    });
                }
            }
            Thread {
                id: root,
                children: leaves,
            }
        })
        .collect()
}

/// Whether any key (at any depth) satisfies `f`.
fn keys_use(keys: &[SearchKey<'_>], f: &dyn Fn(&SearchKey<'_>) -> bool) -> bool {
    // Iterative: the parser bounds the depth, but no recursion is needed here.
    let mut stack: Vec<&SearchKey<'_>> = keys.iter().collect();
    while let Some(k) = stack.pop() {
        if f(k) {
            return true;
        }
        match k {
            SearchKey::Not(a) => stack.push(a),
            SearchKey::Or(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            SearchKey::And(v) => stack.extend(v.iter()),
            _ => {}
        }
    }
    false
}

/// `$` (SEARCHRES) replaced by the saved UIDs (`UID set`), or by a key matching nothing
/// when nothing is saved.
fn subst_saved(keys: Vec<SearchKey<'static>>, saved: &[u32]) -> Vec<SearchKey<'static>> {
    if !keys_use(&keys, &|k| {
        matches!(
            k,
            SearchKey::SequenceSet(SequenceSet::Saved) | SearchKey::Uid(SequenceSet::Saved)
        )
    }) {
        return keys;
    }
    fn one(k: SearchKey<'static>, saved: &[u32]) -> SearchKey<'static> {
        match k {
            SearchKey::SequenceSet(SequenceSet::Saved) | SearchKey::Uid(SequenceSet::Saved) => {
                if saved.is_empty() {
                    SearchKey::Not(Box::new(SearchKey::All))
                } else {
                    SearchKey::Uid(compress(saved))
                }
            }
            SearchKey::Not(a) => SearchKey::Not(Box::new(one(*a, saved))),
            SearchKey::Or(a, b) => {
                SearchKey::Or(Box::new(one(*a, saved)), Box::new(one(*b, saved)))
            }
            SearchKey::And(v) => SearchKey::And(v.into_iter().map(|k| one(k, saved)).collect()),
            k => k,
        }
    }
    keys.into_iter().map(|k| one(k, saved)).collect()
}

fn attrs_use_modseq(a: &FetchAttrs<'_>) -> bool {
    matches!(a, FetchAttrs::List { items, .. } if items.contains(&FetchAttr::ModSeq))
}

fn known_charset(c: &[u8]) -> bool {
    c.eq_ignore_ascii_case(b"UTF-8") || c.eq_ignore_ascii_case(b"US-ASCII")
}

/// SORT criteria (`REVERSE` applies to the next key); `None` when invalid or empty.
fn parse_sort_criteria(raw: &[Cow<'_, str>]) -> Option<Vec<SortCriterion>> {
    let mut out = Vec::new();
    let mut reverse = false;
    for c in raw {
        let key = match c.to_ascii_uppercase().as_str() {
            "REVERSE" if !reverse => {
                reverse = true;
                continue;
            }
            "ARRIVAL" => SortKey::Arrival,
            "CC" => SortKey::Cc,
            "DATE" => SortKey::Date,
            "FROM" => SortKey::From,
            "SIZE" => SortKey::Size,
            "SUBJECT" => SortKey::Subject,
            "TO" => SortKey::To,
            _ => return None,
        };
        out.push(SortCriterion { reverse, key });
        reverse = false;
    }
    (!reverse && !out.is_empty()).then_some(out)
}

/// `uidvalidity SP modseq [SP known-uids] [SP (seq-match-data)]` (RFC 7162 3.2.5).
fn parse_qresync(raw: &[u8]) -> Option<Qresync> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut words = text.split(' ');
    let uid_validity: u32 = words.next()?.parse().ok().filter(|&v| v > 0)?;
    let modseq: u64 = words.next()?.parse().ok().filter(|&v| v > 0)?;
    let mut next = words.next();
    let known_uids = match next {
        Some(w) if !w.starts_with('(') => {
            next = words.next();
            Some(parse_uid_set(w)?)
        }
        _ => None,
    };
    let seq_match = match next {
        None => None,
        Some(w) => {
            let seqs = parse_uid_set(w.strip_prefix('(')?)?;
            let uids = parse_uid_set(words.next()?.strip_suffix(')')?)?;
            if words.next().is_some() {
                return None;
            }
            Some((seqs, uids))
        }
    };
    Some(Qresync {
        uid_validity,
        modseq,
        known_uids,
        seq_match,
    })
}

/// The highest UID of the sequence match data that is still at the message number the
/// client gave for it (0 if none): no message the client knew with a lower UID can have
/// been expunged, since the same number of messages precedes it on both sides and new
/// messages only get higher UIDs. At most 100 000 pairs are looked at.
fn seq_match_floor(seq_match: &(SequenceSet, SequenceSet), uids: &[u32]) -> u32 {
    const PAIRS: usize = 100_000;
    let seqs = seq_match.0.iter_values(len32(uids), PAIRS);
    let known = seq_match.1.iter_values(u32::MAX, PAIRS);
    if seqs.len() != known.len() {
        return 0;
    }
    seqs.iter()
        .zip(&known)
        .filter(|&(&n, &u)| {
            n > 0 && uids.get(usize::try_from(n - 1).unwrap_or(usize::MAX)) == Some(&u)
        })
        .map(|(_, &u)| u)
        .max()
        .unwrap_or(0)
}

/// A sequence set of numbers and `*` (`1:5,7,9:*`).
fn parse_uid_set(w: &str) -> Option<SequenceSet> {
    let num = |s: &str| -> Option<SeqNum> {
        if s == "*" {
            Some(SeqNum::Largest)
        } else {
            s.parse::<u32>()
                .ok()
                .filter(|&n| n > 0 && s.bytes().all(|b| b.is_ascii_digit()))
                .map(SeqNum::Value)
        }
    };
    let mut v = Vec::new();
    for part in w.split(',') {
        if v.len() >= 10_000 {
            return None;
        }
        v.push(match part.split_once(':') {
            Some((a, b)) => SeqRange::Range(num(a)?, num(b)?),
            None => SeqRange::Single(num(part)?),
        });
    }
    Some(SequenceSet::Ranges(v))
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
